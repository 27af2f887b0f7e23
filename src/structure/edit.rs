//! Changing the structure (business managers): groups, seats on groups,
//! terms of reference, organisations and relevant agencies, posts and who
//! holds them, links to other boards, and the arrangements text. Nothing is
//! deleted: groups, agencies, posts and links retire; seats and terms end.
//! Every change is audited with the record before and after.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::json;
use tower_sessions::Session;
use uuid::Uuid;

use super::pages::{GroupDetail, load_group};
use super::{GroupKind, PostKind, RoleInGroup, Sector, default_review_date};
use crate::calendar::today;
use crate::db::Tx;
use crate::email::Email;
use crate::error::{AppError, Result};
use crate::roles::Capability;
use crate::tenant::Member;
use crate::tenant::change;
use crate::web::{
    AppState, ClientAddress, DateParts, FormErrors, Layout, Submitted, optional_text, record_id as parse_id, redirect_with as done,
    required_text,
};

/// What ending a dated seat or term now means.
#[derive(Debug, PartialEq)]
enum Ending {
    /// It has already ended, or ends today: nothing to do, so a repeated click changes nothing.
    AlreadyEnded,
    /// It has not begun: the appointment is withdrawn, not ended.
    Withdraw,
    /// It ends today.
    EndOn(NaiveDate),
}

fn ending(starts_on: NaiveDate, ends_on: Option<NaiveDate>, today: NaiveDate) -> Ending {
    if ends_on.is_some_and(|e| e <= today) {
        Ending::AlreadyEnded
    } else if starts_on > today {
        Ending::Withdraw
    } else {
        Ending::EndOn(today)
    }
}

fn reject<T: IntoResponse>(page: T) -> Result<Response> {
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

/// A choice in a select: (value, label).
pub type Choice = (String, String);

async fn group_choices(tx: &mut Tx, member: &Member, except: Option<Uuid>) -> Result<Vec<Choice>> {
    Ok(super::groups(tx, member.partnership.id, false)
        .await?
        .into_iter()
        .filter(|g| Some(g.id) != except)
        .map(|g| (g.id.to_string(), g.name))
        .collect())
}

async fn organisation_choices(tx: &mut Tx, member: &Member) -> Result<Vec<Choice>> {
    Ok(super::organisations(tx, member.partnership.id)
        .await?
        .into_iter()
        .filter(|o| o.retired_on.is_none())
        .map(|o| (o.id.to_string(), o.name))
        .collect())
}

/// An optional choice from a list: empty means none; anything not offered is an error.
fn chosen(raw: &str, choices: &[Choice]) -> Result<Option<Uuid>, String> {
    match raw.trim() {
        "" => Ok(None),
        raw => choices
            .iter()
            .find(|(v, _)| v == raw)
            .and_then(|(v, _)| Uuid::parse_str(v).ok())
            .map(Some)
            .ok_or_else(|| "Select an option from the list".to_owned()),
    }
}

// ---------------------------------------------------------------- groups

#[derive(Deserialize, Default)]
pub(crate) struct GroupForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    purpose: String,
    #[serde(default)]
    meetings_per_year: String,
    #[serde(default)]
    reports_to: String,
    #[serde(default)]
    ends_on_day: String,
    #[serde(default)]
    ends_on_month: String,
    #[serde(default)]
    ends_on_year: String,
}

impl GroupForm {
    fn ends_on(&self) -> DateParts {
        DateParts { day: self.ends_on_day.clone(), month: self.ends_on_month.clone(), year: self.ends_on_year.clone() }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "structure/group_form.html")]
struct GroupFormPage {
    layout: Layout,
    member: Member,
    errors: FormErrors,
    form: GroupForm,
    kinds: &'static [GroupKind],
    parents: Vec<Choice>,
    editing: Option<Uuid>,
}

struct ValidGroup {
    name: String,
    kind: GroupKind,
    purpose: String,
    meetings_per_year: Option<i32>,
    reports_to: Option<Uuid>,
    ends_on: Option<NaiveDate>,
}

