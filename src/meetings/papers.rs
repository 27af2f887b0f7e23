//! Meeting papers: uploaded by the business manager or members of the group,
//! checked by content (PDF, Word, Excel, PowerPoint, OpenDocument), at most
//! 20 MB, kept in object storage, and served as downloads only to those who
//! may see the group's papers.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::json;
use tower_sessions::Session;
use uuid::Uuid;

use super::pages::{find_meeting, is_seat_holder, render_meeting_with_errors};
use crate::audit::Change;
use crate::error::{AppError, Result};
use crate::roles::Capability;
use crate::tenant::Member;
use crate::web::{AppState, ClientAddress, FormErrors, set_flash};

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
        crate::files::describe_document(&self.content_type, self.size_bytes)
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

pub(crate) async fn upload(
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
    let mut errors = FormErrors::default();
    let Some(upload) = crate::web::upload::read_document(request, "paper_title", "paper_file", &mut errors).await? else {
        return render_meeting_with_errors(&state, &session, member, &meeting_id, errors).await;
    };
    let crate::web::upload::Upload { title, filename, bytes, content_type, sha256 } = upload;
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
    crate::files::store(&state.files, &key, bytes).await?;
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

pub(crate) async fn download(
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
    crate::files::download(&state.files, &paper.storage_key, &paper.filename, paper.content_type).await
}
