//! The quarterly training report (`/p/<slug>/training/reports/2026-27-q3`),
//! assembled from the quarter's records: sessions held and places, attendance
//! by agency and by course, evaluation scores straight after and on
//! follow-up, what participants and managers said, and the observers' notes.
//! The business unit takes it to the workforce development (or learning and
//! development) group's next meeting as a PDF paper, through `papers::add`.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use sqlx::types::Json;
use tower_sessions::Session;
use uuid::Uuid;

use super::{Quarter, average};
use crate::calendar::{long_date, today, uk_midnight};
use crate::error::Result;
use crate::roles::Capability;
use crate::tenant::Member;
use crate::web::{AppState, ClientAddress, Layout, Submitted, redirect_with as done};

#[derive(Debug, Deserialize)]
pub struct AgencyLine {
    pub agency: String,
    pub booked: i64,
    pub attended: i64,
}

#[derive(Debug, Deserialize)]
pub struct CourseLine {
    pub title: String,
    pub sessions: i64,
    pub places: i64,
    pub booked: i64,
    pub attended: i64,
    pub rating: Option<f64>,
    pub confidence_before: Option<f64>,
    pub confidence_after: Option<f64>,
    pub impact: Option<f64>,
}

impl CourseLine {
    pub fn rating(&self) -> String {
        average(self.rating)
    }
    pub fn confidence(&self) -> String {
        format!("{} → {}", average(self.confidence_before), average(self.confidence_after))
    }
    pub fn impact(&self) -> String {
        average(self.impact)
    }
}

#[derive(Debug, Deserialize)]
pub struct Said {
    pub course_title: String,
    pub follow_up: bool,
    pub manager: bool,
    pub comments: String,
}

#[derive(Debug, Deserialize)]
pub struct Observed {
    pub course_title: String,
    pub starts_at: chrono::DateTime<chrono::Utc>,
    pub observed_by: String,
    pub observation: String,
}

impl Observed {
    pub fn day(&self) -> String {
        long_date(crate::calendar::uk_date(self.starts_at))
    }
}

/// The quarter's figures, every one computed from the records.
pub struct Figures {
    pub sessions: i64,
    pub places: i64,
    pub booked: i64,
    pub attended: i64,
    pub evaluations: i64,
    pub rating: Option<f64>,
    pub follow_ups: i64,
    pub impact: Option<f64>,
    pub by_agency: Vec<AgencyLine>,
    pub by_course: Vec<CourseLine>,
    pub said: Vec<Said>,
    pub observed: Vec<Observed>,
}

impl Figures {
    /// Attended as a share of those booked, in whole per cent.
    pub fn attendance_rate(&self) -> String {
        if self.booked == 0 { "–".to_owned() } else { format!("{}%", self.attended * 100 / self.booked) }
    }
    pub fn rating(&self) -> String {
        average(self.rating)
    }
    pub fn impact(&self) -> String {
        average(self.impact)
    }
}

/// How many comments the report quotes, the latest first.
const COMMENTS_SHOWN: i64 = 30;

