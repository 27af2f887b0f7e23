//! What a review changes: its recommendations (a safeguarding adult review's
//! findings), each answered by actions through the shared actions owner,
//! with owners and due dates, or marked not to be implemented with the
//! reasons (the yearly report gives both); and actions from a rapid review's
//! learning. The review group tracks them; an action not done by its date is
//! escalated to the delegated partners by the actions sweep, like every other.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tower_sessions::Session;
use uuid::Uuid;

use super::review::{Forms, Loaded, load, render};
use super::runs;
use super::workspace::{ActionForm, FindingForm, NotImplementedForm};
use crate::error::{AppError, Result};
use crate::tenant::{Member, change};
use crate::web::{AppState, ClientAddress, DateParts, FormErrors, Layout, Submitted, redirect_with as done, required_text};

#[derive(Template, WebTemplate)]
#[template(path = "reviews/action.html")]
struct ActionPage {
    layout: Layout,
    member: Member,
    review: Loaded,
    owners: Vec<(String, String)>,
    findings: Vec<(String, String)>,
    form: ActionForm,
    errors: FormErrors,
}

/// The action form, with who may own it and the recommendations it may answer; for those who run the review.
async fn render_action(
    state: &AppState,
    session: &Session,
    member: Member,
    review_id: &str,
    form: ActionForm,
    errors: FormErrors,
) -> Result<Response> {
    let mut tx = member.begin(state).await?;
    let review = load(&mut tx, &member, review_id).await?;
    if !runs(&member, review.group_id) {
        return Err(AppError::Forbidden);
    }
    let owners = crate::people::choices(&mut tx, member.partnership.id).await?;
    let findings = super::workspace::open_findings(&mut tx, member.partnership.id, review.id).await?;
    tx.commit().await?;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = ActionPage { layout: member.layout(session, "reviews").await?, member, review, owners, findings, form, errors };
    Ok((status, page).into_response())
}

pub(crate) async fn action_page(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Path((_, review_id)): Path<(String, String)>,
) -> Result<Response> {
    render_action(&state, &session, member, &review_id, ActionForm::default(), FormErrors::default()).await
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
    // A finding of this review, if one was chosen; one of another review is none of this one's.
    let finding = match Uuid::parse_str(&form.action_finding) {
        Ok(id) => {
            let found = sqlx::query_scalar!(
                "select id from review_finding where partnership_id = $1 and review_id = $2 and id = $3 and not_implemented_at is null",
                member.partnership.id,
                review.id,
                id
            )
            .fetch_optional(&mut *tx)
            .await?;
            if found.is_none() {
                errors.add("action_finding", "Choose one of the review's recommendations that is to be implemented");
            }
            found
        }
        Err(_) => None,
    };
    let Some((description, owner_membership_id, owner_name, due_on)) = parsed.filter(|_| errors.is_empty()) else {
        member.resume(tx);
        return render_action(&state, &session, member, &review_id, form, errors).await;
    };
    let action = crate::actions::NewAction {
        review_id: Some(review.id),
        review_finding_id: finding,
        ..crate::actions::NewAction::new((description, owner_membership_id, owner_name, due_on), Some(review.group_id))
    };
    let set = crate::actions::set(&mut tx, &member, &address, &action).await?;
    tx.commit().await?;
    let message = match set {
        Some(_) => format!("{}: action set for {}", review.pseudonym, action.owner_name),
        None => "That action was already set".to_owned(),
    };
    done(&session, message, format!("/p/{}/reviews/{}#actions", member.partnership.slug, review.id)).await
}

