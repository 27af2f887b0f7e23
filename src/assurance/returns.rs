//! One organisation's return in a self-assessment round
//! (`/p/<slug>/assurance/returns/<id>`): a rating and evidence for each
//! standard, an overall summary, evidence files (through the papers owner)
//! and the organisation's improvement actions (through the actions owner).
//! Its contact (or anyone of the organisation, or the business unit) saves it
//! and finishes it later, then submits it, which locks it: the database
//! refuses any change after. The business unit challenges a rating, the
//! organisation answers beside it, and the business unit accepts the return,
//! which records the organisation's self-assessment date for its next one.
//! Row-level security keeps a return to the business unit, the partners and
//! the organisation: for anyone else it is not there (404).

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::json;
use sqlx::types::Json;
use tower_sessions::Session;
use uuid::Uuid;

use super::{Rating, ReturnStatus, RoundKind};
use crate::actions::{Action, ActionForm, Actions, NewAction};
use crate::calendar::{long_date, today, uk_date};
use crate::db::Tx;
use crate::error::{AppError, Result};
use crate::papers::{Added, Holder, Paper};
use crate::roles::Capability;
use crate::tenant::{Member, change};
use crate::web::{AppState, ClientAddress, FormErrors, Layout, Submitted, record_id, redirect_with as done, required_text};

/// A standard of the round with this return's rating of it.
#[derive(Debug, Deserialize)]
pub struct StandardLine {
    pub id: Uuid,
    pub position: i32,
    pub title: String,
    pub rating: Option<Rating>,
    pub evidence: String,
}

/// The business unit's challenge to a rating, and the answer.
#[derive(Debug, Deserialize)]
pub struct Challenge {
    pub id: Uuid,
    pub standard_id: Uuid,
    pub challenge: String,
    pub challenged_by: Option<String>,
    pub challenged_at: DateTime<Utc>,
    pub answer: String,
    pub answered_by: Option<String>,
    pub answered_at: Option<DateTime<Utc>>,
}

impl Challenge {
    pub fn when(&self) -> String {
        long_date(uk_date(self.challenged_at))
    }
    pub fn answered(&self) -> String {
        self.answered_at.map(|at| long_date(uk_date(at))).unwrap_or_default()
    }
}

/// A return with its round, standards, challenges, papers and the organisation's people.
pub struct Loaded {
    pub id: Uuid,
    pub round_id: Uuid,
    pub round_number: i32,
    pub round_title: String,
    pub round_kind: RoundKind,
    pub due_on: NaiveDate,
    pub organisation_id: Uuid,
    pub organisation_name: String,
    pub contact_membership_id: Option<Uuid>,
    pub contact_name: Option<String>,
    pub status: ReturnStatus,
    pub summary: String,
    pub submitted_at: Option<DateTime<Utc>>,
    pub submitted_by: Option<String>,
    pub accepted_at: Option<DateTime<Utc>>,
    /// Whether the person reading is of the organisation that makes it.
    pub ours: bool,
    pub standards: Vec<StandardLine>,
    pub challenges: Vec<Challenge>,
    pub papers: Vec<Paper>,
    /// The organisation's people: its possible contacts and improvement actions' owners.
    pub people: Vec<(String, String)>,
}

impl Loaded {
    pub fn name(&self) -> String {
        format!("{}: {}", self.organisation_name, self.round_title)
    }
    pub fn due(&self) -> String {
        long_date(self.due_on)
    }
    pub fn overdue(&self) -> bool {
        !self.status.is_locked() && self.due_on < today()
    }
    pub fn submitted(&self) -> String {
        self.submitted_at.map(|at| long_date(uk_date(at))).unwrap_or_default()
    }
    pub fn accepted(&self) -> String {
        self.accepted_at.map(|at| long_date(uk_date(at))).unwrap_or_default()
    }
    pub fn challenges_of(&self, standard: &Uuid) -> Vec<&Challenge> {
        self.challenges.iter().filter(|c| c.standard_id == *standard).collect()
    }
    fn open_challenges(&self) -> usize {
        self.challenges.iter().filter(|c| c.answered_at.is_none()).count()
    }
    /// The ratings and evidence as the audit log keeps them.
    fn ratings_json(&self) -> serde_json::Value {
        json!(
            self.standards
                .iter()
                .map(|s| json!({ "standard": s.position, "rating": s.rating, "evidence": s.evidence }))
                .collect::<Vec<_>>()
        )
    }
}

