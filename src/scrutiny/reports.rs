//! Quarterly scrutiny reports: a scrutineer drafts one (file, summary,
//! methods, findings with an assurance rating and recommendations to named
//! partners or groups), submits it (then it is locked), and corrects it by a
//! new version with a reason. Addressees respond to each recommendation and
//! set actions with owners and due dates.

use crate::scrutiny::FindingRow;
use crate::scrutiny::RecommendationView;
use crate::scrutiny::content;
use crate::web::Query;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::json;
use tower_sessions::Session;
use uuid::Uuid;

use super::{Assurance, METHODS, day_of, methods_label, quarter_label, quarter_of};
use crate::calendar::{long_date, today, working_days_after};
use crate::db::Tx;
use crate::error::{AppError, Result};
use crate::people::Audience;
use crate::roles::{Capability, Role};
use crate::tenant::{Member, change};
use crate::web::{
    AppState, ClientAddress, FormErrors, Layout, Submitted, optional_text, record_id, redirect_with, required_line, required_text,
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

pub(super) async fn find_report(tx: &mut Tx, member: &Member, raw: &str) -> Result<ReportRow> {
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

/// A report and its versions, oldest first, in one statement.
pub(super) async fn report_and_versions(tx: &mut Tx, member: &Member, raw: &str) -> Result<(ReportRow, Vec<VersionRow>)> {
    let rows = sqlx::query!(
        r#"select r.id, r.title, r.financial_year, r.quarter, r.author_membership_id, u.display_name as author_name,
                  v.version as "version?", v.summary as "summary?", v.methods as "methods?", v.filename, v.content_type, v.size_bytes,
                  v.correction_reason as "correction_reason?", v.submitted_at as "submitted_at: DateTime<Utc>",
                  v.responses_due_on as "responses_due_on: NaiveDate", v.superseded_at as "superseded_at: DateTime<Utc>"
           from scrutiny_report r join membership m on m.partnership_id = r.partnership_id and m.id = r.author_membership_id
           join app_user u on u.id = m.user_id
           left join scrutiny_report_version v on v.partnership_id = r.partnership_id and v.report_id = r.id
           where r.partnership_id = $1 and r.id = $2
           order by v.version"#,
        member.partnership.id,
        record_id(raw)?
    )
    .fetch_all(&mut **tx)
    .await?;
    let first = rows.first().ok_or(AppError::NotFound)?;
    let report = ReportRow {
        id: first.id,
        title: first.title.clone(),
        financial_year: first.financial_year,
        quarter: first.quarter,
        author_membership_id: first.author_membership_id,
        author_name: first.author_name.clone(),
    };
    let versions = rows
        .into_iter()
        .filter_map(|r| {
            Some(VersionRow {
                version: r.version?,
                summary: r.summary?,
                methods: r.methods?,
                filename: r.filename,
                content_type: r.content_type,
                size_bytes: r.size_bytes,
                correction_reason: r.correction_reason?,
                submitted_at: r.submitted_at,
                responses_due_on: r.responses_due_on,
                superseded_at: r.superseded_at,
            })
        })
        .collect();
    Ok((report, versions))
}

/// The draft this member may change: theirs, of this report, not yet submitted.
pub(super) async fn own_draft(tx: &mut Tx, member: &Member, raw: &str) -> Result<(ReportRow, VersionRow)> {
    member.require(Capability::WriteScrutinyReports)?;
    let (report, versions) = report_and_versions(tx, member, raw).await?;
    if report.author_membership_id != member.membership_id {
        return Err(AppError::Forbidden);
    }
    let draft = versions.into_iter().find(VersionRow::is_draft);
    match draft {
        Some(d) => Ok((report, d)),
        None => Err(AppError::Forbidden),
    }
}

/// Commit the change, then back to the report with a message.
pub(super) async fn back_to_report(
    tx: Tx,
    session: &Session,
    member: &Member,
    report: Uuid,
    anchor: &str,
    message: String,
) -> Result<Response> {
    tx.commit().await?;
    redirect_with(session, message, format!("/p/{}/scrutiny/reports/{report}{anchor}", member.partnership.slug)).await
}

#[derive(Deserialize, Default, Clone)]
pub(crate) struct NewReportForm {
    #[serde(default)]
    pub(super) period: String,
    #[serde(default)]
    pub(super) title: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "scrutiny/new_report.html")]
pub(super) struct NewReportPage {
    pub(super) layout: Layout,
    pub(super) member: Member,
    pub(super) errors: FormErrors,
    pub(super) form: NewReportForm,
    pub(super) periods: Vec<(String, String)>,
}

/// This quarter, the one before it and the one after it.
pub(super) fn periods() -> Vec<(String, String)> {
    let (year, quarter) = quarter_of(today());
    let step = |y: i32, q: i32, by: i32| {
        let n = y * 4 + (q - 1) + by;
        (n.div_euclid(4), n.rem_euclid(4) + 1)
    };
    [-1, 0, 1].iter().map(|by| step(year, quarter, *by)).map(|(y, q)| (format!("{y}-{q}"), quarter_label(y, q))).collect()
}

pub(super) async fn new_report_form(session: &Session, member: Member, form: NewReportForm, errors: FormErrors) -> Result<Response> {
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
    let title = errors.check("title", required_line(&form.title, "title", 200));
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

/// Everything the draft's page holds as typed: the summary, the methods
/// ticked and a finding being added. Every button of the page sends all of
/// it and saves all of it, so that nothing typed is lost to the press of
/// another button; when something is wrong, the page comes back as typed.
#[derive(Deserialize, Default, Clone)]
pub(crate) struct DraftForm {
    /// None when the page's fields were not sent (a bare post): the draft is then left as it is.
    #[serde(default)]
    pub(super) summary: Option<String>,
    #[serde(default)]
    pub(super) methods: Vec<String>,
    #[serde(default)]
    pub(super) finding_title: String,
    #[serde(default)]
    pub(super) detail: String,
    #[serde(default)]
    pub(super) assurance: String,
    /// "file" when the button pressed was the one that goes on to attach the report's file.
    #[serde(default)]
    pub(super) then: String,
}

impl DraftForm {
    fn summary_text(&self) -> &str {
        self.summary.as_deref().unwrap_or_default()
    }
    fn finding(&self) -> FindingForm {
        FindingForm { finding_title: self.finding_title.clone(), detail: self.detail.clone(), assurance: self.assurance.clone() }
    }
    fn has_finding(&self) -> bool {
        [&self.finding_title, &self.detail, &self.assurance].iter().any(|f| !f.trim().is_empty())
    }
}

/// Which button of the draft's page was pressed: adding a finding makes the finding required.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Pressed {
    Save,
    AddFinding,
}

/// Check and save everything typed on the draft's page, in the caller's
/// transaction: the summary and methods, and a finding if one was typed
/// (required when its own button was pressed). Nothing is written unless all
/// of it is right; the problems go into `errors`. Answers what to tell the person.
pub(super) async fn save_typed(
    tx: &mut Tx,
    member: &Member,
    (report, draft): (&ReportRow, &VersionRow),
    form: &DraftForm,
    pressed: Pressed,
    address: &str,
    errors: &mut FormErrors,
) -> Result<Vec<String>> {
    let summary = match &form.summary {
        Some(summary) => errors.check("summary", optional_text(summary, "summary", 20000)).map(Some),
        None => Some(None),
    };
    let methods: Vec<String> = METHODS.iter().filter(|(c, _)| form.methods.iter().any(|m| m == c)).map(|(c, _)| (*c).to_owned()).collect();
    let finding = if pressed == Pressed::AddFinding || form.has_finding() {
        let title = errors.check("finding_title", required_text(&form.finding_title, "finding", 300));
        let detail = errors.check("detail", optional_text(&form.detail, "detail", 10000));
        let assurance = Assurance::parse(&form.assurance);
        if assurance.is_none() {
            errors.add("assurance", "Choose the assurance this finding gives");
        }
        title.zip(detail).zip(assurance)
    } else {
        None
    };
    let Some(summary) = summary.filter(|_| errors.is_empty()) else { return Ok(Vec::new()) };
    let mut said = Vec::new();
    if let Some(summary) = summary.filter(|summary| *summary != draft.summary || methods != draft.methods) {
        sqlx::query!(
            "update scrutiny_report_version set summary = $4, methods = $5 where partnership_id = $1 and report_id = $2 and version = $3",
            member.partnership.id,
            report.id,
            draft.version,
            summary,
            &methods
        )
        .execute(&mut **tx)
        .await?;
        change(member, "scrutiny.draft_saved", "scrutiny_report", report.id, address)
            .before(json!({ "version": draft.version, "summary": draft.summary, "methods": draft.methods }))
            .after(json!({ "version": draft.version, "summary": summary, "methods": methods }))
            .record(tx)
            .await?;
        said.push("Draft saved".to_owned());
    }
    if let Some(((title, detail), assurance)) = finding {
        add_finding(tx, member, (report, draft), (&title, &detail, assurance), address).await?;
        said.push(format!("Finding added: {title}"));
    }
    Ok(said)
}

impl DraftForm {
    fn has(&self, method: &str) -> bool {
        self.methods.iter().any(|m| m == method)
    }
}

#[derive(Deserialize, Default, Clone)]
pub(crate) struct CorrectionForm {
    #[serde(default)]
    pub(super) reason: String,
}

/// Read as text: a version that is not a number is a page that does not exist.
#[derive(Deserialize)]
pub(crate) struct VersionQuery {
    pub(super) version: Option<String>,
}

#[derive(Default)]
pub(super) struct ReportForms {
    pub(super) errors: FormErrors,
    pub(super) draft: Option<DraftForm>,
    pub(super) finding: FindingForm,
    pub(super) correction: CorrectionForm,
    pub(super) version: Option<i32>,
}

#[derive(Template, WebTemplate)]
#[template(path = "scrutiny/report.html")]
pub(super) struct ReportPage {
    pub(super) layout: Layout,
    pub(super) member: Member,
    pub(super) report: ReportRow,
    pub(super) versions: Vec<VersionRow>,
    pub(super) shown: VersionRow,
    pub(super) editable: bool,
    pub(super) can_correct: bool,
    pub(super) findings: Vec<FindingRow>,
    pub(super) recommendations: Vec<RecommendationView>,
    pub(super) errors: FormErrors,
    pub(super) draft: DraftForm,
    pub(super) finding: FindingForm,
    pub(super) correction: CorrectionForm,
    pub(super) assurance: [(&'static str, &'static str); 4],
    pub(super) methods: [(&'static str, &'static str); 6],
}

impl ReportPage {
    fn recommendations_for(&self, finding: &Uuid) -> Vec<&RecommendationView> {
        self.recommendations.iter().filter(|r| r.finding_id == *finding).collect()
    }
}

pub(super) async fn render_report(state: &AppState, session: &Session, member: Member, raw: &str, forms: ReportForms) -> Result<Response> {
    let mut tx = member.begin(state).await?;
    let (report, all) = report_and_versions(&mut tx, &member, raw).await?;
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
    let draft = forms.draft.unwrap_or_else(|| DraftForm {
        summary: Some(shown.summary.clone()),
        methods: shown.methods.clone(),
        ..DraftForm::default()
    });
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
        assurance: Assurance::options(),
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
    press(state, session, member, address, report_id, form, Pressed::Save).await
}

/// A finding added to the draft, audited; the same finding submitted twice is one finding.
async fn add_finding(
    tx: &mut Tx,
    member: &Member,
    (report, draft): (&ReportRow, &VersionRow),
    (title, detail, assurance): (&str, &str, Assurance),
    address: &str,
) -> Result<()> {
    let pid = member.partnership.id;
    let duplicate = sqlx::query_scalar!(
        r#"select exists (select 1 from scrutiny_finding where partnership_id = $1 and report_id = $2 and version = $3 and title = $4) as "e!""#,
        pid,
        report.id,
        draft.version,
        title
    )
    .fetch_one(&mut **tx)
    .await?;
    if duplicate {
        return Ok(());
    }
    let id = Uuid::new_v4();
    sqlx::query!(
        "insert into scrutiny_finding (partnership_id, id, report_id, version, position, title, detail, assurance)
         values ($1, $2, $3, $4, (select coalesce(max(position), 0) + 1 from scrutiny_finding where partnership_id = $1 and report_id = $3 and version = $4), $5, $6, $7)",
        pid,
        id,
        report.id,
        draft.version,
        title,
        detail,
        assurance as _
    )
    .execute(&mut **tx)
    .await?;
    change(member, "scrutiny.finding_added", "scrutiny_report", report.id, address)
        .after(json!({ "finding_id": id, "version": draft.version, "title": title, "detail": detail, "assurance": assurance }))
        .record(tx)
        .await?;
    Ok(())
}

/// The draft's page again, with the problems and everything as typed.
pub(super) async fn as_typed(
    state: &AppState,
    session: &Session,
    member: Member,
    report_id: &str,
    errors: FormErrors,
    form: DraftForm,
) -> Result<Response> {
    let finding = form.finding();
    render_report(state, session, member, report_id, ReportForms { errors, draft: Some(form), finding, ..ReportForms::default() }).await
}

/// A button of the draft's page: everything typed is saved (or the page
/// comes back as typed), then back to the report, or on to attach its file.
pub(super) async fn press(
    state: AppState,
    session: Session,
    member: Member,
    address: String,
    report_id: String,
    form: DraftForm,
    pressed: Pressed,
) -> Result<Response> {
    let mut tx = member.begin(&state).await?;
    let (report, draft) = own_draft(&mut tx, &member, &report_id).await?;
    let mut errors = FormErrors::default();
    let said = save_typed(&mut tx, &member, (&report, &draft), &form, pressed, &address, &mut errors).await?;
    if !errors.is_empty() {
        member.resume(tx);
        return as_typed(&state, &session, member, &report_id, errors, form).await;
    }
    let said = if said.is_empty() { "Nothing had changed".to_owned() } else { said.join(". ") };
    // Buttons that save and go on: to attach the file, or to a finding's recommendations.
    let on_to = match form.then.split_once(':') {
        _ if form.then == "file" => Some("file".to_owned()),
        Some(("finding", id)) => Some(format!("findings/{}", record_id(id)?)),
        _ => None,
    };
    if let Some(on_to) = on_to {
        tx.commit().await?;
        return redirect_with(&session, said, format!("/p/{}/scrutiny/reports/{}/{on_to}", member.partnership.slug, report.id)).await;
    }
    let anchor = if pressed == Pressed::AddFinding { "#findings" } else { "" };
    back_to_report(tx, &session, &member, report.id, anchor, said).await
}

#[derive(Template, WebTemplate)]
#[template(path = "scrutiny/report_file.html")]
pub(super) struct FilePage {
    pub(super) layout: Layout,
    pub(super) member: Member,
    pub(super) report: ReportRow,
    pub(super) draft: VersionRow,
    pub(super) errors: FormErrors,
}

async fn render_file_page(state: &AppState, session: &Session, member: Member, report_id: &str, errors: FormErrors) -> Result<Response> {
    let mut tx = member.begin(state).await?;
    let (report, draft) = own_draft(&mut tx, &member, report_id).await?;
    tx.commit().await?;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok((status, FilePage { layout: member.layout(session, "scrutiny").await?, member, report, draft, errors }).into_response())
}

/// The draft's file on a page of its own: a file cannot be kept across
/// another form's submission as typed text can.
pub(crate) async fn file_page(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Path((_, report_id)): Path<(String, String)>,
) -> Result<Response> {
    render_file_page(&state, &session, member, &report_id, FormErrors::default()).await
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
        return render_file_page(&state, &session, member, &report_id, errors).await;
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

pub(crate) async fn submit(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, report_id)): Path<(String, String)>,
    Submitted(form): Submitted<DraftForm>,
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
    // What was typed on the page is saved first, and the draft is checked as saved.
    let mut errors = FormErrors::default();
    save_typed(&mut tx, &member, (&report, &draft), &form, Pressed::Save, &address, &mut errors).await?;
    let draft = if errors.is_empty() { own_draft(&mut tx, &member, &report_id).await?.1 } else { draft };
    let (findings, _) = content(&mut tx, pid, report.id, draft.version).await?;
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
        // Nothing is kept of a submission refused: the page comes back as typed.
        tx.rollback().await?;
        return as_typed(&state, &session, member, &report_id, errors, form).await;
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
pub(super) async fn scrutiny_group(tx: &mut Tx, partnership_id: Uuid) -> sqlx::Result<Option<Uuid>> {
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
pub(super) async fn put_on_agenda(
    tx: &mut Tx,
    member: &Member,
    address: &str,
    base_url: &str,
    report: &ReportRow,
) -> Result<Option<(Uuid, String)>> {
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
pub(super) async fn notify_submitted(tx: &mut Tx, member: &Member, report: &ReportRow, version: i32, due: NaiveDate) -> Result<()> {
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
    let (report, all) = report_and_versions(&mut tx, &member, &report_id).await?;
    if report.author_membership_id != member.membership_id {
        return Err(AppError::Forbidden);
    }
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
        member.resume(tx);
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
            f.assurance as _
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

#[derive(Deserialize, Default, Clone)]
pub(crate) struct FindingForm {
    #[serde(default)]
    pub(super) finding_title: String,
    #[serde(default)]
    pub(super) detail: String,
    #[serde(default)]
    pub(super) assurance: String,
}
