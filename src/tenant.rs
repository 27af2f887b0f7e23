//! The tenant: which partnership a request belongs to and who is acting in it.
//!
//! [`Member`] is resolved inside the request's own tenant transaction, which
//! the handler then continues (see [`Member::begin`]): one transaction per request.

use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::request::Parts;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::auth::{ClaimedUser, CurrentUser, SessionClaim};
use std::sync::{Arc, Mutex};

use crate::db::{Tx, begin_tenant};
use crate::error::{AppError, Result};
use crate::roles::{Capability, Roles};
use tower_sessions::Session;

use crate::web::{AppState, HeaderWorkspace, Layout};

/// Whom a partnership's arrangements cover.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Children,
    Adults,
    AllAge,
}

impl Scope {
    pub fn code(self) -> &'static str {
        match self {
            Scope::Children => "children",
            Scope::Adults => "adults",
            Scope::AllAge => "all_age",
        }
    }
    pub fn from_code(code: &str) -> Option<Scope> {
        [Scope::Children, Scope::Adults, Scope::AllAge].into_iter().find(|s| s.code() == code)
    }
    pub fn label(self) -> &'static str {
        match self {
            Scope::Children => "Children",
            Scope::Adults => "Adults at risk",
            Scope::AllAge => "All-age: children and adults at risk",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Partnership {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub short_name: String,
    pub scope: String,
}

impl Partnership {
    pub fn scope_label(&self) -> &'static str {
        Scope::from_code(&self.scope).map(Scope::label).unwrap_or("")
    }

    pub async fn by_slug(conn: &mut PgConnection, slug: &str) -> sqlx::Result<Option<Partnership>> {
        sqlx::query_as!(Partnership, "select id, slug, name, short_name, scope from partnership where slug = $1", slug)
            .fetch_optional(conn)
            .await
    }
}

/// A signed-in person acting in one partnership's workspace (`/p/{slug}/…`).
///
/// Extraction fails with 404 for anyone who is not a member, so another
/// partnership's pages do not even admit they exist. It opens the request's
/// tenant transaction, resolves the person in it, and keeps it for the
/// handler: [`Member::begin`] hands over that same transaction.
#[derive(Clone, Debug)]
pub struct Member {
    pub user: CurrentUser,
    pub partnership: Partnership,
    pub membership_id: Uuid,
    pub organisation_name: Option<String>,
    pub job_title: String,
    pub roles: Roles,
    /// The groups this person sits on today: they read those groups' agendas, papers and circulated minutes.
    pub seats: Vec<Uuid>,
    /// The groups (still sitting) this person chairs today.
    pub chairs: Vec<Uuid>,
    request_tx: RequestTx,
}

/// The request's transaction, until the handler takes it.
#[derive(Clone, Default)]
pub struct RequestTx(Arc<Mutex<Option<Tx>>>);

impl std::fmt::Debug for RequestTx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RequestTx")
    }
}

impl RequestTx {
    fn slot(&self) -> std::sync::MutexGuard<'_, Option<Tx>> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
    fn take(&self) -> Option<Tx> {
        self.slot().take()
    }
    fn put(&self, tx: Tx) {
        *self.slot() = Some(tx);
    }
}

/// An audited change by this member in their partnership.
pub fn change<'a>(member: &Member, action: &'a str, subject_type: &'a str, id: Uuid, address: &'a str) -> crate::audit::Change<'a> {
    crate::audit::Change::new(action, subject_type)
        .in_partnership(member.partnership.id)
        .by(Some(member.user.id))
        .subject(id)
        .from_address(address)
}

impl Member {
    /// Refuse unless one of this person's roles grants `capability`.
    pub fn require(&self, capability: Capability) -> Result<()> {
        if self.roles.allows(capability) { Ok(()) } else { Err(AppError::Forbidden) }
    }

    /// Whether this person reads the group's agenda, papers and circulated
    /// minutes: a word for the pages; row-level security is what enforces it.
    pub fn sits_on(&self, group_id: Uuid) -> bool {
        self.roles.has(crate::roles::Role::BusinessManager) || self.seats.contains(&group_id)
    }

