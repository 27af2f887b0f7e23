//! One decision's page: the question, papers, each partner's voice and its
//! history, the stage, and the outcome once it is locked.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use sqlx::types::Json;
use tower_sessions::Session;
use uuid::Uuid;

use super::raise::manages_body;
use super::{Decision, Position, Stage, VoterLine, find, settle, uk_moment, voters_in};
use crate::db::Tx;
use crate::error::{AppError, Result};
use crate::roles::Capability;
use crate::tenant::Member;
use crate::web::{AppState, FormErrors, Layout, record_id};

/// One version of a response, for the full record.
#[derive(Debug, Deserialize)]
pub struct HistoryLine {
    pub stage: Stage,
    pub organisation_name: String,
    pub version: i32,
    pub position: Position,
    pub comment: String,
    pub recorded_by_name: String,
    pub on_behalf: bool,
    pub evidence: String,
    pub responded_at: DateTime<Utc>,
}

impl HistoryLine {
    pub fn position_label(&self) -> &'static str {
        self.position.label(&self.stage)
    }
    pub fn when(&self) -> String {
        uk_moment(self.responded_at)
    }
    pub fn stage_label(&self) -> &'static str {
        if self.stage == Stage::Vote { "Formal vote" } else { "Consensus" }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "decisions/decision.html")]
pub(super) struct DecisionPage {
    pub(super) layout: Layout,
    pub(super) member: Member,
    pub(super) decision: Decision,
    pub(super) stage: Stage,
    pub(super) voters: Vec<VoterLine>,
    /// The consensus stage's record once a vote has been called.
    pub(super) consensus: Vec<VoterLine>,
    pub(super) history: Vec<HistoryLine>,
    pub(super) papers: Vec<crate::papers::Paper>,
    /// The organisation this person speaks for, with its current response.
    pub(super) my_voice: Option<VoterLine>,
    /// Why this person cannot respond, when they cannot.
    pub(super) cannot_respond: Option<String>,
    pub(super) can_manage: bool,
    pub(super) can_call_vote: bool,
    pub(super) can_withdraw: bool,
    pub(super) can_add_papers: bool,
    pub(super) deputies: Vec<String>,
    pub(super) errors: FormErrors,
    pub(super) response: ResponseForm,
    pub(super) vote: VoteForm,
    pub(super) withdraw: WithdrawForm,
    pub(super) outcome_explained: String,
    pub(super) quorum_names: Vec<String>,
}

/// This person's part in a decision and what the page shows of its record,
/// in one statement: the organisations they may respond for, whether they
/// manage it (`raise::manages_body`), the deputies nominated for it, every
/// version of every response, and its papers.
struct MyPart {
    speaks_for: Vec<Uuid>,
    manages: bool,
    deputies: Vec<String>,
    history: Vec<HistoryLine>,
    papers: Vec<crate::papers::Paper>,
}

async fn my_part(tx: &mut Tx, member: &Member, decision: &Decision) -> sqlx::Result<MyPart> {
    let row = sqlx::query!(
        r#"select array(select v.organisation_id from decision_voter v
                         where v.partnership_id = $1 and v.decision_id = $2
                           and may_speak_for(v.partnership_id, $3, v.organisation_id, v.decision_id)
                         order by v.organisation_id) as "speaks_for!",
                  exists (select 1 from partnership_group g where g.partnership_id = $1 and g.id = $4 and g.retired_on is null)
                      as "sitting!",
                  array(select u.display_name || ' (' || o.name || ')'
                        from decision_deputy n
                        join membership m on m.partnership_id = n.partnership_id and m.id = n.membership_id
                        join app_user u on u.id = m.user_id
                        join organisation o on o.partnership_id = n.partnership_id and o.id = n.organisation_id
                        where n.partnership_id = $1 and n.decision_id = $2 and n.revoked_at is null order by o.name) as "deputies!",
                  coalesce((select json_agg(x order by x.id)
                            from (select h.id, h.stage, o.name as organisation_name, h.version, h.position, h.comment,
                                         u.display_name as recorded_by_name, h.on_behalf, h.evidence, h.responded_at
                                  from decision_response_history h
                                  join organisation o on o.partnership_id = h.partnership_id and o.id = h.organisation_id
                                  join app_user u on u.id = h.recorded_by
                                  where h.partnership_id = $1 and h.decision_id = $2) x), '[]') as "history!: Json<Vec<HistoryLine>>",
                  coalesce((select json_agg(x order by x.uploaded_at)
                            from (select p.id, p.title, p.filename, p.content_type, p.size_bytes, p.uploaded_at from paper p
                                  where p.partnership_id = $1 and p.decision_id = $2) x), '[]') as "papers!: Json<Vec<crate::papers::Paper>>""#,
        member.partnership.id,
        decision.id,
        member.membership_id,
        decision.group_id
    )
    .fetch_one(&mut **tx)
    .await?;
    Ok(MyPart {
        speaks_for: row.speaks_for,
        manages: manages_body(member, decision.group_id, row.sitting),
        deputies: row.deputies,
        history: row.history.0,
        papers: row.papers.0,
    })
}

