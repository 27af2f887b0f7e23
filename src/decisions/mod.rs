//! Online decisions: a question put to a decision-making body, with one voice
//! per statutory partner organisation (its delegated partner, or a deputy the
//! delegated partner nominated), consensus first and then, when the chair
//! calls it, a recorded majority vote. The body's quorum rule and decision
//! rule are data, copied onto the decision when it is raised.
//!
//! The outcome is judged at the deadline, or as soon as every partner has
//! responded, and then locked (a trigger refuses any later change).

pub mod decision;
pub mod deputies;
pub mod papers;
pub mod public;
pub mod raise;
pub mod register;
pub mod respond;
pub mod rules;
pub mod stage;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::audit::Change;
use crate::calendar::uk_date;
use crate::calendar::working_days_before;
use crate::db::Tx;
use crate::meetings::QuorumRule;
use crate::outbox;
use crate::structure::Sector;

pub(crate) use register::with_awaiting;
pub use register::{Awaiting, Readers, RegisterLine, meeting_lines};

/// Stored as text: `agree`, `disagree`, `abstain`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::Type, serde::Serialize, serde::Deserialize)]
#[sqlx(type_name = "text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Position {
    Agree,
    Disagree,
    Abstain,
}

impl Position {
    pub const ALL: [Position; 3] = [Position::Agree, Position::Disagree, Position::Abstain];

    pub fn code(self) -> &'static str {
        match self {
            Position::Agree => "agree",
            Position::Disagree => "disagree",
            Position::Abstain => "abstain",
        }
    }
    pub fn from_code(code: &str) -> Option<Position> {
        Position::ALL.into_iter().find(|p| p.code() == code)
    }
    /// In a formal vote partners vote for or against.
    pub fn label(self, stage: &Stage) -> &'static str {
        match (self, *stage) {
            (Position::Agree, Stage::Consensus) => "Agree",
            (Position::Disagree, Stage::Consensus) => "Disagree",
            (Position::Agree, Stage::Vote) => "For",
            (Position::Disagree, Stage::Vote) => "Against",
            (Position::Abstain, _) => "Abstain",
        }
    }
}

/// Stored as text: `consensus`, `vote`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::Type, serde::Serialize, serde::Deserialize)]
#[sqlx(type_name = "text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Consensus,
    Vote,
}

impl Stage {
    pub fn code(self) -> &'static str {
        match self {
            Stage::Consensus => "consensus",
            Stage::Vote => "vote",
        }
    }
}

/// Stored as text: `carried_consensus`, `carried_majority`, `not_carried`, `no_quorum`, `withdrawn`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::Type, serde::Serialize, serde::Deserialize)]
#[sqlx(type_name = "text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    #[sqlx(rename = "carried_consensus")]
    #[serde(rename = "carried_consensus")]
    CarriedByConsensus,
    #[sqlx(rename = "carried_majority")]
    #[serde(rename = "carried_majority")]
    CarriedByMajority,
    NotCarried,
    NoQuorum,
    Withdrawn,
}

impl Outcome {
    pub fn code(self) -> &'static str {
        match self {
            Outcome::CarriedByConsensus => "carried_consensus",
            Outcome::CarriedByMajority => "carried_majority",
            Outcome::NotCarried => "not_carried",
            Outcome::NoQuorum => "no_quorum",
            Outcome::Withdrawn => "withdrawn",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Outcome::CarriedByConsensus => "Carried by consensus",
            Outcome::CarriedByMajority => "Carried by majority vote",
            Outcome::NotCarried => "Not carried",
            Outcome::NoQuorum => "No quorum",
            Outcome::Withdrawn => "Withdrawn",
        }
    }
    /// Whether the partners agreed (by consensus or by a majority).
    pub fn carried(self) -> bool {
        matches!(self, Outcome::CarriedByConsensus | Outcome::CarriedByMajority)
    }
    /// The GOV.UK tag colour for the outcome.
    pub fn tag_class(self) -> &'static str {
        match self {
            Outcome::CarriedByConsensus | Outcome::CarriedByMajority => "govuk-tag--green",
            Outcome::NotCarried => "govuk-tag--red",
            Outcome::NoQuorum => "govuk-tag--orange",
            Outcome::Withdrawn => "govuk-tag--grey",
        }
    }
}

