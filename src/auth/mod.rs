//! Signing in and out, passwords, invitations, and who is asking.

pub mod invitations;
pub mod password;
pub mod sessions;
pub mod throttle;
pub mod two_factor;

pub use invitations::create as create_invitation;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;
use sqlx::PgConnection;
use tower_sessions::Session;
use uuid::Uuid;

use crate::audit::Change;
use crate::email::Email;
use crate::error::{AppError, Result};
use crate::tokens::sha256_hex;
use crate::web::Query;
use crate::web::csrf::{self, VisitorToken};
use crate::web::{AppState, ClientAddress, FormErrors, HeaderUser, Layout, Submitted, set_flash};

const USER_KEY: &str = "user_id";
/// Changes when the password changes, so other sessions of that person end.
const STAMP_KEY: &str = "auth_stamp";
/// When the session's expiry was last pushed back (seconds since 1970).
const RENEWED_KEY: &str = "renewed_at";
/// A session ends after eight hours without use; reading a page pushes that
/// back only when this much of it has passed, so that most page views write nothing.
const RENEW_AFTER_SECONDS: i64 = 3600;
/// Set when this session gave a second factor (at sign-in, or by setting one up): nothing more to ask of it.
pub(crate) const TWO_FACTOR_KEY: &str = "two_factor";

fn auth_stamp(password_hash: Option<&str>) -> String {
    sha256_hex(password_hash.unwrap_or(""))[..16].to_owned()
}

/// The signed-in person. Extracting it from a request without a valid session
/// sends the browser to `/login`.
#[derive(Clone, Debug)]
pub struct CurrentUser {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub is_platform_admin: bool,
}

impl CurrentUser {
    /// How this person appears in the page header.
    pub fn header(&self) -> HeaderUser {
        HeaderUser { display_name: self.display_name.clone(), is_platform_admin: self.is_platform_admin }
    }

    /// The layout of a page outside any partnership's workspace.
    pub async fn layout(&self, session: &Session) -> Result<Layout> {
        Layout::signed_in(session, self.header(), None).await
    }
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        let claim = SessionClaim::from_request_parts(parts, state).await?;
        let mut conn = state.db.acquire().await?;
        claim.resolve(&mut conn).await
    }
}

/// Who the session cookie says is signed in, before the database has
/// confirmed it: the session's row is read by the caller's own statement,
/// with the person (and, for a workspace, the partnership they enter), and
/// handed to the session layer so that it is not read twice.
pub struct SessionClaim {
    session: Session,
    id: tower_sessions::session::Id,
    /// Where to come back to after signing in again.
    next: String,
    /// Whether platform administrators and business managers must have a second factor (the service's setting).
    two_factor_required: bool,
}

impl FromRequestParts<AppState> for SessionClaim {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        let session =
            Session::from_request_parts(parts, state).await.map_err(|_| AppError::Internal(anyhow::anyhow!("no session layer")))?;
        let next = parts.uri.path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_else(|| "/".into());
        // The cookie's id; nothing is read yet.
        let Some(id) = session.id() else {
            return Err(AppError::SignInRequired { next });
        };
        Ok(SessionClaim { session, id, next, two_factor_required: state.config.two_factor_required })
    }
}

/// The session's row and the signed-in person's, as one statement read them
/// (the workspace reads them in the statement that enters the partnership).
pub struct ClaimedUser {
    pub session_data: serde_json::Value,
    pub session_expiry: chrono::DateTime<chrono::Utc>,
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub is_platform_admin: bool,
    pub password_hash: Option<String>,
    /// They must have a second factor and have none (and this session gave none).
    pub two_factor_missing: bool,
}

/// Push the session's end back (the session layer saves a changed session,
/// with a new expiry) when an hour has passed since it was last pushed back.
async fn renew_if_due(session: &Session) -> Result<()> {
    let now = chrono::Utc::now().timestamp();
    let renewed = session.get::<i64>(RENEWED_KEY).await?.unwrap_or(0);
    if now - renewed >= RENEW_AFTER_SECONDS {
        session.insert(RENEWED_KEY, now).await?;
    }
    Ok(())
}

impl SessionClaim {
    /// The session's id, for the statement that reads its row.
    pub fn session_id(&self) -> String {
        self.id.to_string()
    }

