//! A session's link for its participants (`/training/<key>`), who are
//! practitioners from many agencies and mostly have no account: through it
//! they sign in as attending, evaluate the session straight after, and later
//! say (or their manager does) what difference it made to practice. The key
//! is random and one per session; it finds that session alone
//! (`training_link`, the one way into a partnership without signing in), and
//! what it reads is read through row-level security as nobody. Nothing is
//! stored for the visitor but what they send.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use serde_json::json;
use tower_sessions::Session;
use uuid::Uuid;

use super::{Respondent, Stage};
use crate::audit::Change;
use crate::calendar::when;
use crate::db::{Tx, enter_tenant};
use crate::error::{AppError, Result};
use crate::web::csrf::VisitorToken;
use crate::web::{AppState, ClientAddress, FormErrors, Layout, Query, Submitted, optional_text};

/// How long before a session its participants may sign in as attending.
const ATTENDANCE_OPENS: Duration = Duration::hours(24);
/// How long after it they may still sign in, evaluate it, and follow it up.
const ATTENDANCE_CLOSES: Duration = Duration::days(7);
const EVALUATION_CLOSES: Duration = Duration::days(30);
const FOLLOW_UP_CLOSES: Duration = Duration::days(183);

struct Linked {
    partnership_id: Uuid,
    partnership_name: String,
    session_id: Uuid,
    course_title: String,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    place: String,
    online: bool,
    capacity: i32,
    booked: i64,
}

impl Linked {
    fn when(&self) -> String {
        when(self.starts_at, self.ends_at)
    }
    fn attendance_open(&self, now: DateTime<Utc>) -> bool {
        now >= self.starts_at - ATTENDANCE_OPENS && now <= self.ends_at + ATTENDANCE_CLOSES
    }
    fn evaluation_open(&self, now: DateTime<Utc>) -> bool {
        now >= self.starts_at && now <= self.ends_at + EVALUATION_CLOSES
    }
    fn follow_up_open(&self, now: DateTime<Utc>) -> bool {
        now >= self.ends_at && now <= self.ends_at + FOLLOW_UP_CLOSES
    }
}

/// The session a key opens, in its partnership's tenant context as nobody: a key that opens none, or whose
/// session is long past, is a 404.
async fn open(state: &AppState, token: &str) -> Result<(Tx, Linked)> {
    if token.len() != 64 || !token.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(AppError::NotFound);
    }
    // The key is looked up and the partnership entered in the one transaction the page then uses.
    let mut tx = state.db.begin().await?;
    let found = sqlx::query!(r#"select partnership_id as "partnership_id!", session_id as "session_id!" from training_link($1)"#, token)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(AppError::NotFound)?;
    enter_tenant(&mut tx, found.partnership_id, None).await?;
    let row = sqlx::query!(
        r#"select p.name as partnership_name, c.title as course_title, s.starts_at, s.ends_at, s.place, s.online, s.capacity,
                  (select count(*) from training_booking b where b.partnership_id = s.partnership_id and b.session_id = s.id) as "booked!"
           from training_session s
           join course c on c.partnership_id = s.partnership_id and c.id = s.course_id
           join partnership p on p.id = s.partnership_id
           where s.partnership_id = $1 and s.id = $2"#,
        found.partnership_id,
        found.session_id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    if Utc::now() > row.ends_at + FOLLOW_UP_CLOSES {
        return Err(AppError::NotFound);
    }
    Ok((
        tx,
        Linked {
            partnership_id: found.partnership_id,
            partnership_name: row.partnership_name,
            session_id: found.session_id,
            course_title: row.course_title,
            starts_at: row.starts_at,
            ends_at: row.ends_at,
            place: row.place,
            online: row.online,
            capacity: row.capacity,
            booked: row.booked,
        },
    ))
}

#[derive(Deserialize, Default, Clone, Debug)]
pub(crate) struct LinkForms {
    /// Chosen when the page is shown, so an evaluation sent twice is recorded once.
    #[serde(default)]
    key: String,
    #[serde(default)]
    participant_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    organisation: String,
    #[serde(default)]
    agency: String,
    #[serde(default)]
    rating: String,
    #[serde(default)]
    confidence_before: String,
    #[serde(default)]
    confidence_after: String,
    #[serde(default)]
    comments: String,
    #[serde(default)]
    evaluation_organisation: String,
    #[serde(default)]
    respondent: String,
    #[serde(default)]
    impact: String,
    #[serde(default)]
    difference: String,
    #[serde(default)]
    follow_up_organisation: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "training/link.html")]
struct LinkPage {
    layout: Layout,
    token: String,
    partnership_name: String,
    course_title: String,
    when: String,
    place: String,
    online: bool,
    attendance_open: bool,
    evaluation_open: bool,
    follow_up_open: bool,
    organisations: Vec<(String, String)>,
    ratings: Vec<(String, String)>,
    forms: LinkForms,
    errors: FormErrors,
    thanks: &'static str,
}

