//! The performance data set (`/p/<slug>/performance`): every indicator with
//! its latest value against its target (red, amber or green) and the one
//! before; defining an indicator; a CSV file of one period's values, checked
//! row by row (a bad row says its row and column, and nothing is saved until
//! the whole file is right); and the data set put among a meeting's papers
//! (a PDF, through the papers owner) for the group that reviews it.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::types::Json;
use tower_sessions::Session;
use uuid::Uuid;

use super::{Frequency, Rag, figure, parse_figure};
use crate::calendar::{long_date, today};
use crate::error::Result;
use crate::roles::Capability;
use crate::tenant::{Member, change};
use crate::web::{
    AppState, ClientAddress, FormErrors, Layout, Query, Submitted, optional_line, optional_text, redirect_with as done, required_line,
};

/// The most a period's CSV file may hold.
pub const MAX_CSV_BYTES: usize = 256 * 1024;

/// An indicator as the data set lists it, with its two latest values.
#[derive(Debug, Deserialize)]
pub struct IndicatorLine {
    pub id: Uuid,
    pub name: String,
    pub unit: String,
    pub frequency: Frequency,
    pub target: Option<f64>,
    pub higher_is_better: bool,
    pub amber_percent: f64,
    pub organisation_name: Option<String>,
    pub group_name: Option<String>,
    /// The latest value and its period, then the one before.
    pub latest: Option<(NaiveDate, f64)>,
    pub before: Option<(NaiveDate, f64)>,
}

impl IndicatorLine {
    pub fn latest_value(&self) -> String {
        self.latest.map(|(_, v)| format!("{}{}", figure(v), unit_suffix(&self.unit))).unwrap_or_else(|| "No value yet".to_owned())
    }
    pub fn latest_period(&self) -> String {
        self.latest.map(|(p, _)| self.frequency.label_of(p)).unwrap_or_default()
    }
    pub fn target_text(&self) -> String {
        match self.target {
            Some(t) => format!("{} {}{}", if self.higher_is_better { "At least" } else { "At most" }, figure(t), unit_suffix(&self.unit)),
            None => "No target".to_owned(),
        }
    }
    pub fn rag(&self) -> Option<Rag> {
        Some(Rag::of(self.latest?.1, self.target?, self.higher_is_better, self.amber_percent))
    }
    /// Better, worse or the same as the period before, as the indicator counts better.
    pub fn trend(&self) -> &'static str {
        match (self.latest, self.before) {
            (Some((_, now)), Some((_, then))) if now == then => "No change",
            (Some((_, now)), Some((_, then))) if (now > then) == self.higher_is_better => "Better",
            (Some(_), Some(_)) => "Worse",
            _ => "",
        }
    }
}

/// " %" for a percentage, " days" for a count of days: the unit after a value.
pub fn unit_suffix(unit: &str) -> String {
    match unit.trim() {
        "" => String::new(),
        "%" => "%".to_owned(),
        other => format!(" {other}"),
    }
}

#[derive(Deserialize, Default, Clone)]
pub(crate) struct DataSetQuery {
    #[serde(default)]
    group: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "assurance/performance.html")]
struct DataSetPage {
    layout: Layout,
    member: Member,
    indicators: Vec<IndicatorLine>,
    groups: Vec<(String, String)>,
    group: String,
    manages: bool,
    counts: [(Rag, usize); 3],
}