    /// The layout of a page in this partnership's workspace; `section` marks the navigation link.
    pub async fn layout(&self, session: &Session, section: &'static str) -> Result<Layout> {
        let workspace = HeaderWorkspace {
            slug: self.partnership.slug.clone(),
            name: self.partnership.name.clone(),
            can_manage_people: self.roles.allows(Capability::ManagePeople),
            section,
        };
        Layout::signed_in(session, self.user.header(), Some(workspace)).await
    }

    /// The request's transaction in this partnership's tenant context: the one
    /// the member was resolved in (or handed back with [`Member::resume`]); a
    /// new one only when that was committed or dropped.
    pub async fn begin(&self, state: &AppState) -> Result<Tx> {
        match self.request_tx.take() {
            Some(tx) => Ok(tx),
            None => Ok(begin_tenant(&state.db, self.partnership.id, Some(self.user.id)).await?),
        }
    }

    /// Hand the request's transaction back, unchanged by the handler, so that
    /// the page shown again with the form's errors reads in it (the next
    /// [`Member::begin`] takes it). Not after a failed statement: PostgreSQL
    /// has aborted that transaction, so drop it and begin anew.
    pub fn resume(&self, tx: Tx) {
        self.request_tx.put(tx);
    }
}

/// End, within the request, a transaction the handler did not take (a page
/// that only needed to know the person is a member): rolled back here rather
/// than when its connection is next used, so that its end is this request's.
pub async fn end_untaken_transaction(mut request: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    let slot = RequestTx::default();
    request.extensions_mut().insert(slot.clone());
    let response = next.run(request).await;
    if let Some(tx) = slot.take()
        && let Err(error) = tx.rollback().await
    {
        tracing::warn!(%error, "ending a request's transaction");
    }
    response
}

impl FromRequestParts<AppState> for Member {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        let params = RawPathParams::from_request_parts(parts, state).await.map_err(|_| AppError::NotFound)?;
        let slug = params.iter().find(|(k, _)| *k == "slug").map(|(_, v)| v.to_owned()).ok_or(AppError::NotFound)?;

        let claim = SessionClaim::from_request_parts(parts, state).await?;
        let mut tx = state.db.begin().await?;
        let (claimed, entered) = enter(&mut tx, state, &claim, &slug).await?;
        // The person first: a session that no longer holds is sent to sign in, whatever the address.
        let user = claim.confirm(claimed).await?;
        let entered = entered.ok_or(AppError::NotFound)?;
        Ok(Member {
            roles: Roles::from_codes(entered.roles.iter().map(String::as_str)),
            membership_id: entered.membership_id,
            organisation_name: entered.organisation_name.clone(),
            job_title: entered.job_title.clone(),
            seats: entered.seats.clone(),
            chairs: entered.chairs.clone(),
            user,
            partnership: entered.partnership.clone(),
            request_tx: {
                // The slot the request's layer ends (see `end_untaken_transaction`), when there is one.
                let slot = parts.extensions.get::<RequestTx>().cloned().unwrap_or_default();
                slot.put(tx);
                slot
            },
        })
    }
}

/// What entering a partnership found of the person in it: kept by the
/// instance, per session, until anything in the partnership is written (its
/// memberships, roles, seats and deputies are all written there: see
/// `db::changes`), so that the next page enters it again without reading them.
struct Entered {
    user_id: Uuid,
    partnership: Partnership,
    membership_id: Uuid,
    organisation_name: Option<String>,
    job_title: String,
    roles: Vec<String>,
    seats: Vec<Uuid>,
    chairs: Vec<Uuid>,
    partner: bool,
    sees_all: bool,
}

