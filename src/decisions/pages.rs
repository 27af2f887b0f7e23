//! The decision register, raising a decision, its page with the partners'
//! responses, responding (in person or by the business manager on a
//! partner's behalf), calling a formal vote, withdrawing, and its papers.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveTime, Utc};
use serde::Deserialize;
use serde_json::json;
use tower_sessions::Session;
use uuid::Uuid;

use super::{Decision, NewDecision, Position, Stage, VoterLine, find, may_respond_for, notify, settle, uk_moment, voters};
use crate::calendar::{parse_time, uk_datetime};
use crate::db::{Tx, begin_tenant};
use crate::error::{AppError, Result};
use crate::roles::Capability;
use crate::tenant::{Member, change};
use crate::web::{
    AppState, ClientAddress, DateParts, FormErrors, Layout, Submitted, optional_text, record_id, redirect_with, required_text,
};

/// A line of the register.
pub struct RegisterLine {
    pub id: Uuid,
    pub number: i32,
    pub title: String,
    pub group_name: String,
    pub confidential: bool,
    pub stage: String,
    pub closes_at: DateTime<Utc>,
    pub outcome: Option<String>,
    pub outcome_at: Option<DateTime<Utc>>,
}

impl RegisterLine {
    pub fn outcome(&self) -> Option<super::Outcome> {
        self.outcome.as_deref().and_then(super::Outcome::from_code)
    }
    pub fn status_label(&self) -> &'static str {
        match self.outcome() {
            Some(o) => o.label(),
            None if self.stage == "vote" => "Formal vote",
            None => "Seeking consensus",
        }
    }
    pub fn status_tag(&self) -> &'static str {
        self.outcome().map(super::Outcome::tag_class).unwrap_or("govuk-tag--blue")
    }
    pub fn deadline(&self) -> String {
        uk_moment(self.closes_at)
    }
    pub fn decided_on(&self) -> String {
        self.outcome_at.map(|at| crate::calendar::long_date(crate::calendar::uk_date(at))).unwrap_or_default()
    }
}

/// Close whatever is past its deadline before a page shows it, so nobody sees
/// an open decision that has in fact closed (the background sweep does the same).
async fn settle_due(state: &AppState, member: &Member) -> Result<()> {
    let mut tx = member.begin(state).await?;
    let due = sqlx::query_scalar!(
        "select id from decision where partnership_id = $1 and outcome is null and closes_at <= now()",
        member.partnership.id
    )
    .fetch_all(&mut *tx)
    .await?;
    for id in due {
        settle(&mut tx, member.partnership.id, id, None).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The register: everything, or what the public may see; all of it or one meeting's.
pub async fn register_lines(
    tx: &mut Tx,
    partnership_id: Uuid,
    public_only: bool,
    meeting: Option<Uuid>,
) -> sqlx::Result<Vec<RegisterLine>> {
    sqlx::query_as!(
        RegisterLine,
        r#"select d.id, d.number, d.title, g.name as group_name, d.confidential, d.stage,
                  d.closes_at as "closes_at: DateTime<Utc>", d.outcome, d.outcome_at as "outcome_at: DateTime<Utc>"
           from decision d join partnership_group g on g.partnership_id = d.partnership_id and g.id = d.group_id
           where d.partnership_id = $1 and (not $2 or (not d.confidential and d.outcome is not null))
             and ($3::uuid is null or d.meeting_id = $3)
           order by d.number desc"#,
        partnership_id,
        public_only,
        meeting
    )
    .fetch_all(&mut **tx)
    .await
}

#[derive(Template, WebTemplate)]
#[template(path = "decisions/register.html")]
pub(crate) struct RegisterPage {
    layout: Layout,
    member: Member,
    open: Vec<RegisterLine>,
    decided: Vec<RegisterLine>,
    can_raise: bool,
    awaiting: Vec<Awaiting>,
}

pub(crate) async fn register(State(state): State<AppState>, session: Session, member: Member) -> Result<RegisterPage> {
    settle_due(&state, &member).await?;
    let mut tx = member.begin(&state).await?;
    let lines = register_lines(&mut tx, member.partnership.id, false, None).await?;
    let can_raise = !raisable_groups(&mut tx, &member).await?.is_empty();
    let awaiting = awaiting_in(&mut tx, member.partnership.id, member.user.id).await?;
    tx.commit().await?;
    let (open, decided) = lines.into_iter().partition(|l| l.outcome.is_none());
    Ok(RegisterPage { layout: member.layout(&session, "decisions").await?, member, open, decided, can_raise, awaiting })
}

/// A decision waiting for this person's organisation to respond.
#[derive(Clone, Debug)]
pub struct Awaiting {
    pub slug: String,
    pub partnership_name: String,
    pub id: Uuid,
    pub number: i32,
    pub title: String,
    pub stage: String,
    pub closes_at: DateTime<Utc>,
}

impl Awaiting {
    pub fn deadline(&self) -> String {
        uk_moment(self.closes_at)
    }
    pub fn is_vote(&self) -> bool {
        self.stage == "vote"
    }
}

/// What waits for this person's response in one partnership.
pub async fn awaiting_in(tx: &mut Tx, partnership_id: Uuid, user_id: Uuid) -> sqlx::Result<Vec<Awaiting>> {
    sqlx::query_as!(
        Awaiting,
        r#"select p.slug, p.name as partnership_name, d.id, d.number, d.title, d.stage, d.closes_at as "closes_at: DateTime<Utc>"
           from decision d
           join partnership p on p.id = d.partnership_id
           join decision_voter v on v.partnership_id = d.partnership_id and v.decision_id = d.id
           join membership m on m.partnership_id = d.partnership_id and m.user_id = $2 and m.organisation_id = v.organisation_id
           where d.partnership_id = $1 and d.outcome is null and d.closes_at > now()
             and not exists (select 1 from decision_response r where r.partnership_id = d.partnership_id and r.decision_id = d.id
                             and r.stage = d.stage and r.organisation_id = v.organisation_id)
             and may_speak_for(m.partnership_id, m.id, v.organisation_id, d.id)
           order by d.closes_at"#,
        partnership_id,
        user_id
    )
    .fetch_all(&mut **tx)
    .await
}

/// What awaits a person's response in every partnership they serve, each read in its own tenant context.
pub async fn awaiting(state: &AppState, user_id: Uuid) -> Result<Vec<Awaiting>> {
    let mut personal = crate::db::begin_personal(&state.db, user_id).await?;
    let partnerships =
        sqlx::query_scalar!("select partnership_id from membership where user_id = $1", user_id).fetch_all(&mut *personal).await?;
    personal.commit().await?;
    let mut all = Vec::new();
    for partnership_id in partnerships {
        let mut tx = begin_tenant(&state.db, partnership_id, Some(user_id)).await?;
        all.extend(awaiting_in(&mut tx, partnership_id, user_id).await?);
        tx.commit().await?;
    }
    all.sort_by_key(|a| a.closes_at);
    Ok(all)
}

/// The bodies this member may put a decision to: every active group for the
/// business manager, the groups they chair for a chair.
async fn raisable_groups(tx: &mut Tx, member: &Member) -> sqlx::Result<Vec<(Uuid, String)>> {
    let all = member.roles.allows(Capability::ManageDecisions);
    let rows = sqlx::query!(
        "select g.id, g.name from partnership_group g
         where g.partnership_id = $1 and g.retired_on is null
           and ($3 or exists (select 1 from group_member s where s.partnership_id = g.partnership_id and s.group_id = g.id
                               and s.membership_id = $2 and s.role_in_group = 'chair'
                               and s.starts_on <= current_date and (s.ends_on is null or s.ends_on >= current_date)))
         order by array_position(array['executive', 'accountability', 'board'], g.kind), g.sort_order, g.name",
        member.partnership.id,
        member.membership_id,
        all
    )
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows.into_iter().map(|r| (r.id, r.name)).collect())
}

/// The business manager, or the chair of the body the decision was put to.
async fn chairs_or_manages(tx: &mut Tx, member: &Member, decision: &Decision) -> sqlx::Result<bool> {
    Ok(raisable_groups(tx, member).await?.iter().any(|(id, _)| *id == decision.group_id))
}

#[derive(Deserialize, Default, Clone)]
pub(crate) struct RaiseForm {
    /// Made when the form is shown: submitting the same form twice raises one decision.
    #[serde(default)]
    decision_id: String,
    #[serde(default)]
    group_id: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    question: String,
    #[serde(default)]
    background: String,
    #[serde(default)]
    options: String,
    #[serde(default)]
    deadline_day: String,
    #[serde(default)]
    deadline_month: String,
    #[serde(default)]
    deadline_year: String,
    #[serde(default)]
    deadline_time: String,
    #[serde(default)]
    confidential: Option<String>,
    #[serde(default)]
    meeting_id: String,
    #[serde(default)]
    responds_to: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "decisions/new.html")]