/// Every indicator in use with its two latest values (for one reviewing group, if chosen): one statement.
pub(crate) async fn data_set(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Query(query): Query<DataSetQuery>,
) -> Result<Response> {
    let group = Uuid::parse_str(&query.group).ok();
    let mut tx = member.begin(&state).await?;
    let row = sqlx::query!(
        r#"select coalesce((select json_agg(x order by x.group_name nulls last, x.name) from (
                      select i.id, i.name, i.unit, i.frequency, i.target, i.higher_is_better, i.amber_percent,
                             o.name as organisation_name, g.name as group_name,
                             (select json_build_array(v.period_start, v.value) from indicator_value v
                              where v.partnership_id = i.partnership_id and v.indicator_id = i.id order by v.period_start desc limit 1) as latest,
                             (select json_build_array(v.period_start, v.value) from indicator_value v
                              where v.partnership_id = i.partnership_id and v.indicator_id = i.id
                              order by v.period_start desc offset 1 limit 1) as before
                      from indicator i
                      left join organisation o on o.partnership_id = i.partnership_id and o.id = i.organisation_id
                      left join partnership_group g on g.partnership_id = i.partnership_id and g.id = i.group_id
                      where i.partnership_id = $1 and i.retired_on is null and ($2::uuid is null or i.group_id = $2)
                      limit 200) x), '[]') as "indicators!: Json<Vec<IndicatorLine>>",
                  coalesce((select json_agg(json_build_array(g.id::text, g.name) order by g.sort_order, g.name)
                            from partnership_group g where g.partnership_id = $1 and g.retired_on is null
                              and exists (select 1 from indicator i where i.partnership_id = g.partnership_id and i.group_id = g.id
                                          and i.retired_on is null)), '[]') as "groups!: Json<Vec<(String, String)>>""#,
        member.partnership.id,
        group
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    let indicators = row.indicators.0;
    let count = |rag: Rag| indicators.iter().filter(|i| i.rag() == Some(rag)).count();
    let page = DataSetPage {
        layout: member.layout(&session, "assurance").await?,
        manages: member.roles.allows(Capability::ManageAssurance),
        member,
        counts: [(Rag::Green, count(Rag::Green)), (Rag::Amber, count(Rag::Amber)), (Rag::Red, count(Rag::Red))],
        indicators,
        groups: row.groups.0,
        group: group.map(|g| g.to_string()).unwrap_or_default(),
    };
    Ok(page.into_response())
}

#[derive(Deserialize, Default, Clone, Debug)]
pub(crate) struct IndicatorForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    definition: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    organisation: String,
    #[serde(default)]
    frequency: String,
    #[serde(default)]
    target: String,
    #[serde(default)]
    better: String,
    #[serde(default)]
    amber_percent: String,
    #[serde(default)]
    group: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "assurance/indicator_form.html")]
struct IndicatorFormPage {
    layout: Layout,
    member: Member,
    form: IndicatorForm,
    organisations: Vec<(String, String)>,
    groups: Vec<(String, String)>,
    frequencies: Vec<(String, String)>,
    errors: FormErrors,
}

async fn render_form(state: &AppState, session: &Session, member: Member, form: IndicatorForm, errors: FormErrors) -> Result<Response> {
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
    let page = IndicatorFormPage {
        layout: member.layout(session, "assurance").await?,
        member,
        form,
        organisations,
        groups,
        frequencies: Frequency::options(),
        errors,
    };
    Ok((status, page).into_response())
}

pub(crate) async fn new_page(State(state): State<AppState>, session: Session, member: Member) -> Result<Response> {
    member.require(Capability::ManageAssurance)?;
    let form = IndicatorForm { better: "higher".into(), amber_percent: "10".into(), ..IndicatorForm::default() };
    render_form(&state, &session, member, form, FormErrors::default()).await
}

