//! The people pages of a partnership's workspace.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;
use tower_sessions::Session;
use uuid::Uuid;

use super::{AddError, Email, Listed, ListedPeople, NewPerson, Organisation, PEOPLE_COLUMNS, Person, PersonName, SIGN_IN_STATES};
use crate::audit::Change;
use crate::error::{AppError, Result};
use crate::roles::{Capability, Role};
use crate::tenant::Member;
use crate::web::listing::{ListQuery, View, csv_download, plans};
use crate::web::{AppState, ClientAddress, FormErrors, Layout, Query, Submitted, set_flash};

/// The list's address: `?q=…&organisation=…&role=chair&sign_in=invited` and the list's sort and page.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct PeopleQuery {
    #[serde(flatten)]
    list: ListQuery,
    #[serde(default)]
    organisation: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    sign_in: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "people/index.html")]
pub(crate) struct IndexPage {
    layout: Layout,
    member: Member,
    people: Vec<Person>,
    view: View,
    can_manage: bool,
    /// Everyone in the partnership signs in with a second factor.
    two_factor_required: bool,
    organisations: Vec<(String, String)>,
    organisation: String,
    roles: Vec<(&'static str, &'static str)>,
    role: String,
    sign_ins: [(&'static str, &'static str); 3],
    sign_in: String,
}

/// The view asked for and its lines (a page, or the whole view for a download).
async fn read_people(state: &AppState, member: &Member, query: &PeopleQuery, whole: bool) -> Result<(View, ListedPeople)> {
    let organisation = query.organisation.parse::<Uuid>().ok();
    let role = Role::ALL.iter().find(|r| r.code() == query.role).map(|r| r.code()).unwrap_or_default();
    let sign_in = SIGN_IN_STATES.iter().find(|(code, _)| *code == query.sign_in).map(|(code, _)| *code).unwrap_or_default();
    let view = View::new(format!("/p/{}/people", member.partnership.slug), ("person", "people"), &query.list, &PEOPLE_COLUMNS, &[])
        .filter("organisation", organisation.map(|o| o.to_string()).unwrap_or_default())
        .filter("role", role)
        .filter("sign_in", sign_in);
    let pattern = view.pattern();
    let reach = view.reach(whole);
    let asked = Listed {
        pattern: &pattern,
        organisation,
        role,
        sign_in,
        sort: view.sort,
        descending: view.descending,
        reach,
        as_it_opens: view.as_it_opens(),
    };
    let mut tx = member.begin(state).await?;
    plans(&mut tx, asked.as_it_opens).await?;
    let read = super::listed(&mut tx, member.partnership.id, &asked).await?;
    tx.commit().await?;
    let shown = read.people.len();
    Ok((view.counted_up_to(read.counted, shown), read))
}

pub(crate) async fn index(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Query(query): Query<PeopleQuery>,
) -> Result<IndexPage> {
    let (view, read) = read_people(&state, &member, &query, false).await?;
    Ok(IndexPage {
        layout: member.layout(&session, "people").await?,
        can_manage: member.roles.allows(Capability::ManagePeople),
        two_factor_required: read.two_factor_required,
        people: read.people,
        view,
        organisations: read.organisations,
        organisation: query.organisation,
        roles: Role::ALL.iter().map(|r| (r.code(), r.label())).collect(),
        role: query.role,
        sign_ins: SIGN_IN_STATES,
        sign_in: query.sign_in,
        member,
    })
}

/// The view as CSV: everyone it holds, not only the page shown.
pub(crate) async fn export(State(state): State<AppState>, member: Member, Query(query): Query<PeopleQuery>) -> Result<Response> {
    let (_, read) = read_people(&state, &member, &query, true).await?;
    let yes_no = |b: bool| if b { "Yes" } else { "No" }.to_owned();
    let rows = read.people.into_iter().map(|p| {
        vec![
            p.display_name.clone(),
            p.email.clone(),
            p.organisation().to_owned(),
            p.job_title.clone(),
            p.roles.labels(),
            yes_no(p.invitation_pending),
            yes_no(p.two_factor),
        ]
    });
    let filename = format!("{}-people-{}.csv", member.partnership.slug, crate::calendar::today());
    Ok(csv_download(
        &filename,
        &["Name", "Email", "Organisation", "Job title", "Roles", "Invited, not yet signed in", "Two-factor sign-in"],
        rows,
    ))
}

