//! The risk register (`/p/<slug>/risks`): the heat map of open risks with its
//! table, the risks sorted by their score now, those past their review date
//! flagged; closed risks on a view of their own. Recording a risk: its form is
//! also the form that changes one (`risk::edit_page`).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{Months, NaiveDate};
use serde::Deserialize;
use serde_json::json;
use sqlx::PgConnection;
use sqlx::types::Json;
use tower_sessions::Session;
use uuid::Uuid;

use super::heat_map::{Cells, heat_map};
use super::{Band, Category, IMPACT, LIKELIHOOD, Score, Trend, parse_level, scale_options};
use crate::calendar::{long_date, today};
use crate::error::Result;
use crate::roles::Capability;
use crate::tenant::{Member, change};
use crate::web::{
    AppState, ClientAddress, DateParts, FormErrors, Layout, Query, Submitted, optional_text, redirect_with as done, required_line,
};

/// How many closed risks the closed view lists, the most recently closed first.
const CLOSED_SHOWN: i64 = 100;

/// A risk as the register lists it.
#[derive(Debug, Deserialize)]
pub struct RiskLine {
    pub id: Uuid,
    pub number: i32,
    pub title: String,
    pub category: Category,
    pub owner_name: String,
    pub group_name: Option<String>,
    pub likelihood: i16,
    pub impact: i16,
    pub target_likelihood: i16,
    pub target_impact: i16,
    pub review_on: NaiveDate,
    pub closed_on: Option<NaiveDate>,
    /// The score the review before the last found.
    pub previous: Option<i16>,
}

impl RiskLine {
    pub fn score(&self) -> Score {
        Score::new(self.likelihood, self.impact)
    }
    pub fn target(&self) -> Score {
        Score::new(self.target_likelihood, self.target_impact)
    }
    pub fn band(&self) -> Band {
        self.score().band()
    }
    pub fn trend(&self) -> Trend {
        Trend::between(self.previous, self.score().value())
    }
    pub fn review_due(&self) -> String {
        long_date(self.review_on)
    }
    pub fn overdue(&self) -> bool {
        self.closed_on.is_none() && self.review_on < today()
    }
    pub fn closed(&self) -> String {
        self.closed_on.map(long_date).unwrap_or_default()
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "assurance/risks.html")]
struct RegisterPage {
    layout: Layout,
    member: Member,
    risks: Vec<RiskLine>,
    cells: Cells,
    heat_map: String,
    open: i64,
    overdue: i64,
    closed: i64,
    view: RegisterQuery,
    categories: Vec<(String, String)>,
    can_record: bool,
}

#[derive(Deserialize, Default, Clone)]
pub(crate) struct RegisterQuery {
    /// "" for the open risks, "closed" for the closed ones.
    #[serde(default)]
    status: String,
    #[serde(default)]
    category: String,
    /// "1": only those past their review date.
    #[serde(default)]
    due: String,
}

impl RegisterQuery {
    fn closed(&self) -> bool {
        self.status == "closed"
    }
}

