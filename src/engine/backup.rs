//! Version 2: on-demand backups, the archival backup, and RestoreTableFromBackup.
//!
//! A backup keeps a copy of the chain as it was (aws-behaviour.md #35): the wrapped table key(s) its DEKs
//! are under, each with the KMS key that wraps it, and the DEKs themselves; its items are the
//! table's items up to the moment it was taken (a table's items are only ever appended, so
//! the backup holds their count, not a copy). A later key change does not touch it. It is
//! restorable while every KMS key it needs can be used by DynamoDB, blocked while one exists
//! but cannot be used, and lost once one's material is gone (aws-behaviour.md #46, 47). A restore builds a
//! new table under a new table key, unwrapping every DEK with the backup's table key and
//! re-sealing every item under the new table's name, with real AES-GCM.

use serde::Serialize;

use super::crypto;
use super::event::{Caller, EventKind, RequestResult};
use super::ids::{ItemId, KmsKeyId, TableKeyId};
use super::table::{Dek, TableIx, TableKey, TableStatus, dek_aad, item_aad, table_key_aad};
use super::time::SimTime;
use super::vocab::ErrorCode;
use super::{Command, Engine};

pub use super::ids::ARCHIVAL;
/// Most backups a world holds (each keeps a copy of its table's DEKs).
pub const MAX_BACKUPS: usize = 100;
/// Most tables a world holds, declared, replicas and restored.
pub const MAX_TABLES: usize = 128;
/// Most items over every table, and DEKs over every table and backup, of a world.
pub const MAX_ITEMS: usize = 5_000_000;
pub const MAX_DEKS: usize = 2_000_000;

/// A backup: a copy of one table's chain and items at the moment it was taken.
#[derive(Clone, Debug)]
pub struct Backup {
    /// Its name (`archival` for an archival backup).
    pub(in crate::engine) name: String,
    pub(in crate::engine) arn: String,
    /// The table it was taken from (its items are that table's first `items`).
    pub(in crate::engine) source: TableIx,
    pub(in crate::engine) taken_at: SimTime,
    /// True for the backup DynamoDB takes when it archives the table (aws-behaviour.md #45).
    pub(in crate::engine) archival: bool,
    /// The KMS key of the table's table key when it was taken (`SSEDescription`).
    pub(in crate::engine) key: KmsKeyId,
    /// The table keys its DEKs are under, wrapped as they were.
    pub(in crate::engine) table_keys: Vec<TableKey>,
    pub(in crate::engine) deks: Vec<Dek>,
    pub(in crate::engine) items: usize,
    /// The source table's name, id and encryption context, which its ciphertexts are bound to.
    pub(in crate::engine) table_name: String,
    pub(super) table_id: String,
    pub(super) context: Vec<u8>,
    /// Version 3: a backup declared as taken before the start: its kind, and how long before.
    pub(in crate::engine) kind: Option<crate::engine::world::BackupKind>,
    pub(in crate::engine) age: crate::engine::time::SimDuration,
}

impl Backup {
    /// Every KMS key a restore of this backup needs, once each.
    pub fn needs(&self) -> Vec<&KmsKeyId> {
        let mut v: Vec<&KmsKeyId> = Vec::new();
        for tk in &self.table_keys {
            if !v.contains(&&tk.kms_key) {
                v.push(&tk.kms_key);
            }
        }
        v
    }
}

/// Whether a backup can be restored now (`backups = { b1 = "..." }`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BackupState {
    /// Every key it needs is usable by DynamoDB now.
    Restorable,
    /// A key it needs exists but cannot be used now (disabled, pending deletion, pending
    /// import): restorable again once the key is.
    Blocked,
    /// A key it needs was deleted: never restorable (aws-behaviour.md #47).
    Lost,
}

impl BackupState {
    pub const ALL: [BackupState; 3] = [
        BackupState::Restorable,
        BackupState::Blocked,
        BackupState::Lost,
    ];

    pub fn name(self) -> &'static str {
        match self {
            BackupState::Restorable => "restorable",
            BackupState::Blocked => "blocked",
            BackupState::Lost => "lost",
        }
    }
}

impl Engine {
    /// Every backup taken so far (on-demand and archival), oldest first.
    pub fn backups(&self) -> &[Backup] {
        &self.dynamo.backups
    }

    /// The on-demand backup with this name.
    pub fn backup_named(&self, name: &str) -> Option<&Backup> {
        self.dynamo
            .backups
            .iter()
            .find(|b| !b.archival && b.name == name)
    }

    /// Table `tx`'s archival backup, once the table is ARCHIVED (aws-behaviour.md #45).
    pub fn archival_backup_of(&self, tx: TableIx) -> Option<&Backup> {
        if self.dynamo.tables.get(tx.0)?.status != TableStatus::Archived {
            return None;
        }
        self.dynamo
            .backups
            .iter()
            .rev()
            .find(|b| b.archival && b.source == tx)
    }

    /// The table (not a replica) with this name.
    pub fn find_table(&self, name: &str) -> Option<TableIx> {
        self.dynamo
            .tables
            .iter()
            .position(|t| t.replica_of.is_none() && t.name == name)
            .map(TableIx)
    }

    /// Can `b` be restored now? Lost if a key it needs has no material left, blocked if one
    /// cannot be used by DynamoDB now.
    pub fn backup_state(&self, b: &Backup) -> BackupState {
        let mut state = BackupState::Restorable;
        for id in b.needs() {
            let s = match self.key(id) {
                None => BackupState::Lost,
                Some(k) if k.is_deleted() => BackupState::Lost,
                Some(k) => {
                    if k.check_crypto(&Caller::Service, self.assumptions.pending_deletion_error)
                        .is_ok()
                    {
                        BackupState::Restorable
                    } else {
                        BackupState::Blocked
                    }
                }
            };
            state = state.max(s);
        }
        state
    }

