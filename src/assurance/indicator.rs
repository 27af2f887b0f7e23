//! One indicator of the data set (`/p/<slug>/performance/<id>`): what it
//! measures, who supplies it, its target; its values over time as a chart
//! with the target and a table beside it, each value red, amber or green; and
//! entering a period's value (the supplying agency's people, or the business
//! unit), which replaces one already entered for that period, the audit log
//! keeping the one before.

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

use super::performance::unit_suffix;
use super::{Frequency, Rag, figure, parse_figure};
use crate::calendar::today;
use crate::db::Tx;
use crate::error::{AppError, Result};
use crate::roles::Capability;
use crate::tenant::{Member, change};
use crate::web::{AppState, ClientAddress, FormErrors, Layout, Submitted, optional_line, record_id, redirect_with as done};

/// How many periods the page shows, the latest.
const PERIODS_SHOWN: i64 = 40;

/// A period's value.
#[derive(Debug, Deserialize)]
pub struct Value {
    pub period_start: NaiveDate,
    pub value: f64,
    pub note: String,
}

/// An indicator with its latest values, oldest first.
pub struct Loaded {
    pub id: Uuid,
    pub name: String,
    pub definition: String,
    pub unit: String,
    pub frequency: Frequency,
    pub target: Option<f64>,
    pub higher_is_better: bool,
    pub amber_percent: f64,
    pub organisation_name: Option<String>,
    pub group_name: Option<String>,
    /// Whether the person reading enters its values: their agency supplies it, or they are the business unit.
    pub enters: bool,
    pub values: Vec<Value>,
}

impl Loaded {
    pub fn period(&self, start: &NaiveDate) -> String {
        self.frequency.label_of(*start)
    }
    pub fn shown(&self, value: &f64) -> String {
        format!("{}{}", figure(*value), unit_suffix(&self.unit))
    }
    pub fn rag(&self, value: &f64) -> Option<Rag> {
        Some(Rag::of(*value, self.target?, self.higher_is_better, self.amber_percent))
    }
    pub fn target_text(&self) -> String {
        match self.target {
            Some(t) => format!("{} {}", if self.higher_is_better { "At least" } else { "At most" }, self.shown(&t)),
            None => "No target".to_owned(),
        }
    }
}

async fn load(tx: &mut Tx, member: &Member, raw_id: &str) -> Result<Loaded> {
    let id = record_id(raw_id)?;
    let row = sqlx::query!(
        r#"select i.id, i.name, i.definition, i.unit, i.frequency as "frequency: Frequency", i.target, i.higher_is_better, i.amber_percent,
                  o.name as "organisation_name?", g.name as "group_name?",
                  ($3 or (i.organisation_id is not null and i.organisation_id is not distinct from (select app_organisation_id()))) as "enters!",
                  coalesce((select json_agg(x order by x.period_start) from (
                      select v.period_start, v.value, v.note from indicator_value v
                      where v.partnership_id = i.partnership_id and v.indicator_id = i.id
                      order by v.period_start desc limit $4) x), '[]') as "values!: Json<Vec<Value>>"
           from indicator i
           left join organisation o on o.partnership_id = i.partnership_id and o.id = i.organisation_id
           left join partnership_group g on g.partnership_id = i.partnership_id and g.id = i.group_id
           where i.partnership_id = $1 and i.id = $2"#,
        member.partnership.id,
        id,
        member.roles.allows(Capability::ManageAssurance),
        PERIODS_SHOWN
    )
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(AppError::NotFound)?;
    Ok(Loaded {
        id: row.id,
        name: row.name,
        definition: row.definition,
        unit: row.unit,
        frequency: row.frequency,
        target: row.target,
        higher_is_better: row.higher_is_better,
        amber_percent: row.amber_percent,
        organisation_name: row.organisation_name,
        group_name: row.group_name,
        enters: row.enters,
        values: row.values.0,
    })
}

