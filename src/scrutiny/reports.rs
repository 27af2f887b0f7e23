//! Quarterly scrutiny reports: a scrutineer drafts one (file, summary,
//! methods, findings with an assurance rating and recommendations to named
//! partners or groups), submits it (then it is locked), and corrects it by a
//! new version with a reason. Addressees respond to each recommendation and
//! set actions with owners and due dates.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::json;
use tower_sessions::Session;
use uuid::Uuid;

use super::{ASSURANCE, METHODS, RESPONSES, day_of, label_of, methods_label, quarter_label, quarter_of};
use crate::calendar::{long_date, today, working_days_after};
use crate::db::Tx;
use crate::error::{AppError, Result};
use crate::people::Audience;
use crate::roles::{Capability, Role};
use crate::tenant::{Member, change};
use crate::web::{
    AppState, ClientAddress, DateParts, FormErrors, Layout, Submitted, optional_text, record_id, redirect_with, required_text,
};

pub struct ReportRow {
    pub id: Uuid,
    pub title: String,
    pub financial_year: i32,
    pub quarter: i32,
    pub author_membership_id: Uuid,
    pub author_name: String,
}

impl ReportRow {
    pub fn period(&self) -> String {
        quarter_label(self.financial_year, self.quarter)
    }
}

#[derive(Clone)]
pub struct VersionRow {
    pub version: i32,
    pub summary: String,
    pub methods: Vec<String>,
    pub filename: Option<String>,
    pub content_type: Option<String>,
    pub size_bytes: Option<i64>,
    pub correction_reason: String,
    pub submitted_at: Option<DateTime<Utc>>,
    pub responses_due_on: Option<NaiveDate>,
    pub superseded_at: Option<DateTime<Utc>>,
}

impl VersionRow {
    pub fn is_draft(&self) -> bool {
        self.submitted_at.is_none()
    }
    pub fn submitted(&self) -> String {
        self.submitted_at.map(day_of).unwrap_or_default()
    }
    pub fn responses_due(&self) -> String {
        self.responses_due_on.map(long_date).unwrap_or_default()
    }
    pub fn methods_label(&self) -> String {
        methods_label(&self.methods)
    }
    pub fn file_description(&self) -> String {
        match (&self.content_type, self.size_bytes) {
            (Some(t), Some(s)) => crate::files::describe_document(t, s),
            _ => String::new(),
        }
    }
}

async fn find_report(tx: &mut Tx, member: &Member, raw: &str) -> Result<ReportRow> {
    sqlx::query_as!(
        ReportRow,
        "select r.id, r.title, r.financial_year, r.quarter, r.author_membership_id, u.display_name as author_name
         from scrutiny_report r join membership m on m.partnership_id = r.partnership_id and m.id = r.author_membership_id
         join app_user u on u.id = m.user_id
         where r.partnership_id = $1 and r.id = $2",
        member.partnership.id,
        record_id(raw)?
    )
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(AppError::NotFound)
}

async fn versions(tx: &mut Tx, partnership_id: Uuid, report_id: Uuid) -> sqlx::Result<Vec<VersionRow>> {
    sqlx::query_as!(
        VersionRow,
        r#"select version, summary, methods, filename, content_type, size_bytes, correction_reason,
                  submitted_at as "submitted_at: DateTime<Utc>", responses_due_on as "responses_due_on: NaiveDate",
                  superseded_at as "superseded_at: DateTime<Utc>"
           from scrutiny_report_version where partnership_id = $1 and report_id = $2 order by version"#,
        partnership_id,
        report_id
    )
    .fetch_all(&mut **tx)
    .await
}

/// The draft this member may change: theirs, of this report, not yet submitted.
async fn own_draft(tx: &mut Tx, member: &Member, raw: &str) -> Result<(ReportRow, VersionRow)> {
    member.require(Capability::WriteScrutinyReports)?;
    let report = find_report(tx, member, raw).await?;
    if report.author_membership_id != member.membership_id {
        return Err(AppError::Forbidden);
    }
    let draft = versions(tx, member.partnership.id, report.id).await?.into_iter().find(VersionRow::is_draft);
    match draft {
        Some(d) => Ok((report, d)),
        None => Err(AppError::Forbidden),
    }
}

pub struct RecommendationView {
    pub id: Uuid,
    pub finding_id: Uuid,
    pub body: String,
    pub addressee: String,
    pub response: Option<String>,
    pub actions_total: i64,
    pub actions_done: i64,
}

impl RecommendationView {
    pub fn response_label(&self) -> &'static str {
        self.response.as_deref().map(|r| label_of(&RESPONSES, r)).unwrap_or("Awaiting a response")
    }
}

pub struct FindingRow {
    pub id: Uuid,
    pub position: i32,
    pub title: String,
    pub detail: String,
    pub assurance: String,
}

impl FindingRow {
    pub fn assurance_label(&self) -> &'static str {
        label_of(&ASSURANCE, &self.assurance)
    }
}

