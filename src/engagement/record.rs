//! The engagement record (`/p/<slug>/engagement`): a financial year's
//! activities, the quarterly view of whose views were sought in each quarter
//! (those the partnership seeks every quarter flagged when a quarter went
//! without), recording an activity, and the setting of whose views are sought
//! every quarter.

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

use super::Voice;
use crate::calendar::{FinancialYear, long_date, today};
use crate::error::Result;
use crate::roles::Capability;
use crate::tenant::{Member, change};
use crate::web::{
    AppState, ClientAddress, DateParts, FormErrors, Layout, Query, Submitted, optional_line, optional_text, redirect_with as done,
    required_line,
};

#[derive(Debug, Deserialize)]
pub struct Activity {
    pub id: Uuid,
    pub number: i32,
    pub voice: Voice,
    pub title: String,
    pub method: String,
    pub held_on: NaiveDate,
    pub participants: i32,
    pub reported_on: Option<NaiveDate>,
    pub acted: bool,
    pub actions: i64,
}

impl Activity {
    pub fn held(&self) -> String {
        long_date(self.held_on)
    }
}

/// How a quarter stands for one voice.
pub enum Cell {
    /// Activities held, and how many took part.
    Held(usize, i64),
    /// None, and the quarter is over: flagged where the voice is sought every quarter.
    Missed,
    /// None yet in the quarter under way.
    NotYet,
    /// The quarter has not begun.
    Ahead,
}

pub struct Row {
    pub voice: Voice,
    pub every_quarter: bool,
    pub cells: Vec<Cell>,
}

impl Row {
    pub fn missed(&self) -> usize {
        self.cells.iter().filter(|c| matches!(c, Cell::Missed)).count()
    }
}

#[derive(Deserialize, Default, Clone)]
pub(crate) struct RecordQuery {
    #[serde(default)]
    year: String,
}

#[derive(Deserialize, Default, Clone, Debug)]
pub(crate) struct ActivityForm {
    #[serde(default)]
    voice: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    method: String,
    #[serde(default)]
    held_day: String,
    #[serde(default)]
    held_month: String,
    #[serde(default)]
    held_year: String,
    #[serde(default)]
    participants: String,
    #[serde(default)]
    findings: String,
}

#[derive(Deserialize, Default)]
pub(crate) struct SettingsForm {
    #[serde(default)]
    every_quarter: Vec<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "engagement/record.html")]
struct RecordPage {
    layout: Layout,
    member: Member,
    year: FinancialYear,
    years: Vec<(String, String)>,
    activities: Vec<Activity>,
    rows: Vec<Row>,
    every_quarter: Vec<Voice>,
    can_manage: bool,
    form: ActivityForm,
    errors: FormErrors,
}

pub(crate) async fn index(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Query(query): Query<RecordQuery>,
) -> Result<Response> {
    let year = FinancialYear::parse(&query.year).unwrap_or_else(|| FinancialYear::containing(today()));
    render(&state, &session, member, year, ActivityForm::default(), FormErrors::default()).await
}

/// The quarterly view: a row for each voice sought every quarter or heard in the year, a cell for each quarter.
fn quarterly(year: FinancialYear, activities: &[Activity], every_quarter: &[Voice], today: NaiveDate) -> Vec<Row> {
    Voice::ALL
        .into_iter()
        .filter(|v| every_quarter.contains(v) || activities.iter().any(|a| a.voice == *v))
        .map(|voice| Row {
            voice,
            every_quarter: every_quarter.contains(&voice),
            cells: (1..=4)
                .map(|n| {
                    let starts = year.quarter_starts_on(n);
                    let ends = if n == 4 { year.next().starts_on() } else { year.quarter_starts_on(n + 1) };
                    let held: Vec<&Activity> =
                        activities.iter().filter(|a| a.voice == voice && a.held_on >= starts && a.held_on < ends).collect();
                    if !held.is_empty() {
                        Cell::Held(held.len(), held.iter().map(|a| i64::from(a.participants)).sum())
                    } else if today >= ends {
                        Cell::Missed
                    } else if today >= starts {
                        Cell::NotYet
                    } else {
                        Cell::Ahead
                    }
                })
                .collect(),
        })
        .collect()
}