/// What carries a formal vote.
/// Stored as text: `votes_cast`, `all_voters`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::Type, serde::Serialize, serde::Deserialize)]
#[sqlx(type_name = "text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum MajorityOf {
    /// More votes for than against; abstentions are not counted.
    VotesCast,
    /// More than half of every partner with a vote.
    AllVoters,
}

impl MajorityOf {
    pub fn code(self) -> &'static str {
        match self {
            MajorityOf::VotesCast => "votes_cast",
            MajorityOf::AllVoters => "all_voters",
        }
    }
    /// The rule chosen on the form: one of the codes, or nothing.
    pub fn parse(code: &str) -> Option<MajorityOf> {
        [MajorityOf::VotesCast, MajorityOf::AllVoters].into_iter().find(|m| m.code() == code)
    }
    pub fn label(self) -> &'static str {
        match self {
            MajorityOf::VotesCast => "a simple majority of the votes cast (abstentions not counted)",
            MajorityOf::AllVoters => "more than half of all the partners with a vote",
        }
    }
}

/// How a body decides, with the defaults used when the partnership has set none.
#[derive(Clone, Debug)]
pub struct DecisionRule {
    pub majority_vote: bool,
    pub majority_of: MajorityOf,
    pub reminder_working_days: i32,
    pub description: String,
}

impl Default for DecisionRule {
    fn default() -> Self {
        DecisionRule { majority_vote: true, majority_of: MajorityOf::VotesCast, reminder_working_days: 2, description: String::new() }
    }
}

/// The body's own rule, or the partnership's general one, or the default.
pub async fn decision_rule(conn: &mut PgConnection, partnership_id: Uuid, group_id: Uuid) -> sqlx::Result<DecisionRule> {
    let row = sqlx::query!(
        r#"select majority_vote, majority_of as "majority_of: MajorityOf", reminder_working_days, description from decision_rule
         where partnership_id = $1 and (group_id = $2 or group_id is null)
         order by group_id nulls last limit 1"#,
        partnership_id,
        group_id
    )
    .fetch_optional(conn)
    .await?;
    Ok(row
        .map(|r| DecisionRule {
            majority_vote: r.majority_vote,
            majority_of: r.majority_of,
            reminder_working_days: r.reminder_working_days,
            description: r.description,
        })
        .unwrap_or_default())
}

/// A decision about to be put to the partners, validated.
#[derive(Clone, Debug)]
pub struct NewDecision {
    /// Chosen when the form is shown, so a repeated submission finds the first.
    pub id: Uuid,
    pub group_id: Uuid,
    pub title: String,
    pub question: String,
    pub background: String,
    pub options: String,
    pub confidential: bool,
    pub closes_at: DateTime<Utc>,
    pub meeting_id: Option<Uuid>,
    pub responds_to: String,
}

/// What raising a decision fixed: its number, the rules it copied and the partners with a voice.
pub struct Raised {
    pub number: i32,
    pub quorum_sectors: Vec<String>,
    pub rule: DecisionRule,
    pub voters: Vec<Uuid>,
}

