//! Meeting papers: uploaded by the business manager or members of the group,
//! checked by content (PDF, Word, Excel, PowerPoint, OpenDocument), at most
//! 20 MB, kept in object storage, and served as downloads only to those who
//! may see the group's papers.

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use object_store::ObjectStoreExt;
use object_store::path::Path as StorePath;
use serde_json::json;
use sha2::{Digest, Sha256};
use tower_sessions::Session;
use uuid::Uuid;

use super::pages::{find_meeting, is_seat_holder, render_meeting_with_errors};
use crate::audit::Change;
use crate::error::{AppError, Result};
use crate::partnerships::Member;
use crate::roles::Capability;
use crate::web::{AppState, ClientAddress, FormErrors, set_flash};

/// The largest paper accepted, in bytes (20 MiB).
pub const MAX_PAPER_BYTES: usize = 20 * 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/p/{slug}/meetings/{meeting_id}/papers", post(upload).layer(DefaultBodyLimit::max(MAX_PAPER_BYTES + 64 * 1024)))
        .route("/p/{slug}/meetings/{meeting_id}/papers/{paper_id}", get(download))
}

pub struct Paper {
    pub id: Uuid,
    pub title: String,
    pub filename: String,
    pub content_type: String,
    pub size_bytes: i64,
}

impl Paper {
    /// "PDF, 1.2 MB"
    pub fn describe(&self) -> String {
        let kind = match self.content_type.as_str() {
            "application/pdf" => "PDF",
            t if t.contains("word") || t.contains("opendocument.text") => "Document",
            t if t.contains("sheet") || t.contains("excel") => "Spreadsheet",
            t if t.contains("presentation") => "Presentation",
            _ => "File",
        };
        let size = self.size_bytes as f64;
        if size >= 1024.0 * 1024.0 {
            format!("{kind}, {:.1} MB", size / (1024.0 * 1024.0))
        } else {
            format!("{kind}, {} KB", (size / 1024.0).ceil() as i64)
        }
    }
}

/// Who may see a meeting's papers: business managers and members of the group.
pub async fn may_see_papers(tx: &mut crate::db::Tx, member: &Member, group_id: Uuid) -> sqlx::Result<bool> {
    Ok(member.roles.allows(Capability::ManageMeetings) || is_seat_holder(tx, member, group_id).await?.is_some())
}

pub async fn papers(tx: &mut crate::db::Tx, partnership_id: Uuid, meeting_id: Uuid) -> sqlx::Result<Vec<Paper>> {
    sqlx::query_as!(
        Paper,
        "select id, title, filename, content_type, size_bytes from paper where partnership_id = $1 and meeting_id = $2 order by uploaded_at",
        partnership_id,
        meeting_id
    )
    .fetch_all(&mut **tx)
    .await
}

/// A file name safe to put in a header: letters, digits, dot, dash, underscore and space.
fn safe_filename(name: &str) -> String {
    let cleaned: String = name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or("")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ' ') { c } else { '_' })
        .take(120)
        .collect();
    let trimmed = cleaned.trim_matches(['.', ' ']).to_owned();
    if trimmed.is_empty() { "paper".to_owned() } else { trimmed }
}

