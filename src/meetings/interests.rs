//! Declarations of interest: a member declares an interest in an item of a
//! meeting's agenda, with its nature, before or at the meeting (the business
//! unit records one made at the table for the person who made it); the
//! meeting page and its minutes list them, and each person has a page of
//! their own declarations. The one writer of `interest_declaration`: a
//! declaration is withdrawn (made by mistake), never deleted, and every
//! change is audited. Who sees one is the meeting's business (row-level
//! security): the business unit, the group's members and the declarer.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;
use tower_sessions::Session;
use uuid::Uuid;

use super::find_meeting;
use crate::calendar::{long_date, uk_date, when};
use crate::error::{AppError, Result};
use crate::roles::Capability;
use crate::tenant::{Member, change};
use crate::web::{AppState, ClientAddress, FormErrors, Layout, Submitted, record_id, redirect_with as done, required_text};

/// A standing declaration, as the meeting page, its minutes and the board pack show it.
#[derive(Clone, Debug, Deserialize)]
pub struct Declared {
    pub id: Uuid,
    pub agenda_item_id: Uuid,
    pub item_title: String,
    pub membership_id: Uuid,
    pub person_name: String,
    pub nature: String,
}

impl Declared {
    /// "Alex Smith declared an interest in Funding of the partnership: a relative works for the provider"
    pub fn sentence(&self) -> String {
        format!("{} declared an interest in {}: {}", self.person_name, self.item_title, self.nature)
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "meetings/declare.html")]
struct DeclarePage {
    layout: Layout,
    member: Member,
    meeting_id: Uuid,
    meeting_name: String,
    items: Vec<(String, String)>,
    /// For the business unit: the group's members with an account, to record a declaration made at the table.
    people: Vec<(String, String)>,
    form: DeclareForm,
    errors: FormErrors,
}

#[derive(Deserialize, Default)]
pub(crate) struct DeclareForm {
    #[serde(default)]
    agenda_item: String,
    #[serde(default)]
    nature: String,
    #[serde(default)]
    person: String,
}

struct Setting {
    meeting_id: Uuid,
    group_id: Uuid,
    meeting_name: String,
    open: bool,
    items: Vec<(String, String)>,
    people: Vec<(String, String)>,
}

/// The meeting, the items on its agenda and the group's members with an account today, in one statement.
async fn setting(tx: &mut crate::db::Tx, member: &Member, meeting_id: &str) -> Result<Setting> {
    let row = sqlx::query!(
        r#"select e.id, e.group_id, g.name as group_name, e.starts_at as "starts_at: DateTime<Utc>", e.ends_at as "ends_at: DateTime<Utc>",
                  e.status = 'cancelled' as "cancelled!",
                  coalesce((select array_agg(i.id order by i.position nulls last, i.submitted_at) from agenda_item i
                            where i.partnership_id = e.partnership_id and i.meeting_id = e.id and i.status = 'accepted'), '{}') as "item_ids!",
                  coalesce((select array_agg(i.title order by i.position nulls last, i.submitted_at) from agenda_item i
                            where i.partnership_id = e.partnership_id and i.meeting_id = e.id and i.status = 'accepted'), '{}') as "item_titles!",
                  people.ids as "people_ids?", people.names as "people_names?"
           from meeting e join partnership_group g on g.partnership_id = e.partnership_id and g.id = e.group_id
           -- The group's members with an account today, for the business unit to record a declaration for.
           left join lateral (select array_agg(x.id order by x.known_as) as ids, array_agg(x.known_as order by x.known_as) as names
                              from (select distinct m.id, m.known_as from group_member s
                                    join membership m on m.partnership_id = s.partnership_id and m.id = s.membership_id and m.is_current
                                    where $3 and s.partnership_id = e.partnership_id and s.group_id = e.group_id
                                      and s.starts_on <= current_date and (s.ends_on is null or s.ends_on >= current_date)) x) people on true
           where e.partnership_id = $1 and e.id = $2"#,
        member.partnership.id,
        record_id(meeting_id)?,
        member.roles.allows(Capability::ManageMeetings)
    )
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(AppError::NotFound)?;
    let items = row
        .item_ids
        .iter()
        .zip(&row.item_titles)
        .enumerate()
        .map(|(i, (id, title))| (id.to_string(), format!("{}. {title}", i + 1)))
        .collect();
    let people = row.people_ids.unwrap_or_default().iter().map(Uuid::to_string).zip(row.people_names.unwrap_or_default()).collect();
    Ok(Setting {
        meeting_id: row.id,
        group_id: row.group_id,
        meeting_name: format!("{}, {}", row.group_name, when(row.starts_at, row.ends_at)),
        open: !row.cancelled,
        items,
        people,
    })
}

