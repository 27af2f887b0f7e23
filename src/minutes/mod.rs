//! Minutes: drafted against the agenda (a section per item, with actions),
//! circulated to the group for comment, approved at a later meeting, then
//! published with the passages marked confidential left out. The attendance
//! record stays with them.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;
use tower_sessions::Session;
use uuid::Uuid;

use crate::audit::Change;
use crate::calendar::long_date as long;
use crate::db::Tx;
use crate::error::{AppError, Result};
use crate::meetings::{MeetingRow, SeatLine, find_meeting, is_seat_holder, load_seats, notify_group};
use crate::roles::Capability;
use crate::tenant::Member;
use crate::web::{AppState, ClientAddress, DateParts, FormErrors, Layout, Submitted, redirect_with as done, required_text};

pub struct Section {
    pub id: Uuid,
    pub heading: String,
    pub body: String,
    pub confidential: bool,
}

pub struct SectionAction {
    pub section_id: Option<Uuid>,
    pub description: String,
    pub owner_name: String,
    pub due_on: NaiveDate,
}

impl SectionAction {
    pub fn due(&self) -> String {
        long(self.due_on)
    }
}

pub struct Comment {
    pub author: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

impl Comment {
    pub fn when(&self) -> String {
        long(crate::calendar::uk_date(self.created_at))
    }
}

/// Where the minutes stand. Stored as text: `draft`, `circulated`, `approved`, `published`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::Type, serde::Serialize)]
#[sqlx(type_name = "text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum MinutesStatus {
    /// The business unit's alone.
    Draft,
    /// Sent to the group for comment.
    Circulated,
    /// Approved at a later meeting of the group.
    Approved,
    /// Public, without the confidential passages.
    Published,
}

impl MinutesStatus {
    /// Still being written: sections, actions and text can change.
    pub fn is_open(self) -> bool {
        matches!(self, MinutesStatus::Draft | MinutesStatus::Circulated)
    }
}

struct MinutesState {
    status: MinutesStatus,
    approved_at_meeting: Option<String>,
}

struct Loaded {
    meeting: MeetingRow,
    minutes: Option<MinutesState>,
    sections: Vec<Section>,
    actions: Vec<SectionAction>,
    comments: Vec<Comment>,
    seats: Vec<SeatLine>,
}

async fn load(tx: &mut Tx, member: &Member, meeting_id: &str) -> Result<Loaded> {
    let meeting = find_meeting(tx, member, meeting_id).await?;
    let pid = member.partnership.id;
    let minutes = sqlx::query!(
        r#"select m.status as "status: MinutesStatus", g.name || ', ' || to_char(a.starts_at at time zone 'Europe/London', 'FMDD FMMonth YYYY') as "approved_at?"
           from minutes m
           left join meeting a on a.partnership_id = m.partnership_id and a.id = m.approved_at_meeting_id
           left join partnership_group g on g.partnership_id = a.partnership_id and g.id = a.group_id
           where m.partnership_id = $1 and m.meeting_id = $2"#,
        pid,
        meeting.id
    )
    .fetch_optional(&mut **tx)
    .await?
    .map(|r| MinutesState { status: r.status, approved_at_meeting: r.approved_at });
    let sections = sqlx::query_as!(
        Section,
        "select id, heading, body, confidential from minute_section where partnership_id = $1 and meeting_id = $2 order by position",
        pid,
        meeting.id
    )
    .fetch_all(&mut **tx)
    .await?;
    let actions = sqlx::query_as!(
        SectionAction,
        r#"select minute_section_id as section_id, description, owner_name, due_on as "due_on: NaiveDate"
           from action_point where partnership_id = $1 and meeting_id = $2 order by created_at"#,
        pid,
        meeting.id
    )
    .fetch_all(&mut **tx)
    .await?;
    let comments = sqlx::query_as!(
        Comment,
        r#"select u.display_name as author, c.body, c.created_at as "created_at: DateTime<Utc>"
           from minutes_comment c join app_user u on u.id = c.author_user_id
           where c.partnership_id = $1 and c.meeting_id = $2 order by c.created_at"#,
        pid,
        meeting.id
    )
    .fetch_all(&mut **tx)
    .await?;
    let seats = load_seats(tx, pid, &meeting).await?;
    Ok(Loaded { meeting, minutes, sections, actions, comments, seats })
}

