//! Multi-agency case audits (`/p/<slug>/audits`): the partnership's audits;
//! starting one (a theme, the group that commissions it, the scope and the
//! agencies in the sample); an audit's page, where the business unit adds the
//! cases in the sample by a pseudonymised reference, records each agency's
//! findings and grade and the overall grade, findings and learning, sets the
//! actions (through the actions owner) and reports it to the commissioning
//! group (on its next meeting's agenda, through the agenda owner), after which
//! the database keeps it as it was reported.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::json;
use sqlx::types::Json;
use tower_sessions::Session;
use uuid::Uuid;

use super::Grade;
use crate::actions::{Action, ActionForm, Actions, NewAction};
use crate::calendar::{long_date, today};
use crate::db::Tx;
use crate::error::{AppError, Result};
use crate::roles::Capability;
use crate::tenant::{Member, change};
use crate::web::{
    AppState, ClientAddress, DateParts, FormErrors, Layout, Submitted, optional_text, record_id, redirect_with as done, required_line,
};

/// An audit as the list shows it.
#[derive(Debug, Deserialize)]
pub struct AuditLine {
    pub id: Uuid,
    pub number: i32,
    pub theme: String,
    pub group_name: String,
    pub started_on: NaiveDate,
    pub reported_on: Option<NaiveDate>,
    pub overall_grade: Option<Grade>,
    pub agencies: i64,
    pub cases: i64,
}

impl AuditLine {
    pub fn started(&self) -> String {
        long_date(self.started_on)
    }
    pub fn reported(&self) -> String {
        self.reported_on.map(long_date).unwrap_or_default()
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "assurance/audits.html")]
struct ListPage {
    layout: Layout,
    member: Member,
    audits: Vec<AuditLine>,
    can_start: bool,
}

/// The audits, newest first, with their samples counted: one statement.
pub(crate) async fn index(State(state): State<AppState>, session: Session, member: Member) -> Result<Response> {
    let mut tx = member.begin(&state).await?;
    let audits = sqlx::query_scalar!(
        r#"select coalesce((select json_agg(x order by x.number desc) from (
               select a.id, a.number, a.theme, g.name as group_name, a.started_on, a.reported_on, a.overall_grade,
                      (select count(*) from case_audit_agency s where s.partnership_id = a.partnership_id and s.audit_id = a.id) as agencies,
                      (select count(*) from case_audit_case c where c.partnership_id = a.partnership_id and c.audit_id = a.id) as cases
               from case_audit a join partnership_group g on g.partnership_id = a.partnership_id and g.id = a.group_id
               where a.partnership_id = $1 order by a.number desc limit 100) x), '[]') as "audits!: Json<Vec<AuditLine>>""#,
        member.partnership.id
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    let page = ListPage {
        layout: member.layout(&session, "assurance").await?,
        can_start: member.roles.allows(Capability::ManageAssurance),
        member,
        audits: audits.0,
    };
    Ok(page.into_response())
}

#[derive(Deserialize, Default, Clone, Debug)]
pub(crate) struct StartForm {
    #[serde(default)]
    theme: String,
    #[serde(default)]
    group: String,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    organisations: Vec<String>,
    #[serde(default)]
    started_day: String,
    #[serde(default)]
    started_month: String,
    #[serde(default)]
    started_year: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "assurance/audit_form.html")]
struct StartPage {
    layout: Layout,
    member: Member,
    form: StartForm,
    groups: Vec<(String, String)>,
    organisations: Vec<(String, String)>,
    errors: FormErrors,
}

impl StartPage {
    fn chosen(&self, id: &str) -> bool {
        self.form.organisations.iter().any(|o| o == id)
    }
}

async fn render_start(state: &AppState, session: &Session, member: Member, form: StartForm, errors: FormErrors) -> Result<Response> {
    let mut tx = member.begin(state).await?;
    let pid = member.partnership.id;
    let groups = crate::structure::all_groups(&mut tx, pid, false).await?.into_iter().map(|g| (g.id.to_string(), g.name)).collect();
    let organisations =
        sqlx::query!("select id, name from organisation where partnership_id = $1 and retired_on is null order by name", pid)
            .fetch_all(&mut *tx)
            .await?
            .into_iter()
            .map(|o| (o.id.to_string(), o.name))
            .collect();
    tx.commit().await?;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = StartPage { layout: member.layout(session, "assurance").await?, member, form, groups, organisations, errors };
    Ok((status, page).into_response())
}

