//! rewrap: envelope encryption made visible.
//!
//! A simulator of DynamoDB encryption at rest with AWS KMS: KMS keys wrap a table key, the
//! table key wraps data encryption keys (DEKs), DEKs encrypt items, all with real AES-256-GCM,
//! on a logical clock. `engine` is the model, `scenario` reads scenario files, `runner` plays
//! a scenario against the engine, `report` prints logs and summaries.

pub mod app;
pub mod cli;
pub mod engine;
pub mod report;
pub mod runner;
pub mod scenario;
pub mod tui;
pub mod ui;
