//! Writing the minutes: started from the agenda (a section per accepted item),
//! sections written and marked confidential, sections and actions added.

use crate::db::Tx;
use crate::meetings::MeetingRow;
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

/// Everything the minutes form holds as typed: each section's text and
/// confidential mark, and a section and an action being added. Every button
/// of the form sends all of it and saves all of it, so that nothing typed is
/// lost to the press of another button; when something is wrong, the page
/// comes back with every field as it was typed.
#[derive(Debug, Default)]
pub(crate) struct Typed {
    pub(super) bodies: HashMap<Uuid, (String, bool)>,
    pub(super) heading: String,
    pub(super) action: ActionForm,
    /// A comment on the circulated draft (its own form, for the group's members).
    pub(super) comment: String,
}

impl Typed {
    pub(super) fn from_fields(fields: &HashMap<String, String>) -> Typed {
        let field = |name: &str| fields.get(name).cloned().unwrap_or_default();
        let bodies = fields
            .iter()
            .filter_map(|(name, body)| {
                let id = Uuid::parse_str(name.strip_prefix("body_")?).ok()?;
                Some((id, (body.clone(), fields.contains_key(&format!("confidential_{id}")))))
            })
            .collect();
        Typed {
            bodies,
            comment: field("body"),
            heading: field("heading"),
            action: ActionForm {
                section_id: field("section_id"),
                description: field("description"),
                owner: field("owner"),
                due_day: field("due_day"),
                due_month: field("due_month"),
                due_year: field("due_year"),
            },
        }
    }

    /// Whether anything was typed for an action (choosing its section alone is not).
    fn has_action(&self) -> bool {
        let a = &self.action;
        [&a.description, &a.owner, &a.due_day, &a.due_month, &a.due_year].iter().any(|f| !f.trim().is_empty())
    }
}

/// Which button was pressed: it makes its own part required.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Pressed {
    Save,
    AddSection,
    AddAction,
}

/// Check and save everything typed, in the caller's transaction: the
/// sections' text, and a section and an action if typed (required when their
/// own button was pressed). Nothing is written unless all of it is right;
/// the problems go into `errors`. Answers what to tell the person.
pub(super) async fn save_typed(
    tx: &mut Tx,
    member: &Member,
    meeting: &MeetingRow,
    typed: &Typed,
    pressed: Pressed,
    address: &str,
    errors: &mut FormErrors,
) -> Result<Vec<String>> {
    let sections = sqlx::query_as!(
        Section,
        "select id, heading, body, confidential from minute_section where partnership_id = $1 and meeting_id = $2 order by position",
        member.partnership.id,
        meeting.id
    )
    .fetch_all(&mut **tx)
    .await?;
    for s in &sections {
        if typed.bodies.get(&s.id).is_some_and(|(b, _)| b.chars().count() > 50000) {
            errors.add("sections", format!("{}: the text must be 50,000 characters or fewer", s.heading));
        }
    }
    let heading = if pressed == Pressed::AddSection || !typed.heading.trim().is_empty() {
        errors.check("heading", required_line(&typed.heading, "section's heading", 200))
    } else {
        None
    };
    let action = if pressed == Pressed::AddAction || typed.has_action() {
        checked_action(tx, member, meeting, &typed.action, errors).await?
    } else {
        None
    };
    if !errors.is_empty() {
        return Ok(Vec::new());
    }
    let mut done = Vec::new();
    let mut changed = Vec::new();
    for s in &sections {
        let Some((body, confidential)) = typed.bodies.get(&s.id) else { continue };
        if *body != s.body || *confidential != s.confidential {
            sqlx::query!(
                "update minute_section set body = $3, confidential = $4 where partnership_id = $1 and id = $2",
                member.partnership.id,
                s.id,
                body,
                confidential
            )
            .execute(&mut **tx)
            .await?;
            changed.push(json!({ "section": s.heading, "before": { "body": s.body, "confidential": s.confidential }, "after": { "body": body, "confidential": confidential } }));
        }
    }
    if !changed.is_empty() {
        change(member, "minutes.edited", meeting.id, address).after(json!(changed)).record(tx).await?;
        done.push("Minutes saved".to_owned());
    }
    if let Some(heading) = heading {
        sqlx::query!(
            "insert into minute_section (partnership_id, id, meeting_id, position, heading)
             values ($1, $2, $3, (select coalesce(max(position), 0) + 1 from minute_section where partnership_id = $1 and meeting_id = $3), $4)",
            member.partnership.id,
            Uuid::new_v4(),
            meeting.id,
            heading
        )
        .execute(&mut **tx)
        .await?;
        change(member, "minutes.section_added", meeting.id, address).after(json!({ "heading": heading })).record(tx).await?;
        done.push(format!("Section {heading} added"));
    }
    if let Some(action) = action {
        let owner = action.owner_name.clone();
        crate::actions::set(tx, member, address, &action).await?;
        done.push(format!("Action for {owner} added"));
    }
    Ok(done)
}

