//! Where sessions are kept: a row each in PostgreSQL, its data as JSON.
//!
//! JSON rather than an opaque encoding so that the statement which resolves
//! the signed-in person (and, in a workspace, enters the partnership) can read
//! the session in the same statement. The record it read is handed to the
//! session layer through [`prefetched`], which the store's `load` takes
//! instead of asking the database again: a page view reads the session once.

use std::cell::RefCell;

use async_trait::async_trait;
use sqlx::PgPool;
use time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion, SessionStore};

tokio::task_local! {
    /// The session record this request's own statement already read.
    static PREFETCHED: RefCell<Option<Record>>;
}

/// Run a request with room for the record its statement reads (see [`prefetched`]).
/// Per request, so a record read for one request can never be handed to another.
pub async fn with_prefetch(request: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    PREFETCHED.scope(RefCell::new(None), next.run(request)).await
}

/// Hand the session layer the record a statement of this request read, so
/// that its first use of the session does not read it again.
pub fn prefetched(record: Record) {
    // Outside a request (no scope) there is nothing to hand it to; the layer then loads it.
    let _ = PREFETCHED.try_with(|slot| *slot.borrow_mut() = Some(record));
}

/// A session's record from the columns a statement read.
pub fn record(id: Id, data: serde_json::Value, expiry_date: chrono::DateTime<chrono::Utc>) -> Option<Record> {
    let serde_json::Value::Object(map) = data else { return None };
    Some(Record { id, data: map.into_iter().collect(), expiry_date: from_chrono(expiry_date) })
}

#[derive(Clone, Debug)]
pub struct SessionRows {
    pool: PgPool,
}

impl SessionRows {
    pub fn new(pool: PgPool) -> Self {
        SessionRows { pool }
    }
}

// sqlx speaks chrono here; the session layer speaks `time`.
fn to_chrono(at: OffsetDateTime) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_nanos(at.unix_timestamp_nanos().clamp(i64::MIN.into(), i64::MAX.into()) as i64)
}

fn from_chrono(at: chrono::DateTime<chrono::Utc>) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(at.timestamp_nanos_opt().unwrap_or(i64::MAX).into()).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn store_error(e: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

fn data_of(record: &Record) -> session_store::Result<serde_json::Value> {
    serde_json::to_value(&record.data).map_err(|e| session_store::Error::Encode(e.to_string()))
}

#[async_trait]
impl SessionStore for SessionRows {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // A new id until one is free: a collision of 128 random bits is as good as impossible, but never reuse a row.
        loop {
            let inserted = sqlx::query!(
                "insert into tower_sessions.session (id, data, expiry_date) values ($1, $2, $3) on conflict (id) do nothing",
                record.id.to_string(),
                data_of(record)?,
                to_chrono(record.expiry_date)
            )
            .execute(&self.pool)
            .await
            .map_err(store_error)?;
            if inserted.rows_affected() == 1 {
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        sqlx::query!(
            "insert into tower_sessions.session (id, data, expiry_date) values ($1, $2, $3)
             on conflict (id) do update set data = excluded.data, expiry_date = excluded.expiry_date",
            record.id.to_string(),
            data_of(record)?,
            to_chrono(record.expiry_date)
        )
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let prefetched = PREFETCHED.try_with(|slot| slot.borrow_mut().take_if(|r| r.id == *id)).ok().flatten();
        if let Some(record) = prefetched {
            return Ok(Some(record));
        }
        let row = sqlx::query!(
            r#"select data, expiry_date from tower_sessions.session
               where id = $1 and expiry_date > now()"#,
            id.to_string()
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(row.and_then(|r| record(*id, r.data, r.expiry_date)))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        sqlx::query!("delete from tower_sessions.session where id = $1", id.to_string()).execute(&self.pool).await.map_err(store_error)?;
        Ok(())
    }
}

#[async_trait]
impl ExpiredDeletion for SessionRows {
    async fn delete_expired(&self) -> session_store::Result<()> {
        sqlx::query!("delete from tower_sessions.session where expiry_date < now()").execute(&self.pool).await.map_err(store_error)?;
        Ok(())
    }
}
