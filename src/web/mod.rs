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
pub mod upload;

pub use csrf::csrf_token;
pub use forms::{DateParts, FieldError, FormErrors, Submitted, optional_text, required_text};

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
}

/// The address a request came from, for sign-in limits and the audit log.
/// Behind a proxy set `TRUST_FORWARDED_FOR=true` to take the first X-Forwarded-For hop.
pub struct ClientAddress(pub String);

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if state.config.trust_forwarded_for
            && let Some(first) = parts.headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()).and_then(|v| v.split(',').next())
        {
            return Ok(Self(first.trim().to_owned()));
        }
        let address = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip().to_string())
            .unwrap_or_else(|| "unknown".to_owned());
        Ok(Self(address))
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

    /// For pages seen before signing in.
    pub async fn anonymous(session: &Session) -> Result<Self> {
        Ok(Self { csrf_token: csrf_token(session).await?, flash: take_flash(session).await?, ..Self::default() })
    }

    /// For a signed-in person, outside or inside a workspace.
    pub async fn signed_in(session: &Session, user: HeaderUser, workspace: Option<HeaderWorkspace>) -> Result<Self> {
        Ok(Self { user: Some(user), workspace, ..Self::anonymous(session).await? })
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

async fn take_flash(session: &Session) -> Result<Option<String>> {
    Ok(session.remove::<String>(FLASH_KEY).await?)
}
