//! Actions: what was agreed, who owns it, by when, and how it stands. They
//! come from minutes, from scrutiny recommendations and from reviews.
//! Every update is kept with its evidence; overdue is worked out from the due
//! date, never stored; completion is confirmed by whoever set the action; an
//! overdue action is escalated to the delegated partners once.

pub mod action;
pub mod tracker;

use chrono::NaiveDate;
use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::audit::Change;
use crate::calendar::{long_date, today};
use crate::error::Result;
use crate::roles::Role;
use crate::tenant::{Member, change};
use crate::web::listing::{Column, Reach};

/// How an action stands, as people read it.
pub const STATES: [&str; 6] = ["Not started", "On track", "At risk", "Overdue", "Complete, awaiting confirmation", "Complete"];

/// How an action stands, as its owner sets it. Stored as text:
/// `not_started`, `on_track`, `at_risk`, `complete`. Overdue is never stored:
/// it is worked out from the due date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::Type, serde::Serialize, serde::Deserialize)]
#[sqlx(type_name = "text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Status {
    NotStarted,
    OnTrack,
    AtRisk,
    Complete,
}

impl Status {
    pub const ALL: [Status; 4] = [Status::NotStarted, Status::OnTrack, Status::AtRisk, Status::Complete];

    pub fn code(self) -> &'static str {
        match self {
            Status::NotStarted => "not_started",
            Status::OnTrack => "on_track",
            Status::AtRisk => "at_risk",
            Status::Complete => "complete",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Status::NotStarted => "Not started",
            Status::OnTrack => "On track",
            Status::AtRisk => "At risk",
            Status::Complete => "Complete",
        }
    }
    /// A status from a form: one of the codes, or nothing.
    pub fn parse(code: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.code() == code)
    }
    /// (code, label) for a select.
    pub fn options() -> [(&'static str, &'static str); 4] {
        Status::ALL.map(|s| (s.code(), s.label()))
    }
}

/// The state of an action from its stored status, whether it is past due and whether completion was confirmed.
pub fn state_label(status: Status, overdue: bool, confirmed: bool) -> &'static str {
    match (status, overdue, confirmed) {
        (Status::Complete, _, true) => STATES[5],
        (Status::Complete, _, false) => STATES[4],
        (_, true, _) => STATES[3],
        (Status::OnTrack, ..) => STATES[1],
        (Status::AtRisk, ..) => STATES[2],
        (Status::NotStarted, ..) => STATES[0],
    }
}

#[derive(Clone, Debug, serde::Deserialize)]
pub struct Action {
    pub id: Uuid,
    pub description: String,
    pub owner_membership_id: Option<Uuid>,
    pub owner_name: String,
    pub due_on: NaiveDate,
    pub status: Status,
    pub group_name: Option<String>,
    pub meeting_id: Option<Uuid>,
    pub recommendation_lineage_id: Option<Uuid>,
    pub completion_confirmed: bool,
}

impl Action {
    pub fn due(&self) -> String {
        long_date(self.due_on)
    }
    pub fn is_overdue(&self) -> bool {
        self.status != Status::Complete && self.due_on < today()
    }
    pub fn status_label(&self) -> &'static str {
        self.status.label()
    }
    pub fn owned_by(&self, membership: &Uuid) -> bool {
        self.owner_membership_id.as_ref() == Some(membership)
    }
    /// Not started, on track, at risk, overdue, awaiting confirmation, complete.
    pub fn state(&self) -> &'static str {
        state_label(self.status, self.is_overdue(), self.completion_confirmed)
    }
}

