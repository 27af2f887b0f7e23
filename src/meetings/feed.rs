//! Meetings in people's own calendars: a personal iCalendar feed of the
//! meetings of every group they sit on, in every partnership they serve,
//! behind an unguessable token they can reset; and each meeting as a single
//! `.ics` download.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use icalendar::{Calendar, Component, Event, EventLike, EventStatus};
use tower_sessions::Session;
use uuid::Uuid;

use super::MeetingStatus;

use crate::audit::Change;
use crate::auth::CurrentUser;
use crate::db::{Tx, begin_personal, begin_tenant};
use crate::error::{AppError, Result};
use crate::tenant::Member;
use crate::tokens::{random_token, sha256_hex};
use crate::web::{AppState, ClientAddress, Layout};

/// A meeting as a calendar shows it.
pub struct FeedMeeting {
    pub id: Uuid,
    pub partnership_slug: String,
    pub partnership_name: String,
    pub group_name: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub location: String,
    pub online_link: String,
    pub status: super::MeetingStatus,
    pub updated_at: DateTime<Utc>,
}

/// Text for a calendar property: every kind of line break as a plain line
/// feed, which the writer escapes (`\\n`); a carriage return on its own would
/// break the line structure of the file (RFC 5545, 3.1 and 3.3.11).
fn calendar_text(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n")
}

/// The meetings as an iCalendar document.
pub fn to_ics(name: &str, meetings: &[FeedMeeting], base_url: &str) -> String {
    let mut calendar = Calendar::new();
    calendar.name(&calendar_text(name));
    for m in meetings {
        let link = format!("{base_url}/p/{}/meetings/{}", m.partnership_slug, m.id);
        let mut event = Event::new();
        event
            .uid(&format!("{}@partnership-hub", m.id))
            .summary(&calendar_text(&format!("{} ({})", m.group_name, m.partnership_name)))
            .starts(m.starts_at)
            .ends(m.ends_at)
            .url(&link)
            // Each change makes a later version, so calendars replace the old one.
            .sequence((m.updated_at.timestamp() - 1_700_000_000).max(0) as u32)
            .timestamp(m.updated_at)
            .description(&calendar_text(&if m.online_link.is_empty() {
                link.clone()
            } else {
                format!("{link}\nJoin online: {}", m.online_link)
            }));
        if !m.location.is_empty() {
            event.location(&calendar_text(&m.location));
        }
        event.status(if m.status == super::MeetingStatus::Cancelled { EventStatus::Cancelled } else { EventStatus::Confirmed });
        calendar.push(event.done());
    }
    calendar.done().to_string()
}

fn ics_response(body: String, filename: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{filename}\"")),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        body,
    )
        .into_response()
}

