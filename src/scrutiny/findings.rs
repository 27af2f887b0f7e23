//! A report's findings, each with an assurance rating, and the recommendations
//! each finding makes to a named partner or group.

use crate::scrutiny::FindingRow;
use crate::scrutiny::RecommendationView;
use crate::scrutiny::content;
use crate::scrutiny::reports::ReportRow;
use crate::scrutiny::reports::back_to_report;
use crate::scrutiny::reports::own_draft;
use crate::scrutiny::reports::{DraftForm, Pressed, as_typed, press, save_typed};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use tower_sessions::Session;
use uuid::Uuid;

use crate::db::Tx;
use crate::error::{AppError, Result};
use crate::tenant::{Member, change};
use crate::web::{AppState, ClientAddress, FormErrors, Layout, Submitted, record_id, redirect_with, required_text};

/// Statutory partners and active groups a recommendation can be addressed to.
pub(super) async fn addressees(tx: &mut Tx, partnership_id: Uuid) -> sqlx::Result<Vec<(String, String)>> {
    // The statutory partners, then the relevant agencies, then the groups.
    Ok(sqlx::query!(
        r#"select code as "code!", name as "name!" from (
               select 1 as part, not o.is_statutory_partner as later, 0 as sort_order, 'organisation:' || o.id as code, o.name
               from organisation o
               where o.partnership_id = $1 and (o.is_statutory_partner or o.is_relevant_agency) and o.retired_on is null
               union all
               select 2, false, g.sort_order, 'group:' || g.id, g.name from partnership_group g
               where g.partnership_id = $1 and g.retired_on is null) a
           order by part, later, sort_order, name"#,
        partnership_id
    )
    .fetch_all(&mut **tx)
    .await?
    .into_iter()
    .map(|a| (a.code, a.name))
    .collect())
}

pub(crate) async fn add_finding(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, report_id)): Path<(String, String)>,
    Submitted(form): Submitted<DraftForm>,
) -> Result<Response> {
    press(state, session, member, address, report_id, form, Pressed::AddFinding).await
}

pub(crate) async fn remove_finding(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, report_id, finding_id)): Path<(String, String, String)>,
    Submitted(form): Submitted<DraftForm>,
) -> Result<Response> {
    let mut tx = member.begin(&state).await?;
    let (report, draft) = own_draft(&mut tx, &member, &report_id).await?;
    // What was typed on the page is saved with the removal.
    let mut errors = FormErrors::default();
    save_typed(&mut tx, &member, (&report, &draft), &form, Pressed::Save, &address, &mut errors).await?;
    if !errors.is_empty() {
        member.resume(tx);
        return as_typed(&state, &session, member, &report_id, errors, form).await;
    }
    let removed = sqlx::query!(
        "delete from scrutiny_finding where partnership_id = $1 and report_id = $2 and version = $3 and id = $4 returning title, assurance",
        member.partnership.id,
        report.id,
        draft.version,
        record_id(&finding_id)?
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    change(&member, "scrutiny.finding_removed", "scrutiny_report", report.id, &address)
        .before(json!({ "finding_id": finding_id, "version": draft.version, "title": removed.title, "assurance": removed.assurance }))
        .record(&mut tx)
        .await?;
    back_to_report(tx, &session, &member, report.id, "#findings", format!("Finding removed: {}", removed.title)).await
}

#[derive(Deserialize, Default, Clone)]
pub(crate) struct RecommendationForm {
    #[serde(default)]
    pub(super) body: String,
    #[serde(default)]
    pub(super) addressee: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "scrutiny/finding.html")]
pub(super) struct FindingPage {
    pub(super) layout: Layout,
    pub(super) member: Member,
    pub(super) report: ReportRow,
    pub(super) finding: FindingRow,
    pub(super) recommendations: Vec<RecommendationView>,
    pub(super) addressees: Vec<(String, String)>,
    pub(super) errors: FormErrors,
    pub(super) form: RecommendationForm,
}

