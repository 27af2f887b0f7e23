//! The public decision register: every decision that has closed and is not
//! confidential, with its outcome and, for a formal vote, each partner's vote.
//! Comments, papers and open decisions stay inside the partnership. Each page
//! carries an entity tag, so a browser or proxy holding it is answered `304`.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::http::header::IF_NONE_MATCH;
use axum::response::Response;

use super::register::{Readers, RegisterLine, decided_page};
use super::{Decision, Stage, VoterLine, find, voters};
use crate::db::begin_tenant;
use crate::error::{AppError, Result};
use crate::tenant::Partnership;
use crate::web::headers::public_page;
use crate::web::paging::{PageQuery, Paged};
use crate::web::{AppState, Layout, Query, record_id};

async fn partnership(state: &AppState, slug: &str) -> Result<Partnership> {
    let mut conn = state.db.acquire().await?;
    Partnership::by_slug(&mut conn, slug).await?.ok_or(AppError::NotFound)
}

#[derive(Template, WebTemplate)]
#[template(path = "decisions/public_register.html")]
pub(crate) struct PublicRegister {
    layout: Layout,
    partnership: Partnership,
    decisions: Paged<RegisterLine>,
}

pub(crate) async fn public_register(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Query(page): Query<PageQuery>,
    headers: HeaderMap,
) -> Result<Response> {
    let partnership = partnership(&state, &slug).await?;
    let mut tx = begin_tenant(&state.db, partnership.id, None).await?;
    let decisions = decided_page(&mut tx, partnership.id, Readers::Public, &page).await?;
    tx.commit().await?;
    // No session: the public pages have no forms, so a visitor leaves nothing behind.
    let html = PublicRegister { layout: Layout::bare(), partnership, decisions }.render()?;
    Ok(public_page(headers.get(IF_NONE_MATCH), html))
}

#[derive(Template, WebTemplate)]
#[template(path = "decisions/public_decision.html")]
pub(crate) struct PublicDecision {
    layout: Layout,
    partnership: Partnership,
    decision: Decision,
    stage: Stage,
    /// Each partner's final position; shown for a formal vote, which the arrangements say is recorded.
    votes: Vec<VoterLine>,
}

pub(crate) async fn public_decision(
    State(state): State<AppState>,
    Path((slug, decision_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response> {
    let partnership = partnership(&state, &slug).await?;
    let mut tx = begin_tenant(&state.db, partnership.id, None).await?;
    let decision = find(&mut tx, partnership.id, record_id(&decision_id)?)
        .await?
        .filter(|d| !d.confidential && !d.is_open())
        .ok_or(AppError::NotFound)?;
    let stage = decision.stage();
    let votes = if stage == Stage::Vote { voters(&mut tx, partnership.id, decision.id, stage).await? } else { Vec::new() };
    tx.commit().await?;
    let html = PublicDecision { layout: Layout::bare(), partnership, decision, stage, votes }.render()?;
    Ok(public_page(headers.get(IF_NONE_MATCH), html))
}
