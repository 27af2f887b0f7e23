//! The rapid review meeting: a meeting of the review group, through the
//! meetings module. Choosing one puts the review on its agenda under its
//! pseudonym (the agenda's one writer, so a late item goes to the chair as a
//! late request), and the review's page links to it.

use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;
use tower_sessions::Session;
use uuid::Uuid;

use super::review::{Forms, load, render};
use super::{Kind, Stage, runs};
use crate::calendar::long_date;
use crate::error::{AppError, Result};
use crate::tenant::{Member, change};
use crate::web::{AppState, ClientAddress, FormErrors, Submitted, redirect_with as done};

#[derive(Deserialize, Default)]
pub(crate) struct MeetingForm {
    #[serde(default)]
    meeting_id: String,
}

/// Take the review to one of its group's meetings: on the agenda under the pseudonym, and linked from the review.
pub(crate) async fn choose_meeting(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, review_id)): Path<(String, String)>,
    Submitted(form): Submitted<MeetingForm>,
) -> Result<Response> {
    let mut tx = member.begin(&state).await?;
    let review = load(&mut tx, &member, &review_id).await?;
    if !runs(&member, review.group_id) {
        return Err(AppError::Forbidden);
    }
    let pid = member.partnership.id;
    let meeting = match Uuid::parse_str(&form.meeting_id) {
        Ok(id) => crate::meetings::by_id(&mut tx, pid, id).await?.filter(|m| m.group_id == review.group_id),
        Err(_) => None,
    };
    let Some(meeting) = meeting else {
        let mut errors = FormErrors::default();
        errors.add("meeting_id", format!("Choose a coming meeting of the {}", review.group_name));
        member.resume(tx);
        return render(&state, &session, member, &review_id, Forms { meeting_id: form.meeting_id, errors, ..Forms::default() }).await;
    };
    let to = format!("/p/{}/reviews/{}", member.partnership.slug, review.id);
    if review.meeting.is_some_and(|(id, _)| id == meeting.id) {
        return done(&session, format!("{} is already on that meeting's agenda", review.pseudonym), to).await;
    }
    // The agenda names the review by its pseudonym alone.
    let what = match (review.kind, review.stage) {
        (Kind::Child, Stage::Notified | Stage::RapidReview) => "Rapid review".to_owned(),
        _ => review.kind.label(&review.settings.dhr_label),
    };
    let title = format!("{what}: {} (R{})", review.pseudonym, review.number);
    let summary = format!(
        "{} overseen by the {}. The case is on the review's page for those who may read it.",
        review.kind.label(&review.settings.dhr_label),
        review.group_name
    );
    let proposal = crate::meetings::Proposal { title: &title, purpose: "decision", presenter: "", summary: &summary };
    let proposed = crate::meetings::propose(&mut tx, &member, &address, &state.config.public_url, &meeting, proposal).await?;
    sqlx::query!("update review set meeting_id = $3 where partnership_id = $1 and id = $2", pid, review.id, meeting.id)
        .execute(&mut *tx)
        .await?;
    change(&member, "review.meeting", "review", review.id, &address)
        .before(json!({ "meeting_id": review.meeting.map(|(id, _)| id) }))
        .after(json!({ "meeting_id": meeting.id }))
        .record(&mut tx)
        .await?;
    tx.commit().await?;
    let day = long_date(meeting.day());
    let message = if proposed.is_late() {
        format!("{} asked for the agenda of {day}, after its cut-off: the chair decides", review.pseudonym)
    } else {
        format!("{} is on the agenda of the {} on {day}", review.pseudonym, review.group_name)
    };
    done(&session, message, to).await
}
