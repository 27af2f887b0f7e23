//! Minutes: drafted against the agenda (a section per item, with actions),
//! circulated to the group for comment, approved at a later meeting, then
//! published with the passages marked confidential left out. The attendance
//! record stays with them.

pub mod circulation;
pub mod drafting;
pub mod published;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;
use tower_sessions::Session;
use uuid::Uuid;

use crate::audit::Change;
use crate::calendar::long_date as long;
use crate::db::Tx;
use crate::error::{AppError, Result};
use crate::meetings::{MeetingRow, SeatLine, find_meeting, notify_group};
use crate::roles::Capability;
use crate::tenant::Member;
use crate::web::{AppState, FormErrors, Layout};
use serde::Deserialize;
use sqlx::types::Json;

#[derive(Debug, Deserialize)]
pub struct Section {
    pub id: Uuid,
    pub heading: String,
    pub body: String,
    pub confidential: bool,
}

#[derive(Debug, Deserialize)]
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

#[derive(Debug, Deserialize)]
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::Type, serde::Serialize, serde::Deserialize)]
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

pub(super) struct MinutesState {
    pub(super) status: MinutesStatus,
    pub(super) approved_at_meeting: Option<String>,
}

pub(super) struct Loaded {
    pub(super) meeting: MeetingRow,
    /// The declarations of interest standing for the meeting's items (as the reader may see them).
    pub(super) declarations: Vec<crate::meetings::interests::Declared>,
    pub(super) minutes: Option<MinutesState>,
    pub(super) sections: Vec<Section>,
    pub(super) actions: Vec<SectionAction>,
    pub(super) comments: Vec<Comment>,
    pub(super) seats: Vec<SeatLine>,
    /// The group's next meetings (id, when), where the minutes may be approved.
    pub(super) later_meetings: Vec<(String, String)>,
}

/// What a minutes page reads: the working page has the actions and the
/// comments; the published minutes show neither, so do not read them.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Reading {
    Working,
    Published,
}

pub(super) async fn load(tx: &mut Tx, member: &Member, meeting_id: &str, reading: Reading) -> Result<Loaded> {
    let pid = member.partnership.id;
    // The meeting, where its minutes stand, their sections and the seats, in one statement; for the working minutes, their actions and comments too.
    let row = crate::meetings::with_seats!(
        r#"select e.id, e.group_id, eg.name as group_name, e.starts_at as "starts_at: DateTime<Utc>", e.ends_at as "ends_at: DateTime<Utc>",
                  e.location, e.online_link, e.extraordinary, e.status as "status: crate::meetings::MeetingStatus", e.cancelled_reason,
                  e.pack_circulated_at as "pack_circulated_at: DateTime<Utc>",
                  m.status as "minutes_status?: MinutesStatus",
                  g.name || ', ' || to_char(a.starts_at at time zone 'Europe/London', 'FMDD FMMonth YYYY') as "approved_at?",
                  coalesce(later.ids, '{}') as "later_ids!", coalesce(later.starts, '{}') as "later_starts!: Vec<DateTime<Utc>>",
                  coalesce(later.ends, '{}') as "later_ends!: Vec<DateTime<Utc>>",
                  coalesce((select json_agg(x order by x.position)
                            from (select s.id, s.heading, s.body, s.confidential, s.position from minute_section s
                                  where s.partnership_id = e.partnership_id and s.meeting_id = e.id) x), '[]') as "sections!: Json<Vec<Section>>",
                  coalesce((select json_agg(x order by x.created_at)
                            from (select p.minute_section_id as section_id, p.description, p.owner_name, p.due_on, p.created_at
                                  from action_point p where $3 and p.partnership_id = e.partnership_id and p.meeting_id = e.id) x), '[]')
                    as "actions!: Json<Vec<SectionAction>>",
                  coalesce((select json_agg(x order by x.created_at)
                            from (select u.display_name as author, c.body, c.created_at
                                  from minutes_comment c join app_user u on u.id = c.author_user_id
                                  where $3 and c.partnership_id = e.partnership_id and c.meeting_id = e.id) x), '[]') as "comments!: Json<Vec<Comment>>",
                  coalesce(seats.lines, '[]') as "seats!: Json<Vec<SeatLine>>",
                  coalesce((select json_agg(x order by x.position nulls last, x.person_name)
                            from (select x.id, x.agenda_item_id, x.item_title, x.position, x.membership_id, x.person_name, x.nature
                                  from standing_interest x where x.partnership_id = e.partnership_id and x.meeting_id = e.id) x), '[]')
                    as "declarations!: Json<Vec<crate::meetings::interests::Declared>>"
           from meeting e
           join partnership_group eg on eg.partnership_id = e.partnership_id and eg.id = e.group_id
           left join minutes m on m.partnership_id = e.partnership_id and m.meeting_id = e.id
           left join meeting a on a.partnership_id = m.partnership_id and a.id = m.approved_at_meeting_id
           left join partnership_group g on g.partnership_id = a.partnership_id and g.id = a.group_id
           -- The group's next twenty meetings, where the working minutes may be approved.
           left join lateral (select array_agg(x.id order by x.starts_at) as ids, array_agg(x.starts_at order by x.starts_at) as starts,
                                     array_agg(x.ends_at order by x.starts_at) as ends
                              from (select x.id, x.starts_at, x.ends_at from meeting x
                                    where $3 and x.partnership_id = e.partnership_id and x.group_id = e.group_id
                                      and x.starts_at > e.starts_at and x.status = 'scheduled'
                                    order by x.starts_at limit 20) x) later on true"#,
        "where e.partnership_id = $1 and e.id = $2",
        pid,
        crate::web::record_id(meeting_id)?,
        reading == Reading::Working
    )
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(AppError::NotFound)?;
    let minutes = row.minutes_status.map(|status| MinutesState { status, approved_at_meeting: row.approved_at });
    let later_meetings = (row.later_ids.iter().zip(&row.later_starts).zip(&row.later_ends))
        .map(|((id, starts), ends)| (id.to_string(), crate::calendar::when(*starts, *ends)))
        .collect();
    let (sections, actions, comments, seats, declarations) =
        (row.sections.0, row.actions.0, row.comments.0, row.seats.0, row.declarations.0);
    let meeting = crate::meetings::meeting_row!(row);
    Ok(Loaded { meeting, minutes, sections, actions, comments, seats, later_meetings, declarations })
}