/// The quarter's sessions (by their start), in one statement.
pub async fn figures(conn: &mut sqlx::PgConnection, partnership_id: Uuid, quarter: Quarter) -> sqlx::Result<Figures> {
    let row = sqlx::query!(
        r#"with held as materialized (
               select s.id, s.course_id, s.capacity, s.starts_at, s.observation, s.observed_by, c.title
               from training_session s join course c on c.partnership_id = s.partnership_id and c.id = s.course_id
               where s.partnership_id = $1 and s.starts_at >= $2 and s.starts_at < $3 and s.cancelled_at is null),
           booked as materialized (
               select b.session_id, b.attended, coalesce(o.name, nullif(b.agency, ''), 'Agency not given') as agency
               from training_booking b join held h on h.id = b.session_id
               left join organisation o on o.partnership_id = b.partnership_id and o.id = b.organisation_id
               where b.partnership_id = $1),
           rated as materialized (
               select e.session_id, e.stage, e.respondent, e.rating, e.confidence_before, e.confidence_after, e.comments, e.submitted_at
               from training_evaluation e join held h on h.id = e.session_id where e.partnership_id = $1)
           select (select count(*) from held) as "sessions!",
                  (select coalesce(sum(capacity), 0) from held)::bigint as "places!",
                  (select count(*) from booked) as "booked!",
                  (select count(*) from booked where attended) as "attended!",
                  (select count(*) from rated where stage = 'immediate') as "evaluations!",
                  (select avg(rating)::float8 from rated where stage = 'immediate') as "rating",
                  (select count(*) from rated where stage = 'follow_up') as "follow_ups!",
                  (select avg(rating)::float8 from rated where stage = 'follow_up') as "impact",
                  coalesce((select json_agg(x order by x.attended desc, x.agency) from (
                      select agency, count(*) as booked, count(*) filter (where attended) as attended from booked group by agency) x), '[]')
                    as "by_agency!: Json<Vec<AgencyLine>>",
                  coalesce((select json_agg(x order by x.title) from (
                      select h.title, count(*) as sessions, sum(h.capacity)::bigint as places,
                             coalesce(sum(b.booked), 0)::bigint as booked, coalesce(sum(b.attended), 0)::bigint as attended,
                             (sum(r.rating_sum) / nullif(sum(r.rated), 0))::float8 as rating,
                             (sum(r.before_sum) / nullif(sum(r.before_n), 0))::float8 as confidence_before,
                             (sum(r.after_sum) / nullif(sum(r.after_n), 0))::float8 as confidence_after,
                             (sum(r.impact_sum) / nullif(sum(r.impact_n), 0))::float8 as impact
                      from held h
                      -- Each session's bookings and evaluations summed once, then added up by course.
                      left join (select session_id, count(*) as booked, count(*) filter (where attended) as attended
                                 from booked group by session_id) b on b.session_id = h.id
                      left join (select session_id,
                                        sum(rating) filter (where stage = 'immediate') as rating_sum,
                                        count(*) filter (where stage = 'immediate') as rated,
                                        sum(confidence_before) filter (where stage = 'immediate') as before_sum,
                                        count(confidence_before) filter (where stage = 'immediate') as before_n,
                                        sum(confidence_after) filter (where stage = 'immediate') as after_sum,
                                        count(confidence_after) filter (where stage = 'immediate') as after_n,
                                        sum(rating) filter (where stage = 'follow_up') as impact_sum,
                                        count(*) filter (where stage = 'follow_up') as impact_n
                                 from rated group by session_id) r on r.session_id = h.id
                      group by h.course_id, h.title) x), '[]') as "by_course!: Json<Vec<CourseLine>>",
                  coalesce((select json_agg(x) from (
                      select h.title as course_title, r.stage = 'follow_up' as follow_up, r.respondent = 'manager' as manager, r.comments
                      from rated r join held h on h.id = r.session_id where r.comments <> ''
                      order by r.submitted_at desc limit $4) x), '[]') as "said!: Json<Vec<Said>>",
                  coalesce((select json_agg(x order by x.starts_at) from (
                      select title as course_title, starts_at, observed_by, observation from held where observation <> '') x), '[]')
                    as "observed!: Json<Vec<Observed>>""#,
        partnership_id,
        uk_midnight(quarter.starts_on()),
        uk_midnight(quarter.ends_before()),
        COMMENTS_SHOWN
    )
    .fetch_one(conn)
    .await?;
    Ok(Figures {
        sessions: row.sessions,
        places: row.places,
        booked: row.booked,
        attended: row.attended,
        evaluations: row.evaluations,
        rating: row.rating,
        follow_ups: row.follow_ups,
        impact: row.impact,
        by_agency: row.by_agency.0,
        by_course: row.by_course.0,
        said: row.said.0,
        observed: row.observed.0,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "training/report.html")]
struct ReportPage {
    layout: Layout,
    member: Member,
    quarter: Quarter,
    figures: Figures,
    groups: Vec<(String, String)>,
    can_take: bool,
}

pub(crate) async fn report_page(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Path((_, quarter)): Path<(String, String)>,
) -> Result<Response> {
    let quarter = Quarter::in_path(&quarter)?;
    let can_take = member.roles.allows(Capability::ManageResources) && member.roles.allows(Capability::ManageMeetings);
    let mut tx = member.begin(&state).await?;
    let figures = figures(&mut tx, member.partnership.id, quarter).await?;
    let groups = if can_take {
        crate::structure::all_groups(&mut tx, member.partnership.id, false).await?.into_iter().map(|g| (g.id.to_string(), g.name)).collect()
    } else {
        Vec::new()
    };
    tx.commit().await?;
    let page = ReportPage { layout: member.layout(&session, "resources").await?, member, quarter, figures, groups, can_take };
    Ok(page.into_response())
}

#[derive(Deserialize, Default)]
pub(crate) struct PaperForm {
    #[serde(default)]
    paper_group: String,
}