/// Whether this person may read the full minutes (confidential passages too):
/// business managers, and members of the group once the draft is circulated.
async fn may_read_full(tx: &mut Tx, member: &Member, meeting: &MeetingRow) -> sqlx::Result<bool> {
    if member.roles.allows(Capability::ManageMeetings) {
        return Ok(true);
    }
    Ok(is_seat_holder(tx, member, meeting.group_id).await?.is_some())
}

#[derive(Template, WebTemplate)]
#[template(path = "meetings/minutes.html")]
struct MinutesPage {
    layout: Layout,
    member: Member,
    meeting: MeetingRow,
    status: Option<MinutesStatus>,
    approved_at_meeting: Option<String>,
    sections: Vec<Section>,
    actions: Vec<SectionAction>,
    comments: Vec<Comment>,
    seats: Vec<SeatLine>,
    can_manage: bool,
    people: Vec<(String, String)>,
    later_meetings: Vec<(String, String)>,
    /// Decisions put to the partners at this meeting.
    decisions: Vec<crate::decisions::RegisterLine>,
    errors: FormErrors,
}

impl MinutesPage {
    fn actions_for(&self, section: &Uuid) -> Vec<&SectionAction> {
        self.actions.iter().filter(|a| a.section_id.as_ref() == Some(section)).collect()
    }
    fn is(&self, status: MinutesStatus) -> bool {
        self.status == Some(status)
    }
}

async fn render(state: &AppState, session: &Session, member: Member, meeting_id: &str, errors: FormErrors) -> Result<Response> {
    let mut tx = member.begin(state).await?;
    let loaded = load(&mut tx, &member, meeting_id).await?;
    let can_manage = member.roles.allows(Capability::ManageMeetings);
    let full = may_read_full(&mut tx, &member, &loaded.meeting).await?;
    let status = loaded.minutes.as_ref().map(|m| m.status);
    // Drafts are the business manager's; members of the group read them once circulated; others read what is published.
    let visible = can_manage || (full && status.is_some_and(|s| s != MinutesStatus::Draft));
    if !visible {
        drop(tx);
        if status == Some(MinutesStatus::Published) {
            return Ok(
                Redirect::to(&format!("/p/{}/meetings/{}/minutes/published", member.partnership.slug, loaded.meeting.id)).into_response()
            );
        }
        return Err(AppError::NotFound);
    }
    let people = if can_manage {
        crate::people::list(&mut tx, member.partnership.id)
            .await?
            .into_iter()
            .map(|p| (p.membership_id.to_string(), p.display_name))
            .collect()
    } else {
        Vec::new()
    };
    let later_meetings = sqlx::query!(
        r#"select id, starts_at as "starts_at: DateTime<Utc>", ends_at as "ends_at: DateTime<Utc>" from meeting
           where partnership_id = $1 and group_id = $2 and starts_at > $3 and status = 'scheduled' order by starts_at"#,
        member.partnership.id,
        loaded.meeting.group_id,
        loaded.meeting.starts_at as _
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|r| (r.id.to_string(), crate::calendar::when(r.starts_at, r.ends_at)))
    .collect();
    let decisions = crate::decisions::register_lines(&mut tx, member.partnership.id, false, Some(loaded.meeting.id)).await?;
    tx.commit().await?;
    let status_code = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = MinutesPage {
        layout: member.layout(session, "meetings").await?,
        meeting: loaded.meeting,
        approved_at_meeting: loaded.minutes.and_then(|m| m.approved_at_meeting),
        status,
        sections: loaded.sections,
        actions: loaded.actions,
        comments: loaded.comments,
        seats: loaded.seats,
        can_manage,
        people,
        later_meetings,
        decisions,
        errors,
        member,
    };
    Ok((status_code, page).into_response())
}