/// Which actions to list: each is its own statement, planned for what it
/// asks (one statement with every filter optional gets a generic plan that
/// reads all of a partnership's actions to find one person's few).
#[derive(Clone, Copy, Debug)]
pub enum Actions {
    /// One group's open actions.
    OfGroup(Uuid),
    /// Open actions due before this day (overdue, when it is today), the most overdue first, at most [`OVERDUE_SHOWN`].
    DueBefore(NaiveDate),
    /// Every action set in answer to one scrutiny recommendation, done or not.
    ForRecommendation(Uuid),
    /// Every action set from one review, done or not.
    ForReview(Uuid),
    /// Every control or mitigating action of one risk, done or not.
    ForRisk(Uuid),
    /// Every improvement action of one self-assessment return, done or not.
    ForReturn(Uuid),
    /// Every improvement action of a self-assessment round's returns, done or not (those the reader may see).
    ForRound(Uuid),
    /// Every action from one multi-agency case audit, done or not.
    ForCaseAudit(Uuid),
    /// Every action taken on what an engagement activity heard, done or not.
    ForEngagement(Uuid),
}

/// How many overdue actions a page lists; the action tracker has them all.
pub const OVERDUE_SHOWN: i64 = 20;

/// The same columns and order for every list; `$where` follows the partnership's filter, `$limit` the order.
macro_rules! action_lines {
    ($conn:expr, $where:literal, $limit:literal, $($arg:expr),+) => {
        sqlx::query_as!(
            Action,
            r#"select a.id, a.description, a.owner_membership_id, a.owner_name, a.due_on as "due_on: NaiveDate", a.status as "status: Status",
                      g.name as "group_name?", a.meeting_id, a.recommendation_lineage_id, a.completion_confirmed as "completion_confirmed!"
               from action_point a left join partnership_group g on g.partnership_id = a.partnership_id and g.id = a.group_id
               where a.partnership_id = $1 and "# + $where + " order by a.due_on, a.created_at " + $limit,
            $($arg),+
        )
        .fetch_all($conn)
        .await
    };
}

/// The actions asked for, in due order; one statement.
pub async fn list(conn: &mut PgConnection, partnership_id: Uuid, which: Actions) -> sqlx::Result<Vec<Action>> {
    match which {
        Actions::OfGroup(group) => action_lines!(conn, "a.status <> 'complete' and a.group_id = $2", "", partnership_id, group),
        Actions::DueBefore(day) => {
            action_lines!(conn, "a.status <> 'complete' and a.due_on < $2", "limit $3", partnership_id, day as _, OVERDUE_SHOWN)
        }
        Actions::ForRecommendation(lineage) => action_lines!(conn, "a.recommendation_lineage_id = $2", "", partnership_id, lineage),
        Actions::ForReview(review) => action_lines!(conn, "a.review_id = $2", "", partnership_id, review),
        Actions::ForRisk(risk) => action_lines!(conn, "a.risk_id = $2", "", partnership_id, risk),
        Actions::ForCaseAudit(audit) => action_lines!(conn, "a.case_audit_id = $2", "", partnership_id, audit),
        Actions::ForEngagement(heard) => action_lines!(conn, "a.engagement_id = $2", "", partnership_id, heard),
        Actions::ForReturn(submitted) => action_lines!(conn, "a.round_return_id = $2", "", partnership_id, submitted),
        Actions::ForRound(round) => action_lines!(
            conn,
            "a.round_return_id in (select r.id from round_return r where r.partnership_id = $1 and r.round_id = $2)",
            "",
            partnership_id,
            round
        ),
    }
}

/// What the tracker's filters may ask for, beside open (the default) and any status.
pub const TRACKER_STATES: [(&str, &str); 8] = [
    ("", "Open"),
    ("overdue", "Overdue"),
    ("not_started", "Not started"),
    ("on_track", "On track"),
    ("at_risk", "At risk"),
    ("awaiting", "Complete, awaiting confirmation"),
    ("complete", "Complete"),
    ("all", "Any status"),
];

/// The columns the tracker sorts by.
pub const TRACKER_COLUMNS: [Column; 5] = [
    Column { key: "due", heading: "Due" },
    Column { key: "action", heading: "Action" },
    Column { key: "owner", heading: "Owner" },
    Column { key: "status", heading: "Status" },
    Column { key: "group", heading: "Group" },
];

