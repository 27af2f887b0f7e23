//! Two-factor sign-in: a time-based one-time code (RFC 6238, by `totp-rs`)
//! from the person's authenticator app after their password, or one of ten
//! single-use recovery codes. Set up from the account page with a QR code
//! drawn here on the server and confirmed with a first code.
//!
//! A code is good once: the time step it was accepted for is kept, and a code
//! for that step or an earlier one is refused. Recovery codes are stored as
//! SHA-256 hashes (they are long and random, so a slow hash adds nothing).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use rand::RngCore;
use serde::Deserialize;
use serde_json::json;
use sqlx::PgConnection;
use totp_rs::{Algorithm, Secret, TOTP};
use tower_sessions::Session;
use uuid::Uuid;

use super::{CurrentUser, SessionClaim, throttle};
use crate::audit::Change;
use crate::error::{AppError, Result};
use crate::tokens::{constant_time_eq, sha256_hex};
use crate::web::{AppState, ClientAddress, FormErrors, Layout, Submitted};

const STEP_SECONDS: u64 = 30;
const DIGITS: usize = 6;
pub const RECOVERY_CODES: usize = 10;
/// The secret being set up, kept in the session until the first code confirms it.
const SETUP_KEY: &str = "two_factor_setup";

fn totp(secret: Vec<u8>) -> Option<TOTP> {
    TOTP::new(Algorithm::SHA1, DIGITS, 1, STEP_SECONDS, secret).ok()
}

/// A new secret: 160 random bits, as RFC 4226 recommends.
pub fn new_secret() -> Vec<u8> {
    let mut secret = vec![0u8; 20];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    secret
}

/// The secret as the letters a person types into an app that cannot scan.
pub fn encoded(secret: &[u8]) -> String {
    match Secret::Raw(secret.to_vec()).to_encoded() {
        Secret::Encoded(text) => text,
        Secret::Raw(_) => String::new(),
    }
}

/// The secret from the letters of [`encoded`].
pub fn decoded(text: &str) -> Option<Vec<u8>> {
    Secret::Encoded(text.to_owned()).to_bytes().ok()
}

/// The `otpauth://` address an authenticator app reads from the QR code.
pub fn otpauth_url(email: &str, secret: &[u8]) -> String {
    let label: String = form_urlencoded::byte_serialize(format!("Partnership Hub:{email}").as_bytes()).collect();
    format!(
        "otpauth://totp/{label}?secret={}&issuer=Partnership%20Hub&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
        encoded(secret)
    )
}

/// The QR code of `text` as an SVG drawing, made here: the secret never leaves the server for a third party.
pub fn qr_svg(text: &str) -> String {
    match qrcode::QrCode::new(text.as_bytes()) {
        Ok(code) => code
            .render::<qrcode::render::svg::Color>()
            .min_dimensions(200, 200)
            .dark_color(qrcode::render::svg::Color("#0b0c0c"))
            .light_color(qrcode::render::svg::Color("#ffffff"))
            .build(),
        Err(_) => String::new(),
    }
}

/// The time step `code` belongs to, if it is right for `now` (one step either side, for clocks that drift).
pub fn matching_step(secret: &[u8], code: &str, now: u64) -> Option<u64> {
    let totp = totp(secret.to_vec())?;
    let current = now / STEP_SECONDS;
    [current.saturating_sub(1), current, current + 1]
        .into_iter()
        .find(|step| constant_time_eq(totp.generate(step * STEP_SECONDS).as_bytes(), code.as_bytes()))
}

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default()
}

/// The code the person's app shows now: for tests and tools.
pub fn current_code(secret: &[u8]) -> String {
    code_at(secret, now())
}

/// The code for the time step holding `unix_time`.
pub fn code_at(secret: &[u8], unix_time: u64) -> String {
    totp(secret.to_vec()).map(|t| t.generate(unix_time)).unwrap_or_default()
}

/// What a person typed, as digits or a recovery code: spaces and dashes dropped, lower case.
fn normalised(code: &str) -> String {
    code.chars().filter(|c| !c.is_whitespace() && *c != '-').collect::<String>().to_lowercase()
}

/// Ten new recovery codes, shown once: 50 random bits each, as `xxxxx-xxxxx`.
pub fn new_recovery_codes() -> Vec<String> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    (0..RECOVERY_CODES)
        .map(|_| {
            let mut bytes = [0u8; 10];
            rand::rngs::OsRng.fill_bytes(&mut bytes);
            let letters: String = bytes.iter().map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char).collect();
            format!("{}-{}", &letters[..5], &letters[5..])
        })
        .collect()
}

