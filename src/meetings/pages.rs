//! The meeting pages: a partnership's meetings, planning a group's year,
//! one meeting with its deadlines, agenda, attendance and quorum.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;
use tower_sessions::Session;
use uuid::Uuid;

use super::agenda::{Proposal, propose};
use super::{Deadlines, QuorumRule, plan_dates};
use crate::calendar::{FinancialYear, working_days_between};
use crate::calendar::{long_date as long, parse_time, today, uk_date, uk_datetime, when};
use crate::db::Tx;
use crate::error::{AppError, Result};
use crate::roles::Capability;
use crate::structure::Sector;
use crate::tenant::Member;
use crate::tenant::change;
use crate::web::{
    AppState, ClientAddress, DateParts, FormErrors, Layout, Submitted, optional_text, record_id as parse_id, redirect_with as done,
    required_text,
};

/// Tell the people with a seat on the meeting's group (and an account) about it, in the caller's transaction.
pub async fn notify_group(
    tx: &mut Tx,
    member: &Member,
    meeting: &MeetingRow,
    base_url: &str,
    event: &str,
    subject: &str,
    body: &str,
) -> sqlx::Result<()> {
    let seated = crate::people::Audience { group: Some(meeting.group_id), ..Default::default() };
    let recipients = crate::people::audience(tx, member.partnership.id, seated).await?;
    let link = format!("{base_url}/p/{}/meetings/{}", member.partnership.slug, meeting.id);
    for r in recipients {
        let body = format!("Dear {},\n\n{body}\n\nThe meeting page: {link}\n\n{}", r.display_name, member.partnership.name);
        crate::outbox::enqueue(
            tx,
            Some(member.partnership.id),
            &r.email,
            &r.display_name,
            subject,
            &body,
            &format!("{event}:{}:{}", meeting.id, r.email),
        )
        .await?;
    }
    Ok(())
}

/// A meeting as lists and pages show it.
#[derive(Clone, Debug)]
pub struct MeetingRow {
    pub id: Uuid,
    pub group_id: Uuid,
    pub group_name: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub location: String,
    pub online_link: String,
    pub extraordinary: bool,
    pub status: String,
    pub cancelled_reason: String,
    pub pack_circulated_at: Option<DateTime<Utc>>,
}

impl MeetingRow {
    pub fn when(&self) -> String {
        when(self.starts_at, self.ends_at)
    }
    pub fn day(&self) -> NaiveDate {
        uk_date(self.starts_at)
    }
    pub fn is_cancelled(&self) -> bool {
        self.status == "cancelled"
    }
    pub fn is_past(&self) -> bool {
        self.ends_at < Utc::now()
    }
}

async fn meetings(tx: &mut Tx, partnership_id: Uuid, meeting_id: Option<Uuid>) -> sqlx::Result<Vec<MeetingRow>> {
    sqlx::query_as!(
        MeetingRow,
        r#"select m.id, m.group_id, g.name as group_name, m.starts_at as "starts_at: DateTime<Utc>", m.ends_at as "ends_at: DateTime<Utc>",
                  m.location, m.online_link, m.extraordinary, m.status, m.cancelled_reason,
                  m.pack_circulated_at as "pack_circulated_at: DateTime<Utc>"
           from meeting m join partnership_group g on g.partnership_id = m.partnership_id and g.id = m.group_id
           where m.partnership_id = $1 and ($2::uuid is null or m.id = $2)
           order by m.starts_at, g.name"#,
        partnership_id,
        meeting_id
    )
    .fetch_all(&mut **tx)
    .await
}

/// One meeting of the partnership, if it exists.
pub async fn meeting(tx: &mut Tx, partnership_id: Uuid, meeting_id: Uuid) -> sqlx::Result<Option<MeetingRow>> {
    Ok(meetings(tx, partnership_id, Some(meeting_id)).await?.pop())
}

pub async fn find_meeting(tx: &mut Tx, member: &Member, meeting_id: &str) -> Result<MeetingRow> {
    let id = parse_id(meeting_id)?;
    meetings(tx, member.partnership.id, Some(id)).await?.pop().ok_or(AppError::NotFound)
}

// ---------------------------------------------------------------- the list

#[derive(Template, WebTemplate)]
#[template(path = "meetings/index.html")]
pub(crate) struct IndexPage {
    layout: Layout,
    member: Member,
    upcoming: Vec<MeetingRow>,
    recent: Vec<MeetingRow>,
    can_manage: bool,
}

pub(crate) async fn index(State(state): State<AppState>, session: Session, member: Member) -> Result<IndexPage> {
    let mut tx = member.begin(&state).await?;
    let all = meetings(&mut tx, member.partnership.id, None).await?;
    tx.commit().await?;
    let (past, upcoming): (Vec<_>, Vec<_>) = all.into_iter().partition(MeetingRow::is_past);
    let recent = past.into_iter().rev().take(20).collect();
    Ok(IndexPage {
        layout: member.layout(&session, "meetings").await?,
        can_manage: member.roles.allows(Capability::ManageMeetings),
        upcoming,
        recent,
        member,
    })
}

// ---------------------------------------------------------------- planning and single meetings

struct GroupForMeetings {
    id: Uuid,
    name: String,
    meetings_per_year: Option<i32>,
}

async fn group_for_meetings(tx: &mut Tx, member: &Member, group_id: &str) -> Result<GroupForMeetings> {
    let id = parse_id(group_id)?;
    sqlx::query_as!(
        GroupForMeetings,
        "select id, name, meetings_per_year from partnership_group where partnership_id = $1 and id = $2 and retired_on is null",
        member.partnership.id,
        id
    )
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(AppError::NotFound)
}

