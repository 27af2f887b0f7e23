//! A review's case: the people it concerns (names, dates of birth,
//! addresses; up to four children for one notification), what happened, the
//! agencies involved, the immediate action, the learning and any issues of
//! race or inequality; and the people added to the review by name. Only
//! those entitled read it (row-level security: anyone else is answered 404,
//! as if there were no such review), and every read is in the audit log.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::json;
use sqlx::types::Json;
use std::collections::HashMap;
use tower_sessions::Session;
use uuid::Uuid;

use super::review::{Loaded, load};
use super::runs;
use crate::error::{AppError, Result};
use crate::tenant::{Member, change};
use crate::web::{AppState, ClientAddress, DateParts, FormErrors, Layout, Submitted, optional_line, optional_text, redirect_with as done};

/// Up to four children for one notification.
pub const MOST_SUBJECTS: usize = 4;

/// Each person's fields that can carry an error: name, date of birth, address.
const SUBJECT_FIELDS: [[&str; 3]; MOST_SUBJECTS] = [
    ["subject1_full_name", "subject1_birth_day", "subject1_address"],
    ["subject2_full_name", "subject2_birth_day", "subject2_address"],
    ["subject3_full_name", "subject3_birth_day", "subject3_address"],
    ["subject4_full_name", "subject4_birth_day", "subject4_address"],
];

#[derive(Clone, Debug, Default, Deserialize)]
pub struct Subject {
    pub position: i32,
    pub full_name: String,
    pub date_of_birth: Option<NaiveDate>,
    pub address: String,
    pub looked_after: bool,
    pub died: bool,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct Case {
    pub circumstances: String,
    pub agencies_involved: String,
    pub immediate_action: String,
    pub learning: String,
    pub race_and_inequality: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "reviews/case.html")]
struct CasePage {
    layout: Layout,
    member: Member,
    review: Loaded,
    case: Case,
    /// Always four, the empty ones to fill.
    subjects: Vec<SubjectFields>,
    added: Vec<String>,
    answers: Vec<AgencyAnswer>,
    people: Vec<(String, String)>,
    can_run: bool,
    errors: FormErrors,
}

/// A subject's fields as typed.
#[derive(Clone, Debug, Default)]
pub struct SubjectFields {
    pub position: usize,
    pub full_name: String,
    pub birth: DateParts,
    pub address: String,
    pub looked_after: bool,
    pub died: bool,
}

/// An agency's answer, as the case and the rapid review report show it.
#[derive(Clone, Debug, Deserialize)]
pub struct AgencyAnswer {
    pub organisation_name: String,
    pub summary: String,
}

struct Read {
    case: Case,
    subjects: Vec<Subject>,
    added: Vec<String>,
    /// What each agency asked has said, by agency.
    answers: Vec<AgencyAnswer>,
    /// The partnership's people, to add by name (read for those who run the review).
    people: Vec<(String, String)>,
}

/// The case, its subjects, the people added and (for those who run it) the people who may be, in one
/// statement; not found for those not entitled.
async fn read_case(tx: &mut crate::db::Tx, member: &Member, review: &Loaded) -> Result<Read> {
    let with_people = runs(member, review.group_id);
    let row = sqlx::query!(
        r#"select (select app_sees_all()) or app_sees_review_case($1, $2) as "entitled!",
                  (select json_build_object('circumstances', c.circumstances, 'agencies_involved', c.agencies_involved,
                                            'immediate_action', c.immediate_action, 'learning', c.learning,
                                            'race_and_inequality', c.race_and_inequality)
                   from review_case c where c.partnership_id = $1 and c.review_id = $2) as "case: Json<Case>",
                  coalesce((select json_agg(x order by x.position)
                            from (select s.position, s.full_name, s.date_of_birth, s.address, s.looked_after, s.died
                                  from review_subject s where s.partnership_id = $1 and s.review_id = $2) x), '[]') as "subjects!: Json<Vec<Subject>>",
                  coalesce((select array_agg(m.known_as order by m.known_as) from review_member r
                            join membership m on m.partnership_id = r.partnership_id and m.id = r.membership_id
                            where r.partnership_id = $1 and r.review_id = $2), '{}') as "added!",
                  coalesce((select json_agg(x order by x.organisation_name)
                            from (select o.name as organisation_name, q.summary from review_request q
                                  join organisation o on o.partnership_id = q.partnership_id and o.id = q.organisation_id
                                  where q.partnership_id = $1 and q.review_id = $2 and q.summary <> '') x), '[]') as "answers!: Json<Vec<AgencyAnswer>>",
                  people.ids as "people_ids?", people.names as "people_names?"
           from (select 1) one
           left join lateral (select array_agg(m.id order by m.known_as, m.id) as ids, array_agg(m.known_as order by m.known_as, m.id) as names
                              from membership m where (select $3::boolean) and m.partnership_id = $1 and m.is_current) people on true"#,
        member.partnership.id,
        review.id,
        with_people
    )
    .fetch_one(&mut **tx)
    .await?;
    if !row.entitled {
        return Err(AppError::NotFound);
    }
    let people = row.people_ids.unwrap_or_default().iter().map(Uuid::to_string).zip(row.people_names.unwrap_or_default()).collect();
    Ok(Read { case: row.case.map(|c| c.0).unwrap_or_default(), subjects: row.subjects.0, added: row.added, answers: row.answers.0, people })
}

