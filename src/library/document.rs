//! One library document (`/p/<slug>/library/<id>`): its details, its
//! versions with what changed and their approval, the current one to
//! download, and the forms that change its details and upload a new version.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::json;
use sqlx::types::Json;
use tower_sessions::Session;
use uuid::Uuid;

use super::Kind;
use super::shelf::{Details, DocumentForm};
use crate::calendar::{long_date, today, uk_date};
use crate::error::{AppError, Result};
use crate::papers::{Added, Holder};
use crate::roles::Capability;
use crate::tenant::{Member, change};
use crate::web::{AppState, ClientAddress, DateParts, FormErrors, Layout, Submitted, record_id, redirect_with as done};

#[derive(Debug, Deserialize)]
pub struct Version {
    pub version: i32,
    pub changes: String,
    pub approved_on: Option<NaiveDate>,
    pub approved_by: Option<String>,
    pub decision_id: Option<Uuid>,
    pub decision_number: Option<i32>,
    pub uploaded_at: DateTime<Utc>,
    pub filename: Option<String>,
}

impl Version {
    pub fn uploaded(&self) -> String {
        long_date(uk_date(self.uploaded_at))
    }
    pub fn approval(&self) -> String {
        match (self.approved_on, &self.approved_by, self.decision_number) {
            (Some(on), Some(group), _) => format!("Approved by the {group} on {}", long_date(on)),
            (Some(on), None, Some(n)) => format!("Approved by decision D{n} on {}", long_date(on)),
            _ => "Not yet approved".to_owned(),
        }
    }
}

pub(crate) struct Loaded {
    pub id: Uuid,
    pub kind: Kind,
    pub title: String,
    pub summary: String,
    pub owner_membership_id: Uuid,
    pub owner_name: String,
    pub group_id: Option<Uuid>,
    pub group_name: Option<String>,
    pub review_on: NaiveDate,
    pub published: bool,
    pub retired_on: Option<NaiveDate>,
    pub versions: Vec<Version>,
    pub groups: Vec<(Uuid, String)>,
}

impl Loaded {
    pub fn review(&self) -> String {
        long_date(self.review_on)
    }
    pub fn overdue(&self) -> bool {
        self.retired_on.is_none() && self.review_on < today()
    }
    pub fn withdrawn(&self) -> Option<String> {
        self.retired_on.map(long_date)
    }
    fn form(&self) -> DocumentForm {
        let review = DateParts::from_date(Some(self.review_on));
        DocumentForm {
            kind: self.kind.code().to_owned(),
            title: self.title.clone(),
            summary: self.summary.clone(),
            owner: self.owner_membership_id.to_string(),
            group: self.group_id.map(|g| g.to_string()).unwrap_or_default(),
            review_day: review.day,
            review_month: review.month,
            review_year: review.year,
            published: if self.published { "yes".to_owned() } else { String::new() },
        }
    }
    /// The details as they stand, to compare a change with and to audit it.
    fn details(&self) -> Details {
        Details {
            kind: self.kind,
            title: self.title.clone(),
            summary: self.summary.clone(),
            owner_membership_id: self.owner_membership_id,
            owner_name: self.owner_name.clone(),
            group_id: self.group_id,
            review_on: self.review_on,
            published: self.published,
        }
    }
}

