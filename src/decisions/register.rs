//! The decision register: every decision with its outcome (confidential ones
//! to members only), a page at a time, and the decisions awaiting a person's response.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use sqlx::types::Json;
use tower_sessions::Session;
use uuid::Uuid;

use super::{Outcome, Stage};

use super::{settle, uk_moment};
use crate::db::Tx;
use crate::error::Result;
use crate::tenant::Member;
use crate::web::listing::{Column, ListQuery, View, csv_download, custom_plans, plans, year_choices, year_span};
use crate::web::paging::{PAGE_SIZE, PageQuery, Paged};
use crate::web::{AppState, Layout, Query};

/// A line of the register.
#[derive(Clone, Debug, serde::Deserialize)]
pub struct RegisterLine {
    pub id: Uuid,
    pub number: i32,
    pub title: String,
    pub group_name: String,
    pub confidential: bool,
    pub stage: super::Stage,
    pub closes_at: DateTime<Utc>,
    pub outcome: Option<super::Outcome>,
    pub outcome_at: Option<DateTime<Utc>>,
}

impl RegisterLine {
    pub fn outcome(&self) -> Option<super::Outcome> {
        self.outcome
    }
    pub fn status_label(&self) -> &'static str {
        match self.outcome() {
            Some(o) => o.label(),
            None if self.stage == super::Stage::Vote => "Formal vote",
            None => "Seeking consensus",
        }
    }
    pub fn status_tag(&self) -> &'static str {
        self.outcome().map(super::Outcome::tag_class).unwrap_or("govuk-tag--blue")
    }
    pub fn deadline(&self) -> String {
        uk_moment(self.closes_at)
    }
    pub fn decided_on(&self) -> String {
        self.outcome_at.map(|at| crate::calendar::long_date(crate::calendar::uk_date(at))).unwrap_or_default()
    }
}

/// Close whatever is past its deadline before a page shows it, so nobody sees
/// an open decision that has in fact closed (the background sweep does the same).
pub(super) async fn settle_due(tx: &mut Tx, partnership_id: Uuid) -> Result<()> {
    let due =
        sqlx::query_scalar!("select id from decision where partnership_id = $1 and outcome is null and closes_at <= now()", partnership_id)
            .fetch_all(&mut **tx)
            .await?;
    for id in due {
        settle(tx, partnership_id, id, None).await?;
    }
    Ok(())
}

/// Who reads a register: the partnership's members (everything their clearance
/// shows), or the public (closed decisions that are not confidential).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Readers {
    Members,
    Public,
}

/// A page of decisions taken, newest first, and how many there are; `$audience`
/// narrows both the page and the count. Answers the lines and the total.
macro_rules! decided_lines {
    ($tx:expr, $audience:literal, $partnership:expr, $before:expr) => {{
        let rows = sqlx::query!(
            r#"select d.id, d.number, d.title, g.name as group_name, d.confidential, d.stage as "stage: Stage",
                      d.closes_at as "closes_at: DateTime<Utc>", d.outcome as "outcome: Outcome", d.outcome_at as "outcome_at: DateTime<Utc>",
                      (select count(*) from decision where partnership_id = $1 and outcome is not null "# + $audience + r#") as "total!"
               from decision d join partnership_group g on g.partnership_id = d.partnership_id and g.id = d.group_id
               where d.partnership_id = $1 and d.outcome is not null and d.number < $2 "# + $audience + r#"
               order by d.number desc limit $3"#,
            $partnership,
            $before,
            PAGE_SIZE + 1
        )
        .fetch_all(&mut **$tx)
        .await?;
        let total = rows.first().map_or(0, |r| r.total);
        let lines: Vec<RegisterLine> = rows
            .into_iter()
            .map(|r| RegisterLine {
                id: r.id,
                number: r.number,
                title: r.title,
                group_name: r.group_name,
                confidential: r.confidential,
                stage: r.stage,
                closes_at: r.closes_at,
                outcome: r.outcome,
                outcome_at: r.outcome_at,
            })
            .collect();
        (lines, total)
    }};
}

/// One page of the decisions taken, newest first, and how many there are.
pub async fn decided_page(tx: &mut Tx, partnership_id: Uuid, readers: Readers, page: &PageQuery) -> sqlx::Result<Paged<RegisterLine>> {
    let before = i32::try_from(page.before()).unwrap_or(i32::MAX);
    // One statement per audience, so that each is planned for what it reads.
    let (lines, total) = match readers {
        Readers::Members => decided_lines!(tx, "", partnership_id, before),
        Readers::Public => decided_lines!(tx, "and not confidential", partnership_id, before),
    };
    // A page past the end still says how many there are.
    let total = if total == 0 && !page.is_first() { count_decided(tx, partnership_id, readers).await? } else { total };
    Ok(Paged::from_lines(page, lines, total, |l: &RegisterLine| i64::from(l.number)))
}