fn fields_of(subjects: &[Subject]) -> Vec<SubjectFields> {
    (1..=MOST_SUBJECTS)
        .map(|position| match subjects.iter().find(|s| s.position as usize == position) {
            Some(s) => SubjectFields {
                position,
                full_name: s.full_name.clone(),
                birth: DateParts::from_date(s.date_of_birth),
                address: s.address.clone(),
                looked_after: s.looked_after,
                died: s.died,
            },
            None => SubjectFields { position, ..SubjectFields::default() },
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
async fn render(
    state: &AppState,
    session: &Session,
    member: Member,
    address: &str,
    review_id: &str,
    typed: Option<(Case, Vec<SubjectFields>)>,
    errors: FormErrors,
) -> Result<Response> {
    let mut tx = member.begin(state).await?;
    let review = load(&mut tx, &member, review_id).await?;
    let read = read_case(&mut tx, &member, &review).await?;
    let can_run = runs(&member, review.group_id);
    // Who opened the case, and when: every read is kept, not only changes.
    change(&member, "review_case.read", "review_case", review.id, address).record(&mut tx).await?;
    tx.commit().await?;
    let (case, subjects) = typed.unwrap_or_else(|| (read.case, fields_of(&read.subjects)));
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = CasePage {
        layout: member.layout(session, "reviews").await?,
        member,
        review,
        case,
        subjects,
        added: read.added,
        answers: read.answers,
        people: read.people,
        can_run,
        errors,
    };
    Ok((status, page).into_response())
}

pub(crate) async fn case_page(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, review_id)): Path<(String, String)>,
) -> Result<Response> {
    render(&state, &session, member, &address, &review_id, None, FormErrors::default()).await
}

/// Save the case and its subjects: every field on the page in one form, so nothing typed is lost.
pub(crate) async fn save_case(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, review_id)): Path<(String, String)>,
    Submitted(fields): Submitted<HashMap<String, String>>,
) -> Result<Response> {
    let mut tx = member.begin(&state).await?;
    let review = load(&mut tx, &member, &review_id).await?;
    let before = read_case(&mut tx, &member, &review).await?;
    if !runs(&member, review.group_id) {
        return Err(AppError::Forbidden);
    }
    let field = |name: &str| fields.get(name).cloned().unwrap_or_default();
    let mut errors = FormErrors::default();
    let mut text =
        |name: &'static str, what: &str, max: usize| errors.check(name, optional_text(&field(name), what, max)).unwrap_or_default();
    let case = Case {
        circumstances: text("circumstances", "circumstances", 20000),
        agencies_involved: text("agencies_involved", "agencies involved", 4000),
        immediate_action: text("immediate_action", "immediate action", 8000),
        learning: text("learning", "learning", 8000),
        race_and_inequality: text("race_and_inequality", "issues of race and inequality", 8000),
    };
    let mut subjects = Vec::new();
    let mut typed = Vec::new();
    for (index, [name_field, birth_field, address_field]) in SUBJECT_FIELDS.into_iter().enumerate() {
        let position = index + 1;
        let name = format!("subject{position}");
        let full_name = errors.check(name_field, optional_line(&field(name_field), "name", 200)).unwrap_or_default();
        let birth = DateParts {
            day: field(&format!("{name}_birth_day")),
            month: field(&format!("{name}_birth_month")),
            year: field(&format!("{name}_birth_year")),
        };
        let born = errors.check(birth_field, birth.parse("Date of birth", false)).flatten();
        let address_text = errors.check(address_field, optional_text(&field(address_field), "address", 500)).unwrap_or_default();
        let (looked_after, died) = (field(&format!("{name}_looked_after")) == "yes", field(&format!("{name}_died")) == "yes");
        if full_name.is_empty() && (born.is_some() || !address_text.is_empty()) {
            errors.add(name_field, format!("Enter the name of person {position}, or clear their details"));
        }
        typed.push(SubjectFields { position, full_name: full_name.clone(), birth, address: address_text.clone(), looked_after, died });
        if !full_name.is_empty() {
            subjects.push(Subject { position: position as i32, full_name, date_of_birth: born, address: address_text, looked_after, died });
        }
    }
    if !errors.is_empty() {
        member.resume(tx);
        return render(&state, &session, member, &address, &review_id, Some((case, typed)), errors).await;
    }
    let pid = member.partnership.id;
    sqlx::query!(
        "insert into review_case (partnership_id, review_id, circumstances, agencies_involved, immediate_action, learning, race_and_inequality)
         values ($1, $2, $3, $4, $5, $6, $7)
         on conflict (partnership_id, review_id) do update set circumstances = $3, agencies_involved = $4, immediate_action = $5,
             learning = $6, race_and_inequality = $7, updated_at = now()",
        pid,
        review.id,
        case.circumstances,
        case.agencies_involved,
        case.immediate_action,
        case.learning,
        case.race_and_inequality
    )
    .execute(&mut *tx)
    .await?;
    for position in 1..=MOST_SUBJECTS as i32 {
        match subjects.iter().find(|s| s.position == position) {
            Some(s) => {
                sqlx::query!(
                    "insert into review_subject (partnership_id, id, review_id, position, full_name, date_of_birth, address, looked_after, died)
                     values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                     on conflict (partnership_id, review_id, position) do update
                         set full_name = $5, date_of_birth = $6, address = $7, looked_after = $8, died = $9",
                    pid,
                    Uuid::new_v4(),
                    review.id,
                    position,
                    s.full_name,
                    s.date_of_birth,
                    s.address,
                    s.looked_after,
                    s.died
                )
                .execute(&mut *tx)
                .await?;
            }
            // A person's details cleared: nothing of them is kept (the log records that the count changed).
            None => {
                sqlx::query!(
                    "delete from review_subject where partnership_id = $1 and review_id = $2 and position = $3",
                    pid,
                    review.id,
                    position
                )
                .execute(&mut *tx)
                .await?;
            }
        }
    }
    change(&member, "review_case.updated", "review_case", review.id, &address)
        .before(json!({ "circumstances": before.case.circumstances, "agencies_involved": before.case.agencies_involved,
                        "immediate_action": before.case.immediate_action, "learning": before.case.learning,
                        "race_and_inequality": before.case.race_and_inequality, "people": before.subjects.len() }))
        .after(json!({ "circumstances": case.circumstances, "agencies_involved": case.agencies_involved, "immediate_action": case.immediate_action,
                       "learning": case.learning, "race_and_inequality": case.race_and_inequality, "people": subjects.len() }))
        .record(&mut tx)
        .await?;
    tx.commit().await?;
    done(&session, format!("{}: the case saved", review.pseudonym), format!("/p/{}/reviews/{}/case", member.partnership.slug, review.id))
        .await
}

