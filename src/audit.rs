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
#[derive(Clone, Debug, serde::Deserialize)]
pub struct Entry {
    pub occurred_at: DateTime<Utc>,
    pub actor_name: Option<String>,
    pub action: String,
    pub subject_type: String,
    #[serde(default)]
    pub subject_id: Option<String>,
    #[serde(default)]
    pub before: Option<Value>,
    #[serde(default)]
    pub after: Option<Value>,
    #[serde(default)]
    pub client_address: Option<String>,
}

/// The kinds of record the log speaks of, as people call them (in the order a filter offers them).
pub const KINDS: [(&str, &str); 33] = [
    ("account", "Signing in and out"),
    ("action", "Action"),
    ("agenda_item", "Agenda item"),
    ("arrangement", "Arrangements"),
    ("assurance_round", "Self-assessment round"),
    ("board_link", "Link to another board"),
    ("budget_year", "Pooled budget"),
    ("case_audit", "Multi-agency audit"),
    ("data_set", "Performance data set"),
    ("decision", "Decision"),
    ("decision_deputy", "Deputy"),
    ("engagement", "Engagement"),
    ("group", "Group"),
    ("group_member", "Seat on a group"),
    ("indicator", "Performance indicator"),
    ("library_document", "Library document"),
    ("meeting", "Meeting"),
    ("membership", "Person"),
    ("minutes", "Minutes"),
    ("organisation", "Organisation"),
    ("paper", "Paper"),
    ("partnership", "Partnership"),
    ("post", "Post"),
    ("post_holder", "Post holder"),
    ("risk", "Risk"),
    ("round_return", "Self-assessment return"),
    ("scrutiny_appointment", "Scrutiny appointment"),
    ("scrutiny_programme_item", "Scrutiny programme"),
    ("scrutiny_recommendation", "Scrutiny recommendation"),
    ("scrutiny_report", "Scrutiny report"),
    ("scrutiny_review", "Review of scrutiny"),
    ("terms_of_reference", "Terms of reference"),
    ("training", "Training"),
];

/// One field a change altered, as the log shows it.
#[derive(Debug, PartialEq, Eq)]
pub struct FieldChange {
    pub field: String,
    pub before: String,
    pub after: String,
}

/// "due_on" → "Due on"
pub fn sentence_case(code: &str) -> String {
    let text = code.replace(['.', '_'], " ");
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => text,
    }
}

/// A value of a record as a person reads it: text as it is, nothing as a dash, lists joined, the rest as written.
fn readable(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => "–".to_owned(),
        Some(Value::String(text)) if text.is_empty() => "–".to_owned(),
        Some(Value::String(text)) => text.clone(),
        Some(Value::Bool(true)) => "Yes".to_owned(),
        Some(Value::Bool(false)) => "No".to_owned(),
        Some(Value::Array(values)) => values.iter().map(|v| readable(Some(v))).collect::<Vec<_>>().join(", "),
        Some(other) => other.to_string(),
    }
}

impl Entry {
    pub fn when(&self) -> String {
        self.occurred_at.with_timezone(&chrono_tz::Europe::London).format("%-d %b %Y, %H:%M").to_string()
    }

    /// "person.added" → "Person added"
    pub fn description(&self) -> String {
        sentence_case(&self.action)
    }

    /// The kind of record, as people call it.
    pub fn kind(&self) -> &str {
        KINDS.iter().find(|(code, _)| *code == self.subject_type).map(|(_, label)| *label).unwrap_or(&self.subject_type)
    }

    /// The record's own name, as the change gave it (its title, name, heading, description or holder).
    pub fn record_name(&self) -> Option<String> {
        const NAMES: [&str; 8] = ["title", "name", "heading", "person_name", "holder_name", "board_name", "description", "theme"];
        [&self.after, &self.before].into_iter().flatten().find_map(|record| {
            NAMES.iter().find_map(|key| record.get(key).and_then(Value::as_str).filter(|name| !name.is_empty()).map(str::to_owned))
        })
    }

    /// Where the record lives in partnership `slug`, for the kinds that have a page of their own.
    pub fn href(&self, slug: &str) -> Option<String> {
        let id = self.subject_id.as_deref().filter(|id| uuid::Uuid::parse_str(id).is_ok())?;
        let path = match self.subject_type.as_str() {
            "decision" => format!("decisions/{id}"),
            "meeting" => format!("meetings/{id}"),
            "minutes" => format!("meetings/{id}/minutes"),
            "action" => format!("actions/{id}"),
            "group" => format!("groups/{id}"),
            "organisation" => format!("agencies/{id}"),
            "membership" => format!("people/{id}"),
            "post" => format!("structure/posts/{id}"),
            "scrutiny_report" => format!("scrutiny/reports/{id}"),
            "scrutiny_recommendation" => format!("scrutiny/recommendations/{id}"),
            "risk" => format!("risks/{id}"),
            "assurance_round" => format!("assurance/rounds/{id}"),
            "case_audit" => format!("audits/{id}"),
            "indicator" => format!("performance/{id}"),
            "data_set" => "performance".to_owned(),
            "round_return" => format!("assurance/returns/{id}"),
            "arrangement" => "structure/arrangements".to_owned(),
            "budget_year" => "budget".to_owned(),
            "training" => "training".to_owned(),
            "engagement" => format!("engagement/{id}"),
            "library_document" => format!("library/{id}"),
            _ => return None,
        };
        Some(format!("/p/{slug}/{path}"))
    }

    /// What the change altered, field by field: each field of the record
    /// before or after whose value differs, in the order the record lists them.
    pub fn changes(&self) -> Vec<FieldChange> {
        let empty = serde_json::Map::new();
        let before = self.before.as_ref().and_then(Value::as_object).unwrap_or(&empty);
        let after = self.after.as_ref().and_then(Value::as_object).unwrap_or(&empty);
        let mut fields: Vec<&String> = after.keys().collect();
        fields.extend(before.keys().filter(|k| !after.contains_key(*k)));
        fields
            .into_iter()
            // Ids are for the machine: the record is named and linked already.
            .filter(|field| !(field.as_str() == "id" || field.ends_with("_id") || field.ends_with("_ids")))
            .filter(|field| before.get(*field) != after.get(*field))
            .map(|field| FieldChange {
                field: sentence_case(field),
                before: if self.before.is_some() { readable(before.get(field)) } else { String::new() },
                after: if self.after.is_some() { readable(after.get(field)) } else { String::new() },
            })
            .collect()
    }
}
