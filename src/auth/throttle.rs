//! Limits on failed sign-ins, per account and per address, kept in the
//! database so every instance of the app counts the same attempts.

use sqlx::{PgConnection, PgPool};

/// Failures allowed within the window before sign-in is refused.
const PER_ACCOUNT: i64 = 5;
const PER_ADDRESS: i64 = 30;
const WINDOW: &str = "15 minutes";

pub async fn too_many_failures(db: &PgPool, email: &str, address: &str) -> sqlx::Result<bool> {
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
    .fetch_one(db)
    .await?;
    Ok(counts.by_account >= PER_ACCOUNT || counts.by_address >= PER_ADDRESS)
}

pub async fn record(conn: &mut PgConnection, email: &str, address: &str, succeeded: bool) -> sqlx::Result<()> {
    sqlx::query!("insert into sign_in_attempt (email, client_address, succeeded) values ($1, $2, $3)", email, address, succeeded)
        .execute(&mut *conn)
        .await?;
    // Old attempts tell us nothing; keep the table small.
    sqlx::query!("delete from sign_in_attempt where attempted_at < now() - interval '1 day'").execute(&mut *conn).await?;
    Ok(())
}
