//! The first pages a person sees: their partnerships, and a home page for
//! their roles in the one they picked ("what needs me now"), drawn from every
//! domain; and the partnership's audit log.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use tower_sessions::Session;

pub mod audit;
pub mod needs;

use crate::auth::CurrentUser;
use crate::db::{begin_personal, enter_tenant};
use crate::error::Result;
use crate::people::{self, Person};
use crate::roles::{Capability, Role, Roles};
use crate::tenant::Member;
use crate::web::{AppState, Layout};
use needs::Need;
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
    /// What needs this person now in every partnership they serve, soonest first.
    needs: Vec<Need>,
    is_platform_admin: bool,
}

/// The partnerships a person serves, with what needs them now in all of
/// them, in one transaction that enters each partnership in turn (so each is
/// read under its own rules, as its home page reads it). Someone with one
/// partnership, and no platform to run, goes straight to it.
pub(crate) async fn choose(State(state): State<AppState>, session: Session, user: CurrentUser) -> Result<Response> {
    let mut tx = begin_personal(&state.db, user.id).await?;
    let partnerships = partnerships_of(&mut tx).await?;
    if let [only] = partnerships.as_slice()
        && !user.is_platform_admin
    {
        tx.commit().await?;
        return Ok(Redirect::to(&format!("/p/{}/", only.slug)).into_response());
    }
    let today = crate::calendar::today();
    let mut needs = Vec::new();
    for partnership in &partnerships {
        enter_tenant(&mut tx, partnership.id, Some(user.id)).await?;
        let asking = needs::Asking {
            partnership_id: partnership.id,
            slug: &partnership.slug,
            partnership_name: &partnership.name,
            user_id: user.id,
            roles: &partnership.roles,
        };
        needs.extend(needs::read(&mut tx, asking, today).await?);
    }
    tx.commit().await?;
    needs::sort(&mut needs);
    Ok(ChoosePage { needs, partnerships, is_platform_admin: user.is_platform_admin, layout: user.layout(&session).await? }.into_response())
}

#[derive(Clone, Debug, serde::Deserialize)]
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
    /// What needs this person now in this partnership, soonest first.
    needs: Vec<Need>,
    /// Lead and delegated partners, deputies, scrutineers and business managers.
    key_people: Vec<Person>,
    recent_changes: Vec<crate::audit::Entry>,
    /// The next meetings of the groups this person sits on (all groups for those who run meetings).
    next_meetings: Vec<NextMeeting>,
    other_partnerships: Vec<PartnershipLink>,
    can_view_audit: bool,
}

/// Another partnership the person serves, to go to.
#[derive(Clone, Debug, serde::Deserialize)]
pub struct PartnershipLink {
    pub slug: String,
    pub name: String,
}

/// `/p/{slug}` without its slash: the workspace lives at `/p/{slug}/`.
pub(crate) async fn workspace_root(member: Member) -> Redirect {
    Redirect::permanent(&format!("/p/{}/", member.partnership.slug))
}

/// The roles a newcomer looks for on the home page.
const KEY_ROLES: [Role; 5] =
    [Role::LeadSafeguardingPartner, Role::DelegatedSafeguardingPartner, Role::Deputy, Role::IndependentScrutineer, Role::BusinessManager];

/// What a home page shows, kept between views until the partnership's records change (`db::changes`).
#[derive(Clone)]
struct HomeReading {
    needs: Vec<Need>,
    key_people: Vec<Person>,
    recent_changes: Vec<crate::audit::Entry>,
    next_meetings: Vec<NextMeeting>,
    other_partnerships: Vec<PartnershipLink>,
}