/// The fields every meeting form shares.
#[derive(Deserialize, Default)]
pub(crate) struct MeetingForm {
    #[serde(default)]
    date_day: String,
    #[serde(default)]
    date_month: String,
    #[serde(default)]
    date_year: String,
    #[serde(default)]
    start_time: String,
    #[serde(default)]
    end_time: String,
    #[serde(default)]
    location: String,
    #[serde(default)]
    online_link: String,
    #[serde(default)]
    extraordinary: Option<String>,
}

struct ValidMeeting {
    date: NaiveDate,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    location: String,
    online_link: String,
}

fn validate_meeting(form: &MeetingForm, errors: &mut FormErrors, what_date: &str) -> Option<ValidMeeting> {
    let date = DateParts { day: form.date_day.clone(), month: form.date_month.clone(), year: form.date_year.clone() };
    let date = errors.check("date_day", date.parse(what_date, true)).flatten();
    if date.is_some_and(|d| d < today()) {
        errors.add("date_day", format!("{what_date} must be today or in the future"));
    } else if date.is_some_and(|d| !crate::calendar::is_working_day(d)) {
        errors.add("date_day", format!("{what_date} must be a working day, not a weekend or bank holiday"));
    }
    let start = errors.check("start_time", parse_time(&form.start_time, "start time"));
    let end = errors.check("end_time", parse_time(&form.end_time, "end time"));
    if let (Some(s), Some(e)) = (start, end)
        && e <= s
    {
        errors.add("end_time", "End time must be after the start time");
    }
    let location = errors.check("location", optional_text(&form.location, "place", 300));
    let online_link = errors.check(
        "online_link",
        match form.online_link.trim() {
            "" => Ok(String::new()),
            link if (link.starts_with("https://") || link.starts_with("http://"))
                && link.len() <= 500
                && !link.contains(char::is_whitespace) =>
            {
                Ok(link.to_owned())
            }
            _ => Err("Enter the online meeting link as a full web address starting https://".to_owned()),
        },
    );
    if !errors.is_empty() {
        return None;
    }
    let (date, start, end) = (date?, start?, end?);
    let Some(starts_at) = uk_datetime(date, start) else {
        errors.add("start_time", "That time does not exist on that day (the clocks go forward)");
        return None;
    };
    let Some(ends_at) = uk_datetime(date, end) else {
        errors.add("end_time", "That time does not exist on that day (the clocks go forward)");
        return None;
    };
    Some(ValidMeeting { date, starts_at, ends_at, location: location?, online_link: online_link? })
}

#[derive(Template, WebTemplate)]
#[template(path = "meetings/plan.html")]
struct PlanPage {
    layout: Layout,
    member: Member,
    errors: FormErrors,
    form: MeetingForm,
    group_id: Uuid,
    group_name: String,
    meetings_per_year: Option<i32>,
    /// "plan" for a year from the group's frequency, "one" for a single meeting.
    mode: &'static str,
    date_label: &'static str,
}

async fn meeting_form_page(
    state: &AppState,
    session: &Session,
    member: Member,
    group_id: &str,
    errors: FormErrors,
    form: MeetingForm,
    mode: &'static str,
) -> Result<Response> {
    let mut tx = member.begin(state).await?;
    let group = group_for_meetings(&mut tx, &member, group_id).await?;
    tx.commit().await?;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = PlanPage {
        layout: member.layout(session, "meetings").await?,
        member,
        errors,
        form,
        group_id: group.id,
        group_name: group.name,
        meetings_per_year: group.meetings_per_year,
        date_label: if mode == "plan" { "Date of the first meeting" } else { "Date" },
        mode,
    };
    Ok((status, page).into_response())
}

fn default_meeting_form() -> MeetingForm {
    MeetingForm { start_time: "10:00".into(), end_time: "12:00".into(), ..MeetingForm::default() }
}

pub(crate) async fn plan_page(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Path((_, group_id)): Path<(String, String)>,
) -> Result<Response> {
    member.require(Capability::ManageMeetings)?;
    meeting_form_page(&state, &session, member, &group_id, FormErrors::default(), default_meeting_form(), "plan").await
}

pub(crate) async fn new_meeting_page(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Path((_, group_id)): Path<(String, String)>,
) -> Result<Response> {
    member.require(Capability::ManageMeetings)?;
    meeting_form_page(&state, &session, member, &group_id, FormErrors::default(), default_meeting_form(), "one").await
}

/// Insert one meeting unless the group already meets at that time; answers its id when new.
async fn insert_meeting(tx: &mut Tx, member: &Member, group_id: Uuid, m: &ValidMeeting, extraordinary: bool) -> sqlx::Result<Option<Uuid>> {
    let id = Uuid::new_v4();
    let inserted = sqlx::query!(
        "insert into meeting (partnership_id, id, group_id, starts_at, ends_at, location, online_link, extraordinary)
         values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict (partnership_id, group_id, starts_at) do nothing",
        member.partnership.id,
        id,
        group_id,
        m.starts_at as _,
        m.ends_at as _,
        m.location,
        m.online_link,
        extraordinary
    )
    .execute(&mut **tx)
    .await?;
    Ok((inserted.rows_affected() == 1).then_some(id))
}

