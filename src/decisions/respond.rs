//! Responding for a partner organisation: its delegated partner or their deputy,
//! or the business manager on the partner's behalf with evidence. One voice per
//! organisation; a response made against a stale page is refused, not merged.

use crate::decisions::decision::PageForms;
use crate::decisions::decision::ResponseForm;
use crate::decisions::decision::closed_message;
use crate::decisions::decision::find_decision;
use crate::decisions::decision::render;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::json;
use tower_sessions::Session;
use uuid::Uuid;

use super::{Decision, Position, Stage, VoterLine, may_respond_for, settle, uk_moment, voters};
use crate::db::Tx;
use crate::error::{AppError, Result};
use crate::roles::Capability;
use crate::tenant::{Member, change};
use crate::web::{AppState, ClientAddress, FormErrors, Layout, Submitted, optional_text, record_id, redirect_with, required_text};

pub(super) enum Recorded {
    Saved,
    Unchanged,
    /// Someone else changed the organisation's response since this person loaded the page.
    Conflict(String),
}

/// Write an organisation's response unless someone changed it since `seen`
/// (the decision row is locked by the caller, and the primary key keeps one
/// current response per organisation and stage whatever happens).
/// A response as submitted, for one organisation.
pub(super) struct GivenResponse<'a> {
    pub(super) organisation_id: Uuid,
    pub(super) position: Position,
    pub(super) comment: &'a str,
    /// Set when the business manager records it on the partner's behalf.
    pub(super) proxy_evidence: Option<&'a str>,
    /// The version of the organisation's response the person saw (0 for none).
    pub(super) seen: i32,
}

pub(super) async fn record_response(
    tx: &mut Tx,
    member: &Member,
    address: &str,
    decision: &Decision,
    given: GivenResponse<'_>,
) -> Result<Recorded> {
    let GivenResponse { organisation_id, position, comment, proxy_evidence, seen } = given;
    let pid = member.partnership.id;
    let stage = decision.stage();
    let current = sqlx::query!(
        r#"select r.version, r.position as "position: Position", r.comment, u.display_name, r.responded_at as "responded_at: DateTime<Utc>"
           from decision_response r join app_user u on u.id = r.recorded_by
           where r.partnership_id = $1 and r.decision_id = $2 and r.stage = $3 and r.organisation_id = $4"#,
        pid,
        decision.id,
        stage.code(),
        organisation_id
    )
    .fetch_optional(&mut **tx)
    .await?;
    if let Some(c) = &current {
        if c.position == position && c.comment == comment {
            return Ok(Recorded::Unchanged);
        }
        if c.version != seen {
            let said = c.position.label(&stage);
            return Ok(Recorded::Conflict(format!(
                "{} recorded your organisation's response ({said}) on {} while you had this page open. Their response stands: read it, then submit yours again if you still want to change it",
                c.display_name,
                uk_moment(c.responded_at)
            )));
        }
    }
    let (on_behalf, evidence) = (proxy_evidence.is_some(), proxy_evidence.unwrap_or(""));
    let written = match current {
        None => sqlx::query_scalar!(
            "insert into decision_response (partnership_id, decision_id, stage, organisation_id, position, comment, recorded_by, on_behalf, evidence)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9) on conflict do nothing returning version",
            pid,
            decision.id,
            stage.code(),
            organisation_id,
            position.code(),
            comment,
            member.user.id,
            on_behalf,
            evidence
        )
        .fetch_optional(&mut **tx)
        .await?,
        Some(_) => sqlx::query_scalar!(
            "update decision_response set position = $5, comment = $6, recorded_by = $7, on_behalf = $8, evidence = $9,
                    version = version + 1, responded_at = now()
             where partnership_id = $1 and decision_id = $2 and stage = $3 and organisation_id = $4 and version = $10
             returning version",
            pid,
            decision.id,
            stage.code(),
            organisation_id,
            position.code(),
            comment,
            member.user.id,
            on_behalf,
            evidence,
            seen
        )
        .fetch_optional(&mut **tx)
        .await?,
    };
    let Some(version) = written else {
        return Ok(Recorded::Conflict(
            "Your organisation's response changed while you were submitting: read it, then submit again".to_owned(),
        ));
    };
    let action = if on_behalf { "decision.response_recorded_on_behalf" } else { "decision.responded" };
    change(member, action, "decision", decision.id, address)
        .after(json!({
            "organisation_id": organisation_id, "stage": stage.code(), "position": position.code(), "comment": comment,
            "version": version, "evidence": evidence,
        }))
        .record(tx)
        .await?;
    Ok(Recorded::Saved)
}