/// A return of this partnership that the person may read, in one statement; `lock` holds it for the
/// transaction, so that a save, a submission and an acceptance take their turns. None is a 404.
async fn load(tx: &mut Tx, member: &Member, raw_id: &str, lock: bool) -> Result<Loaded> {
    let id = record_id(raw_id)?;
    let pid = member.partnership.id;
    if lock {
        sqlx::query!("select id from round_return where partnership_id = $1 and id = $2 for update", pid, id)
            .fetch_optional(&mut **tx)
            .await?;
    }
    let row = sqlx::query!(
        r#"select r.id, r.round_id, a.number as round_number, a.title as round_title, a.kind as "round_kind: RoundKind", a.due_on,
                  r.organisation_id, o.name as organisation_name, r.contact_membership_id, cm.known_as as "contact_name?",
                  r.status as "status: ReturnStatus", r.summary, r.submitted_at, su.display_name as "submitted_by?", r.accepted_at,
                  r.organisation_id is not distinct from (select app_organisation_id()) as "ours!",
                  coalesce((select json_agg(x order by x.position) from (
                      select s.id, s.position, s.title, g.rating, coalesce(g.evidence, '') as evidence
                      from round_standard s
                      left join return_rating g on g.partnership_id = s.partnership_id and g.return_id = r.id and g.standard_id = s.id
                      where s.partnership_id = r.partnership_id and s.round_id = r.round_id) x), '[]') as "standards!: Json<Vec<StandardLine>>",
                  coalesce((select json_agg(x order by x.challenged_at) from (
                      select c.id, c.standard_id, c.challenge, cu.display_name as challenged_by, c.challenged_at, c.answer,
                             au.display_name as answered_by, c.answered_at
                      from return_challenge c
                      left join app_user cu on cu.id = c.challenged_by left join app_user au on au.id = c.answered_by
                      where c.partnership_id = r.partnership_id and c.return_id = r.id) x), '[]') as "challenges!: Json<Vec<Challenge>>",
                  coalesce((select json_agg(x order by x.uploaded_at) from (
                      select p.id, p.title, p.filename, p.content_type, p.size_bytes, p.uploaded_at
                      from paper p where p.partnership_id = r.partnership_id and p.round_return_id = r.id) x), '[]') as "papers!: Json<Vec<Paper>>",
                  coalesce((select json_agg(json_build_array(m.id::text, m.known_as) order by m.known_as, m.id)
                            from membership m where m.partnership_id = r.partnership_id and m.organisation_id = r.organisation_id
                              and m.is_current), '[]') as "people!: Json<Vec<(String, String)>>"
           from round_return r
           join assurance_round a on a.partnership_id = r.partnership_id and a.id = r.round_id
           join organisation o on o.partnership_id = r.partnership_id and o.id = r.organisation_id
           left join membership cm on cm.partnership_id = r.partnership_id and cm.id = r.contact_membership_id
           left join app_user su on su.id = r.submitted_by
           where r.partnership_id = $1 and r.id = $2"#,
        pid,
        id
    )
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(AppError::NotFound)?;
    Ok(Loaded {
        id: row.id,
        round_id: row.round_id,
        round_number: row.round_number,
        round_title: row.round_title,
        round_kind: row.round_kind,
        due_on: row.due_on,
        organisation_id: row.organisation_id,
        organisation_name: row.organisation_name,
        contact_membership_id: row.contact_membership_id,
        contact_name: row.contact_name,
        status: row.status,
        summary: row.summary,
        submitted_at: row.submitted_at,
        submitted_by: row.submitted_by,
        accepted_at: row.accepted_at,
        ours: row.ours,
        standards: row.standards.0,
        challenges: row.challenges.0,
        papers: row.papers.0,
        people: row.people.0,
    })
}

/// Whether this person fills the return: its contact, anyone of its organisation, or the business unit.
fn fills(member: &Member, found: &Loaded) -> bool {
    member.roles.allows(Capability::ManageAssurance) || found.ours || found.contact_membership_id == Some(member.membership_id)
}