async fn count_decided(tx: &mut Tx, partnership_id: Uuid, readers: Readers) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"select count(*) as "n!" from decision where partnership_id = $1 and outcome is not null and (not $2 or not confidential)"#,
        partnership_id,
        readers == Readers::Public
    )
    .fetch_one(&mut **tx)
    .await
}

/// The decisions of one meeting (a handful), for its minutes.
pub async fn meeting_lines(tx: &mut Tx, partnership_id: Uuid, meeting: Uuid, readers: Readers) -> sqlx::Result<Vec<RegisterLine>> {
    sqlx::query_as!(
        RegisterLine,
        r#"select d.id, d.number, d.title, g.name as group_name, d.confidential, d.stage as "stage: Stage",
                  d.closes_at as "closes_at: DateTime<Utc>", d.outcome as "outcome: Outcome", d.outcome_at as "outcome_at: DateTime<Utc>"
           from decision d join partnership_group g on g.partnership_id = d.partnership_id and g.id = d.group_id
           where d.partnership_id = $1 and d.meeting_id = $2 and (not $3 or (not d.confidential and d.outcome is not null))
           order by d.number desc"#,
        partnership_id,
        meeting,
        readers == Readers::Public
    )
    .fetch_all(&mut **tx)
    .await
}

/// A decision waiting for this person's organisation to respond.
#[derive(Clone, Debug, serde::Deserialize)]
pub struct Awaiting {
    pub slug: String,
    pub partnership_name: String,
    pub id: Uuid,
    pub number: i32,
    pub title: String,
    pub stage: super::Stage,
    pub closes_at: DateTime<Utc>,
    pub confidential: bool,
}

impl Awaiting {
    pub fn deadline(&self) -> String {
        uk_moment(self.closes_at)
    }
    pub fn is_vote(&self) -> bool {
        self.stage == super::Stage::Vote
    }
}

/// A statement that also reads what waits for a person's response in one
/// partnership (`$1`, the person's account `$2`), soonest deadline first, as
/// the JSON column `awaiting.lines` (decoded as `Json<Vec<Awaiting>>`):
/// `[$head]` selects it up to its `from` (string literals joined with `+`),
/// `$tail` is the rest.
macro_rules! with_awaiting {
    ([$($head:tt)+], $tail:literal, $($arg:expr),+) => {
        sqlx::query!(
            $($head)+ + r#"
            left join lateral (
                select json_agg(x order by x.closes_at) as lines
                from (select p.slug, p.name as partnership_name, d.id, d.number, d.title, d.stage, d.closes_at, d.confidential
                      from decision d
                      join partnership p on p.id = d.partnership_id
                      join decision_voter v on v.partnership_id = d.partnership_id and v.decision_id = d.id
                      join membership m on m.partnership_id = d.partnership_id and m.user_id = $2 and m.organisation_id = v.organisation_id
                           and m.is_current
                      where d.partnership_id = $1 and d.outcome is null and d.closes_at > now()
                        and not exists (select 1 from decision_response r where r.partnership_id = d.partnership_id and r.decision_id = d.id
                                        and r.stage = d.stage and r.organisation_id = v.organisation_id)
                        and may_speak_for(m.partnership_id, m.id, v.organisation_id, d.id)) x) awaiting on true
            "# + $tail,
            $($arg),+
        )
    };
}
pub(crate) use with_awaiting;

/// What the register's filters may ask for: decided (the default), open, an outcome, or any.
pub const REGISTER_STATES: [(&str, &str); 9] = [
    ("", "Decided"),
    ("open", "Open"),
    ("carried", "Carried"),
    ("carried_consensus", "Carried by consensus"),
    ("carried_majority", "Carried by majority vote"),
    ("not_carried", "Not carried"),
    ("no_quorum", "No quorum"),
    ("withdrawn", "Withdrawn"),
    ("all", "Any status"),
];

/// The columns the register sorts by.
pub const REGISTER_COLUMNS: [Column; 5] = [
    Column { key: "number", heading: "Decision" },
    Column { key: "title", heading: "Title" },
    Column { key: "group", heading: "Taken by" },
    Column { key: "decided", heading: "Decided" },
    Column { key: "status", heading: "Status" },
];

/// The register's address: `?q=…&group=…&status=carried&year=2025` and the list's sort and page.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct RegisterQuery {
    #[serde(flatten)]
    list: ListQuery,
    #[serde(default)]
    group: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    year: String,
}

/// The register as asked for, the decisions open now (soonest to close first)
/// and those waiting for this person's response: one statement.
struct RegisterRead {
    lines: Vec<RegisterLine>,
    /// How many the view holds, counted up to the view's bound and one more.
    counted: i64,
    open: Vec<RegisterLine>,
    awaiting: Vec<Awaiting>,
    groups: Vec<(String, String)>,
}