/// A view of the tracker: every filter may be empty (no filter).
#[derive(Debug)]
pub struct Tracked<'a> {
    /// A `like` pattern for the action or its owner (see `web::listing::like_pattern`), or "".
    pub pattern: &'a str,
    pub group: Option<Uuid>,
    pub owner: Option<Uuid>,
    /// One of the codes of [`TRACKER_STATES`].
    pub state: &'a str,
    /// Due in this span (a financial year).
    pub due_from: Option<NaiveDate>,
    pub due_before: Option<NaiveDate>,
    pub sort: &'a str,
    pub descending: bool,
    /// The page, or every action for a download, and how far to count.
    pub reach: Reach,
    /// The list as it opens (`View::as_it_opens`): read by a statement of its own.
    pub as_it_opens: bool,
}

/// One page of the tracker and how many actions the view holds, counted up to
/// its bound and one more (none past its end); one statement. `$matching`
/// follows the partnership's filter in the actions' `where`, `$order` is the
/// page's order; `$1` is the partnership, `$2` the count's limit, `$3` and `$4`
/// the page's limit and offset, and the filters follow. The groups are joined
/// (a partnership's few groups, read once into a hash), not looked up for each
/// line: a download reads every action of ten years.
macro_rules! tracker_page {
    ($conn:expr, $matching:literal, $order:literal, $($arg:expr),+) => {{
        let rows = sqlx::query!(
            "with matching as not materialized (select a.* from action_point a where a.partnership_id = $1 and " + $matching + r#")
             select a.id, a.description, a.owner_membership_id, a.owner_name, a.due_on as "due_on: NaiveDate", a.status as "status: Status",
                    g.name as "group_name?",
                    a.meeting_id, a.recommendation_lineage_id, a.completion_confirmed as "completion_confirmed!",
                    (select count(*) from (select 1 from matching limit $2) c) as "total!"
             from matching a left join partnership_group g on g.partnership_id = a.partnership_id and g.id = a.group_id
             order by "# + $order + " limit $3 offset $4",
            $($arg),+
        )
        .fetch_all($conn)
        .await?;
        let total = rows.first().map(|r| r.total);
        let actions = rows
            .into_iter()
            .map(|r| Action {
                id: r.id,
                description: r.description,
                owner_membership_id: r.owner_membership_id,
                owner_name: r.owner_name,
                due_on: r.due_on,
                status: r.status,
                group_name: r.group_name,
                meeting_id: r.meeting_id,
                recommendation_lineage_id: r.recommendation_lineage_id,
                completion_confirmed: r.completion_confirmed,
            })
            .collect::<Vec<Action>>();
        (actions, total)
    }};
}

/// One page of the tracker and how many actions the view holds, counted up to its bound and one more (none past
/// its end); one statement. The tracker as it opens has statements of its own, with nothing optional in them, so
/// their plans are kept (see `web::listing::generic_plans`); any other view is one statement with every filter
/// optional, to be planned for its values (`web::listing::custom_plans`).
pub async fn tracked(conn: &mut PgConnection, partnership_id: Uuid, view: &Tracked<'_>) -> sqlx::Result<(Vec<Action>, Option<i64>)> {
    let Reach { limit, offset, .. } = view.reach;
    let count_limit = view.reach.count_limit();
    if view.as_it_opens {
        return Ok(match view.owner {
            None => {
                tracker_page!(conn, "a.status <> 'complete'", "a.due_on, a.created_at, a.id", partnership_id, count_limit, limit, offset)
            }
            Some(owner) => tracker_page!(
                conn,
                "a.status <> 'complete' and a.owner_membership_id = $5",
                "a.due_on, a.created_at, a.id",
                partnership_id,
                count_limit,
                limit,
                offset,
                owner
            ),
        });
    }
    Ok(tracker_page!(
        conn,
        r#"($5 = '' or a.description ilike $5 or a.owner_name ilike $5)
           and ($6::uuid is null or a.group_id = $6)
           and ($7::uuid is null or a.owner_membership_id = $7)
           and case $8::text
                 when '' then a.status <> 'complete'
                 when 'overdue' then a.status <> 'complete' and a.due_on < $9
                 when 'awaiting' then a.status = 'complete' and not a.completion_confirmed
                 when 'complete' then a.status = 'complete' and a.completion_confirmed
                 when 'all' then true
                 else a.status = $8 and a.due_on >= $9 end
           and ($10::date is null or a.due_on >= $10)
           and ($11::date is null or a.due_on < $11)"#,
        r#"case when $12 = 'action' and not $13 then a.description end,
           case when $12 = 'action' and $13 then a.description end desc,
           case when $12 = 'owner' and not $13 then a.owner_name end,
           case when $12 = 'owner' and $13 then a.owner_name end desc,
           case when $12 = 'group' and not $13 then g.name end,
           case when $12 = 'group' and $13 then g.name end desc,
           case when $12 = 'status' then
             (case when a.status = 'complete' then (case when a.completion_confirmed then 5 else 4 end)
                   when a.due_on < $9 then 3 when a.status = 'at_risk' then 2 when a.status = 'on_track' then 1 else 0 end)
             * (case when $13 then -1 else 1 end) end,
           case when $13 then a.due_on end desc,
           a.due_on, a.created_at, a.id"#,
        partnership_id,
        count_limit,
        limit,
        offset,
        view.pattern,
        view.group,
        view.owner,
        view.state,
        today() as _,
        view.due_from as _,
        view.due_before as _,
        view.sort,
        view.descending
    ))
}