/// What the return's form held, as typed: each standard's rating and evidence, and the summary.
#[derive(Default)]
struct Typed {
    ratings: HashMap<Uuid, (String, String)>,
    summary: Option<String>,
}

#[derive(Deserialize, Default, Clone)]
pub(crate) struct ChallengeForm {
    #[serde(default)]
    standard: String,
    #[serde(default)]
    challenge: String,
}

#[derive(Deserialize, Default, Clone)]
pub(crate) struct AnswerForm {
    #[serde(default)]
    answer: String,
}

#[derive(Deserialize, Default, Clone)]
pub(crate) struct ContactForm {
    #[serde(default)]
    contact: String,
}

/// What the forms on the page hold when one comes back with an error, or fresh.
#[derive(Default)]
struct Forms {
    typed: Typed,
    challenge: ChallengeForm,
    /// The challenge whose answer came back, as typed.
    answer: Option<(Uuid, AnswerForm)>,
    action: ActionForm,
    errors: FormErrors,
}

#[derive(Template, WebTemplate)]
#[template(path = "assurance/return.html")]
struct ReturnPage {
    layout: Layout,
    member: Member,
    found: Loaded,
    actions: Vec<Action>,
    fills: bool,
    manages: bool,
    ratings: Vec<(String, String)>,
    typed: Typed,
    challenge: ChallengeForm,
    answer: Option<(Uuid, AnswerForm)>,
    action: ActionForm,
    errors: FormErrors,
}

impl ReturnPage {
    /// The rating shown for a standard: as typed, else as saved.
    fn rating_of(&self, standard: &StandardLine) -> String {
        match self.typed.ratings.get(&standard.id) {
            Some((rating, _)) => rating.clone(),
            None => standard.rating.map(|r| r.code().to_owned()).unwrap_or_default(),
        }
    }
    fn evidence_of(&self, standard: &StandardLine) -> String {
        match self.typed.ratings.get(&standard.id) {
            Some((_, evidence)) => evidence.clone(),
            None => standard.evidence.clone(),
        }
    }
    fn summary(&self) -> String {
        self.typed.summary.clone().unwrap_or_else(|| self.found.summary.clone())
    }
    fn accept_path(&self) -> String {
        format!("/p/{}/assurance/returns/{}/accept", self.member.partnership.slug, self.found.id)
    }
    /// A standard's input name: `rating_<id>_green`, `evidence_<id>`.
    fn field(&self, what: &str, standard: &Uuid, suffix: &str) -> String {
        format!("{what}_{standard}{suffix}")
    }
    fn owner_hint(&self) -> String {
        format!("Someone at {}", self.found.organisation_name)
    }
    fn contact_value(&self) -> String {
        self.found.contact_membership_id.map(|c| c.to_string()).unwrap_or_default()
    }
    fn standard_choices(&self) -> Vec<(String, String)> {
        self.found.standards.iter().map(|s| (s.id.to_string(), format!("{}. {}", s.position, s.title))).collect()
    }
    fn answer_of(&self, challenge: &Uuid) -> String {
        match &self.answer {
            Some((id, form)) if id == challenge => form.answer.clone(),
            _ => String::new(),
        }
    }
}

async fn render(state: &AppState, session: &Session, member: Member, raw_id: &str, forms: Forms) -> Result<Response> {
    let mut tx = member.begin(state).await?;
    let found = load(&mut tx, &member, raw_id, false).await?;
    let actions = crate::actions::list(&mut tx, member.partnership.id, Actions::ForReturn(found.id)).await?;
    tx.commit().await?;
    let status = if forms.errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = ReturnPage {
        layout: member.layout(session, "assurance").await?,
        fills: fills(&member, &found),
        manages: member.roles.allows(Capability::ManageAssurance),
        member,
        found,
        actions,
        ratings: Rating::ALL.iter().map(|r| (r.code().to_owned(), r.label().to_owned())).collect(),
        typed: forms.typed,
        challenge: forms.challenge,
        answer: forms.answer,
        action: forms.action,
        errors: forms.errors,
    };
    Ok((status, page).into_response())
}

pub(crate) async fn return_page(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Path((_, return_id)): Path<(String, String)>,
) -> Result<Response> {
    render(&state, &session, member, &return_id, Forms::default()).await
}

fn to(member: &Member, id: Uuid, anchor: &str) -> String {
    format!("/p/{}/assurance/returns/{id}{anchor}", member.partnership.slug)
}