/// The document with its versions (newest first, each with its file's name) and the groups that may approve one.
async fn load(tx: &mut crate::db::Tx, partnership_id: Uuid, id: Uuid) -> Result<Loaded> {
    let row = sqlx::query!(
        r#"select d.id, d.kind as "kind: Kind", d.title, d.summary, d.owner_membership_id, m.known_as as owner_name, d.group_id,
                  g.name as "group_name?", d.review_on, d.published, d.retired_on,
                  coalesce((select json_agg(x order by x.version desc) from (
                      select l.version, l.changes, l.approved_on, a.name as approved_by, l.approved_decision_id as decision_id,
                             c.number as decision_number, l.uploaded_at,
                             (select p.filename from paper p where p.partnership_id = l.partnership_id and p.library_version_id = l.id) as filename
                      from library_version l
                      left join partnership_group a on a.partnership_id = l.partnership_id and a.id = l.approved_by_group_id
                      left join decision c on c.partnership_id = l.partnership_id and c.id = l.approved_decision_id
                      where l.partnership_id = d.partnership_id and l.document_id = d.id) x), '[]') as "versions!: Json<Vec<Version>>",
                  coalesce((select json_agg(json_build_array(x.id, x.name) order by x.sort_order, x.name) from partnership_group x
                            where x.partnership_id = d.partnership_id and x.retired_on is null), '[]') as "groups!: Json<Vec<(Uuid, String)>>"
           from library_document d
           join membership m on m.partnership_id = d.partnership_id and m.id = d.owner_membership_id
           left join partnership_group g on g.partnership_id = d.partnership_id and g.id = d.group_id
           where d.partnership_id = $1 and d.id = $2"#,
        partnership_id,
        id
    )
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(AppError::NotFound)?;
    Ok(Loaded {
        id: row.id,
        kind: row.kind,
        title: row.title,
        summary: row.summary,
        owner_membership_id: row.owner_membership_id,
        owner_name: row.owner_name,
        group_id: row.group_id,
        group_name: row.group_name,
        review_on: row.review_on,
        published: row.published,
        retired_on: row.retired_on,
        versions: row.versions.0,
        groups: row.groups.0,
    })
}

/// The new version's form as typed (its file is not kept: a browser cannot be handed one back).
#[derive(Default, Clone, Debug)]
pub(crate) struct VersionForm {
    pub changes: String,
    pub approved_by: String,
    pub decision: String,
    pub approved: DateParts,
    pub review: DateParts,
}

#[derive(Template, WebTemplate)]
#[template(path = "library/document.html")]
struct DocumentPage {
    layout: Layout,
    member: Member,
    document: Loaded,
    can_manage: bool,
    owners: Vec<(String, String)>,
    groups: Vec<(String, String)>,
    /// The details form.
    form: DocumentForm,
    version: VersionForm,
    errors: FormErrors,
}

pub(crate) async fn document_page(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Path((_, document_id)): Path<(String, String)>,
) -> Result<Response> {
    let id = record_id(&document_id)?;
    render(&state, &session, member, id, None, None, FormErrors::default()).await
}

async fn render(
    state: &AppState,
    session: &Session,
    member: Member,
    id: Uuid,
    details: Option<DocumentForm>,
    version: Option<VersionForm>,
    errors: FormErrors,
) -> Result<Response> {
    let mut tx = member.begin(state).await?;
    let document = load(&mut tx, member.partnership.id, id).await?;
    let can_manage = member.roles.allows(Capability::ManageResources);
    let owners = if can_manage { crate::people::choices(&mut tx, member.partnership.id).await? } else { Vec::new() };
    tx.commit().await?;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let next_review = DateParts::from_date(today().checked_add_months(chrono::Months::new(12)));
    let page = DocumentPage {
        layout: member.layout(session, "resources").await?,
        groups: document.groups.iter().map(|(id, name)| (id.to_string(), name.clone())).collect(),
        form: details.unwrap_or_else(|| document.form()),
        version: version.unwrap_or(VersionForm { review: next_review, ..VersionForm::default() }),
        member,
        document,
        can_manage,
        owners,
        errors,
    };
    Ok((status, page).into_response())
}

fn to(member: &Member, id: Uuid) -> String {
    format!("/p/{}/library/{id}", member.partnership.slug)
}

/// Change a document's details: its kind, title, summary, owner, group, review date, and whether it is published.
pub(crate) async fn update(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Path((_, document_id)): Path<(String, String)>,
    ClientAddress(address): ClientAddress,
    Submitted(form): Submitted<DocumentForm>,
) -> Result<Response> {
    member.require(Capability::ManageResources)?;
    let id = record_id(&document_id)?;
    let mut tx = member.begin(&state).await?;
    let pid = member.partnership.id;
    let before = load(&mut tx, pid, id).await?;
    let mut errors = FormErrors::default();
    let Some(details) = form.parse(&mut tx, pid, &mut errors).await? else {
        member.resume(tx);
        return render(&state, &session, member, id, Some(form), None, errors).await;
    };
    let taken = sqlx::query_scalar!(
        r#"select exists (select 1 from library_document where partnership_id = $1 and id <> $2 and lower(title) = lower($3)
                          and retired_on is null) as "e!""#,
        pid,
        id,
        details.title
    )
    .fetch_one(&mut *tx)
    .await?;
    if taken {
        member.resume(tx);
        errors.add("title", "Another document in the library has that title");
        return render(&state, &session, member, id, Some(form), None, errors).await;
    }
    let (before, after) = (before.details().audited(), details.audited());
    if after != before {
        sqlx::query!(
            "update library_document set kind = $3, title = $4, summary = $5, owner_membership_id = $6, group_id = $7, review_on = $8,
                                         published = $9
             where partnership_id = $1 and id = $2",
            pid,
            id,
            details.kind as Kind,
            details.title,
            details.summary,
            details.owner_membership_id,
            details.group_id,
            details.review_on,
            details.published
        )
        .execute(&mut *tx)
        .await?;
        change(&member, "library.changed", "library_document", id, &address).before(before).after(after).record(&mut tx).await?;
    }
    tx.commit().await?;
    done(&session, format!("{}: saved", details.title), to(&member, id)).await
}

