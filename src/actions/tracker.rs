//! The action tracker: your actions, and for those who follow every action
//! (business managers, partners, scrutineers) everyone's.

use crate::actions::Action;
use crate::actions::Status;
use crate::actions::{Actions, list};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use tower_sessions::Session;

use crate::error::Result;
use crate::roles::Capability;
use crate::tenant::Member;
use crate::web::{AppState, Layout};

#[derive(Template, WebTemplate)]
#[template(path = "actions/index.html")]
pub(crate) struct IndexPage {
    pub(super) layout: Layout,
    pub(super) member: Member,
    pub(super) mine: Vec<Action>,
    pub(super) others: Vec<Action>,
    pub(super) can_manage: bool,
    /// Whether this person may update anyone's action from the list (others use each action's page).
    pub(super) can_update_all: bool,
    pub(super) statuses: [(&'static str, &'static str); 4],
}

pub(crate) async fn index(State(state): State<AppState>, session: Session, member: Member) -> Result<IndexPage> {
    let can_manage = member.roles.allows(Capability::ViewAllActions);
    let mut tx = member.begin(&state).await?;
    // Business managers, partners and scrutineers follow every action; others their own.
    let which = if can_manage { Actions::Open } else { Actions::OwnedBy(member.membership_id) };
    let all = list(&mut tx, member.partnership.id, which).await?;
    tx.commit().await?;
    let (mine, others) = all.into_iter().partition(|a| a.owner_membership_id == Some(member.membership_id));
    let can_update_all = member.roles.allows(Capability::ManageMeetings) || member.roles.allows(Capability::ManageScrutiny);
    Ok(IndexPage {
        layout: member.layout(&session, "actions").await?,
        member,
        mine,
        others,
        can_manage,
        can_update_all,
        statuses: Status::options(),
    })
}
