//! One risk (`/p/<slug>/risks/<id>`): its cause and effect, its scores before
//! the controls, now and as a target, the trend since the last review, its
//! score at every review (a chart with the table beside it), its controls and
//! mitigating actions. Its owner or the business unit reviews it and sets its
//! actions; the business unit changes its details and closes it, which keeps it.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::json;
use sqlx::types::Json;
use tower_sessions::Session;
use uuid::Uuid;

use super::register::{Details, RiskForm, details_json, parse, render_form};
use super::{Category, IMPACT, LIKELIHOOD, Score, Trend, keeps, parse_level, scale_options};
use crate::actions::{Action, ActionForm, Actions, NewAction};
use crate::calendar::{long_date, today};
use crate::db::Tx;
use crate::error::{AppError, Result};
use crate::roles::Capability;
use crate::tenant::{Member, change};
use crate::web::{AppState, ClientAddress, DateParts, FormErrors, Layout, Submitted, record_id, redirect_with as done, required_text};

/// How many of a risk's reviews its page shows, the latest.
const REVIEWS_SHOWN: i64 = 60;

/// One review of a risk: the score it found.
#[derive(Debug, Deserialize)]
pub struct Reviewed {
    pub reviewed_on: NaiveDate,
    pub likelihood: i16,
    pub impact: i16,
    pub note: String,
    pub reviewer: Option<String>,
}

impl Reviewed {
    pub fn score(&self) -> Score {
        Score::new(self.likelihood, self.impact)
    }
    pub fn on(&self) -> String {
        long_date(self.reviewed_on)
    }
}

/// A risk with its reviews, oldest first.
pub struct Loaded {
    pub id: Uuid,
    pub number: i32,
    pub title: String,
    pub cause: String,
    pub effect: String,
    pub category: Category,
    pub owner_membership_id: Uuid,
    pub owner_name: String,
    pub group_id: Option<Uuid>,
    pub group_name: Option<String>,
    pub inherent: Score,
    pub current: Score,
    pub target: Score,
    pub controls: String,
    pub review_on: NaiveDate,
    pub closed_on: Option<NaiveDate>,
    pub closed_reason: String,
    pub created_at: DateTime<Utc>,
    pub reviews: Vec<Reviewed>,
}

