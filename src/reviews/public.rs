//! The partnership's public page of reviews: each published report with its
//! publication date and the summary of learning, kept up for at least the
//! partnership's setting (a year or more) after publication. Pseudonyms
//! only; nothing of the case.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::http::header::IF_NONE_MATCH;
use axum::response::Response;
use chrono::NaiveDate;
use serde::Deserialize;
use sqlx::types::Json;

use super::Kind;
use crate::calendar::long_date;
use crate::db::begin_tenant;
use crate::error::{AppError, Result};
use crate::tenant::Partnership;
use crate::web::headers::public_page;
use crate::web::{AppState, Layout};

#[derive(Debug, Deserialize)]
pub struct PublishedReview {
    pub number: i32,
    pub kind: Kind,
    pub pseudonym: String,
    pub published_on: NaiveDate,
    pub learning_summary: String,
}

#[derive(Template)]
#[template(path = "reviews/public.html")]
struct PublicReviews {
    layout: Layout,
    partnership: Partnership,
    reviews: Vec<PublishedReview>,
    dhr_label: String,
}

impl PublicReviews {
    fn kind_label(&self, review: &PublishedReview) -> String {
        review.kind.review_name(&self.dhr_label)
    }
    fn published(&self, review: &PublishedReview) -> String {
        long_date(review.published_on)
    }
}

pub(crate) async fn public_reviews(State(state): State<AppState>, Path(slug): Path<String>, headers: HeaderMap) -> Result<Response> {
    let partnership = {
        let mut conn = state.db.acquire().await?;
        Partnership::by_slug(&mut conn, &slug).await?.ok_or(AppError::NotFound)?
    };
    let mut tx = begin_tenant(&state.db, partnership.id, None).await?;
    // Published within the partnership's period (at least a year), newest first; a report not to be published never is.
    let row = sqlx::query!(
        r#"select coalesce(a.dhr_label, 'Domestic homicide review') as "dhr_label!",
                  coalesce((select json_agg(x order by x.published_on desc, x.number desc)
                            from (select v.number, v.kind, v.pseudonym, v.published_on, v.learning_summary from review v
                                  where v.partnership_id = p.id and v.published_on is not null and v.publication <> 'not_publish'
                                    and v.published_on > current_date - make_interval(months => coalesce(a.published_months, 12))
                                  order by v.published_on desc limit 200) x), '[]') as "reviews!: Json<Vec<PublishedReview>>"
           from partnership p left join review_arrangement a on a.partnership_id = p.id where p.id = $1"#,
        partnership.id
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    let html = PublicReviews { layout: Layout::bare(), partnership, reviews: row.reviews.0, dhr_label: row.dhr_label }.render()?;
    Ok(public_page(headers.get(IF_NONE_MATCH), html))
}