struct NewPage {
    layout: Layout,
    member: Member,
    errors: FormErrors,
    form: RaiseForm,
    groups: Vec<(String, String)>,
    meetings: Vec<(String, String)>,
    partners: Vec<String>,
}

async fn new_page(state: &AppState, session: &Session, member: Member, form: RaiseForm, errors: FormErrors) -> Result<Response> {
    let mut tx = member.begin(state).await?;
    let groups = raisable_groups(&mut tx, &member).await?;
    if groups.is_empty() {
        return Err(AppError::Forbidden);
    }
    let group_ids: Vec<Uuid> = groups.iter().map(|(id, _)| *id).collect();
    let meetings = sqlx::query!(
        r#"select m.id, g.name, m.starts_at as "starts_at: DateTime<Utc>", m.ends_at as "ends_at: DateTime<Utc>"
           from meeting m join partnership_group g on g.partnership_id = m.partnership_id and g.id = m.group_id
           where m.partnership_id = $1 and m.group_id = any($2) and m.status = 'scheduled' and m.ends_at >= now() - interval '31 days'
           order by m.starts_at limit 40"#,
        member.partnership.id,
        &group_ids
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|m| (m.id.to_string(), format!("{}: {}", m.name, crate::calendar::when(m.starts_at, m.ends_at))))
    .collect();
    let partners = sqlx::query_scalar!(
        "select name from organisation where partnership_id = $1 and is_statutory_partner and retired_on is null order by name",
        member.partnership.id
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = NewPage {
        layout: member.layout(session, "decisions").await?,
        member,
        errors,
        form,
        groups: groups.into_iter().map(|(id, name)| (id.to_string(), name)).collect(),
        meetings,
        partners,
    };
    Ok((status, page).into_response())
}

pub(crate) async fn new_decision(State(state): State<AppState>, session: Session, member: Member) -> Result<Response> {
    let form = RaiseForm { decision_id: Uuid::new_v4().to_string(), deadline_time: "17:00".into(), ..RaiseForm::default() };
    new_page(&state, &session, member, form, FormErrors::default()).await
}

/// A deadline from a date and a time, in UK time; it must be in the future.
fn parse_deadline(parts: DateParts, time: &str, errors: &mut FormErrors, what: &str) -> Option<DateTime<Utc>> {
    let date = errors.check("deadline_day", parts.parse(what, true)).flatten();
    let time = if time.trim().is_empty() { Ok(NaiveTime::from_hms_opt(17, 0, 0).unwrap_or_default()) } else { parse_time(time, "time") };
    let time = errors.check("deadline_time", time);
    let (date, time) = (date?, time?);
    let Some(at) = uk_datetime(date, time) else {
        errors.add("deadline_time", "That time does not exist on that day (the clocks go forward)");
        return None;
    };
    if at <= Utc::now() {
        errors.add("deadline_day", format!("{what} must be in the future"));
        return None;
    }
    Some(at)
}

async fn validate_raise(tx: &mut Tx, member: &Member, form: &RaiseForm, errors: &mut FormErrors) -> Result<Option<NewDecision>> {
    let id = Uuid::parse_str(form.decision_id.trim()).map_err(|_| AppError::BadRequest)?;
    let groups = raisable_groups(tx, member).await?;
    let group_id = Uuid::parse_str(&form.group_id).ok().filter(|g| groups.iter().any(|(id, _)| id == g));
    if group_id.is_none() {
        errors.add("group_id", "Choose the group that takes the decision");
    }
    let title = errors.check("title", required_text(&form.title, "title", 200));
    let question = errors.check("question", required_text(&form.question, "question the partners are asked to decide", 4000));
    let background = errors.check("background", optional_text(&form.background, "background", 20000));
    let options = errors.check("options", optional_text(&form.options, "options", 10000));
    let responds_to = errors.check("responds_to", optional_text(&form.responds_to, "review or report it answers", 300));
    let parts = DateParts { day: form.deadline_day.clone(), month: form.deadline_month.clone(), year: form.deadline_year.clone() };
    let closes_at = parse_deadline(parts, &form.deadline_time, errors, "Deadline");
    let meeting_id = match form.meeting_id.trim() {
        "" => None,
        raw => {
            let meeting = match (Uuid::parse_str(raw).ok(), group_id) {
                (Some(m), Some(g)) => sqlx::query_scalar!(
                    "select id from meeting where partnership_id = $1 and id = $2 and group_id = $3 and status = 'scheduled'",
                    member.partnership.id,
                    m,
                    g
                )
                .fetch_optional(&mut **tx)
                .await?
                .map(Some),
                _ => None,
            };
            if meeting.is_none() && group_id.is_some() {
                errors.add("meeting_id", "Choose a meeting of the group that takes the decision, or none");
            }
            meeting.flatten()
        }
    };
    let partners = sqlx::query_scalar!(
        r#"select count(*) as "n!" from organisation where partnership_id = $1 and is_statutory_partner and retired_on is null"#,
        member.partnership.id
    )
    .fetch_one(&mut **tx)
    .await?;
    if partners == 0 {
        errors.add("group_id", "The partnership has no statutory partners recorded: add them under Structure first");
    }
    if !errors.is_empty() {
        return Ok(None);
    }
    Ok(match (group_id, title, question, background, options, closes_at, responds_to) {
        (Some(group_id), Some(title), Some(question), Some(background), Some(options), Some(closes_at), Some(responds_to)) => {
            Some(NewDecision {
                id,
                group_id,
                title,
                question,
                background,
                options,
                confidential: form.confidential.is_some(),
                closes_at,
                meeting_id,
                responds_to,
            })
        }
        _ => None,
    })
}

pub(crate) async fn raise(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Submitted(form): Submitted<RaiseForm>,
) -> Result<Response> {
    let mut tx = member.begin(&state).await?;
    let pid = member.partnership.id;
    let mut errors = FormErrors::default();
    let Some(d) = validate_raise(&mut tx, &member, &form, &mut errors).await? else {
        drop(tx);
        return new_page(&state, &session, member, form, errors).await;
    };
    let Some(raised) = super::put_to_partners(&mut tx, pid, member.user.id, &d).await? else {
        // The same form submitted again: show what the first submission raised.
        let raised_by = sqlx::query_scalar!("select raised_by from decision where partnership_id = $1 and id = $2", pid, d.id)
            .fetch_optional(&mut *tx)
            .await?;
        if raised_by != Some(member.user.id) {
            return Err(AppError::BadRequest);
        }
        let to = format!("/p/{}/decisions/{}", member.partnership.slug, d.id);
        return redirect_with(&session, "That decision was already raised".into(), to).await;
    };
    let number = raised.number;
    change(&member, "decision.raised", "decision", d.id, &address)
        .after(json!({
            "number": number, "group_id": d.group_id, "title": d.title, "question": d.question, "background": d.background,
            "options": d.options, "confidential": d.confidential, "meeting_id": d.meeting_id, "responds_to": d.responds_to,
            "closes_at": d.closes_at, "quorum": raised.quorum_sectors, "majority_vote": raised.rule.majority_vote,
            "majority_of": raised.rule.majority_of.code(), "voters": raised.voters,
        }))
        .record(&mut tx)
        .await?;
    let subject = format!("Decision D{number} needs your response by {}", uk_moment(d.closes_at));
    let body = format!(
        "{} has asked the partners to decide:\n\n{}\n\n{}\n\nRespond online in Partnership Hub by {}.\n",
        member.user.display_name,
        d.title,
        d.question,
        uk_moment(d.closes_at)
    );
    notify(&mut tx, pid, d.id, None, &subject, &body, "decision-raised").await?;
    tx.commit().await?;
    redirect_with(&session, format!("Decision D{number} raised: {}", d.title), format!("/p/{}/decisions/{}", member.partnership.slug, d.id))
        .await
}

/// One version of a response, for the full record.
pub struct HistoryLine {
    pub stage: String,
    pub organisation_name: String,
    pub version: i32,
    pub position: String,
    pub comment: String,
    pub recorded_by_name: String,
    pub on_behalf: bool,
    pub evidence: String,
    pub responded_at: DateTime<Utc>,
}

impl HistoryLine {
    pub fn position_label(&self) -> &'static str {
        Position::from_code(&self.position).map(|p| p.label(&Stage::from_code(&self.stage))).unwrap_or("")
    }
    pub fn when(&self) -> String {
        uk_moment(self.responded_at)
    }
    pub fn stage_label(&self) -> &'static str {
        if self.stage == "vote" { "Formal vote" } else { "Consensus" }
    }
}

