//! Groups: the executive, boards, subgroups and time-limited groups; their
//! page (purpose, chair, members, terms of reference, meetings, actions), and
//! adding, changing and retiring them.

use super::Seat;
use super::TermsVersion;
use crate::structure::BoardLink;
use crate::structure::Group;
use crate::structure::forms::Choice;
use crate::structure::forms::chosen;
use crate::structure::forms::group_choices;
use crate::structure::forms::reject;
use crate::structure::forms::unique_name_error;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::json;
use sqlx::types::Json;
use tower_sessions::Session;
use uuid::Uuid;

use super::GroupKind;
use crate::calendar::today;
use crate::db::Tx;
use crate::error::{AppError, Result};
use crate::roles::Capability;
use crate::tenant::Member;
use crate::tenant::change;
use crate::web::{
    AppState, ClientAddress, DateParts, FormErrors, Layout, Submitted, optional_text, record_id as parse_id, redirect_with as done,
    required_line,
};

// ---------------------------------------------------------------- groups

#[derive(Deserialize, Default)]
pub(crate) struct GroupForm {
    #[serde(default)]
    pub(super) name: String,
    #[serde(default)]
    pub(super) kind: String,
    #[serde(default)]
    pub(super) purpose: String,
    #[serde(default)]
    pub(super) meetings_per_year: String,
    #[serde(default)]
    pub(super) reports_to: String,
    #[serde(default)]
    pub(super) ends_on_day: String,
    #[serde(default)]
    pub(super) ends_on_month: String,
    #[serde(default)]
    pub(super) ends_on_year: String,
}

impl GroupForm {
    fn ends_on(&self) -> DateParts {
        DateParts { day: self.ends_on_day.clone(), month: self.ends_on_month.clone(), year: self.ends_on_year.clone() }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "structure/group_form.html")]
pub(super) struct GroupFormPage {
    pub(super) layout: Layout,
    pub(super) member: Member,
    pub(super) errors: FormErrors,
    pub(super) form: GroupForm,
    pub(super) kinds: &'static [GroupKind],
    pub(super) parents: Vec<Choice>,
    pub(super) editing: Option<Uuid>,
}

pub(super) struct ValidGroup {
    pub(super) name: String,
    pub(super) kind: GroupKind,
    pub(super) purpose: String,
    pub(super) meetings_per_year: Option<i32>,
    pub(super) reports_to: Option<Uuid>,
    pub(super) ends_on: Option<NaiveDate>,
}

pub(super) fn validate_group(form: &GroupForm, parents: &[Choice], errors: &mut FormErrors) -> Option<ValidGroup> {
    let name = errors.check("name", required_line(&form.name, "group's name", 200));
    let kind = errors.check("kind", GroupKind::from_code(&form.kind).ok_or_else(|| "Select the kind of group".to_owned()));
    let purpose = errors.check("purpose", optional_text(&form.purpose, "purpose", 4000));
    let meetings = errors.check(
        "meetings_per_year",
        match form.meetings_per_year.trim() {
            "" => Ok(None),
            n => n
                .parse::<i32>()
                .ok()
                .filter(|n| (1..=52).contains(n))
                .map(Some)
                .ok_or_else(|| "Meetings a year must be a whole number from 1 to 52, or left empty if it meets as required".to_owned()),
        },
    );
    let reports_to = errors.check("reports_to", chosen(&form.reports_to, parents));
    let ends_on = errors.check("ends_on_day", form.ends_on().parse("End date", false));
    Some(ValidGroup {
        name: name?,
        kind: kind?,
        purpose: purpose?,
        meetings_per_year: meetings?,
        reports_to: reports_to?,
        ends_on: ends_on?,
    })
    .filter(|_| errors.is_empty())
}

pub(super) async fn group_form(
    state: &AppState,
    session: &Session,
    member: Member,
    errors: FormErrors,
    form: GroupForm,
    editing: Option<Uuid>,
) -> Result<Response> {
    let mut tx = member.begin(state).await?;
    let parents = group_choices(&mut tx, &member, editing).await?;
    tx.commit().await?;
    let page = GroupFormPage {
        layout: member.layout(session, "structure").await?,
        member,
        kinds: GroupKind::ALL,
        parents,
        editing,
        form,
        errors: errors.clone(),
    };
    if errors.is_empty() { Ok(page.into_response()) } else { reject(page) }
}

