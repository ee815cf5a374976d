//! Every copy of the world's data side by side, as the blast-radius stage draws them.

use crate::engine::Engine;
use crate::engine::backup::BackupState;
use crate::engine::ids::{KmsKeyId, TableKeyId};
use crate::engine::kms::{KeyState, KmsKey};
use crate::engine::replica::ReplicaStatus;
use crate::engine::status::TableStatus;
use crate::engine::table::TableIx;

use super::Countdown;

/// One copy of the world's data (a table, a replica, a restored table) as the blast-radius
/// stage draws it: the chain it needs (KMS key, table key, DEKs), its status, and its own clock
/// that changes an outcome (archive, or leaving its replication group). A key's state is not
/// per table (aws-behaviour.md #6): every copy under a disabled key shows it on its own row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CopyRow {
    pub table: TableIx,
    /// `Orders`, or `Orders@eu-west-1` for a replica.
    pub label: String,
    /// The KMS key that wraps the copy's current table key, and its state now (`None` if the
    /// world has no such key).
    pub kms_key: KmsKeyId,
    pub key_state: Option<KeyState>,
    pub table_key: TableKeyId,
    pub deks: usize,
    pub status: TableStatus,
    /// `ReplicaStatus` when the copy belongs to a global table (`None` for a plain table).
    pub replica: Option<ReplicaStatus>,
    /// Is its data still recoverable (the material wrapping its current table key exists)?
    pub recoverable: bool,
    /// Its soonest archive or replica-removal clock, if one runs.
    pub clock: Option<Countdown>,
    /// Once archived: can its archival backup be restored now?
    pub archival: Option<BackupState>,
}

impl Engine {
    /// Every copy of the world's data, in the world's order: one computation for the
    /// blast-radius stage and anything else that lists them side by side.
    pub fn copy_rows(&self) -> Vec<CopyRow> {
        (0..self.dynamo.tables.len())
            .map(TableIx)
            .map(|tx| {
                let t = &self.dynamo.tables[tx.0];
                let kms_key = t.current_kms_key().clone();
                CopyRow {
                    table: tx,
                    label: t.label(),
                    key_state: self.key(&kms_key).map(KmsKey::state),
                    kms_key,
                    table_key: t.current,
                    deks: t.deks.len(),
                    status: t.status,
                    replica: (self.copies_of(tx).len() > 1).then(|| self.replica_status(tx)),
                    recoverable: self.recoverable(tx),
                    clock: self.countdowns(tx).into_iter().find(|c| {
                        matches!(
                            c,
                            Countdown::Archive { .. } | Countdown::ReplicaRemoval { .. }
                        )
                    }),
                    archival: self.archival_backup_of(tx).map(|b| self.backup_state(b)),
                }
            })
            .collect()
    }
}