async fn content(
    tx: &mut Tx,
    partnership_id: Uuid,
    report_id: Uuid,
    version: i32,
) -> sqlx::Result<(Vec<FindingRow>, Vec<RecommendationView>)> {
    let findings = sqlx::query_as!(
        FindingRow,
        "select id, position, title, detail, assurance from scrutiny_finding
         where partnership_id = $1 and report_id = $2 and version = $3 order by position",
        partnership_id,
        report_id,
        version
    )
    .fetch_all(&mut **tx)
    .await?;
    let recommendations = sqlx::query_as!(
        RecommendationView,
        r#"select r.id, r.finding_id, r.body, coalesce(o.name, g.name, '') as "addressee!", resp.response as "response?",
                  (select count(*) from action_point a where a.partnership_id = r.partnership_id and a.recommendation_lineage_id = r.lineage_id) as "actions_total!",
                  (select count(*) from action_point a where a.partnership_id = r.partnership_id and a.recommendation_lineage_id = r.lineage_id
                     and a.status = 'complete' and a.completion_confirmed) as "actions_done!"
           from scrutiny_recommendation r
           left join organisation o on o.partnership_id = r.partnership_id and o.id = r.addressee_organisation_id
           left join partnership_group g on g.partnership_id = r.partnership_id and g.id = r.addressee_group_id
           left join recommendation_response resp on resp.partnership_id = r.partnership_id and resp.lineage_id = r.lineage_id
           where r.partnership_id = $1 and r.report_id = $2 and r.version = $3 order by r.body"#,
        partnership_id,
        report_id,
        version
    )
    .fetch_all(&mut **tx)
    .await?;
    Ok((findings, recommendations))
}

/// Commit the change, then back to the report with a message.
async fn back_to_report(tx: Tx, session: &Session, member: &Member, report: Uuid, anchor: &str, message: String) -> Result<Response> {
    tx.commit().await?;
    redirect_with(session, message, format!("/p/{}/scrutiny/reports/{report}{anchor}", member.partnership.slug)).await
}

/// Statutory partners and active groups a recommendation can be addressed to.
async fn addressees(tx: &mut Tx, partnership_id: Uuid) -> sqlx::Result<Vec<(String, String)>> {
    let mut out: Vec<(String, String)> = sqlx::query!(
        "select id, name from organisation where partnership_id = $1 and (is_statutory_partner or is_relevant_agency) and retired_on is null
         order by is_statutory_partner desc, name",
        partnership_id
    )
    .fetch_all(&mut **tx)
    .await?
    .into_iter()
    .map(|o| (format!("organisation:{}", o.id), o.name))
    .collect();
    out.extend(
        sqlx::query!(
            "select id, name from partnership_group where partnership_id = $1 and retired_on is null order by sort_order, name",
            partnership_id
        )
        .fetch_all(&mut **tx)
        .await?
        .into_iter()
        .map(|g| (format!("group:{}", g.id), g.name)),
    );
    Ok(out)
}

#[derive(Deserialize, Default, Clone)]
pub(crate) struct NewReportForm {
    #[serde(default)]
    period: String,
    #[serde(default)]
    title: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "scrutiny/new_report.html")]
struct NewReportPage {
    layout: Layout,
    member: Member,
    errors: FormErrors,
    form: NewReportForm,
    periods: Vec<(String, String)>,
}

/// This quarter, the one before it and the one after it.
fn periods() -> Vec<(String, String)> {
    let (year, quarter) = quarter_of(today());
    let step = |y: i32, q: i32, by: i32| {
        let n = y * 4 + (q - 1) + by;
        (n.div_euclid(4), n.rem_euclid(4) + 1)
    };
    [-1, 0, 1].iter().map(|by| step(year, quarter, *by)).map(|(y, q)| (format!("{y}-{q}"), quarter_label(y, q))).collect()
}

async fn new_report_form(session: &Session, member: Member, form: NewReportForm, errors: FormErrors) -> Result<Response> {
    member.require(Capability::WriteScrutinyReports)?;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = NewReportPage { layout: member.layout(session, "scrutiny").await?, member, errors, form, periods: periods() };
    Ok((status, page).into_response())
}

pub(crate) async fn new_report(session: Session, member: Member) -> Result<Response> {
    let (y, q) = quarter_of(today());
    new_report_form(&session, member, NewReportForm { period: format!("{y}-{q}"), ..NewReportForm::default() }, FormErrors::default()).await
}

