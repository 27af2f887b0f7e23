//! The platform administrator's pages: every partnership, and adding one with
//! its first business manager.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;
use sqlx::PgConnection;
use tower_sessions::Session;
use uuid::Uuid;

use crate::audit::Change;
use crate::auth::CurrentUser;
use crate::email::Email;
use crate::error::{AppError, Result};
use crate::people::{self, PersonName};
use crate::roles::Role;
use crate::tenant::{Partnership, Scope};
use crate::web::{AppState, ClientAddress, FormErrors, Layout, Submitted, required_line, set_flash};

fn require_platform_admin(user: &CurrentUser) -> Result<()> {
    if user.is_platform_admin { Ok(()) } else { Err(AppError::Forbidden) }
}

pub struct PartnershipSummary {
    pub slug: String,
    pub name: String,
    pub scope: String,
    pub members: i64,
}

impl PartnershipSummary {
    pub fn scope_label(&self) -> &'static str {
        Scope::from_code(&self.scope).map(Scope::label).unwrap_or("")
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/partnerships.html")]
pub(crate) struct ListPage {
    layout: Layout,
    partnerships: Vec<PartnershipSummary>,
}

pub(crate) async fn list(State(state): State<AppState>, session: Session, user: CurrentUser) -> Result<ListPage> {
    require_platform_admin(&user)?;
    // Membership rows are tenant data; the administrator sees only their counts.
    let partnerships = sqlx::query_as!(
        PartnershipSummary,
        r#"select p.slug, p.name, p.scope, coalesce(c.members, 0) as "members!"
           from partnership p left join partnership_member_counts() c on c.partnership_id = p.id
           order by p.name"#
    )
    .fetch_all(&state.db)
    .await?;
    Ok(ListPage { layout: user.layout(&session).await?, partnerships })
}

#[derive(Deserialize, Default)]
pub(crate) struct NewPartnershipForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    short_name: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    manager_name: String,
    #[serde(default)]
    manager_email: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/new_partnership.html")]
pub(crate) struct NewPage {
    layout: Layout,
    errors: FormErrors,
    form: NewPartnershipForm,
}

pub(crate) async fn new_page(session: Session, user: CurrentUser) -> Result<NewPage> {
    require_platform_admin(&user)?;
    Ok(NewPage { layout: user.layout(&session).await?, errors: FormErrors::default(), form: NewPartnershipForm::default() })
}

/// A partnership's details, checked.
pub struct NewPartnership {
    pub name: String,
    pub short_name: String,
    pub slug: String,
    pub scope: Scope,
}

pub fn parse_slug(value: &str) -> Result<String, String> {
    let slug = value.trim().to_lowercase();
    let shape_ok = !slug.is_empty()
        && slug.len() <= 60
        && slug.split('-').all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
    if slug.is_empty() {
        Err("Enter a web address name".into())
    } else if shape_ok {
        Ok(slug)
    } else {
        Err("Web address name must be 60 characters or fewer, using only letters, numbers and single hyphens, like telford-wrekin".into())
    }
}

/// Insert a partnership; answers its id. Shared by this page and the seed.
pub async fn create_partnership(conn: &mut PgConnection, p: &NewPartnership) -> sqlx::Result<Uuid> {
    let id = Uuid::new_v4();
    sqlx::query!(
        "insert into partnership (id, slug, name, short_name, scope) values ($1, $2, $3, $4, $5)",
        id,
        p.slug,
        p.name,
        p.short_name,
        p.scope.code()
    )
    .execute(conn)
    .await?;
    Ok(id)
}

pub(crate) async fn create(
    State(state): State<AppState>,
    session: Session,
    user: CurrentUser,
    ClientAddress(address): ClientAddress,
    Submitted(form): Submitted<NewPartnershipForm>,
) -> Result<Response> {
    require_platform_admin(&user)?;
    let mut errors = FormErrors::default();
    let name = errors.check("name", required_line(&form.name, "partnership's name", 200));
    let short_name = errors.check("short_name", required_line(&form.short_name, "short name", 80));
    let slug = errors.check("slug", parse_slug(&form.slug));
    let scope = errors.check("scope", Scope::from_code(&form.scope).ok_or_else(|| "Select whom the arrangements cover".to_owned()));
    let manager_name = errors.check("manager_name", PersonName::parse(&form.manager_name));
    let manager_email = errors.check("manager_email", Email::parse(&form.manager_email));

    if let Some(slug) = &slug {
        let mut conn = state.db.acquire().await?;
        if Partnership::by_slug(&mut conn, slug).await?.is_some() {
            errors.add("slug", "A partnership already uses this web address name");
        }
    }
    let (Some(name), Some(short_name), Some(slug), Some(scope), Some(manager_name), Some(manager_email)) =
        (name, short_name, slug, scope, manager_name, manager_email)
    else {
        return rerender(&session, &user, errors, form).await;
    };
    if !errors.is_empty() {
        return rerender(&session, &user, errors, form).await;
    }
    let new = NewPartnership { name, short_name, slug, scope };
    let mut tx = state.db.begin().await?;
    let partnership_id = match create_partnership(&mut tx, &new).await {
        Ok(id) => id,
        // Two administrators racing for the same slug: the unique key decides.
        Err(sqlx::Error::Database(e)) if e.constraint() == Some("partnership_slug_key") => {
            errors.add("slug", "A partnership already uses this web address name");
            return rerender(&session, &user, errors, form).await;
        }
        Err(e) => return Err(e.into()),
    };
    sqlx::query!(r#"select set_config('app.partnership_id', $1, true) as "partnership_id!""#, partnership_id.to_string())
        .fetch_one(&mut *tx)
        .await?;
    Change::new("partnership.created", "partnership")
        .in_partnership(partnership_id)
        .by(Some(user.id))
        .subject(partnership_id)
        .after(json!({ "name": new.name, "short_name": new.short_name, "slug": new.slug, "scope": new.scope.code() }))
        .from_address(&address)
        .record(&mut tx)
        .await?;
    let manager = people::NewPerson {
        name: manager_name,
        email: manager_email,
        organisation_id: None,
        job_title: "Partnership business manager".into(),
        roles: vec![Role::BusinessManager],
    };
    let added = people::add_person(&mut tx, partnership_id, &user, &manager, &address).await?;
    let (invitation, token) = &added.invitation;
    let link = format!("{}/invitations/{token}", state.config.public_url);
    people::mail_invitation(&mut tx, partnership_id, &new.name, &manager, *invitation, &link).await?;
    tx.commit().await?;
    let message = match invitation {
        people::Invitation::ToSetPassword => format!(
            "{} added. We have emailed the business manager a link to set their password; if it does not arrive, send them this one: {link}",
            new.name
        ),
        people::Invitation::ToJoin => {
            format!(
                "{} added. We have emailed the business manager an invitation to join, which they accept signed in to their account",
                new.name
            )
        }
    };
    set_flash(&session, message).await?;
    Ok(Redirect::to("/admin/partnerships").into_response())
}

async fn rerender(session: &Session, user: &CurrentUser, errors: FormErrors, form: NewPartnershipForm) -> Result<Response> {
    let page = NewPage { layout: user.layout(session).await?, errors, form };
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}
