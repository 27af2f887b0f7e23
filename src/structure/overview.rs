//! The structure page: the arrangements at a glance, with the chart.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use chrono::NaiveDate;
use tower_sessions::Session;

use super::chart::{self, OutlineItem};
use super::{Arrangement, Attention, BoardLink, Organisation, Post, PostKind};
use crate::calendar::today;
use crate::error::Result;
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
    pub(super) layout: Layout,
    pub(super) member: Member,
    pub(super) arrangement: Arrangement,
    pub(super) partners: Vec<PartnerView>,
    /// Chair, scrutiny and other posts not tied to a statutory partner.
    pub(super) other_posts: Vec<PostLine>,
    pub(super) chart_svg: String,
    pub(super) outline: Vec<OutlineItem>,
    pub(super) links: Vec<BoardLink>,
    pub(super) attention: Vec<Attention>,
    pub(super) can_manage: bool,
    pub(super) relevant_agency_count: usize,
}

#[tracing::instrument(skip_all, fields(partnership = %member.partnership.slug))]
pub(crate) async fn structure_page(State(state): State<AppState>, session: Session, member: Member) -> Result<StructurePage> {
    let pid = member.partnership.id;
    let mut tx = member.begin(&state).await?;
    let super::Whole { arrangement, organisations, posts, links } = super::whole(&mut tx, pid).await?;
    let groups = super::all_groups(&mut tx, pid, false).await?;
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
        chart_svg: chart::draw(&member.partnership.name, &format!("/p/{}", member.partnership.slug), &groups, &links),
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
