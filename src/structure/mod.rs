//! A partnership's structure: its statutory partners and the people in
//! their posts, its groups with terms of reference and members, relevant
//! agencies, links to other boards, and the chart drawn from them.

pub mod arrangements;
pub mod chart;
pub mod forms;
pub mod groups;
pub mod kinds;
pub mod links;
pub mod organisations;
pub mod overview;
pub mod posts;
pub mod seats;
pub mod terms;

use crate::calendar::long_date;
pub use kinds::{GroupKind, PostKind, RoleInGroup, Sector};

use chrono::NaiveDate;
use sqlx::PgConnection;
use sqlx::types::Json;
use uuid::Uuid;

use crate::calendar::FinancialYear;

/// Terms of reference fall due for review at the start of the next financial
/// year (the first meeting of the year reviews them) unless set otherwise.
pub fn default_review_date(adopted_on: NaiveDate) -> NaiveDate {
    FinancialYear::containing(adopted_on).next().starts_on()
}

#[derive(Clone, Debug, serde::Deserialize)]
pub struct Arrangement {
    pub chair_arrangements: String,
    pub scrutiny_arrangements: String,
    pub decision_making: String,
    pub section11_interval_months: i32,
    /// Months between a school's Section 175 safeguarding audits.
    pub section175_interval_months: i32,
}

/// Nothing recorded yet: no text, Section 11 self-assessments every two years and Section 175 audits yearly.
impl Default for Arrangement {
    fn default() -> Self {
        Arrangement {
            chair_arrangements: String::new(),
            scrutiny_arrangements: String::new(),
            decision_making: String::new(),
            section11_interval_months: 24,
            section175_interval_months: 12,
        }
    }
}

pub async fn arrangement(conn: &mut PgConnection, partnership_id: Uuid) -> sqlx::Result<Arrangement> {
    let row = sqlx::query_as!(
        Arrangement,
        "select chair_arrangements, scrutiny_arrangements, decision_making, section11_interval_months, section175_interval_months
         from arrangement where partnership_id = $1",
        partnership_id
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.unwrap_or_default())
}

#[derive(Clone, Debug, serde::Deserialize)]
pub struct Organisation {
    pub id: Uuid,
    pub name: String,
    pub sector: String,
    pub is_statutory_partner: bool,
    pub is_relevant_agency: bool,
    pub contact_name: String,
    pub contact_email: String,
    pub last_section11_on: Option<NaiveDate>,
    pub retired_on: Option<NaiveDate>,
    /// Names of the current groups it has a seat on.
    pub groups: Vec<String>,
}

impl Organisation {
    pub fn sector_label(&self) -> &str {
        Sector::label_of(&self.sector)
    }

    /// When the next Section 11 self-assessment is due; today when it has never had one.
    pub fn section11_due(&self, interval_months: i32, today: NaiveDate) -> NaiveDate {
        match self.last_section11_on {
            Some(last) => last.checked_add_months(chrono::Months::new(interval_months.max(1) as u32)).unwrap_or(NaiveDate::MAX),
            None => today,
        }
    }

    pub fn section11_overdue(&self, interval_months: i32, today: NaiveDate) -> bool {
        self.retired_on.is_none() && self.is_relevant_agency && self.section11_due(interval_months, today) <= today
    }
}

/// Every organisation of a partnership, with the groups it sits on: one query.
/// The partnership's arrangements as a whole: its settings, every
/// organisation (with the groups it sits on), the current posts with all
/// their holders, and the links to other boards; one statement.
pub struct Whole {
    pub arrangement: Arrangement,
    pub organisations: Vec<Organisation>,
    pub posts: Vec<Post>,
    pub links: Vec<BoardLink>,
}

