//! Seats on a group: who sits on it, for which organisation, in which role, from when to when.

use crate::structure::forms::Choice;
use crate::structure::forms::Ending;
use crate::structure::forms::chosen;
use crate::structure::forms::ending;
use crate::structure::forms::organisation_choices;
use crate::structure::forms::people_choices;
use crate::structure::forms::reject;
use crate::structure::groups::find_group;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::json;
use tower_sessions::Session;
use uuid::Uuid;

use super::RoleInGroup;
use crate::calendar::today;
use crate::error::{AppError, Result};
use crate::roles::Capability;
use crate::tenant::Member;
use crate::tenant::change;
use crate::web::{
    AppState, ClientAddress, DateParts, FormErrors, Layout, Submitted, record_id as parse_id, redirect_with as done, required_line,
};

// ---------------------------------------------------------------- seats on a group

#[derive(Deserialize, Default)]
pub(crate) struct SeatForm {
    #[serde(default)]
    pub(super) person_name: String,
    #[serde(default)]
    pub(super) organisation_id: String,
    #[serde(default)]
    pub(super) role_in_group: String,
    #[serde(default)]
    pub(super) membership_id: String,
    #[serde(default)]
    pub(super) starts_on_day: String,
    #[serde(default)]
    pub(super) starts_on_month: String,
    #[serde(default)]
    pub(super) starts_on_year: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "structure/seat_form.html")]
pub(super) struct SeatFormPage {
    pub(super) layout: Layout,
    pub(super) member: Member,
    pub(super) errors: FormErrors,
    pub(super) form: SeatForm,
    pub(super) group_id: Uuid,
    pub(super) group_name: String,
    pub(super) organisations: Vec<Choice>,
    pub(super) people: Vec<Choice>,
    pub(super) roles: &'static [RoleInGroup],
}