impl Loaded {
    pub fn name(&self) -> String {
        format!("RR{}: {}", self.number, self.title)
    }
    pub fn trend(&self) -> Trend {
        let n = self.reviews.len();
        let previous = n.checked_sub(2).and_then(|i| self.reviews.get(i)).map(|r| r.score().value());
        Trend::between(previous, self.current.value())
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
    pub fn recorded(&self) -> String {
        long_date(crate::calendar::uk_date(self.created_at))
    }
    fn details(&self) -> Details {
        Details {
            title: self.title.clone(),
            cause: self.cause.clone(),
            effect: self.effect.clone(),
            category: self.category,
            owner_membership_id: self.owner_membership_id,
            owner_name: self.owner_name.clone(),
            group_id: self.group_id,
            inherent: self.inherent,
            current: self.current,
            target: self.target,
            controls: self.controls.clone(),
            review_on: self.review_on,
        }
    }
    fn form(&self) -> RiskForm {
        let review = DateParts::from_date(Some(self.review_on));
        RiskForm {
            title: self.title.clone(),
            cause: self.cause.clone(),
            effect: self.effect.clone(),
            category: self.category.code().to_owned(),
            owner: self.owner_membership_id.to_string(),
            group: self.group_id.map(|g| g.to_string()).unwrap_or_default(),
            inherent_likelihood: self.inherent.likelihood.to_string(),
            inherent_impact: self.inherent.impact.to_string(),
            likelihood: self.current.likelihood.to_string(),
            impact: self.current.impact.to_string(),
            target_likelihood: self.target.likelihood.to_string(),
            target_impact: self.target.impact.to_string(),
            controls: self.controls.clone(),
            review_day: review.day,
            review_month: review.month,
            review_year: review.year,
        }
    }
}

/// A risk of this partnership with its latest reviews, in one statement; `lock` holds it for the transaction
/// (a review or a change), so that two at once take their turns. None is a 404.
async fn load(tx: &mut Tx, partnership_id: Uuid, raw_id: &str, lock: bool) -> Result<Loaded> {
    let id = record_id(raw_id)?;
    if lock {
        sqlx::query!("select id from risk where partnership_id = $1 and id = $2 for update", partnership_id, id)
            .fetch_optional(&mut **tx)
            .await?;
    }
    let row = sqlx::query!(
        r#"select k.id, k.number, k.title, k.cause, k.effect, k.category as "category: Category", k.owner_membership_id,
                  m.known_as as owner_name, k.group_id, g.name as "group_name?",
                  k.inherent_likelihood, k.inherent_impact, k.likelihood, k.impact, k.target_likelihood, k.target_impact,
                  k.controls, k.review_on, k.closed_on, k.closed_reason, k.created_at,
                  coalesce((select json_agg(x order by x.reviewed_on, x.recorded_at) from (
                      select r.reviewed_on, r.likelihood, r.impact, r.note, u.display_name as reviewer, r.recorded_at
                      from risk_review r left join app_user u on u.id = r.reviewed_by
                      where r.partnership_id = k.partnership_id and r.risk_id = k.id
                      order by r.reviewed_on desc, r.recorded_at desc limit $3) x), '[]') as "reviews!: Json<Vec<Reviewed>>"
           from risk k
           join membership m on m.partnership_id = k.partnership_id and m.id = k.owner_membership_id
           left join partnership_group g on g.partnership_id = k.partnership_id and g.id = k.group_id
           where k.partnership_id = $1 and k.id = $2"#,
        partnership_id,
        id,
        REVIEWS_SHOWN
    )
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(AppError::NotFound)?;
    Ok(Loaded {
        id: row.id,
        number: row.number,
        title: row.title,
        cause: row.cause,
        effect: row.effect,
        category: row.category,
        owner_membership_id: row.owner_membership_id,
        owner_name: row.owner_name,
        group_id: row.group_id,
        group_name: row.group_name,
        inherent: Score::new(row.inherent_likelihood, row.inherent_impact),
        current: Score::new(row.likelihood, row.impact),
        target: Score::new(row.target_likelihood, row.target_impact),
        controls: row.controls,
        review_on: row.review_on,
        closed_on: row.closed_on,
        closed_reason: row.closed_reason,
        created_at: row.created_at,
        reviews: row.reviews.0,
    })
}

#[derive(Deserialize, Default, Clone)]
pub(crate) struct ReviewForm {
    #[serde(default)]
    likelihood: String,
    #[serde(default)]
    impact: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    next_review_day: String,
    #[serde(default)]
    next_review_month: String,
    #[serde(default)]
    next_review_year: String,
}

#[derive(Deserialize, Default, Clone)]
pub(crate) struct CloseForm {
    #[serde(default)]
    closed_reason: String,
}

/// What the forms on the risk's page hold when one comes back with an error (as typed), or fresh.
#[derive(Default)]
struct Forms {
    review: ReviewForm,
    action: ActionForm,
    close: CloseForm,
    errors: FormErrors,
}

#[derive(Template, WebTemplate)]
#[template(path = "assurance/risk.html")]
struct RiskPage {
    layout: Layout,
    member: Member,
    risk: Loaded,
    history_chart: String,
    actions: Vec<Action>,
    owners: Vec<(String, String)>,
    likelihoods: Vec<(String, String)>,
    impacts: Vec<(String, String)>,
    keeps: bool,
    manages: bool,
    review: ReviewForm,
    action: ActionForm,
    close: CloseForm,
    errors: FormErrors,
}

/// "Last review: 3 – Possible", the hint beside a scale.
fn last(scale: &[&str; 5], level: i16) -> String {
    format!("Last review: {level} – {}", scale.get(usize::try_from(level - 1).unwrap_or(0)).copied().unwrap_or(""))
}

impl RiskPage {
    fn last_likelihood(&self) -> String {
        last(&LIKELIHOOD, self.risk.current.likelihood)
    }
    fn last_impact(&self) -> String {
        last(&IMPACT, self.risk.current.impact)
    }
}

async fn render(state: &AppState, session: &Session, member: Member, raw_id: &str, forms: Forms) -> Result<Response> {
    let mut tx = member.begin(state).await?;
    let risk = load(&mut tx, member.partnership.id, raw_id, false).await?;
    let actions = crate::actions::list(&mut tx, member.partnership.id, Actions::ForRisk(risk.id)).await?;
    let keeps = keeps(&member, risk.owner_membership_id) && risk.closed_on.is_none();
    let owners = if keeps { crate::people::choices(&mut tx, member.partnership.id).await? } else { Vec::new() };
    tx.commit().await?;
    let points: Vec<(NaiveDate, i16)> = risk.reviews.iter().map(|r| (r.reviewed_on, r.score().value())).collect();
    let mut review = forms.review;
    if review.next_review_day.is_empty() && forms.errors.is_empty() {
        let next = DateParts::from_date(today().checked_add_months(chrono::Months::new(3)));
        (review.next_review_day, review.next_review_month, review.next_review_year) = (next.day, next.month, next.year);
    }
    let status = if forms.errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = RiskPage {
        layout: member.layout(session, "risks").await?,
        history_chart: super::heat_map::history(&points, risk.target.value()),
        manages: member.roles.allows(Capability::ManageAssurance) && risk.closed_on.is_none(),
        member,
        risk,
        actions,
        owners,
        likelihoods: scale_options(&LIKELIHOOD),
        impacts: scale_options(&IMPACT),
        keeps,
        review,
        action: forms.action,
        close: forms.close,
        errors: forms.errors,
    };
    Ok((status, page).into_response())
}

pub(crate) async fn risk_page(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Path((_, risk_id)): Path<(String, String)>,
) -> Result<Response> {
    render(&state, &session, member, &risk_id, Forms::default()).await
}

/// Where a closed risk's forms send their user back to, with why nothing changed.
async fn closed_already(session: &Session, member: &Member, risk: &Loaded) -> Result<Response> {
    done(session, format!("RR{} was closed on {}: it no longer changes", risk.number, risk.closed()), to(member, risk.id, "")).await
}

fn to(member: &Member, id: Uuid, anchor: &str) -> String {
    format!("/p/{}/risks/{id}{anchor}", member.partnership.slug)
}

/// Record a review: the score now, what was said and the next review's date. The same review sent twice on a
/// day is kept once.
pub(crate) async fn record_review(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, risk_id)): Path<(String, String)>,
    Submitted(form): Submitted<ReviewForm>,
) -> Result<Response> {
    let mut tx = member.begin(&state).await?;
    let pid = member.partnership.id;
    let risk = load(&mut tx, pid, &risk_id, true).await?;
    if !keeps(&member, risk.owner_membership_id) {
        return Err(AppError::Forbidden);
    }
    if risk.closed_on.is_some() {
        tx.commit().await?;
        return closed_already(&session, &member, &risk).await;
    }
    let mut errors = FormErrors::default();
    let likelihood = errors.check("likelihood", parse_level(&form.likelihood, "likelihood now"));
    let impact = errors.check("impact", parse_level(&form.impact, "impact now"));
    let note = errors.check("note", required_text(&form.note, "what the review found", 4000));
    let next = DateParts { day: form.next_review_day.clone(), month: form.next_review_month.clone(), year: form.next_review_year.clone() };
    let next = errors.check("next_review_day", next.parse("Next review date", true)).flatten();
    if next.is_some_and(|d| d <= today()) {
        errors.add("next_review_day", "Next review date must be in the future");
    }
    let (Some(likelihood), Some(impact), Some(note), Some(next), true) = (likelihood, impact, note, next, errors.is_empty()) else {
        member.resume(tx);
        return render(&state, &session, member, &risk_id, Forms { review: form, errors, ..Forms::default() }).await;
    };
    let added = sqlx::query!(
        "insert into risk_review (partnership_id, id, risk_id, reviewed_on, likelihood, impact, note, reviewed_by)
         select $1, $2, $3, $4, $5, $6, $7, $8
         where not exists (select 1 from risk_review where partnership_id = $1 and risk_id = $3 and reviewed_on = $4
                           and likelihood = $5 and impact = $6 and note = $7)",
        pid,
        Uuid::new_v4(),
        risk.id,
        today(),
        likelihood,
        impact,
        note,
        member.user.id
    )
    .execute(&mut *tx)
    .await?;
    if added.rows_affected() == 1 {
        sqlx::query!(
            "update risk set likelihood = $3, impact = $4, review_on = $5 where partnership_id = $1 and id = $2",
            pid,
            risk.id,
            likelihood,
            impact,
            next
        )
        .execute(&mut *tx)
        .await?;
        change(&member, "risk.reviewed", "risk", risk.id, &address)
            .before(json!({ "title": risk.title, "score": risk.current.value(), "likelihood": risk.current.likelihood,
                            "impact": risk.current.impact, "review_on": risk.review_on }))
            .after(json!({ "title": risk.title, "score": likelihood * impact, "likelihood": likelihood, "impact": impact,
                           "review_on": next, "note": note }))
            .record(&mut tx)
            .await?;
    }
    tx.commit().await?;
    let now = Score::new(likelihood, impact);
    let message = if added.rows_affected() == 1 {
        let moved = Trend::between(Some(risk.current.value()), now.value()).label().to_lowercase();
        format!("RR{} reviewed: score {} ({moved})", risk.number, now.value())
    } else {
        "That review was already recorded".to_owned()
    };
    done(&session, message, to(&member, risk.id, "#history")).await
}