#[derive(Deserialize, Default, Clone)]
pub(crate) struct ResponseForm {
    #[serde(default)]
    position: String,
    #[serde(default)]
    comment: String,
    #[serde(default)]
    evidence: String,
    /// The version of the organisation's response this person saw (0 for none).
    #[serde(default)]
    seen_version: String,
}

#[derive(Deserialize, Default, Clone)]
pub(crate) struct VoteForm {
    #[serde(default)]
    deadline_day: String,
    #[serde(default)]
    deadline_month: String,
    #[serde(default)]
    deadline_year: String,
    #[serde(default)]
    deadline_time: String,
}

#[derive(Deserialize, Default, Clone)]
pub(crate) struct WithdrawForm {
    #[serde(default)]
    reason: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "decisions/decision.html")]
struct DecisionPage {
    layout: Layout,
    member: Member,
    decision: Decision,
    stage: Stage,
    voters: Vec<VoterLine>,
    /// The consensus stage's record once a vote has been called.
    consensus: Vec<VoterLine>,
    history: Vec<HistoryLine>,
    papers: Vec<crate::meetings::Paper>,
    /// The organisation this person speaks for, with its current response.
    my_voice: Option<VoterLine>,
    /// Why this person cannot respond, when they cannot.
    cannot_respond: Option<String>,
    can_manage: bool,
    can_call_vote: bool,
    can_withdraw: bool,
    can_add_papers: bool,
    deputies: Vec<String>,
    errors: FormErrors,
    response: ResponseForm,
    vote: VoteForm,
    withdraw: WithdrawForm,
    outcome_explained: String,
    quorum_names: Vec<String>,
}

