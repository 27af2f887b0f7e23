//! Form errors shown as a GOV.UK error summary and beside each field.

use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;

use crate::error::AppError;

#[derive(Clone, Debug)]
pub struct FieldError {
    /// The `id` of the input, so the summary can link to it.
    pub field: &'static str,
    pub message: String,
}

#[derive(Clone, Debug, Default)]
pub struct FormErrors(pub Vec<FieldError>);

impl FormErrors {
    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.push(FieldError { field, message: message.into() });
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn get(&self, field: &str) -> Option<&str> {
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
        serde_html_form::from_bytes(&bytes).map(Submitted).map_err(|_| AppError::BadRequest)
    }
}
