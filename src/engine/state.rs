//! The engine's state, split by what AWS has: KMS (keys, the principals that call it, deletions,
//! changes spreading), DynamoDB (tables and their copies, backups), the agenda (scheduled work on
//! the logical clock) and the trail (the event log and the CloudTrail totals).
//!
//! Each part owns its fields; the engine's behaviour lives in the `impl Engine` blocks of the
//! files named after what they do (`key_lifecycle`, `requests`, `rewrap`, ...), which reach a part
//! by its name (`self.kms.keys`, `self.dynamo.tables`), so a reader sees which service a rule
//! touches.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

use super::backup::Backup;
use super::event::Event;
use super::ids::KmsKeyId;
use super::kms::KmsKey;
use super::log::Chunked;
use super::schedule::QueueEntry;
use super::table::Table;
use super::time::SimTime;
use super::vocab::KmsOp;
use super::world::PrincipalSpec;

/// What KMS holds: the keys, the principals whose calls it answers, the keys deleted so far and
/// the count of key changes (which numbers the changes that spread with `propagation`).
#[derive(Clone, Debug)]
pub(super) struct KmsWorld {
    pub(in crate::engine) keys: Vec<KmsKey>,
    pub(in crate::engine) principals: Vec<PrincipalSpec>,
    /// KMS keys deleted so far, and when (every table's milestones list them).
    pub(in crate::engine) keys_deleted: Vec<(KmsKeyId, SimTime)>,
    /// Key changes made so far (numbers the changes that spread with `propagation`).
    pub(in crate::engine) key_changes: u64,
}

/// What DynamoDB holds: the tables of the world in file order, each global-table copy a table
/// of its own, with their table keys, DEKs, items, caches and clocks; and the backups.
#[derive(Clone, Debug)]
pub(super) struct DynamoWorld {
    pub(in crate::engine) tables: Vec<Table>,
    /// Version 2: on-demand and archival backups, in the order they were taken.
    pub(in crate::engine) backups: Vec<Backup>,
}

/// Scheduled work on the logical clock, in due order (ties broken by `seq`, the order of
/// scheduling, so a run is deterministic).
#[derive(Clone, Debug, Default)]
pub(super) struct Agenda {
    pub(in crate::engine) queue: BinaryHeap<Reverse<QueueEntry>>,
    pub(in crate::engine) seq: u64,
}

/// What happened: the event log, and the KMS calls in your CloudTrail by (operation, key) as
/// (calls, failed).
#[derive(Clone, Debug, Default)]
pub(super) struct Trail {
    pub(in crate::engine) log: Chunked<Event>,
    pub(in crate::engine) kms_totals: BTreeMap<(KmsOp, KmsKeyId), (u32, u32)>,
}
