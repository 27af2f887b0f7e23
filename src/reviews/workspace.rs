//! What a review's page shows beside the review (the agencies asked, the
//! recommendations with their actions, the actions from the rapid review's
//! learning, and for those who run it the people and meetings its forms
//! offer), read in one statement; and the forms on that page that add to
//! them, as typed. The record files that take those forms (`requests`,
//! `learning`, `meeting`) and the page (`review`) both stand on this one.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use sqlx::types::Json;
use uuid::Uuid;

use crate::actions::Action;
use crate::calendar::{long_date, today, working_days_after};
use crate::db::Tx;
use crate::web::DateParts;

/// How many working days an agency has to answer unless the group says otherwise.
pub const ANSWER_WORKING_DAYS: u32 = 5;

/// A request as the review's pages list it.
#[derive(Clone, Debug, Deserialize)]
pub struct InformationRequest {
    pub id: Uuid,
    pub organisation_name: String,
    pub person: String,
    pub membership_id: Uuid,
    pub due_on: NaiveDate,
    pub answered_at: Option<DateTime<Utc>>,
    pub summary: String,
}

impl InformationRequest {
    pub fn due(&self) -> String {
        long_date(self.due_on)
    }
    pub fn is_overdue(&self) -> bool {
        self.answered_at.is_none() && self.due_on < today()
    }
    pub fn answered(&self) -> String {
        self.answered_at.map(|at| long_date(crate::calendar::uk_date(at))).unwrap_or_default()
    }
}

/// The request form on the review's page, as typed.
#[derive(Deserialize, Default, Clone)]
pub(crate) struct AskForm {
    #[serde(default)]
    pub membership_id: String,
    #[serde(default)]
    pub due_day: String,
    #[serde(default)]
    pub due_month: String,
    #[serde(default)]
    pub due_year: String,
}

impl AskForm {
    /// Empty, with the usual due date filled in.
    pub fn fresh() -> Self {
        let due = DateParts::from_date(Some(working_days_after(today(), ANSWER_WORKING_DAYS)));
        AskForm { membership_id: String::new(), due_day: due.day, due_month: due.month, due_year: due.year }
    }
}

/// A new action, as typed.
#[derive(Deserialize, Default, Clone)]
pub(crate) struct ActionForm {
    #[serde(default)]
    pub action_description: String,
    #[serde(default)]
    pub action_owner: String,
    #[serde(default)]
    pub action_due_day: String,
    #[serde(default)]
    pub action_due_month: String,
    #[serde(default)]
    pub action_due_year: String,
    /// The recommendation or finding it answers, or empty for the rapid review's learning.
    #[serde(default)]
    pub action_finding: String,
}

/// A recommendation or finding with what was done about it.
#[derive(Clone, Debug, Deserialize)]
pub struct Finding {
    pub id: Uuid,
    pub position: i32,
    pub body: String,
    pub not_implemented_reason: String,
    pub actions: Vec<crate::actions::Action>,
}

impl Finding {
    pub fn answered(&self) -> bool {
        !self.not_implemented_reason.is_empty() || !self.actions.is_empty()
    }
}

/// A new recommendation or finding, as typed.
#[derive(Deserialize, Default, Clone)]
pub(crate) struct FindingForm {
    #[serde(default)]
    pub finding: String,
}

/// Why a recommendation or finding is not to be implemented, as typed.
#[derive(Deserialize, Default, Clone)]
pub(crate) struct NotImplementedForm {
    #[serde(default)]
    pub not_implemented_reason: String,
}

/// What the review's page shows beside the review: the agencies asked (for those who may read the case:
/// row-level security gives others none), the recommendations and actions set from it and, for those
/// running it, the group's coming meetings. One statement, however many there are. The people a request
/// or an action may go to are on those forms' own pages, not on this one.
pub(super) struct Workspace {
    pub requests: Vec<InformationRequest>,
    pub findings: Vec<Finding>,
    /// Actions for no particular recommendation: the rapid review's learning.
    pub actions: Vec<Action>,
    pub meetings: Vec<(String, String)>,
}

/// How many of the group's coming meetings are offered for the review.
const MEETINGS_OFFERED: i64 = 12;