pub(crate) async fn new_group_page(State(state): State<AppState>, session: Session, member: Member) -> Result<Response> {
    member.require(Capability::ManageStructure)?;
    group_form(&state, &session, member, FormErrors::default(), GroupForm { kind: "subgroup".into(), ..GroupForm::default() }, None).await
}

pub(crate) async fn create_group(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Submitted(form): Submitted<GroupForm>,
) -> Result<Response> {
    member.require(Capability::ManageStructure)?;
    let mut tx = member.begin(&state).await?;
    let parents = group_choices(&mut tx, &member, None).await?;
    let mut errors = FormErrors::default();
    let Some(g) = validate_group(&form, &parents, &mut errors) else {
        member.resume(tx);
        return group_form(&state, &session, member, errors, form, None).await;
    };
    let id = Uuid::new_v4();
    let inserted = sqlx::query!(
        "insert into partnership_group (partnership_id, id, name, kind, purpose, meetings_per_year, reports_to_id, ends_on, sort_order)
         values ($1, $2, $3, $4, $5, $6, $7, $8,
                 (select coalesce(max(sort_order), 0) + 1 from partnership_group where partnership_id = $1))",
        member.partnership.id,
        id,
        g.name,
        g.kind.code(),
        g.purpose,
        g.meetings_per_year,
        g.reports_to,
        g.ends_on as _
    )
    .execute(&mut *tx)
    .await;
    if let Err(e) = inserted {
        if unique_name_error(&e, "partnership_group_partnership_id_name_key") {
            drop(tx);
            errors.add("name", "A group with this name already exists");
            return group_form(&state, &session, member, errors, form, None).await;
        }
        return Err(e.into());
    }
    change(&member, "group.created", "group", id, &address)
        .after(json!({ "name": g.name, "kind": g.kind.code(), "purpose": g.purpose, "meetings_per_year": g.meetings_per_year,
                       "reports_to_id": g.reports_to, "ends_on": g.ends_on }))
        .record(&mut tx)
        .await?;
    tx.commit().await?;
    done(&session, format!("{} added", g.name), format!("/p/{}/groups/{id}", member.partnership.slug)).await
}

pub(crate) async fn edit_group_page(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Path((_, group_id)): Path<(String, String)>,
) -> Result<Response> {
    member.require(Capability::ManageStructure)?;
    let mut tx = member.begin(&state).await?;
    let group = find_group(&mut tx, &member, &group_id, false).await?;
    member.resume(tx);
    let ends = DateParts::from_date(group.ends_on);
    let form = GroupForm {
        name: group.name,
        kind: group.kind,
        purpose: group.purpose,
        meetings_per_year: group.meetings_per_year.map(|n| n.to_string()).unwrap_or_default(),
        reports_to: group.reports_to_id.map(|id| id.to_string()).unwrap_or_default(),
        ends_on_day: ends.day,
        ends_on_month: ends.month,
        ends_on_year: ends.year,
    };
    group_form(&state, &session, member, FormErrors::default(), form, Some(group.id)).await
}

