//! Reading the structure: the arrangements and chart, a group, the relevant agencies.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use chrono::NaiveDate;
use serde::Deserialize;
use tower_sessions::Session;
use uuid::Uuid;

use super::chart::{self, OutlineItem};
use super::{Arrangement, Attention, BoardLink, Group, Organisation, Post, PostKind, RoleInGroup};
use crate::calendar::{long_date, today};
use crate::error::{AppError, Result};
use crate::roles::Capability;
use crate::tenant::Member;
use crate::web::{AppState, Layout};

/// A statutory partner with the people in its posts.
pub struct PartnerView {
    pub organisation: Organisation,
    pub posts: Vec<PostLine>,
}

/// A post as the arrangements summary shows it.
pub struct PostLine {
    pub post: Post,
    pub current: Option<String>,
    pub current_term: String,
    pub next: Option<String>,
    pub next_term: String,
}

impl PostLine {
    fn new(post: &Post, today: NaiveDate) -> Self {
        let current = post.current(today);
        let next = post.next(today);
        PostLine {
            current: current.map(|h| h.name.clone()),
            current_term: current.map(|h| h.term()).unwrap_or_default(),
            next: next.map(|h| h.name.clone()),
            next_term: next.map(|h| h.term()).unwrap_or_default(),
            post: post.clone(),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "structure/index.html")]
pub(crate) struct StructurePage {
    layout: Layout,
    member: Member,
    arrangement: Arrangement,
    partners: Vec<PartnerView>,
    /// Chair, scrutiny and other posts not tied to a statutory partner.
    other_posts: Vec<PostLine>,
    chart_svg: String,
    outline: Vec<OutlineItem>,
    links: Vec<BoardLink>,
    attention: Vec<Attention>,
    can_manage: bool,
    relevant_agency_count: usize,
}

#[tracing::instrument(skip_all, fields(partnership = %member.partnership.slug))]
pub(crate) async fn structure_page(State(state): State<AppState>, session: Session, member: Member) -> Result<StructurePage> {
    let pid = member.partnership.id;
    let mut tx = member.begin(&state).await?;
    let arrangement = super::arrangement(&mut tx, pid).await?;
    let organisations = super::organisations(&mut tx, pid).await?;
    let posts = super::posts(&mut tx, pid).await?;
    let groups = super::groups(&mut tx, pid, false).await?;
    let links = super::board_links(&mut tx, pid).await?;
    tx.commit().await?;

    let today = today();
    let partner_kinds = [PostKind::LeadPartner.code(), PostKind::DelegatedPartner.code()];
    let partners = organisations
        .iter()
        .filter(|o| o.is_statutory_partner && o.retired_on.is_none())
        .map(|o| PartnerView {
            organisation: o.clone(),
            posts: posts
                .iter()
                .filter(|p| p.organisation_id == Some(o.id) && partner_kinds.contains(&p.kind.as_str()))
                .map(|p| PostLine::new(p, today))
                .collect(),
        })
        .collect();
    let other_posts = posts.iter().filter(|p| !partner_kinds.contains(&p.kind.as_str())).map(|p| PostLine::new(p, today)).collect();
    let can_manage = member.roles.allows(Capability::ManageStructure);
    let attention = if can_manage {
        super::needs_attention(&member.partnership.slug, &groups, &posts, &organisations, &arrangement, today)
    } else {
        Vec::new()
    };
    Ok(StructurePage {
        layout: member.layout(&session, "structure").await?,
        chart_svg: chart::draw(&member.partnership.name, &groups, &links),
        outline: chart::outline(&groups),
        relevant_agency_count: organisations.iter().filter(|o| o.is_relevant_agency && o.retired_on.is_none()).count(),
        arrangement,
        partners,
        other_posts,
        links,
        attention,
        can_manage,
        member,
    })
}

pub struct Seat {
    pub id: Uuid,
    pub person_name: String,
    pub organisation_name: Option<String>,
    pub role_in_group: String,
    pub starts_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
}

impl Seat {
    pub fn role_label(&self) -> &str {
        RoleInGroup::label_of(&self.role_in_group)
    }
    pub fn is_current(&self, today: &NaiveDate) -> bool {
        self.starts_on <= *today && self.ends_on.is_none_or(|e| e >= *today)
    }
    pub fn period(&self) -> String {
        match self.ends_on {
            Some(end) => format!("{} to {}", long_date(self.starts_on), long_date(end)),
            None => format!("since {}", long_date(self.starts_on)),
        }
    }
}

pub struct TermsVersion {
    pub summary: String,
    pub adopted_on: NaiveDate,
    pub review_due_on: NaiveDate,
}

impl TermsVersion {
    pub fn adopted(&self) -> String {
        long_date(self.adopted_on)
    }
    pub fn review_due(&self) -> String {
        long_date(self.review_due_on)
    }
    pub fn is_overdue(&self, today: &NaiveDate) -> bool {
        self.review_due_on < *today
    }
}

pub struct GroupMeeting {
    pub id: Uuid,
    pub starts_at: chrono::DateTime<chrono::Utc>,
    pub ends_at: chrono::DateTime<chrono::Utc>,
    pub status: String,
}

impl GroupMeeting {
    pub fn when(&self) -> String {
        crate::calendar::when(self.starts_at, self.ends_at)
    }
}

/// Everything the group page shows, loaded in a fixed number of queries.
pub struct GroupDetail {
    pub group: Group,
    pub seats: Vec<Seat>,
    pub terms: Vec<TermsVersion>,
    pub subgroups: Vec<Group>,
    pub links: Vec<BoardLink>,
    /// Meetings from today on.
    pub meetings: Vec<GroupMeeting>,
    /// Open actions from the group's meetings.
    pub actions: Vec<crate::actions::Action>,
}

pub async fn load_group(state: &AppState, member: &Member, group_id: &str, include_retired: bool) -> Result<GroupDetail> {
    let group_id = Uuid::parse_str(group_id).map_err(|_| AppError::NotFound)?;
    let pid = member.partnership.id;
    let mut tx = member.begin(state).await?;
    let all = super::groups(&mut tx, pid, true).await?;
    let group = all.iter().find(|g| g.id == group_id && (include_retired || g.retired_on.is_none())).cloned().ok_or(AppError::NotFound)?;
    let seats = sqlx::query_as!(
        Seat,
        r#"select m.id, m.person_name, o.name as "organisation_name?", m.role_in_group,
                  m.starts_on as "starts_on: NaiveDate", m.ends_on as "ends_on: NaiveDate"
           from group_member m
           left join organisation o on o.partnership_id = m.partnership_id and o.id = m.organisation_id
           where m.partnership_id = $1 and m.group_id = $2
           order by array_position(array['chair', 'vice_chair', 'member', 'adviser', 'invited'], m.role_in_group),
                    m.person_name, m.starts_on"#,
        pid,
        group_id
    )
    .fetch_all(&mut *tx)
    .await?;
    let terms = sqlx::query_as!(
        TermsVersion,
        r#"select summary, adopted_on as "adopted_on: NaiveDate", review_due_on as "review_due_on: NaiveDate"
           from terms_of_reference where partnership_id = $1 and group_id = $2 order by adopted_on desc"#,
        pid,
        group_id
    )
    .fetch_all(&mut *tx)
    .await?;
    let links = super::board_links(&mut tx, pid).await?.into_iter().filter(|l| l.group_id == Some(group_id)).collect();
    let meetings = sqlx::query_as!(
        GroupMeeting,
        r#"select id, starts_at as "starts_at: chrono::DateTime<chrono::Utc>", ends_at as "ends_at: chrono::DateTime<chrono::Utc>", status
           from meeting where partnership_id = $1 and group_id = $2 and ends_at >= now() order by starts_at"#,
        pid,
        group_id
    )
    .fetch_all(&mut *tx)
    .await?;
    let actions = crate::actions::open_actions(&mut tx, pid, None, Some(group_id)).await?;
    tx.commit().await?;
    let subgroups = all.into_iter().filter(|g| g.reports_to_id == Some(group_id) && g.retired_on.is_none()).collect();
    Ok(GroupDetail { group, seats, terms, subgroups, links, meetings, actions })
}

#[derive(Template, WebTemplate)]
#[template(path = "structure/group.html")]
pub(crate) struct GroupPage {
    layout: Layout,
    member: Member,
    detail: GroupDetail,
    today: NaiveDate,
    can_manage: bool,
    can_manage_meetings: bool,
}

pub(crate) async fn group_page(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Path((_, group_id)): Path<(String, String)>,
) -> Result<GroupPage> {
    let detail = load_group(&state, &member, &group_id, true).await?;
    Ok(GroupPage {
        layout: member.layout(&session, "structure").await?,
        can_manage: member.roles.allows(Capability::ManageStructure),
        can_manage_meetings: member.roles.allows(Capability::ManageMeetings),
        today: today(),
        detail,
        member,
    })
}

#[derive(Deserialize)]
pub(crate) struct AgencyFilter {
    #[serde(default)]
    overdue: Option<String>,
}

pub struct AgencyLine {
    pub organisation: Organisation,
    pub last: String,
    pub due: String,
    pub overdue: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "structure/agencies.html")]
