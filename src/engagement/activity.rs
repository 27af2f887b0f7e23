//! One engagement activity (`/p/<slug>/engagement/<id>`): who was heard, how
//! and when, the findings and what was done about them (kept as a change in
//! the audit log each time), the report to a group's next meeting, and the
//! actions set on what was heard.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::json;
use sqlx::types::Json;
use tower_sessions::Session;
use uuid::Uuid;

use super::Voice;
use crate::actions::{Action, ActionForm, Actions, NewAction};
use crate::calendar::{long_date, today};
use crate::error::{AppError, Result};
use crate::roles::Capability;
use crate::tenant::{Member, change};
use crate::web::{AppState, ClientAddress, FormErrors, Layout, Submitted, optional_text, record_id, redirect_with as done};

pub(crate) struct Loaded {
    pub id: Uuid,
    pub number: i32,
    pub voice: Voice,
    pub title: String,
    pub method: String,
    pub held_on: NaiveDate,
    pub participants: i32,
    pub findings: String,
    pub what_we_did: String,
    pub group_name: Option<String>,
    pub reported_on: Option<NaiveDate>,
    pub meeting_id: Option<Uuid>,
    pub groups: Vec<(Uuid, String)>,
}

impl Loaded {
    pub fn held(&self) -> String {
        long_date(self.held_on)
    }
    pub fn reported(&self) -> String {
        self.reported_on.map(long_date).unwrap_or_default()
    }
}

async fn load(tx: &mut crate::db::Tx, partnership_id: Uuid, id: Uuid) -> Result<Loaded> {
    let row = sqlx::query!(
        r#"select e.id, e.number, e.voice as "voice: Voice", e.title, e.method, e.held_on, e.participants, e.findings, e.what_we_did,
                  g.name as "group_name?", e.reported_on, e.meeting_id,
                  coalesce((select json_agg(json_build_array(x.id, x.name)
                                            order by array_position(array['executive', 'accountability', 'board'], x.kind), x.sort_order, x.name)
                            from partnership_group x where x.partnership_id = e.partnership_id and x.retired_on is null), '[]')
                    as "groups!: Json<Vec<(Uuid, String)>>"
           from engagement e left join partnership_group g on g.partnership_id = e.partnership_id and g.id = e.group_id
           where e.partnership_id = $1 and e.id = $2"#,
        partnership_id,
        id
    )
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(AppError::NotFound)?;
    Ok(Loaded {
        id: row.id,
        number: row.number,
        voice: row.voice,
        title: row.title,
        method: row.method,
        held_on: row.held_on,
        participants: row.participants,
        findings: row.findings,
        what_we_did: row.what_we_did,
        group_name: row.group_name,
        reported_on: row.reported_on,
        meeting_id: row.meeting_id,
        groups: row.groups.0,
    })
}

#[derive(Deserialize, Default, Clone, Debug)]
pub(crate) struct OutcomeForm {
    #[serde(default)]
    findings: String,
    #[serde(default)]
    what_we_did: String,
}

#[derive(Deserialize, Default, Clone, Debug)]
pub(crate) struct ReportForm {
    #[serde(default)]
    report_group: String,
}

#[derive(Default)]
struct Forms {
    outcome: Option<OutcomeForm>,
    action: ActionForm,
    errors: FormErrors,
}

#[derive(Template, WebTemplate)]
#[template(path = "engagement/activity.html")]
struct ActivityPage {
    layout: Layout,
    member: Member,
    activity: Loaded,
    actions: Vec<Action>,
    owners: Vec<(String, String)>,
    groups: Vec<(String, String)>,
    can_manage: bool,
    outcome: OutcomeForm,
    action: ActionForm,
    errors: FormErrors,
}

pub(crate) async fn activity_page(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Path((_, engagement_id)): Path<(String, String)>,
) -> Result<Response> {
    let id = record_id(&engagement_id)?;
    render(&state, &session, member, id, Forms::default()).await
}

async fn render(state: &AppState, session: &Session, member: Member, id: Uuid, forms: Forms) -> Result<Response> {
    let mut tx = member.begin(state).await?;
    let pid = member.partnership.id;
    let activity = load(&mut tx, pid, id).await?;
    let actions = crate::actions::list(&mut tx, pid, Actions::ForEngagement(id)).await?;
    let can_manage = member.roles.allows(Capability::ManageResources);
    let owners = if can_manage { crate::people::choices(&mut tx, pid).await? } else { Vec::new() };
    tx.commit().await?;
    let status = if forms.errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let outcome =
        forms.outcome.unwrap_or_else(|| OutcomeForm { findings: activity.findings.clone(), what_we_did: activity.what_we_did.clone() });
    let page = ActivityPage {
        layout: member.layout(session, "resources").await?,
        groups: activity.groups.iter().map(|(id, name)| (id.to_string(), name.clone())).collect(),
        member,
        activity,
        actions,
        owners,
        can_manage,
        outcome,
        action: forms.action,
        errors: forms.errors,
    };
    Ok((status, page).into_response())
}

fn to(member: &Member, id: Uuid, anchor: &str) -> String {
    format!("/p/{}/engagement/{id}{anchor}", member.partnership.slug)
}