/// Save the return to finish later, or submit it (`intent=submit`), which needs a rating of every standard and
/// evidence for every one that applies, and locks it.
pub(crate) async fn save(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, return_id)): Path<(String, String)>,
    Submitted(fields): Submitted<Vec<(String, String)>>,
) -> Result<Response> {
    let mut tx = member.begin(&state).await?;
    let found = load(&mut tx, &member, &return_id, true).await?;
    if !fills(&member, &found) {
        return Err(AppError::Forbidden);
    }
    if found.status.is_locked() {
        tx.commit().await?;
        let message = format!("{}'s return was submitted on {}: it no longer changes", found.organisation_name, found.submitted());
        return done(&session, message, to(&member, found.id, "")).await;
    }
    let field = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
    let submitting = field("intent") == "submit";
    let mut errors = FormErrors::default();
    let mut typed = Typed { summary: Some(field("summary")), ..Typed::default() };
    let mut checked: Vec<(Uuid, Option<Rating>, String)> = Vec::new();
    for standard in &found.standards {
        let rating_text = field(&format!("rating_{}", standard.id));
        let evidence_text = field(&format!("evidence_{}", standard.id));
        typed.ratings.insert(standard.id, (rating_text.clone(), evidence_text.clone()));
        let rating = Rating::parse(&rating_text);
        if !rating_text.is_empty() && rating.is_none() {
            errors.add_at(format!("rating_{}_green", standard.id), format!("Choose a rating of standard {}", standard.position));
        }
        let evidence = evidence_text.trim().to_owned();
        if evidence.chars().count() > 8000 {
            errors.add_at(
                format!("evidence_{}", standard.id),
                format!("The evidence for standard {} must be 8000 characters or fewer", standard.position),
            );
        }
        if submitting && rating.is_none() && rating_text.is_empty() {
            errors.add_at(format!("rating_{}_green", standard.id), format!("Choose a rating of standard {}", standard.position));
        }
        if submitting && rating.is_some_and(|r| r != Rating::NotApplicable) && evidence.is_empty() {
            errors.add_at(format!("evidence_{}", standard.id), format!("Enter the evidence for standard {}", standard.position));
        }
        checked.push((standard.id, rating, evidence));
    }
    let summary = field("summary").trim().to_owned();
    if summary.chars().count() > 8000 {
        errors.add("summary", "The summary must be 8000 characters or fewer");
    }
    if !errors.is_empty() {
        member.resume(tx);
        return render(&state, &session, member, &return_id, Forms { typed, errors, ..Forms::default() }).await;
    }
    let pid = member.partnership.id;
    let standards: Vec<Uuid> = checked.iter().map(|(s, _, _)| *s).collect();
    let ratings: Vec<Option<String>> = checked.iter().map(|(_, r, _)| r.map(|r| r.code().to_owned())).collect();
    let evidence: Vec<String> = checked.iter().map(|(_, _, e)| e.clone()).collect();
    sqlx::query!(
        "insert into return_rating (partnership_id, return_id, standard_id, rating, evidence)
         select $1, $2, t.standard_id, t.rating, t.evidence from unnest($3::uuid[], $4::text[], $5::text[]) as t(standard_id, rating, evidence)
         on conflict (partnership_id, return_id, standard_id) do update set rating = excluded.rating, evidence = excluded.evidence
         where (return_rating.rating, return_rating.evidence) is distinct from (excluded.rating, excluded.evidence)",
        pid,
        found.id,
        &standards,
        &ratings as &[Option<String>],
        &evidence
    )
    .execute(&mut *tx)
    .await?;
    let status = if submitting { "submitted" } else { "draft" };
    sqlx::query!(
        "update round_return set summary = $3, status = $4, updated_at = now(),
                submitted_at = case when $4 = 'submitted' then now() end, submitted_by = case when $4 = 'submitted' then $5::uuid end
         where partnership_id = $1 and id = $2",
        pid,
        found.id,
        summary,
        status,
        member.user.id
    )
    .execute(&mut *tx)
    .await?;
    let after = json!(
        checked
            .iter()
            .zip(&found.standards)
            .map(|((_, r, e), s)| json!({ "standard": s.position, "rating": r, "evidence": e }))
            .collect::<Vec<_>>()
    );
    let action = if submitting { "round_return.submitted" } else { "round_return.saved" };
    change(&member, action, "round_return", found.id, &address)
        .before(json!({ "organisation": found.organisation_name, "status": found.status, "summary": found.summary, "ratings": found.ratings_json() }))
        .after(json!({ "organisation": found.organisation_name, "status": status, "summary": summary, "ratings": after }))
        .record(&mut tx)
        .await?;
    tx.commit().await?;
    let message = if submitting {
        format!("{}'s return submitted: it is locked, and the business unit will review it", found.organisation_name)
    } else {
        "Return saved: you can finish it later".to_owned()
    };
    done(&session, message, to(&member, found.id, "")).await
}