pub async fn whole(conn: &mut PgConnection, partnership_id: Uuid) -> sqlx::Result<Whole> {
    let row = sqlx::query!(
        r#"select (select to_json(a) from arrangement a where a.partnership_id = p.id) as "arrangement?: Json<Arrangement>",
                  coalesce((select json_agg(x order by x.is_statutory_partner desc, x.name)
                            from (select o.id, o.name, o.sector, o.is_statutory_partner, o.is_relevant_agency, o.contact_name, o.contact_email,
                                         o.last_section11_on, o.retired_on, coalesce(seated.groups, '{}') as groups
                                  from organisation o
                                  -- Every seat of the partnership grouped once, not the seats searched again for each organisation.
                                  left join (select m.organisation_id, array_agg(distinct g.name order by g.name) as groups
                                             from group_member m
                                             join partnership_group g on g.partnership_id = m.partnership_id and g.id = m.group_id and g.retired_on is null
                                             where m.partnership_id = p.id and (m.ends_on is null or m.ends_on >= current_date)
                                             group by m.organisation_id) seated on seated.organisation_id = o.id
                                  where o.partnership_id = p.id) x), '[]') as "organisations!: Json<Vec<Organisation>>",
                  coalesce((select json_agg(x order by array_position(array['partnership_chair', 'lead_partner', 'delegated_partner',
                                                   'independent_scrutineer', 'independent_person', 'business_manager', 'other'], x.kind), x.title)
                            from (select t.id, t.kind, t.title, t.organisation_id, o.name as organisation_name, t.notes,
                                         coalesce((select json_agg(h order by h.starts_on)
                                                   from (select h.id, h.holder_name as name, h.starts_on, h.ends_on from post_holder h
                                                         where h.partnership_id = t.partnership_id and h.post_id = t.id) h), '[]') as holders
                                  from post t left join organisation o on o.partnership_id = t.partnership_id and o.id = t.organisation_id
                                  where t.partnership_id = p.id and t.retired_on is null) x), '[]') as "posts!: Json<Vec<Post>>",
                  coalesce((select json_agg(x order by x.board_name)
                            from (select l.id, l.board_name, l.description, l.group_id, g.name as group_name
                                  from board_link l left join partnership_group g on g.partnership_id = l.partnership_id and g.id = l.group_id
                                  where l.partnership_id = p.id and l.retired_on is null) x), '[]') as "links!: Json<Vec<BoardLink>>"
           from partnership p where p.id = $1"#,
        partnership_id
    )
    .fetch_one(conn)
    .await?;
    Ok(Whole {
        arrangement: row.arrangement.map(|a| a.0).unwrap_or_default(),
        organisations: row.organisations.0,
        posts: row.posts.0,
        links: row.links.0,
    })
}

#[derive(Clone, Debug, serde::Deserialize)]
pub struct Holder {
    pub id: Uuid,
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
}

impl Holder {
    pub fn holds_on(&self, day: &NaiveDate) -> bool {
        self.starts_on <= *day && self.ends_on.is_none_or(|end| end >= *day)
    }
    /// The button that ends the term now, or withdraws an appointment not yet begun.
    pub fn end_label(&self, today: &NaiveDate) -> String {
        if self.starts_on > *today { format!("Withdraw appointment of {}", self.name) } else { format!("End term of {}", self.name) }
    }
    /// "from 1 September 2025 to 31 August 2027"
    pub fn term(&self) -> String {
        match self.ends_on {
            Some(end) => format!("{} to {}", crate::calendar::long_date(self.starts_on), crate::calendar::long_date(end)),
            None => format!("since {}", crate::calendar::long_date(self.starts_on)),
        }
    }
}

#[derive(Clone, Debug, serde::Deserialize)]
pub struct Post {
    pub id: Uuid,
    pub kind: String,
    pub title: String,
    pub organisation_id: Option<Uuid>,
    pub organisation_name: Option<String>,
    pub notes: String,
    /// In date order.
    pub holders: Vec<Holder>,
}

impl Post {
    pub fn kind_label(&self) -> &str {
        PostKind::label_of(&self.kind)
    }
    pub fn current(&self, today: NaiveDate) -> Option<&Holder> {
        self.holders.iter().rev().find(|h| h.holds_on(&today))
    }
    pub fn next(&self, today: NaiveDate) -> Option<&Holder> {
        self.holders.iter().find(|h| h.starts_on > today)
    }
}