async fn render(
    state: &AppState,
    session: &Session,
    member: Member,
    year: FinancialYear,
    form: ActivityForm,
    errors: FormErrors,
) -> Result<Response> {
    let mut tx = member.begin(state).await?;
    let row = sqlx::query!(
        r#"select coalesce((select json_agg(x order by x.held_on desc, x.number desc) from (
                      select e.id, e.number, e.voice, e.title, e.method, e.held_on, e.participants, e.reported_on, e.what_we_did <> '' as acted,
                             (select count(*) from action_point a where a.partnership_id = e.partnership_id and a.engagement_id = e.id) as actions
                      from engagement e where e.partnership_id = $1 and e.held_on >= $2 and e.held_on < $3) x), '[]')
                    as "activities!: Json<Vec<Activity>>",
                  (select a.engagement_every_quarter from arrangement a where a.partnership_id = $1) as "every_quarter: Vec<String>""#,
        member.partnership.id,
        year.starts_on(),
        year.next().starts_on()
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    let every_quarter: Vec<Voice> = row.every_quarter.unwrap_or_default().iter().filter_map(|c| Voice::parse(c)).collect();
    let activities = row.activities.0;
    let current = FinancialYear::containing(today());
    let years = [current, current.previous(), current.previous().previous(), current.previous().previous().previous()]
        .iter()
        .map(|y| (y.label(), y.label()))
        .collect();
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = RecordPage {
        layout: member.layout(session, "resources").await?,
        can_manage: member.roles.allows(Capability::ManageResources),
        member,
        rows: quarterly(year, &activities, &every_quarter, today()),
        year,
        years,
        activities,
        every_quarter,
        form,
        errors,
    };
    Ok((status, page).into_response())
}

/// Record an engagement activity: whose views, what it was, how, when, how many took part, and what was heard.
pub(crate) async fn record(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Submitted(form): Submitted<ActivityForm>,
) -> Result<Response> {
    member.require(Capability::ManageResources)?;
    let mut errors = FormErrors::default();
    let voice = Voice::parse(&form.voice);
    if voice.is_none() {
        errors.add("voice", "Choose whose views were sought");
    }
    let title = errors.check("title", required_line(&form.title, "activity's name", 200));
    let method = errors.check("method", optional_line(&form.method, "how views were sought", 400));
    let held = DateParts { day: form.held_day.clone(), month: form.held_month.clone(), year: form.held_year.clone() };
    let held_on = errors.check("held_day", held.parse("Date", true)).flatten();
    if held_on.is_some_and(|d| d > today()) {
        errors.add("held_day", "Date must be today or in the past: record an activity once it has been held");
    }
    let participants = match form.participants.trim().replace(',', "").parse::<i32>() {
        Ok(n) if (0..=1_000_000).contains(&n) => Some(n),
        _ => {
            errors.add("participants", "Enter how many took part as a whole number");
            None
        }
    };
    let findings = errors.check("findings", optional_text(&form.findings, "findings", 8000));
    let (Some(voice), Some(title), Some(method), Some(held_on), Some(participants), Some(findings)) =
        (voice, title, method, held_on, participants, findings)
    else {
        let year = FinancialYear::containing(today());
        return render(&state, &session, member, year, form, errors).await;
    };
    let mut tx = member.begin(&state).await?;
    let pid = member.partnership.id;
    sqlx::query!("select pg_advisory_xact_lock(hashtextextended($1, 0))", format!("engagement-number:{pid}")).execute(&mut *tx).await?;
    let id = Uuid::new_v4();
    let number = sqlx::query_scalar!(
        "insert into engagement (partnership_id, id, number, voice, title, method, held_on, participants, findings, created_by)
         select $1, $2, coalesce(max(number), 0) + 1, $3, $4, $5, $6, $7, $8, $9 from engagement where partnership_id = $1
         on conflict (partnership_id, held_on, lower(title)) do nothing
         returning number",
        pid,
        id,
        voice as Voice,
        title,
        method,
        held_on,
        participants,
        findings,
        member.user.id
    )
    .fetch_optional(&mut *tx)
    .await?;
    let (id, message) = match number {
        Some(number) => {
            change(&member, "engagement.recorded", "engagement", id, &address)
                .after(json!({ "number": number, "title": title, "voice": voice.label(), "method": method, "held_on": held_on,
                               "participants": participants, "findings": findings }))
                .record(&mut tx)
                .await?;
            (id, format!("E{number} recorded: report what was heard, and what was done about it"))
        }
        None => {
            let existing = sqlx::query_scalar!(
                "select id from engagement where partnership_id = $1 and held_on = $2 and lower(title) = lower($3)",
                pid,
                held_on,
                title
            )
            .fetch_one(&mut *tx)
            .await?;
            (existing, "That activity is already recorded".to_owned())
        }
    };
    tx.commit().await?;
    done(&session, message, format!("/p/{}/engagement/{id}", member.partnership.slug)).await
}