pub(crate) async fn link_page(
    State(state): State<AppState>,
    session: Session,
    visitor: VisitorToken,
    Path(token): Path<String>,
    Query(query): Query<SentQuery>,
) -> Result<Response> {
    let (tx, linked) = open(&state, &token).await?;
    let thanks = match query.sent.as_str() {
        "attendance" => "Thank you: your attendance is recorded",
        "evaluation" => "Thank you: your evaluation is recorded",
        "follow-up" => "Thank you: your follow-up is recorded",
        _ => "",
    };
    render(tx, &session, &visitor, token, linked, LinkForms::default(), FormErrors::default(), thanks).await
}

#[allow(clippy::too_many_arguments)]
async fn render(
    mut tx: Tx,
    session: &Session,
    visitor: &VisitorToken,
    token: String,
    linked: Linked,
    mut forms: LinkForms,
    errors: FormErrors,
    thanks: &'static str,
) -> Result<Response> {
    if Uuid::parse_str(&forms.key).is_err() {
        forms.key = Uuid::new_v4().to_string();
    }
    let organisations = super::agencies(&mut tx, linked.partnership_id).await?;
    tx.commit().await?;
    let now = Utc::now();
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = LinkPage {
        layout: Layout::anonymous(session, visitor).await?,
        token,
        when: linked.when(),
        attendance_open: linked.attendance_open(now),
        evaluation_open: linked.evaluation_open(now),
        follow_up_open: linked.follow_up_open(now),
        partnership_name: linked.partnership_name,
        course_title: linked.course_title,
        place: linked.place,
        online: linked.online,
        organisations,
        ratings: RATINGS.iter().enumerate().map(|(i, label)| ((i + 1).to_string(), format!("{} – {label}", i + 1))).collect(),
        forms,
        errors,
        thanks,
    };
    Ok((status, page).into_response())
}

/// Back to the link's page, saying what was sent. In the address rather than a flash message: a flash would start a
/// session, and nothing is stored for a visitor.
fn sent(token: &str, what: &str) -> Response {
    axum::response::Redirect::to(&format!("/training/{token}?sent={what}")).into_response()
}

#[derive(Deserialize, Default)]
pub(crate) struct SentQuery {
    #[serde(default)]
    sent: String,
}

const RATINGS: [&str; 5] = ["Poor", "Fair", "Good", "Very good", "Excellent"];

fn rating(text: &str) -> Option<i16> {
    text.parse::<i16>().ok().filter(|n| (1..=5).contains(n))
}

/// One of the partnership's agencies by id, or none.
async fn agency(tx: &mut Tx, partnership_id: Uuid, text: &str) -> sqlx::Result<Option<Uuid>> {
    let Ok(id) = Uuid::parse_str(text) else { return Ok(None) };
    sqlx::query_scalar!("select id from organisation where partnership_id = $1 and id = $2", partnership_id, id)
        .fetch_optional(&mut **tx)
        .await
}

fn anonymous<'a>(action: &'a str, linked: &Linked, address: &'a str) -> Change<'a> {
    Change::new(action, "training").in_partnership(linked.partnership_id).by(None).subject(linked.session_id).from_address(address)
}

