//! Limits on failed sign-ins, per account and per address, kept in the
//! database so every instance of the app counts the same attempts.
//!
//! An attempt is counted before its password is checked, under a lock on the
//! account and the address, so that a burst of simultaneous guesses is
//! counted one by one: no more than the limit are ever checked.

use sqlx::{PgConnection, PgPool};

/// Failures allowed within the window before sign-in is refused.
const PER_ACCOUNT: i64 = 5;
const PER_ADDRESS: i64 = 30;
const WINDOW: &str = "15 minutes";

/// An attempt counted as a failure until [`succeeded`] says otherwise.
pub struct Attempt(i64);

/// Count an attempt to sign in (or to give a second-factor code) as `email`
/// from `address`; `None` when too many have failed in the window, and the
/// password or code must not be checked at all.
pub async fn attempt(db: &PgPool, email: &str, address: &str) -> sqlx::Result<Option<Attempt>> {
    let mut tx = db.begin().await?;
    // The account's lock first, then the address's: the same order everywhere, so no two attempts wait on each other in a circle.
    sqlx::query!(
        r#"select 1 as "locked!" from (select pg_advisory_xact_lock(hashtextextended('sign-in account ' || $1, 0)),
                                            pg_advisory_xact_lock(hashtextextended('sign-in address ' || $2, 0))) l"#,
        email,
        address
    )
    .fetch_one(&mut *tx)
    .await?;
    let counts = sqlx::query!(
        r#"select
             count(*) filter (where email = $1) as "by_account!",
             count(*) filter (where client_address = $2) as "by_address!"
           from sign_in_attempt
           where not succeeded and attempted_at > now() - $3::text::interval
             and (email = $1 or client_address = $2)"#,
        email,
        address,
        WINDOW,
    )
    .fetch_one(&mut *tx)
    .await?;
    if counts.by_account >= PER_ACCOUNT || counts.by_address >= PER_ADDRESS {
        tx.commit().await?;
        return Ok(None);
    }
    let id = sqlx::query_scalar!(
        "insert into sign_in_attempt (email, client_address, succeeded) values ($1, $2, false) returning id",
        email,
        address
    )
    .fetch_one(&mut *tx)
    .await?;
    // Old attempts tell us nothing; keep the table small.
    sqlx::query!("delete from sign_in_attempt where attempted_at < now() - interval '1 day'").execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(Some(Attempt(id)))
}

/// The attempt was right: it no longer counts against the account or the address.
pub async fn succeeded(conn: &mut PgConnection, attempt: Attempt) -> sqlx::Result<()> {
    sqlx::query!("update sign_in_attempt set succeeded = true where id = $1", attempt.0).execute(conn).await?;
    Ok(())
}
