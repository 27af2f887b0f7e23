//! Who came: present, apologies, a deputy from the member's organisation,
//! absent; recorded by the business manager, apologies sent by members.

use axum::extract::{Path, State};
use axum::response::Response;
use serde_json::json;
use std::collections::HashMap;
use tower_sessions::Session;
use uuid::Uuid;

use super::meeting::load_meeting;
use crate::error::{AppError, Result};
use crate::roles::Capability;
use crate::tenant::Member;
use crate::tenant::change;
use crate::web::{AppState, ClientAddress, Submitted, redirect_with as done};

/// Who came. Stored as text: `present`, `apologies`, `deputy` (apologies, sending a deputy), `absent`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::Type, serde::Serialize, serde::Deserialize)]
#[sqlx(type_name = "text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Attendance {
    Present,
    Apologies,
    Deputy,
    Absent,
}

impl Attendance {
    pub const ALL: [Attendance; 4] = [Attendance::Present, Attendance::Apologies, Attendance::Deputy, Attendance::Absent];

    pub fn code(self) -> &'static str {
        match self {
            Attendance::Present => "present",
            Attendance::Apologies => "apologies",
            Attendance::Deputy => "deputy",
            Attendance::Absent => "absent",
        }
    }
    pub fn parse(code: &str) -> Option<Attendance> {
        Attendance::ALL.into_iter().find(|a| a.code() == code)
    }
    /// Whether the seat's organisation was there, in person or by deputy (for quorum).
    pub fn represented(self) -> bool {
        matches!(self, Attendance::Present | Attendance::Deputy)
    }
    /// What a member may record for themselves; the business manager records any.
    pub fn members_may_send(self) -> bool {
        matches!(self, Attendance::Apologies | Attendance::Deputy)
    }
}

#[derive(Debug, serde::Deserialize)]
pub struct SeatLine {
    pub seat_id: Uuid,
    pub person_name: String,
    pub organisation_name: Option<String>,
    pub sector: Option<String>,
    pub role_in_group: String,
    pub status: Option<Attendance>,
    pub deputy_name: String,
}

impl SeatLine {
    pub fn role_label(&self) -> &str {
        crate::structure::RoleInGroup::label_of(&self.role_in_group)
    }
    pub fn is_seat(&self, seat: &Option<Uuid>) -> bool {
        *seat == Some(self.seat_id)
    }
    /// For the form's select: whether this seat's record is the option `code`.
    pub fn status_is(&self, code: &str) -> bool {
        self.status.is_some_and(|s| s.code() == code)
    }
    pub fn represented(&self) -> bool {
        self.status.is_some_and(Attendance::represented)
    }
    pub fn status_label(&self) -> String {
        match self.status {
            Some(Attendance::Present) => "Present".into(),
            Some(Attendance::Apologies) => "Apologies".into(),
            Some(Attendance::Deputy) => format!("Apologies, deputy: {}", self.deputy_name),
            Some(Attendance::Absent) => "Absent".into(),
            None => "Not recorded".into(),
        }
    }
}

/// The group's seats on the day of the meeting, with what was recorded for each.
/// A statement about one meeting (`e`) that also reads the seats on its group
/// that day, with what was recorded of each, as the JSON column `seats`
/// (decoded as `Json<Vec<SeatLine>>`): `$head` selects it and names the
/// meeting in its `from`, `$tail` is the rest (the `where`).
macro_rules! with_seats {
    ($head:literal, $tail:literal, $($arg:expr),+) => {
        sqlx::query!(
            $head + r#"
            left join lateral (
                select json_agg(x order by array_position(array['chair', 'vice_chair', 'member', 'adviser'], x.role_in_group), x.person_name) as lines
                from (select s.id as seat_id, s.person_name, o.name as organisation_name, o.sector, s.role_in_group, a.status,
                             coalesce(a.deputy_name, '') as deputy_name
                      from group_member s
                      left join organisation o on o.partnership_id = s.partnership_id and o.id = s.organisation_id
                      left join attendance a on a.partnership_id = s.partnership_id and a.meeting_id = e.id and a.group_member_id = s.id
                      where s.partnership_id = e.partnership_id and s.group_id = e.group_id and s.role_in_group <> 'invited'
                        and s.starts_on <= (e.starts_at at time zone 'Europe/London')::date
                        and (s.ends_on is null or s.ends_on >= (e.starts_at at time zone 'Europe/London')::date)) x) seats on true
            "# + $tail,
            $($arg),+
        )
    };
}
pub(crate) use with_seats;

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
    let my_seat = detail.my_seat;
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
        let status = Attendance::parse(status).ok_or(AppError::BadRequest)?;
        if !can_manage && !status.members_may_send() {
            return Err(AppError::BadRequest);
        }
        let deputy = fields.get(&format!("deputy_{}", seat.seat_id)).map(|s| s.trim().to_owned()).unwrap_or_default();
        if status == Attendance::Deputy && deputy.is_empty() {
            return done(&session, format!("Attendance not saved: name the deputy for {}", seat.person_name), to).await;
        }
        if deputy.chars().count() > 200 {
            return done(&session, "Attendance not saved: a deputy's name must be 200 characters or fewer".into(), to).await;
        }
        let deputy = if status == Attendance::Deputy { deputy } else { String::new() };
        if seat.status == Some(status) && seat.deputy_name == deputy {
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
            status as _,
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
