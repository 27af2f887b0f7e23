//! What every page shares: application state, the page layout (plain data),
//! anti-forgery tokens, security headers, form errors, the upload reader and
//! the error page.
//!
//! Architecture invariant: `web` imports no domain, no `auth` and no `tenant`.
//! Those build their own [`Layout`] from the plain parts here.

pub mod csrf;
mod error_page;
mod forms;
pub mod headers;
pub mod listing;
pub mod paging;
pub mod upload;

pub use csrf::csrf_token;
pub use forms::{
    DateParts, FieldError, FormErrors, Query, Submitted, optional_line, optional_text, required_line, required_text, screen_path,
};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use sqlx::PgPool;
use std::net::SocketAddr;
use std::sync::Arc;
use tower_sessions::Session;

use crate::config::Config;
use crate::error::Result;

/// Shared by every handler.
#[derive(Clone)]
pub struct AppState {
    /// The application's pool: every connection runs as `hub_app`, bound by row-level security.
    pub db: PgPool,
    /// Settings read at start-up.
    pub config: Arc<Config>,
    /// Uploaded files (meeting papers): a local folder or an S3-compatible store.
    pub files: crate::files::Files,
    /// Readings a page keeps until its partnership's records change (see `db::changes`).
    pub changes: Arc<crate::db::changes::Changes>,
}

/// A form posted here may have changed what pages keep: tell `changes` once the
/// response is made (its transaction committed), so the page after it reads afresh.
pub async fn note_writes(
    axum::extract::State(changes): axum::extract::State<Arc<crate::db::changes::Changes>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let path = request.uri().path();
    // Signing in or out, and a practitioner's forms on a session's link, change nothing a page keeps (the link's
    // writes are heard through the database's notice, as another instance's are).
    let keeps_nothing = ["/login", "/logout", "/training/"].iter().any(|start| path.starts_with(start));
    if request.method().is_safe() || keeps_nothing {
        return next.run(request).await;
    }
    let slug = path.strip_prefix("/p/").and_then(|rest| rest.split('/').next()).map(str::to_owned);
    let response = next.run(request).await;
    changes.note_write(slug.as_deref());
    response
}

/// The address a request came from, for sign-in limits and the audit log.
/// Behind proxies, `TRUSTED_PROXIES` says how many entries of `X-Forwarded-For` to read from the right.
pub struct ClientAddress(pub String);

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(addr)| addr.ip());
        let forwarded = parts.headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect::<Vec<_>>().join(",");
        let address = client_address(peer, &forwarded, state.config.trusted_proxies);
        Ok(Self(address.map(|a| a.to_string()).unwrap_or_else(|| "unknown".to_owned())))
    }
}

/// The client's address behind `proxies` proxies of ours. Each proxy appends
/// the address it was reached from, so the entry `proxies` places from the
/// right is the last one a proxy of ours wrote; anything left of it is the
/// client's own say and is never believed. Too few entries: the peer.
pub fn client_address(peer: Option<std::net::IpAddr>, forwarded: &str, proxies: usize) -> Option<std::net::IpAddr> {
    if proxies == 0 {
        return peer;
    }
    let entries: Vec<&str> = forwarded.split(',').map(str::trim).filter(|e| !e.is_empty()).collect();
    match entries.len().checked_sub(proxies).map(|i| entries[i].parse()) {
        Some(Ok(address)) => Some(address),
        _ => peer,
    }
}

/// The person shown in the header.
#[derive(Clone, Debug)]
pub struct HeaderUser {
    pub display_name: String,
    pub is_platform_admin: bool,
}

/// The partnership whose workspace a page belongs to, for the navigation.
#[derive(Clone, Debug)]
pub struct HeaderWorkspace {
    pub slug: String,
    pub name: String,
    pub can_manage_people: bool,
    /// Which navigation link is the current page.
    pub section: &'static str,
}

/// What the base template needs on every page.
#[derive(Clone, Debug, Default)]
pub struct Layout {
    pub user: Option<HeaderUser>,
    pub workspace: Option<HeaderWorkspace>,
    pub csrf_token: String,
    pub flash: Option<String>,
}

const FLASH_KEY: &str = "flash";

impl Layout {
    /// For error pages: no session, no navigation.
    pub fn bare() -> Self {
        Self::default()
    }

    /// For pages seen before signing in: their forms carry the visitor's
    /// token, and nothing is stored for the visit.
    pub async fn anonymous(session: &Session, visitor: &csrf::VisitorToken) -> Result<Self> {
        Ok(Self { csrf_token: visitor.0.clone(), flash: take_flash(session).await?, ..Self::default() })
    }

    /// For a page of a session that signs nobody in yet (the second step of signing in).
    pub async fn for_session(session: &Session) -> Result<Self> {
        Ok(Self { csrf_token: csrf_token(session).await?, flash: take_flash(session).await?, ..Self::default() })
    }

    /// For a signed-in person, outside or inside a workspace.
    pub async fn signed_in(session: &Session, user: HeaderUser, workspace: Option<HeaderWorkspace>) -> Result<Self> {
        Ok(Self { user: Some(user), workspace, csrf_token: csrf_token(session).await?, flash: take_flash(session).await? })
    }
}

/// POST/redirect/GET with a message for the next page.
pub async fn redirect_with(session: &Session, message: String, to: String) -> Result<axum::response::Response> {
    set_flash(session, message).await?;
    Ok(axum::response::IntoResponse::into_response(axum::response::Redirect::to(&to)))
}

/// Whether a select's option is the chosen value (for templates, whatever string types they hold).
pub fn is_selected(option: impl AsRef<str>, value: impl AsRef<str>) -> bool {
    option.as_ref() == value.as_ref()
}

/// A record id from the address; anything else is a page that does not exist.
pub fn record_id(raw: &str) -> Result<uuid::Uuid> {
    uuid::Uuid::parse_str(raw).map_err(|_| crate::error::AppError::NotFound)
}

/// A one-off message shown on the next page ("Person added").
pub async fn set_flash(session: &Session, message: impl Into<String>) -> Result<()> {
    session.insert(FLASH_KEY, message.into()).await?;
    Ok(())
}

/// The message left for this page, if any. Only a page that shows one changes
/// the session: reading every other page stores nothing.
async fn take_flash(session: &Session) -> Result<Option<String>> {
    if session.get::<String>(FLASH_KEY).await?.is_none() {
        return Ok(None);
    }
    Ok(session.remove::<String>(FLASH_KEY).await?)
}

#[cfg(test)]
mod tests {
    use super::client_address;
    use std::net::IpAddr;

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn the_client_cannot_choose_its_own_address_behind_our_proxies() {
        let peer = ip("10.0.0.5");
        // The client wrote 1.2.3.4; our one proxy appended the address it saw.
        assert_eq!(client_address(peer, "1.2.3.4, 203.0.113.9", 1), ip("203.0.113.9"));
        // Two proxies of ours: the second from the right.
        assert_eq!(client_address(peer, "1.2.3.4, 203.0.113.9, 10.0.0.2", 2), ip("203.0.113.9"));
        // No proxies trusted: the header is ignored.
        assert_eq!(client_address(peer, "1.2.3.4", 0), peer);
        // Fewer entries than proxies, or rubbish: the peer.
        assert_eq!(client_address(peer, "", 1), peer);
        assert_eq!(client_address(peer, "not an address", 1), peer);
    }
}