/// Set a control or mitigating action, through the shared actions owner.
pub(crate) async fn set_action(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, risk_id)): Path<(String, String)>,
    Submitted(form): Submitted<ActionForm>,
) -> Result<Response> {
    let mut tx = member.begin(&state).await?;
    let pid = member.partnership.id;
    let risk = load(&mut tx, pid, &risk_id, false).await?;
    if !keeps(&member, risk.owner_membership_id) {
        return Err(AppError::Forbidden);
    }
    if risk.closed_on.is_some() {
        tx.commit().await?;
        return closed_already(&session, &member, &risk).await;
    }
    let mut errors = FormErrors::default();
    let Some(checked) = form.parse(&mut tx, pid, &mut errors).await? else {
        member.resume(tx);
        return render(&state, &session, member, &risk_id, Forms { action: form, errors, ..Forms::default() }).await;
    };
    let action = NewAction { risk_id: Some(risk.id), ..NewAction::new(checked, risk.group_id) };
    let set = crate::actions::set(&mut tx, &member, &address, &action).await?;
    tx.commit().await?;
    let message = match set {
        Some(_) => format!("RR{}: action set for {}", risk.number, action.owner_name),
        None => "That action was already set".to_owned(),
    };
    done(&session, message, to(&member, risk.id, "#actions")).await
}

