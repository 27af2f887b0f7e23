//! One financial year of the budget (`/p/<slug>/budget/2025-26`): its
//! position, the split between the children's and adults' arrangements, the
//! budget lines with what each has spent, the contributions with what was
//! invoiced and received, the spending, and the forms that add to each. Every
//! amount shown is a sum the database made of the records.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, NaiveTime};
use serde::Deserialize;
use serde_json::json;
use sqlx::types::Json;
use tower_sessions::Session;
use uuid::Uuid;

use super::{Arrangements, ContributionForm, ContributorKind, EntryKind, LineCategory, Pennies, Position, year_in_path};
use crate::calendar::{FinancialYear, long_date, today, uk_datetime, working_days_after};
use crate::error::{AppError, Result};
use crate::roles::Capability;
use crate::tenant::{Member, change};
use crate::web::{
    AppState, ClientAddress, DateParts, FormErrors, Layout, Submitted, optional_line, optional_text, redirect_with as done, required_line,
};

/// A budget line with what has been spent against it.
#[derive(Debug, Deserialize)]
pub struct Line {
    pub id: Uuid,
    pub category: LineCategory,
    pub name: String,
    pub amount: Pennies,
    pub spent: Pennies,
}

impl Line {
    pub fn remaining(&self) -> Pennies {
        self.amount - self.spent
    }
}

/// A contribution with its invoices and payments.
#[derive(Debug, Deserialize)]
pub struct Contribution {
    pub id: Uuid,
    pub contributor: String,
    pub contributor_kind: ContributorKind,
    pub form: ContributionForm,
    pub amount: Pennies,
    pub description: String,
    pub invoiced: Pennies,
    pub received: Pennies,
    pub entries: Vec<Entry>,
}

impl Contribution {
    pub fn outstanding(&self) -> Pennies {
        if self.form == ContributionForm::Cash { self.amount - self.received } else { Pennies(0) }
    }
}

#[derive(Debug, Deserialize)]
pub struct Entry {
    pub kind: EntryKind,
    pub entered_on: NaiveDate,
    pub amount: Pennies,
    pub reference: String,
}

impl Entry {
    pub fn date(&self) -> String {
        long_date(self.entered_on)
    }
}

#[derive(Debug, Deserialize)]
pub struct Spending {
    pub spent_on: NaiveDate,
    pub line_name: String,
    pub description: String,
    pub supplier: String,
    pub amount: Pennies,
    pub arrangements: Arrangements,
}

impl Spending {
    pub fn date(&self) -> String {
        long_date(self.spent_on)
    }
}

/// The partners' decision on the contributions, as far as it has gone.
#[derive(Debug, Deserialize)]
pub struct Agreement {
    pub id: Uuid,
    pub number: i32,
    pub outcome: Option<String>,
}

/// An organisation that may contribute.
#[derive(Debug, Deserialize)]
struct Contributor {
    id: Uuid,
    name: String,
    is_statutory_partner: bool,
}

/// Children's and adults' shares of the year's money.
pub struct Split {
    pub children_percent: i16,
    pub budget: (Pennies, Pennies),
    pub income: (Pennies, Pennies),
    pub spent: (Pennies, Pennies),
}

impl Split {
    /// Shared spending is divided by the year's share; the children's side is rounded down and the adults' takes the rest.
    fn of(position: &Position, percent: i16, spent_children: Pennies, spent_adults: Pennies) -> Split {
        let halves = |total: Pennies| (total.share(percent), total - total.share(percent));
        let shared = position.spent - spent_children - spent_adults;
        let shared_children = shared.share(percent);
        Split {
            children_percent: percent,
            budget: halves(position.budget),
            income: halves(position.income),
            spent: (spent_children + shared_children, spent_adults + (shared - shared_children)),
        }
    }
    pub fn adults_percent(&self) -> i16 {
        100 - self.children_percent
    }
}