pub(crate) async fn create_report(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Submitted(form): Submitted<NewReportForm>,
) -> Result<Response> {
    member.require(Capability::WriteScrutinyReports)?;
    let mut errors = FormErrors::default();
    let period = periods().into_iter().find(|(code, _)| *code == form.period).and_then(|(code, _)| {
        let (y, q) = code.split_once('-')?;
        Some((y.parse::<i32>().ok()?, q.parse::<i32>().ok()?))
    });
    if period.is_none() {
        errors.add("period", "Choose the quarter the report covers");
    }
    let title = errors.check("title", required_text(&form.title, "title", 200));
    let (Some((year, quarter)), Some(title)) = (period, title.filter(|_| errors.is_empty())) else {
        return new_report_form(&session, member, form, errors).await;
    };
    let pid = member.partnership.id;
    let mut tx = member.begin(&state).await?;
    // One report per scrutineer per quarter: a second start, even at the same moment, finds the first.
    let id = Uuid::new_v4();
    let inserted = sqlx::query!(
        "insert into scrutiny_report (partnership_id, id, author_membership_id, financial_year, quarter, title) values ($1, $2, $3, $4, $5, $6)
         on conflict (partnership_id, author_membership_id, financial_year, quarter) do nothing",
        pid,
        id,
        member.membership_id,
        year,
        quarter,
        title
    )
    .execute(&mut *tx)
    .await?;
    if inserted.rows_affected() == 0 {
        let existing = sqlx::query_scalar!(
            "select id from scrutiny_report where partnership_id = $1 and author_membership_id = $2 and financial_year = $3 and quarter = $4",
            pid,
            member.membership_id,
            year,
            quarter
        )
        .fetch_one(&mut *tx)
        .await?;
        return redirect_with(
            &session,
            format!("You already have a report for {}", quarter_label(year, quarter)),
            format!("/p/{}/scrutiny/reports/{existing}", member.partnership.slug),
        )
        .await;
    }
    sqlx::query!("insert into scrutiny_report_version (partnership_id, report_id, version) values ($1, $2, 1)", pid, id)
        .execute(&mut *tx)
        .await?;
    change(&member, "scrutiny.report_started", "scrutiny_report", id, &address)
        .after(json!({ "financial_year": year, "quarter": quarter, "title": title }))
        .record(&mut tx)
        .await?;
    tx.commit().await?;
    redirect_with(
        &session,
        "Draft report started: add the file, summary, methods and findings, then submit it".into(),
        format!("/p/{}/scrutiny/reports/{id}", member.partnership.slug),
    )
    .await
}

#[derive(Deserialize, Default, Clone)]
pub(crate) struct DraftForm {
    #[serde(default)]
    summary: String,
    #[serde(default)]
    methods: Vec<String>,
}

impl DraftForm {
    fn has(&self, method: &str) -> bool {
        self.methods.iter().any(|m| m == method)
    }
}

#[derive(Deserialize, Default, Clone)]
pub(crate) struct FindingForm {
    #[serde(default)]
    finding_title: String,
    #[serde(default)]
    detail: String,
    #[serde(default)]
    assurance: String,
}

#[derive(Deserialize, Default, Clone)]
pub(crate) struct CorrectionForm {
    #[serde(default)]
    reason: String,
}

/// Read as text: a version that is not a number is a page that does not exist.
#[derive(Deserialize)]
pub(crate) struct VersionQuery {
    version: Option<String>,
}

#[derive(Default)]
struct ReportForms {
    errors: FormErrors,
    draft: Option<DraftForm>,
    finding: FindingForm,
    correction: CorrectionForm,
    version: Option<i32>,
}

#[derive(Template, WebTemplate)]
#[template(path = "scrutiny/report.html")]
struct ReportPage {
    layout: Layout,
    member: Member,
    report: ReportRow,
    versions: Vec<VersionRow>,
    shown: VersionRow,
    editable: bool,
    can_correct: bool,
    findings: Vec<FindingRow>,
    recommendations: Vec<RecommendationView>,
    errors: FormErrors,
    draft: DraftForm,
    finding: FindingForm,
    correction: CorrectionForm,
    assurance: [(&'static str, &'static str); 4],
    methods: [(&'static str, &'static str); 6],
}

impl ReportPage {
    fn recommendations_for(&self, finding: &Uuid) -> Vec<&RecommendationView> {
        self.recommendations.iter().filter(|r| r.finding_id == *finding).collect()
    }
}

async fn render_report(state: &AppState, session: &Session, member: Member, raw: &str, forms: ReportForms) -> Result<Response> {
    let mut tx = member.begin(state).await?;
    let report = find_report(&mut tx, &member, raw).await?;
    let all = versions(&mut tx, member.partnership.id, report.id).await?;
    let is_author = report.author_membership_id == member.membership_id && member.roles.allows(Capability::WriteScrutinyReports);
    // Others see submitted versions only; the author works on the draft unless they ask for an older version.
    let visible: Vec<VersionRow> = all.iter().filter(|v| is_author || !v.is_draft()).cloned().collect();
    let shown = match forms.version {
        Some(n) => visible.iter().find(|v| v.version == n).cloned(),
        None => visible.iter().find(|v| v.is_draft()).or_else(|| visible.iter().rev().find(|v| !v.is_draft())).cloned(),
    }
    .ok_or(AppError::NotFound)?;
    let (findings, recommendations) = content(&mut tx, member.partnership.id, report.id, shown.version).await?;
    tx.commit().await?;
    let editable = is_author && shown.is_draft();
    let can_correct = is_author && !all.iter().any(VersionRow::is_draft);
    let draft = forms.draft.unwrap_or_else(|| DraftForm { summary: shown.summary.clone(), methods: shown.methods.clone() });
    let status = if forms.errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = ReportPage {
        layout: member.layout(session, "scrutiny").await?,
        member,
        report,
        versions: visible,
        shown,
        editable,
        can_correct,
        findings,
        recommendations,
        errors: forms.errors,
        draft,
        finding: forms.finding,
        correction: forms.correction,
        assurance: ASSURANCE,
        methods: METHODS,
    };
    Ok((status, page).into_response())
}

