//! Papers: the documents a record carries (a meeting's pack, a decision's
//! papers, an agency's chronology for a review, an organisation's evidence for its self-assessment). The one writer of the `paper` table: each paper
//! is checked by content on the way in (`web::upload`), kept in object
//! storage with its SHA-256, audited, and the same file twice on one record
//! is one paper. Who may add or read a record's papers is the record's own
//! rule; its handlers check that before they call here.

use serde_json::json;
use uuid::Uuid;

use crate::db::Tx;
use crate::error::{AppError, Result};
use crate::files::Files;
use crate::tenant::{Member, change};
use crate::web::upload::Upload;

/// The record a paper belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Holder {
    Meeting(Uuid),
    /// A meeting's paper for one item of its agenda (the board pack's order).
    AgendaItem {
        meeting_id: Uuid,
        agenda_item_id: Uuid,
    },
    Decision(Uuid),
    /// An agency's answer to a review's information request (its chronology).
    ReviewRequest(Uuid),
    /// An organisation's self-assessment return (its evidence).
    RoundReturn(Uuid),
    /// One version of a document in the library (its one file).
    LibraryVersion(Uuid),
}

impl Holder {
    fn meeting_id(self) -> Option<Uuid> {
        match self {
            Holder::Meeting(id) | Holder::AgendaItem { meeting_id: id, .. } => Some(id),
            Holder::Decision(_) | Holder::ReviewRequest(_) | Holder::RoundReturn(_) | Holder::LibraryVersion(_) => None,
        }
    }
    fn agenda_item_id(self) -> Option<Uuid> {
        if let Holder::AgendaItem { agenda_item_id, .. } = self { Some(agenda_item_id) } else { None }
    }
    fn decision_id(self) -> Option<Uuid> {
        if let Holder::Decision(id) = self { Some(id) } else { None }
    }
    fn review_request_id(self) -> Option<Uuid> {
        if let Holder::ReviewRequest(id) = self { Some(id) } else { None }
    }
    fn round_return_id(self) -> Option<Uuid> {
        if let Holder::RoundReturn(id) = self { Some(id) } else { None }
    }
    fn library_version_id(self) -> Option<Uuid> {
        if let Holder::LibraryVersion(id) = self { Some(id) } else { None }
    }
}

#[derive(Clone, Debug, serde::Deserialize)]
pub struct Paper {
    pub id: Uuid,
    pub title: String,
    pub filename: String,
    pub content_type: String,
    pub size_bytes: i64,
    /// The agenda item a meeting's paper is for, if any.
    #[serde(default)]
    pub agenda_item_id: Option<Uuid>,
}

impl Paper {
    /// "PDF, 1.2 MB"
    pub fn describe(&self) -> String {
        crate::files::describe_document(&self.content_type, self.size_bytes)
    }
}

/// A record's papers, oldest first.
pub async fn list(tx: &mut Tx, partnership_id: Uuid, holder: Holder) -> sqlx::Result<Vec<Paper>> {
    sqlx::query_as!(
        Paper,
        "select id, title, filename, content_type, size_bytes, agenda_item_id from paper
         where partnership_id = $1
           and (meeting_id = $2 or decision_id = $3 or review_request_id = $4 or round_return_id = $5 or library_version_id = $6)
         order by uploaded_at",
        partnership_id,
        holder.meeting_id(),
        holder.decision_id(),
        holder.review_request_id(),
        holder.round_return_id(),
        holder.library_version_id()
    )
    .fetch_all(&mut **tx)
    .await
}

/// A record's paper with where its file is kept, for putting papers together (a board pack).
pub struct Filed {
    pub paper: Paper,
    pub storage_key: String,
}

/// A record's papers with their files' keys, oldest first.
pub async fn filed(tx: &mut Tx, partnership_id: Uuid, holder: Holder) -> sqlx::Result<Vec<Filed>> {
    let rows = sqlx::query!(
        "select id, title, filename, content_type, size_bytes, agenda_item_id, storage_key from paper
         where partnership_id = $1 and (meeting_id = $2 or decision_id = $3 or review_request_id = $4) order by uploaded_at",
        partnership_id,
        holder.meeting_id(),
        holder.decision_id(),
        holder.review_request_id()
    )
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Filed {
            paper: Paper {
                id: r.id,
                title: r.title,
                filename: r.filename,
                content_type: r.content_type,
                size_bytes: r.size_bytes,
                agenda_item_id: r.agenda_item_id,
            },
            storage_key: r.storage_key,
        })
        .collect())
}

/// A stored paper's bytes.
pub async fn read(files: &Files, storage_key: &str) -> Result<Vec<u8>> {
    crate::files::fetch(files, storage_key).await
}