pub(crate) async fn minutes_page(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Path((_, meeting_id)): Path<(String, String)>,
) -> Result<Response> {
    render(&state, &session, member, &meeting_id, FormErrors::default()).await
}

fn to_minutes(member: &Member, meeting: &MeetingRow) -> String {
    format!("/p/{}/meetings/{}/minutes", member.partnership.slug, meeting.id)
}

fn change<'a>(member: &Member, action: &'a str, id: Uuid, address: &'a str) -> Change<'a> {
    crate::tenant::change(member, action, "minutes", id, address)
}

/// The minutes' status, locked for the change that follows.
async fn locked_status(tx: &mut Tx, member: &Member, meeting: &MeetingRow) -> Result<MinutesStatus> {
    sqlx::query_scalar!(
        r#"select status as "status: MinutesStatus" from minutes where partnership_id = $1 and meeting_id = $2 for update"#,
        member.partnership.id,
        meeting.id
    )
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(AppError::NotFound)
}

pub(crate) async fn start(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, meeting_id)): Path<(String, String)>,
) -> Result<Response> {
    member.require(Capability::ManageMeetings)?;
    let mut tx = member.begin(&state).await?;
    let meeting = find_meeting(&mut tx, &member, &meeting_id).await?;
    let created = sqlx::query!(
        "insert into minutes (partnership_id, meeting_id) values ($1, $2) on conflict do nothing",
        member.partnership.id,
        meeting.id
    )
    .execute(&mut *tx)
    .await?;
    if created.rows_affected() == 1 {
        // A section for each item on the agenda, in agenda order.
        sqlx::query!(
            "insert into minute_section (partnership_id, id, meeting_id, agenda_item_id, position, heading)
             select partnership_id, gen_random_uuid(), meeting_id, id, row_number() over (order by position nulls last, submitted_at), title
             from agenda_item where partnership_id = $1 and meeting_id = $2 and status = 'accepted'",
            member.partnership.id,
            meeting.id
        )
        .execute(&mut *tx)
        .await?;
        change(&member, "minutes.started", meeting.id, &address).after(json!({ "status": "draft" })).record(&mut tx).await?;
    }
    tx.commit().await?;
    done(&session, "Minutes started from the agenda".into(), to_minutes(&member, &meeting)).await
}

