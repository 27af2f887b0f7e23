//! Partnership Hub: governance for England's multi-agency safeguarding partnerships.
//!
//! The module tree follows the partnership's own arrangements: who belongs
//! ([`people`], [`partnerships`]), how they sign in ([`auth`]), and the record
//! of every change ([`audit`]). [`web`] holds what every page shares.

pub mod actions;
pub mod assurance;
pub mod audit;
pub mod auth;
pub mod budget;
pub mod calendar;
pub mod cli;
pub mod config;
pub mod db;
pub mod decisions;
pub mod email;
pub mod engagement;
pub mod error;
pub mod files;
pub mod home;
pub mod library;
pub mod meetings;
pub mod minutes;
pub mod outbox;
pub mod papers;
pub mod partnerships;
pub mod pdf;
pub mod people;
pub mod reviews;
pub mod roles;
pub mod router;
pub mod scrutiny;
pub mod seed;
pub mod site;
pub mod structure;
pub mod tenant;
pub mod tokens;
pub mod training;
pub mod web;
pub mod worker;

pub use error::{AppError, Result};
pub use router::build_router;
pub use web::AppState;
