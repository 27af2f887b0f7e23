//! The library (`/p/<slug>/library`): the partnership's policies and
//! procedures, its thresholds document (Swindon's "The Right Help at the Right
//! Time", Warwickshire's Spectrum of Support), memoranda of understanding,
//! information sharing agreements and guidance, each with its owner, the group
//! that keeps it, a review date (flagged on "what needs you now" once past)
//! and whether it is published; and its versions, each a file through the
//! papers owner with what changed and its approval (by a group on a date, or a
//! decision of the partners). Each group's terms of reference are listed from
//! the structure's records (`terms_of_reference`), not copied.

pub mod document;
pub mod shelf;

use serde::{Deserialize, Serialize};

/// What a library document is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::Type, Serialize, Deserialize)]
#[sqlx(type_name = "text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Policy,
    Procedure,
    /// The thresholds document: when and how to get help for a child or adult.
    Thresholds,
    /// A memorandum of understanding (Swindon's funding agreement).
    Memorandum,
    InformationSharing,
    Guidance,
    Other,
}

impl Kind {
    pub const ALL: [Kind; 7] =
        [Kind::Thresholds, Kind::Policy, Kind::Procedure, Kind::Guidance, Kind::Memorandum, Kind::InformationSharing, Kind::Other];

    pub fn code(self) -> &'static str {
        match self {
            Kind::Policy => "policy",
            Kind::Procedure => "procedure",
            Kind::Thresholds => "thresholds",
            Kind::Memorandum => "memorandum",
            Kind::InformationSharing => "information_sharing",
            Kind::Guidance => "guidance",
            Kind::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Kind::Policy => "Policy",
            Kind::Procedure => "Procedure",
            Kind::Thresholds => "Thresholds document",
            Kind::Memorandum => "Memorandum of understanding",
            Kind::InformationSharing => "Information sharing agreement",
            Kind::Guidance => "Multi-agency guidance",
            Kind::Other => "Other",
        }
    }

    pub fn parse(code: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.code() == code)
    }

    pub fn options() -> Vec<(String, String)> {
        Kind::ALL.iter().map(|k| (k.code().to_owned(), k.label().to_owned())).collect()
    }
}
