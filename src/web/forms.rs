//! Form errors shown as a GOV.UK error summary and beside each field.

use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;

use crate::error::AppError;

#[derive(Clone, Debug)]
pub struct FieldError {
    /// The `id` of the input, so the summary can link to it.
    pub field: std::borrow::Cow<'static, str>,
    pub message: String,
}

#[derive(Clone, Debug, Default)]
pub struct FormErrors(pub Vec<FieldError>);

impl FormErrors {
    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.push(FieldError { field: field.into(), message: message.into() });
    }
    /// A message for a field whose name is made at run time (one of a list of inputs: `rating_<id>`).
    pub fn add_at(&mut self, field: String, message: impl Into<String>) {
        self.0.push(FieldError { field: field.into(), message: message.into() });
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// The message for a field; `field` may be built in a template (`name ~ "_day"`).
    pub fn get(&self, field: impl std::fmt::Display) -> Option<&str> {
        let field = field.to_string();
        self.0.iter().find(|e| e.field == field).map(|e| e.message.as_str())
    }
    pub fn iter(&self) -> std::slice::Iter<'_, FieldError> {
        self.0.iter()
    }
    /// Record the message of a failed parse under `field`, keeping the value if it parsed.
    pub fn check<T>(&mut self, field: &'static str, parsed: Result<T, String>) -> Option<T> {
        parsed.map_err(|message| self.add(field, message)).ok()
    }
}

/// A submitted urlencoded form, read with `serde_html_form` so repeated fields
/// (a group of checkboxes) become a `Vec`. A body that does not fit the struct
/// is a plain "could not be read" page, never a bare error text. Our form
/// structs default every field, so browser submissions always parse and the
/// handler does the validating.
pub struct Submitted<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Submitted<T> {
    type Rejection = AppError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_form = request
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if !is_form {
            return Err(AppError::BadRequest);
        }
        let bytes = axum::body::Bytes::from_request(request, state).await.map_err(|_| AppError::BadRequest)?;
        if !is_clean_form(&bytes) {
            return Err(AppError::BadRequest);
        }
        serde_html_form::from_bytes(&bytes).map(Submitted).map_err(|_| AppError::BadRequest)
    }
}

/// Whether every name and value of an urlencoded form is text we can keep:
/// valid UTF-8 with no control character but tab and line breaks. PostgreSQL
/// refuses a NUL byte in text, and nothing a person types holds the others, so
/// they are refused here, once, for every form.
pub fn is_clean_form(bytes: &[u8]) -> bool {
    form_urlencoded::parse(bytes).all(|(k, v)| is_clean_text(&k) && is_clean_text(&v))
        && std::str::from_utf8(&percent_decoded(bytes)).is_ok()
}

fn percent_decoded(bytes: &[u8]) -> Vec<u8> {
    bytes.split(|b| *b == b'&').flat_map(|pair| percent_encoding::percent_decode(pair).chain(std::iter::once(b'&'))).collect()
}

/// Text with no control character but tab, carriage return and line feed.
pub fn is_clean_text(text: &str) -> bool {
    !text.chars().any(|c| c.is_control() && !matches!(c, '\t' | '\r' | '\n'))
}

/// A query string read into `T` (`?next=…`); one that does not fit, such as a
/// repeated parameter, is the product's "could not be read" page.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> axum::extract::FromRequestParts<S> for Query<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        if !is_clean_form(query.as_bytes()) {
            return Err(AppError::BadRequest);
        }
        serde_html_form::from_str(query).map(Query).map_err(|_| AppError::BadRequest)
    }
}

/// Refuses, with the product's own "page not found", an address whose path
/// decodes to anything but clean text (`/p/%00/`): no handler then meets a NUL
/// byte or a line break in a path segment.
pub async fn screen_path(request: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    use axum::response::IntoResponse;
    let clean = percent_encoding::percent_decode_str(request.uri().path())
        .decode_utf8()
        .is_ok_and(|path| is_clean_text(&path) && !path.contains(['\t', '\r', '\n']));
    if clean { next.run(request).await } else { AppError::NotFound.into_response() }
}

/// A required line of text (a title, a name, a place): as [`required_text`], on one line.
pub fn required_line(value: &str, what: &str, max: usize) -> Result<String, String> {
    one_line(required_text(value, what, max)?, what)
}

/// An optional line of text: as [`optional_text`], on one line.
pub fn optional_line(value: &str, what: &str, max: usize) -> Result<String, String> {
    one_line(optional_text(value, what, max)?, what)
}

