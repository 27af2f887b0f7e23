//! Dates as partnerships count them: financial years run April to March, and
//! every statutory clock counts English working days: not weekends, not
//! England-and-Wales bank holidays. The holidays ship as
//! `data/england-and-wales-bank-holidays.csv` (2019 to 2030); a one-off
//! holiday announced later is one more line there.

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Europe::London;
use std::collections::BTreeSet;
use std::sync::OnceLock;

const BANK_HOLIDAYS_CSV: &str = include_str!("../data/england-and-wales-bank-holidays.csv");

/// The bank holidays, read once from the shipped file.
fn bank_holidays() -> &'static BTreeSet<NaiveDate> {
    static HOLIDAYS: OnceLock<BTreeSet<NaiveDate>> = OnceLock::new();
    HOLIDAYS.get_or_init(|| parse_bank_holidays(BANK_HOLIDAYS_CSV).expect("the shipped bank holiday file is valid"))
}

/// `date,name` lines after a header; errors name the line.
pub fn parse_bank_holidays(csv: &str) -> Result<BTreeSet<NaiveDate>, String> {
    let mut dates = BTreeSet::new();
    for (n, line) in csv.lines().enumerate().skip(1) {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let date = line.split(',').next().unwrap_or_default();
        let parsed = NaiveDate::parse_from_str(date, "%Y-%m-%d").map_err(|e| format!("line {}: {date:?} is not a date: {e}", n + 1))?;
        dates.insert(parsed);
    }
    Ok(dates)
}

/// The first and last years the shipped calendar covers.
pub fn bank_holiday_years() -> (i32, i32) {
    let h = bank_holidays();
    (h.first().map(|d| d.year()).unwrap_or(0), h.last().map(|d| d.year()).unwrap_or(0))
}

pub fn is_bank_holiday(date: NaiveDate) -> bool {
    bank_holidays().contains(&date)
}

pub fn is_working_day(date: NaiveDate) -> bool {
    !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) && !is_bank_holiday(date)
}

/// The working day `n` working days before `date` (the deadline for
/// something due "n working days before" a meeting on `date`).
pub fn working_days_before(date: NaiveDate, n: u32) -> NaiveDate {
    let mut day = date;
    let mut left = n;
    while left > 0 {
        day = day.pred_opt().expect("dates stay in range");
        if is_working_day(day) {
            left -= 1;
        }
    }
    day
}

/// The working day `n` working days after `date`.
pub fn working_days_after(date: NaiveDate, n: u32) -> NaiveDate {
    let mut day = date;
    let mut left = n;
    while left > 0 {
        day = day.succ_opt().expect("dates stay in range");
        if is_working_day(day) {
            left -= 1;
        }
    }
    day
}

/// Working days from `from` up to `to`, counting `to` but not `from`; negative when `to` is earlier.
pub fn working_days_between(from: NaiveDate, to: NaiveDate) -> i64 {
    let (start, end, sign) = if from <= to { (from, to, 1) } else { (to, from, -1) };
    let mut count = 0;
    let mut day = start;
    while day < end {
        day = day.succ_opt().expect("dates stay in range");
        if is_working_day(day) {
            count += 1;
        }
    }
    sign * count
}