/// Number the decision, copy the body's quorum and decision rules onto it and
/// give every current statutory partner one voice. None when a decision with
/// this id exists already (the same form submitted twice, even at once).
pub async fn put_to_partners(tx: &mut Tx, partnership_id: Uuid, raised_by: Uuid, d: &NewDecision) -> sqlx::Result<Option<Raised>> {
    let quorum = crate::meetings::quorum_rule(tx, partnership_id, d.group_id).await?;
    let rule = decision_rule(tx, partnership_id, d.group_id).await?;
    let (quorum_sectors, quorum_description) = match &quorum {
        Some(q) => (q.requirements.iter().map(|alternatives| alternatives.join("|")).collect::<Vec<_>>(), q.description.clone()),
        None => (Vec::new(), String::new()),
    };
    // Numbers are given one at a time per partnership.
    sqlx::query!("select pg_advisory_xact_lock(hashtextextended('decision-number:' || ($1::uuid)::text, 0))", partnership_id)
        .execute(&mut **tx)
        .await?;
    let number =
        sqlx::query_scalar!(r#"select coalesce(max(number), 0) + 1 as "n!" from decision where partnership_id = $1"#, partnership_id)
            .fetch_one(&mut **tx)
            .await?;
    let inserted = sqlx::query!(
        "insert into decision (partnership_id, id, number, group_id, title, question, background, options, confidential, meeting_id,
                               responds_to, quorum_sectors, quorum_description, majority_vote, majority_of, reminder_working_days,
                               closes_at, raised_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
         on conflict (partnership_id, id) do nothing",
        partnership_id,
        d.id,
        number,
        d.group_id,
        d.title,
        d.question,
        d.background,
        d.options,
        d.confidential,
        d.meeting_id,
        d.responds_to,
        &quorum_sectors,
        quorum_description,
        rule.majority_vote,
        rule.majority_of.code(),
        rule.reminder_working_days,
        d.closes_at as _,
        raised_by
    )
    .execute(&mut **tx)
    .await?;
    if inserted.rows_affected() == 0 {
        return Ok(None);
    }
    let voters = sqlx::query_scalar!(
        "insert into decision_voter (partnership_id, decision_id, organisation_id, sector)
         select partnership_id, $2, id, sector from organisation where partnership_id = $1 and is_statutory_partner and retired_on is null
         returning organisation_id",
        partnership_id,
        d.id
    )
    .fetch_all(&mut **tx)
    .await?;
    Ok(Some(Raised { number, quorum_sectors, rule, voters }))
}

/// One partner organisation's voice in a stage: its sector and what it said, if anything.
#[derive(Clone, Debug)]
pub struct Voice {
    pub sector: String,
    pub position: Option<Position>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub agree: i32,
    pub disagree: i32,
    pub abstain: i32,
    pub voters: i32,
}

impl Tally {
    pub fn of(voices: &[Voice]) -> Tally {
        let count = |p| voices.iter().filter(|v| v.position == Some(p)).count() as i32;
        Tally {
            agree: count(Position::Agree),
            disagree: count(Position::Disagree),
            abstain: count(Position::Abstain),
            voters: voices.len() as i32,
        }
    }
    pub fn responded(&self) -> i32 {
        self.agree + self.disagree + self.abstain
    }
}

/// A judged stage.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub outcome: Outcome,
    pub tally: Tally,
    /// Quorum requirements no responding partner met (each a list of alternative sectors).
    pub missing: Vec<Vec<String>>,
}

/// Judge a stage, or None while it is still open: before the deadline a
/// consensus stage closes only when every partner has agreed, and a vote only
/// when every partner has voted. Partners who did not respond neither block
/// consensus nor count towards the quorum.
pub fn judge(stage: Stage, voices: &[Voice], quorum: &QuorumRule, majority_of: MajorityOf, deadline_passed: bool) -> Option<Verdict> {
    let tally = Tally::of(voices);
    let everyone = !voices.is_empty() && tally.responded() == tally.voters;
    let all_agree = tally.agree > 0 && tally.disagree == 0 && tally.abstain == 0;
    let ready = match stage {
        Stage::Consensus => deadline_passed || (everyone && all_agree),
        Stage::Vote => deadline_passed || everyone,
    };
    if !ready {
        return None;
    }
    let represented: Vec<String> = voices.iter().filter(|v| v.position.is_some()).map(|v| v.sector.clone()).collect();
    let missing: Vec<Vec<String>> = quorum.missing(&represented).into_iter().map(<[String]>::to_vec).collect();
    let outcome = if !missing.is_empty() || tally.responded() == 0 {
        Outcome::NoQuorum
    } else {
        match stage {
            Stage::Consensus if all_agree => Outcome::CarriedByConsensus,
            Stage::Consensus => Outcome::NotCarried,
            Stage::Vote => {
                let carried = match majority_of {
                    MajorityOf::VotesCast => tally.agree > tally.disagree,
                    MajorityOf::AllVoters => tally.agree * 2 > tally.voters,
                };
                if carried { Outcome::CarriedByMajority } else { Outcome::NotCarried }
            }
        }
    };
    Some(Verdict { outcome, tally, missing })
}