/// What became of an upload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Added {
    Added(Uuid),
    /// The same file (by SHA-256) is already among the record's papers.
    AlreadyThere,
}

/// Add a paper to a record, in the caller's transaction. The file is stored
/// before the row that names it is written: a failure then leaves an
/// unreferenced file, never a row without its file.
pub async fn add(tx: &mut Tx, files: &Files, member: &Member, address: &str, holder: Holder, upload: Upload) -> Result<Added> {
    let pid = member.partnership.id;
    let duplicate = sqlx::query_scalar!(
        r#"select exists (select 1 from paper where partnership_id = $1 and (meeting_id = $2 or decision_id = $3) and sha256 = $4) as "e!""#,
        pid,
        holder.meeting_id(),
        holder.decision_id(),
        upload.sha256
    )
    .fetch_one(&mut **tx)
    .await?;
    if duplicate {
        return Ok(Added::AlreadyThere);
    }
    let Upload { title, filename, bytes, content_type, sha256, .. } = upload;
    let id = Uuid::new_v4();
    let key = format!("{pid}/papers/{id}");
    let size = bytes.len() as i64;
    crate::files::store(files, &key, bytes).await?;
    // Any unique key (meeting, decision or request, and file) makes a repeat a no-op.
    let inserted = sqlx::query!(
        "insert into paper (partnership_id, id, meeting_id, decision_id, title, filename, content_type, size_bytes, sha256, storage_key, uploaded_by,
                            agenda_item_id, review_request_id, round_return_id, library_version_id)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) on conflict do nothing",
        pid,
        id,
        holder.meeting_id(),
        holder.decision_id(),
        title,
        filename,
        content_type,
        size,
        sha256,
        key,
        member.user.id,
        holder.agenda_item_id(),
        holder.review_request_id(),
        holder.round_return_id(),
        holder.library_version_id()
    )
    .execute(&mut **tx)
    .await?;
    if inserted.rows_affected() == 0 {
        return Ok(Added::AlreadyThere);
    }
    change(member, "paper.uploaded", "paper", id, address)
        .after(json!({
            "meeting_id": holder.meeting_id(), "agenda_item_id": holder.agenda_item_id(), "decision_id": holder.decision_id(),
            "review_request_id": holder.review_request_id(), "round_return_id": holder.round_return_id(),
            "library_version_id": holder.library_version_id(), "title": title, "filename": filename,
            "content_type": content_type, "size_bytes": size, "sha256": sha256
        }))
        .record(tx)
        .await?;
    Ok(Added::Added(id))
}

/// Remove the papers of a review's information requests (the agencies' chronologies, once the review's
/// retention period has passed), in the caller's transaction and one statement; answers the keys of their
/// files, for [`crate::files::remove`] once it has committed. Other papers are kept (the table's policy
/// lets nothing else be deleted).
pub async fn remove_chronologies(tx: &mut Tx, member: &Member, address: &str, review_request_ids: &[Uuid]) -> Result<Vec<String>> {
    let removed = sqlx::query!(
        "delete from paper where partnership_id = $1 and review_request_id = any($2) returning id, title, storage_key",
        member.partnership.id,
        review_request_ids
    )
    .fetch_all(&mut **tx)
    .await?;
    for paper in &removed {
        change(member, "paper.removed", "paper", paper.id, address).before(json!({ "title": paper.title })).record(tx).await?;
    }
    Ok(removed.into_iter().map(|p| p.storage_key).collect())
}

/// Where one of a record's papers is kept, to be served as a download.
pub struct Stored {
    pub filename: String,
    pub content_type: String,
    pub storage_key: String,
}

/// One of the record's papers; another record's paper is not found.
pub async fn find(tx: &mut Tx, partnership_id: Uuid, holder: Holder, paper_id: &str) -> Result<Stored> {
    let paper_id = crate::web::record_id(paper_id)?;
    sqlx::query_as!(
        Stored,
        "select filename, content_type, storage_key from paper
         where partnership_id = $1 and id = $4
           and (meeting_id = $2 or decision_id = $3 or review_request_id = $5 or round_return_id = $6 or library_version_id = $7)",
        partnership_id,
        holder.meeting_id(),
        holder.decision_id(),
        paper_id,
        holder.review_request_id(),
        holder.round_return_id(),
        holder.library_version_id()
    )
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(AppError::NotFound)
}

/// Serve a stored paper as an attachment.
pub async fn download(files: &Files, paper: Stored) -> Result<axum::response::Response> {
    crate::files::download(files, &paper.storage_key, &paper.filename, paper.content_type).await
}