pub(crate) async fn update_group(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, group_id)): Path<(String, String)>,
    Submitted(form): Submitted<GroupForm>,
) -> Result<Response> {
    member.require(Capability::ManageStructure)?;
    let id = parse_id(&group_id)?;
    let mut tx = member.begin(&state).await?;
    let before = sqlx::query!(
        r#"select name, kind, purpose, meetings_per_year, reports_to_id, ends_on as "ends_on: NaiveDate"
           from partnership_group where partnership_id = $1 and id = $2 and retired_on is null for update"#,
        member.partnership.id,
        id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    // A group cannot report to itself or to one of the groups below it.
    let below = descendants(&mut tx, member.partnership.id, id).await?;
    let parents: Vec<Choice> =
        group_choices(&mut tx, &member, Some(id)).await?.into_iter().filter(|(v, _)| !below.iter().any(|b| b.to_string() == *v)).collect();
    let mut errors = FormErrors::default();
    let Some(g) = validate_group(&form, &parents, &mut errors) else {
        member.resume(tx);
        return group_form(&state, &session, member, errors, form, Some(id)).await;
    };
    let updated = sqlx::query!(
        "update partnership_group set name = $3, kind = $4, purpose = $5, meetings_per_year = $6, reports_to_id = $7, ends_on = $8
         where partnership_id = $1 and id = $2",
        member.partnership.id,
        id,
        g.name,
        g.kind.code(),
        g.purpose,
        g.meetings_per_year,
        g.reports_to,
        g.ends_on as _
    )
    .execute(&mut *tx)
    .await;
    if let Err(e) = updated {
        if unique_name_error(&e, "partnership_group_partnership_id_name_key") {
            drop(tx);
            errors.add("name", "A group with this name already exists");
            return group_form(&state, &session, member, errors, form, Some(id)).await;
        }
        return Err(e.into());
    }
    change(&member, "group.updated", "group", id, &address)
        .before(json!({ "name": before.name, "kind": before.kind, "purpose": before.purpose, "meetings_per_year": before.meetings_per_year,
                        "reports_to_id": before.reports_to_id, "ends_on": before.ends_on }))
        .after(json!({ "name": g.name, "kind": g.kind.code(), "purpose": g.purpose, "meetings_per_year": g.meetings_per_year,
                       "reports_to_id": g.reports_to, "ends_on": g.ends_on }))
        .record(&mut tx)
        .await?;
    tx.commit().await?;
    done(&session, format!("{} updated", g.name), format!("/p/{}/groups/{id}", member.partnership.slug)).await
}

pub(super) async fn descendants(tx: &mut Tx, partnership_id: Uuid, id: Uuid) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar!(
        r#"with recursive below(id) as (
               select g.id from partnership_group g where g.partnership_id = $1 and g.reports_to_id = $2
               union
               select g.id from partnership_group g join below b on g.reports_to_id = b.id where g.partnership_id = $1)
           select id as "id!" from below"#,
        partnership_id,
        id
    )
    .fetch_all(&mut **tx)
    .await
}