impl Verdict {
    /// How the outcome was reached, naming partners by `name_of(sector)`.
    pub fn explain(&self, stage: Stage, majority_of: MajorityOf, name_of: impl Fn(&str) -> String) -> String {
        let t = self.tally;
        match self.outcome {
            Outcome::NoQuorum if t.responded() == 0 => "No partner responded, so the quorum was not met.".to_owned(),
            Outcome::NoQuorum => {
                let missing: Vec<String> = self
                    .missing
                    .iter()
                    .map(|alternatives| alternatives.iter().map(|s| name_of(s)).collect::<Vec<_>>().join(" or "))
                    .collect();
                format!("The quorum was not met: no response from {}.", missing.join(", "))
            }
            Outcome::CarriedByConsensus => {
                format!("Every partner that responded agreed ({} of {} partners responded).", t.responded(), t.voters)
            }
            Outcome::CarriedByMajority => {
                format!("{} for, {} against, {} abstaining: carried by {}.", t.agree, t.disagree, t.abstain, majority_of.label())
            }
            Outcome::NotCarried if stage == Stage::Consensus => format!(
                "Consensus was not reached by the deadline and no formal vote was called ({} agreed, {} disagreed, {} abstained).",
                t.agree, t.disagree, t.abstain
            ),
            Outcome::NotCarried if t.agree == t.disagree && majority_of == MajorityOf::VotesCast => {
                format!("{} for, {} against, {} abstaining: a tie is not carried.", t.agree, t.disagree, t.abstain)
            }
            Outcome::NotCarried => {
                format!(
                    "{} for, {} against, {} abstaining: not carried, which needs {}.",
                    t.agree,
                    t.disagree,
                    t.abstain,
                    majority_of.label()
                )
            }
            Outcome::Withdrawn => String::new(),
        }
    }
}

/// A decision as its pages show it.
#[derive(Clone, Debug)]
pub struct Decision {
    pub id: Uuid,
    pub number: i32,
    pub group_id: Uuid,
    pub group_name: String,
    pub title: String,
    pub question: String,
    pub background: String,
    pub options: String,
    pub confidential: bool,
    pub meeting_id: Option<Uuid>,
    pub meeting_starts_at: Option<DateTime<Utc>>,
    pub responds_to: String,
    pub quorum_sectors: Vec<String>,
    pub quorum_description: String,
    pub majority_vote: bool,
    pub majority_of: MajorityOf,
    pub reminder_working_days: i32,
    pub stage: Stage,
    pub closes_at: DateTime<Utc>,
    pub raised_by: Uuid,
    pub raised_by_name: String,
    pub raised_at: DateTime<Utc>,
    pub vote_called_at: Option<DateTime<Utc>>,
    pub outcome: Option<Outcome>,
    pub outcome_at: Option<DateTime<Utc>>,
    pub outcome_note: String,
    pub closed_by_name: Option<String>,
}

impl Decision {
    pub fn reference(&self) -> String {
        format!("D{}", self.number)
    }
    pub fn stage(&self) -> Stage {
        self.stage
    }
    pub fn outcome(&self) -> Option<Outcome> {
        self.outcome
    }
    pub fn is_open(&self) -> bool {
        self.outcome.is_none()
    }
    pub fn quorum(&self) -> QuorumRule {
        QuorumRule::from_stored(self.quorum_sectors.clone(), self.quorum_description.clone())
    }
    pub fn majority_of(&self) -> MajorityOf {
        self.majority_of
    }
    /// "Friday 4 December 2026 at 17:00"
    pub fn deadline(&self) -> String {
        uk_moment(self.closes_at)
    }
    pub fn decided_on(&self) -> String {
        self.outcome_at.map(|at| crate::calendar::long_date(uk_date(at))).unwrap_or_default()
    }
    pub fn raised_on(&self) -> String {
        crate::calendar::long_date(uk_date(self.raised_at))
    }
    pub fn meeting_when(&self) -> String {
        self.meeting_starts_at.map(|at| crate::calendar::long_date(uk_date(at))).unwrap_or_default()
    }
    /// An open decision whose responses close before the meeting it belongs to has begun.
    pub fn closes_before_its_meeting(&self) -> bool {
        self.outcome.is_none() && self.meeting_starts_at.is_some_and(|meeting| self.closes_at < meeting)
    }
    /// "by Jo Bloggs", or what closed it.
    pub fn closed_how(&self) -> String {
        match (&self.closed_by_name, self.outcome_at) {
            (Some(by), _) => format!("by {by}"),
            (None, Some(at)) if at >= self.closes_at => "when the deadline passed".to_owned(),
            _ => "when every partner had responded".to_owned(),
        }
    }
    /// "Awaiting responses", "Formal vote", or the outcome.
    pub fn status_label(&self) -> &'static str {
        match (self.outcome(), self.stage()) {
            (Some(outcome), _) => outcome.label(),
            (None, Stage::Consensus) => "Seeking consensus",
            (None, Stage::Vote) => "Formal vote",
        }
    }
    pub fn status_tag(&self) -> &'static str {
        match self.outcome() {
            Some(outcome) => outcome.tag_class(),
            None => "govuk-tag--blue",
        }
    }
}

