//! Raising a decision: the business manager for any body, a group's chair for their own group.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveTime, Utc};
use serde::Deserialize;
use serde_json::json;
use tower_sessions::Session;
use uuid::Uuid;

use super::{Decision, NewDecision, notify, uk_moment};
use crate::calendar::{parse_time, uk_datetime};
use crate::db::Tx;
use crate::error::{AppError, Result};
use crate::roles::Capability;
use crate::tenant::{Member, change};
use crate::web::{
    AppState, ClientAddress, DateParts, FormErrors, Layout, Submitted, optional_text, redirect_with, required_line, required_text,
};

/// Whether this member puts decisions to a body and manages those put to it:
/// the business unit, or the body's chair, while the body still sits. The one
/// statement of the rule; `Member::chairs` holds the bodies still sitting that
/// the member chairs today.
pub(super) fn manages_body(member: &Member, group_id: Uuid, sitting: bool) -> bool {
    sitting && (member.roles.allows(Capability::ManageDecisions) || member.chairs.contains(&group_id))
}

/// Whether this member may put a decision to any body at all (the register's "raise" link).
pub(super) fn may_raise_any(member: &Member) -> bool {
    member.roles.allows(Capability::ManageDecisions) || !member.chairs.is_empty()
}

/// Put a decision to the partners, audit it and tell those with a voice: the
/// one way a decision is raised, from its form or from another record (a
/// review's recommendation). Its number, or None when a decision with this id
/// exists already (the same submission twice).
pub async fn put_and_tell(tx: &mut Tx, member: &Member, address: &str, d: &NewDecision) -> Result<Option<i32>> {
    let pid = member.partnership.id;
    let Some(raised) = super::put_to_partners(tx, pid, member.user.id, d).await? else {
        return Ok(None);
    };
    let number = raised.number;
    change(member, "decision.raised", "decision", d.id, address)
        .after(json!({
            "number": number, "group_id": d.group_id, "title": d.title, "question": d.question, "background": d.background,
            "options": d.options, "confidential": d.confidential, "meeting_id": d.meeting_id, "responds_to": d.responds_to,
            "closes_at": d.closes_at, "quorum": raised.quorum_sectors, "majority_vote": raised.rule.majority_vote,
            "majority_of": raised.rule.majority_of.code(), "voters": raised.voters,
        }))
        .record(tx)
        .await?;
    let subject = format!("Decision D{number} needs your response by {}", uk_moment(d.closes_at));
    let body = format!(
        "{} has asked the partners to decide:\n\n{}\n\n{}\n\nRespond online in Partnership Hub by {}.\n",
        member.user.display_name,
        d.title,
        d.question,
        uk_moment(d.closes_at)
    );
    notify(tx, pid, d.id, None, &subject, &body, "decision-raised").await?;
    Ok(Some(number))
}

/// The bodies this member may put a decision to: every active group for the
/// business manager, the groups they chair for a chair.
pub(super) async fn raisable_groups(tx: &mut Tx, member: &Member) -> sqlx::Result<Vec<(Uuid, String)>> {
    let rows = sqlx::query!(
        "select g.id, g.name from partnership_group g
         where g.partnership_id = $1 and g.retired_on is null
         order by array_position(array['executive', 'accountability', 'board'], g.kind), g.sort_order, g.name",
        member.partnership.id
    )
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows.into_iter().filter(|r| manages_body(member, r.id, true)).map(|r| (r.id, r.name)).collect())
}

/// The business manager, or the chair of the body the decision was put to (while it sits).
pub(super) async fn chairs_or_manages(tx: &mut Tx, member: &Member, decision: &Decision) -> sqlx::Result<bool> {
    let sitting = sqlx::query_scalar!(
        r#"select retired_on is null as "sitting!" from partnership_group where partnership_id = $1 and id = $2"#,
        member.partnership.id,
        decision.group_id
    )
    .fetch_optional(&mut **tx)
    .await?
    .unwrap_or(false);
    Ok(manages_body(member, decision.group_id, sitting))
}

