//! Where uploaded files live: a local folder by default, or any
//! S3-compatible store (`STORAGE_URL=s3://bucket/prefix`, with the usual
//! `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION` and, for stores
//! other than AWS, `AWS_ENDPOINT`). Only metadata and a SHA-256 go in PostgreSQL.

use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use object_store::local::LocalFileSystem;
use object_store::path::Path as StorePath;
use object_store::{ObjectStore, ObjectStoreExt};
use sha2::{Digest, Sha256};
use std::path::Path;
use std::sync::Arc;

use crate::error::{AppError, Result};
use crate::web::FormErrors;

/// The largest document accepted, in bytes (20 MiB).
pub const MAX_DOCUMENT_BYTES: usize = 20 * 1024 * 1024;

pub type Files = Arc<dyn ObjectStore>;

/// From `STORAGE_URL`, or a folder (`FILES_DIR`, default `.data/files`).
pub fn from_env() -> anyhow::Result<Files> {
    match std::env::var("STORAGE_URL") {
        Ok(url) if url.starts_with("s3://") => {
            let store = object_store::aws::AmazonS3Builder::from_env().with_url(url).build()?;
            Ok(Arc::new(store))
        }
        Ok(url) => anyhow::bail!("STORAGE_URL must start with s3:// (got {url:?}); for a local folder set FILES_DIR"),
        Err(_) => local(Path::new(&std::env::var("FILES_DIR").unwrap_or_else(|_| ".data/files".into()))),
    }
}

pub fn local(dir: &Path) -> anyhow::Result<Files> {
    std::fs::create_dir_all(dir)?;
    Ok(Arc::new(LocalFileSystem::new_with_prefix(dir)?))
}

/// What kind of document the bytes are, judged by their content, not their name.
/// Answers the MIME type and a label, or None for anything we do not accept.
pub fn document_type(bytes: &[u8]) -> Option<(&'static str, &'static str)> {
    let kind = infer::get(bytes)?;
    let accepted = match kind.mime_type() {
        "application/pdf" => "PDF",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => "Word",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => "Excel",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation" => "PowerPoint",
        "application/msword" => "Word",
        "application/vnd.ms-excel" => "Excel",
        "application/vnd.oasis.opendocument.text" => "OpenDocument text",
        "application/vnd.oasis.opendocument.spreadsheet" => "OpenDocument spreadsheet",
        _ => return None,
    };
    Some((kind.mime_type(), accepted))
}

/// "PDF, 1.2 MB"
pub fn describe_document(content_type: &str, size_bytes: i64) -> String {
    let kind = match content_type {
        "application/pdf" => "PDF",
        t if t.contains("word") || t.contains("opendocument.text") => "Document",
        t if t.contains("sheet") || t.contains("excel") => "Spreadsheet",
        t if t.contains("presentation") => "Presentation",
        _ => "File",
    };
    let size = size_bytes as f64;
    if size >= 1024.0 * 1024.0 {
        format!("{kind}, {:.1} MB", size / (1024.0 * 1024.0))
    } else {
        format!("{kind}, {} KB", (size / 1024.0).ceil() as i64)
    }
}

/// A document that arrived in a form, checked by content and size.
pub struct Upload {
    pub title: String,
    /// Made safe for a header (see [`safe_filename`]).
    pub filename: String,
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
    pub sha256: String,
}

