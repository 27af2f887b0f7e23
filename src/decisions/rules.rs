//! How each body decides, as data the business manager keeps: the quorum
//! (which partners must respond, with alternatives such as "the council or
//! education"), whether a formal vote may follow when consensus fails, what
//! majority carries it, and when partners are reminded. A rule for no group
//! is the partnership's default. A decision copies the rule when raised.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use tower_sessions::Session;
use uuid::Uuid;

use super::{DecisionRule, MajorityOf, decision_rule};
use crate::db::Tx;
use crate::error::{AppError, Result};
use crate::meetings::quorum_rule;
use crate::roles::Capability;
use crate::structure::Sector;
use crate::tenant::Member;
use crate::web::Query;
use crate::web::{AppState, ClientAddress, FormErrors, Layout, Submitted, optional_text, redirect_with};

/// The rules one body works under, and whether they are its own.
pub struct BodyRules {
    pub group_id: Option<Uuid>,
    pub name: String,
    pub own: bool,
    pub quorum: Vec<String>,
    /// The quorum's requirements as sector codes (each a set of alternatives), for the form.
    pub requirements: Vec<Vec<String>>,
    pub rule: DecisionRule,
}

impl BodyRules {
    pub fn voting(&self) -> String {
        if self.rule.majority_vote {
            format!("Consensus first, then a formal vote carried by {}", self.rule.majority_of.label())
        } else {
            "Consensus only: without it the decision is not carried".to_owned()
        }
    }
}

/// No group has the nil id, so asking for its rule answers the partnership's default.
const NO_GROUP: Uuid = Uuid::nil();

/// Up to four quorum requirements, each met by any one of its ticked sectors.
const QUORUM_ROWS: usize = 4;

#[derive(Deserialize, Default, Clone)]
pub(crate) struct RulesForm {
    #[serde(default)]
    group_id: String,
    #[serde(default)]
    quorum_1: Vec<String>,
    #[serde(default)]
    quorum_2: Vec<String>,
    #[serde(default)]
    quorum_3: Vec<String>,
    #[serde(default)]
    quorum_4: Vec<String>,
    #[serde(default)]
    majority_vote: String,
    #[serde(default)]
    majority_of: String,
    #[serde(default)]
    reminder_working_days: String,
    #[serde(default)]
    description: String,
}

impl RulesForm {
    /// The form filled with a body's rules as they apply (its quorum's requirements as sector codes).
    fn for_body(group_id: Option<Uuid>, requirements: &[Vec<String>], rule: &DecisionRule) -> RulesForm {
        let row = |i: usize| requirements.get(i).cloned().unwrap_or_default();
        RulesForm {
            group_id: group_id.map(|g| g.to_string()).unwrap_or_default(),
            quorum_1: row(0),
            quorum_2: row(1),
            quorum_3: row(2),
            quorum_4: row(3),
            majority_vote: if rule.majority_vote { "yes".into() } else { "no".into() },
            majority_of: rule.majority_of.code().to_owned(),
            reminder_working_days: rule.reminder_working_days.to_string(),
            description: rule.description.clone(),
        }
    }

    fn rows(&self) -> [&Vec<String>; QUORUM_ROWS] {
        [&self.quorum_1, &self.quorum_2, &self.quorum_3, &self.quorum_4]
    }
    /// Whether a sector is ticked in a quorum row (1 to 4), for the template.
    fn ticked(&self, row: &usize, sector: &str) -> bool {
        self.rows().get(row.wrapping_sub(1)).is_some_and(|r| r.iter().any(|s| s == sector))
    }
}

#[derive(Deserialize)]
pub(crate) struct RulesQuery {
    #[serde(default)]
    group: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "decisions/rules.html")]
struct RulesPage {
    layout: Layout,
    member: Member,
    bodies: Vec<BodyRules>,
    /// The statutory partners' sectors, named as the partnership names them.
    sectors: Vec<(String, String)>,
    groups: Vec<(String, String)>,
    rows: Vec<usize>,
    can_manage: bool,
    errors: FormErrors,
    form: RulesForm,
}

/// A body (a group, or the default when `group_id` is none) with the rules of its own, if any.
struct RulesRow {
    group_id: Option<Uuid>,
    name: String,
    required_sectors: Option<Vec<String>>,
    majority_vote: Option<bool>,
    majority_of: Option<MajorityOf>,
    reminder_working_days: Option<i32>,
    description: Option<String>,
}