pub(crate) async fn report_page(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Path((_, report_id)): Path<(String, String)>,
    Query(query): Query<VersionQuery>,
) -> Result<Response> {
    let version = match query.version.as_deref() {
        None | Some("") => None,
        Some(raw) => Some(raw.trim().parse::<i32>().map_err(|_| AppError::NotFound)?),
    };
    render_report(&state, &session, member, &report_id, ReportForms { version, ..ReportForms::default() }).await
}

pub(crate) async fn save_draft(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, report_id)): Path<(String, String)>,
    Submitted(form): Submitted<DraftForm>,
) -> Result<Response> {
    let mut tx = member.begin(&state).await?;
    let (report, draft) = own_draft(&mut tx, &member, &report_id).await?;
    let mut errors = FormErrors::default();
    let summary = errors.check("summary", optional_text(&form.summary, "summary", 20000));
    let methods: Vec<String> = METHODS.iter().filter(|(c, _)| form.methods.iter().any(|m| m == c)).map(|(c, _)| (*c).to_owned()).collect();
    let Some(summary) = summary else {
        drop(tx);
        return render_report(&state, &session, member, &report_id, ReportForms { errors, draft: Some(form), ..ReportForms::default() })
            .await;
    };
    sqlx::query!(
        "update scrutiny_report_version set summary = $4, methods = $5 where partnership_id = $1 and report_id = $2 and version = $3",
        member.partnership.id,
        report.id,
        draft.version,
        summary,
        &methods
    )
    .execute(&mut *tx)
    .await?;
    change(&member, "scrutiny.draft_saved", "scrutiny_report", report.id, &address)
        .before(json!({ "version": draft.version, "summary": draft.summary, "methods": draft.methods }))
        .after(json!({ "version": draft.version, "summary": summary, "methods": methods }))
        .record(&mut tx)
        .await?;
    back_to_report(tx, &session, &member, report.id, "", "Draft saved".into()).await
}

pub(crate) async fn upload_file(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, report_id)): Path<(String, String)>,
    request: Request,
) -> Result<Response> {
    let mut tx = member.begin(&state).await?;
    let (report, draft) = own_draft(&mut tx, &member, &report_id).await?;
    drop(tx);
    // Read the upload only once the draft and the person's right to it are known.
    let mut errors = FormErrors::default();
    let Some(upload) = crate::web::upload::read_document(request, "report_title", "report_file", &mut errors).await? else {
        return render_report(&state, &session, member, &report_id, ReportForms { errors, ..ReportForms::default() }).await;
    };
    let pid = member.partnership.id;
    let key = format!("{pid}/scrutiny/{}/{}", report.id, Uuid::new_v4());
    let size = upload.bytes.len() as i64;
    crate::files::store(&state.files, &key, upload.bytes).await?;
    let mut tx = member.begin(&state).await?;
    sqlx::query!(
        "update scrutiny_report_version set filename = $4, content_type = $5, size_bytes = $6, sha256 = $7, storage_key = $8
         where partnership_id = $1 and report_id = $2 and version = $3 and submitted_at is null",
        pid,
        report.id,
        draft.version,
        upload.filename,
        upload.content_type,
        size,
        upload.sha256,
        key
    )
    .execute(&mut *tx)
    .await?;
    change(&member, "scrutiny.file_uploaded", "scrutiny_report", report.id, &address)
        .after(json!({ "version": draft.version, "filename": upload.filename, "content_type": upload.content_type, "size_bytes": size, "sha256": upload.sha256 }))
        .record(&mut tx)
        .await?;
    back_to_report(tx, &session, &member, report.id, "", format!("{} attached to the draft", upload.filename)).await
}

pub(crate) async fn download_file(
    State(state): State<AppState>,
    member: Member,
    Path((_, report_id, version)): Path<(String, String, String)>,
) -> Result<Response> {
    let version: i32 = version.parse().map_err(|_| AppError::NotFound)?;
    let mut tx = member.begin(&state).await?;
    let report = find_report(&mut tx, &member, &report_id).await?;
    let file = sqlx::query!(
        "select filename, content_type, storage_key, submitted_at is not null as \"submitted!\" from scrutiny_report_version
         where partnership_id = $1 and report_id = $2 and version = $3",
        member.partnership.id,
        report.id,
        version
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    // A draft's file is its author's alone.
    if !file.submitted && report.author_membership_id != member.membership_id {
        return Err(AppError::NotFound);
    }
    let (Some(filename), Some(content_type), Some(key)) = (file.filename, file.content_type, file.storage_key) else {
        return Err(AppError::NotFound);
    };
    crate::files::download(&state.files, &key, &filename, content_type).await
}

pub(crate) async fn add_finding(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, report_id)): Path<(String, String)>,
    Submitted(form): Submitted<FindingForm>,
) -> Result<Response> {
    let mut tx = member.begin(&state).await?;
    let (report, draft) = own_draft(&mut tx, &member, &report_id).await?;
    let mut errors = FormErrors::default();
    let title = errors.check("finding_title", required_text(&form.finding_title, "finding", 300));
    let detail = errors.check("detail", optional_text(&form.detail, "detail", 10000));
    if !ASSURANCE.iter().any(|(c, _)| *c == form.assurance) {
        errors.add("assurance", "Choose the assurance this finding gives");
    }
    let (Some(title), Some(detail)) = (title, detail.filter(|_| errors.is_empty())) else {
        drop(tx);
        return render_report(&state, &session, member, &report_id, ReportForms { errors, finding: form, ..ReportForms::default() }).await;
    };
    let pid = member.partnership.id;
    // The same finding submitted twice is one finding.
    let duplicate = sqlx::query_scalar!(
        r#"select exists (select 1 from scrutiny_finding where partnership_id = $1 and report_id = $2 and version = $3 and title = $4) as "e!""#,
        pid,
        report.id,
        draft.version,
        title
    )
    .fetch_one(&mut *tx)
    .await?;
    let id = Uuid::new_v4();
    if !duplicate {
        sqlx::query!(
            "insert into scrutiny_finding (partnership_id, id, report_id, version, position, title, detail, assurance)
             values ($1, $2, $3, $4, (select coalesce(max(position), 0) + 1 from scrutiny_finding where partnership_id = $1 and report_id = $3 and version = $4), $5, $6, $7)",
            pid,
            id,
            report.id,
            draft.version,
            title,
            detail,
            form.assurance
        )
        .execute(&mut *tx)
        .await?;
        change(&member, "scrutiny.finding_added", "scrutiny_report", report.id, &address)
            .after(json!({ "finding_id": id, "version": draft.version, "title": title, "detail": detail, "assurance": form.assurance }))
            .record(&mut tx)
            .await?;
    }
    back_to_report(tx, &session, &member, report.id, "#findings", format!("Finding added: {title}")).await
}

