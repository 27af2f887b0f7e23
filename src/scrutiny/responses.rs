//! Answers to recommendations: accepted, partly accepted or not accepted with
//! reasons, by the addressee; accepted ones carry actions (set through `actions::set`).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::json;
use tower_sessions::Session;
use uuid::Uuid;

use super::{Acceptance, Assurance, day_of};
use crate::calendar::long_date;
use crate::db::Tx;
use crate::error::{AppError, Result};
use crate::roles::Capability;
use crate::tenant::{Member, change};
use crate::web::{AppState, ClientAddress, DateParts, FormErrors, Layout, Submitted, optional_text, record_id, redirect_with};

/// A current recommendation (of a report's latest submitted version) and who may answer it.
pub struct CurrentRecommendation {
    pub id: Uuid,
    pub lineage_id: Uuid,
    pub report_id: Uuid,
    pub report_title: String,
    pub finding_title: String,
    pub assurance: Assurance,
    pub body: String,
    pub addressee: String,
    pub addressee_organisation_id: Option<Uuid>,
    pub addressee_group_id: Option<Uuid>,
    pub responses_due_on: Option<NaiveDate>,
    /// Its report was corrected since: the recommendation stands as it was, and takes no response.
    pub superseded: bool,
    /// The business manager; for a partner, its delegated partner or their deputy; for a group, its chair.
    pub may_respond: bool,
    pub response: Option<Acceptance>,
    pub reasons: Option<String>,
    pub responded_by_name: Option<String>,
    pub responded_at: Option<DateTime<Utc>>,
}

impl CurrentRecommendation {
    pub fn due(&self) -> String {
        self.responses_due_on.map(long_date).unwrap_or_default()
    }
    pub fn assurance_label(&self) -> &'static str {
        self.assurance.label()
    }
}

/// A submitted recommendation with its response so far and whether this person may respond, in one statement.
pub(super) async fn current_recommendation(tx: &mut Tx, member: &Member, raw: &str) -> Result<CurrentRecommendation> {
    sqlx::query_as!(
        CurrentRecommendation,
        r#"select r.id, r.lineage_id, r.report_id, sr.title as report_title, f.title as finding_title, f.assurance as "assurance: Assurance", r.body,
                  coalesce(o.name, g.name, '') as "addressee!", r.addressee_organisation_id, r.addressee_group_id,
                  v.responses_due_on as "responses_due_on: NaiveDate", v.superseded_at is not null as "superseded!",
                  $3 or case
                    when r.addressee_organisation_id is not null then may_speak_for(r.partnership_id, $4, r.addressee_organisation_id, null)
                    else exists (select 1 from group_member s where s.partnership_id = r.partnership_id and s.membership_id = $4
                                   and s.group_id = r.addressee_group_id and s.role_in_group = 'chair' and s.starts_on <= current_date
                                   and (s.ends_on is null or s.ends_on >= current_date))
                  end as "may_respond!",
                  resp.response as "response?: Acceptance", resp.reasons as "reasons?", u.display_name as "responded_by_name?",
                  resp.responded_at as "responded_at?: DateTime<Utc>"
           from scrutiny_recommendation r
           join scrutiny_finding f on f.partnership_id = r.partnership_id and f.id = r.finding_id
           join scrutiny_report sr on sr.partnership_id = r.partnership_id and sr.id = r.report_id
           join scrutiny_report_version v on v.partnership_id = r.partnership_id and v.report_id = r.report_id and v.version = r.version
           left join organisation o on o.partnership_id = r.partnership_id and o.id = r.addressee_organisation_id
           left join partnership_group g on g.partnership_id = r.partnership_id and g.id = r.addressee_group_id
           left join recommendation_response resp on resp.partnership_id = r.partnership_id and resp.lineage_id = r.lineage_id
           left join app_user u on u.id = resp.responded_by
           where r.partnership_id = $1 and r.id = $2 and v.submitted_at is not null"#,
        member.partnership.id,
        record_id(raw)?,
        member.roles.allows(Capability::ManageScrutiny),
        member.membership_id
    )
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(AppError::NotFound)
}