/// Read the session and the person, and enter the partnership at `slug` as
/// them, in one statement: from what was kept of their membership when
/// nothing in the partnership has changed since, otherwise reading it (see
/// `app_enter`). The session's row and the account are read every time.
async fn enter(tx: &mut Tx, state: &AppState, claim: &SessionClaim, slug: &str) -> Result<(Option<ClaimedUser>, Option<Arc<Entered>>)> {
    let key = format!("entered/{}", claim.session_id());
    let known = state.changes.partnership_of(slug);
    let kept = known.and_then(|id| state.changes.kept::<Entered>(id, &key)).filter(|entered| entered.partnership.slug == slug);
    if let Some(entered) = kept {
        let again = sqlx::query_as!(
            ClaimedUser,
            r#"select s.data as session_data, s.expiry_date as session_expiry,
                      u.id, u.email, u.display_name, u.is_platform_admin, u.password_hash,
                      case when coalesce((s.data->>'two_factor')::boolean, false) then false
                           else coalesce(app_two_factor_missing(u.id, $3), false) end as "two_factor_missing!"
               from tower_sessions.session s
               join app_user u on u.id = (s.data->>'user_id')::uuid
               where s.id = $1 and s.expiry_date > now() and u.id = $2
                 and app_enter_again($4, u.id, $5, $6, $7, $8)"#,
            claim.session_id(),
            entered.user_id,
            claim.two_factor_required(),
            entered.partnership.id,
            entered.membership_id,
            entered.sees_all,
            entered.partner,
            &entered.seats,
        )
        .fetch_optional(&mut **tx)
        .await?;
        // Signed out, or another person's session now: read it all as for a first look.
        if let Some(claimed) = again {
            return Ok((Some(claimed), Some(entered)));
        }
    }
    let mark = known.and_then(|id| state.changes.mark(id));
    // One statement: the person, the partnership, and entering it as them,
    // which also works out what they may see there (see `app_enter`).
    let found = sqlx::query!(
        r#"select s.data as session_data, s.expiry_date as session_expiry,
                  u.id, u.email, u.display_name, u.is_platform_admin, u.password_hash,
                  case when coalesce((s.data->>'two_factor')::boolean, false) then false
                       else coalesce(app_two_factor_missing(u.id, $3), false) end as "two_factor_missing!",
                  p.id as "partnership_id?", p.slug as "slug?", p.name as "name?", p.short_name as "short_name?", p.scope as "scope?",
                  m.membership_id as "membership_id?", m.organisation_name, m.job_title as "job_title?", m.roles as "roles?",
                  m.seats as "seats?", m.chairs as "chairs?", m.partner as "partner?", m.sees_all as "sees_all?"
           from tower_sessions.session s
           join app_user u on u.id = (s.data->>'user_id')::uuid
           left join partnership p on p.slug = $2
           left join lateral app_enter(p.id, u.id) m on true
           where s.id = $1 and s.expiry_date > now()"#,
        claim.session_id(),
        slug,
        claim.two_factor_required(),
    )
    .fetch_optional(&mut **tx)
    .await?;
    let Some(row) = found else { return Ok((None, None)) };
    // The partnership and the membership in it are all there, or the person is not a member of it.
    let entered = (|| {
        Some(Entered {
            user_id: row.id,
            partnership: Partnership {
                id: row.partnership_id?,
                slug: row.slug?,
                name: row.name?,
                short_name: row.short_name?,
                scope: row.scope?,
            },
            membership_id: row.membership_id?,
            organisation_name: row.organisation_name,
            job_title: row.job_title?,
            roles: row.roles?,
            seats: row.seats?,
            chairs: row.chairs?,
            partner: row.partner?,
            sees_all: row.sees_all?,
        })
    })()
    .map(Arc::new);
    if let Some(entered) = &entered {
        state.changes.learn_slug(slug, entered.partnership.id);
        // Kept only when marked, before reading, for the partnership it turned out to be.
        if let Some(mark) = mark.filter(|_| known == Some(entered.partnership.id)) {
            state.changes.keep(mark, slug, key, Arc::clone(entered));
        }
    }
    let claimed = ClaimedUser {
        session_data: row.session_data,
        session_expiry: row.session_expiry,
        id: row.id,
        email: row.email,
        display_name: row.display_name,
        is_platform_admin: row.is_platform_admin,
        password_hash: row.password_hash,
        two_factor_missing: row.two_factor_missing,
    };
    Ok((Some(claimed), entered))
}
