//! Actions: what was agreed, who owns it, by when, and how it stands. They
//! come from minutes and from scrutiny recommendations (and reviews later).
//! Every update is kept with its evidence; overdue is worked out from the due
//! date, never stored; completion is confirmed by whoever set the action; an
//! overdue action is escalated to the delegated partners once.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::json;
use sqlx::PgConnection;
use tower_sessions::Session;
use uuid::Uuid;

use crate::audit::Change;
use crate::calendar::{long_date, today};
use crate::error::{AppError, Result};
use crate::roles::{Capability, Role};
use crate::tenant::{Member, change};
use crate::web::{AppState, ClientAddress, FormErrors, Layout, Submitted, optional_text, redirect_with, set_flash};

/// How an action stands, as people read it.
pub const STATES: [&str; 6] = ["Not started", "On track", "At risk", "Overdue", "Complete, awaiting confirmation", "Complete"];

/// How an action stands, as its owner sets it. Stored as text:
/// `not_started`, `on_track`, `at_risk`, `complete`. Overdue is never stored:
/// it is worked out from the due date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::Type, serde::Serialize)]
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

#[derive(Clone, Debug)]
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

/// Which actions to list.
#[derive(Clone, Copy, Debug, Default)]
pub struct ActionFilter {
    pub owner: Option<Uuid>,
    pub group: Option<Uuid>,
    pub recommendation_lineage: Option<Uuid>,
    /// Only those due before this day (overdue, when it is today).
    pub due_before: Option<NaiveDate>,
    pub include_complete: bool,
}

/// Open actions: all of the partnership's, or one owner's, or one group's.
pub async fn open_actions(
    conn: &mut PgConnection,
    partnership_id: Uuid,
    owner: Option<Uuid>,
    group: Option<Uuid>,
) -> sqlx::Result<Vec<Action>> {
    list(conn, partnership_id, ActionFilter { owner, group, ..ActionFilter::default() }).await
}

/// The actions the filter asks for, in due order; one query.
pub async fn list(conn: &mut PgConnection, partnership_id: Uuid, filter: ActionFilter) -> sqlx::Result<Vec<Action>> {
    sqlx::query_as!(
        Action,
        r#"select a.id, a.description, a.owner_membership_id, a.owner_name, a.due_on as "due_on: NaiveDate", a.status as "status: Status",
                  g.name as "group_name?", a.meeting_id, a.recommendation_lineage_id, a.completion_confirmed as "completion_confirmed!"
           from action_point a left join partnership_group g on g.partnership_id = a.partnership_id and g.id = a.group_id
           where a.partnership_id = $1 and ($5 or a.status <> 'complete')
             and ($2::uuid is null or a.owner_membership_id = $2) and ($3::uuid is null or a.group_id = $3)
             and ($4::uuid is null or a.recommendation_lineage_id = $4) and ($6::date is null or a.due_on < $6)
           order by a.due_on, a.created_at"#,
        partnership_id,
        filter.owner,
        filter.group,
        filter.recommendation_lineage,
        filter.include_complete,
        filter.due_before as _
    )
    .fetch_all(conn)
    .await
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
}

/// Set an action: the one writer of new actions, whatever they come from.
/// The same action from the same origin twice (a double click, two tabs) is
/// one action: the origin is locked for the transaction, then the insert
/// skips an identical row. Audited. Answers the new action's id, or None for
/// a repeat.
pub async fn set(conn: &mut PgConnection, member: &Member, address: &str, action: &NewAction) -> Result<Option<Uuid>> {
    let pid = member.partnership.id;
    let origin = format!("action:{pid}:{:?}:{:?}", action.meeting_id, action.recommendation_lineage_id);
    sqlx::query!("select pg_advisory_xact_lock(hashtextextended($1, 0))", origin).execute(&mut *conn).await?;
    let id = Uuid::new_v4();
    let inserted = sqlx::query!(
        "insert into action_point (partnership_id, id, description, owner_membership_id, owner_name, due_on, group_id,
                                   meeting_id, minute_section_id, recommendation_lineage_id, set_by)
         select $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11
         where not exists (select 1 from action_point where partnership_id = $1 and description = $3 and owner_membership_id = $4
                           and due_on = $6 and meeting_id is not distinct from $8 and minute_section_id is not distinct from $9
                           and recommendation_lineage_id is not distinct from $10)",
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
        member.user.id
    )
    .execute(&mut *conn)
    .await?;
    if inserted.rows_affected() == 0 {
        return Ok(None);
    }
    change(member, "action.set", "action", id, address)
        .after(json!({
            "description": action.description, "owner": action.owner_name, "owner_membership_id": action.owner_membership_id,
            "due_on": action.due_on, "meeting_id": action.meeting_id, "recommendation_lineage_id": action.recommendation_lineage_id
        }))
        .record(conn)
        .await?;
    Ok(Some(id))
}

