//! The multi-agency training offer (`/p/<slug>/training`): the yearly training
//! needs analysis (needs by agency and topic), the courses on offer (level,
//! audience, provider, delivered by the partnership or commissioned), their
//! sessions with bookings and attendance by agency, participants' evaluations
//! straight after a session and a follow-up on the impact on practice (theirs
//! or their manager's), an observer's notes, and the quarterly report to the
//! workforce development (or learning and development) group, assembled from
//! those records and taken to its meeting as a paper.
//!
//! Participants are practitioners from many agencies and most have no account:
//! each session has a link with a random key (`link`), through which they sign
//! in as attending and evaluate that session, and reach nothing else.

pub mod course;
pub mod link;
pub mod offer;
pub mod report;
pub mod session;

use serde::{Deserialize, Serialize};

use crate::calendar::FinancialYear;
use crate::error::{AppError, Result};

/// How far a course goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::Type, Serialize, Deserialize)]
#[sqlx(type_name = "text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Foundation,
    Intermediate,
    Advanced,
    Specialist,
}

impl Level {
    pub const ALL: [Level; 4] = [Level::Foundation, Level::Intermediate, Level::Advanced, Level::Specialist];
    pub fn code(self) -> &'static str {
        match self {
            Level::Foundation => "foundation",
            Level::Intermediate => "intermediate",
            Level::Advanced => "advanced",
            Level::Specialist => "specialist",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Level::Foundation => "Foundation",
            Level::Intermediate => "Intermediate",
            Level::Advanced => "Advanced",
            Level::Specialist => "Specialist",
        }
    }
    pub fn parse(code: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.code() == code)
    }
    pub fn options() -> Vec<(String, String)> {
        Level::ALL.iter().map(|l| (l.code().to_owned(), l.label().to_owned())).collect()
    }
}

/// Who delivers a course.
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::Type, Serialize, Deserialize)]
#[sqlx(type_name = "text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    /// By the partnership's own trainers.
    Internal,
    /// Bought from an external provider.
    Commissioned,
}

impl Delivery {
    pub fn code(self) -> &'static str {
        match self {
            Delivery::Internal => "internal",
            Delivery::Commissioned => "commissioned",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Delivery::Internal => "Delivered by the partnership",
            Delivery::Commissioned => "Commissioned",
        }
    }
    pub fn parse(code: &str) -> Option<Delivery> {
        [Delivery::Internal, Delivery::Commissioned].into_iter().find(|d| d.code() == code)
    }
    pub fn options() -> Vec<(String, String)> {
        [Delivery::Commissioned, Delivery::Internal].iter().map(|d| (d.code().to_owned(), d.label().to_owned())).collect()
    }
}

/// How pressing a training need is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::Type, Serialize, Deserialize)]
#[sqlx(type_name = "text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    High,
    Medium,
    Low,
}

impl Priority {
    pub fn code(self) -> &'static str {
        match self {
            Priority::High => "high",
            Priority::Medium => "medium",
            Priority::Low => "low",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Priority::High => "High",
            Priority::Medium => "Medium",
            Priority::Low => "Low",
        }
    }
    pub fn tag_class(self) -> &'static str {
        match self {
            Priority::High => "govuk-tag--red",
            Priority::Medium => "govuk-tag--yellow",
            Priority::Low => "govuk-tag--grey",
        }
    }
    pub fn parse(code: &str) -> Option<Priority> {
        [Priority::High, Priority::Medium, Priority::Low].into_iter().find(|p| p.code() == code)
    }
    pub fn options() -> Vec<(String, String)> {
        [Priority::High, Priority::Medium, Priority::Low].iter().map(|p| (p.code().to_owned(), p.label().to_owned())).collect()
    }
}

/// When an evaluation was given.
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::Type, Serialize, Deserialize)]
#[sqlx(type_name = "text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Straight after the session.
    Immediate,
    /// Some weeks later: the difference it made to practice.
    FollowUp,
}