/// Record one of the final report's recommendations (a SAR's findings), numbered in order.
pub(crate) async fn add_finding(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, review_id)): Path<(String, String)>,
    Submitted(form): Submitted<FindingForm>,
) -> Result<Response> {
    let mut tx = member.begin(&state).await?;
    let review = load(&mut tx, &member, &review_id).await?;
    if !runs(&member, review.group_id) {
        return Err(AppError::Forbidden);
    }
    let mut errors = FormErrors::default();
    let what = review.kind.finding_name();
    let Some(body) = errors.check("finding", required_text(&form.finding, what, 4000)) else {
        member.resume(tx);
        return render(&state, &session, member, &review_id, Forms { finding: Some(form), errors, ..Forms::default() }).await;
    };
    let pid = member.partnership.id;
    // The review's row is locked so that two added at once take the next numbers in turn.
    sqlx::query!("select id from review where partnership_id = $1 and id = $2 for update", pid, review.id).fetch_one(&mut *tx).await?;
    let id = Uuid::new_v4();
    let added = sqlx::query!(
        "insert into review_finding (partnership_id, id, review_id, position, body, created_by)
         select $1, $2, $3, coalesce(max(position), 0) + 1, $4, $5 from review_finding where partnership_id = $1 and review_id = $3
         on conflict (partnership_id, review_id, body) do nothing",
        pid,
        id,
        review.id,
        body,
        member.user.id
    )
    .execute(&mut *tx)
    .await?;
    if added.rows_affected() == 1 {
        change(&member, "review_finding.added", "review", review.id, &address)
            .after(json!({ "finding_id": id, "body": body }))
            .record(&mut tx)
            .await?;
    }
    tx.commit().await?;
    done(
        &session,
        format!("{}: {what} recorded", review.pseudonym),
        format!("/p/{}/reviews/{}#findings", member.partnership.slug, review.id),
    )
    .await
}

/// Record that a recommendation or finding will not be implemented, and why.
pub(crate) async fn not_implemented(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, review_id, finding_id)): Path<(String, String, String)>,
    Submitted(form): Submitted<NotImplementedForm>,
) -> Result<Response> {
    let mut tx = member.begin(&state).await?;
    let review = load(&mut tx, &member, &review_id).await?;
    if !runs(&member, review.group_id) {
        return Err(AppError::Forbidden);
    }
    let finding_id = crate::web::record_id(&finding_id)?;
    let pid = member.partnership.id;
    let finding = sqlx::query!(
        r#"select f.position, f.not_implemented_reason,
                  exists (select 1 from action_point a where a.partnership_id = f.partnership_id and a.review_finding_id = f.id) as "has_actions!"
           from review_finding f where f.partnership_id = $1 and f.review_id = $2 and f.id = $3 for update"#,
        pid,
        review.id,
        finding_id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    let to = format!("/p/{}/reviews/{}#findings", member.partnership.slug, review.id);
    let what = review.kind.finding_name();
    if finding.has_actions {
        return done(
            &session,
            format!("{} {what} {} already has actions: it is being implemented", review.pseudonym, finding.position),
            to,
        )
        .await;
    }
    let mut errors = FormErrors::default();
    let Some(reason) = errors.check("not_implemented_reason", required_text(&form.not_implemented_reason, "reasons", 4000)) else {
        member.resume(tx);
        let forms = Forms { not_implemented: Some((finding_id, form)), errors, ..Forms::default() };
        return render(&state, &session, member, &review_id, forms).await;
    };
    sqlx::query!(
        "update review_finding set not_implemented_reason = $3, not_implemented_at = now(), not_implemented_by = $4
         where partnership_id = $1 and id = $2",
        pid,
        finding_id,
        reason,
        member.user.id
    )
    .execute(&mut *tx)
    .await?;
    change(&member, "review_finding.not_implemented", "review", review.id, &address)
        .before(json!({ "finding_id": finding_id, "not_implemented_reason": finding.not_implemented_reason }))
        .after(json!({ "finding_id": finding_id, "not_implemented_reason": reason }))
        .record(&mut tx)
        .await?;
    tx.commit().await?;
    done(&session, format!("{}: {what} {} is not to be implemented, with the reasons", review.pseudonym, finding.position), to).await
}