/// Challenge a rating of a submitted return: the business unit, kept beside the rating for the organisation to answer.
pub(crate) async fn challenge(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, return_id)): Path<(String, String)>,
    Submitted(form): Submitted<ChallengeForm>,
) -> Result<Response> {
    member.require(Capability::ManageAssurance)?;
    let mut tx = member.begin(&state).await?;
    let found = load(&mut tx, &member, &return_id, true).await?;
    if found.status != ReturnStatus::Submitted {
        tx.commit().await?;
        let message = "A rating is challenged once the return is submitted and before it is accepted".to_owned();
        return done(&session, message, to(&member, found.id, "")).await;
    }
    let mut errors = FormErrors::default();
    let standard = Uuid::parse_str(&form.standard).ok().and_then(|id| found.standards.iter().find(|s| s.id == id));
    if standard.is_none() {
        errors.add("standard", "Choose the standard whose rating you challenge");
    }
    let text = errors.check("challenge", required_text(&form.challenge, "challenge", 4000));
    let (Some(standard), Some(text)) = (standard, text) else {
        member.resume(tx);
        return render(&state, &session, member, &return_id, Forms { challenge: form, errors, ..Forms::default() }).await;
    };
    let pid = member.partnership.id;
    let id = Uuid::new_v4();
    let added = sqlx::query!(
        "insert into return_challenge (partnership_id, id, return_id, standard_id, challenge, challenged_by)
         select $1, $2, $3, $4, $5, $6
         where not exists (select 1 from return_challenge where partnership_id = $1 and return_id = $3 and standard_id = $4 and challenge = $5)",
        pid,
        id,
        found.id,
        standard.id,
        text,
        member.user.id
    )
    .execute(&mut *tx)
    .await?;
    if added.rows_affected() == 1 {
        change(&member, "round_return.challenged", "round_return", found.id, &address)
            .after(json!({ "organisation": found.organisation_name, "standard": standard.position, "rating": standard.rating, "challenge": text }))
            .record(&mut tx)
            .await?;
        tell_contact(
            &mut tx,
            &state,
            &member,
            &found,
            &format!("The business unit challenged your rating of standard {}", standard.position),
        )
        .await?;
    }
    tx.commit().await?;
    done(&session, format!("Rating of standard {} challenged", standard.position), to(&member, found.id, "#challenges")).await
}

/// Mail the return's contact about it.
async fn tell_contact(tx: &mut Tx, state: &AppState, member: &Member, found: &Loaded, what: &str) -> Result<()> {
    let Some(contact) = found.contact_membership_id else { return Ok(()) };
    let person = sqlx::query!(
        "select u.email, u.display_name, u.id from membership m join app_user u on u.id = m.user_id where m.partnership_id = $1 and m.id = $2",
        member.partnership.id,
        contact
    )
    .fetch_optional(&mut **tx)
    .await?;
    if let Some(person) = person {
        let body = format!(
            "{what} in {}'s return to \u{201c}{}\u{201d}.\n\n{}{}\n",
            found.organisation_name,
            found.round_title,
            state.config.public_url,
            to(member, found.id, "#challenges")
        );
        crate::outbox::enqueue(
            tx,
            Some(member.partnership.id),
            &person.email,
            &person.display_name,
            &format!("{}: a rating is challenged", found.round_title),
            &body,
            &format!("return-challenged:{}:{}:{}", found.id, person.id, found.challenges.len()),
        )
        .await?;
    }
    Ok(())
}

