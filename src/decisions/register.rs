//! The decision register: every decision with its outcome (confidential ones
//! to members only), a page at a time, and the decisions awaiting a person's response.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use tower_sessions::Session;
use uuid::Uuid;

use super::{Outcome, Stage};

use super::{settle, uk_moment};
use crate::db::Tx;
use crate::error::Result;
use crate::tenant::Member;
use crate::web::paging::{PAGE_SIZE, PageQuery, Paged};
use crate::web::{AppState, Layout, Query};

/// A line of the register.
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

/// The decisions still open (a handful at any time), soonest to close first.
pub async fn open_lines(tx: &mut Tx, partnership_id: Uuid) -> sqlx::Result<Vec<RegisterLine>> {
    sqlx::query_as!(
        RegisterLine,
        r#"select d.id, d.number, d.title, g.name as group_name, d.confidential, d.stage as "stage: Stage",
                  d.closes_at as "closes_at: DateTime<Utc>", d.outcome as "outcome: Outcome", d.outcome_at as "outcome_at: DateTime<Utc>"
           from decision d join partnership_group g on g.partnership_id = d.partnership_id and g.id = d.group_id
           where d.partnership_id = $1 and d.outcome is null
           order by d.closes_at"#,
        partnership_id,
    )
    .fetch_all(&mut **tx)
    .await
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

#[derive(Template, WebTemplate)]
#[template(path = "decisions/register.html")]
pub(crate) struct RegisterPage {
    pub(super) layout: Layout,
    pub(super) member: Member,
    pub(super) open: Vec<RegisterLine>,
    pub(super) decided: Paged<RegisterLine>,
    pub(super) can_raise: bool,
    pub(super) awaiting: Vec<Awaiting>,
}

pub(crate) async fn register(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Query(page): Query<PageQuery>,
) -> Result<RegisterPage> {
    let mut tx = member.begin(&state).await?;
    let mut open = open_lines(&mut tx, member.partnership.id).await?;
    // Any past its deadline that the sweep has not yet closed are closed now, so the register never shows them open.
    if open.iter().any(|d| d.closes_at <= Utc::now()) {
        settle_due(&mut tx, member.partnership.id).await?;
        open = open_lines(&mut tx, member.partnership.id).await?;
    }
    let decided = decided_page(&mut tx, member.partnership.id, Readers::Members, &page).await?;
    let can_raise = super::raise::may_raise_any(&member);
    let awaiting = awaiting_in(&mut tx, member.partnership.id, member.user.id).await?;
    tx.commit().await?;
    Ok(RegisterPage { layout: member.layout(&session, "decisions").await?, member, open, decided, can_raise, awaiting })
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
/// `$head` selects it up to its `from`, `$tail` is the rest.
macro_rules! with_awaiting {
    ($head:literal, $tail:literal, $($arg:expr),+) => {
        sqlx::query!(
            $head + r#"
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

/// What waits for this person's response in one partnership.
pub async fn awaiting_in(tx: &mut Tx, partnership_id: Uuid, user_id: Uuid) -> sqlx::Result<Vec<Awaiting>> {
    let row = with_awaiting!(
        r#"select coalesce(awaiting.lines, '[]') as "lines!: Json<Vec<Awaiting>>" from (select) one"#,
        "",
        partnership_id,
        user_id
    )
    .fetch_one(&mut **tx)
    .await?;
    Ok(row.lines.0)
}