async fn find_decision(tx: &mut Tx, member: &Member, raw_id: &str) -> Result<Decision> {
    let id = record_id(raw_id)?;
    find(tx, member.partnership.id, id).await?.ok_or(AppError::NotFound)
}

struct PageForms {
    errors: FormErrors,
    response: ResponseForm,
    vote: VoteForm,
    withdraw: WithdrawForm,
}

impl Default for PageForms {
    fn default() -> Self {
        PageForms {
            errors: FormErrors::default(),
            response: ResponseForm::default(),
            vote: VoteForm { deadline_time: "17:00".into(), ..VoteForm::default() },
            withdraw: WithdrawForm::default(),
        }
    }
}

async fn render(state: &AppState, session: &Session, member: Member, raw_id: &str, forms: PageForms) -> Result<Response> {
    settle_due(state, &member).await?;
    let mut tx = member.begin(state).await?;
    let pid = member.partnership.id;
    let decision = find_decision(&mut tx, &member, raw_id).await?;
    let stage = decision.stage();
    let lines = voters(&mut tx, pid, decision.id, stage).await?;
    let consensus = if stage == Stage::Vote { voters(&mut tx, pid, decision.id, Stage::Consensus).await? } else { Vec::new() };
    let history = sqlx::query_as!(
        HistoryLine,
        r#"select h.stage, o.name as organisation_name, h.version, h.position, h.comment, u.display_name as recorded_by_name,
                  h.on_behalf, h.evidence, h.responded_at as "responded_at: DateTime<Utc>"
           from decision_response_history h
           join organisation o on o.partnership_id = h.partnership_id and o.id = h.organisation_id
           join app_user u on u.id = h.recorded_by
           where h.partnership_id = $1 and h.decision_id = $2 order by h.id"#,
        pid,
        decision.id
    )
    .fetch_all(&mut *tx)
    .await?;
    let papers = sqlx::query_as!(
        crate::meetings::Paper,
        "select id, title, filename, content_type, size_bytes from paper where partnership_id = $1 and decision_id = $2 order by uploaded_at",
        pid,
        decision.id
    )
    .fetch_all(&mut *tx)
    .await?;
    let mine = may_respond_for(&mut tx, pid, decision.id, member.user.id).await?;
    let my_voice = lines.iter().find(|l| mine.contains(&l.organisation_id)).cloned();
    let cannot_respond = if my_voice.is_some() {
        None
    } else if member.roles.has(crate::roles::Role::DelegatedSafeguardingPartner) || member.roles.has(crate::roles::Role::Deputy) {
        Some(match &member.organisation_name {
            Some(org) => format!("{org} has no voice in this decision, or you have not been nominated to give it."),
            None => "Your account is not linked to a statutory partner organisation, so you cannot respond.".to_owned(),
        })
    } else {
        Some("Only each statutory partner's delegated safeguarding partner, or a deputy they nominate, can respond.".to_owned())
    };
    let manages = chairs_or_manages(&mut tx, &member, &decision).await?;
    let can_manage = member.roles.allows(Capability::ManageDecisions);
    let consensus_reached = !lines.is_empty() && lines.iter().all(|l| l.position() == Some(Position::Agree));
    let anyone_objects = lines.iter().any(|l| matches!(l.position(), Some(Position::Disagree | Position::Abstain)));
    let can_call_vote =
        decision.is_open() && stage == Stage::Consensus && decision.majority_vote && manages && anyone_objects && !consensus_reached;
    let can_withdraw = decision.is_open() && (manages || decision.raised_by == member.user.id);
    let deputies = sqlx::query_scalar!(
        r#"select u.display_name || ' (' || o.name || ')' as "d!"
           from decision_deputy n
           join membership m on m.partnership_id = n.partnership_id and m.id = n.membership_id
           join app_user u on u.id = m.user_id
           join organisation o on o.partnership_id = n.partnership_id and o.id = n.organisation_id
           where n.partnership_id = $1 and n.decision_id = $2 and n.revoked_at is null order by o.name"#,
        pid,
        decision.id
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    let name_of = |sector: &str| {
        lines
            .iter()
            .find(|l| l.sector == sector)
            .map(|l| l.organisation_name.clone())
            .unwrap_or_else(|| crate::structure::Sector::label_of(sector).to_owned())
    };
    let quorum_names = decision
        .quorum()
        .requirements
        .iter()
        .map(|alternatives| alternatives.iter().map(|s| name_of(s)).collect::<Vec<_>>().join(" or "))
        .collect();
    let outcome_explained = decision.outcome_note.clone();
    let mut response = forms.response;
    if forms.errors.is_empty() || response.seen_version.is_empty() {
        response.seen_version = my_voice.as_ref().and_then(|v| v.version).unwrap_or(0).to_string();
    }
    if forms.errors.is_empty()
        && let Some(voice) = &my_voice
    {
        response.position = voice.position.clone().unwrap_or_default();
        response.comment = voice.comment.clone().unwrap_or_default();
    }
    let status = if forms.errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = DecisionPage {
        layout: member.layout(session, "decisions").await?,
        can_add_papers: decision.is_open() && (manages || decision.raised_by == member.user.id),
        member,
        stage,
        voters: lines,
        consensus,
        history,
        papers,
        my_voice,
        cannot_respond,
        can_manage,
        can_call_vote,
        can_withdraw,
        deputies,
        errors: forms.errors,
        response,
        vote: forms.vote,
        withdraw: forms.withdraw,
        outcome_explained,
        quorum_names,
        decision,
    };
    Ok((status, page).into_response())
}

pub(crate) async fn decision_page(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Path((_, decision_id)): Path<(String, String)>,
) -> Result<Response> {
    render(&state, &session, member, &decision_id, PageForms::default()).await
}

/// Why a response cannot be taken now, or None when the stage is open.
fn closed_message(decision: &Decision) -> Option<String> {
    match decision.outcome() {
        Some(outcome) => Some(format!(
            "This decision closed on {} ({}): responses can no longer be given",
            decision.decided_on(),
            outcome.label().to_lowercase()
        )),
        None if decision.closes_at <= Utc::now() => Some("The deadline for responses has passed".to_owned()),
        None => None,
    }
}

enum Recorded {
    Saved,
    Unchanged,
    /// Someone else changed the organisation's response since this person loaded the page.
    Conflict(String),
}

/// Write an organisation's response unless someone changed it since `seen`
/// (the decision row is locked by the caller, and the primary key keeps one
/// current response per organisation and stage whatever happens).
/// A response as submitted, for one organisation.
struct GivenResponse<'a> {
    organisation_id: Uuid,
    position: Position,
    comment: &'a str,
    /// Set when the business manager records it on the partner's behalf.
    proxy_evidence: Option<&'a str>,
    /// The version of the organisation's response the person saw (0 for none).
    seen: i32,
}

