//! Self-assessment rounds (`/p/<slug>/assurance`): the partnership's rounds
//! with how far each has got, the returns waiting for the reader's own
//! organisation, opening a round (its kind's standards, edited; the
//! organisations taking part; the deadline), and a round's dashboard: who has
//! submitted, overdue returns, the ratings per standard across the submitted
//! returns (a chart with its table), and the improvement actions. What anyone
//! reads here is what row-level security lets them read: another
//! organisation's return is not there for an agency's contact.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;
use serde_json::json;
use sqlx::types::Json;
use tower_sessions::Session;
use uuid::Uuid;

use super::{Rating, ReturnStatus, RoundKind, next_due};
use crate::actions::{Action, Actions};
use crate::calendar::{long_date, today};
use crate::error::{AppError, Result};
use crate::roles::Capability;
use crate::tenant::{Member, change};
use crate::web::{
    AppState, ClientAddress, DateParts, FormErrors, Layout, Query, Submitted, optional_text, record_id, redirect_with as done,
    required_line,
};

/// A round as the list shows it, with its returns counted.
#[derive(Debug, Deserialize)]
pub struct RoundLine {
    pub id: Uuid,
    pub number: i32,
    pub kind: RoundKind,
    pub title: String,
    pub due_on: NaiveDate,
    pub returns: i64,
    pub submitted: i64,
    pub accepted: i64,
}

impl RoundLine {
    pub fn due(&self) -> String {
        long_date(self.due_on)
    }
    /// Returns not yet in after the deadline.
    pub fn late(&self) -> i64 {
        if self.due_on < today() { self.returns - self.submitted } else { 0 }
    }
}

/// A return waiting for the reader's organisation.
#[derive(Debug, Deserialize)]
pub struct WaitingReturn {
    pub id: Uuid,
    pub round_title: String,
    pub organisation_name: String,
    pub due_on: NaiveDate,
    pub status: ReturnStatus,
}

impl WaitingReturn {
    pub fn due(&self) -> String {
        long_date(self.due_on)
    }
    pub fn overdue(&self) -> bool {
        self.due_on < today()
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "assurance/index.html")]
struct IndexPage {
    layout: Layout,
    member: Member,
    rounds: Vec<RoundLine>,
    waiting: Vec<WaitingReturn>,
    can_open: bool,
}

/// The rounds, newest first, and the returns waiting for this person's organisation: one statement.
pub(crate) async fn index(State(state): State<AppState>, session: Session, member: Member) -> Result<Response> {
    let mut tx = member.begin(&state).await?;
    let row = sqlx::query!(
        r#"select coalesce((select json_agg(x order by x.number desc) from (
                      select a.id, a.number, a.kind, a.title, a.due_on,
                             count(r.id) as returns,
                             count(r.id) filter (where r.status in ('submitted', 'accepted')) as submitted,
                             count(r.id) filter (where r.status = 'accepted') as accepted
                      from assurance_round a left join round_return r on r.partnership_id = a.partnership_id and r.round_id = a.id
                      where a.partnership_id = $1
                      group by a.partnership_id, a.id order by a.number desc limit 40) x), '[]') as "rounds!: Json<Vec<RoundLine>>",
                  coalesce((select json_agg(x order by x.due_on) from (
                      select r.id, a.title as round_title, o.name as organisation_name, a.due_on, r.status
                      from round_return r
                      join assurance_round a on a.partnership_id = r.partnership_id and a.id = r.round_id
                      join organisation o on o.partnership_id = r.partnership_id and o.id = r.organisation_id
                      where r.partnership_id = $1 and r.status in ('not_started', 'draft')
                        and (r.contact_membership_id = $2 or r.organisation_id = (select app_organisation_id()))
                      order by a.due_on limit 20) x), '[]') as "waiting!: Json<Vec<WaitingReturn>>""#,
        member.partnership.id,
        member.membership_id
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    let page = IndexPage {
        layout: member.layout(&session, "assurance").await?,
        can_open: member.roles.allows(Capability::ManageAssurance),
        member,
        rounds: row.rounds.0,
        waiting: row.waiting.0,
    };
    Ok(page.into_response())
}

