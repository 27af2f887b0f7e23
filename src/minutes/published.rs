//! The published minutes: what anyone in the partnership may read, without
//! the passages marked confidential.

use crate::minutes::MinutesStatus;
use crate::minutes::Section;
use crate::minutes::{Reading, load};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use tower_sessions::Session;

use crate::error::{AppError, Result};
use crate::meetings::{MeetingRow, SeatLine};
use crate::tenant::Member;
use crate::web::{AppState, Layout};

#[derive(Template, WebTemplate)]
#[template(path = "meetings/minutes_published.html")]
pub(crate) struct PublishedPage {
    pub(super) layout: Layout,
    pub(super) member: Member,
    pub(super) meeting: MeetingRow,
    pub(super) approved_at_meeting: Option<String>,
    /// Only the sections not marked confidential.
    pub(super) sections: Vec<Section>,
    pub(super) seats: Vec<SeatLine>,
    pub(super) declarations: Vec<crate::meetings::interests::Declared>,
    /// Decisions taken at the meeting that are not confidential.
    pub(super) decisions: Vec<crate::decisions::RegisterLine>,
}

pub(crate) async fn published_page(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Path((_, meeting_id)): Path<(String, String)>,
) -> Result<PublishedPage> {
    let mut tx = member.begin(&state).await?;
    let loaded = load(&mut tx, &member, &meeting_id, Reading::Published).await?;
    let decisions =
        crate::decisions::meeting_lines(&mut tx, member.partnership.id, loaded.meeting.id, crate::decisions::Readers::Public).await?;
    tx.commit().await?;
    let minutes = loaded.minutes.filter(|m| m.status == MinutesStatus::Published).ok_or(AppError::NotFound)?;
    Ok(PublishedPage {
        layout: member.layout(&session, "meetings").await?,
        member,
        meeting: loaded.meeting,
        approved_at_meeting: minutes.approved_at_meeting,
        sections: loaded.sections.into_iter().filter(|s| !s.confidential).collect(),
        seats: loaded.seats,
        declarations: loaded.declarations,
        decisions,
    })
}