#[derive(Template, WebTemplate)]
#[template(path = "meetings/minutes.html")]
pub(super) struct MinutesPage {
    pub(super) layout: Layout,
    pub(super) member: Member,
    pub(super) meeting: MeetingRow,
    pub(super) status: Option<MinutesStatus>,
    pub(super) approved_at_meeting: Option<String>,
    pub(super) sections: Vec<Section>,
    pub(super) actions: Vec<SectionAction>,
    pub(super) comments: Vec<Comment>,
    pub(super) seats: Vec<SeatLine>,
    pub(super) declarations: Vec<crate::meetings::interests::Declared>,
    pub(super) can_manage: bool,
    pub(super) people: Vec<(String, String)>,
    pub(super) later_meetings: Vec<(String, String)>,
    /// Decisions put to the partners at this meeting.
    pub(super) decisions: Vec<crate::decisions::RegisterLine>,
    pub(super) errors: FormErrors,
    /// The section and the action being added, as typed.
    pub(super) heading: String,
    pub(super) action: drafting::ActionForm,
    pub(super) comment: String,
}

impl MinutesPage {
    fn actions_for(&self, section: &Uuid) -> Vec<&SectionAction> {
        self.actions.iter().filter(|a| a.section_id.as_ref() == Some(section)).collect()
    }
    fn is(&self, status: MinutesStatus) -> bool {
        self.status == Some(status)
    }
}

/// The minutes page; shown again after a problem with everything typed
/// (`typed`) in place of what is stored.
pub(super) async fn render(
    state: &AppState,
    session: &Session,
    member: Member,
    meeting_id: &str,
    errors: FormErrors,
    typed: Option<drafting::Typed>,
) -> Result<Response> {
    let mut tx = member.begin(state).await?;
    let mut loaded = load(&mut tx, &member, meeting_id, Reading::Working).await?;
    let typed = typed.unwrap_or_default();
    for section in &mut loaded.sections {
        if let Some((body, confidential)) = typed.bodies.get(&section.id) {
            (section.body, section.confidential) = (body.clone(), *confidential);
        }
    }
    let can_manage = member.roles.allows(Capability::ManageMeetings);
    // The full minutes (confidential passages too): the business unit, and the group's members once circulated.
    let full = member.sits_on(loaded.meeting.group_id);
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
    let people = if can_manage { crate::people::choices(&mut tx, member.partnership.id).await? } else { Vec::new() };
    let decisions =
        crate::decisions::meeting_lines(&mut tx, member.partnership.id, loaded.meeting.id, crate::decisions::Readers::Members).await?;
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
        declarations: loaded.declarations,
        can_manage,
        people,
        later_meetings: loaded.later_meetings,
        decisions,
        errors,
        heading: typed.heading,
        action: typed.action,
        comment: typed.comment,
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
    render(&state, &session, member, &meeting_id, FormErrors::default(), None).await
}

pub(super) fn to_minutes(member: &Member, meeting: &MeetingRow) -> String {
    format!("/p/{}/meetings/{}/minutes", member.partnership.slug, meeting.id)
}

pub(super) fn change<'a>(member: &Member, action: &'a str, id: Uuid, address: &'a str) -> Change<'a> {
    crate::tenant::change(member, action, "minutes", id, address)
}

/// The minutes' status, locked for the change that follows.
pub(super) async fn locked_status(tx: &mut Tx, member: &Member, meeting: &MeetingRow) -> Result<MinutesStatus> {
    sqlx::query_scalar!(
        r#"select status as "status: MinutesStatus" from minutes where partnership_id = $1 and meeting_id = $2 for update"#,
        member.partnership.id,
        meeting.id
    )
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(AppError::NotFound)
}

/// Move the minutes on from one status to the next; answers false (and does
/// nothing) when they are not at `from`, as after a repeated click.
pub(super) async fn advance(
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
