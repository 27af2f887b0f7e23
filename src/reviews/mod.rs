//! Reviews: a serious child safeguarding incident notified to the National
//! Panel and its rapid review; child safeguarding practice reviews (CSPR),
//! safeguarding adult reviews (SAR, Care Act 2014 s44), the partnership's
//! part in domestic homicide reviews and other learning reviews. Each moves
//! through its stages on its clock (English working days; where the rules
//! leave a choice, the partnership's `review_arrangement` decides).
//!
//! Need-to-know: a review's pseudonym, kind, stage and clock are for every
//! member; its case (the people it concerns and what happened) only for the
//! group overseeing it, the business unit, its lead reviewer and people added
//! by name (row-level security, `app_sees_review_case`), and every read of a
//! case is audited.

pub mod case;
pub mod learning;
pub mod meeting;
pub mod public;
pub mod register;
pub mod requests;
pub mod review;
pub mod settings;
pub mod workspace;

use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::calendar::{long_date, working_days_after};
use crate::db::Tx;
use crate::roles::Capability;
use crate::tenant::Member;

/// What kind of review.
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::Type, Serialize, Deserialize)]
#[sqlx(type_name = "text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A serious child safeguarding incident: notification, rapid review, perhaps a CSPR.
    Child,
    /// A safeguarding adult review referral.
    Adult,
    /// The partnership's part in a domestic homicide review led by the community safety partnership.
    DomesticHomicide,
    /// A case below the statutory threshold that offers learning: no statutory clock.
    Learning,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::Child, Kind::Adult, Kind::DomesticHomicide, Kind::Learning];

    pub fn code(self) -> &'static str {
        match self {
            Kind::Child => "child",
            Kind::Adult => "adult",
            Kind::DomesticHomicide => "domestic_homicide",
            Kind::Learning => "learning",
        }
    }

    pub fn parse(code: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.code() == code)
    }

    /// The label, with the partnership's name for a domestic homicide review.
    pub fn label(self, dhr_label: &str) -> String {
        match self {
            Kind::Child => "Serious child safeguarding incident".into(),
            Kind::Adult => "Safeguarding adult review".into(),
            Kind::DomesticHomicide => dhr_label.to_owned(),
            Kind::Learning => "Learning review".into(),
        }
    }

    /// What the final report's numbered points are called: a SAR's findings, other reviews' recommendations.
    pub fn finding_name(self) -> &'static str {
        if self == Kind::Adult { "finding" } else { "recommendation" }
    }

    /// The same, as a heading.
    pub fn findings_heading(self) -> &'static str {
        if self == Kind::Adult { "Findings" } else { "Recommendations" }
    }

    /// What the commissioned review is called.
    pub fn review_name(self, dhr_label: &str) -> String {
        match self {
            Kind::Child => "Child safeguarding practice review".into(),
            Kind::Adult => "Safeguarding adult review".into(),
            Kind::DomesticHomicide => dhr_label.to_owned(),
            Kind::Learning => "Learning review".into(),
        }
    }
}

/// Where a review stands. Stored as text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, sqlx::Type, Serialize, Deserialize)]
#[sqlx(type_name = "text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Notified,
    RapidReview,
    Recommended,
    Commissioned,
    NationalReview,
    NoReview,
    TermsAgreed,
    ReviewerAppointed,
    MethodologyAgreed,
    Involvement,
    Draft,
    FinalReport,
    QualityAssured,
    PublicationDecided,
    Published,
    Closed,
}

