//! Partnership Hub: governance for England's multi-agency safeguarding partnerships.
//!
//! The module tree follows the partnership's own arrangements: who belongs
//! ([`people`], [`partnerships`]), how they sign in ([`auth`]), and the record
//! of every change ([`audit`]). [`web`] holds what every page shares.

pub mod actions;
pub mod audit;
pub mod auth;
pub mod calendar;
pub mod cli;
pub mod config;
pub mod db;
pub mod decisions;
pub mod error;
pub mod files;
pub mod meetings;
pub mod outbox;
pub mod partnerships;
pub mod people;
pub mod roles;
pub mod scrutiny;
pub mod seed;
pub mod structure;
pub mod web;

pub use error::{AppError, Result};
pub use web::{AppState, build_router};