/// Whose views the partnership seeks every quarter.
pub(crate) async fn save_settings(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Submitted(form): Submitted<SettingsForm>,
) -> Result<Response> {
    member.require(Capability::ManageResources)?;
    let voices: Vec<String> =
        Voice::ALL.into_iter().filter(|v| form.every_quarter.iter().any(|c| c == v.code())).map(|v| v.code().to_owned()).collect();
    let mut tx = member.begin(&state).await?;
    let pid = member.partnership.id;
    let before = sqlx::query_scalar!("select engagement_every_quarter from arrangement where partnership_id = $1 for update", pid)
        .fetch_optional(&mut *tx)
        .await?
        .unwrap_or_default();
    sqlx::query!(
        "insert into arrangement (partnership_id, engagement_every_quarter) values ($1, $2)
         on conflict (partnership_id) do update set engagement_every_quarter = excluded.engagement_every_quarter",
        pid,
        &voices
    )
    .execute(&mut *tx)
    .await?;
    if before != voices {
        change(&member, "engagement.every_quarter", "arrangement", pid, &address)
            .before(json!({ "engagement_every_quarter": before }))
            .after(json!({ "engagement_every_quarter": voices }))
            .record(&mut tx)
            .await?;
    }
    tx.commit().await?;
    done(&session, "Saved whose views are sought every quarter".to_owned(), format!("/p/{}/engagement", member.partnership.slug)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn heard(voice: Voice, on: NaiveDate) -> Activity {
        Activity {
            id: Uuid::nil(),
            number: 1,
            voice,
            title: String::new(),
            method: String::new(),
            held_on: on,
            participants: 12,
            reported_on: None,
            acted: false,
            actions: 0,
        }
    }

    #[test]
    fn a_quarter_without_a_voice_sought_every_quarter_is_flagged() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        let year = FinancialYear { start_year: 2026 };
        let activities =
            vec![heard(Voice::Children, d(2026, 5, 1)), heard(Voice::Children, d(2026, 6, 1)), heard(Voice::Adults, d(2026, 8, 1))];
        let rows = quarterly(year, &activities, &[Voice::Children, Voice::ParentsCarers], d(2026, 12, 7));
        assert_eq!(rows.iter().map(|r| r.voice).collect::<Vec<_>>(), vec![Voice::Children, Voice::ParentsCarers, Voice::Adults]);
        assert!(matches!(rows[0].cells[0], Cell::Held(2, 24)));
        assert!(matches!(rows[0].cells[1], Cell::Missed));
        assert!(matches!(rows[0].cells[2], Cell::NotYet));
        assert!(matches!(rows[0].cells[3], Cell::Ahead));
        assert_eq!(rows[1].missed(), 2);
        assert!(!rows[2].every_quarter);
    }
}