impl Stage {
    pub const ALL: [Stage; 16] = [
        Stage::Notified,
        Stage::RapidReview,
        Stage::Recommended,
        Stage::Commissioned,
        Stage::NationalReview,
        Stage::NoReview,
        Stage::TermsAgreed,
        Stage::ReviewerAppointed,
        Stage::MethodologyAgreed,
        Stage::Involvement,
        Stage::Draft,
        Stage::FinalReport,
        Stage::QualityAssured,
        Stage::PublicationDecided,
        Stage::Published,
        Stage::Closed,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Stage::Notified => "notified",
            Stage::RapidReview => "rapid_review",
            Stage::Recommended => "recommended",
            Stage::Commissioned => "commissioned",
            Stage::NationalReview => "national_review",
            Stage::NoReview => "no_review",
            Stage::TermsAgreed => "terms_agreed",
            Stage::ReviewerAppointed => "reviewer_appointed",
            Stage::MethodologyAgreed => "methodology_agreed",
            Stage::Involvement => "involvement",
            Stage::Draft => "draft",
            Stage::FinalReport => "final_report",
            Stage::QualityAssured => "quality_assured",
            Stage::PublicationDecided => "publication_decided",
            Stage::Published => "published",
            Stage::Closed => "closed",
        }
    }

    pub fn parse(code: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|s| s.code() == code)
    }

    /// The stage as its kind of review names it.
    pub fn label(self, kind: Kind) -> &'static str {
        match self {
            Stage::Notified if kind == Kind::Child => "Notified",
            Stage::Notified => "Referred",
            Stage::RapidReview => "Rapid review",
            Stage::Recommended => "Recommendation with the decision-makers",
            Stage::Commissioned => "Review commissioned",
            Stage::NationalReview => "National review by the Panel",
            Stage::NoReview => "No review",
            Stage::TermsAgreed => "Terms of reference agreed",
            Stage::ReviewerAppointed => "Lead reviewer appointed",
            Stage::MethodologyAgreed => "Methodology agreed",
            Stage::Involvement => "Practitioners and family involved",
            Stage::Draft => "Draft report",
            Stage::FinalReport => "Final report",
            Stage::QualityAssured => "Approved by the Home Office quality assurance panel",
            Stage::PublicationDecided => "Publication decided",
            Stage::Published => "Published",
            Stage::Closed => "Closed",
        }
    }

    /// The stages that may follow this one for this kind of review, in the order they are offered.
    pub fn next(self, kind: Kind) -> Vec<Stage> {
        use Stage::*;
        match self {
            Notified if kind == Kind::Child => vec![RapidReview],
            // A referral goes to the decision-makers with a recommendation; a learning review may simply begin.
            Notified if kind == Kind::Learning => vec![Commissioned, NoReview],
            Notified => vec![Recommended],
            RapidReview => vec![Recommended],
            Recommended if kind == Kind::Child => vec![Commissioned, NationalReview, NoReview],
            Recommended => vec![Commissioned, NoReview],
            Commissioned => vec![TermsAgreed],
            TermsAgreed => vec![ReviewerAppointed],
            ReviewerAppointed => vec![MethodologyAgreed],
            MethodologyAgreed => vec![Involvement],
            Involvement => vec![Draft],
            Draft => vec![FinalReport],
            FinalReport if kind == Kind::DomesticHomicide => vec![QualityAssured],
            FinalReport | QualityAssured => vec![PublicationDecided],
            PublicationDecided => vec![Published, Closed],
            NationalReview | NoReview | Published => vec![Closed],
            Closed => vec![],
        }
    }

    pub fn is_open(self) -> bool {
        self != Stage::Closed
    }
}

/// What the review group recommends after a rapid review or a referral.
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::Type, Serialize, Deserialize)]
#[sqlx(type_name = "text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Recommendation {
    LocalReview,
    NationalReview,
    NoReview,
}

impl Recommendation {
    pub fn code(self) -> &'static str {
        match self {
            Recommendation::LocalReview => "local_review",
            Recommendation::NationalReview => "national_review",
            Recommendation::NoReview => "no_review",
        }
    }
    pub fn parse(code: &str) -> Option<Recommendation> {
        match code {
            "local_review" => Some(Recommendation::LocalReview),
            "national_review" => Some(Recommendation::NationalReview),
            "no_review" => Some(Recommendation::NoReview),
            _ => None,
        }
    }
    pub fn label(self, kind: Kind, dhr_label: &str) -> String {
        match self {
            Recommendation::LocalReview => format!("Commission a {}", kind.review_name(dhr_label).to_lowercase()),
            Recommendation::NationalReview => "Ask the Panel for a national review".into(),
            Recommendation::NoReview => "No review".into(),
        }
    }
    /// The stage the decision-makers' agreement leads to.
    pub fn stage(self) -> Stage {
        match self {
            Recommendation::LocalReview => Stage::Commissioned,
            Recommendation::NationalReview => Stage::NationalReview,
            Recommendation::NoReview => Stage::NoReview,
        }
    }
}

/// Which condition of the Care Act 2014 s44 a safeguarding adult review meets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::Type, Serialize, Deserialize)]
#[sqlx(type_name = "text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum SarCondition {
    /// s44(2): the adult died and abuse or neglect is known or suspected (mandatory).
    Died,
    /// s44(3): the adult is alive and has experienced serious abuse or neglect (mandatory).
    AliveSerious,
    /// s44(4): any other case of an adult with care and support needs (discretionary).
    Discretionary,
}

