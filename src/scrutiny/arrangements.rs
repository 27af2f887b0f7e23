//! The scrutiny arrangements the business manager keeps: who scrutinises
//! (scrutineers, agencies, independent persons) with tenure and review dates,
//! where reports go and how long partners have to respond, the programme of
//! work for the year, and the annual review of the scrutiny function.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::json;
use sqlx::types::Json;
use tower_sessions::Session;
use uuid::Uuid;

use super::{METHODS, label_of, methods_label, quarter_label};
use crate::calendar::{FinancialYear, long_date, today};
use crate::db::Tx;
use crate::error::Result;
use crate::roles::Capability;
use crate::tenant::{Member, change};
use crate::web::{
    AppState, ClientAddress, DateParts, FormErrors, Layout, Submitted, optional_line, optional_text, redirect_with, required_line,
    required_text,
};

pub const KINDS: [(&str, &str); 3] = [
    ("independent_scrutineer", "Independent scrutineer"),
    ("scrutiny_agency", "Scrutiny agency"),
    ("independent_person", "Independent person"),
];

#[derive(Debug, Deserialize)]
pub struct Appointment {
    pub kind: String,
    pub name: String,
    pub agency: String,
    pub account_name: Option<String>,
    pub starts_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
    pub review_due_on: Option<NaiveDate>,
    pub notes: String,
}

impl Appointment {
    pub fn kind_label(&self) -> &'static str {
        label_of(&KINDS, &self.kind)
    }
    pub fn tenure(&self) -> String {
        match self.ends_on {
            Some(end) => format!("{} to {}", long_date(self.starts_on), long_date(end)),
            None => format!("From {}", long_date(self.starts_on)),
        }
    }
    pub fn review(&self) -> String {
        self.review_due_on.map(long_date).unwrap_or_default()
    }
    pub fn review_overdue(&self) -> bool {
        self.review_due_on.is_some_and(|d| d < today())
    }
}

#[derive(Debug, Deserialize)]
pub struct ProgrammeItem {
    pub quarter: i32,
    pub theme: String,
    pub methods: Vec<String>,
    pub notes: String,
}

impl ProgrammeItem {
    pub fn methods_label(&self) -> String {
        methods_label(&self.methods)
    }
}

#[derive(Debug, Deserialize)]
pub struct Review {
    pub reviewed_on: NaiveDate,
    pub conclusions: String,
    pub next_review_due_on: Option<NaiveDate>,
    pub recorded_by_name: String,
}

impl Review {
    pub fn reviewed(&self) -> String {
        long_date(self.reviewed_on)
    }
    pub fn next_due(&self) -> String {
        self.next_review_due_on.map(long_date).unwrap_or_default()
    }
}

/// The arrangements as they stand: the appointments in tenure, a year's
/// programme, every annual review (latest first), the settings, and the
/// groups reports may go to; read in one statement.
pub struct Standing {
    pub appointments: Vec<Appointment>,
    pub programme: Vec<ProgrammeItem>,
    pub reviews: Vec<Review>,
    pub scrutiny_group_id: Option<Uuid>,
    pub response_working_days: Option<i32>,
    pub scrutiny_arrangements: Option<String>,
    pub confidential_to_scrutineers: bool,
    pub groups: Vec<(Uuid, String)>,
}