/// The register's statement: `$matching` follows the partnership's filter in
/// the decisions' `where`, `$order` is the page's order. `$1` is the
/// partnership, `$2` the person, `$3` and `$4` the page's limit and offset,
/// `$5` whether it is a download (no open decisions nor groups), `$6` the
/// count's limit; the filters follow.
macro_rules! register_read {
    ($tx:expr, $matching:literal, $order:literal, $($arg:expr),+) => {{
        let row = with_awaiting!(
            ["with matching as not materialized (select d.* from decision d where d.partnership_id = $1 and " + $matching + r#")
               select coalesce(awaiting.lines, '[]') as "awaiting!: Json<Vec<Awaiting>>",
                      coalesce((select json_agg(o order by o.closes_at)
                                from (select d.id, d.number, d.title, g.name as group_name, d.confidential, d.stage, d.closes_at, d.outcome, d.outcome_at
                                      from decision d join partnership_group g on g.partnership_id = d.partnership_id and g.id = d.group_id
                                      where d.partnership_id = $1 and d.outcome is null and not $5) o), '[]') as "open!: Json<Vec<RegisterLine>>",
                      -- The page: numbered in the order asked for, and only as far as the page (the numbering stops there, so
                      -- in the register's own order it is read from the index by number, not every decision sorted).
                      -- The group's name is joined to the page's lines alone (a sort by it looks it up).
                      coalesce((select json_agg(x order by x.position) from (
                         select d.id, d.number, d.title, g.name as group_name, d.confidential, d.stage, d.closes_at, d.outcome, d.outcome_at,
                                d.position
                         from (select d.*, row_number() over (order by "# + $order + r#") as position from matching d) d
                         join partnership_group g on g.partnership_id = d.partnership_id and g.id = d.group_id
                         where d.position <= $3::bigint + $4::bigint and d.position > $4::bigint) x), '[]') as "lines!: Json<Vec<RegisterLine>>",
                      -- How many the view holds, counted no further than the view's bound (`View::count_to`).
                      (select count(*) from (select 1 from matching limit $6) c) as "counted!",
                      coalesce((select json_agg(json_build_array(g.id, g.name) order by g.retired_on is not null, g.sort_order, g.name)
                                from partnership_group g where g.partnership_id = $1 and not $5), '[]') as "groups!: Json<Vec<(Uuid, String)>>"
               from (select) one"#],
            "",
            $($arg),+
        )
        .fetch_one(&mut **$tx)
        .await?;
        RegisterRead {
            lines: row.lines.0,
            counted: row.counted,
            open: row.open.0,
            awaiting: row.awaiting.0,
            groups: row.groups.0.into_iter().map(|(id, name)| (id.to_string(), name)).collect(),
        }
    }};
}

/// The register as asked for. As it opens, its statement has nothing optional
/// in it, so its plan is kept (see `listing::generic_plans`); any other view is
/// one statement with every filter optional, planned for its values.
async fn read_register(tx: &mut Tx, member: &Member, query: &RegisterQuery, view: &View, whole: bool) -> sqlx::Result<RegisterRead> {
    let reach = view.reach(whole);
    let (partnership, person, limit, offset, count_limit) =
        (member.partnership.id, member.user.id, reach.limit, reach.offset, reach.count_limit());
    if view.as_it_opens() {
        return Ok(register_read!(tx, "d.outcome is not null", "d.number desc", partnership, person, limit, offset, whole, count_limit));
    }
    let status = if REGISTER_STATES.iter().any(|(code, _)| *code == query.status) { query.status.as_str() } else { "" };
    let group = query.group.parse::<Uuid>().ok();
    let (from, before) = year_span(&query.year);
    let number = view.search.trim_start_matches(['D', 'd']).parse::<i32>().ok();
    Ok(register_read!(
        tx,
        r#"($7 = '' or d.title ilike $7 or d.number = $8)
           and ($9::uuid is null or d.group_id = $9)
           and case $10::text
                 when '' then d.outcome is not null
                 when 'open' then d.outcome is null
                 when 'carried' then d.outcome in ('carried_consensus', 'carried_majority')
                 when 'all' then true
                 else d.outcome = $10 end
           and ($11::timestamptz is null or coalesce(d.outcome_at, d.closes_at) >= $11)
           and ($12::timestamptz is null or coalesce(d.outcome_at, d.closes_at) < $12)"#,
        r#"case when $13 = 'title' and not $14 then d.title end,
           case when $13 = 'title' and $14 then d.title end desc,
           case when $13 = 'group' and not $14 then (select g.name from partnership_group g where g.partnership_id = d.partnership_id and g.id = d.group_id) end,
           case when $13 = 'group' and $14 then (select g.name from partnership_group g where g.partnership_id = d.partnership_id and g.id = d.group_id) end desc,
           case when $13 = 'decided' and not $14 then coalesce(d.outcome_at, d.closes_at) end,
           case when $13 = 'decided' and $14 then coalesce(d.outcome_at, d.closes_at) end desc,
           case when $13 = 'status' and not $14 then coalesce(d.outcome, d.stage) end,
           case when $13 = 'status' and $14 then coalesce(d.outcome, d.stage) end desc,
           case when $13 = 'number' and not $14 then d.number end,
           d.number desc"#,
        partnership,
        person,
        limit,
        offset,
        whole,
        count_limit,
        view.pattern(),
        number,
        group,
        status,
        from.map(crate::calendar::uk_midnight),
        before.map(crate::calendar::uk_midnight),
        view.sort,
        view.descending
    ))
}

fn register_view(member: &Member, query: &RegisterQuery) -> View {
    let status = if REGISTER_STATES.iter().any(|(code, _)| *code == query.status) { query.status.as_str() } else { "" };
    let year = if year_span(&query.year).0.is_some() { query.year.as_str() } else { "" };
    View::new(
        format!("/p/{}/decisions", member.partnership.slug),
        ("decision", "decisions"),
        &query.list,
        &REGISTER_COLUMNS,
        &["number", "decided"],
    )
    .filter("group", query.group.parse::<Uuid>().map(|g| g.to_string()).unwrap_or_default())
    .filter("status", status)
    .filter("year", year)
    .when_empty(if status.is_empty() { "No decisions taken yet." } else { "No decisions yet." })
}

/// The view asked for, with any decision past its deadline closed first (so the register never shows it open).
async fn read_settled(tx: &mut Tx, member: &Member, query: &RegisterQuery, view: &View, whole: bool) -> Result<RegisterRead> {
    let read = read_register(tx, member, query, view, whole).await?;
    let past_deadline = |lines: &[RegisterLine]| lines.iter().any(|d| d.outcome.is_none() && d.closes_at <= Utc::now());
    if past_deadline(&read.open) || past_deadline(&read.lines) {
        settle_due(tx, member.partnership.id).await?;
        return Ok(read_register(tx, member, query, view, whole).await?);
    }
    Ok(read)
}

#[derive(Template, WebTemplate)]
#[template(path = "decisions/register.html")]
pub(crate) struct RegisterPage {
    pub(super) layout: Layout,
    pub(super) member: Member,
    pub(super) open: Vec<RegisterLine>,
    pub(super) lines: Vec<RegisterLine>,
    pub(super) view: View,
    pub(super) can_raise: bool,
    pub(super) awaiting: Vec<Awaiting>,
    pub(super) groups: Vec<(String, String)>,
    pub(super) group: String,
    pub(super) status: String,
    pub(super) states: [(&'static str, &'static str); 9],
    pub(super) year: String,
    pub(super) years: Vec<(String, String)>,
}

pub(crate) async fn register(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Query(query): Query<RegisterQuery>,
) -> Result<RegisterPage> {
    let view = register_view(&member, &query);
    let mut tx = member.begin(&state).await?;
    plans(&mut tx, view.as_it_opens()).await?;
    let read = read_settled(&mut tx, &member, &query, &view, false).await?;
    tx.commit().await?;
    let view = view.counted_up_to(read.counted, read.lines.len());
    Ok(RegisterPage {
        layout: member.layout(&session, "decisions").await?,
        can_raise: super::raise::may_raise_any(&member),
        member,
        open: read.open,
        lines: read.lines,
        view,
        awaiting: read.awaiting,
        groups: read.groups,
        group: query.group,
        status: query.status,
        states: REGISTER_STATES,
        year: query.year,
        years: year_choices(),
    })
}

/// The view as CSV: every decision it holds, not only the page shown.
pub(crate) async fn export(State(state): State<AppState>, member: Member, Query(query): Query<RegisterQuery>) -> Result<Response> {
    let view = register_view(&member, &query);
    let mut tx = member.begin(&state).await?;
    custom_plans(&mut tx).await?;
    let read = read_settled(&mut tx, &member, &query, &view, true).await?;
    tx.commit().await?;
    let rows = read.lines.into_iter().map(|d| {
        vec![
            format!("D{}", d.number),
            d.title.clone(),
            d.group_name.clone(),
            if d.confidential { "Yes" } else { "No" }.to_owned(),
            d.status_label().to_owned(),
            d.closes_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            d.outcome_at.map(|at| crate::calendar::uk_date(at).to_string()).unwrap_or_default(),
            d.id.to_string(),
        ]
    });
    let filename = format!("{}-decisions-{}.csv", member.partnership.slug, crate::calendar::today());
    Ok(csv_download(&filename, &["Decision", "Title", "Taken by", "Confidential", "Status", "Closes", "Decided", "Reference"], rows))
}
