//! Anti-forgery tokens: a random token kept in the session, put in every form
//! as `csrf_token`, and checked here for every request that changes state, so
//! no handler can forget it.
//!
//! A visitor who has not signed in has no session: nothing is stored for them.
//! Their forms (signing in, accepting an invitation) carry a token kept in a
//! cookie of its own instead, [`VisitorToken`], good only while the session is
//! empty: signing in starts a session whose token is new.

use axum::body::{Body, to_bytes};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_sessions::Session;

use crate::error::{AppError, Result};
use crate::tokens::constant_time_eq;
use crate::web::AppState;

const SESSION_KEY: &str = "csrf";
pub const FIELD: &str = "csrf_token";
/// Forms are small; anything bigger than this is refused before parsing.
const MAX_FORM_BYTES: usize = 2 * 1024 * 1024;

/// This session's token, created on first use.
pub async fn csrf_token(session: &Session) -> Result<String> {
    if let Some(token) = session.get::<String>(SESSION_KEY).await? {
        return Ok(token);
    }
    let token = crate::tokens::random_token();
    session.insert(SESSION_KEY, &token).await?;
    Ok(token)
}

/// A new token for the session: at sign-in, so that no token seen before it still works after it.
pub async fn rotate(session: &Session) -> Result<()> {
    session.remove::<String>(SESSION_KEY).await?;
    Ok(())
}

/// The form token of a visitor who is not signed in, kept in its own cookie.
/// Its cookie is set only by a page that puts it in a form.
#[derive(Clone, Debug)]
pub struct VisitorToken(pub String);

/// The visitor's token as the request brought it, or one made for this
/// response: made only when a page puts it in a form, and then sent as a cookie.
#[derive(Clone)]
struct Visitor {
    presented: Option<String>,
    issued: std::sync::Arc<std::sync::OnceLock<String>>,
}

impl<S: Send + Sync> FromRequestParts<S> for VisitorToken {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self> {
        let visitor = parts.extensions.get::<Visitor>().ok_or_else(|| AppError::Internal(anyhow::anyhow!("no anti-forgery layer")))?;
        let token = match &visitor.presented {
            Some(token) => token.clone(),
            None => visitor.issued.get_or_init(crate::tokens::random_token).clone(),
        };
        Ok(VisitorToken(token))
    }
}

/// Behind TLS the `__Host-` prefix stops a neighbouring site from planting the cookie.
fn visitor_cookie_name(secure: bool) -> &'static str {
    if secure { "__Host-hub_form" } else { "hub_form" }
}

fn visitor_cookie(request: &Request, name: &str) -> Option<String> {
    request
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
        .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
}

pub async fn verify(State(state): State<AppState>, session: Session, mut request: Request, next: Next) -> Response {
    let name = visitor_cookie_name(state.config.cookie_secure);
    let presented_cookie = visitor_cookie(&request, name);
    let issued = std::sync::Arc::new(std::sync::OnceLock::new());
    request.extensions_mut().insert(Visitor { presented: presented_cookie.clone(), issued: issued.clone() });
    let mut response = if matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        next.run(request).await
    } else {
        check(session, presented_cookie, request, next).await
    };
    if let Some(visitor) = issued.get() {
        let secure = if state.config.cookie_secure { "; Secure" } else { "" };
        if let Ok(value) = HeaderValue::from_str(&format!("{name}={visitor}; Path=/; HttpOnly; SameSite=Lax{secure}")) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

async fn check(session: Session, visitor: Option<String>, request: Request, next: Next) -> Response {
    // A session's own token; the visitor's cookie only while there is no session at all.
    let expected = match session.get::<String>(SESSION_KEY).await {
        Ok(Some(token)) => token,
        Ok(None) => match (visitor, session.is_empty().await) {
            (Some(token), true) => token,
            _ => return AppError::FormExpired.into_response(),
        },
        Err(e) => return AppError::from(e).into_response(),
    };
    // File uploads are not buffered here: their form carries the token in its action's query string.
    let is_multipart = request
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if is_multipart {
        let query_token = request
            .uri()
            .query()
            .and_then(|q| form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == FIELD).map(|(_, v)| v.into_owned()))
            .unwrap_or_default();
        if !constant_time_eq(query_token.as_bytes(), expected.as_bytes()) {
            return AppError::FormExpired.into_response();
        }
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let header_token = parts.headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let bytes = match to_bytes(body, MAX_FORM_BYTES).await {
        Ok(bytes) => bytes,
        Err(_) => return AppError::BadRequest.into_response(),
    };
    let form_token = form_urlencoded::parse(&bytes).find(|(k, _)| k == FIELD).map(|(_, v)| v.into_owned());
    let presented = header_token.or(form_token).unwrap_or_default();
    if !constant_time_eq(presented.as_bytes(), expected.as_bytes()) {
        tracing::warn!(path = %parts.uri.path(), "refused a form without this session's token");
        return AppError::FormExpired.into_response();
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}