#[derive(Deserialize, Default)]
pub(crate) struct AddPersonForm {
    #[serde(default)]
    membership_id: String,
}

/// Add a person to the review by name, so they read its case.
pub(crate) async fn add_person(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, review_id)): Path<(String, String)>,
    Submitted(form): Submitted<AddPersonForm>,
) -> Result<Response> {
    let mut tx = member.begin(&state).await?;
    let review = load(&mut tx, &member, &review_id).await?;
    read_case(&mut tx, &member, &review).await?;
    if !runs(&member, review.group_id) {
        return Err(AppError::Forbidden);
    }
    let to = format!("/p/{}/reviews/{}/case", member.partnership.slug, review.id);
    let Ok(person) = Uuid::parse_str(&form.membership_id) else {
        return done(&session, "Choose a person to add".into(), to).await;
    };
    let added = sqlx::query!(
        "insert into review_member (partnership_id, review_id, membership_id, added_by)
         select $1, $2, m.id, $4 from membership m where m.partnership_id = $1 and m.id = $3 and m.is_current
         on conflict do nothing",
        member.partnership.id,
        review.id,
        person,
        member.user.id
    )
    .execute(&mut *tx)
    .await?;
    if added.rows_affected() == 1 {
        change(&member, "review.person_added", "review", review.id, &address)
            .after(json!({ "membership_id": person }))
            .record(&mut tx)
            .await?;
    }
    tx.commit().await?;
    done(&session, format!("{}: person added to the review", review.pseudonym), to).await
}

