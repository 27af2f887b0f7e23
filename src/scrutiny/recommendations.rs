//! Every scrutiny recommendation of a partnership (each as its report's
//! latest submitted version says it), whatever the year: searched, filtered
//! by whom it is addressed to, its response and the year of its report,
//! sorted, paged and downloaded as CSV.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::Response;
use chrono::NaiveDate;
use serde::Deserialize;
use sqlx::types::Json;
use tower_sessions::Session;
use uuid::Uuid;

use super::Acceptance;
use crate::calendar::{FinancialYear, long_date, today};
use crate::error::Result;
use crate::tenant::Member;
use crate::web::listing::{Column, ListQuery, View, csv_download, plans, year_choices};
use crate::web::{AppState, Layout, Query};

/// What the list may be narrowed to by response.
const RESPONSE_STATES: [(&str, &str); 5] = [
    ("awaiting", "Awaiting a response"),
    ("overdue", "Response overdue"),
    ("accepted", "Accepted"),
    ("partly_accepted", "Partly accepted"),
    ("not_accepted", "Not accepted"),
];

/// The columns the list sorts by.
const COLUMNS: [Column; 4] = [
    Column { key: "due", heading: "Response due" },
    Column { key: "report", heading: "Report" },
    Column { key: "addressee", heading: "Addressed to" },
    Column { key: "response", heading: "Response" },
];

/// The list's address: `?q=…&organisation=…&group=…&response=overdue&year=2025` and the list's sort and page.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct RecommendationsQuery {
    #[serde(flatten)]
    list: ListQuery,
    #[serde(default)]
    organisation: String,
    #[serde(default)]
    group: String,
    #[serde(default)]
    response: String,
    #[serde(default)]
    year: String,
}

/// A recommendation as the list shows it.
#[derive(Debug, Deserialize)]
pub struct Listed {
    pub id: Uuid,
    pub body: String,
    pub report_id: Uuid,
    pub report_title: String,
    pub financial_year: i32,
    pub quarter: i32,
    pub addressee: String,
    pub response: Option<Acceptance>,
    pub responses_due_on: Option<NaiveDate>,
    pub actions_total: i64,
    pub actions_done: i64,
}

impl Listed {
    pub fn response_label(&self) -> &'static str {
        self.response.map(Acceptance::label).unwrap_or("Awaiting a response")
    }
    pub fn is_overdue(&self) -> bool {
        self.response.is_none() && self.responses_due_on.is_some_and(|d| d < today())
    }
    pub fn due(&self) -> String {
        self.responses_due_on.map(long_date).unwrap_or_default()
    }
    pub fn quarter_label(&self) -> String {
        super::quarter_label(self.financial_year, self.quarter)
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "scrutiny/recommendations.html")]
pub(crate) struct RecommendationsPage {
    layout: Layout,
    member: Member,
    recommendations: Vec<Listed>,
    view: View,
    organisations: Vec<(String, String)>,
    organisation: String,
    groups: Vec<(String, String)>,
    group: String,
    responses: [(&'static str, &'static str); 5],
    response: String,
    years: Vec<(String, String)>,
    year: String,
}

struct Read {
    recommendations: Vec<Listed>,
    organisations: Vec<(String, String)>,
    groups: Vec<(String, String)>,
}