/// Upload a new version: its file, what changed, its approval (a group and a date, or a decision of the partners
/// by its number), and the document's next review date.
pub(crate) async fn upload_version(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Path((_, document_id)): Path<(String, String)>,
    ClientAddress(address): ClientAddress,
    body: Request,
) -> Result<Response> {
    member.require(Capability::ManageResources)?;
    let id = record_id(&document_id)?;
    // The person and the document first; no transaction stays open while a large file arrives.
    let mut tx = member.begin(&state).await?;
    let document = load(&mut tx, member.partnership.id, id).await?;
    drop(tx);
    let mut errors = FormErrors::default();
    let (upload, changes, fields) = crate::web::upload::read_document_and_text(body, "changes", "file", &mut errors).await?;
    let field = |name: &str| fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone()).unwrap_or_default();
    let form = VersionForm {
        changes: changes.clone(),
        approved_by: field("approved_by"),
        decision: field("decision"),
        approved: DateParts { day: field("approved_day"), month: field("approved_month"), year: field("approved_year") },
        review: DateParts { day: field("review_day"), month: field("review_month"), year: field("review_year") },
    };
    let changes = errors.check("changes", crate::web::optional_text(&changes, "what changed", 2000));
    let approved_on = errors.check("approved_day", form.approved.parse("Approval date", false)).flatten();
    if approved_on.is_some_and(|d| d > today()) {
        errors.add("approved_day", "Approval date must be today or in the past");
    }
    let review_on = errors.check("review_day", form.review.parse("Next review date", true)).flatten();
    if review_on.is_some_and(|d| d <= today()) {
        errors.add("review_day", "Next review date must be in the future");
    }
    let group = match Uuid::parse_str(&form.approved_by) {
        Ok(g) => {
            let found = document.groups.iter().find(|(id, _)| *id == g).map(|(id, _)| *id);
            if found.is_none() {
                errors.add("approved_by", "Choose one of the partnership's groups");
            }
            found
        }
        Err(_) => None,
    };
    let decision_number = form.decision.trim().trim_start_matches(['D', 'd']).to_owned();
    let mut tx = member.begin(&state).await?;
    let pid = member.partnership.id;
    let decision = if decision_number.is_empty() {
        None
    } else {
        let found = match decision_number.parse::<i32>() {
            Ok(n) => {
                sqlx::query_scalar!("select id from decision where partnership_id = $1 and number = $2", pid, n)
                    .fetch_optional(&mut *tx)
                    .await?
            }
            Err(_) => None,
        };
        if found.is_none() {
            errors.add("decision", "Enter the number of one of the partnership's decisions, like D12");
        }
        found
    };
    if approved_on.is_some() && group.is_none() && decision.is_none() && errors.get("approved_by").is_none() {
        errors.add("approved_by", "Say which group approved it, or the decision that did");
    }
    if approved_on.is_none() && (group.is_some() || decision.is_some()) && errors.get("approved_day").is_none() {
        errors.add("approved_day", "Enter the date it was approved");
    }
    let (Some(upload), Some(changes), Some(review_on), true) = (upload, changes, review_on, errors.is_empty()) else {
        member.resume(tx);
        return render(&state, &session, member, id, None, Some(form), errors).await;
    };
    // Versions are numbered in turn: the document is locked for it.
    let number = sqlx::query_scalar!(
        r#"select coalesce((select max(version) from library_version where partnership_id = $1 and document_id = $2), 0) + 1 as "n!"
           from library_document where partnership_id = $1 and id = $2 for update"#,
        pid,
        id
    )
    .fetch_one(&mut *tx)
    .await?;
    // The same file as the current version is a repeat (a double submit), not a new version.
    let repeat = sqlx::query_scalar!(
        r#"select exists (select 1 from paper p join library_version l on l.partnership_id = p.partnership_id and l.id = p.library_version_id
                          where p.partnership_id = $1 and l.document_id = $2 and l.version = $3 - 1 and p.sha256 = $4) as "e!""#,
        pid,
        id,
        number,
        upload.sha256
    )
    .fetch_one(&mut *tx)
    .await?;
    if repeat {
        tx.commit().await?;
        return done(&session, format!("That file is already version {} of {}", number - 1, document.title), to(&member, id)).await;
    }
    let version_id = Uuid::new_v4();
    sqlx::query!(
        "insert into library_version (partnership_id, id, document_id, version, changes, approved_on, approved_by_group_id, approved_decision_id,
                                      uploaded_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        pid,
        version_id,
        id,
        number,
        changes,
        approved_on,
        group,
        if group.is_some() { None } else { decision },
        member.user.id
    )
    .execute(&mut *tx)
    .await?;
    let titled = crate::web::upload::Upload { title: format!("{}, version {number}", document.title), ..upload };
    if let Added::AlreadyThere =
        crate::papers::add(&mut tx, &state.files, &member, &address, Holder::LibraryVersion(version_id), titled).await?
    {
        return Err(AppError::Internal(anyhow::anyhow!("a new library version already had a file")));
    }
    sqlx::query!("update library_document set review_on = $3 where partnership_id = $1 and id = $2", pid, id, review_on)
        .execute(&mut *tx)
        .await?;
    change(&member, "library.version", "library_document", id, &address)
        .before(json!({ "title": document.title, "review_on": document.review_on }))
        .after(json!({ "title": document.title, "version": number, "changes": changes, "approved_on": approved_on, "approved_by_group_id": group,
                       "approved_decision_id": decision, "review_on": review_on }))
        .record(&mut tx)
        .await?;
    tx.commit().await?;
    done(&session, format!("{}: version {number} uploaded", document.title), to(&member, id)).await
}