/// Remove the personal details of a closed review once the partnership's
/// retention period has passed: the people it concerned and the case's words
/// go, the agencies' answers with them; the pseudonymised record (its
/// stages, clocks, decision, publication and actions) stays.
pub(crate) async fn remove_details(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, review_id)): Path<(String, String)>,
) -> Result<Response> {
    let mut tx = member.begin(&state).await?;
    let review = load(&mut tx, &member, &review_id).await?;
    if !review.reads_case {
        return Err(AppError::NotFound);
    }
    if !member.roles.allows(crate::roles::Capability::ManageReviews) {
        return Err(AppError::Forbidden);
    }
    let to = format!("/p/{}/reviews/{}", member.partnership.slug, review.id);
    if review.personal_details_removed_on.is_some() {
        return done(&session, format!("{}: the personal details were already removed", review.pseudonym), to).await;
    }
    let from = match review.details_removable_from() {
        Some(from) if from <= crate::calendar::today() => from,
        Some(from) => {
            let why = format!("{}: the personal details are kept until {}", review.pseudonym, crate::calendar::long_date(from));
            return done(&session, why, to).await;
        }
        None => {
            let why = format!("{}: set the retention period in the review settings, and close the review, first", review.pseudonym);
            return done(&session, why, to).await;
        }
    };
    let pid = member.partnership.id;
    let subjects = sqlx::query!("delete from review_subject where partnership_id = $1 and review_id = $2", pid, review.id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    sqlx::query!(
        "update review_case set circumstances = '', agencies_involved = '', immediate_action = '', learning = '', race_and_inequality = '',
                updated_at = now()
         where partnership_id = $1 and review_id = $2",
        pid,
        review.id
    )
    .execute(&mut *tx)
    .await?;
    let requests = sqlx::query_scalar!(
        "update review_request set summary = '' where partnership_id = $1 and review_id = $2 returning id",
        pid,
        review.id
    )
    .fetch_all(&mut *tx)
    .await?;
    let files = crate::papers::remove_chronologies(&mut tx, &member, &address, &requests).await?;
    sqlx::query!(
        "update review set personal_details_removed_on = $3, panel_reply = '', recommendation_reason = '', sar_condition_reason = ''
         where partnership_id = $1 and id = $2",
        pid,
        review.id,
        crate::calendar::today()
    )
    .execute(&mut *tx)
    .await?;
    change(&member, "review_case.details_removed", "review_case", review.id, &address)
        .after(json!({ "people": subjects, "chronologies": files.len(), "retained_until": from }))
        .record(&mut tx)
        .await?;
    tx.commit().await?;
    for key in files {
        crate::files::remove(&state.files, &key).await?;
    }
    done(&session, format!("{}: personal details removed; the pseudonymised record is kept", review.pseudonym), to).await
}

/// The rapid review report, to send to the National Panel: the children, the dates, the facts (with each
/// agency's account), the immediate action, the learning, race and inequality, and the group's
/// recommendation, in the Panel's order. It is the case: for those who read it, and its reading is audited.
pub(crate) async fn rapid_review_report(
    State(state): State<AppState>,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, review_id)): Path<(String, String)>,
) -> Result<Response> {
    let mut tx = member.begin(&state).await?;
    let review = load(&mut tx, &member, &review_id).await?;
    let read = read_case(&mut tx, &member, &review).await?;
    change(&member, "review_case.read", "review_case", review.id, &address)
        .after(json!({ "document": "rapid review report" }))
        .record(&mut tx)
        .await?;
    tx.commit().await?;
    let partnership = member.partnership.name.clone();
    let filename = format!("Rapid review R{} {}.pdf", review.number, review.pseudonym);
    let bytes = tokio::task::spawn_blocking(move || rapid_review_pdf(&partnership, &review, &read))
        .await
        .map_err(|e| AppError::Internal(anyhow::Error::new(e).context("writing a rapid review report")))?;
    Ok(crate::files::attachment(&filename, "application/pdf".to_owned(), bytes))
}