    /// When `b` became lost (the deletion of the first key it needs that is gone).
    pub fn backup_lost_at(&self, b: &Backup) -> Option<SimTime> {
        b.needs()
            .into_iter()
            .filter_map(|id| self.key_deleted_at(id))
            .min()
    }

    /// A copy of table `tx`'s chain and item count now.
    pub(super) fn snapshot(&self, tx: TableIx, name: &str, arn: String, archival: bool) -> Backup {
        let t = &self.dynamo.tables[tx.0];
        let mut under: Vec<TableKeyId> = t.deks.iter().map(|d| d.under).collect();
        under.sort_unstable();
        under.dedup();
        Backup {
            name: name.to_string(),
            arn,
            source: tx,
            taken_at: self.now,
            archival,
            key: t.current_kms_key().clone(),
            table_keys: under.iter().map(|&id| t.table_key(id).clone()).collect(),
            deks: t
                .deks
                .iter()
                .map(|d| Dek {
                    staged: None,
                    ..d.clone()
                })
                .collect(),
            items: t.items.len(),
            table_name: t.name.clone(),
            table_id: t.table_id.clone(),
            context: t.context.clone(),
            kind: None,
            age: crate::engine::time::SimDuration::ZERO,
        }
    }

    pub(super) fn world_deks(&self) -> usize {
        self.dynamo
            .tables
            .iter()
            .map(|t| t.deks.len())
            .sum::<usize>()
            + self
                .dynamo
                .backups
                .iter()
                .map(|b| b.deks.len())
                .sum::<usize>()
    }

    pub(super) fn world_items(&self) -> usize {
        self.dynamo.tables.iter().map(|t| t.items.len()).sum()
    }

    /// CreateBackup (aws-behaviour.md #35): a copy of the chain as it is now, named `name`.
    pub(super) fn create_backup(
        &mut self,
        tx: TableIx,
        cmd: &Command,
        name: &str,
    ) -> RequestResult {
        if self.dynamo.tables[tx.0].is_archived_or_archiving() {
            let status = self.dynamo.tables[tx.0].status;
            return self.refuse(
                Some(tx),
                cmd,
                ErrorCode::TableArchived,
                None,
                format!("table is {status}: no operations until it is restored"),
            );
        }
        if name == ARCHIVAL || self.backup_named(name).is_some() {
            return self.refuse(
                Some(tx),
                cmd,
                ErrorCode::Validation,
                None,
                format!("a backup named {name} exists already"),
            );
        }
        if self.dynamo.backups.len() >= MAX_BACKUPS
            || self.world_deks() + self.dynamo.tables[tx.0].deks.len() > MAX_DEKS
        {
            return self.refuse(
                Some(tx),
                cmd,
                ErrorCode::LimitExceeded,
                None,
                format!(
                    "this simulation holds at most {MAX_BACKUPS} backups and {MAX_DEKS} DEKs in all"
                ),
            );
        }
        let t = &self.dynamo.tables[tx.0];
        let arn = format!(
            "arn:aws:dynamodb:{}:{}:table/{}/backup/{}",
            t.region, t.account, t.name, name
        );
        let backup = self.snapshot(tx, name, arn, false);
        self.emit(
            Some(tx),
            EventKind::BackupCreated {
                backup: name.to_string(),
                key: backup.key.clone(),
                items: backup.items as u64,
            },
        );
        self.dynamo.backups.push(backup);
        RequestResult::Ok
    }

    /// Decrypt every item of backup `b` through its own chain with the key material as it is
    /// now (the simulator's check, not a DynamoDB call): the item plaintexts, or why not.
    pub fn audit_backup(&self, b: &Backup) -> Result<Vec<Vec<u8>>, String> {
        let mut old = Vec::new();
        for tk in &b.table_keys {
            let key = self.key(&tk.kms_key).ok_or("key not found")?;
            let plain = key
                .decrypt(&tk.wrapped, &table_key_aad(&b.context, tk.id))
                .map_err(|e| e.message)?;
            old.push((tk.id, crypto::cipher(&plain)));
        }
        let mut ciphers = Vec::with_capacity(b.deks.len());
        for d in &b.deks {
            let (_, c) = old
                .iter()
                .find(|(id, _)| *id == d.under)
                .ok_or("no table key")?;
            let plain = crypto::open_key(
                c,
                &d.wrapped,
                dek_aad(&b.table_id, d.under, d.id).as_bytes(),
            )
            .map_err(|_| "a DEK failed its integrity check")?;
            ciphers.push(crypto::cipher(&plain));
        }
        let mut out = Vec::with_capacity(b.items);
        for i in 0..b.items {
            let stored = &self.dynamo.tables[b.source.0].items[i];
            if stored.is_absent() {
                continue;
            }
            let pt = crypto::open_item(
                &ciphers[stored.dek.0 as usize],
                &stored.sealed,
                item_aad(&b.table_name, ItemId(i as u64), stored.dek).as_bytes(),
            )
            .map_err(|_| "an item failed its integrity check")?;
            out.push(pt);
        }
        Ok(out)
    }
}

/// Read access from outside the engine (the fields stay the engine's).
impl Backup {
    /// Its ARN, as DescribeBackup names it.
    pub fn arn(&self) -> &str {
        &self.arn
    }

    pub fn archival(&self) -> bool {
        self.archival
    }

    pub fn items(&self) -> usize {
        self.items
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn source(&self) -> TableIx {
        self.source
    }

    pub fn table_keys(&self) -> &[TableKey] {
        &self.table_keys
    }

    pub fn key(&self) -> &KmsKeyId {
        &self.key
    }

    pub fn taken_at(&self) -> SimTime {
        self.taken_at
    }
}
