//! The action tracker: your actions, and for those who follow every action
//! (business managers, partners, scrutineers) everyone's.

use crate::actions::Action;
use crate::actions::Status;
use crate::actions::{Actions, TRACKER_SHOWN, count_open_of_others, list};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use tower_sessions::Session;

use crate::error::Result;
use crate::roles::Capability;
use crate::tenant::Member;
use crate::web::paging::ShownQuery;
use crate::web::{AppState, Layout, Query};

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
    /// How many of everyone else's open actions there are in all (the list shows the soonest due).
    pub(super) others_total: i64,
    /// How many the "show more" link asks for, when there are more.
    pub(super) show_more: Option<i64>,
}

pub(crate) async fn index(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Query(query): Query<ShownQuery>,
) -> Result<IndexPage> {
    let can_manage = member.roles.allows(Capability::ViewAllActions);
    let shown = query.limit(TRACKER_SHOWN);
    let mut tx = member.begin(&state).await?;
    let pid = member.partnership.id;
    let mine = list(&mut tx, pid, Actions::OwnedBy(member.membership_id)).await?;
    // Business managers, partners and scrutineers follow every action, the soonest due first; others their own.
    let (others, others_total) = if can_manage {
        (
            list(&mut tx, pid, Actions::OpenOfOthers(member.membership_id, shown)).await?,
            count_open_of_others(&mut tx, pid, member.membership_id).await?,
        )
    } else {
        (Vec::new(), 0)
    };
    tx.commit().await?;
    let show_more = query.more(TRACKER_SHOWN, others.len(), others_total);
    let can_update_all = member.roles.allows(Capability::ManageMeetings) || member.roles.allows(Capability::ManageScrutiny);
    Ok(IndexPage {
        layout: member.layout(&session, "actions").await?,
        member,
        mine,
        others,
        can_manage,
        can_update_all,
        statuses: Status::options(),
        others_total,
        show_more,
    })
}