fn validate_group(form: &GroupForm, parents: &[Choice], errors: &mut FormErrors) -> Option<ValidGroup> {
    let name = errors.check("name", required_text(&form.name, "group's name", 200));
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

async fn group_form(
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

fn unique_name_error(e: &sqlx::Error, constraint: &str) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.constraint() == Some(constraint))
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
        drop(tx);
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
    let GroupDetail { group, .. } = load_group(&state, &member, &group_id, false).await?;
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
        drop(tx);
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

async fn descendants(tx: &mut Tx, partnership_id: Uuid, id: Uuid) -> sqlx::Result<Vec<Uuid>> {
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

// ---------------------------------------------------------------- seats on a group

#[derive(Deserialize, Default)]
pub(crate) struct SeatForm {
    #[serde(default)]
    person_name: String,
    #[serde(default)]
    organisation_id: String,
    #[serde(default)]
    role_in_group: String,
    #[serde(default)]
    membership_id: String,
    #[serde(default)]
    starts_on_day: String,
    #[serde(default)]
    starts_on_month: String,
    #[serde(default)]
    starts_on_year: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "structure/seat_form.html")]
struct SeatFormPage {
    layout: Layout,
    member: Member,
    errors: FormErrors,
    form: SeatForm,
    group_id: Uuid,
    group_name: String,
    organisations: Vec<Choice>,
    people: Vec<Choice>,
    roles: &'static [RoleInGroup],
}

/// The partnership's people, for linking a seat to someone's account.
async fn people_choices(tx: &mut Tx, member: &Member) -> Result<Vec<Choice>> {
    Ok(crate::people::list(tx, member.partnership.id)
        .await?
        .into_iter()
        .map(|p| (p.membership_id.to_string(), format!("{} ({})", p.display_name, p.email)))
        .collect())
}

async fn seat_form(
    state: &AppState,
    session: &Session,
    member: Member,
    errors: FormErrors,
    form: SeatForm,
    group_id: &str,
) -> Result<Response> {
    let detail = load_group(state, &member, group_id, false).await?;
    let mut tx = member.begin(state).await?;
    let organisations = organisation_choices(&mut tx, &member).await?;
    let people = people_choices(&mut tx, &member).await?;
    tx.commit().await?;
    let page = SeatFormPage {
        layout: member.layout(session, "structure").await?,
        member,
        errors: errors.clone(),
        form,
        group_id: detail.group.id,
        group_name: detail.group.name,
        organisations,
        people,
        roles: RoleInGroup::ALL,
    };
    if errors.is_empty() { Ok(page.into_response()) } else { reject(page) }
}

pub(crate) async fn new_seat_page(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Path((_, group_id)): Path<(String, String)>,
) -> Result<Response> {
    member.require(Capability::ManageStructure)?;
    let start = DateParts::from_date(Some(today()));
    let form = SeatForm {
        role_in_group: "member".into(),
        starts_on_day: start.day,
        starts_on_month: start.month,
        starts_on_year: start.year,
        ..SeatForm::default()
    };
    seat_form(&state, &session, member, FormErrors::default(), form, &group_id).await
}

pub(crate) async fn create_seat(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, group_id)): Path<(String, String)>,
    Submitted(form): Submitted<SeatForm>,
) -> Result<Response> {
    member.require(Capability::ManageStructure)?;
    let detail = load_group(&state, &member, &group_id, false).await?;
    let mut tx = member.begin(&state).await?;
    let organisations = organisation_choices(&mut tx, &member).await?;
    let mut errors = FormErrors::default();
    let name = errors.check("person_name", required_text(&form.person_name, "person's name or role title", 200));
    let organisation = errors.check("organisation_id", chosen(&form.organisation_id, &organisations));
    let people = people_choices(&mut tx, &member).await?;
    let account = errors.check("membership_id", chosen(&form.membership_id, &people));
    let role = errors
        .check("role_in_group", RoleInGroup::from_code(&form.role_in_group).ok_or_else(|| "Select their role in the group".to_owned()));
    let starts = DateParts { day: form.starts_on_day.clone(), month: form.starts_on_month.clone(), year: form.starts_on_year.clone() };
    let starts_on = errors.check("starts_on_day", starts.parse("Start date", true));
    let (Some(name), Some(organisation), Some(account), Some(role), Some(Some(starts_on))) = (name, organisation, account, role, starts_on)
    else {
        drop(tx);
        return seat_form(&state, &session, member, errors, form, &group_id).await;
    };
    let id = Uuid::new_v4();
    // The same person, role and start date again (a double submit) adds nothing.
    let inserted = sqlx::query!(
        "insert into group_member (partnership_id, id, group_id, person_name, organisation_id, membership_id, role_in_group, starts_on)
         values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict do nothing",
        member.partnership.id,
        id,
        detail.group.id,
        name,
        organisation,
        account,
        role.code(),
        starts_on as _
    )
    .execute(&mut *tx)
    .await?;
    if inserted.rows_affected() == 1 {
        change(&member, "group_member.added", "group_member", id, &address)
            .after(json!({ "group_id": detail.group.id, "person_name": name, "organisation_id": organisation, "membership_id": account,
                           "role_in_group": role.code(), "starts_on": starts_on }))
            .record(&mut tx)
            .await?;
    }
    tx.commit().await?;
    done(&session, format!("{name} added to {}", detail.group.name), format!("/p/{}/groups/{}", member.partnership.slug, detail.group.id))
        .await
}

pub(crate) async fn end_seat(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, group_id, seat_id)): Path<(String, String, String)>,
) -> Result<Response> {
    member.require(Capability::ManageStructure)?;
    let (group_id, seat_id) = (parse_id(&group_id)?, parse_id(&seat_id)?);
    let mut tx = member.begin(&state).await?;
    let seat = sqlx::query!(
        r#"select person_name, role_in_group, starts_on as "starts_on: NaiveDate", ends_on as "ends_on: NaiveDate"
           from group_member where partnership_id = $1 and group_id = $2 and id = $3 for update"#,
        member.partnership.id,
        group_id,
        seat_id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    let to = format!("/p/{}/groups/{group_id}", member.partnership.slug);
    let before = json!({ "person_name": seat.person_name, "role_in_group": seat.role_in_group, "starts_on": seat.starts_on, "ends_on": seat.ends_on });
    let message = match ending(seat.starts_on, seat.ends_on, today()) {
        Ending::AlreadyEnded => return done(&session, format!("{} had already left the group", seat.person_name), to).await,
        Ending::Withdraw => {
            sqlx::query!("delete from group_member where partnership_id = $1 and id = $2", member.partnership.id, seat_id)
                .execute(&mut *tx)
                .await?;
            change(&member, "group_member.withdrawn", "group_member", seat_id, &address).before(before).record(&mut tx).await?;
            format!("{}'s membership, which had not begun, is withdrawn", seat.person_name)
        }
        Ending::EndOn(day) => {
            sqlx::query!(
                "update group_member set ends_on = $3 where partnership_id = $1 and id = $2",
                member.partnership.id,
                seat_id,
                day as _
            )
            .execute(&mut *tx)
            .await?;
            change(&member, "group_member.ended", "group_member", seat_id, &address)
                .before(before)
                .after(json!({ "person_name": seat.person_name, "role_in_group": seat.role_in_group, "starts_on": seat.starts_on, "ends_on": day }))
                .record(&mut tx)
                .await?;
            format!("{} has left the group", seat.person_name)
        }
    };
    tx.commit().await?;
    done(&session, message, to).await
}

// ---------------------------------------------------------------- terms of reference

#[derive(Deserialize, Default)]
pub(crate) struct TermsForm {
    #[serde(default)]
    summary: String,
    #[serde(default)]
    adopted_on_day: String,
    #[serde(default)]
    adopted_on_month: String,
    #[serde(default)]
    adopted_on_year: String,
    #[serde(default)]
    review_due_on_day: String,
    #[serde(default)]
    review_due_on_month: String,
    #[serde(default)]
    review_due_on_year: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "structure/terms_form.html")]