/// A person's home page in one partnership: what needs them now, then their
/// next meetings, who's who, the latest changes and their other
/// partnerships. BEGIN, entering, three reads and COMMIT, however many
/// partnerships, groups and records there are; and, viewed again before
/// anything in the partnership changes (or a minute passes), BEGIN, entering
/// and COMMIT: the reading is kept, for this person with these roles and seats
/// on this day. A hard reload (`Cache-Control: no-cache`) reads afresh.
pub(crate) async fn role_home(
    State(state): State<AppState>,
    session: Session,
    headers: axum::http::HeaderMap,
    member: Member,
) -> Result<HomePage> {
    let today = crate::calendar::today();
    let afresh = headers
        .get_all(axum::http::header::CACHE_CONTROL)
        .iter()
        .any(|value| value.to_str().is_ok_and(|v| v.to_ascii_lowercase().contains("no-cache")));
    let key = format!("home/{}/{today}/{:?}/{:?}/{:?}", member.membership_id, member.roles, member.seats, member.chairs);
    let mut tx = member.begin(&state).await?;
    let can_view_audit = member.roles.allows(Capability::ViewAuditLog);
    let kept = if afresh { None } else { state.changes.kept::<HomeReading>(member.partnership.id, &key) };
    let reading = match kept {
        Some(kept) => kept,
        None => {
            let mark = state.changes.mark(member.partnership.id);
            let reading = std::sync::Arc::new(read_home(&mut tx, &member, today, can_view_audit).await?);
            if let Some(mark) = mark {
                state.changes.keep(mark, &member.partnership.slug, key, reading.clone());
            }
            reading
        }
    };
    tx.commit().await?;
    let HomeReading { needs, key_people, recent_changes, next_meetings, other_partnerships } = (*reading).clone();
    Ok(HomePage {
        layout: member.layout(&session, "home").await?,
        needs,
        key_people,
        recent_changes,
        next_meetings,
        other_partnerships,
        can_view_audit,
        member,
    })
}

async fn read_home(tx: &mut crate::db::Tx, member: &Member, today: chrono::NaiveDate, can_view_audit: bool) -> Result<HomeReading> {
    let needs = needs::read(tx, needs::Asking::member(member), today).await?;
    let key_people = people::who_holds(tx, member.partnership.id, &KEY_ROLES).await?;
    // The next five meetings (of every group for those who run meetings, else of their own), the latest changes (for those who
    // read the log) and the other partnerships they serve: one statement, its switches read in scalar subqueries so that it
    // keeps one plan for everyone (see `needs::read`).
    let rest = sqlx::query!(
        r#"select coalesce((select json_agg(x order by x.starts_at)
                            from (select m.id, g.name as group_name, m.starts_at, m.ends_at
                                  from meeting m join partnership_group g on g.partnership_id = m.partnership_id and g.id = m.group_id
                                  where (select $2::boolean) and m.partnership_id = $1 and m.status = 'scheduled'
                                    -- Not yet over: from the index by start (a meeting lasts under 25 hours).
                                    and m.starts_at > now() - interval '25 hours' and m.ends_at >= now()
                                  order by m.starts_at limit 5) x),
                           (select json_agg(x order by x.starts_at)
                            from (select m.id, g.name as group_name, m.starts_at, m.ends_at
                                  from meeting m join partnership_group g on g.partnership_id = m.partnership_id and g.id = m.group_id
                                  where not (select $2::boolean) and m.partnership_id = $1 and m.status = 'scheduled'
                                    and m.starts_at > now() - interval '25 hours' and m.ends_at >= now()
                                    and exists (select 1 from group_member s where s.partnership_id = m.partnership_id and s.group_id = m.group_id
                                                and s.membership_id = $3 and (s.ends_on is null or s.ends_on >= current_date))
                                  order by m.starts_at limit 5) x), '[]') as "next_meetings!: Json<Vec<NextMeeting>>",
                  coalesce((select json_agg(x order by x.occurred_at desc, x.id desc)
                            from (select a.id, a.occurred_at, u.display_name as actor_name, a.action, a.subject_type, a.subject_id,
                                         a.before, a.after
                                  from audit_log a left join app_user u on u.id = a.actor_user_id
                                  where (select $4::boolean) and a.partnership_id = $1 order by a.occurred_at desc, a.id desc limit 8) x), '[]')
                    as "recent_changes!: Json<Vec<crate::audit::Entry>>",
                  coalesce((select json_agg(x order by x.name)
                            from (select p.slug, p.name from app_my_memberships() mm join partnership p on p.id = mm.partnership_id
                                  where mm.partnership_id <> $1) x), '[]')
                    as "other_partnerships!: Json<Vec<PartnershipLink>>""#,
        member.partnership.id,
        member.roles.allows(Capability::ManageMeetings),
        member.membership_id,
        can_view_audit
    )
    .fetch_one(&mut **tx)
    .await?;
    Ok(HomeReading {
        needs,
        key_people,
        recent_changes: rest.recent_changes.0,
        next_meetings: rest.next_meetings.0,
        other_partnerships: rest.other_partnerships.0,
    })
}
