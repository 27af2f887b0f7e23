//! One review's page: its pseudonym, kind, stage, clocks and history for
//! every member; the next step for those who run it (the business unit and
//! the overseeing group's chair): the rapid review's dates with the Panel,
//! the recommendation put to the partners as a decision, each stage of a
//! commissioned review, the publication decision and the published report.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde::Deserialize;
use serde_json::json;
use sqlx::types::Json;
use tower_sessions::Session;
use uuid::Uuid;

use super::workspace::{Finding, FindingForm, InformationRequest, NotImplementedForm, Workspace};
use super::{Arrangement, Clock, Dates, Kind, NotificationGround, Publication, Recommendation, SarCondition, Stage, clocks, runs};
use crate::actions::Action;
use crate::calendar::{long_date, today, uk_datetime, working_days_after};
use crate::db::Tx;
use crate::decisions::NewDecision;
use crate::error::{AppError, Result};
use crate::tenant::{Member, change};
use crate::web::{AppState, ClientAddress, DateParts, FormErrors, Layout, Submitted, optional_line, optional_text, redirect_with as done};

/// Record that a review reached a stage on a day: its history keeps one entry per stage.
pub(super) async fn reach(
    tx: &mut Tx,
    pid: Uuid,
    review_id: Uuid,
    stage: Stage,
    on: NaiveDate,
    note: &str,
    by: Uuid,
) -> sqlx::Result<bool> {
    let added = sqlx::query!(
        "insert into review_event (partnership_id, id, review_id, stage, happened_on, note, recorded_by) values ($1, $2, $3, $4, $5, $6, $7)
         on conflict (partnership_id, review_id, stage) do nothing",
        pid,
        Uuid::new_v4(),
        review_id,
        stage as Stage,
        on,
        note,
        by
    )
    .execute(&mut **tx)
    .await?;
    Ok(added.rows_affected() == 1)
}

#[derive(Debug, Deserialize)]
pub struct Event {
    pub stage: Stage,
    pub happened_on: NaiveDate,
    pub note: String,
    pub recorded_by: Option<String>,
}

/// Everything about a review that every member may read, with its settings and history.
pub(super) struct Loaded {
    pub id: Uuid,
    pub number: i32,
    pub kind: Kind,
    pub stage: Stage,
    pub pseudonym: String,
    pub group_id: Uuid,
    pub group_name: String,
    pub dates: Dates,
    pub partners_told_on: Option<NaiveDate>,
    pub panel_reference: String,
    pub panel_replied_on: Option<NaiveDate>,
    pub panel_reply: String,
    pub recommendation: Option<Recommendation>,
    pub recommendation_reason: String,
    /// The partners' decision on the recommendation.
    pub decision: Option<DecisionLink>,
    pub sar_condition: Option<SarCondition>,
    pub sar_condition_reason: String,
    pub notification_ground: Option<NotificationGround>,
    pub lead_reviewer: String,
    pub publication: Option<Publication>,
    pub publication_reason: String,
    /// The partners' endorsement of the publication decision.
    pub endorsement: Option<DecisionLink>,
    /// When the Panel and the Secretary of State were told of a delay or a decision not to publish.
    pub publication_told_on: Option<NaiveDate>,
    pub published_on: Option<NaiveDate>,
    pub learning_summary: String,
    pub events: Vec<Event>,
    pub settings: Arrangement,
    /// Whether row-level security lets this person read the case.
    pub reads_case: bool,
    pub executive_id: Option<Uuid>,
    /// The rapid review meeting (or the meeting that took the review), and when it starts.
    pub meeting: Option<(Uuid, DateTime<Utc>)>,
    pub closed_on: Option<NaiveDate>,
    pub personal_details_removed_on: Option<NaiveDate>,
    /// How many years a closed review keeps personal details, if the partnership has said.
    pub case_retention_years: Option<i32>,
}

/// A decision a review put to the partners, as the review shows it.
pub(super) struct DecisionLink {
    pub id: Uuid,
    pub number: i32,
    /// None while the partners are deciding.
    pub outcome: Option<crate::decisions::Outcome>,
}