#[derive(Deserialize, Default, Clone)]
pub(crate) struct RaiseForm {
    /// Made when the form is shown: submitting the same form twice raises one decision.
    #[serde(default)]
    pub(super) decision_id: String,
    #[serde(default)]
    pub(super) group_id: String,
    #[serde(default)]
    pub(super) title: String,
    #[serde(default)]
    pub(super) question: String,
    #[serde(default)]
    pub(super) background: String,
    #[serde(default)]
    pub(super) options: String,
    #[serde(default)]
    pub(super) deadline_day: String,
    #[serde(default)]
    pub(super) deadline_month: String,
    #[serde(default)]
    pub(super) deadline_year: String,
    #[serde(default)]
    pub(super) deadline_time: String,
    #[serde(default)]
    pub(super) confidential: Option<String>,
    #[serde(default)]
    pub(super) meeting_id: String,
    #[serde(default)]
    pub(super) responds_to: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "decisions/new.html")]
pub(super) struct NewPage {
    pub(super) layout: Layout,
    pub(super) member: Member,
    pub(super) errors: FormErrors,
    pub(super) form: RaiseForm,
    pub(super) groups: Vec<(String, String)>,
    pub(super) meetings: Vec<(String, String)>,
    pub(super) partners: Vec<String>,
}