pub(crate) async fn new_page(State(state): State<AppState>, session: Session, member: Member) -> Result<Response> {
    member.require(Capability::ManageAssurance)?;
    let started = DateParts::from_date(Some(today()));
    let form = StartForm { started_day: started.day, started_month: started.month, started_year: started.year, ..StartForm::default() };
    render_start(&state, &session, member, form, FormErrors::default()).await
}

/// Start an audit with the agencies in its sample. The same theme sent twice starts one.
pub(crate) async fn start(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Submitted(form): Submitted<StartForm>,
) -> Result<Response> {
    member.require(Capability::ManageAssurance)?;
    let mut errors = FormErrors::default();
    let theme = errors.check("theme", required_line(&form.theme, "audit's theme", 200));
    let scope = errors.check("scope", optional_text(&form.scope, "scope", 4000));
    let started = DateParts { day: form.started_day.clone(), month: form.started_month.clone(), year: form.started_year.clone() };
    let started_on = errors.check("started_day", started.parse("Start date", true)).flatten();
    let mut tx = member.begin(&state).await?;
    let pid = member.partnership.id;
    let group = match Uuid::parse_str(&form.group) {
        Ok(id) => crate::structure::all_groups(&mut tx, pid, false).await?.into_iter().find(|g| g.id == id),
        Err(_) => None,
    };
    if group.is_none() {
        errors.add("group", "Choose the group that commissions the audit");
    }
    let chosen: Vec<Uuid> = form.organisations.iter().filter_map(|o| Uuid::parse_str(o).ok()).collect();
    let agencies = sqlx::query!(
        "select id, name from organisation where partnership_id = $1 and id = any($2) and retired_on is null order by name",
        pid,
        &chosen
    )
    .fetch_all(&mut *tx)
    .await?;
    if agencies.is_empty() {
        errors.add("organisations", "Choose the agencies in the sample");
    }
    let (Some(theme), Some(scope), Some(started_on), Some(group), true) = (theme, scope, started_on, group, errors.is_empty()) else {
        member.resume(tx);
        return render_start(&state, &session, member, form, errors).await;
    };
    sqlx::query!("select pg_advisory_xact_lock(hashtextextended($1, 0))", format!("case-audit-number:{pid}")).execute(&mut *tx).await?;
    let id = Uuid::new_v4();
    let number = sqlx::query_scalar!(
        "insert into case_audit (partnership_id, id, number, theme, group_id, scope, started_on, created_by)
         select $1, $2, coalesce(max(number), 0) + 1, $3, $4, $5, $6, $7 from case_audit where partnership_id = $1
         on conflict (partnership_id, lower(theme)) do nothing
         returning number",
        pid,
        id,
        theme,
        group.id,
        scope,
        started_on,
        member.user.id
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(number) = number else {
        let existing = sqlx::query_scalar!("select id from case_audit where partnership_id = $1 and lower(theme) = lower($2)", pid, theme)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        return done(&session, "An audit of that theme is already recorded".to_owned(), to(&member, existing, "")).await;
    };
    let ids: Vec<Uuid> = agencies.iter().map(|a| a.id).collect();
    sqlx::query!(
        "insert into case_audit_agency (partnership_id, audit_id, organisation_id) select $1, $2, unnest($3::uuid[])",
        pid,
        id,
        &ids
    )
    .execute(&mut *tx)
    .await?;
    change(&member, "case_audit.started", "case_audit", id, &address)
        .after(json!({ "number": number, "theme": theme, "group": group.name, "scope": scope, "started_on": started_on,
                       "agencies": agencies.iter().map(|a| a.name.clone()).collect::<Vec<_>>() }))
        .record(&mut tx)
        .await?;
    tx.commit().await?;
    done(&session, format!("MA{number} started: add the cases in the sample and the findings"), to(&member, id, "")).await
}

fn to(member: &Member, id: Uuid, anchor: &str) -> String {
    format!("/p/{}/audits/{id}{anchor}", member.partnership.slug)
}

/// An agency in the sample with its findings.
#[derive(Debug, Deserialize)]
pub struct AgencyFindings {
    pub organisation_id: Uuid,
    pub name: String,
    pub grade: Option<Grade>,
    pub findings: String,
}

/// A case in the sample.
#[derive(Debug, Deserialize)]
pub struct SampledCase {
    pub reference: String,
    pub summary: String,
}

/// An audit with its sample and findings.
pub struct Loaded {
    pub id: Uuid,
    pub number: i32,
    pub theme: String,
    pub group_id: Uuid,
    pub group_name: String,
    pub scope: String,
    pub started_on: NaiveDate,
    pub reported_on: Option<NaiveDate>,
    pub meeting_id: Option<Uuid>,
    pub overall_grade: Option<Grade>,
    pub overall_findings: String,
    pub learning: String,
    pub agencies: Vec<AgencyFindings>,
    pub cases: Vec<SampledCase>,
}

impl Loaded {
    pub fn started(&self) -> String {
        long_date(self.started_on)
    }
    pub fn reported(&self) -> String {
        self.reported_on.map(long_date).unwrap_or_default()
    }
    pub fn is_reported(&self) -> bool {
        self.reported_on.is_some()
    }
    fn findings_json(&self) -> serde_json::Value {
        json!({
            "overall_grade": self.overall_grade, "overall_findings": self.overall_findings, "learning": self.learning,
            "agencies": self.agencies.iter().map(|a| json!({ "agency": a.name, "grade": a.grade, "findings": a.findings })).collect::<Vec<_>>(),
        })
    }
}

/// An audit of this partnership, in one statement; `lock` holds it for the transaction. None is a 404.
async fn load(tx: &mut Tx, partnership_id: Uuid, raw_id: &str, lock: bool) -> Result<Loaded> {
    let id = record_id(raw_id)?;
    if lock {
        sqlx::query!("select id from case_audit where partnership_id = $1 and id = $2 for update", partnership_id, id)
            .fetch_optional(&mut **tx)
            .await?;
    }
    let row = sqlx::query!(
        r#"select a.id, a.number, a.theme, a.group_id, g.name as group_name, a.scope, a.started_on, a.reported_on, a.meeting_id,
                  a.overall_grade as "overall_grade: Grade", a.overall_findings, a.learning,
                  coalesce((select json_agg(x order by x.name) from (
                      select s.organisation_id, o.name, s.grade, s.findings from case_audit_agency s
                      join organisation o on o.partnership_id = s.partnership_id and o.id = s.organisation_id
                      where s.partnership_id = a.partnership_id and s.audit_id = a.id) x), '[]') as "agencies!: Json<Vec<AgencyFindings>>",
                  coalesce((select json_agg(x order by x.reference) from (
                      select c.reference, c.summary from case_audit_case c
                      where c.partnership_id = a.partnership_id and c.audit_id = a.id) x), '[]') as "cases!: Json<Vec<SampledCase>>"
           from case_audit a join partnership_group g on g.partnership_id = a.partnership_id and g.id = a.group_id
           where a.partnership_id = $1 and a.id = $2"#,
        partnership_id,
        id
    )
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(AppError::NotFound)?;
    Ok(Loaded {
        id: row.id,
        number: row.number,
        theme: row.theme,
        group_id: row.group_id,
        group_name: row.group_name,
        scope: row.scope,
        started_on: row.started_on,
        reported_on: row.reported_on,
        meeting_id: row.meeting_id,
        overall_grade: row.overall_grade,
        overall_findings: row.overall_findings,
        learning: row.learning,
        agencies: row.agencies.0,
        cases: row.cases.0,
    })
}

#[derive(Deserialize, Default, Clone)]
pub(crate) struct CaseForm {
    #[serde(default)]
    reference: String,
    #[serde(default)]
    summary: String,
}

/// The findings as typed: each agency's (grade, findings), and the overall grade, findings and learning.
struct TypedFindings {
    agencies: HashMap<Uuid, (String, String)>,
    overall_grade: String,
    overall_findings: String,
    learning: String,
}

/// What the audit's forms hold when one comes back with an error, or fresh.
#[derive(Default)]
struct Forms {
    findings: Option<TypedFindings>,
    case: CaseForm,
    action: ActionForm,
    errors: FormErrors,
}

#[derive(Template, WebTemplate)]
#[template(path = "assurance/audit.html")]
struct AuditPage {
    layout: Layout,
    member: Member,
    audit: Loaded,
    actions: Vec<Action>,
    owners: Vec<(String, String)>,
    grades: Vec<(String, String)>,
    manages: bool,
    forms: Forms,
}

impl AuditPage {
    fn grade_of(&self, agency: &AgencyFindings) -> String {
        match &self.forms.findings {
            Some(typed) => typed.agencies.get(&agency.organisation_id).map(|(g, _)| g.clone()).unwrap_or_default(),
            None => agency.grade.map(|g| g.code().to_owned()).unwrap_or_default(),
        }
    }
    fn findings_of(&self, agency: &AgencyFindings) -> String {
        match &self.forms.findings {
            Some(typed) => typed.agencies.get(&agency.organisation_id).map(|(_, f)| f.clone()).unwrap_or_default(),
            None => agency.findings.clone(),
        }
    }
    fn overall_grade(&self) -> String {
        match &self.forms.findings {
            Some(typed) => typed.overall_grade.clone(),
            None => self.audit.overall_grade.map(|g| g.code().to_owned()).unwrap_or_default(),
        }
    }
    fn overall_findings(&self) -> String {
        match &self.forms.findings {
            Some(typed) => typed.overall_findings.clone(),
            None => self.audit.overall_findings.clone(),
        }
    }
    fn learning(&self) -> String {
        match &self.forms.findings {
            Some(typed) => typed.learning.clone(),
            None => self.audit.learning.clone(),
        }
    }
    /// An agency's input name: `grade_<id>`, `findings_<id>`.
    fn field(&self, what: &str, organisation: &Uuid) -> String {
        format!("{what}_{organisation}")
    }
}

async fn render(state: &AppState, session: &Session, member: Member, raw_id: &str, forms: Forms) -> Result<Response> {
    let mut tx = member.begin(state).await?;
    let audit = load(&mut tx, member.partnership.id, raw_id, false).await?;
    let actions = crate::actions::list(&mut tx, member.partnership.id, Actions::ForCaseAudit(audit.id)).await?;
    let manages = member.roles.allows(Capability::ManageAssurance);
    let owners = if manages { crate::people::choices(&mut tx, member.partnership.id).await? } else { Vec::new() };
    tx.commit().await?;
    let status = if forms.errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = AuditPage {
        layout: member.layout(session, "assurance").await?,
        member,
        audit,
        actions,
        owners,
        grades: Grade::options(),
        manages,
        forms,
    };
    Ok((status, page).into_response())
}

pub(crate) async fn audit_page(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Path((_, audit_id)): Path<(String, String)>,
) -> Result<Response> {
    render(&state, &session, member, &audit_id, Forms::default()).await
}

async fn reported_already(session: &Session, member: &Member, audit: &Loaded) -> Result<Response> {
    done(session, format!("MA{} was reported on {}: it is kept as reported", audit.number, audit.reported()), to(member, audit.id, ""))
        .await
}

/// Add a case to the sample, by a pseudonymised reference.
pub(crate) async fn add_case(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, audit_id)): Path<(String, String)>,
    Submitted(form): Submitted<CaseForm>,
) -> Result<Response> {
    member.require(Capability::ManageAssurance)?;
    let mut tx = member.begin(&state).await?;
    let audit = load(&mut tx, member.partnership.id, &audit_id, true).await?;
    if audit.is_reported() {
        tx.commit().await?;
        return reported_already(&session, &member, &audit).await;
    }
    let mut errors = FormErrors::default();
    let reference = errors.check("reference", required_line(&form.reference, "case's reference", 60));
    let summary = errors.check("summary", optional_text(&form.summary, "summary", 2000));
    let (Some(reference), Some(summary)) = (reference, summary) else {
        member.resume(tx);
        return render(&state, &session, member, &audit_id, Forms { case: form, errors, ..Forms::default() }).await;
    };
    let added = sqlx::query!(
        "insert into case_audit_case (partnership_id, id, audit_id, reference, summary) values ($1, $2, $3, $4, $5) on conflict do nothing",
        member.partnership.id,
        Uuid::new_v4(),
        audit.id,
        reference,
        summary
    )
    .execute(&mut *tx)
    .await?;
    if added.rows_affected() == 1 {
        change(&member, "case_audit.case_added", "case_audit", audit.id, &address)
            .after(json!({ "theme": audit.theme, "reference": reference, "summary": summary }))
            .record(&mut tx)
            .await?;
    }
    tx.commit().await?;
    done(&session, format!("{reference} added to the sample"), to(&member, audit.id, "#sample")).await
}