async fn upload(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, meeting_id)): Path<(String, String)>,
    request: axum::extract::Request,
) -> Result<Response> {
    let mut tx = member.begin(&state).await?;
    let meeting = find_meeting(&mut tx, &member, &meeting_id).await?;
    if !may_see_papers(&mut tx, &member, meeting.group_id).await? {
        return Err(AppError::Forbidden);
    }
    drop(tx);
    // Read the upload only once the meeting and the person's right to it are known.
    let mut multipart = Multipart::from_request(request, &state).await.map_err(|_| AppError::BadRequest)?;
    let mut errors = FormErrors::default();
    let (mut title, mut filename, mut bytes, mut too_big) = (String::new(), String::new(), Vec::new(), false);
    // A body over the limit is an error from the stream itself; either way the answer is the same message.
    let too_large = |e: axum::extract::multipart::MultipartError| {
        if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE { Ok(()) } else { Err(AppError::BadRequest) }
    };
    'fields: loop {
        let mut field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => {
                too_large(e)?;
                too_big = true;
                break;
            }
        };
        match field.name() {
            Some("paper_title") => title = field.text().await.map_err(|_| AppError::BadRequest)?,
            Some("paper_file") => {
                filename = field.file_name().unwrap_or("").to_owned();
                loop {
                    match field.chunk().await {
                        Ok(Some(chunk)) if bytes.len() + chunk.len() <= MAX_PAPER_BYTES => bytes.extend_from_slice(&chunk),
                        Ok(Some(_)) => {
                            too_big = true;
                            break 'fields;
                        }
                        Ok(None) => break,
                        Err(e) => {
                            too_large(e)?;
                            too_big = true;
                            break 'fields;
                        }
                    }
                }
            }
            _ => {}
        }
    }
    let title = title.trim().to_owned();
    let title =
        if title.is_empty() { filename.rsplit_once('.').map(|(stem, _)| stem).unwrap_or(&filename).trim().to_owned() } else { title };
    let kind = crate::files::document_type(&bytes);
    if too_big {
        errors.add("paper_file", format!("The file must be {} MB or smaller", MAX_PAPER_BYTES / (1024 * 1024)));
    } else if bytes.is_empty() {
        errors.add("paper_file", "Choose a file to upload");
    } else if kind.is_none() {
        errors.add("paper_file", "The file must be a PDF, Word, Excel, PowerPoint or OpenDocument file");
    }
    if title.chars().count() > 200 {
        errors.add("paper_title", "The title must be 200 characters or fewer");
    } else if title.is_empty() && errors.is_empty() {
        errors.add("paper_title", "Enter a title for the paper");
    }
    let Some((content_type, _)) = kind.filter(|_| errors.is_empty()) else {
        return render_meeting_with_errors(&state, &session, member, &meeting_id, errors).await;
    };
    let sha256 = hex::encode(Sha256::digest(&bytes));
    let size = bytes.len() as i64;
    let id = Uuid::new_v4();
    let key = format!("{}/papers/{id}", member.partnership.id);
    let mut tx = member.begin(&state).await?;
    let duplicate = sqlx::query_scalar!(
        r#"select exists (select 1 from paper where partnership_id = $1 and meeting_id = $2 and sha256 = $3) as "e!""#,
        member.partnership.id,
        meeting.id,
        sha256
    )
    .fetch_one(&mut *tx)
    .await?;
    let to = format!("/p/{}/meetings/{}", member.partnership.slug, meeting.id);
    if duplicate {
        set_flash(&session, "That file is already among the papers").await?;
        return Ok(Redirect::to(&to).into_response());
    }
    // Stored before the row is written: a failure after this leaves an unreferenced file, never a row without its file.
    state
        .files
        .put(&StorePath::from(key.as_str()), bytes.into())
        .await
        .map_err(|e| AppError::Internal(anyhow::Error::new(e).context("storing a paper")))?;
    let filename = safe_filename(&filename);
    let inserted = sqlx::query!(
        "insert into paper (partnership_id, id, meeting_id, title, filename, content_type, size_bytes, sha256, storage_key, uploaded_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) on conflict (partnership_id, meeting_id, sha256) do nothing",
        member.partnership.id,
        id,
        meeting.id,
        title,
        filename,
        content_type,
        size,
        sha256,
        key,
        member.user.id
    )
    .execute(&mut *tx)
    .await?;
    if inserted.rows_affected() == 1 {
        Change::new("paper.uploaded", "paper")
            .in_partnership(member.partnership.id)
            .by(Some(member.user.id))
            .subject(id)
            .from_address(&address)
            .after(json!({ "meeting_id": meeting.id, "title": title, "filename": filename, "content_type": content_type, "size_bytes": size, "sha256": sha256 }))
            .record(&mut tx)
            .await?;
    }
    tx.commit().await?;
    set_flash(&session, format!("{title} added to the papers")).await?;
    Ok(Redirect::to(&to).into_response())
}

async fn download(
    State(state): State<AppState>,
    member: Member,
    Path((_, meeting_id, paper_id)): Path<(String, String, String)>,
) -> Result<Response> {
    let paper_id = Uuid::parse_str(&paper_id).map_err(|_| AppError::NotFound)?;
    let mut tx = member.begin(&state).await?;
    let meeting = find_meeting(&mut tx, &member, &meeting_id).await?;
    if !may_see_papers(&mut tx, &member, meeting.group_id).await? {
        return Err(AppError::NotFound);
    }
    let paper = sqlx::query!(
        "select filename, content_type, storage_key from paper where partnership_id = $1 and meeting_id = $2 and id = $3",
        member.partnership.id,
        meeting.id,
        paper_id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    let bytes = state
        .files
        .get(&StorePath::from(paper.storage_key.as_str()))
        .await
        .map_err(|e| AppError::Internal(anyhow::Error::new(e).context("reading a paper")))?
        .bytes()
        .await
        .map_err(|e| AppError::Internal(anyhow::Error::new(e).context("reading a paper")))?;
    Ok((
        [
            (header::CONTENT_TYPE, paper.content_type),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{}\"", safe_filename(&paper.filename))),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        bytes,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::safe_filename;

    #[test]
    fn file_names_are_made_safe_for_headers() {
        assert_eq!(safe_filename("Annual report 2025-26.pdf"), "Annual report 2025-26.pdf");
        assert_eq!(safe_filename("../../etc/passwd"), "passwd");
        assert_eq!(safe_filename("C:\\\\Users\\\\x\\\\paper\".pdf"), "paper_.pdf");
        assert_eq!(safe_filename("bad\r\nname.pdf"), "bad__name.pdf", "no header injection");
        assert_eq!(safe_filename("..."), "paper");
    }
}
