//! What a scenario may ask for, checked at load so every accepted file runs in bounded time
//! and memory (docs/scenario-format.md, "Limits").

use crate::engine::time::SimDuration;

/// Largest scenario file read, in bytes.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;
/// Latest simulated instant a step, `until` or `end` may name: 100 years.
pub const MAX_SPAN: SimDuration = SimDuration::from_days(36_500);
/// Actions after expanding repeated steps and `connection = "all"`.
pub const MAX_ACTIONS: u64 = 250_000;
/// Declared KMS keys.
pub const MAX_KEYS: usize = 100;
/// Declared principals.
pub const MAX_PRINCIPALS: usize = 100;
/// Connections of one principal.
pub const MAX_CONNECTIONS_EACH: i64 = 1_000;
/// Connections over all principals (each holds its own cache entry).
pub const MAX_CONNECTIONS: u64 = 10_000;
/// DEK re-wraps a run may do in all: each `change-table-key` (each repetition) re-wraps every
/// DEK of its table (a restored table counted as large as the largest). The product of the
/// other limits (1,000,000 DEKs x 250,000 actions) would otherwise be hours of work.
pub const MAX_REWRAP_WORK: u64 = 20_000_000;
/// Steps in a file.
pub const MAX_STEPS: usize = 10_000;

/// The most tables a scenario may declare, and what they may hold in all.
pub const MAX_TABLES: usize = 32;
pub const MAX_TOTAL_ITEMS: u64 = 5_000_000;
pub const MAX_TOTAL_DEKS: u64 = 1_000_000;

/// The most choices a question (`ask`) may offer (the room answers with the keys 1-9).
pub const MAX_CHOICES: usize = 9;
/// Longest speaker-notes text (`say`, `after`), in characters.
pub const MAX_SPEAKER_TEXT: usize = 2_000;