/// Save the findings: each agency's grade and findings, and the overall grade, findings and learning.
pub(crate) async fn save_findings(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, audit_id)): Path<(String, String)>,
    Submitted(fields): Submitted<Vec<(String, String)>>,
) -> Result<Response> {
    member.require(Capability::ManageAssurance)?;
    let mut tx = member.begin(&state).await?;
    let audit = load(&mut tx, member.partnership.id, &audit_id, true).await?;
    if audit.is_reported() {
        tx.commit().await?;
        return reported_already(&session, &member, &audit).await;
    }
    let field = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim().to_owned()).unwrap_or_default();
    let mut errors = FormErrors::default();
    let mut typed = HashMap::new();
    let mut checked: Vec<(Uuid, Option<Grade>, String)> = Vec::new();
    for agency in &audit.agencies {
        let (grade_text, findings) =
            (field(&format!("grade_{}", agency.organisation_id)), field(&format!("findings_{}", agency.organisation_id)));
        typed.insert(agency.organisation_id, (grade_text.clone(), findings.clone()));
        let grade = Grade::parse(&grade_text);
        if !grade_text.is_empty() && grade.is_none() {
            errors.add_at(format!("grade_{}", agency.organisation_id), format!("Choose a grade for {}", agency.name));
        }
        if findings.chars().count() > 8000 {
            errors.add_at(
                format!("findings_{}", agency.organisation_id),
                format!("The findings for {} must be 8000 characters or fewer", agency.name),
            );
        }
        checked.push((agency.organisation_id, grade, findings));
    }
    let (overall_text, overall_findings, learning) = (field("overall_grade"), field("overall_findings"), field("learning"));
    let overall = Grade::parse(&overall_text);
    if !overall_text.is_empty() && overall.is_none() {
        errors.add("overall_grade", "Choose the overall grade");
    }
    let overall_findings = errors.check("overall_findings", optional_text(&overall_findings, "overall findings", 8000));
    let learning = errors.check("learning", optional_text(&learning, "learning", 8000));
    let (Some(overall_findings), Some(learning), true) = (overall_findings, learning, errors.is_empty()) else {
        member.resume(tx);
        let findings = Some(TypedFindings {
            agencies: typed,
            overall_grade: overall_text,
            overall_findings: field("overall_findings"),
            learning: field("learning"),
        });
        return render(&state, &session, member, &audit_id, Forms { findings, errors, ..Forms::default() }).await;
    };
    let pid = member.partnership.id;
    // Every agency's grade and findings in one statement.
    let organisations: Vec<Uuid> = checked.iter().map(|(o, _, _)| *o).collect();
    let grades: Vec<Option<String>> = checked.iter().map(|(_, g, _)| g.map(|g| g.code().to_owned())).collect();
    let findings: Vec<String> = checked.iter().map(|(_, _, f)| f.clone()).collect();
    sqlx::query!(
        "update case_audit_agency s set grade = t.grade, findings = t.findings
         from unnest($3::uuid[], $4::text[], $5::text[]) as t(organisation_id, grade, findings)
         where s.partnership_id = $1 and s.audit_id = $2 and s.organisation_id = t.organisation_id",
        pid,
        audit.id,
        &organisations,
        &grades as &[Option<String>],
        &findings
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "update case_audit set overall_grade = $3, overall_findings = $4, learning = $5 where partnership_id = $1 and id = $2",
        pid,
        audit.id,
        overall as Option<Grade>,
        overall_findings,
        learning
    )
    .execute(&mut *tx)
    .await?;
    let after = json!({
        "overall_grade": overall, "overall_findings": overall_findings, "learning": learning,
        "agencies": checked.iter().zip(&audit.agencies).map(|((_, g, f), a)| json!({ "agency": a.name, "grade": g, "findings": f })).collect::<Vec<_>>(),
    });
    change(&member, "case_audit.findings_saved", "case_audit", audit.id, &address)
        .before(audit.findings_json())
        .after(after)
        .record(&mut tx)
        .await?;
    tx.commit().await?;
    done(&session, format!("MA{}: findings saved", audit.number), to(&member, audit.id, "#findings")).await
}