async fn render(
    state: &AppState,
    session: &Session,
    member: Member,
    meeting_id: &str,
    form: DeclareForm,
    errors: FormErrors,
) -> Result<Response> {
    let mut tx = member.begin(state).await?;
    let setting = setting(&mut tx, &member, meeting_id).await?;
    tx.commit().await?;
    if !member.sits_on(setting.group_id) {
        return Err(AppError::NotFound);
    }
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = DeclarePage {
        layout: member.layout(session, "meetings").await?,
        meeting_id: setting.meeting_id,
        meeting_name: setting.meeting_name,
        items: setting.items,
        people: setting.people,
        member,
        form,
        errors,
    };
    Ok((status, page).into_response())
}

pub(crate) async fn declare_page(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Path((_, meeting_id)): Path<(String, String)>,
) -> Result<Response> {
    render(&state, &session, member, &meeting_id, DeclareForm::default(), FormErrors::default()).await
}

pub(crate) async fn declare(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, meeting_id)): Path<(String, String)>,
    Submitted(form): Submitted<DeclareForm>,
) -> Result<Response> {
    let mut tx = member.begin(&state).await?;
    let setting = setting(&mut tx, &member, &meeting_id).await?;
    if !member.sits_on(setting.group_id) {
        return Err(AppError::NotFound);
    }
    let mut errors = FormErrors::default();
    if !setting.open {
        errors.add("agenda_item", "This meeting was cancelled");
    }
    let item = setting.items.iter().find(|(id, _)| *id == form.agenda_item).map(|(id, title)| (id.clone(), title.clone()));
    if item.is_none() {
        errors.add("agenda_item", "Select the agenda item you have an interest in");
    }
    let nature = errors.check("nature", required_text(&form.nature, "nature of your interest", 1000));
    // The business unit may record a declaration for a member of the group; anyone else declares their own.
    let declarer = if form.person.is_empty() {
        Some(member.membership_id)
    } else if let Some((id, _)) = setting.people.iter().find(|(id, _)| *id == form.person) {
        id.parse::<Uuid>().ok()
    } else {
        errors.add("person", "Select a member of the group");
        None
    };
    let (Some((item_id, item_title)), Some(nature), Some(declarer), true) = (item, nature, declarer, errors.is_empty()) else {
        member.resume(tx);
        return render(&state, &session, member, &meeting_id, form, errors).await;
    };
    let item_id: Uuid = item_id.parse().map_err(|_| AppError::BadRequest)?;
    let id = Uuid::new_v4();
    // The standing declaration is unique per person and item: a second submit records nothing.
    let inserted = sqlx::query_scalar!(
        "insert into interest_declaration (partnership_id, id, meeting_id, agenda_item_id, membership_id, nature, recorded_by)
         values ($1, $2, $3, $4, $5, $6, $7) on conflict do nothing returning id",
        member.partnership.id,
        id,
        setting.meeting_id,
        item_id,
        declarer,
        nature,
        member.user.id
    )
    .fetch_optional(&mut *tx)
    .await?;
    let to = format!("/p/{}/meetings/{}#interests", member.partnership.slug, setting.meeting_id);
    if inserted.is_none() {
        return done(&session, format!("An interest in {item_title} is already declared"), to).await;
    }
    change(&member, "interest.declared", "interest_declaration", id, &address)
        .after(json!({ "meeting_id": setting.meeting_id, "agenda_item_id": item_id, "membership_id": declarer, "nature": nature }))
        .record(&mut tx)
        .await?;
    tx.commit().await?;
    done(&session, format!("Interest in {item_title} declared"), to).await
}

