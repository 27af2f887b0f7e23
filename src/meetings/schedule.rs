//! A partnership's meetings: the list, planning a group's financial year of
//! meetings from its meetings a year, adding one (extraordinary too),
//! changing and cancelling them.

use crate::meetings::MeetingRow;
use crate::meetings::find_meeting;
use crate::meetings::notify_group;
use crate::meetings::{SCHEDULE_COLUMNS, SCHEDULE_WHEN, Scheduled, scheduled};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::json;
use tower_sessions::Session;
use uuid::Uuid;

use super::plan_dates;
use crate::calendar::FinancialYear;
use crate::calendar::{long_date as long, parse_time, today, uk_datetime, when};
use crate::db::Tx;
use crate::error::{AppError, Result};
use crate::roles::Capability;
use crate::tenant::Member;
use crate::tenant::change;
use crate::web::listing::{ListQuery, View, csv_download, plans, year_choices, year_span};
use crate::web::{
    AppState, ClientAddress, DateParts, FormErrors, Layout, Query, Submitted, optional_line, record_id as parse_id, redirect_with as done,
    required_text,
};

// ---------------------------------------------------------------- the list

/// The list's address: `?q=…&group=…&when=past&year=2025` and the list's sort and page.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ScheduleQuery {
    #[serde(flatten)]
    list: ListQuery,
    #[serde(default)]
    group: String,
    #[serde(default)]
    when: String,
    #[serde(default)]
    year: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "meetings/index.html")]
pub(crate) struct IndexPage {
    pub(super) layout: Layout,
    pub(super) member: Member,
    pub(super) meetings: Vec<MeetingRow>,
    pub(super) view: View,
    pub(super) can_manage: bool,
    pub(super) groups: Vec<(String, String)>,
    pub(super) group: String,
    pub(super) when: String,
    pub(super) whens: [(&'static str, &'static str); 4],
    pub(super) year: String,
    pub(super) years: Vec<(String, String)>,
}

/// The view asked for and its lines (a page, or the whole view for a download).
async fn read_schedule(
    state: &AppState,
    member: &Member,
    query: &ScheduleQuery,
    whole: bool,
) -> Result<(View, Vec<MeetingRow>, Vec<(String, String)>)> {
    let when = if SCHEDULE_WHEN.iter().any(|(code, _)| *code == query.when) { query.when.as_str() } else { "" };
    let group = query.group.parse::<Uuid>().ok();
    let (from, before) = year_span(&query.year);
    // Past meetings come newest first unless the address says otherwise.
    let newest_first: &[&str] = if when == "past" { &["date"] } else { &[] };
    let view = View::new(
        format!("/p/{}/meetings", member.partnership.slug),
        ("meeting", "meetings"),
        &query.list,
        &SCHEDULE_COLUMNS,
        newest_first,
    )
    .filter("group", group.map(|g| g.to_string()).unwrap_or_default())
    .filter("when", when)
    .filter("year", if from.is_some() { query.year.as_str() } else { "" })
    .when_empty(if when.is_empty() { "No meetings planned." } else { "No meetings yet." });
    let pattern = view.pattern();
    let reach = view.reach(whole);
    let asked = Scheduled {
        pattern: &pattern,
        group,
        when,
        from: from.map(crate::calendar::uk_midnight),
        before: before.map(crate::calendar::uk_midnight),
        sort: view.sort,
        descending: view.descending,
        reach,
        with_groups: !whole,
        as_it_opens: view.as_it_opens(),
    };
    let mut tx = member.begin(state).await?;
    plans(&mut tx, asked.as_it_opens).await?;
    let (meetings, total, groups) = scheduled(&mut tx, member.partnership.id, &asked).await?;
    tx.commit().await?;
    let shown = meetings.len();
    Ok((view.counted_up_to(total, shown), meetings, groups))
}

pub(crate) async fn index(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Query(query): Query<ScheduleQuery>,
) -> Result<IndexPage> {
    let (view, meetings, groups) = read_schedule(&state, &member, &query, false).await?;
    Ok(IndexPage {
        layout: member.layout(&session, "meetings").await?,
        can_manage: member.roles.allows(Capability::ManageMeetings),
        member,
        meetings,
        view,
        groups,
        group: query.group,
        when: query.when,
        whens: SCHEDULE_WHEN,
        year: query.year,
        years: year_choices(),
    })
}