/// The year's forms as typed: each keeps its text when another is sent.
#[derive(Deserialize, Default, Clone, Debug)]
pub(crate) struct YearForms {
    #[serde(default)]
    pub key: String,
    #[serde(default)]
    pub line_category: String,
    #[serde(default)]
    pub line_name: String,
    #[serde(default)]
    pub line_amount: String,
    #[serde(default)]
    pub contributor: String,
    #[serde(default)]
    pub contributor_name: String,
    #[serde(default)]
    pub contribution_form: String,
    #[serde(default)]
    pub contribution_amount: String,
    #[serde(default)]
    pub contribution_description: String,
    #[serde(default)]
    pub entry_contribution: String,
    #[serde(default)]
    pub entry_kind: String,
    #[serde(default)]
    pub entry_day: String,
    #[serde(default)]
    pub entry_month: String,
    #[serde(default)]
    pub entry_year: String,
    #[serde(default)]
    pub entry_amount: String,
    #[serde(default)]
    pub entry_reference: String,
    #[serde(default)]
    pub spend_line: String,
    #[serde(default)]
    pub spend_day: String,
    #[serde(default)]
    pub spend_month: String,
    #[serde(default)]
    pub spend_year: String,
    #[serde(default)]
    pub spend_description: String,
    #[serde(default)]
    pub spend_supplier: String,
    #[serde(default)]
    pub spend_amount: String,
    #[serde(default)]
    pub spend_arrangements: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "budget/year.html")]
struct YearPage {
    layout: Layout,
    member: Member,
    year: FinancialYear,
    position: Position,
    split: Option<Split>,
    lines: Vec<Line>,
    by_category: Vec<(String, Pennies, Pennies)>,
    contributions: Vec<Contribution>,
    spending: Vec<Spending>,
    agreement: Option<Agreement>,
    can_manage: bool,
    can_ask: bool,
    categories: Vec<(String, String)>,
    contributors: Vec<(String, String)>,
    cash_contributions: Vec<(String, String)>,
    line_choices: Vec<(String, String)>,
    arrangements: Vec<(String, String)>,
    forms: YearForms,
    errors: FormErrors,
}

impl YearPage {
    fn base(&self) -> String {
        format!("/p/{}/budget/{}", self.member.partnership.slug, self.year.label())
    }
    fn within_hint(&self) -> String {
        format!("From {} to {}", long_date(self.year.starts_on()), long_date(self.year.ends_on()))
    }
    pub fn status_label(&self, agreement: &Agreement) -> String {
        match agreement.outcome.as_deref() {
            None => "Waiting for the partners' responses",
            Some("carried_consensus" | "carried_majority") => "Agreed",
            Some("withdrawn") => "Withdrawn",
            Some(_) => "Not agreed",
        }
        .to_owned()
    }
}