pub(crate) async fn register(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Query(view): Query<RegisterQuery>,
) -> Result<Response> {
    let category = Category::parse(&view.category).map(Category::code).unwrap_or("");
    let mut tx = member.begin(&state).await?;
    // The view's risks, the heat map's counts and the register's totals, in one statement.
    let row = sqlx::query!(
        r#"select coalesce((select json_agg(x order by x.position) from (
                      select k.id, k.number, k.title, k.category, m.known_as as owner_name, g.name as group_name, k.likelihood, k.impact,
                             k.target_likelihood, k.target_impact, k.review_on, k.closed_on,
                             (select r.likelihood * r.impact from risk_review r where r.partnership_id = k.partnership_id and r.risk_id = k.id
                              order by r.reviewed_on desc, r.recorded_at desc offset 1 limit 1) as previous,
                             row_number() over (order by k.closed_on desc nulls last, k.likelihood * k.impact desc, k.review_on, k.number)
                               as position
                      from risk k
                      join membership m on m.partnership_id = k.partnership_id and m.id = k.owner_membership_id
                      left join partnership_group g on g.partnership_id = k.partnership_id and g.id = k.group_id
                      where k.partnership_id = $1 and (k.closed_on is not null) = $2 and ($3 = '' or k.category = $3)
                        and (not $4 or k.review_on < $5)
                      order by position limit $6) x), '[]') as "risks!: Json<Vec<RiskLine>>",
                  coalesce((select json_agg(json_build_array(c.likelihood, c.impact, c.n)) from (
                      select likelihood, impact, count(*) as n from risk where partnership_id = $1 and closed_on is null
                      group by likelihood, impact) c), '[]') as "cells!: Json<Vec<(i16, i16, i64)>>",
                  (select count(*) from risk where partnership_id = $1 and closed_on is null) as "open!",
                  (select count(*) from risk where partnership_id = $1 and closed_on is null and review_on < $5) as "overdue!",
                  (select count(*) from risk where partnership_id = $1 and closed_on is not null) as "closed!""#,
        member.partnership.id,
        view.closed(),
        category,
        view.due == "1",
        today(),
        CLOSED_SHOWN
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    let cells = Cells::from_counts(row.cells.0);
    let page = RegisterPage {
        layout: member.layout(&session, "risks").await?,
        can_record: member.roles.allows(Capability::ManageAssurance),
        member,
        risks: row.risks.0,
        heat_map: heat_map(&cells),
        cells,
        open: row.open,
        overdue: row.overdue,
        closed: row.closed,
        view: RegisterQuery { category: category.to_owned(), ..view },
        categories: Category::options(),
    };
    Ok(page.into_response())
}

/// The risk form, for a new risk or a change to one (which leaves the score now to reviews).
#[derive(Deserialize, Default, Clone, Debug)]
pub(crate) struct RiskForm {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub cause: String,
    #[serde(default)]
    pub effect: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub owner: String,
    #[serde(default)]
    pub group: String,
    #[serde(default)]
    pub inherent_likelihood: String,
    #[serde(default)]
    pub inherent_impact: String,
    #[serde(default)]
    pub likelihood: String,
    #[serde(default)]
    pub impact: String,
    #[serde(default)]
    pub target_likelihood: String,
    #[serde(default)]
    pub target_impact: String,
    #[serde(default)]
    pub controls: String,
    #[serde(default)]
    pub review_day: String,
    #[serde(default)]
    pub review_month: String,
    #[serde(default)]
    pub review_year: String,
}

/// A risk's details, checked.
#[derive(Debug)]
pub(crate) struct Details {
    pub title: String,
    pub cause: String,
    pub effect: String,
    pub category: Category,
    pub owner_membership_id: Uuid,
    pub owner_name: String,
    pub group_id: Option<Uuid>,
    pub inherent: Score,
    pub current: Score,
    pub target: Score,
    pub controls: String,
    pub review_on: NaiveDate,
}

