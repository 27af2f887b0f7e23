//! Independent scrutiny: the arrangements (who scrutinises, their tenure and
//! review), the programme of work, quarterly reports with findings and
//! recommendations, partners' responses and the actions that follow, and the
//! annual review of the scrutiny function. One page shows it all at a glance.

pub mod arrangements;
pub mod chart;
pub mod findings;
pub mod recommendations;
pub mod reports;
pub mod responses;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use sqlx::types::Json;
use tower_sessions::Session;
use uuid::Uuid;

use crate::calendar::{FinancialYear, long_date, today};
use crate::db::Tx;
use crate::error::Result;
use crate::roles::Capability;
use crate::tenant::Member;
use crate::web::Query;
use crate::web::{AppState, Layout};

/// How much assurance a finding gives. Stored as text: `substantial`, `reasonable`, `limited`, `none`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::Type, serde::Serialize, serde::Deserialize)]
#[sqlx(type_name = "text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Assurance {
    Substantial,
    Reasonable,
    Limited,
    None,
}

impl Assurance {
    pub const ALL: [Assurance; 4] = [Assurance::Substantial, Assurance::Reasonable, Assurance::Limited, Assurance::None];

    pub fn code(self) -> &'static str {
        match self {
            Assurance::Substantial => "substantial",
            Assurance::Reasonable => "reasonable",
            Assurance::Limited => "limited",
            Assurance::None => "none",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Assurance::Substantial => "Substantial",
            Assurance::Reasonable => "Reasonable",
            Assurance::Limited => "Limited",
            Assurance::None => "No assurance",
        }
    }
    pub fn parse(code: &str) -> Option<Assurance> {
        Assurance::ALL.into_iter().find(|a| a.code() == code)
    }
    pub fn options() -> [(&'static str, &'static str); 4] {
        Assurance::ALL.map(|a| (a.code(), a.label()))
    }
    /// Substantial or reasonable: shown green.
    pub fn is_assured(self) -> bool {
        matches!(self, Assurance::Substantial | Assurance::Reasonable)
    }
}

/// What the addressee made of a recommendation. Stored as text: `accepted`, `partly_accepted`, `not_accepted`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::Type, serde::Serialize, serde::Deserialize)]
#[sqlx(type_name = "text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Acceptance {
    Accepted,
    PartlyAccepted,
    NotAccepted,
}

impl Acceptance {
    pub const ALL: [Acceptance; 3] = [Acceptance::Accepted, Acceptance::PartlyAccepted, Acceptance::NotAccepted];

    pub fn code(self) -> &'static str {
        match self {
            Acceptance::Accepted => "accepted",
            Acceptance::PartlyAccepted => "partly_accepted",
            Acceptance::NotAccepted => "not_accepted",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Acceptance::Accepted => "Accepted",
            Acceptance::PartlyAccepted => "Partly accepted",
            Acceptance::NotAccepted => "Not accepted",
        }
    }
    pub fn parse(code: &str) -> Option<Acceptance> {
        Acceptance::ALL.into_iter().find(|a| a.code() == code)
    }
    pub fn options() -> [(&'static str, &'static str); 3] {
        Acceptance::ALL.map(|a| (a.code(), a.label()))
    }
}

/// How scrutineers gather evidence (Windsor & Maidenhead's list, and case audit).
pub const METHODS: [(&str, &str); 6] = [
    ("interviews", "Interviews"),
    ("focus_groups", "Focus groups"),
    ("data_analysis", "Data analysis"),
    ("observation", "Observation"),
    ("peer_review", "Peer review"),
    ("case_audit", "Case file audit"),
];

pub fn label_of(list: &[(&'static str, &'static str)], code: &str) -> &'static str {
    list.iter().find(|(c, _)| *c == code).map(|(_, l)| *l).unwrap_or("")
}

pub fn methods_label(methods: &[String]) -> String {
    methods.iter().map(|m| label_of(&METHODS, m)).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(", ")
}

