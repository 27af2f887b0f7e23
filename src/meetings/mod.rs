//! Meetings of a partnership's groups: planning a financial year of them from
//! the group's meetings a year, agenda items with a submission cut-off and
//! late requests, attendance with deputies, and quorum rules kept as data.
//!
//! Every deadline counts English working days (see [`crate::calendar`]).

pub mod agenda;
pub mod attendance;
pub mod feed;
pub mod interests;
pub mod meeting;
pub mod pack;
pub mod papers;
pub mod schedule;

use crate::calendar::uk_date;
use crate::calendar::when;
use crate::db::Tx;
use crate::error::{AppError, Result};
use crate::tenant::Member;
use crate::web::listing::{Column, Reach};
use crate::web::record_id as parse_id;
pub use agenda::{Proposal, Proposed, next_meeting, propose};
pub use attendance::SeatLine;
pub(crate) use attendance::with_seats;
use chrono::{DateTime, Utc};
pub use feed::{FeedMeeting, to_ics};
use sqlx::types::Json;

use chrono::{Duration, Months, NaiveDate};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::calendar::{FinancialYear, next_working_day_from, working_days_before};

/// The partnership's deadlines for a meeting on `meeting_day`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deadlines {
    /// Last day to submit an agenda item without it being a late request.
    pub agenda_cutoff: NaiveDate,
    /// Last day to circulate the agenda and papers.
    pub papers_due: NaiveDate,
}

impl Deadlines {
    pub fn for_meeting(meeting_day: NaiveDate, rules: &MeetingRules) -> Self {
        Deadlines {
            agenda_cutoff: working_days_before(meeting_day, rules.agenda_cutoff_working_days as u32),
            papers_due: working_days_before(meeting_day, rules.papers_working_days as u32),
        }
    }

    /// An item submitted on `day` is late after the cut-off day has passed.
    pub fn is_late(&self, day: NaiveDate) -> bool {
        day > self.agenda_cutoff
    }
}

#[derive(Clone, Copy, Debug)]
pub struct MeetingRules {
    pub agenda_cutoff_working_days: i32,
    pub papers_working_days: i32,
}

pub async fn rules(conn: &mut PgConnection, partnership_id: Uuid) -> sqlx::Result<MeetingRules> {
    let row =
        sqlx::query!("select agenda_cutoff_working_days, papers_working_days from arrangement where partnership_id = $1", partnership_id)
            .fetch_optional(conn)
            .await?;
    Ok(row
        .map(|r| MeetingRules { agenda_cutoff_working_days: r.agenda_cutoff_working_days, papers_working_days: r.papers_working_days })
        .unwrap_or(MeetingRules { agenda_cutoff_working_days: 10, papers_working_days: 5 }))
}

/// The dates of a financial year's meetings: from the first date, spaced
/// evenly through the year, each moved to a working day, none after the year ends.
pub fn plan_dates(first: NaiveDate, meetings_per_year: u32) -> Vec<NaiveDate> {
    let year = FinancialYear::containing(first);
    let end = year.next().starts_on();
    let n = meetings_per_year.clamp(1, 52);
    let mut dates = Vec::new();
    for k in 0..n {
        let raw = if 12 % n == 0 {
            first.checked_add_months(Months::new(k * (12 / n))).unwrap_or(first)
        } else {
            first + Duration::days(((365 * k) / n) as i64)
        };
        let day = next_working_day_from(raw);
        if day >= end {
            break;
        }
        if dates.last() != Some(&day) {
            dates.push(day);
        }
    }
    dates
}

/// Who must be represented for a group's decisions: each requirement is met
/// by any one of its sectors (Warwickshire: the council's children's services
/// or education; the ICB; the police).
#[derive(Clone, Debug)]
pub struct QuorumRule {
    pub requirements: Vec<Vec<String>>,
    pub description: String,
}

impl QuorumRule {
    pub fn from_stored(required: Vec<String>, description: String) -> Self {
        QuorumRule { requirements: required.iter().map(|r| r.split('|').map(str::to_owned).collect()).collect(), description }
    }

    /// The requirements not met by the sectors represented; empty when quorate.
    pub fn missing<'a>(&'a self, represented: &[String]) -> Vec<&'a [String]> {
        self.requirements.iter().filter(|alternatives| !alternatives.iter().any(|s| represented.contains(s))).map(Vec::as_slice).collect()
    }
}

/// The group's own rule, or the partnership's general one.
pub async fn quorum_rule(conn: &mut PgConnection, partnership_id: Uuid, group_id: Uuid) -> sqlx::Result<Option<QuorumRule>> {
    let row = sqlx::query!(
        "select required_sectors, description from quorum_rule
         where partnership_id = $1 and (group_id = $2 or group_id is null)
         order by group_id nulls last limit 1",
        partnership_id,
        group_id
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| QuorumRule::from_stored(r.required_sectors, r.description)))
}