async fn record_response(tx: &mut Tx, member: &Member, address: &str, decision: &Decision, given: GivenResponse<'_>) -> Result<Recorded> {
    let GivenResponse { organisation_id, position, comment, proxy_evidence, seen } = given;
    let pid = member.partnership.id;
    let stage = decision.stage();
    let current = sqlx::query!(
        r#"select r.version, r.position, r.comment, u.display_name, r.responded_at as "responded_at: DateTime<Utc>"
           from decision_response r join app_user u on u.id = r.recorded_by
           where r.partnership_id = $1 and r.decision_id = $2 and r.stage = $3 and r.organisation_id = $4"#,
        pid,
        decision.id,
        stage.code(),
        organisation_id
    )
    .fetch_optional(&mut **tx)
    .await?;
    if let Some(c) = &current {
        if c.position == position.code() && c.comment == comment {
            return Ok(Recorded::Unchanged);
        }
        if c.version != seen {
            let said = Position::from_code(&c.position).map(|p| p.label(&stage)).unwrap_or("");
            return Ok(Recorded::Conflict(format!(
                "{} recorded your organisation's response ({said}) on {} while you had this page open. Their response stands: read it, then submit yours again if you still want to change it",
                c.display_name,
                uk_moment(c.responded_at)
            )));
        }
    }
    let (on_behalf, evidence) = (proxy_evidence.is_some(), proxy_evidence.unwrap_or(""));
    let written = match current {
        None => sqlx::query_scalar!(
            "insert into decision_response (partnership_id, decision_id, stage, organisation_id, position, comment, recorded_by, on_behalf, evidence)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9) on conflict do nothing returning version",
            pid,
            decision.id,
            stage.code(),
            organisation_id,
            position.code(),
            comment,
            member.user.id,
            on_behalf,
            evidence
        )
        .fetch_optional(&mut **tx)
        .await?,
        Some(_) => sqlx::query_scalar!(
            "update decision_response set position = $5, comment = $6, recorded_by = $7, on_behalf = $8, evidence = $9,
                    version = version + 1, responded_at = now()
             where partnership_id = $1 and decision_id = $2 and stage = $3 and organisation_id = $4 and version = $10
             returning version",
            pid,
            decision.id,
            stage.code(),
            organisation_id,
            position.code(),
            comment,
            member.user.id,
            on_behalf,
            evidence,
            seen
        )
        .fetch_optional(&mut **tx)
        .await?,
    };
    let Some(version) = written else {
        return Ok(Recorded::Conflict(
            "Your organisation's response changed while you were submitting: read it, then submit again".to_owned(),
        ));
    };
    let action = if on_behalf { "decision.response_recorded_on_behalf" } else { "decision.responded" };
    change(member, action, "decision", decision.id, address)
        .after(json!({
            "organisation_id": organisation_id, "stage": stage.code(), "position": position.code(), "comment": comment,
            "version": version, "evidence": evidence,
        }))
        .record(tx)
        .await?;
    Ok(Recorded::Saved)
}

