//! What every page shares: application state, the router, the page layout,
//! anti-forgery tokens, security headers and form errors.

mod csrf;
mod forms;
mod headers;

pub use csrf::csrf_token;
pub use forms::{DateParts, FieldError, FormErrors, Submitted, optional_text, required_text};

use axum::Router;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::middleware;
use axum::routing::get;
use sqlx::PgPool;
use std::net::SocketAddr;
use std::sync::Arc;
use tower_http::services::ServeDir;
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, Session, SessionManagerLayer};
use tower_sessions_sqlx_store::PostgresStore;

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

/// Every route of the application.
pub fn build_router(state: AppState) -> Router {
    let store = PostgresStore::new(state.db.clone());
    let sessions = SessionManagerLayer::new(store)
        .with_name("hub_session")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(state.config.cookie_secure)
        .with_expiry(Expiry::OnInactivity(time::Duration::hours(8)));

    let govuk = state.config.node_modules_dir.join("govuk-frontend/dist/govuk");
    let assets = Router::new()
        .nest_service("/assets", ServeDir::new(govuk.join("assets")))
        .nest_service("/govuk", ServeDir::new(&govuk))
        .nest_service("/static", ServeDir::new(&state.config.static_dir))
        .layer(headers::cache_static());

    Router::new()
        .route("/healthz", get(healthz))
        .merge(crate::auth::router())
        .merge(crate::partnerships::router())
        .merge(crate::partnerships::workspace_router())
        .merge(crate::people::router())
        .merge(crate::structure::router())
        .merge(crate::meetings::router())
        .merge(crate::actions::router())
        .merge(crate::decisions::router())
        .merge(crate::scrutiny::router())
        .fallback(crate::error::not_found)
        .layer(middleware::from_fn(csrf::verify))
        .layer(sessions)
        .merge(assets)
        .layer(TraceLayer::new_for_http())
        .layer(headers::security())
        .with_state(state)
}

/// 200 when the database answers, 503 otherwise: for load balancers.
async fn healthz(axum::extract::State(state): axum::extract::State<AppState>) -> axum::http::StatusCode {
    match sqlx::query!("select 1 as one").fetch_one(&state.db).await {
        Ok(_) => axum::http::StatusCode::OK,
        Err(_) => axum::http::StatusCode::SERVICE_UNAVAILABLE,
    }
}

/// The address a request came from, for sign-in limits and the audit log.
/// Behind a proxy set `TRUST_FORWARDED_FOR=true` to take the first X-Forwarded-For hop.
pub struct ClientAddress(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let trust_forwarded = matches!(std::env::var("TRUST_FORWARDED_FOR").as_deref(), Ok("true" | "1"));
        if trust_forwarded
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

    pub async fn signed_in(session: &Session, user: &crate::auth::CurrentUser) -> Result<Self> {
        Ok(Self {
            user: Some(HeaderUser { display_name: user.display_name.clone(), is_platform_admin: user.is_platform_admin }),
            ..Self::anonymous(session).await?
        })
    }

    pub async fn workspace(session: &Session, member: &crate::partnerships::Member, section: &'static str) -> Result<Self> {
        let mut layout = Self::signed_in(session, &member.user).await?;
        layout.workspace = Some(HeaderWorkspace {
            slug: member.partnership.slug.clone(),
            name: member.partnership.name.clone(),
            can_manage_people: member.roles.allows(crate::roles::Capability::ManagePeople),
            section,
        });
        Ok(layout)
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
