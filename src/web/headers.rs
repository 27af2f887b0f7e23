//! Security headers on every response, and caching for static files.

use axum::http::{HeaderName, HeaderValue, header};
use tower::ServiceBuilder;
use tower::layer::util::{Identity, Stack};
use tower_http::set_header::SetResponseHeaderLayer;

type Header = SetResponseHeaderLayer<HeaderValue>;

// No inline script or style anywhere: every script is a file under our own origin.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

/// Five header layers, one on another.
type SecurityHeaders = Stack<Header, Stack<Header, Stack<Header, Stack<Header, Stack<Header, Identity>>>>>;

pub fn security() -> ServiceBuilder<SecurityHeaders> {
    let set = |name: HeaderName, value: &'static str| SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value));
    ServiceBuilder::new()
        .layer(set(header::CONTENT_SECURITY_POLICY, CSP))
        .layer(set(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(set(header::X_FRAME_OPTIONS, "DENY"))
        .layer(set(header::REFERRER_POLICY, "same-origin"))
        .layer(set(HeaderName::from_static("permissions-policy"), "camera=(), microphone=(), geolocation=()"))
}

pub fn cache_static() -> Header {
    SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"))
}

/// A public page, with an entity tag of its content: `304 Not Modified` (no
/// body) when the browser or a proxy already holds this version. Public pages
/// hold nothing personal, so they may be kept, and are checked each time.
pub fn public_page(if_none_match: Option<&HeaderValue>, html: String) -> axum::response::Response {
    use axum::response::IntoResponse;
    let tag = format!("\"{}\"", &crate::tokens::sha256_hex(&html)[..32]);
    let cache = [(header::CACHE_CONTROL, "public, no-cache")];
    let held = if_none_match
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim() == "*" || v.split(',').any(|t| t.trim().trim_start_matches("W/") == tag));
    if held {
        (axum::http::StatusCode::NOT_MODIFIED, cache, [(header::ETAG, tag)]).into_response()
    } else {
        (cache, [(header::ETAG, tag)], axum::response::Html(html)).into_response()
    }
}