#[derive(Clone, Debug)]
pub struct Group {
    pub id: Uuid,
    pub name: String,
    pub kind: String,
    pub purpose: String,
    pub meetings_per_year: Option<i32>,
    pub reports_to_id: Option<Uuid>,
    pub reports_to_name: Option<String>,
    pub ends_on: Option<NaiveDate>,
    pub sort_order: i32,
    pub retired_on: Option<NaiveDate>,
    pub chair_name: Option<String>,
    pub member_count: i64,
    pub terms_adopted_on: Option<NaiveDate>,
    pub terms_review_due_on: Option<NaiveDate>,
}

impl Group {
    pub fn kind_label(&self) -> &str {
        GroupKind::label_of(&self.kind)
    }
    pub fn is_time_limited(&self) -> bool {
        self.ends_on.is_some() || self.kind == GroupKind::TaskAndFinish.code() || self.kind == GroupKind::Thematic.code()
    }
    pub fn frequency(&self) -> String {
        match self.meetings_per_year {
            Some(1) => "Once a year".into(),
            Some(n) => format!("{n} times a year"),
            None => "As required".into(),
        }
    }
    pub fn ends_label(&self) -> String {
        self.ends_on.map(crate::calendar::long_date).unwrap_or_default()
    }
    pub fn retired_label(&self) -> String {
        self.retired_on.map(crate::calendar::long_date).unwrap_or_default()
    }
    pub fn past_end(&self, today: &NaiveDate) -> bool {
        self.ends_on.is_some_and(|end| end < *today)
    }
    pub fn terms_overdue(&self, today: NaiveDate) -> bool {
        self.terms_review_due_on.is_some_and(|due| due < today)
    }
}

/// The columns every reading of groups shares; `$where` picks which.
macro_rules! groups_where {
    ($conn:expr, $fetch:ident, $where:literal, $($arg:expr),+) => {
        sqlx::query_as!(
            Group,
            r#"select g.id, g.name, g.kind, g.purpose, g.meetings_per_year, g.reports_to_id,
                      parent.name as "reports_to_name?", g.ends_on as "ends_on: NaiveDate", g.sort_order,
                      g.retired_on as "retired_on: NaiveDate",
                      chair.person_name as "chair_name?",
                      coalesce(seats.n, 0) as "member_count!",
                      tor.adopted_on as "terms_adopted_on?: NaiveDate", tor.review_due_on as "terms_review_due_on?: NaiveDate"
               from partnership_group g
               left join partnership_group parent on parent.partnership_id = g.partnership_id and parent.id = g.reports_to_id
               left join lateral (
                   select m.person_name from group_member m
                   where m.partnership_id = g.partnership_id and m.group_id = g.id and m.role_in_group = 'chair'
                     and m.starts_on <= current_date and (m.ends_on is null or m.ends_on >= current_date)
                   order by m.starts_on desc limit 1) chair on true
               left join lateral (
                   select count(*) as n from group_member m
                   where m.partnership_id = g.partnership_id and m.group_id = g.id
                     and m.starts_on <= current_date and (m.ends_on is null or m.ends_on >= current_date)) seats on true
               left join lateral (
                   select t.adopted_on, t.review_due_on from terms_of_reference t
                   where t.partnership_id = g.partnership_id and t.group_id = g.id
                   order by t.adopted_on desc limit 1) tor on true
               where g.partnership_id = $1 and "# + $where + r#"
               order by g.sort_order, g.name"#,
            $($arg),+
        )
        .$fetch($conn)
        .await
    };
}

/// Groups with their chair, seat count and current terms of reference: one
/// query, however many groups. Retired groups only when asked for.
pub async fn all_groups(conn: &mut PgConnection, partnership_id: Uuid, include_retired: bool) -> sqlx::Result<Vec<Group>> {
    groups_where!(conn, fetch_all, "($2 or g.retired_on is null)", partnership_id, include_retired)
}