/// "Friday 4 December 2026 at 17:00", in UK time.
pub fn uk_moment(at: DateTime<Utc>) -> String {
    at.with_timezone(&chrono_tz::Europe::London).format("%A %-d %B %Y at %H:%M").to_string()
}

pub async fn find(conn: &mut PgConnection, partnership_id: Uuid, id: Uuid) -> sqlx::Result<Option<Decision>> {
    sqlx::query_as!(
        Decision,
        r#"select d.id, d.number, d.group_id, g.name as group_name, d.title, d.question, d.background, d.options, d.confidential,
                  d.meeting_id, m.starts_at as "meeting_starts_at?: DateTime<Utc>", d.responds_to, d.quorum_sectors,
                  d.quorum_description, d.majority_vote, d.majority_of as "majority_of: MajorityOf", d.reminder_working_days, d.stage as "stage: Stage",
                  d.closes_at as "closes_at: DateTime<Utc>", d.raised_by, u.display_name as raised_by_name,
                  d.raised_at as "raised_at: DateTime<Utc>", d.vote_called_at as "vote_called_at: DateTime<Utc>", d.outcome as "outcome: Outcome",
                  d.outcome_at as "outcome_at: DateTime<Utc>", d.outcome_note, c.display_name as "closed_by_name?"
           from decision d
           join partnership_group g on g.partnership_id = d.partnership_id and g.id = d.group_id
           join app_user u on u.id = d.raised_by
           left join app_user c on c.id = d.closed_by
           left join meeting m on m.partnership_id = d.partnership_id and m.id = d.meeting_id
           where d.partnership_id = $1 and d.id = $2"#,
        partnership_id,
        id
    )
    .fetch_optional(conn)
    .await
}

/// A partner organisation with a voice, and its current response in a stage.
#[derive(Clone, Debug)]
pub struct VoterLine {
    /// The stage the response belongs to.
    pub stage: Stage,
    pub organisation_id: Uuid,
    pub organisation_name: String,
    pub sector: String,
    pub position: Option<Position>,
    pub comment: Option<String>,
    pub recorded_by_name: Option<String>,
    pub on_behalf: Option<bool>,
    pub evidence: Option<String>,
    pub version: Option<i32>,
    pub responded_at: Option<DateTime<Utc>>,
}

impl VoterLine {
    pub fn position(&self) -> Option<Position> {
        self.position
    }
    pub fn position_label(&self, stage: &Stage) -> &'static str {
        self.position().map(|p| p.label(stage)).unwrap_or("No response yet")
    }
    pub fn when(&self) -> String {
        self.responded_at.map(uk_moment).unwrap_or_default()
    }
    pub fn by_proxy(&self) -> bool {
        self.on_behalf == Some(true)
    }
}

pub async fn voters(conn: &mut PgConnection, partnership_id: Uuid, decision_id: Uuid, stage: Stage) -> sqlx::Result<Vec<VoterLine>> {
    voters_in(conn, partnership_id, decision_id, &[stage]).await
}

/// Each voter's line in each of `stages`, stage by stage in the order given.
pub async fn voters_in(conn: &mut PgConnection, partnership_id: Uuid, decision_id: Uuid, stages: &[Stage]) -> sqlx::Result<Vec<VoterLine>> {
    let stages: Vec<&str> = stages.iter().map(|s| s.code()).collect();
    sqlx::query_as!(
        VoterLine,
        r#"select st.stage as "stage!: Stage", v.organisation_id, o.name as organisation_name, v.sector, r.position as "position?: Position",
                  r.comment as "comment?", u.display_name as "recorded_by_name?", r.on_behalf as "on_behalf?", r.evidence as "evidence?",
                  r.version as "version?", r.responded_at as "responded_at?: DateTime<Utc>"
           from unnest($3::text[]) with ordinality st (stage, n)
           cross join decision_voter v
           join organisation o on o.partnership_id = v.partnership_id and o.id = v.organisation_id
           left join decision_response r on r.partnership_id = v.partnership_id and r.decision_id = v.decision_id
                 and r.organisation_id = v.organisation_id and r.stage = st.stage
           left join app_user u on u.id = r.recorded_by
           where v.partnership_id = $1 and v.decision_id = $2
           order by st.n, array_position(array['local_authority', 'health', 'police', 'education'], v.sector), o.name"#,
        partnership_id,
        decision_id,
        &stages as &[&str]
    )
    .fetch_all(conn)
    .await
}

