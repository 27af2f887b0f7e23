//! What a review changes: each recommendation of its final report (and each
//! piece of learning from a rapid review) becomes an action through the
//! shared actions owner, with an owner and a due date, for the review group
//! to track. An action not done by its date is escalated to the delegated
//! partners by the actions sweep, like every other.

use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;
use tower_sessions::Session;

use super::review::{Forms, load, render};
use super::runs;
use crate::error::{AppError, Result};
use crate::tenant::Member;
use crate::web::{AppState, ClientAddress, DateParts, FormErrors, Submitted, redirect_with as done};

/// A new action, as typed.
#[derive(Deserialize, Default, Clone)]
pub(crate) struct ActionForm {
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

/// Set an action from the review, for its group to track.
pub(crate) async fn set_action(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, review_id)): Path<(String, String)>,
    Submitted(form): Submitted<ActionForm>,
) -> Result<Response> {
    let mut tx = member.begin(&state).await?;
    let review = load(&mut tx, &member, &review_id).await?;
    if !runs(&member, review.group_id) {
        return Err(AppError::Forbidden);
    }
    let mut errors = FormErrors::default();
    let due = DateParts { day: form.action_due_day.clone(), month: form.action_due_month.clone(), year: form.action_due_year.clone() };
    let parsed =
        crate::actions::parse_new(&mut tx, member.partnership.id, &form.action_description, &form.action_owner, due, &mut errors).await?;
    let Some((description, owner_membership_id, owner_name, due_on)) = parsed.filter(|_| errors.is_empty()) else {
        member.resume(tx);
        return render(&state, &session, member, &review_id, Forms { action: Some(form), errors, ..Forms::default() }).await;
    };
    let action = crate::actions::NewAction {
        description,
        owner_membership_id,
        owner_name,
        due_on,
        group_id: Some(review.group_id),
        meeting_id: None,
        minute_section_id: None,
        recommendation_lineage_id: None,
        review_id: Some(review.id),
    };
    let set = crate::actions::set(&mut tx, &member, &address, &action).await?;
    tx.commit().await?;
    let message = match set {
        Some(_) => format!("{}: action set for {}", review.pseudonym, action.owner_name),
        None => "That action was already set".to_owned(),
    };
    done(&session, message, format!("/p/{}/reviews/{}#actions", member.partnership.slug, review.id)).await
}
