//! A meeting's papers: added by the business manager or members of the group,
//! read only by them (see [`crate::tenant::Member::sits_on`]); kept by [`crate::papers`].

use axum::extract::{Path, Request, State};
use axum::response::Response;
use tower_sessions::Session;

use super::find_meeting;
use super::meeting::render_meeting_with_errors;
use crate::error::{AppError, Result};
use crate::papers::{Added, Holder};
use crate::tenant::Member;
use crate::web::{AppState, ClientAddress, FormErrors, redirect_with};

pub(crate) async fn upload(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, meeting_id)): Path<(String, String)>,
    request: Request,
) -> Result<Response> {
    let mut tx = member.begin(&state).await?;
    let meeting = find_meeting(&mut tx, &member, &meeting_id).await?;
    if !member.sits_on(meeting.group_id) {
        return Err(AppError::NotFound);
    }
    // The body is read only once the meeting and the person's right to it are
    // known, and with no transaction open while a large file arrives.
    drop(tx);
    let mut errors = FormErrors::default();
    let Some(upload) = crate::web::upload::read_document(request, "paper_title", "paper_file", &mut errors).await? else {
        return render_meeting_with_errors(&state, &session, member, &meeting_id, errors).await;
    };
    let title = upload.title.clone();
    let mut tx = member.begin(&state).await?;
    // For one item of the agenda, if one of the meeting's items was chosen.
    let holder = match upload.field("agenda_item").filter(|v| !v.is_empty()) {
        None => Holder::Meeting(meeting.id),
        Some(chosen) => {
            let item = crate::web::record_id(chosen)?;
            if !super::agenda::is_on_agenda(&mut tx, member.partnership.id, meeting.id, item).await? {
                errors.add("agenda_item", "Choose an item on the agenda, or no item");
                member.resume(tx);
                return render_meeting_with_errors(&state, &session, member, &meeting_id, errors).await;
            }
            Holder::AgendaItem { meeting_id: meeting.id, agenda_item_id: item }
        }
    };
    let added = crate::papers::add(&mut tx, &state.files, &member, &address, holder, upload).await?;
    tx.commit().await?;
    let to = format!("/p/{}/meetings/{}", member.partnership.slug, meeting.id);
    let message = match added {
        Added::Added(_) => format!("{title} added to the papers"),
        Added::AlreadyThere => "That file is already among the papers".to_owned(),
    };
    redirect_with(&session, message, to).await
}

pub(crate) async fn download(
    State(state): State<AppState>,
    member: Member,
    Path((_, meeting_id, paper_id)): Path<(String, String, String)>,
) -> Result<Response> {
    let mut tx = member.begin(&state).await?;
    let meeting = find_meeting(&mut tx, &member, &meeting_id).await?;
    if !member.sits_on(meeting.group_id) {
        return Err(AppError::NotFound);
    }
    let paper = crate::papers::find(&mut tx, member.partnership.id, Holder::Meeting(meeting.id), &paper_id).await?;
    tx.commit().await?;
    crate::papers::download(&state.files, paper).await
}