pub(crate) struct AgenciesPage {
    layout: Layout,
    member: Member,
    agencies: Vec<AgencyLine>,
    total: usize,
    overdue_count: usize,
    only_overdue: bool,
    interval_months: i32,
    can_manage: bool,
}

pub(crate) async fn agencies_page(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Query(filter): Query<AgencyFilter>,
) -> Result<AgenciesPage> {
    let mut tx = member.begin(&state).await?;
    let arrangement = super::arrangement(&mut tx, member.partnership.id).await?;
    let organisations = super::organisations(&mut tx, member.partnership.id).await?;
    tx.commit().await?;
    let today = today();
    let interval = arrangement.section11_interval_months;
    let all: Vec<AgencyLine> = organisations
        .into_iter()
        .filter(|o| o.is_relevant_agency && o.retired_on.is_none())
        .map(|o| AgencyLine {
            last: o.last_section11_on.map(long_date).unwrap_or_else(|| "Not recorded".into()),
            due: if o.last_section11_on.is_some() { long_date(o.section11_due(interval, today)) } else { "Now".into() },
            overdue: o.section11_overdue(interval, today),
            organisation: o,
        })
        .collect();
    let only_overdue = filter.overdue.is_some_and(|v| !v.is_empty() && v != "0");
    let total = all.len();
    let overdue_count = all.iter().filter(|a| a.overdue).count();
    let agencies = all.into_iter().filter(|a| !only_overdue || a.overdue).collect();
    Ok(AgenciesPage {
        layout: member.layout(&session, "agencies").await?,
        can_manage: member.roles.allows(Capability::ManageStructure),
        interval_months: interval,
        agencies,
        total,
        overdue_count,
        only_overdue,
        member,
    })
}