/// Who speaks for an organisation in a decision: its delegated partners, and
/// the deputies they nominated for this decision or for a period covering today.
pub struct Responder {
    pub organisation_id: Uuid,
    pub user_id: Uuid,
    pub email: String,
    pub display_name: String,
}

pub async fn responders(conn: &mut PgConnection, partnership_id: Uuid, decision_id: Uuid) -> sqlx::Result<Vec<Responder>> {
    sqlx::query_as!(
        Responder,
        r#"select distinct v.organisation_id, u.id as user_id, u.email, u.display_name
           from decision_voter v
           join membership m on m.partnership_id = v.partnership_id and m.organisation_id = v.organisation_id
           join app_user u on u.id = m.user_id
           where v.partnership_id = $1 and v.decision_id = $2
             and may_speak_for(m.partnership_id, m.id, v.organisation_id, v.decision_id)
           order by u.display_name"#,
        partnership_id,
        decision_id
    )
    .fetch_all(conn)
    .await
}

/// The organisations this member may respond for in a decision (usually one, often none).
pub async fn may_respond_for(conn: &mut PgConnection, partnership_id: Uuid, decision_id: Uuid, user_id: Uuid) -> sqlx::Result<Vec<Uuid>> {
    Ok(responders(conn, partnership_id, decision_id)
        .await?
        .into_iter()
        .filter(|r| r.user_id == user_id)
        .map(|r| r.organisation_id)
        .collect())
}

/// Judge the decision if its stage can be judged, and lock the outcome. The
/// caller's transaction holds the decision's row lock until it commits, so a
/// response and the close never cross. Answers the outcome when it closed now.
pub async fn settle(tx: &mut Tx, partnership_id: Uuid, decision_id: Uuid, actor: Option<Uuid>) -> sqlx::Result<Option<Outcome>> {
    let Some(d) = sqlx::query!(
        r#"select number, title, stage as "stage: Stage", outcome as "outcome: Outcome", quorum_sectors, quorum_description,
                  majority_of as "majority_of: MajorityOf", raised_by,
                  closes_at <= now() as "deadline_passed!"
           from decision where partnership_id = $1 and id = $2 for update"#,
        partnership_id,
        decision_id
    )
    .fetch_optional(&mut **tx)
    .await?
    else {
        return Ok(None);
    };
    if d.outcome.is_some() {
        return Ok(None);
    }
    let stage = d.stage;
    let lines = voters(tx, partnership_id, decision_id, stage).await?;
    let voices: Vec<Voice> = lines.iter().map(|l| Voice { sector: l.sector.clone(), position: l.position() }).collect();
    let quorum = QuorumRule::from_stored(d.quorum_sectors, d.quorum_description);
    let majority_of = d.majority_of;
    let Some(verdict) = judge(stage, &voices, &quorum, majority_of, d.deadline_passed) else {
        return Ok(None);
    };
    let note = verdict.explain(stage, majority_of, |sector| {
        lines
            .iter()
            .find(|l| l.sector == sector)
            .map(|l| l.organisation_name.clone())
            .unwrap_or_else(|| Sector::label_of(sector).to_owned())
    });
    let t = verdict.tally;
    sqlx::query!(
        "update decision set outcome = $3, outcome_at = now(), outcome_note = $4, agree_count = $5, disagree_count = $6, abstain_count = $7
         where partnership_id = $1 and id = $2",
        partnership_id,
        decision_id,
        verdict.outcome.code(),
        note,
        t.agree,
        t.disagree,
        t.abstain
    )
    .execute(&mut **tx)
    .await?;
    Change::new("decision.closed", "decision")
        .in_partnership(partnership_id)
        .by(actor)
        .subject(decision_id)
        .after(json!({
            "outcome": verdict.outcome.code(), "stage": stage.code(), "note": note,
            "for": t.agree, "against": t.disagree, "abstain": t.abstain, "voters": t.voters,
            "responses": lines.iter().map(|l| json!({ "organisation": l.organisation_name, "position": l.position, "version": l.version })).collect::<Vec<_>>(),
        }))
        .record(tx)
        .await?;
    let subject = format!("Decision D{}: {}", d.number, verdict.outcome.label().to_lowercase());
    let body = format!("Decision D{} ({}) has closed: {}.\n\n{}\n", d.number, d.title, verdict.outcome.label(), note);
    notify(tx, partnership_id, decision_id, Some(d.raised_by), &subject, &body, "decision-outcome").await?;
    Ok(Some(verdict.outcome))
}

