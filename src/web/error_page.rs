//! The error page: how an [`AppError`] looks to a person.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use super::Layout;
use crate::error::AppError;

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    layout: Layout,
    title: &'a str,
    message: &'a str,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, title, message) = match &self {
            AppError::SignInRequired { next } => {
                let target = format!("/login?next={}", form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>());
                return Redirect::to(&target).into_response();
            }
            AppError::TwoFactorSetupRequired => return Redirect::to("/account/two-factor").into_response(),
            AppError::NotFound => (
                StatusCode::NOT_FOUND,
                "Page not found",
                "If you typed the web address, check it is correct. If you pasted it, check you copied the entire address.",
            ),
            AppError::Forbidden => (
                StatusCode::FORBIDDEN,
                "You cannot do this",
                "Your role in this partnership does not allow it. Ask your partnership business manager if you need it.",
            ),
            AppError::FormExpired => {
                (StatusCode::FORBIDDEN, "This form has expired", "Go back, reload the page and try again. Nothing was changed.")
            }
            AppError::BadRequest => {
                (StatusCode::BAD_REQUEST, "Sorry, that request could not be read", "Go back and try again. Nothing was changed.")
            }
            AppError::Database(e) => {
                tracing::error!(error = ?e, "database error");
                internal()
            }
            AppError::Internal(e) => {
                tracing::error!(error = ?e, "internal error");
                internal()
            }
        };
        let page = ErrorPage { layout: Layout::bare(), title, message };
        match page.render() {
            Ok(html) => (status, axum::response::Html(html)).into_response(),
            Err(_) => (status, title.to_owned()).into_response(),
        }
    }
}

fn internal() -> (StatusCode, &'static str, &'static str) {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        "Sorry, there is a problem with the service",
        "Try again later. If it keeps happening, tell your partnership business manager.",
    )
}
