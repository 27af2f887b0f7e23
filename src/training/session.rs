//! One training session (`/p/<slug>/training/sessions/<id>`): its course and
//! time, the participants' link, the bookings with attendance, the
//! evaluations straight after and the follow-ups on practice, and the
//! observer's notes. Participants' names and e-mail addresses are for the
//! business unit; everyone else sees the figures.

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

use super::{Respondent, Stage, average};
use crate::calendar::when;
use crate::error::{AppError, Result};
use crate::roles::Capability;
use crate::tenant::{Member, change};
use crate::web::{
    AppState, ClientAddress, FormErrors, Layout, Submitted, optional_line, optional_text, record_id, redirect_with as done, required_line,
};

#[derive(Debug, Deserialize)]
pub struct Booking {
    pub id: Uuid,
    pub participant_name: String,
    pub email: String,
    pub agency: String,
    pub attended: Option<bool>,
}

#[derive(Debug, Deserialize)]
pub struct Evaluation {
    pub stage: Stage,
    pub respondent: Respondent,
    pub agency: Option<String>,
    pub rating: i16,
    pub confidence_before: Option<i16>,
    pub confidence_after: Option<i16>,
    pub comments: String,
}

pub(crate) struct Loaded {
    pub id: Uuid,
    pub course_id: Uuid,
    pub course_title: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub place: String,
    pub online: bool,
    pub capacity: i32,
    pub link_token: String,
    pub observation: String,
    pub observed_by: String,
    pub cancelled: bool,
    pub bookings: Vec<Booking>,
    pub evaluations: Vec<Evaluation>,
}

impl Loaded {
    pub fn when(&self) -> String {
        when(self.starts_at, self.ends_at)
    }
    pub fn attended(&self) -> usize {
        self.bookings.iter().filter(|b| b.attended == Some(true)).count()
    }
    fn of(&self, stage: Stage) -> Vec<&Evaluation> {
        self.evaluations.iter().filter(|e| e.stage == stage).collect()
    }
    pub fn immediate(&self) -> Vec<&Evaluation> {
        self.of(Stage::Immediate)
    }
    pub fn follow_ups(&self) -> Vec<&Evaluation> {
        self.of(Stage::FollowUp)
    }
    fn mean(values: impl Iterator<Item = i16>) -> Option<f64> {
        let values: Vec<f64> = values.map(f64::from).collect();
        (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
    }
    pub fn rating(&self) -> String {
        average(Self::mean(self.immediate().iter().map(|e| e.rating)))
    }
    pub fn confidence_before(&self) -> String {
        average(Self::mean(self.immediate().iter().filter_map(|e| e.confidence_before)))
    }
    pub fn confidence_after(&self) -> String {
        average(Self::mean(self.immediate().iter().filter_map(|e| e.confidence_after)))
    }
    pub fn impact(&self) -> String {
        average(Self::mean(self.follow_ups().iter().map(|e| e.rating)))
    }
}

/// The session with its bookings and evaluations, in one statement.
pub(crate) async fn load(tx: &mut crate::db::Tx, partnership_id: Uuid, id: Uuid) -> Result<Loaded> {
    let row = sqlx::query!(
        r#"select s.id, s.course_id, c.title as course_title, s.starts_at, s.ends_at, s.place, s.online, s.capacity, s.link_token,
                  s.observation, s.observed_by, s.cancelled_at is not null as "cancelled!",
                  coalesce((select json_agg(x order by x.participant_name) from (
                      select b.id, b.participant_name, b.email, coalesce(o.name, b.agency) as agency, b.attended
                      from training_booking b left join organisation o on o.partnership_id = b.partnership_id and o.id = b.organisation_id
                      where b.partnership_id = s.partnership_id and b.session_id = s.id) x), '[]') as "bookings!: Json<Vec<Booking>>",
                  coalesce((select json_agg(x order by x.submitted_at) from (
                      select e.stage, e.respondent, o.name as agency, e.rating, e.confidence_before, e.confidence_after, e.comments,
                             e.submitted_at
                      from training_evaluation e left join organisation o on o.partnership_id = e.partnership_id and o.id = e.organisation_id
                      where e.partnership_id = s.partnership_id and e.session_id = s.id) x), '[]') as "evaluations!: Json<Vec<Evaluation>>"
           from training_session s join course c on c.partnership_id = s.partnership_id and c.id = s.course_id
           where s.partnership_id = $1 and s.id = $2"#,
        partnership_id,
        id
    )
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(AppError::NotFound)?;
    Ok(Loaded {
        id: row.id,
        course_id: row.course_id,
        course_title: row.course_title,
        starts_at: row.starts_at,
        ends_at: row.ends_at,
        place: row.place,
        online: row.online,
        capacity: row.capacity,
        link_token: row.link_token,
        observation: row.observation,
        observed_by: row.observed_by,
        cancelled: row.cancelled,
        bookings: row.bookings.0,
        evaluations: row.evaluations.0,
    })
}

#[derive(Deserialize, Default, Clone, Debug)]
pub(crate) struct SessionForms {
    #[serde(default)]
    participant_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    organisation: String,
    #[serde(default)]
    agency: String,
    #[serde(default)]
    observation: String,
    #[serde(default)]
    observed_by: String,
}

#[derive(Deserialize, Default)]
pub(crate) struct AttendanceForm {
    #[serde(default)]
    attended: Vec<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "training/session.html")]
