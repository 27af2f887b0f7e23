//! Invitation links: a person added by a business manager sets their own
//! password through a one-time link that expires after 14 days.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use sqlx::PgConnection;
use tower_sessions::Session;
use uuid::Uuid;

use super::{CurrentUser, password, start_session};
use crate::audit::Change;
use crate::error::{AppError, Result};
use crate::tokens::{random_token, sha256_hex};
use crate::web::csrf::VisitorToken;
use crate::web::{AppState, ClientAddress, FormErrors, Layout, Submitted, set_flash};

/// A new invitation for `user_id`; answers the token for the link. Only its hash is stored.
pub async fn create(conn: &mut PgConnection, user_id: Uuid, partnership_id: Option<Uuid>, invited_by: Uuid) -> sqlx::Result<String> {
    let token = random_token();
    sqlx::query!(
        "insert into invitation (token_hash, user_id, partnership_id, invited_by, expires_at)
         values ($1, $2, $3, $4, now() + interval '14 days')",
        sha256_hex(&token),
        user_id,
        partnership_id,
        invited_by,
    )
    .execute(conn)
    .await?;
    Ok(token)
}

struct Invitee {
    user_id: Uuid,
    email: String,
    display_name: String,
    /// An account that already signs in: the invitation is to join, never to set its password.
    has_password: bool,
    partnership_id: Option<Uuid>,
    partnership_slug: Option<String>,
    partnership_name: Option<String>,
}

async fn find_open(conn: &mut PgConnection, token: &str) -> sqlx::Result<Option<Invitee>> {
    sqlx::query_as!(
        Invitee,
        r#"select u.id as user_id, u.email, u.display_name, u.password_hash is not null as "has_password!",
                  p.id as "partnership_id?", p.slug as "partnership_slug?", p.name as "partnership_name?"
           from invitation i join app_user u on u.id = i.user_id
           left join partnership p on p.id = i.partnership_id
           where i.token_hash = $1 and i.used_at is null and i.expires_at > now()"#,
        sha256_hex(token)
    )
    .fetch_optional(conn)
    .await
}

#[derive(Template, WebTemplate)]
#[template(path = "auth/invitation.html")]
pub(crate) struct AcceptPage {
    layout: Layout,
    errors: FormErrors,
    token: String,
    email: String,
    display_name: String,
}

pub(crate) async fn accept_page(
    State(state): State<AppState>,
    session: Session,
    visitor: VisitorToken,
    Path(token): Path<String>,
) -> Result<Response> {
    let mut conn = state.db.acquire().await?;
    let invitee = find_open(&mut conn, &token).await?.ok_or(AppError::NotFound)?;
    if invitee.has_password {
        return Ok(Redirect::to(&format!("/invitations/{token}/join")).into_response());
    }
    Ok(AcceptPage {
        layout: Layout::anonymous(&session, &visitor).await?,
        errors: FormErrors::default(),
        token,
        email: invitee.email,
        display_name: invitee.display_name,
    }
    .into_response())
}

#[derive(Deserialize)]
pub(crate) struct AcceptForm {
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm_password: String,
}

pub(crate) async fn accept(
    State(state): State<AppState>,
    session: Session,
    visitor: VisitorToken,
    Path(token): Path<String>,
    ClientAddress(address): ClientAddress,
    Submitted(form): Submitted<AcceptForm>,
) -> Result<Response> {
    let mut errors = FormErrors::default();
    if errors.check("new_password", password::check_new(&form.new_password)).is_some() && form.confirm_password != form.new_password {
        errors.add("confirm_password", "The passwords do not match");
    }
    let mut tx = state.db.begin().await?;
    // A token never sets the password of an account that already has one.
    let invitee = find_open(&mut tx, &token).await?.filter(|i| !i.has_password).ok_or(AppError::NotFound)?;
    if !errors.is_empty() {
        let page = AcceptPage {
            layout: Layout::anonymous(&session, &visitor).await?,
            errors,
            token,
            email: invitee.email,
            display_name: invitee.display_name,
        };
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let hash = password::hash(form.new_password).await?;
    // Marking it used in the same statement that checks it keeps a double submit harmless.
    let claimed = sqlx::query!("update invitation set used_at = now() where token_hash = $1 and used_at is null", sha256_hex(&token))
        .execute(&mut *tx)
        .await?;
    if claimed.rows_affected() != 1 {
        return Err(AppError::NotFound);
    }
    sqlx::query!("update app_user set password_hash = $2 where id = $1", invitee.user_id, hash).execute(&mut *tx).await?;
    Change::new("invitation.accepted", "account")
        .by(Some(invitee.user_id))
        .subject(invitee.user_id)
        .from_address(&address)
        .record(&mut tx)
        .await?;
    tx.commit().await?;
    start_session(&session, invitee.user_id, &hash).await?;
    set_flash(&session, "Your password is set and you are signed in").await?;
    Ok(Redirect::to("/").into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "auth/join.html")]
pub(crate) struct JoinPage {
    layout: Layout,
    token: String,
    partnership_name: String,
}

/// The invitation of someone who already has an account, for them alone.
async fn invitation_for(conn: &mut PgConnection, token: &str, user: &CurrentUser) -> Result<Invitee> {
    find_open(conn, token).await?.filter(|i| i.user_id == user.id && i.has_password && i.partnership_id.is_some()).ok_or(AppError::NotFound)
}

/// Accepting an invitation to join: signed in as the person invited, nobody else.
pub(crate) async fn join_page(
    State(state): State<AppState>,
    session: Session,
    user: CurrentUser,
    Path(token): Path<String>,
) -> Result<JoinPage> {
    let mut conn = state.db.acquire().await?;
    let invitee = invitation_for(&mut conn, &token, &user).await?;
    Ok(JoinPage { layout: user.layout(&session).await?, token, partnership_name: invitee.partnership_name.unwrap_or_default() })
}

pub(crate) async fn join(
    State(state): State<AppState>,
    session: Session,
    user: CurrentUser,
    ClientAddress(address): ClientAddress,
    Path(token): Path<String>,
) -> Result<Response> {
    let mut personal = state.db.acquire().await?;
    let invitee = invitation_for(&mut personal, &token, &user).await?;
    drop(personal);
    let (Some(partnership_id), Some(slug)) = (invitee.partnership_id, invitee.partnership_slug) else { return Err(AppError::NotFound) };
    let mut tx = crate::db::begin_tenant(&state.db, partnership_id, Some(user.id)).await?;
    // Claimed and checked in one statement: a double click joins once.
    let claimed = sqlx::query!("update invitation set used_at = now() where token_hash = $1 and used_at is null", sha256_hex(&token))
        .execute(&mut *tx)
        .await?;
    if claimed.rows_affected() != 1 {
        return Ok(Redirect::to(&format!("/p/{slug}/")).into_response());
    }
    let joined = sqlx::query_scalar!(
        "update membership set accepted_at = now(), invited_name = null
         where partnership_id = $1 and user_id = $2 and accepted_at is null and removed_at is null returning id",
        partnership_id,
        user.id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    Change::new("invitation.accepted", "membership")
        .in_partnership(partnership_id)
        .by(Some(user.id))
        .subject(joined)
        .from_address(&address)
        .record(&mut tx)
        .await?;
    tx.commit().await?;
    set_flash(&session, format!("You have joined {}", invitee.partnership_name.unwrap_or_default())).await?;
    Ok(Redirect::to(&format!("/p/{slug}/")).into_response())
}
