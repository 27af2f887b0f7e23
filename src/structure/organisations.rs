//! Organisations: the statutory partners and the relevant agencies, with
//! their Section 11 self-assessments; the agencies page.

use crate::calendar::long_date;
use crate::structure::forms::Retirement;
use crate::structure::forms::reject;
use crate::structure::forms::retired;
use crate::structure::forms::unique_name_error;
use crate::web::Query;
use crate::web::listing::{Column, ListQuery, View, csv_download, plans_for};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::json;
use sqlx::types::Json;
use tower_sessions::Session;
use uuid::Uuid;

use super::Sector;
use crate::calendar::today;
use crate::email::Email;
use crate::error::{AppError, Result};
use crate::roles::Capability;
use crate::tenant::Member;
use crate::tenant::change;
use crate::web::{
    AppState, ClientAddress, DateParts, FormErrors, Layout, Submitted, optional_line, record_id as parse_id, redirect_with as done,
    required_line,
};

// ---------------------------------------------------------------- organisations and relevant agencies

#[derive(Deserialize, Default)]
pub(crate) struct OrganisationForm {
    #[serde(default)]
    pub(super) name: String,
    #[serde(default)]
    pub(super) sector: String,
    #[serde(default)]
    pub(super) statutory_partner: Option<String>,
    #[serde(default)]
    pub(super) relevant_agency: Option<String>,
    #[serde(default)]
    pub(super) contact_name: String,
    #[serde(default)]
    pub(super) contact_email: String,
    #[serde(default)]
    pub(super) section11_day: String,
    #[serde(default)]
    pub(super) section11_month: String,
    #[serde(default)]
    pub(super) section11_year: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "structure/organisation_form.html")]
pub(super) struct OrganisationFormPage {
    pub(super) layout: Layout,
    pub(super) member: Member,
    pub(super) errors: FormErrors,
    pub(super) form: OrganisationForm,
    pub(super) sectors: &'static [Sector],
    pub(super) editing: Option<Uuid>,
}

pub(super) async fn organisation_form(
    session: &Session,
    member: Member,
    errors: FormErrors,
    form: OrganisationForm,
    editing: Option<Uuid>,
) -> Result<Response> {
    let page = OrganisationFormPage {
        layout: member.layout(session, "agencies").await?,
        member,
        errors: errors.clone(),
        form,
        sectors: Sector::ALL,
        editing,
    };
    if errors.is_empty() { Ok(page.into_response()) } else { reject(page) }
}

pub(super) struct ValidOrganisation {
    pub(super) name: String,
    pub(super) sector: Sector,
    pub(super) statutory_partner: bool,
    pub(super) relevant_agency: bool,
    pub(super) contact_name: String,
    pub(super) contact_email: String,
    pub(super) last_section11_on: Option<NaiveDate>,
}

impl ValidOrganisation {
    fn record(&self) -> serde_json::Value {
        json!({ "name": self.name, "sector": self.sector.code(), "statutory_partner": self.statutory_partner,
                "relevant_agency": self.relevant_agency, "contact_name": self.contact_name,
                "contact_email": self.contact_email, "last_section11_on": self.last_section11_on })
    }
}

pub(super) fn validate_organisation(form: &OrganisationForm, errors: &mut FormErrors) -> Option<ValidOrganisation> {
    let name = errors.check("name", required_line(&form.name, "organisation's name", 200));
    let sector = errors.check("sector", Sector::from_code(&form.sector).ok_or_else(|| "Select the sector".to_owned()));
    let contact_name = errors.check("contact_name", optional_line(&form.contact_name, "contact's name", 120));
    let contact_email = errors.check(
        "contact_email",
        match form.contact_email.trim() {
            "" => Ok(String::new()),
            raw => Email::parse(raw).map(|e| e.as_str().to_owned()),
        },
    );
    let s11 = DateParts { day: form.section11_day.clone(), month: form.section11_month.clone(), year: form.section11_year.clone() };
    let last_section11_on = errors.check("section11_day", s11.parse("Date of the last Section 11 self-assessment", false));
    if last_section11_on.flatten().is_some_and(|d| d > today()) {
        errors.add("section11_day", "Date of the last Section 11 self-assessment must be today or in the past");
    }
    Some(ValidOrganisation {
        name: name?,
        sector: sector?,
        statutory_partner: form.statutory_partner.is_some(),
        relevant_agency: form.relevant_agency.is_some(),
        contact_name: contact_name?,
        contact_email: contact_email?,
        last_section11_on: last_section11_on?,
    })
    .filter(|_| errors.is_empty())
}