#[derive(Deserialize, Default, Clone, Debug)]
pub(crate) struct RoundForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    guidance: String,
    /// One standard a line.
    #[serde(default)]
    standards: String,
    #[serde(default)]
    organisations: Vec<String>,
    #[serde(default)]
    due_day: String,
    #[serde(default)]
    due_month: String,
    #[serde(default)]
    due_year: String,
}

/// An organisation that may take part: (id, name, who it is).
#[derive(Debug)]
pub struct Eligible {
    pub id: String,
    pub name: String,
    pub sector: String,
    pub is_relevant_agency: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "assurance/round_form.html")]
struct RoundFormPage {
    layout: Layout,
    member: Member,
    kind: RoundKind,
    kinds: Vec<(String, String)>,
    form: RoundForm,
    organisations: Vec<Eligible>,
    errors: FormErrors,
}

impl RoundFormPage {
    fn chosen(&self, id: &str) -> bool {
        self.form.organisations.iter().any(|o| o == id)
    }
}

#[derive(Deserialize, Default)]
pub(crate) struct KindQuery {
    #[serde(default)]
    kind: String,
}

async fn render_form(
    state: &AppState,
    session: &Session,
    member: Member,
    kind: RoundKind,
    form: RoundForm,
    errors: FormErrors,
) -> Result<Response> {
    let mut tx = member.begin(state).await?;
    let organisations = sqlx::query!(
        "select id, name, sector, is_relevant_agency from organisation where partnership_id = $1 and retired_on is null order by name",
        member.partnership.id
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|o| Eligible { id: o.id.to_string(), name: o.name, sector: o.sector, is_relevant_agency: o.is_relevant_agency })
    .collect();
    tx.commit().await?;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let kinds = RoundKind::ALL.iter().map(|k| (k.code().to_owned(), k.label().to_owned())).collect();
    let page = RoundFormPage { layout: member.layout(session, "assurance").await?, member, kind, kinds, form, organisations, errors };
    Ok((status, page).into_response())
}

/// The form for a round of a kind: its standards and the organisations that usually take part, ready to edit.
pub(crate) async fn new_page(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Query(query): Query<KindQuery>,
) -> Result<Response> {
    member.require(Capability::ManageAssurance)?;
    let kind = RoundKind::parse(&query.kind).unwrap_or(RoundKind::Section11);
    let mut tx = member.begin(&state).await?;
    // Those who usually take part: relevant agencies for Section 11, education settings for Section 175.
    let usual = sqlx::query_scalar!(
        "select id from organisation where partnership_id = $1 and retired_on is null
           and case $2::text when 'section11' then is_relevant_agency when 'section175' then sector = 'education' else false end",
        member.partnership.id,
        kind.code()
    )
    .fetch_all(&mut *tx)
    .await?;
    member.resume(tx);
    let due = DateParts::from_date(today().checked_add_months(chrono::Months::new(2)));
    let form = RoundForm {
        kind: kind.code().to_owned(),
        title: format!("{} {}", kind.label(), today().year()),
        guidance: String::new(),
        standards: kind.template().join("\n"),
        organisations: usual.into_iter().map(|id| id.to_string()).collect(),
        due_day: due.day,
        due_month: due.month,
        due_year: due.year,
    };
    render_form(&state, &session, member, kind, form, FormErrors::default()).await
}