/// Answer a challenge: the organisation (its contact or its people), once.
pub(crate) async fn answer(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, return_id, challenge_id)): Path<(String, String, String)>,
    Submitted(form): Submitted<AnswerForm>,
) -> Result<Response> {
    let mut tx = member.begin(&state).await?;
    let found = load(&mut tx, &member, &return_id, true).await?;
    if !fills(&member, &found) {
        return Err(AppError::Forbidden);
    }
    let challenge_id = record_id(&challenge_id)?;
    let challenge = found.challenges.iter().find(|c| c.id == challenge_id).ok_or(AppError::NotFound)?;
    if challenge.answered_at.is_some() {
        tx.commit().await?;
        return done(&session, "That challenge was already answered".to_owned(), to(&member, found.id, "#challenges")).await;
    }
    let mut errors = FormErrors::default();
    let text = required_text(&form.answer, "answer", 4000).map_err(|message| errors.add_at(format!("answer_{challenge_id}"), message)).ok();
    let Some(text) = text else {
        member.resume(tx);
        return render(&state, &session, member, &return_id, Forms { answer: Some((challenge_id, form)), errors, ..Forms::default() })
            .await;
    };
    let standard = found.standards.iter().find(|s| s.id == challenge.standard_id).map(|s| s.position).unwrap_or_default();
    sqlx::query!(
        "update return_challenge set answer = $3, answered_by = $4, answered_at = now()
         where partnership_id = $1 and id = $2 and answered_at is null",
        member.partnership.id,
        challenge_id,
        text,
        member.user.id
    )
    .execute(&mut *tx)
    .await?;
    change(&member, "round_return.answered", "round_return", found.id, &address)
        .after(json!({ "organisation": found.organisation_name, "standard": standard, "challenge": challenge.challenge, "answer": text }))
        .record(&mut tx)
        .await?;
    tx.commit().await?;
    done(&session, format!("Challenge to standard {standard} answered"), to(&member, found.id, "#challenges")).await
}

/// Accept a submitted return once every challenge is answered; the organisation's self-assessment is recorded as
/// done on the day it was submitted, so its next one falls due by the interval setting.
pub(crate) async fn accept(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, return_id)): Path<(String, String)>,
) -> Result<Response> {
    member.require(Capability::ManageAssurance)?;
    let mut tx = member.begin(&state).await?;
    let found = load(&mut tx, &member, &return_id, true).await?;
    let message = match (found.status, found.open_challenges()) {
        (ReturnStatus::Accepted, _) => format!("{}'s return was already accepted", found.organisation_name),
        (ReturnStatus::NotStarted | ReturnStatus::Draft, _) => "A return is accepted once it is submitted".to_owned(),
        (ReturnStatus::Submitted, open) if open > 0 => {
            format!("{open} challenge(s) still wait for an answer: accept the return once they are answered")
        }
        (ReturnStatus::Submitted, _) => {
            let pid = member.partnership.id;
            sqlx::query!(
                "update round_return set status = 'accepted', accepted_at = now(), accepted_by = $3 where partnership_id = $1 and id = $2",
                pid,
                found.id,
                member.user.id
            )
            .execute(&mut *tx)
            .await?;
            let on = found.submitted_at.map(uk_date).unwrap_or_else(today);
            if found.round_kind != RoundKind::Local {
                crate::structure::record_self_assessment(
                    &mut tx,
                    pid,
                    found.organisation_id,
                    found.round_kind == RoundKind::Section175,
                    on,
                )
                .await?;
            }
            change(&member, "round_return.accepted", "round_return", found.id, &address)
                .before(json!({ "organisation": found.organisation_name, "status": found.status }))
                .after(json!({ "organisation": found.organisation_name, "status": ReturnStatus::Accepted, "self_assessed_on": on }))
                .record(&mut tx)
                .await?;
            format!("{}'s return accepted", found.organisation_name)
        }
    };
    tx.commit().await?;
    done(&session, message, to(&member, found.id, "")).await
}