/// The person's meetings in every partnership they serve, from a month ago on.
/// One query per partnership they belong to (a person serves a few at most),
/// each in that partnership's own tenant context.
async fn meetings_for(state: &AppState, user_id: Uuid) -> Result<Vec<FeedMeeting>> {
    let mut tx = begin_personal(&state.db, user_id).await?;
    let memberships = sqlx::query!(r#"select partnership_id as "partnership_id!", membership_id as "id!" from app_my_memberships()"#)
        .fetch_all(&mut *tx)
        .await?;
    tx.commit().await?;
    let mut meetings = Vec::new();
    for membership in memberships {
        let mut tx = begin_tenant(&state.db, membership.partnership_id, Some(user_id)).await?;
        let rows = calendar_meetings(&mut tx, membership.partnership_id, Some(membership.id), None).await?;
        tx.commit().await?;
        meetings.extend(rows);
    }
    meetings.sort_by_key(|m| m.starts_at);
    Ok(meetings)
}

/// Meetings as calendars show them: one meeting, or those of the groups a
/// membership sits on, from a month ago on.
async fn calendar_meetings(
    tx: &mut Tx,
    partnership_id: Uuid,
    seat_of: Option<Uuid>,
    meeting: Option<Uuid>,
) -> sqlx::Result<Vec<FeedMeeting>> {
    sqlx::query_as!(
        FeedMeeting,
        r#"select m.id, p.slug as partnership_slug, p.name as partnership_name, g.name as group_name,
                  m.starts_at as "starts_at: DateTime<Utc>", m.ends_at as "ends_at: DateTime<Utc>",
                  m.location, m.online_link, m.status as "status: MeetingStatus", m.updated_at as "updated_at: DateTime<Utc>"
           from meeting m
           join partnership p on p.id = m.partnership_id
           join partnership_group g on g.partnership_id = m.partnership_id and g.id = m.group_id
           where m.partnership_id = $1 and ($3::uuid is null or m.id = $3)
             and ($2::uuid is null or (m.starts_at > now() - interval '31 days'
                  and exists (select 1 from group_member s where s.partnership_id = m.partnership_id and s.group_id = m.group_id
                              and s.membership_id = $2 and (s.ends_on is null or s.ends_on >= current_date))))
           order by m.starts_at"#,
        partnership_id,
        seat_of,
        meeting
    )
    .fetch_all(&mut **tx)
    .await
}

pub(crate) async fn feed(State(state): State<AppState>, Path(token): Path<String>) -> Result<Response> {
    let token = token.strip_suffix(".ics").unwrap_or(&token);
    let user_id = sqlx::query_scalar!("select user_id from calendar_feed where token_hash = $1", sha256_hex(token))
        .fetch_optional(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    let meetings = meetings_for(&state, user_id).await?;
    Ok(ics_response(to_ics("Partnership Hub meetings", &meetings, &state.config.public_url), "meetings.ics"))
}

pub(crate) async fn one_meeting(
    State(state): State<AppState>,
    member: Member,
    Path((_, meeting_id)): Path<(String, String)>,
) -> Result<Response> {
    let id = Uuid::parse_str(&meeting_id).map_err(|_| AppError::NotFound)?;
    let mut tx = member.begin(&state).await?;
    let meeting = calendar_meetings(&mut tx, member.partnership.id, None, Some(id)).await?.pop().ok_or(AppError::NotFound)?;
    tx.commit().await?;
    let name = format!("{}, {}", meeting.group_name, crate::calendar::long_date(crate::calendar::uk_date(meeting.starts_at)));
    Ok(ics_response(to_ics(&name, &[meeting], &state.config.public_url), "meeting.ics"))
}

#[derive(Template, WebTemplate)]
#[template(path = "meetings/feed.html")]
pub(crate) struct FeedPage {
    layout: Layout,
    has_feed: bool,
    /// Shown once, right after the feed is made or reset.
    new_url: Option<String>,
    button_label: &'static str,
}

fn button_label(has_feed: bool) -> &'static str {
    if has_feed { "Reset my calendar feed" } else { "Create my calendar feed" }
}

pub(crate) async fn feed_page(State(state): State<AppState>, session: Session, user: CurrentUser) -> Result<FeedPage> {
    let has_feed = sqlx::query_scalar!(r#"select exists (select 1 from calendar_feed where user_id = $1) as "e!""#, user.id)
        .fetch_one(&state.db)
        .await?;
    Ok(FeedPage { layout: user.layout(&session).await?, has_feed, new_url: None, button_label: button_label(has_feed) })
}

pub(crate) async fn reset_feed(
    State(state): State<AppState>,
    session: Session,
    user: CurrentUser,
    ClientAddress(address): ClientAddress,
) -> Result<FeedPage> {
    let token = random_token();
    let mut tx = state.db.begin().await?;
    sqlx::query!(
        "insert into calendar_feed (user_id, token_hash) values ($1, $2)
         on conflict (user_id) do update set token_hash = excluded.token_hash, created_at = now()",
        user.id,
        sha256_hex(&token)
    )
    .execute(&mut *tx)
    .await?;
    Change::new("calendar_feed.reset", "account").by(Some(user.id)).subject(user.id).from_address(&address).record(&mut tx).await?;
    tx.commit().await?;
    Ok(FeedPage {
        layout: user.layout(&session).await?,
        has_feed: true,
        button_label: button_label(true),
        new_url: Some(format!("{}/calendar/{token}.ics", state.config.public_url)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cancelled_meeting_stays_in_the_feed_marked_cancelled() {
        let at = DateTime::parse_from_rfc3339("2026-12-01T10:00:00Z").unwrap().with_timezone(&Utc);
        let meeting = FeedMeeting {
            id: Uuid::nil(),
            partnership_slug: "swindon".into(),
            partnership_name: "Swindon Safeguarding Partnership".into(),
            group_name: "Delivery Group".into(),
            starts_at: at,
            ends_at: at + chrono::Duration::hours(2),
            location: "Civic Offices; Room 1".into(),
            online_link: String::new(),
            status: super::MeetingStatus::Cancelled,
            updated_at: at,
        };
        let ics = to_ics("Test", &[meeting], "https://hub.example");
        assert!(ics.starts_with("BEGIN:VCALENDAR"));
        assert!(ics.contains("STATUS:CANCELLED"));
        assert!(ics.contains("DTSTART:20261201T100000Z"));
        assert!(ics.contains("LOCATION:Civic Offices\\; Room 1"), "{ics}");
        assert!(ics.contains("UID:00000000-0000-0000-0000-000000000000@partnership-hub"));
    }

    #[test]
    fn line_breaks_are_escaped_and_long_lines_folded() {
        let at = DateTime::parse_from_rfc3339("2026-12-01T10:00:00Z").unwrap().with_timezone(&Utc);
        let meeting = FeedMeeting {
            id: Uuid::nil(),
            partnership_slug: "swindon".into(),
            partnership_name: "Swindon Safeguarding Partnership".into(),
            group_name: "Child Safeguarding Practice Review Group with a very long name indeed".into(),
            starts_at: at,
            ends_at: at + chrono::Duration::hours(2),
            location: "Civic Offices\r\nEuclid Street\rSwindon".into(),
            online_link: "https://meet.example/abc".into(),
            status: super::MeetingStatus::Scheduled,
            updated_at: at,
        };
        let ics = to_ics("Test", &[meeting], "https://hub.example");
        // Every line ends CRLF: no carriage return stands alone, no line feed without one.
        for (i, b) in ics.bytes().enumerate() {
            if b == b'\r' {
                assert_eq!(ics.as_bytes().get(i + 1), Some(&b'\n'), "a bare CR at {i}: {ics:?}");
            }
            if b == b'\n' {
                assert!(i > 0 && ics.as_bytes()[i - 1] == b'\r', "a bare LF at {i}: {ics:?}");
            }
        }
        for line in ics.split("\r\n") {
            assert!(line.len() <= 75, "a line longer than 75 octets: {line:?}");
        }
        let unfolded = ics.replace("\r\n ", "");
        assert!(unfolded.contains("LOCATION:Civic Offices\\nEuclid Street\\nSwindon"), "{unfolded}");
    }
}