/// Close a risk, with the reason: it stays on the register's closed view with its history.
pub(crate) async fn close(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, risk_id)): Path<(String, String)>,
    Submitted(form): Submitted<CloseForm>,
) -> Result<Response> {
    member.require(Capability::ManageAssurance)?;
    let mut tx = member.begin(&state).await?;
    let pid = member.partnership.id;
    let risk = load(&mut tx, pid, &risk_id, true).await?;
    if risk.closed_on.is_some() {
        tx.commit().await?;
        return closed_already(&session, &member, &risk).await;
    }
    let mut errors = FormErrors::default();
    let Some(reason) = errors.check("closed_reason", required_text(&form.closed_reason, "reason for closing the risk", 4000)) else {
        member.resume(tx);
        return render(&state, &session, member, &risk_id, Forms { close: form, errors, ..Forms::default() }).await;
    };
    sqlx::query!("update risk set closed_on = $3, closed_reason = $4 where partnership_id = $1 and id = $2", pid, risk.id, today(), reason)
        .execute(&mut *tx)
        .await?;
    change(&member, "risk.closed", "risk", risk.id, &address)
        .before(json!({ "title": risk.title, "closed_on": null }))
        .after(json!({ "title": risk.title, "closed_on": today(), "closed_reason": reason }))
        .record(&mut tx)
        .await?;
    tx.commit().await?;
    done(&session, format!("RR{} closed: it stays on the register's closed risks", risk.number), to(&member, risk.id, "")).await
}

