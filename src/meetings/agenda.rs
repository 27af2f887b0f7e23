//! The agenda's one writer: an item proposed for a meeting, by a member of
//! the group, by the business unit, or by another record (a scrutiny report,
//! later a review). After the cut-off it is a late request that the group's
//! chair and the business managers decide. Every proposal is audited, and the
//! same title from the same person for the same meeting is one item.

use crate::meetings::meeting::ItemForm;
use axum::extract::{Path, State};
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;
use tower_sessions::Session;
use uuid::Uuid;

use super::meeting::render_meeting;
use super::{Deadlines, ItemStatus, rules};
use super::{MeetingRow, find_meeting};
use crate::calendar::today;
use crate::db::Tx;
use crate::error::AppError;
use crate::error::Result;
use crate::people::Audience;
use crate::roles::Capability;
use crate::roles::Role;
use crate::tenant::{Member, change};
use crate::web::{
    AppState, ClientAddress, FormErrors, Submitted, optional_line, optional_text, record_id as parse_id, redirect_with as done,
    required_line,
};

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
    /// Proposed by someone who builds the agenda: on it at once, at the end (deciding their own item would be a formality).
    OnTheAgenda(Uuid),
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
    let builds_agenda = member.roles.allows(Capability::ManageMeetings);
    let late = !builds_agenda && Deadlines::for_meeting(meeting.day(), &rules).is_late(today());
    let status = match (builds_agenda, late) {
        (true, _) => ItemStatus::Accepted,
        (false, true) => ItemStatus::LateRequest,
        (false, false) => ItemStatus::Proposed,
    };
    let id = Uuid::new_v4();
    let inserted = sqlx::query!(
        "insert into agenda_item (partnership_id, id, meeting_id, title, purpose, presenter, summary, submitted_by, status,
                                  decided_by, decided_at, position)
         select $1::uuid, $2::uuid, $3::uuid, $4::text, $5::text, $6::text, $7::text, $8::uuid, $9::text,
                case when $9::text = 'accepted' then $8::uuid end, case when $9::text = 'accepted' then now() end,
                case when $9::text = 'accepted'
                     then (select coalesce(max(position), 0) + 1 from agenda_item where partnership_id = $1 and meeting_id = $3) end
         on conflict (partnership_id, meeting_id, submitted_by, title) do nothing",
        member.partnership.id,
        id,
        meeting.id,
        proposal.title,
        proposal.purpose,
        proposal.presenter,
        proposal.summary,
        member.user.id,
        status as _
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
    if builds_agenda {
        Ok(Proposed::OnTheAgenda(id))
    } else if late {
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
        Some(id) => super::by_id(tx, partnership_id, id).await,
        None => Ok(None),
    }
}

/// A late request goes to the group's chair (and vice chair) and the business managers, who decide it.
pub(super) async fn notify_late_request(
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

/// Whether an item is on the meeting's agenda (accepted).
pub async fn is_on_agenda(tx: &mut Tx, partnership_id: Uuid, meeting_id: Uuid, item_id: Uuid) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"select exists (select 1 from agenda_item where partnership_id = $1 and meeting_id = $2 and id = $3 and status = $4) as "on!""#,
        partnership_id,
        meeting_id,
        item_id,
        ItemStatus::Accepted as ItemStatus
    )
    .fetch_one(&mut **tx)
    .await
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
    if !member.sits_on(meeting.group_id) {
        return Err(AppError::Forbidden);
    }
    let mut errors = FormErrors::default();
    if meeting.is_cancelled() || meeting.is_past() {
        errors.add("title", "Items can no longer be added to this meeting");
    }
    let title = errors.check("title", required_line(&form.title, "item's title", 200));
    let purpose = errors.check(
        "purpose",
        match form.purpose.as_str() {
            p @ ("decision" | "discussion" | "information") => Ok(p.to_owned()),
            _ => Err("Select whether the item is for decision, discussion or information".to_owned()),
        },
    );
    let presenter = errors.check("presenter", optional_line(&form.presenter, "presenter", 200));
    let summary = errors.check("summary", optional_text(&form.summary, "summary", 4000));
    let (Some(title), Some(purpose), Some(presenter), Some(summary)) = (title, purpose, presenter, summary) else {
        member.resume(tx);
        return render_meeting(&state, &session, member, &meeting_id, errors, form).await;
    };
    if !errors.is_empty() {
        member.resume(tx);
        return render_meeting(&state, &session, member, &meeting_id, errors, form).await;
    }
    let proposal = Proposal { title: &title, purpose: &purpose, presenter: &presenter, summary: &summary };
    let proposed = propose(&mut tx, &member, &address, &state.config.public_url, &meeting, proposal).await?;
    tx.commit().await?;
    let message = match proposed {
        Proposed::OnTheAgenda(_) => format!("{title} is on the agenda"),
        Proposed::LateRequest(_) => format!("{title} was submitted after the cut-off: it goes to the chair as a late request"),
        _ => format!("{title} submitted for the agenda"),
    };
    done(&session, message, format!("/p/{}/meetings/{}", member.partnership.slug, meeting.id)).await
}

#[derive(Deserialize, Default)]
pub(crate) struct DecideForm {
    #[serde(default)]
    pub(super) decision: String,
    #[serde(default)]
    pub(super) reason: String,
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
        r#"select i.title, i.status as "status: ItemStatus", u.email as "email?", u.display_name as "submitter?"
           from agenda_item i left join app_user u on u.id = i.submitted_by
           where i.partnership_id = $1 and i.meeting_id = $2 and i.id = $3 for update of i"#,
        member.partnership.id,
        meeting.id,
        item_id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    if !item.status.is_undecided() {
        return done(&session, format!("{} was already decided", item.title), to).await;
    }
    let reason = form.reason.trim().chars().take(1000).collect::<String>();
    let new_status = match form.decision.as_str() {
        "accept" => ItemStatus::Accepted,
        "refuse" if !reason.is_empty() => ItemStatus::Refused,
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
        new_status as _,
        reason,
        member.user.id
    )
    .execute(&mut *tx)
    .await?;
    change(
        &member,
        if new_status == ItemStatus::Accepted { "agenda_item.accepted" } else { "agenda_item.refused" },
        "agenda_item",
        item_id,
        &address,
    )
    .before(json!({ "title": item.title, "status": item.status }))
    .after(json!({ "title": item.title, "status": new_status, "reason": reason }))
    .record(&mut tx)
    .await?;
    if let (Some(email), Some(name)) = (&item.email, &item.submitter) {
        let verdict =
            if new_status == ItemStatus::Accepted { "is on the agenda".to_owned() } else { format!("was not accepted. Reason: {reason}") };
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
    done(&session, format!("{} {}", item.title, if new_status == ItemStatus::Accepted { "added to the agenda" } else { "refused" }), to)
        .await
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