/// Read a form with a title field and a file field into an [`Upload`], or
/// say on the form what is wrong.
/// Callers check the person's right to upload before calling, so a stranger's
/// body is never read.
pub async fn read_document(
    request: Request,
    title_field: &'static str,
    file_field: &'static str,
    errors: &mut FormErrors,
) -> Result<Option<Upload>> {
    let mut multipart = Multipart::from_request(request, &()).await.map_err(|_| AppError::BadRequest)?;
    let (mut title, mut filename, mut bytes, mut too_big) = (String::new(), String::new(), Vec::new(), false);
    // A body over the limit is an error from the stream itself; either way the answer is the same message.
    let too_large = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE { Ok(()) } else { Err(AppError::BadRequest) }
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
        let name = field.name().unwrap_or("").to_owned();
        if name == title_field {
            title = field.text().await.map_err(|_| AppError::BadRequest)?;
        } else if name == file_field {
            filename = field.file_name().unwrap_or("").to_owned();
            loop {
                match field.chunk().await {
                    Ok(Some(chunk)) if bytes.len() + chunk.len() <= MAX_DOCUMENT_BYTES => bytes.extend_from_slice(&chunk),
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
    }
    let title = title.trim().to_owned();
    let title =
        if title.is_empty() { filename.rsplit_once('.').map(|(stem, _)| stem).unwrap_or(&filename).trim().to_owned() } else { title };
    let kind = document_type(&bytes);
    let before = errors.iter().count();
    if too_big {
        errors.add(file_field, format!("The file must be {} MB or smaller", MAX_DOCUMENT_BYTES / (1024 * 1024)));
    } else if bytes.is_empty() {
        errors.add(file_field, "Choose a file to upload");
    } else if kind.is_none() {
        errors.add(file_field, "The file must be a PDF, Word, Excel, PowerPoint or OpenDocument file");
    }
    if title.chars().count() > 200 {
        errors.add(title_field, "The title must be 200 characters or fewer");
    } else if title.is_empty() && errors.iter().count() == before {
        errors.add(title_field, "Enter a title");
    }
    match kind {
        Some((content_type, _)) if errors.iter().count() == before => {
            Ok(Some(Upload { sha256: hex::encode(Sha256::digest(&bytes)), filename: safe_filename(&filename), title, bytes, content_type }))
        }
        _ => Ok(None),
    }
}

/// Put a document in the store. Callers store before writing the row that
/// names it: a failure then leaves an unreferenced file, never a row without its file.
pub async fn store(files: &Files, key: &str, bytes: Vec<u8>) -> Result<()> {
    files
        .put(&StorePath::from(key), bytes.into())
        .await
        .map_err(|e| AppError::Internal(anyhow::Error::new(e).context("storing a document")))?;
    Ok(())
}

/// A stored document as a download (never shown inline), not kept by caches.
pub async fn download(files: &Files, key: &str, filename: &str, content_type: String) -> Result<Response> {
    let read = |e: object_store::Error| AppError::Internal(anyhow::Error::new(e).context("reading a document"));
    let bytes = files.get(&StorePath::from(key)).await.map_err(read)?.bytes().await.map_err(read)?;
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{}\"", safe_filename(filename))),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        bytes,
    )
        .into_response())
}

/// A file name safe to put in a header: letters, digits, dot, dash, underscore and space.
pub fn safe_filename(name: &str) -> String {
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

#[cfg(test)]
mod tests {
    use super::{document_type, safe_filename};

    #[test]
    fn documents_are_known_by_their_content() {
        assert_eq!(document_type(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj").map(|(_, l)| l), Some("PDF"));
        assert_eq!(document_type(b"<html><script>alert(1)</script></html>"), None);
        assert_eq!(document_type(b"MZ\x90\x00\x03\x00\x00\x00"), None, "a Windows program is refused whatever its name");
        assert_eq!(document_type(b""), None);
    }

    #[test]
    fn file_names_are_made_safe_for_headers() {
        assert_eq!(safe_filename("Annual report 2025-26.pdf"), "Annual report 2025-26.pdf");
        assert_eq!(safe_filename("../../etc/passwd"), "passwd");
        assert_eq!(safe_filename("C:\\\\Users\\\\x\\\\paper\".pdf"), "paper_.pdf");
        assert_eq!(safe_filename("bad\r\nname.pdf"), "bad__name.pdf", "no header injection");
        assert_eq!(safe_filename("..."), "paper");
    }
}