/// The view as CSV: every meeting it holds, not only the page shown.
pub(crate) async fn export(State(state): State<AppState>, member: Member, Query(query): Query<ScheduleQuery>) -> Result<Response> {
    let (_, meetings, _) = read_schedule(&state, &member, &query, true).await?;
    let rows = meetings.into_iter().map(|m| {
        let local = |at: DateTime<Utc>| at.with_timezone(&chrono_tz::Europe::London).format("%Y-%m-%dT%H:%M").to_string();
        vec![
            local(m.starts_at),
            local(m.ends_at),
            m.group_name.clone(),
            m.location.clone(),
            if m.online_link.is_empty() { "No" } else { "Yes" }.to_owned(),
            if m.extraordinary { "Yes" } else { "No" }.to_owned(),
            if m.is_cancelled() { format!("Cancelled: {}", m.cancelled_reason) } else { "Going ahead".to_owned() },
            m.pack_circulated_at.map(|at| crate::calendar::uk_date(at).to_string()).unwrap_or_default(),
            m.id.to_string(),
        ]
    });
    let filename = format!("{}-meetings-{}.csv", member.partnership.slug, today());
    let headings =
        ["Starts (UK time)", "Ends (UK time)", "Group", "Where", "Online", "Extraordinary", "Status", "Papers circulated", "Reference"];
    Ok(csv_download(&filename, &headings, rows))
}

// ---------------------------------------------------------------- planning and single meetings

pub(super) struct GroupForMeetings {
    pub(super) id: Uuid,
    pub(super) name: String,
    pub(super) meetings_per_year: Option<i32>,
}

pub(super) async fn group_for_meetings(tx: &mut Tx, member: &Member, group_id: &str) -> Result<GroupForMeetings> {
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
    pub(super) date_day: String,
    #[serde(default)]
    pub(super) date_month: String,
    #[serde(default)]
    pub(super) date_year: String,
    #[serde(default)]
    pub(super) start_time: String,
    #[serde(default)]
    pub(super) end_time: String,
    #[serde(default)]
    pub(super) location: String,
    #[serde(default)]
    pub(super) online_link: String,
    #[serde(default)]
    pub(super) extraordinary: Option<String>,
}

pub(super) struct ValidMeeting {
    pub(super) date: NaiveDate,
    pub(super) starts_at: DateTime<Utc>,
    pub(super) ends_at: DateTime<Utc>,
    pub(super) location: String,
    pub(super) online_link: String,
}

pub(super) fn validate_meeting(form: &MeetingForm, errors: &mut FormErrors, what_date: &str) -> Option<ValidMeeting> {
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
    let location = errors.check("location", optional_line(&form.location, "place", 300));
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
pub(super) struct PlanPage {
    pub(super) layout: Layout,
    pub(super) member: Member,
    pub(super) errors: FormErrors,
    pub(super) form: MeetingForm,
    pub(super) group_id: Uuid,
    pub(super) group_name: String,
    pub(super) meetings_per_year: Option<i32>,
    /// "plan" for a year from the group's frequency, "one" for a single meeting.
    pub(super) mode: &'static str,
    pub(super) date_label: &'static str,
}

pub(super) async fn meeting_form_page(
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

pub(super) fn default_meeting_form() -> MeetingForm {
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
pub(super) async fn insert_meeting(
    tx: &mut Tx,
    member: &Member,
    group_id: Uuid,
    m: &ValidMeeting,
    extraordinary: bool,
) -> sqlx::Result<Option<Uuid>> {
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
        member.resume(tx);
        return meeting_form_page(&state, &session, member, &group_id, errors, form, "plan").await;
    };
    let Some(per_year) = group.meetings_per_year else {
        member.resume(tx);
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
        member.resume(tx);
        return meeting_form_page(&state, &session, member, &group_id, errors, form, "one").await;
    };
    let extraordinary = form.extraordinary.is_some();
    let Some(id) = insert_meeting(&mut tx, &member, group.id, &m, extraordinary).await? else {
        member.resume(tx);
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
pub(super) struct EditPage {
    pub(super) layout: Layout,
    pub(super) member: Member,
    pub(super) errors: FormErrors,
    pub(super) form: MeetingForm,
    pub(super) meeting: MeetingRow,
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
    pub(super) reason: String,
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