struct TermsFormPage {
    layout: Layout,
    member: Member,
    errors: FormErrors,
    form: TermsForm,
    group_id: Uuid,
    group_name: String,
}

async fn terms_form(
    state: &AppState,
    session: &Session,
    member: Member,
    errors: FormErrors,
    form: TermsForm,
    group_id: &str,
) -> Result<Response> {
    let detail = load_group(state, &member, group_id, false).await?;
    let page = TermsFormPage {
        layout: member.layout(session, "structure").await?,
        member,
        errors: errors.clone(),
        form,
        group_id: detail.group.id,
        group_name: detail.group.name,
    };
    if errors.is_empty() { Ok(page.into_response()) } else { reject(page) }
}

pub(crate) async fn new_terms_page(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Path((_, group_id)): Path<(String, String)>,
) -> Result<Response> {
    member.require(Capability::ManageStructure)?;
    let detail = load_group(&state, &member, &group_id, false).await?;
    // A new version starts from the current text.
    let mut tx = member.begin(&state).await?;
    let current = sqlx::query_scalar!(
        "select summary from terms_of_reference where partnership_id = $1 and group_id = $2 order by adopted_on desc limit 1",
        member.partnership.id,
        detail.group.id
    )
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    let adopted = DateParts::from_date(Some(today()));
    let form = TermsForm {
        summary: current.unwrap_or(detail.group.purpose),
        adopted_on_day: adopted.day,
        adopted_on_month: adopted.month,
        adopted_on_year: adopted.year,
        ..TermsForm::default()
    };
    terms_form(&state, &session, member, FormErrors::default(), form, &group_id).await
}

pub(crate) async fn create_terms(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, group_id)): Path<(String, String)>,
    Submitted(form): Submitted<TermsForm>,
) -> Result<Response> {
    member.require(Capability::ManageStructure)?;
    let detail = load_group(&state, &member, &group_id, false).await?;
    let mut errors = FormErrors::default();
    let summary = errors.check("summary", required_text(&form.summary, "terms of reference", 20000));
    let adopted = DateParts { day: form.adopted_on_day.clone(), month: form.adopted_on_month.clone(), year: form.adopted_on_year.clone() };
    let review =
        DateParts { day: form.review_due_on_day.clone(), month: form.review_due_on_month.clone(), year: form.review_due_on_year.clone() };
    let adopted_on = errors.check("adopted_on_day", adopted.parse("Date adopted", true)).flatten();
    let review_due_on = errors.check("review_due_on_day", review.parse("Review date", false));
    if let (Some(adopted_on), Some(Some(review))) = (adopted_on, review_due_on)
        && review <= adopted_on
    {
        errors.add("review_due_on_day", "Review date must be after the date adopted");
    }
    let (Some(summary), Some(adopted_on), Some(review_due_on)) = (summary, adopted_on, review_due_on) else {
        return terms_form(&state, &session, member, errors, form, &group_id).await;
    };
    if !errors.is_empty() {
        return terms_form(&state, &session, member, errors, form, &group_id).await;
    }
    let review_due_on = review_due_on.unwrap_or_else(|| default_review_date(adopted_on));
    let id = Uuid::new_v4();
    let mut tx = member.begin(&state).await?;
    let inserted = sqlx::query!(
        "insert into terms_of_reference (partnership_id, id, group_id, summary, adopted_on, review_due_on)
         values ($1, $2, $3, $4, $5, $6) on conflict (partnership_id, group_id, adopted_on) do nothing",
        member.partnership.id,
        id,
        detail.group.id,
        summary,
        adopted_on as _,
        review_due_on as _
    )
    .execute(&mut *tx)
    .await?;
    if inserted.rows_affected() == 0 {
        drop(tx);
        errors.add("adopted_on_day", "Terms of reference adopted on this date are already recorded");
        return terms_form(&state, &session, member, errors, form, &group_id).await;
    }
    change(&member, "terms_of_reference.adopted", "terms_of_reference", id, &address)
        .after(json!({ "group_id": detail.group.id, "summary": summary, "adopted_on": adopted_on, "review_due_on": review_due_on }))
        .record(&mut tx)
        .await?;
    tx.commit().await?;
    done(
        &session,
        format!("Terms of reference for {} recorded; review due {}", detail.group.name, crate::calendar::long_date(review_due_on)),
        format!("/p/{}/groups/{}", member.partnership.slug, detail.group.id),
    )
    .await
}