/// How many actions stand at one status, overdue or not, confirmed or not:
/// a row of a `group by status, due_on < current_date, completion_confirmed`
/// over `action_point`, read by the page that counts them.
#[derive(Debug, serde::Deserialize)]
pub struct StateCount {
    pub status: Status,
    pub overdue: bool,
    pub confirmed: bool,
    pub n: i64,
}

/// The counts in each state ([`STATES`]), in their order.
pub fn tally(groups: &[StateCount]) -> Vec<(&'static str, i64)> {
    STATES
        .iter()
        .map(|label| {
            let n = groups.iter().filter(|g| state_label(g.status, g.overdue, g.confirmed) == *label).map(|g| g.n).sum();
            (*label, n)
        })
        .collect()
}

/// A new action and where it came from.
#[derive(Clone, Debug)]
pub struct NewAction {
    pub description: String,
    pub owner_membership_id: Uuid,
    pub owner_name: String,
    pub due_on: NaiveDate,
    pub group_id: Option<Uuid>,
    /// Set in the minutes of this meeting (and this section of them).
    pub meeting_id: Option<Uuid>,
    pub minute_section_id: Option<Uuid>,
    /// Set in answer to this scrutiny recommendation (across its versions).
    pub recommendation_lineage_id: Option<Uuid>,
    /// Set from this review's recommendations or its rapid review's learning.
    pub review_id: Option<Uuid>,
    /// Set for this one recommendation or finding of the review.
    pub review_finding_id: Option<Uuid>,
    /// A mitigating action of this risk on the register.
    pub risk_id: Option<Uuid>,
    /// An improvement action of this organisation's self-assessment return.
    pub round_return_id: Option<Uuid>,
    /// An action from this multi-agency case audit's learning.
    pub case_audit_id: Option<Uuid>,
    /// An action on what this engagement activity heard.
    pub engagement_id: Option<Uuid>,
}

impl NewAction {
    /// An action of no origin yet (the caller names it: `NewAction { risk_id: Some(id), ..NewAction::new(…) }`).
    pub fn new(checked: (String, Uuid, String, NaiveDate), group_id: Option<Uuid>) -> NewAction {
        let (description, owner_membership_id, owner_name, due_on) = checked;
        NewAction {
            description,
            owner_membership_id,
            owner_name,
            due_on,
            group_id,
            meeting_id: None,
            minute_section_id: None,
            recommendation_lineage_id: None,
            review_id: None,
            review_finding_id: None,
            risk_id: None,
            round_return_id: None,
            case_audit_id: None,
            engagement_id: None,
        }
    }
}

/// The form that sets an action on a record's page (risks, returns, audits): what, who, by when.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct ActionForm {
    #[serde(default)]
    pub action_description: String,
    #[serde(default)]
    pub action_owner: String,
    #[serde(default)]
    pub action_due_day: String,
    #[serde(default)]
    pub action_due_month: String,
    #[serde(default)]
    pub action_due_year: String,
}

