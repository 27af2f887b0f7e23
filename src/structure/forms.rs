//! What the structure's forms share: choosing a group, an organisation or a
//! person, ending a term, retiring a record with a date.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde_json::json;
use tower_sessions::Session;
use uuid::Uuid;

use crate::calendar::today;
use crate::db::Tx;
use crate::error::Result;
use crate::tenant::Member;
use crate::tenant::change;
use crate::web::redirect_with as done;

/// What ending a dated seat or term now means.
#[derive(Debug, PartialEq)]
pub(super) enum Ending {
    /// It has already ended, or ends today: nothing to do, so a repeated click changes nothing.
    AlreadyEnded,
    /// It has not begun: the appointment is withdrawn, not ended.
    Withdraw,
    /// It ends today.
    EndOn(NaiveDate),
}

pub(super) fn ending(starts_on: NaiveDate, ends_on: Option<NaiveDate>, today: NaiveDate) -> Ending {
    if ends_on.is_some_and(|e| e <= today) {
        Ending::AlreadyEnded
    } else if starts_on > today {
        Ending::Withdraw
    } else {
        Ending::EndOn(today)
    }
}

pub(super) fn reject<T: IntoResponse>(page: T) -> Result<Response> {
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

/// A choice in a select: (value, label).
pub type Choice = (String, String);

pub(super) async fn group_choices(tx: &mut Tx, member: &Member, except: Option<Uuid>) -> Result<Vec<Choice>> {
    Ok(super::all_groups(tx, member.partnership.id, false)
        .await?
        .into_iter()
        .filter(|g| Some(g.id) != except)
        .map(|g| (g.id.to_string(), g.name))
        .collect())
}

/// The organisations still taking part, statutory partners first: names only.
pub(super) async fn organisation_choices(tx: &mut Tx, member: &Member) -> Result<Vec<Choice>> {
    Ok(sqlx::query!(
        "select id, name from organisation where partnership_id = $1 and retired_on is null order by is_statutory_partner desc, name",
        member.partnership.id
    )
    .fetch_all(&mut **tx)
    .await?
    .into_iter()
    .map(|o| (o.id.to_string(), o.name))
    .collect())
}

/// An optional choice from a list: empty means none; anything not offered is an error.
pub(super) fn chosen(raw: &str, choices: &[Choice]) -> Result<Option<Uuid>, String> {
    match raw.trim() {
        "" => Ok(None),
        raw => choices
            .iter()
            .find(|(v, _)| v == raw)
            .and_then(|(v, _)| Uuid::parse_str(v).ok())
            .map(Some)
            .ok_or_else(|| "Select an option from the list".to_owned()),
    }
}

pub(super) fn unique_name_error(e: &sqlx::Error, constraint: &str) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.constraint() == Some(constraint))
}

/// The partnership's people, for linking a seat to someone's account.
pub(super) async fn people_choices(tx: &mut Tx, member: &Member) -> Result<Vec<Choice>> {
    Ok(crate::people::list(tx, member.partnership.id)
        .await?
        .into_iter()
        .map(|p| (p.membership_id.to_string(), format!("{} ({})", p.display_name, p.email)))
        .collect())
}

/// A record just retired, for the audit log and the message.
pub(super) struct Retirement<'a> {
    pub(super) action: &'a str,
    pub(super) subject_type: &'a str,
    /// The field that names the record in the audit log ("name", "title", "board_name").
    pub(super) field: &'a str,
    pub(super) id: Uuid,
    pub(super) name: String,
    pub(super) message: String,
    pub(super) to: String,
}

/// The end of every retirement: the audit record, the commit and the message.
pub(super) async fn retired(mut tx: Tx, session: &Session, member: &Member, address: &str, r: Retirement<'_>) -> Result<Response> {
    let named = |retired_on: Option<NaiveDate>| {
        let mut record = serde_json::Map::new();
        record.insert(r.field.to_owned(), json!(r.name));
        if let Some(day) = retired_on {
            record.insert("retired_on".to_owned(), json!(day));
        }
        serde_json::Value::Object(record)
    };
    change(member, r.action, r.subject_type, r.id, address).before(named(None)).after(named(Some(today()))).record(&mut tx).await?;
    tx.commit().await?;
    done(session, r.message, r.to).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn ending_a_term_now_depends_on_where_it_stands() {
        let today = d(2026, 11, 22);
        assert_eq!(ending(d(2025, 9, 1), Some(d(2027, 8, 31)), today), Ending::EndOn(today));
        assert_eq!(ending(d(2025, 9, 1), None, today), Ending::EndOn(today));
        assert_eq!(ending(d(2027, 9, 1), Some(d(2029, 8, 31)), today), Ending::Withdraw, "the next holder has not begun");
        assert_eq!(ending(d(2020, 1, 1), Some(d(2026, 11, 21)), today), Ending::AlreadyEnded);
        assert_eq!(ending(d(2020, 1, 1), Some(today), today), Ending::AlreadyEnded, "a second click the same day changes nothing");
    }
}