/// The year's record in one statement: its lines, contributions with their entries, spending, the decision on the
/// contributions, the organisations that may contribute, and the spending by arrangements for the split.
async fn load(tx: &mut crate::db::Tx, partnership_id: Uuid, year: FinancialYear) -> Result<Loaded> {
    let row = sqlx::query!(
        r#"select y.id,
                  coalesce((select json_agg(x order by x.category, x.name) from (
                      select l.id, l.category, l.name, l.amount_pennies as amount,
                             coalesce((select sum(e.amount_pennies) from expenditure e
                                       where e.partnership_id = l.partnership_id and e.budget_line_id = l.id), 0)::bigint as spent
                      from budget_line l where l.partnership_id = y.partnership_id and l.budget_year_id = y.id) x), '[]')
                    as "lines!: Json<Vec<Line>>",
                  coalesce((select json_agg(x order by x.contributor_kind desc, x.contributor) from (
                      select k.id, k.contributor, k.contributor_kind, k.form, k.amount_pennies as amount, k.description,
                             coalesce(sum(n.amount_pennies) filter (where n.kind = 'invoice'), 0)::bigint as invoiced,
                             coalesce(sum(n.amount_pennies) filter (where n.kind = 'payment'), 0)::bigint as received,
                             coalesce(json_agg(json_build_object('kind', n.kind, 'entered_on', n.entered_on, 'amount', n.amount_pennies,
                                                                 'reference', n.reference) order by n.entered_on, n.recorded_at)
                                      filter (where n.id is not null), '[]') as entries
                      from contribution k
                      left join contribution_entry n on n.partnership_id = k.partnership_id and n.contribution_id = k.id
                      where k.partnership_id = y.partnership_id and k.budget_year_id = y.id
                      group by k.partnership_id, k.id) x), '[]') as "contributions!: Json<Vec<Contribution>>",
                  coalesce((select json_agg(x order by x.spent_on desc, x.recorded_at desc) from (
                      select e.spent_on, l.name as line_name, e.description, e.supplier, e.amount_pennies as amount, e.arrangements,
                             e.recorded_at
                      from expenditure e join budget_line l on l.partnership_id = e.partnership_id and l.id = e.budget_line_id
                      where e.partnership_id = y.partnership_id and e.budget_year_id = y.id) x), '[]') as "spending!: Json<Vec<Spending>>",
                  (select json_build_object('id', d.id, 'number', d.number, 'outcome', d.outcome)
                   from decision d where d.partnership_id = y.partnership_id and d.id = y.decision_id) as "agreement: Json<Agreement>",
                  coalesce((select json_agg(json_build_object('id', o.id, 'name', o.name, 'is_statutory_partner', o.is_statutory_partner)
                                            order by not o.is_statutory_partner, o.name)
                            from organisation o where o.partnership_id = y.partnership_id and o.retired_on is null
                              and (o.is_statutory_partner or o.is_relevant_agency)), '[]') as "contributors!: Json<Vec<Contributor>>",
                  coalesce((select sum(e.amount_pennies) from expenditure e
                            where e.partnership_id = y.partnership_id and e.budget_year_id = y.id and e.arrangements = 'children'), 0)::bigint
                    as "spent_children!",
                  coalesce((select sum(e.amount_pennies) from expenditure e
                            where e.partnership_id = y.partnership_id and e.budget_year_id = y.id and e.arrangements = 'adults'), 0)::bigint
                    as "spent_adults!"
           from budget_year y where y.partnership_id = $1 and y.starts_on = $2"#,
        partnership_id,
        year.starts_on()
    )
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(AppError::NotFound)?;
    let position = super::years::positions(tx, partnership_id).await?.into_iter().find(|p| p.id == row.id).ok_or(AppError::NotFound)?;
    Ok(Loaded {
        position,
        lines: row.lines.0,
        contributions: row.contributions.0,
        spending: row.spending.0,
        agreement: row.agreement.map(|a| a.0),
        contributors: row.contributors.0,
        spent_children: Pennies(row.spent_children),
        spent_adults: Pennies(row.spent_adults),
    })
}

struct Loaded {
    position: Position,
    lines: Vec<Line>,
    contributions: Vec<Contribution>,
    spending: Vec<Spending>,
    agreement: Option<Agreement>,
    contributors: Vec<Contributor>,
    spent_children: Pennies,
    spent_adults: Pennies,
}

pub(crate) async fn year_page(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Path((_, year)): Path<(String, String)>,
) -> Result<Response> {
    let year = year_in_path(&year)?;
    let forms = YearForms { key: Uuid::new_v4().to_string(), ..YearForms::default() };
    render(&state, &session, member, year, forms, FormErrors::default()).await
}

