//! People in a partnership: who they are, the organisation they represent and
//! their roles. Business managers add people, change their roles and remove them.

pub mod pages;

pub use crate::email::Email;

use serde_json::json;
use sqlx::PgConnection;
use sqlx::types::Json;
use uuid::Uuid;

use crate::audit::Change;
use crate::auth::CurrentUser;
use crate::roles::{Role, Roles};
use crate::web::listing::{Column, Reach};

/// A person's full name as they want it shown.
pub struct PersonName;

impl PersonName {
    pub const MAX_LEN: usize = 120;

    pub fn parse(input: &str) -> Result<String, String> {
        let name = input.split_whitespace().collect::<Vec<_>>().join(" ");
        if name.is_empty() {
            Err("Enter the person's full name".into())
        } else if name.chars().count() > Self::MAX_LEN {
            Err(format!("Full name must be {} characters or fewer", Self::MAX_LEN))
        } else {
            Ok(name)
        }
    }
}

/// Someone's place in a partnership, as the people pages show it.
#[derive(Clone, Debug)]
pub struct Person {
    pub membership_id: Uuid,
    pub display_name: String,
    pub email: String,
    pub job_title: String,
    pub organisation_id: Option<Uuid>,
    pub organisation_name: Option<String>,
    pub roles: Roles,
    /// Invited but has not yet set a password, or not yet accepted.
    pub invitation_pending: bool,
    /// Signs in with a second factor.
    pub two_factor: bool,
}

impl Person {
    pub fn organisation(&self) -> &str {
        self.organisation_name.as_deref().unwrap_or("")
    }

    /// The person's place as the audit log records it.
    pub fn audit_record(&self) -> serde_json::Value {
        json!({
            "name": self.display_name,
            "email": self.email,
            "organisation_id": self.organisation_id,
            "job_title": self.job_title,
            "roles": self.roles.iter().collect::<Vec<_>>(),
        })
    }
}

#[derive(Debug, serde::Deserialize)]
struct PersonRow {
    membership_id: Uuid,
    display_name: String,
    email: String,
    job_title: String,
    organisation_id: Option<Uuid>,
    organisation_name: Option<String>,
    roles: Vec<String>,
    invitation_pending: bool,
    two_factor: bool,
}

impl From<PersonRow> for Person {
    fn from(r: PersonRow) -> Self {
        Person {
            membership_id: r.membership_id,
            display_name: r.display_name,
            email: r.email,
            job_title: r.job_title,
            organisation_id: r.organisation_id,
            organisation_name: r.organisation_name,
            roles: Roles::from_codes(r.roles.iter().map(String::as_str)),
            invitation_pending: r.invitation_pending,
            two_factor: r.two_factor,
        }
    }
}

/// The same columns for every list of people; `$where` narrows the partnership's
/// current members. Each use is its own statement, planned for what it asks.
macro_rules! people_lines {
    ($conn:expr, $where:literal, $($arg:expr),+) => {
        sqlx::query_as!(
            PersonRow,
            r#"select m.id as membership_id,
                      -- Until the person accepts, the partnership knows them by the name it gave, not their account's.
                      m.known_as as display_name,
                      u.email, m.job_title,
                      m.organisation_id, o.name as "organisation_name?",
                      coalesce(array_agg(r.role order by r.role) filter (where r.role is not null), '{}') as "roles!",
                      (u.password_hash is null or m.accepted_at is null) as "invitation_pending!",
                      (u.totp_enabled_at is not null) as "two_factor!"
               from membership m
               join app_user u on u.id = m.user_id
               left join organisation o on o.partnership_id = m.partnership_id and o.id = m.organisation_id
               left join membership_role r on r.partnership_id = m.partnership_id and r.membership_id = m.id
               where m.partnership_id = $1 and m.removed_at is null "# + $where + r#"
               group by m.partnership_id, m.id, u.id, o.name
               order by m.known_as, m.id"#,
            $($arg),+
        )
        .fetch_all($conn)
        .await
        .map(|rows| rows.into_iter().map(Person::from).collect::<Vec<_>>())
    };
}

/// Everyone in a partnership, by name: one query whatever the number of people
/// (for the few who need them all; a page lists [`first`]).
pub async fn list(conn: &mut PgConnection, partnership_id: Uuid) -> sqlx::Result<Vec<Person>> {
    people_lines!(conn, "", partnership_id)
}

/// What the list of people may be narrowed to by how they sign in.
pub const SIGN_IN_STATES: [(&str, &str); 3] =
    [("invited", "Invited, not yet signed in"), ("no_two_factor", "Without two-factor sign-in"), ("two_factor", "With two-factor sign-in")];