/// "Q2 2026/27 (July to September 2026)"
pub fn quarter_label(financial_year: i32, quarter: i32) -> String {
    let months = match quarter {
        1 => format!("April to June {financial_year}"),
        2 => format!("July to September {financial_year}"),
        3 => format!("October to December {financial_year}"),
        _ => format!("January to March {}", financial_year + 1),
    };
    format!("Q{quarter} {} ({months})", FinancialYear { start_year: financial_year }.label())
}

/// The financial year and quarter a date falls in.
pub fn quarter_of(date: NaiveDate) -> (i32, i32) {
    use chrono::Datelike;
    let year = FinancialYear::containing(date).start_year;
    let quarter = match date.month() {
        4..=6 => 1,
        7..=9 => 2,
        10..=12 => 3,
        _ => 4,
    };
    (year, quarter)
}

/// A recommendation as the dashboard and the scrutineer follow it.
#[derive(Clone, Debug, Deserialize)]
pub struct Followed {
    pub id: Uuid,
    pub report_id: Uuid,
    pub report_title: String,
    pub body: String,
    pub addressee: String,
    pub response: Option<Acceptance>,
    pub responses_due_on: Option<NaiveDate>,
    pub author_membership_id: Uuid,
    /// Of a report of the year the dashboard shows (the others are listed for their overdue response).
    pub of_the_year: bool,
    pub actions_total: i64,
    pub actions_done: i64,
}

impl Followed {
    pub fn response_label(&self) -> &'static str {
        self.response.map(Acceptance::label).unwrap_or("Awaiting a response")
    }
    pub fn response_overdue(&self) -> bool {
        self.response.is_none() && self.responses_due_on.is_some_and(|d| d < today())
    }
    pub fn due(&self) -> String {
        self.responses_due_on.map(long_date).unwrap_or_default()
    }
}

/// What the dashboard reads of scrutiny for a year, in one statement: the
/// year's reports (drafts only their author's) and findings by assurance; of
/// the year's current recommendations (those of each report's latest
/// submitted version), how many have each response, and this person's own
/// with their actions; the actions set in answer to them, by state; and,
/// whatever the year, the recommendations whose response is overdue. Every
/// count is the database's, and none reads other years' records.
struct Overview {
    reports: Vec<ReportLine>,
    findings: Vec<AssuranceCount>,
    /// By response, in the order of [`Acceptance::ALL`], then those awaiting one.
    responses: [i64; 4],
    listed: Vec<Followed>,
    action_states: Vec<crate::actions::StateCount>,
}

#[derive(Debug, Deserialize)]
struct AssuranceCount {
    assurance: Assurance,
    n: i64,
}