    /// Whether the service requires a second factor of administrators and business managers.
    pub fn two_factor_required(&self) -> bool {
        self.two_factor_required
    }

    /// The signed-in person, read on `conn` (a workspace request reads them
    /// inside its own transaction). A session whose password has changed since
    /// is ended; a person who must have a second factor and has none is sent
    /// to set it up before anything else.
    pub async fn resolve(self, conn: &mut PgConnection) -> Result<CurrentUser> {
        let row = self.read(conn, self.two_factor_required).await?;
        self.confirm(row).await
    }

    /// As [`SessionClaim::resolve`], from the row another statement read.
    pub async fn confirm(self, row: Option<ClaimedUser>) -> Result<CurrentUser> {
        match self.confirm_for_setup(row).await? {
            (_, true) => Err(AppError::TwoFactorSetupRequired),
            (user, false) => Ok(user),
        }
    }

    /// As [`SessionClaim::resolve`], for the page where the second factor is
    /// set up: the person, and whether they must set it up now.
    pub async fn resolve_for_setup(self, conn: &mut PgConnection, two_factor_required: bool) -> Result<(CurrentUser, bool)> {
        let row = self.read(conn, two_factor_required).await?;
        self.confirm_for_setup(row).await
    }

    /// The session's row and the person's, and whether they owe a second factor.
    async fn read(&self, conn: &mut PgConnection, two_factor_required: bool) -> Result<Option<ClaimedUser>> {
        Ok(sqlx::query_as!(
            ClaimedUser,
            r#"select s.data as session_data, s.expiry_date as session_expiry,
                      u.id, u.email, u.display_name, u.is_platform_admin, u.password_hash,
                      case when coalesce((s.data->>'two_factor')::boolean, false) then false
                           else coalesce(app_two_factor_missing(u.id, $2), false) end as "two_factor_missing!"
               from tower_sessions.session s
               join app_user u on u.id = (s.data->>'user_id')::uuid
               where s.id = $1 and s.expiry_date > now()"#,
            self.session_id(),
            two_factor_required,
        )
        .fetch_optional(conn)
        .await?)
    }

    async fn confirm_for_setup(self, row: Option<ClaimedUser>) -> Result<(CurrentUser, bool)> {
        // No signed-in person behind the cookie (none yet, or the session has gone): nothing to end.
        let Some(u) = row else { return Err(AppError::SignInRequired { next: self.next }) };
        let Some(record) = sessions::record(self.id, u.session_data, u.session_expiry) else { return self.refuse().await };
        let stamp = record.data.get(STAMP_KEY).and_then(serde_json::Value::as_str).unwrap_or_default().to_owned();
        // The session layer takes the row just read instead of reading it again.
        sessions::prefetched(record);
        if auth_stamp(u.password_hash.as_deref()) != stamp {
            return self.refuse().await;
        }
        renew_if_due(&self.session).await?;
        Ok((
            CurrentUser { id: u.id, email: u.email, display_name: u.display_name, is_platform_admin: u.is_platform_admin },
            u.two_factor_missing,
        ))
    }

    /// The session no longer holds (signed out, expired, or the password changed since): end it and ask to sign in.
    async fn refuse<T>(self) -> Result<T> {
        self.session.flush().await?;
        Err(AppError::SignInRequired { next: self.next })
    }
}

/// Someone who gave the right password and still owes their second factor:
/// kept in the session, which signs nobody in until the code is right.
pub(crate) struct PendingSignIn {
    pub(crate) user_id: Uuid,
    pub(crate) password_hash: String,
    pub(crate) next: String,
}

const PENDING_KEY: &str = "pending_sign_in";

impl PendingSignIn {
    async fn start(session: &Session, user_id: Uuid, password_hash: &str, next: &str) -> Result<()> {
        session.cycle_id().await?;
        csrf::rotate(session).await?;
        session.insert(PENDING_KEY, (user_id, password_hash, next, chrono::Utc::now().timestamp())).await?;
        Ok(())
    }

    /// The sign-in waiting for its code: only for ten minutes after the password.
    pub(crate) async fn read(session: &Session) -> Result<Option<PendingSignIn>> {
        let pending = session.get::<(Uuid, String, String, i64)>(PENDING_KEY).await?;
        Ok(pending
            .filter(|(_, _, _, at)| chrono::Utc::now().timestamp() - at < 600)
            .map(|(user_id, password_hash, next, _)| PendingSignIn { user_id, password_hash, next }))
    }
}

