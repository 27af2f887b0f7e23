//! The minutes' way to the public: circulated to the group for comment,
//! commented on, approved at a later meeting, published without the
//! confidential passages.

use crate::minutes::MinutesStatus;
use crate::minutes::advance;
use crate::minutes::change;
use crate::minutes::drafting::{Typed, save_before_moving_on};
use crate::minutes::locked_status;
use crate::minutes::render;
use crate::minutes::to_minutes;
use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;
use tower_sessions::Session;
use uuid::Uuid;

use crate::error::{AppError, Result};
use crate::meetings::find_meeting;
use crate::roles::Capability;
use crate::tenant::Member;
use crate::web::{AppState, ClientAddress, FormErrors, Submitted, redirect_with as done, required_text};

pub(crate) async fn circulate(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, meeting_id)): Path<(String, String)>,
    Submitted(fields): Submitted<HashMap<String, String>>,
) -> Result<Response> {
    member.require(Capability::ManageMeetings)?;
    // What was typed in the draft goes with it.
    let member = match save_before_moving_on(&state, &session, member, &address, &meeting_id, &fields).await? {
        Ok(member) => member,
        Err(page) => return Ok(page),
    };
    let to = format!("/p/{}/meetings/{meeting_id}/minutes", member.partnership.slug);
    match advance(&state, &member, &address, &meeting_id, MinutesStatus::Draft, MinutesStatus::Circulated, None).await? {
        true => done(&session, "Draft minutes circulated to the group for comment".into(), to).await,
        false => done(&session, "The minutes were already circulated".into(), to).await,
    }
}

#[derive(Deserialize, Default)]
pub(crate) struct CommentForm {
    #[serde(default)]
    pub(super) body: String,
}

pub(crate) async fn comment(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, meeting_id)): Path<(String, String)>,
    Submitted(form): Submitted<CommentForm>,
) -> Result<Response> {
    let mut tx = member.begin(&state).await?;
    let meeting = find_meeting(&mut tx, &member, &meeting_id).await?;
    if !member.sits_on(meeting.group_id) {
        return Err(AppError::Forbidden);
    }
    let status = locked_status(&mut tx, &member, &meeting).await?;
    let mut errors = FormErrors::default();
    if status != MinutesStatus::Circulated {
        errors.add("body", "Comments are taken while the draft is circulated");
    }
    let body = errors.check("body", required_text(&form.body, "comment", 5000));
    let Some(body) = body.filter(|_| errors.is_empty()) else {
        member.resume(tx);
        let typed = Typed { comment: form.body, ..Typed::default() };
        return render(&state, &session, member, &meeting_id, errors, Some(typed)).await;
    };
    let id = Uuid::new_v4();
    sqlx::query!(
        "insert into minutes_comment (partnership_id, id, meeting_id, author_user_id, body) values ($1, $2, $3, $4, $5)",
        member.partnership.id,
        id,
        meeting.id,
        member.user.id,
        body
    )
    .execute(&mut *tx)
    .await?;
    change(&member, "minutes.commented", meeting.id, &address).after(json!({ "comment": body })).record(&mut tx).await?;
    tx.commit().await?;
    done(&session, "Comment added".into(), to_minutes(&member, &meeting)).await
}

#[derive(Deserialize, Default)]
pub(crate) struct ApproveForm {
    #[serde(default)]
    pub(super) approved_at_meeting_id: String,
}

pub(crate) async fn approve(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, meeting_id)): Path<(String, String)>,
    Submitted(fields): Submitted<HashMap<String, String>>,
) -> Result<Response> {
    member.require(Capability::ManageMeetings)?;
    let to = format!("/p/{}/meetings/{meeting_id}/minutes", member.partnership.slug);
    let form = ApproveForm { approved_at_meeting_id: fields.get("approved_at_meeting_id").cloned().unwrap_or_default() };
    // The approving meeting must be a later meeting of the same group.
    let mut tx = member.begin(&state).await?;
    let meeting = find_meeting(&mut tx, &member, &meeting_id).await?;
    let later = Uuid::parse_str(&form.approved_at_meeting_id).ok();
    let valid = match later {
        Some(id) => sqlx::query_scalar!(
            r#"select exists (select 1 from meeting where partnership_id = $1 and id = $2 and group_id = $3 and starts_at > $4) as "ok!""#,
            member.partnership.id,
            id,
            meeting.group_id,
            meeting.starts_at as _
        )
        .fetch_one(&mut *tx)
        .await?,
        None => false,
    };
    if !valid {
        member.resume(tx);
        let mut errors = FormErrors::default();
        errors.add("approved_at_meeting_id", "Select the later meeting of the group that approved the minutes");
        return render(&state, &session, member, &meeting_id, errors, Some(Typed::from_fields(&fields))).await;
    }
    member.resume(tx);
    // What was typed in the minutes is saved with the approval.
    let member = match save_before_moving_on(&state, &session, member, &address, &meeting_id, &fields).await? {
        Ok(member) => member,
        Err(page) => return Ok(page),
    };
    match advance(&state, &member, &address, &meeting_id, MinutesStatus::Circulated, MinutesStatus::Approved, later).await? {
        true => done(&session, "Minutes recorded as approved".into(), to).await,
        false => done(&session, "Only circulated minutes can be approved".into(), to).await,
    }
}

pub(crate) async fn publish(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, meeting_id)): Path<(String, String)>,
) -> Result<Response> {
    member.require(Capability::ManageMeetings)?;
    let to = format!("/p/{}/meetings/{meeting_id}/minutes", member.partnership.slug);
    match advance(&state, &member, &address, &meeting_id, MinutesStatus::Approved, MinutesStatus::Published, None).await? {
        true => done(&session, "Minutes published, without the passages marked confidential".into(), to).await,
        false => done(&session, "Only approved minutes can be published".into(), to).await,
    }
}