/// The response on the form; a hidden version that is not a number is a tampered form, not a typing slip.
fn parse_response(form: &ResponseForm, errors: &mut FormErrors, stage: Stage) -> Result<Option<(Position, String, i32)>> {
    let position = Position::from_code(&form.position);
    if position.is_none() {
        errors.add(
            "position",
            if stage == Stage::Vote {
                "Choose whether you vote for, against or abstain"
            } else {
                "Choose whether you agree, disagree or abstain"
            },
        );
    }
    let comment = errors.check("comment", optional_text(&form.comment, "comment", 4000));
    let seen = form.seen_version.trim().parse::<i32>().map_err(|_| AppError::BadRequest)?;
    Ok(position.zip(comment).map(|(p, c)| (p, c, seen)))
}

pub(crate) async fn respond(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, decision_id)): Path<(String, String)>,
    Submitted(form): Submitted<ResponseForm>,
) -> Result<Response> {
    let mut tx = member.begin(&state).await?;
    let pid = member.partnership.id;
    let id = record_id(&decision_id)?;
    // Everything about this decision waits here for the one before it.
    settle(&mut tx, pid, id, None).await?;
    let decision = find_decision(&mut tx, &member, &decision_id).await?;
    let organisation_id = *may_respond_for(&mut tx, pid, decision.id, member.user.id).await?.first().ok_or(AppError::Forbidden)?;
    let mut errors = FormErrors::default();
    if let Some(message) = closed_message(&decision) {
        tx.commit().await?;
        errors.add("position", message);
        return render(&state, &session, member, &decision_id, PageForms { errors, response: form, ..PageForms::default() }).await;
    }
    let Some((position, comment, seen)) = parse_response(&form, &mut errors, decision.stage())?.filter(|_| errors.is_empty()) else {
        drop(tx);
        return render(&state, &session, member, &decision_id, PageForms { errors, response: form, ..PageForms::default() }).await;
    };
    let outcome = match record_response(
        &mut tx,
        &member,
        &address,
        &decision,
        GivenResponse { organisation_id, position, comment: &comment, proxy_evidence: None, seen },
    )
    .await?
    {
        Recorded::Conflict(message) => {
            drop(tx);
            errors.add("position", message);
            return render(
                &state,
                &session,
                member,
                &decision_id,
                PageForms { errors, response: ResponseForm { seen_version: String::new(), ..form }, ..PageForms::default() },
            )
            .await;
        }
        Recorded::Unchanged => None,
        Recorded::Saved => settle(&mut tx, pid, decision.id, Some(member.user.id)).await?,
    };
    tx.commit().await?;
    let message = match outcome {
        Some(o) => format!("Your response is recorded. Every partner has now responded: {}", o.label().to_lowercase()),
        None => format!("Your response to D{} is recorded: {}", decision.number, position.label(&decision.stage())),
    };
    redirect_with(&session, message, format!("/p/{}/decisions/{}", member.partnership.slug, decision.id)).await
}

#[derive(Template, WebTemplate)]
#[template(path = "decisions/proxy.html")]
struct ProxyPage {
    layout: Layout,
    member: Member,
    decision: Decision,
    stage: Stage,
    voice: VoterLine,
    errors: FormErrors,
    form: ResponseForm,
}

async fn proxy_form(
    state: &AppState,
    session: &Session,
    member: Member,
    decision_id: &str,
    organisation_id: &str,
    errors: FormErrors,
    form: Option<ResponseForm>,
) -> Result<Response> {
    member.require(Capability::ManageDecisions)?;
    let mut tx = member.begin(state).await?;
    let decision = find_decision(&mut tx, &member, decision_id).await?;
    let organisation_id = record_id(organisation_id)?;
    let voice = voters(&mut tx, member.partnership.id, decision.id, decision.stage())
        .await?
        .into_iter()
        .find(|l| l.organisation_id == organisation_id)
        .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    let mut form = form.unwrap_or_else(|| ResponseForm {
        position: voice.position.clone().unwrap_or_default(),
        comment: voice.comment.clone().unwrap_or_default(),
        ..ResponseForm::default()
    });
    if form.seen_version.is_empty() {
        form.seen_version = voice.version.unwrap_or(0).to_string();
    }
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page =
        ProxyPage { layout: member.layout(session, "decisions").await?, stage: decision.stage(), member, decision, voice, errors, form };
    Ok((status, page).into_response())
}

pub(crate) async fn proxy_page(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Path((_, decision_id, organisation_id)): Path<(String, String, String)>,
) -> Result<Response> {
    proxy_form(&state, &session, member, &decision_id, &organisation_id, FormErrors::default(), None).await
}

