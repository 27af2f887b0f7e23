//! The library's shelf (`/p/<slug>/library`): every current document by kind,
//! with its current version, approval and review date (past ones flagged),
//! each group's terms of reference from the structure's records, and the form
//! that adds a document (also the form that changes one's details).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{Months, NaiveDate};
use serde::Deserialize;
use serde_json::json;
use sqlx::PgConnection;
use sqlx::types::Json;
use tower_sessions::Session;
use uuid::Uuid;

use super::Kind;
use crate::calendar::{long_date, today};
use crate::error::Result;
use crate::roles::Capability;
use crate::tenant::{Member, change};
use crate::web::{AppState, ClientAddress, DateParts, FormErrors, Layout, Submitted, optional_text, redirect_with as done, required_line};

#[derive(Debug, Deserialize)]
pub struct Shelved {
    pub id: Uuid,
    pub kind: Kind,
    pub title: String,
    pub owner_name: String,
    pub group_name: Option<String>,
    pub review_on: NaiveDate,
    pub published: bool,
    pub version: Option<i32>,
    pub approved_on: Option<NaiveDate>,
}

impl Shelved {
    pub fn review(&self) -> String {
        long_date(self.review_on)
    }
    pub fn overdue(&self) -> bool {
        self.review_on < today()
    }
    pub fn approved(&self) -> String {
        self.approved_on.map(long_date).unwrap_or_else(|| "Not yet approved".to_owned())
    }
}

/// A group's terms of reference as the structure records them.
#[derive(Debug, Deserialize)]
pub struct Terms {
    pub group_id: Uuid,
    pub group_name: String,
    pub adopted_on: Option<NaiveDate>,
    pub review_due_on: Option<NaiveDate>,
}

impl Terms {
    pub fn adopted(&self) -> String {
        self.adopted_on.map(long_date).unwrap_or_else(|| "None recorded".to_owned())
    }
    pub fn review(&self) -> String {
        self.review_due_on.map(long_date).unwrap_or_default()
    }
    pub fn overdue(&self) -> bool {
        self.review_due_on.is_some_and(|d| d < today())
    }
}

/// A document's details, for a new one or a change to one.
#[derive(Deserialize, Default, Clone, Debug)]
pub(crate) struct DocumentForm {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub owner: String,
    #[serde(default)]
    pub group: String,
    #[serde(default)]
    pub review_day: String,
    #[serde(default)]
    pub review_month: String,
    #[serde(default)]
    pub review_year: String,
    #[serde(default)]
    pub published: String,
}

/// The details, checked against the partnership's people and groups.
pub(crate) struct Details {
    pub kind: Kind,
    pub title: String,
    pub summary: String,
    pub owner_membership_id: Uuid,
    pub owner_name: String,
    pub group_id: Option<Uuid>,
    pub review_on: NaiveDate,
    pub published: bool,
}

impl Details {
    pub fn audited(&self) -> serde_json::Value {
        json!({ "kind": self.kind.label(), "title": self.title, "summary": self.summary, "owner": self.owner_name,
                "owner_membership_id": self.owner_membership_id, "group_id": self.group_id, "review_on": self.review_on,
                "published": self.published })
    }
}

impl DocumentForm {
    pub async fn parse(&self, conn: &mut PgConnection, partnership_id: Uuid, errors: &mut FormErrors) -> sqlx::Result<Option<Details>> {
        let kind = Kind::parse(&self.kind);
        if kind.is_none() {
            errors.add("kind", "Choose what kind of document it is");
        }
        let title = errors.check("title", required_line(&self.title, "document's title", 200));
        let summary = errors.check("summary", optional_text(&self.summary, "summary", 2000));
        let owner = match Uuid::parse_str(&self.owner) {
            Ok(id) => crate::people::find(conn, partnership_id, id).await?,
            Err(_) => None,
        };
        if owner.is_none() {
            errors.add("owner", "Choose who owns the document");
        }
        let group = match Uuid::parse_str(&self.group) {
            Ok(id) => {
                let found = crate::structure::all_groups(conn, partnership_id, false).await?.into_iter().find(|g| g.id == id).map(|g| g.id);
                if found.is_none() {
                    errors.add("group", "Choose one of the partnership's groups, or none");
                }
                found
            }
            Err(_) => None,
        };
        let review = DateParts { day: self.review_day.clone(), month: self.review_month.clone(), year: self.review_year.clone() };
        let review_on = errors.check("review_day", review.parse("Review date", true)).flatten();
        if !errors.is_empty() {
            return Ok(None);
        }
        Ok(match (kind, title, summary, owner, review_on) {
            (Some(kind), Some(title), Some(summary), Some(owner), Some(review_on)) => Some(Details {
                kind,
                title,
                summary,
                owner_membership_id: owner.membership_id,
                owner_name: owner.display_name,
                group_id: group,
                review_on,
                published: self.published == "yes",
            }),
            _ => None,
        })
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "library/shelf.html")]
struct ShelfPage {
    layout: Layout,
    member: Member,
    documents: Vec<Shelved>,
    terms: Vec<Terms>,
    can_manage: bool,
    owners: Vec<(String, String)>,
    groups: Vec<(String, String)>,
    form: DocumentForm,
    errors: FormErrors,
}