#[derive(Deserialize, Default, Clone)]
pub(crate) struct ResponseForm {
    #[serde(default)]
    pub(super) response: String,
    #[serde(default)]
    pub(super) reasons: String,
    #[serde(default)]
    pub(super) action_description: String,
    #[serde(default)]
    pub(super) action_owner: String,
    #[serde(default)]
    pub(super) action_due_day: String,
    #[serde(default)]
    pub(super) action_due_month: String,
    #[serde(default)]
    pub(super) action_due_year: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "scrutiny/recommendation.html")]
pub(super) struct RecommendationPage {
    pub(super) layout: Layout,
    pub(super) member: Member,
    pub(super) rec: CurrentRecommendation,
    pub(super) response: Option<(String, String, String, String)>,
    pub(super) actions: Vec<crate::actions::Action>,
    pub(super) may_respond: bool,
    pub(super) superseded: bool,
    pub(super) people: Vec<(String, String)>,
    pub(super) responses: [(&'static str, &'static str); 3],
    pub(super) errors: FormErrors,
    pub(super) form: ResponseForm,
}

pub(super) async fn render_recommendation(
    state: &AppState,
    session: &Session,
    member: Member,
    raw: &str,
    errors: FormErrors,
    form: Option<ResponseForm>,
) -> Result<Response> {
    let mut tx = member.begin(state).await?;
    let pid = member.partnership.id;
    let rec = current_recommendation(&mut tx, &member, raw).await?;
    let response = match (rec.response, &rec.reasons, &rec.responded_by_name, rec.responded_at) {
        (Some(response), Some(reasons), Some(by), Some(at)) => Some((response.label().to_owned(), reasons.clone(), by.clone(), day_of(at))),
        _ => None,
    };
    let filter = crate::actions::Actions::ForRecommendation(rec.lineage_id);
    let actions = crate::actions::list(&mut tx, pid, filter).await?;
    let superseded = rec.superseded;
    let may_respond = !superseded && rec.may_respond;
    let people = if may_respond { crate::people::choices(&mut tx, pid).await? } else { Vec::new() };
    tx.commit().await?;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = RecommendationPage {
        layout: member.layout(session, "scrutiny").await?,
        member,
        rec,
        response,
        actions,
        may_respond,
        superseded,
        people,
        responses: Acceptance::options(),
        errors,
        form: form.unwrap_or_default(),
    };
    Ok((status, page).into_response())
}

pub(crate) async fn recommendation_page(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Path((_, recommendation_id)): Path<(String, String)>,
) -> Result<Response> {
    render_recommendation(&state, &session, member, &recommendation_id, FormErrors::default(), None).await
}

/// An action from the form, if one was described; errors say what is missing.
pub(super) async fn parse_action(
    tx: &mut Tx,
    member: &Member,
    form: &ResponseForm,
    errors: &mut FormErrors,
    required: bool,
) -> Result<Option<(String, Uuid, String, NaiveDate)>> {
    let given = !form.action_description.trim().is_empty() || !form.action_owner.is_empty() || !form.action_due_day.trim().is_empty();
    if !given && !required {
        return Ok(None);
    }
    let due = DateParts { day: form.action_due_day.clone(), month: form.action_due_month.clone(), year: form.action_due_year.clone() };
    Ok(crate::actions::parse_new(tx, member.partnership.id, &form.action_description, &form.action_owner, due, errors).await?)
}

pub(super) async fn insert_action(
    tx: &mut Tx,
    member: &Member,
    address: &str,
    rec: &CurrentRecommendation,
    action: (String, Uuid, String, NaiveDate),
) -> Result<()> {
    let action = crate::actions::NewAction {
        recommendation_lineage_id: Some(rec.lineage_id),
        ..crate::actions::NewAction::new(action, rec.addressee_group_id)
    };
    crate::actions::set(tx, member, address, &action).await?;
    Ok(())
}

/// Answers and actions for one recommendation wait here for each other.
pub(super) async fn lock_recommendation(tx: &mut Tx, partnership_id: Uuid, rec: &CurrentRecommendation) -> sqlx::Result<()> {
    sqlx::query!("select id from scrutiny_recommendation where partnership_id = $1 and id = $2 for update", partnership_id, rec.id)
        .fetch_one(&mut **tx)
        .await?;
    Ok(())
}