async fn render(
    state: &AppState,
    session: &Session,
    member: Member,
    year: FinancialYear,
    forms: YearForms,
    errors: FormErrors,
) -> Result<Response> {
    let mut tx = member.begin(state).await?;
    let loaded = load(&mut tx, member.partnership.id, year).await?;
    tx.commit().await?;
    let split = loaded.position.children_share_percent.map(|p| Split::of(&loaded.position, p, loaded.spent_children, loaded.spent_adults));
    let mut by_category: Vec<(String, Pennies, Pennies)> = Vec::new();
    for category in LineCategory::ALL {
        let of: Vec<&Line> = loaded.lines.iter().filter(|l| l.category == category).collect();
        if !of.is_empty() {
            let sum = |f: fn(&Line) -> Pennies| of.iter().fold(Pennies(0), |t, l| t + f(l));
            by_category.push((category.label().to_owned(), sum(|l| l.amount), sum(|l| l.spent)));
        }
    }
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let mut contributors: Vec<(String, String)> = loaded
        .contributors
        .iter()
        .map(|o| (o.id.to_string(), if o.is_statutory_partner { format!("{} (statutory partner)", o.name) } else { o.name.clone() }))
        .collect();
    contributors.push(("other".to_owned(), "Another contributor (name it below)".to_owned()));
    let page = YearPage {
        layout: member.layout(session, "resources").await?,
        can_manage: member.roles.allows(Capability::ManageResources),
        can_ask: member.roles.allows(Capability::ManageResources) && member.roles.allows(Capability::ManageDecisions),
        member,
        year,
        split,
        by_category,
        cash_contributions: loaded
            .contributions
            .iter()
            .filter(|c| c.form == ContributionForm::Cash)
            .map(|c| (c.id.to_string(), c.contributor.clone()))
            .collect(),
        line_choices: loaded.lines.iter().map(|l| (l.id.to_string(), format!("{} ({})", l.name, l.category.label()))).collect(),
        position: loaded.position,
        lines: loaded.lines,
        contributions: loaded.contributions,
        spending: loaded.spending,
        agreement: loaded.agreement,
        categories: LineCategory::options(),
        contributors,
        arrangements: Arrangements::options(),
        forms,
        errors,
    };
    Ok((status, page).into_response())
}

/// The year's id and split, locked for the write: a form for a year not set up is a 404.
async fn year_row(tx: &mut crate::db::Tx, partnership_id: Uuid, year: FinancialYear) -> Result<Uuid> {
    sqlx::query_scalar!(
        "select id from budget_year where partnership_id = $1 and starts_on = $2 for update",
        partnership_id,
        year.starts_on()
    )
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(AppError::NotFound)
}

/// The form's key, chosen when it was shown, so that sending it twice records one entry; a new one if it is garbled.
fn key_of(forms: &YearForms) -> Uuid {
    Uuid::parse_str(&forms.key).unwrap_or_else(|_| Uuid::new_v4())
}

/// Why a date does not belong to the year's accounts ("in 2026-27: give a date from …"), or none when it does.
fn outside(year: FinancialYear, on: NaiveDate) -> Option<String> {
    (!year.contains(on)).then(|| {
        format!(
            "in {}: give a date from {} to {}",
            FinancialYear::containing(on).label(),
            long_date(year.starts_on()),
            long_date(year.ends_on())
        )
    })
}

fn year_path(member: &Member, year: FinancialYear) -> String {
    format!("/p/{}/budget/{}", member.partnership.slug, year.label())
}