impl DecisionLink {
    fn of(id: Option<Uuid>, number: Option<i32>, outcome: Option<crate::decisions::Outcome>) -> Option<DecisionLink> {
        Some(DecisionLink { id: id?, number: number?, outcome })
    }
    pub fn is_open(&self) -> bool {
        self.outcome.is_none()
    }
    pub fn carried(&self) -> bool {
        self.outcome.is_some_and(crate::decisions::Outcome::carried)
    }
    /// "carried by consensus", or "open".
    pub fn state(&self) -> &'static str {
        self.outcome.map(crate::decisions::Outcome::label).unwrap_or("open")
    }
}

impl Loaded {
    /// The day a closed review's personal details may be removed, if the partnership has set a retention period.
    pub fn details_removable_from(&self) -> Option<NaiveDate> {
        let years = u32::try_from(self.case_retention_years?).ok()?;
        self.closed_on?.checked_add_months(chrono::Months::new(years * 12))
    }
    /// Whether the personal details may be removed today.
    pub fn details_removable(&self) -> bool {
        self.personal_details_removed_on.is_none() && self.details_removable_from().is_some_and(|d| d <= today())
    }
}

/// The review with its settings, history, decision and whether the person may read its case, in one statement.
pub(super) async fn load(tx: &mut Tx, member: &Member, review_id: &str) -> Result<Loaded> {
    let pid = member.partnership.id;
    let r = sqlx::query!(
        r#"select v.id, v.number, v.kind as "kind: Kind", v.stage as "stage: Stage", v.pseudonym, v.group_id, g.name as group_name,
                  v.became_aware_on, v.notified_panel_on, v.partners_told_on, v.panel_reference, v.rapid_review_sent_on, v.panel_replied_on,
                  v.panel_reply, v.recommendation as "recommendation: Recommendation", v.recommendation_reason, v.decision_id,
                  d.number as "decision_number?", d.outcome as "decision_outcome?: crate::decisions::Outcome", v.sar_condition as "sar_condition: SarCondition", v.notification_ground as "notification_ground: NotificationGround",
                  v.sar_condition_reason, v.commissioned_on, v.lead_reviewer, v.publication as "publication: Publication",
                  v.publication_reason, v.published_on, v.learning_summary, v.closed_on, v.personal_details_removed_on,
                  v.publication_decision_id, e.number as "endorsement_number?", e.outcome as "endorsement_outcome?: crate::decisions::Outcome",
                  v.publication_told_on,
                  v.meeting_id, mt.starts_at as "meeting_starts_at?", a.case_retention_years as "case_retention_years?",
                  a.rapid_review_clock_start as "clock_start?", a.rapid_review_working_days as "rapid_days?",
                  a.notification_working_days as "notify_days?", a.cspr_target_months as "cspr_months?", a.sar_target_months as "sar_months?",
                  a.published_months as "published_months?", a.dhr_label as "dhr_label?",
                  (select app_sees_all()) or app_sees_review_case(v.partnership_id, v.id) as "reads_case!",
                  (select x.id from partnership_group x where x.partnership_id = v.partnership_id and x.kind = 'executive'
                     and x.retired_on is null order by x.sort_order limit 1) as executive_id,
                  coalesce((select json_agg(x order by x.happened_on, x.recorded_at)
                            from (select e.stage, e.happened_on, e.note, e.recorded_at, u.display_name as recorded_by
                                  from review_event e left join app_user u on u.id = e.recorded_by
                                  where e.partnership_id = v.partnership_id and e.review_id = v.id) x), '[]') as "events!: Json<Vec<Event>>"
           from review v
           join partnership_group g on g.partnership_id = v.partnership_id and g.id = v.group_id
           left join decision d on d.partnership_id = v.partnership_id and d.id = v.decision_id
           left join decision e on e.partnership_id = v.partnership_id and e.id = v.publication_decision_id
           left join meeting mt on mt.partnership_id = v.partnership_id and mt.id = v.meeting_id
           left join review_arrangement a on a.partnership_id = v.partnership_id
           where v.partnership_id = $1 and v.id = $2"#,
        pid,
        crate::web::record_id(review_id)?
    )
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(AppError::NotFound)?;
    let settings = Arrangement::from_stored(
        r.clock_start,
        r.rapid_days,
        r.notify_days,
        r.cspr_months,
        r.sar_months,
        r.published_months,
        r.dhr_label,
        None,
        None,
    );
    Ok(Loaded {
        id: r.id,
        number: r.number,
        kind: r.kind,
        stage: r.stage,
        pseudonym: r.pseudonym,
        group_id: r.group_id,
        group_name: r.group_name,
        dates: Dates {
            became_aware_on: Some(r.became_aware_on),
            notified_panel_on: r.notified_panel_on,
            rapid_review_sent_on: r.rapid_review_sent_on,
            commissioned_on: r.commissioned_on,
        },
        partners_told_on: r.partners_told_on,
        panel_reference: r.panel_reference,
        panel_replied_on: r.panel_replied_on,
        panel_reply: r.panel_reply,
        recommendation: r.recommendation,
        recommendation_reason: r.recommendation_reason,
        decision: DecisionLink::of(r.decision_id, r.decision_number, r.decision_outcome),
        sar_condition: r.sar_condition,
        notification_ground: r.notification_ground,
        sar_condition_reason: r.sar_condition_reason,
        lead_reviewer: r.lead_reviewer,
        publication: r.publication,
        publication_reason: r.publication_reason,
        endorsement: DecisionLink::of(r.publication_decision_id, r.endorsement_number, r.endorsement_outcome),
        publication_told_on: r.publication_told_on,
        published_on: r.published_on,
        learning_summary: r.learning_summary,
        events: r.events.0,
        settings,
        reads_case: r.reads_case,
        executive_id: r.executive_id,
        meeting: r.meeting_id.zip(r.meeting_starts_at),
        closed_on: r.closed_on,
        personal_details_removed_on: r.personal_details_removed_on,
        case_retention_years: r.case_retention_years,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "reviews/review.html")]
struct ReviewPage {
    layout: Layout,
    member: Member,
    review: Loaded,
    kind_label: String,
    clocks: Vec<Clock>,
    next: Vec<(String, String)>,
    can_run: bool,
    form: StepForm,
    /// The Panel's dates and reply as stored, or as typed when they came back with an error.
    panel: PanelFields,
    /// The agencies asked for their involvement (for those who read the case).
    requests: Vec<InformationRequest>,
    /// The review's recommendations (a SAR's findings) with their actions, the actions from its rapid review's
    /// learning, and who may own a new one.
    findings: Vec<Finding>,
    actions: Vec<Action>,
    finding: FindingForm,
    not_implemented: Option<(Uuid, NotImplementedForm)>,
    /// The review group's coming meetings, for the rapid review meeting.
    meetings: Vec<(String, String)>,
    meeting_id: String,
    /// When the Panel and the Secretary of State were told, as stored or typed.
    told: DateParts,
    errors: FormErrors,
    today: NaiveDate,
}

/// What the forms on the review's page hold when one comes back with an error (each as typed), or fresh.
#[derive(Default)]
pub(super) struct Forms {
    pub step: StepForm,
    pub panel: Option<PanelFields>,
    pub meeting_id: String,
    pub told: Option<DateParts>,
    pub finding: Option<FindingForm>,
    /// The finding whose "not to be implemented" form came back, as typed.
    pub not_implemented: Option<(Uuid, NotImplementedForm)>,
    pub errors: FormErrors,
}

pub(super) struct PanelFields {
    notified: DateParts,
    sent: DateParts,
    replied: DateParts,
    reference: String,
    reply: String,
}

impl ReviewPage {
    fn stage_label(&self, stage: &Stage) -> &'static str {
        stage.label(self.review.kind)
    }
    fn offers(&self, stage: Stage) -> bool {
        self.next.iter().any(|(code, _)| code == stage.code())
    }
    /// The reasons typed for this finding when they came back with an error.
    fn not_implemented_typed(&self, finding: &Uuid) -> String {
        match &self.not_implemented {
            Some((id, form)) if id == finding => form.not_implemented_reason.clone(),
            _ => String::new(),
        }
    }
    /// The reasons field's id: the error summary's link for the finding whose reasons came back, its own for the rest.
    fn not_implemented_field(&self, finding: &Uuid) -> String {
        if self.not_implemented_failed(finding) { "not_implemented_reason".to_owned() } else { format!("not_implemented_reason-{finding}") }
    }
    fn not_implemented_failed(&self, finding: &Uuid) -> bool {
        self.not_implemented.as_ref().is_some_and(|(id, _)| id == finding)
    }
    fn manages(&self) -> bool {
        self.member.roles.allows(crate::roles::Capability::ManageReviews)
    }
    fn day_of(&self, at: &DateTime<Utc>) -> String {
        long_date(crate::calendar::uk_date(*at))
    }
    fn date(&self, date: &Option<NaiveDate>) -> String {
        date.map(long_date).unwrap_or_else(|| "Not recorded".into())
    }
    fn recommendation_label(&self) -> String {
        self.review.recommendation.map(|r| r.label(self.review.kind, &self.review.settings.dhr_label)).unwrap_or_default()
    }
    fn overdue(&self, clock: &Clock) -> bool {
        clock.overdue(self.today)
    }
    fn recommendations(&self) -> Vec<(String, String)> {
        let mut offered = vec![Recommendation::LocalReview, Recommendation::NoReview];
        if self.review.kind == Kind::Child {
            offered.insert(1, Recommendation::NationalReview);
        }
        offered.into_iter().map(|r| (r.code().to_owned(), r.label(self.review.kind, &self.review.settings.dhr_label))).collect()
    }
    fn publications(&self) -> Vec<(String, String)> {
        [Publication::Publish, Publication::Delay, Publication::NotPublish]
            .into_iter()
            .map(|p| (p.code().to_owned(), p.label().to_owned()))
            .collect()
    }
}