/// Define an indicator. The same name twice defines one.
pub(crate) async fn define(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Submitted(form): Submitted<IndicatorForm>,
) -> Result<Response> {
    member.require(Capability::ManageAssurance)?;
    let mut errors = FormErrors::default();
    let name = errors.check("name", required_line(&form.name, "indicator's name", 200));
    let definition = errors.check("definition", optional_text(&form.definition, "definition", 4000));
    let unit = errors.check("unit", optional_line(&form.unit, "unit", 40));
    let frequency = Frequency::parse(&form.frequency);
    if frequency.is_none() {
        errors.add("frequency", "Choose how often it is reported");
    }
    let target = match form.target.trim() {
        "" => Some(None),
        text => match parse_figure(text) {
            Some(t) => Some(Some(t)),
            None => {
                errors.add("target", "The target must be a number, like 90 or 12.5");
                None
            }
        },
    };
    let higher = match form.better.as_str() {
        "higher" => Some(true),
        "lower" => Some(false),
        _ => {
            errors.add("better", "Choose whether a higher or a lower value is better");
            None
        }
    };
    let amber = parse_figure(&form.amber_percent).filter(|a| (0.0..=100.0).contains(a));
    if amber.is_none() {
        errors.add("amber_percent", "The amber margin must be a number from 0 to 100");
    }
    let mut tx = member.begin(&state).await?;
    let pid = member.partnership.id;
    let organisation = match Uuid::parse_str(&form.organisation) {
        Ok(id) => {
            sqlx::query_scalar!("select id from organisation where partnership_id = $1 and id = $2", pid, id)
                .fetch_optional(&mut *tx)
                .await?
        }
        Err(_) => None,
    };
    if !form.organisation.is_empty() && organisation.is_none() {
        errors.add("organisation", "Choose one of the partnership's agencies, or none");
    }
    let group = match Uuid::parse_str(&form.group) {
        Ok(id) => crate::structure::all_groups(&mut tx, pid, false).await?.into_iter().find(|g| g.id == id).map(|g| g.id),
        Err(_) => None,
    };
    if !form.group.is_empty() && group.is_none() {
        errors.add("group", "Choose one of the partnership's groups, or none");
    }
    let (Some(name), Some(definition), Some(unit), Some(frequency), Some(target), Some(higher), Some(amber), true) =
        (name, definition, unit, frequency, target, higher, amber, errors.is_empty())
    else {
        member.resume(tx);
        return render_form(&state, &session, member, form, errors).await;
    };
    let id = Uuid::new_v4();
    let added = sqlx::query!(
        "insert into indicator (partnership_id, id, name, definition, unit, organisation_id, frequency, target, higher_is_better, amber_percent,
                                group_id, created_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         on conflict (partnership_id, lower(name)) do nothing",
        pid,
        id,
        name,
        definition,
        unit,
        organisation,
        frequency as Frequency,
        target,
        higher,
        amber,
        group,
        member.user.id
    )
    .execute(&mut *tx)
    .await?;
    let id = if added.rows_affected() == 1 {
        change(&member, "indicator.defined", "indicator", id, &address)
            .after(json!({ "name": name, "definition": definition, "unit": unit, "organisation_id": organisation, "frequency": frequency.label(),
                           "target": target, "higher_is_better": higher, "amber_percent": amber, "group_id": group }))
            .record(&mut tx)
            .await?;
        id
    } else {
        sqlx::query_scalar!("select id from indicator where partnership_id = $1 and lower(name) = lower($2)", pid, name)
            .fetch_one(&mut *tx)
            .await?
    };
    tx.commit().await?;
    done(&session, format!("{name} is in the data set"), format!("/p/{}/performance/{id}", member.partnership.slug)).await
}

/// The months a CSV file may be for: this one and the year before it, newest first, as (first day, "March 2027").
fn months() -> Vec<(String, String)> {
    Frequency::Monthly.recent(today(), 13)
}

#[derive(Template, WebTemplate)]
#[template(path = "assurance/upload.html")]
struct UploadPage {
    layout: Layout,
    member: Member,
    months: Vec<(String, String)>,
    month: String,
    /// The indicators this person may enter, by name, for the file's first column.
    names: Vec<String>,
    errors: FormErrors,
}

async fn render_upload(state: &AppState, session: &Session, member: Member, month: String, errors: FormErrors) -> Result<Response> {
    let mut tx = member.begin(state).await?;
    let names = enterable(&mut tx, &member).await?.into_iter().map(|i| i.name).collect();
    tx.commit().await?;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let month = if month.is_empty() { Frequency::Monthly.last_complete(today()).to_string() } else { month };
    let page = UploadPage { layout: member.layout(session, "assurance").await?, member, months: months(), month, names, errors };
    Ok((status, page).into_response())
}

/// An indicator this person may enter values for.
struct Enterable {
    id: Uuid,
    name: String,
    frequency: Frequency,
}

/// The indicators in use this person may enter: every one for the business unit, else their agency's.
async fn enterable(tx: &mut crate::db::Tx, member: &Member) -> sqlx::Result<Vec<Enterable>> {
    sqlx::query_as!(
        Enterable,
        r#"select id, name, frequency as "frequency: Frequency" from indicator
           where partnership_id = $1 and retired_on is null
             and ($2 or organisation_id is not distinct from (select app_organisation_id()) and organisation_id is not null)
           order by name"#,
        member.partnership.id,
        member.roles.allows(Capability::ManageAssurance)
    )
    .fetch_all(&mut **tx)
    .await
}

