//! Engagement (`/p/<slug>/engagement`): the partnership hearing children and
//! young people, parents and carers, and adults with care and support needs.
//! Each activity records who was heard, how, when and how many took part, the
//! findings, their report to a group of the partnership (on its next
//! meeting's agenda, through `meetings::propose`), what was done about it, and
//! the actions through the shared owner. The quarterly view shows, for each
//! voice the partnership seeks every quarter (a setting: Warwickshire's are
//! children and young people, and parents and carers), whether each quarter
//! had one.

pub mod activity;
pub mod record;

use serde::{Deserialize, Serialize};

/// Whose views an activity sought.
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::Type, Serialize, Deserialize)]
#[sqlx(type_name = "text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Voice {
    /// Children and young people (a young people's group, a school council).
    Children,
    ParentsCarers,
    /// Adults with care and support needs, and their carers.
    Adults,
    /// Practitioners, communities, others.
    Other,
}

impl Voice {
    pub const ALL: [Voice; 4] = [Voice::Children, Voice::ParentsCarers, Voice::Adults, Voice::Other];

    pub fn code(self) -> &'static str {
        match self {
            Voice::Children => "children",
            Voice::ParentsCarers => "parents_carers",
            Voice::Adults => "adults",
            Voice::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Voice::Children => "Children and young people",
            Voice::ParentsCarers => "Parents and carers",
            Voice::Adults => "Adults with care and support needs",
            Voice::Other => "Others (communities, practitioners)",
        }
    }

    pub fn parse(code: &str) -> Option<Voice> {
        Voice::ALL.into_iter().find(|v| v.code() == code)
    }

    pub fn options() -> Vec<(String, String)> {
        Voice::ALL.iter().map(|v| (v.code().to_owned(), v.label().to_owned())).collect()
    }
}
