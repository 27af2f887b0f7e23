//! One meeting's page: its deadlines in working days, agenda, papers,
//! attendance and quorum; and marking its pack as circulated.

use crate::meetings::MeetingRow;
use crate::meetings::SeatLine;
use crate::meetings::find_meeting;
use crate::meetings::notify_group;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;
use sqlx::types::Json;
use tower_sessions::Session;
use uuid::Uuid;

use super::{Deadlines, ItemStatus, QuorumRule};
use crate::calendar::working_days_between;
use crate::calendar::{long_date as long, today, uk_date};
use crate::db::Tx;
use crate::error::Result;
use crate::roles::Capability;
use crate::structure::Sector;
use crate::tenant::Member;
use crate::tenant::change;
use crate::web::{AppState, ClientAddress, FormErrors, Layout, redirect_with as done};

// ---------------------------------------------------------------- one meeting

#[derive(Debug, Deserialize)]
pub struct ItemRow {
    pub id: Uuid,
    pub title: String,
    pub purpose: String,
    pub presenter: String,
    pub summary: String,
    pub submitted_by_name: Option<String>,
    pub submitted_at: DateTime<Utc>,
    pub status: ItemStatus,
    pub decision_reason: String,
    pub position: Option<i32>,
    pub minutes_allowed: Option<i32>,
    /// When the item starts by the agenda's timings ("10:20"); empty where an earlier item has no time.
    #[serde(skip)]
    pub starts: String,
}