/// One group, by its id (a retired one only if asked for).
pub async fn one_group(
    conn: &mut PgConnection,
    partnership_id: Uuid,
    group_id: Uuid,
    include_retired: bool,
) -> sqlx::Result<Option<Group>> {
    groups_where!(conn, fetch_optional, "g.id = $2 and ($3 or g.retired_on is null)", partnership_id, group_id, include_retired)
}

#[derive(Clone, Debug, serde::Deserialize)]
pub struct BoardLink {
    pub id: Uuid,
    pub board_name: String,
    pub description: String,
    pub group_id: Option<Uuid>,
    pub group_name: Option<String>,
}

/// Something in the structure a business manager should put right.
#[derive(Clone, Debug)]
pub struct Attention {
    pub message: String,
    pub href: String,
}

/// What needs attention: terms of reference past review, groups without a
/// chair, posts with nobody in them, time-limited groups past their end date,
/// and relevant agencies whose Section 11 self-assessment is overdue.
pub fn needs_attention(
    slug: &str,
    groups: &[Group],
    posts: &[Post],
    organisations: &[Organisation],
    arrangement: &Arrangement,
    today: NaiveDate,
) -> Vec<Attention> {
    let mut items = Vec::new();
    let group_href = |g: &Group| format!("/p/{slug}/groups/{}", g.id);
    for g in groups.iter().filter(|g| g.retired_on.is_none()) {
        if let Some(due) = g.terms_review_due_on.filter(|_| g.terms_overdue(today)) {
            items.push(Attention {
                message: format!("{}: terms of reference were due for review on {}", g.name, crate::calendar::long_date(due)),
                href: group_href(g),
            });
        } else if g.terms_review_due_on.is_none() {
            items.push(Attention { message: format!("{}: no terms of reference recorded", g.name), href: group_href(g) });
        }
        if g.chair_name.is_none() {
            items.push(Attention { message: format!("{}: no chair", g.name), href: group_href(g) });
        }
        if let Some(end) = g.ends_on.filter(|end| *end < today) {
            items.push(Attention {
                message: format!("{}: time-limited group past its end date ({})", g.name, crate::calendar::long_date(end)),
                href: group_href(g),
            });
        }
    }
    for p in posts.iter().filter(|p| p.current(today).is_none()) {
        items.push(Attention {
            message: format!("{}: nobody holds this post now", p.title),
            href: format!("/p/{slug}/structure/posts/{}", p.id),
        });
    }
    let overdue = organisations.iter().filter(|o| o.section11_overdue(arrangement.section11_interval_months, today)).count();
    if overdue > 0 {
        items.push(Attention {
            message: format!(
                "{overdue} relevant {} with a Section 11 self-assessment overdue",
                if overdue == 1 { "agency" } else { "agencies" }
            ),
            href: format!("/p/{slug}/agencies?overdue=1"),
        });
    }
    items
}

#[derive(Debug, serde::Deserialize)]
pub struct Seat {
    pub id: Uuid,
    pub person_name: String,
    pub organisation_name: Option<String>,
    /// The account the seat is linked to, by the name the partnership knows it by (a linked member reads the group's papers).
    #[serde(default)]
    pub account_name: Option<String>,
    pub role_in_group: String,
    pub starts_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
}

impl Seat {
    pub fn role_label(&self) -> &str {
        RoleInGroup::label_of(&self.role_in_group)
    }
    pub fn is_current(&self, today: &NaiveDate) -> bool {
        self.starts_on <= *today && self.ends_on.is_none_or(|e| e >= *today)
    }
    pub fn period(&self) -> String {
        match self.ends_on {
            Some(end) => format!("{} to {}", long_date(self.starts_on), long_date(end)),
            None => format!("since {}", long_date(self.starts_on)),
        }
    }
}