/// The next step, as typed.
#[derive(Deserialize, Default, Clone)]
pub(crate) struct StepForm {
    #[serde(default)]
    stage: String,
    #[serde(default)]
    on_day: String,
    #[serde(default)]
    on_month: String,
    #[serde(default)]
    on_year: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    recommendation: String,
    #[serde(default)]
    recommendation_reason: String,
    #[serde(default)]
    lead_reviewer: String,
    #[serde(default)]
    publication: String,
    #[serde(default)]
    publication_reason: String,
    #[serde(default)]
    learning_summary: String,
}

pub(super) async fn render(state: &AppState, session: &Session, member: Member, review_id: &str, forms: Forms) -> Result<Response> {
    let pid = member.partnership.id;
    let mut tx = member.begin(state).await?;
    let review = load(&mut tx, &member, review_id).await?;
    let can_run = runs(&member, review.group_id);
    let running = can_run && review.stage.is_open();
    let workspace = super::workspace::read(&mut tx, pid, review.id, review.group_id, running).await?;
    tx.commit().await?;
    let next = review.stage.next(review.kind).into_iter().map(|s| (s.code().to_owned(), s.label(review.kind).to_owned())).collect();
    let Workspace { requests, findings, actions, meetings } = workspace;
    let Forms { step: mut form, panel, meeting_id, told, finding, not_implemented, errors } = forms;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    if form.on_day.is_empty() && form.on_month.is_empty() && form.on_year.is_empty() {
        let parts = DateParts::from_date(Some(today()));
        (form.on_day, form.on_month, form.on_year) = (parts.day, parts.month, parts.year);
    }
    let panel = panel.unwrap_or_else(|| PanelFields {
        notified: DateParts::from_date(review.dates.notified_panel_on),
        sent: DateParts::from_date(review.dates.rapid_review_sent_on),
        replied: DateParts::from_date(review.panel_replied_on),
        reference: review.panel_reference.clone(),
        reply: review.panel_reply.clone(),
    });
    let page = ReviewPage {
        layout: member.layout(session, "reviews").await?,
        panel,
        kind_label: review.kind.label(&review.settings.dhr_label),
        clocks: clocks(review.kind, review.dates, &review.settings),
        next,
        can_run,
        requests,
        actions,
        meetings,
        meeting_id,
        told: told.unwrap_or_else(|| DateParts::from_date(review.publication_told_on)),
        findings,
        finding: finding.unwrap_or_default(),
        not_implemented,
        review,
        member,
        form,
        errors,
        today: today(),
    };
    Ok((status, page).into_response())
}

