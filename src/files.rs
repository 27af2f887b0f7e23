//! Where uploaded files live: a local folder by default, or any
//! S3-compatible store (`STORAGE_URL=s3://bucket/prefix`, with the usual
//! `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION` and, for stores
//! other than AWS, `AWS_ENDPOINT`). Only metadata and a SHA-256 go in PostgreSQL.

use object_store::ObjectStore;
use object_store::local::LocalFileSystem;
use std::path::Path;
use std::sync::Arc;

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

#[cfg(test)]
mod tests {
    use super::document_type;

    #[test]
    fn documents_are_known_by_their_content() {
        assert_eq!(document_type(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj").map(|(_, l)| l), Some("PDF"));
        assert_eq!(document_type(b"<html><script>alert(1)</script></html>"), None);
        assert_eq!(document_type(b"MZ\x90\x00\x03\x00\x00\x00"), None, "a Windows program is refused whatever its name");
        assert_eq!(document_type(b""), None);
    }
}