/// The action typed, checked: its section of these minutes, its text, an owner found by key, a due date not past.
async fn checked_action(
    tx: &mut Tx,
    member: &Member,
    meeting: &MeetingRow,
    form: &ActionForm,
    errors: &mut FormErrors,
) -> Result<Option<crate::actions::NewAction>> {
    let section = match Uuid::parse_str(&form.section_id).ok() {
        Some(id) => {
            sqlx::query_scalar!(
                "select id from minute_section where partnership_id = $1 and meeting_id = $2 and id = $3",
                member.partnership.id,
                meeting.id,
                id
            )
            .fetch_optional(&mut **tx)
            .await?
        }
        None => None,
    };
    if section.is_none() {
        errors.add("section_id", "Choose the section of the minutes the action comes from");
    }
    let description = errors.check("description", required_text(&form.description, "action", 2000));
    // The one person chosen, found by key: not every member of the partnership read to look for them.
    let owner = match Uuid::parse_str(form.owner.trim()) {
        Ok(id) => crate::people::find(tx, member.partnership.id, id).await?,
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
    let (Some(description), Some(owner), Some(due_on)) = (description, owner, due_on) else { return Ok(None) };
    Ok(Some(crate::actions::NewAction {
        meeting_id: Some(meeting.id),
        minute_section_id: section,
        ..crate::actions::NewAction::new((description, owner.membership_id, owner.display_name, due_on), Some(meeting.group_id))
    }))
}

/// The three buttons of the minutes form: each saves everything typed.
async fn press(
    state: AppState,
    session: Session,
    member: Member,
    address: String,
    meeting_id: String,
    fields: HashMap<String, String>,
    pressed: Pressed,
) -> Result<Response> {
    member.require(Capability::ManageMeetings)?;
    let mut tx = member.begin(&state).await?;
    let meeting = find_meeting(&mut tx, &member, &meeting_id).await?;
    let status = locked_status(&mut tx, &member, &meeting).await?;
    if !status.is_open() {
        return done(&session, "Approved minutes cannot be changed".into(), to_minutes(&member, &meeting)).await;
    }
    let typed = Typed::from_fields(&fields);
    let mut errors = FormErrors::default();
    let said = save_typed(&mut tx, &member, &meeting, &typed, pressed, &address, &mut errors).await?;
    if !errors.is_empty() {
        member.resume(tx);
        return render(&state, &session, member, &meeting_id, errors, Some(typed)).await;
    }
    tx.commit().await?;
    let said = if said.is_empty() { "Nothing had changed".to_owned() } else { said.join(". ") };
    done(&session, said, to_minutes(&member, &meeting)).await
}

/// Before the minutes move on (circulated, approved), what was typed on the
/// page is saved in the same transaction, which is handed back for the move.
/// A problem shows the page again with everything as typed.
pub(super) async fn save_before_moving_on(
    state: &AppState,
    session: &Session,
    member: Member,
    address: &str,
    meeting_id: &str,
    fields: &HashMap<String, String>,
) -> Result<std::result::Result<Member, Response>> {
    let mut tx = member.begin(state).await?;
    let meeting = find_meeting(&mut tx, &member, meeting_id).await?;
    let status = locked_status(&mut tx, &member, &meeting).await?;
    let typed = Typed::from_fields(fields);
    if status.is_open() {
        let mut errors = FormErrors::default();
        save_typed(&mut tx, &member, &meeting, &typed, Pressed::Save, address, &mut errors).await?;
        if !errors.is_empty() {
            member.resume(tx);
            return Ok(Err(render(state, session, member, meeting_id, errors, Some(typed)).await?));
        }
    }
    member.resume(tx);
    Ok(Ok(member))
}

pub(crate) async fn save_sections(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, meeting_id)): Path<(String, String)>,
    Submitted(fields): Submitted<HashMap<String, String>>,
) -> Result<Response> {
    press(state, session, member, address, meeting_id, fields, Pressed::Save).await
}

pub(crate) async fn add_section(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, meeting_id)): Path<(String, String)>,
    Submitted(fields): Submitted<HashMap<String, String>>,
) -> Result<Response> {
    press(state, session, member, address, meeting_id, fields, Pressed::AddSection).await
}

#[derive(Debug, Deserialize, Default)]
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
    Submitted(fields): Submitted<HashMap<String, String>>,
) -> Result<Response> {
    press(state, session, member, address, meeting_id, fields, Pressed::AddAction).await
}