pub(crate) async fn review_page(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Path((_, review_id)): Path<(String, String)>,
) -> Result<Response> {
    render(&state, &session, member, &review_id, Forms::default()).await
}

/// Move the review to its next stage, with what that stage records.
pub(crate) async fn record_step(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, review_id)): Path<(String, String)>,
    Submitted(form): Submitted<StepForm>,
) -> Result<Response> {
    let mut tx = member.begin(&state).await?;
    let review = load(&mut tx, &member, &review_id).await?;
    if !runs(&member, review.group_id) {
        return Err(AppError::Forbidden);
    }
    let to = format!("/p/{}/reviews/{}", member.partnership.slug, review.id);
    let mut errors = FormErrors::default();
    let Some(stage) = Stage::parse(&form.stage) else {
        errors.add("stage", "Select the next stage");
        member.resume(tx);
        return render(&state, &session, member, &review_id, Forms { step: form, errors, ..Forms::default() }).await;
    };
    if !review.stage.next(review.kind).contains(&stage) {
        // Moved on by someone else since the page was shown (or sent twice): say where it stands.
        return done(&session, format!("{} is at the stage {}", review.pseudonym, review.stage.label(review.kind).to_lowercase()), to)
            .await;
    }
    let on = DateParts { day: form.on_day.clone(), month: form.on_month.clone(), year: form.on_year.clone() };
    let on = errors.check("on_day", on.parse("Date", true)).flatten();
    if on.is_some_and(|d| d > today()) {
        errors.add("on_day", "The date must be today or in the past");
    }
    let note = errors.check("note", optional_text(&form.note, "note", 4000)).unwrap_or_default();
    let recommendation = Recommendation::parse(&form.recommendation);
    let reason = errors.check("recommendation_reason", optional_text(&form.recommendation_reason, "reasons", 4000)).unwrap_or_default();
    let lead_reviewer = errors.check("lead_reviewer", optional_line(&form.lead_reviewer, "lead reviewer's name", 200)).unwrap_or_default();
    let publication = Publication::parse(&form.publication);
    let publication_reason =
        errors.check("publication_reason", optional_text(&form.publication_reason, "reason", 4000)).unwrap_or_default();
    let summary = errors.check("learning_summary", optional_text(&form.learning_summary, "learning summary", 8000)).unwrap_or_default();
    match stage {
        Stage::Recommended if recommendation.is_none() => errors.add("recommendation", "Select what the group recommends"),
        Stage::Recommended if reason.is_empty() => errors.add("recommendation_reason", "Enter the group's reasons"),
        Stage::Recommended if review.executive_id.is_none() => {
            errors.add("recommendation", "The partnership has no executive group to decide: add one on the structure page")
        }
        // While the partners decide, their decision moves the review on, not a stage recorded by hand.
        Stage::Commissioned | Stage::NationalReview | Stage::NoReview
            if review.stage == Stage::Recommended && review.decision.as_ref().is_some_and(DecisionLink::is_open) =>
        {
            let number = review.decision.as_ref().map(|d| d.number).unwrap_or_default();
            errors.add("stage", format!("The partners are deciding (decision D{number}): the review moves on by itself when they agree"))
        }
        Stage::ReviewerAppointed if lead_reviewer.is_empty() => errors.add("lead_reviewer", "Enter the lead reviewer's name"),
        Stage::PublicationDecided if publication.is_none() => errors.add("publication", "Select what the partners decided"),
        Stage::PublicationDecided if publication != Some(Publication::Publish) && publication_reason.is_empty() => {
            errors.add("publication_reason", "Enter the reason for the delay or for not publishing")
        }
        Stage::PublicationDecided if review.executive_id.is_none() => {
            errors.add("publication", "The partnership has no executive group to endorse it: add one on the structure page")
        }
        Stage::Published if review.publication == Some(Publication::NotPublish) => {
            errors.add("stage", "The partners decided not to publish this report: close the review instead")
        }
        Stage::Published if review.endorsement.as_ref().is_some_and(|e| !e.carried()) => {
            errors.add("stage", "The delegated partners have not endorsed the publication decision yet: it can be published once they have")
        }
        Stage::Published if summary.is_empty() => errors.add("learning_summary", "Enter the summary of learning the public page shows"),
        _ => {}
    }
    let Some(on) = on.filter(|_| errors.is_empty()) else {
        member.resume(tx);
        return render(&state, &session, member, &review_id, Forms { step: form, errors, ..Forms::default() }).await;
    };
    let pid = member.partnership.id;
    if !reach(&mut tx, pid, review.id, stage, on, &note, member.user.id).await? {
        return done(&session, "That stage was already recorded".into(), to).await;
    }
    // What the stage records on the review, and the decision a recommendation or a publication decision raises.
    let mut decision_id = None;
    let mut publication_decision_id = None;
    if stage == Stage::Recommended {
        let label = recommendation.expect("checked above").label(review.kind, &review.settings.dhr_label).to_lowercase();
        let question = format!("Do the partners agree with the {}'s recommendation for {}: {label}?", review.group_name, review.pseudonym);
        decision_id = Some(put_to_partners(&mut tx, &member, &address, &review, &label, question).await?);
    }
    if stage == Stage::PublicationDecided {
        let label = publication.expect("checked above").label().to_lowercase();
        let question = format!(
            "Do the delegated partners endorse the decision on the report of {}'s {}: {label}?",
            review.pseudonym,
            review.kind.review_name(&review.settings.dhr_label).to_lowercase()
        );
        let title = format!("publication: {label}");
        publication_decision_id = Some(put_to_partners(&mut tx, &member, &address, &review, &title, question).await?);
    }
    sqlx::query!(
        r#"update review set stage = $3,
                  recommendation = coalesce($4, recommendation),
                  recommendation_reason = case when $4::text is null then recommendation_reason else $5 end,
                  decision_id = coalesce($6, decision_id),
                  commissioned_on = case when $3 = 'commissioned' then $7 else commissioned_on end,
                  rapid_review_sent_on = case when $3 = 'recommended' and kind = 'child' then coalesce(rapid_review_sent_on, $7) else rapid_review_sent_on end,
                  lead_reviewer = case when $3 = 'reviewer_appointed' then $8 else lead_reviewer end,
                  publication = coalesce($9, publication),
                  publication_reason = case when $9::text is null then publication_reason else $10 end,
                  published_on = case when $3 = 'published' then $7 else published_on end,
                  learning_summary = case when $3 = 'published' then $11 else learning_summary end,
                  closed_on = case when $3 = 'closed' then $7 else closed_on end,
                  publication_decision_id = coalesce($12, publication_decision_id)
           where partnership_id = $1 and id = $2"#,
        pid,
        review.id,
        stage as Stage,
        (stage == Stage::Recommended).then_some(recommendation).flatten() as Option<Recommendation>,
        reason,
        decision_id,
        on,
        lead_reviewer,
        (stage == Stage::PublicationDecided).then_some(publication).flatten() as Option<Publication>,
        publication_reason,
        summary,
        publication_decision_id
    )
    .execute(&mut *tx)
    .await?;
    change(&member, "review.stage", "review", review.id, &address)
        .before(json!({ "stage": review.stage }))
        .after(json!({
            "stage": stage, "on": on, "note": note, "recommendation": recommendation, "decision_id": decision_id,
            "lead_reviewer": lead_reviewer, "publication": publication, "publication_reason": publication_reason,
            "publication_decision_id": publication_decision_id,
        }))
        .record(&mut tx)
        .await?;
    tx.commit().await?;
    let message = match stage {
        Stage::Recommended => format!("{}: recommendation put to the partners as a decision", review.pseudonym),
        Stage::PublicationDecided => format!("{}: publication decision put to the delegated partners to endorse", review.pseudonym),
        _ => format!("{}: {}", review.pseudonym, stage.label(review.kind)),
    };
    done(&session, message, to).await
}