pub(crate) async fn retire_group(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, group_id)): Path<(String, String)>,
) -> Result<Response> {
    member.require(Capability::ManageStructure)?;
    let id = parse_id(&group_id)?;
    let mut tx = member.begin(&state).await?;
    let name = sqlx::query_scalar!(
        "select name from partnership_group where partnership_id = $1 and id = $2 and retired_on is null for update",
        member.partnership.id,
        id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    let reporting = sqlx::query_scalar!(
        r#"select count(*) as "n!" from partnership_group where partnership_id = $1 and reports_to_id = $2 and retired_on is null"#,
        member.partnership.id,
        id
    )
    .fetch_one(&mut *tx)
    .await?;
    if reporting > 0 {
        drop(tx);
        return done(
            &session,
            format!("{name} was not retired: {reporting} current groups report to it. Move or retire them first."),
            format!("/p/{}/groups/{id}", member.partnership.slug),
        )
        .await;
    }
    let today = today();
    sqlx::query!(
        "update partnership_group set retired_on = $3 where partnership_id = $1 and id = $2",
        member.partnership.id,
        id,
        today as _
    )
    .execute(&mut *tx)
    .await?;
    change(&member, "group.retired", "group", id, &address)
        .before(json!({ "name": name, "retired_on": null }))
        .after(json!({ "name": name, "retired_on": today }))
        .record(&mut tx)
        .await?;
    tx.commit().await?;
    done(&session, format!("{name} retired. Its history is kept."), format!("/p/{}/structure", member.partnership.slug)).await
}

#[derive(Debug, Deserialize)]
pub struct GroupMeeting {
    pub id: Uuid,
    pub starts_at: chrono::DateTime<chrono::Utc>,
    pub ends_at: chrono::DateTime<chrono::Utc>,
    pub cancelled: bool,
}

impl GroupMeeting {
    pub fn is_cancelled(&self) -> bool {
        self.cancelled
    }
    pub fn when(&self) -> String {
        crate::calendar::when(self.starts_at, self.ends_at)
    }
}

/// Everything the group page shows, loaded in a fixed number of queries.
pub struct GroupDetail {
    pub group: Group,
    pub seats: Vec<Seat>,
    pub terms: Vec<TermsVersion>,
    pub subgroups: Vec<Group>,
    pub links: Vec<BoardLink>,
    /// Meetings from today on.
    pub meetings: Vec<GroupMeeting>,
    /// Open actions from the group's meetings.
    pub actions: Vec<crate::actions::Action>,
}

/// One group of the member's partnership, read in the request's transaction: for forms about it.
pub async fn find_group(tx: &mut crate::db::Tx, member: &Member, group_id: &str, include_retired: bool) -> Result<super::Group> {
    let group_id = Uuid::parse_str(group_id).map_err(|_| AppError::NotFound)?;
    super::one_group(tx, member.partnership.id, group_id, include_retired).await?.ok_or(AppError::NotFound)
}

pub async fn load_group(state: &AppState, member: &Member, group_id: &str, include_retired: bool) -> Result<GroupDetail> {
    let group_id = Uuid::parse_str(group_id).map_err(|_| AppError::NotFound)?;
    let pid = member.partnership.id;
    let mut tx = member.begin(state).await?;
    let all = super::all_groups(&mut tx, pid, true).await?;
    let group = all.iter().find(|g| g.id == group_id && (include_retired || g.retired_on.is_none())).cloned().ok_or(AppError::NotFound)?;
    // Its seats (past and present), terms of reference (latest first), links to other boards and meetings to come, in one statement.
    let lines = sqlx::query!(
        r#"select coalesce((select json_agg(x order by array_position(array['chair', 'vice_chair', 'member', 'adviser', 'invited'], x.role_in_group),
                                                   x.person_name, x.starts_on)
                            from (select m.id, m.person_name, o.name as organisation_name, a.known_as as account_name, m.role_in_group,
                                         m.starts_on, m.ends_on
                                  from group_member m
                                  left join organisation o on o.partnership_id = m.partnership_id and o.id = m.organisation_id
                                  left join membership a on a.partnership_id = m.partnership_id and a.id = m.membership_id and a.removed_at is null
                                  where m.partnership_id = $1 and m.group_id = $2) x), '[]') as "seats!: Json<Vec<Seat>>",
                  coalesce((select json_agg(x order by x.adopted_on desc)
                            from (select t.summary, t.adopted_on, t.review_due_on from terms_of_reference t
                                  where t.partnership_id = $1 and t.group_id = $2) x), '[]') as "terms!: Json<Vec<TermsVersion>>",
                  coalesce((select json_agg(x order by x.board_name)
                            from (select l.id, l.board_name, l.description, l.group_id, g.name as group_name
                                  from board_link l join partnership_group g on g.partnership_id = l.partnership_id and g.id = l.group_id
                                  where l.partnership_id = $1 and l.group_id = $2 and l.retired_on is null) x), '[]') as "links!: Json<Vec<BoardLink>>",
                  coalesce((select json_agg(x order by x.starts_at)
                            from (select e.id, e.starts_at, e.ends_at, e.status = 'cancelled' as cancelled from meeting e
                                  where e.partnership_id = $1 and e.group_id = $2
                                    and e.starts_at > now() - interval '25 hours' and e.ends_at >= now()) x), '[]') as "meetings!: Json<Vec<GroupMeeting>>""#,
        pid,
        group_id
    )
    .fetch_one(&mut *tx)
    .await?;
    let (seats, terms, links, meetings) = (lines.seats.0, lines.terms.0, lines.links.0, lines.meetings.0);
    let actions = crate::actions::list(&mut tx, pid, crate::actions::Actions::OfGroup(group_id)).await?;
    tx.commit().await?;
    let subgroups = all.into_iter().filter(|g| g.reports_to_id == Some(group_id) && g.retired_on.is_none()).collect();
    Ok(GroupDetail { group, seats, terms, subgroups, links, meetings, actions })
}

#[derive(Template, WebTemplate)]
#[template(path = "structure/group.html")]
pub(crate) struct GroupPage {
    pub(super) layout: Layout,
    pub(super) member: Member,
    pub(super) detail: GroupDetail,
    pub(super) today: NaiveDate,
    pub(super) can_manage: bool,
    pub(super) can_manage_meetings: bool,
}

pub(crate) async fn group_page(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Path((_, group_id)): Path<(String, String)>,
) -> Result<GroupPage> {
    let detail = load_group(&state, &member, &group_id, true).await?;
    Ok(GroupPage {
        layout: member.layout(&session, "structure").await?,
        can_manage: member.roles.allows(Capability::ManageStructure),
        can_manage_meetings: member.roles.allows(Capability::ManageMeetings),
        today: today(),
        detail,
        member,
    })
}
