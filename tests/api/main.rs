#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Integration tests: the real service on a random port, spoken to over HTTP, on SQLite
//! (default) or PostgreSQL (`MESOLEDGER_TEST_DATABASE_URL`).

mod accounts;
mod auth;
mod balances;
mod catalog;
mod cold_chain;
mod corrections;
mod docs_contract;
mod errors;
mod gs1;
mod hardening;
mod helpers;
mod ledger;
mod limits;
mod lots;
mod open_vials;
mod openapi;
mod planning;
mod safety;
mod service;
mod sessions;
mod traceability;
mod ui;
mod ui_audit;
mod ui_buying;
mod ui_cold_chain;
mod ui_manager;
mod ui_planning;
mod ui_staff;