/// The rapid review's dates with the National Panel and its reply, as typed.
#[derive(Deserialize, Default)]
pub(crate) struct PanelForm {
    #[serde(default)]
    notified_day: String,
    #[serde(default)]
    notified_month: String,
    #[serde(default)]
    notified_year: String,
    #[serde(default)]
    sent_day: String,
    #[serde(default)]
    sent_month: String,
    #[serde(default)]
    sent_year: String,
    #[serde(default)]
    replied_day: String,
    #[serde(default)]
    replied_month: String,
    #[serde(default)]
    replied_year: String,
    #[serde(default)]
    panel_reference: String,
    #[serde(default)]
    panel_reply: String,
}

/// Record when the Panel was notified and sent the rapid review, and what it replied.
pub(crate) async fn record_panel(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, review_id)): Path<(String, String)>,
    Submitted(form): Submitted<PanelForm>,
) -> Result<Response> {
    let mut tx = member.begin(&state).await?;
    let review = load(&mut tx, &member, &review_id).await?;
    if !runs(&member, review.group_id) || review.kind != Kind::Child {
        return Err(AppError::Forbidden);
    }
    let mut errors = FormErrors::default();
    let date = |d: &String, m: &String, y: &String| DateParts { day: d.clone(), month: m.clone(), year: y.clone() };
    let notified = errors.check(
        "notified_day",
        date(&form.notified_day, &form.notified_month, &form.notified_year).parse("Date the Panel was notified", false),
    );
    let sent =
        errors.check("sent_day", date(&form.sent_day, &form.sent_month, &form.sent_year).parse("Date the rapid review was sent", false));
    let replied = errors
        .check("replied_day", date(&form.replied_day, &form.replied_month, &form.replied_year).parse("Date the Panel replied", false));
    let reference = errors.check("panel_reference", optional_line(&form.panel_reference, "Panel's reference", 60));
    let reply = errors.check("panel_reply", optional_text(&form.panel_reply, "Panel's reply", 4000));
    for (field, d) in [("notified_day", notified.flatten()), ("sent_day", sent.flatten()), ("replied_day", replied.flatten())] {
        if d.is_some_and(|d| d > today()) {
            errors.add(field, "The date must be today or in the past");
        }
    }
    let (Some(notified), Some(sent), Some(replied), Some(reference), Some(reply), true) =
        (notified, sent, replied, reference, reply, errors.is_empty())
    else {
        member.resume(tx);
        let typed = PanelFields {
            notified: date(&form.notified_day, &form.notified_month, &form.notified_year),
            sent: date(&form.sent_day, &form.sent_month, &form.sent_year),
            replied: date(&form.replied_day, &form.replied_month, &form.replied_year),
            reference: form.panel_reference.clone(),
            reply: form.panel_reply.clone(),
        };
        return render(&state, &session, member, &review_id, Forms { panel: Some(typed), errors, ..Forms::default() }).await;
    };
    sqlx::query!(
        "update review set notified_panel_on = $3, rapid_review_sent_on = $4, panel_replied_on = $5, panel_reference = $6, panel_reply = $7
         where partnership_id = $1 and id = $2",
        member.partnership.id,
        review.id,
        notified,
        sent,
        replied,
        reference,
        reply
    )
    .execute(&mut *tx)
    .await?;
    change(&member, "review.panel", "review", review.id, &address)
        .before(json!({ "notified_panel_on": review.dates.notified_panel_on, "rapid_review_sent_on": review.dates.rapid_review_sent_on,
                        "panel_replied_on": review.panel_replied_on, "panel_reference": review.panel_reference }))
        .after(
            json!({ "notified_panel_on": notified, "rapid_review_sent_on": sent, "panel_replied_on": replied, "panel_reference": reference,
                       "panel_reply": reply }),
        )
        .record(&mut tx)
        .await?;
    tx.commit().await?;
    done(
        &session,
        format!("{}: the Panel's dates saved", review.pseudonym),
        format!("/p/{}/reviews/{}", member.partnership.slug, review.id),
    )
    .await
}

