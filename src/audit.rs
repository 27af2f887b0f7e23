//! The append-only audit log: who changed what, when, in which partnership,
//! with the record before and after. A database trigger refuses to alter it.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

/// One change, written in the same transaction as the change itself.
pub struct Change<'a> {
    pub partnership_id: Option<Uuid>,
    pub actor: Option<Uuid>,
    pub action: &'a str,
    pub subject_type: &'a str,
    pub subject_id: Option<String>,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub client_address: Option<&'a str>,
}

impl<'a> Change<'a> {
    pub fn new(action: &'a str, subject_type: &'a str) -> Self {
        Self { partnership_id: None, actor: None, action, subject_type, subject_id: None, before: None, after: None, client_address: None }
    }
    pub fn in_partnership(mut self, id: Uuid) -> Self {
        self.partnership_id = Some(id);
        self
    }
    pub fn by(mut self, user: Option<Uuid>) -> Self {
        self.actor = user;
        self
    }
    pub fn subject(mut self, id: impl ToString) -> Self {
        self.subject_id = Some(id.to_string());
        self
    }
    pub fn before(mut self, value: Value) -> Self {
        self.before = Some(value);
        self
    }
    pub fn after(mut self, value: Value) -> Self {
        self.after = Some(value);
        self
    }
    pub fn from_address(mut self, address: &'a str) -> Self {
        self.client_address = Some(address);
        self
    }

    pub async fn record(self, conn: &mut PgConnection) -> sqlx::Result<()> {
        sqlx::query!(
            "insert into audit_log (partnership_id, actor_user_id, action, subject_type, subject_id, before, after, client_address)
             values ($1, $2, $3, $4, $5, $6, $7, $8)",
            self.partnership_id,
            self.actor,
            self.action,
            self.subject_type,
            self.subject_id,
            self.before,
            self.after,
            self.client_address,
        )
        .execute(conn)
        .await?;
        Ok(())
    }
}

/// A line of the log as people read it.
#[derive(Debug, serde::Deserialize)]
pub struct Entry {
    pub occurred_at: DateTime<Utc>,
    pub actor_name: Option<String>,
    pub action: String,
    pub subject_type: String,
}

impl Entry {
    pub fn when(&self) -> String {
        self.occurred_at.format("%-d %b %Y, %H:%M").to_string()
    }

    /// "person.added" → "Person added"
    pub fn description(&self) -> String {
        let text = self.action.replace(['.', '_'], " ");
        let mut chars = text.chars();
        match chars.next() {
            Some(first) => first.to_uppercase().chain(chars).collect(),
            None => text,
        }
    }
}

/// The 200 most recent changes in a partnership. The limit is written into
/// the SQL: as a parameter it kept PostgreSQL planning the statement afresh
/// on every call.
pub async fn recent(conn: &mut PgConnection, partnership_id: Uuid) -> sqlx::Result<Vec<Entry>> {
    sqlx::query_as!(
        Entry,
        r#"select a.occurred_at as "occurred_at: DateTime<Utc>", u.display_name as "actor_name?", a.action, a.subject_type
           from audit_log a left join app_user u on u.id = a.actor_user_id
           where a.partnership_id = $1
           order by a.occurred_at desc, a.id desc
           limit 200"#,
        partnership_id,
    )
    .fetch_all(conn)
    .await
}
