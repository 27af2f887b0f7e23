//! Information requests: what the review group asks of each agency involved
//! in a case, by a due date. A named person at the agency answers in the
//! product (their summary of the agency's involvement, and its chronology as
//! papers); asking them adds them to the review by name, so they read its
//! case. Requests and answers are case information: row-level security keeps
//! them to those who may read the case (anyone else is answered 404), and
//! every reading of a request is in the audit log like a reading of the case.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use sqlx::types::Json;
use tower_sessions::Session;
use uuid::Uuid;

use super::review::{Loaded, load};
use super::runs;
use super::workspace::{AskForm, InformationRequest};
use crate::calendar::{long_date, today};
use crate::db::Tx;
use crate::error::{AppError, Result};
use crate::papers::{Added, Holder, Paper};
use crate::tenant::{Member, change};
use crate::web::{AppState, ClientAddress, DateParts, FormErrors, Layout, Submitted, optional_text, record_id, redirect_with as done};

#[derive(Template, WebTemplate)]
#[template(path = "reviews/ask.html")]
struct AskPage {
    layout: Layout,
    member: Member,
    review: Loaded,
    askable: Vec<(String, String)>,
    form: AskForm,
    errors: FormErrors,
}

/// The request form, with the people at the agencies who may be asked; for those who run the review and read its case.
async fn render_ask(
    state: &AppState,
    session: &Session,
    member: Member,
    review_id: &str,
    form: AskForm,
    errors: FormErrors,
) -> Result<Response> {
    let mut tx = member.begin(state).await?;
    let review = load(&mut tx, &member, review_id).await?;
    if !review.reads_case {
        return Err(AppError::NotFound);
    }
    if !runs(&member, review.group_id) {
        return Err(AppError::Forbidden);
    }
    let askable = super::workspace::askable(&mut tx, member.partnership.id).await?;
    tx.commit().await?;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok((status, AskPage { layout: member.layout(session, "reviews").await?, member, review, askable, form, errors }).into_response())
}

pub(crate) async fn ask_page(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Path((_, review_id)): Path<(String, String)>,
) -> Result<Response> {
    render_ask(&state, &session, member, &review_id, AskForm::fresh(), FormErrors::default()).await
}

/// Ask an agency, through a named person there, for its involvement with the case.
pub(crate) async fn ask(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, review_id)): Path<(String, String)>,
    Submitted(form): Submitted<AskForm>,
) -> Result<Response> {
    let mut tx = member.begin(&state).await?;
    let review = load(&mut tx, &member, &review_id).await?;
    if !review.reads_case {
        return Err(AppError::NotFound);
    }
    if !runs(&member, review.group_id) {
        return Err(AppError::Forbidden);
    }
    let pid = member.partnership.id;
    let mut errors = FormErrors::default();
    let person = Uuid::parse_str(&form.membership_id).ok();
    let asked = match person {
        Some(id) => {
            sqlx::query!(
                "select m.organisation_id as \"organisation_id!\", m.known_as, u.email, u.display_name, o.name as organisation_name
                 from membership m join app_user u on u.id = m.user_id
                 join organisation o on o.partnership_id = m.partnership_id and o.id = m.organisation_id
                 where m.partnership_id = $1 and m.id = $2 and m.is_current",
                pid,
                id
            )
            .fetch_optional(&mut *tx)
            .await?
        }
        None => None,
    };
    if asked.is_none() {
        errors.add("membership_id", "Choose the person at the agency who will answer");
    }
    let due = DateParts { day: form.due_day.clone(), month: form.due_month.clone(), year: form.due_year.clone() };
    let due = errors.check("due_day", due.parse("Date the answer is due", true)).flatten();
    if due.is_some_and(|d| d < today()) {
        errors.add("due_day", "The date the answer is due must be today or in the future");
    }
    let (Some(asked), Some(person), Some(due), true) = (asked, person, due, errors.is_empty()) else {
        member.resume(tx);
        return render_ask(&state, &session, member, &review_id, form, errors).await;
    };
    let id = Uuid::new_v4();
    let inserted = sqlx::query!(
        "insert into review_request (partnership_id, id, review_id, organisation_id, membership_id, due_on, asked_by)
         values ($1, $2, $3, $4, $5, $6, $7) on conflict (partnership_id, review_id, organisation_id) do nothing",
        pid,
        id,
        review.id,
        asked.organisation_id,
        person,
        due,
        member.user.id
    )
    .execute(&mut *tx)
    .await?;
    let to = format!("/p/{}/reviews/{}", member.partnership.slug, review.id);
    if inserted.rows_affected() == 0 {
        return done(&session, format!("{} has already been asked about {}", asked.organisation_name, review.pseudonym), to).await;
    }
    // The person who answers reads the case: they are added to the review by name.
    sqlx::query!(
        "insert into review_member (partnership_id, review_id, membership_id, added_by) values ($1, $2, $3, $4) on conflict do nothing",
        pid,
        review.id,
        person,
        member.user.id
    )
    .execute(&mut *tx)
    .await?;
    change(&member, "review_request.asked", "review_request", id, &address)
        .after(json!({ "review_id": review.id, "organisation": asked.organisation_name, "membership_id": person, "due_on": due }))
        .record(&mut tx)
        .await?;
    // The mail names the review by its pseudonym alone.
    let link = format!("{}/p/{}/reviews/{}/requests/{}", state.config.public_url, member.partnership.slug, review.id, id);
    let body = format!(
        "The {} asks for {}'s involvement with {} (review R{}) by {}: a summary of your agency's involvement and its chronology.\n\n\
         Answer in Partnership Hub: {link}\n\nUse the pseudonym {} in anything you send outside the product.\n",
        review.group_name,
        asked.organisation_name,
        review.pseudonym,
        review.number,
        long_date(due),
        review.pseudonym
    );
    crate::outbox::enqueue(
        &mut tx,
        Some(pid),
        &asked.email,
        &asked.display_name,
        &format!("Information request: {} (R{})", review.pseudonym, review.number),
        &body,
        &format!("review-request:{id}"),
    )
    .await?;
    tx.commit().await?;
    done(&session, format!("{} asked about {} by {}", asked.organisation_name, review.pseudonym, long_date(due)), to).await
}