/// Put a question about a review to the partners as a confidential decision of the executive, closing in ten
/// working days: named by its pseudonym alone, and seen only by those entitled to confidential decisions.
async fn put_to_partners(tx: &mut Tx, member: &Member, address: &str, review: &Loaded, what: &str, question: String) -> Result<Uuid> {
    let id = Uuid::new_v4();
    let closes_on = working_days_after(today(), 10);
    let closes_at: DateTime<Utc> =
        uk_datetime(closes_on, NaiveTime::from_hms_opt(17, 0, 0).expect("a time")).ok_or(AppError::BadRequest)?;
    let d = NewDecision {
        id,
        group_id: review.executive_id.ok_or(AppError::BadRequest)?,
        title: format!("R{} {}: {what}", review.number, review.pseudonym),
        question,
        background: format!(
            "{} (R{}) is a {}. The reasons are on the review's page; its case is for those who may read it.",
            review.pseudonym,
            review.number,
            review.kind.label(&review.settings.dhr_label).to_lowercase()
        ),
        options: String::new(),
        confidential: true,
        closes_at,
        meeting_id: None,
        responds_to: String::new(),
    };
    crate::decisions::raise::put_and_tell(tx, member, address, &d).await?;
    Ok(id)
}

/// The day the Panel and the Secretary of State were told of a delay or a decision not to publish, as typed.
#[derive(Deserialize, Default)]
pub(crate) struct ToldForm {
    #[serde(default)]
    told_day: String,
    #[serde(default)]
    told_month: String,
    #[serde(default)]
    told_year: String,
}