pub(crate) async fn remove_finding(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, report_id, finding_id)): Path<(String, String, String)>,
) -> Result<Response> {
    let mut tx = member.begin(&state).await?;
    let (report, draft) = own_draft(&mut tx, &member, &report_id).await?;
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
    body: String,
    #[serde(default)]
    addressee: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "scrutiny/finding.html")]
struct FindingPage {
    layout: Layout,
    member: Member,
    report: ReportRow,
    finding: FindingRow,
    recommendations: Vec<RecommendationView>,
    addressees: Vec<(String, String)>,
    errors: FormErrors,
    form: RecommendationForm,
}

async fn render_finding(
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
fn parse_addressee(raw: &str, known: &[(String, String)]) -> Option<(Option<Uuid>, Option<Uuid>)> {
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
        drop(tx);
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

pub(crate) async fn submit(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, report_id)): Path<(String, String)>,
) -> Result<Response> {
    let mut tx = member.begin(&state).await?;
    let pid = member.partnership.id;
    let (report, draft) = match own_draft(&mut tx, &member, &report_id).await {
        Ok(found) => found,
        // Submitting twice: the report is already submitted and locked.
        Err(AppError::Forbidden) if find_report(&mut tx, &member, &report_id).await?.author_membership_id == member.membership_id => {
            return redirect_with(
                &session,
                "This report is already submitted".into(),
                format!("/p/{}/scrutiny/reports/{report_id}", member.partnership.slug),
            )
            .await;
        }
        Err(e) => return Err(e),
    };
    let (findings, _) = content(&mut tx, pid, report.id, draft.version).await?;
    let mut errors = FormErrors::default();
    if draft.filename.is_none() {
        errors.add("report_file", "Attach the report file before submitting");
    }
    if draft.summary.trim().is_empty() {
        errors.add("summary", "Write a summary before submitting");
    }
    if draft.methods.is_empty() {
        errors.add("methods", "Say which methods you used before submitting");
    }
    if findings.is_empty() {
        errors.add("finding_title", "Add at least one finding before submitting");
    }
    if !errors.is_empty() {
        drop(tx);
        return render_report(&state, &session, member, &report_id, ReportForms { errors, ..ReportForms::default() }).await;
    }
    let days = sqlx::query_scalar!("select recommendation_response_working_days from arrangement where partnership_id = $1", pid)
        .fetch_optional(&mut *tx)
        .await?
        .unwrap_or(20);
    let due = working_days_after(today(), days as u32);
    sqlx::query!(
        "update scrutiny_report_version set submitted_at = now(), submitted_by = $4, responses_due_on = $5
         where partnership_id = $1 and report_id = $2 and version = $3",
        pid,
        report.id,
        draft.version,
        member.user.id,
        due as _
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "update scrutiny_report_version set superseded_at = now()
         where partnership_id = $1 and report_id = $2 and version < $3 and submitted_at is not null and superseded_at is null",
        pid,
        report.id,
        draft.version
    )
    .execute(&mut *tx)
    .await?;
    let agenda = put_on_agenda(&mut tx, &member, &address, &state.config.public_url, &report).await?;
    change(&member, "scrutiny.report_submitted", "scrutiny_report", report.id, &address)
        .after(json!({ "version": draft.version, "responses_due_on": due, "findings": findings.len(), "agenda_item": agenda }))
        .record(&mut tx)
        .await?;
    notify_submitted(&mut tx, &member, &report, draft.version, due).await?;
    tx.commit().await?;
    let message = match agenda {
        Some((_, when)) => {
            format!("Report submitted and locked. It is on the agenda of the meeting on {when}; responses are due by {}", long_date(due))
        }
        None => format!("Report submitted and locked. Responses to its recommendations are due by {}", long_date(due)),
    };
    redirect_with(&session, message, format!("/p/{}/scrutiny/reports/{}", member.partnership.slug, report.id)).await
}