pub(crate) async fn new_organisation_page(session: Session, member: Member) -> Result<Response> {
    member.require(Capability::ManageStructure)?;
    let form = OrganisationForm { relevant_agency: Some("yes".into()), ..OrganisationForm::default() };
    organisation_form(&session, member, FormErrors::default(), form, None).await
}

pub(crate) async fn create_organisation(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Submitted(form): Submitted<OrganisationForm>,
) -> Result<Response> {
    member.require(Capability::ManageStructure)?;
    let mut errors = FormErrors::default();
    let Some(o) = validate_organisation(&form, &mut errors) else {
        return organisation_form(&session, member, errors, form, None).await;
    };
    let id = Uuid::new_v4();
    let mut tx = member.begin(&state).await?;
    let inserted = sqlx::query!(
        "insert into organisation (partnership_id, id, name, sector, is_statutory_partner, is_relevant_agency, contact_name, contact_email, last_section11_on)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9) on conflict (partnership_id, name) do nothing",
        member.partnership.id,
        id,
        o.name,
        o.sector.code(),
        o.statutory_partner,
        o.relevant_agency,
        o.contact_name,
        o.contact_email,
        o.last_section11_on as _
    )
    .execute(&mut *tx)
    .await?;
    if inserted.rows_affected() == 0 {
        drop(tx);
        errors.add("name", "An organisation with this name is already listed");
        return organisation_form(&session, member, errors, form, None).await;
    }
    change(&member, "organisation.added", "organisation", id, &address).after(o.record()).record(&mut tx).await?;
    tx.commit().await?;
    done(&session, format!("{} added", o.name), format!("/p/{}/agencies", member.partnership.slug)).await
}

pub(crate) async fn edit_organisation_page(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Path((_, organisation_id)): Path<(String, String)>,
) -> Result<Response> {
    member.require(Capability::ManageStructure)?;
    let id = parse_id(&organisation_id)?;
    let mut tx = member.begin(&state).await?;
    let o = super::whole(&mut tx, member.partnership.id)
        .await?
        .organisations
        .into_iter()
        .find(|o| o.id == id && o.retired_on.is_none())
        .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    let s11 = DateParts::from_date(o.last_section11_on);
    let form = OrganisationForm {
        name: o.name,
        sector: o.sector,
        statutory_partner: o.is_statutory_partner.then(|| "yes".into()),
        relevant_agency: o.is_relevant_agency.then(|| "yes".into()),
        contact_name: o.contact_name,
        contact_email: o.contact_email,
        section11_day: s11.day,
        section11_month: s11.month,
        section11_year: s11.year,
    };
    organisation_form(&session, member, FormErrors::default(), form, Some(id)).await
}

pub(crate) async fn update_organisation(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, organisation_id)): Path<(String, String)>,
    Submitted(form): Submitted<OrganisationForm>,
) -> Result<Response> {
    member.require(Capability::ManageStructure)?;
    let id = parse_id(&organisation_id)?;
    let mut tx = member.begin(&state).await?;
    let before = sqlx::query!(
        r#"select name, sector, is_statutory_partner, is_relevant_agency, contact_name, contact_email,
                  last_section11_on as "last_section11_on: NaiveDate"
           from organisation where partnership_id = $1 and id = $2 and retired_on is null for update"#,
        member.partnership.id,
        id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    let mut errors = FormErrors::default();
    let Some(o) = validate_organisation(&form, &mut errors) else {
        member.resume(tx);
        return organisation_form(&session, member, errors, form, Some(id)).await;
    };
    let updated = sqlx::query!(
        // A new name keeps the one it replaces among the former names (once; a name taken back leaves them).
        "update organisation set name = $3, sector = $4, is_statutory_partner = $5, is_relevant_agency = $6,
                contact_name = $7, contact_email = $8, last_section11_on = $9,
                former_names = case when name <> $3 and not name = any(former_names) then array_remove(former_names, $3) || name
                                    else array_remove(former_names, $3) end
         where partnership_id = $1 and id = $2",
        member.partnership.id,
        id,
        o.name,
        o.sector.code(),
        o.statutory_partner,
        o.relevant_agency,
        o.contact_name,
        o.contact_email,
        o.last_section11_on as _
    )
    .execute(&mut *tx)
    .await;
    if let Err(e) = updated {
        if unique_name_error(&e, "organisation_partnership_id_name_key") {
            drop(tx);
            errors.add("name", "An organisation with this name is already listed");
            return organisation_form(&session, member, errors, form, Some(id)).await;
        }
        return Err(e.into());
    }
    change(&member, "organisation.updated", "organisation", id, &address)
        .before(json!({ "name": before.name, "sector": before.sector, "statutory_partner": before.is_statutory_partner,
                        "relevant_agency": before.is_relevant_agency, "contact_name": before.contact_name,
                        "contact_email": before.contact_email, "last_section11_on": before.last_section11_on }))
        .after(o.record())
        .record(&mut tx)
        .await?;
    tx.commit().await?;
    done(&session, format!("{} updated", o.name), format!("/p/{}/agencies", member.partnership.slug)).await
}

pub(crate) async fn retire_organisation(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, organisation_id)): Path<(String, String)>,
) -> Result<Response> {
    member.require(Capability::ManageStructure)?;
    let id = parse_id(&organisation_id)?;
    let mut tx = member.begin(&state).await?;
    let name = sqlx::query_scalar!(
        "update organisation set retired_on = current_date where partnership_id = $1 and id = $2 and retired_on is null returning name",
        member.partnership.id,
        id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    let (message, to) = (format!("{name} retired. Its history is kept."), format!("/p/{}/agencies", member.partnership.slug));
    let r = Retirement { action: "organisation.retired", subject_type: "organisation", field: "name", id, name, message, to };
    retired(tx, &session, &member, &address, r).await
}

/// The list's address: `?q=…&sector=health&group=…&overdue=1` and the list's sort and page.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct AgencyQuery {
    #[serde(flatten)]
    list: ListQuery,
    #[serde(default)]
    sector: String,
    #[serde(default)]
    group: String,
    #[serde(default)]
    overdue: String,
}

