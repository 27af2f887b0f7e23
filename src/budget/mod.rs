//! The pooled budget (`/p/<slug>/budget`): for each financial year (1 April to
//! 31 March, shown as "2025-26"), the budget lines by category, each
//! contributor's agreed contribution in cash or in kind with the invoices
//! raised and payments received, and the expenditure against the lines. The
//! year's position (income, spending, variance) and the balance carried into
//! the next year are computed in SQL from those records, never typed; a
//! partnership running children's and adults' arrangements together may split
//! its budget between them (a setting: Warwickshire's is 50/50). The lead
//! partners' agreement of the contributions is a decision of the partners,
//! raised through `decisions::raise`.
//!
//! Money is whole pennies (`Pennies`, an `i64`; `bigint` in the database):
//! nothing here is ever a float.

pub mod year;
pub mod years;

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::calendar::FinancialYear;
use crate::error::{AppError, Result};

/// An amount of money in whole pennies.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Pennies(pub i64);

/// The most the forms take: under a thousand million pounds (the database's check).
const MOST: i64 = 100_000_000_000;

impl Pennies {
    /// "£504,628", "504628.00", "1,234.5": pounds with at most two decimal places, not negative.
    pub fn parse(text: &str, what: &str) -> std::result::Result<Pennies, String> {
        let cleaned: String = text.trim().trim_start_matches('£').chars().filter(|c| *c != ',' && *c != ' ').collect();
        if cleaned.is_empty() {
            return Err(format!("Enter the {what}"));
        }
        if cleaned.starts_with('-') {
            return Err(format!("The {what} must not be negative"));
        }
        let (pounds, pence) = cleaned.split_once('.').unwrap_or((&cleaned, ""));
        let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
        if !digits(pounds) || !(pence.is_empty() || digits(pence)) {
            return Err(format!("Enter the {what} in pounds and pence, like 1,250.00"));
        }
        if pence.len() > 2 {
            return Err(format!("The {what} can have at most two decimal places"));
        }
        let pounds: i64 = pounds.parse().map_err(|_| format!("The {what} is too large"))?;
        let pence: i64 = format!("{pence:0<2}").parse().unwrap_or(0);
        let total = pounds.checked_mul(100).and_then(|p| p.checked_add(pence)).filter(|p| *p < MOST);
        total.map(Pennies).ok_or_else(|| format!("The {what} is too large"))
    }

    /// As a form shows it again: "1250.00".
    pub fn form_value(self) -> String {
        format!("{}.{:02}", self.0 / 100, self.0 % 100)
    }

    /// A share, in per cent, rounded down to the penny (the other side takes the remainder).
    pub fn share(self, percent: i16) -> Pennies {
        Pennies(self.0 * i64::from(percent) / 100)
    }
}

/// "£504,628.00", "−£1,250.50".
impl fmt::Display for Pennies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "−" } else { "" };
        let abs = self.0.unsigned_abs();
        let pounds = (abs / 100).to_string();
        let mut grouped = String::new();
        for (i, digit) in pounds.chars().enumerate() {
            if i > 0 && (pounds.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(digit);
        }
        write!(f, "{sign}£{grouped}.{:02}", abs % 100)
    }
}

impl std::ops::Add for Pennies {
    type Output = Pennies;
    fn add(self, other: Pennies) -> Pennies {
        Pennies(self.0 + other.0)
    }
}

impl std::ops::Sub for Pennies {
    type Output = Pennies;
    fn sub(self, other: Pennies) -> Pennies {
        Pennies(self.0 - other.0)
    }
}

/// What a budget line pays for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::Type, Serialize, Deserialize)]
#[sqlx(type_name = "text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum LineCategory {
    /// The business unit's staff.
    Staffing,
    /// Independent scrutiny.
    Scrutiny,
    /// Rapid reviews and practice reviews (reviewers, panels).
    Reviews,
    Training,
    Other,
}

impl LineCategory {
    pub const ALL: [LineCategory; 5] =
        [LineCategory::Staffing, LineCategory::Scrutiny, LineCategory::Reviews, LineCategory::Training, LineCategory::Other];

    pub fn code(self) -> &'static str {
        match self {
            LineCategory::Staffing => "staffing",
            LineCategory::Scrutiny => "scrutiny",
            LineCategory::Reviews => "reviews",
            LineCategory::Training => "training",
            LineCategory::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            LineCategory::Staffing => "Business unit staffing",
            LineCategory::Scrutiny => "Independent scrutiny",
            LineCategory::Reviews => "Safeguarding practice reviews",
            LineCategory::Training => "Multi-agency training",
            LineCategory::Other => "Other",
        }
    }

    pub fn parse(code: &str) -> Option<LineCategory> {
        LineCategory::ALL.into_iter().find(|c| c.code() == code)
    }

    pub fn options() -> Vec<(String, String)> {
        LineCategory::ALL.iter().map(|c| (c.code().to_owned(), c.label().to_owned())).collect()
    }
}

/// Who a contributor is to the arrangements.
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::Type, Serialize, Deserialize)]
#[sqlx(type_name = "text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum ContributorKind {
    StatutoryPartner,
    RelevantAgency,
    Other,
}

impl ContributorKind {
    pub fn label(self) -> &'static str {
        match self {
            ContributorKind::StatutoryPartner => "Statutory partner",
            ContributorKind::RelevantAgency => "Relevant agency",
            ContributorKind::Other => "Other",
        }
    }
}

/// Cash, or in kind (a post, rooms, training places), which is valued but pays for nothing in the accounts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::Type, Serialize, Deserialize)]
#[sqlx(type_name = "text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum ContributionForm {
    Cash,
    InKind,
}