/// The group scrutiny reports go to: the partnership's choice, else its executive.
async fn scrutiny_group(tx: &mut Tx, partnership_id: Uuid) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar!(
        r#"select coalesce((select scrutiny_group_id from arrangement where partnership_id = $1),
                           (select id from partnership_group where partnership_id = $1 and kind = 'executive' and retired_on is null
                            order by sort_order limit 1)) as "group_id?""#,
        partnership_id
    )
    .fetch_one(&mut **tx)
    .await
}

/// An item for the next meeting of the scrutiny group; a late request once its cut-off has passed.
async fn put_on_agenda(tx: &mut Tx, member: &Member, address: &str, base_url: &str, report: &ReportRow) -> Result<Option<(Uuid, String)>> {
    let pid = member.partnership.id;
    let Some(group) = scrutiny_group(tx, pid).await? else { return Ok(None) };
    let Some(meeting) = crate::meetings::next_meeting(tx, pid, group).await? else { return Ok(None) };
    let title = format!("Independent scrutiny report, {}", report.period().split(" (").next().unwrap_or_default());
    let proposal =
        crate::meetings::Proposal { title: &title, purpose: "discussion", presenter: &report.author_name, summary: &report.title };
    crate::meetings::propose(tx, member, address, base_url, &meeting, proposal).await?;
    Ok(Some((meeting.id, long_date(meeting.day()))))
}

/// Business managers, delegated partners and members of the scrutiny group hear of a submitted report.
async fn notify_submitted(tx: &mut Tx, member: &Member, report: &ReportRow, version: i32, due: NaiveDate) -> Result<()> {
    let pid = member.partnership.id;
    let group = scrutiny_group(tx, pid).await?;
    let roles = [Role::BusinessManager, Role::DelegatedSafeguardingPartner];
    let people = crate::people::audience(tx, pid, Audience { roles: &roles, group, roles_in_group: &[] }).await?;
    let subject = format!("Independent scrutiny report: {}", report.period());
    let body = format!(
        "{} has submitted {} ({}).\n\nRecommendations addressed to your organisation or group need a response by {}.\nRead it and respond in Partnership Hub.\n",
        report.author_name,
        report.title,
        if version > 1 { format!("version {version}, a correction") } else { "first version".to_owned() },
        long_date(due)
    );
    for p in people {
        crate::outbox::enqueue(
            tx,
            Some(pid),
            &p.email,
            &p.display_name,
            &subject,
            &body,
            &format!("scrutiny-submitted:{}:{version}:{}", report.id, p.user_id),
        )
        .await?;
    }
    Ok(())
}

pub(crate) async fn correct(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, report_id)): Path<(String, String)>,
    Submitted(form): Submitted<CorrectionForm>,
) -> Result<Response> {
    member.require(Capability::WriteScrutinyReports)?;
    let mut tx = member.begin(&state).await?;
    let pid = member.partnership.id;
    let report = find_report(&mut tx, &member, &report_id).await?;
    if report.author_membership_id != member.membership_id {
        return Err(AppError::Forbidden);
    }
    let all = versions(&mut tx, pid, report.id).await?;
    if all.iter().any(VersionRow::is_draft) {
        return redirect_with(
            &session,
            "A correction is already in draft".into(),
            format!("/p/{}/scrutiny/reports/{}", member.partnership.slug, report.id),
        )
        .await;
    }
    let latest = all.last().cloned().ok_or(AppError::NotFound)?;
    let mut errors = FormErrors::default();
    let reason = errors.check("reason", required_text(&form.reason, "reason for the correction", 2000));
    let Some(reason) = reason else {
        drop(tx);
        return render_report(&state, &session, member, &report_id, ReportForms { errors, correction: form, ..ReportForms::default() })
            .await;
    };
    let next = latest.version + 1;
    // The new draft starts as a copy of the latest version: file, summary, methods, findings and recommendations.
    sqlx::query!(
        "insert into scrutiny_report_version (partnership_id, report_id, version, summary, methods, filename, content_type, size_bytes, sha256, storage_key, correction_reason)
         select partnership_id, report_id, $3, summary, methods, filename, content_type, size_bytes, sha256, storage_key, $4
         from scrutiny_report_version where partnership_id = $1 and report_id = $2 and version = $5",
        pid,
        report.id,
        next,
        reason,
        latest.version
    )
    .execute(&mut *tx)
    .await?;
    let (findings, recommendations) = content(&mut tx, pid, report.id, latest.version).await?;
    for f in &findings {
        let new_id = Uuid::new_v4();
        sqlx::query!(
            "insert into scrutiny_finding (partnership_id, id, report_id, version, position, title, detail, assurance) values ($1, $2, $3, $4, $5, $6, $7, $8)",
            pid,
            new_id,
            report.id,
            next,
            f.position,
            f.title,
            f.detail,
            f.assurance
        )
        .execute(&mut *tx)
        .await?;
        for r in recommendations.iter().filter(|r| r.finding_id == f.id) {
            sqlx::query!(
                "insert into scrutiny_recommendation (partnership_id, id, finding_id, report_id, version, lineage_id, body, addressee_organisation_id, addressee_group_id)
                 select partnership_id, $2, $3, report_id, $4, lineage_id, body, addressee_organisation_id, addressee_group_id
                 from scrutiny_recommendation where partnership_id = $1 and id = $5",
                pid,
                Uuid::new_v4(),
                new_id,
                next,
                r.id
            )
            .execute(&mut *tx)
            .await?;
        }
    }
    change(&member, "scrutiny.correction_started", "scrutiny_report", report.id, &address)
        .after(json!({ "version": next, "corrects": latest.version, "reason": reason }))
        .record(&mut tx)
        .await?;
    back_to_report(
        tx,
        &session,
        &member,
        report.id,
        "",
        format!("Version {next} started as a copy of version {}: change it, then submit it", latest.version),
    )
    .await
}