#[derive(Template, WebTemplate)]
#[template(path = "actions/index.html")]
pub(crate) struct IndexPage {
    layout: Layout,
    member: Member,
    mine: Vec<Action>,
    others: Vec<Action>,
    can_manage: bool,
    /// Whether this person may update anyone's action from the list (others use each action's page).
    can_update_all: bool,
    statuses: [(&'static str, &'static str); 4],
}

pub(crate) async fn index(State(state): State<AppState>, session: Session, member: Member) -> Result<IndexPage> {
    let can_manage = member.roles.allows(Capability::ViewAllActions);
    let mut tx = member.begin(&state).await?;
    // Business managers, partners and scrutineers follow every action; others their own.
    let all = open_actions(&mut tx, member.partnership.id, (!can_manage).then_some(member.membership_id), None).await?;
    tx.commit().await?;
    let (mine, others) = all.into_iter().partition(|a| a.owner_membership_id == Some(member.membership_id));
    let can_update_all = member.roles.allows(Capability::ManageMeetings) || member.roles.allows(Capability::ManageScrutiny);
    Ok(IndexPage {
        layout: member.layout(&session, "actions").await?,
        member,
        mine,
        others,
        can_manage,
        can_update_all,
        statuses: Status::options(),
    })
}

/// One update to an action, with its evidence.
pub struct Update {
    pub status: Status,
    pub note: String,
    pub evidence: String,
    pub updated_by_name: String,
    pub updated_at: DateTime<Utc>,
}

impl Update {
    pub fn status_label(&self) -> &'static str {
        self.status.label()
    }
    pub fn when(&self) -> String {
        long_date(crate::calendar::uk_date(self.updated_at))
    }
}

/// An action with who set it and where it came from.
pub struct ActionDetail {
    pub id: Uuid,
    pub description: String,
    pub owner_membership_id: Option<Uuid>,
    pub owner_name: String,
    pub due_on: NaiveDate,
    pub status: Status,
    pub set_by: Option<Uuid>,
    pub set_by_name: Option<String>,
    pub completion_confirmed: bool,
    pub confirmed_by_name: Option<String>,
    pub meeting_id: Option<Uuid>,
    pub recommendation_id: Option<Uuid>,
    pub recommendation_body: Option<String>,
}

impl ActionDetail {
    pub fn is_overdue(&self) -> bool {
        self.status != Status::Complete && self.due_on < today()
    }
    pub fn is_complete(&self) -> bool {
        self.status == Status::Complete
    }
    pub fn due(&self) -> String {
        long_date(self.due_on)
    }
    pub fn state(&self) -> &'static str {
        state_label(self.status, self.is_overdue(), self.completion_confirmed)
    }
    pub fn awaiting_confirmation(&self) -> bool {
        self.status == Status::Complete && !self.completion_confirmed
    }
}

async fn find_action(tx: &mut PgConnection, partnership_id: Uuid, raw: &str) -> Result<ActionDetail> {
    let id = crate::web::record_id(raw)?;
    sqlx::query_as!(
        ActionDetail,
        r#"select a.id, a.description, a.owner_membership_id, a.owner_name, a.due_on as "due_on: NaiveDate", a.status as "status: Status", a.set_by,
                  s.display_name as "set_by_name?", a.completion_confirmed as "completion_confirmed!",
                  c.display_name as "confirmed_by_name?", a.meeting_id,
                  (select r.id from scrutiny_recommendation r
                   join scrutiny_report_version v on v.partnership_id = r.partnership_id and v.report_id = r.report_id and v.version = r.version
                   where r.partnership_id = a.partnership_id and r.lineage_id = a.recommendation_lineage_id and v.submitted_at is not null
                   order by r.version desc limit 1) as "recommendation_id?",
                  (select r.body from scrutiny_recommendation r where r.partnership_id = a.partnership_id and r.lineage_id = a.recommendation_lineage_id
                   order by r.version desc limit 1) as "recommendation_body?"
           from action_point a
           left join app_user s on s.id = a.set_by
           left join app_user c on c.id = a.completion_confirmed_by
           where a.partnership_id = $1 and a.id = $2"#,
        partnership_id,
        id
    )
    .fetch_optional(tx)
    .await?
    .ok_or(AppError::NotFound)
}

/// Who may update an action: its owner, whoever set it, and those who run meetings or scrutiny.
fn may_update(member: &Member, action: &ActionDetail) -> bool {
    action.owner_membership_id == Some(member.membership_id)
        || action.set_by == Some(member.user.id)
        || member.roles.allows(Capability::ManageMeetings)
        || member.roles.allows(Capability::ManageScrutiny)
}