/// One statement for a view of the recommendations: `$matching` selects the
/// current recommendations the view holds (`$1` the partnership; the filters
/// from `$6`), `$order` numbers them. `$2` and `$3` are the page's limit and
/// offset, `$4` the count's limit, `$5` whether it is a download (no choices
/// for the filters). What each line is addressed to, its response and its
/// actions are read for the page's lines alone.
macro_rules! recommendations_page {
    ($tx:expr, $matching:literal, $order:literal, $($arg:expr),+) => {{
        let row = sqlx::query!(
            "with matching as not materialized (" + $matching + r#")
             -- The page, numbered in the order asked for only as far as the page; its actions counted for it alone.
             select coalesce((select json_agg(x order by x.position) from (
                    select numbered.id, numbered.body, numbered.report_id, numbered.report_title, numbered.financial_year, numbered.quarter,
                           coalesce(o.name, g.name, '') as addressee, resp.response, numbered.responses_due_on, numbered.position,
                           n.actions_total, n.actions_done
                    from (select m.*, row_number() over (order by "# + $order + r#") as position from matching m) numbered
                    left join recommendation_response resp on resp.partnership_id = $1 and resp.lineage_id = numbered.lineage_id
                    left join organisation o on o.partnership_id = $1 and o.id = numbered.addressee_organisation_id
                    left join partnership_group g on g.partnership_id = $1 and g.id = numbered.addressee_group_id
                    cross join lateral (select count(*) as actions_total,
                                               count(*) filter (where a.status = 'complete' and a.completion_confirmed) as actions_done
                                        from action_point a
                                        where a.partnership_id = $1 and a.recommendation_lineage_id = numbered.lineage_id) n
                    where numbered.position <= $2::bigint + $3::bigint and numbered.position > $3::bigint) x), '[]')
                      as "recommendations!: Json<Vec<Listed>>",
                    -- How many the view holds, counted no further than the view's bound (`View::count_to`).
                    (select count(*) from (select 1 from matching limit $4) c) as "counted!",
                    coalesce((select json_agg(json_build_array(o.id, o.name) order by o.is_statutory_partner desc, o.name)
                              from organisation o where o.partnership_id = $1 and o.retired_on is null and not $5), '[]')
                      as "organisations!: Json<Vec<(Uuid, String)>>",
                    coalesce((select json_agg(json_build_array(g.id, g.name) order by g.sort_order, g.name)
                              from partnership_group g where g.partnership_id = $1 and g.retired_on is null and not $5), '[]')
                      as "groups!: Json<Vec<(Uuid, String)>>""#,
            $($arg),+
        )
        .fetch_one(&mut *$tx)
        .await?;
        (row.recommendations.0, row.counted, row.organisations.0, row.groups.0)
    }};
}