/// Tell the people with a seat on the meeting's group (and an account) about it, in the caller's transaction.
pub async fn notify_group(
    tx: &mut Tx,
    member: &Member,
    meeting: &MeetingRow,
    base_url: &str,
    event: &str,
    subject: &str,
    body: &str,
) -> sqlx::Result<()> {
    let seated = crate::people::Audience { group: Some(meeting.group_id), ..Default::default() };
    let recipients = crate::people::audience(tx, member.partnership.id, seated).await?;
    let link = format!("{base_url}/p/{}/meetings/{}", member.partnership.slug, meeting.id);
    for r in recipients {
        let body = format!("Dear {},\n\n{body}\n\nThe meeting page: {link}\n\n{}", r.display_name, member.partnership.name);
        crate::outbox::enqueue(
            tx,
            Some(member.partnership.id),
            &r.email,
            &r.display_name,
            subject,
            &body,
            &format!("{event}:{}:{}", meeting.id, r.email),
        )
        .await?;
    }
    Ok(())
}

/// Where an agenda item stands. Stored as text: `proposed`, `late_request`, `accepted`, `refused`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::Type, serde::Serialize, serde::Deserialize)]
#[sqlx(type_name = "text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    /// Before the cut-off, for the business manager to place.
    Proposed,
    /// After the cut-off, for the chair and business manager to decide.
    LateRequest,
    Accepted,
    Refused,
}

impl ItemStatus {
    /// Still waiting for someone to accept or refuse it.
    pub fn is_undecided(self) -> bool {
        matches!(self, ItemStatus::Proposed | ItemStatus::LateRequest)
    }
}

/// Whether a meeting goes ahead. Stored as text: `scheduled`, `cancelled`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::Type, serde::Serialize, serde::Deserialize)]
#[sqlx(type_name = "text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum MeetingStatus {
    Scheduled,
    Cancelled,
}

/// A meeting as lists and pages show it.
#[derive(Clone, Debug, serde::Deserialize)]
pub struct MeetingRow {
    pub id: Uuid,
    pub group_id: Uuid,
    pub group_name: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub location: String,
    pub online_link: String,
    pub extraordinary: bool,
    pub status: MeetingStatus,
    pub cancelled_reason: String,
    pub pack_circulated_at: Option<DateTime<Utc>>,
}

/// A [`MeetingRow`] from a statement's row that read its columns with others
/// (a page reading the meeting with everything of one value about it).
macro_rules! meeting_row {
    ($r:expr) => {
        $crate::meetings::MeetingRow {
            id: $r.id,
            group_id: $r.group_id,
            group_name: $r.group_name,
            starts_at: $r.starts_at,
            ends_at: $r.ends_at,
            location: $r.location,
            online_link: $r.online_link,
            extraordinary: $r.extraordinary,
            status: $r.status,
            cancelled_reason: $r.cancelled_reason,
            pack_circulated_at: $r.pack_circulated_at,
        }
    };
}
pub(crate) use meeting_row;

impl MeetingRow {
    pub fn when(&self) -> String {
        when(self.starts_at, self.ends_at)
    }
    pub fn day(&self) -> NaiveDate {
        uk_date(self.starts_at)
    }
    pub fn is_cancelled(&self) -> bool {
        self.status == MeetingStatus::Cancelled
    }
    pub fn is_past(&self) -> bool {
        self.ends_at < Utc::now()
    }
}

/// What the list of meetings may be narrowed to: those to come (the default), past, cancelled, or all.
pub const SCHEDULE_WHEN: [(&str, &str); 4] = [("", "Coming up"), ("past", "Past"), ("cancelled", "Cancelled"), ("all", "All meetings")];

/// The columns the list of meetings sorts by.
pub const SCHEDULE_COLUMNS: [Column; 3] =
    [Column { key: "date", heading: "When" }, Column { key: "group", heading: "Group" }, Column { key: "place", heading: "Where" }];

/// A view of the meetings: every filter may be empty (no filter).
#[derive(Debug)]
pub struct Scheduled<'a> {
    /// A `like` pattern for the group's name or the place, or "".
    pub pattern: &'a str,
    pub group: Option<Uuid>,
    /// One of the codes of [`SCHEDULE_WHEN`].
    pub when: &'a str,
    pub from: Option<DateTime<Utc>>,
    pub before: Option<DateTime<Utc>>,
    pub sort: &'a str,
    pub descending: bool,
    /// The page, or every meeting for a download, and how far to count.
    pub reach: Reach,
    /// Whether the group choices are wanted too (not for a download).
    pub with_groups: bool,
    /// The list as it opens (`View::as_it_opens`): read by a statement of its own.
    pub as_it_opens: bool,
}