async fn bodies(tx: &mut Tx, partnership_id: Uuid) -> Result<(Vec<BodyRules>, Vec<(String, String)>)> {
    let sectors: Vec<(String, String)> = sqlx::query!(
        "select sector, string_agg(name, ', ' order by name) as \"names!\" from organisation
         where partnership_id = $1 and is_statutory_partner and retired_on is null group by sector
         order by array_position(array['local_authority', 'health', 'police', 'education'], sector)",
        partnership_id
    )
    .fetch_all(&mut **tx)
    .await?
    .into_iter()
    .map(|r| (r.sector, r.names))
    .collect();
    let name_of =
        |code: &str| sectors.iter().find(|(s, _)| s == code).map(|(_, n)| n.clone()).unwrap_or_else(|| Sector::label_of(code).to_owned());
    let describe = |requirements: &[Vec<String>]| -> Vec<String> {
        requirements.iter().map(|alternatives| alternatives.iter().map(|s| name_of(s)).collect::<Vec<_>>().join(" or ")).collect()
    };
    // Every body (the default first, then each group still sitting) with the rules of its own, in one statement;
    // a group without its own takes the default's.
    let rows = sqlx::query_as!(
        RulesRow,
        r#"select b.id as "group_id?", b.name as "name!", q.required_sectors as "required_sectors?",
                  r.majority_vote as "majority_vote?", r.majority_of as "majority_of?: MajorityOf",
                  r.reminder_working_days as "reminder_working_days?", r.description as "description?"
           from (select null::uuid as id, '' as name, 0 as kind_order, 0 as sort_order
                 union all
                 select id, name, coalesce(array_position(array['accountability', 'executive', 'board'], kind), 4), sort_order
                 from partnership_group where partnership_id = $1 and retired_on is null) b
           left join quorum_rule q on q.partnership_id = $1 and q.group_id is not distinct from b.id
           left join decision_rule r on r.partnership_id = $1 and r.group_id is not distinct from b.id
           order by b.id is not null, b.kind_order, b.sort_order, b.name"#,
        partnership_id
    )
    .fetch_all(&mut **tx)
    .await?;
    // A body's own quorum and rule, where it has them.
    let own = |r: &RulesRow| -> (Option<Vec<String>>, Option<DecisionRule>) {
        let rule = match (r.majority_vote, r.majority_of, r.reminder_working_days) {
            (Some(majority_vote), Some(majority_of), Some(reminder_working_days)) => Some(DecisionRule {
                majority_vote,
                majority_of,
                reminder_working_days,
                description: r.description.clone().unwrap_or_default(),
            }),
            _ => None,
        };
        (r.required_sectors.clone(), rule)
    };
    let (default_quorum, default_rule) = rows.first().filter(|r| r.group_id.is_none()).map(own).unwrap_or_default();
    let out = rows
        .iter()
        .map(|row| {
            let (quorum, rule) = own(row);
            let own = quorum.is_some() || rule.is_some();
            let required = quorum.or_else(|| default_quorum.clone()).unwrap_or_default();
            let requirements = crate::meetings::QuorumRule::from_stored(required, String::new()).requirements;
            BodyRules {
                group_id: row.group_id,
                name: if row.group_id.is_some() { row.name.clone() } else { "Every group without rules of its own".to_owned() },
                own,
                quorum: describe(&requirements),
                requirements,
                rule: rule.or_else(|| default_rule.clone()).unwrap_or_default(),
            }
        })
        .collect();
    Ok((out, sectors))
}

async fn render(state: &AppState, session: &Session, member: Member, form: RulesForm, errors: FormErrors) -> Result<Response> {
    let mut tx = member.begin(state).await?;
    let (bodies, sectors) = bodies(&mut tx, member.partnership.id).await?;
    tx.commit().await?;
    page(session, member, bodies, sectors, form, errors).await
}

async fn page(
    session: &Session,
    member: Member,
    bodies: Vec<BodyRules>,
    sectors: Vec<(String, String)>,
    form: RulesForm,
    errors: FormErrors,
) -> Result<Response> {
    let groups = bodies.iter().filter_map(|b| b.group_id.map(|id| (id.to_string(), b.name.clone()))).collect();
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = RulesPage {
        layout: member.layout(session, "decisions").await?,
        can_manage: member.roles.allows(Capability::ManageDecisions),
        member,
        bodies,
        sectors,
        groups,
        rows: (1..=QUORUM_ROWS).collect(),
        errors,
        form,
    };
    Ok((status, page).into_response())
}

/// The form filled with a body's current rules.
async fn form_for(tx: &mut Tx, partnership_id: Uuid, group_id: Option<Uuid>) -> Result<RulesForm> {
    let (quorum, rule) = match group_id {
        Some(g) => (
            quorum_rule(tx, partnership_id, g).await?.map(|q| q.requirements).unwrap_or_default(),
            decision_rule(tx, partnership_id, g).await?,
        ),
        None => {
            let q = sqlx::query_scalar!(
                "select required_sectors from quorum_rule where partnership_id = $1 and group_id is null",
                partnership_id
            )
            .fetch_optional(&mut **tx)
            .await?;
            (
                q.map(|q| crate::meetings::QuorumRule::from_stored(q, String::new()).requirements).unwrap_or_default(),
                decision_rule(tx, partnership_id, NO_GROUP).await?,
            )
        }
    };
    Ok(RulesForm::for_body(group_id, &quorum, &rule))
}