struct SessionPage {
    layout: Layout,
    member: Member,
    session: Loaded,
    link: String,
    can_manage: bool,
    organisations: Vec<(String, String)>,
    forms: SessionForms,
    errors: FormErrors,
}

pub(crate) async fn session_page(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Path((_, session_id)): Path<(String, String)>,
) -> Result<Response> {
    let id = record_id(&session_id)?;
    render(&state, &session, member, id, None, FormErrors::default()).await
}

async fn render(
    state: &AppState,
    session: &Session,
    member: Member,
    id: Uuid,
    forms: Option<SessionForms>,
    errors: FormErrors,
) -> Result<Response> {
    let mut tx = member.begin(state).await?;
    let loaded = load(&mut tx, member.partnership.id, id).await?;
    let can_manage = member.roles.allows(Capability::ManageResources);
    let organisations = if can_manage { super::agencies(&mut tx, member.partnership.id).await? } else { Vec::new() };
    tx.commit().await?;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let forms = forms.unwrap_or_else(|| SessionForms {
        observation: loaded.observation.clone(),
        observed_by: loaded.observed_by.clone(),
        ..SessionForms::default()
    });
    let page = SessionPage {
        layout: member.layout(session, "resources").await?,
        link: format!("{}/training/{}", state.config.public_url, loaded.link_token),
        can_manage,
        member,
        session: loaded,
        organisations,
        forms,
        errors,
    };
    Ok((status, page).into_response())
}

/// Book a place for a practitioner: their name, e-mail address and agency. One booking a person a session; a full
/// session takes no more.
pub(crate) async fn book(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Path((_, session_id)): Path<(String, String)>,
    ClientAddress(address): ClientAddress,
    Submitted(forms): Submitted<SessionForms>,
) -> Result<Response> {
    member.require(Capability::ManageResources)?;
    let id = record_id(&session_id)?;
    let mut tx = member.begin(&state).await?;
    let pid = member.partnership.id;
    let mut errors = FormErrors::default();
    let booking =
        parse_booking(&mut tx, pid, &forms.participant_name, &forms.email, &forms.organisation, &forms.agency, &mut errors, "").await?;
    let training = load(&mut tx, pid, id).await?;
    if training.bookings.len() >= usize::try_from(training.capacity).unwrap_or(0) {
        errors.add("participant_name", format!("The session is full: all {} places are booked", training.capacity));
    }
    let (Some(booking), true) = (booking, errors.is_empty()) else {
        member.resume(tx);
        return render(&state, &session, member, id, Some(forms), errors).await;
    };
    let added = booking.insert(&mut tx, pid, id, None).await?;
    if added {
        change(&member, "training.booked", "training", id, &address)
            .after(json!({ "title": training.course_title, "participant": booking.name, "agency": booking.agency_name }))
            .record(&mut tx)
            .await?;
    }
    tx.commit().await?;
    let message = if added {
        format!("{} booked on {}", booking.name, training.course_title)
    } else {
        format!("{} is already booked", booking.email)
    };
    done(&session, message, format!("/p/{}/training/sessions/{id}", member.partnership.slug)).await
}