impl ActionForm {
    /// The form checked as [`parse_new`] does: None with what is wrong said on its fields.
    pub async fn parse(
        &self,
        conn: &mut PgConnection,
        partnership_id: Uuid,
        errors: &mut crate::web::FormErrors,
    ) -> sqlx::Result<Option<(String, Uuid, String, NaiveDate)>> {
        let due = crate::web::DateParts {
            day: self.action_due_day.clone(),
            month: self.action_due_month.clone(),
            year: self.action_due_year.clone(),
        };
        let parsed = parse_new(conn, partnership_id, &self.action_description, &self.action_owner, due, errors).await?;
        Ok(parsed.filter(|_| errors.is_empty()))
    }
}

/// A new action as a form gives it (the fields `action_description`, `action_owner` and
/// `action_due_day`, `_month`, `_year`), checked: what is to be done, its owner (a member of the
/// partnership) and a due date not in the past, as (description, owner's membership, owner's name,
/// due date). What is wrong is said on those fields.
pub async fn parse_new(
    conn: &mut PgConnection,
    partnership_id: Uuid,
    description: &str,
    owner: &str,
    due: crate::web::DateParts,
    errors: &mut crate::web::FormErrors,
) -> sqlx::Result<Option<(String, Uuid, String, NaiveDate)>> {
    let description = errors.check("action_description", crate::web::required_text(description, "action", 2000));
    let owner = match Uuid::parse_str(owner) {
        Ok(id) => crate::people::find(conn, partnership_id, id).await?,
        Err(_) => None,
    };
    if owner.is_none() {
        errors.add("action_owner", "Choose who owns the action");
    }
    let due = errors.check("action_due_day", due.parse("Due date", true)).flatten();
    if due.is_some_and(|d| d < today()) {
        errors.add("action_due_day", "Due date must be today or in the future");
    }
    Ok(match (description, owner, due) {
        (Some(d), Some(o), Some(due)) => Some((d, o.membership_id, o.display_name, due)),
        _ => None,
    })
}

/// Set an action: the one writer of new actions, whatever they come from.
/// The same action from the same origin twice (a double click, two tabs) is
/// one action: the origin is locked for the transaction, then the insert
/// skips an identical row. Audited. Answers the new action's id, or None for
/// a repeat.
pub async fn set(conn: &mut PgConnection, member: &Member, address: &str, action: &NewAction) -> Result<Option<Uuid>> {
    let pid = member.partnership.id;
    let origin = format!(
        "action:{pid}:{:?}:{:?}:{:?}:{:?}:{:?}:{:?}:{:?}",
        action.meeting_id,
        action.recommendation_lineage_id,
        action.review_id,
        action.risk_id,
        action.round_return_id,
        action.case_audit_id,
        action.engagement_id
    );
    sqlx::query!("select pg_advisory_xact_lock(hashtextextended($1, 0))", origin).execute(&mut *conn).await?;
    let id = Uuid::new_v4();
    let inserted = sqlx::query!(
        "insert into action_point (partnership_id, id, description, owner_membership_id, owner_name, due_on, group_id,
                                   meeting_id, minute_section_id, recommendation_lineage_id, review_id, review_finding_id, risk_id, round_return_id, case_audit_id, engagement_id, set_by)
         select $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $12, $13, $14, $15, $16, $17, $11
         where not exists (select 1 from action_point where partnership_id = $1 and description = $3 and owner_membership_id = $4
                           and due_on = $6 and meeting_id is not distinct from $8 and minute_section_id is not distinct from $9
                           and recommendation_lineage_id is not distinct from $10 and review_id is not distinct from $12
                           and review_finding_id is not distinct from $13 and risk_id is not distinct from $14
                           and round_return_id is not distinct from $15 and case_audit_id is not distinct from $16
                           and engagement_id is not distinct from $17)",
        pid,
        id,
        action.description,
        action.owner_membership_id,
        action.owner_name,
        action.due_on as _,
        action.group_id,
        action.meeting_id,
        action.minute_section_id,
        action.recommendation_lineage_id,
        member.user.id,
        action.review_id,
        action.review_finding_id,
        action.risk_id,
        action.round_return_id,
        action.case_audit_id,
        action.engagement_id
    )
    .execute(&mut *conn)
    .await?;
    if inserted.rows_affected() == 0 {
        return Ok(None);
    }
    change(member, "action.set", "action", id, address)
        .after(json!({
            "description": action.description, "owner": action.owner_name, "owner_membership_id": action.owner_membership_id,
            "due_on": action.due_on, "meeting_id": action.meeting_id, "recommendation_lineage_id": action.recommendation_lineage_id,
            "review_id": action.review_id, "review_finding_id": action.review_finding_id, "risk_id": action.risk_id,
            "round_return_id": action.round_return_id, "case_audit_id": action.case_audit_id, "engagement_id": action.engagement_id
        }))
        .record(conn)
        .await?;
    Ok(Some(id))
}

