//! Roles a person holds in a partnership, and the capabilities they grant.
//! Handlers ask for capabilities, never for role names.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    BusinessManager,
    LeadSafeguardingPartner,
    DelegatedSafeguardingPartner,
    Deputy,
    IndependentScrutineer,
    GroupChair,
    GroupMember,
    Viewer,
}

/// Things a person may do in a partnership.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Capability {
    /// Add people, set their roles and organisation.
    ManagePeople,
    /// Read the partnership's audit log.
    ViewAuditLog,
    /// Change partners, posts, groups, members, terms of reference, agencies and links.
    ManageStructure,
    /// Plan meetings, build agendas, decide late items, record attendance.
    ManageMeetings,
    /// Raise decisions for any body, record partners' responses on their behalf, call votes, withdraw.
    ManageDecisions,
    /// Nominate deputies to respond to decisions for one's own organisation.
    NominateDeputies,
    /// Record the scrutiny arrangements, programme of work and annual review; respond to recommendations for anyone.
    ManageScrutiny,
    /// Write and submit one's own independent scrutiny reports.
    WriteScrutinyReports,
    /// Follow every action of the partnership, not only one's own.
    ViewAllActions,
    /// Record notifications and referrals, run every review and read every case.
    ManageReviews,
    /// Keep the risk register (record, review, change and close any risk; an owner reviews their own) and run
    /// self-assessment rounds (open them, challenge and accept returns).
    ManageAssurance,
    /// Keep the pooled budget, the training offer, the record of engagement with children, adults and families, and
    /// the library of policies and procedures.
    ManageResources,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::BusinessManager,
        Role::LeadSafeguardingPartner,
        Role::DelegatedSafeguardingPartner,
        Role::Deputy,
        Role::IndependentScrutineer,
        Role::GroupChair,
        Role::GroupMember,
        Role::Viewer,
    ];

    /// The value stored in `membership_role.role`.
    pub fn code(self) -> &'static str {
        match self {
            Role::BusinessManager => "business_manager",
            Role::LeadSafeguardingPartner => "lead_safeguarding_partner",
            Role::DelegatedSafeguardingPartner => "delegated_safeguarding_partner",
            Role::Deputy => "deputy",
            Role::IndependentScrutineer => "independent_scrutineer",
            Role::GroupChair => "group_chair",
            Role::GroupMember => "group_member",
            Role::Viewer => "viewer",
        }
    }

    pub fn from_code(code: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.code() == code)
    }

    /// The form used in demo e-mail addresses: `business-manager@swindon.example`.
    pub fn slug(self) -> String {
        self.code().replace('_', "-")
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::BusinessManager => "Business manager",
            Role::LeadSafeguardingPartner => "Lead safeguarding partner",
            Role::DelegatedSafeguardingPartner => "Delegated safeguarding partner",
            Role::Deputy => "Deputy",
            Role::IndependentScrutineer => "Independent scrutineer",
            Role::GroupChair => "Group chair",
            Role::GroupMember => "Group member",
            Role::Viewer => "Viewer",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Role::BusinessManager => "Runs the partnership day to day: structure, people, meetings, papers and reports.",
            Role::LeadSafeguardingPartner => "Chief officer of a statutory partner, accountable for its part in the arrangements.",
            Role::DelegatedSafeguardingPartner => "Takes decisions for a statutory partner on the lead partner's behalf.",
            Role::Deputy => "Acts for a delegated safeguarding partner when nominated.",
            Role::IndependentScrutineer => "Gives independent scrutiny of the arrangements and reports on them.",
            Role::GroupChair => "Chairs a group or subgroup of the partnership.",
            Role::GroupMember => "Represents an agency on a group of the partnership.",
            Role::Viewer => "Reads the partnership's records.",
        }
    }

    fn grants(self, capability: Capability) -> bool {
        matches!(
            (self, capability),
            (
                Role::BusinessManager,
                Capability::ManagePeople
                    | Capability::ViewAuditLog
                    | Capability::ManageStructure
                    | Capability::ManageMeetings
                    | Capability::ManageDecisions
                    | Capability::ManageScrutiny
                    | Capability::ViewAllActions
                    | Capability::ManageReviews
                    | Capability::ManageAssurance
                    | Capability::ManageResources
            ) | (Role::IndependentScrutineer, Capability::ViewAuditLog | Capability::WriteScrutinyReports | Capability::ViewAllActions)
                | (Role::DelegatedSafeguardingPartner, Capability::NominateDeputies | Capability::ViewAllActions)
                | (Role::LeadSafeguardingPartner, Capability::ViewAllActions)
        )
    }
}

/// The roles one person holds in one partnership.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Roles(Vec<Role>);

impl Roles {
    pub fn from_codes<'a>(codes: impl IntoIterator<Item = &'a str>) -> Self {
        let mut roles: Vec<Role> = codes.into_iter().filter_map(Role::from_code).collect();
        roles.sort();
        roles.dedup();
        Roles(roles)
    }

    pub fn new(mut roles: Vec<Role>) -> Self {
        roles.sort();
        roles.dedup();
        Roles(roles)
    }

    pub fn allows(&self, capability: Capability) -> bool {
        self.0.iter().any(|r| r.grants(capability))
    }

    pub fn has(&self, role: Role) -> bool {
        self.0.contains(&role)
    }

    pub fn iter(&self) -> impl Iterator<Item = Role> + '_ {
        self.0.iter().copied()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// "Business manager, Viewer"
    pub fn labels(&self) -> String {
        self.0.iter().map(|r| r.label()).collect::<Vec<_>>().join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_codes_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::from_code(role.code()), Some(role));
        }
        assert_eq!(Role::from_code("chief"), None);
    }

    #[test]
    fn only_business_managers_manage_people() {
        for role in Role::ALL {
            let roles = Roles::new(vec![role]);
            assert_eq!(roles.allows(Capability::ManagePeople), role == Role::BusinessManager, "{role:?}");
        }
    }

    #[test]
    fn demo_slugs_use_hyphens() {
        assert_eq!(Role::DelegatedSafeguardingPartner.slug(), "delegated-safeguarding-partner");
    }
}