/// A practitioner's place, checked.
pub(crate) struct NewBooking {
    pub name: String,
    pub email: String,
    pub organisation_id: Option<Uuid>,
    pub agency: String,
    /// The agency's name, whichever way it was given.
    pub agency_name: String,
}

impl NewBooking {
    /// Book the place; none added when the person is booked already. `attended` marks them present as they book
    /// (signing in at the session through its link).
    pub async fn insert(
        &self,
        tx: &mut crate::db::Tx,
        partnership_id: Uuid,
        session_id: Uuid,
        attended: Option<bool>,
    ) -> sqlx::Result<bool> {
        let added = sqlx::query!(
            "insert into training_booking (partnership_id, id, session_id, participant_name, email, organisation_id, agency, attended,
                                           attendance_recorded_at)
             values ($1, $2, $3, $4, $5, $6, $7, $8::boolean, case when $8::boolean is null then null else now() end)
             on conflict (partnership_id, session_id, email) do nothing",
            partnership_id,
            Uuid::new_v4(),
            session_id,
            self.name,
            self.email,
            self.organisation_id,
            self.agency,
            attended
        )
        .execute(&mut **tx)
        .await?;
        Ok(added.rows_affected() == 1)
    }
}

/// A booking's fields, checked: a name, an e-mail address and an agency (one of the partnership's, or named).
/// Field names carry `prefix` where a page has more than one such form.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn parse_booking(
    tx: &mut crate::db::Tx,
    partnership_id: Uuid,
    name: &str,
    email: &str,
    organisation: &str,
    agency: &str,
    errors: &mut FormErrors,
    prefix: &str,
) -> Result<Option<NewBooking>> {
    let field = |name: &str| format!("{prefix}{name}");
    let name = required_line(name, "participant's name", 200).map_err(|e| errors.add_at(field("participant_name"), e)).ok();
    let email = email.trim().to_lowercase();
    if !(email.len() >= 3 && email.len() <= 254 && email.contains('@') && !email.contains(char::is_whitespace)) {
        errors.add_at(field("email"), "Enter an e-mail address in the right form, like name@agency.org.uk");
    }
    let organisation = match Uuid::parse_str(organisation) {
        Ok(id) => {
            let found = sqlx::query!(
                "select id, name from organisation where partnership_id = $1 and id = $2 and retired_on is null",
                partnership_id,
                id
            )
            .fetch_optional(&mut **tx)
            .await?;
            if found.is_none() {
                errors.add_at(field("organisation"), "Choose an agency from the list, or name another");
            }
            found
        }
        Err(_) => None,
    };
    let agency = optional_line(agency, "agency", 200).map_err(|e| errors.add_at(field("agency"), e)).ok();
    if organisation.is_none() && agency.as_deref() == Some("") {
        errors.add_at(field("organisation"), "Choose the participant's agency, or name it");
    }
    if !errors.is_empty() {
        return Ok(None);
    }
    let (Some(name), Some(agency)) = (name, agency) else { return Ok(None) };
    Ok(Some(match organisation {
        // An agency on the list is kept by its id, not its name.
        Some(o) => NewBooking { name, email, organisation_id: Some(o.id), agency: String::new(), agency_name: o.name },
        None => NewBooking { name, email, organisation_id: None, agency_name: agency.clone(), agency },
    }))
}

/// Take attendance: those ticked attended, the rest of the booked did not.
pub(crate) async fn take_attendance(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Path((_, session_id)): Path<(String, String)>,
    ClientAddress(address): ClientAddress,
    Submitted(form): Submitted<AttendanceForm>,
) -> Result<Response> {
    member.require(Capability::ManageResources)?;
    let id = record_id(&session_id)?;
    let present: Vec<Uuid> = form.attended.iter().filter_map(|a| Uuid::parse_str(a).ok()).collect();
    let mut tx = member.begin(&state).await?;
    let training = load(&mut tx, member.partnership.id, id).await?;
    let changed = sqlx::query_scalar!(
        r#"with changed as (
               update training_booking set attended = (id = any($3)), attendance_recorded_at = now()
               where partnership_id = $1 and session_id = $2 and attended is distinct from (id = any($3))
               returning participant_name, attended)
           select coalesce(json_agg(json_build_array(participant_name, attended)), '[]') as "changed!: Json<Vec<(String, bool)>>" from changed"#,
        member.partnership.id,
        id,
        &present
    )
    .fetch_one(&mut *tx)
    .await?
    .0;
    if !changed.is_empty() {
        change(&member, "training.attendance", "training", id, &address)
            .after(json!({ "title": training.course_title, "attendance": changed }))
            .record(&mut tx)
            .await?;
    }
    tx.commit().await?;
    let attended = training.bookings.iter().filter(|b| present.contains(&b.id)).count();
    done(
        &session,
        format!("Attendance taken: {attended} of {} attended", training.bookings.len()),
        format!("/p/{}/training/sessions/{id}", member.partnership.slug),
    )
    .await
}