/// The columns the list of people sorts by.
pub const PEOPLE_COLUMNS: [Column; 2] = [Column { key: "name", heading: "Name" }, Column { key: "organisation", heading: "Organisation" }];

/// A view of the people: every filter may be empty (no filter).
#[derive(Debug)]
pub struct Listed<'a> {
    /// A `like` pattern for the name, email address or job title, or "".
    pub pattern: &'a str,
    pub organisation: Option<Uuid>,
    /// A role's code, or "".
    pub role: &'a str,
    /// One of the codes of [`SIGN_IN_STATES`], or "".
    pub sign_in: &'a str,
    pub sort: &'a str,
    pub descending: bool,
    /// The page, or everyone for a download, and how far to count.
    pub reach: Reach,
    /// The list as it opens (`View::as_it_opens`): read by a statement of its own.
    pub as_it_opens: bool,
}

/// A page of a view of the people and what the page around it shows.
#[derive(Debug)]
pub struct ListedPeople {
    pub people: Vec<Person>,
    /// How many the view holds, counted up to the view's bound and one more.
    pub counted: i64,
    /// The organisations to choose from.
    pub organisations: Vec<(String, String)>,
    /// Whether everyone in the partnership signs in with a second factor.
    pub two_factor_required: bool,
}

/// A page of the people asked for, with what the page around it shows and how
/// many the view holds, counted up to its bound and one more: one statement.
/// `$matching` selects the memberships the view holds (`m`), `$order` numbers
/// them; `$1` is the partnership, `$2` and `$3` the page's limit and offset,
/// `$4` the count's limit, and the filters follow. The account, the
/// organisation's name and the roles are read for the page's lines alone.
macro_rules! people_page {
    ($conn:expr, $matching:literal, $order:literal, $($arg:expr),+) => {{
        let row = sqlx::query!(
            "with matching as not materialized (" + $matching + r#")
               select coalesce((select json_agg(x order by x.position) from (
                      select m.id as membership_id, m.known_as as display_name, u.email, m.job_title, m.organisation_id, o.name as organisation_name,
                             coalesce((select array_agg(r.role order by r.role) from membership_role r
                                       where r.partnership_id = m.partnership_id and r.membership_id = m.id), '{}') as roles,
                             (u.password_hash is null or m.accepted_at is null) as invitation_pending, m.two_factor, m.position
                      from (select m.*, row_number() over (order by "# + $order + r#") as position from matching m) m
                      join app_user u on u.id = m.user_id
                      left join organisation o on o.partnership_id = m.partnership_id and o.id = m.organisation_id
                      where m.position <= $2::bigint + $3::bigint and m.position > $3::bigint) x), '[]') as "lines!: Json<Vec<PersonRow>>",
                      -- How many the view holds, counted no further than the view's bound (`View::count_to`).
                      (select count(*) from (select 1 from matching limit $4) c) as "counted!",
                      coalesce((select json_agg(json_build_array(o.id, o.name) order by o.name)
                                from organisation o where o.partnership_id = $1 and o.retired_on is null), '[]') as "organisations!: Json<Vec<(Uuid, String)>>",
                      (select p.two_factor_required from partnership p where p.id = $1) as "two_factor_required!""#,
            $($arg),+
        )
        .fetch_one($conn)
        .await?;
        let organisations = row.organisations.0.into_iter().map(|(id, name)| (id.to_string(), name)).collect();
        let people = row.lines.0.into_iter().map(Person::from).collect();
        ListedPeople { people, counted: row.counted, organisations, two_factor_required: row.two_factor_required }
    }};
}