/// Tell the delegated partners (and business managers) once about each action
/// that has gone past its due date, partnership by partnership.
pub async fn escalate_overdue(pool: &sqlx::PgPool, today: NaiveDate) -> sqlx::Result<usize> {
    let mut escalated = 0;
    let partnerships = sqlx::query_scalar!("select id from partnership order by id").fetch_all(pool).await?;
    for partnership_id in partnerships {
        let mut tx = crate::db::begin_system(pool, partnership_id).await?;
        // Actions in draft minutes are not yet anyone's but the business unit's: they wait for circulation.
        let overdue = sqlx::query!(
            r#"update action_point a set escalated_at = now()
               where a.partnership_id = $1 and a.status <> 'complete' and a.due_on < $2 and a.escalated_at is null
                 and (a.meeting_id is null or app_minutes_status(a.partnership_id, a.meeting_id) <> 'draft')
               returning a.id, a.description, a.owner_name, a.due_on as "due_on: NaiveDate",
                         case when a.meeting_id is not null and app_minutes_status(a.partnership_id, a.meeting_id) <> 'published'
                              then (select m.group_id from meeting m where m.partnership_id = a.partnership_id and m.id = a.meeting_id)
                         end as "unpublished_group?""#,
            partnership_id,
            today as _
        )
        .fetch_all(&mut *tx)
        .await?;
        if !overdue.is_empty() {
            let escalated_to = [Role::DelegatedSafeguardingPartner, Role::BusinessManager];
            let partners = crate::people::holding(&mut tx, partnership_id, &escalated_to).await?;
            // Looked up once per group, however many of its actions are overdue.
            let mut readers_of: std::collections::HashMap<Uuid, Vec<crate::people::Recipient>> = std::collections::HashMap::new();
            for a in &overdue {
                Change::new("action.escalated", "action")
                    .in_partnership(partnership_id)
                    .subject(a.id)
                    .after(json!({ "due_on": a.due_on }))
                    .record(&mut tx)
                    .await?;
                // An action from a group's unpublished minutes is for those who may read them: the business unit and the group's chair.
                let people = match a.unpublished_group {
                    None => &partners,
                    Some(group) => {
                        if let std::collections::hash_map::Entry::Vacant(readers) = readers_of.entry(group) {
                            let roles = [Role::BusinessManager];
                            let audience =
                                crate::people::Audience { roles: &roles, group: Some(group), roles_in_group: &["chair", "vice_chair"] };
                            readers.insert(crate::people::audience(&mut tx, partnership_id, audience).await?);
                        }
                        &readers_of[&group]
                    }
                };
                for p in people {
                    let body = format!(
                        "This action was due on {} and is not complete:\n\n{}\n\nOwner: {}\n\nIt now shows among the overdue actions on the scrutiny page.\n",
                        long_date(a.due_on),
                        a.description,
                        a.owner_name
                    );
                    crate::outbox::enqueue(
                        &mut tx,
                        Some(partnership_id),
                        &p.email,
                        &p.display_name,
                        "An action is overdue",
                        &body,
                        &format!("action-overdue:{}:{}", a.id, p.user_id),
                    )
                    .await?;
                }
            }
            escalated += overdue.len();
        }
        tx.commit().await?;
    }
    Ok(escalated)
}
