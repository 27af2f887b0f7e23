//! The product's own pages, linked from every page's footer: the
//! accessibility statement, the privacy notice and the cookies we set. Anyone
//! may read them, signed in or not; they are the same for everyone, so a
//! browser or proxy keeps them by their entity tag.

use askama::Template;
use axum::http::{HeaderMap, header};
use axum::response::Response;

use crate::error::Result;
use crate::web::Layout;

#[derive(Template)]
#[template(path = "site/accessibility.html")]
struct Accessibility {
    layout: Layout,
}

#[derive(Template)]
#[template(path = "site/privacy.html")]
struct Privacy {
    layout: Layout,
}

#[derive(Template)]
#[template(path = "site/cookies.html")]
struct Cookies {
    layout: Layout,
}

fn page(headers: &HeaderMap, html: String) -> Response {
    crate::web::headers::public_page(headers.get(header::IF_NONE_MATCH), html)
}

pub(crate) async fn accessibility(headers: HeaderMap) -> Result<Response> {
    Ok(page(&headers, Accessibility { layout: Layout::bare() }.render()?))
}

pub(crate) async fn privacy(headers: HeaderMap) -> Result<Response> {
    Ok(page(&headers, Privacy { layout: Layout::bare() }.render()?))
}

pub(crate) async fn cookies(headers: HeaderMap) -> Result<Response> {
    Ok(page(&headers, Cookies { layout: Layout::bare() }.render()?))
}