/// A page of the people asked for, with what the page around it shows and how many the view holds, counted up to
/// its bound and one more: one statement. The list as it opens has its own, with nothing optional in it, so its
/// plan is kept (`web::listing::generic_plans`), and it reads the page from the index by name; any other view is
/// one statement with every filter optional, planned for its values.
pub async fn listed(conn: &mut PgConnection, partnership_id: Uuid, view: &Listed<'_>) -> sqlx::Result<ListedPeople> {
    let Reach { limit, offset, .. } = view.reach;
    let count_limit = view.reach.count_limit();
    if view.as_it_opens {
        return Ok(people_page!(
            conn,
            "select m.* from membership m where m.partnership_id = $1 and m.removed_at is null",
            "m.known_as, m.id",
            partnership_id,
            limit,
            offset,
            count_limit
        ));
    }
    Ok(people_page!(
        conn,
        r#"select m.*, o.name as by_organisation
           from membership m
           join app_user u on u.id = m.user_id
           left join organisation o on o.partnership_id = m.partnership_id and o.id = m.organisation_id
           where m.partnership_id = $1 and m.removed_at is null
             and ($5 = '' or m.known_as ilike $5 or u.email ilike $5 or m.job_title ilike $5)
             and ($6::uuid is null or m.organisation_id = $6)
             and ($7 = '' or exists (select 1 from membership_role r
                                     where r.partnership_id = m.partnership_id and r.membership_id = m.id and r.role = $7))
             and case $8::text
                   when 'invited' then u.password_hash is null or m.accepted_at is null
                   when 'no_two_factor' then not m.two_factor
                   when 'two_factor' then m.two_factor
                   else true end"#,
        r#"case when $9 = 'organisation' and not $10 then m.by_organisation end,
           case when $9 = 'organisation' and $10 then m.by_organisation end desc,
           case when $9 = 'name' and $10 then m.known_as end desc,
           m.known_as, m.id"#,
        partnership_id,
        limit,
        offset,
        count_limit,
        view.pattern,
        view.organisation,
        view.role,
        view.sign_in,
        view.sort,
        view.descending
    ))
}

/// Everyone in a partnership as a form offers them to choose from (an
/// action's owner, a seat's account): their membership and name, by name.
/// Lighter than [`list`]: no roles, organisation or account state.
pub async fn choices(conn: &mut PgConnection, partnership_id: Uuid) -> sqlx::Result<Vec<(String, String)>> {
    Ok(sqlx::query!(
        r#"select m.id, m.known_as from membership m
           where m.partnership_id = $1 and m.removed_at is null
           order by m.known_as, m.id"#,
        partnership_id
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| (r.id.to_string(), r.known_as))
    .collect())
}

/// The people holding any of `roles`, by name: found from the roles' index,
/// not by testing everyone (the home page's "who's who").
pub async fn who_holds(conn: &mut PgConnection, partnership_id: Uuid, roles: &[Role]) -> sqlx::Result<Vec<Person>> {
    let codes: Vec<String> = roles.iter().map(|r| r.code().to_owned()).collect();
    people_lines!(
        conn,
        // The roles in a scalar subquery: as a bare parameter, each call was planned afresh for its array.
        "and m.id in (select h.membership_id from membership_role h where h.partnership_id = $1 and h.role = any((select $2::text[])::text[]))",
        partnership_id,
        &codes
    )
}

pub async fn find(conn: &mut PgConnection, partnership_id: Uuid, membership_id: Uuid) -> sqlx::Result<Option<Person>> {
    Ok(people_lines!(conn, "and m.id = $2", partnership_id, membership_id)?.pop())
}

pub struct Organisation {
    pub id: Uuid,
    pub name: String,
}

pub async fn organisations(conn: &mut PgConnection, partnership_id: Uuid) -> sqlx::Result<Vec<Organisation>> {
    sqlx::query_as!(
        Organisation,
        "select id, name from organisation where partnership_id = $1 order by is_statutory_partner desc, name",
        partnership_id
    )
    .fetch_all(conn)
    .await
}

/// A person to add, checked.
pub struct NewPerson {
    pub name: String,
    pub email: Email,
    pub organisation_id: Option<Uuid>,
    pub job_title: String,
    pub roles: Vec<Role>,
}

pub struct Added {
    pub membership_id: Uuid,
    /// What the person is asked to do, and the token of the link to send them.
    pub invitation: (Invitation, String),
}

/// What an invitation asks of the person.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Invitation {
    /// A new account: set a password, and with it join.
    ToSetPassword,
    /// An account that already signs in: accept, signed in, to join.
    ToJoin,
}