/// Take the quarter's report to a group's next meeting as a PDF paper.
pub(crate) async fn add_paper(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Path((_, quarter)): Path<(String, String)>,
    ClientAddress(address): ClientAddress,
    Submitted(form): Submitted<PaperForm>,
) -> Result<Response> {
    member.require(Capability::ManageResources)?;
    member.require(Capability::ManageMeetings)?;
    let quarter = Quarter::in_path(&quarter)?;
    let back = format!("/p/{}/training/reports/{}", member.partnership.slug, quarter.code());
    let Ok(group) = Uuid::parse_str(&form.paper_group) else {
        return done(&session, "Choose the group whose meeting takes the report".to_owned(), back).await;
    };
    let mut tx = member.begin(&state).await?;
    let pid = member.partnership.id;
    let Some(meeting) = crate::meetings::next_meeting(&mut tx, pid, group).await? else {
        tx.commit().await?;
        return done(&session, "That group has no meeting planned to take the report to".to_owned(), back).await;
    };
    let figures = figures(&mut tx, pid, quarter).await?;
    let title = format!("Multi-agency training, {}", quarter.short());
    let bytes = report_pdf(&title, &member.partnership.name, quarter, &figures);
    let upload = crate::web::upload::Upload {
        title: title.clone(),
        filename: format!("training-{}.pdf", quarter.code()),
        sha256: hex::encode(Sha256::digest(&bytes)),
        bytes,
        content_type: "application/pdf",
        fields: Vec::new(),
    };
    let added = crate::papers::add(&mut tx, &state.files, &member, &address, crate::papers::Holder::Meeting(meeting.id), upload).await?;
    tx.commit().await?;
    let message = match added {
        crate::papers::Added::Added(_) => format!("{title} added to the papers of the meeting on {}", long_date(meeting.day())),
        crate::papers::Added::AlreadyThere => "That meeting already has this report among its papers".to_owned(),
    };
    done(&session, message, format!("/p/{}/meetings/{}", member.partnership.slug, meeting.id)).await
}

/// The report as a PDF: the figures, attendance by agency and by course, what was said and what was observed.
fn report_pdf(title: &str, partnership: &str, quarter: Quarter, f: &Figures) -> Vec<u8> {
    use crate::pdf::{Pack, Paragraph, Style};
    let mut p = vec![
        Paragraph::new(Style::Title, title),
        Paragraph::new(Style::Body, format!("{partnership}: {}. Produced {}.", quarter.label(), long_date(today()))),
        Paragraph::new(Style::Heading, "The quarter in figures"),
        Paragraph::new(
            Style::Body,
            format!(
                "{} sessions, {} places, {} booked, {} attended ({}). {} evaluations, average {} out of 5. {} follow-ups on practice, average {} out of 5.",
                f.sessions,
                f.places,
                f.booked,
                f.attended,
                f.attendance_rate(),
                f.evaluations,
                f.rating(),
                f.follow_ups,
                f.impact()
            ),
        ),
        Paragraph::new(Style::Heading, "Attendance by agency"),
    ];
    for a in &f.by_agency {
        p.push(Paragraph::new(Style::Body, format!("{}: {} attended of {} booked", a.agency, a.attended, a.booked)).tight());
    }
    p.push(Paragraph::new(Style::Heading, "By course"));
    for c in &f.by_course {
        p.push(
            Paragraph::new(
                Style::Body,
                format!(
                    "{}: {} sessions, {} attended of {} booked; rated {}; confidence {}; impact {}",
                    c.title,
                    c.sessions,
                    c.attended,
                    c.booked,
                    c.rating(),
                    c.confidence(),
                    c.impact()
                ),
            )
            .tight(),
        );
    }
    if !f.said.is_empty() {
        p.push(Paragraph::new(Style::Heading, "What participants and managers said"));
        for s in &f.said {
            let who = if s.manager {
                "Manager, on follow-up"
            } else if s.follow_up {
                "Participant, on follow-up"
            } else {
                "Participant"
            };
            p.push(Paragraph::new(Style::Body, format!("{} ({who}): {}", s.course_title, s.comments)).tight());
        }
    }
    if !f.observed.is_empty() {
        p.push(Paragraph::new(Style::Heading, "Observations"));
        for o in &f.observed {
            p.push(
                Paragraph::new(Style::Body, format!("{}, {} (observed by {}): {}", o.course_title, o.day(), o.observed_by, o.observation))
                    .tight(),
            );
        }
    }
    let mut pack = Pack::new(title);
    pack.text(&p);
    pack.finish()
}