/// Download a version's file.
pub(crate) async fn download(
    State(state): State<AppState>,
    member: Member,
    Path((_, document_id, version)): Path<(String, String, String)>,
) -> Result<Response> {
    let id = record_id(&document_id)?;
    let version: i32 = version.parse().map_err(|_| AppError::NotFound)?;
    let mut tx = member.begin(&state).await?;
    let found = sqlx::query!(
        "select l.id as version_id, p.id as paper_id from library_version l
         join paper p on p.partnership_id = l.partnership_id and p.library_version_id = l.id
         where l.partnership_id = $1 and l.document_id = $2 and l.version = $3",
        member.partnership.id,
        id,
        version
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    let paper =
        crate::papers::find(&mut tx, member.partnership.id, Holder::LibraryVersion(found.version_id), &found.paper_id.to_string()).await?;
    tx.commit().await?;
    crate::papers::download(&state.files, paper).await
}

/// Withdraw a document from the library: it leaves the shelf, the review reminders and the public site, and keeps
/// its versions. Withdrawn once.
pub(crate) async fn withdraw(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Path((_, document_id)): Path<(String, String)>,
    ClientAddress(address): ClientAddress,
) -> Result<Response> {
    member.require(Capability::ManageResources)?;
    let id = record_id(&document_id)?;
    let mut tx = member.begin(&state).await?;
    let document = load(&mut tx, member.partnership.id, id).await?;
    let withdrawn = sqlx::query!(
        "update library_document set retired_on = $3, published = false where partnership_id = $1 and id = $2 and retired_on is null",
        member.partnership.id,
        id,
        today()
    )
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if withdrawn {
        change(&member, "library.withdrawn", "library_document", id, &address)
            .before(json!({ "title": document.title, "published": document.published, "retired_on": null }))
            .after(json!({ "title": document.title, "published": false, "retired_on": today() }))
            .record(&mut tx)
            .await?;
    }
    tx.commit().await?;
    done(&session, format!("{} withdrawn from the library", document.title), format!("/p/{}/library", member.partnership.slug)).await
}