/// What the add and edit forms send back.
#[derive(Deserialize, Default)]
pub(crate) struct PersonForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    organisation_id: String,
    #[serde(default)]
    job_title: String,
    #[serde(default)]
    roles: Vec<String>,
}

impl From<&Person> for PersonForm {
    fn from(person: &Person) -> Self {
        PersonForm {
            name: person.display_name.clone(),
            email: person.email.clone(),
            organisation_id: person.organisation_id.map(|id| id.to_string()).unwrap_or_default(),
            job_title: person.job_title.clone(),
            roles: person.roles.iter().map(|r| r.code().to_owned()).collect(),
        }
    }
}

impl PersonForm {
    fn has_role(&self, role: &Role) -> bool {
        self.roles.iter().any(|r| r == role.code())
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "people/form.html")]
struct FormPage {
    layout: Layout,
    member: Member,
    errors: FormErrors,
    form: PersonForm,
    organisations: Vec<Organisation>,
    all_roles: [Role; 8],
    /// The person being edited; none when adding.
    editing: Option<Person>,
}

const MAX_JOB_TITLE: usize = 200;

/// The fields both forms share: organisation, job title and roles.
struct Placement {
    organisation_id: Option<Uuid>,
    job_title: String,
    roles: Vec<Role>,
}

fn parse_placement(form: &PersonForm, organisations: &[Organisation], errors: &mut FormErrors) -> Option<Placement> {
    let organisation_id = match form.organisation_id.trim() {
        "" => Some(None),
        raw => match Uuid::parse_str(raw).ok().filter(|id| organisations.iter().any(|o| o.id == *id)) {
            Some(id) => Some(Some(id)),
            None => {
                errors.add("organisation_id", "Select an organisation from the list");
                None
            }
        },
    };
    let job_title = form.job_title.split_whitespace().collect::<Vec<_>>().join(" ");
    if job_title.chars().count() > MAX_JOB_TITLE {
        errors.add("job_title", format!("Job title must be {MAX_JOB_TITLE} characters or fewer"));
    }
    let mut roles = Vec::new();
    for code in &form.roles {
        match Role::from_code(code) {
            Some(role) => roles.push(role),
            None => errors.add("roles", "Select roles from the list"),
        }
    }
    if form.roles.is_empty() {
        errors.add("roles", "Select at least one role");
    }
    roles.sort();
    roles.dedup();
    Some(Placement { organisation_id: organisation_id?, job_title, roles }).filter(|_| errors.is_empty())
}

async fn form_page(
    state: &AppState,
    session: &Session,
    member: Member,
    errors: FormErrors,
    form: PersonForm,
    editing: Option<Person>,
) -> Result<Response> {
    let mut tx = member.begin(state).await?;
    let organisations = super::organisations(&mut tx, member.partnership.id).await?;
    tx.commit().await?;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page =
        FormPage { layout: member.layout(session, "people").await?, member, errors, form, organisations, all_roles: Role::ALL, editing };
    Ok((status, page).into_response())
}

pub(crate) async fn new_page(State(state): State<AppState>, session: Session, member: Member) -> Result<Response> {
    member.require(Capability::ManagePeople)?;
    form_page(&state, &session, member, FormErrors::default(), PersonForm::default(), None).await
}

pub(crate) async fn create(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Submitted(form): Submitted<PersonForm>,
) -> Result<Response> {
    member.require(Capability::ManagePeople)?;
    let mut tx = member.begin(&state).await?;
    let organisations = super::organisations(&mut tx, member.partnership.id).await?;
    let mut errors = FormErrors::default();
    let name = errors.check("name", PersonName::parse(&form.name));
    let email = errors.check("email", Email::parse(&form.email));
    let placement = parse_placement(&form, &organisations, &mut errors);
    let (Some(name), Some(email), Some(placement)) = (name, email, placement) else {
        member.resume(tx);
        return form_page(&state, &session, member, errors, form, None).await;
    };
    let person =
        NewPerson { name, email, organisation_id: placement.organisation_id, job_title: placement.job_title, roles: placement.roles };
    let added = match super::add_person(&mut tx, member.partnership.id, &member.user, &person, &address).await {
        Ok(added) => added,
        Err(AddError::AlreadyMember) => {
            member.resume(tx);
            errors.add("email", format!("{} is already a member of this partnership", person.email));
            return form_page(&state, &session, member, errors, form, None).await;
        }
        Err(e) => return Err(e.into()),
    };
    let (invitation, token) = &added.invitation;
    let link = format!("{}/invitations/{token}", state.config.public_url);
    super::mail_invitation(&mut tx, member.partnership.id, &member.partnership.name, &person, *invitation, &link).await?;
    tx.commit().await?;
    let message = match invitation {
        super::Invitation::ToSetPassword => format!(
            "{} added. We have emailed them a link to set their password; if it does not arrive, send them this one (it works once, for 14 days): {link}",
            person.name
        ),
        super::Invitation::ToJoin => format!(
            "{} invited. We have emailed them an invitation to join, which they accept signed in to their own account; until then they are not a member",
            person.name
        ),
    };
    set_flash(&session, message).await?;
    Ok(Redirect::to(&format!("/p/{}/people", member.partnership.slug)).into_response())
}