/// Record that the Panel and the Secretary of State were told of a delay or a decision not to publish, and sent the full report.
pub(crate) async fn record_told(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, review_id)): Path<(String, String)>,
    Submitted(form): Submitted<ToldForm>,
) -> Result<Response> {
    let mut tx = member.begin(&state).await?;
    let review = load(&mut tx, &member, &review_id).await?;
    if !runs(&member, review.group_id) || !matches!(review.publication, Some(Publication::Delay | Publication::NotPublish)) {
        return Err(AppError::Forbidden);
    }
    let mut errors = FormErrors::default();
    let told = DateParts { day: form.told_day, month: form.told_month, year: form.told_year };
    let on = errors.check("told_day", told.parse("Date they were told", true)).flatten();
    if on.is_some_and(|d| d > today()) {
        errors.add("told_day", "The date must be today or in the past");
    }
    let Some(on) = on.filter(|_| errors.is_empty()) else {
        member.resume(tx);
        return render(&state, &session, member, &review_id, Forms { told: Some(told), errors, ..Forms::default() }).await;
    };
    sqlx::query!("update review set publication_told_on = $3 where partnership_id = $1 and id = $2", member.partnership.id, review.id, on)
        .execute(&mut *tx)
        .await?;
    change(&member, "review.publication_told", "review", review.id, &address)
        .before(json!({ "publication_told_on": review.publication_told_on }))
        .after(json!({ "publication_told_on": on }))
        .record(&mut tx)
        .await?;
    tx.commit().await?;
    done(
        &session,
        format!("{}: the Panel and the Secretary of State told on {}", review.pseudonym, long_date(on)),
        format!("/p/{}/reviews/{}", member.partnership.slug, review.id),
    )
    .await
}