// ---------------------------------------------------------------- organisations and relevant agencies

#[derive(Deserialize, Default)]
pub(crate) struct OrganisationForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    sector: String,
    #[serde(default)]
    statutory_partner: Option<String>,
    #[serde(default)]
    relevant_agency: Option<String>,
    #[serde(default)]
    contact_name: String,
    #[serde(default)]
    contact_email: String,
    #[serde(default)]
    section11_day: String,
    #[serde(default)]
    section11_month: String,
    #[serde(default)]
    section11_year: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "structure/organisation_form.html")]
struct OrganisationFormPage {
    layout: Layout,
    member: Member,
    errors: FormErrors,
    form: OrganisationForm,
    sectors: &'static [Sector],
    editing: Option<Uuid>,
}

async fn organisation_form(
    session: &Session,
    member: Member,
    errors: FormErrors,
    form: OrganisationForm,
    editing: Option<Uuid>,
) -> Result<Response> {
    let page = OrganisationFormPage {
        layout: member.layout(session, "agencies").await?,
        member,
        errors: errors.clone(),
        form,
        sectors: Sector::ALL,
        editing,
    };
    if errors.is_empty() { Ok(page.into_response()) } else { reject(page) }
}

struct ValidOrganisation {
    name: String,
    sector: Sector,
    statutory_partner: bool,
    relevant_agency: bool,
    contact_name: String,
    contact_email: String,
    last_section11_on: Option<NaiveDate>,
}

impl ValidOrganisation {
    fn record(&self) -> serde_json::Value {
        json!({ "name": self.name, "sector": self.sector.code(), "statutory_partner": self.statutory_partner,
                "relevant_agency": self.relevant_agency, "contact_name": self.contact_name,
                "contact_email": self.contact_email, "last_section11_on": self.last_section11_on })
    }
}

fn validate_organisation(form: &OrganisationForm, errors: &mut FormErrors) -> Option<ValidOrganisation> {
    let name = errors.check("name", required_text(&form.name, "organisation's name", 200));
    let sector = errors.check("sector", Sector::from_code(&form.sector).ok_or_else(|| "Select the sector".to_owned()));
    let contact_name = errors.check("contact_name", optional_text(&form.contact_name, "contact's name", 120));
    let contact_email = errors.check(
        "contact_email",
        match form.contact_email.trim() {
            "" => Ok(String::new()),
            raw => Email::parse(raw).map(|e| e.as_str().to_owned()),
        },
    );
    let s11 = DateParts { day: form.section11_day.clone(), month: form.section11_month.clone(), year: form.section11_year.clone() };
    let last_section11_on = errors.check("section11_day", s11.parse("Date of the last Section 11 self-assessment", false));
    if last_section11_on.flatten().is_some_and(|d| d > today()) {
        errors.add("section11_day", "Date of the last Section 11 self-assessment must be today or in the past");
    }
    Some(ValidOrganisation {
        name: name?,
        sector: sector?,
        statutory_partner: form.statutory_partner.is_some(),
        relevant_agency: form.relevant_agency.is_some(),
        contact_name: contact_name?,
        contact_email: contact_email?,
        last_section11_on: last_section11_on?,
    })
    .filter(|_| errors.is_empty())
}

pub(crate) async fn new_organisation_page(session: Session, member: Member) -> Result<Response> {
    member.require(Capability::ManageStructure)?;
    let form = OrganisationForm { relevant_agency: Some("yes".into()), ..OrganisationForm::default() };
    organisation_form(&session, member, FormErrors::default(), form, None).await
}

pub(crate) async fn create_organisation(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Submitted(form): Submitted<OrganisationForm>,
) -> Result<Response> {
    member.require(Capability::ManageStructure)?;
    let mut errors = FormErrors::default();
    let Some(o) = validate_organisation(&form, &mut errors) else {
        return organisation_form(&session, member, errors, form, None).await;
    };
    let id = Uuid::new_v4();
    let mut tx = member.begin(&state).await?;
    let inserted = sqlx::query!(
        "insert into organisation (partnership_id, id, name, sector, is_statutory_partner, is_relevant_agency, contact_name, contact_email, last_section11_on)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9) on conflict (partnership_id, name) do nothing",
        member.partnership.id,
        id,
        o.name,
        o.sector.code(),
        o.statutory_partner,
        o.relevant_agency,
        o.contact_name,
        o.contact_email,
        o.last_section11_on as _
    )
    .execute(&mut *tx)
    .await?;
    if inserted.rows_affected() == 0 {
        drop(tx);
        errors.add("name", "An organisation with this name is already listed");
        return organisation_form(&session, member, errors, form, None).await;
    }
    change(&member, "organisation.added", "organisation", id, &address).after(o.record()).record(&mut tx).await?;
    tx.commit().await?;
    done(&session, format!("{} added", o.name), format!("/p/{}/agencies", member.partnership.slug)).await
}

pub(crate) async fn edit_organisation_page(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Path((_, organisation_id)): Path<(String, String)>,
) -> Result<Response> {
    member.require(Capability::ManageStructure)?;
    let id = parse_id(&organisation_id)?;
    let mut tx = member.begin(&state).await?;
    let o = super::organisations(&mut tx, member.partnership.id)
        .await?
        .into_iter()
        .find(|o| o.id == id && o.retired_on.is_none())
        .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    let s11 = DateParts::from_date(o.last_section11_on);
    let form = OrganisationForm {
        name: o.name,
        sector: o.sector,
        statutory_partner: o.is_statutory_partner.then(|| "yes".into()),
        relevant_agency: o.is_relevant_agency.then(|| "yes".into()),
        contact_name: o.contact_name,
        contact_email: o.contact_email,
        section11_day: s11.day,
        section11_month: s11.month,
        section11_year: s11.year,
    };
    organisation_form(&session, member, FormErrors::default(), form, Some(id)).await
}