pub(crate) async fn save_sections(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, meeting_id)): Path<(String, String)>,
    Submitted(fields): Submitted<HashMap<String, String>>,
) -> Result<Response> {
    member.require(Capability::ManageMeetings)?;
    let mut tx = member.begin(&state).await?;
    let meeting = find_meeting(&mut tx, &member, &meeting_id).await?;
    let status = locked_status(&mut tx, &member, &meeting).await?;
    if !status.is_open() {
        return done(&session, "Approved minutes cannot be changed".into(), to_minutes(&member, &meeting)).await;
    }
    let sections = sqlx::query_as!(
        Section,
        "select id, heading, body, confidential from minute_section where partnership_id = $1 and meeting_id = $2 order by position",
        member.partnership.id,
        meeting.id
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut errors = FormErrors::default();
    for s in &sections {
        if fields.get(&format!("body_{}", s.id)).is_some_and(|b| b.chars().count() > 50000) {
            errors.add("sections", format!("{}: the text must be 50,000 characters or fewer", s.heading));
        }
    }
    if !errors.is_empty() {
        member.resume(tx);
        return render(&state, &session, member, &meeting_id, errors).await;
    }
    let mut changed = Vec::new();
    for s in &sections {
        let body = fields.get(&format!("body_{}", s.id)).cloned().unwrap_or_default();
        let confidential = fields.contains_key(&format!("confidential_{}", s.id));
        if body != s.body || confidential != s.confidential {
            sqlx::query!(
                "update minute_section set body = $3, confidential = $4 where partnership_id = $1 and id = $2",
                member.partnership.id,
                s.id,
                body,
                confidential
            )
            .execute(&mut *tx)
            .await?;
            changed.push(json!({ "section": s.heading, "before": { "body": s.body, "confidential": s.confidential }, "after": { "body": body, "confidential": confidential } }));
        }
    }
    if !changed.is_empty() {
        change(&member, "minutes.edited", meeting.id, &address).after(json!(changed)).record(&mut tx).await?;
    }
    tx.commit().await?;
    done(&session, "Minutes saved".into(), to_minutes(&member, &meeting)).await
}

#[derive(Deserialize, Default)]
pub(crate) struct SectionForm {
    #[serde(default)]
    heading: String,
}

pub(crate) async fn add_section(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, meeting_id)): Path<(String, String)>,
    Submitted(form): Submitted<SectionForm>,
) -> Result<Response> {
    member.require(Capability::ManageMeetings)?;
    let mut tx = member.begin(&state).await?;
    let meeting = find_meeting(&mut tx, &member, &meeting_id).await?;
    let status = locked_status(&mut tx, &member, &meeting).await?;
    let mut errors = FormErrors::default();
    let heading = errors.check("heading", required_text(&form.heading, "section's heading", 200));
    if !status.is_open() {
        errors.add("heading", "Approved minutes cannot be changed");
    }
    let Some(heading) = heading.filter(|_| errors.is_empty()) else {
        member.resume(tx);
        return render(&state, &session, member, &meeting_id, errors).await;
    };
    let id = Uuid::new_v4();
    sqlx::query!(
        "insert into minute_section (partnership_id, id, meeting_id, position, heading)
         values ($1, $2, $3, (select coalesce(max(position), 0) + 1 from minute_section where partnership_id = $1 and meeting_id = $3), $4)",
        member.partnership.id,
        id,
        meeting.id,
        heading
    )
    .execute(&mut *tx)
    .await?;
    change(&member, "minutes.section_added", meeting.id, &address).after(json!({ "heading": heading })).record(&mut tx).await?;
    tx.commit().await?;
    done(&session, format!("Section {heading} added"), to_minutes(&member, &meeting)).await
}

#[derive(Deserialize, Default)]
pub(crate) struct ActionForm {
    #[serde(default)]
    section_id: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    due_day: String,
    #[serde(default)]
    due_month: String,
    #[serde(default)]
    due_year: String,
}

pub(crate) async fn add_action(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, meeting_id)): Path<(String, String)>,
    Submitted(form): Submitted<ActionForm>,
) -> Result<Response> {
    member.require(Capability::ManageMeetings)?;
    let mut tx = member.begin(&state).await?;
    let meeting = find_meeting(&mut tx, &member, &meeting_id).await?;
    let status = locked_status(&mut tx, &member, &meeting).await?;
    let mut errors = FormErrors::default();
    if !status.is_open() {
        errors.add("description", "Approved minutes cannot be changed");
    }
    let section = Uuid::parse_str(&form.section_id).ok();
    let section = match section {
        Some(id) => {
            sqlx::query_scalar!(
                "select id from minute_section where partnership_id = $1 and meeting_id = $2 and id = $3",
                member.partnership.id,
                meeting.id,
                id
            )
            .fetch_optional(&mut *tx)
            .await?
        }
        None => None,
    };
    if section.is_none() {
        errors.add("description", "Choose the section of the minutes the action comes from");
    }
    let description = errors.check("description", required_text(&form.description, "action", 2000));
    let people = crate::people::list(&mut tx, member.partnership.id).await?;
    let owner = people.iter().find(|p| p.membership_id.to_string() == form.owner);
    if owner.is_none() {
        errors.add("owner", "Select who owns the action");
    }
    let due = DateParts { day: form.due_day.clone(), month: form.due_month.clone(), year: form.due_year.clone() };
    let due_on = errors.check("due_day", due.parse("Due date", true)).flatten();
    if due_on.is_some_and(|d| d < crate::calendar::today()) {
        errors.add("due_day", "Due date must be today or in the future");
    }
    let (Some(description), Some(owner), Some(due_on), true) = (description, owner, due_on, errors.is_empty()) else {
        member.resume(tx);
        return render(&state, &session, member, &meeting_id, errors).await;
    };
    let action = crate::actions::NewAction {
        description,
        owner_membership_id: owner.membership_id,
        owner_name: owner.display_name.clone(),
        due_on,
        group_id: Some(meeting.group_id),
        meeting_id: Some(meeting.id),
        minute_section_id: section,
        recommendation_lineage_id: None,
    };
    crate::actions::set(&mut tx, &member, &address, &action).await?;
    tx.commit().await?;
    done(&session, format!("Action for {} added", owner.display_name), to_minutes(&member, &meeting)).await
}

