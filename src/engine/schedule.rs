//! What the engine schedules for later on the logical clock (vocabulary: no state, no
//! behaviour; the agenda in agenda.rs runs them).

use super::ids::TableKeyId;
use super::table::TableIx;
use super::time::SimTime;

/// Things the engine schedules for later.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Scheduled {
    CacheExpiry {
        table: TableIx,
        entry: usize,
        generation: u64,
    },
    ServiceKeyExpiry {
        table: TableIx,
        table_key: TableKeyId,
        fetched_at: SimTime,
    },
    RewrapStep {
        table: TableIx,
    },
    DetectionCheck {
        table: TableIx,
    },
    ArchiveStart {
        table: TableIx,
        since: SimTime,
    },
    ArchiveComplete {
        table: TableIx,
    },
    KeyDeletion {
        key: usize,
    },
    Rotation {
        key: usize,
        due: SimTime,
    },
    /// Imported key material reaches its `ValidTo` (aws-behaviour.md #98): removed at once (aws-behaviour.md #99),
    /// unless it was deleted or imported again since (`generation`).
    MaterialExpiry {
        key: usize,
        generation: u64,
    },
    /// A global-table copy inaccessible since `since` has been so for `replica_removal_after`:
    /// DynamoDB drops it from the replication group (aws-behaviour.md #51).
    ReplicaRemoval {
        table: TableIx,
        since: SimTime,
    },
    /// A key-state or permission change reaches every KMS endpoint (assumption `propagation`).
    Propagated {
        key: usize,
        change: u64,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct QueueEntry {
    pub(super) at: SimTime,
    pub(super) seq: u64,
    pub(super) what: Scheduled,
}