/// The review's workspace: the meetings to choose from only if the person runs it (`running`).
pub(super) async fn read(tx: &mut Tx, pid: Uuid, review_id: Uuid, group_id: Uuid, running: bool) -> sqlx::Result<Workspace> {
    let r = sqlx::query!(
        r#"with review_actions as (
               select a.id, a.description, a.owner_membership_id, a.owner_name, a.due_on, a.status, g.name as group_name,
                      a.meeting_id, a.recommendation_lineage_id, a.completion_confirmed, a.created_at, a.review_finding_id
               from action_point a
               left join partnership_group g on g.partnership_id = a.partnership_id and g.id = a.group_id
               where a.partnership_id = $1 and a.review_id = $2)
           select coalesce((select json_agg(x order by x.organisation_name, x.id)
                            from (select q.id, o.name as organisation_name, m.known_as as person, q.membership_id, q.due_on,
                                         q.answered_at, q.summary
                                  from review_request q
                                  join organisation o on o.partnership_id = q.partnership_id and o.id = q.organisation_id
                                  join membership m on m.partnership_id = q.partnership_id and m.id = q.membership_id
                                  where q.partnership_id = $1 and q.review_id = $2) x), '[]') as "requests!: Json<Vec<InformationRequest>>",
                  coalesce((select json_agg(x order by x.position)
                            from (select f.id, f.position, f.body, f.not_implemented_reason,
                                         coalesce((select json_agg(y order by y.due_on, y.created_at, y.id) from review_actions y
                                                   where y.review_finding_id = f.id), '[]') as actions
                                  from review_finding f where f.partnership_id = $1 and f.review_id = $2) x), '[]') as "findings!: Json<Vec<Finding>>",
                  coalesce((select json_agg(y order by y.due_on, y.created_at, y.id) from review_actions y
                            where y.review_finding_id is null), '[]') as "actions!: Json<Vec<Action>>",
                  coalesce((select json_agg(json_build_array(x.id, x.starts_at, x.extraordinary) order by x.starts_at)
                            from (select m.id, m.starts_at, m.extraordinary from meeting m
                                  where $3 and m.partnership_id = $1 and m.group_id = $4 and m.status = 'scheduled' and m.starts_at > now()
                                  order by m.starts_at limit $5) x), '[]') as "meetings!: Json<Vec<(Uuid, DateTime<Utc>, bool)>>""#,
        pid,
        review_id,
        running,
        group_id,
        MEETINGS_OFFERED
    )
    .fetch_one(&mut **tx)
    .await?;
    let meetings = r
        .meetings
        .0
        .into_iter()
        .map(|(id, starts_at, extraordinary)| {
            let day = long_date(crate::calendar::uk_date(starts_at));
            (id.to_string(), if extraordinary { format!("{day} (extraordinary)") } else { day })
        })
        .collect();
    Ok(Workspace { requests: r.requests.0, findings: r.findings.0, actions: r.actions.0, meetings })
}

/// The people who may be asked for an agency's involvement: current members linked to an agency, as
/// (membership id, "Name, Agency").
pub(super) async fn askable(tx: &mut Tx, partnership_id: Uuid) -> sqlx::Result<Vec<(String, String)>> {
    let rows = sqlx::query!(
        "select m.id, m.known_as, o.name from membership m
         join organisation o on o.partnership_id = m.partnership_id and o.id = m.organisation_id
         where m.partnership_id = $1 and m.is_current order by o.name, m.known_as, m.id",
        partnership_id
    )
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows.into_iter().map(|r| (r.id.to_string(), format!("{}, {}", r.known_as, r.name))).collect())
}

/// The recommendations an action may answer (those to be implemented), as (id, "1. The first words").
pub(super) async fn open_findings(tx: &mut Tx, partnership_id: Uuid, review_id: Uuid) -> sqlx::Result<Vec<(String, String)>> {
    let rows = sqlx::query!(
        "select id, position, body from review_finding where partnership_id = $1 and review_id = $2 and not_implemented_at is null
         order by position",
        partnership_id,
        review_id
    )
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows.into_iter().map(|r| (r.id.to_string(), format!("{}. {}", r.position, r.body.chars().take(80).collect::<String>()))).collect())
}