pub(crate) async fn upload_page(State(state): State<AppState>, session: Session, member: Member) -> Result<Response> {
    render_upload(&state, &session, member, String::new(), FormErrors::default()).await
}

/// One row of a period's file, checked.
struct Row {
    indicator: Uuid,
    name: String,
    period: NaiveDate,
    value: f64,
    note: String,
}

/// Check a period's file: a heading row `indicator,value` (and `note`, if wanted), then one row an indicator.
/// Every problem is said with its row and column; nothing is returned unless the whole file is right.
fn check_file(text: &str, month: NaiveDate, enterable: &[Enterable], errors: &mut FormErrors) -> Vec<Row> {
    let by_name: HashMap<String, &Enterable> = enterable.iter().map(|i| (i.name.to_lowercase(), i)).collect();
    let mut reader =
        csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let headings: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|c| c.to_lowercase()).collect(),
        Err(_) => {
            errors.add("csv_file", "The file could not be read as CSV");
            return Vec::new();
        }
    };
    let column = |name: &str| headings.iter().position(|h| h == name);
    let (Some(name_at), Some(value_at)) = (column("indicator"), column("value")) else {
        errors.add("csv_file", "Row 1 must name the columns: indicator, value (and note, if you want one)");
        return Vec::new();
    };
    let note_at = column("note");
    let mut rows: Vec<Row> = Vec::new();
    let mut problems = 0;
    let mut problem = |errors: &mut FormErrors, message: String| {
        problems += 1;
        if problems <= 20 {
            errors.add("csv_file", message);
        }
    };
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let Ok(record) = record else {
            problem(errors, format!("Row {line} could not be read as CSV"));
            continue;
        };
        if record.iter().all(str::is_empty) {
            continue;
        }
        let name = record.get(name_at).unwrap_or("").to_owned();
        let indicator = by_name.get(&name.to_lowercase());
        if name.is_empty() {
            problem(errors, format!("Row {line}, column indicator: the indicator's name is missing"));
        } else if indicator.is_none() {
            problem(errors, format!("Row {line}, column indicator: \u{201c}{name}\u{201d} is not an indicator you enter values for"));
        }
        let raw = record.get(value_at).unwrap_or("");
        let value = parse_figure(raw);
        if value.is_none() {
            problem(errors, format!("Row {line}, column value: \u{201c}{raw}\u{201d} is not a number"));
        }
        let note = note_at.and_then(|n| record.get(n)).unwrap_or("").to_owned();
        if note.chars().count() > 1000 {
            problem(errors, format!("Row {line}, column note: the note must be 1000 characters or fewer"));
        }
        if let (Some(indicator), Some(value)) = (indicator, value) {
            if rows.iter().any(|r| r.indicator == indicator.id) {
                problem(errors, format!("Row {line}, column indicator: {} is in the file twice", indicator.name));
            } else {
                rows.push(Row {
                    indicator: indicator.id,
                    name: indicator.name.clone(),
                    period: indicator.frequency.period_of(month),
                    value,
                    note,
                });
            }
        }
    }
    if problems > 20 {
        errors.add("csv_file", format!("And {} more problems", problems - 20));
    }
    if rows.is_empty() && problems == 0 {
        errors.add("csv_file", "The file has no values: one row an indicator, below the headings");
    }
    if errors.is_empty() { rows } else { Vec::new() }
}