pub(crate) async fn update_organisation(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, organisation_id)): Path<(String, String)>,
    Submitted(form): Submitted<OrganisationForm>,
) -> Result<Response> {
    member.require(Capability::ManageStructure)?;
    let id = parse_id(&organisation_id)?;
    let mut tx = member.begin(&state).await?;
    let before = sqlx::query!(
        r#"select name, sector, is_statutory_partner, is_relevant_agency, contact_name, contact_email,
                  last_section11_on as "last_section11_on: NaiveDate"
           from organisation where partnership_id = $1 and id = $2 and retired_on is null for update"#,
        member.partnership.id,
        id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    let mut errors = FormErrors::default();
    let Some(o) = validate_organisation(&form, &mut errors) else {
        drop(tx);
        return organisation_form(&session, member, errors, form, Some(id)).await;
    };
    let updated = sqlx::query!(
        "update organisation set name = $3, sector = $4, is_statutory_partner = $5, is_relevant_agency = $6,
                contact_name = $7, contact_email = $8, last_section11_on = $9
         where partnership_id = $1 and id = $2",
        member.partnership.id,
        id,
        o.name,
        o.sector.code(),
        o.statutory_partner,
        o.relevant_agency,
        o.contact_name,
        o.contact_email,
        o.last_section11_on as _
    )
    .execute(&mut *tx)
    .await;
    if let Err(e) = updated {
        if unique_name_error(&e, "organisation_partnership_id_name_key") {
            drop(tx);
            errors.add("name", "An organisation with this name is already listed");
            return organisation_form(&session, member, errors, form, Some(id)).await;
        }
        return Err(e.into());
    }
    change(&member, "organisation.updated", "organisation", id, &address)
        .before(json!({ "name": before.name, "sector": before.sector, "statutory_partner": before.is_statutory_partner,
                        "relevant_agency": before.is_relevant_agency, "contact_name": before.contact_name,
                        "contact_email": before.contact_email, "last_section11_on": before.last_section11_on }))
        .after(o.record())
        .record(&mut tx)
        .await?;
    tx.commit().await?;
    done(&session, format!("{} updated", o.name), format!("/p/{}/agencies", member.partnership.slug)).await
}

/// A record just retired, for the audit log and the message.
struct Retirement<'a> {
    action: &'a str,
    subject_type: &'a str,
    /// The field that names the record in the audit log ("name", "title", "board_name").
    field: &'a str,
    id: Uuid,
    name: String,
    message: String,
    to: String,
}

/// The end of every retirement: the audit record, the commit and the message.
async fn retired(mut tx: Tx, session: &Session, member: &Member, address: &str, r: Retirement<'_>) -> Result<Response> {
    let named = |retired_on: Option<NaiveDate>| {
        let mut record = serde_json::Map::new();
        record.insert(r.field.to_owned(), json!(r.name));
        if let Some(day) = retired_on {
            record.insert("retired_on".to_owned(), json!(day));
        }
        serde_json::Value::Object(record)
    };
    change(member, r.action, r.subject_type, r.id, address).before(named(None)).after(named(Some(today()))).record(&mut tx).await?;
    tx.commit().await?;
    done(session, r.message, r.to).await
}

pub(crate) async fn retire_organisation(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, organisation_id)): Path<(String, String)>,
) -> Result<Response> {
    member.require(Capability::ManageStructure)?;
    let id = parse_id(&organisation_id)?;
    let mut tx = member.begin(&state).await?;
    let name = sqlx::query_scalar!(
        "update organisation set retired_on = current_date where partnership_id = $1 and id = $2 and retired_on is null returning name",
        member.partnership.id,
        id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    let (message, to) = (format!("{name} retired. Its history is kept."), format!("/p/{}/agencies", member.partnership.slug));
    let r = Retirement { action: "organisation.retired", subject_type: "organisation", field: "name", id, name, message, to };
    retired(tx, &session, &member, &address, r).await
}

// ---------------------------------------------------------------- posts and holders

#[derive(Deserialize, Default)]
pub(crate) struct PostForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    organisation_id: String,
    #[serde(default)]
    notes: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "structure/post_form.html")]
struct PostFormPage {
    layout: Layout,
    member: Member,
    errors: FormErrors,
    form: PostForm,
    kinds: &'static [PostKind],
    organisations: Vec<Choice>,
}

async fn post_form(state: &AppState, session: &Session, member: Member, errors: FormErrors, form: PostForm) -> Result<Response> {
    let mut tx = member.begin(state).await?;
    let organisations = organisation_choices(&mut tx, &member).await?;
    tx.commit().await?;
    let page = PostFormPage {
        layout: member.layout(session, "structure").await?,
        member,
        errors: errors.clone(),
        form,
        kinds: PostKind::ALL,
        organisations,
    };
    if errors.is_empty() { Ok(page.into_response()) } else { reject(page) }
}

pub(crate) async fn new_post_page(State(state): State<AppState>, session: Session, member: Member) -> Result<Response> {
    member.require(Capability::ManageStructure)?;
    post_form(&state, &session, member, FormErrors::default(), PostForm::default()).await
}