impl ShelfPage {
    /// The kinds that have documents, in the shelf's order, with theirs.
    fn by_kind(&self) -> Vec<(Kind, Vec<&Shelved>)> {
        Kind::ALL
            .into_iter()
            .map(|k| (k, self.documents.iter().filter(|d| d.kind == k).collect::<Vec<_>>()))
            .filter(|(_, d)| !d.is_empty())
            .collect()
    }
}

pub(crate) async fn shelf(State(state): State<AppState>, session: Session, member: Member) -> Result<Response> {
    let review = DateParts::from_date(today().checked_add_months(Months::new(12)));
    let form = DocumentForm { review_day: review.day, review_month: review.month, review_year: review.year, ..DocumentForm::default() };
    render(&state, &session, member, form, FormErrors::default()).await
}

async fn render(state: &AppState, session: &Session, member: Member, form: DocumentForm, errors: FormErrors) -> Result<Response> {
    let mut tx = member.begin(state).await?;
    let pid = member.partnership.id;
    let row = sqlx::query!(
        r#"select coalesce((select json_agg(x order by x.title) from (
                      select d.id, d.kind, d.title, m.known_as as owner_name, g.name as group_name, d.review_on, d.published,
                             v.version, v.approved_on
                      from library_document d
                      join membership m on m.partnership_id = d.partnership_id and m.id = d.owner_membership_id
                      left join partnership_group g on g.partnership_id = d.partnership_id and g.id = d.group_id
                      left join lateral (select version, approved_on from library_version l
                                         where l.partnership_id = d.partnership_id and l.document_id = d.id
                                         order by version desc limit 1) v on true
                      where d.partnership_id = $1 and d.retired_on is null) x), '[]') as "documents!: Json<Vec<Shelved>>",
                  coalesce((select json_agg(x order by x.sort_order, x.group_name) from (
                      select g.id as group_id, g.name as group_name, g.sort_order, t.adopted_on, t.review_due_on
                      from partnership_group g
                      left join lateral (select adopted_on, review_due_on from terms_of_reference r
                                         where r.partnership_id = g.partnership_id and r.group_id = g.id
                                         order by adopted_on desc limit 1) t on true
                      where g.partnership_id = $1 and g.retired_on is null) x), '[]') as "terms!: Json<Vec<Terms>>""#,
        pid
    )
    .fetch_one(&mut *tx)
    .await?;
    let can_manage = member.roles.allows(Capability::ManageResources);
    let (owners, groups) = if can_manage {
        let owners = crate::people::choices(&mut tx, pid).await?;
        let groups = row.terms.0.iter().map(|t| (t.group_id.to_string(), t.group_name.clone())).collect();
        (owners, groups)
    } else {
        (Vec::new(), Vec::new())
    };
    tx.commit().await?;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = ShelfPage {
        layout: member.layout(session, "resources").await?,
        member,
        documents: row.documents.0,
        terms: row.terms.0,
        can_manage,
        owners,
        groups,
        form,
        errors,
    };
    Ok((status, page).into_response())
}

/// Add a document to the library: its details; its first version is uploaded on its page.
pub(crate) async fn add(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Submitted(form): Submitted<DocumentForm>,
) -> Result<Response> {
    member.require(Capability::ManageResources)?;
    let mut tx = member.begin(&state).await?;
    let pid = member.partnership.id;
    let mut errors = FormErrors::default();
    let Some(details) = form.parse(&mut tx, pid, &mut errors).await? else {
        member.resume(tx);
        return render(&state, &session, member, form, errors).await;
    };
    let id = Uuid::new_v4();
    let added = sqlx::query!(
        "insert into library_document (partnership_id, id, kind, title, summary, owner_membership_id, group_id, review_on, published, created_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) on conflict (partnership_id, lower(title)) where retired_on is null do nothing",
        pid,
        id,
        details.kind as Kind,
        details.title,
        details.summary,
        details.owner_membership_id,
        details.group_id,
        details.review_on,
        details.published,
        member.user.id
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    let (id, message) = if added == 1 {
        change(&member, "library.added", "library_document", id, &address).after(details.audited()).record(&mut tx).await?;
        (id, format!("{} added to the library: upload its first version", details.title))
    } else {
        let existing = sqlx::query_scalar!(
            "select id from library_document where partnership_id = $1 and lower(title) = lower($2) and retired_on is null",
            pid,
            details.title
        )
        .fetch_one(&mut *tx)
        .await?;
        (existing, format!("{} is already in the library", details.title))
    };
    tx.commit().await?;
    done(&session, message, format!("/p/{}/library/{id}", member.partnership.slug)).await
}
