//! The first pages a person sees: their partnerships, and a home page for
//! their roles in the one they picked ("what needs me now"), drawn from every
//! domain; and the partnership's audit log.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use tower_sessions::Session;

use crate::audit;
use crate::auth::CurrentUser;
use crate::db::{begin_personal, enter_tenant};
use crate::error::Result;
use crate::people::{self, Person};
use crate::roles::{Capability, Role, Roles};
use crate::tenant::Member;
use crate::web::{AppState, Layout};
use sqlx::types::Json;

pub struct MyPartnership {
    pub id: uuid::Uuid,
    pub slug: String,
    pub name: String,
    pub roles: Roles,
}

/// The partnerships a person belongs to, read in a transaction that names
/// them (`app_my_memberships` answers for that person alone).
async fn partnerships_of(conn: &mut sqlx::PgConnection) -> Result<Vec<MyPartnership>> {
    let rows = sqlx::query!(
        r#"select p.id, p.slug, p.name, mm.roles as "roles!"
           from app_my_memberships() mm
           join partnership p on p.id = mm.partnership_id
           order by p.name"#
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| MyPartnership { id: r.id, slug: r.slug, name: r.name, roles: Roles::from_codes(r.roles.iter().map(String::as_str)) })
        .collect())
}

#[derive(Template, WebTemplate)]
#[template(path = "partnerships/choose.html")]
pub struct ChoosePage {
    layout: Layout,
    partnerships: Vec<MyPartnership>,
    /// Decisions waiting for this person's response, in every partnership.
    awaiting: Vec<crate::decisions::Awaiting>,
    is_platform_admin: bool,
}

/// The partnerships a person serves, with what waits for their response in
/// each, in one transaction that enters each partnership in turn (so each is
/// read under its own rules). Someone with one partnership, and no platform
/// to run, goes straight to it.
pub(crate) async fn choose(State(state): State<AppState>, session: Session, user: CurrentUser) -> Result<Response> {
    let mut tx = begin_personal(&state.db, user.id).await?;
    let partnerships = partnerships_of(&mut tx).await?;
    if let [only] = partnerships.as_slice()
        && !user.is_platform_admin
    {
        tx.commit().await?;
        return Ok(Redirect::to(&format!("/p/{}/", only.slug)).into_response());
    }
    let mut awaiting = Vec::new();
    for partnership in &partnerships {
        enter_tenant(&mut tx, partnership.id, Some(user.id)).await?;
        awaiting.extend(crate::decisions::awaiting_in(&mut tx, partnership.id, user.id).await?);
    }
    tx.commit().await?;
    awaiting.sort_by_key(|a| a.closes_at);
    Ok(ChoosePage { awaiting, partnerships, is_platform_admin: user.is_platform_admin, layout: user.layout(&session).await? }
        .into_response())
}

#[derive(Debug, serde::Deserialize)]
pub struct NextMeeting {
    pub id: uuid::Uuid,
    pub group_name: String,
    pub starts_at: chrono::DateTime<chrono::Utc>,
    pub ends_at: chrono::DateTime<chrono::Utc>,
}

impl NextMeeting {
    pub fn when(&self) -> String {
        crate::calendar::when(self.starts_at, self.ends_at)
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "partnerships/home.html")]
pub struct HomePage {
    layout: Layout,
    member: Member,
    /// Lead and delegated partners, deputies, scrutineers and business managers.
    key_people: Vec<Person>,
    /// Others from the member's own organisation (for partners and deputies).
    colleagues: Vec<Person>,
    people_count: usize,
    /// Roles nobody in the partnership holds (for those who manage people).
    vacant_roles: Vec<Role>,
    recent_changes: Vec<audit::Entry>,
    /// The next meetings of the groups this person sits on (all groups for those who run meetings).
    next_meetings: Vec<NextMeeting>,
    my_actions: Vec<crate::actions::Action>,
    /// Every overdue action, for those who follow them all (escalated to the delegated partners).
    overdue_actions: Vec<crate::actions::Action>,
    awaiting: Vec<crate::decisions::Awaiting>,
    other_partnerships: Vec<PartnershipLink>,
    /// Whether this person signs in with a second factor.
    two_factor: bool,
    /// People of the partnership without one (for those who manage people).
    without_two_factor: i64,
    can_manage_people: bool,
    can_view_audit: bool,
}

/// Another partnership the person serves, to go to.
#[derive(Debug, serde::Deserialize)]
pub struct PartnershipLink {
    pub slug: String,
    pub name: String,
}

/// `/p/{slug}` without its slash: the workspace lives at `/p/{slug}/`.
pub(crate) async fn workspace_root(member: Member) -> Redirect {
    Redirect::permanent(&format!("/p/{}/", member.partnership.slug))
}