pub(crate) async fn plan(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, group_id)): Path<(String, String)>,
    Submitted(form): Submitted<MeetingForm>,
) -> Result<Response> {
    member.require(Capability::ManageMeetings)?;
    let mut tx = member.begin(&state).await?;
    let group = group_for_meetings(&mut tx, &member, &group_id).await?;
    let mut errors = FormErrors::default();
    let Some(first) = validate_meeting(&form, &mut errors, "Date of the first meeting") else {
        drop(tx);
        return meeting_form_page(&state, &session, member, &group_id, errors, form, "plan").await;
    };
    let Some(per_year) = group.meetings_per_year else {
        drop(tx);
        errors.add("date_day", "This group meets as required: add its meetings one at a time");
        return meeting_form_page(&state, &session, member, &group_id, errors, form, "plan").await;
    };
    let (start, end) =
        (first.starts_at.with_timezone(&chrono_tz::Europe::London).time(), first.ends_at.with_timezone(&chrono_tz::Europe::London).time());
    let mut added = Vec::new();
    for day in plan_dates(first.date, per_year as u32) {
        let (Some(starts_at), Some(ends_at)) = (uk_datetime(day, start), uk_datetime(day, end)) else { continue };
        let meeting =
            ValidMeeting { date: day, starts_at, ends_at, location: first.location.clone(), online_link: first.online_link.clone() };
        if let Some(id) = insert_meeting(&mut tx, &member, group.id, &meeting, false).await? {
            added.push((id, day));
        }
    }
    let year = FinancialYear::containing(first.date);
    change(&member, "meetings.planned", "group", group.id, &address)
        .after(json!({ "financial_year": year.label(), "meetings": added.iter().map(|(id, day)| json!({ "id": id, "date": day })).collect::<Vec<_>>() }))
        .record(&mut tx)
        .await?;
    tx.commit().await?;
    let message = match added.len() {
        0 => format!("No meetings added: {} already has meetings at those times", group.name),
        n => format!("{n} meetings of {} planned for {}", group.name, year.label()),
    };
    done(&session, message, format!("/p/{}/meetings", member.partnership.slug)).await
}

pub(crate) async fn create_meeting(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, group_id)): Path<(String, String)>,
    Submitted(form): Submitted<MeetingForm>,
) -> Result<Response> {
    member.require(Capability::ManageMeetings)?;
    let mut tx = member.begin(&state).await?;
    let group = group_for_meetings(&mut tx, &member, &group_id).await?;
    let mut errors = FormErrors::default();
    let Some(m) = validate_meeting(&form, &mut errors, "Date") else {
        drop(tx);
        return meeting_form_page(&state, &session, member, &group_id, errors, form, "one").await;
    };
    let extraordinary = form.extraordinary.is_some();
    let Some(id) = insert_meeting(&mut tx, &member, group.id, &m, extraordinary).await? else {
        drop(tx);
        errors.add("start_time", format!("{} already meets at that time", group.name));
        return meeting_form_page(&state, &session, member, &group_id, errors, form, "one").await;
    };
    change(&member, "meeting.scheduled", "meeting", id, &address)
        .after(json!({ "group_id": group.id, "starts_at": m.starts_at, "ends_at": m.ends_at, "location": m.location, "online_link": m.online_link, "extraordinary": extraordinary }))
        .record(&mut tx)
        .await?;
    tx.commit().await?;
    done(&session, format!("Meeting of {} on {} added", group.name, long(m.date)), format!("/p/{}/meetings/{id}", member.partnership.slug))
        .await
}

#[derive(Template, WebTemplate)]
#[template(path = "meetings/edit.html")]
struct EditPage {
    layout: Layout,
    member: Member,
    errors: FormErrors,
    form: MeetingForm,
    meeting: MeetingRow,
}

pub(crate) async fn edit_meeting_page(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Path((_, meeting_id)): Path<(String, String)>,
) -> Result<Response> {
    member.require(Capability::ManageMeetings)?;
    let mut tx = member.begin(&state).await?;
    let meeting = find_meeting(&mut tx, &member, &meeting_id).await?;
    tx.commit().await?;
    let london = |t: DateTime<Utc>| t.with_timezone(&chrono_tz::Europe::London);
    let date = DateParts::from_date(Some(meeting.day()));
    let form = MeetingForm {
        date_day: date.day,
        date_month: date.month,
        date_year: date.year,
        start_time: london(meeting.starts_at).format("%H:%M").to_string(),
        end_time: london(meeting.ends_at).format("%H:%M").to_string(),
        location: meeting.location.clone(),
        online_link: meeting.online_link.clone(),
        extraordinary: meeting.extraordinary.then(|| "yes".into()),
    };
    Ok(EditPage { layout: member.layout(&session, "meetings").await?, member, errors: FormErrors::default(), form, meeting }
        .into_response())
}