pub async fn standing(tx: &mut Tx, partnership_id: Uuid, year: i32) -> sqlx::Result<Standing> {
    let row = sqlx::query!(
        r#"select p.confidential_to_scrutineers, a.scrutiny_group_id as "scrutiny_group_id?",
                  a.recommendation_response_working_days as "response_working_days?", a.scrutiny_arrangements as "scrutiny_arrangements?",
                  coalesce((select json_agg(x order by array_position(array['independent_scrutineer', 'scrutiny_agency', 'independent_person'], x.kind), x.name)
                            from (select s.kind, s.name, s.agency, u.display_name as account_name, s.starts_on, s.ends_on, s.review_due_on, s.notes
                                  from scrutiny_appointment s
                                  left join membership m on m.partnership_id = s.partnership_id and m.id = s.membership_id
                                  left join app_user u on u.id = m.user_id
                                  where s.partnership_id = p.id and (s.ends_on is null or s.ends_on >= current_date)) x), '[]')
                    as "appointments!: Json<Vec<Appointment>>",
                  coalesce((select json_agg(x order by x.quarter, x.theme)
                            from (select i.quarter, i.theme, i.methods, i.notes from scrutiny_programme_item i
                                  where i.partnership_id = p.id and i.financial_year = $2) x), '[]') as "programme!: Json<Vec<ProgrammeItem>>",
                  coalesce((select json_agg(x order by x.reviewed_on desc)
                            from (select r.reviewed_on, r.conclusions, r.next_review_due_on, u.display_name as recorded_by_name
                                  from scrutiny_review r join app_user u on u.id = r.recorded_by where r.partnership_id = p.id) x), '[]')
                    as "reviews!: Json<Vec<Review>>",
                  coalesce((select json_agg(json_build_array(g.id, g.name) order by g.sort_order, g.name) from partnership_group g
                            where g.partnership_id = p.id and g.retired_on is null), '[]') as "groups!: Json<Vec<(Uuid, String)>>"
           from partnership p left join arrangement a on a.partnership_id = p.id
           where p.id = $1"#,
        partnership_id,
        year
    )
    .fetch_one(&mut **tx)
    .await?;
    Ok(Standing {
        appointments: row.appointments.0,
        programme: row.programme.0,
        reviews: row.reviews.0,
        scrutiny_group_id: row.scrutiny_group_id,
        response_working_days: row.response_working_days,
        scrutiny_arrangements: row.scrutiny_arrangements,
        confidential_to_scrutineers: row.confidential_to_scrutineers,
        groups: row.groups.0,
    })
}

#[derive(Deserialize, Default, Clone)]
pub(crate) struct AppointmentForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    agency: String,
    #[serde(default)]
    membership_id: String,
    #[serde(default)]
    starts_day: String,
    #[serde(default)]
    starts_month: String,
    #[serde(default)]
    starts_year: String,
    #[serde(default)]
    ends_day: String,
    #[serde(default)]
    ends_month: String,
    #[serde(default)]
    ends_year: String,
    #[serde(default)]
    review_day: String,
    #[serde(default)]
    review_month: String,
    #[serde(default)]
    review_year: String,
    #[serde(default)]
    notes: String,
}

#[derive(Deserialize, Default, Clone)]
pub(crate) struct ProgrammeForm {
    #[serde(default)]
    financial_year: String,
    #[serde(default)]
    quarter: String,
    #[serde(default)]
    theme: String,
    #[serde(default)]
    methods: Vec<String>,
    #[serde(default)]
    notes: String,
}

impl ProgrammeForm {
    fn has(&self, method: &str) -> bool {
        self.methods.iter().any(|m| m == method)
    }
}

#[derive(Deserialize, Default, Clone)]
pub(crate) struct ReviewForm {
    #[serde(default)]
    reviewed_day: String,
    #[serde(default)]
    reviewed_month: String,
    #[serde(default)]
    reviewed_year: String,
    #[serde(default)]
    conclusions: String,
    #[serde(default)]
    next_day: String,
    #[serde(default)]
    next_month: String,
    #[serde(default)]
    next_year: String,
}

#[derive(Deserialize, Default, Clone)]
pub(crate) struct SettingsForm {
    #[serde(default)]
    scrutiny_group_id: String,
    #[serde(default)]
    response_working_days: String,
    /// Ticked: the independent scrutineers read confidential decisions.
    #[serde(default)]
    confidential_decisions: Option<String>,
}

#[derive(Default)]
struct Forms {
    errors: FormErrors,
    appointment: AppointmentForm,
    programme: ProgrammeForm,
    review: ReviewForm,
    settings: Option<SettingsForm>,
}

#[derive(Template, WebTemplate)]
#[template(path = "scrutiny/arrangements.html")]
struct ArrangementsPage {
    layout: Layout,
    member: Member,
    appointments: Vec<Appointment>,
    programme: Vec<ProgrammeItem>,
    year_label: String,
    reviews: Vec<Review>,
    people: Vec<(String, String)>,
    groups: Vec<(String, String)>,
    years: Vec<(String, String)>,
    quarters: Vec<(String, String)>,
    kinds: [(&'static str, &'static str); 3],
    methods: [(&'static str, &'static str); 6],
    errors: FormErrors,
    appointment: AppointmentForm,
    programme_form: ProgrammeForm,
    review: ReviewForm,
    settings: SettingsForm,
    arrangements_text: String,
}