pub(crate) async fn create_post(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Submitted(form): Submitted<PostForm>,
) -> Result<Response> {
    member.require(Capability::ManageStructure)?;
    let mut tx = member.begin(&state).await?;
    let organisations = organisation_choices(&mut tx, &member).await?;
    let mut errors = FormErrors::default();
    let kind = errors.check("kind", PostKind::from_code(&form.kind).ok_or_else(|| "Select the kind of post".to_owned()));
    let title = errors.check("title", required_text(&form.title, "post's title", 200));
    let organisation = errors.check("organisation_id", chosen(&form.organisation_id, &organisations));
    let notes = errors.check("notes", optional_text(&form.notes, "notes", 1000));
    let (Some(kind), Some(title), Some(organisation), Some(notes)) = (kind, title, organisation, notes) else {
        drop(tx);
        return post_form(&state, &session, member, errors, form).await;
    };
    let id = Uuid::new_v4();
    let inserted = sqlx::query!(
        "insert into post (partnership_id, id, kind, title, organisation_id, notes) values ($1, $2, $3, $4, $5, $6)
         on conflict (partnership_id, title) do nothing",
        member.partnership.id,
        id,
        kind.code(),
        title,
        organisation,
        notes
    )
    .execute(&mut *tx)
    .await?;
    if inserted.rows_affected() == 0 {
        drop(tx);
        errors.add("title", "A post with this title already exists");
        return post_form(&state, &session, member, errors, form).await;
    }
    change(&member, "post.created", "post", id, &address)
        .after(json!({ "kind": kind.code(), "title": title, "organisation_id": organisation, "notes": notes }))
        .record(&mut tx)
        .await?;
    tx.commit().await?;
    done(&session, format!("{title} added. Now record who holds it."), format!("/p/{}/structure/posts/{id}", member.partnership.slug)).await
}

#[derive(Deserialize, Default)]
pub(crate) struct HolderForm {
    #[serde(default)]
    holder_name: String,
    #[serde(default)]
    starts_on_day: String,
    #[serde(default)]
    starts_on_month: String,
    #[serde(default)]
    starts_on_year: String,
    #[serde(default)]
    ends_on_day: String,
    #[serde(default)]
    ends_on_month: String,
    #[serde(default)]
    ends_on_year: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "structure/post.html")]
struct PostPage {
    layout: Layout,
    member: Member,
    errors: FormErrors,
    form: HolderForm,
    post: super::Post,
    today: NaiveDate,
    can_manage: bool,
}

async fn post_view(
    state: &AppState,
    session: &Session,
    member: Member,
    errors: FormErrors,
    form: HolderForm,
    post_id: &str,
) -> Result<Response> {
    let id = parse_id(post_id)?;
    let mut tx = member.begin(state).await?;
    let post = super::posts(&mut tx, member.partnership.id).await?.into_iter().find(|p| p.id == id).ok_or(AppError::NotFound)?;
    tx.commit().await?;
    let page = PostPage {
        layout: member.layout(session, "structure").await?,
        can_manage: member.roles.allows(Capability::ManageStructure),
        member,
        errors: errors.clone(),
        form,
        post,
        today: today(),
    };
    if errors.is_empty() { Ok(page.into_response()) } else { reject(page) }
}

pub(crate) async fn post_page(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Path((_, post_id)): Path<(String, String)>,
) -> Result<Response> {
    post_view(&state, &session, member, FormErrors::default(), HolderForm::default(), &post_id).await
}