pub(crate) async fn update_meeting(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, meeting_id)): Path<(String, String)>,
    Submitted(form): Submitted<MeetingForm>,
) -> Result<Response> {
    member.require(Capability::ManageMeetings)?;
    let mut tx = member.begin(&state).await?;
    let meeting = find_meeting(&mut tx, &member, &meeting_id).await?;
    let mut errors = FormErrors::default();
    let valid = validate_meeting(&form, &mut errors, "Date");
    let Some(m) = valid.filter(|_| !meeting.is_cancelled()) else {
        drop(tx);
        if meeting.is_cancelled() {
            errors.add("date_day", "This meeting was cancelled and cannot be changed");
        }
        let page = EditPage { layout: member.layout(&session, "meetings").await?, member, errors, form, meeting };
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    };
    let updated = sqlx::query!(
        "update meeting set starts_at = $3, ends_at = $4, location = $5, online_link = $6, extraordinary = $7
         where partnership_id = $1 and id = $2",
        member.partnership.id,
        meeting.id,
        m.starts_at as _,
        m.ends_at as _,
        m.location,
        m.online_link,
        form.extraordinary.is_some()
    )
    .execute(&mut *tx)
    .await;
    if let Err(sqlx::Error::Database(e)) = &updated
        && e.constraint() == Some("meeting_partnership_id_group_id_starts_at_key")
    {
        drop(tx);
        errors.add("start_time", format!("{} already meets at that time", meeting.group_name));
        let page = EditPage { layout: member.layout(&session, "meetings").await?, member, errors, form, meeting };
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    updated?;
    change(&member, "meeting.changed", "meeting", meeting.id, &address)
        .before(json!({ "starts_at": meeting.starts_at, "ends_at": meeting.ends_at, "location": meeting.location, "online_link": meeting.online_link, "extraordinary": meeting.extraordinary }))
        .after(json!({ "starts_at": m.starts_at, "ends_at": m.ends_at, "location": m.location, "online_link": m.online_link, "extraordinary": form.extraordinary.is_some() }))
        .record(&mut tx)
        .await?;
    if (m.starts_at, m.ends_at, &m.location, &m.online_link)
        != (meeting.starts_at, meeting.ends_at, &meeting.location, &meeting.online_link)
    {
        let subject = format!("Changed: {}, now {}", meeting.group_name, long(m.date));
        let body = format!(
            "The meeting of the {} has changed.\n\nWas: {}{}\nNow: {}{}",
            meeting.group_name,
            meeting.when(),
            if meeting.location.is_empty() { String::new() } else { format!(", {}", meeting.location) },
            when(m.starts_at, m.ends_at),
            if m.location.is_empty() { String::new() } else { format!(", {}", m.location) },
        );
        let event = format!(
            "changed-{}-{}",
            m.starts_at.timestamp(),
            crate::tokens::sha256_hex(&format!("{}{}", m.location, m.online_link)).get(..8).unwrap_or("")
        );
        notify_group(&mut tx, &member, &meeting, &state.config.public_url, &event, &subject, &body).await?;
    }
    tx.commit().await?;
    done(&session, "Meeting changed".into(), format!("/p/{}/meetings/{}", member.partnership.slug, meeting.id)).await
}

#[derive(Deserialize, Default)]
pub(crate) struct CancelForm {
    #[serde(default)]
    reason: String,
}

pub(crate) async fn cancel_meeting(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, meeting_id)): Path<(String, String)>,
    Submitted(form): Submitted<CancelForm>,
) -> Result<Response> {
    member.require(Capability::ManageMeetings)?;
    let mut tx = member.begin(&state).await?;
    let meeting = find_meeting(&mut tx, &member, &meeting_id).await?;
    let to = format!("/p/{}/meetings/{}", member.partnership.slug, meeting.id);
    let reason = match required_text(&form.reason, "reason for cancelling", 1000) {
        Ok(r) => r,
        Err(message) => return done(&session, format!("Not cancelled: {message}"), to).await,
    };
    let cancelled = sqlx::query!(
        "update meeting set status = 'cancelled', cancelled_reason = $3 where partnership_id = $1 and id = $2 and status = 'scheduled'",
        member.partnership.id,
        meeting.id,
        reason
    )
    .execute(&mut *tx)
    .await?;
    if cancelled.rows_affected() == 1 {
        change(&member, "meeting.cancelled", "meeting", meeting.id, &address)
            .before(json!({ "status": "scheduled" }))
            .after(json!({ "status": "cancelled", "reason": reason }))
            .record(&mut tx)
            .await?;
        let subject = format!("Cancelled: {}, {}", meeting.group_name, long(meeting.day()));
        let body = format!("The meeting of the {} on {} has been cancelled.\n\nReason: {reason}", meeting.group_name, meeting.when());
        notify_group(&mut tx, &member, &meeting, &state.config.public_url, "cancelled", &subject, &body).await?;
    }
    tx.commit().await?;
    done(&session, "Meeting cancelled".into(), to).await
}

// ---------------------------------------------------------------- one meeting

pub struct ItemRow {
    pub id: Uuid,
    pub title: String,
    pub purpose: String,
    pub presenter: String,
    pub summary: String,
    pub submitted_by_name: Option<String>,
    pub submitted_at: DateTime<Utc>,
    pub status: String,
    pub decision_reason: String,
    pub position: Option<i32>,
    pub minutes_allowed: Option<i32>,
}

impl ItemRow {
    pub fn purpose_label(&self) -> &'static str {
        match self.purpose.as_str() {
            "decision" => "For decision",
            "discussion" => "For discussion",
            _ => "For information",
        }
    }
    pub fn submitted_on(&self) -> String {
        long(uk_date(self.submitted_at))
    }
}

pub struct SeatLine {
    pub seat_id: Uuid,
    pub person_name: String,
    pub organisation_name: Option<String>,
    pub sector: Option<String>,
    pub role_in_group: String,
    pub status: Option<String>,
    pub deputy_name: String,
}

impl SeatLine {
    pub fn role_label(&self) -> &str {
        crate::structure::RoleInGroup::label_of(&self.role_in_group)
    }
    pub fn is_seat(&self, seat: &Option<Uuid>) -> bool {
        *seat == Some(self.seat_id)
    }
    pub fn status_is(&self, status: &str) -> bool {
        self.status.as_deref() == Some(status)
    }
    pub fn status_label(&self) -> String {
        match self.status.as_deref() {
            Some("present") => "Present".into(),
            Some("apologies") => "Apologies".into(),
            Some("deputy") => format!("Apologies, deputy: {}", self.deputy_name),
            Some("absent") => "Absent".into(),
            _ => "Not recorded".into(),
        }
    }
}

