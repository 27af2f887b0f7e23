//! The training page (`/p/<slug>/training`): the year's training needs
//! analysis by agency and topic, the courses on offer, the sessions coming up,
//! and the quarters' reports; the forms that add a need and a course.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;
use sqlx::types::Json;
use tower_sessions::Session;
use uuid::Uuid;

use super::{Delivery, Level, Priority, Quarter};
use crate::calendar::{FinancialYear, today, uk_midnight, when};
use crate::error::Result;
use crate::roles::Capability;
use crate::tenant::{Member, change};
use crate::web::{AppState, ClientAddress, FormErrors, Layout, Query, Submitted, optional_text, redirect_with as done, required_line};

#[derive(Debug, Deserialize)]
pub struct Need {
    pub organisation_name: Option<String>,
    pub topic: String,
    pub priority: Priority,
    pub staff_count: Option<i32>,
    pub note: String,
}

#[derive(Debug, Deserialize)]
pub struct CourseLine {
    pub id: Uuid,
    pub title: String,
    pub level: Level,
    pub delivery: Delivery,
    pub provider: String,
    pub audience: String,
    pub upcoming: i64,
}

#[derive(Debug, Deserialize)]
pub struct SessionLine {
    pub id: Uuid,
    pub course_title: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub place: String,
    pub online: bool,
    pub capacity: i32,
    pub booked: i64,
}

impl SessionLine {
    pub fn when(&self) -> String {
        when(self.starts_at, self.ends_at)
    }
    pub fn full(&self) -> bool {
        self.booked >= i64::from(self.capacity)
    }
}

#[derive(Deserialize, Default, Clone)]
pub(crate) struct OfferQuery {
    #[serde(default)]
    year: String,
}

#[derive(Deserialize, Default, Clone, Debug)]
pub(crate) struct OfferForms {
    #[serde(default)]
    need_year: String,
    #[serde(default)]
    need_organisation: String,
    #[serde(default)]
    need_topic: String,
    #[serde(default)]
    need_priority: String,
    #[serde(default)]
    need_staff: String,
    #[serde(default)]
    need_note: String,
    #[serde(default)]
    course_title: String,
    #[serde(default)]
    course_level: String,
    #[serde(default)]
    course_audience: String,
    #[serde(default)]
    course_provider: String,
    #[serde(default)]
    course_delivery: String,
    #[serde(default)]
    course_description: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "training/offer.html")]
struct OfferPage {
    layout: Layout,
    member: Member,
    year: FinancialYear,
    years: Vec<(String, String)>,
    needs: Vec<Need>,
    courses: Vec<CourseLine>,
    sessions: Vec<SessionLine>,
    quarters: Vec<Quarter>,
    organisations: Vec<(String, String)>,
    can_manage: bool,
    forms: OfferForms,
    errors: FormErrors,
}

pub(crate) async fn offer(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Query(query): Query<OfferQuery>,
) -> Result<Response> {
    let year = FinancialYear::parse(&query.year).unwrap_or_else(|| FinancialYear::containing(today()));
    let forms = OfferForms { need_year: year.label(), ..OfferForms::default() };
    render(&state, &session, member, year, forms, FormErrors::default()).await
}