/// The response on the form; a hidden version that is not a number is a tampered form, not a typing slip.
pub(super) fn parse_response(form: &ResponseForm, errors: &mut FormErrors, stage: Stage) -> Result<Option<(Position, String, i32)>> {
    let position = Position::from_code(&form.position);
    if position.is_none() {
        errors.add(
            "position",
            if stage == Stage::Vote {
                "Choose whether you vote for, against or abstain"
            } else {
                "Choose whether you agree, disagree or abstain"
            },
        );
    }
    let comment = errors.check("comment", optional_text(&form.comment, "comment", 4000));
    let seen = form.seen_version.trim().parse::<i32>().map_err(|_| AppError::BadRequest)?;
    Ok(position.zip(comment).map(|(p, c)| (p, c, seen)))
}

pub(crate) async fn respond(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, decision_id)): Path<(String, String)>,
    Submitted(form): Submitted<ResponseForm>,
) -> Result<Response> {
    let mut tx = member.begin(&state).await?;
    let pid = member.partnership.id;
    let id = record_id(&decision_id)?;
    // Everything about this decision waits here for the one before it.
    settle(&mut tx, pid, id, None).await?;
    let decision = find_decision(&mut tx, &member, &decision_id).await?;
    let organisation_id = *may_respond_for(&mut tx, pid, decision.id, member.user.id).await?.first().ok_or(AppError::Forbidden)?;
    let mut errors = FormErrors::default();
    if let Some(message) = closed_message(&decision) {
        member.resume(tx);
        errors.add("position", message);
        return render(&state, &session, member, &decision_id, PageForms { errors, response: form, ..PageForms::default() }).await;
    }
    let Some((position, comment, seen)) = parse_response(&form, &mut errors, decision.stage())?.filter(|_| errors.is_empty()) else {
        member.resume(tx);
        return render(&state, &session, member, &decision_id, PageForms { errors, response: form, ..PageForms::default() }).await;
    };
    let outcome = match record_response(
        &mut tx,
        &member,
        &address,
        &decision,
        GivenResponse { organisation_id, position, comment: &comment, proxy_evidence: None, seen },
    )
    .await?
    {
        Recorded::Conflict(message) => {
            member.resume(tx);
            errors.add("position", message);
            return render(
                &state,
                &session,
                member,
                &decision_id,
                PageForms { errors, response: ResponseForm { seen_version: String::new(), ..form }, ..PageForms::default() },
            )
            .await;
        }
        Recorded::Unchanged => None,
        Recorded::Saved => settle(&mut tx, pid, decision.id, Some(member.user.id)).await?,
    };
    tx.commit().await?;
    let message = match outcome {
        Some(o) => format!("Your response is recorded. Every partner has now responded: {}", o.label().to_lowercase()),
        None => format!("Your response to D{} is recorded: {}", decision.number, position.label(&decision.stage())),
    };
    redirect_with(&session, message, format!("/p/{}/decisions/{}", member.partnership.slug, decision.id)).await
}

#[derive(Template, WebTemplate)]
#[template(path = "decisions/proxy.html")]
pub(super) struct ProxyPage {
    pub(super) layout: Layout,
    pub(super) member: Member,
    pub(super) decision: Decision,
    pub(super) stage: Stage,
    pub(super) voice: VoterLine,
    pub(super) errors: FormErrors,
    pub(super) form: ResponseForm,
}

