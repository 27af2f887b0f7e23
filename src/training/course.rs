//! One course (`/p/<slug>/training/courses/<id>`): what it is, its sessions
//! with places booked, attendance and the average evaluation, and the form
//! that adds a session.

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

use super::{Delivery, Level, average};
use crate::calendar::{FinancialYear, long_date, parse_time, today, uk_datetime, uk_midnight, when};
use crate::error::{AppError, Result};
use crate::roles::Capability;
use crate::tenant::{Member, change};
use crate::web::{
    AppState, ClientAddress, DateParts, FormErrors, Layout, Query, Submitted, optional_line, record_id, redirect_with as done,
};

#[derive(Debug, Deserialize)]
pub struct CourseSession {
    pub id: Uuid,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub place: String,
    pub online: bool,
    pub capacity: i32,
    pub cancelled: bool,
    pub booked: i64,
    pub attended: i64,
    pub rating: Option<f64>,
}

impl CourseSession {
    pub fn when(&self) -> String {
        when(self.starts_at, self.ends_at)
    }
    pub fn rating(&self) -> String {
        average(self.rating)
    }
}

/// A financial year in which the course ran sessions, and how many.
#[derive(Debug, Deserialize)]
pub struct SessionYear {
    pub start_year: i32,
    pub sessions: i64,
}

impl SessionYear {
    pub fn label(&self) -> String {
        FinancialYear { start_year: self.start_year }.label()
    }
}

/// Which sessions the page lists: by default last financial year's, this year's and those to come (a course
/// running for ten years lists a few dozen, not hundreds); or one year's, chosen from the years it ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shown {
    Recent(FinancialYear),
    Year(FinancialYear),
}

impl Shown {
    /// The page as it opens: last financial year's sessions onwards.
    fn latest() -> Self {
        Shown::Recent(FinancialYear::containing(today()).previous())
    }

    fn from_query(year: &str) -> Self {
        FinancialYear::in_address(year).map_or_else(Shown::latest, Shown::Year)
    }

    /// The first moment shown, and the moment before which they stop (none: to come).
    fn span(self) -> (DateTime<Utc>, Option<DateTime<Utc>>) {
        match self {
            Shown::Recent(from) => (uk_midnight(from.starts_on()), None),
            Shown::Year(year) => (uk_midnight(year.starts_on()), Some(uk_midnight(year.next().starts_on()))),
        }
    }

    pub fn heading(&self) -> String {
        match self {
            Shown::Recent(from) => format!("Sessions since {}", long_date(from.starts_on())),
            Shown::Year(year) => format!("Sessions in {}", year.label()),
        }
    }

    pub fn is_one_year(&self) -> bool {
        matches!(self, Shown::Year(_))
    }

    pub fn is_year(&self, year: &SessionYear) -> bool {
        *self == Shown::Year(FinancialYear { start_year: year.start_year })
    }
}

#[derive(Deserialize, Default)]
pub(crate) struct CourseQuery {
    #[serde(default)]
    year: String,
}

struct Course {
    id: Uuid,
    title: String,
    level: Level,
    audience: String,
    provider: String,
    delivery: Delivery,
    description: String,
    sessions: Vec<CourseSession>,
    shown: Shown,
    /// Every financial year with sessions, latest first.
    years: Vec<SessionYear>,
}

#[derive(Deserialize, Default, Clone, Debug)]
pub(crate) struct SessionForm {
    #[serde(default)]
    session_day: String,
    #[serde(default)]
    session_month: String,
    #[serde(default)]
    session_year: String,
    #[serde(default)]
    starts: String,
    #[serde(default)]
    ends: String,
    #[serde(default)]
    place: String,
    #[serde(default)]
    online: String,
    #[serde(default)]
    capacity: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "training/course.html")]
struct CoursePage {
    layout: Layout,
    member: Member,
    course: Course,
    can_manage: bool,
    form: SessionForm,
    errors: FormErrors,
}

async fn load(tx: &mut crate::db::Tx, partnership_id: Uuid, id: Uuid, shown: Shown) -> Result<Course> {
    let (from, before) = shown.span();
    let row = sqlx::query!(
        r#"select c.id, c.title, c.level as "level: Level", c.audience, c.provider, c.delivery as "delivery: Delivery", c.description,
                  coalesce((select json_agg(x order by x.starts_at desc) from (
                      select s.id, s.starts_at, s.ends_at, s.place, s.online, s.capacity, s.cancelled_at is not null as cancelled,
                             coalesce(b.booked, 0) as booked, coalesce(b.attended, 0) as attended, e.rating
                      from training_session s
                      -- The course's bookings and ratings counted once, grouped by session.
                      left join (select b.session_id, count(*) as booked, count(*) filter (where b.attended) as attended
                                 from training_booking b join training_session t on t.partnership_id = b.partnership_id and t.id = b.session_id
                                 where b.partnership_id = c.partnership_id and t.course_id = c.id
                                   and t.starts_at >= $3 and ($4::timestamptz is null or t.starts_at < $4)
                                 group by b.session_id) b on b.session_id = s.id
                      left join (select e.session_id, avg(e.rating)::float8 as rating
                                 from training_evaluation e join training_session t on t.partnership_id = e.partnership_id and t.id = e.session_id
                                 where e.partnership_id = c.partnership_id and t.course_id = c.id and e.stage = 'immediate'
                                   and t.starts_at >= $3 and ($4::timestamptz is null or t.starts_at < $4)
                                 group by e.session_id) e on e.session_id = s.id
                      where s.partnership_id = c.partnership_id and s.course_id = c.id
                        and s.starts_at >= $3 and ($4::timestamptz is null or s.starts_at < $4)) x), '[]')
                    as "sessions!: Json<Vec<CourseSession>>",
                  -- The years it ran, from the index of its sessions by start (a few hundred rows at most, no more read).
                  coalesce((select json_agg(y order by y.start_year desc) from (
                      select extract(year from (s.starts_at at time zone 'Europe/London') - interval '3 months')::int as start_year,
                             count(*) as sessions
                      from training_session s where s.partnership_id = c.partnership_id and s.course_id = c.id group by 1) y), '[]')
                    as "years!: Json<Vec<SessionYear>>"
           from course c where c.partnership_id = $1 and c.id = $2"#,
        partnership_id,
        id,
        from,
        before
    )
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(AppError::NotFound)?;
    Ok(Course {
        id: row.id,
        title: row.title,
        level: row.level,
        audience: row.audience,
        provider: row.provider,
        delivery: row.delivery,
        description: row.description,
        sessions: row.sessions.0,
        shown,
        years: row.years.0,
    })
}