pub(crate) async fn edit_page(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Path((_, risk_id)): Path<(String, String)>,
) -> Result<Response> {
    member.require(Capability::ManageAssurance)?;
    let mut tx = member.begin(&state).await?;
    let risk = load(&mut tx, member.partnership.id, &risk_id, false).await?;
    if risk.closed_on.is_some() {
        tx.commit().await?;
        return closed_already(&session, &member, &risk).await;
    }
    member.resume(tx);
    let form = risk.form();
    render_form(&state, &session, member, Some((risk.id, risk.name())), form, FormErrors::default()).await
}

/// Change a risk's details (its score now is what its reviews found: it changes by a review).
pub(crate) async fn update(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, risk_id)): Path<(String, String)>,
    Submitted(form): Submitted<RiskForm>,
) -> Result<Response> {
    member.require(Capability::ManageAssurance)?;
    let mut tx = member.begin(&state).await?;
    let pid = member.partnership.id;
    let risk = load(&mut tx, pid, &risk_id, true).await?;
    if risk.closed_on.is_some() {
        tx.commit().await?;
        return closed_already(&session, &member, &risk).await;
    }
    let mut errors = FormErrors::default();
    let parsed = parse(&mut tx, pid, &form, Some(risk.current), &mut errors).await?;
    // Another open risk of the same title would make two of one.
    if let Some(details) = &parsed {
        let taken = sqlx::query_scalar!(
            r#"select exists (select 1 from risk where partnership_id = $1 and id <> $2 and lower(title) = lower($3) and closed_on is null)
               as "taken!""#,
            pid,
            risk.id,
            details.title
        )
        .fetch_one(&mut *tx)
        .await?;
        if taken {
            errors.add("title", "Another open risk has that title");
        }
    }
    let Some(details) = parsed.filter(|_| errors.is_empty()) else {
        member.resume(tx);
        return render_form(&state, &session, member, Some((risk.id, risk.name())), form, errors).await;
    };
    sqlx::query!(
        "update risk set title = $3, cause = $4, effect = $5, category = $6, owner_membership_id = $7, group_id = $8,
                         inherent_likelihood = $9, inherent_impact = $10, target_likelihood = $11, target_impact = $12, controls = $13,
                         review_on = $14
         where partnership_id = $1 and id = $2",
        pid,
        risk.id,
        details.title,
        details.cause,
        details.effect,
        details.category as Category,
        details.owner_membership_id,
        details.group_id,
        details.inherent.likelihood,
        details.inherent.impact,
        details.target.likelihood,
        details.target.impact,
        details.controls,
        details.review_on
    )
    .execute(&mut *tx)
    .await?;
    change(&member, "risk.updated", "risk", risk.id, &address)
        .before(details_json(risk.number, &risk.details()))
        .after(details_json(risk.number, &details))
        .record(&mut tx)
        .await?;
    tx.commit().await?;
    done(&session, format!("RR{} updated", risk.number), to(&member, risk.id, "")).await
}