async fn render(
    state: &AppState,
    session: &Session,
    member: Member,
    year: FinancialYear,
    forms: OfferForms,
    errors: FormErrors,
) -> Result<Response> {
    let mut tx = member.begin(state).await?;
    let row = sqlx::query!(
        r#"select coalesce((select json_agg(x order by x.priority_order, x.organisation_name nulls first, x.topic) from (
                      select o.name as organisation_name, n.topic, n.priority, n.staff_count, n.note,
                             array_position(array['high', 'medium', 'low'], n.priority) as priority_order
                      from training_need n left join organisation o on o.partnership_id = n.partnership_id and o.id = n.organisation_id
                      where n.partnership_id = $1 and n.starts_on = $2) x), '[]') as "needs!: Json<Vec<Need>>",
                  coalesce((select json_agg(x order by x.title) from (
                      select c.id, c.title, c.level, c.delivery, c.provider, c.audience,
                             (select count(*) from training_session s where s.partnership_id = c.partnership_id and s.course_id = c.id
                                and s.starts_at >= $3 and s.cancelled_at is null) as upcoming
                      from course c where c.partnership_id = $1 and c.retired_on is null) x), '[]') as "courses!: Json<Vec<CourseLine>>",
                  coalesce((select json_agg(x order by x.starts_at) from (
                      select s.id, c.title as course_title, s.starts_at, s.ends_at, s.place, s.online, s.capacity,
                             (select count(*) from training_booking b where b.partnership_id = s.partnership_id and b.session_id = s.id) as booked
                      from training_session s join course c on c.partnership_id = s.partnership_id and c.id = s.course_id
                      where s.partnership_id = $1 and s.starts_at >= $3 and s.cancelled_at is null
                      order by s.starts_at limit 20) x), '[]') as "sessions!: Json<Vec<SessionLine>>",
                  coalesce((select json_agg(json_build_array(o.id, o.name) order by o.name) from organisation o
                            where o.partnership_id = $1 and o.retired_on is null), '[]') as "organisations!: Json<Vec<(Uuid, String)>>""#,
        member.partnership.id,
        year.starts_on(),
        uk_midnight(today())
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    let now = Quarter::containing(today());
    let quarters = vec![now, now.previous(), now.previous().previous(), now.previous().previous().previous()];
    let current = FinancialYear::containing(today());
    let years =
        [current.next(), current, current.previous(), current.previous().previous()].iter().map(|y| (y.label(), y.label())).collect();
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = OfferPage {
        layout: member.layout(session, "resources").await?,
        can_manage: member.roles.allows(Capability::ManageResources),
        member,
        year,
        years,
        needs: row.needs.0,
        courses: row.courses.0,
        sessions: row.sessions.0,
        quarters,
        organisations: row.organisations.0.into_iter().map(|(id, name)| (id.to_string(), name)).collect(),
        forms,
        errors,
    };
    Ok((status, page).into_response())
}