/// Use a code for `user_id`: true once for each right code. A six-digit code
/// is checked against the app's secret and must be for a later time step
/// than the last one used; anything else is tried as a recovery code.
pub async fn use_code(conn: &mut PgConnection, user_id: Uuid, code: &str) -> sqlx::Result<bool> {
    let code = normalised(code);
    if code.len() == DIGITS && code.bytes().all(|b| b.is_ascii_digit()) {
        let Some(secret) = sqlx::query_scalar!("select totp_secret from app_user where id = $1 and totp_enabled_at is not null", user_id)
            .fetch_optional(&mut *conn)
            .await?
            .flatten()
        else {
            return Ok(false);
        };
        let Some(step) = matching_step(&secret, &code, now()) else { return Ok(false) };
        // Checked and recorded in one statement: the same code twice, even at once, passes once.
        let used = sqlx::query!(
            "update app_user set totp_last_step = $2 where id = $1 and totp_last_step < $2",
            user_id,
            i64::try_from(step).unwrap_or(i64::MAX)
        )
        .execute(&mut *conn)
        .await?;
        return Ok(used.rows_affected() == 1);
    }
    let used = sqlx::query!(
        "update recovery_code set used_at = now() where user_id = $1 and code_hash = $2 and used_at is null",
        user_id,
        sha256_hex(&code)
    )
    .execute(&mut *conn)
    .await?;
    Ok(used.rows_affected() == 1)
}

/// Turn the second factor on with a confirmed secret, replacing any recovery codes; answers the new codes.
async fn enable(conn: &mut PgConnection, user_id: Uuid, secret: &[u8], step: u64) -> sqlx::Result<Vec<String>> {
    sqlx::query!(
        "update app_user set totp_secret = $2, totp_enabled_at = now(), totp_last_step = $3 where id = $1",
        user_id,
        secret,
        i64::try_from(step).unwrap_or(i64::MAX)
    )
    .execute(&mut *conn)
    .await?;
    let codes = new_recovery_codes();
    sqlx::query!("delete from recovery_code where user_id = $1", user_id).execute(&mut *conn).await?;
    let hashes: Vec<String> = codes.iter().map(|c| sha256_hex(&normalised(c))).collect();
    sqlx::query!("insert into recovery_code (user_id, code_hash) select $1, unnest($2::text[])", user_id, &hashes)
        .execute(&mut *conn)
        .await?;
    Ok(codes)
}