impl ContributionForm {
    pub fn code(self) -> &'static str {
        match self {
            ContributionForm::Cash => "cash",
            ContributionForm::InKind => "in_kind",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            ContributionForm::Cash => "Cash",
            ContributionForm::InKind => "In kind",
        }
    }
    pub fn parse(code: &str) -> Option<ContributionForm> {
        [ContributionForm::Cash, ContributionForm::InKind].into_iter().find(|f| f.code() == code)
    }
}

/// An invoice raised for a cash contribution, or a payment received against it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::Type, Serialize, Deserialize)]
#[sqlx(type_name = "text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    Invoice,
    Payment,
}

impl EntryKind {
    pub fn code(self) -> &'static str {
        match self {
            EntryKind::Invoice => "invoice",
            EntryKind::Payment => "payment",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            EntryKind::Invoice => "Invoice raised",
            EntryKind::Payment => "Payment received",
        }
    }
    pub fn parse(code: &str) -> Option<EntryKind> {
        [EntryKind::Invoice, EntryKind::Payment].into_iter().find(|k| k.code() == code)
    }
}

/// Which arrangements a piece of spending was for, where the budget is split.
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::Type, Serialize, Deserialize)]
#[sqlx(type_name = "text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Arrangements {
    Children,
    Adults,
    /// Both, split by the year's share.
    Shared,
}

impl Arrangements {
    pub const ALL: [Arrangements; 3] = [Arrangements::Shared, Arrangements::Children, Arrangements::Adults];
    pub fn code(self) -> &'static str {
        match self {
            Arrangements::Children => "children",
            Arrangements::Adults => "adults",
            Arrangements::Shared => "shared",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Arrangements::Children => "Children",
            Arrangements::Adults => "Adults",
            Arrangements::Shared => "Both (split by the year's share)",
        }
    }
    pub fn parse(code: &str) -> Option<Arrangements> {
        Arrangements::ALL.into_iter().find(|a| a.code() == code)
    }
    pub fn options() -> Vec<(String, String)> {
        Arrangements::ALL.iter().map(|a| (a.code().to_owned(), a.label().to_owned())).collect()
    }
}

/// A year's position, as computed from its records (`years::positions`).
#[derive(Clone, Debug, Deserialize)]
pub struct Position {
    pub id: uuid::Uuid,
    pub start_year: i32,
    /// The sum of the year's budget lines.
    pub budget: Pennies,
    /// Cash contributions agreed.
    pub income: Pennies,
    /// In-kind contributions, valued.
    pub in_kind: Pennies,
    pub invoiced: Pennies,
    pub received: Pennies,
    pub spent: Pennies,
    /// The balance brought from the year before.
    pub brought_forward: Pennies,
    pub children_share_percent: Option<i16>,
}

impl Position {
    pub fn year(&self) -> FinancialYear {
        FinancialYear { start_year: self.start_year }
    }
    /// Under the budget (positive) or over it (negative).
    pub fn variance(&self) -> Pennies {
        self.budget - self.spent
    }
    /// What the year has to spend: what it brought forward and the cash agreed.
    pub fn available(&self) -> Pennies {
        self.brought_forward + self.income
    }
    /// The balance carried into the next year.
    pub fn carried_forward(&self) -> Pennies {
        self.available() - self.spent
    }
    /// Cash agreed but not yet received.
    pub fn outstanding(&self) -> Pennies {
        self.income - self.received
    }
    pub fn over_budget(&self) -> bool {
        self.variance().0 < 0
    }
}

/// A year named in an address ("2025-26"); anything else is not a page.
pub fn year_in_path(text: &str) -> Result<FinancialYear> {
    FinancialYear::in_address(text).ok_or(AppError::NotFound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_read_as_exact_pennies() {
        assert_eq!(Pennies::parse("£504,628", "budget"), Ok(Pennies(50_462_800)));
        assert_eq!(Pennies::parse("1250.5", "amount"), Ok(Pennies(125_050)));
        assert_eq!(Pennies::parse("0.07", "amount"), Ok(Pennies(7)));
        assert_eq!(Pennies::parse(" 12 ", "amount"), Ok(Pennies(1200)));
        assert_eq!(Pennies::parse("-5", "payment").unwrap_err(), "The payment must not be negative");
        assert_eq!(Pennies::parse("1.005", "amount").unwrap_err(), "The amount can have at most two decimal places");
        assert!(Pennies::parse("12a", "amount").is_err());
        assert!(Pennies::parse("", "amount").is_err());
        assert!(Pennies::parse(".5", "amount").is_err());
        assert!(Pennies::parse("1e5", "amount").is_err());
        assert!(Pennies::parse("999999999999999999999", "amount").is_err());
        assert!(Pennies::parse("1000000000", "amount").is_err());
    }

    #[test]
    fn money_is_shown_in_pounds_and_pence() {
        assert_eq!(Pennies(50_462_800).to_string(), "£504,628.00");
        assert_eq!(Pennies(-125_050).to_string(), "−£1,250.50");
        assert_eq!(Pennies(7).to_string(), "£0.07");
        assert_eq!(Pennies(100_000_000).to_string(), "£1,000,000.00");
        assert_eq!(Pennies(125_050).form_value(), "1250.50");
    }

    #[test]
    fn a_share_is_rounded_down_and_the_rest_is_the_other_side() {
        let total = Pennies(50_462_801);
        assert_eq!(total.share(50), Pennies(25_231_400));
        assert_eq!(total - total.share(50), Pennies(25_231_401));
    }

    #[test]
    fn a_year_in_an_address_is_written_one_way() {
        assert_eq!(year_in_path("2025-26").unwrap().start_year, 2025);
        assert!(year_in_path("2025/26").is_err());
        assert!(year_in_path("next").is_err());
    }
}
