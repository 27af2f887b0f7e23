//! A decision's papers: added by whoever raised it, the body's chair or the
//! business manager while it is open; read by anyone who may see the
//! decision; kept by [`crate::papers`].

use axum::extract::{Path, Request, State};
use axum::response::Response;
use tower_sessions::Session;

use super::decision::{PageForms, find_decision, render};
use super::raise::chairs_or_manages;
use crate::error::{AppError, Result};
use crate::papers::{Added, Holder};
use crate::tenant::Member;
use crate::web::{AppState, ClientAddress, FormErrors, redirect_with};

pub(crate) async fn upload_paper(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, decision_id)): Path<(String, String)>,
    request: Request,
) -> Result<Response> {
    let mut tx = member.begin(&state).await?;
    let decision = find_decision(&mut tx, &member, &decision_id).await?;
    if !(chairs_or_manages(&mut tx, &member, &decision).await? || decision.raised_by == member.user.id) {
        return Err(AppError::Forbidden);
    }
    // No transaction stays open while a large file arrives.
    drop(tx);
    let mut errors = FormErrors::default();
    if !decision.is_open() {
        errors.add("paper_file", "Papers cannot be added to a closed decision");
        return render(&state, &session, member, &decision_id, PageForms { errors, ..PageForms::default() }).await;
    }
    let Some(upload) = crate::web::upload::read_document(request, "paper_title", "paper_file", &mut errors).await? else {
        return render(&state, &session, member, &decision_id, PageForms { errors, ..PageForms::default() }).await;
    };
    let title = upload.title.clone();
    let mut tx = member.begin(&state).await?;
    let added = crate::papers::add(&mut tx, &state.files, &member, &address, Holder::Decision(decision.id), upload).await?;
    tx.commit().await?;
    let to = format!("/p/{}/decisions/{}", member.partnership.slug, decision.id);
    let message = match added {
        Added::Added(_) => format!("{title} added to the papers"),
        Added::AlreadyThere => "That file is already among the papers".to_owned(),
    };
    redirect_with(&session, message, to).await
}

pub(crate) async fn download_paper(
    State(state): State<AppState>,
    member: Member,
    Path((_, decision_id, paper_id)): Path<(String, String, String)>,
) -> Result<Response> {
    let mut tx = member.begin(&state).await?;
    let decision = find_decision(&mut tx, &member, &decision_id).await?;
    let paper = crate::papers::find(&mut tx, member.partnership.id, Holder::Decision(decision.id), &paper_id).await?;
    tx.commit().await?;
    crate::papers::download(&state.files, paper).await
}