fn one_line(value: String, what: &str) -> Result<String, String> {
    if value.contains(['\r', '\n']) { Err(format!("The {what} must be on one line")) } else { Ok(value) }
}

/// A required line of text: trimmed, not empty, at most `max` characters.
pub fn required_text(value: &str, what: &str, max: usize) -> Result<String, String> {
    let value = value.trim();
    if value.is_empty() {
        Err(format!("Enter the {what}"))
    } else if value.chars().count() > max {
        Err(format!("The {what} must be {max} characters or fewer"))
    } else {
        Ok(value.to_owned())
    }
}

/// Optional text: trimmed, at most `max` characters.
pub fn optional_text(value: &str, what: &str, max: usize) -> Result<String, String> {
    let value = value.trim();
    if value.chars().count() > max { Err(format!("The {what} must be {max} characters or fewer")) } else { Ok(value.to_owned()) }
}

/// A GOV.UK date input: three fields, `<name>_day`, `<name>_month`, `<name>_year`.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct DateParts {
    #[serde(default)]
    pub day: String,
    #[serde(default)]
    pub month: String,
    #[serde(default)]
    pub year: String,
}

impl DateParts {
    pub fn from_date(date: Option<chrono::NaiveDate>) -> Self {
        use chrono::Datelike;
        match date {
            Some(d) => DateParts { day: d.day().to_string(), month: d.month().to_string(), year: d.year().to_string() },
            None => DateParts::default(),
        }
    }

    /// `what` starts the messages: "Start date must be a real date".
    pub fn parse(&self, what: &str, required: bool) -> Result<Option<chrono::NaiveDate>, String> {
        let (d, m, y) = (self.day.trim(), self.month.trim(), self.year.trim());
        if d.is_empty() && m.is_empty() && y.is_empty() {
            return if required { Err(format!("Enter the {}", what.to_lowercase())) } else { Ok(None) };
        }
        for (part, name) in [(d, "day"), (m, "month"), (y, "year")] {
            if part.is_empty() {
                return Err(format!("{what} must include a {name}"));
            }
        }
        let (Ok(day), Ok(month), Ok(year)) = (d.parse::<u32>(), m.parse::<u32>(), y.parse::<i32>()) else {
            return Err(format!("{what} must be a real date"));
        };
        if y.len() != 4 {
            return Err("Year must include 4 numbers".to_owned());
        }
        chrono::NaiveDate::from_ymd_opt(year, month, day)
            .filter(|_| (1900..=2200).contains(&year))
            .map(Some)
            .ok_or_else(|| format!("{what} must be a real date"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(d: &str, m: &str, y: &str) -> DateParts {
        DateParts { day: d.into(), month: m.into(), year: y.into() }
    }

    #[test]
    fn dates_parse_the_gov_uk_way() {
        assert_eq!(parts("1", "4", "2025").parse("Start date", true).unwrap(), chrono::NaiveDate::from_ymd_opt(2025, 4, 1));
        assert_eq!(parts("", "", "").parse("End date", false).unwrap(), None);
        assert_eq!(parts("", "", "").parse("Start date", true).unwrap_err(), "Enter the start date");
        assert_eq!(parts("1", "", "2025").parse("Start date", true).unwrap_err(), "Start date must include a month");
        assert_eq!(parts("31", "2", "2025").parse("Start date", true).unwrap_err(), "Start date must be a real date");
        assert_eq!(parts("x", "2", "2025").parse("Start date", true).unwrap_err(), "Start date must be a real date");
        assert_eq!(parts("1", "2", "25").parse("Start date", true).unwrap_err(), "Year must include 4 numbers");
    }

    #[test]
    fn text_is_trimmed_and_bounded() {
        assert_eq!(required_text("  Neglect ", "name", 10).unwrap(), "Neglect");
        assert_eq!(required_line("  Neglect ", "name", 10).unwrap(), "Neglect");
        assert!(required_line("Civic Offices\nRoom 1", "place", 100).is_err());
        assert!(optional_text("Line one\nline two", "notes", 100).is_ok());
        assert!(!super::is_clean_form(b"title=a%00b"));
        assert!(!super::is_clean_form(b"title=%FF%FE"));
        assert!(super::is_clean_form(b"body=line%0D%0Aline&title=caf%C3%A9"));
        assert!(required_text("   ", "name", 10).is_err());
        assert!(required_text("abcdefghijk", "name", 10).is_err());
        assert_eq!(optional_text("", "notes", 10).unwrap(), "");
    }
}