pub(super) async fn proxy_form(
    state: &AppState,
    session: &Session,
    member: Member,
    decision_id: &str,
    organisation_id: &str,
    errors: FormErrors,
    form: Option<ResponseForm>,
) -> Result<Response> {
    member.require(Capability::ManageDecisions)?;
    let mut tx = member.begin(state).await?;
    let decision = find_decision(&mut tx, &member, decision_id).await?;
    let organisation_id = record_id(organisation_id)?;
    let voice = voters(&mut tx, member.partnership.id, decision.id, decision.stage())
        .await?
        .into_iter()
        .find(|l| l.organisation_id == organisation_id)
        .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    let mut form = form.unwrap_or_else(|| ResponseForm {
        position: voice.position.map(|p| p.code().to_owned()).unwrap_or_default(),
        comment: voice.comment.clone().unwrap_or_default(),
        ..ResponseForm::default()
    });
    if form.seen_version.is_empty() {
        form.seen_version = voice.version.unwrap_or(0).to_string();
    }
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page =
        ProxyPage { layout: member.layout(session, "decisions").await?, stage: decision.stage(), member, decision, voice, errors, form };
    Ok((status, page).into_response())
}

pub(crate) async fn proxy_page(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Path((_, decision_id, organisation_id)): Path<(String, String, String)>,
) -> Result<Response> {
    proxy_form(&state, &session, member, &decision_id, &organisation_id, FormErrors::default(), None).await
}

pub(crate) async fn record_proxy(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, decision_id, organisation_raw)): Path<(String, String, String)>,
    Submitted(form): Submitted<ResponseForm>,
) -> Result<Response> {
    member.require(Capability::ManageDecisions)?;
    let mut tx = member.begin(&state).await?;
    let pid = member.partnership.id;
    let id = record_id(&decision_id)?;
    settle(&mut tx, pid, id, None).await?;
    let decision = find_decision(&mut tx, &member, &decision_id).await?;
    let organisation_id = record_id(&organisation_raw)?;
    let voice = voters(&mut tx, pid, decision.id, decision.stage())
        .await?
        .into_iter()
        .find(|l| l.organisation_id == organisation_id)
        .ok_or(AppError::NotFound)?;
    let mut errors = FormErrors::default();
    if let Some(message) = closed_message(&decision) {
        member.resume(tx);
        errors.add("position", message);
        return proxy_form(&state, &session, member, &decision_id, &organisation_raw, errors, Some(form)).await;
    }
    let parsed = parse_response(&form, &mut errors, decision.stage())?;
    let evidence = errors.check(
        "evidence",
        match form.evidence.trim() {
            "" => Err("Enter how the partner gave this response, for example by email or at a meeting".to_owned()),
            _ => required_text(&form.evidence, "evidence", 2000),
        },
    );
    let (Some((position, comment, seen)), Some(evidence)) = (parsed, evidence) else {
        member.resume(tx);
        return proxy_form(&state, &session, member, &decision_id, &organisation_raw, errors, Some(form)).await;
    };
    if !errors.is_empty() {
        member.resume(tx);
        return proxy_form(&state, &session, member, &decision_id, &organisation_raw, errors, Some(form)).await;
    }
    let outcome = match record_response(
        &mut tx,
        &member,
        &address,
        &decision,
        GivenResponse { organisation_id, position, comment: &comment, proxy_evidence: Some(&evidence), seen },
    )
    .await?
    {
        Recorded::Conflict(message) => {
            member.resume(tx);
            errors.add("position", message);
            return proxy_form(
                &state,
                &session,
                member,
                &decision_id,
                &organisation_raw,
                errors,
                Some(ResponseForm { seen_version: String::new(), ..form }),
            )
            .await;
        }
        Recorded::Unchanged => None,
        Recorded::Saved => settle(&mut tx, pid, decision.id, Some(member.user.id)).await?,
    };
    tx.commit().await?;
    let mut message = format!("{}'s response recorded on their behalf: {}", voice.organisation_name, position.label(&decision.stage()));
    if let Some(o) = outcome {
        message = format!("{message}. Every partner has now responded: {}", o.label().to_lowercase());
    }
    redirect_with(&session, message, format!("/p/{}/decisions/{}", member.partnership.slug, decision.id)).await
}
