//! Reading an uploaded document from a multipart form: by content and size,
//! with what is wrong said on the form.

use axum::extract::{FromRequest, Multipart, Request};
use axum::http::StatusCode;
use sha2::{Digest, Sha256};

use super::FormErrors;
use crate::error::{AppError, Result};
use crate::files::{MAX_DOCUMENT_BYTES, document_type, safe_filename};

/// A document that arrived in a form, checked by content and size.
pub struct Upload {
    pub title: String,
    /// Made safe for a header (see [`safe_filename`]).
    pub filename: String,
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
    pub sha256: String,
    /// The form's other short fields (an agenda item chosen beside the file), as sent.
    pub fields: Vec<(String, String)>,
}

impl Upload {
    /// One of the form's other fields, if it was sent.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// A form carries a handful of fields beside its file; more is not a form of ours.
const MAX_OTHER_FIELDS: usize = 8;
const MAX_OTHER_FIELD_BYTES: usize = 200;

/// What a multipart form with one file held: the file (up to its limit), one longer text field if asked for
/// (a title), and the form's other short fields.
struct FileForm {
    filename: String,
    bytes: Vec<u8>,
    /// The file went past its limit (or the body past the route's): reading stopped there.
    too_big: bool,
    long: String,
    fields: Vec<(String, String)>,
}

/// Read a multipart form: the shared part of every upload. A stranger's body is never read: callers check the
/// person first.
async fn read_file_form(request: Request, file_field: &str, long_field: Option<&str>, max_bytes: usize) -> Result<FileForm> {
    let mut multipart = Multipart::from_request(request, &()).await.map_err(|_| AppError::BadRequest)?;
    let mut form = FileForm { filename: String::new(), bytes: Vec::new(), too_big: false, long: String::new(), fields: Vec::new() };
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
                form.too_big = true;
                break;
            }
        };
        let name = field.name().unwrap_or("").to_owned();
        if Some(name.as_str()) == long_field {
            form.long = field.text().await.map_err(|_| AppError::BadRequest)?;
        } else if name == file_field {
            form.filename = field.file_name().unwrap_or("").to_owned();
            loop {
                match field.chunk().await {
                    Ok(Some(chunk)) if form.bytes.len() + chunk.len() <= max_bytes => form.bytes.extend_from_slice(&chunk),
                    Ok(Some(_)) => {
                        form.too_big = true;
                        break 'fields;
                    }
                    Ok(None) => break,
                    Err(e) => {
                        too_large(e)?;
                        form.too_big = true;
                        break 'fields;
                    }
                }
            }
        } else if field.file_name().is_none() && form.fields.len() < MAX_OTHER_FIELDS {
            let value = field.text().await.map_err(|_| AppError::BadRequest)?;
            if value.len() > MAX_OTHER_FIELD_BYTES {
                return Err(AppError::BadRequest);
            }
            form.fields.push((name, value));
        }
    }
    Ok(form)
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
    let form = read_file_form(request, file_field, Some(title_field), MAX_DOCUMENT_BYTES).await?;
    Ok(checked_document(form, title_field, file_field, errors))
}

/// Read a form with a file field and a longer text beside it that is not the file's title (what changed in a
/// document's new version): the upload is titled by its file's name; the text and the other fields come back
/// as typed, whether or not the file was good, so a form shown again keeps them.
pub async fn read_document_and_text(
    request: Request,
    text_field: &'static str,
    file_field: &'static str,
    errors: &mut FormErrors,
) -> Result<(Option<Upload>, String, Vec<(String, String)>)> {
    let mut form = read_file_form(request, file_field, Some(text_field), MAX_DOCUMENT_BYTES).await?;
    let text = std::mem::take(&mut form.long);
    let fields = form.fields.clone();
    Ok((checked_document(form, file_field, file_field, errors), text, fields))
}

/// A document form's file checked by its content, titled by the title field or else the file's name.
fn checked_document(form: FileForm, title_field: &'static str, file_field: &'static str, errors: &mut FormErrors) -> Option<Upload> {
    let FileForm { filename, bytes, too_big, long: title, fields } = form;
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
        Some((content_type, _)) if errors.iter().count() == before => Some(Upload {
            sha256: hex::encode(Sha256::digest(&bytes)),
            filename: safe_filename(&filename),
            title,
            bytes,
            content_type,
            fields,
        }),
        _ => None,
    }
}

/// A CSV file that arrived in a form, with the form's other short fields.
pub struct CsvUpload {
    pub text: String,
    pub fields: Vec<(String, String)>,
}

impl CsvUpload {
    /// One of the form's other fields, if it was sent.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// Read a form with a CSV file field into a [`CsvUpload`], or say on the form what is wrong: a file over
/// `max_bytes`, one not named `.csv`, or one that is not plain UTF-8 text (a spreadsheet, a document) is refused
/// before anything in it is read.
pub async fn read_csv(request: Request, file_field: &'static str, max_bytes: usize, errors: &mut FormErrors) -> Result<Option<CsvUpload>> {
    let FileForm { filename, bytes, too_big, fields, .. } = read_file_form(request, file_field, None, max_bytes).await?;
    let text = String::from_utf8(bytes).ok().filter(|t| !t.contains('\0'));
    if too_big {
        errors.add(file_field, format!("The file must be {} KB or smaller", max_bytes / 1024));
    } else if filename.is_empty() {
        errors.add(file_field, "Choose a CSV file to upload");
    } else if !filename.to_lowercase().ends_with(".csv") || text.is_none() {
        errors.add(file_field, "The file must be a CSV file (comma-separated text), such as a spreadsheet saved as CSV");
    }
    match text {
        Some(text) if !too_big && errors.get(file_field).is_none() => Ok(Some(CsvUpload { text, fields })),
        _ => Ok(None),
    }
}