/// The form's details, checked against the partnership's people and groups; `current` is the score now when the
/// form changes a risk (its reviews set it), none when it records one. What is wrong is said on its field.
pub(crate) async fn parse(
    conn: &mut PgConnection,
    partnership_id: Uuid,
    form: &RiskForm,
    current: Option<Score>,
    errors: &mut FormErrors,
) -> sqlx::Result<Option<Details>> {
    let title = errors.check("title", required_line(&form.title, "risk's title", 200));
    let cause = errors.check("cause", optional_text(&form.cause, "cause", 4000));
    let effect = errors.check("effect", optional_text(&form.effect, "effect", 4000));
    let category = Category::parse(&form.category);
    if category.is_none() {
        errors.add("category", "Select the category");
    }
    let owner = match Uuid::parse_str(&form.owner) {
        Ok(id) => crate::people::find(conn, partnership_id, id).await?,
        Err(_) => None,
    };
    if owner.is_none() {
        errors.add("owner", "Choose who owns the risk");
    }
    let group = match Uuid::parse_str(&form.group) {
        Ok(id) => {
            let found = crate::structure::all_groups(conn, partnership_id, false).await?.into_iter().find(|g| g.id == id);
            if found.is_none() {
                errors.add("group", "Choose one of the partnership's groups, or none");
            }
            found.map(|g| g.id)
        }
        Err(_) => None,
    };
    let level = |errors: &mut FormErrors, field: &'static str, text: &str, what: &str| errors.check(field, parse_level(text, what));
    let inherent_l = level(errors, "inherent_likelihood", &form.inherent_likelihood, "likelihood before the controls");
    let inherent_i = level(errors, "inherent_impact", &form.inherent_impact, "impact before the controls");
    let current = match current {
        Some(score) => Some(score),
        None => {
            let l = level(errors, "likelihood", &form.likelihood, "likelihood now, with the controls");
            let i = level(errors, "impact", &form.impact, "impact now, with the controls");
            l.zip(i).map(|(l, i)| Score::new(l, i))
        }
    };
    let target_l = level(errors, "target_likelihood", &form.target_likelihood, "target likelihood");
    let target_i = level(errors, "target_impact", &form.target_impact, "target impact");
    let inherent = inherent_l.zip(inherent_i).map(|(l, i)| Score::new(l, i));
    let target = target_l.zip(target_i).map(|(l, i)| Score::new(l, i));
    if let (Some(inherent), Some(target)) = (inherent, target)
        && target.value() > inherent.value()
    {
        errors.add("target_likelihood", "The target score must not be above the score before the controls");
    }
    let controls = errors.check("controls", optional_text(&form.controls, "controls", 8000));
    let review = DateParts { day: form.review_day.clone(), month: form.review_month.clone(), year: form.review_year.clone() };
    let review_on = errors.check("review_day", review.parse("Next review date", true)).flatten();
    if review_on.is_some_and(|d| d < today()) {
        errors.add("review_day", "Next review date must be today or in the future");
    }
    if !errors.is_empty() {
        return Ok(None);
    }
    Ok(match (title, cause, effect, category, owner, inherent, current, target, controls, review_on) {
        (
            Some(title),
            Some(cause),
            Some(effect),
            Some(category),
            Some(owner),
            Some(inherent),
            Some(current),
            Some(target),
            Some(controls),
            Some(review_on),
        ) => Some(Details {
            title,
            cause,
            effect,
            category,
            owner_membership_id: owner.membership_id,
            owner_name: owner.display_name,
            group_id: group,
            inherent,
            current,
            target,
            controls,
            review_on,
        }),
        _ => None,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "assurance/risk_form.html")]
pub(crate) struct FormPage {
    pub layout: Layout,
    pub member: Member,
    /// The risk changed, as (id, "RR3: title"); none for a new one.
    pub editing: Option<(Uuid, String)>,
    pub form: RiskForm,
    pub owners: Vec<(String, String)>,
    pub groups: Vec<(String, String)>,
    pub categories: Vec<(String, String)>,
    pub likelihoods: Vec<(String, String)>,
    pub impacts: Vec<(String, String)>,
    pub errors: FormErrors,
}

/// The risk form with the partnership's people and groups to choose from: two reads in the request's transaction.
pub(crate) async fn render_form(
    state: &AppState,
    session: &Session,
    member: Member,
    editing: Option<(Uuid, String)>,
    form: RiskForm,
    errors: FormErrors,
) -> Result<Response> {
    let mut tx = member.begin(state).await?;
    let owners = crate::people::choices(&mut tx, member.partnership.id).await?;
    let groups = crate::structure::all_groups(&mut tx, member.partnership.id, false)
        .await?
        .into_iter()
        .map(|g| (g.id.to_string(), g.name))
        .collect();
    tx.commit().await?;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = FormPage {
        layout: member.layout(session, "risks").await?,
        member,
        editing,
        form,
        owners,
        groups,
        categories: Category::options(),
        likelihoods: scale_options(&LIKELIHOOD),
        impacts: scale_options(&IMPACT),
        errors,
    };
    Ok((status, page).into_response())
}

pub(crate) async fn new_page(State(state): State<AppState>, session: Session, member: Member) -> Result<Response> {
    member.require(Capability::ManageAssurance)?;
    // A register reviews its risks quarterly unless the form says otherwise.
    let review = DateParts::from_date(today().checked_add_months(Months::new(3)));
    let form = RiskForm { review_day: review.day, review_month: review.month, review_year: review.year, ..RiskForm::default() };
    render_form(&state, &session, member, None, form, FormErrors::default()).await
}

/// Record a risk: its number, its details and its first review (the score it was recorded at). The same title
/// sent twice while the first is open records one risk.
pub(crate) async fn record(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Submitted(form): Submitted<RiskForm>,
) -> Result<Response> {
    member.require(Capability::ManageAssurance)?;
    let mut tx = member.begin(&state).await?;
    let pid = member.partnership.id;
    let mut errors = FormErrors::default();
    let Some(risk) = parse(&mut tx, pid, &form, None, &mut errors).await? else {
        member.resume(tx);
        return render_form(&state, &session, member, None, form, errors).await;
    };
    // Numbers are taken in turn.
    sqlx::query!("select pg_advisory_xact_lock(hashtextextended($1, 0))", format!("risk-number:{pid}")).execute(&mut *tx).await?;
    let id = Uuid::new_v4();
    let number = sqlx::query_scalar!(
        r#"insert into risk (partnership_id, id, number, title, cause, effect, category, owner_membership_id, group_id,
                             inherent_likelihood, inherent_impact, likelihood, impact, target_likelihood, target_impact, controls,
                             review_on, created_by)
           select $1, $2, coalesce(max(number), 0) + 1, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17
           from risk where partnership_id = $1
           on conflict (partnership_id, lower(title)) where closed_on is null do nothing
           returning number"#,
        pid,
        id,
        risk.title,
        risk.cause,
        risk.effect,
        risk.category as Category,
        risk.owner_membership_id,
        risk.group_id,
        risk.inherent.likelihood,
        risk.inherent.impact,
        risk.current.likelihood,
        risk.current.impact,
        risk.target.likelihood,
        risk.target.impact,
        risk.controls,
        risk.review_on,
        member.user.id
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(number) = number else {
        let open = sqlx::query!(
            "select id, number from risk where partnership_id = $1 and lower(title) = lower($2) and closed_on is null",
            pid,
            risk.title
        )
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        let to = format!("/p/{}/risks/{}", member.partnership.slug, open.id);
        return done(&session, format!("RR{} is already on the register with that title", open.number), to).await;
    };
    sqlx::query!(
        "insert into risk_review (partnership_id, id, risk_id, reviewed_on, likelihood, impact, note, reviewed_by)
         values ($1, $2, $3, $4, $5, $6, 'Recorded on the register', $7)",
        pid,
        Uuid::new_v4(),
        id,
        today(),
        risk.current.likelihood,
        risk.current.impact,
        member.user.id
    )
    .execute(&mut *tx)
    .await?;
    change(&member, "risk.recorded", "risk", id, &address).after(details_json(number, &risk)).record(&mut tx).await?;
    tx.commit().await?;
    done(&session, format!("RR{number} added to the risk register"), format!("/p/{}/risks/{id}", member.partnership.slug)).await
}

/// A risk's details as the audit log keeps them.
pub(crate) fn details_json(number: i32, risk: &Details) -> serde_json::Value {
    json!({
        "number": number, "title": risk.title, "cause": risk.cause, "effect": risk.effect, "category": risk.category.label(),
        "owner": risk.owner_name, "owner_membership_id": risk.owner_membership_id, "group_id": risk.group_id,
        "inherent_score": risk.inherent.value(), "score": risk.current.value(), "target_score": risk.target.value(),
        "controls": risk.controls, "review_on": risk.review_on,
    })
}