#[derive(Debug, thiserror::Error)]
pub enum AddError {
    #[error("already a member")]
    AlreadyMember,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

impl From<AddError> for crate::error::AppError {
    fn from(e: AddError) -> Self {
        match e {
            AddError::Database(e) => e.into(),
            AddError::AlreadyMember => crate::error::AppError::Internal(anyhow::anyhow!("person is already a member")),
        }
    }
}

/// Add a person to a partnership, creating their account (and an invitation
/// to set a password) when they have none. Runs inside the caller's tenant
/// transaction; the unique key on (partnership, person) makes a repeated
/// submission an `AlreadyMember` rather than a second membership.
pub async fn add_person(
    conn: &mut PgConnection,
    partnership_id: Uuid,
    actor: &CurrentUser,
    person: &NewPerson,
    client_address: &str,
) -> Result<Added, AddError> {
    let existing =
        sqlx::query!("select id, password_hash is not null as \"has_password!\" from app_user where email = $1", person.email.as_str())
            .fetch_optional(&mut *conn)
            .await?;
    let (user_id, invitation) = match existing {
        // Someone who already signs in (for another partnership) is asked, not enrolled: they join when they accept.
        Some(u) if u.has_password => (u.id, Invitation::ToJoin),
        Some(u) => (u.id, Invitation::ToSetPassword),
        None => {
            let id = Uuid::new_v4();
            sqlx::query!(
                "insert into app_user (id, email, display_name) values ($1, $2, $3)
                 on conflict (email) do nothing",
                id,
                person.email.as_str(),
                person.name
            )
            .execute(&mut *conn)
            .await?;
            let id = sqlx::query_scalar!("select id from app_user where email = $1", person.email.as_str()).fetch_one(&mut *conn).await?;
            (id, Invitation::ToSetPassword)
        }
    };
    let pending = invitation == Invitation::ToJoin;
    // A person removed earlier comes back on the same membership; a current one is already a member.
    let membership_id = sqlx::query_scalar!(
        "insert into membership (partnership_id, id, user_id, organisation_id, job_title, accepted_at, invited_name)
         values ($1, $2, $3, $4, $5, case when $6 then null else now() end, case when $6 then $7 end)
         on conflict (partnership_id, user_id) do update
             set removed_at = null, removed_by = null, organisation_id = excluded.organisation_id, job_title = excluded.job_title,
                 accepted_at = excluded.accepted_at, invited_name = excluded.invited_name
             where membership.removed_at is not null
         returning id",
        partnership_id,
        Uuid::new_v4(),
        user_id,
        person.organisation_id,
        person.job_title,
        pending,
        person.name
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(AddError::AlreadyMember)?;
    set_roles(conn, partnership_id, membership_id, &person.roles).await?;
    Change::new("person.added", "membership")
        .in_partnership(partnership_id)
        .by(Some(actor.id))
        .subject(membership_id)
        .after(json!({
            "name": person.name,
            "email": person.email.as_str(),
            "organisation_id": person.organisation_id,
            "job_title": person.job_title,
            "roles": person.roles,
        }))
        .from_address(client_address)
        .record(&mut *conn)
        .await?;
    let token = crate::auth::create_invitation(&mut *conn, user_id, Some(partnership_id), actor.id).await?;
    Ok(Added { membership_id, invitation: (invitation, token) })
}

/// End a person's membership: their roles go, their seats on groups, deputy
/// nominations and scrutiny appointments end today, and the membership is
/// kept, marked removed, so that what they wrote keeps its author. Answers
/// what was ended, for the audit log. Nothing when they were already removed.
pub async fn remove(conn: &mut PgConnection, partnership_id: Uuid, membership_id: Uuid, by: Uuid) -> sqlx::Result<serde_json::Value> {
    let removed = sqlx::query!(
        "update membership set removed_at = now(), removed_by = $3 where partnership_id = $1 and id = $2 and removed_at is null",
        partnership_id,
        membership_id,
        by
    )
    .execute(&mut *conn)
    .await?;
    if removed.rows_affected() == 0 {
        return Ok(json!({ "removed": false }));
    }
    // What they held ends in one statement: their roles go; seats, deputy nominations and scrutiny appointments end today.
    let ended = sqlx::query!(
        r#"with roles as (delete from membership_role where partnership_id = $1 and membership_id = $2 returning 1),
                seats as (update group_member set ends_on = greatest(starts_on, current_date)
                          where partnership_id = $1 and membership_id = $2 and (ends_on is null or ends_on > current_date) returning 1),
                nominations as (update decision_deputy set revoked_at = now(), revoked_by = $3
                                where partnership_id = $1 and membership_id = $2 and revoked_at is null returning 1),
                appointments as (update scrutiny_appointment set ends_on = greatest(starts_on, current_date)
                                 where partnership_id = $1 and membership_id = $2 and (ends_on is null or ends_on > current_date) returning 1)
           select (select count(*) from roles) as "roles!", (select count(*) from seats) as "seats!",
                  (select count(*) from nominations) as "nominations!", (select count(*) from appointments) as "appointments!""#,
        partnership_id,
        membership_id,
        by
    )
    .fetch_one(&mut *conn)
    .await?;
    let (roles, seats, nominations, appointments) = (ended.roles, ended.seats, ended.nominations, ended.appointments);
    Ok(
        json!({ "removed": true, "roles_ended": roles, "seats_ended": seats, "deputy_nominations_revoked": nominations, "scrutiny_appointments_ended": appointments }),
    )
}

/// Queue the invitation mail in the caller's transaction.
pub async fn mail_invitation(
    conn: &mut PgConnection,
    partnership_id: Uuid,
    partnership_name: &str,
    person: &NewPerson,
    invitation: Invitation,
    link: &str,
) -> sqlx::Result<()> {
    let body = match invitation {
        Invitation::ToSetPassword => format!(
            "Dear {},\n\nYou have been added to {partnership_name} on Partnership Hub.\n\n\
             Set your password with this link (it works once, for 14 days):\n{link}\n\n\
             If you were not expecting this, you can ignore this message.",
            person.name
        ),
        Invitation::ToJoin => format!(
            "Dear {},\n\nYou have been invited to join {partnership_name} on Partnership Hub.\n\n\
             Sign in with your usual Partnership Hub account and accept with this link (for 14 days):\n{link}\n\n\
             Until you accept, you are not a member. If you were not expecting this, you can ignore this message.",
            person.name
        ),
    };
    let key = format!("invitation:{}", &crate::tokens::sha256_hex(link)[..32]);
    crate::outbox::enqueue(
        conn,
        Some(partnership_id),
        person.email.as_str(),
        &person.name,
        &format!("You have been added to {partnership_name}"),
        &body,
        &key,
    )
    .await
}

/// Someone a message goes to.
#[derive(Clone, Debug)]
pub struct Recipient {
    pub user_id: Uuid,
    pub email: String,
    pub display_name: String,
}

/// Who gets a message: everyone holding one of `roles`, and everyone with a
/// current seat on `group` whose role in it is one of `roles_in_group` (any
/// role when empty).
#[derive(Clone, Copy, Debug, Default)]
pub struct Audience<'a> {
    pub roles: &'a [Role],
    pub group: Option<Uuid>,
    /// Codes of roles in a group (`chair`, `vice_chair` …).
    pub roles_in_group: &'a [&'a str],
}