pub(crate) async fn rules_page(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Query(query): Query<RulesQuery>,
) -> Result<Response> {
    let group_id = match query.group.as_deref().filter(|g| !g.is_empty()) {
        Some(raw) => Some(Uuid::parse_str(raw).map_err(|_| AppError::NotFound)?),
        None => None,
    };
    let mut tx = member.begin(&state).await?;
    let (bodies, sectors) = bodies(&mut tx, member.partnership.id).await?;
    tx.commit().await?;
    // The form opens on the body asked for (a group still sitting, or the default), with its rules as they apply now.
    let body = bodies.iter().find(|b| b.group_id == group_id).ok_or(AppError::NotFound)?;
    let form = RulesForm::for_body(group_id, &body.requirements, &body.rule);
    page(&session, member, bodies, sectors, form, FormErrors::default()).await
}

pub(crate) async fn save_rules(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Submitted(form): Submitted<RulesForm>,
) -> Result<Response> {
    member.require(Capability::ManageDecisions)?;
    let pid = member.partnership.id;
    let mut tx = member.begin(&state).await?;
    let mut errors = FormErrors::default();
    let group = match form.group_id.trim() {
        "" => None,
        raw => match Uuid::parse_str(raw) {
            Ok(id) => {
                sqlx::query!("select id, name from partnership_group where partnership_id = $1 and id = $2 and retired_on is null", pid, id)
                    .fetch_optional(&mut *tx)
                    .await?
                    .map(|g| (g.id, g.name))
            }
            Err(_) => None,
        }
        .or_else(|| {
            errors.add("group_id", "Choose a group, or every group");
            None
        }),
    };
    let required: Vec<String> = form
        .rows()
        .iter()
        .filter(|row| !row.is_empty())
        .map(|row| {
            let mut sectors: Vec<String> = row.iter().filter(|s| Sector::from_code(s).is_some()).cloned().collect();
            sectors.sort();
            sectors.dedup();
            sectors.join("|")
        })
        .filter(|r| !r.is_empty())
        .collect();
    let majority_vote = match form.majority_vote.as_str() {
        "yes" => Some(true),
        "no" => Some(false),
        _ => {
            errors.add("majority_vote", "Choose whether the chair can call a formal vote when consensus is not reached");
            None
        }
    };
    let majority_of = MajorityOf::parse(&form.majority_of);
    if majority_of.is_none() {
        errors.add("majority_of", "Choose what majority carries a formal vote");
    }
    let reminder = match form.reminder_working_days.trim().parse::<i32>() {
        Ok(n) if (0..=20).contains(&n) => Some(n),
        _ => {
            errors
                .add("reminder_working_days", "Enter the working days before the deadline to remind partners, a whole number from 0 to 20");
            None
        }
    };
    let description = errors.check("description", optional_text(&form.description, "note", 1000));
    let (Some(majority_vote), Some(majority_of), Some(reminder), Some(description)) =
        (majority_vote, majority_of, reminder, description.filter(|_| errors.is_empty()))
    else {
        member.resume(tx);
        return render(&state, &session, member, form, errors).await;
    };
    let group_id = group.as_ref().map(|(id, _)| *id);
    let before = form_for(&mut tx, pid, group_id).await?;
    sqlx::query!(
        "insert into decision_rule (partnership_id, id, group_id, majority_vote, majority_of, reminder_working_days, description)
         values ($1, $2, $3, $4, $5, $6, $7)
         on conflict (partnership_id, group_id) do update set majority_vote = excluded.majority_vote, majority_of = excluded.majority_of,
             reminder_working_days = excluded.reminder_working_days, description = excluded.description",
        pid,
        Uuid::new_v4(),
        group_id,
        majority_vote,
        majority_of as _,
        reminder,
        description
    )
    .execute(&mut *tx)
    .await?;
    if required.is_empty() {
        sqlx::query!("delete from quorum_rule where partnership_id = $1 and group_id is not distinct from $2", pid, group_id)
            .execute(&mut *tx)
            .await?;
    } else {
        sqlx::query!(
            "insert into quorum_rule (partnership_id, id, group_id, required_sectors, description) values ($1, $2, $3, $4, $5)
             on conflict (partnership_id, group_id) do update set required_sectors = excluded.required_sectors, description = excluded.description",
            pid,
            Uuid::new_v4(),
            group_id,
            &required,
            description
        )
        .execute(&mut *tx)
        .await?;
    }
    crate::audit::Change::new("decision_rules.changed", "group")
        .in_partnership(pid)
        .by(Some(member.user.id))
        .subject(group_id.map(|g| g.to_string()).unwrap_or_else(|| "every group".into()))
        .from_address(&address)
        .before(json!({ "quorum": before.rows().iter().filter(|r| !r.is_empty()).map(|r| r.join("|")).collect::<Vec<_>>(), "majority_vote": before.majority_vote, "majority_of": before.majority_of, "reminder_working_days": before.reminder_working_days }))
        .after(json!({ "quorum": required, "majority_vote": majority_vote, "majority_of": form.majority_of, "reminder_working_days": reminder, "description": description }))
        .record(&mut tx)
        .await?;
    tx.commit().await?;
    let name = group.map(|(_, n)| n).unwrap_or_else(|| "every group without rules of its own".into());
    redirect_with(
        &session,
        format!("Decision rules saved for {name}. Decisions already raised keep the rules they were raised under"),
        format!("/p/{}/decisions/rules", member.partnership.slug),
    )
    .await
}