impl SarCondition {
    pub const ALL: [SarCondition; 3] = [SarCondition::Died, SarCondition::AliveSerious, SarCondition::Discretionary];
    pub fn code(self) -> &'static str {
        match self {
            SarCondition::Died => "died",
            SarCondition::AliveSerious => "alive_serious",
            SarCondition::Discretionary => "discretionary",
        }
    }
    pub fn parse(code: &str) -> Option<SarCondition> {
        SarCondition::ALL.into_iter().find(|c| c.code() == code)
    }
    pub fn label(self) -> &'static str {
        match self {
            SarCondition::Died => "Mandatory, s44(2): the adult died and abuse or neglect is known or suspected",
            SarCondition::AliveSerious => "Mandatory, s44(3): the adult is alive and has experienced serious abuse or neglect",
            SarCondition::Discretionary => "Discretionary, s44(4): any other case of an adult with care and support needs",
        }
    }
}

/// Why a serious child safeguarding incident is notified (Children Act 2004 s16C; the Panel's guidance).
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::Type, Serialize, Deserialize)]
#[sqlx(type_name = "text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum NotificationGround {
    /// Abuse or neglect known or suspected, and the child died.
    AbuseDied,
    /// Abuse or neglect known or suspected, and the child was seriously harmed.
    AbuseHarmed,
    /// A looked-after child died: notified whether or not abuse or neglect is suspected.
    LookedAfterDeath,
}

impl NotificationGround {
    pub const ALL: [NotificationGround; 3] =
        [NotificationGround::AbuseDied, NotificationGround::AbuseHarmed, NotificationGround::LookedAfterDeath];
    pub fn code(self) -> &'static str {
        match self {
            NotificationGround::AbuseDied => "abuse_died",
            NotificationGround::AbuseHarmed => "abuse_harmed",
            NotificationGround::LookedAfterDeath => "looked_after_death",
        }
    }
    pub fn parse(code: &str) -> Option<NotificationGround> {
        NotificationGround::ALL.into_iter().find(|g| g.code() == code)
    }
    pub fn label(self) -> &'static str {
        match self {
            NotificationGround::AbuseDied => "Abuse or neglect known or suspected, and the child died",
            NotificationGround::AbuseHarmed => "Abuse or neglect known or suspected, and the child was seriously harmed",
            NotificationGround::LookedAfterDeath => "A looked-after child died (notified whether or not abuse or neglect is suspected)",
        }
    }
}

/// What the partners decided about publishing the final report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::Type, Serialize, Deserialize)]
#[sqlx(type_name = "text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Publication {
    Publish,
    Delay,
    NotPublish,
}

impl Publication {
    pub fn code(self) -> &'static str {
        match self {
            Publication::Publish => "publish",
            Publication::Delay => "delay",
            Publication::NotPublish => "not_publish",
        }
    }
    pub fn parse(code: &str) -> Option<Publication> {
        match code {
            "publish" => Some(Publication::Publish),
            "delay" => Some(Publication::Delay),
            "not_publish" => Some(Publication::NotPublish),
            _ => None,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Publication::Publish => "Publish",
            Publication::Delay => "Publish after a delay",
            Publication::NotPublish => "Do not publish",
        }
    }
}

/// What starts the rapid review's clock (sources disagree: a setting).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClockStart {
    Aware,
    Notified,
}

/// A partnership's review settings.
#[derive(Clone, Debug)]
pub struct Arrangement {
    pub clock_start: ClockStart,
    pub rapid_review_working_days: u32,
    pub notification_working_days: u32,
    pub cspr_target_months: Option<u32>,
    pub sar_target_months: Option<u32>,
    pub published_months: u32,
    pub dhr_label: String,
    pub child_group_id: Option<Uuid>,
    pub adult_group_id: Option<Uuid>,
}

impl Default for Arrangement {
    fn default() -> Self {
        Arrangement {
            clock_start: ClockStart::Aware,
            rapid_review_working_days: 15,
            notification_working_days: 5,
            cspr_target_months: None,
            sar_target_months: None,
            published_months: 12,
            dhr_label: "Domestic homicide review".into(),
            child_group_id: None,
            adult_group_id: None,
        }
    }
}