/// Withdraw a declaration made by mistake: the declarer or the business unit.
pub(crate) async fn withdraw(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, meeting_id, declaration_id)): Path<(String, String, String)>,
) -> Result<Response> {
    let mut tx = member.begin(&state).await?;
    let meeting = find_meeting(&mut tx, &member, &meeting_id).await?;
    let declaration_id = record_id(&declaration_id)?;
    // Row-level security hides a declaration from those the meeting's business is not for: not found, as for any other.
    let declaration = sqlx::query!(
        "select membership_id, agenda_item_id, nature, withdrawn_at is not null as \"withdrawn!\" from interest_declaration
         where partnership_id = $1 and meeting_id = $2 and id = $3 for update",
        member.partnership.id,
        meeting.id,
        declaration_id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    if !(member.roles.allows(Capability::ManageMeetings) || declaration.membership_id == member.membership_id) {
        return Err(AppError::NotFound);
    }
    let to = format!("/p/{}/meetings/{}#interests", member.partnership.slug, meeting.id);
    if declaration.withdrawn {
        // A second click.
        return done(&session, "That declaration was already withdrawn".into(), to).await;
    }
    sqlx::query!(
        "update interest_declaration set withdrawn_at = now() where partnership_id = $1 and id = $2",
        member.partnership.id,
        declaration_id
    )
    .execute(&mut *tx)
    .await?;
    change(&member, "interest.withdrawn", "interest_declaration", declaration_id, &address)
        .before(json!({ "agenda_item_id": declaration.agenda_item_id, "membership_id": declaration.membership_id, "nature": declaration.nature }))
        .record(&mut tx)
        .await?;
    tx.commit().await?;
    done(&session, "Declaration withdrawn".into(), to).await
}

/// One of a person's own declarations, across meetings.
#[derive(Debug, Deserialize)]
pub struct OwnDeclaration {
    pub meeting_id: Uuid,
    pub group_name: String,
    pub starts_at: DateTime<Utc>,
    pub item_title: String,
    pub nature: String,
    pub declared_at: DateTime<Utc>,
    pub withdrawn_at: Option<DateTime<Utc>>,
}

impl OwnDeclaration {
    pub fn meeting_day(&self) -> String {
        long_date(uk_date(self.starts_at))
    }
    pub fn declared_on(&self) -> String {
        long_date(uk_date(self.declared_at))
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "meetings/interests.html")]
struct OwnPage {
    layout: Layout,
    member: Member,
    /// The newest 200.
    declarations: Vec<OwnDeclaration>,
    total: i64,
}

/// The person's own declarations of interest in this partnership, newest first.
pub(crate) async fn own_page(State(state): State<AppState>, session: Session, member: Member) -> Result<Response> {
    let mut tx = member.begin(&state).await?;
    let row = sqlx::query!(
        r#"select (select count(*) from interest_declaration d where d.partnership_id = $1 and d.membership_id = $2) as "total!",
                  coalesce((select json_agg(x order by x.declared_at desc)
                            from (select d.meeting_id, g.name as group_name, e.starts_at, coalesce(i.title, 'An item of the meeting') as item_title, d.nature, d.declared_at,
                                         d.withdrawn_at
                                  from interest_declaration d
                                  join meeting e on e.partnership_id = d.partnership_id and e.id = d.meeting_id
                                  join partnership_group g on g.partnership_id = e.partnership_id and g.id = e.group_id
                                  -- An item of a group the person has since left is no longer theirs to see: the meeting is named without it.
                                  left join agenda_item i on i.partnership_id = d.partnership_id and i.id = d.agenda_item_id
                                  where d.partnership_id = $1 and d.membership_id = $2
                                  order by d.declared_at desc limit 200) x), '[]') as "declarations!: sqlx::types::Json<Vec<OwnDeclaration>>""#,
        member.partnership.id,
        member.membership_id
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(OwnPage { layout: member.layout(&session, "meetings").await?, declarations: row.declarations.0, total: row.total, member }
        .into_response())
}
