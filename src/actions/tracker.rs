//! The action tracker: every action a person may follow (business managers,
//! partners and scrutineers follow everyone's; others their own), searched,
//! filtered, sorted, paged and downloaded as CSV.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use tower_sessions::Session;
use uuid::Uuid;

use crate::actions::{Action, Status, TRACKER_COLUMNS, TRACKER_STATES, Tracked, tracked};
use crate::calendar::today;
use crate::error::Result;
use crate::roles::Capability;
use crate::tenant::Member;
use crate::web::listing::{ListQuery, View, csv_download, plans, year_choices, year_span};
use crate::web::{AppState, Layout, Query};

/// The tracker's address: `?q=…&group=…&owner=me&status=overdue&year=2025`
/// and the list's sort and page.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct TrackerQuery {
    #[serde(flatten)]
    list: ListQuery,
    #[serde(default)]
    group: String,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    year: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "actions/index.html")]
pub(crate) struct IndexPage {
    pub(super) layout: Layout,
    pub(super) member: Member,
    pub(super) actions: Vec<Action>,
    pub(super) view: View,
    /// Whether this person follows everyone's actions (else the list is their own).
    pub(super) follows_all: bool,
    /// Whether this person may update anyone's action from the list (others use each action's page).
    pub(super) can_update_all: bool,
    pub(super) statuses: [(&'static str, &'static str); 4],
    pub(super) filters: Filters,
}

/// The filter form's choices and what is chosen.
pub(crate) struct Filters {
    pub(super) group: String,
    pub(super) groups: Vec<(String, String)>,
    pub(super) owner: String,
    pub(super) status: String,
    pub(super) states: [(&'static str, &'static str); 8],
    pub(super) year: String,
    pub(super) years: Vec<(String, String)>,
}

/// The view asked for and the lines of it read (`limit`/`offset` from the view, or the whole view for a download).
async fn read(state: &AppState, member: &Member, query: &TrackerQuery, whole: bool) -> Result<(View, Vec<Action>, Vec<(String, String)>)> {
    let follows_all = member.roles.allows(Capability::ViewAllActions);
    // Those who follow only their own actions see only their own, whatever the address says.
    let owner = if follows_all { query.owner.as_str() } else { "me" };
    let owner = if owner == "me" { "me" } else { "" };
    let status = if TRACKER_STATES.iter().any(|(code, _)| *code == query.status) { query.status.as_str() } else { "" };
    let group = query.group.parse::<Uuid>().ok();
    let (due_from, due_before) = year_span(&query.year);
    let view = View::new(format!("/p/{}/actions", member.partnership.slug), ("action", "actions"), &query.list, &TRACKER_COLUMNS, &[])
        .filter("group", group.map(|g| g.to_string()).unwrap_or_default())
        .filter("owner", if follows_all { owner } else { "" })
        .filter("status", status)
        .filter("year", if due_from.is_some() { query.year.as_str() } else { "" });
    let pattern = view.pattern();
    let reach = view.reach(whole);
    let mut tx = member.begin(state).await?;
    let asked = Tracked {
        pattern: &pattern,
        group,
        owner: (owner == "me").then_some(member.membership_id),
        state: status,
        due_from,
        due_before,
        sort: view.sort,
        descending: view.descending,
        reach,
        as_it_opens: view.as_it_opens(),
    };
    plans(&mut tx, asked.as_it_opens).await?;
    let (actions, total) = tracked(&mut tx, member.partnership.id, &asked).await?;
    let groups = if whole {
        Vec::new()
    } else {
        sqlx::query!(
            "select id, name from partnership_group where partnership_id = $1 order by retired_on is not null, sort_order, name",
            member.partnership.id
        )
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .map(|g| (g.id.to_string(), g.name))
        .collect()
    };
    tx.commit().await?;
    let shown = actions.len();
    Ok((view.counted_up_to(total.unwrap_or(0), shown), actions, groups))
}

pub(crate) async fn index(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Query(query): Query<TrackerQuery>,
) -> Result<IndexPage> {
    let (view, actions, groups) = read(&state, &member, &query, false).await?;
    let follows_all = member.roles.allows(Capability::ViewAllActions);
    let can_update_all = member.roles.allows(Capability::ManageMeetings) || member.roles.allows(Capability::ManageScrutiny);
    let filters = Filters {
        group: query.group,
        groups,
        owner: query.owner,
        status: query.status,
        states: TRACKER_STATES,
        year: query.year,
        years: year_choices(),
    };
    Ok(IndexPage {
        layout: member.layout(&session, "actions").await?,
        member,
        actions,
        view,
        follows_all,
        can_update_all,
        statuses: Status::options(),
        filters,
    })
}

/// The view as CSV: every action it holds, not only the page shown.
pub(crate) async fn export(State(state): State<AppState>, member: Member, Query(query): Query<TrackerQuery>) -> Result<Response> {
    let (_, actions, _) = read(&state, &member, &query, true).await?;
    let rows = actions.into_iter().map(|a| {
        let from = match (a.recommendation_lineage_id.is_some(), a.meeting_id.is_some()) {
            (true, _) => "A scrutiny recommendation",
            (false, true) => "Minutes",
            (false, false) => "",
        };
        vec![
            a.description.clone(),
            a.owner_name.clone(),
            a.due_on.to_string(),
            a.state().to_owned(),
            a.group_name.clone().unwrap_or_default(),
            from.to_owned(),
            a.id.to_string(),
        ]
    });
    let filename = format!("{}-actions-{}.csv", member.partnership.slug, today());
    Ok(csv_download(&filename, &["Action", "Owner", "Due", "Status", "Group", "From", "Reference"], rows))
}