impl Arrangement {
    /// From the stored row's values (the defaults where a partnership has none).
    #[allow(clippy::too_many_arguments)]
    pub fn from_stored(
        clock_start: Option<String>,
        rapid_review_working_days: Option<i32>,
        notification_working_days: Option<i32>,
        cspr_target_months: Option<i32>,
        sar_target_months: Option<i32>,
        published_months: Option<i32>,
        dhr_label: Option<String>,
        child_group_id: Option<Uuid>,
        adult_group_id: Option<Uuid>,
    ) -> Self {
        let d = Arrangement::default();
        let count = |v: Option<i32>, or: u32| v.and_then(|n| u32::try_from(n).ok()).unwrap_or(or);
        Arrangement {
            clock_start: if clock_start.as_deref() == Some("notified") { ClockStart::Notified } else { ClockStart::Aware },
            rapid_review_working_days: count(rapid_review_working_days, d.rapid_review_working_days),
            notification_working_days: count(notification_working_days, d.notification_working_days),
            cspr_target_months: cspr_target_months.and_then(|n| u32::try_from(n).ok()),
            sar_target_months: sar_target_months.and_then(|n| u32::try_from(n).ok()),
            published_months: count(published_months, d.published_months),
            dhr_label: dhr_label.unwrap_or(d.dhr_label),
            child_group_id,
            adult_group_id,
        }
    }
}

/// The dates a review's clocks read.
#[derive(Clone, Copy, Debug, Default)]
pub struct Dates {
    pub became_aware_on: Option<NaiveDate>,
    pub notified_panel_on: Option<NaiveDate>,
    pub rapid_review_sent_on: Option<NaiveDate>,
    pub commissioned_on: Option<NaiveDate>,
}

/// One clock: what is due, by when, and whether it was (or is being) met.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Clock {
    pub what: &'static str,
    pub due_on: NaiveDate,
    /// When it was done, if it was.
    pub done_on: Option<NaiveDate>,
}

impl Clock {
    pub fn met(&self) -> Option<bool> {
        self.done_on.map(|d| d <= self.due_on)
    }
    pub fn overdue(&self, today: NaiveDate) -> bool {
        self.done_on.is_none() && today > self.due_on
    }
    /// "Rapid review due 24 December 2026"
    pub fn sentence(&self) -> String {
        match (self.done_on, self.met()) {
            (Some(done), Some(true)) => format!("{} by {}: done on {}, in time", self.what, long_date(self.due_on), long_date(done)),
            (Some(done), _) => format!("{} by {}: done on {}, late", self.what, long_date(self.due_on), long_date(done)),
            (None, _) => format!("{} by {}", self.what, long_date(self.due_on)),
        }
    }
}

/// The clocks a review runs on, by its kind and the partnership's settings.
pub fn clocks(kind: Kind, dates: Dates, settings: &Arrangement) -> Vec<Clock> {
    let mut clocks = Vec::new();
    let Some(aware) = dates.became_aware_on else { return clocks };
    match kind {
        Kind::Child => {
            clocks.push(Clock {
                what: "Notify the Panel",
                due_on: working_days_after(aware, settings.notification_working_days),
                done_on: dates.notified_panel_on,
            });
            let start = match settings.clock_start {
                ClockStart::Aware => Some(aware),
                ClockStart::Notified => dates.notified_panel_on,
            };
            if let Some(start) = start {
                clocks.push(Clock {
                    what: "Send the rapid review to the Panel",
                    due_on: working_days_after(start, settings.rapid_review_working_days),
                    done_on: dates.rapid_review_sent_on,
                });
            }
            if let (Some(months), Some(commissioned)) = (settings.cspr_target_months, dates.commissioned_on) {
                clocks.push(Clock {
                    what: "Complete the review (local target)",
                    due_on: commissioned + Months::new(months),
                    done_on: None,
                });
            }
        }
        Kind::Adult => {
            if let (Some(months), Some(commissioned)) = (settings.sar_target_months, dates.commissioned_on) {
                clocks.push(Clock {
                    what: "Complete the review (local target)",
                    due_on: commissioned + Months::new(months),
                    done_on: None,
                });
            }
        }
        Kind::DomesticHomicide => {
            clocks.push(Clock { what: "Decide whether to hold a review", due_on: aware + Months::new(1), done_on: dates.commissioned_on });
        }
        Kind::Learning => {}
    }
    clocks
}

/// Whether this member runs reviews of this group: the business unit, or the group's chair.
pub fn runs(member: &Member, group_id: Uuid) -> bool {
    member.roles.allows(Capability::ManageReviews) || member.chairs.contains(&group_id)
}