/// Open a round: its standards, a return for each organisation taking part (its named contact found from the
/// organisation's contact address, or the first of its people), each contact told by mail. The same title
/// sent twice opens one round.
pub(crate) async fn open(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Submitted(form): Submitted<RoundForm>,
) -> Result<Response> {
    member.require(Capability::ManageAssurance)?;
    let mut errors = FormErrors::default();
    let kind = RoundKind::parse(&form.kind);
    if kind.is_none() {
        errors.add("kind", "Choose the kind of self-assessment");
    }
    let title = errors.check("title", required_line(&form.title, "round's title", 200));
    let guidance = errors.check("guidance", optional_text(&form.guidance, "guidance", 4000));
    let standards: Vec<String> = form.standards.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect();
    if standards.is_empty() {
        errors.add("standards", "Enter the standards, one a line");
    } else if standards.len() > 30 {
        errors.add("standards", "A round has at most 30 standards");
    } else if standards.iter().any(|s| s.chars().count() > 300) {
        errors.add("standards", "Each standard must be 300 characters or fewer");
    }
    let due = DateParts { day: form.due_day.clone(), month: form.due_month.clone(), year: form.due_year.clone() };
    let due_on = errors.check("due_day", due.parse("Deadline", true)).flatten();
    if due_on.is_some_and(|d| d < today()) {
        errors.add("due_day", "Deadline must be today or in the future");
    }
    let chosen: Vec<Uuid> = form.organisations.iter().filter_map(|o| Uuid::parse_str(o).ok()).collect();
    let mut tx = member.begin(&state).await?;
    let pid = member.partnership.id;
    let taking_part = sqlx::query!(
        r#"select o.id, o.name,
                  (select m.id from membership m left join app_user u on u.id = m.user_id
                   where m.partnership_id = o.partnership_id and m.organisation_id = o.id and m.is_current
                   order by lower(u.email) = lower(o.contact_email) desc, m.created_at, m.id limit 1) as contact
           from organisation o where o.partnership_id = $1 and o.id = any($2) and o.retired_on is null order by o.name"#,
        pid,
        &chosen
    )
    .fetch_all(&mut *tx)
    .await?;
    if taking_part.is_empty() {
        errors.add("organisations", "Choose the organisations taking part");
    }
    let (Some(kind), Some(title), Some(guidance), Some(due_on), true) = (kind, title, guidance, due_on, errors.is_empty()) else {
        member.resume(tx);
        let kind = RoundKind::parse(&form.kind).unwrap_or(RoundKind::Section11);
        return render_form(&state, &session, member, kind, form, errors).await;
    };
    sqlx::query!("select pg_advisory_xact_lock(hashtextextended($1, 0))", format!("round-number:{pid}")).execute(&mut *tx).await?;
    let id = Uuid::new_v4();
    let number = sqlx::query_scalar!(
        "insert into assurance_round (partnership_id, id, number, kind, title, guidance, opened_on, due_on, created_by)
         select $1, $2, coalesce(max(number), 0) + 1, $3, $4, $5, $6, $7, $8 from assurance_round where partnership_id = $1
         on conflict (partnership_id, lower(title)) do nothing
         returning number",
        pid,
        id,
        kind as RoundKind,
        title,
        guidance,
        today(),
        due_on,
        member.user.id
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(number) = number else {
        let existing =
            sqlx::query_scalar!("select id from assurance_round where partnership_id = $1 and lower(title) = lower($2)", pid, title)
                .fetch_one(&mut *tx)
                .await?;
        tx.commit().await?;
        let to = format!("/p/{}/assurance/rounds/{existing}", member.partnership.slug);
        return done(&session, "A round with that title is already open".to_owned(), to).await;
    };
    let positions: Vec<i32> = (1..=standards.len() as i32).collect();
    sqlx::query!(
        "insert into round_standard (partnership_id, id, round_id, position, title)
         select $1, gen_random_uuid(), $2, s.position, s.title from unnest($3::int[], $4::text[]) as s(position, title)",
        pid,
        id,
        &positions,
        &standards
    )
    .execute(&mut *tx)
    .await?;
    let organisations: Vec<Uuid> = taking_part.iter().map(|o| o.id).collect();
    let contacts: Vec<Option<Uuid>> = taking_part.iter().map(|o| o.contact).collect();
    sqlx::query!(
        "insert into round_return (partnership_id, id, round_id, organisation_id, contact_membership_id)
         select $1, gen_random_uuid(), $2, t.organisation_id, t.contact from unnest($3::uuid[], $4::uuid[]) as t(organisation_id, contact)",
        pid,
        id,
        &organisations,
        &contacts as &[Option<Uuid>]
    )
    .execute(&mut *tx)
    .await?;
    change(&member, "assurance_round.opened", "assurance_round", id, &address)
        .after(json!({ "number": number, "kind": kind.label(), "title": title, "due_on": due_on, "standards": standards,
                       "organisations": taking_part.iter().map(|o| o.name.clone()).collect::<Vec<_>>() }))
        .record(&mut tx)
        .await?;
    // Each contact is told, with the deadline and where to fill the return.
    let told = sqlx::query!(
        r#"select r.id, o.name as organisation, u.email, u.display_name, u.id as user_id
           from round_return r join organisation o on o.partnership_id = r.partnership_id and o.id = r.organisation_id
           join membership m on m.partnership_id = r.partnership_id and m.id = r.contact_membership_id
           join app_user u on u.id = m.user_id
           where r.partnership_id = $1 and r.round_id = $2"#,
        pid,
        id
    )
    .fetch_all(&mut *tx)
    .await?;
    for contact in told {
        let body = format!(
            "{} has opened its {} \u{201c}{title}\u{201d}.\n\nPlease complete {}'s return by {}: a rating and evidence for each standard, and \
             your improvement actions. You can save it and finish later.\n\n{}/p/{}/assurance/returns/{}\n",
            member.partnership.name,
            kind.label().to_lowercase(),
            contact.organisation,
            long_date(due_on),
            state.config.public_url,
            member.partnership.slug,
            contact.id
        );
        crate::outbox::enqueue(
            &mut tx,
            Some(pid),
            &contact.email,
            &contact.display_name,
            &format!("{title}: your organisation's return"),
            &body,
            &format!("round-opened:{id}:{}", contact.user_id),
        )
        .await?;
    }
    tx.commit().await?;
    done(
        &session,
        format!("SA{number} opened: {} returns asked for", taking_part.len()),
        format!("/p/{}/assurance/rounds/{id}", member.partnership.slug),
    )
    .await
}

/// A return as the round's dashboard lists it.
#[derive(Debug, Deserialize)]
pub struct ReturnLine {
    pub id: Uuid,
    pub organisation_id: Uuid,
    pub organisation_name: String,
    pub contact_name: Option<String>,
    pub status: ReturnStatus,
    pub submitted_at: Option<chrono::DateTime<chrono::Utc>>,
    pub last_on: Option<NaiveDate>,
    pub challenges_open: i64,
}

impl ReturnLine {
    pub fn submitted(&self) -> String {
        self.submitted_at.map(|at| long_date(crate::calendar::uk_date(at))).unwrap_or_default()
    }
}

/// A standard with the submitted returns' ratings of it counted.
#[derive(Debug, Deserialize)]
pub struct StandardCount {
    pub position: i32,
    pub title: String,
    pub green: i64,
    pub amber: i64,
    pub red: i64,
    pub not_applicable: i64,
}

impl StandardCount {
    pub fn counts(&self) -> [(Rating, i64); 4] {
        [(Rating::Green, self.green), (Rating::Amber, self.amber), (Rating::Red, self.red), (Rating::NotApplicable, self.not_applicable)]
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "assurance/round.html")]
struct RoundPage {
    layout: Layout,
    member: Member,
    number: i32,
    kind: RoundKind,
    title: String,
    guidance: String,
    due_on: NaiveDate,
    interval_months: i32,
    returns: Vec<ReturnLine>,
    standards: Vec<StandardCount>,
    chart: String,
    actions: Vec<Action>,
}

impl RoundPage {
    fn due(&self) -> String {
        long_date(self.due_on)
    }
    fn late(&self, line: &ReturnLine) -> bool {
        !line.status.is_locked() && self.due_on < today()
    }
    fn count(&self, status: ReturnStatus) -> usize {
        self.returns.iter().filter(|r| r.status == status).count()
    }
    fn overdue(&self) -> usize {
        self.returns.iter().filter(|r| self.late(r)).count()
    }
    /// When the organisation's next self-assessment of this kind falls due, by the interval setting.
    fn next(&self, line: &ReturnLine) -> String {
        match self.kind {
            RoundKind::Local => String::new(),
            _ => next_due(line.last_on, self.interval_months).map(long_date).unwrap_or_else(|| "Now: none recorded".to_owned()),
        }
    }
}

/// A round's dashboard: one statement for the round, its returns and the ratings, one for the actions.
pub(crate) async fn round_page(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Path((_, round_id)): Path<(String, String)>,
) -> Result<Response> {
    let id = record_id(&round_id)?;
    let mut tx = member.begin(&state).await?;
    let pid = member.partnership.id;
    let row = sqlx::query!(
        r#"select a.number, a.kind as "kind: RoundKind", a.title, a.guidance, a.due_on,
                  case a.kind when 'section175' then coalesce(s.section175_interval_months, 12)
                              else coalesce(s.section11_interval_months, 24) end as "interval!",
                  coalesce((select json_agg(x order by x.organisation_name) from (
                      select r.id, r.organisation_id, o.name as organisation_name, m.known_as as contact_name, r.status, r.submitted_at,
                             case a.kind when 'section175' then o.last_section175_on else o.last_section11_on end as last_on,
                             (select count(*) from return_challenge c where c.partnership_id = r.partnership_id and c.return_id = r.id
                                and c.answered_at is null) as challenges_open
                      from round_return r
                      join organisation o on o.partnership_id = r.partnership_id and o.id = r.organisation_id
                      left join membership m on m.partnership_id = r.partnership_id and m.id = r.contact_membership_id
                      where r.partnership_id = a.partnership_id and r.round_id = a.id) x), '[]') as "returns!: Json<Vec<ReturnLine>>",
                  coalesce((select json_agg(x order by x.position) from (
                      select st.position, st.title,
                             count(*) filter (where g.rating = 'green') as green, count(*) filter (where g.rating = 'amber') as amber,
                             count(*) filter (where g.rating = 'red') as red,
                             count(*) filter (where g.rating = 'not_applicable') as not_applicable
                      from round_standard st
                      left join (return_rating g join round_return r on r.partnership_id = g.partnership_id and r.id = g.return_id
                                                  and r.status in ('submitted', 'accepted'))
                             on g.partnership_id = st.partnership_id and g.standard_id = st.id
                      where st.partnership_id = a.partnership_id and st.round_id = a.id
                      group by st.id, st.position, st.title) x), '[]') as "standards!: Json<Vec<StandardCount>>"
           from assurance_round a left join arrangement s on s.partnership_id = a.partnership_id
           where a.partnership_id = $1 and a.id = $2"#,
        pid,
        id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    let actions = crate::actions::list(&mut tx, pid, Actions::ForRound(id)).await?;
    tx.commit().await?;
    let standards = row.standards.0;
    let page = RoundPage {
        layout: member.layout(&session, "assurance").await?,
        chart: super::heat_map::ratings(
            &standards.iter().map(|s| (format!("{}. {}", s.position, s.title), s.counts())).collect::<Vec<_>>(),
        ),
        member,
        number: row.number,
        kind: row.kind,
        title: row.title,
        guidance: row.guidance,
        due_on: row.due_on,
        interval_months: row.interval,
        returns: row.returns.0,
        standards,
        actions,
    };
    Ok(page.into_response())
}