/// Mail every responder of every partner (and `also`, such as whoever raised it), once per event.
pub async fn notify(
    tx: &mut Tx,
    partnership_id: Uuid,
    decision_id: Uuid,
    also: Option<Uuid>,
    subject: &str,
    body: &str,
    event: &str,
) -> sqlx::Result<()> {
    let mut people: Vec<(Uuid, String, String)> =
        responders(tx, partnership_id, decision_id).await?.into_iter().map(|r| (r.user_id, r.email, r.display_name)).collect();
    if let Some(user_id) = also.filter(|id| !people.iter().any(|(u, _, _)| u == id))
        && let Some(u) = sqlx::query!("select email, display_name from app_user where id = $1", user_id).fetch_optional(&mut **tx).await?
    {
        people.push((user_id, u.email, u.display_name));
    }
    for (user_id, email, name) in people {
        outbox::enqueue(tx, Some(partnership_id), &email, &name, subject, body, &format!("{event}:{decision_id}:{user_id}")).await?;
    }
    Ok(())
}

/// What the background sweep did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Swept {
    pub closed: usize,
    pub reminders: usize,
}

/// Close every decision past its deadline and remind partners who have not
/// responded, partnership by partnership in each one's tenant context.
pub async fn sweep(pool: &PgPool, today: NaiveDate) -> sqlx::Result<Swept> {
    let mut swept = Swept::default();
    let partnerships = sqlx::query_scalar!("select id from partnership order by id").fetch_all(pool).await?;
    for partnership_id in partnerships {
        let mut tx = crate::db::begin_system(pool, partnership_id).await?;
        let due = sqlx::query!(
            r#"select id, number, title, stage as "stage: Stage", closes_at as "closes_at: DateTime<Utc>", reminder_working_days,
                      closes_at <= now() as "passed!"
               from decision where partnership_id = $1 and outcome is null order by closes_at"#,
            partnership_id
        )
        .fetch_all(&mut *tx)
        .await?;
        for d in due {
            if d.passed {
                if settle(&mut tx, partnership_id, d.id, None).await?.is_some() {
                    swept.closed += 1;
                }
                continue;
            }
            let remind_from = working_days_before(uk_date(d.closes_at), d.reminder_working_days as u32);
            if today < remind_from {
                continue;
            }
            let stage = d.stage;
            let waiting: Vec<Uuid> = voters(&mut tx, partnership_id, d.id, stage)
                .await?
                .into_iter()
                .filter(|l| l.position.is_none())
                .map(|l| l.organisation_id)
                .collect();
            for r in responders(&mut tx, partnership_id, d.id).await?.into_iter().filter(|r| waiting.contains(&r.organisation_id)) {
                let subject = format!("Reminder: decision D{} needs your response by {}", d.number, uk_moment(d.closes_at));
                let body = format!(
                    "Decision D{} ({}) closes on {}. Your organisation has not responded yet.\n\nRespond online in Partnership Hub.\n",
                    d.number,
                    d.title,
                    uk_moment(d.closes_at)
                );
                let key = format!("decision-reminder:{}:{}:{}", d.id, stage.code(), r.user_id);
                let queued = sqlx::query_scalar!(r#"select exists (select 1 from outbox where dedupe_key = $1) as "e!""#, key)
                    .fetch_one(&mut *tx)
                    .await?;
                if !queued {
                    outbox::enqueue(&mut tx, Some(partnership_id), &r.email, &r.display_name, &subject, &body, &key).await?;
                    swept.reminders += 1;
                }
            }
        }
        tx.commit().await?;
    }
    Ok(swept)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn warwickshire_quorum() -> QuorumRule {
        QuorumRule::from_stored(vec!["local_authority|education".into(), "health".into(), "police".into()], String::new())
    }

    fn voices(positions: [Option<Position>; 4]) -> Vec<Voice> {
        ["local_authority", "health", "police", "education"]
            .into_iter()
            .zip(positions)
            .map(|(sector, position)| Voice { sector: sector.into(), position })
            .collect()
    }

    use Position::{Abstain, Agree, Disagree};

    #[test]
    fn consensus_is_carried_once_everyone_agrees() {
        let v = voices([Some(Agree); 4]);
        let verdict = judge(Stage::Consensus, &v, &warwickshire_quorum(), MajorityOf::VotesCast, false).unwrap();
        assert_eq!(verdict.outcome, Outcome::CarriedByConsensus);
    }

    #[test]
    fn a_consensus_stage_waits_for_the_deadline_while_anyone_is_silent_or_disagrees() {
        let q = warwickshire_quorum();
        assert_eq!(judge(Stage::Consensus, &voices([Some(Agree), Some(Agree), Some(Agree), None]), &q, MajorityOf::VotesCast, false), None);
        assert_eq!(
            judge(Stage::Consensus, &voices([Some(Agree), Some(Disagree), Some(Agree), Some(Agree)]), &q, MajorityOf::VotesCast, false),
            None,
            "a partner may still change their mind, or the chair call a vote"
        );
        let at_deadline =
            judge(Stage::Consensus, &voices([Some(Agree), Some(Agree), Some(Agree), None]), &q, MajorityOf::VotesCast, true).unwrap();
        assert_eq!(at_deadline.outcome, Outcome::CarriedByConsensus, "silence does not block consensus once the quorum agrees");
        let disagreement =
            judge(Stage::Consensus, &voices([Some(Agree), Some(Disagree), Some(Agree), None]), &q, MajorityOf::VotesCast, true).unwrap();
        assert_eq!(disagreement.outcome, Outcome::NotCarried);
    }

    #[test]
    fn a_majority_vote_counts_votes_cast() {
        let q = warwickshire_quorum();
        let carried =
            judge(Stage::Vote, &voices([Some(Agree), Some(Agree), Some(Disagree), Some(Agree)]), &q, MajorityOf::VotesCast, false).unwrap();
        assert_eq!(carried.outcome, Outcome::CarriedByMajority);
        assert_eq!(carried.tally, Tally { agree: 3, disagree: 1, abstain: 0, voters: 4 });
        let tie = judge(Stage::Vote, &voices([Some(Agree), Some(Disagree), Some(Disagree), Some(Agree)]), &q, MajorityOf::VotesCast, false)
            .unwrap();
        assert_eq!(tie.outcome, Outcome::NotCarried);
        assert!(tie.explain(Stage::Vote, MajorityOf::VotesCast, |s| s.to_owned()).contains("a tie is not carried"));
        let with_abstention =
            judge(Stage::Vote, &voices([Some(Agree), Some(Agree), Some(Disagree), Some(Abstain)]), &q, MajorityOf::VotesCast, false)
                .unwrap();
        assert_eq!(with_abstention.outcome, Outcome::CarriedByMajority);
        let of_all =
            judge(Stage::Vote, &voices([Some(Agree), Some(Agree), Some(Disagree), Some(Abstain)]), &q, MajorityOf::AllVoters, false)
                .unwrap();
        assert_eq!(of_all.outcome, Outcome::NotCarried, "2 of 4 is not more than half of all voters");
    }

    #[test]
    fn no_quorum_names_who_was_missing() {
        let q = warwickshire_quorum();
        let verdict = judge(Stage::Vote, &voices([Some(Agree), Some(Agree), None, Some(Agree)]), &q, MajorityOf::VotesCast, true).unwrap();
        assert_eq!(verdict.outcome, Outcome::NoQuorum);
        assert_eq!(verdict.missing, vec![vec!["police".to_owned()]]);
        let note =
            verdict.explain(Stage::Vote, MajorityOf::VotesCast, |s| if s == "police" { "Warwickshire Police".into() } else { s.into() });
        assert!(note.contains("no response from Warwickshire Police"), "{note}");
        // Education stands in for the council.
        let education =
            judge(Stage::Vote, &voices([None, Some(Agree), Some(Agree), Some(Agree)]), &q, MajorityOf::VotesCast, true).unwrap();
        assert_eq!(education.outcome, Outcome::CarriedByMajority);
        let nobody =
            judge(Stage::Consensus, &voices([None; 4]), &QuorumRule::from_stored(vec![], String::new()), MajorityOf::VotesCast, true);
        assert_eq!(nobody.unwrap().outcome, Outcome::NoQuorum);
    }
}
