//! Moving a decision on: calling a formal vote after consensus failed, or withdrawing it.

use crate::decisions::decision::PageForms;
use crate::decisions::decision::VoteForm;
use crate::decisions::decision::WithdrawForm;
use crate::decisions::decision::closed_message;
use crate::decisions::decision::find_decision;
use crate::decisions::decision::render;
use crate::decisions::raise::chairs_or_manages;
use crate::decisions::raise::parse_deadline;
use axum::extract::{Path, State};
use axum::response::Response;
use serde_json::json;
use tower_sessions::Session;

use super::{Position, Stage, notify, settle, uk_moment, voters};
use crate::error::{AppError, Result};
use crate::tenant::{Member, change};
use crate::web::{AppState, ClientAddress, DateParts, FormErrors, Submitted, record_id, redirect_with, required_text};

pub(crate) async fn call_vote(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, decision_id)): Path<(String, String)>,
    Submitted(form): Submitted<VoteForm>,
) -> Result<Response> {
    let mut tx = member.begin(&state).await?;
    let pid = member.partnership.id;
    let id = record_id(&decision_id)?;
    settle(&mut tx, pid, id, None).await?;
    let decision = find_decision(&mut tx, &member, &decision_id).await?;
    if !chairs_or_manages(&mut tx, &member, &decision).await? {
        return Err(AppError::Forbidden);
    }
    let mut errors = FormErrors::default();
    let lines = voters(&mut tx, pid, decision.id, Stage::Consensus).await?;
    if let Some(message) = closed_message(&decision) {
        errors.add("deadline_day", message);
    } else if decision.stage() == Stage::Vote {
        errors.add("deadline_day", "A formal vote has already been called");
    } else if !decision.majority_vote {
        errors.add("deadline_day", "This body's rules do not provide for a formal vote");
    } else if !lines.iter().any(|l| matches!(l.position(), Some(Position::Disagree | Position::Abstain))) {
        errors.add("deadline_day", "A vote can be called once a partner has disagreed or abstained: there is no disagreement yet");
    }
    let parts = DateParts { day: form.deadline_day.clone(), month: form.deadline_month.clone(), year: form.deadline_year.clone() };
    let closes_at = if errors.is_empty() { parse_deadline(parts, &form.deadline_time, &mut errors, "Deadline for votes") } else { None };
    let Some(closes_at) = closes_at.filter(|_| errors.is_empty()) else {
        tx.commit().await?;
        return render(&state, &session, member, &decision_id, PageForms { errors, vote: form, ..PageForms::default() }).await;
    };
    sqlx::query!(
        "update decision set stage = 'vote', vote_called_by = $3, vote_called_at = now(), closes_at = $4 where partnership_id = $1 and id = $2",
        pid,
        decision.id,
        member.user.id,
        closes_at as _
    )
    .execute(&mut *tx)
    .await?;
    change(&member, "decision.vote_called", "decision", decision.id, &address)
        .before(json!({ "stage": "consensus", "closes_at": decision.closes_at }))
        .after(json!({
            "stage": "vote", "closes_at": closes_at,
            "consensus": lines.iter().map(|l| json!({ "organisation": l.organisation_name, "position": l.position })).collect::<Vec<_>>(),
        }))
        .record(&mut tx)
        .await?;
    let subject = format!("Formal vote on decision D{}: vote by {}", decision.number, uk_moment(closes_at));
    let body = format!(
        "Consensus was not reached on decision D{} ({}), so {} has called a formal vote.\n\nEach partner has one vote. Vote online in Partnership Hub by {}.\n",
        decision.number,
        decision.title,
        member.user.display_name,
        uk_moment(closes_at)
    );
    notify(&mut tx, pid, decision.id, None, &subject, &body, "decision-vote").await?;
    tx.commit().await?;
    redirect_with(
        &session,
        format!("Formal vote called on D{}: votes close {}", decision.number, uk_moment(closes_at)),
        format!("/p/{}/decisions/{}", member.partnership.slug, decision.id),
    )
    .await
}

pub(crate) async fn withdraw(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, decision_id)): Path<(String, String)>,
    Submitted(form): Submitted<WithdrawForm>,
) -> Result<Response> {
    let mut tx = member.begin(&state).await?;
    let pid = member.partnership.id;
    let id = record_id(&decision_id)?;
    settle(&mut tx, pid, id, None).await?;
    let decision = find_decision(&mut tx, &member, &decision_id).await?;
    if !chairs_or_manages(&mut tx, &member, &decision).await? && decision.raised_by != member.user.id {
        return Err(AppError::Forbidden);
    }
    let mut errors = FormErrors::default();
    if let Some(outcome) = decision.outcome() {
        errors.add("reason", format!("This decision has already closed ({}): its outcome cannot change", outcome.label().to_lowercase()));
    }
    let reason = errors.check("reason", required_text(&form.reason, "reason for withdrawing the decision", 2000));
    let Some(reason) = reason.filter(|_| errors.is_empty()) else {
        tx.commit().await?;
        return render(&state, &session, member, &decision_id, PageForms { errors, withdraw: form, ..PageForms::default() }).await;
    };
    sqlx::query!(
        "update decision set outcome = 'withdrawn', outcome_at = now(), outcome_note = $3, closed_by = $4 where partnership_id = $1 and id = $2",
        pid,
        decision.id,
        reason,
        member.user.id
    )
    .execute(&mut *tx)
    .await?;
    change(&member, "decision.withdrawn", "decision", decision.id, &address)
        .before(json!({ "stage": decision.stage, "closes_at": decision.closes_at }))
        .after(json!({ "outcome": "withdrawn", "reason": reason }))
        .record(&mut tx)
        .await?;
    let subject = format!("Decision D{} withdrawn", decision.number);
    let body = format!(
        "Decision D{} ({}) has been withdrawn by {}.\n\nReason: {reason}\n",
        decision.number, decision.title, member.user.display_name
    );
    notify(&mut tx, pid, decision.id, Some(decision.raised_by), &subject, &body, "decision-withdrawn").await?;
    tx.commit().await?;
    redirect_with(
        &session,
        format!("Decision D{} withdrawn", decision.number),
        format!("/p/{}/decisions/{}", member.partnership.slug, decision.id),
    )
    .await
}