/// Add a budget line: its category, its name and the amount budgeted.
pub(crate) async fn add_line(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Path((_, year)): Path<(String, String)>,
    ClientAddress(address): ClientAddress,
    Submitted(forms): Submitted<YearForms>,
) -> Result<Response> {
    member.require(Capability::ManageResources)?;
    let year = year_in_path(&year)?;
    let mut errors = FormErrors::default();
    let category = LineCategory::parse(&forms.line_category);
    if category.is_none() {
        errors.add("line_category", "Choose what the line pays for");
    }
    let name = errors.check("line_name", required_line(&forms.line_name, "line's name", 200));
    let amount = errors.check("line_amount", Pennies::parse(&forms.line_amount, "amount budgeted"));
    let (Some(category), Some(name), Some(amount)) = (category, name, amount) else {
        return render(&state, &session, member, year, forms, errors).await;
    };
    let mut tx = member.begin(&state).await?;
    let year_id = year_row(&mut tx, member.partnership.id, year).await?;
    let id = Uuid::new_v4();
    let added = sqlx::query!(
        "insert into budget_line (partnership_id, id, budget_year_id, category, name, amount_pennies) values ($1, $2, $3, $4, $5, $6)
         on conflict (partnership_id, budget_year_id, lower(name)) do nothing",
        member.partnership.id,
        id,
        year_id,
        category as LineCategory,
        name,
        amount.0
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if added == 0 {
        tx.rollback().await?;
        errors.add("line_name", format!("{} already has a line called {name}", year.label()));
        return render(&state, &session, member, year, forms, errors).await;
    }
    change(&member, "budget.line_added", "budget_year", year_id, &address)
        .after(
            json!({ "name": name, "category": category.label(), "amount": amount.to_string(), "amount_pennies": amount.0, "line_id": id }),
        )
        .record(&mut tx)
        .await?;
    tx.commit().await?;
    done(&session, format!("{name}: {amount} budgeted for {}", year.label()), year_path(&member, year)).await
}

/// Record a contributor's agreed contribution for the year: a statutory partner or relevant agency, or another
/// contributor by name; cash or in kind.
pub(crate) async fn add_contribution(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Path((_, year)): Path<(String, String)>,
    ClientAddress(address): ClientAddress,
    Submitted(forms): Submitted<YearForms>,
) -> Result<Response> {
    member.require(Capability::ManageResources)?;
    let year = year_in_path(&year)?;
    let mut tx = member.begin(&state).await?;
    let pid = member.partnership.id;
    let mut errors = FormErrors::default();
    let organisation = match Uuid::parse_str(&forms.contributor) {
        Ok(id) => {
            let found = sqlx::query!(
                "select id, name, is_statutory_partner from organisation
                 where partnership_id = $1 and id = $2 and retired_on is null and (is_statutory_partner or is_relevant_agency)",
                pid,
                id
            )
            .fetch_optional(&mut *tx)
            .await?;
            if found.is_none() {
                errors.add("contributor", "Choose one of the partnership's partners or agencies, or another contributor");
            }
            found
        }
        Err(_) if forms.contributor == "other" => None,
        Err(_) => {
            errors.add("contributor", "Choose who contributes");
            None
        }
    };
    let (contributor, kind) = match &organisation {
        Some(o) => {
            (Some(o.name.clone()), if o.is_statutory_partner { ContributorKind::StatutoryPartner } else { ContributorKind::RelevantAgency })
        }
        None if forms.contributor == "other" => {
            (errors.check("contributor_name", required_line(&forms.contributor_name, "contributor's name", 200)), ContributorKind::Other)
        }
        None => (None, ContributorKind::Other),
    };
    let form = ContributionForm::parse(&forms.contribution_form);
    if form.is_none() {
        errors.add("contribution_form", "Choose cash or in kind");
    }
    let amount = errors.check("contribution_amount", Pennies::parse(&forms.contribution_amount, "amount agreed"));
    if amount == Some(Pennies(0)) {
        errors.add("contribution_amount", "The amount agreed must be more than £0.00");
    }
    let description = errors.check("contribution_description", optional_text(&forms.contribution_description, "description", 1000));
    let year_id = year_row(&mut tx, pid, year).await?;
    let (Some(contributor), Some(form), Some(amount), Some(description), true) =
        (contributor, form, amount, description, errors.is_empty())
    else {
        member.resume(tx);
        return render(&state, &session, member, year, forms, errors).await;
    };
    let id = Uuid::new_v4();
    let added = sqlx::query!(
        "insert into contribution (partnership_id, id, budget_year_id, organisation_id, contributor, contributor_kind, form, amount_pennies,
                                   description, recorded_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) on conflict (partnership_id, budget_year_id, lower(contributor)) do nothing",
        pid,
        id,
        year_id,
        organisation.as_ref().map(|o| o.id),
        contributor,
        kind as ContributorKind,
        form as ContributionForm,
        amount.0,
        description,
        member.user.id
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if added == 0 {
        tx.rollback().await?;
        errors.add("contributor", format!("{contributor}'s contribution to {} is already recorded", year.label()));
        return render(&state, &session, member, year, forms, errors).await;
    }
    change(&member, "budget.contribution_added", "budget_year", year_id, &address)
        .after(json!({ "name": contributor, "contributor_kind": kind.label(), "form": form.label(), "amount": amount.to_string(),
                       "amount_pennies": amount.0, "description": description, "contribution_id": id }))
        .record(&mut tx)
        .await?;
    tx.commit().await?;
    done(&session, format!("{contributor}'s contribution of {amount} recorded"), year_path(&member, year)).await
}

/// Record an invoice raised for a cash contribution, or a payment received: dated within the year, never negative.
pub(crate) async fn add_entry(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Path((_, year)): Path<(String, String)>,
    ClientAddress(address): ClientAddress,
    Submitted(forms): Submitted<YearForms>,
) -> Result<Response> {
    member.require(Capability::ManageResources)?;
    let year = year_in_path(&year)?;
    let mut tx = member.begin(&state).await?;
    let pid = member.partnership.id;
    let mut errors = FormErrors::default();
    let year_id = year_row(&mut tx, pid, year).await?;
    let contribution =
        match Uuid::parse_str(&forms.entry_contribution) {
            Ok(id) => sqlx::query!(
                "select id, contributor from contribution where partnership_id = $1 and id = $2 and budget_year_id = $3 and form = 'cash'",
                pid,
                id,
                year_id
            )
            .fetch_optional(&mut *tx)
            .await?,
            Err(_) => None,
        };
    if contribution.is_none() {
        errors.add("entry_contribution", "Choose the cash contribution it is for");
    }
    let kind = EntryKind::parse(&forms.entry_kind);
    if kind.is_none() {
        errors.add("entry_kind", "Choose an invoice raised or a payment received");
    }
    let what = kind.map(|k| if k == EntryKind::Invoice { "invoice" } else { "payment" }).unwrap_or("amount");
    let date = DateParts { day: forms.entry_day.clone(), month: forms.entry_month.clone(), year: forms.entry_year.clone() };
    let on = errors.check("entry_day", date.parse("Date", true)).flatten();
    if let Some(on) = on {
        if let Some(elsewhere) = outside(year, on) {
            errors.add("entry_day", format!("The {what} is dated {}, {elsewhere}", long_date(on)));
        } else if on > today() {
            errors.add("entry_day", format!("The {what} must not be dated in the future"));
        }
    }
    let amount = errors.check("entry_amount", Pennies::parse(&forms.entry_amount, what));
    if amount == Some(Pennies(0)) {
        errors.add("entry_amount", format!("The {what} must be more than £0.00"));
    }
    let reference = errors.check("entry_reference", optional_line(&forms.entry_reference, "reference", 100));
    let (Some(contribution), Some(kind), Some(on), Some(amount), Some(reference), true) =
        (contribution, kind, on, amount, reference, errors.is_empty())
    else {
        member.resume(tx);
        return render(&state, &session, member, year, forms, errors).await;
    };
    let id = key_of(&forms);
    let added = sqlx::query!(
        "insert into contribution_entry (partnership_id, id, contribution_id, kind, entered_on, amount_pennies, reference, recorded_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict do nothing",
        pid,
        id,
        contribution.id,
        kind as EntryKind,
        on,
        amount.0,
        reference,
        member.user.id
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if added == 1 {
        change(&member, "budget.entry_added", "budget_year", year_id, &address)
            .after(json!({ "name": contribution.contributor, "kind": kind.label(), "entered_on": on, "amount": amount.to_string(),
                           "amount_pennies": amount.0, "reference": reference, "contribution_id": contribution.id }))
            .record(&mut tx)
            .await?;
    }
    tx.commit().await?;
    done(&session, format!("{}: {} of {amount} recorded", contribution.contributor, kind.label().to_lowercase()), year_path(&member, year))
        .await
}

/// Record spending against one of the year's lines, dated within the year.
pub(crate) async fn add_spending(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Path((_, year)): Path<(String, String)>,
    ClientAddress(address): ClientAddress,
    Submitted(forms): Submitted<YearForms>,
) -> Result<Response> {
    member.require(Capability::ManageResources)?;
    let year = year_in_path(&year)?;
    let mut tx = member.begin(&state).await?;
    let pid = member.partnership.id;
    let mut errors = FormErrors::default();
    let year_id = year_row(&mut tx, pid, year).await?;
    let line = match Uuid::parse_str(&forms.spend_line) {
        Ok(id) => {
            sqlx::query!("select id, name from budget_line where partnership_id = $1 and id = $2 and budget_year_id = $3", pid, id, year_id)
                .fetch_optional(&mut *tx)
                .await?
        }
        Err(_) => None,
    };
    if line.is_none() {
        errors.add("spend_line", "Choose the budget line it was spent from");
    }
    let date = DateParts { day: forms.spend_day.clone(), month: forms.spend_month.clone(), year: forms.spend_year.clone() };
    let on = errors.check("spend_day", date.parse("Date", true)).flatten();
    if let Some((on, elsewhere)) = on.and_then(|on| outside(year, on).map(|elsewhere| (on, elsewhere))) {
        errors.add("spend_day", format!("{} is {elsewhere}", long_date(on)));
    }
    let description = errors.check("spend_description", required_line(&forms.spend_description, "what it was for", 400));
    let supplier = errors.check("spend_supplier", optional_line(&forms.spend_supplier, "supplier", 200));
    let amount = errors.check("spend_amount", Pennies::parse(&forms.spend_amount, "amount spent"));
    if amount == Some(Pennies(0)) {
        errors.add("spend_amount", "The amount spent must be more than £0.00");
    }
    let arrangements =
        if forms.spend_arrangements.is_empty() { Some(Arrangements::Shared) } else { Arrangements::parse(&forms.spend_arrangements) };
    if arrangements.is_none() {
        errors.add("spend_arrangements", "Choose which arrangements it was for");
    }
    let (Some(line), Some(on), Some(description), Some(supplier), Some(amount), Some(arrangements), true) =
        (line, on, description, supplier, amount, arrangements, errors.is_empty())
    else {
        member.resume(tx);
        return render(&state, &session, member, year, forms, errors).await;
    };
    let id = key_of(&forms);
    let added = sqlx::query!(
        "insert into expenditure (partnership_id, id, budget_year_id, budget_line_id, spent_on, description, supplier, amount_pennies,
                                  arrangements, recorded_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) on conflict do nothing",
        pid,
        id,
        year_id,
        line.id,
        on,
        description,
        supplier,
        amount.0,
        arrangements as Arrangements,
        member.user.id
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if added == 1 {
        change(&member, "budget.spent", "budget_year", year_id, &address)
            .after(json!({ "description": description, "line": line.name, "spent_on": on, "supplier": supplier,
                           "amount": amount.to_string(), "amount_pennies": amount.0, "arrangements": arrangements.label() }))
            .record(&mut tx)
            .await?;
    }
    tx.commit().await?;
    done(&session, format!("{amount} spent on {description} recorded against {}", line.name), year_path(&member, year)).await
}

/// Ask the lead partners to agree the year's contributions: a decision of the partners (one voice each), put to the
/// executive, listing every contribution, closing in ten working days. Asked once a year; asking again leads to it.
pub(crate) async fn ask_agreement(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Path((_, year)): Path<(String, String)>,
    ClientAddress(address): ClientAddress,
) -> Result<Response> {
    member.require(Capability::ManageResources)?;
    member.require(Capability::ManageDecisions)?;
    let year = year_in_path(&year)?;
    let mut tx = member.begin(&state).await?;
    let pid = member.partnership.id;
    let year_id = year_row(&mut tx, pid, year).await?;
    let asked = sqlx::query!(
        r#"select y.decision_id,
                  (select g.id from partnership_group g where g.partnership_id = y.partnership_id and g.retired_on is null
                     and g.kind in ('executive', 'accountability', 'board')
                   order by array_position(array['executive', 'accountability', 'board'], g.kind), g.sort_order limit 1) as group_id,
                  coalesce((select json_agg(json_build_array(k.contributor, k.form, k.amount_pennies) order by k.contributor_kind, k.contributor)
                            from contribution k where k.partnership_id = y.partnership_id and k.budget_year_id = y.id), '[]')
                    as "contributions!: Json<Vec<(String, ContributionForm, Pennies)>>"
           from budget_year y where y.partnership_id = $1 and y.id = $2"#,
        pid,
        year_id
    )
    .fetch_one(&mut *tx)
    .await?;
    let back = year_path(&member, year);
    if let Some(decision) = asked.decision_id {
        tx.commit().await?;
        return done(
            &session,
            "The partners have already been asked".to_owned(),
            format!("/p/{}/decisions/{decision}", member.partnership.slug),
        )
        .await;
    }
    let (Some(group_id), false) = (asked.group_id, asked.contributions.0.is_empty()) else {
        tx.commit().await?;
        let why = if asked.group_id.is_none() {
            "The partnership has no executive group to put the decision to"
        } else {
            "Record the contributions first"
        };
        return done(&session, why.to_owned(), back).await;
    };
    let listed: Vec<String> =
        asked.contributions.0.iter().map(|(who, form, amount)| format!("- {who}: {amount} ({})", form.label().to_lowercase())).collect();
    let total_cash = asked.contributions.0.iter().filter(|(_, f, _)| *f == ContributionForm::Cash).fold(Pennies(0), |t, (_, _, a)| t + *a);
    let closes_at =
        uk_datetime(working_days_after(today(), 10), NaiveTime::from_hms_opt(17, 0, 0).expect("a time")).ok_or(AppError::BadRequest)?;
    let id = Uuid::new_v4();
    let d = crate::decisions::NewDecision {
        id,
        group_id,
        title: format!("Contributions to the pooled budget for {}", year.label()),
        question: format!("Do the partners agree the contributions to the pooled budget for {}?", year.label()),
        background: format!(
            "The contributions recorded for {} ({} in cash in all). Contributions must be equitable and proportionate.\n\n{}",
            year.label(),
            total_cash,
            listed.join("\n")
        ),
        options: String::new(),
        confidential: false,
        closes_at,
        meeting_id: None,
        responds_to: String::new(),
    };
    let Some(number) = crate::decisions::raise::put_and_tell(&mut tx, &member, &address, &d).await? else {
        tx.commit().await?;
        return done(&session, "The partners have already been asked".to_owned(), back).await;
    };
    sqlx::query!("update budget_year set decision_id = $3 where partnership_id = $1 and id = $2", pid, year_id, id)
        .execute(&mut *tx)
        .await?;
    change(&member, "budget.agreement_asked", "budget_year", year_id, &address)
        .after(json!({ "name": format!("Budget {}", year.label()), "decision_id": id, "decision_number": number }))
        .record(&mut tx)
        .await?;
    tx.commit().await?;
    done(&session, format!("D{number} asks the partners to agree the contributions for {}", year.label()), back).await
}
