//! One error type for every handler, turned into a proper page.
//!
//! Expected refusals (not found, not allowed, not signed in) carry no detail.
//! Unexpected failures are logged with their cause and shown as a plain
//! "sorry" page: internal text never reaches the browser. The page itself is
//! drawn by `web::error_page`, so this module imports nothing of ours.

pub type Result<T, E = AppError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    /// Not signed in: send the person to the sign-in page, then back.
    #[error("sign-in required")]
    SignInRequired { next: String },
    /// The person must set up a second factor before anything else.
    #[error("two-factor sign-in must be set up")]
    TwoFactorSetupRequired,
    /// A form arrived without this session's anti-forgery token.
    #[error("form token missing or wrong")]
    FormExpired,
    #[error("request body too large or malformed")]
    BadRequest,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<tower_sessions::session::Error> for AppError {
    fn from(e: tower_sessions::session::Error) -> Self {
        Self::Internal(anyhow::Error::new(e).context("session store"))
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        Self::Internal(anyhow::Error::new(e).context("rendering a template"))
    }
}

/// The fallback for unknown addresses.
pub async fn not_found() -> AppError {
    AppError::NotFound
}