/// Move the minutes on from one status to the next; answers false (and does
/// nothing) when they are not at `from`, as after a repeated click.
async fn advance(
    state: &AppState,
    member: &Member,
    address: &str,
    meeting_id: &str,
    from: MinutesStatus,
    to: MinutesStatus,
    approved_at: Option<Uuid>,
) -> Result<bool> {
    let mut tx = member.begin(state).await?;
    let meeting = find_meeting(&mut tx, member, meeting_id).await?;
    let status = locked_status(&mut tx, member, &meeting).await?;
    if status != from {
        return Ok(false);
    }
    sqlx::query!(
        "update minutes set status = $3,
             circulated_at = case when $3 = 'circulated' then now() else circulated_at end,
             approved_at = case when $3 = 'approved' then now() else approved_at end,
             approved_at_meeting_id = coalesce($4, approved_at_meeting_id),
             published_at = case when $3 = 'published' then now() else published_at end
         where partnership_id = $1 and meeting_id = $2",
        member.partnership.id,
        meeting.id,
        to as _,
        approved_at
    )
    .execute(&mut *tx)
    .await?;
    change(member, "minutes.status_changed", meeting.id, address)
        .before(json!({ "status": from }))
        .after(json!({ "status": to, "approved_at_meeting_id": approved_at }))
        .record(&mut tx)
        .await?;
    if to == MinutesStatus::Circulated {
        let subject = format!("Draft minutes for comment: {}, {}", meeting.group_name, long(meeting.day()));
        let body =
            format!("The draft minutes of the meeting of the {} on {} are ready for your comments.", meeting.group_name, meeting.when());
        notify_group(&mut tx, member, &meeting, &state.config.public_url, "minutes", &subject, &body).await?;
    }
    tx.commit().await?;
    Ok(true)
}

pub(crate) async fn circulate(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, meeting_id)): Path<(String, String)>,
) -> Result<Response> {
    member.require(Capability::ManageMeetings)?;
    let to = format!("/p/{}/meetings/{meeting_id}/minutes", member.partnership.slug);
    match advance(&state, &member, &address, &meeting_id, MinutesStatus::Draft, MinutesStatus::Circulated, None).await? {
        true => done(&session, "Draft minutes circulated to the group for comment".into(), to).await,
        false => done(&session, "The minutes were already circulated".into(), to).await,
    }
}

#[derive(Deserialize, Default)]
pub(crate) struct CommentForm {
    #[serde(default)]
    body: String,
}

pub(crate) async fn comment(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, meeting_id)): Path<(String, String)>,
    Submitted(form): Submitted<CommentForm>,
) -> Result<Response> {
    let mut tx = member.begin(&state).await?;
    let meeting = find_meeting(&mut tx, &member, &meeting_id).await?;
    if !may_read_full(&mut tx, &member, &meeting).await? {
        return Err(AppError::Forbidden);
    }
    let status = locked_status(&mut tx, &member, &meeting).await?;
    let mut errors = FormErrors::default();
    if status != MinutesStatus::Circulated {
        errors.add("body", "Comments are taken while the draft is circulated");
    }
    let body = errors.check("body", required_text(&form.body, "comment", 5000));
    let Some(body) = body.filter(|_| errors.is_empty()) else {
        member.resume(tx);
        return render(&state, &session, member, &meeting_id, errors).await;
    };
    let id = Uuid::new_v4();
    sqlx::query!(
        "insert into minutes_comment (partnership_id, id, meeting_id, author_user_id, body) values ($1, $2, $3, $4, $5)",
        member.partnership.id,
        id,
        meeting.id,
        member.user.id,
        body
    )
    .execute(&mut *tx)
    .await?;
    change(&member, "minutes.commented", meeting.id, &address).after(json!({ "comment": body })).record(&mut tx).await?;
    tx.commit().await?;
    done(&session, "Comment added".into(), to_minutes(&member, &meeting)).await
}