pub(crate) async fn add_holder(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, post_id)): Path<(String, String)>,
    Submitted(form): Submitted<HolderForm>,
) -> Result<Response> {
    member.require(Capability::ManageStructure)?;
    let id = parse_id(&post_id)?;
    let mut errors = FormErrors::default();
    let name = errors.check("holder_name", required_text(&form.holder_name, "holder's name or role title", 200));
    let starts = DateParts { day: form.starts_on_day.clone(), month: form.starts_on_month.clone(), year: form.starts_on_year.clone() };
    let ends = DateParts { day: form.ends_on_day.clone(), month: form.ends_on_month.clone(), year: form.ends_on_year.clone() };
    let starts_on = errors.check("starts_on_day", starts.parse("Start date", true)).flatten();
    let ends_on = errors.check("ends_on_day", ends.parse("End date", false));
    if let (Some(s), Some(Some(e))) = (starts_on, ends_on)
        && e < s
    {
        errors.add("ends_on_day", "End date must be the same as or after the start date");
    }
    let (Some(name), Some(starts_on), Some(ends_on)) = (name, starts_on, ends_on) else {
        return post_view(&state, &session, member, errors, form, &post_id).await;
    };
    if !errors.is_empty() {
        return post_view(&state, &session, member, errors, form, &post_id).await;
    }
    let mut tx = member.begin(&state).await?;
    sqlx::query_scalar!(
        "select id from post where partnership_id = $1 and id = $2 and retired_on is null for update",
        member.partnership.id,
        id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    let holder_id = Uuid::new_v4();
    let inserted = sqlx::query!(
        "insert into post_holder (partnership_id, id, post_id, holder_name, starts_on, ends_on) values ($1, $2, $3, $4, $5, $6)
         on conflict do nothing",
        member.partnership.id,
        holder_id,
        id,
        name,
        starts_on as _,
        ends_on as _
    )
    .execute(&mut *tx)
    .await?;
    if inserted.rows_affected() == 1 {
        change(&member, "post_holder.added", "post_holder", holder_id, &address)
            .after(json!({ "post_id": id, "holder_name": name, "starts_on": starts_on, "ends_on": ends_on }))
            .record(&mut tx)
            .await?;
    }
    tx.commit().await?;
    done(&session, format!("{name} recorded"), format!("/p/{}/structure/posts/{id}", member.partnership.slug)).await
}

pub(crate) async fn end_holder(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, post_id, holder_id)): Path<(String, String, String)>,
) -> Result<Response> {
    member.require(Capability::ManageStructure)?;
    let (post_id, holder_id) = (parse_id(&post_id)?, parse_id(&holder_id)?);
    let mut tx = member.begin(&state).await?;
    let holder = sqlx::query!(
        r#"select holder_name, starts_on as "starts_on: NaiveDate", ends_on as "ends_on: NaiveDate"
           from post_holder where partnership_id = $1 and post_id = $2 and id = $3 for update"#,
        member.partnership.id,
        post_id,
        holder_id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    let to = format!("/p/{}/structure/posts/{post_id}", member.partnership.slug);
    let before = json!({ "holder_name": holder.holder_name, "starts_on": holder.starts_on, "ends_on": holder.ends_on });
    let message = match ending(holder.starts_on, holder.ends_on, today()) {
        Ending::AlreadyEnded => return done(&session, format!("{}'s term had already ended", holder.holder_name), to).await,
        Ending::Withdraw => {
            sqlx::query!("delete from post_holder where partnership_id = $1 and id = $2", member.partnership.id, holder_id)
                .execute(&mut *tx)
                .await?;
            change(&member, "post_holder.withdrawn", "post_holder", holder_id, &address).before(before).record(&mut tx).await?;
            format!("{}'s appointment, which had not begun, is withdrawn", holder.holder_name)
        }
        Ending::EndOn(day) => {
            sqlx::query!(
                "update post_holder set ends_on = $3 where partnership_id = $1 and id = $2",
                member.partnership.id,
                holder_id,
                day as _
            )
            .execute(&mut *tx)
            .await?;
            change(&member, "post_holder.ended", "post_holder", holder_id, &address)
                .before(before)
                .after(json!({ "holder_name": holder.holder_name, "starts_on": holder.starts_on, "ends_on": day }))
                .record(&mut tx)
                .await?;
            format!("{}'s term ends on {}", holder.holder_name, crate::calendar::long_date(day))
        }
    };
    tx.commit().await?;
    done(&session, message, to).await
}

pub(crate) async fn retire_post(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, post_id)): Path<(String, String)>,
) -> Result<Response> {
    member.require(Capability::ManageStructure)?;
    let id = parse_id(&post_id)?;
    let mut tx = member.begin(&state).await?;
    let title = sqlx::query_scalar!(
        "update post set retired_on = current_date where partnership_id = $1 and id = $2 and retired_on is null returning title",
        member.partnership.id,
        id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    let (message, to) = (format!("{title} retired. Its history is kept."), format!("/p/{}/structure", member.partnership.slug));
    let r = Retirement { action: "post.retired", subject_type: "post", field: "title", id, name: title, message, to };
    retired(tx, &session, &member, &address, r).await
}

// ---------------------------------------------------------------- links to other boards

#[derive(Deserialize, Default)]
pub(crate) struct LinkForm {
    #[serde(default)]
    board_name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    group_id: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "structure/link_form.html")]
struct LinkFormPage {
    layout: Layout,
    member: Member,
    errors: FormErrors,
    form: LinkForm,
    groups: Vec<Choice>,
}

async fn link_form(state: &AppState, session: &Session, member: Member, errors: FormErrors, form: LinkForm) -> Result<Response> {
    let mut tx = member.begin(state).await?;
    let groups = group_choices(&mut tx, &member, None).await?;
    tx.commit().await?;
    let page = LinkFormPage { layout: member.layout(session, "structure").await?, member, errors: errors.clone(), form, groups };
    if errors.is_empty() { Ok(page.into_response()) } else { reject(page) }
}

pub(crate) async fn new_link_page(State(state): State<AppState>, session: Session, member: Member) -> Result<Response> {
    member.require(Capability::ManageStructure)?;
    link_form(&state, &session, member, FormErrors::default(), LinkForm::default()).await
}

pub(crate) async fn create_link(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Submitted(form): Submitted<LinkForm>,
) -> Result<Response> {
    member.require(Capability::ManageStructure)?;
    let mut tx = member.begin(&state).await?;
    let groups = group_choices(&mut tx, &member, None).await?;
    let mut errors = FormErrors::default();
    let board = errors.check("board_name", required_text(&form.board_name, "board's name", 200));
    let description = errors.check("description", optional_text(&form.description, "description", 2000));
    let group = errors.check("group_id", chosen(&form.group_id, &groups));
    let (Some(board), Some(description), Some(group)) = (board, description, group) else {
        drop(tx);
        return link_form(&state, &session, member, errors, form).await;
    };
    let id = Uuid::new_v4();
    let inserted = sqlx::query!(
        "insert into board_link (partnership_id, id, board_name, description, group_id) values ($1, $2, $3, $4, $5)
         on conflict (partnership_id, board_name) do nothing",
        member.partnership.id,
        id,
        board,
        description,
        group
    )
    .execute(&mut *tx)
    .await?;
    if inserted.rows_affected() == 0 {
        drop(tx);
        errors.add("board_name", "A link to this board is already recorded");
        return link_form(&state, &session, member, errors, form).await;
    }
    change(&member, "board_link.added", "board_link", id, &address)
        .after(json!({ "board_name": board, "description": description, "group_id": group }))
        .record(&mut tx)
        .await?;
    tx.commit().await?;
    done(&session, format!("Link to {board} added"), format!("/p/{}/structure", member.partnership.slug)).await
}