/// Set one of the organisation's improvement actions, through the actions owner.
pub(crate) async fn set_action(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, return_id)): Path<(String, String)>,
    Submitted(form): Submitted<ActionForm>,
) -> Result<Response> {
    let mut tx = member.begin(&state).await?;
    let found = load(&mut tx, &member, &return_id, false).await?;
    if !fills(&member, &found) {
        return Err(AppError::Forbidden);
    }
    let mut errors = FormErrors::default();
    let Some(checked) = form.parse(&mut tx, member.partnership.id, &mut errors).await? else {
        member.resume(tx);
        return render(&state, &session, member, &return_id, Forms { action: form, errors, ..Forms::default() }).await;
    };
    let action = NewAction { round_return_id: Some(found.id), ..NewAction::new(checked, None) };
    let set = crate::actions::set(&mut tx, &member, &address, &action).await?;
    tx.commit().await?;
    let message = match set {
        Some(_) => format!("Improvement action set for {}", action.owner_name),
        None => "That action was already set".to_owned(),
    };
    done(&session, message, to(&member, found.id, "#actions")).await
}

/// Name the organisation's contact for the return: the business unit, from the organisation's people.
pub(crate) async fn set_contact(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, return_id)): Path<(String, String)>,
    Submitted(form): Submitted<ContactForm>,
) -> Result<Response> {
    member.require(Capability::ManageAssurance)?;
    let mut tx = member.begin(&state).await?;
    let found = load(&mut tx, &member, &return_id, true).await?;
    if found.status.is_locked() {
        tx.commit().await?;
        return done(&session, "The return is submitted: its contact no longer changes".to_owned(), to(&member, found.id, "")).await;
    }
    let Some((id, name)) = found.people.iter().find(|(id, _)| *id == form.contact).cloned() else {
        let mut errors = FormErrors::default();
        errors.add("contact", format!("Choose one of {}'s people", found.organisation_name));
        member.resume(tx);
        return render(&state, &session, member, &return_id, Forms { errors, ..Forms::default() }).await;
    };
    let contact = Uuid::parse_str(&id).map_err(|_| AppError::BadRequest)?;
    sqlx::query!(
        "update round_return set contact_membership_id = $3 where partnership_id = $1 and id = $2",
        member.partnership.id,
        found.id,
        contact
    )
    .execute(&mut *tx)
    .await?;
    change(&member, "round_return.contact_named", "round_return", found.id, &address)
        .before(json!({ "organisation": found.organisation_name, "contact": found.contact_name }))
        .after(json!({ "organisation": found.organisation_name, "contact": name }))
        .record(&mut tx)
        .await?;
    tx.commit().await?;
    done(&session, format!("{name} fills {}'s return", found.organisation_name), to(&member, found.id, "")).await
}

/// Add an evidence file to a return not yet submitted, through the papers owner.
pub(crate) async fn upload(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, return_id)): Path<(String, String)>,
    body: Request,
) -> Result<Response> {
    let mut tx = member.begin(&state).await?;
    let found = load(&mut tx, &member, &return_id, false).await?;
    if !fills(&member, &found) {
        return Err(AppError::Forbidden);
    }
    if found.status.is_locked() {
        tx.commit().await?;
        return done(&session, "The return is submitted: no more evidence is added".to_owned(), to(&member, found.id, "")).await;
    }
    // No transaction stays open while a large file arrives.
    drop(tx);
    let mut errors = FormErrors::default();
    let Some(upload) = crate::web::upload::read_document(body, "paper_title", "paper_file", &mut errors).await? else {
        return render(&state, &session, member, &return_id, Forms { errors, ..Forms::default() }).await;
    };
    let title = upload.title.clone();
    let mut tx = member.begin(&state).await?;
    let added = crate::papers::add(&mut tx, &state.files, &member, &address, Holder::RoundReturn(found.id), upload).await?;
    tx.commit().await?;
    let message = match added {
        Added::Added(_) => format!("{title} added to the evidence"),
        Added::AlreadyThere => "That file is already with the evidence".to_owned(),
    };
    done(&session, message, to(&member, found.id, "#evidence")).await
}

/// Download an evidence file: for those who read the return.
pub(crate) async fn download(
    State(state): State<AppState>,
    member: Member,
    Path((_, return_id, paper_id)): Path<(String, String, String)>,
) -> Result<Response> {
    let mut tx = member.begin(&state).await?;
    let found = load(&mut tx, &member, &return_id, false).await?;
    let paper = crate::papers::find(&mut tx, member.partnership.id, Holder::RoundReturn(found.id), &paper_id).await?;
    tx.commit().await?;
    crate::papers::download(&state.files, paper).await
}