/// Save what was heard and what was done about it.
pub(crate) async fn save_outcome(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Path((_, engagement_id)): Path<(String, String)>,
    ClientAddress(address): ClientAddress,
    Submitted(form): Submitted<OutcomeForm>,
) -> Result<Response> {
    member.require(Capability::ManageResources)?;
    let id = record_id(&engagement_id)?;
    let mut errors = FormErrors::default();
    let findings = errors.check("findings", optional_text(&form.findings, "findings", 8000));
    let what_we_did = errors.check("what_we_did", optional_text(&form.what_we_did, "what was done", 8000));
    let mut tx = member.begin(&state).await?;
    let activity = load(&mut tx, member.partnership.id, id).await?;
    let (Some(findings), Some(what_we_did)) = (findings, what_we_did) else {
        member.resume(tx);
        return render(&state, &session, member, id, Forms { outcome: Some(form), errors, ..Forms::default() }).await;
    };
    if findings != activity.findings || what_we_did != activity.what_we_did {
        sqlx::query!(
            "update engagement set findings = $3, what_we_did = $4 where partnership_id = $1 and id = $2",
            member.partnership.id,
            id,
            findings,
            what_we_did
        )
        .execute(&mut *tx)
        .await?;
        change(&member, "engagement.outcome", "engagement", id, &address)
            .before(json!({ "title": activity.title, "findings": activity.findings, "what_we_did": activity.what_we_did }))
            .after(json!({ "title": activity.title, "findings": findings, "what_we_did": what_we_did }))
            .record(&mut tx)
            .await?;
    }
    tx.commit().await?;
    done(&session, format!("E{}: saved", activity.number), to(&member, id, "")).await
}

/// Set an action on what the activity heard.
pub(crate) async fn set_action(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Path((_, engagement_id)): Path<(String, String)>,
    ClientAddress(address): ClientAddress,
    Submitted(form): Submitted<ActionForm>,
) -> Result<Response> {
    member.require(Capability::ManageResources)?;
    let id = record_id(&engagement_id)?;
    let mut tx = member.begin(&state).await?;
    let activity = load(&mut tx, member.partnership.id, id).await?;
    let mut errors = FormErrors::default();
    let Some(checked) = form.parse(&mut tx, member.partnership.id, &mut errors).await? else {
        member.resume(tx);
        return render(&state, &session, member, id, Forms { action: form, errors, ..Forms::default() }).await;
    };
    let action = NewAction { engagement_id: Some(activity.id), ..NewAction::new(checked, None) };
    let set = crate::actions::set(&mut tx, &member, &address, &action).await?;
    tx.commit().await?;
    let message = match set {
        Some(_) => format!("E{}: action set for {}", activity.number, action.owner_name),
        None => "That action was already set".to_owned(),
    };
    done(&session, message, to(&member, id, "#actions")).await
}

/// Report what was heard to a group (the delegated partners' executive, by default): it goes on the agenda of the
/// group's next meeting. Reported once; reporting again leads to it.
pub(crate) async fn report(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Path((_, engagement_id)): Path<(String, String)>,
    ClientAddress(address): ClientAddress,
    Submitted(form): Submitted<ReportForm>,
) -> Result<Response> {
    member.require(Capability::ManageResources)?;
    let id = record_id(&engagement_id)?;
    let mut tx = member.begin(&state).await?;
    let pid = member.partnership.id;
    let activity = load(&mut tx, pid, id).await?;
    if activity.reported_on.is_some() {
        tx.commit().await?;
        return done(&session, format!("E{} was reported on {}", activity.number, activity.reported()), to(&member, id, "")).await;
    }
    let Some((group, group_name)) =
        Uuid::parse_str(&form.report_group).ok().and_then(|g| activity.groups.iter().find(|(id, _)| *id == g).cloned())
    else {
        member.resume(tx);
        let mut errors = FormErrors::default();
        errors.add("report_group", "Choose the group to report to");
        return render(&state, &session, member, id, Forms { errors, ..Forms::default() }).await;
    };
    if activity.findings.is_empty() {
        member.resume(tx);
        let mut errors = FormErrors::default();
        errors.add("findings", "Say what was heard before reporting it");
        return render(&state, &session, member, id, Forms { errors, ..Forms::default() }).await;
    }
    let meeting = crate::meetings::next_meeting(&mut tx, pid, group).await?;
    let title = format!("What we heard: {} (E{})", activity.title, activity.number);
    let summary = format!(
        "{}: {} took part on {}. The findings, and what was done about them, are on the activity's page.",
        activity.voice.label(),
        activity.participants,
        activity.held()
    );
    if let Some(meeting) = &meeting {
        let proposal = crate::meetings::Proposal { title: &title, purpose: "discussion", presenter: "", summary: &summary };
        crate::meetings::propose(&mut tx, &member, &address, &state.config.public_url, meeting, proposal).await?;
    }
    sqlx::query!(
        "update engagement set group_id = $3, reported_on = $4, meeting_id = $5 where partnership_id = $1 and id = $2",
        pid,
        id,
        group,
        today(),
        meeting.as_ref().map(|m| m.id)
    )
    .execute(&mut *tx)
    .await?;
    change(&member, "engagement.reported", "engagement", id, &address)
        .after(json!({ "title": activity.title, "group_id": group, "reported_on": today(), "meeting_id": meeting.as_ref().map(|m| m.id) }))
        .record(&mut tx)
        .await?;
    tx.commit().await?;
    let message = match &meeting {
        Some(m) => format!("E{} reported: on the agenda of the {group_name} on {}", activity.number, long_date(m.day())),
        None => format!("E{} reported to the {group_name}, which has no meeting planned to take it to", activity.number),
    };
    done(&session, message, to(&member, id, "")).await
}