#[derive(Deserialize, Default, Clone)]
pub(crate) struct ValueForm {
    #[serde(default)]
    period: String,
    #[serde(default)]
    value: String,
    #[serde(default)]
    note: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "assurance/indicator.html")]
struct IndicatorPage {
    layout: Layout,
    member: Member,
    indicator: Loaded,
    chart: String,
    periods: Vec<(String, String)>,
    form: ValueForm,
    errors: FormErrors,
}

/// The periods a value may be entered for: the current one and the eleven before, newest first.
fn periods(frequency: Frequency) -> Vec<(String, String)> {
    frequency.recent(today(), 12)
}

async fn render(
    state: &AppState,
    session: &Session,
    member: Member,
    raw_id: &str,
    form: Option<ValueForm>,
    errors: FormErrors,
) -> Result<Response> {
    let mut tx = member.begin(state).await?;
    let indicator = load(&mut tx, &member, raw_id).await?;
    tx.commit().await?;
    let points: Vec<(String, f64)> = indicator.values.iter().map(|v| (indicator.frequency.label_of(v.period_start), v.value)).collect();
    let chart = super::heat_map::trend(&indicator.name, &points, indicator.target);
    let form = form.unwrap_or_else(|| ValueForm { period: indicator.frequency.last_complete(today()).to_string(), ..ValueForm::default() });
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = IndicatorPage {
        layout: member.layout(session, "assurance").await?,
        member,
        periods: periods(indicator.frequency),
        indicator,
        chart,
        form,
        errors,
    };
    Ok((status, page).into_response())
}

pub(crate) async fn indicator_page(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Path((_, indicator_id)): Path<(String, String)>,
) -> Result<Response> {
    render(&state, &session, member, &indicator_id, None, FormErrors::default()).await
}

/// Enter a period's value; one already there for the period is replaced (the log keeps it).
pub(crate) async fn enter_value(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, indicator_id)): Path<(String, String)>,
    Submitted(form): Submitted<ValueForm>,
) -> Result<Response> {
    let mut tx = member.begin(&state).await?;
    let indicator = load(&mut tx, &member, &indicator_id).await?;
    if !indicator.enters {
        return Err(AppError::Forbidden);
    }
    let mut errors = FormErrors::default();
    let period = form.period.parse::<NaiveDate>().ok().filter(|p| periods(indicator.frequency).iter().any(|(d, _)| *d == p.to_string()));
    if period.is_none() {
        errors.add("period", "Choose the period the value is for");
    }
    let value = parse_figure(&form.value);
    if value.is_none() {
        errors.add("value", "Enter the value as a number, like 87 or 12.5");
    }
    let note = errors.check("note", optional_line(&form.note, "note", 1000));
    let (Some(period), Some(value), Some(note)) = (period, value, note) else {
        member.resume(tx);
        return render(&state, &session, member, &indicator_id, Some(form), errors).await;
    };
    let pid = member.partnership.id;
    let before = indicator.values.iter().find(|v| v.period_start == period).map(|v| v.value);
    sqlx::query!(
        "insert into indicator_value (partnership_id, indicator_id, period_start, value, note, entered_by) values ($1, $2, $3, $4, $5, $6)
         on conflict (partnership_id, indicator_id, period_start)
         do update set value = excluded.value, note = excluded.note, entered_by = excluded.entered_by, entered_at = now()",
        pid,
        indicator.id,
        period,
        value,
        note,
        member.user.id
    )
    .execute(&mut *tx)
    .await?;
    if before != Some(value) {
        change(&member, "indicator.value_entered", "indicator", indicator.id, &address)
            .before(json!({ "name": indicator.name, "period": period, "value": before }))
            .after(json!({ "name": indicator.name, "period": period, "value": value, "note": note }))
            .record(&mut tx)
            .await?;
    }
    tx.commit().await?;
    let message = format!("{}: {} for {}", indicator.name, indicator.shown(&value), indicator.period(&period));
    done(&session, message, format!("/p/{}/performance/{}#values", member.partnership.slug, indicator.id)).await
}