/// A page of the meetings asked for, how many the view holds (counted up to
/// its bound and one more) and the groups to choose from: one statement.
/// `$matching` follows the partnership's filter on meetings (`m`, with its
/// group `g`), `$order` numbers the view; `$1` is the partnership, `$2` and
/// `$3` the page's limit and offset, `$4` the count's limit, `$5` whether the
/// groups are wanted, and the filters follow.
macro_rules! schedule_page {
    ($tx:expr, $matching:literal, $order:literal, $($arg:expr),+) => {{
        let row = sqlx::query!(
            r#"with matching as not materialized (
                   select m.*, g.name as group_name
                   from meeting m join partnership_group g on g.partnership_id = m.partnership_id and g.id = m.group_id
                   where m.partnership_id = $1 and "# + $matching + r#")
               -- The page, numbered in the order asked for only as far as the page (by date, that is the index's order).
               select coalesce((select json_agg(x order by x.position) from (
                      select * from (
                        select m.id, m.group_id, m.group_name, m.starts_at, m.ends_at, m.location, m.online_link, m.extraordinary,
                               m.status, m.cancelled_reason, m.pack_circulated_at,
                               row_number() over (order by "# + $order + r#") as position
                        from matching m) numbered
                      where numbered.position <= $2::bigint + $3::bigint and numbered.position > $3::bigint) x), '[]')
                        as "lines!: Json<Vec<MeetingRow>>",
                      -- How many the view holds, counted no further than the view's bound (`View::count_to`).
                      (select count(*) from (select 1 from matching limit $4) c) as "counted!",
                      coalesce((select json_agg(json_build_array(g.id, g.name) order by g.retired_on is not null, g.sort_order, g.name)
                                from partnership_group g where g.partnership_id = $1 and $5), '[]') as "groups!: Json<Vec<(Uuid, String)>>""#,
            $($arg),+
        )
        .fetch_one(&mut **$tx)
        .await?;
        let groups = row.groups.0.into_iter().map(|(id, name)| (id.to_string(), name)).collect();
        (row.lines.0, row.counted, groups)
    }};
}

/// A page of the meetings asked for, how many the view holds (counted up to its bound and one more) and the
/// groups to choose from: one statement. The list as it opens has its own, with nothing optional in it, so its
/// plan is kept (`web::listing::generic_plans`); any other view is one statement with every filter optional,
/// planned for its values.
pub(super) async fn scheduled(
    tx: &mut Tx,
    partnership_id: Uuid,
    view: &Scheduled<'_>,
) -> sqlx::Result<(Vec<MeetingRow>, i64, Vec<(String, String)>)> {
    let Reach { limit, offset, .. } = view.reach;
    let count_limit = view.reach.count_limit();
    if view.as_it_opens {
        // Bounded by its start as well as its end, so that it is read from the index by start (a meeting lasts under 25 hours).
        return Ok(schedule_page!(
            tx,
            "m.starts_at > now() - interval '25 hours' and m.ends_at >= now()",
            "m.starts_at, m.group_name",
            partnership_id,
            limit,
            offset,
            count_limit,
            view.with_groups
        ));
    }
    Ok(schedule_page!(
        tx,
        r#"($6 = '' or g.name ilike $6 or m.location ilike $6)
           and ($7::uuid is null or m.group_id = $7)
           -- Each bounded by its start as well, so that it is read from the index by start
           -- (a meeting lasts under 25 hours).
           and case $8::text
                 when '' then m.starts_at > now() - interval '25 hours' and m.ends_at >= now()
                 when 'past' then m.starts_at < now() and m.ends_at < now()
                 when 'cancelled' then m.status = 'cancelled'
                 else true end
           and ($9::timestamptz is null or m.starts_at >= $9)
           and ($10::timestamptz is null or m.starts_at < $10)"#,
        r#"case when $11 = 'group' and not $12 then m.group_name end,
           case when $11 = 'group' and $12 then m.group_name end desc,
           case when $11 = 'place' and not $12 then m.location end,
           case when $11 = 'place' and $12 then m.location end desc,
           case when $12 and $11 = 'date' then m.starts_at end desc,
           m.starts_at, m.group_name"#,
        partnership_id,
        limit,
        offset,
        count_limit,
        view.with_groups,
        view.pattern,
        view.group,
        view.when,
        view.from,
        view.before,
        view.sort,
        view.descending
    ))
}

