//! Anti-forgery tokens: a random token kept in the session, put in every form
//! as `csrf_token`, and checked here for every request that changes state, so
//! no handler can forget it.

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_sessions::Session;

use crate::error::{AppError, Result};

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

pub async fn verify(session: Session, request: Request, next: Next) -> Response {
    if matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(request).await;
    }
    let expected = match session.get::<String>(SESSION_KEY).await {
        Ok(Some(token)) => token,
        Ok(None) => return AppError::FormExpired.into_response(),
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

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    #[test]
    fn tokens_compare_whole() {
        assert!(super::constant_time_eq(b"abc", b"abc"));
        assert!(!super::constant_time_eq(b"abc", b"abd"));
        assert!(!super::constant_time_eq(b"abc", b"ab"));
        assert!(!super::constant_time_eq(b"", b"a"));
    }
}