/// Only paths on this site, so a crafted link cannot send people elsewhere
/// after signing in. Browsers drop tabs and line breaks and read `\\` as `/`,
/// so `/\t/evil.example` would leave the site: no whitespace, control
/// character or backslash at all.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.chars().any(|c| c.is_control() || c.is_whitespace() || c == '\\') => {
            n.to_owned()
        }
        _ => "/".to_owned(),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "auth/login.html")]
struct LoginPage {
    layout: Layout,
    errors: FormErrors,
    email: String,
    next: String,
}

#[derive(Deserialize)]
pub(crate) struct NextQuery {
    next: Option<String>,
    signed_out: Option<String>,
}

pub(crate) async fn login_page(
    State(state): State<AppState>,
    session: Session,
    visitor: VisitorToken,
    Query(q): Query<NextQuery>,
) -> Result<Response> {
    if let Some(user_id) = session.get::<Uuid>(USER_KEY).await? {
        let exists =
            sqlx::query_scalar!("select exists (select 1 from app_user where id = $1) as \"e!\"", user_id).fetch_one(&state.db).await?;
        if exists {
            return Ok(Redirect::to(&safe_next(q.next.as_deref())).into_response());
        }
    }
    let mut layout = Layout::anonymous(&session, &visitor).await?;
    if q.signed_out.is_some() {
        layout.flash = Some("You have signed out".into());
    }
    Ok(LoginPage { layout, errors: FormErrors::default(), email: String::new(), next: safe_next(q.next.as_deref()) }.into_response())
}

#[derive(Deserialize)]
pub(crate) struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

#[tracing::instrument(skip_all)]
pub(crate) async fn login(
    State(state): State<AppState>,
    session: Session,
    visitor: VisitorToken,
    ClientAddress(address): ClientAddress,
    Submitted(form): Submitted<LoginForm>,
) -> Result<Response> {
    let next = safe_next(Some(&form.next));
    let mut errors = FormErrors::default();
    let email = errors.check("email", Email::parse(&form.email));
    if form.password.is_empty() {
        errors.add("password", "Enter your password");
    }
    let refuse = |errors: FormErrors, status: StatusCode, layout: Layout| {
        (status, LoginPage { layout, errors, email: form.email.chars().take(Email::MAX_LEN).collect(), next: next.clone() }).into_response()
    };
    let Some(email) = email.filter(|_| errors.is_empty()) else {
        return Ok(refuse(errors, StatusCode::UNPROCESSABLE_ENTITY, Layout::anonymous(&session, &visitor).await?));
    };

    // Counted before the password is checked: a burst of guesses gets no more checks than the limit.
    let Some(attempt) = throttle::attempt(&state.db, email.as_str(), &address).await? else {
        errors.add("email", "There have been too many attempts to sign in. Wait 15 minutes, then try again");
        return Ok(refuse(errors, StatusCode::TOO_MANY_REQUESTS, Layout::anonymous(&session, &visitor).await?));
    };

    let account = sqlx::query!(
        r#"select id, password_hash, totp_enabled_at is not null as "two_factor!" from app_user where email = $1"#,
        email.as_str()
    )
    .fetch_optional(&state.db)
    .await?;
    let stored = account.as_ref().and_then(|a| a.password_hash.clone());
    let matches = password::verify(form.password.clone(), stored.clone()).await?;

    let mut tx = state.db.begin().await?;
    let Some(account) = account.filter(|_| matches) else {
        Change::new("sign_in.failed", "account").after(json!({ "email": email.as_str() })).from_address(&address).record(&mut tx).await?;
        tx.commit().await?;
        errors.add("email", "Enter a correct email address and password");
        return Ok(refuse(errors, StatusCode::UNPROCESSABLE_ENTITY, Layout::anonymous(&session, &visitor).await?));
    };
    throttle::succeeded(&mut tx, attempt).await?;
    if account.two_factor {
        // The password was right; the code comes next, and only then is anyone signed in.
        Change::new("sign_in.password", "account").by(Some(account.id)).subject(account.id).from_address(&address).record(&mut tx).await?;
        tx.commit().await?;
        PendingSignIn::start(&session, account.id, stored.as_deref().unwrap_or_default(), &next).await?;
        return Ok(Redirect::to("/login/code").into_response());
    }
    Change::new("sign_in", "account").by(Some(account.id)).subject(account.id).from_address(&address).record(&mut tx).await?;
    tx.commit().await?;

    start_session(&session, account.id, stored.as_deref().unwrap_or_default()).await?;
    Ok(Redirect::to(&next).into_response())
}