pub(crate) async fn retire_link(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, link_id)): Path<(String, String)>,
) -> Result<Response> {
    member.require(Capability::ManageStructure)?;
    let id = parse_id(&link_id)?;
    let mut tx = member.begin(&state).await?;
    let board = sqlx::query_scalar!(
        "update board_link set retired_on = current_date where partnership_id = $1 and id = $2 and retired_on is null returning board_name",
        member.partnership.id,
        id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    let (message, to) = (format!("Link to {board} retired"), format!("/p/{}/structure", member.partnership.slug));
    let r = Retirement { action: "board_link.retired", subject_type: "board_link", field: "board_name", id, name: board, message, to };
    retired(tx, &session, &member, &address, r).await
}

// ---------------------------------------------------------------- the arrangements text

#[derive(Deserialize, Default)]
pub(crate) struct ArrangementsForm {
    #[serde(default)]
    chair_arrangements: String,
    #[serde(default)]
    scrutiny_arrangements: String,
    #[serde(default)]
    decision_making: String,
    #[serde(default)]
    section11_interval_months: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "structure/arrangements_form.html")]
struct ArrangementsPage {
    layout: Layout,
    member: Member,
    errors: FormErrors,
    form: ArrangementsForm,
}

pub(crate) async fn arrangements_page(State(state): State<AppState>, session: Session, member: Member) -> Result<Response> {
    member.require(Capability::ManageStructure)?;
    let mut tx = member.begin(&state).await?;
    let a = super::arrangement(&mut tx, member.partnership.id).await?;
    tx.commit().await?;
    let form = ArrangementsForm {
        chair_arrangements: a.chair_arrangements,
        scrutiny_arrangements: a.scrutiny_arrangements,
        decision_making: a.decision_making,
        section11_interval_months: a.section11_interval_months.to_string(),
    };
    Ok(ArrangementsPage { layout: member.layout(&session, "structure").await?, member, errors: FormErrors::default(), form }
        .into_response())
}

pub(crate) async fn update_arrangements(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Submitted(form): Submitted<ArrangementsForm>,
) -> Result<Response> {
    member.require(Capability::ManageStructure)?;
    let mut errors = FormErrors::default();
    let chair = errors.check("chair_arrangements", optional_text(&form.chair_arrangements, "chair arrangements", 2000));
    let scrutiny = errors.check("scrutiny_arrangements", optional_text(&form.scrutiny_arrangements, "scrutiny arrangements", 4000));
    let decisions = errors.check("decision_making", optional_text(&form.decision_making, "decision making", 2000));
    let interval = errors.check(
        "section11_interval_months",
        form.section11_interval_months
            .trim()
            .parse::<i32>()
            .ok()
            .filter(|n| (1..=120).contains(n))
            .ok_or_else(|| "Months between Section 11 self-assessments must be a whole number from 1 to 120".to_owned()),
    );
    let (Some(chair), Some(scrutiny), Some(decisions), Some(interval)) = (chair, scrutiny, decisions, interval) else {
        let page = ArrangementsPage { layout: member.layout(&session, "structure").await?, member, errors, form };
        return reject(page);
    };
    let mut tx = member.begin(&state).await?;
    let before = super::arrangement(&mut tx, member.partnership.id).await?;
    sqlx::query!(
        "insert into arrangement (partnership_id, chair_arrangements, scrutiny_arrangements, decision_making, section11_interval_months)
         values ($1, $2, $3, $4, $5)
         on conflict (partnership_id) do update set chair_arrangements = excluded.chair_arrangements,
             scrutiny_arrangements = excluded.scrutiny_arrangements, decision_making = excluded.decision_making,
             section11_interval_months = excluded.section11_interval_months",
        member.partnership.id,
        chair,
        scrutiny,
        decisions,
        interval
    )
    .execute(&mut *tx)
    .await?;
    change(&member, "arrangements.updated", "arrangement", member.partnership.id, &address)
        .before(json!({ "chair_arrangements": before.chair_arrangements, "scrutiny_arrangements": before.scrutiny_arrangements,
                        "decision_making": before.decision_making, "section11_interval_months": before.section11_interval_months }))
        .after(json!({ "chair_arrangements": chair, "scrutiny_arrangements": scrutiny, "decision_making": decisions,
                       "section11_interval_months": interval }))
        .record(&mut tx)
        .await?;
    tx.commit().await?;
    done(&session, "Arrangements updated".into(), format!("/p/{}/structure", member.partnership.slug)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn ending_a_term_now_depends_on_where_it_stands() {
        let today = d(2026, 11, 22);
        assert_eq!(ending(d(2025, 9, 1), Some(d(2027, 8, 31)), today), Ending::EndOn(today));
        assert_eq!(ending(d(2025, 9, 1), None, today), Ending::EndOn(today));
        assert_eq!(ending(d(2027, 9, 1), Some(d(2029, 8, 31)), today), Ending::Withdraw, "the next holder has not begun");
        assert_eq!(ending(d(2020, 1, 1), Some(d(2026, 11, 21)), today), Ending::AlreadyEnded);
        assert_eq!(ending(d(2020, 1, 1), Some(today), today), Ending::AlreadyEnded, "a second click the same day changes nothing");
    }
}