/// Take a period's file: every row checked first; then every value saved (a value already entered for that
/// period is replaced, and the log keeps the one before) in one transaction.
pub(crate) async fn upload(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    body: Request,
) -> Result<Response> {
    let mut errors = FormErrors::default();
    let Some(file) = crate::web::upload::read_csv(body, "csv_file", MAX_CSV_BYTES, &mut errors).await? else {
        return render_upload(&state, &session, member, String::new(), errors).await;
    };
    let month_text = file.field("month").unwrap_or("").to_owned();
    let month = month_text.parse::<NaiveDate>().ok().filter(|m| months().iter().any(|(d, _)| *d == m.to_string()));
    let Some(month) = month else {
        errors.add("month", "Choose the month the file is for");
        return render_upload(&state, &session, member, month_text, errors).await;
    };
    let mut tx = member.begin(&state).await?;
    let enterable = enterable(&mut tx, &member).await?;
    let rows = check_file(&file.text, month, &enterable, &mut errors);
    if !errors.is_empty() {
        member.resume(tx);
        return render_upload(&state, &session, member, month_text, errors).await;
    }
    let pid = member.partnership.id;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.indicator).collect();
    let periods: Vec<NaiveDate> = rows.iter().map(|r| r.period).collect();
    let values: Vec<f64> = rows.iter().map(|r| r.value).collect();
    let notes: Vec<String> = rows.iter().map(|r| r.note.clone()).collect();
    let replaced = sqlx::query!(
        r#"with given as (select * from unnest($2::uuid[], $3::date[], $4::float8[], $5::text[]) as g(indicator_id, period_start, value, note)),
                before as (select v.indicator_id, v.period_start, v.value from indicator_value v join given g using (indicator_id, period_start)
                           where v.partnership_id = $1),
                saved as (insert into indicator_value (partnership_id, indicator_id, period_start, value, note, entered_by)
                          select $1, g.indicator_id, g.period_start, g.value, g.note, $6 from given g
                          on conflict (partnership_id, indicator_id, period_start)
                          do update set value = excluded.value, note = excluded.note, entered_by = excluded.entered_by, entered_at = now()
                          returning indicator_id)
           select b.indicator_id, b.value from before b"#,
        pid,
        &ids,
        &periods,
        &values,
        &notes,
        member.user.id
    )
    .fetch_all(&mut *tx)
    .await?;
    let was: HashMap<Uuid, f64> = replaced.into_iter().map(|r| (r.indicator_id, r.value)).collect();
    change(&member, "data_set.uploaded", "data_set", pid, &address)
        .before(json!({ "values": rows.iter().filter_map(|r| was.get(&r.indicator).map(|v| json!({ "indicator": r.name, "value": v }))).collect::<Vec<_>>() }))
        .after(json!({ "month": month, "values": rows.iter().map(|r| json!({ "indicator": r.name, "period": r.period, "value": r.value })).collect::<Vec<_>>() }))
        .record(&mut tx)
        .await?;
    tx.commit().await?;
    let message = format!("{} values saved for {}", rows.len(), Frequency::Monthly.label_of(month));
    done(&session, message, format!("/p/{}/performance", member.partnership.slug)).await
}

#[derive(Deserialize, Default)]
pub(crate) struct PaperForm {
    #[serde(default)]
    paper_group: String,
}

/// Put the data set (its indicators reviewed by the group) among the papers of the group's next meeting, as a PDF.
pub(crate) async fn add_paper(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Submitted(form): Submitted<PaperForm>,
) -> Result<Response> {
    member.require(Capability::ManageAssurance)?;
    member.require(Capability::ManageMeetings)?;
    let back = format!("/p/{}/performance", member.partnership.slug);
    let Ok(group) = Uuid::parse_str(&form.paper_group) else {
        return done(&session, "Choose the group whose meeting takes the data set".to_owned(), back).await;
    };
    let mut tx = member.begin(&state).await?;
    let pid = member.partnership.id;
    let Some(meeting) = crate::meetings::next_meeting(&mut tx, pid, group).await? else {
        tx.commit().await?;
        return done(&session, "That group has no meeting planned to take the data set to".to_owned(), back).await;
    };
    let lines = sqlx::query_scalar!(
        r#"select coalesce((select json_agg(x order by x.name) from (
               select i.id, i.name, i.unit, i.frequency, i.target, i.higher_is_better, i.amber_percent, o.name as organisation_name,
                      null::text as group_name,
                      (select json_build_array(v.period_start, v.value) from indicator_value v
                       where v.partnership_id = i.partnership_id and v.indicator_id = i.id order by v.period_start desc limit 1) as latest,
                      (select json_build_array(v.period_start, v.value) from indicator_value v
                       where v.partnership_id = i.partnership_id and v.indicator_id = i.id order by v.period_start desc offset 1 limit 1) as before
               from indicator i left join organisation o on o.partnership_id = i.partnership_id and o.id = i.organisation_id
               where i.partnership_id = $1 and i.group_id = $2 and i.retired_on is null) x), '[]') as "lines!: Json<Vec<IndicatorLine>>""#,
        pid,
        group
    )
    .fetch_one(&mut *tx)
    .await?
    .0;
    if lines.is_empty() {
        tx.commit().await?;
        return done(&session, "That group reviews no indicators".to_owned(), back).await;
    }
    let title = format!("Performance data set, {}", long_date(today()));
    let bytes = data_set_pdf(&title, &member.partnership.name, &lines);
    let upload = crate::web::upload::Upload {
        title: title.clone(),
        filename: format!("performance-data-set-{}.pdf", today()),
        sha256: hex::encode(Sha256::digest(&bytes)),
        bytes,
        content_type: "application/pdf",
        fields: Vec::new(),
    };
    let added = crate::papers::add(&mut tx, &state.files, &member, &address, crate::papers::Holder::Meeting(meeting.id), upload).await?;
    tx.commit().await?;
    let message = match added {
        crate::papers::Added::Added(_) => format!("{title} added to the papers of the meeting on {}", long_date(meeting.day())),
        crate::papers::Added::AlreadyThere => "That meeting already has this data set among its papers".to_owned(),
    };
    done(&session, message, format!("/p/{}/meetings/{}", member.partnership.slug, meeting.id)).await
}