pub(super) async fn render_finding(
    state: &AppState,
    session: &Session,
    member: Member,
    report_id: &str,
    finding_id: &str,
    errors: FormErrors,
    form: RecommendationForm,
) -> Result<Response> {
    let mut tx = member.begin(state).await?;
    let (report, draft) = own_draft(&mut tx, &member, report_id).await?;
    let (findings, recommendations) = content(&mut tx, member.partnership.id, report.id, draft.version).await?;
    let finding_id = record_id(finding_id)?;
    let finding = findings.into_iter().find(|f| f.id == finding_id).ok_or(AppError::NotFound)?;
    let addressees = addressees(&mut tx, member.partnership.id).await?;
    tx.commit().await?;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = FindingPage {
        layout: member.layout(session, "scrutiny").await?,
        member,
        report,
        recommendations: recommendations.into_iter().filter(|r| r.finding_id == finding_id).collect(),
        finding,
        addressees,
        errors,
        form,
    };
    Ok((status, page).into_response())
}

pub(crate) async fn finding_page(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Path((_, report_id, finding_id)): Path<(String, String, String)>,
) -> Result<Response> {
    render_finding(&state, &session, member, &report_id, &finding_id, FormErrors::default(), RecommendationForm::default()).await
}

/// "organisation:<id>" or "group:<id>" from the addressee list.
pub(super) fn parse_addressee(raw: &str, known: &[(String, String)]) -> Option<(Option<Uuid>, Option<Uuid>)> {
    known.iter().find(|(code, _)| code == raw)?;
    let (kind, id) = raw.split_once(':')?;
    let id = Uuid::parse_str(id).ok()?;
    match kind {
        "organisation" => Some((Some(id), None)),
        "group" => Some((None, Some(id))),
        _ => None,
    }
}

pub(crate) async fn add_recommendation(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, report_id, finding_raw)): Path<(String, String, String)>,
    Submitted(form): Submitted<RecommendationForm>,
) -> Result<Response> {
    let mut tx = member.begin(&state).await?;
    let (report, draft) = own_draft(&mut tx, &member, &report_id).await?;
    let pid = member.partnership.id;
    let finding_id = sqlx::query_scalar!(
        "select id from scrutiny_finding where partnership_id = $1 and report_id = $2 and version = $3 and id = $4",
        pid,
        report.id,
        draft.version,
        record_id(&finding_raw)?
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    let mut errors = FormErrors::default();
    let body = errors.check("body", required_text(&form.body, "recommendation", 4000));
    let known = addressees(&mut tx, pid).await?;
    let addressee = parse_addressee(&form.addressee, &known);
    if addressee.is_none() {
        errors.add("addressee", "Choose the partner or group the recommendation is for");
    }
    let (Some(body), Some((organisation, group))) = (body, addressee.filter(|_| errors.is_empty())) else {
        member.resume(tx);
        return render_finding(&state, &session, member, &report_id, &finding_raw, errors, form).await;
    };
    let duplicate = sqlx::query_scalar!(
        r#"select exists (select 1 from scrutiny_recommendation where partnership_id = $1 and finding_id = $2 and body = $3) as "e!""#,
        pid,
        finding_id,
        body
    )
    .fetch_one(&mut *tx)
    .await?;
    if !duplicate {
        let id = Uuid::new_v4();
        sqlx::query!(
            "insert into scrutiny_recommendation (partnership_id, id, finding_id, report_id, version, lineage_id, body, addressee_organisation_id, addressee_group_id)
             values ($1, $2, $3, $4, $5, $2, $6, $7, $8)",
            pid,
            id,
            finding_id,
            report.id,
            draft.version,
            body,
            organisation,
            group
        )
        .execute(&mut *tx)
        .await?;
        change(&member, "scrutiny.recommendation_added", "scrutiny_report", report.id, &address)
            .after(json!({ "recommendation_id": id, "finding_id": finding_id, "body": body, "addressee_organisation_id": organisation, "addressee_group_id": group }))
            .record(&mut tx)
            .await?;
    }
    tx.commit().await?;
    redirect_with(
        &session,
        "Recommendation added".into(),
        format!("/p/{}/scrutiny/reports/{}/findings/{finding_id}", member.partnership.slug, report.id),
    )
    .await
}
