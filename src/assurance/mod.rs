//! Assurance: how a partnership knows whether its arrangements work. The
//! risk register holds the organisational and strategic issues that might stop
//! it meeting its statutory obligations, each scored on a 5 × 5 scale before
//! the controls, now and as a target, reviewed by its date by its owner or the
//! business unit (every review keeps its score, so the history shows the
//! movement the yearly report gives), with its controls and mitigating actions
//! through the shared actions owner. Closing a risk keeps it.
//!
//! Self-assessment rounds (Section 11 for relevant agencies, Section 175 for
//! schools, or local ones): the business unit opens a round with its
//! standards, the organisations taking part and a deadline; each
//! organisation's named contact fills its return (a rating and evidence per
//! standard, files, its own improvement actions), which locks when submitted;
//! the business unit challenges ratings and accepts returns. A return is for
//! the business unit, the partners and the organisation that made it
//! (row-level security, `round_return_need_to_know`).
//!
//! Multi-agency case audits: a theme commissioned by a group, the agencies and
//! the (pseudonymised) cases in the sample, each agency's findings graded and
//! the overall grade, findings and learning, the actions, and the report to
//! the commissioning group's next meeting; a reported audit is kept as it was.
//!
//! The performance data set: the indicators the partnership agreed, each with
//! its unit, supplying agency, frequency, target and which way is better, and
//! the values entered per period (by hand, or a CSV file per period checked
//! row by row before anything is saved), each shown against its target with a
//! red, amber or green status and its trend.

pub mod case_audits;
pub mod heat_map;
pub mod indicator;
pub mod performance;
pub mod register;
pub mod returns;
pub mod risk;
pub mod rounds;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::roles::Capability;
use crate::tenant::Member;

/// What kind of risk: where it would bite.
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::Type, Serialize, Deserialize)]
#[sqlx(type_name = "text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Meeting the statutory duties (Children Act 2004, Care Act 2014, Working Together).
    Statutory,
    Strategic,
    Operational,
    Financial,
    Workforce,
    /// Information sharing and data.
    Information,
    Reputational,
}

impl Category {
    pub const ALL: [Category; 7] = [
        Category::Statutory,
        Category::Strategic,
        Category::Operational,
        Category::Financial,
        Category::Workforce,
        Category::Information,
        Category::Reputational,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Category::Statutory => "statutory",
            Category::Strategic => "strategic",
            Category::Operational => "operational",
            Category::Financial => "financial",
            Category::Workforce => "workforce",
            Category::Information => "information",
            Category::Reputational => "reputational",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Category::Statutory => "Statutory duties",
            Category::Strategic => "Strategic",
            Category::Operational => "Operational",
            Category::Financial => "Financial",
            Category::Workforce => "Workforce",
            Category::Information => "Information sharing",
            Category::Reputational => "Reputational",
        }
    }

    pub fn parse(code: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.code() == code)
    }

    /// (code, label) for a select.
    pub fn options() -> Vec<(String, String)> {
        Category::ALL.iter().map(|c| (c.code().to_owned(), c.label().to_owned())).collect()
    }
}

/// The words for each point of the scales, 1 to 5.
pub const LIKELIHOOD: [&str; 5] = ["Rare", "Unlikely", "Possible", "Likely", "Almost certain"];
pub const IMPACT: [&str; 5] = ["Negligible", "Minor", "Moderate", "Major", "Severe"];

/// A point on the 5 × 5 scale: likelihood and impact, each 1 to 5.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
pub struct Score {
    pub likelihood: i16,
    pub impact: i16,
}

impl Score {
    pub fn new(likelihood: i16, impact: i16) -> Self {
        Score { likelihood, impact }
    }
    /// Likelihood × impact: 1 to 25.
    pub fn value(self) -> i16 {
        self.likelihood * self.impact
    }
    pub fn band(self) -> Band {
        Band::of(self.value())
    }
    /// "12: likely × moderate"
    pub fn describe(self) -> String {
        let word = |scale: &[&str; 5], n: i16| scale.get(usize::try_from(n - 1).unwrap_or(0)).copied().unwrap_or("").to_lowercase();
        format!("{}: {} × {}", self.value(), word(&LIKELIHOOD, self.likelihood), word(&IMPACT, self.impact))
    }
}

