//! Where uploaded files live: a local folder by default, or any
//! S3-compatible store (`STORAGE_URL=s3://bucket/prefix`, with the usual
//! `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION` and, for stores
//! other than AWS, `AWS_ENDPOINT`). Only metadata and a SHA-256 go in PostgreSQL.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use object_store::local::LocalFileSystem;
use object_store::path::Path as StorePath;
use object_store::{ObjectStore, ObjectStoreExt};
use std::path::Path;
use std::sync::Arc;

use crate::error::{AppError, Result};

/// The largest document accepted, in bytes (20 MiB).
pub const MAX_DOCUMENT_BYTES: usize = 20 * 1024 * 1024;

pub type Files = Arc<dyn ObjectStore>;

/// The store the configuration names: `STORAGE_URL`, or the folder `FILES_DIR`.
pub fn from_config(config: &crate::config::Config) -> anyhow::Result<Files> {
    match config.storage_url.as_deref() {
        Some(url) if url.starts_with("s3://") => {
            // The AWS_* credentials and endpoint are the object store's own settings.
            let store = object_store::aws::AmazonS3Builder::from_env().with_url(url).build()?;
            // The builder takes the bucket from the URL and ignores its path: the prefix is ours to apply.
            match s3_prefix(url) {
                Some(prefix) => Ok(Arc::new(object_store::prefix::PrefixStore::new(store, prefix))),
                None => Ok(Arc::new(store)),
            }
        }
        Some(url) => anyhow::bail!("STORAGE_URL must start with s3:// (got {url:?}); for a local folder set FILES_DIR"),
        None => local(&config.files_dir),
    }
}

/// The folder inside the bucket of `s3://bucket/prefix/`, if there is one.
fn s3_prefix(url: &str) -> Option<&str> {
    let (_, path) = url.strip_prefix("s3://")?.split_once('/')?;
    Some(path.trim_matches('/')).filter(|p| !p.is_empty())
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

/// Put a document in the store. Callers store before writing the row that
/// names it: a failure then leaves an unreferenced file, never a row without its file.
pub async fn store(files: &Files, key: &str, bytes: Vec<u8>) -> Result<()> {
    files
        .put(&StorePath::from(key), bytes.into())
        .await
        .map_err(|e| AppError::Internal(anyhow::Error::new(e).context("storing a document")))?;
    Ok(())
}

/// Remove a document from the store. Callers delete the row that names it
/// first, in a transaction that has committed: a failure then leaves an
/// unreferenced file, never a row without its file. A file already gone is gone.
pub async fn remove(files: &Files, key: &str) -> Result<()> {
    match files.delete(&StorePath::from(key)).await {
        Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
        Err(e) => Err(AppError::Internal(anyhow::Error::new(e).context("removing a document"))),
    }
}

/// A stored document's bytes.
pub async fn fetch(files: &Files, key: &str) -> Result<Vec<u8>> {
    let read = |e: object_store::Error| match e {
        // The record names a file the store no longer holds: for the reader, not found; for the operators, a warning.
        object_store::Error::NotFound { .. } => {
            tracing::warn!(key, "a document's file is missing from storage");
            AppError::NotFound
        }
        e => AppError::Internal(anyhow::Error::new(e).context("reading a document")),
    };
    Ok(files.get(&StorePath::from(key)).await.map_err(read)?.bytes().await.map_err(read)?.to_vec())
}

/// A stored document as a download (never shown inline), not kept by caches.
pub async fn download(files: &Files, key: &str, filename: &str, content_type: String) -> Result<Response> {
    Ok(attachment(filename, content_type, fetch(files, key).await?))
}

/// A document made or read for one person, as a download (never shown inline), not kept by caches.
pub fn attachment(filename: &str, content_type: String, bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{}\"", safe_filename(filename))),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        bytes,
    )
        .into_response()
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
    fn an_s3_store_writes_under_the_prefix_of_its_url() {
        let mut config = crate::config::Config::for_tests();
        config.storage_url = Some("s3://hub-files/swindon/papers".into());
        let store = super::from_config(&config).unwrap();
        assert_eq!(store.to_string(), "PrefixObjectStore(swindon/papers)", "every key goes under the prefix");
        config.storage_url = Some("s3://hub-files".into());
        assert!(!super::from_config(&config).unwrap().to_string().starts_with("PrefixObjectStore"));
    }

    #[test]
    fn the_prefix_of_the_storage_url_is_kept() {
        assert_eq!(super::s3_prefix("s3://hub-files/swindon/papers/"), Some("swindon/papers"));
        assert_eq!(super::s3_prefix("s3://hub-files/prod"), Some("prod"));
        assert_eq!(super::s3_prefix("s3://hub-files"), None);
        assert_eq!(super::s3_prefix("s3://hub-files/"), None);
    }

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