async fn overview(tx: &mut Tx, partnership_id: Uuid, membership_id: Uuid, year: i32, today: NaiveDate) -> sqlx::Result<Overview> {
    let row = sqlx::query!(
        r#"-- The year's current recommendations (those of each report's latest submitted version), and
           -- other years' whose response is overdue: read once for the four uses below, so that the
           -- statement is planned once and reads no other year's records but those.
           with current_recommendation as (
               select r.id, r.partnership_id, r.lineage_id, r.report_id, sr.title as report_title, r.body,
                      r.addressee_organisation_id, r.addressee_group_id, resp.response, v.responses_due_on,
                      sr.author_membership_id, v.submitted_at, true as of_the_year
               from scrutiny_report sr
               join scrutiny_report_version v on v.partnership_id = sr.partnership_id and v.report_id = sr.id
               join scrutiny_recommendation r on r.partnership_id = v.partnership_id and r.report_id = v.report_id and r.version = v.version
               left join recommendation_response resp on resp.partnership_id = r.partnership_id and resp.lineage_id = r.lineage_id
               where sr.partnership_id = $1 and sr.financial_year = $3 and v.submitted_at is not null and v.superseded_at is null
               union all
               select r.id, r.partnership_id, r.lineage_id, r.report_id, sr.title, r.body,
                      r.addressee_organisation_id, r.addressee_group_id, null, v.responses_due_on,
                      sr.author_membership_id, v.submitted_at, false
               from scrutiny_report sr
               join scrutiny_report_version v on v.partnership_id = sr.partnership_id and v.report_id = sr.id
               join scrutiny_recommendation r on r.partnership_id = v.partnership_id and r.report_id = v.report_id and r.version = v.version
               where sr.partnership_id = $1 and sr.financial_year <> $3 and v.submitted_at is not null and v.superseded_at is null
                 and v.responses_due_on < $4
                 -- The partnership's responses read once into a hash (`not in` over a key that is never null), rather than
                 -- looked up through row-level security for each of ten years' recommendations.
                 and r.lineage_id not in (select resp.lineage_id from recommendation_response resp where resp.partnership_id = $1))
           select
             (select json_build_array(count(*) filter (where response = 'accepted'), count(*) filter (where response = 'partly_accepted'),
                                      count(*) filter (where response = 'not_accepted'), count(*) filter (where response is null))
              from current_recommendation where of_the_year) as "responses!: Json<[i64; 4]>",
             -- Only the listed ones are joined to their addressee and counted for actions.
             coalesce((select json_agg(x order by x.submitted_at desc, x.body)
                       from (select f.id, f.report_id, f.report_title, f.body, coalesce(o.name, g.name, '') as addressee, f.response,
                                    f.responses_due_on, f.author_membership_id, f.submitted_at, f.of_the_year,
                                    n.actions_total, n.actions_done
                             from current_recommendation f
                             left join organisation o on o.partnership_id = f.partnership_id and o.id = f.addressee_organisation_id
                             left join partnership_group g on g.partnership_id = f.partnership_id and g.id = f.addressee_group_id
                             cross join lateral (select count(*) as actions_total,
                                                        count(*) filter (where a.status = 'complete' and a.completion_confirmed) as actions_done
                                                 from action_point a
                                                 where a.partnership_id = f.partnership_id and a.recommendation_lineage_id = f.lineage_id) n
                             where (f.of_the_year and f.author_membership_id = $2)
                                or (f.response is null and f.responses_due_on < $4)) x), '[]')
               as "listed!: Json<Vec<Followed>>",
             coalesce((select json_agg(x order by x.quarter, x.created_at)
                       from (select r.id, r.title, r.quarter, r.created_at,
                                    -- The author's name for each of the year's few reports: joined, the generic
                                    -- plan walked every member of the partnership to find them.
                                    (select u.display_name from membership m join app_user u on u.id = m.user_id
                                     where m.partnership_id = r.partnership_id and m.id = r.author_membership_id) as author_name,
                                    (select max(version) from scrutiny_report_version v where v.partnership_id = r.partnership_id
                                       and v.report_id = r.id and v.submitted_at is not null) as latest_submitted,
                                    exists (select 1 from scrutiny_report_version v where v.partnership_id = r.partnership_id and v.report_id = r.id
                                       and v.submitted_at is null) as has_draft
                             from scrutiny_report r
                             where r.partnership_id = $1 and r.financial_year = $3
                               -- Drafts are their author's alone.
                               and (r.author_membership_id = $2 or exists (select 1 from scrutiny_report_version v
                                                                            where v.partnership_id = r.partnership_id and v.report_id = r.id
                                                                              and v.submitted_at is not null))) x), '[]')
               as "reports!: Json<Vec<ReportLine>>",
             coalesce((select json_agg(x)
                       from (select f.assurance, count(*) as n from scrutiny_finding f
                             join scrutiny_report_version v on v.partnership_id = f.partnership_id and v.report_id = f.report_id and v.version = f.version
                             join scrutiny_report r on r.partnership_id = f.partnership_id and r.id = f.report_id
                             where f.partnership_id = $1 and r.financial_year = $3 and v.submitted_at is not null and v.superseded_at is null
                             group by f.assurance) x), '[]') as "findings!: Json<Vec<AssuranceCount>>",
             coalesce((select json_agg(x)
                       from (select a.status, a.due_on < current_date as overdue, a.completion_confirmed as confirmed, count(*) as n
                             from action_point a
                             where a.partnership_id = $1
                               and a.recommendation_lineage_id in (select lineage_id from current_recommendation where of_the_year)
                             group by 1, 2, 3) x), '[]') as "action_states!: Json<Vec<crate::actions::StateCount>>""#,
        partnership_id,
        membership_id,
        year,
        today
    )
    .fetch_one(&mut **tx)
    .await?;
    Ok(Overview {
        reports: row.reports.0,
        findings: row.findings.0,
        responses: row.responses.0,
        listed: row.listed.0,
        action_states: row.action_states.0,
    })
}