/// `date` if it is a working day, otherwise the next one.
pub fn next_working_day_from(date: NaiveDate) -> NaiveDate {
    let mut day = date;
    while !is_working_day(day) {
        day = day.succ_opt().expect("dates stay in range");
    }
    day
}

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

    pub fn previous(self) -> Self {
        FinancialYear { start_year: self.start_year - 1 }
    }

    /// 31 March.
    pub fn ends_on(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.start_year + 1, 3, 31).expect("31 March exists")
    }

    pub fn contains(self, date: NaiveDate) -> bool {
        FinancialYear::containing(date) == self
    }

    /// "2025-26", as partnerships write it.
    pub fn label(self) -> String {
        format!("{}-{:02}", self.start_year, (self.start_year + 1) % 100)
    }

    /// "2025-26" (or "2025/26"), the year it names; anything else is none.
    pub fn parse(text: &str) -> Option<Self> {
        let (start, end) = text.trim().split_once(['-', '/'])?;
        let start_year: i32 = start.parse().ok().filter(|y| (2000..=2200).contains(y))?;
        let two_digits = end.len() == 2 && end.bytes().all(|b| b.is_ascii_digit());
        let end: i32 = end.parse().ok()?;
        (two_digits && end == (start_year + 1) % 100).then_some(FinancialYear { start_year })
    }

    /// A year as an address writes it ("2025-26" and nothing else).
    pub fn in_address(text: &str) -> Option<Self> {
        FinancialYear::parse(text).filter(|y| y.label() == text)
    }

    /// The financial quarter (1 to 4: April, July, October, January) holding `date`.
    pub fn quarter_of(date: NaiveDate) -> u32 {
        (date.month() + 8) % 12 / 3 + 1
    }

    /// The first day of quarter `n` (1 to 4) of this year.
    pub fn quarter_starts_on(self, n: u32) -> NaiveDate {
        self.starts_on().checked_add_months(chrono::Months::new(3 * (n.clamp(1, 4) - 1))).expect("a quarter's first day")
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

/// England's clock: meeting times are entered and shown in UK time.
pub fn uk_datetime(date: NaiveDate, time: NaiveTime) -> Option<DateTime<Utc>> {
    // An hour that does not exist (the spring change) is refused; an ambiguous one takes the earlier.
    London.from_local_datetime(&date.and_time(time)).earliest().map(|t| t.with_timezone(&Utc))
}

pub fn uk_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&London).date_naive()
}

/// The moment a day begins in England.
pub fn uk_midnight(date: NaiveDate) -> DateTime<Utc> {
    uk_datetime(date, NaiveTime::MIN).unwrap_or_else(|| date.and_time(NaiveTime::MIN).and_utc())
}

/// "10:00", in UK time.
pub fn uk_time(at: DateTime<Utc>) -> String {
    at.with_timezone(&London).format("%H:%M").to_string()
}

/// "Tuesday 14 April 2026, 10:00 to 12:00"
pub fn when(starts_at: DateTime<Utc>, ends_at: DateTime<Utc>) -> String {
    let (s, e) = (starts_at.with_timezone(&London), ends_at.with_timezone(&London));
    if s.date_naive() == e.date_naive() {
        format!("{}, {} to {}", s.format("%A %-d %B %Y"), s.format("%H:%M"), e.format("%H:%M"))
    } else {
        format!("{} to {}", s.format("%A %-d %B %Y, %H:%M"), e.format("%A %-d %B %Y, %H:%M"))
    }
}