/// Sign in as attending: a booked participant is marked present; someone not booked is added as they sign, while
/// places remain.
pub(crate) async fn attend(
    State(state): State<AppState>,
    session: Session,
    visitor: VisitorToken,
    Path(token): Path<String>,
    ClientAddress(address): ClientAddress,
    Submitted(forms): Submitted<LinkForms>,
) -> Result<Response> {
    let (mut tx, linked) = open(&state, &token).await?;
    if !linked.attendance_open(Utc::now()) {
        return Err(AppError::NotFound);
    }
    let mut errors = FormErrors::default();
    let booking = super::session::parse_booking(
        &mut tx,
        linked.partnership_id,
        &forms.participant_name,
        &forms.email,
        &forms.organisation,
        &forms.agency,
        &mut errors,
        "",
    )
    .await?;
    let Some(booking) = booking else {
        return render(tx, &session, &visitor, token, linked, forms, errors, "").await;
    };
    // Marking a booked place present, or booking one as present, in one statement each: a second press changes nothing.
    let marked = sqlx::query!(
        "update training_booking set attended = true, attendance_recorded_at = now()
         where partnership_id = $1 and session_id = $2 and email = $3 and attended is not true",
        linked.partnership_id,
        linked.session_id,
        booking.email
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    let already = sqlx::query_scalar!(
        r#"select exists (select 1 from training_booking where partnership_id = $1 and session_id = $2 and email = $3) as "e!""#,
        linked.partnership_id,
        linked.session_id,
        booking.email
    )
    .fetch_one(&mut *tx)
    .await?;
    let added = if already {
        false
    } else if linked.booked >= i64::from(linked.capacity) {
        errors.add("participant_name", "The session is full and you are not booked on it: ask the training team");
        return render(tx, &session, &visitor, token, linked, forms, errors, "").await;
    } else {
        booking.insert(&mut tx, linked.partnership_id, linked.session_id, Some(true)).await?
    };
    if marked + u64::from(added) > 0 {
        anonymous("training.attended", &linked, &address)
            .after(json!({ "title": linked.course_title, "participant": booking.name, "agency": booking.agency_name, "booked": !added }))
            .record(&mut tx)
            .await?;
    }
    tx.commit().await?;
    Ok(sent(&token, "attendance"))
}

/// Evaluate the session straight after it: the session overall, confidence in the subject before and after, and
/// any comments. Anonymous: nothing ties it to a booking.
pub(crate) async fn evaluate(
    State(state): State<AppState>,
    session: Session,
    visitor: VisitorToken,
    Path(token): Path<String>,
    ClientAddress(address): ClientAddress,
    Submitted(forms): Submitted<LinkForms>,
) -> Result<Response> {
    let (mut tx, linked) = open(&state, &token).await?;
    if !linked.evaluation_open(Utc::now()) {
        return Err(AppError::NotFound);
    }
    let mut errors = FormErrors::default();
    let overall = rating(&forms.rating);
    if overall.is_none() {
        errors.add("rating", "Choose how you rate the session, from 1 (poor) to 5 (excellent)");
    }
    let before = rating(&forms.confidence_before);
    if before.is_none() {
        errors.add("confidence_before", "Choose how confident you were before the session, from 1 to 5");
    }
    let after = rating(&forms.confidence_after);
    if after.is_none() {
        errors.add("confidence_after", "Choose how confident you are now, from 1 to 5");
    }
    let comments = errors.check("comments", optional_text(&forms.comments, "comments", 4000));
    let organisation = agency(&mut tx, linked.partnership_id, &forms.evaluation_organisation).await?;
    let (Some(overall), Some(before), Some(after), Some(comments)) = (overall, before, after, comments) else {
        return render(tx, &session, &visitor, token, linked, forms, errors, "").await;
    };
    let given = Given {
        stage: Stage::Immediate,
        respondent: Respondent::Participant,
        organisation,
        rating: overall,
        confidence: Some((before, after)),
    };
    if save(&mut tx, &linked, &forms.key, &given, &comments).await? {
        anonymous("training.evaluated", &linked, &address)
            .after(json!({ "title": linked.course_title, "stage": "immediate", "rating": overall, "confidence_before": before,
                           "confidence_after": after }))
            .record(&mut tx)
            .await?;
    }
    tx.commit().await?;
    Ok(sent(&token, "evaluation"))
}

/// Follow up on the difference the session made to practice, as the participant or their manager.
pub(crate) async fn follow_up(
    State(state): State<AppState>,
    session: Session,
    visitor: VisitorToken,
    Path(token): Path<String>,
    ClientAddress(address): ClientAddress,
    Submitted(forms): Submitted<LinkForms>,
) -> Result<Response> {
    let (mut tx, linked) = open(&state, &token).await?;
    if !linked.follow_up_open(Utc::now()) {
        return Err(AppError::NotFound);
    }
    let mut errors = FormErrors::default();
    let respondent = match forms.respondent.as_str() {
        "participant" => Some(Respondent::Participant),
        "manager" => Some(Respondent::Manager),
        _ => {
            errors.add("respondent", "Say whether you took part or manage someone who did");
            None
        }
    };
    let impact = rating(&forms.impact);
    if impact.is_none() {
        errors.add("impact", "Choose how much difference it has made to practice, from 1 to 5");
    }
    let difference = errors.check("difference", optional_text(&forms.difference, "what has changed", 4000));
    let organisation = agency(&mut tx, linked.partnership_id, &forms.follow_up_organisation).await?;
    let (Some(respondent), Some(impact), Some(difference)) = (respondent, impact, difference) else {
        return render(tx, &session, &visitor, token, linked, forms, errors, "").await;
    };
    let given = Given { stage: Stage::FollowUp, respondent, organisation, rating: impact, confidence: None };
    if save(&mut tx, &linked, &forms.key, &given, &difference).await? {
        anonymous("training.followed_up", &linked, &address)
            .after(json!({ "title": linked.course_title, "stage": "follow_up", "respondent": respondent.label(), "rating": impact }))
            .record(&mut tx)
            .await?;
    }
    tx.commit().await?;
    Ok(sent(&token, "follow-up"))
}

/// What an evaluation gives: when, by whom, from which agency, its rating and (straight after) the confidence
/// before and after.
struct Given {
    stage: Stage,
    respondent: Respondent,
    organisation: Option<Uuid>,
    rating: i16,
    confidence: Option<(i16, i16)>,
}

/// Record an evaluation under the form's key; false when that key was recorded already (the form sent twice).
async fn save(tx: &mut Tx, linked: &Linked, key: &str, given: &Given, comments: &str) -> sqlx::Result<bool> {
    let id = Uuid::parse_str(key).unwrap_or_else(|_| Uuid::new_v4());
    let added = sqlx::query!(
        "insert into training_evaluation (partnership_id, id, session_id, stage, respondent, organisation_id, rating, confidence_before,
                                          confidence_after, comments)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) on conflict do nothing",
        linked.partnership_id,
        id,
        linked.session_id,
        given.stage as Stage,
        given.respondent as Respondent,
        given.organisation,
        given.rating,
        given.confidence.map(|c| c.0),
        given.confidence.map(|c| c.1),
        comments
    )
    .execute(&mut **tx)
    .await?;
    Ok(added.rows_affected() == 1)
}