fn rapid_review_pdf(partnership: &str, review: &Loaded, read: &Read) -> Vec<u8> {
    use crate::calendar::long_date;
    use crate::pdf::{Pack, Paragraph, Style};
    let date = |d: Option<NaiveDate>| d.map(long_date).unwrap_or_else(|| "not recorded".into());
    // A text's lines as paragraphs, `indent` points in.
    let lines = |text: &str, indent: f32| -> Vec<Paragraph> {
        text.split('\n').filter(|l| !l.trim().is_empty()).map(|l| Paragraph::new(Style::Body, l).indented(indent)).collect()
    };
    let section = |heading: &str, text: &str, out: &mut Vec<Paragraph>| {
        out.push(Paragraph::new(Style::Heading, heading));
        out.extend(lines(if text.trim().is_empty() { "Not written yet." } else { text }, 0.0));
    };
    let mut out = vec![
        Paragraph::new(Style::Title, format!("Rapid review: {} (R{})", review.pseudonym, review.number)),
        Paragraph::new(Style::Body, format!("{partnership}, {}", review.group_name)),
        Paragraph::new(
            Style::Small,
            "Confidential: for the National Child Safeguarding Practice Review Panel and those the partnership names.",
        ),
        Paragraph::new(Style::Heading, "Dates"),
        Paragraph::new(Style::Body, format!("The partners became aware: {}", date(review.dates.became_aware_on))),
        Paragraph::new(Style::Body, format!("The Panel was notified: {}", date(review.dates.notified_panel_on))),
    ];
    if !review.panel_reference.is_empty() {
        out.push(Paragraph::new(Style::Body, format!("The Panel's reference: {}", review.panel_reference)));
    }
    out.push(Paragraph::new(Style::Heading, "The children"));
    if read.subjects.is_empty() {
        out.push(Paragraph::new(Style::Body, "Not recorded yet."));
    }
    for s in &read.subjects {
        let mut facts = vec![s.full_name.clone()];
        if let Some(born) = s.date_of_birth {
            facts.push(format!("born {}", long_date(born)));
        }
        if s.looked_after {
            facts.push("looked after".into());
        }
        if s.died {
            facts.push("died".into());
        }
        out.push(Paragraph::new(Style::Strong, facts.join(", ")));
        if !s.address.is_empty() {
            out.push(Paragraph::new(Style::Body, s.address.replace('\n', ", ")).tight());
        }
    }
    section("The facts: what happened and the key practice episodes", &read.case.circumstances, &mut out);
    section("Agencies involved", &read.case.agencies_involved, &mut out);
    for answer in &read.answers {
        out.push(Paragraph::new(Style::Strong, format!("{}'s account", answer.organisation_name)));
        out.extend(lines(&answer.summary, 12.0));
    }
    section("Immediate action taken to keep children safe", &read.case.immediate_action, &mut out);
    section("Learning and improvements identified", &read.case.learning, &mut out);
    section("Issues of race, ethnicity or inequality", &read.case.race_and_inequality, &mut out);
    let recommendation = match review.recommendation {
        Some(r) => format!("{}.\n{}", r.label(review.kind, &review.settings.dhr_label), review.recommendation_reason),
        None => String::new(),
    };
    section(
        "Whether a local child safeguarding practice review is appropriate, or the case should go to the Panel",
        &recommendation,
        &mut out,
    );
    let mut pack = Pack::new(&format!("Rapid review: {} (R{})", review.pseudonym, review.number));
    pack.text(&out);
    pack.finish()
}