/// The data set as a PDF: each indicator, its latest value, the one before, the target and the status.
fn data_set_pdf(title: &str, partnership: &str, lines: &[IndicatorLine]) -> Vec<u8> {
    use crate::pdf::{Pack, Paragraph, Style};
    let mut paragraphs = vec![Paragraph::new(Style::Title, title), Paragraph::new(Style::Body, partnership)];
    for line in lines {
        paragraphs.push(Paragraph::new(Style::Heading, &line.name));
        let before = line
            .before
            .map(|(p, v)| format!("; {}: {}{}", line.frequency.label_of(p), figure(v), unit_suffix(&line.unit)))
            .unwrap_or_default();
        paragraphs.push(Paragraph::new(Style::Body, format!("{}: {}{before}", line.latest_period(), line.latest_value())).tight());
        let status = line.rag().map(|r| format!("; status {}", r.label())).unwrap_or_default();
        paragraphs.push(Paragraph::new(Style::Body, format!("Target: {}{status}", line.target_text())).tight());
        if let Some(agency) = &line.organisation_name {
            paragraphs.push(Paragraph::new(Style::Small, format!("Supplied by {agency}")).tight());
        }
    }
    let mut pack = Pack::new(title);
    pack.text(&paragraphs);
    pack.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn indicators() -> Vec<Enterable> {
        vec![
            Enterable { id: Uuid::from_u128(1), name: "Referrals".into(), frequency: Frequency::Monthly },
            Enterable { id: Uuid::from_u128(2), name: "Audits on time".into(), frequency: Frequency::Quarterly },
        ]
    }

    #[test]
    fn a_good_file_gives_every_row_in_its_period() {
        let mut errors = FormErrors::default();
        let month = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        let rows = check_file(
            "\u{feff}Indicator,Value,Note\nreferrals,\"1,204\",\nAudits on time,87.5%,late\n",
            month,
            &indicators(),
            &mut errors,
        );
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].value, 1204.0);
        assert_eq!(rows[1].period, NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(), "a quarterly indicator's period holds the month");
    }

    #[test]
    fn a_bad_row_is_named_and_nothing_is_given() {
        let mut errors = FormErrors::default();
        let month = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        let rows =
            check_file("indicator,value\nReferrals,12\nAudits on time,lots\nUnknown,3\nReferrals,4\n", month, &indicators(), &mut errors);
        assert!(rows.is_empty());
        let messages: Vec<String> = errors.iter().map(|e| e.message.clone()).collect();
        assert!(messages.contains(&"Row 3, column value: \u{201c}lots\u{201d} is not a number".to_owned()), "{messages:?}");
        assert!(messages.iter().any(|m| m.starts_with("Row 4, column indicator: \u{201c}Unknown\u{201d}")));
        assert!(messages.iter().any(|m| m == "Row 5, column indicator: Referrals is in the file twice"));
        let mut errors = FormErrors::default();
        check_file("name,amount\nReferrals,1\n", month, &indicators(), &mut errors);
        assert!(errors.iter().any(|e| e.message.starts_with("Row 1 must name the columns")));
    }
}