/// The columns the list of agencies sorts by.
const AGENCY_COLUMNS: [Column; 4] = [
    Column { key: "name", heading: "Agency" },
    Column { key: "sector", heading: "Sector" },
    Column { key: "last", heading: "Last Section 11" },
    Column { key: "due", heading: "Next due" },
];

/// A relevant agency as the list shows it.
#[derive(Debug, Deserialize)]
pub struct AgencyLine {
    pub id: Uuid,
    pub name: String,
    /// What it was called before, most recent last.
    pub former_names: Vec<String>,
    pub sector: String,
    pub contact_name: String,
    pub contact_email: String,
    pub last_section11_on: Option<NaiveDate>,
    /// When the next self-assessment is due (today when there has never been one).
    pub due_on: NaiveDate,
    /// The current groups it has a seat on.
    pub groups: Vec<String>,
    #[serde(default)]
    total: i64,
}

impl AgencyLine {
    pub fn sector_label(&self) -> &str {
        Sector::label_of(&self.sector)
    }
    pub fn last(&self) -> String {
        self.last_section11_on.map(long_date).unwrap_or_else(|| "Not recorded".into())
    }
    pub fn due(&self) -> String {
        if self.last_section11_on.is_some() { long_date(self.due_on) } else { "Now".into() }
    }
    pub fn is_overdue(&self) -> bool {
        self.due_on <= today()
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "structure/agencies.html")]
pub(crate) struct AgenciesPage {
    pub(super) layout: Layout,
    pub(super) member: Member,
    pub(super) agencies: Vec<AgencyLine>,
    pub(super) view: View,
    pub(super) interval_months: i32,
    pub(super) can_manage: bool,
    pub(super) sectors: Vec<(&'static str, &'static str)>,
    pub(super) sector: String,
    pub(super) groups: Vec<(String, String)>,
    pub(super) group: String,
    pub(super) overdue: String,
}

/// A page of the relevant agencies asked for, and what the page around it shows.
struct AgenciesRead {
    agencies: Vec<AgencyLine>,
    interval_months: i32,
    groups: Vec<(String, String)>,
}

