//! rewrap: envelope encryption made visible.
//!
//! A simulator of DynamoDB encryption at rest with AWS KMS: KMS keys wrap a table key, the
//! table key wraps data encryption keys (DEKs), DEKs encrypt items, all with real AES-256-GCM,
//! on a logical clock. `engine` is the model, `scenario` reads scenario files, `runner` plays
//! a scenario against the engine, `report` prints logs and summaries.
//!
//! ```
//! use std::sync::Arc;
//! use rewrap::runner::Runner;
//! use rewrap::scenario;
//!
//! let s = scenario::parse("mini.toml", r#"
//! title = "Disable the table's key"
//! [[key]]
//! id = "kms-1"
//! [table]
//! key = "kms-1"
//! [[principal]]
//! name = "app"
//! [[step]]
//! at = "1m"
//! do = "read"
//! principal = "app"
//! [[step]]
//! at = "2m"
//! do = "disable-key"
//! key = "kms-1"
//! [[step]]
//! at = "6m"
//! do = "read"
//! principal = "app"
//! expect = { error = "AccessDeniedException", table = "inaccessible" }
//! "#).unwrap();
//! let mut run = Runner::new(Arc::new(s)).unwrap();
//! run.run_to_end();
//! assert!(run.failures().is_empty());
//! let orders = rewrap::engine::table::TableIx::FIRST;
//! let first_failure = run.engine().milestones(orders).first_failed_read.unwrap();
//! assert_eq!(first_failure.0.to_string(), "0d 00:06:00");
//! ```

/// A line on stderr that never panics: when stderr is full or closed the message is lost, not
/// the exit code (`eprintln!` panics there, which would exit 101 instead of the code the
/// command means).
#[macro_export]
macro_rules! say_err {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

pub mod account;
pub mod app;
pub mod cast;
pub mod cli;
pub mod engine;
pub mod judge;
pub mod lab;
pub mod notes;
pub mod notes_window;
pub mod report;
pub mod runner;
pub mod save;
pub mod scenario;
pub mod session;
pub mod tui;
pub mod ui;