async fn render(state: &AppState, session: &Session, member: Member, forms: Forms) -> Result<Response> {
    member.require(Capability::ManageScrutiny)?;
    let pid = member.partnership.id;
    let year = FinancialYear::containing(today());
    let mut tx = member.begin(state).await?;
    let standing = standing(&mut tx, pid, year.start_year).await?;
    let people = crate::people::choices(&mut tx, pid).await?;
    tx.commit().await?;
    let settings = forms.settings.unwrap_or_else(|| SettingsForm {
        scrutiny_group_id: standing.scrutiny_group_id.map(|g| g.to_string()).unwrap_or_default(),
        response_working_days: standing.response_working_days.unwrap_or(20).to_string(),
        confidential_decisions: standing.confidential_to_scrutineers.then(|| "yes".to_owned()),
    });
    let mut programme_form = forms.programme;
    if programme_form.financial_year.is_empty() {
        programme_form.financial_year = year.start_year.to_string();
    }
    let status = if forms.errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = ArrangementsPage {
        layout: member.layout(session, "scrutiny").await?,
        member,
        appointments: standing.appointments,
        programme: standing.programme,
        year_label: year.label(),
        reviews: standing.reviews,
        people,
        groups: standing.groups.into_iter().map(|(id, name)| (id.to_string(), name)).collect(),
        years: [year, year.next()].iter().map(|y| (y.start_year.to_string(), y.label())).collect(),
        quarters: (1..=4).map(|q| (q.to_string(), quarter_label(year.start_year, q).split(" (").next().unwrap_or("").to_owned())).collect(),
        kinds: KINDS,
        methods: METHODS,
        errors: forms.errors,
        appointment: forms.appointment,
        programme_form,
        review: forms.review,
        settings,
        arrangements_text: standing.scrutiny_arrangements.unwrap_or_default(),
    };
    Ok((status, page).into_response())
}

pub(crate) async fn page(State(state): State<AppState>, session: Session, member: Member) -> Result<Response> {
    render(&state, &session, member, Forms::default()).await
}

fn date(errors: &mut FormErrors, field: &'static str, parts: [&str; 3], what: &str, required: bool) -> Option<NaiveDate> {
    let parts = DateParts { day: parts[0].to_owned(), month: parts[1].to_owned(), year: parts[2].to_owned() };
    errors.check(field, parts.parse(what, required)).flatten()
}

pub(crate) async fn add_appointment(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Submitted(form): Submitted<AppointmentForm>,
) -> Result<Response> {
    member.require(Capability::ManageScrutiny)?;
    let pid = member.partnership.id;
    let mut tx = member.begin(&state).await?;
    let mut errors = FormErrors::default();
    if !KINDS.iter().any(|(c, _)| *c == form.kind) {
        errors.add("kind", "Choose whether this is an independent scrutineer, a scrutiny agency or an independent person");
    }
    let name = errors.check("name", required_line(&form.name, "name", 200));
    let agency = errors.check("agency", optional_line(&form.agency, "agency", 200));
    let notes = errors.check("notes", optional_text(&form.notes, "notes", 2000));
    let starts_on = date(&mut errors, "starts_day", [&form.starts_day, &form.starts_month, &form.starts_year], "Start of tenure", true);
    let ends_on = date(&mut errors, "ends_day", [&form.ends_day, &form.ends_month, &form.ends_year], "End of tenure", false);
    let review_due_on = date(&mut errors, "review_day", [&form.review_day, &form.review_month, &form.review_year], "Review date", false);
    if let (Some(s), Some(e)) = (starts_on, ends_on)
        && e < s
    {
        errors.add("ends_day", "End of tenure must be after the start");
    }
    let membership_id = match form.membership_id.trim() {
        "" => None,
        raw => {
            let found = match Uuid::parse_str(raw) {
                Ok(id) => {
                    sqlx::query_scalar!("select id from membership where partnership_id = $1 and id = $2 and is_current", pid, id)
                        .fetch_optional(&mut *tx)
                        .await?
                }
                Err(_) => None,
            };
            if found.is_none() {
                errors.add("membership_id", "Choose a person from the partnership, or nobody");
            }
            found
        }
    };
    let (Some(name), Some(agency), Some(notes), Some(starts_on)) = (name, agency, notes, starts_on.filter(|_| errors.is_empty())) else {
        member.resume(tx);
        return render(&state, &session, member, Forms { errors, appointment: form, ..Forms::default() }).await;
    };
    let id = Uuid::new_v4();
    let inserted = sqlx::query!(
        "insert into scrutiny_appointment (partnership_id, id, kind, name, agency, membership_id, starts_on, ends_on, review_due_on, notes)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) on conflict (partnership_id, kind, name, starts_on) do nothing",
        pid,
        id,
        form.kind,
        name,
        agency,
        membership_id,
        starts_on as _,
        ends_on as _,
        review_due_on as _,
        notes
    )
    .execute(&mut *tx)
    .await?;
    if inserted.rows_affected() == 1 {
        change(&member, "scrutiny.appointed", "scrutiny_appointment", id, &address)
            .after(json!({ "kind": form.kind, "name": name, "agency": agency, "membership_id": membership_id, "starts_on": starts_on, "ends_on": ends_on, "review_due_on": review_due_on }))
            .record(&mut tx)
            .await?;
    }
    tx.commit().await?;
    redirect_with(
        &session,
        format!("{name} added to the scrutiny arrangements"),
        format!("/p/{}/scrutiny/arrangements", member.partnership.slug),
    )
    .await
}