/// A current recommendation (of a report's latest submitted version) and who may answer it.
pub struct CurrentRecommendation {
    pub id: Uuid,
    pub lineage_id: Uuid,
    pub report_id: Uuid,
    pub report_title: String,
    pub finding_title: String,
    pub assurance: String,
    pub body: String,
    pub addressee: String,
    pub addressee_organisation_id: Option<Uuid>,
    pub addressee_group_id: Option<Uuid>,
    pub responses_due_on: Option<NaiveDate>,
}

impl CurrentRecommendation {
    pub fn due(&self) -> String {
        self.responses_due_on.map(long_date).unwrap_or_default()
    }
    pub fn assurance_label(&self) -> &'static str {
        label_of(&ASSURANCE, &self.assurance)
    }
}

async fn current_recommendation(tx: &mut Tx, member: &Member, raw: &str) -> Result<CurrentRecommendation> {
    sqlx::query_as!(
        CurrentRecommendation,
        r#"select r.id, r.lineage_id, r.report_id, sr.title as report_title, f.title as finding_title, f.assurance, r.body,
                  coalesce(o.name, g.name, '') as "addressee!", r.addressee_organisation_id, r.addressee_group_id,
                  v.responses_due_on as "responses_due_on: NaiveDate"
           from scrutiny_recommendation r
           join scrutiny_finding f on f.partnership_id = r.partnership_id and f.id = r.finding_id
           join scrutiny_report sr on sr.partnership_id = r.partnership_id and sr.id = r.report_id
           join scrutiny_report_version v on v.partnership_id = r.partnership_id and v.report_id = r.report_id and v.version = r.version
           left join organisation o on o.partnership_id = r.partnership_id and o.id = r.addressee_organisation_id
           left join partnership_group g on g.partnership_id = r.partnership_id and g.id = r.addressee_group_id
           where r.partnership_id = $1 and r.id = $2 and v.submitted_at is not null"#,
        member.partnership.id,
        record_id(raw)?
    )
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(AppError::NotFound)
}

/// The business manager; for a partner, its delegated partner or their deputy; for a group, its chair.
async fn may_respond(tx: &mut Tx, member: &Member, rec: &CurrentRecommendation) -> sqlx::Result<bool> {
    if member.roles.allows(Capability::ManageScrutiny) {
        return Ok(true);
    }
    sqlx::query_scalar!(
        r#"select case
             when $3::uuid is not null then may_speak_for($1, $2, $3, null)
             else exists (select 1 from group_member s where s.partnership_id = $1 and s.membership_id = $2 and s.group_id = $4
                          and s.role_in_group = 'chair' and s.starts_on <= current_date and (s.ends_on is null or s.ends_on >= current_date))
           end as "may!""#,
        member.partnership.id,
        member.membership_id,
        rec.addressee_organisation_id,
        rec.addressee_group_id
    )
    .fetch_one(&mut **tx)
    .await
}

#[derive(Deserialize, Default, Clone)]
pub(crate) struct ResponseForm {
    #[serde(default)]
    response: String,
    #[serde(default)]
    reasons: String,
    #[serde(default)]
    action_description: String,
    #[serde(default)]
    action_owner: String,
    #[serde(default)]
    action_due_day: String,
    #[serde(default)]
    action_due_month: String,
    #[serde(default)]
    action_due_year: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "scrutiny/recommendation.html")]
struct RecommendationPage {
    layout: Layout,
    member: Member,
    rec: CurrentRecommendation,
    response: Option<(String, String, String, String)>,
    actions: Vec<crate::actions::Action>,
    may_respond: bool,
    superseded: bool,
    people: Vec<(String, String)>,
    responses: [(&'static str, &'static str); 3],
    errors: FormErrors,
    form: ResponseForm,
}