/// How serious a score is: the colours of the heat map.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Band {
    /// 1 to 4.
    Low,
    /// 5 to 9.
    Medium,
    /// 10 to 14.
    High,
    /// 15 to 25.
    VeryHigh,
}

impl Band {
    pub fn of(score: i16) -> Band {
        match score {
            ..=4 => Band::Low,
            5..=9 => Band::Medium,
            10..=14 => Band::High,
            _ => Band::VeryHigh,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Band::Low => "Low",
            Band::Medium => "Medium",
            Band::High => "High",
            Band::VeryHigh => "Very high",
        }
    }
    pub fn tag_class(self) -> &'static str {
        match self {
            Band::Low => "govuk-tag--green",
            Band::Medium => "govuk-tag--yellow",
            Band::High => "govuk-tag--orange",
            Band::VeryHigh => "govuk-tag--red",
        }
    }
    /// The heat map's fill: light enough for black text at AA contrast.
    pub fn fill(self) -> &'static str {
        match self {
            Band::Low => "#cce2d8",
            Band::Medium => "#fff7bf",
            Band::High => "#fcd6c3",
            Band::VeryHigh => "#f4cdc6",
        }
    }
}

/// Which way a risk moved at its last review.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trend {
    /// Reviewed only when it was recorded.
    New,
    Rising,
    Falling,
    Steady,
}

impl Trend {
    /// From the score the review before the last found, if any, and the score now.
    pub fn between(previous: Option<i16>, now: i16) -> Trend {
        match previous {
            None => Trend::New,
            Some(before) if now > before => Trend::Rising,
            Some(before) if now < before => Trend::Falling,
            Some(_) => Trend::Steady,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Trend::New => "New",
            Trend::Rising => "Rising",
            Trend::Falling => "Falling",
            Trend::Steady => "No change",
        }
    }
}

/// A point of a scale from a form: "1" to "5", or a message naming the field.
pub fn parse_level(text: &str, what: &str) -> Result<i16, String> {
    match text.trim().parse::<i16>() {
        Ok(n) if (1..=5).contains(&n) => Ok(n),
        _ => Err(format!("Select the {what}")),
    }
}

/// The choices of a scale for a select: ("3", "3 – Possible").
pub fn scale_options(scale: &[&str; 5]) -> Vec<(String, String)> {
    scale.iter().enumerate().map(|(i, word)| ((i + 1).to_string(), format!("{} – {word}", i + 1))).collect()
}

/// Whether this person keeps a risk: reviews it and sets its actions (its owner, or the business unit).
pub fn keeps(member: &Member, owner_membership_id: Uuid) -> bool {
    member.roles.allows(Capability::ManageAssurance) || member.membership_id == owner_membership_id
}

/// What kind of self-assessment a round is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::Type, Serialize, Deserialize)]
#[sqlx(type_name = "text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum RoundKind {
    /// Children Act 2004 s11: the relevant agencies' arrangements to safeguard and promote children's welfare.
    #[sqlx(rename = "section11")]
    #[serde(rename = "section11")]
    Section11,
    /// Education Act 2002 s175 (and s157): schools' and colleges' safeguarding audit.
    #[sqlx(rename = "section175")]
    #[serde(rename = "section175")]
    Section175,
    /// The partnership's own.
    Local,
}

impl RoundKind {
    pub const ALL: [RoundKind; 3] = [RoundKind::Section11, RoundKind::Section175, RoundKind::Local];