/// A partnership's review settings.
pub async fn arrangement(tx: &mut Tx, partnership_id: Uuid) -> sqlx::Result<Arrangement> {
    let row = sqlx::query!(
        "select rapid_review_clock_start, rapid_review_working_days, notification_working_days, cspr_target_months, sar_target_months,
                published_months, dhr_label, child_group_id, adult_group_id
         from review_arrangement where partnership_id = $1",
        partnership_id
    )
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row
        .map(|r| {
            Arrangement::from_stored(
                Some(r.rapid_review_clock_start),
                Some(r.rapid_review_working_days),
                Some(r.notification_working_days),
                r.cspr_target_months,
                r.sar_target_months,
                Some(r.published_months),
                Some(r.dhr_label),
                r.child_group_id,
                r.adult_group_id,
            )
        })
        .unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn the_notification_is_due_five_working_days_after_the_partners_became_aware_across_christmas() {
        // Aware on Wednesday 23 December 2026: Christmas Day, Boxing Day (substitute Monday 28th) and the weekend do not count.
        let dates = Dates { became_aware_on: Some(day(2026, 12, 23)), ..Dates::default() };
        let clocks = clocks(Kind::Child, dates, &Arrangement::default());
        // New Year's Day does not count either: Thursday 24th, Tuesday 29th, Wednesday 30th, Thursday 31st, Monday 4 January.
        assert_eq!(clocks[0].due_on, day(2027, 1, 4));
        assert!(clocks[0].overdue(day(2027, 1, 5)) && !clocks[0].overdue(day(2027, 1, 4)));
    }

    #[test]
    fn the_rapid_review_clock_starts_as_the_partnership_says() {
        // Aware Thursday 25 March 2027; notified Wednesday 31 March; Easter (Good Friday 26 March, Easter Monday 29 March) falls between.
        let dates = Dates { became_aware_on: Some(day(2027, 3, 25)), notified_panel_on: Some(day(2027, 3, 31)), ..Dates::default() };
        let from_aware = clocks(Kind::Child, dates, &Arrangement::default());
        assert_eq!(from_aware[0].due_on, day(2027, 4, 5), "notification: 5 working days, Good Friday and Easter Monday excluded");
        assert_eq!(from_aware[0].met(), Some(true));
        assert_eq!(from_aware[1].due_on, day(2027, 4, 19), "rapid review: 15 working days from becoming aware");
        let from_notified = clocks(Kind::Child, dates, &Arrangement { clock_start: ClockStart::Notified, ..Arrangement::default() });
        assert_eq!(from_notified[1].due_on, day(2027, 4, 21), "rapid review: 15 working days from the notification");
        // Until the Panel is notified, a clock that starts then has not started.
        let unnotified = Dates { notified_panel_on: None, ..dates };
        assert_eq!(clocks(Kind::Child, unnotified, &Arrangement { clock_start: ClockStart::Notified, ..Arrangement::default() }).len(), 1);
    }

    #[test]
    fn a_domestic_homicide_review_is_decided_within_a_month_and_learning_reviews_have_no_clock() {
        let dates = Dates { became_aware_on: Some(day(2027, 1, 31)), ..Dates::default() };
        assert_eq!(clocks(Kind::DomesticHomicide, dates, &Arrangement::default())[0].due_on, day(2027, 2, 28));
        assert!(clocks(Kind::Learning, dates, &Arrangement::default()).is_empty());
    }

    #[test]
    fn each_kind_of_review_moves_through_its_own_stages() {
        assert_eq!(Stage::Notified.next(Kind::Child), vec![Stage::RapidReview]);
        assert_eq!(Stage::Recommended.next(Kind::Child), vec![Stage::Commissioned, Stage::NationalReview, Stage::NoReview]);
        assert_eq!(Stage::Recommended.next(Kind::Adult), vec![Stage::Commissioned, Stage::NoReview]);
        assert_eq!(Stage::FinalReport.next(Kind::DomesticHomicide), vec![Stage::QualityAssured]);
        assert_eq!(Stage::FinalReport.next(Kind::Child), vec![Stage::PublicationDecided]);
        assert!(Stage::Closed.next(Kind::Child).is_empty());
        assert_eq!(Stage::Notified.label(Kind::Adult), "Referred");
        for stage in Stage::ALL {
            assert_eq!(Stage::parse(stage.code()), Some(stage));
        }
    }
}