pub(super) async fn seat_form(
    state: &AppState,
    session: &Session,
    member: Member,
    errors: FormErrors,
    form: SeatForm,
    group_id: &str,
) -> Result<Response> {
    let mut tx = member.begin(state).await?;
    let group = find_group(&mut tx, &member, group_id, false).await?;
    let organisations = organisation_choices(&mut tx, &member).await?;
    let people = people_choices(&mut tx, &member).await?;
    tx.commit().await?;
    let page = SeatFormPage {
        layout: member.layout(session, "structure").await?,
        member,
        errors: errors.clone(),
        form,
        group_id: group.id,
        group_name: group.name,
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
    let mut tx = member.begin(&state).await?;
    let group = find_group(&mut tx, &member, &group_id, false).await?;
    let organisations = organisation_choices(&mut tx, &member).await?;
    let mut errors = FormErrors::default();
    let name = errors.check("person_name", required_line(&form.person_name, "person's name or role title", 200));
    let organisation = errors.check("organisation_id", chosen(&form.organisation_id, &organisations));
    let people = people_choices(&mut tx, &member).await?;
    let account = errors.check("membership_id", chosen(&form.membership_id, &people));
    let role = errors
        .check("role_in_group", RoleInGroup::from_code(&form.role_in_group).ok_or_else(|| "Select their role in the group".to_owned()));
    let starts = DateParts { day: form.starts_on_day.clone(), month: form.starts_on_month.clone(), year: form.starts_on_year.clone() };
    let starts_on = errors.check("starts_on_day", starts.parse("Start date", true));
    let (Some(name), Some(organisation), Some(account), Some(role), Some(Some(starts_on))) = (name, organisation, account, role, starts_on)
    else {
        member.resume(tx);
        return seat_form(&state, &session, member, errors, form, &group_id).await;
    };
    let id = Uuid::new_v4();
    // The same person, role and start date again (a double submit) adds nothing.
    let inserted = sqlx::query!(
        "insert into group_member (partnership_id, id, group_id, person_name, organisation_id, membership_id, role_in_group, starts_on)
         values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict do nothing",
        member.partnership.id,
        id,
        group.id,
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
            .after(json!({ "group_id": group.id, "person_name": name, "organisation_id": organisation, "membership_id": account,
                           "role_in_group": role.code(), "starts_on": starts_on }))
            .record(&mut tx)
            .await?;
    }
    tx.commit().await?;
    done(&session, format!("{name} added to {}", group.name), format!("/p/{}/groups/{}", member.partnership.slug, group.id)).await
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

// ---------------------------------------------------------------- linking a seat to an account

/// The seat whose account is being linked, as its page shows it.
pub(super) struct LinkedSeat {
    pub(super) id: Uuid,
    pub(super) person_name: String,
    pub(super) role_in_group: String,
    pub(super) membership_id: Option<Uuid>,
    pub(super) account_name: Option<String>,
}

impl LinkedSeat {
    pub(super) fn role_label(&self) -> &str {
        RoleInGroup::label_of(&self.role_in_group)
    }
}

#[derive(Deserialize, Default)]
pub(crate) struct LinkForm {
    #[serde(default)]
    membership_id: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "structure/seat_link.html")]
pub(super) struct LinkPage {
    layout: Layout,
    member: Member,
    errors: FormErrors,
    chosen: String,
    group_id: Uuid,
    group_name: String,
    seat: LinkedSeat,
    people: Vec<Choice>,
}

/// A current seat of a current group, locked for the change when asked.
async fn linked_seat(tx: &mut crate::db::Tx, member: &Member, group_id: Uuid, seat_id: Uuid) -> Result<LinkedSeat> {
    sqlx::query_as!(
        LinkedSeat,
        r#"select s.id, s.person_name, s.role_in_group, s.membership_id, a.known_as as "account_name?"
           from group_member s
           left join membership a on a.partnership_id = s.partnership_id and a.id = s.membership_id and a.removed_at is null
           where s.partnership_id = $1 and s.group_id = $2 and s.id = $3 and (s.ends_on is null or s.ends_on >= current_date)
           for update of s"#,
        member.partnership.id,
        group_id,
        seat_id
    )
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(AppError::NotFound)
}

async fn render_link(
    mut tx: crate::db::Tx,
    session: &Session,
    member: Member,
    ids: (Uuid, Uuid),
    chosen: String,
    errors: FormErrors,
) -> Result<Response> {
    let group = find_group(&mut tx, &member, &ids.0.to_string(), false).await?;
    let seat = linked_seat(&mut tx, &member, ids.0, ids.1).await?;
    let people = people_choices(&mut tx, &member).await?;
    tx.commit().await?;
    let status = if errors.is_empty() { axum::http::StatusCode::OK } else { axum::http::StatusCode::UNPROCESSABLE_ENTITY };
    let chosen =
        if chosen.is_empty() && errors.is_empty() { seat.membership_id.map(|id| id.to_string()).unwrap_or_default() } else { chosen };
    let page = LinkPage {
        layout: member.layout(session, "structure").await?,
        member,
        errors,
        chosen,
        group_id: group.id,
        group_name: group.name,
        seat,
        people,
    };
    Ok((status, page).into_response())
}

pub(crate) async fn link_page(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Path((_, group_id, seat_id)): Path<(String, String, String)>,
) -> Result<Response> {
    member.require(Capability::ManageStructure)?;
    let ids = (parse_id(&group_id)?, parse_id(&seat_id)?);
    let tx = member.begin(&state).await?;
    render_link(tx, &session, member, ids, String::new(), FormErrors::default()).await
}

/// Link the seat to an account, another one, or none: the seat goes on as it was (the same dates and role).
pub(crate) async fn link_seat(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, group_id, seat_id)): Path<(String, String, String)>,
    Submitted(form): Submitted<LinkForm>,
) -> Result<Response> {
    member.require(Capability::ManageStructure)?;
    let ids = (parse_id(&group_id)?, parse_id(&seat_id)?);
    let mut tx = member.begin(&state).await?;
    let seat = linked_seat(&mut tx, &member, ids.0, ids.1).await?;
    let people = people_choices(&mut tx, &member).await?;
    let mut errors = FormErrors::default();
    let Some(account) = errors.check("membership_id", chosen(&form.membership_id, &people)) else {
        return render_link(tx, &session, member, ids, form.membership_id, errors).await;
    };
    let to = format!("/p/{}/groups/{}", member.partnership.slug, ids.0);
    // The same account again (a second click) changes nothing and records nothing.
    if account == seat.membership_id {
        tx.commit().await?;
        return done(&session, format!("{}'s seat is unchanged", seat.person_name), to).await;
    }
    let name_of = |id: Option<Uuid>| id.and_then(|id| people.iter().find(|(v, _)| *v == id.to_string()).map(|(_, label)| label.clone()));
    sqlx::query!(
        "update group_member set membership_id = $3 where partnership_id = $1 and id = $2",
        member.partnership.id,
        seat.id,
        account
    )
    .execute(&mut *tx)
    .await?;
    change(&member, "group_member.linked", "group_member", seat.id, &address)
        .before(json!({ "person_name": seat.person_name, "account": seat.account_name, "membership_id": seat.membership_id }))
        .after(json!({ "person_name": seat.person_name, "account": name_of(account), "membership_id": account }))
        .record(&mut tx)
        .await?;
    tx.commit().await?;
    let message = match account {
        Some(_) => format!("{}'s seat is linked to {}", seat.person_name, name_of(account).unwrap_or_default()),
        None => format!("{}'s seat is no longer linked to an account", seat.person_name),
    };
    done(&session, message, to).await
}