/// Who gave a follow-up: the participant or their manager.
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::Type, Serialize, Deserialize)]
#[sqlx(type_name = "text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Respondent {
    Participant,
    Manager,
}

impl Respondent {
    pub fn label(self) -> &'static str {
        match self {
            Respondent::Participant => "Participant",
            Respondent::Manager => "Manager",
        }
    }
}

/// A financial quarter: "2026-27-q3" in an address, "Q3 2026-27 (October to December 2026)" on a page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quarter {
    pub year: FinancialYear,
    /// 1 to 4.
    pub number: u32,
}

impl Quarter {
    pub fn containing(date: chrono::NaiveDate) -> Quarter {
        Quarter { year: FinancialYear::containing(date), number: FinancialYear::quarter_of(date) }
    }
    pub fn starts_on(self) -> chrono::NaiveDate {
        self.year.quarter_starts_on(self.number)
    }
    /// The first day after it.
    pub fn ends_before(self) -> chrono::NaiveDate {
        self.next().starts_on()
    }
    pub fn next(self) -> Quarter {
        if self.number == 4 { Quarter { year: self.year.next(), number: 1 } } else { Quarter { year: self.year, number: self.number + 1 } }
    }
    pub fn previous(self) -> Quarter {
        if self.number == 1 {
            Quarter { year: self.year.previous(), number: 4 }
        } else {
            Quarter { year: self.year, number: self.number - 1 }
        }
    }
    pub fn code(self) -> String {
        format!("{}-q{}", self.year.label(), self.number)
    }
    pub fn label(self) -> String {
        let last = self.ends_before().pred_opt().expect("a day before");
        format!("Q{} {} ({} to {})", self.number, self.year.label(), self.starts_on().format("%B"), last.format("%B %Y"))
    }
    pub fn short(self) -> String {
        format!("Q{} {}", self.number, self.year.label())
    }
    /// "2026-27-q3" as an address writes it; anything else is not a page.
    pub fn in_path(text: &str) -> Result<Quarter> {
        let (year, number) = text.rsplit_once("-q").ok_or(AppError::NotFound)?;
        let year = FinancialYear::in_address(year).ok_or(AppError::NotFound)?;
        let number: u32 = number.parse().ok().filter(|n| (1..=4).contains(n)).ok_or(AppError::NotFound)?;
        let quarter = Quarter { year, number };
        if quarter.code() == text { Ok(quarter) } else { Err(AppError::NotFound) }
    }
}

/// The partnership's current agencies, as (id, name) for a select: those a booking or an evaluation may name.
pub(crate) async fn agencies(conn: &mut sqlx::PgConnection, partnership_id: uuid::Uuid) -> sqlx::Result<Vec<(String, String)>> {
    let rows =
        sqlx::query!("select id, name from organisation where partnership_id = $1 and retired_on is null order by name", partnership_id)
            .fetch_all(conn)
            .await?;
    Ok(rows.into_iter().map(|o| (o.id.to_string(), o.name)).collect())
}

/// An average of ratings, one decimal place, or a dash when there are none.
pub fn average(value: Option<f64>) -> String {
    value.map(|v| format!("{v:.1}")).unwrap_or_else(|| "–".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn quarters_are_financial_and_read_as_written() {
        let q = Quarter::containing(NaiveDate::from_ymd_opt(2026, 12, 7).unwrap());
        assert_eq!(q.code(), "2026-27-q3");
        assert_eq!(q.label(), "Q3 2026-27 (October to December 2026)");
        assert_eq!(Quarter::in_path("2026-27-q3").unwrap(), q);
        assert_eq!(q.next().code(), "2026-27-q4");
        assert_eq!(q.next().next().code(), "2027-28-q1");
        assert_eq!(q.next().next().previous(), q.next());
        assert_eq!(q.next().ends_before(), NaiveDate::from_ymd_opt(2027, 4, 1).unwrap());
        assert!(Quarter::in_path("2026-27-q5").is_err());
        assert!(Quarter::in_path("2026-27-q03").is_err());
        assert!(Quarter::in_path("2026-28-q1").is_err());
    }
}