pub(super) async fn new_page(state: &AppState, session: &Session, member: Member, form: RaiseForm, errors: FormErrors) -> Result<Response> {
    let mut tx = member.begin(state).await?;
    let groups = raisable_groups(&mut tx, &member).await?;
    if groups.is_empty() {
        return Err(AppError::Forbidden);
    }
    let group_ids: Vec<Uuid> = groups.iter().map(|(id, _)| *id).collect();
    let meetings = sqlx::query!(
        r#"select m.id, g.name, m.starts_at as "starts_at: DateTime<Utc>", m.ends_at as "ends_at: DateTime<Utc>"
           from meeting m join partnership_group g on g.partnership_id = m.partnership_id and g.id = m.group_id
           where m.partnership_id = $1 and m.group_id = any($2) and m.status = 'scheduled' and m.ends_at >= now() - interval '31 days'
           order by m.starts_at limit 40"#,
        member.partnership.id,
        &group_ids
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|m| (m.id.to_string(), format!("{}: {}", m.name, crate::calendar::when(m.starts_at, m.ends_at))))
    .collect();
    let partners = sqlx::query_scalar!(
        "select name from organisation where partnership_id = $1 and is_statutory_partner and retired_on is null order by name",
        member.partnership.id
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = NewPage {
        layout: member.layout(session, "decisions").await?,
        member,
        errors,
        form,
        groups: groups.into_iter().map(|(id, name)| (id.to_string(), name)).collect(),
        meetings,
        partners,
    };
    Ok((status, page).into_response())
}

pub(crate) async fn new_decision(State(state): State<AppState>, session: Session, member: Member) -> Result<Response> {
    let form = RaiseForm { decision_id: Uuid::new_v4().to_string(), deadline_time: "17:00".into(), ..RaiseForm::default() };
    new_page(&state, &session, member, form, FormErrors::default()).await
}

/// A deadline from a date and a time, in UK time; it must be in the future.
pub(super) fn parse_deadline(parts: DateParts, time: &str, errors: &mut FormErrors, what: &str) -> Option<DateTime<Utc>> {
    let date = errors.check("deadline_day", parts.parse(what, true)).flatten();
    let time = if time.trim().is_empty() { Ok(NaiveTime::from_hms_opt(17, 0, 0).unwrap_or_default()) } else { parse_time(time, "time") };
    let time = errors.check("deadline_time", time);
    let (date, time) = (date?, time?);
    let Some(at) = uk_datetime(date, time) else {
        errors.add("deadline_time", "That time does not exist on that day (the clocks go forward)");
        return None;
    };
    if at <= Utc::now() {
        errors.add("deadline_day", format!("{what} must be in the future"));
        return None;
    }
    Some(at)
}

pub(super) async fn validate_raise(tx: &mut Tx, member: &Member, form: &RaiseForm, errors: &mut FormErrors) -> Result<Option<NewDecision>> {
    let id = Uuid::parse_str(form.decision_id.trim()).map_err(|_| AppError::BadRequest)?;
    let groups = raisable_groups(tx, member).await?;
    let group_id = Uuid::parse_str(&form.group_id).ok().filter(|g| groups.iter().any(|(id, _)| id == g));
    if group_id.is_none() {
        errors.add("group_id", "Choose the group that takes the decision");
    }
    let title = errors.check("title", required_line(&form.title, "title", 200));
    let question = errors.check("question", required_text(&form.question, "question the partners are asked to decide", 4000));
    let background = errors.check("background", optional_text(&form.background, "background", 20000));
    let options = errors.check("options", optional_text(&form.options, "options", 10000));
    let responds_to = errors.check("responds_to", optional_text(&form.responds_to, "review or report it answers", 300));
    let parts = DateParts { day: form.deadline_day.clone(), month: form.deadline_month.clone(), year: form.deadline_year.clone() };
    let closes_at = parse_deadline(parts, &form.deadline_time, errors, "Deadline");
    let meeting_id = match form.meeting_id.trim() {
        "" => None,
        raw => {
            let meeting = match (Uuid::parse_str(raw).ok(), group_id) {
                (Some(m), Some(g)) => sqlx::query_scalar!(
                    "select id from meeting where partnership_id = $1 and id = $2 and group_id = $3 and status = 'scheduled'",
                    member.partnership.id,
                    m,
                    g
                )
                .fetch_optional(&mut **tx)
                .await?
                .map(Some),
                _ => None,
            };
            if meeting.is_none() && group_id.is_some() {
                errors.add("meeting_id", "Choose a meeting of the group that takes the decision, or none");
            }
            meeting.flatten()
        }
    };
    let partners = sqlx::query_scalar!(
        r#"select count(*) as "n!" from organisation where partnership_id = $1 and is_statutory_partner and retired_on is null"#,
        member.partnership.id
    )
    .fetch_one(&mut **tx)
    .await?;
    if partners == 0 {
        errors.add("group_id", "The partnership has no statutory partners recorded: add them under Structure first");
    }
    if !errors.is_empty() {
        return Ok(None);
    }
    Ok(match (group_id, title, question, background, options, closes_at, responds_to) {
        (Some(group_id), Some(title), Some(question), Some(background), Some(options), Some(closes_at), Some(responds_to)) => {
            Some(NewDecision {
                id,
                group_id,
                title,
                question,
                background,
                options,
                confidential: form.confidential.is_some(),
                closes_at,
                meeting_id,
                responds_to,
            })
        }
        _ => None,
    })
}

pub(crate) async fn raise(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Submitted(form): Submitted<RaiseForm>,
) -> Result<Response> {
    let mut tx = member.begin(&state).await?;
    let pid = member.partnership.id;
    let mut errors = FormErrors::default();
    let Some(d) = validate_raise(&mut tx, &member, &form, &mut errors).await? else {
        member.resume(tx);
        return new_page(&state, &session, member, form, errors).await;
    };
    let Some(number) = put_and_tell(&mut tx, &member, &address, &d).await? else {
        // The same form submitted again: show what the first submission raised.
        let raised_by = sqlx::query_scalar!("select raised_by from decision where partnership_id = $1 and id = $2", pid, d.id)
            .fetch_optional(&mut *tx)
            .await?;
        if raised_by != Some(member.user.id) {
            return Err(AppError::BadRequest);
        }
        let to = format!("/p/{}/decisions/{}", member.partnership.slug, d.id);
        return redirect_with(&session, "That decision was already raised".into(), to).await;
    };
    tx.commit().await?;
    redirect_with(&session, format!("Decision D{number} raised: {}", d.title), format!("/p/{}/decisions/{}", member.partnership.slug, d.id))
        .await
}