/// Who confirms completion: whoever set the action, or a business manager.
fn may_confirm(member: &Member, action: &ActionDetail) -> bool {
    action.set_by == Some(member.user.id) || member.roles.allows(Capability::ManageScrutiny)
}

#[derive(Deserialize, Default, Clone)]
pub(crate) struct StatusForm {
    #[serde(default)]
    status: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    evidence: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "actions/action.html")]
struct ActionPage {
    layout: Layout,
    member: Member,
    action: ActionDetail,
    updates: Vec<Update>,
    can_update: bool,
    can_confirm: bool,
    statuses: [(&'static str, &'static str); 4],
    errors: FormErrors,
    form: StatusForm,
}

async fn render_action(
    state: &AppState,
    session: &Session,
    member: Member,
    raw: &str,
    errors: FormErrors,
    form: Option<StatusForm>,
) -> Result<Response> {
    let mut tx = member.begin(state).await?;
    let action = find_action(&mut tx, member.partnership.id, raw).await?;
    let can_update = may_update(&member, &action);
    // Others read an action only where they may follow every action.
    if !can_update && !member.roles.allows(Capability::ViewAllActions) {
        return Err(AppError::NotFound);
    }
    let updates = sqlx::query_as!(
        Update,
        r#"select u.status as "status: Status", u.note, u.evidence, p.display_name as updated_by_name, u.updated_at as "updated_at: DateTime<Utc>"
           from action_update u join app_user p on p.id = u.updated_by
           where u.partnership_id = $1 and u.action_id = $2 order by u.updated_at desc"#,
        member.partnership.id,
        action.id
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let form = form.unwrap_or_else(|| StatusForm { status: action.status.code().to_owned(), ..StatusForm::default() });
    let page = ActionPage {
        layout: member.layout(session, "actions").await?,
        can_confirm: action.awaiting_confirmation() && may_confirm(&member, &action),
        can_update,
        member,
        action,
        updates,
        statuses: Status::options(),
        errors,
        form,
    };
    Ok((status, page).into_response())
}

pub(crate) async fn action_page(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Path((_, action_id)): Path<(String, String)>,
) -> Result<Response> {
    render_action(&state, &session, member, &action_id, FormErrors::default(), None).await
}

pub(crate) async fn update_status(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, action_id)): Path<(String, String)>,
    Submitted(form): Submitted<StatusForm>,
) -> Result<Response> {
    let mut tx = member.begin(&state).await?;
    // Updates to one action (a double click among them) wait here for each other, then read what the first wrote.
    sqlx::query_scalar!(
        "select id from action_point where partnership_id = $1 and id = $2 for update",
        member.partnership.id,
        crate::web::record_id(&action_id)?
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    let action = find_action(&mut tx, member.partnership.id, &action_id).await?;
    if !may_update(&member, &action) {
        return Err(AppError::Forbidden);
    }
    let mut errors = FormErrors::default();
    let status = Status::parse(&form.status);
    if status.is_none() {
        errors.add("status", "Choose how the action stands");
    }
    let note = errors.check("note", optional_text(&form.note, "update", 4000));
    let evidence = errors.check("evidence", optional_text(&form.evidence, "evidence", 2000));
    // Completing an action someone else set needs evidence for them to confirm.
    if status == Some(Status::Complete)
        && action.status != Status::Complete
        && action.set_by.is_some_and(|s| s != member.user.id)
        && evidence.as_deref().is_some_and(str::is_empty)
    {
        errors.add("evidence", "Say what shows the action is complete, for the person who set it to confirm");
    }
    let (Some(status), Some(note), Some(evidence)) = (status, note, evidence.filter(|_| errors.is_empty())) else {
        member.resume(tx);
        return render_action(&state, &session, member, &action_id, errors, Some(form)).await;
    };
    let latest = sqlx::query!(
        r#"select status as "status: Status", note, evidence, updated_by from action_update
           where partnership_id = $1 and action_id = $2 order by updated_at desc limit 1"#,
        member.partnership.id,
        action.id
    )
    .fetch_optional(&mut *tx)
    .await?;
    let repeated = latest.is_some_and(|l| l.status == status && l.note == note && l.evidence == evidence && l.updated_by == member.user.id);
    if action.status == status && ((note.is_empty() && evidence.is_empty()) || repeated) {
        // Nothing new (a repeated click): nothing to record.
        drop(tx);
        return redirect_with(
            &session,
            format!("Action unchanged: {}", action.description),
            format!("/p/{}/actions/{}", member.partnership.slug, action.id),
        )
        .await;
    }
    // Whoever set the action confirms completion, unless they completed it themselves.
    let self_confirmed = status == Status::Complete && (action.set_by.is_none() || action.set_by == Some(member.user.id));
    sqlx::query!(
        "update action_point set status = $3,
                completed_at = case when $3 = 'complete' then coalesce(completed_at, now()) end,
                completion_confirmed_at = case when $3 = 'complete' and $4 then coalesce(completion_confirmed_at, now()) when $3 = 'complete' then completion_confirmed_at end,
                completion_confirmed_by = case when $3 = 'complete' and $4 then coalesce(completion_confirmed_by, $5) when $3 = 'complete' then completion_confirmed_by end
         where partnership_id = $1 and id = $2",
        member.partnership.id,
        action.id,
        status as _,
        self_confirmed && action.set_by.is_some(),
        member.user.id
    )
    .execute(&mut *tx)
    .await?;
    let update_id = Uuid::new_v4();
    sqlx::query!(
        "insert into action_update (partnership_id, id, action_id, status, note, evidence, updated_by) values ($1, $2, $3, $4, $5, $6, $7)",
        member.partnership.id,
        update_id,
        action.id,
        status as _,
        note,
        evidence,
        member.user.id
    )
    .execute(&mut *tx)
    .await?;
    change(&member, "action.status_changed", "action", action.id, &address)
        .before(json!({ "status": action.status }))
        .after(json!({ "status": status, "note": note, "evidence": evidence }))
        .record(&mut tx)
        .await?;
    // The person who set it hears once, when it becomes complete.
    if status == Status::Complete
        && action.status != Status::Complete
        && !self_confirmed
        && let Some(setter) = action.set_by
        && let Some(to) = sqlx::query!("select email, display_name from app_user where id = $1", setter).fetch_optional(&mut *tx).await?
    {
        let body = format!(
            "{} has marked this action complete:\n\n{}\n\nEvidence: {evidence}\n\nPlease confirm it in Partnership Hub.\n",
            member.user.display_name, action.description
        );
        crate::outbox::enqueue(
            &mut tx,
            Some(member.partnership.id),
            &to.email,
            &to.display_name,
            "An action is ready for you to confirm",
            &body,
            &format!("action-complete:{}:{update_id}", action.id),
        )
        .await?;
    }
    tx.commit().await?;
    set_flash(&session, format!("Action updated: {}", action.description)).await?;
    Ok(Redirect::to(&format!("/p/{}/actions/{}", member.partnership.slug, action.id)).into_response())
}

pub(crate) async fn confirm_completion(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, action_id)): Path<(String, String)>,
) -> Result<Response> {
    let mut tx = member.begin(&state).await?;
    let action = find_action(&mut tx, member.partnership.id, &action_id).await?;
    if !may_confirm(&member, &action) {
        return Err(AppError::Forbidden);
    }
    if action.awaiting_confirmation() {
        sqlx::query!(
            "update action_point set completion_confirmed_at = now(), completion_confirmed_by = $3 where partnership_id = $1 and id = $2",
            member.partnership.id,
            action.id,
            member.user.id
        )
        .execute(&mut *tx)
        .await?;
        change(&member, "action.completion_confirmed", "action", action.id, &address)
            .after(json!({ "status": "complete", "confirmed": true }))
            .record(&mut tx)
            .await?;
    }
    tx.commit().await?;
    redirect_with(
        &session,
        format!("Completion confirmed: {}", action.description),
        format!("/p/{}/actions/{}", member.partnership.slug, action.id),
    )
    .await
}

