//! Dates as partnerships count them: financial years run April to March.

use chrono::{Datelike, NaiveDate};

/// A financial year, 1 April to 31 March, named by the calendar year it starts in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct FinancialYear {
    pub start_year: i32,
}

impl FinancialYear {
    pub fn containing(date: NaiveDate) -> Self {
        let start_year = if date.month() >= 4 { date.year() } else { date.year() - 1 };
        FinancialYear { start_year }
    }

    pub fn starts_on(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.start_year, 4, 1).expect("1 April exists")
    }

    pub fn next(self) -> Self {
        FinancialYear { start_year: self.start_year + 1 }
    }

    /// "2025/26"
    pub fn label(self) -> String {
        format!("{}/{:02}", self.start_year, (self.start_year + 1) % 100)
    }
}

/// Today in England. The server may run in UTC; the date can differ for an
/// hour around midnight in summer, which no rule here is sensitive to.
pub fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

/// "1 April 2025"
pub fn long_date(date: NaiveDate) -> String {
    date.format("%-d %B %Y").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn financial_years_turn_on_the_first_of_april() {
        assert_eq!(FinancialYear::containing(d(2025, 3, 31)).label(), "2024/25");
        assert_eq!(FinancialYear::containing(d(2025, 4, 1)).label(), "2025/26");
        assert_eq!(FinancialYear::containing(d(2025, 12, 31)).starts_on(), d(2025, 4, 1));
        assert_eq!(FinancialYear::containing(d(2099, 1, 1)).next().label(), "2099/00");
    }

    #[test]
    fn dates_read_as_people_write_them() {
        assert_eq!(long_date(d(2025, 4, 1)), "1 April 2025");
    }
}