/// The observer's notes on how the session went.
pub(crate) async fn observe(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Path((_, session_id)): Path<(String, String)>,
    ClientAddress(address): ClientAddress,
    Submitted(forms): Submitted<SessionForms>,
) -> Result<Response> {
    member.require(Capability::ManageResources)?;
    let id = record_id(&session_id)?;
    let mut errors = FormErrors::default();
    let observation = errors.check("observation", optional_text(&forms.observation, "observation", 4000));
    let observed_by = errors.check("observed_by", optional_line(&forms.observed_by, "observer's name", 200));
    let mut tx = member.begin(&state).await?;
    let training = load(&mut tx, member.partnership.id, id).await?;
    let (Some(observation), Some(observed_by), true) = (observation, observed_by, errors.is_empty()) else {
        member.resume(tx);
        return render(&state, &session, member, id, Some(forms), errors).await;
    };
    if training.observation != observation || training.observed_by != observed_by {
        sqlx::query!(
            "update training_session set observation = $3, observed_by = $4 where partnership_id = $1 and id = $2",
            member.partnership.id,
            id,
            observation,
            observed_by
        )
        .execute(&mut *tx)
        .await?;
        change(&member, "training.observed", "training", id, &address)
            .before(json!({ "title": training.course_title, "observation": training.observation, "observed_by": training.observed_by }))
            .after(json!({ "title": training.course_title, "observation": observation, "observed_by": observed_by }))
            .record(&mut tx)
            .await?;
    }
    tx.commit().await?;
    done(&session, "Observation saved".to_owned(), format!("/p/{}/training/sessions/{id}", member.partnership.slug)).await
}

/// Cancel the session: its participants' link closes, and everyone booked is told by mail. Cancelled once.
pub(crate) async fn cancel(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Path((_, session_id)): Path<(String, String)>,
    ClientAddress(address): ClientAddress,
) -> Result<Response> {
    member.require(Capability::ManageResources)?;
    let id = record_id(&session_id)?;
    let pid = member.partnership.id;
    let mut tx = member.begin(&state).await?;
    let training = load(&mut tx, pid, id).await?;
    let cancelled = sqlx::query!(
        "update training_session set cancelled_at = now() where partnership_id = $1 and id = $2 and cancelled_at is null",
        pid,
        id
    )
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if cancelled {
        let subject = format!("Cancelled: {}, {}", training.course_title, training.when());
        for booking in &training.bookings {
            let body = format!(
                "Dear {},\n\nThe session of {} on {} has been cancelled. The training team will offer you a place on another session.\n\n{}\n",
                booking.participant_name,
                training.course_title,
                training.when(),
                member.partnership.name
            );
            crate::outbox::enqueue(
                &mut tx,
                Some(pid),
                &booking.email,
                &booking.participant_name,
                &subject,
                &body,
                &format!("training-cancelled:{id}:{}", booking.email),
            )
            .await?;
        }
        change(&member, "training.session_cancelled", "training", id, &address)
            .before(json!({ "title": training.course_title, "starts_at": training.starts_at, "cancelled": false }))
            .after(json!({ "title": training.course_title, "starts_at": training.starts_at, "cancelled": true, "told": training.bookings.len() }))
            .record(&mut tx)
            .await?;
    }
    tx.commit().await?;
    let message = if cancelled {
        format!("Session cancelled: {} booked told by mail", training.bookings.len())
    } else {
        "The session was already cancelled".to_owned()
    };
    done(&session, message, format!("/p/{}/training/sessions/{id}", member.partnership.slug)).await
}
