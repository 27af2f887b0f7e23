//! The agenda's one writer: an item proposed for a meeting, by a member of
//! the group, by the business unit, or by another record (a scrutiny report,
//! later a review). After the cut-off it is a late request that the group's
//! chair and the business managers decide. Every proposal is audited, and the
//! same title from the same person for the same meeting is one item.

use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;

use super::pages::MeetingRow;
use super::{Deadlines, rules};
use crate::calendar::today;
use crate::db::Tx;
use crate::error::Result;
use crate::people::Audience;
use crate::roles::Role;
use crate::tenant::{Member, change};

/// What is asked to go on the agenda.
#[derive(Clone, Copy, Debug)]
pub struct Proposal<'a> {
    pub title: &'a str,
    /// `decision`, `discussion` or `information`.
    pub purpose: &'a str,
    pub presenter: &'a str,
    pub summary: &'a str,
}

/// What became of a proposal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proposed {
    /// On the agenda as proposed, for the business manager to place.
    Proposed(Uuid),
    /// After the cut-off: a late request, mailed to the chair and business managers.
    LateRequest(Uuid),
    /// The same person had already proposed this title for this meeting (a double submit).
    AlreadyProposed,
}

impl Proposed {
    pub fn is_late(self) -> bool {
        matches!(self, Proposed::LateRequest(_))
    }
}

/// Put an item on a meeting's agenda, in the caller's transaction: audited, and a late request after the cut-off.
pub async fn propose(
    tx: &mut Tx,
    member: &Member,
    address: &str,
    base_url: &str,
    meeting: &MeetingRow,
    proposal: Proposal<'_>,
) -> Result<Proposed> {
    let rules = rules(tx, member.partnership.id).await?;
    let late = Deadlines::for_meeting(meeting.day(), &rules).is_late(today());
    let status = if late { "late_request" } else { "proposed" };
    let id = Uuid::new_v4();
    let inserted = sqlx::query!(
        "insert into agenda_item (partnership_id, id, meeting_id, title, purpose, presenter, summary, submitted_by, status)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9) on conflict (partnership_id, meeting_id, submitted_by, title) do nothing",
        member.partnership.id,
        id,
        meeting.id,
        proposal.title,
        proposal.purpose,
        proposal.presenter,
        proposal.summary,
        member.user.id,
        status
    )
    .execute(&mut **tx)
    .await?;
    if inserted.rows_affected() == 0 {
        return Ok(Proposed::AlreadyProposed);
    }
    change(member, "agenda_item.submitted", "agenda_item", id, address)
        .after(json!({ "meeting_id": meeting.id, "title": proposal.title, "purpose": proposal.purpose, "presenter": proposal.presenter, "status": status }))
        .record(tx)
        .await?;
    if late {
        notify_late_request(tx, member, meeting, base_url, id, proposal.title).await?;
        Ok(Proposed::LateRequest(id))
    } else {
        Ok(Proposed::Proposed(id))
    }
}

/// A group's next scheduled meeting that has not started, if one is planned.
pub async fn next_meeting(tx: &mut Tx, partnership_id: Uuid, group_id: Uuid) -> sqlx::Result<Option<MeetingRow>> {
    let next = sqlx::query_scalar!(
        "select id from meeting where partnership_id = $1 and group_id = $2 and status = 'scheduled' and starts_at > $3
         order by starts_at limit 1",
        partnership_id,
        group_id,
        Utc::now() as DateTime<Utc>
    )
    .fetch_optional(&mut **tx)
    .await?;
    match next {
        Some(id) => super::pages::meeting(tx, partnership_id, id).await,
        None => Ok(None),
    }
}

/// A late request goes to the group's chair (and vice chair) and the business managers, who decide it.
async fn notify_late_request(
    tx: &mut Tx,
    member: &Member,
    meeting: &MeetingRow,
    base_url: &str,
    item_id: Uuid,
    title: &str,
) -> sqlx::Result<()> {
    let roles = [Role::BusinessManager];
    let audience = Audience { roles: &roles, group: Some(meeting.group_id), roles_in_group: &["chair", "vice_chair"] };
    let recipients = crate::people::audience(tx, member.partnership.id, audience).await?;
    let subject = format!("Late agenda item: {title}");
    let body = format!(
        "{} asked, after the cut-off, for \"{title}\" to go on the agenda of the {} on {}.\n\nAccept or refuse it on the meeting page: {base_url}/p/{}/meetings/{}",
        member.user.display_name,
        meeting.group_name,
        meeting.when(),
        member.partnership.slug,
        meeting.id
    );
    for r in recipients {
        crate::outbox::enqueue(
            tx,
            Some(member.partnership.id),
            &r.email,
            &r.display_name,
            &subject,
            &body,
            &format!("late-request:{item_id}:{}", r.email),
        )
        .await?;
    }
    Ok(())
}