#[derive(Debug, serde::Deserialize)]
pub struct TermsVersion {
    pub summary: String,
    pub adopted_on: NaiveDate,
    pub review_due_on: NaiveDate,
}

impl TermsVersion {
    pub fn adopted(&self) -> String {
        long_date(self.adopted_on)
    }
    pub fn review_due(&self) -> String {
        long_date(self.review_due_on)
    }
    pub fn is_overdue(&self, today: &NaiveDate) -> bool {
        self.review_due_on < *today
    }
}

/// Record that an organisation completed a self-assessment (Section 11, or Section 175 for a school) on `on`,
/// for the agencies page's next-due dates: the owner of those dates on `organisation`. A later date than the one
/// held moves it on; an earlier one changes nothing. Audited by the caller, with what was accepted.
pub async fn record_self_assessment(
    conn: &mut PgConnection,
    partnership_id: Uuid,
    organisation_id: Uuid,
    section175: bool,
    on: NaiveDate,
) -> sqlx::Result<()> {
    if section175 {
        sqlx::query!(
            "update organisation set last_section175_on = greatest(last_section175_on, $3) where partnership_id = $1 and id = $2",
            partnership_id,
            organisation_id,
            on
        )
        .execute(conn)
        .await?;
    } else {
        sqlx::query!(
            "update organisation set last_section11_on = greatest(last_section11_on, $3) where partnership_id = $1 and id = $2",
            partnership_id,
            organisation_id,
            on
        )
        .execute(conn)
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn terms_of_reference_fall_due_at_the_next_financial_year() {
        assert_eq!(default_review_date(d(2025, 4, 1)), d(2026, 4, 1));
        assert_eq!(default_review_date(d(2026, 3, 31)), d(2026, 4, 1));
        assert_eq!(default_review_date(d(2025, 11, 22)), d(2026, 4, 1));
    }

    #[test]
    fn a_two_year_term_shows_who_holds_it_now_and_who_is_next() {
        let post = Post {
            id: Uuid::nil(),
            kind: "lead_partner".into(),
            title: "Lead safeguarding partner: Education".into(),
            organisation_id: None,
            organisation_name: None,
            notes: String::new(),
            holders: vec![
                Holder { id: Uuid::nil(), name: "2025/27".into(), starts_on: d(2025, 9, 1), ends_on: Some(d(2027, 8, 31)) },
                Holder { id: Uuid::nil(), name: "2027/29".into(), starts_on: d(2027, 9, 1), ends_on: Some(d(2029, 8, 31)) },
            ],
        };
        assert_eq!(post.current(d(2026, 11, 22)).unwrap().name, "2025/27");
        assert_eq!(post.next(d(2026, 11, 22)).unwrap().name, "2027/29");
        assert_eq!(post.current(d(2027, 9, 1)).unwrap().name, "2027/29");
        assert!(post.next(d(2027, 9, 1)).is_none());
        assert!(post.current(d(2025, 8, 31)).is_none());
    }

    #[test]
    fn section11_falls_due_after_the_interval() {
        let mut agency = Organisation {
            id: Uuid::nil(),
            name: "Barnardo's".into(),
            sector: "voluntary".into(),
            is_statutory_partner: false,
            is_relevant_agency: true,
            contact_name: String::new(),
            contact_email: String::new(),
            last_section11_on: Some(d(2024, 11, 22)),
            retired_on: None,
            groups: vec![],
        };
        assert_eq!(agency.section11_due(24, d(2026, 1, 1)), d(2026, 11, 22));
        assert!(!agency.section11_overdue(24, d(2026, 11, 21)));
        assert!(agency.section11_overdue(24, d(2026, 11, 22)));
        agency.last_section11_on = None;
        assert!(agency.section11_overdue(24, d(2026, 1, 1)), "never assessed is overdue");
        agency.retired_on = Some(d(2025, 1, 1));
        assert!(!agency.section11_overdue(24, d(2026, 1, 1)), "retired agencies are not chased");
    }
}