#[derive(Deserialize, Default)]
pub(crate) struct ApproveForm {
    #[serde(default)]
    approved_at_meeting_id: String,
}

pub(crate) async fn approve(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, meeting_id)): Path<(String, String)>,
    Submitted(form): Submitted<ApproveForm>,
) -> Result<Response> {
    member.require(Capability::ManageMeetings)?;
    let to = format!("/p/{}/meetings/{meeting_id}/minutes", member.partnership.slug);
    // The approving meeting must be a later meeting of the same group.
    let mut tx = member.begin(&state).await?;
    let meeting = find_meeting(&mut tx, &member, &meeting_id).await?;
    let later = Uuid::parse_str(&form.approved_at_meeting_id).ok();
    let valid = match later {
        Some(id) => sqlx::query_scalar!(
            r#"select exists (select 1 from meeting where partnership_id = $1 and id = $2 and group_id = $3 and starts_at > $4) as "ok!""#,
            member.partnership.id,
            id,
            meeting.group_id,
            meeting.starts_at as _
        )
        .fetch_one(&mut *tx)
        .await?,
        None => false,
    };
    member.resume(tx);
    if !valid {
        let mut errors = FormErrors::default();
        errors.add("approved_at_meeting_id", "Select the later meeting of the group that approved the minutes");
        return render(&state, &session, member, &meeting_id, errors).await;
    }
    match advance(&state, &member, &address, &meeting_id, MinutesStatus::Circulated, MinutesStatus::Approved, later).await? {
        true => done(&session, "Minutes recorded as approved".into(), to).await,
        false => done(&session, "Only circulated minutes can be approved".into(), to).await,
    }
}

pub(crate) async fn publish(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, meeting_id)): Path<(String, String)>,
) -> Result<Response> {
    member.require(Capability::ManageMeetings)?;
    let to = format!("/p/{}/meetings/{meeting_id}/minutes", member.partnership.slug);
    match advance(&state, &member, &address, &meeting_id, MinutesStatus::Approved, MinutesStatus::Published, None).await? {
        true => done(&session, "Minutes published, without the passages marked confidential".into(), to).await,
        false => done(&session, "Only approved minutes can be published".into(), to).await,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "meetings/minutes_published.html")]
pub(crate) struct PublishedPage {
    layout: Layout,
    member: Member,
    meeting: MeetingRow,
    approved_at_meeting: Option<String>,
    /// Only the sections not marked confidential.
    sections: Vec<Section>,
    seats: Vec<SeatLine>,
    /// Decisions taken at the meeting that are not confidential.
    decisions: Vec<crate::decisions::RegisterLine>,
}

pub(crate) async fn published_page(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Path((_, meeting_id)): Path<(String, String)>,
) -> Result<PublishedPage> {
    let mut tx = member.begin(&state).await?;
    let loaded = load(&mut tx, &member, &meeting_id).await?;
    let decisions = crate::decisions::register_lines(&mut tx, member.partnership.id, true, Some(loaded.meeting.id)).await?;
    tx.commit().await?;
    let minutes = loaded.minutes.filter(|m| m.status == MinutesStatus::Published).ok_or(AppError::NotFound)?;
    Ok(PublishedPage {
        layout: member.layout(&session, "meetings").await?,
        member,
        meeting: loaded.meeting,
        approved_at_meeting: minutes.approved_at_meeting,
        sections: loaded.sections.into_iter().filter(|s| !s.confidential).collect(),
        seats: loaded.seats,
        decisions,
    })
}