    pub fn code(self) -> &'static str {
        match self {
            RoundKind::Section11 => "section11",
            RoundKind::Section175 => "section175",
            RoundKind::Local => "local",
        }
    }
    pub fn parse(code: &str) -> Option<RoundKind> {
        RoundKind::ALL.into_iter().find(|k| k.code() == code)
    }
    pub fn label(self) -> &'static str {
        match self {
            RoundKind::Section11 => "Section 11 self-assessment",
            RoundKind::Section175 => "Section 175 safeguarding audit",
            RoundKind::Local => "Local self-assessment",
        }
    }
    /// Who usually takes part.
    pub fn who(self) -> &'static str {
        match self {
            RoundKind::Section11 => "relevant agencies (Children Act 2004, section 11)",
            RoundKind::Section175 => "schools, colleges and early years settings (Education Act 2002, section 175)",
            RoundKind::Local => "the organisations the partnership chooses",
        }
    }
    /// The standards a round of this kind starts from; the business unit edits them when it opens the round.
    pub fn template(self) -> &'static [&'static str] {
        match self {
            RoundKind::Section11 => &SECTION_11_STANDARDS,
            RoundKind::Section175 => &SECTION_175_STANDARDS,
            RoundKind::Local => &[],
        }
    }
}

/// The eight Section 11 standards, as partnerships' self-assessment tools put them.
pub const SECTION_11_STANDARDS: [&str; 8] = [
    "Senior management commitment to safeguarding and promoting the welfare of children",
    "Clear lines of accountability for safeguarding",
    "Safeguarding built into the development of services",
    "Safeguarding training for staff, and supervision",
    "Safer recruitment and managing allegations against staff",
    "Effective inter-agency working",
    "Information sharing",
    "The voice of the child is heard and acted on",
];

/// A school's or college's safeguarding audit, as local Section 175 tools put it.
pub const SECTION_175_STANDARDS: [&str; 8] = [
    "Leadership: the safeguarding policy and the designated safeguarding lead",
    "Safer recruitment and the single central record",
    "Staff induction and training in Keeping Children Safe in Education",
    "Early help and referrals to children's social care",
    "Managing allegations against staff",
    "Online safety, filtering and monitoring",
    "Safeguarding in the curriculum and the voice of pupils",
    "Attendance and children missing education",
];

/// A return's rating of one standard.
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::Type, Serialize, Deserialize)]
#[sqlx(type_name = "text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Rating {
    Red,
    Amber,
    Green,
    NotApplicable,
}

impl Rating {
    pub const ALL: [Rating; 4] = [Rating::Green, Rating::Amber, Rating::Red, Rating::NotApplicable];

    pub fn code(self) -> &'static str {
        match self {
            Rating::Red => "red",
            Rating::Amber => "amber",
            Rating::Green => "green",
            Rating::NotApplicable => "not_applicable",
        }
    }
    pub fn parse(code: &str) -> Option<Rating> {
        Rating::ALL.into_iter().find(|r| r.code() == code)
    }
    pub fn label(self) -> &'static str {
        match self {
            Rating::Red => "Red: not met",
            Rating::Amber => "Amber: partly met",
            Rating::Green => "Green: met",
            Rating::NotApplicable => "Not applicable",
        }
    }
    pub fn short(self) -> &'static str {
        match self {
            Rating::Red => "Red",
            Rating::Amber => "Amber",
            Rating::Green => "Green",
            Rating::NotApplicable => "N/A",
        }
    }
    pub fn tag_class(self) -> &'static str {
        match self {
            Rating::Red => "govuk-tag--red",
            Rating::Amber => "govuk-tag--orange",
            Rating::Green => "govuk-tag--green",
            Rating::NotApplicable => "govuk-tag--grey",
        }
    }
    /// The chart's fill: with black text, at AA contrast.
    pub fn fill(self) -> &'static str {
        match self {
            Rating::Red => "#f4cdc6",
            Rating::Amber => "#fcd6c3",
            Rating::Green => "#cce2d8",
            Rating::NotApplicable => "#e5e6e7",
        }
    }
}

/// Where a return stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::Type, Serialize, Deserialize)]
#[sqlx(type_name = "text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum ReturnStatus {
    NotStarted,
    Draft,
    Submitted,
    Accepted,
}