/// Whether the people recorded as present (or deputised) meet the quorum rule.
pub struct QuorumView {
    pub description: String,
    /// Whether any attendance has been recorded yet; before that there is nothing to judge.
    pub recorded: bool,
    pub met: bool,
    /// "Warwickshire Police", "Warwickshire County Council or Education …"
    pub missing: Vec<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "meetings/meeting.html")]
struct MeetingPage {
    layout: Layout,
    member: Member,
    meeting: MeetingRow,
    /// "Circulated on 7 December 2026, 5 working days before the meeting", with a warning when later than the rule.
    circulation: Option<(String, bool)>,
    minutes_status: Option<String>,
    /// None when this person may not see the papers.
    papers: Option<Vec<super::papers::Paper>>,
    cutoff: String,
    papers_due: String,
    cutoff_passed: bool,
    working_days_to_go: i64,
    agenda: Vec<ItemRow>,
    proposed: Vec<ItemRow>,
    late_requests: Vec<ItemRow>,
    refused: Vec<ItemRow>,
    seats: Vec<SeatLine>,
    quorum: Option<QuorumView>,
    can_manage: bool,
    can_submit: bool,
    my_seat: Option<Uuid>,
    errors: FormErrors,
    item_form: ItemForm,
}

struct MeetingDetail {
    meeting: MeetingRow,
    deadlines: Deadlines,
    items: Vec<ItemRow>,
    seats: Vec<SeatLine>,
    quorum: Option<QuorumView>,
}

async fn load_meeting(tx: &mut Tx, member: &Member, meeting_id: &str) -> Result<MeetingDetail> {
    let meeting = find_meeting(tx, member, meeting_id).await?;
    let pid = member.partnership.id;
    let rules = super::rules(tx, pid).await?;
    let deadlines = Deadlines::for_meeting(meeting.day(), &rules);
    let items = sqlx::query_as!(
        ItemRow,
        r#"select i.id, i.title, i.purpose, i.presenter, i.summary, u.display_name as "submitted_by_name?",
                  i.submitted_at as "submitted_at: DateTime<Utc>", i.status, i.decision_reason, i.position, i.minutes_allowed
           from agenda_item i left join app_user u on u.id = i.submitted_by
           where i.partnership_id = $1 and i.meeting_id = $2
           order by i.position nulls last, i.submitted_at"#,
        pid,
        meeting.id
    )
    .fetch_all(&mut **tx)
    .await?;
    let seats = load_seats(tx, pid, &meeting).await?;
    let quorum = match super::quorum_rule(tx, pid, meeting.group_id).await? {
        Some(rule) => Some(quorum_view(tx, pid, &rule, &seats).await?),
        None => None,
    };
    Ok(MeetingDetail { meeting, deadlines, items, seats, quorum })
}

/// The group's seats on the day of the meeting, with what was recorded for each.
pub async fn load_seats(tx: &mut Tx, pid: Uuid, meeting: &MeetingRow) -> sqlx::Result<Vec<SeatLine>> {
    let day = meeting.day();
    sqlx::query_as!(
        SeatLine,
        r#"select s.id as seat_id, s.person_name, o.name as "organisation_name?", o.sector as "sector?", s.role_in_group,
                  a.status as "status?", coalesce(a.deputy_name, '') as "deputy_name!"
           from group_member s
           left join organisation o on o.partnership_id = s.partnership_id and o.id = s.organisation_id
           left join attendance a on a.partnership_id = s.partnership_id and a.meeting_id = $3 and a.group_member_id = s.id
           where s.partnership_id = $1 and s.group_id = $2 and s.role_in_group <> 'invited'
             and s.starts_on <= $4 and (s.ends_on is null or s.ends_on >= $4)
           order by array_position(array['chair', 'vice_chair', 'member', 'adviser'], s.role_in_group), s.person_name"#,
        pid,
        meeting.group_id,
        meeting.id,
        day as _
    )
    .fetch_all(&mut **tx)
    .await
}

async fn quorum_view(tx: &mut Tx, partnership_id: Uuid, rule: &QuorumRule, seats: &[SeatLine]) -> Result<QuorumView> {
    let represented: Vec<String> =
        seats.iter().filter(|s| s.status_is("present") || s.status_is("deputy")).filter_map(|s| s.sector.clone()).collect();
    let missing = rule.missing(&represented);
    // Name the missing partners as the partnership names them.
    let partners = sqlx::query!(
        "select name, sector from organisation where partnership_id = $1 and is_statutory_partner and retired_on is null",
        partnership_id
    )
    .fetch_all(&mut **tx)
    .await?;
    let missing: Vec<String> = missing
        .iter()
        .map(|alternatives| {
            let names: Vec<String> = alternatives
                .iter()
                .map(|sector| {
                    partners
                        .iter()
                        .find(|p| &p.sector == sector)
                        .map(|p| p.name.clone())
                        .unwrap_or_else(|| Sector::label_of(sector).to_owned())
                })
                .collect();
            names.join(" or ")
        })
        .collect();
    let recorded = seats.iter().any(|s| s.status.is_some());
    Ok(QuorumView { description: rule.description.clone(), recorded, met: missing.is_empty(), missing })
}