async fn load_person(state: &AppState, member: &Member, membership_id: &str) -> Result<Person> {
    let id = Uuid::parse_str(membership_id).map_err(|_| AppError::NotFound)?;
    let mut tx = member.begin(state).await?;
    let person = super::find(&mut tx, member.partnership.id, id).await?.ok_or(AppError::NotFound)?;
    // The page that shows the person reads in the same transaction.
    member.resume(tx);
    Ok(person)
}

pub(crate) async fn edit_page(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Path((_, membership_id)): Path<(String, String)>,
) -> Result<Response> {
    member.require(Capability::ManagePeople)?;
    let person = load_person(&state, &member, &membership_id).await?;
    let form = PersonForm {
        name: person.display_name.clone(),
        email: person.email.clone(),
        organisation_id: person.organisation_id.map(|id| id.to_string()).unwrap_or_default(),
        job_title: person.job_title.clone(),
        roles: person.roles.iter().map(|r| r.code().to_owned()).collect(),
    };
    form_page(&state, &session, member, FormErrors::default(), form, Some(person)).await
}

/// Refuse a change that would leave the partnership with no business manager,
/// since nobody could then manage its people.
async fn business_managers_left(tx: &mut crate::db::Tx, partnership_id: Uuid) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "select count(*) as \"n!\" from membership_role where partnership_id = $1 and role = 'business_manager'",
        partnership_id
    )
    .fetch_one(&mut **tx)
    .await
}

pub(crate) async fn update(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, membership_id)): Path<(String, String)>,
    Submitted(mut form): Submitted<PersonForm>,
) -> Result<Response> {
    member.require(Capability::ManagePeople)?;
    let person = load_person(&state, &member, &membership_id).await?;
    // Name and email belong to the person's own account, not to this partnership.
    form.name = person.display_name.clone();
    form.email = person.email.clone();
    let mut tx = member.begin(&state).await?;
    let organisations = super::organisations(&mut tx, member.partnership.id).await?;
    let mut errors = FormErrors::default();
    let Some(placement) = parse_placement(&form, &organisations, &mut errors) else {
        member.resume(tx);
        return form_page(&state, &session, member, errors, form, Some(person)).await;
    };
    // Lock the membership so two edits at once apply one after the other.
    sqlx::query!("select id from membership where partnership_id = $1 and id = $2 for update", member.partnership.id, person.membership_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(AppError::NotFound)?;
    sqlx::query!(
        "update membership set organisation_id = $3, job_title = $4 where partnership_id = $1 and id = $2",
        member.partnership.id,
        person.membership_id,
        placement.organisation_id,
        placement.job_title
    )
    .execute(&mut *tx)
    .await?;
    super::set_roles(&mut tx, member.partnership.id, person.membership_id, &placement.roles).await?;
    if business_managers_left(&mut tx, member.partnership.id).await? == 0 {
        drop(tx);
        errors.add("roles", "The partnership must keep at least one business manager");
        return form_page(&state, &session, member, errors, form, Some(person)).await;
    }
    Change::new("person.updated", "membership")
        .in_partnership(member.partnership.id)
        .by(Some(member.user.id))
        .subject(person.membership_id)
        .before(person.audit_record())
        .after(json!({
            "name": person.display_name,
            "email": person.email,
            "organisation_id": placement.organisation_id,
            "job_title": placement.job_title,
            "roles": placement.roles,
        }))
        .from_address(&address)
        .record(&mut tx)
        .await?;
    tx.commit().await?;
    set_flash(&session, format!("{}'s details updated", person.display_name)).await?;
    Ok(Redirect::to(&format!("/p/{}/people", member.partnership.slug)).into_response())
}

pub(crate) async fn remove(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, membership_id)): Path<(String, String)>,
) -> Result<Response> {
    member.require(Capability::ManagePeople)?;
    let person = load_person(&state, &member, &membership_id).await?;
    let mut tx = member.begin(&state).await?;
    let ended = super::remove(&mut tx, member.partnership.id, person.membership_id, member.user.id).await?;
    if business_managers_left(&mut tx, member.partnership.id).await? == 0 {
        drop(tx);
        let mut errors = FormErrors::default();
        errors.add("roles", "The partnership must keep at least one business manager");
        return form_page(&state, &session, member, errors, PersonForm::from(&person), Some(person)).await;
    }
    Change::new("person.removed", "membership")
        .in_partnership(member.partnership.id)
        .by(Some(member.user.id))
        .subject(person.membership_id)
        .before(person.audit_record())
        .after(ended)
        .from_address(&address)
        .record(&mut tx)
        .await?;
    tx.commit().await?;
    set_flash(&session, format!("{} removed from the partnership", person.display_name)).await?;
    Ok(Redirect::to(&format!("/p/{}/people", member.partnership.slug)).into_response())
}