/// Set an action from the audit's learning, through the actions owner.
pub(crate) async fn set_action(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, audit_id)): Path<(String, String)>,
    Submitted(form): Submitted<ActionForm>,
) -> Result<Response> {
    member.require(Capability::ManageAssurance)?;
    let mut tx = member.begin(&state).await?;
    let audit = load(&mut tx, member.partnership.id, &audit_id, false).await?;
    let mut errors = FormErrors::default();
    let Some(checked) = form.parse(&mut tx, member.partnership.id, &mut errors).await? else {
        member.resume(tx);
        return render(&state, &session, member, &audit_id, Forms { action: form, errors, ..Forms::default() }).await;
    };
    let action = NewAction { case_audit_id: Some(audit.id), ..NewAction::new(checked, Some(audit.group_id)) };
    let set = crate::actions::set(&mut tx, &member, &address, &action).await?;
    tx.commit().await?;
    let message = match set {
        Some(_) => format!("MA{}: action set for {}", audit.number, action.owner_name),
        None => "That action was already set".to_owned(),
    };
    done(&session, message, to(&member, audit.id, "#actions")).await
}

/// Report the audit to the group that commissioned it: every agency graded and the overall grade given; it goes
/// on the group's next meeting's agenda, and is kept as reported.
pub(crate) async fn report(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, audit_id)): Path<(String, String)>,
) -> Result<Response> {
    member.require(Capability::ManageAssurance)?;
    let mut tx = member.begin(&state).await?;
    let pid = member.partnership.id;
    let audit = load(&mut tx, pid, &audit_id, true).await?;
    if audit.is_reported() {
        tx.commit().await?;
        return reported_already(&session, &member, &audit).await;
    }
    let ungraded: Vec<&str> = audit.agencies.iter().filter(|a| a.grade.is_none()).map(|a| a.name.as_str()).collect();
    let mut errors = FormErrors::default();
    if audit.overall_grade.is_none() {
        errors.add("overall_grade", "Give the overall grade before reporting the audit");
    }
    if !ungraded.is_empty() {
        errors.add("findings", format!("Grade every agency before reporting the audit: {}", ungraded.join(", ")));
    }
    if audit.cases.is_empty() {
        errors.add("reference", "Add the cases in the sample before reporting the audit");
    }
    if !errors.is_empty() {
        member.resume(tx);
        return render(&state, &session, member, &audit_id, Forms { errors, ..Forms::default() }).await;
    }
    let meeting = crate::meetings::next_meeting(&mut tx, pid, audit.group_id).await?;
    let title = format!("Multi-agency audit MA{}: {}", audit.number, audit.theme);
    let summary = format!(
        "Overall grade: {}. {} agencies and {} cases in the sample. The findings, learning and actions are on the audit's page.",
        audit.overall_grade.map(Grade::label).unwrap_or_default(),
        audit.agencies.len(),
        audit.cases.len()
    );
    let proposed = match &meeting {
        Some(meeting) => {
            let proposal = crate::meetings::Proposal { title: &title, purpose: "discussion", presenter: "", summary: &summary };
            Some(crate::meetings::propose(&mut tx, &member, &address, &state.config.public_url, meeting, proposal).await?)
        }
        None => None,
    };
    sqlx::query!(
        "update case_audit set status = 'reported', reported_on = $3, meeting_id = $4 where partnership_id = $1 and id = $2",
        pid,
        audit.id,
        today(),
        meeting.as_ref().map(|m| m.id)
    )
    .execute(&mut *tx)
    .await?;
    change(&member, "case_audit.reported", "case_audit", audit.id, &address)
        .before(json!({ "theme": audit.theme, "status": "in_progress" }))
        .after(json!({ "theme": audit.theme, "status": "reported", "reported_on": today(), "meeting_id": meeting.as_ref().map(|m| m.id) }))
        .record(&mut tx)
        .await?;
    tx.commit().await?;
    let message = match (&meeting, proposed) {
        (Some(m), Some(p)) if p.is_late() => {
            format!("MA{} reported: asked for the agenda of {}, after its cut-off", audit.number, long_date(m.day()))
        }
        (Some(m), _) => format!("MA{} reported: on the agenda of the {} on {}", audit.number, audit.group_name, long_date(m.day())),
        (None, _) => format!("MA{} reported: the {} has no meeting planned to take it to", audit.number, audit.group_name),
    };
    done(&session, message, to(&member, audit.id, "")).await
}