async fn render_recommendation(
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
    let superseded = sqlx::query_scalar!(
        r#"select v.superseded_at is not null as "s!" from scrutiny_recommendation r
           join scrutiny_report_version v on v.partnership_id = r.partnership_id and v.report_id = r.report_id and v.version = r.version
           where r.partnership_id = $1 and r.id = $2"#,
        pid,
        rec.id
    )
    .fetch_one(&mut *tx)
    .await?;
    let response = sqlx::query!(
        r#"select resp.response, resp.reasons, u.display_name, resp.responded_at as "responded_at: DateTime<Utc>"
           from recommendation_response resp join app_user u on u.id = resp.responded_by
           where resp.partnership_id = $1 and resp.lineage_id = $2"#,
        pid,
        rec.lineage_id
    )
    .fetch_optional(&mut *tx)
    .await?
    .map(|r| (label_of(&RESPONSES, &r.response).to_owned(), r.reasons, r.display_name, day_of(r.responded_at)));
    let filter =
        crate::actions::ActionFilter { recommendation_lineage: Some(rec.lineage_id), include_complete: true, ..Default::default() };
    let actions = crate::actions::list(&mut tx, pid, filter).await?;
    let may_respond = !superseded && may_respond(&mut tx, &member, &rec).await?;
    let people = if may_respond {
        crate::people::list(&mut tx, pid).await?.into_iter().map(|p| (p.membership_id.to_string(), p.display_name)).collect()
    } else {
        Vec::new()
    };
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
        responses: RESPONSES,
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
async fn parse_action(
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
    let description = errors.check("action_description", required_text(&form.action_description, "action", 2000));
    let owner = match Uuid::parse_str(&form.action_owner) {
        Ok(id) => crate::people::find(tx, member.partnership.id, id).await?,
        Err(_) => None,
    };
    if owner.is_none() {
        errors.add("action_owner", "Choose who owns the action");
    }
    let due = DateParts { day: form.action_due_day.clone(), month: form.action_due_month.clone(), year: form.action_due_year.clone() };
    let due = errors.check("action_due_day", due.parse("Due date", true)).flatten();
    if due.is_some_and(|d| d < today()) {
        errors.add("action_due_day", "Due date must be today or in the future");
    }
    Ok(match (description, owner, due) {
        (Some(d), Some(o), Some(due)) => Some((d, o.membership_id, o.display_name, due)),
        _ => None,
    })
}

async fn insert_action(
    tx: &mut Tx,
    member: &Member,
    address: &str,
    rec: &CurrentRecommendation,
    action: (String, Uuid, String, NaiveDate),
) -> Result<()> {
    let (description, owner_membership_id, owner_name, due_on) = action;
    let action = crate::actions::NewAction {
        description,
        owner_membership_id,
        owner_name,
        due_on,
        group_id: rec.addressee_group_id,
        meeting_id: None,
        minute_section_id: None,
        recommendation_lineage_id: Some(rec.lineage_id),
    };
    crate::actions::set(tx, member, address, &action).await?;
    Ok(())
}

/// Answers and actions for one recommendation wait here for each other.
async fn lock_recommendation(tx: &mut Tx, partnership_id: Uuid, rec: &CurrentRecommendation) -> sqlx::Result<()> {
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
    if !may_respond(&mut tx, &member, &rec).await? {
        return Err(AppError::Forbidden);
    }
    lock_recommendation(&mut tx, pid, &rec).await?;
    let before = sqlx::query!(
        "select response, reasons from recommendation_response where partnership_id = $1 and lineage_id = $2",
        pid,
        rec.lineage_id
    )
    .fetch_optional(&mut *tx)
    .await?;
    let mut errors = FormErrors::default();
    if !RESPONSES.iter().any(|(c, _)| *c == form.response) {
        errors.add("response", "Choose whether the recommendation is accepted, partly accepted or not accepted");
    }
    let reasons = errors.check("reasons", optional_text(&form.reasons, "reasons", 4000));
    if form.response != "accepted" && reasons.as_deref().is_some_and(str::is_empty) && !form.response.is_empty() {
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
    let needs_action = form.response != "not_accepted" && !has_actions;
    let action = parse_action(&mut tx, &member, &form, &mut errors, needs_action && !form.response.is_empty()).await?;
    let Some(reasons) = reasons.filter(|_| errors.is_empty()) else {
        drop(tx);
        return render_recommendation(&state, &session, member, &recommendation_id, errors, Some(form)).await;
    };
    sqlx::query!(
        "insert into recommendation_response (partnership_id, lineage_id, report_id, response, reasons, responded_by) values ($1, $2, $3, $4, $5, $6)
         on conflict (partnership_id, lineage_id) do update set response = excluded.response, reasons = excluded.reasons,
             responded_by = excluded.responded_by, responded_at = now()",
        pid,
        rec.lineage_id,
        rec.report_id,
        form.response,
        reasons,
        member.user.id
    )
    .execute(&mut *tx)
    .await?;
    let mut audit = change(&member, "scrutiny.recommendation_answered", "scrutiny_recommendation", rec.id, &address)
        .after(json!({ "response": form.response, "reasons": reasons, "addressee": rec.addressee }));
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
        format!("Response recorded: {}", label_of(&RESPONSES, &form.response)),
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
    if !may_respond(&mut tx, &member, &rec).await? {
        return Err(AppError::Forbidden);
    }
    lock_recommendation(&mut tx, member.partnership.id, &rec).await?;
    let mut errors = FormErrors::default();
    let Some(action) = parse_action(&mut tx, &member, &form, &mut errors, true).await?.filter(|_| errors.is_empty()) else {
        drop(tx);
        return render_recommendation(&state, &session, member, &recommendation_id, errors, Some(form)).await;
    };
    insert_action(&mut tx, &member, &address, &rec, action).await?;
    tx.commit().await?;
    redirect_with(&session, "Action added".into(), format!("/p/{}/scrutiny/recommendations/{}", member.partnership.slug, rec.id)).await
}