#[derive(Template, WebTemplate)]
#[template(path = "reviews/request.html")]
struct RequestPage {
    layout: Layout,
    member: Member,
    review: Loaded,
    request: InformationRequest,
    papers: Vec<Paper>,
    may_answer: bool,
    summary: String,
    errors: FormErrors,
}

/// One request of one review with the papers sent with its answer, in one statement; not found for
/// another review's, or for those who may not read the case.
async fn find(tx: &mut Tx, member: &Member, review: &Loaded, request_id: &str) -> Result<(InformationRequest, Vec<Paper>)> {
    let r = sqlx::query!(
        r#"select q.id, o.name as organisation_name, m.known_as as person, q.membership_id, q.due_on, q.answered_at, q.summary,
                  coalesce((select json_agg(x order by x.uploaded_at)
                            from (select p.id, p.title, p.filename, p.content_type, p.size_bytes, p.uploaded_at from paper p
                                  where p.partnership_id = q.partnership_id and p.review_request_id = q.id) x), '[]') as "papers!: Json<Vec<Paper>>"
           from review_request q
           join organisation o on o.partnership_id = q.partnership_id and o.id = q.organisation_id
           join membership m on m.partnership_id = q.partnership_id and m.id = q.membership_id
           where q.partnership_id = $1 and q.review_id = $2 and q.id = $3"#,
        member.partnership.id,
        review.id,
        record_id(request_id)?
    )
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(AppError::NotFound)?;
    let request = InformationRequest {
        id: r.id,
        organisation_name: r.organisation_name,
        person: r.person,
        membership_id: r.membership_id,
        due_on: r.due_on,
        answered_at: r.answered_at,
        summary: r.summary,
    };
    Ok((request, r.papers.0))
}

/// Whether this person may answer: the person asked, or those who run the review (for an agency that sent its answer otherwise).
fn may_answer(member: &Member, review: &Loaded, request: &InformationRequest) -> bool {
    request.membership_id == member.membership_id || runs(member, review.group_id)
}

#[allow(clippy::too_many_arguments)]
async fn render(
    state: &AppState,
    session: &Session,
    member: Member,
    address: &str,
    review_id: &str,
    request_id: &str,
    typed: Option<String>,
    errors: FormErrors,
) -> Result<Response> {
    let mut tx = member.begin(state).await?;
    let review = load(&mut tx, &member, review_id).await?;
    let (request, papers) = find(&mut tx, &member, &review, request_id).await?;
    // An agency's account of the case is the case: its reading is recorded with the case's.
    change(&member, "review_case.read", "review_case", review.id, address)
        .after(json!({ "request_id": request.id, "organisation": request.organisation_name }))
        .record(&mut tx)
        .await?;
    tx.commit().await?;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = RequestPage {
        layout: member.layout(session, "reviews").await?,
        may_answer: may_answer(&member, &review, &request),
        summary: typed.unwrap_or_else(|| request.summary.clone()),
        member,
        review,
        request,
        papers,
        errors,
    };
    Ok((status, page).into_response())
}