impl ReturnStatus {
    pub fn label(self) -> &'static str {
        match self {
            ReturnStatus::NotStarted => "Not started",
            ReturnStatus::Draft => "Started, not submitted",
            ReturnStatus::Submitted => "Submitted",
            ReturnStatus::Accepted => "Accepted",
        }
    }
    pub fn tag_class(self) -> &'static str {
        match self {
            ReturnStatus::NotStarted => "govuk-tag--grey",
            ReturnStatus::Draft => "govuk-tag--blue",
            ReturnStatus::Submitted => "govuk-tag--purple",
            ReturnStatus::Accepted => "govuk-tag--green",
        }
    }
    /// Submitted or accepted: the return no longer changes.
    pub fn is_locked(self) -> bool {
        matches!(self, ReturnStatus::Submitted | ReturnStatus::Accepted)
    }
}

/// A multi-agency audit's grade of an agency's practice, or of the whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::Type, Serialize, Deserialize)]
#[sqlx(type_name = "text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Grade {
    Outstanding,
    Good,
    RequiresImprovement,
    Inadequate,
}

impl Grade {
    pub const ALL: [Grade; 4] = [Grade::Outstanding, Grade::Good, Grade::RequiresImprovement, Grade::Inadequate];

    pub fn code(self) -> &'static str {
        match self {
            Grade::Outstanding => "outstanding",
            Grade::Good => "good",
            Grade::RequiresImprovement => "requires_improvement",
            Grade::Inadequate => "inadequate",
        }
    }
    pub fn parse(code: &str) -> Option<Grade> {
        Grade::ALL.into_iter().find(|g| g.code() == code)
    }
    pub fn label(self) -> &'static str {
        match self {
            Grade::Outstanding => "Outstanding",
            Grade::Good => "Good",
            Grade::RequiresImprovement => "Requires improvement",
            Grade::Inadequate => "Inadequate",
        }
    }
    pub fn tag_class(self) -> &'static str {
        match self {
            Grade::Outstanding => "govuk-tag--turquoise",
            Grade::Good => "govuk-tag--green",
            Grade::RequiresImprovement => "govuk-tag--orange",
            Grade::Inadequate => "govuk-tag--red",
        }
    }
    /// (code, label) for a select.
    pub fn options() -> Vec<(String, String)> {
        Grade::ALL.iter().map(|g| (g.code().to_owned(), g.label().to_owned())).collect()
    }
}

/// How often an indicator is reported: its periods are months, financial quarters or financial years.
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::Type, Serialize, Deserialize)]
#[sqlx(type_name = "text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    Monthly,
    Quarterly,
    Yearly,
}

impl Frequency {
    pub const ALL: [Frequency; 3] = [Frequency::Monthly, Frequency::Quarterly, Frequency::Yearly];

    pub fn code(self) -> &'static str {
        match self {
            Frequency::Monthly => "monthly",
            Frequency::Quarterly => "quarterly",
            Frequency::Yearly => "yearly",
        }
    }
    pub fn parse(code: &str) -> Option<Frequency> {
        Frequency::ALL.into_iter().find(|f| f.code() == code)
    }
    pub fn label(self) -> &'static str {
        match self {
            Frequency::Monthly => "Monthly",
            Frequency::Quarterly => "Quarterly (financial quarters)",
            Frequency::Yearly => "Yearly (financial years)",
        }
    }
    pub fn options() -> Vec<(String, String)> {
        Frequency::ALL.iter().map(|f| (f.code().to_owned(), f.label().to_owned())).collect()
    }
    /// The first day of the period holding `day`: its month, its financial quarter (April, July, October,
    /// January) or its financial year (1 April).
    pub fn period_of(self, day: NaiveDate) -> NaiveDate {
        let month = day.month();
        let (year, first_month) = match self {
            Frequency::Monthly => (day.year(), month),
            Frequency::Quarterly => (day.year(), month - (month + 8) % 3),
            Frequency::Yearly => (if month >= 4 { day.year() } else { day.year() - 1 }, 4),
        };
        NaiveDate::from_ymd_opt(year, first_month, 1).unwrap_or(day)
    }
    /// The period before the one starting on `start`.
    pub fn previous(self, start: NaiveDate) -> NaiveDate {
        let months = match self {
            Frequency::Monthly => 1,
            Frequency::Quarterly => 3,
            Frequency::Yearly => 12,
        };
        start.checked_sub_months(chrono::Months::new(months)).unwrap_or(start)
    }
    /// "April 2026", "Q1 2026/27" (April to June 2026), "2026/27".
    pub fn label_of(self, start: NaiveDate) -> String {
        let year = if start.month() >= 4 { start.year() } else { start.year() - 1 };
        let financial = format!("{year}/{:02}", (year + 1) % 100);
        match self {
            Frequency::Monthly => start.format("%B %Y").to_string(),
            Frequency::Quarterly => format!("Q{} {financial}", (start.month() + 8) % 12 / 3 + 1),
            Frequency::Yearly => financial,
        }
    }
    /// The period holding `today` and the `n - 1` before it, newest first, as (first day, label) for a select.
    pub fn recent(self, today: NaiveDate, n: usize) -> Vec<(String, String)> {
        std::iter::successors(Some(self.period_of(today)), |start| Some(self.previous(*start)))
            .take(n)
            .map(|start| (start.to_string(), self.label_of(start)))
            .collect()
    }
    /// The last period over by `today`: the one whose values are now due.
    pub fn last_complete(self, today: NaiveDate) -> NaiveDate {
        self.previous(self.period_of(today))
    }
}

