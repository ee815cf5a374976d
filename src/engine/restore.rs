//! Version 2: RestoreTableFromBackup (aws-behaviour.md #46, 47, 49): DynamoDB decrypts the backup's table
//! key(s) as itself, generates a new table key under the target KMS key, re-wraps every DEK
//! under it and re-seals every item under the new table's name, with real AES-GCM.

use super::backup::{ARCHIVAL, Backup, MAX_DEKS, MAX_ITEMS, MAX_TABLES};
use super::crypto::{self, KeyBytes};
use super::event::{Caller, EventKind, RequestResult};
use super::ids::{ItemId, KmsKeyId, TableKeyId};
use super::kms::KmsErrorCode;
use super::kms_call::KmsCallSpec;
use super::table::{Dek, Item, Table, TableIx, TableKey, dek_aad, item_aad, table_key_aad};
use super::vocab::Purpose;
use super::vocab::{ErrorCode, KmsOp};
use super::{Command, Engine};

/// Up to this many DEKs, a restore keeps a cipher object per DEK while it re-seals the items
/// (about 1 KB each: 4 MB at most); above, it sets one up per item from the DEK's 32 bytes.
const RESTORE_CIPHERS_KEPT: usize = 4_096;

impl Engine {
    /// RestoreTableFromBackup (aws-behaviour.md #46, 47, 49): the backup's keys must be usable by
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
        // A restore of the table's archival backup acts on the table; one of a named backup
        // does not (the backup names its own table).
        let named = cmd.acts_on_table().then_some(tx);
        let found = if name == ARCHIVAL {
            self.archival_backup_of(tx).cloned()
        } else {
            self.backup_named(name).cloned()
        };
        let Some(b) = found else {
            let message = if name == ARCHIVAL {
                format!(
                    "table {} has no archival backup: it is {}, not ARCHIVED",
                    self.dynamo.tables[tx.0].name, self.dynamo.tables[tx.0].status
                )
            } else {
                format!("no backup named {name}")
            };
            return self.refuse(named, cmd, ErrorCode::BackupNotFound, None, message);
        };
        if self.find_table(to).is_some() {
            return self.refuse(
                named,
                cmd,
                ErrorCode::TableAlreadyExists,
                None,
                format!("table {to} exists already: restore to a new name"),
            );
        }
        if self.dynamo.tables.len() >= MAX_TABLES
            || self.world_items() + b.items > MAX_ITEMS
            || self.world_deks() + b.deks.len() > MAX_DEKS
        {
            return self.refuse(
                named,
                cmd,
                ErrorCode::LimitExceeded,
                None,
                format!(
                    "this simulation holds at most {MAX_TABLES} tables, {MAX_ITEMS} items and {MAX_DEKS} DEKs in all"
                ),
            );
        }
        let target = key.cloned().unwrap_or_else(|| b.key.clone());
        let region = self.dynamo.tables[b.source.0].region.clone();
        match self.key(&target) {
            None => {
                return self.refuse(
                    named,
                    cmd,
                    ErrorCode::Validation,
                    None,
                    format!("KMS key {target} does not exist"),
                );
            }
            Some(k) if !target.is_aws_owned() && k.region != region => {
                return self.refuse(
                    named,
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
        // DynamoDB decrypts the backup's table key(s) as itself (aws-behaviour.md #46, 49).
        let mut plains: Vec<(TableKeyId, KeyBytes)> = Vec::with_capacity(b.table_keys.len());
        // DynamoDB's calls for the restore carry the backup's table (its encryption context):
        // the log names that table.
        for tk in &b.table_keys {
            match self.backup_decrypt(&b, tk) {
                Ok(p) => plains.push((tk.id, p)),
                Err((code, message)) => {
                    return self.refuse(
                        named,
                        cmd,
                        ErrorCode::AccessDenied,
                        Some(code),
                        format!("KMS key access denied error: {message}"),
                    );
                }
            }
        }
        self.build_restored(named, cmd, &b, &plains, to, &target, &region)
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
        let result = self.kms.keys[ix]
            .check_crypto(&Caller::Service, self.assumptions.pending_deletion_error)
            .and_then(|()| {
                self.kms.keys[ix].decrypt(&tk.wrapped, &table_key_aad(&b.context, tk.id))
            });
        self.log_kms(
            KmsCallSpec::new(
                KmsOp::Decrypt,
                &tk.kms_key,
                Caller::Service,
                Purpose::RestoreFromBackup,
            )
            .table(b.source)
            .version(tk.wrapped.version)
            .failed(result.as_ref().err().map(|e| e.code)),
        );
        result.map_err(|e| (e.code, e.message))
    }

    /// The restored table: T1 from GenerateDataKey under `target`, the backup's DEKs re-wrapped
    /// under it and its items re-sealed under the new table's name.
    #[allow(clippy::too_many_arguments)] // the restore's inputs, each used once
    fn build_restored(
        &mut self,
        named: Option<TableIx>,
        cmd: &Command,
        b: &Backup,
        plains: &[(TableKeyId, KeyBytes)],
        to: &str,
        target: &KmsKeyId,
        region: &str,
    ) -> RequestResult {
        let account = self.dynamo.tables[b.source.0].account.clone();
        let context =
            format!("aws:dynamodb:subscriberId={account},aws:dynamodb:tableName={to}").into_bytes();
        let t1 = TableKeyId(1);
        let Some(kix) = self.key_ix(target) else {
            return self.refuse(
                named,
                cmd,
                ErrorCode::Validation,
                None,
                format!("KMS key {target} does not exist"),
            );
        };
        let generated = self.kms.keys[kix]
            .check_crypto(&Caller::Service, self.assumptions.pending_deletion_error)
            .and_then(|()| {
                self.kms.keys[kix].generate_data_key(&mut self.rng, &table_key_aad(&context, t1))
            });
        let version = self.kms.keys[kix].current_version();
        let new_tx = TableIx(self.dynamo.tables.len());
        let (new_plain, blob) = match generated {
            Ok(g) => g,
            Err(e) => {
                self.log_kms(
                    KmsCallSpec::new(
                        KmsOp::GenerateDataKey,
                        target,
                        Caller::Service,
                        Purpose::RestoredTableKey,
                    )
                    .table(b.source)
                    .version(version)
                    .failed(e.code),
                );
                return self.refuse(
                    named,
                    cmd,
                    ErrorCode::AccessDenied,
                    Some(e.code),
                    format!("KMS key access denied error: {}", e.message),
                );
            }
        };
        let table_id = format!("{to}-{:08x}", rand::Rng::next_u32(&mut self.rng));
        let Some((deks, items)) = self.reseal(b, plains, &new_plain, &table_id, to) else {
            return self.broken(named, cmd);
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
            Self::build_cache(&self.kms.principals),
        );
        table.restored_from = Some(b.name.clone());
        self.dynamo.tables.push(table);
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
        self.log_kms(
            KmsCallSpec::new(
                KmsOp::CreateGrant,
                target,
                Caller::Admin,
                Purpose::RestoredTableGrant,
            )
            .table(new_tx),
        );
        self.log_kms(
            KmsCallSpec::new(
                KmsOp::GenerateDataKey,
                target,
                Caller::Service,
                Purpose::RestoredTableKey,
            )
            .table(new_tx)
            .version(version),
        );
        self.emit(
            Some(new_tx),
            EventKind::TableRestored {
                backup: b.name.clone(),
                from_table: b.table_name.clone(),
                to: to.to_string(),
                key: target.clone(),
                items: b.items as u64,
            },
        );
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
        // The DEKs' plaintext, flat and wiped when dropped (32 bytes each). A cipher object per
        // DEK (~1 KB) is kept only for small tables; above that, each item's cipher is set up
        // from its DEK's bytes when it is needed (a 1M-DEK restore held ~1 GB of them).
        let mut dek_keys = zeroize::Zeroizing::new(Vec::with_capacity(b.deks.len()));
        let keep_ciphers = b.deks.len() <= RESTORE_CIPHERS_KEPT;
        let mut dek_ciphers = Vec::new();
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
            if keep_ciphers {
                dek_ciphers.push(crypto::cipher(&plain));
            }
            dek_keys.push(*plain);
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
            let stored = &self.dynamo.tables[b.source.0].items[i];
            if stored.is_absent() {
                items.push(stored.clone());
                continue;
            }
            let id = ItemId(i as u64);
            let dek = stored.dek;
            let made;
            let dc = if keep_ciphers {
                &dek_ciphers[dek.0 as usize]
            } else {
                made = crypto::cipher(dek_keys.get(dek.0 as usize)?);
                &made
            };
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
    fn broken(&mut self, named: Option<TableIx>, cmd: &Command) -> RequestResult {
        self.refuse(
            named,
            cmd,
            ErrorCode::InternalServerError,
            None,
            "a ciphertext in the backup failed its integrity check".into(),
        )
    }
}