pub(crate) async fn record_proxy(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, decision_id, organisation_raw)): Path<(String, String, String)>,
    Submitted(form): Submitted<ResponseForm>,
) -> Result<Response> {
    member.require(Capability::ManageDecisions)?;
    let mut tx = member.begin(&state).await?;
    let pid = member.partnership.id;
    let id = record_id(&decision_id)?;
    settle(&mut tx, pid, id, None).await?;
    let decision = find_decision(&mut tx, &member, &decision_id).await?;
    let organisation_id = record_id(&organisation_raw)?;
    let voice = voters(&mut tx, pid, decision.id, decision.stage())
        .await?
        .into_iter()
        .find(|l| l.organisation_id == organisation_id)
        .ok_or(AppError::NotFound)?;
    let mut errors = FormErrors::default();
    if let Some(message) = closed_message(&decision) {
        tx.commit().await?;
        errors.add("position", message);
        return proxy_form(&state, &session, member, &decision_id, &organisation_raw, errors, Some(form)).await;
    }
    let parsed = parse_response(&form, &mut errors, decision.stage())?;
    let evidence = errors.check(
        "evidence",
        match form.evidence.trim() {
            "" => Err("Enter how the partner gave this response, for example by email or at a meeting".to_owned()),
            _ => required_text(&form.evidence, "evidence", 2000),
        },
    );
    let (Some((position, comment, seen)), Some(evidence)) = (parsed, evidence) else {
        drop(tx);
        return proxy_form(&state, &session, member, &decision_id, &organisation_raw, errors, Some(form)).await;
    };
    if !errors.is_empty() {
        drop(tx);
        return proxy_form(&state, &session, member, &decision_id, &organisation_raw, errors, Some(form)).await;
    }
    let outcome = match record_response(
        &mut tx,
        &member,
        &address,
        &decision,
        GivenResponse { organisation_id, position, comment: &comment, proxy_evidence: Some(&evidence), seen },
    )
    .await?
    {
        Recorded::Conflict(message) => {
            drop(tx);
            errors.add("position", message);
            return proxy_form(
                &state,
                &session,
                member,
                &decision_id,
                &organisation_raw,
                errors,
                Some(ResponseForm { seen_version: String::new(), ..form }),
            )
            .await;
        }
        Recorded::Unchanged => None,
        Recorded::Saved => settle(&mut tx, pid, decision.id, Some(member.user.id)).await?,
    };
    tx.commit().await?;
    let mut message = format!("{}'s response recorded on their behalf: {}", voice.organisation_name, position.label(&decision.stage()));
    if let Some(o) = outcome {
        message = format!("{message}. Every partner has now responded: {}", o.label().to_lowercase());
    }
    redirect_with(&session, message, format!("/p/{}/decisions/{}", member.partnership.slug, decision.id)).await
}

pub(crate) async fn call_vote(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, decision_id)): Path<(String, String)>,
    Submitted(form): Submitted<VoteForm>,
) -> Result<Response> {
    let mut tx = member.begin(&state).await?;
    let pid = member.partnership.id;
    let id = record_id(&decision_id)?;
    settle(&mut tx, pid, id, None).await?;
    let decision = find_decision(&mut tx, &member, &decision_id).await?;
    if !chairs_or_manages(&mut tx, &member, &decision).await? {
        return Err(AppError::Forbidden);
    }
    let mut errors = FormErrors::default();
    let lines = voters(&mut tx, pid, decision.id, Stage::Consensus).await?;
    if let Some(message) = closed_message(&decision) {
        errors.add("deadline_day", message);
    } else if decision.stage() == Stage::Vote {
        errors.add("deadline_day", "A formal vote has already been called");
    } else if !decision.majority_vote {
        errors.add("deadline_day", "This body's rules do not provide for a formal vote");
    } else if !lines.iter().any(|l| matches!(l.position(), Some(Position::Disagree | Position::Abstain))) {
        errors.add("deadline_day", "A vote can be called once a partner has disagreed or abstained: there is no disagreement yet");
    }
    let parts = DateParts { day: form.deadline_day.clone(), month: form.deadline_month.clone(), year: form.deadline_year.clone() };
    let closes_at = if errors.is_empty() { parse_deadline(parts, &form.deadline_time, &mut errors, "Deadline for votes") } else { None };
    let Some(closes_at) = closes_at.filter(|_| errors.is_empty()) else {
        tx.commit().await?;
        return render(&state, &session, member, &decision_id, PageForms { errors, vote: form, ..PageForms::default() }).await;
    };
    sqlx::query!(
        "update decision set stage = 'vote', vote_called_by = $3, vote_called_at = now(), closes_at = $4 where partnership_id = $1 and id = $2",
        pid,
        decision.id,
        member.user.id,
        closes_at as _
    )
    .execute(&mut *tx)
    .await?;
    change(&member, "decision.vote_called", "decision", decision.id, &address)
        .before(json!({ "stage": "consensus", "closes_at": decision.closes_at }))
        .after(json!({
            "stage": "vote", "closes_at": closes_at,
            "consensus": lines.iter().map(|l| json!({ "organisation": l.organisation_name, "position": l.position })).collect::<Vec<_>>(),
        }))
        .record(&mut tx)
        .await?;
    let subject = format!("Formal vote on decision D{}: vote by {}", decision.number, uk_moment(closes_at));
    let body = format!(
        "Consensus was not reached on decision D{} ({}), so {} has called a formal vote.\n\nEach partner has one vote. Vote online in Partnership Hub by {}.\n",
        decision.number,
        decision.title,
        member.user.display_name,
        uk_moment(closes_at)
    );
    notify(&mut tx, pid, decision.id, None, &subject, &body, "decision-vote").await?;
    tx.commit().await?;
    redirect_with(
        &session,
        format!("Formal vote called on D{}: votes close {}", decision.number, uk_moment(closes_at)),
        format!("/p/{}/decisions/{}", member.partnership.slug, decision.id),
    )
    .await
}