/// A time typed as "14:00", "1400" or "9:30".
pub fn parse_time(input: &str, what: &str) -> Result<NaiveTime, String> {
    let raw = input.trim().replace('.', ":");
    if raw.is_empty() {
        return Err(format!("Enter the {what}"));
    }
    let normalised = if raw.contains(':') {
        raw
    } else if raw.len() == 4 {
        format!("{}:{}", &raw[..2], &raw[2..])
    } else {
        raw
    };
    NaiveTime::parse_from_str(&normalised, "%H:%M")
        .map_err(|_| format!("Enter the {what} as hours and minutes on the 24-hour clock, like 14:00"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn financial_years_run_april_to_march_and_read_as_written() {
        let year = FinancialYear::containing(d(2026, 3, 31));
        assert_eq!(year.label(), "2025-26");
        assert_eq!(FinancialYear::parse("2025-26"), Some(year));
        assert_eq!(FinancialYear::parse("2025/26"), Some(year));
        assert_eq!(FinancialYear::parse("2025-27"), None);
        assert_eq!(FinancialYear::parse("2025-6"), None);
        assert_eq!(FinancialYear::parse("1999-00"), None);
        assert_eq!(FinancialYear::parse("2099-00").map(|y| y.start_year), Some(2099));
        assert!(year.contains(d(2025, 4, 1)) && year.contains(d(2026, 3, 31)) && !year.contains(d(2026, 4, 1)));
        assert_eq!(year.ends_on(), d(2026, 3, 31));
        assert_eq!(FinancialYear::quarter_of(d(2025, 4, 1)), 1);
        assert_eq!(FinancialYear::quarter_of(d(2025, 12, 31)), 3);
        assert_eq!(FinancialYear::quarter_of(d(2026, 3, 1)), 4);
        assert_eq!(year.quarter_starts_on(4), d(2026, 1, 1));
    }

    #[test]
    fn financial_years_turn_on_the_first_of_april() {
        assert_eq!(FinancialYear::containing(d(2025, 3, 31)).label(), "2024-25");
        assert_eq!(FinancialYear::containing(d(2025, 4, 1)).label(), "2025-26");
        assert_eq!(FinancialYear::containing(d(2025, 12, 31)).starts_on(), d(2025, 4, 1));
        assert_eq!(FinancialYear::containing(d(2099, 1, 1)).next().label(), "2099-00");
    }

    #[test]
    fn the_shipped_calendar_covers_2019_to_2030() {
        assert_eq!(bank_holiday_years(), (2019, 2030));
        assert!(is_bank_holiday(d(2022, 9, 19)), "the State Funeral");
        assert!(is_bank_holiday(d(2026, 12, 28)), "Boxing Day substitute");
    }

    #[test]
    fn weekends_and_bank_holidays_are_not_working_days() {
        assert!(is_working_day(d(2026, 11, 23)), "a Monday");
        assert!(!is_working_day(d(2026, 11, 22)), "a Sunday");
        assert!(!is_working_day(d(2026, 4, 3)), "Good Friday");
        assert!(!is_working_day(d(2026, 4, 6)), "Easter Monday");
    }

    #[test]
    fn ten_working_days_before_a_meeting_skip_easter() {
        // Meeting on Thursday 16 April 2026: back over Easter Monday (6th) and Good Friday (3rd).
        assert_eq!(working_days_before(d(2026, 4, 16), 10), d(2026, 3, 31));
        assert_eq!(working_days_before(d(2026, 4, 16), 5), d(2026, 4, 9));
        assert_eq!(working_days_before(d(2026, 11, 23), 0), d(2026, 11, 23));
    }

    #[test]
    fn working_days_cross_christmas_and_the_year_end() {
        // Christmas Day is a Friday in 2026, Boxing Day's substitute Monday 28th; New Year's Day a Friday.
        assert_eq!(working_days_after(d(2026, 12, 24), 1), d(2026, 12, 29));
        assert_eq!(working_days_after(d(2026, 12, 24), 4), d(2027, 1, 4));
        assert_eq!(working_days_before(d(2027, 1, 4), 4), d(2026, 12, 24));
        assert_eq!(working_days_between(d(2026, 12, 24), d(2027, 1, 4)), 4);
        assert_eq!(working_days_between(d(2027, 1, 4), d(2026, 12, 24)), -4);
        assert_eq!(next_working_day_from(d(2026, 12, 25)), d(2026, 12, 29));
    }

    #[test]
    fn a_bad_line_in_the_holiday_file_is_named() {
        assert_eq!(parse_bank_holidays("date,name\n2026-01-01,New Year\n").unwrap().len(), 1);
        assert!(parse_bank_holidays("date,name\n2026-13-01,Nonsense\n").unwrap_err().starts_with("line 2"));
    }

    #[test]
    fn dates_read_as_people_write_them() {
        assert_eq!(long_date(d(2025, 4, 1)), "1 April 2025");
    }
}