pub(super) async fn find_decision(tx: &mut Tx, member: &Member, raw_id: &str) -> Result<Decision> {
    let id = record_id(raw_id)?;
    find(tx, member.partnership.id, id).await?.ok_or(AppError::NotFound)
}

pub(super) struct PageForms {
    pub(super) errors: FormErrors,
    pub(super) response: ResponseForm,
    pub(super) vote: VoteForm,
    pub(super) withdraw: WithdrawForm,
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

pub(super) async fn render(state: &AppState, session: &Session, member: Member, raw_id: &str, forms: PageForms) -> Result<Response> {
    let mut tx = member.begin(state).await?;
    let pid = member.partnership.id;
    let mut decision = find_decision(&mut tx, &member, raw_id).await?;
    // Past its deadline and not yet closed by the sweep: closed now, so the page never shows it open.
    if decision.is_open() && decision.closes_at <= chrono::Utc::now() {
        settle(&mut tx, pid, decision.id, None).await?;
        decision = find_decision(&mut tx, &member, raw_id).await?;
    }
    let stage = decision.stage();
    // At the vote, the consensus round's lines too.
    let stages: &[Stage] = if stage == Stage::Vote { &[Stage::Vote, Stage::Consensus] } else { &[stage] };
    let (lines, consensus): (Vec<VoterLine>, Vec<VoterLine>) =
        voters_in(&mut tx, pid, decision.id, stages).await?.into_iter().partition(|l| l.stage == stage);
    let part = my_part(&mut tx, &member, &decision).await?;
    let (history, papers) = (part.history, part.papers);
    let mine = part.speaks_for;
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
    let manages = part.manages;
    let can_manage = member.roles.allows(Capability::ManageDecisions);
    let consensus_reached = !lines.is_empty() && lines.iter().all(|l| l.position() == Some(Position::Agree));
    let anyone_objects = lines.iter().any(|l| matches!(l.position(), Some(Position::Disagree | Position::Abstain)));
    let can_call_vote =
        decision.is_open() && stage == Stage::Consensus && decision.majority_vote && manages && anyone_objects && !consensus_reached;
    let can_withdraw = decision.is_open() && (manages || decision.raised_by == member.user.id);
    let deputies = part.deputies;
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
        response.position = voice.position.map(|p| p.code().to_owned()).unwrap_or_default();
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
pub(super) fn closed_message(decision: &Decision) -> Option<String> {
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

#[derive(Deserialize, Default, Clone)]
pub(crate) struct ResponseForm {
    #[serde(default)]
    pub(super) position: String,
    #[serde(default)]
    pub(super) comment: String,
    #[serde(default)]
    pub(super) evidence: String,
    /// The version of the organisation's response this person saw (0 for none).
    #[serde(default)]
    pub(super) seen_version: String,
}

#[derive(Deserialize, Default, Clone)]
pub(crate) struct VoteForm {
    #[serde(default)]
    pub(super) deadline_day: String,
    #[serde(default)]
    pub(super) deadline_month: String,
    #[serde(default)]
    pub(super) deadline_year: String,
    #[serde(default)]
    pub(super) deadline_time: String,
}

#[derive(Deserialize, Default, Clone)]
pub(crate) struct WithdrawForm {
    #[serde(default)]
    pub(super) reason: String,
}
