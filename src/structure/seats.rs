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
