//! Version 2: on-demand backups, the archival backup, and RestoreTableFromBackup.
//!
//! A backup keeps a copy of the chain as it was (fact 35): the wrapped table key(s) its DEKs
//! are under, each with the KMS key that wraps it, and the DEKs themselves; its items are the
//! table's items up to the moment it was taken (a table's items are only ever appended, so
//! the backup holds their count, not a copy). A later key change does not touch it. It is
//! restorable while every KMS key it needs can be used by DynamoDB, blocked while one exists
//! but cannot be used, and lost once one's material is gone (facts 46, 47). A restore builds a
//! new table under a new table key, unwrapping every DEK with the backup's table key and
//! re-sealing every item under the new table's name, with real AES-GCM.

use serde::Serialize;

use super::crypto::{self, KeyBytes};
use super::event::{Caller, EventKind, RequestResult};
use super::ids::{ItemId, KmsKeyId, TableKeyId};
use super::kms::KmsErrorCode;
use super::table::{
    Dek, Item, Table, TableIx, TableKey, TableStatus, dek_aad, item_aad, table_key_aad,
};
use super::time::SimTime;
use super::vocab::{ErrorCode, KmsOp};
use super::{Command, Engine};

/// The name a restore uses for a table's archival backup (fact 45).
pub const ARCHIVAL: &str = "archival";
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
    pub name: String,
    pub arn: String,
    /// The table it was taken from (its items are that table's first `items`).
    pub source: TableIx,
    pub taken_at: SimTime,
    /// True for the backup DynamoDB takes when it archives the table (fact 45).
    pub archival: bool,
    /// The KMS key of the table's table key when it was taken (`SSEDescription`).
    pub key: KmsKeyId,
    /// The table keys its DEKs are under, wrapped as they were.
    pub table_keys: Vec<TableKey>,
    pub deks: Vec<Dek>,
    pub items: usize,
    /// The source table's name, id and encryption context, which its ciphertexts are bound to.
    pub table_name: String,
    table_id: String,
    context: Vec<u8>,
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
    /// A key it needs was deleted: never restorable (fact 47).
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
        &self.backups
    }

    /// The on-demand backup with this name.
    pub fn backup_named(&self, name: &str) -> Option<&Backup> {
        self.backups.iter().find(|b| !b.archival && b.name == name)
    }

    /// Table `tx`'s archival backup, once the table is ARCHIVED (fact 45).
    pub fn archival_backup_of(&self, tx: TableIx) -> Option<&Backup> {
        if self.tables.get(tx.0)?.status != TableStatus::Archived {
            return None;
        }
        self.backups
            .iter()
            .rev()
            .find(|b| b.archival && b.source == tx)
    }

    /// The table (not a replica) with this name.
    pub fn find_table(&self, name: &str) -> Option<TableIx> {
        self.tables
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
            .filter_map(|id| {
                self.milestones
                    .keys_deleted
                    .iter()
                    .find(|(k, _)| k == id)
                    .map(|(_, at)| *at)
            })
            .min()
    }

    /// A copy of table `tx`'s chain and item count now.
    pub(super) fn snapshot(&self, tx: TableIx, name: &str, arn: String, archival: bool) -> Backup {
        let t = &self.tables[tx.0];
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
        }
    }

    fn world_deks(&self) -> usize {
        self.tables.iter().map(|t| t.deks.len()).sum::<usize>()
            + self.backups.iter().map(|b| b.deks.len()).sum::<usize>()
    }

    fn world_items(&self) -> usize {
        self.tables.iter().map(|t| t.items.len()).sum()
    }

    /// CreateBackup (fact 35): a copy of the chain as it is now, named `name`.
    pub(super) fn create_backup(
        &mut self,
        tx: TableIx,
        cmd: &Command,
        name: &str,
    ) -> RequestResult {
        if self.tables[tx.0].is_archived_or_archiving() {
            let status = self.tables[tx.0].status;
            return self.refuse(
                cmd,
                ErrorCode::TableArchived,
                None,
                format!("table is {status}: no operations until it is restored"),
            );
        }
        if name == ARCHIVAL || self.backup_named(name).is_some() {
            return self.refuse(
                cmd,
                ErrorCode::Validation,
                None,
                format!("a backup named {name} exists already"),
            );
        }
        if self.backups.len() >= MAX_BACKUPS
            || self.world_deks() + self.tables[tx.0].deks.len() > MAX_DEKS
        {
            return self.refuse(
                cmd,
                ErrorCode::LimitExceeded,
                None,
                format!(
                    "this simulation holds at most {MAX_BACKUPS} backups and {MAX_DEKS} DEKs in all"
                ),
            );
        }
        let t = &self.tables[tx.0];
        let arn = format!(
            "arn:aws:dynamodb:{}:{}:table/{}/backup/{}",
            t.region, t.account, t.name, name
        );
        let backup = self.snapshot(tx, name, arn, false);
        self.emit(EventKind::BackupCreated {
            backup: name.to_string(),
            key: backup.key.clone(),
            items: backup.items as u64,
        });
        self.backups.push(backup);
        RequestResult::Ok
    }

    /// RestoreTableFromBackup (facts 46, 47, 49): the backup's keys must be usable by
    /// DynamoDB; the new table `to` gets a new table key under `key` (default: the backup's
    /// KMS key), every DEK re-wrapped under it and every item re-sealed under its name.
    pub(super) fn restore(
        &mut self,
        tx: TableIx,
        cmd: &Command,
        name: &str,
        to: &str,
        key: Option<&KmsKeyId>,
    ) -> RequestResult {
        let found = if name == ARCHIVAL {
            self.archival_backup_of(tx).cloned()
        } else {
            self.backup_named(name).cloned()
        };
        let Some(b) = found else {
            let message = if name == ARCHIVAL {
                format!(
                    "table {} has no archival backup: it is {}, not ARCHIVED",
                    self.tables[tx.0].name, self.tables[tx.0].status
                )
            } else {
                format!("no backup named {name}")
            };
            return self.refuse(cmd, ErrorCode::BackupNotFound, None, message);
        };
        if self.find_table(to).is_some() {
            return self.refuse(
                cmd,
                ErrorCode::TableAlreadyExists,
                None,
                format!("table {to} exists already: restore to a new name"),
            );
        }
        if self.tables.len() >= MAX_TABLES
            || self.world_items() + b.items > MAX_ITEMS
            || self.world_deks() + b.deks.len() > MAX_DEKS
        {
            return self.refuse(
                cmd,
                ErrorCode::LimitExceeded,
                None,
                format!(
                    "this simulation holds at most {MAX_TABLES} tables, {MAX_ITEMS} items and {MAX_DEKS} DEKs in all"
                ),
            );
        }
        let target = key.cloned().unwrap_or_else(|| b.key.clone());
        let region = self.tables[b.source.0].region.clone();
        match self.key(&target) {
            None => {
                return self.refuse(
                    cmd,
                    ErrorCode::Validation,
                    None,
                    format!("KMS key {target} does not exist"),
                );
            }
            Some(k) if !target.is_aws_owned() && k.region != region => {
                return self.refuse(
                    cmd,
                    ErrorCode::Validation,
                    None,
                    format!(
                        "KMS key {target} is in {}; the backup is in {region}",
                        k.region
                    ),
                );
            }
            Some(_) => {}
        }
        // DynamoDB decrypts the backup's table key(s) as itself (facts 46, 49).
        let mut plains: Vec<(TableKeyId, KeyBytes)> = Vec::with_capacity(b.table_keys.len());
        for tk in &b.table_keys {
            match self.backup_decrypt(&b, tk) {
                Ok(p) => plains.push((tk.id, p)),
                Err((code, message)) => {
                    return self.refuse(
                        cmd,
                        ErrorCode::AccessDenied,
                        Some(code),
                        format!("KMS key access denied error: {message}"),
                    );
                }
            }
        }
        self.build_restored(cmd, &b, &plains, to, &target, &region)
    }

    /// Decrypt one of the backup's table keys as DynamoDB, logged like any of its calls.
    fn backup_decrypt(
        &mut self,
        b: &Backup,
        tk: &TableKey,
    ) -> Result<KeyBytes, (KmsErrorCode, String)> {
        let Some(ix) = self.key_ix(&tk.kms_key) else {
            return Err((
                KmsErrorCode::NotFoundException,
                format!("{} not found", tk.kms_key),
            ));
        };
        let result = self.keys[ix]
            .check_crypto(&Caller::Service, self.assumptions.pending_deletion_error)
            .and_then(|()| self.keys[ix].decrypt(&tk.wrapped, &table_key_aad(&b.context, tk.id)));
        self.kms_call(
            Some(b.source),
            KmsOp::Decrypt,
            &tk.kms_key,
            Caller::Service,
            Some(tk.wrapped.version),
            result.as_ref().err().map(|e| e.code),
            "restore from a backup",
        );
        result.map_err(|e| (e.code, e.message))
    }

    /// The restored table: T1 from GenerateDataKey under `target`, the backup's DEKs re-wrapped
    /// under it and its items re-sealed under the new table's name.
    fn build_restored(
        &mut self,
        cmd: &Command,
        b: &Backup,
        plains: &[(TableKeyId, KeyBytes)],
        to: &str,
        target: &KmsKeyId,
        region: &str,
    ) -> RequestResult {
        let account = self.tables[b.source.0].account.clone();
        let context =
            format!("aws:dynamodb:subscriberId={account},aws:dynamodb:tableName={to}").into_bytes();
        let t1 = TableKeyId(1);
        let Some(kix) = self.key_ix(target) else {
            return RequestResult::Ok;
        };
        let generated = self.keys[kix]
            .check_crypto(&Caller::Service, self.assumptions.pending_deletion_error)
            .and_then(|()| {
                self.keys[kix].generate_data_key(&mut self.rng, &table_key_aad(&context, t1))
            });
        let version = self.keys[kix].current_version();
        let new_tx = TableIx(self.tables.len());
        let (new_plain, blob) = match generated {
            Ok(g) => g,
            Err(e) => {
                self.kms_call(
                    Some(b.source),
                    KmsOp::GenerateDataKey,
                    target,
                    Caller::Service,
                    Some(version),
                    Some(e.code),
                    "table key of the restored table",
                );
                return self.refuse(
                    cmd,
                    ErrorCode::AccessDenied,
                    Some(e.code),
                    format!("KMS key access denied error: {}", e.message),
                );
            }
        };
        let table_id = format!("{to}-{:08x}", rand::Rng::next_u32(&mut self.rng));
        let Some((deks, items)) = self.reseal(b, plains, &new_plain, &table_id, to) else {
            return self.broken(cmd);
        };
        drop(new_plain);
        let mut table = Table::new(
            super::table::TableIdent {
                name: to.to_string(),
                account,
                table_id,
                context,
                region: region.to_string(),
                created_at: self.now,
            },
            TableKey {
                id: t1,
                kms_key: target.clone(),
                wrapped: blob,
                created_at: self.now,
                retired_at: None,
            },
            deks,
            items,
            Self::build_cache(&self.principals),
        );
        table.restored_from = Some(b.name.clone());
        self.tables.push(table);
        self.announce_restored(new_tx, b, to, target, version);
        RequestResult::Ok
    }

    /// The restored table's KMS calls (its grant, its new table key) and the restore event.
    fn announce_restored(
        &mut self,
        new_tx: TableIx,
        b: &Backup,
        to: &str,
        target: &KmsKeyId,
        version: u32,
    ) {
        let acting = self.acting;
        self.acting = Some(new_tx);
        self.kms_call(
            Some(new_tx),
            KmsOp::CreateGrant,
            target,
            Caller::Admin,
            None,
            None,
            "grant for the restored table",
        );
        self.kms_call(
            Some(new_tx),
            KmsOp::GenerateDataKey,
            target,
            Caller::Service,
            Some(version),
            None,
            "table key of the restored table",
        );
        self.emit(EventKind::TableRestored {
            backup: b.name.clone(),
            from_table: b.table_name.clone(),
            to: to.to_string(),
            key: target.clone(),
            items: b.items as u64,
        });
        self.acting = acting;
    }

    /// The backup's DEKs re-wrapped under the restored table's new table key, and its items
    /// re-sealed under the new table's name (the item AAD binds it); `None` if a ciphertext
    /// fails its integrity check.
    fn reseal(
        &mut self,
        b: &Backup,
        plains: &[(TableKeyId, KeyBytes)],
        new_plain: &KeyBytes,
        table_id: &str,
        to: &str,
    ) -> Option<(Vec<Dek>, Vec<Item>)> {
        let t1 = TableKeyId(1);
        let new_cipher = crypto::cipher(new_plain);
        let old: Vec<(TableKeyId, aes_gcm::Aes256Gcm)> = plains
            .iter()
            .map(|(id, p)| (*id, crypto::cipher(p)))
            .collect();
        let mut deks = Vec::with_capacity(b.deks.len());
        let mut dek_ciphers = Vec::with_capacity(b.deks.len());
        for d in &b.deks {
            let (_, c) = old.iter().find(|(id, _)| *id == d.under)?;
            let plain = crypto::open_key(
                c,
                &d.wrapped,
                dek_aad(&b.table_id, d.under, d.id).as_bytes(),
            )
            .ok()?;
            let wrapped = crypto::seal_key(
                &new_cipher,
                &mut self.rng,
                &plain,
                dek_aad(table_id, t1, d.id).as_bytes(),
            );
            dek_ciphers.push(crypto::cipher(&plain));
            deks.push(Dek {
                id: d.id,
                under: t1,
                wrapped,
                staged: None,
                items: d.items,
            });
        }
        let mut items = Vec::with_capacity(b.items);
        for i in 0..b.items {
            let stored = &self.tables[b.source.0].items[i];
            if stored.is_absent() {
                items.push(stored.clone());
                continue;
            }
            let id = ItemId(i as u64);
            let dek = stored.dek;
            let dc = &dek_ciphers[dek.0 as usize];
            let pt = crypto::open_item(
                dc,
                &stored.sealed,
                item_aad(&b.table_name, id, dek).as_bytes(),
            )
            .ok()?;
            let sealed =
                crypto::seal_item(dc, &mut self.rng, &pt, item_aad(to, id, dek).as_bytes());
            items.push(Item { dek, sealed });
        }
        Some((deks, items))
    }

    /// A stored ciphertext failed its integrity check during a restore (never in a healthy
    /// world: only a tampered backup gets here).
    fn broken(&mut self, cmd: &Command) -> RequestResult {
        self.refuse(
            cmd,
            ErrorCode::InternalServerError,
            None,
            "a ciphertext in the backup failed its integrity check".into(),
        )
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
            let stored = &self.tables[b.source.0].items[i];
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
