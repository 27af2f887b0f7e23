//! Assurance: how a partnership knows whether its arrangements work. The
//! risk register holds the organisational and strategic issues that might stop
//! it meeting its statutory obligations, each scored on a 5 × 5 scale before
//! the controls, now and as a target, reviewed by its date by its owner or the
//! business unit (every review keeps its score, so the history shows the
//! movement the yearly report gives), with its controls and mitigating actions
//! through the shared actions owner. Closing a risk keeps it.

pub mod heat_map;
pub mod register;
pub mod risk;

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

#[cfg(test)]
mod tests {
    use super::*;

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