/// How an indicator's value stands against its target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rag {
    Red,
    Amber,
    Green,
}

impl Rag {
    /// Green at or beyond the target (the better side); amber short of it by at most `amber_percent` of the
    /// target; red beyond that.
    pub fn of(value: f64, target: f64, higher_is_better: bool, amber_percent: f64) -> Rag {
        let shortfall = if higher_is_better { target - value } else { value - target };
        if shortfall <= 0.0 {
            Rag::Green
        } else if shortfall <= target.abs() * amber_percent / 100.0 {
            Rag::Amber
        } else {
            Rag::Red
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Rag::Red => "Red",
            Rag::Amber => "Amber",
            Rag::Green => "Green",
        }
    }
    pub fn tag_class(self) -> &'static str {
        match self {
            Rag::Red => "govuk-tag--red",
            Rag::Amber => "govuk-tag--orange",
            Rag::Green => "govuk-tag--green",
        }
    }
}

/// A number as the data set shows it: whole numbers without decimals, others to two places at most.
pub fn figure(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e12 {
        format!("{value:.0}")
    } else {
        let text = format!("{value:.2}");
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

/// A value from a form or a file: a finite number (a thousands comma, a percent sign and spaces are allowed).
pub fn parse_figure(text: &str) -> Option<f64> {
    let cleaned: String = text.trim().trim_end_matches('%').chars().filter(|c| *c != ',' && !c.is_whitespace()).collect();
    cleaned.parse::<f64>().ok().filter(|v| v.is_finite() && v.abs() < 1e12)
}

/// When an organisation's next self-assessment of a kind falls due: the last one and the interval in months.
pub fn next_due(last: Option<chrono::NaiveDate>, interval_months: i32) -> Option<chrono::NaiveDate> {
    last.and_then(|d| d.checked_add_months(chrono::Months::new(u32::try_from(interval_months).unwrap_or(12))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_kinds_and_ratings_round_trip() {
        for k in RoundKind::ALL {
            assert_eq!(RoundKind::parse(k.code()), Some(k));
        }
        for r in Rating::ALL {
            assert_eq!(Rating::parse(r.code()), Some(r));
        }
        for g in Grade::ALL {
            assert_eq!(Grade::parse(g.code()), Some(g));
        }
        assert_eq!(RoundKind::Section11.template().len(), 8);
        assert!(RoundKind::Local.template().is_empty());
        assert!(ReturnStatus::Submitted.is_locked() && !ReturnStatus::Draft.is_locked());
    }

    #[test]
    fn periods_are_months_financial_quarters_and_financial_years() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(Frequency::Monthly.period_of(d(2026, 12, 7)), d(2026, 12, 1));
        assert_eq!(Frequency::Quarterly.period_of(d(2026, 12, 7)), d(2026, 10, 1));
        assert_eq!(Frequency::Quarterly.period_of(d(2027, 2, 28)), d(2027, 1, 1));
        assert_eq!(Frequency::Quarterly.period_of(d(2026, 4, 1)), d(2026, 4, 1));
        assert_eq!(Frequency::Yearly.period_of(d(2027, 3, 31)), d(2026, 4, 1));
        assert_eq!(Frequency::Quarterly.label_of(d(2026, 10, 1)), "Q3 2026/27");
        assert_eq!(Frequency::Quarterly.label_of(d(2027, 1, 1)), "Q4 2026/27");
        assert_eq!(Frequency::Yearly.label_of(d(2026, 4, 1)), "2026/27");
        assert_eq!(Frequency::Monthly.label_of(d(2026, 4, 1)), "April 2026");
        assert_eq!(Frequency::Quarterly.last_complete(d(2026, 12, 7)), d(2026, 7, 1));
        assert_eq!(Frequency::Yearly.last_complete(d(2026, 12, 7)), d(2025, 4, 1));
    }

    #[test]
    fn a_value_is_rated_against_its_target_whichever_way_is_better() {
        assert_eq!(Rag::of(95.0, 90.0, true, 10.0), Rag::Green);
        assert_eq!(Rag::of(85.0, 90.0, true, 10.0), Rag::Amber);
        assert_eq!(Rag::of(80.0, 90.0, true, 10.0), Rag::Red);
        assert_eq!(Rag::of(12.0, 10.0, false, 25.0), Rag::Amber);
        assert_eq!(Rag::of(9.0, 10.0, false, 25.0), Rag::Green);
        assert_eq!(Rag::of(15.0, 10.0, false, 25.0), Rag::Red);
        assert_eq!(figure(12.0), "12");
        assert_eq!(figure(12.345), "12.35");
        assert_eq!(figure(0.5), "0.5");
        assert_eq!(parse_figure(" 1,250 "), Some(1250.0));
        assert_eq!(parse_figure("87.5%"), Some(87.5));
        assert_eq!(parse_figure("NaN"), None);
        assert_eq!(parse_figure("abc"), None);
    }

    #[test]
    fn the_next_self_assessment_follows_the_interval() {
        let d = |y, m, day| chrono::NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(next_due(Some(d(2025, 1, 31)), 24), Some(d(2027, 1, 31)));
        assert_eq!(next_due(Some(d(2026, 3, 1)), 12), Some(d(2027, 3, 1)));
        assert_eq!(next_due(None, 12), None);
    }

    #[test]
    fn scores_multiply_and_fall_in_bands() {
        assert_eq!(Score::new(3, 4).value(), 12);
        assert_eq!(Score::new(1, 4).band(), Band::Low);
        assert_eq!(Score::new(1, 5).band(), Band::Medium);
        assert_eq!(Score::new(3, 3).band(), Band::Medium);
        assert_eq!(Score::new(2, 5).band(), Band::High);
        assert_eq!(Score::new(3, 5).band(), Band::VeryHigh);
        assert_eq!(Score::new(5, 5).band(), Band::VeryHigh);
        assert_eq!(Score::new(4, 3).describe(), "12: likely × moderate");
    }

    #[test]
    fn a_trend_compares_the_last_two_reviews() {
        assert_eq!(Trend::between(None, 9), Trend::New);
        assert_eq!(Trend::between(Some(6), 9), Trend::Rising);
        assert_eq!(Trend::between(Some(12), 9), Trend::Falling);
        assert_eq!(Trend::between(Some(9), 9), Trend::Steady);
    }

    #[test]
    fn levels_parse_from_one_to_five() {
        assert_eq!(parse_level(" 4 ", "likelihood"), Ok(4));
        assert_eq!(parse_level("0", "likelihood").unwrap_err(), "Select the likelihood");
        assert!(parse_level("6", "impact").is_err());
        assert!(parse_level("", "impact").is_err());
        assert_eq!(scale_options(&LIKELIHOOD)[2], ("3".to_owned(), "3 – Possible".to_owned()));
    }

    #[test]
    fn categories_round_trip() {
        for c in Category::ALL {
            assert_eq!(Category::parse(c.code()), Some(c));
        }
        assert_eq!(Category::parse("other"), None);
    }
}