pub(crate) async fn course_page(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Path((_, course_id)): Path<(String, String)>,
    Query(query): Query<CourseQuery>,
) -> Result<Response> {
    let id = record_id(&course_id)?;
    let form = SessionForm { capacity: "20".to_owned(), starts: "09:30".to_owned(), ends: "12:30".to_owned(), ..SessionForm::default() };
    render(&state, &session, member, id, Shown::from_query(&query.year), form, FormErrors::default()).await
}

async fn render(
    state: &AppState,
    session: &Session,
    member: Member,
    id: Uuid,
    shown: Shown,
    form: SessionForm,
    errors: FormErrors,
) -> Result<Response> {
    let mut tx = member.begin(state).await?;
    let course = load(&mut tx, member.partnership.id, id, shown).await?;
    tx.commit().await?;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = CoursePage {
        layout: member.layout(session, "resources").await?,
        can_manage: member.roles.allows(Capability::ManageResources),
        member,
        course,
        form,
        errors,
    };
    Ok((status, page).into_response())
}

/// Add a session of the course: its day and times, where (or online), and how many places. Its participants' link
/// is made with it.
pub(crate) async fn add_session(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Path((_, course_id)): Path<(String, String)>,
    ClientAddress(address): ClientAddress,
    Submitted(form): Submitted<SessionForm>,
) -> Result<Response> {
    member.require(Capability::ManageResources)?;
    let id = record_id(&course_id)?;
    let mut errors = FormErrors::default();
    let date = DateParts { day: form.session_day.clone(), month: form.session_month.clone(), year: form.session_year.clone() };
    let day = errors.check("session_day", date.parse("Date", true)).flatten();
    if day.is_some_and(|d| d < today() - chrono::Days::new(365)) {
        errors.add("session_day", "Date must be within the last year or in the future");
    }
    let starts = errors.check("starts", parse_time(&form.starts, "start time"));
    let ends = errors.check("ends", parse_time(&form.ends, "end time"));
    if let (Some(s), Some(e)) = (starts, ends)
        && e <= s
    {
        errors.add("ends", "End time must be after the start time");
    }
    let online = form.online == "yes";
    let place = errors.check("place", optional_line(&form.place, "place", 400));
    if !online && place.as_deref() == Some("") {
        errors.add("place", "Enter where the session is held, or say it is online");
    }
    let capacity = match form.capacity.trim().parse::<i32>() {
        Ok(n) if (1..=10_000).contains(&n) => Some(n),
        _ => {
            errors.add("capacity", "Enter the number of places as a whole number from 1 to 10,000");
            None
        }
    };
    let moments = day.zip(starts).zip(ends).and_then(|((d, s), e)| uk_datetime(d, s).zip(uk_datetime(d, e)));
    let (Some((starts_at, ends_at)), Some(place), Some(capacity), true) = (moments, place, capacity, errors.is_empty()) else {
        if errors.is_empty() {
            errors.add("session_day", "That time does not exist on that day");
        }
        // The page with the form again (a course that is not one is a 404 there).
        return render(&state, &session, member, id, Shown::latest(), form, errors).await;
    };
    let mut tx = member.begin(&state).await?;
    // Only what the session needs of its course: not the course page's sessions and years.
    let course = sqlx::query!("select id, title from course where partnership_id = $1 and id = $2", member.partnership.id, id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(AppError::NotFound)?;
    let session_id = Uuid::new_v4();
    // One session of a course at a time: a form sent twice adds one, even at once.
    sqlx::query!("select pg_advisory_xact_lock(hashtextextended($1, 0))", format!("training-session:{}", course.id))
        .execute(&mut *tx)
        .await?;
    let repeated = sqlx::query_scalar!(
        r#"select exists (select 1 from training_session where partnership_id = $1 and course_id = $2 and starts_at = $3 and cancelled_at is null) as "e!""#,
        member.partnership.id,
        course.id,
        starts_at
    )
    .fetch_one(&mut *tx)
    .await?;
    if !repeated {
        sqlx::query!(
            "insert into training_session (partnership_id, id, course_id, starts_at, ends_at, place, online, capacity, link_token, created_by)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            member.partnership.id,
            session_id,
            course.id,
            starts_at,
            ends_at,
            place,
            online,
            capacity,
            crate::tokens::random_token(),
            member.user.id
        )
        .execute(&mut *tx)
        .await?;
        change(&member, "training.session_added", "training", session_id, &address)
            .after(json!({ "title": course.title, "starts_at": starts_at, "ends_at": ends_at, "place": place, "online": online,
                           "capacity": capacity }))
            .record(&mut tx)
            .await?;
    }
    tx.commit().await?;
    let message = if repeated {
        "That session is already planned".to_owned()
    } else {
        format!("Session of {} added on {}", course.title, when(starts_at, ends_at))
    };
    done(&session, message, format!("/p/{}/training/courses/{}", member.partnership.slug, course.id)).await
}