pub(crate) async fn request_page(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, review_id, request_id)): Path<(String, String, String)>,
) -> Result<Response> {
    render(&state, &session, member, &address, &review_id, &request_id, None, FormErrors::default()).await
}

#[derive(Deserialize, Default)]
pub(crate) struct AnswerForm {
    #[serde(default)]
    summary: String,
}

/// The agency's summary of its involvement: saved as often as needed, answered the first time.
pub(crate) async fn answer(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, review_id, request_id)): Path<(String, String, String)>,
    Submitted(form): Submitted<AnswerForm>,
) -> Result<Response> {
    let mut tx = member.begin(&state).await?;
    let review = load(&mut tx, &member, &review_id).await?;
    let (request, _) = find(&mut tx, &member, &review, &request_id).await?;
    if !may_answer(&member, &review, &request) {
        return Err(AppError::Forbidden);
    }
    let mut errors = FormErrors::default();
    let summary = errors.check("summary", optional_text(&form.summary, "summary", 20000)).unwrap_or_default();
    if errors.is_empty() && summary.is_empty() {
        errors.add("summary", "Enter the summary of your agency's involvement");
    }
    if !errors.is_empty() {
        member.resume(tx);
        return render(&state, &session, member, &address, &review_id, &request_id, Some(form.summary), errors).await;
    }
    sqlx::query!(
        "update review_request set summary = $3, answered_at = coalesce(answered_at, now()), answered_by = coalesce(answered_by, $4)
         where partnership_id = $1 and id = $2",
        member.partnership.id,
        request.id,
        summary,
        member.user.id
    )
    .execute(&mut *tx)
    .await?;
    change(&member, "review_request.answered", "review_request", request.id, &address)
        .before(json!({ "summary": request.summary }))
        .after(json!({ "summary": summary }))
        .record(&mut tx)
        .await?;
    tx.commit().await?;
    done(
        &session,
        format!("{}'s summary saved", request.organisation_name),
        format!("/p/{}/reviews/{}/requests/{}", member.partnership.slug, review.id, request.id),
    )
    .await
}

/// The agency's chronology (or any paper it sends with its answer).
pub(crate) async fn upload_chronology(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, review_id, request_id)): Path<(String, String, String)>,
    body: Request,
) -> Result<Response> {
    let mut tx = member.begin(&state).await?;
    let review = load(&mut tx, &member, &review_id).await?;
    let (request, _) = find(&mut tx, &member, &review, &request_id).await?;
    if !may_answer(&member, &review, &request) {
        return Err(AppError::Forbidden);
    }
    // No transaction stays open while a large file arrives.
    drop(tx);
    let mut errors = FormErrors::default();
    let Some(upload) = crate::web::upload::read_document(body, "paper_title", "paper_file", &mut errors).await? else {
        return render(&state, &session, member, &address, &review_id, &request_id, None, errors).await;
    };
    let title = upload.title.clone();
    let mut tx = member.begin(&state).await?;
    let added = crate::papers::add(&mut tx, &state.files, &member, &address, Holder::ReviewRequest(request.id), upload).await?;
    tx.commit().await?;
    let message = match added {
        Added::Added(_) => format!("{title} added to {}'s answer", request.organisation_name),
        Added::AlreadyThere => "That file is already with the answer".to_owned(),
    };
    done(&session, message, format!("/p/{}/reviews/{}/requests/{}", member.partnership.slug, review.id, request.id)).await
}

/// Download a paper sent with an agency's answer: for those who may read the case.
pub(crate) async fn download(
    State(state): State<AppState>,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, review_id, request_id, paper_id)): Path<(String, String, String, String)>,
) -> Result<Response> {
    let mut tx = member.begin(&state).await?;
    let review = load(&mut tx, &member, &review_id).await?;
    let (request, _) = find(&mut tx, &member, &review, &request_id).await?;
    let paper = crate::papers::find(&mut tx, member.partnership.id, Holder::ReviewRequest(request.id), &paper_id).await?;
    change(&member, "review_case.read", "review_case", review.id, &address)
        .after(json!({ "request_id": request.id, "paper": paper.filename }))
        .record(&mut tx)
        .await?;
    tx.commit().await?;
    crate::papers::download(&state.files, paper).await
}