/// A business manager resets a member's second factor (a lost phone): audited, and the person is told by mail.
pub(crate) async fn reset_two_factor(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, membership_id)): Path<(String, String)>,
) -> Result<Response> {
    member.require(Capability::ManagePeople)?;
    let id = crate::web::record_id(&membership_id)?;
    let mut tx = member.begin(&state).await?;
    let person = sqlx::query!(
        "select u.id, u.email, u.display_name from membership m join app_user u on u.id = m.user_id
         where m.partnership_id = $1 and m.id = $2 and m.is_current",
        member.partnership.id,
        id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    let to = format!("/p/{}/people/{id}", member.partnership.slug);
    if !crate::auth::two_factor::reset(&mut tx, person.id).await? {
        drop(tx);
        return crate::web::redirect_with(&session, format!("{} has no second factor set up", person.display_name), to).await;
    }
    crate::tenant::change(&member, "two_factor.reset", "account", person.id, &address)
        .after(json!({ "membership_id": id }))
        .record(&mut tx)
        .await?;
    let body = format!(
        "Dear {},\n\n{} reset the two-factor sign-in of your Partnership Hub account for {}.\n\n\
         The next time you sign in, you will set it up again with your authenticator app.\n\n\
         If you did not ask for this, tell your partnership's business unit at once.",
        person.display_name, member.user.display_name, member.partnership.name
    );
    let key = format!("two-factor-reset:{}:{}", person.id, uuid::Uuid::new_v4());
    crate::outbox::enqueue(
        &mut tx,
        Some(member.partnership.id),
        &person.email,
        &person.display_name,
        "Your two-factor sign-in was reset",
        &body,
        &key,
    )
    .await?;
    tx.commit().await?;
    set_flash(&session, format!("{}'s two-factor sign-in was reset; we have told them by email", person.display_name)).await?;
    Ok(Redirect::to(&to).into_response())
}

#[derive(Deserialize)]
pub(crate) struct SignInForm {
    /// Ticked: everyone in the partnership signs in with a second factor.
    #[serde(default)]
    two_factor_required: Option<String>,
}

/// The partnership's sign-in rule: whether everyone must use a second factor.
pub(crate) async fn save_sign_in(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Submitted(form): Submitted<SignInForm>,
) -> Result<Response> {
    member.require(Capability::ManagePeople)?;
    let required = form.two_factor_required.is_some();
    let mut tx = member.begin(&state).await?;
    let before = sqlx::query_scalar!(
        "update partnership p set two_factor_required = $2 from partnership old where old.id = p.id and p.id = $1
         returning old.two_factor_required",
        member.partnership.id,
        required
    )
    .fetch_one(&mut *tx)
    .await?;
    crate::tenant::change(&member, "partnership.sign_in_changed", "partnership", member.partnership.id, &address)
        .before(serde_json::json!({ "two_factor_required": before }))
        .after(serde_json::json!({ "two_factor_required": required }))
        .record(&mut tx)
        .await?;
    tx.commit().await?;
    let message = if required {
        "Everyone in the partnership now signs in with a second factor; those without one set it up when they next sign in"
    } else {
        "A second factor is now required only where the service requires it"
    };
    crate::web::redirect_with(&session, message.into(), format!("/p/{}/people", member.partnership.slug)).await
}