/// One meeting of the partnership, if it exists.
pub async fn by_id(tx: &mut Tx, partnership_id: Uuid, meeting_id: Uuid) -> sqlx::Result<Option<MeetingRow>> {
    sqlx::query_as!(
        MeetingRow,
        r#"select m.id, m.group_id, g.name as group_name, m.starts_at as "starts_at: DateTime<Utc>", m.ends_at as "ends_at: DateTime<Utc>",
                  m.location, m.online_link, m.extraordinary, m.status as "status: MeetingStatus", m.cancelled_reason,
                  m.pack_circulated_at as "pack_circulated_at: DateTime<Utc>"
           from meeting m join partnership_group g on g.partnership_id = m.partnership_id and g.id = m.group_id
           where m.partnership_id = $1 and m.id = $2"#,
        partnership_id,
        meeting_id
    )
    .fetch_optional(&mut **tx)
    .await
}

pub async fn find_meeting(tx: &mut Tx, member: &Member, meeting_id: &str) -> Result<MeetingRow> {
    let id = parse_id(meeting_id)?;
    by_id(tx, member.partnership.id, id).await?.ok_or(AppError::NotFound)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::{parse_time, uk_datetime, when};
    use chrono::NaiveTime;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn warwickshire_takes_items_ten_working_days_ahead_and_papers_five() {
        let rules = MeetingRules { agenda_cutoff_working_days: 10, papers_working_days: 5 };
        let deadlines = Deadlines::for_meeting(d(2026, 4, 16), &rules);
        assert_eq!(deadlines.agenda_cutoff, d(2026, 3, 31));
        assert_eq!(deadlines.papers_due, d(2026, 4, 9));
        assert!(!deadlines.is_late(d(2026, 3, 31)));
        assert!(deadlines.is_late(d(2026, 4, 1)));
    }

    #[test]
    fn four_meetings_a_year_fall_quarterly_on_working_days() {
        let dates = plan_dates(d(2026, 4, 14), 4);
        assert_eq!(dates, [d(2026, 4, 14), d(2026, 7, 14), d(2026, 10, 14), d(2027, 1, 14)]);
        let eight = plan_dates(d(2026, 5, 5), 8);
        assert!(eight.iter().all(|day| crate::calendar::is_working_day(*day)));
        assert!(eight.iter().all(|day| *day < d(2027, 4, 1)));
        assert_eq!(eight.len(), 8, "{eight:?}");
        // Planning from October: meetings that would fall after March belong to next year's plan.
        assert_eq!(plan_dates(d(2026, 10, 1), 4), [d(2026, 10, 1), d(2027, 1, 4)]);
    }

    #[test]
    fn a_planned_date_on_a_bank_holiday_moves_to_the_next_working_day() {
        // 25 December 2026 is a Friday bank holiday; Monday 28th is the Boxing Day substitute.
        assert_eq!(plan_dates(d(2026, 9, 25), 4)[1], d(2026, 12, 29));
    }

    #[test]
    fn times_are_uk_times() {
        let summer = uk_datetime(d(2026, 7, 14), NaiveTime::from_hms_opt(10, 0, 0).unwrap()).unwrap();
        assert_eq!(summer.to_rfc3339(), "2026-07-14T09:00:00+00:00");
        let winter = uk_datetime(d(2026, 1, 14), NaiveTime::from_hms_opt(10, 0, 0).unwrap()).unwrap();
        assert_eq!(winter.to_rfc3339(), "2026-01-14T10:00:00+00:00");
        assert!(uk_datetime(d(2026, 3, 29), NaiveTime::from_hms_opt(1, 30, 0).unwrap()).is_none(), "the hour lost in spring");
        assert_eq!(when(summer, summer + Duration::hours(2)), "Tuesday 14 July 2026, 10:00 to 12:00");
        assert_eq!(parse_time("1400", "start time").unwrap(), NaiveTime::from_hms_opt(14, 0, 0).unwrap());
        assert_eq!(parse_time("9.30", "start time").unwrap(), NaiveTime::from_hms_opt(9, 30, 0).unwrap());
        assert!(parse_time("25:00", "start time").is_err());
    }

    #[test]
    fn quorum_needs_each_requirement_met_by_one_of_its_sectors() {
        let rule = QuorumRule::from_stored(vec!["local_authority|education".into(), "health".into(), "police".into()], String::new());
        let present = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert!(rule.missing(&present(&["education", "health", "police"])).is_empty());
        assert!(rule.missing(&present(&["local_authority", "health", "police", "voluntary"])).is_empty());
        let missing = rule.missing(&present(&["local_authority", "health"]));
        assert_eq!(missing, [["police".to_string()].as_slice()]);
    }
}
