//! firewatch: a terminal incident copilot.
//!
//! Data flows left to right: `sources` (formats and protocols) -> `model` (normalized
//! signals) -> `store` (Tantivy for logs and spans, SQLite for metrics and alerts) ->
//! the commands in `cmd`.

pub mod analysis;
pub mod cli;
pub mod cmd;
pub mod collector;
pub mod config;
pub mod copilot;
pub mod engine;
pub mod ingest;
pub mod loadgen;
pub mod loghub;
pub mod model;
pub mod runbooks;
pub mod sanitize;
pub mod sim;
pub mod sources;
pub mod store;
pub mod timearg;
pub mod ui;
