//! The first pages a person sees: their partnerships, and a home page for
//! their roles in the one they picked ("what needs me now"), drawn from every
//! domain; and the partnership's audit log.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::Redirect;
use tower_sessions::Session;

use crate::audit;
use crate::auth::CurrentUser;
use crate::db::begin_personal;
use crate::error::Result;
use crate::people::{self, Person};
use crate::roles::{Capability, Role, Roles};
use crate::tenant::Member;
use crate::web::{AppState, Layout};

pub struct MyPartnership {
    pub id: uuid::Uuid,
    pub slug: String,
    pub name: String,
    pub roles: Roles,
}

/// The partnerships a person belongs to, in a transaction of their own.
async fn my_partnerships(state: &AppState, user: &CurrentUser) -> Result<Vec<MyPartnership>> {
    let mut tx = begin_personal(&state.db, user.id).await?;
    let mine = partnerships_of(&mut tx, user.id).await?;
    tx.commit().await?;
    Ok(mine)
}

/// The partnerships a person belongs to, read in any transaction that names
/// them (row-level security shows everyone their own memberships).
async fn partnerships_of(conn: &mut sqlx::PgConnection, user_id: uuid::Uuid) -> Result<Vec<MyPartnership>> {
    let rows = sqlx::query!(
        r#"select p.id, p.slug, p.name,
                  coalesce(array_agg(r.role) filter (where r.role is not null), '{}') as "roles!"
           from membership m
           join partnership p on p.id = m.partnership_id
           left join membership_role r on r.partnership_id = m.partnership_id and r.membership_id = m.id
           where m.user_id = $1 and m.is_current
           group by p.id
           order by p.name"#,
        user_id
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

pub(crate) async fn choose(State(state): State<AppState>, session: Session, user: CurrentUser) -> Result<ChoosePage> {
    let partnerships = my_partnerships(&state, &user).await?;
    let ids: Vec<uuid::Uuid> = partnerships.iter().map(|p| p.id).collect();
    Ok(ChoosePage {
        awaiting: crate::decisions::awaiting(&state, user.id, &ids).await?,
        partnerships,
        is_platform_admin: user.is_platform_admin,
        layout: user.layout(&session).await?,
    })
}

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
    other_partnerships: Vec<MyPartnership>,
    /// Whether this person signs in with a second factor.
    two_factor: bool,
    /// People of the partnership without one (for those who manage people).
    without_two_factor: i64,
    can_manage_people: bool,
    can_view_audit: bool,
}

/// The next five meetings not yet ended, narrowed by `$where`: one statement
/// for each way the page asks (all groups, or the person's own), so each is
/// planned for its own filter.
macro_rules! next_meetings {
    ($conn:expr, $where:literal, $($arg:expr),+) => {
        sqlx::query_as!(
            NextMeeting,
            r#"select m.id, g.name as group_name, m.starts_at as "starts_at: chrono::DateTime<chrono::Utc>",
                      m.ends_at as "ends_at: chrono::DateTime<chrono::Utc>"
               from meeting m join partnership_group g on g.partnership_id = m.partnership_id and g.id = m.group_id
               where m.partnership_id = $1 and m.status = 'scheduled' and m.ends_at >= now() "# + $where + r#"
               order by m.starts_at limit 5"#,
            $($arg),+
        )
        .fetch_all($conn)
        .await
    };
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
    let key_people = people::with_roles(&mut tx, member.partnership.id, &KEY_ROLES, None).await?;
    // Partners and deputies see the others from their own organisation.
    let colleagues = match (&member.organisation_name, PARTNER_ROLES.iter().any(|r| member.roles.has(*r))) {
        (Some(org), true) => people::with_roles(&mut tx, member.partnership.id, &Role::ALL, Some(org))
            .await?
            .into_iter()
            .filter(|p| p.membership_id != member.membership_id)
            .collect(),
        _ => Vec::new(),
    };
    let census = people::census(&mut tx, member.partnership.id, member.user.id).await?;
    let can_view_audit = member.roles.allows(Capability::ViewAuditLog);
    let recent_changes = if can_view_audit { audit::recent(&mut tx, member.partnership.id, 8).await? } else { Vec::new() };
    let next_meetings = if member.roles.allows(Capability::ManageMeetings) {
        next_meetings!(&mut *tx, "", member.partnership.id)
    } else {
        next_meetings!(
            &mut *tx,
            "and exists (select 1 from group_member s where s.partnership_id = m.partnership_id and s.group_id = m.group_id
                         and s.membership_id = $2 and (s.ends_on is null or s.ends_on >= current_date))",
            member.partnership.id,
            member.membership_id
        )
    }?;
    let my_actions = crate::actions::list(&mut tx, member.partnership.id, crate::actions::Actions::OwnedBy(member.membership_id)).await?;
    let awaiting = crate::decisions::awaiting_in(&mut tx, member.partnership.id, member.user.id).await?;
    let overdue_actions = if member.roles.allows(Capability::ViewAllActions) {
        let overdue = crate::actions::Actions::DueBefore(crate::calendar::today());
        crate::actions::list(&mut tx, member.partnership.id, overdue).await?
    } else {
        Vec::new()
    };
    let other_partnerships =
        partnerships_of(&mut tx, member.user.id).await?.into_iter().filter(|p| p.slug != member.partnership.slug).collect();
    tx.commit().await?;

    let vacant_roles = Role::ALL.into_iter().filter(|r| !census.held.has(*r)).collect();

    Ok(HomePage {
        layout: member.layout(&session, "home").await?,
        can_manage_people: member.roles.allows(Capability::ManagePeople),
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
    let entries = audit::recent(&mut tx, member.partnership.id, 200).await?;
    tx.commit().await?;
    Ok(AuditPage { layout: member.layout(&session, "audit").await?, member, entries })
}