/// The view asked for and its lines (a page, or the whole view for a download): one statement.
async fn read(state: &AppState, member: &Member, query: &RecommendationsQuery, whole: bool) -> Result<(View, Read)> {
    let organisation = query.organisation.parse::<Uuid>().ok();
    let group = query.group.parse::<Uuid>().ok();
    let response = RESPONSE_STATES.iter().find(|(code, _)| *code == query.response).map(|(code, _)| *code).unwrap_or_default();
    let year = query.year.parse::<i32>().ok().filter(|y| (2000..=2100).contains(y));
    let view = View::new(
        format!("/p/{}/scrutiny/recommendations", member.partnership.slug),
        ("recommendation", "recommendations"),
        &query.list,
        &COLUMNS,
        &[],
    )
    .filter("organisation", organisation.map(|o| o.to_string()).unwrap_or_default())
    .filter("group", group.map(|g| g.to_string()).unwrap_or_default())
    .filter("response", response)
    .filter("year", year.map(|y| y.to_string()).unwrap_or_default())
    .when_empty("No recommendations yet: they come with the scrutiny reports submitted.");
    let reach = view.reach(whole);
    let as_it_opens = view.as_it_opens();
    let (partnership, limit, offset, count_limit) = (member.partnership.id, reach.limit, reach.offset, reach.count_limit());
    let mut tx = member.begin(state).await?;
    plans(&mut tx, as_it_opens).await?;
    let (recommendations, counted, organisations, groups) = if as_it_opens {
        // The list as it opens: nothing optional, so one plan kept; the recommendations alone are numbered, and
        // what each is addressed to and its response are read for the page's lines.
        recommendations_page!(
            tx,
            r#"select r.id, r.body, r.lineage_id, sr.id as report_id, sr.title as report_title, sr.financial_year, sr.quarter,
                      v.responses_due_on, r.addressee_organisation_id, r.addressee_group_id
               from scrutiny_report sr
               join scrutiny_report_version v on v.partnership_id = sr.partnership_id and v.report_id = sr.id
               join scrutiny_recommendation r on r.partnership_id = v.partnership_id and r.report_id = v.report_id and r.version = v.version
               where sr.partnership_id = $1 and v.submitted_at is not null and v.superseded_at is null"#,
            "m.responses_due_on, m.report_title, m.id",
            partnership,
            limit,
            offset,
            count_limit,
            whole
        )
    } else {
        recommendations_page!(
            tx,
            r#"select r.id, r.body, r.lineage_id, sr.id as report_id, sr.title as report_title, sr.financial_year, sr.quarter,
                      v.responses_due_on, r.addressee_organisation_id, r.addressee_group_id,
                      coalesce(o.name, g.name, '') as by_addressee, resp.response as by_response
               from scrutiny_report sr
               join scrutiny_report_version v on v.partnership_id = sr.partnership_id and v.report_id = sr.id
               join scrutiny_recommendation r on r.partnership_id = v.partnership_id and r.report_id = v.report_id and r.version = v.version
               left join recommendation_response resp on resp.partnership_id = r.partnership_id and resp.lineage_id = r.lineage_id
               left join organisation o on o.partnership_id = r.partnership_id and o.id = r.addressee_organisation_id
               left join partnership_group g on g.partnership_id = r.partnership_id and g.id = r.addressee_group_id
               where sr.partnership_id = $1 and v.submitted_at is not null and v.superseded_at is null
                 and ($6 = '' or r.body ilike $6 or sr.title ilike $6)
                 and ($7::uuid is null or r.addressee_organisation_id = $7)
                 and ($8::uuid is null or r.addressee_group_id = $8)
                 and case $9::text
                       when 'awaiting' then resp.response is null
                       when 'overdue' then resp.response is null and v.responses_due_on < current_date
                       when '' then true
                       else resp.response = $9 end
                 and ($10::int is null or sr.financial_year = $10)"#,
            r#"case when $11 = 'report' and not $12 then m.report_title end,
               case when $11 = 'report' and $12 then m.report_title end desc,
               case when $11 = 'addressee' and not $12 then m.by_addressee end,
               case when $11 = 'addressee' and $12 then m.by_addressee end desc,
               case when $11 = 'response' and not $12 then coalesce(m.by_response, '') end,
               case when $11 = 'response' and $12 then coalesce(m.by_response, '') end desc,
               case when $11 = 'due' and $12 then m.responses_due_on end desc,
               m.responses_due_on, m.report_title, m.id"#,
            partnership,
            limit,
            offset,
            count_limit,
            whole,
            view.pattern(),
            organisation,
            group,
            response,
            year,
            view.sort,
            view.descending
        )
    };
    tx.commit().await?;
    let view = view.counted_up_to(counted, recommendations.len());
    let pairs = |list: Vec<(Uuid, String)>| list.into_iter().map(|(id, name)| (id.to_string(), name)).collect();
    Ok((view, Read { recommendations, organisations: pairs(organisations), groups: pairs(groups) }))
}

pub(crate) async fn index(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Query(query): Query<RecommendationsQuery>,
) -> Result<RecommendationsPage> {
    let (view, read) = read(&state, &member, &query, false).await?;
    Ok(RecommendationsPage {
        layout: member.layout(&session, "scrutiny").await?,
        member,
        recommendations: read.recommendations,
        view,
        organisations: read.organisations,
        organisation: query.organisation,
        groups: read.groups,
        group: query.group,
        responses: RESPONSE_STATES,
        response: query.response,
        years: year_choices(),
        year: query.year,
    })
}

/// The view as CSV: every recommendation it holds.
pub(crate) async fn export(State(state): State<AppState>, member: Member, Query(query): Query<RecommendationsQuery>) -> Result<Response> {
    let (_, read) = read(&state, &member, &query, true).await?;
    let rows = read.recommendations.into_iter().map(|r| {
        vec![
            r.body.clone(),
            r.report_title.clone(),
            FinancialYear { start_year: r.financial_year }.label(),
            r.addressee.clone(),
            r.response_label().to_owned(),
            r.responses_due_on.map(|d| d.to_string()).unwrap_or_default(),
            if r.is_overdue() { "Yes" } else { "No" }.to_owned(),
            r.actions_total.to_string(),
            r.actions_done.to_string(),
            r.id.to_string(),
        ]
    });
    let filename = format!("{}-recommendations-{}.csv", member.partnership.slug, today());
    let headings = [
        "Recommendation",
        "Report",
        "Financial year",
        "Addressed to",
        "Response",
        "Response due",
        "Overdue",
        "Actions",
        "Actions done",
        "Reference",
    ];
    Ok(csv_download(&filename, &headings, rows))
}
