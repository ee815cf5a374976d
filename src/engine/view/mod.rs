//! The read model: what the panels, reports and checks read from the engine, without reaching
//! its internals. No plaintext key bytes are reachable from here (they live in fields private
//! to the engine); rules the engine applies (what the next request on a connection will do,
//! how much of the key-change quota is left) are computed here once and only read elsewhere.
//!
//! One file per shape a view reads: `cache` (each connection's cache and its next request),
//! `clocks` (countdowns, the most urgent one, the quota), `hierarchy` (re-wrap progress, which
//! DEKs sit under which table key, each table key's role), `proof` (what a step did),
//! `milestones` (a table's timeline marks), `copies` (every copy side by side), `status` (a
//! copy's status panel), `pacing` (what is due on the way to a goal).

mod cache;
mod clocks;
mod copies;
mod hierarchy;
mod milestones;
mod pacing;
mod proof;

pub use cache::{CacheRow, NextRequest};
pub use clocks::{Countdown, QuotaView, UrgentClock};
pub use copies::CopyRow;
pub use hierarchy::{RewrapView, TableKeyRole};
pub use milestones::Milestone;
pub use proof::{RequestProof, StepProof};

// The vocabulary the views read, in one place: value types and read-only handles whose
// methods only read. A front end (ui, notes) names engine types from here and nowhere else.
pub use super::Engine;
pub use super::backup::BackupState;
pub use super::event::{CacheUse, Event, EventKind, RequestResult};
pub use super::ids::{AWS_OWNED, DekId, ItemId, KmsKeyId, PrincipalId, TableKeyId};
pub use super::kms::{KeyKind, KeyState, KmsErrorCode, KmsKey};
pub use super::replica::ReplicaStatus;
pub use super::status::{SseStatus, TableStatus};
pub use super::table::{Table, TableIx, TableKey};
pub use super::time::{SimDuration, SimTime};
pub use super::vocab::{ErrorCode, KmsOp};
