//! mesoledger: stock, lot traceability and cocktail formulations for a mesotherapy
//! clinic. Layers: `domain` (pure rules) ← `services` (use cases, transactions) →
//! `db` (diesel, SQLite or PostgreSQL); `http` (actix-web) calls the services.
//! See docs/ARCHITECTURE.md.

pub mod commands;
pub mod db;
pub mod domain;
pub mod error;
pub mod http;
pub mod services;
pub mod startup;
pub mod telemetry;
