//! The closed vocabularies of a partnership's structure, as stored and as shown.

use serde::Deserialize;

macro_rules! vocabulary {
    ($(#[$doc:meta])* $name:ident { $($variant:ident => ($code:literal, $label:literal)),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The value stored in the database and sent by forms.
            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }
            pub fn from_code(code: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.code() == code)
            }
            /// The label for a stored code (unknown codes show as they are).
            pub fn label_of(code: &str) -> &str {
                Self::from_code(code).map(Self::label).unwrap_or(code)
            }
        }
    };
}

vocabulary! {
    /// What kind of organisation it is.
    Sector {
        LocalAuthority => ("local_authority", "Local authority"),
        Health => ("health", "Health"),
        Police => ("police", "Police"),
        Education => ("education", "Education"),
        Probation => ("probation", "Probation"),
        Voluntary => ("voluntary", "Voluntary and community"),
        Other => ("other", "Other"),
    }
}

vocabulary! {
    /// A position the arrangements name.
    PostKind {
        LeadPartner => ("lead_partner", "Lead safeguarding partner"),
        DelegatedPartner => ("delegated_partner", "Delegated safeguarding partner"),
        PartnershipChair => ("partnership_chair", "Partnership chair"),
        IndependentScrutineer => ("independent_scrutineer", "Independent scrutiny"),
        IndependentPerson => ("independent_person", "Independent person"),
        BusinessManager => ("business_manager", "Business manager"),
        Other => ("other", "Other"),
    }
}

vocabulary! {
    /// Where a group sits in the arrangements.
    GroupKind {
        Accountability => ("accountability", "Lead partners' accountability group"),
        Executive => ("executive", "Executive"),
        Board => ("board", "Board"),
        Subgroup => ("subgroup", "Subgroup"),
        TaskAndFinish => ("task_and_finish", "Task and finish group"),
        Thematic => ("thematic", "Thematic group"),
        WiderPartnership => ("wider_partnership", "Wider partnership"),
        Other => ("other", "Other group"),
    }
}

vocabulary! {
    /// A person's role in a group.
    RoleInGroup {
        Chair => ("chair", "Chair"),
        ViceChair => ("vice_chair", "Vice chair"),
        Member => ("member", "Member"),
        Adviser => ("adviser", "Adviser"),
        Invited => ("invited", "Invited when needed"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for k in GroupKind::ALL {
            assert_eq!(GroupKind::from_code(k.code()), Some(*k));
        }
        assert_eq!(Sector::label_of("police"), "Police");
        assert_eq!(Sector::label_of("unknown"), "unknown");
        assert_eq!(PostKind::from_code("emperor"), None);
    }
}