pub(crate) async fn logout(State(state): State<AppState>, session: Session, ClientAddress(address): ClientAddress) -> Result<Response> {
    if let Some(user_id) = session.get::<Uuid>(USER_KEY).await? {
        let mut conn = state.db.acquire().await?;
        Change::new("sign_out", "account").by(Some(user_id)).subject(user_id).from_address(&address).record(&mut conn).await?;
    }
    // The session is deleted and its cookie removed; nothing new is stored for the visitor who is left.
    session.flush().await?;
    Ok(Redirect::to("/login?signed_out=yes").into_response())
}

/// Sign a person in on this session: a new session id, so a planted session
/// cookie is worth nothing, and a new anti-forgery token.
async fn start_session(session: &Session, user_id: Uuid, password_hash: &str) -> Result<()> {
    session.cycle_id().await?;
    csrf::rotate(session).await?;
    session.remove::<serde_json::Value>(PENDING_KEY).await?;
    // Whatever this session gave before belongs to whoever signed in before.
    session.remove::<bool>(TWO_FACTOR_KEY).await?;
    session.insert(USER_KEY, user_id).await?;
    session.insert(STAMP_KEY, auth_stamp(Some(password_hash))).await?;
    session.insert(RENEWED_KEY, chrono::Utc::now().timestamp()).await?;
    Ok(())
}

#[derive(Template, WebTemplate)]
#[template(path = "auth/password.html")]
pub(crate) struct PasswordPage {
    layout: Layout,
    errors: FormErrors,
}

pub(crate) async fn password_page(session: Session, user: CurrentUser) -> Result<PasswordPage> {
    Ok(PasswordPage { layout: user.layout(&session).await?, errors: FormErrors::default() })
}

#[derive(Deserialize)]
pub(crate) struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm_password: String,
}

pub(crate) async fn change_password(
    State(state): State<AppState>,
    session: Session,
    user: CurrentUser,
    ClientAddress(address): ClientAddress,
    Submitted(form): Submitted<PasswordForm>,
) -> Result<Response> {
    let mut errors = FormErrors::default();
    let stored = sqlx::query_scalar!("select password_hash from app_user where id = $1", user.id).fetch_one(&state.db).await?;
    if form.current_password.is_empty() {
        errors.add("current_password", "Enter your current password");
    } else if !password::verify(form.current_password.clone(), stored).await? {
        errors.add("current_password", "Your current password is not correct");
    }
    if errors.check("new_password", password::check_new(&form.new_password)).is_some() {
        if form.new_password == form.current_password {
            errors.add("new_password", "Your new password must be different from your current password");
        } else if form.confirm_password != form.new_password {
            errors.add("confirm_password", "The passwords do not match");
        }
    }
    if !errors.is_empty() {
        let page = PasswordPage { layout: user.layout(&session).await?, errors };
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let new_hash = password::hash(form.new_password).await?;
    let mut tx = state.db.begin().await?;
    sqlx::query!("update app_user set password_hash = $2 where id = $1", user.id, new_hash).execute(&mut *tx).await?;
    Change::new("password.changed", "account").by(Some(user.id)).subject(user.id).from_address(&address).record(&mut tx).await?;
    tx.commit().await?;
    // Other sessions of this person now fail their stamp check; this one carries on.
    session.insert(STAMP_KEY, auth_stamp(Some(&new_hash))).await?;
    set_flash(&session, "Your password has been changed").await?;
    Ok(Redirect::to("/").into_response())
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next(Some("/p/swindon/")), "/p/swindon/");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(None), "/");
        assert_eq!(safe_next(Some("/\t/evil.example")), "/");
        assert_eq!(safe_next(Some("/ /evil.example")), "/");
        assert_eq!(safe_next(Some("/p/\r\nSet-Cookie: x")), "/");
        assert_eq!(safe_next(Some("/p/\0")), "/");
        assert_eq!(safe_next(Some("/p/swindon/decisions?filter=open")), "/p/swindon/decisions?filter=open");
    }
}