/// A quarter's reports, as the dashboard lists them.
pub struct QuarterReports {
    pub label: String,
    pub reports: Vec<ReportLine>,
    pub planned: Vec<String>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct ReportLine {
    pub id: Uuid,
    pub title: String,
    pub author_name: String,
    pub quarter: i32,
    pub latest_submitted: Option<i32>,
    pub has_draft: bool,
}

impl ReportLine {
    pub fn status(&self) -> String {
        match (self.latest_submitted, self.has_draft) {
            (Some(1), false) => "Submitted".to_owned(),
            (Some(v), false) => format!("Submitted (version {v})"),
            (Some(v), true) => format!("Submitted (version {v}); a correction is in draft"),
            (None, _) => "Draft".to_owned(),
        }
    }
}

/// A bar of a chart and the row of its table.
pub struct Count {
    pub label: &'static str,
    pub count: i64,
}

/// Read as text: a year that is not a number shows this year rather than an error.
#[derive(Deserialize)]
pub(crate) struct DashboardQuery {
    year: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "scrutiny/dashboard.html")]
pub(crate) struct Dashboard {
    layout: Layout,
    member: Member,
    year: i32,
    year_label: String,
    quarters: Vec<QuarterReports>,
    findings: Vec<Count>,
    findings_chart: String,
    recommendations: Vec<Count>,
    actions: Vec<Count>,
    actions_chart: String,
    overdue_actions: Vec<crate::actions::Action>,
    overdue_responses: Vec<Followed>,
    /// For a scrutineer: what became of their own recommendations.
    mine: Vec<Followed>,
    appointments: Vec<arrangements::Appointment>,
    latest_review: Option<arrangements::Review>,
    can_manage: bool,
    can_write: bool,
}

pub(crate) async fn dashboard(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Query(query): Query<DashboardQuery>,
) -> Result<Dashboard> {
    let year = query
        .year
        .and_then(|y| y.trim().parse::<i32>().ok())
        .filter(|y| (2000..=2200).contains(y))
        .unwrap_or_else(|| FinancialYear::containing(today()).start_year);
    let pid = member.partnership.id;
    let mut tx = member.begin(&state).await?;
    let overview = overview(&mut tx, pid, member.membership_id, year, today()).await?;
    let standing = arrangements::standing(&mut tx, pid, year).await?;
    // Every overdue action of the partnership escalates here, for the delegated partners.
    let overdue_actions = crate::actions::list(&mut tx, pid, crate::actions::Actions::DueBefore(crate::calendar::today())).await?;
    tx.commit().await?;
    let quarters = (1..=4)
        .map(|q| QuarterReports {
            label: quarter_label(year, q),
            reports: overview.reports.iter().filter(|r| r.quarter == q).cloned().collect(),
            planned: standing.programme.iter().filter(|p| p.quarter == q).map(|p| p.theme.clone()).collect(),
        })
        .collect();
    let findings: Vec<Count> = Assurance::ALL
        .iter()
        .map(|a| Count { label: a.label(), count: overview.findings.iter().find(|f| f.assurance == *a).map(|f| f.n).unwrap_or(0) })
        .collect();
    let recommendations: Vec<Count> = Acceptance::ALL
        .iter()
        .map(|a| a.label())
        .chain(["Awaiting a response"])
        .zip(overview.responses)
        .map(|(label, count)| Count { label, count })
        .collect();
    let actions: Vec<Count> =
        crate::actions::tally(&overview.action_states).into_iter().map(|(label, count)| Count { label, count }).collect();
    let appointments = standing.appointments;
    let latest_review = standing.reviews.into_iter().next();
    let mine = overview.listed.iter().filter(|r| r.of_the_year && r.author_membership_id == member.membership_id).cloned().collect();
    let overdue_responses = overview.listed.into_iter().filter(Followed::response_overdue).collect();
    Ok(Dashboard {
        layout: member.layout(&session, "scrutiny").await?,
        year_label: FinancialYear { start_year: year }.label(),
        year,
        quarters,
        findings_chart: chart::bars("Findings by assurance rating", &findings),
        findings,
        recommendations,
        actions_chart: chart::bars("Actions from recommendations by status", &actions),
        actions,
        overdue_actions,
        overdue_responses,
        mine,
        appointments,
        latest_review,
        can_manage: member.roles.allows(Capability::ManageScrutiny),
        can_write: member.roles.allows(Capability::WriteScrutinyReports),
        member,
    })
}

