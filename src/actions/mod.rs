//! Actions: what was agreed, who owns it, by when, and how it stands. They
//! come from minutes now (and from scrutiny and reviews later); overdue is
//! worked out from the due date, never stored.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::json;
use sqlx::PgConnection;
use tower_sessions::Session;
use uuid::Uuid;

use crate::audit::Change;
use crate::calendar::{long_date, today};
use crate::error::{AppError, Result};
use crate::partnerships::Member;
use crate::roles::Capability;
use crate::web::{AppState, ClientAddress, Layout, Submitted, set_flash};

pub fn router() -> Router<AppState> {
    Router::new().route("/p/{slug}/actions", get(index)).route("/p/{slug}/actions/{action_id}", post(update_status))
}

pub const STATUSES: [(&str, &str); 4] =
    [("not_started", "Not started"), ("on_track", "On track"), ("at_risk", "At risk"), ("complete", "Complete")];

#[derive(Clone, Debug)]
pub struct Action {
    pub id: Uuid,
    pub description: String,
    pub owner_membership_id: Option<Uuid>,
    pub owner_name: String,
    pub due_on: NaiveDate,
    pub status: String,
    pub group_name: Option<String>,
    pub meeting_id: Option<Uuid>,
}

impl Action {
    pub fn due(&self) -> String {
        long_date(self.due_on)
    }
    pub fn is_overdue(&self) -> bool {
        self.status != "complete" && self.due_on < today()
    }
    pub fn status_label(&self) -> &'static str {
        STATUSES.iter().find(|(c, _)| *c == self.status).map(|(_, l)| *l).unwrap_or("Unknown")
    }
}

/// Open actions: all of the partnership's, or one owner's, or one group's; one query.
pub async fn open_actions(
    conn: &mut PgConnection,
    partnership_id: Uuid,
    owner: Option<Uuid>,
    group: Option<Uuid>,
) -> sqlx::Result<Vec<Action>> {
    sqlx::query_as!(
        Action,
        r#"select a.id, a.description, a.owner_membership_id, a.owner_name, a.due_on as "due_on: NaiveDate", a.status,
                  g.name as "group_name?", a.meeting_id
           from action_point a left join partnership_group g on g.partnership_id = a.partnership_id and g.id = a.group_id
           where a.partnership_id = $1 and a.status <> 'complete'
             and ($2::uuid is null or a.owner_membership_id = $2) and ($3::uuid is null or a.group_id = $3)
           order by a.due_on, a.created_at"#,
        partnership_id,
        owner,
        group
    )
    .fetch_all(conn)
    .await
}

#[derive(Template, WebTemplate)]
#[template(path = "actions/index.html")]
struct IndexPage {
    layout: Layout,
    member: Member,
    mine: Vec<Action>,
    others: Vec<Action>,
    can_manage: bool,
    statuses: [(&'static str, &'static str); 4],
}

async fn index(State(state): State<AppState>, session: Session, member: Member) -> Result<IndexPage> {
    let can_manage = member.roles.allows(Capability::ManageMeetings);
    let mut tx = member.begin(&state).await?;
    // Business managers follow every action; others their own.
    let all = open_actions(&mut tx, member.partnership.id, (!can_manage).then_some(member.membership_id), None).await?;
    tx.commit().await?;
    let (mine, others) = all.into_iter().partition(|a| a.owner_membership_id == Some(member.membership_id));
    Ok(IndexPage { layout: Layout::workspace(&session, &member, "actions").await?, member, mine, others, can_manage, statuses: STATUSES })
}

#[derive(Deserialize, Default)]
struct StatusForm {
    #[serde(default)]
    status: String,
}

async fn update_status(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, action_id)): Path<(String, String)>,
    Submitted(form): Submitted<StatusForm>,
) -> Result<Response> {
    let id = Uuid::parse_str(&action_id).map_err(|_| AppError::NotFound)?;
    let mut tx = member.begin(&state).await?;
    let action = sqlx::query!(
        "select description, status, owner_membership_id from action_point where partnership_id = $1 and id = $2 for update",
        member.partnership.id,
        id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    if action.owner_membership_id != Some(member.membership_id) && !member.roles.allows(Capability::ManageMeetings) {
        return Err(AppError::Forbidden);
    }
    if !STATUSES.iter().any(|(c, _)| *c == form.status) {
        return Err(AppError::BadRequest);
    }
    if action.status != form.status {
        sqlx::query!(
            "update action_point set status = $3, completed_at = case when $3 = 'complete' then now() end where partnership_id = $1 and id = $2",
            member.partnership.id,
            id,
            form.status
        )
        .execute(&mut *tx)
        .await?;
        Change::new("action.status_changed", "action")
            .in_partnership(member.partnership.id)
            .by(Some(member.user.id))
            .subject(id)
            .from_address(&address)
            .before(json!({ "status": action.status }))
            .after(json!({ "status": form.status }))
            .record(&mut tx)
            .await?;
    }
    tx.commit().await?;
    set_flash(&session, format!("Action updated: {}", action.description)).await?;
    Ok(Redirect::to(&format!("/p/{}/actions", member.partnership.slug)).into_response())
}