/// The view asked for and its lines (a page, or the whole view for a download): one statement.
async fn read_agencies(state: &AppState, member: &Member, query: &AgencyQuery, whole: bool) -> Result<(View, AgenciesRead)> {
    let sector = Sector::from_code(&query.sector).map(|s| s.code()).unwrap_or_default();
    let group = query.group.parse::<Uuid>().ok();
    let overdue = query.overdue == "1";
    let view = View::new(format!("/p/{}/agencies", member.partnership.slug), ("agency", "agencies"), &query.list, &AGENCY_COLUMNS, &[])
        .filter("sector", sector)
        .filter("group", group.map(|g| g.to_string()).unwrap_or_default())
        .filter("overdue", if overdue { "1" } else { "" });
    let reach = view.reach(whole);
    let mut tx = member.begin(state).await?;
    plans_for(&mut tx, &view).await?;
    let row = sqlx::query!(
        r#"with settings as (select coalesce((select a.section11_interval_months from arrangement a where a.partnership_id = $1), 12) as months)
           select (select months from settings) as "interval_months!",
                  coalesce((select json_agg(x order by x.position) from (
                     select o.id, o.name, o.former_names, o.sector, o.contact_name, o.contact_email, o.last_section11_on, o.due_on,
                            coalesce(seated.groups, '{}') as groups, count(*) over () as total,
                            row_number() over (order by
                              case when $6 = 'sector' and not $7 then o.sector end,
                              case when $6 = 'sector' and $7 then o.sector end desc,
                              case when $6 = 'last' and not $7 then o.last_section11_on end,
                              case when $6 = 'last' and $7 then o.last_section11_on end desc,
                              case when $6 = 'due' and not $7 then o.due_on end,
                              case when $6 = 'due' and $7 then o.due_on end desc,
                              case when $6 = 'name' and $7 then o.name end desc,
                              o.name) as position
                     from (select o.*, coalesce((o.last_section11_on + make_interval(months => (select months from settings)))::date, current_date) as due_on
                           from organisation o where o.partnership_id = $1 and o.is_relevant_agency and o.retired_on is null) o
                     left join lateral (select array_agg(distinct g.name order by g.name) as groups, bool_or(g.id = $4) as on_group
                                        from group_member m
                                        join partnership_group g on g.partnership_id = m.partnership_id and g.id = m.group_id and g.retired_on is null
                                        where m.partnership_id = o.partnership_id and m.organisation_id = o.id
                                          and (m.ends_on is null or m.ends_on >= current_date)) seated on true
                     where ($2 = '' or o.name ilike $2 or o.contact_name ilike $2 or array_to_string(o.former_names, ' ') ilike $2)
                       and ($3 = '' or o.sector = $3)
                       and ($4::uuid is null or seated.on_group)
                       and (not $5 or o.due_on <= current_date)
                     order by position limit $8 offset $9) x), '[]') as "agencies!: Json<Vec<AgencyLine>>",
                  coalesce((select json_agg(json_build_array(g.id, g.name) order by g.sort_order, g.name)
                            from partnership_group g where g.partnership_id = $1 and g.retired_on is null and not $10), '[]')
                    as "groups!: Json<Vec<(Uuid, String)>>""#,
        member.partnership.id,
        view.pattern(),
        sector,
        group,
        overdue,
        view.sort,
        view.descending,
        reach.limit,
        reach.offset,
        whole
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    let agencies = row.agencies.0;
    let total = agencies.first().map(|a| a.total);
    let view = view.counted(total, agencies.len());
    let groups = row.groups.0.into_iter().map(|(id, name)| (id.to_string(), name)).collect();
    Ok((view, AgenciesRead { agencies, interval_months: row.interval_months, groups }))
}

pub(crate) async fn agencies_page(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Query(query): Query<AgencyQuery>,
) -> Result<AgenciesPage> {
    let (view, read) = read_agencies(&state, &member, &query, false).await?;
    Ok(AgenciesPage {
        layout: member.layout(&session, "agencies").await?,
        can_manage: member.roles.allows(Capability::ManageStructure),
        interval_months: read.interval_months,
        agencies: read.agencies,
        view,
        sectors: Sector::ALL.iter().map(|s| (s.code(), s.label())).collect(),
        sector: query.sector,
        groups: read.groups,
        group: query.group,
        overdue: query.overdue,
        member,
    })
}

/// The view as CSV: every agency it holds.
pub(crate) async fn export_agencies(State(state): State<AppState>, member: Member, Query(query): Query<AgencyQuery>) -> Result<Response> {
    let (_, read) = read_agencies(&state, &member, &query, true).await?;
    let rows = read.agencies.into_iter().map(|a| {
        vec![
            a.name.clone(),
            a.sector_label().to_owned(),
            a.contact_name.clone(),
            a.contact_email.clone(),
            a.groups.join("; "),
            a.last_section11_on.map(|d| d.to_string()).unwrap_or_default(),
            a.due_on.to_string(),
            if a.is_overdue() { "Yes" } else { "No" }.to_owned(),
        ]
    });
    let filename = format!("{}-agencies-{}.csv", member.partnership.slug, today());
    let headings = ["Agency", "Sector", "Contact", "Contact email", "Sits on", "Last Section 11", "Next due", "Overdue"];
    Ok(csv_download(&filename, &headings, rows))
}