pub async fn is_seat_holder(tx: &mut Tx, member: &Member, group_id: Uuid) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar!(
        "select id from group_member where partnership_id = $1 and group_id = $2 and membership_id = $3
           and starts_on <= current_date and (ends_on is null or ends_on >= current_date) limit 1",
        member.partnership.id,
        group_id,
        member.membership_id
    )
    .fetch_optional(&mut **tx)
    .await
}

async fn render_meeting(
    state: &AppState,
    session: &Session,
    member: Member,
    meeting_id: &str,
    errors: FormErrors,
    item_form: ItemForm,
) -> Result<Response> {
    let mut tx = member.begin(state).await?;
    let detail = load_meeting(&mut tx, &member, meeting_id).await?;
    let my_seat = is_seat_holder(&mut tx, &member, detail.meeting.group_id).await?;
    let minutes_status = sqlx::query_scalar!(
        "select status from minutes where partnership_id = $1 and meeting_id = $2",
        member.partnership.id,
        detail.meeting.id
    )
    .fetch_optional(&mut *tx)
    .await?;
    let papers = if super::papers::may_see_papers(&mut tx, &member, detail.meeting.group_id).await? {
        Some(super::papers::papers(&mut tx, member.partnership.id, detail.meeting.id).await?)
    } else {
        None
    };
    tx.commit().await?;
    let can_manage = member.roles.allows(Capability::ManageMeetings);
    let open = !detail.meeting.is_cancelled() && !detail.meeting.is_past();
    let today = today();
    let (mut agenda, mut proposed, mut late_requests, mut refused) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for item in detail.items {
        match item.status.as_str() {
            "accepted" => agenda.push(item),
            "proposed" => proposed.push(item),
            "late_request" => late_requests.push(item),
            "refused" => refused.push(item),
            _ => {}
        }
    }
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let circulation = detail.meeting.pack_circulated_at.map(|at| {
        let day = uk_date(at);
        let ahead = working_days_between(day, detail.meeting.day());
        let late = day > detail.deadlines.papers_due;
        (format!("Circulated on {}, {ahead} working {} before the meeting", long(day), if ahead == 1 { "day" } else { "days" }), late)
    });
    let page = MeetingPage {
        circulation,
        minutes_status,
        papers,
        layout: member.layout(session, "meetings").await?,
        cutoff: long(detail.deadlines.agenda_cutoff),
        papers_due: long(detail.deadlines.papers_due),
        cutoff_passed: detail.deadlines.is_late(today),
        working_days_to_go: working_days_between(today, detail.meeting.day()),
        can_submit: open && (can_manage || my_seat.is_some()),
        can_manage,
        my_seat,
        agenda,
        proposed,
        late_requests,
        refused,
        seats: detail.seats,
        quorum: detail.quorum,
        meeting: detail.meeting,
        member,
        errors,
        item_form,
    };
    Ok((status, page).into_response())
}

/// The meeting page with errors from a form posted elsewhere (a paper upload).
pub async fn render_meeting_with_errors(
    state: &AppState,
    session: &Session,
    member: Member,
    meeting_id: &str,
    errors: FormErrors,
) -> Result<Response> {
    render_meeting(state, session, member, meeting_id, errors, ItemForm { purpose: "discussion".into(), ..ItemForm::default() }).await
}

pub(crate) async fn meeting_page(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Path((_, meeting_id)): Path<(String, String)>,
) -> Result<Response> {
    render_meeting(
        &state,
        &session,
        member,
        &meeting_id,
        FormErrors::default(),
        ItemForm { purpose: "discussion".into(), ..ItemForm::default() },
    )
    .await
}

#[derive(Deserialize, Default)]
pub(crate) struct ItemForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    purpose: String,
    #[serde(default)]
    presenter: String,
    #[serde(default)]
    summary: String,
}

pub(crate) async fn submit_item(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, meeting_id)): Path<(String, String)>,
    Submitted(form): Submitted<ItemForm>,
) -> Result<Response> {
    let mut tx = member.begin(&state).await?;
    let meeting = find_meeting(&mut tx, &member, &meeting_id).await?;
    let allowed = member.roles.allows(Capability::ManageMeetings) || is_seat_holder(&mut tx, &member, meeting.group_id).await?.is_some();
    if !allowed {
        return Err(AppError::Forbidden);
    }
    let mut errors = FormErrors::default();
    if meeting.is_cancelled() || meeting.is_past() {
        errors.add("title", "Items can no longer be added to this meeting");
    }
    let title = errors.check("title", required_text(&form.title, "item's title", 200));
    let purpose = errors.check(
        "purpose",
        match form.purpose.as_str() {
            p @ ("decision" | "discussion" | "information") => Ok(p.to_owned()),
            _ => Err("Select whether the item is for decision, discussion or information".to_owned()),
        },
    );
    let presenter = errors.check("presenter", optional_text(&form.presenter, "presenter", 200));
    let summary = errors.check("summary", optional_text(&form.summary, "summary", 4000));
    let (Some(title), Some(purpose), Some(presenter), Some(summary)) = (title, purpose, presenter, summary) else {
        drop(tx);
        return render_meeting(&state, &session, member, &meeting_id, errors, form).await;
    };
    if !errors.is_empty() {
        drop(tx);
        return render_meeting(&state, &session, member, &meeting_id, errors, form).await;
    }
    let proposal = Proposal { title: &title, purpose: &purpose, presenter: &presenter, summary: &summary };
    let late = propose(&mut tx, &member, &address, &state.config.public_url, &meeting, proposal).await?.is_late();
    tx.commit().await?;
    let message = if late {
        format!("{title} was submitted after the cut-off: it goes to the chair as a late request")
    } else {
        format!("{title} submitted for the agenda")
    };
    done(&session, message, format!("/p/{}/meetings/{}", member.partnership.slug, meeting.id)).await
}