/// Take a person's second factor away (a business manager's reset): they set it up again at their next sign-in.
pub async fn reset(conn: &mut PgConnection, user_id: Uuid) -> sqlx::Result<bool> {
    let reset = sqlx::query!(
        "update app_user set totp_secret = null, totp_enabled_at = null where id = $1 and totp_enabled_at is not null",
        user_id
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!("delete from recovery_code where user_id = $1", user_id).execute(&mut *conn).await?;
    Ok(reset.rows_affected() == 1)
}

pub async fn is_enabled(conn: &mut PgConnection, user_id: Uuid) -> sqlx::Result<bool> {
    Ok(sqlx::query_scalar!(r#"select totp_enabled_at is not null as "on!" from app_user where id = $1"#, user_id)
        .fetch_optional(conn)
        .await?
        .unwrap_or(false))
}

// ---- The account page: setting it up ----

#[derive(Template, WebTemplate)]
#[template(path = "auth/two_factor.html")]
pub(crate) struct SetupPage {
    layout: Layout,
    errors: FormErrors,
    enabled: bool,
    /// Set when the person must set it up before anything else.
    required: bool,
    qr_svg: String,
    manual_key: String,
    recovery_left: i64,
    /// Shown once, right after setting up.
    new_codes: Vec<String>,
}

async fn setup_page(state: &AppState, session: &Session, user: &CurrentUser, required: bool, errors: FormErrors) -> Result<Response> {
    let mut conn = state.db.acquire().await?;
    let enabled = is_enabled(&mut conn, user.id).await?;
    let recovery_left =
        sqlx::query_scalar!(r#"select count(*) as "n!" from recovery_code where user_id = $1 and used_at is null"#, user.id)
            .fetch_one(&mut *conn)
            .await?;
    let (qr_svg, manual_key) = if enabled {
        (String::new(), String::new())
    } else {
        // One secret per setup, kept in the session until confirmed, so reloading the page does not change the QR code.
        let key = match session.get::<String>(SETUP_KEY).await? {
            Some(key) if decoded(&key).is_some() => key,
            _ => {
                let key = encoded(&new_secret());
                session.insert(SETUP_KEY, &key).await?;
                key
            }
        };
        let secret = decoded(&key).unwrap_or_default();
        (qr_svg(&otpauth_url(&user.email, &secret)), key)
    };
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = SetupPage {
        layout: user.layout(session).await?,
        errors,
        enabled,
        required,
        qr_svg,
        manual_key,
        recovery_left,
        new_codes: Vec::new(),
    };
    Ok((status, page).into_response())
}

/// The account page for the second factor. It answers even when the person
/// must set one up first (every other page sends them here).
pub(crate) async fn account_page(State(state): State<AppState>, session: Session, claim: SessionClaim) -> Result<Response> {
    let mut conn = state.db.acquire().await?;
    let (user, required) = claim.resolve_for_setup(&mut conn, state.config.two_factor_required).await?;
    drop(conn);
    setup_page(&state, &session, &user, required, FormErrors::default()).await
}

#[derive(Deserialize)]
pub(crate) struct ConfirmForm {
    #[serde(default)]
    code: String,
}

pub(crate) async fn confirm(
    State(state): State<AppState>,
    session: Session,
    claim: SessionClaim,
    ClientAddress(address): ClientAddress,
    Submitted(form): Submitted<ConfirmForm>,
) -> Result<Response> {
    let mut conn = state.db.acquire().await?;
    let (user, required) = claim.resolve_for_setup(&mut conn, state.config.two_factor_required).await?;
    drop(conn);
    let secret = session.get::<String>(SETUP_KEY).await?.and_then(|k| decoded(&k));
    let code = normalised(&form.code);
    let step = secret.as_deref().and_then(|s| matching_step(s, &code, now()));
    let (Some(secret), Some(step)) = (secret, step) else {
        let mut errors = FormErrors::default();
        errors.add("code", "Enter the 6-digit code your authenticator app shows now");
        return setup_page(&state, &session, &user, required, errors).await;
    };
    let mut tx = state.db.begin().await?;
    let codes = enable(&mut tx, user.id, &secret, step).await?;
    Change::new("two_factor.enabled", "account").by(Some(user.id)).subject(user.id).from_address(&address).record(&mut tx).await?;
    tx.commit().await?;
    session.remove::<String>(SETUP_KEY).await?;
    session.insert(super::TWO_FACTOR_KEY, true).await?;
    let page = SetupPage {
        layout: user.layout(&session).await?,
        errors: FormErrors::default(),
        enabled: true,
        required: false,
        qr_svg: String::new(),
        manual_key: String::new(),
        recovery_left: codes.len() as i64,
        new_codes: codes,
    };
    Ok(page.into_response())
}

// ---- Signing in: the code after the password ----

#[derive(Template, WebTemplate)]
#[template(path = "auth/code.html")]
pub(crate) struct CodePage {
    layout: Layout,
    errors: FormErrors,
}

pub(crate) async fn code_page(session: Session) -> Result<Response> {
    if super::PendingSignIn::read(&session).await?.is_none() {
        return Ok(Redirect::to("/login").into_response());
    }
    let layout = Layout::for_session(&session).await?;
    Ok(CodePage { layout, errors: FormErrors::default() }.into_response())
}

pub(crate) async fn check_code(
    State(state): State<AppState>,
    session: Session,
    ClientAddress(address): ClientAddress,
    Submitted(form): Submitted<ConfirmForm>,
) -> Result<Response> {
    let Some(pending) = super::PendingSignIn::read(&session).await? else { return Ok(Redirect::to("/login").into_response()) };
    let refuse = |message: &'static str, status: StatusCode| {
        let session = session.clone();
        async move {
            let mut errors = FormErrors::default();
            errors.add("code", message);
            Ok::<_, AppError>((status, CodePage { layout: Layout::for_session(&session).await?, errors }).into_response())
        }
    };
    // Limited like the password: counted before the check, for the account and the address.
    let Some(attempt) = throttle::attempt(&state.db, &format!("second factor {}", pending.user_id), &address).await? else {
        return refuse("There have been too many attempts. Wait 15 minutes, then try again", StatusCode::TOO_MANY_REQUESTS).await;
    };
    let mut tx = state.db.begin().await?;
    if !use_code(&mut tx, pending.user_id, &form.code).await? {
        Change::new("sign_in.code_failed", "account").subject(pending.user_id).from_address(&address).record(&mut tx).await?;
        tx.commit().await?;
        return refuse("Enter the code your authenticator app shows now, or one of your recovery codes", StatusCode::UNPROCESSABLE_ENTITY)
            .await;
    }
    throttle::succeeded(&mut tx, attempt).await?;
    Change::new("sign_in", "account")
        .by(Some(pending.user_id))
        .subject(pending.user_id)
        .after(json!({ "second_factor": true }))
        .from_address(&address)
        .record(&mut tx)
        .await?;
    tx.commit().await?;
    super::start_session(&session, pending.user_id, &pending.password_hash).await?;
    session.insert(super::TWO_FACTOR_KEY, true).await?;
    Ok(Redirect::to(&pending.next).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_is_right_for_its_own_step_and_its_neighbours_only() {
        let secret = b"12345678901234567890".to_vec();
        // RFC 6238, appendix B: SHA1 at 59 seconds is 94287082 (8 digits), so 287082 in 6.
        assert_eq!(matching_step(&secret, "287082", 59), Some(1));
        assert_eq!(matching_step(&secret, "287082", 59 + 30), Some(1), "one step late is allowed");
        assert_eq!(matching_step(&secret, "287082", 59 + 90), None, "three steps late is not");
        assert_eq!(matching_step(&secret, "000000", 59), None);
    }

    #[test]
    fn recovery_codes_are_ten_distinct_and_typed_loosely() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        assert_eq!(codes.iter().collect::<std::collections::HashSet<_>>().len(), RECOVERY_CODES);
        assert_eq!(normalised(" ABCDE-fghjk "), "abcdefghjk");
    }

    #[test]
    fn the_qr_code_is_an_svg_drawing_of_the_otpauth_address() {
        let url = otpauth_url("jo@example.org", b"12345678901234567890");
        assert!(url.starts_with("otpauth://totp/Partnership+Hub%3Ajo%40example.org?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"), "{url}");
        assert!(qr_svg(&url).contains("<svg"));
    }
}