pub(crate) async fn add_programme_item(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Submitted(form): Submitted<ProgrammeForm>,
) -> Result<Response> {
    member.require(Capability::ManageScrutiny)?;
    let mut errors = FormErrors::default();
    let this_year = FinancialYear::containing(today()).start_year;
    let year = form.financial_year.parse::<i32>().ok().filter(|y| (this_year - 1..=this_year + 1).contains(y));
    if year.is_none() {
        errors.add("financial_year", "Choose the financial year");
    }
    let quarter = form.quarter.parse::<i32>().ok().filter(|q| (1..=4).contains(q));
    if quarter.is_none() {
        errors.add("quarter", "Choose the quarter");
    }
    let theme = errors.check("theme", required_line(&form.theme, "theme", 300));
    let notes = errors.check("programme_notes", optional_text(&form.notes, "notes", 2000));
    let methods: Vec<String> = form.methods.iter().filter(|m| METHODS.iter().any(|(c, _)| c == m)).cloned().collect();
    let (Some(year), Some(quarter), Some(theme), Some(notes)) = (year, quarter, theme, notes.filter(|_| errors.is_empty())) else {
        return render(&state, &session, member, Forms { errors, programme: form, ..Forms::default() }).await;
    };
    let pid = member.partnership.id;
    let mut tx = member.begin(&state).await?;
    let id = Uuid::new_v4();
    // The same theme in the same quarter twice (a double submit) is one item.
    let inserted = sqlx::query!(
        "insert into scrutiny_programme_item (partnership_id, id, financial_year, quarter, theme, methods, notes) values ($1, $2, $3, $4, $5, $6, $7)
         on conflict (partnership_id, financial_year, quarter, theme) do nothing",
        pid,
        id,
        year,
        quarter,
        theme,
        &methods,
        notes
    )
    .execute(&mut *tx)
    .await?;
    if inserted.rows_affected() == 1 {
        change(&member, "scrutiny.programme_item_added", "scrutiny_programme_item", id, &address)
            .after(json!({ "financial_year": year, "quarter": quarter, "theme": theme, "methods": methods, "notes": notes }))
            .record(&mut tx)
            .await?;
    }
    tx.commit().await?;
    redirect_with(
        &session,
        format!("{theme} added to the programme for {}", quarter_label(year, quarter)),
        format!("/p/{}/scrutiny/arrangements", member.partnership.slug),
    )
    .await
}

