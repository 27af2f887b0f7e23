//! Writing the minutes: started from the agenda (a section per accepted item),
//! sections written and marked confidential, sections and actions added.

use crate::minutes::Section;
use crate::minutes::change;
use crate::minutes::locked_status;
use crate::minutes::render;
use crate::minutes::to_minutes;
use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;
use tower_sessions::Session;
use uuid::Uuid;

use crate::error::Result;
use crate::meetings::find_meeting;
use crate::roles::Capability;
use crate::tenant::Member;
use crate::web::{AppState, ClientAddress, DateParts, FormErrors, Submitted, redirect_with as done, required_line, required_text};

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
    pub(super) heading: String,
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
    let heading = errors.check("heading", required_line(&form.heading, "section's heading", 200));
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
    pub(super) section_id: String,
    #[serde(default)]
    pub(super) description: String,
    #[serde(default)]
    pub(super) owner: String,
    #[serde(default)]
    pub(super) due_day: String,
    #[serde(default)]
    pub(super) due_month: String,
    #[serde(default)]
    pub(super) due_year: String,
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
    // The one person chosen, found by key: not every member of the partnership read to look for them.
    let owner = match Uuid::parse_str(form.owner.trim()) {
        Ok(id) => crate::people::find(&mut tx, member.partnership.id, id).await?,
        Err(_) => None,
    };
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
