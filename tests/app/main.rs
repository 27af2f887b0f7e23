//! Integration tests: the whole application in process, against a fresh
//! PostgreSQL database per test (see `harness`).

mod harness;
mod paths;

mod admin;
mod assurance;
mod audit_log;
mod auth;
mod board_pack;
mod budget;
mod decisions;
mod engagement;
mod fuzz;
mod home;
mod library;
mod lists;
mod meetings;
mod minutes;
mod national;
mod need_to_know;
mod outbox;
mod papers;
mod people;
mod reviews;
mod risks;
mod scrutiny;
mod security;
mod structure;
mod tenancy;
mod training;
mod two_factor;
