//! One action: where it came from, who owns it, every update with its
//! evidence, and confirmation of completion by whoever set it.

use crate::actions::Status;
use crate::actions::state_label;
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

use crate::calendar::{long_date, today};
use crate::error::{AppError, Result};
use crate::roles::Capability;
use crate::tenant::{Member, change};
use crate::web::{AppState, ClientAddress, FormErrors, Layout, Submitted, optional_text, redirect_with, set_flash};

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

pub(super) async fn find_action(tx: &mut PgConnection, partnership_id: Uuid, raw: &str) -> Result<ActionDetail> {
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
pub(super) fn may_update(member: &Member, action: &ActionDetail) -> bool {
    action.owner_membership_id == Some(member.membership_id)
        || action.set_by == Some(member.user.id)
        || member.roles.allows(Capability::ManageMeetings)
        || member.roles.allows(Capability::ManageScrutiny)
}

/// Who confirms completion: whoever set the action, or a business manager.
pub(super) fn may_confirm(member: &Member, action: &ActionDetail) -> bool {
    action.set_by == Some(member.user.id) || member.roles.allows(Capability::ManageScrutiny)
}

#[derive(Deserialize, Default, Clone)]
pub(crate) struct StatusForm {
    #[serde(default)]
    pub(super) status: String,
    #[serde(default)]
    pub(super) note: String,
    #[serde(default)]
    pub(super) evidence: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "actions/action.html")]
pub(super) struct ActionPage {
    pub(super) layout: Layout,
    pub(super) member: Member,
    pub(super) action: ActionDetail,
    pub(super) updates: Vec<Update>,
    pub(super) can_update: bool,
    pub(super) can_confirm: bool,
    pub(super) statuses: [(&'static str, &'static str); 4],
    pub(super) errors: FormErrors,
    pub(super) form: StatusForm,
}

pub(super) async fn render_action(
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
