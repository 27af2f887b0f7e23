//! Links to other boards (adults' board, community safety, health and wellbeing).

use crate::structure::forms::Choice;
use crate::structure::forms::Retirement;
use crate::structure::forms::chosen;
use crate::structure::forms::group_choices;
use crate::structure::forms::reject;
use crate::structure::forms::retired;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use tower_sessions::Session;
use uuid::Uuid;

use crate::error::{AppError, Result};
use crate::roles::Capability;
use crate::tenant::Member;
use crate::tenant::change;
use crate::web::{
    AppState, ClientAddress, FormErrors, Layout, Submitted, optional_text, record_id as parse_id, redirect_with as done, required_line,
};

// ---------------------------------------------------------------- links to other boards

#[derive(Deserialize, Default)]
pub(crate) struct LinkForm {
    #[serde(default)]
    pub(super) board_name: String,
    #[serde(default)]
    pub(super) description: String,
    #[serde(default)]
    pub(super) group_id: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "structure/link_form.html")]
pub(super) struct LinkFormPage {
    pub(super) layout: Layout,
    pub(super) member: Member,
    pub(super) errors: FormErrors,
    pub(super) form: LinkForm,
    pub(super) groups: Vec<Choice>,
}

pub(super) async fn link_form(state: &AppState, session: &Session, member: Member, errors: FormErrors, form: LinkForm) -> Result<Response> {
    let mut tx = member.begin(state).await?;
    let groups = group_choices(&mut tx, &member, None).await?;
    tx.commit().await?;
    let page = LinkFormPage { layout: member.layout(session, "structure").await?, member, errors: errors.clone(), form, groups };
    if errors.is_empty() { Ok(page.into_response()) } else { reject(page) }
}

pub(crate) async fn new_link_page(State(state): State<AppState>, session: Session, member: Member) -> Result<Response> {
    member.require(Capability::ManageStructure)?;
    link_form(&state, &session, member, FormErrors::default(), LinkForm::default()).await
}

pub(crate) async fn create_link(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Submitted(form): Submitted<LinkForm>,
) -> Result<Response> {
    member.require(Capability::ManageStructure)?;
    let mut tx = member.begin(&state).await?;
    let groups = group_choices(&mut tx, &member, None).await?;
    let mut errors = FormErrors::default();
    let board = errors.check("board_name", required_line(&form.board_name, "board's name", 200));
    let description = errors.check("description", optional_text(&form.description, "description", 2000));
    let group = errors.check("group_id", chosen(&form.group_id, &groups));
    let (Some(board), Some(description), Some(group)) = (board, description, group) else {
        member.resume(tx);
        return link_form(&state, &session, member, errors, form).await;
    };
    let id = Uuid::new_v4();
    let inserted = sqlx::query!(
        "insert into board_link (partnership_id, id, board_name, description, group_id) values ($1, $2, $3, $4, $5)
         on conflict (partnership_id, board_name) do nothing",
        member.partnership.id,
        id,
        board,
        description,
        group
    )
    .execute(&mut *tx)
    .await?;
    if inserted.rows_affected() == 0 {
        drop(tx);
        errors.add("board_name", "A link to this board is already recorded");
        return link_form(&state, &session, member, errors, form).await;
    }
    change(&member, "board_link.added", "board_link", id, &address)
        .after(json!({ "board_name": board, "description": description, "group_id": group }))
        .record(&mut tx)
        .await?;
    tx.commit().await?;
    done(&session, format!("Link to {board} added"), format!("/p/{}/structure", member.partnership.slug)).await
}

pub(crate) async fn retire_link(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, link_id)): Path<(String, String)>,
) -> Result<Response> {
    member.require(Capability::ManageStructure)?;
    let id = parse_id(&link_id)?;
    let mut tx = member.begin(&state).await?;
    let board = sqlx::query_scalar!(
        "update board_link set retired_on = current_date where partnership_id = $1 and id = $2 and retired_on is null returning board_name",
        member.partnership.id,
        id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    let (message, to) = (format!("Link to {board} retired"), format!("/p/{}/structure", member.partnership.slug));
    let r = Retirement { action: "board_link.retired", subject_type: "board_link", field: "board_name", id, name: board, message, to };
    retired(tx, &session, &member, &address, r).await
}