pub(crate) async fn add_review(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Submitted(form): Submitted<ReviewForm>,
) -> Result<Response> {
    member.require(Capability::ManageScrutiny)?;
    let mut errors = FormErrors::default();
    let reviewed_on =
        date(&mut errors, "reviewed_day", [&form.reviewed_day, &form.reviewed_month, &form.reviewed_year], "Date of the review", true);
    if reviewed_on.is_some_and(|d| d > today()) {
        errors.add("reviewed_day", "Date of the review must be today or in the past");
    }
    let conclusions = errors.check("conclusions", required_text(&form.conclusions, "conclusions of the review", 20000));
    let next = date(&mut errors, "next_day", [&form.next_day, &form.next_month, &form.next_year], "Next review", false);
    let (Some(reviewed_on), Some(conclusions)) = (reviewed_on, conclusions.filter(|_| errors.is_empty())) else {
        return render(&state, &session, member, Forms { errors, review: form, ..Forms::default() }).await;
    };
    let pid = member.partnership.id;
    let mut tx = member.begin(&state).await?;
    let id = Uuid::new_v4();
    let inserted = sqlx::query!(
        "insert into scrutiny_review (partnership_id, id, reviewed_on, conclusions, next_review_due_on, recorded_by) values ($1, $2, $3, $4, $5, $6)
         on conflict (partnership_id, reviewed_on) do nothing",
        pid,
        id,
        reviewed_on as _,
        conclusions,
        next as _,
        member.user.id
    )
    .execute(&mut *tx)
    .await?;
    if inserted.rows_affected() == 0 {
        drop(tx);
        errors.add("reviewed_day", format!("A review on {} is already recorded", long_date(reviewed_on)));
        return render(&state, &session, member, Forms { errors, review: form, ..Forms::default() }).await;
    }
    change(&member, "scrutiny.reviewed", "scrutiny_review", id, &address)
        .after(json!({ "reviewed_on": reviewed_on, "conclusions": conclusions, "next_review_due_on": next }))
        .record(&mut tx)
        .await?;
    tx.commit().await?;
    redirect_with(
        &session,
        "Annual review of the scrutiny function recorded".into(),
        format!("/p/{}/scrutiny/arrangements", member.partnership.slug),
    )
    .await
}

pub(crate) async fn save_settings(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Submitted(form): Submitted<SettingsForm>,
) -> Result<Response> {
    member.require(Capability::ManageScrutiny)?;
    let pid = member.partnership.id;
    let mut tx = member.begin(&state).await?;
    let mut errors = FormErrors::default();
    let group = match form.scrutiny_group_id.trim() {
        "" => None,
        raw => {
            let found = match Uuid::parse_str(raw) {
                Ok(id) => {
                    sqlx::query_scalar!(
                        "select id from partnership_group where partnership_id = $1 and id = $2 and retired_on is null",
                        pid,
                        id
                    )
                    .fetch_optional(&mut *tx)
                    .await?
                }
                Err(_) => None,
            };
            if found.is_none() {
                errors.add("scrutiny_group_id", "Choose the group scrutiny reports go to");
            }
            found
        }
    };
    let days = form.response_working_days.trim().parse::<i32>().ok().filter(|d| (1..=120).contains(d));
    if days.is_none() {
        errors.add("response_working_days", "Enter the working days partners have to respond, a whole number from 1 to 120");
    }
    let Some(days) = days.filter(|_| errors.is_empty()) else {
        member.resume(tx);
        return render(&state, &session, member, Forms { errors, settings: Some(form), ..Forms::default() }).await;
    };
    let before = sqlx::query!(
        "select scrutiny_group_id, recommendation_response_working_days from arrangement where partnership_id = $1 for update",
        pid
    )
    .fetch_optional(&mut *tx)
    .await?;
    let confidential = form.confidential_decisions.is_some();
    let confidential_before = sqlx::query_scalar!(
        "update partnership p set confidential_to_scrutineers = $2 from partnership old where old.id = p.id and p.id = $1
         returning old.confidential_to_scrutineers",
        pid,
        confidential
    )
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query!(
        "insert into arrangement (partnership_id, scrutiny_group_id, recommendation_response_working_days) values ($1, $2, $3)
         on conflict (partnership_id) do update set scrutiny_group_id = excluded.scrutiny_group_id,
             recommendation_response_working_days = excluded.recommendation_response_working_days",
        pid,
        group,
        days
    )
    .execute(&mut *tx)
    .await?;
    crate::audit::Change::new("scrutiny.settings_changed", "arrangement")
        .in_partnership(pid)
        .by(Some(member.user.id))
        .subject(pid)
        .from_address(&address)
        .before(json!({ "scrutiny_group_id": before.as_ref().and_then(|b| b.scrutiny_group_id), "response_working_days": before.as_ref().map(|b| b.recommendation_response_working_days), "scrutineers_read_confidential_decisions": confidential_before }))
        .after(json!({ "scrutiny_group_id": group, "response_working_days": days, "scrutineers_read_confidential_decisions": confidential }))
        .record(&mut tx)
        .await?;
    tx.commit().await?;
    redirect_with(&session, "Scrutiny settings saved".into(), format!("/p/{}/scrutiny/arrangements", member.partnership.slug)).await
}