#[derive(Deserialize, Default)]
pub(crate) struct DecideForm {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    reason: String,
}

pub(crate) async fn decide_item(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, meeting_id, item_id)): Path<(String, String, String)>,
    Submitted(form): Submitted<DecideForm>,
) -> Result<Response> {
    member.require(Capability::ManageMeetings)?;
    let item_id = parse_id(&item_id)?;
    let mut tx = member.begin(&state).await?;
    let meeting = find_meeting(&mut tx, &member, &meeting_id).await?;
    let to = format!("/p/{}/meetings/{}", member.partnership.slug, meeting.id);
    let item = sqlx::query!(
        r#"select i.title, i.status, u.email as "email?", u.display_name as "submitter?"
           from agenda_item i left join app_user u on u.id = i.submitted_by
           where i.partnership_id = $1 and i.meeting_id = $2 and i.id = $3 for update of i"#,
        member.partnership.id,
        meeting.id,
        item_id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    if !matches!(item.status.as_str(), "proposed" | "late_request") {
        return done(&session, format!("{} was already decided", item.title), to).await;
    }
    let reason = form.reason.trim().chars().take(1000).collect::<String>();
    let new_status = match form.decision.as_str() {
        "accept" => "accepted",
        "refuse" if !reason.is_empty() => "refused",
        "refuse" => return done(&session, format!("{} was not refused: give a reason", item.title), to).await,
        _ => return Err(AppError::BadRequest),
    };
    sqlx::query!(
        "update agenda_item set status = $4, decision_reason = $5, decided_by = $6, decided_at = now(),
            position = case when $4 = 'accepted'
                            then (select coalesce(max(position), 0) + 1 from agenda_item where partnership_id = $1 and meeting_id = $2)
                            end
         where partnership_id = $1 and meeting_id = $2 and id = $3",
        member.partnership.id,
        meeting.id,
        item_id,
        new_status,
        reason,
        member.user.id
    )
    .execute(&mut *tx)
    .await?;
    change(
        &member,
        if new_status == "accepted" { "agenda_item.accepted" } else { "agenda_item.refused" },
        "agenda_item",
        item_id,
        &address,
    )
    .before(json!({ "title": item.title, "status": item.status }))
    .after(json!({ "title": item.title, "status": new_status, "reason": reason }))
    .record(&mut tx)
    .await?;
    if let (Some(email), Some(name)) = (&item.email, &item.submitter) {
        let verdict = if new_status == "accepted" { "is on the agenda".to_owned() } else { format!("was not accepted. Reason: {reason}") };
        let subject = format!("Agenda item: {}", item.title);
        let body = format!(
            "Dear {name},\n\nYour item \"{}\" for the meeting of the {} on {} {verdict}\n\nThe meeting page: {}/p/{}/meetings/{}\n\n{}",
            item.title,
            meeting.group_name,
            meeting.when(),
            state.config.public_url,
            member.partnership.slug,
            meeting.id,
            member.partnership.name
        );
        crate::outbox::enqueue(&mut tx, Some(member.partnership.id), email, name, &subject, &body, &format!("item-decision:{item_id}"))
            .await?;
    }
    tx.commit().await?;
    done(&session, format!("{} {}", item.title, if new_status == "accepted" { "added to the agenda" } else { "refused" }), to).await
}

pub(crate) async fn order_agenda(
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
    let to = format!("/p/{}/meetings/{}", member.partnership.slug, meeting.id);
    let items = sqlx::query!(
        "select id, title, position, minutes_allowed from agenda_item where partnership_id = $1 and meeting_id = $2 and status = 'accepted' for update",
        member.partnership.id,
        meeting.id
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut order = Vec::new();
    for item in &items {
        let number = |prefix: &str, max: i32| -> Result<Option<i32>, String> {
            match fields.get(&format!("{prefix}_{}", item.id)).map(|v| v.trim()).unwrap_or("") {
                "" => Ok(None),
                v => v
                    .parse::<i32>()
                    .ok()
                    .filter(|n| (1..=max).contains(n))
                    .map(Some)
                    .ok_or_else(|| format!("{}: enter a whole number from 1 to {max}", item.title)),
            }
        };
        match (number("position", 999), number("minutes", 480)) {
            (Ok(p), Ok(m)) => order.push((item.id, p.or(item.position), m)),
            (Err(e), _) | (_, Err(e)) => return done(&session, format!("Agenda not saved. {e}"), to).await,
        }
    }
    // Positions become 1, 2, 3 … in the order asked for, ties kept in their earlier order.
    order.sort_by_key(|(_, p, _)| p.unwrap_or(i32::MAX));
    for (n, (id, _, minutes)) in order.iter().enumerate() {
        sqlx::query!(
            "update agenda_item set position = $4, minutes_allowed = $5 where partnership_id = $1 and meeting_id = $2 and id = $3",
            member.partnership.id,
            meeting.id,
            id,
            n as i32 + 1,
            *minutes
        )
        .execute(&mut *tx)
        .await?;
    }
    change(&member, "agenda.ordered", "meeting", meeting.id, &address)
        .before(json!(
            items.iter().map(|i| json!({ "id": i.id, "position": i.position, "minutes": i.minutes_allowed })).collect::<Vec<_>>()
        ))
        .after(json!(
            order.iter().enumerate().map(|(n, (id, _, m))| json!({ "id": id, "position": n + 1, "minutes": m })).collect::<Vec<_>>()
        ))
        .record(&mut tx)
        .await?;
    tx.commit().await?;
    done(&session, "Agenda saved".into(), to).await
}

pub(crate) async fn record_attendance(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, meeting_id)): Path<(String, String)>,
    Submitted(fields): Submitted<HashMap<String, String>>,
) -> Result<Response> {
    let mut tx = member.begin(&state).await?;
    let detail = load_meeting(&mut tx, &member, &meeting_id).await?;
    let can_manage = member.roles.allows(Capability::ManageMeetings);
    let my_seat = is_seat_holder(&mut tx, &member, detail.meeting.group_id).await?;
    if !can_manage && my_seat.is_none() {
        return Err(AppError::Forbidden);
    }
    let to = format!("/p/{}/meetings/{}", member.partnership.slug, detail.meeting.id);
    if detail.meeting.is_cancelled() {
        return done(&session, "This meeting was cancelled: no attendance to record".into(), to).await;
    }
    let mut changes = Vec::new();
    for seat in &detail.seats {
        // A member may send their own apologies and name a deputy; the business manager records everyone.
        if !can_manage && Some(seat.seat_id) != my_seat {
            continue;
        }
        let Some(status) = fields.get(&format!("status_{}", seat.seat_id)).map(|s| s.trim()).filter(|s| !s.is_empty()) else { continue };
        let allowed: &[&str] = if can_manage { &["present", "apologies", "deputy", "absent"] } else { &["apologies", "deputy"] };
        if !allowed.contains(&status) {
            return Err(AppError::BadRequest);
        }
        let deputy = fields.get(&format!("deputy_{}", seat.seat_id)).map(|s| s.trim().to_owned()).unwrap_or_default();
        if status == "deputy" && deputy.is_empty() {
            return done(&session, format!("Attendance not saved: name the deputy for {}", seat.person_name), to).await;
        }
        if deputy.chars().count() > 200 {
            return done(&session, "Attendance not saved: a deputy's name must be 200 characters or fewer".into(), to).await;
        }
        let deputy = if status == "deputy" { deputy } else { String::new() };
        if seat.status.as_deref() == Some(status) && seat.deputy_name == deputy {
            continue;
        }
        sqlx::query!(
            "insert into attendance (partnership_id, meeting_id, group_member_id, status, deputy_name, recorded_by)
             values ($1, $2, $3, $4, $5, $6)
             on conflict (partnership_id, meeting_id, group_member_id) do update
             set status = excluded.status, deputy_name = excluded.deputy_name, recorded_by = excluded.recorded_by, recorded_at = now()",
            member.partnership.id,
            detail.meeting.id,
            seat.seat_id,
            status,
            deputy,
            member.user.id
        )
        .execute(&mut *tx)
        .await?;
        changes.push(json!({ "seat": seat.seat_id, "person": seat.person_name, "before": seat.status, "after": status, "deputy": deputy }));
    }
    if !changes.is_empty() {
        change(&member, "attendance.recorded", "meeting", detail.meeting.id, &address).after(json!(changes)).record(&mut tx).await?;
    }
    tx.commit().await?;
    done(&session, "Attendance saved".into(), to).await
}