/// Add a need to a year's training needs analysis: an agency (or all), a topic, its priority and how many staff.
pub(crate) async fn add_need(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Submitted(forms): Submitted<OfferForms>,
) -> Result<Response> {
    member.require(Capability::ManageResources)?;
    let mut errors = FormErrors::default();
    let year = FinancialYear::parse(&forms.need_year);
    if year.is_none() {
        errors.add("need_year", "Choose the year of the analysis");
    }
    let topic = errors.check("need_topic", required_line(&forms.need_topic, "topic", 200));
    let priority = Priority::parse(&forms.need_priority);
    if priority.is_none() {
        errors.add("need_priority", "Choose the priority");
    }
    let staff = match forms.need_staff.trim() {
        "" => Some(None),
        text => match text.replace(',', "").parse::<i32>() {
            Ok(n) if (0..=1_000_000).contains(&n) => Some(Some(n)),
            _ => {
                errors.add("need_staff", "Enter how many staff need it as a whole number, or leave it blank");
                None
            }
        },
    };
    let note = errors.check("need_note", optional_text(&forms.need_note, "note", 2000));
    let mut tx = member.begin(&state).await?;
    let pid = member.partnership.id;
    let organisation = match Uuid::parse_str(&forms.need_organisation) {
        Ok(id) => {
            let found = sqlx::query!("select id, name from organisation where partnership_id = $1 and id = $2", pid, id)
                .fetch_optional(&mut *tx)
                .await?;
            if found.is_none() {
                errors.add("need_organisation", "Choose one of the partnership's agencies, or all agencies");
            }
            found
        }
        Err(_) => None,
    };
    let (Some(year), Some(topic), Some(priority), Some(staff), Some(note), true) = (year, topic, priority, staff, note, errors.is_empty())
    else {
        member.resume(tx);
        let shown = FinancialYear::parse(&forms.need_year).unwrap_or_else(|| FinancialYear::containing(today()));
        return render(&state, &session, member, shown, forms, errors).await;
    };
    let id = Uuid::new_v4();
    let added = sqlx::query!(
        "insert into training_need (partnership_id, id, starts_on, organisation_id, topic, priority, staff_count, note, recorded_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9) on conflict do nothing",
        pid,
        id,
        year.starts_on(),
        organisation.as_ref().map(|o| o.id),
        topic,
        priority as Priority,
        staff,
        note,
        member.user.id
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if added == 1 {
        change(&member, "training.need_added", "training", id, &address)
            .after(json!({ "title": topic, "year": year.label(), "agency": organisation.as_ref().map(|o| o.name.clone()),
                           "priority": priority.label(), "staff_count": staff, "note": note }))
            .record(&mut tx)
            .await?;
    }
    tx.commit().await?;
    let to = format!("/p/{}/training?year={}", member.partnership.slug, year.label());
    let message = if added == 1 {
        format!("{topic} added to the {} needs analysis", year.label())
    } else {
        format!("{topic} is already in the {} needs analysis for that agency", year.label())
    };
    done(&session, message, to).await
}

/// Add a course to the offer.
pub(crate) async fn add_course(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Submitted(forms): Submitted<OfferForms>,
) -> Result<Response> {
    member.require(Capability::ManageResources)?;
    let mut errors = FormErrors::default();
    let title = errors.check("course_title", required_line(&forms.course_title, "course's title", 200));
    let level = Level::parse(&forms.course_level);
    if level.is_none() {
        errors.add("course_level", "Choose the level");
    }
    let delivery = Delivery::parse(&forms.course_delivery);
    if delivery.is_none() {
        errors.add("course_delivery", "Choose who delivers it");
    }
    let audience = errors.check("course_audience", crate::web::optional_line(&forms.course_audience, "audience", 400));
    let provider = errors.check("course_provider", crate::web::optional_line(&forms.course_provider, "provider", 200));
    if delivery == Some(Delivery::Commissioned) && provider.as_deref() == Some("") {
        errors.add("course_provider", "Enter the provider a commissioned course is bought from");
    }
    let description = errors.check("course_description", optional_text(&forms.course_description, "description", 4000));
    let (Some(title), Some(level), Some(delivery), Some(audience), Some(provider), Some(description), true) =
        (title, level, delivery, audience, provider, description, errors.is_empty())
    else {
        return render(&state, &session, member, FinancialYear::containing(today()), forms, errors).await;
    };
    let mut tx = member.begin(&state).await?;
    let pid = member.partnership.id;
    let id = Uuid::new_v4();
    let added = sqlx::query!(
        "insert into course (partnership_id, id, title, level, audience, provider, delivery, description, created_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9) on conflict (partnership_id, lower(title)) do nothing",
        pid,
        id,
        title,
        level as Level,
        audience,
        provider,
        delivery as Delivery,
        description,
        member.user.id
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    let course =
        if added == 1 {
            change(&member, "training.course_added", "training", id, &address)
            .after(json!({ "title": title, "level": level.label(), "audience": audience, "provider": provider, "delivery": delivery.label(),
                           "description": description }))
            .record(&mut tx)
            .await?;
            id
        } else {
            sqlx::query_scalar!("select id from course where partnership_id = $1 and lower(title) = lower($2)", pid, title)
                .fetch_one(&mut *tx)
                .await?
        };
    tx.commit().await?;
    let message =
        if added == 1 { format!("{title} added to the offer: add its sessions") } else { format!("{title} is already on the offer") };
    done(&session, message, format!("/p/{}/training/courses/{course}", member.partnership.slug)).await
}