impl ItemRow {
    /// "20 minutes", or empty.
    pub fn duration(&self) -> String {
        match self.minutes_allowed {
            Some(1) => "1 minute".into(),
            Some(n) => format!("{n} minutes"),
            None => String::new(),
        }
    }
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
pub(super) struct MeetingPage {
    pub(super) layout: Layout,
    pub(super) member: Member,
    pub(super) meeting: MeetingRow,
    /// "Circulated on 7 December 2026, 5 working days before the meeting", with a warning when later than the rule.
    pub(super) circulation: Option<(String, bool)>,
    pub(super) minutes_status: Option<String>,
    /// None when this person may not see the papers.
    pub(super) papers: Option<Vec<crate::papers::Paper>>,
    pub(super) cutoff: String,
    pub(super) papers_due: String,
    pub(super) cutoff_passed: bool,
    pub(super) working_days_to_go: i64,
    pub(super) agenda: Vec<ItemRow>,
    pub(super) proposed: Vec<ItemRow>,
    pub(super) late_requests: Vec<ItemRow>,
    pub(super) refused: Vec<ItemRow>,
    pub(super) seats: Vec<SeatLine>,
    pub(super) quorum: Option<QuorumView>,
    pub(super) can_manage: bool,
    pub(super) can_submit: bool,
    pub(super) my_seat: Option<Uuid>,
    pub(super) declarations: Vec<super::interests::Declared>,
    pub(super) errors: FormErrors,
    pub(super) item_form: ItemForm,
}

impl MeetingPage {
    fn papers_for(&self, item: &Uuid) -> Vec<&crate::papers::Paper> {
        self.papers.iter().flatten().filter(|p| filed_under(p, Some(*item), &self.agenda)).collect()
    }
    fn other_papers(&self) -> Vec<&crate::papers::Paper> {
        self.papers.iter().flatten().filter(|p| filed_under(p, None, &self.agenda)).collect()
    }
    fn agenda_choices(&self) -> Vec<(String, String)> {
        self.agenda.iter().enumerate().map(|(i, a)| (a.id.to_string(), format!("{}. {}", i + 1, a.title))).collect()
    }
    fn declarations_for(&self, item: &Uuid) -> Vec<&super::interests::Declared> {
        self.declarations.iter().filter(|d| d.agenda_item_id == *item).collect()
    }
    fn may_withdraw(&self, declaration: &super::interests::Declared) -> bool {
        self.can_manage || declaration.membership_id == self.member.membership_id
    }
}

/// Whether a meeting's paper is listed under `item` of the agenda, or (`None`) under no item: papers for
/// the meeting as a whole, or for an item no longer on the agenda.
pub(super) fn filed_under(paper: &crate::papers::Paper, item: Option<Uuid>, agenda: &[ItemRow]) -> bool {
    match item {
        Some(id) => paper.agenda_item_id == Some(id),
        None => !paper.agenda_item_id.is_some_and(|i| agenda.iter().any(|a| a.id == i)),
    }
}

/// Each item's start by the agenda's timings, from the meeting's start; none
/// after an item with no time allowed.
pub(super) fn time_agenda(starts_at: DateTime<Utc>, agenda: &mut [ItemRow]) {
    let mut at = Some(starts_at);
    for item in agenda {
        item.starts = at.map(crate::calendar::uk_time).unwrap_or_default();
        at = at.zip(item.minutes_allowed).map(|(at, n)| at + chrono::Duration::minutes(i64::from(n)));
    }
}

pub(super) struct MeetingDetail {
    pub(super) meeting: MeetingRow,
    pub(super) deadlines: Deadlines,
    pub(super) items: Vec<ItemRow>,
    pub(super) seats: Vec<SeatLine>,
    pub(super) quorum: Option<QuorumView>,
    /// The person's own seat on the meeting's group today.
    pub(super) my_seat: Option<Uuid>,
    pub(super) minutes_status: Option<String>,
    pub(super) declarations: Vec<super::interests::Declared>,
}

/// A meeting, its agenda, seats and quorum, and the person's seat: the
/// meeting with everything about it (the partnership's deadlines, the quorum
/// rule, the statutory partners' names, the person's seat, the minutes'
/// status, the agenda and the seats) in one statement.
pub(super) async fn load_meeting(tx: &mut Tx, member: &Member, meeting_id: &str) -> Result<MeetingDetail> {
    let pid = member.partnership.id;
    let row = crate::meetings::with_seats!(
        r#"select e.id, e.group_id, g.name as group_name, e.starts_at as "starts_at: DateTime<Utc>", e.ends_at as "ends_at: DateTime<Utc>",
                  e.location, e.online_link, e.extraordinary, e.status as "status: super::MeetingStatus", e.cancelled_reason,
                  e.pack_circulated_at as "pack_circulated_at: DateTime<Utc>",
                  coalesce(a.agenda_cutoff_working_days, 10) as "agenda_cutoff_working_days!",
                  coalesce(a.papers_working_days, 5) as "papers_working_days!",
                  q.required_sectors as "quorum_sectors?", q.description as "quorum_description?",
                  coalesce(sp.sectors, '{}') as "partner_sectors!", coalesce(sp.names, '{}') as "partner_names!",
                  (select s.id from group_member s where s.partnership_id = e.partnership_id and s.group_id = e.group_id
                     and s.membership_id = $3 and s.starts_on <= current_date and (s.ends_on is null or s.ends_on >= current_date)
                   limit 1) as my_seat,
                  (select n.status from minutes n where n.partnership_id = e.partnership_id and n.meeting_id = e.id) as minutes_status,
                  coalesce((select json_agg(i order by i.position nulls last, i.submitted_at)
                            from (select i.id, i.title, i.purpose, i.presenter, i.summary, u.display_name as submitted_by_name,
                                         i.submitted_at, i.status, i.decision_reason, i.position, i.minutes_allowed
                                  from agenda_item i left join app_user u on u.id = i.submitted_by
                                  where i.partnership_id = e.partnership_id and i.meeting_id = e.id) i), '[]') as "items!: Json<Vec<ItemRow>>",
                  coalesce(seats.lines, '[]') as "seats!: Json<Vec<SeatLine>>",
                  coalesce((select json_agg(x order by x.position nulls last, x.person_name)
                            from (select x.id, x.agenda_item_id, x.item_title, x.position, x.membership_id, x.person_name, x.nature
                                  from standing_interest x where x.partnership_id = e.partnership_id and x.meeting_id = e.id) x), '[]')
                    as "declarations!: Json<Vec<super::interests::Declared>>"
           from meeting e
           join partnership_group g on g.partnership_id = e.partnership_id and g.id = e.group_id
           left join arrangement a on a.partnership_id = e.partnership_id
           left join lateral (select r.required_sectors, r.description from quorum_rule r
                              where r.partnership_id = e.partnership_id and (r.group_id = e.group_id or r.group_id is null)
                              order by r.group_id nulls last limit 1) q on true
           -- The statutory partners, to name those a quorum misses as the partnership names them.
           left join lateral (select array_agg(o.sector order by o.name) as sectors, array_agg(o.name order by o.name) as names
                              from organisation o
                              where o.partnership_id = e.partnership_id and o.is_statutory_partner and o.retired_on is null) sp on true"#,
        "where e.partnership_id = $1 and e.id = $2",
        pid,
        super::parse_id(meeting_id)?,
        member.membership_id
    )
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(crate::error::AppError::NotFound)?;
    let meeting = crate::meetings::meeting_row!(row);
    let rules =
        super::MeetingRules { agenda_cutoff_working_days: row.agenda_cutoff_working_days, papers_working_days: row.papers_working_days };
    let deadlines = Deadlines::for_meeting(meeting.day(), &rules);
    let (items, seats) = (row.items.0, row.seats.0);
    let partners: Vec<(String, String)> = row.partner_sectors.into_iter().zip(row.partner_names).collect();
    let quorum = match (row.quorum_sectors, row.quorum_description) {
        (Some(sectors), Some(description)) => Some(quorum_view(&QuorumRule::from_stored(sectors, description), &seats, &partners)),
        _ => None,
    };
    Ok(MeetingDetail {
        meeting,
        deadlines,
        items,
        seats,
        quorum,
        my_seat: row.my_seat,
        minutes_status: row.minutes_status,
        declarations: row.declarations.0,
    })
}

/// Whether the seats recorded as present meet the rule; the missing partners named as the partnership names them.
fn quorum_view(rule: &QuorumRule, seats: &[SeatLine], partners: &[(String, String)]) -> QuorumView {
    let represented: Vec<String> = seats.iter().filter(|s| s.represented()).filter_map(|s| s.sector.clone()).collect();
    let missing: Vec<String> = rule
        .missing(&represented)
        .iter()
        .map(|alternatives| {
            let names: Vec<String> = alternatives
                .iter()
                .map(|sector| {
                    partners
                        .iter()
                        .find(|(s, _)| s == sector)
                        .map(|(_, name)| name.clone())
                        .unwrap_or_else(|| Sector::label_of(sector).to_owned())
                })
                .collect();
            names.join(" or ")
        })
        .collect();
    let recorded = seats.iter().any(|s| s.status.is_some());
    QuorumView { description: rule.description.clone(), recorded, met: missing.is_empty(), missing }
}

pub(super) async fn render_meeting(
    state: &AppState,
    session: &Session,
    member: Member,
    meeting_id: &str,
    errors: FormErrors,
    item_form: ItemForm,
) -> Result<Response> {
    let mut tx = member.begin(state).await?;
    let detail = load_meeting(&mut tx, &member, meeting_id).await?;
    let (my_seat, minutes_status) = (detail.my_seat, detail.minutes_status);
    let papers = if member.sits_on(detail.meeting.group_id) {
        Some(crate::papers::list(&mut tx, member.partnership.id, crate::papers::Holder::Meeting(detail.meeting.id)).await?)
    } else {
        None
    };
    tx.commit().await?;
    let can_manage = member.roles.allows(Capability::ManageMeetings);
    let open = !detail.meeting.is_cancelled() && !detail.meeting.is_past();
    let today = today();
    let (mut agenda, mut proposed, mut late_requests, mut refused) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for item in detail.items {
        match item.status {
            ItemStatus::Accepted => agenda.push(item),
            ItemStatus::Proposed => proposed.push(item),
            ItemStatus::LateRequest => late_requests.push(item),
            ItemStatus::Refused => refused.push(item),
        }
    }
    time_agenda(detail.meeting.starts_at, &mut agenda);
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
        declarations: detail.declarations,
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

#[derive(Deserialize, Default)]
pub(crate) struct ItemForm {
    #[serde(default)]
    pub(super) title: String,
    #[serde(default)]
    pub(super) purpose: String,
    #[serde(default)]
    pub(super) presenter: String,
    #[serde(default)]
    pub(super) summary: String,
}