/// Mark the agenda and papers as circulated now; the page then shows how many
/// working days ahead that was and warns when it was later than the rule.
pub(crate) async fn circulate_pack(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, meeting_id)): Path<(String, String)>,
) -> Result<Response> {
    member.require(Capability::ManageMeetings)?;
    let mut tx = member.begin(&state).await?;
    let meeting = find_meeting(&mut tx, &member, &meeting_id).await?;
    let to = format!("/p/{}/meetings/{}", member.partnership.slug, meeting.id);
    if meeting.is_cancelled() {
        return done(&session, "This meeting was cancelled: nothing to circulate".into(), to).await;
    }
    let rules = super::rules(&mut tx, member.partnership.id).await?;
    let deadlines = Deadlines::for_meeting(meeting.day(), &rules);
    let circulated = sqlx::query_scalar!(
        r#"update meeting set pack_circulated_at = now() where partnership_id = $1 and id = $2 and pack_circulated_at is null
           returning pack_circulated_at as "at!: DateTime<Utc>""#,
        member.partnership.id,
        meeting.id
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(at) = circulated else {
        return done(&session, "The pack was already circulated".into(), to).await;
    };
    let day = uk_date(at);
    let ahead = working_days_between(day, meeting.day());
    change(&member, "meeting.pack_circulated", "meeting", meeting.id, &address)
        .after(json!({ "circulated_on": day, "working_days_before": ahead, "rule": rules.papers_working_days }))
        .record(&mut tx)
        .await?;
    let subject = format!("Papers: {}, {}", meeting.group_name, long(meeting.day()));
    let body = format!("The agenda and papers for the meeting of the {} on {} are ready.", meeting.group_name, meeting.when());
    notify_group(&mut tx, &member, &meeting, &state.config.public_url, "pack", &subject, &body).await?;
    tx.commit().await?;
    let message = if day > deadlines.papers_due {
        format!(
            "Pack circulated {ahead} working days before the meeting: later than the partnership's rule of {}",
            rules.papers_working_days
        )
    } else {
        format!("Pack circulated {ahead} working days before the meeting")
    };
    done(&session, message, to).await
}