/// Tell the delegated partners (and business managers) once about each action
/// that has gone past its due date, partnership by partnership.
pub async fn escalate_overdue(pool: &sqlx::PgPool, today: NaiveDate) -> sqlx::Result<usize> {
    let mut escalated = 0;
    let partnerships = sqlx::query_scalar!("select id from partnership order by id").fetch_all(pool).await?;
    for partnership_id in partnerships {
        let mut tx = crate::db::begin_tenant(pool, partnership_id, None).await?;
        let overdue = sqlx::query!(
            r#"update action_point set escalated_at = now()
               where partnership_id = $1 and status <> 'complete' and due_on < $2 and escalated_at is null
               returning id, description, owner_name, due_on as "due_on: NaiveDate""#,
            partnership_id,
            today as _
        )
        .fetch_all(&mut *tx)
        .await?;
        if !overdue.is_empty() {
            let escalated_to = [Role::DelegatedSafeguardingPartner, Role::BusinessManager];
            let people = crate::people::holding(&mut tx, partnership_id, &escalated_to).await?;
            for a in &overdue {
                Change::new("action.escalated", "action")
                    .in_partnership(partnership_id)
                    .subject(a.id)
                    .after(json!({ "due_on": a.due_on }))
                    .record(&mut tx)
                    .await?;
                for p in &people {
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