/// "Friday 4 December 2026"
pub fn day_of(at: DateTime<Utc>) -> String {
    long_date(crate::calendar::uk_date(at))
}

#[derive(Debug, Deserialize)]
pub struct RecommendationView {
    pub id: Uuid,
    pub finding_id: Uuid,
    pub body: String,
    pub addressee: String,
    pub response: Option<Acceptance>,
    pub actions_total: i64,
    pub actions_done: i64,
}

impl RecommendationView {
    pub fn response_label(&self) -> &'static str {
        self.response.map(Acceptance::label).unwrap_or("Awaiting a response")
    }
}

#[derive(Debug, Deserialize)]
pub struct FindingRow {
    pub id: Uuid,
    pub position: i32,
    pub title: String,
    pub detail: String,
    pub assurance: Assurance,
}

impl FindingRow {
    pub fn assurance_label(&self) -> &'static str {
        self.assurance.label()
    }
}

pub(super) async fn content(
    tx: &mut Tx,
    partnership_id: Uuid,
    report_id: Uuid,
    version: i32,
) -> sqlx::Result<(Vec<FindingRow>, Vec<RecommendationView>)> {
    // A version's findings and recommendations, in one statement.
    let row = sqlx::query!(
        r#"select coalesce((select json_agg(x order by x.position)
                            from (select f.id, f.position, f.title, f.detail, f.assurance from scrutiny_finding f
                                  where f.partnership_id = $1 and f.report_id = $2 and f.version = $3) x), '[]') as "findings!: Json<Vec<FindingRow>>",
                  coalesce((select json_agg(x order by x.body)
                            from (select r.id, r.finding_id, r.body, coalesce(o.name, g.name, '') as addressee, resp.response,
                                         n.actions_total, n.actions_done
                                  from scrutiny_recommendation r
                                  left join organisation o on o.partnership_id = r.partnership_id and o.id = r.addressee_organisation_id
                                  left join partnership_group g on g.partnership_id = r.partnership_id and g.id = r.addressee_group_id
                                  left join recommendation_response resp on resp.partnership_id = r.partnership_id and resp.lineage_id = r.lineage_id
                                  cross join lateral (select count(*) as actions_total,
                                                             count(*) filter (where a.status = 'complete' and a.completion_confirmed) as actions_done
                                                      from action_point a
                                                      where a.partnership_id = r.partnership_id and a.recommendation_lineage_id = r.lineage_id) n
                                  where r.partnership_id = $1 and r.report_id = $2 and r.version = $3) x), '[]')
                    as "recommendations!: Json<Vec<RecommendationView>>""#,
        partnership_id,
        report_id,
        version
    )
    .fetch_one(&mut **tx)
    .await?;
    let (findings, recommendations) = (row.findings.0, row.recommendations.0);
    Ok((findings, recommendations))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarters_follow_the_financial_year() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(quarter_of(d(2026, 4, 1)), (2026, 1));
        assert_eq!(quarter_of(d(2026, 12, 31)), (2026, 3));
        assert_eq!(quarter_of(d(2027, 3, 31)), (2026, 4));
        assert_eq!(quarter_label(2026, 4), "Q4 2026-27 (January to March 2027)");
    }
}