/// The one statement of "who gets this mail": each person once, by email.
pub async fn audience(conn: &mut PgConnection, partnership_id: Uuid, audience: Audience<'_>) -> sqlx::Result<Vec<Recipient>> {
    let roles: Vec<String> = audience.roles.iter().map(|r| r.code().to_owned()).collect();
    let in_group: Vec<String> = audience.roles_in_group.iter().map(|r| (*r).to_owned()).collect();
    sqlx::query_as!(
        Recipient,
        r#"select distinct u.id as user_id, u.email, u.display_name
           from membership m join app_user u on u.id = m.user_id
           where m.partnership_id = $1 and m.is_current and (
               exists (select 1 from membership_role r where r.partnership_id = m.partnership_id and r.membership_id = m.id
                       and r.role = any($2::text[]))
               or exists (select 1 from group_member s where s.partnership_id = m.partnership_id and s.membership_id = m.id
                          and s.group_id = $3 and (cardinality($4::text[]) = 0 or s.role_in_group = any($4::text[]))
                          and (s.ends_on is null or s.ends_on >= current_date)))
           order by u.email"#,
        partnership_id,
        &roles,
        audience.group,
        &in_group
    )
    .fetch_all(conn)
    .await
}

/// Everyone holding one of `roles` in the partnership.
pub async fn holding(conn: &mut PgConnection, partnership_id: Uuid, roles: &[Role]) -> sqlx::Result<Vec<Recipient>> {
    audience(conn, partnership_id, Audience { roles, ..Audience::default() }).await
}

pub async fn set_roles(conn: &mut PgConnection, partnership_id: Uuid, membership_id: Uuid, roles: &[Role]) -> sqlx::Result<()> {
    let codes: Vec<String> = roles.iter().map(|r| r.code().to_owned()).collect();
    sqlx::query!(
        "delete from membership_role where partnership_id = $1 and membership_id = $2 and not (role = any($3))",
        partnership_id,
        membership_id,
        &codes
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "insert into membership_role (partnership_id, membership_id, role)
         select $1, $2, unnest($3::text[])
         on conflict do nothing",
        partnership_id,
        membership_id,
        &codes
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::PersonName;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(PersonName::parse("  Jo   Bloggs ").unwrap(), "Jo Bloggs");
        assert!(PersonName::parse("   ").is_err());
        assert!(PersonName::parse(&"a".repeat(121)).is_err());
    }
}