pub(crate) async fn withdraw(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, decision_id)): Path<(String, String)>,
    Submitted(form): Submitted<WithdrawForm>,
) -> Result<Response> {
    let mut tx = member.begin(&state).await?;
    let pid = member.partnership.id;
    let id = record_id(&decision_id)?;
    settle(&mut tx, pid, id, None).await?;
    let decision = find_decision(&mut tx, &member, &decision_id).await?;
    if !chairs_or_manages(&mut tx, &member, &decision).await? && decision.raised_by != member.user.id {
        return Err(AppError::Forbidden);
    }
    let mut errors = FormErrors::default();
    if let Some(outcome) = decision.outcome() {
        errors.add("reason", format!("This decision has already closed ({}): its outcome cannot change", outcome.label().to_lowercase()));
    }
    let reason = errors.check("reason", required_text(&form.reason, "reason for withdrawing the decision", 2000));
    let Some(reason) = reason.filter(|_| errors.is_empty()) else {
        tx.commit().await?;
        return render(&state, &session, member, &decision_id, PageForms { errors, withdraw: form, ..PageForms::default() }).await;
    };
    sqlx::query!(
        "update decision set outcome = 'withdrawn', outcome_at = now(), outcome_note = $3, closed_by = $4 where partnership_id = $1 and id = $2",
        pid,
        decision.id,
        reason,
        member.user.id
    )
    .execute(&mut *tx)
    .await?;
    change(&member, "decision.withdrawn", "decision", decision.id, &address)
        .before(json!({ "stage": decision.stage, "closes_at": decision.closes_at }))
        .after(json!({ "outcome": "withdrawn", "reason": reason }))
        .record(&mut tx)
        .await?;
    let subject = format!("Decision D{} withdrawn", decision.number);
    let body = format!(
        "Decision D{} ({}) has been withdrawn by {}.\n\nReason: {reason}\n",
        decision.number, decision.title, member.user.display_name
    );
    notify(&mut tx, pid, decision.id, Some(decision.raised_by), &subject, &body, "decision-withdrawn").await?;
    tx.commit().await?;
    redirect_with(
        &session,
        format!("Decision D{} withdrawn", decision.number),
        format!("/p/{}/decisions/{}", member.partnership.slug, decision.id),
    )
    .await
}

pub(crate) async fn upload_paper(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, decision_id)): Path<(String, String)>,
    request: Request,
) -> Result<Response> {
    let mut tx = member.begin(&state).await?;
    let decision = find_decision(&mut tx, &member, &decision_id).await?;
    if !(chairs_or_manages(&mut tx, &member, &decision).await? || decision.raised_by == member.user.id) {
        return Err(AppError::Forbidden);
    }
    drop(tx);
    let mut errors = FormErrors::default();
    if !decision.is_open() {
        errors.add("paper_file", "Papers cannot be added to a closed decision");
        return render(&state, &session, member, &decision_id, PageForms { errors, ..PageForms::default() }).await;
    }
    let Some(upload) = crate::web::upload::read_document(request, "paper_title", "paper_file", &mut errors).await? else {
        return render(&state, &session, member, &decision_id, PageForms { errors, ..PageForms::default() }).await;
    };
    let pid = member.partnership.id;
    let to = format!("/p/{}/decisions/{}", member.partnership.slug, decision.id);
    let mut tx = member.begin(&state).await?;
    let duplicate = sqlx::query_scalar!(
        r#"select exists (select 1 from paper where partnership_id = $1 and decision_id = $2 and sha256 = $3) as "e!""#,
        pid,
        decision.id,
        upload.sha256
    )
    .fetch_one(&mut *tx)
    .await?;
    if duplicate {
        return redirect_with(&session, "That file is already among the papers".into(), to).await;
    }
    let id = Uuid::new_v4();
    let key = format!("{pid}/papers/{id}");
    let size = upload.bytes.len() as i64;
    crate::files::store(&state.files, &key, upload.bytes).await?;
    let inserted = sqlx::query!(
        "insert into paper (partnership_id, id, decision_id, title, filename, content_type, size_bytes, sha256, storage_key, uploaded_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) on conflict (partnership_id, decision_id, sha256) do nothing",
        pid,
        id,
        decision.id,
        upload.title,
        upload.filename,
        upload.content_type,
        size,
        upload.sha256,
        key,
        member.user.id
    )
    .execute(&mut *tx)
    .await?;
    if inserted.rows_affected() == 1 {
        change(&member, "paper.uploaded", "paper", id, &address)
            .after(json!({ "decision_id": decision.id, "title": upload.title, "filename": upload.filename, "content_type": upload.content_type, "size_bytes": size, "sha256": upload.sha256 }))
            .record(&mut tx)
            .await?;
    }
    tx.commit().await?;
    redirect_with(&session, format!("{} added to the papers", upload.title), to).await
}

pub(crate) async fn download_paper(
    State(state): State<AppState>,
    member: Member,
    Path((_, decision_id, paper_id)): Path<(String, String, String)>,
) -> Result<Response> {
    let mut tx = member.begin(&state).await?;
    let decision = find_decision(&mut tx, &member, &decision_id).await?;
    let paper = sqlx::query!(
        "select filename, content_type, storage_key from paper where partnership_id = $1 and decision_id = $2 and id = $3",
        member.partnership.id,
        decision.id,
        record_id(&paper_id)?
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    crate::files::download(&state.files, &paper.storage_key, &paper.filename, paper.content_type).await
}