pub(crate) async fn respond(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, recommendation_id)): Path<(String, String)>,
    Submitted(form): Submitted<ResponseForm>,
) -> Result<Response> {
    let mut tx = member.begin(&state).await?;
    let pid = member.partnership.id;
    let rec = current_recommendation(&mut tx, &member, &recommendation_id).await?;
    if !rec.may_respond {
        return Err(AppError::Forbidden);
    }
    lock_recommendation(&mut tx, pid, &rec).await?;
    let before = sqlx::query!(
        r#"select response as "response: Acceptance", reasons from recommendation_response where partnership_id = $1 and lineage_id = $2"#,
        pid,
        rec.lineage_id
    )
    .fetch_optional(&mut *tx)
    .await?;
    let mut errors = FormErrors::default();
    let response = Acceptance::parse(&form.response);
    if response.is_none() {
        errors.add("response", "Choose whether the recommendation is accepted, partly accepted or not accepted");
    }
    let reasons = errors.check("reasons", optional_text(&form.reasons, "reasons", 4000));
    if response.is_some_and(|r| r != Acceptance::Accepted) && reasons.as_deref().is_some_and(str::is_empty) {
        errors.add("reasons", "Give the reasons for not accepting the recommendation in full");
    }
    let has_actions = sqlx::query_scalar!(
        r#"select exists (select 1 from action_point where partnership_id = $1 and recommendation_lineage_id = $2) as "e!""#,
        pid,
        rec.lineage_id
    )
    .fetch_one(&mut *tx)
    .await?;
    // An accepted recommendation needs an action, with an owner and a due date.
    let needs_action = response.is_some_and(|r| r != Acceptance::NotAccepted) && !has_actions;
    let action = parse_action(&mut tx, &member, &form, &mut errors, needs_action).await?;
    let (Some(response), Some(reasons)) = (response, reasons.filter(|_| errors.is_empty())) else {
        member.resume(tx);
        return render_recommendation(&state, &session, member, &recommendation_id, errors, Some(form)).await;
    };
    sqlx::query!(
        "insert into recommendation_response (partnership_id, lineage_id, report_id, response, reasons, responded_by) values ($1, $2, $3, $4, $5, $6)
         on conflict (partnership_id, lineage_id) do update set response = excluded.response, reasons = excluded.reasons,
             responded_by = excluded.responded_by, responded_at = now()",
        pid,
        rec.lineage_id,
        rec.report_id,
        response as _,
        reasons,
        member.user.id
    )
    .execute(&mut *tx)
    .await?;
    let mut audit = change(&member, "scrutiny.recommendation_answered", "scrutiny_recommendation", rec.id, &address)
        .after(json!({ "response": response, "reasons": reasons, "addressee": rec.addressee }));
    if let Some(b) = &before {
        audit = audit.before(json!({ "response": b.response, "reasons": b.reasons }));
    }
    audit.record(&mut tx).await?;
    if let Some(action) = action {
        insert_action(&mut tx, &member, &address, &rec, action).await?;
    }
    tx.commit().await?;
    redirect_with(
        &session,
        format!("Response recorded: {}", response.label()),
        format!("/p/{}/scrutiny/recommendations/{}", member.partnership.slug, rec.id),
    )
    .await
}

pub(crate) async fn add_action(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, recommendation_id)): Path<(String, String)>,
    Submitted(form): Submitted<ResponseForm>,
) -> Result<Response> {
    let mut tx = member.begin(&state).await?;
    let rec = current_recommendation(&mut tx, &member, &recommendation_id).await?;
    if !rec.may_respond {
        return Err(AppError::Forbidden);
    }
    lock_recommendation(&mut tx, member.partnership.id, &rec).await?;
    let mut errors = FormErrors::default();
    let Some(action) = parse_action(&mut tx, &member, &form, &mut errors, true).await?.filter(|_| errors.is_empty()) else {
        member.resume(tx);
        return render_recommendation(&state, &session, member, &recommendation_id, errors, Some(form)).await;
    };
    insert_action(&mut tx, &member, &address, &rec, action).await?;
    tx.commit().await?;
    redirect_with(&session, "Action added".into(), format!("/p/{}/scrutiny/recommendations/{}", member.partnership.slug, rec.id)).await
}