pub(crate) async fn role_home(State(state): State<AppState>, session: Session, member: Member) -> Result<HomePage> {
    const KEY_ROLES: [Role; 5] = [
        Role::LeadSafeguardingPartner,
        Role::DelegatedSafeguardingPartner,
        Role::Deputy,
        Role::IndependentScrutineer,
        Role::BusinessManager,
    ];
    const PARTNER_ROLES: [Role; 3] = [Role::LeadSafeguardingPartner, Role::DelegatedSafeguardingPartner, Role::Deputy];
    let mut tx = member.begin(&state).await?;
    // Partners and deputies see the others from their own organisation.
    let own_organisation = member.organisation_name.as_deref().filter(|_| PARTNER_ROLES.iter().any(|r| member.roles.has(*r)));
    let can_manage_people = member.roles.allows(Capability::ManagePeople);
    let census = people::census(&mut tx, member.partnership.id, member.user.id, &KEY_ROLES, own_organisation, can_manage_people).await?;
    let (key_people, colleagues) = (
        census.named.iter().filter(|p| KEY_ROLES.iter().any(|r| p.roles.has(*r))).cloned().collect(),
        census
            .named
            .iter()
            .filter(|p| {
                own_organisation.is_some() && p.organisation_name.as_deref() == own_organisation && p.membership_id != member.membership_id
            })
            .cloned()
            .collect(),
    );
    let can_view_audit = member.roles.allows(Capability::ViewAuditLog);
    let (my_actions, overdue_actions) = crate::actions::mine_and_overdue(
        &mut tx,
        member.partnership.id,
        member.membership_id,
        member.roles.allows(Capability::ViewAllActions),
    )
    .await?;
    // What waits for the person's response, the next five meetings (of every group for those who run meetings, else of their
    // own), the latest changes (for those who read the log) and the other partnerships they serve: one statement.
    let rest = crate::decisions::with_awaiting!(
        r#"select coalesce(awaiting.lines, '[]') as "awaiting!: Json<Vec<crate::decisions::Awaiting>>",
                  coalesce((select json_agg(x order by x.starts_at)
                            from (select m.id, g.name as group_name, m.starts_at, m.ends_at
                                  from meeting m join partnership_group g on g.partnership_id = m.partnership_id and g.id = m.group_id
                                  where $3 and m.partnership_id = $1 and m.status = 'scheduled' and m.ends_at >= now()
                                  order by m.starts_at limit 5) x),
                           (select json_agg(x order by x.starts_at)
                            from (select m.id, g.name as group_name, m.starts_at, m.ends_at
                                  from meeting m join partnership_group g on g.partnership_id = m.partnership_id and g.id = m.group_id
                                  where not $3 and m.partnership_id = $1 and m.status = 'scheduled' and m.ends_at >= now()
                                    and exists (select 1 from group_member s where s.partnership_id = m.partnership_id and s.group_id = m.group_id
                                                and s.membership_id = $4 and (s.ends_on is null or s.ends_on >= current_date))
                                  order by m.starts_at limit 5) x), '[]') as "next_meetings!: Json<Vec<NextMeeting>>",
                  coalesce((select json_agg(x order by x.occurred_at desc, x.id desc)
                            from (select a.id, a.occurred_at, u.display_name as actor_name, a.action, a.subject_type
                                  from audit_log a left join app_user u on u.id = a.actor_user_id
                                  where $5 and a.partnership_id = $1 order by a.occurred_at desc, a.id desc limit 8) x), '[]')
                    as "recent_changes!: Json<Vec<audit::Entry>>",
                  coalesce((select json_agg(x order by x.name)
                            from (select p.slug, p.name from app_my_memberships() mm join partnership p on p.id = mm.partnership_id
                                  where mm.partnership_id <> $1) x), '[]')
                    as "other_partnerships!: Json<Vec<PartnershipLink>>"
           from (select) one"#,
        "",
        member.partnership.id,
        member.user.id,
        member.roles.allows(Capability::ManageMeetings),
        member.membership_id,
        can_view_audit
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    let (awaiting, next_meetings, recent_changes, other_partnerships) =
        (rest.awaiting.0, rest.next_meetings.0, rest.recent_changes.0, rest.other_partnerships.0);

    let vacant_roles = Role::ALL.into_iter().filter(|r| !census.held.has(*r)).collect();

    Ok(HomePage {
        layout: member.layout(&session, "home").await?,
        can_manage_people,
        can_view_audit,
        people_count: census.people as usize,
        two_factor: census.mine,
        without_two_factor: census.without_two_factor,
        key_people,
        colleagues,
        vacant_roles,
        recent_changes,
        next_meetings,
        my_actions,
        overdue_actions,
        awaiting,
        other_partnerships,
        member,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "partnerships/audit.html")]
pub struct AuditPage {
    layout: Layout,
    member: Member,
    entries: Vec<audit::Entry>,
}

pub(crate) async fn audit_log(State(state): State<AppState>, session: Session, member: Member) -> Result<AuditPage> {
    member.require(Capability::ViewAuditLog)?;
    let mut tx = member.begin(&state).await?;
    let entries = audit::recent(&mut tx, member.partnership.id).await?;
    tx.commit().await?;
    Ok(AuditPage { layout: member.layout(&session, "audit").await?, member, entries })
}
