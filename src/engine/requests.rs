//! Requests and the table-key cache: GetItem / PutItem as a principal on a connection, the
//! cache entry per (principal, connection), KMS Decrypt on a miss or refresh (aws-behaviour.md #15-21).

use super::crypto::{self, KeyBytes};
use super::event::{CacheUse, Caller, EventKind, RequestResult};
use super::ids::{ConnectionId, DekId, ItemId, PrincipalId, TableKeyId};
use super::key_rules::KeyOp;
use super::kms::{KmsBlob, KmsError, KmsErrorCode};
use super::kms_call::KmsCallSpec;
use super::table::TableIx;
use super::table::table_key_aad;
use super::table::{HeldKey, Item, LastFetch, dek_aad, item_aad, item_plaintext};
use super::time::SimDuration;
use super::view::NextRequest;
use super::vocab::Purpose;
use super::vocab::{ErrorCode, KmsOp};
use super::{CacheEntry, Command, Engine, Rng, Scheduled};

impl Engine {
    /// Apply a command at the current moment and report what the caller sees. Anything the
    /// command makes due at this same instant (a background check with `detection = 0s`)
    /// happens before this returns.
    pub fn apply(&mut self, cmd: &Command) -> RequestResult {
        self.apply_in(TableIx::FIRST, cmd)
    }

    /// Apply `cmd` to table `tx` (requests and a key change act on a table; key actions on
    /// the key, whichever tables use it).
    pub fn apply_in(&mut self, tx: TableIx, cmd: &Command) -> RequestResult {
        let tx = if tx.0 < self.dynamo.tables.len() {
            tx
        } else {
            TableIx::FIRST
        };
        let result = self.apply_now(tx, cmd);
        self.advance_to(self.now);
        result
    }

    /// A step named a table (or a region of it) that does not exist now: DynamoDB's
    /// `TableNotFoundException` (a restore that failed leaves its `to` unmade).
    pub fn refuse_missing_table(&mut self, cmd: &Command, message: String) -> RequestResult {
        self.refuse(None, cmd, ErrorCode::TableNotFound, None, message)
    }

    pub(super) fn apply_now(&mut self, tx: TableIx, cmd: &Command) -> RequestResult {
        match cmd {
            Command::Read {
                principal,
                connection,
            } => self.request(tx, principal, *connection, false),
            Command::Write {
                principal,
                connection,
            } => self.request(tx, principal, *connection, true),
            Command::ChangeTableKey { key } => self.change_table_key(tx, key),
            Command::DisableKey { key } => self.admin(cmd, key, KeyOp::Disable, None),
            Command::EnableKey { key } => self.admin(cmd, key, KeyOp::Enable, None),
            Command::ScheduleKeyDeletion { key, days } => {
                self.admin(cmd, key, KeyOp::ScheduleDeletion(*days), None)
            }
            Command::CancelKeyDeletion { key } => self.admin(cmd, key, KeyOp::CancelDeletion, None),
            Command::RotateKey { key } => self.admin(cmd, key, KeyOp::Rotate, None),
            Command::Revoke { key, principal } => self.set_permission(cmd, key, principal, false),
            Command::Allow { key, principal } => self.set_permission(cmd, key, principal, true),
            Command::Wait => RequestResult::Ok,
            Command::RevokeGrant => self.set_grant(tx, cmd, false),
            Command::CreateGrant => self.set_grant(tx, cmd, true),
            Command::DeleteImportedMaterial { key } => {
                self.admin(cmd, key, KeyOp::DeleteImportedMaterial, None)
            }
            Command::ImportKeyMaterial {
                key,
                expires,
                new_material,
            } => self.admin(
                cmd,
                key,
                KeyOp::ImportMaterial {
                    new_material: *new_material,
                },
                *expires,
            ),
            Command::Backup { backup } => self.create_backup(tx, cmd, backup),
            Command::Restore { backup, to, key } => self.restore(tx, cmd, backup, to, key.as_ref()),
        }
    }

    /// GetItem / PutItem: find the table key (cache or KMS), unwrap the DEK, decrypt/encrypt.
    pub(super) fn request(
        &mut self,
        tx: TableIx,
        p: &PrincipalId,
        c: ConnectionId,
        write: bool,
    ) -> RequestResult {
        let Some(entry_ix) = self.entry_ix(tx, p, c) else {
            let message = format!("no principal `{p}` with a connection {c}");
            return RequestResult::Error {
                error: ErrorCode::Validation,
                kms_error: None,
                message,
            };
        };
        self.dynamo.tables[tx.0].cache[entry_ix].requests += 1;
        // The rule the panels read (`next_request`) decides what this request does.
        let plan = self.next_request(tx, p, c);
        if matches!(plan, Some(NextRequest::TableArchived)) {
            let result = RequestResult::Error {
                error: ErrorCode::TableArchived,
                kms_error: None,
                message: format!(
                    "Table {} is {}: restore the archival backup to a new table",
                    self.dynamo.tables[tx.0].name, self.dynamo.tables[tx.0].status
                ),
            };
            self.finish_request(
                tx,
                entry_ix,
                write,
                None,
                None,
                CacheUse::None,
                result.clone(),
            );
            return result;
        }
        let tk = self.dynamo.tables[tx.0].current;
        let held = match (
            &plan,
            self.dynamo.tables[tx.0].cache[entry_ix].held.as_ref(),
        ) {
            (Some(NextRequest::FromCache { .. }), Some(h)) => h.bytes.clone(),
            _ => None,
        };
        let (tk_plain, cache_use) = match held {
            Some(bytes) => {
                self.dynamo.tables[tx.0].cache[entry_ix].last_used_at = Some(self.now);
                (bytes, CacheUse::Hit)
            }
            None => match self.fetch_for(tx, entry_ix, tk) {
                Ok(bytes) => (bytes, CacheUse::Fetched),
                Err(e) => {
                    let result = RequestResult::Error {
                        error: ErrorCode::AccessDenied,
                        kms_error: Some(e.code),
                        message: format!("KMS key access denied error: {}", e.message),
                    };
                    self.finish_request(
                        tx,
                        entry_ix,
                        write,
                        None,
                        Some(tk),
                        CacheUse::Fetched,
                        result.clone(),
                    );
                    return result;
                }
            },
        };
        let (target, result) = self.use_item(tx, &tk_plain, write);
        self.finish_request(
            tx,
            entry_ix,
            write,
            target,
            Some(tk),
            cache_use,
            result.clone(),
        );
        result
    }

    /// With the plaintext table key in hand: unwrap the DEK of a random item and decrypt it
    /// (read), or seal a new item under a random DEK (write).
    fn use_item(
        &mut self,
        tx: TableIx,
        tk_plain: &KeyBytes,
        write: bool,
    ) -> (Option<(ItemId, DekId)>, RequestResult) {
        let tk_cipher = crypto::cipher(tk_plain);
        let n_items = self.dynamo.tables[tx.0].items.len() as u64;
        let n_deks = self.dynamo.tables[tx.0].deks.len() as u64;
        let (item, dek_id) = if write {
            (
                self.next_item_id(tx),
                DekId((self.rng.next_u64() % n_deks) as u32),
            )
        } else if n_items == 0 {
            return (None, RequestResult::Ok);
        } else {
            let id = ItemId(self.rng.next_u64() % n_items);
            let stored = &self.dynamo.tables[tx.0].items[id.0 as usize];
            if stored.is_absent() {
                // A write this copy never received: GetItem finds no item.
                return (None, RequestResult::Ok);
            }
            (id, stored.dek)
        };
        let dek = &self.dynamo.tables[tx.0].deks[dek_id.0 as usize];
        let dek_plain = crypto::open_key(
            &tk_cipher,
            &dek.wrapped,
            dek_aad(&self.dynamo.tables[tx.0].table_id, dek.under, dek.id).as_bytes(),
        );
        let outcome = dek_plain.map(|dp| crypto::cipher(&dp)).and_then(|dc| {
            let aad = item_aad(&self.dynamo.tables[tx.0].name, item, dek_id);
            if write {
                let sealed =
                    crypto::seal_item(&dc, &mut self.rng, &item_plaintext(item), aad.as_bytes());
                self.dynamo.tables[tx.0].items.vec_mut().push(Item {
                    dek: dek_id,
                    sealed,
                });
                self.dynamo.tables[tx.0].deks[dek_id.0 as usize].items += 1;
                Ok(())
            } else {
                let pt = crypto::open_item(
                    &dc,
                    &self.dynamo.tables[tx.0].items[item.0 as usize].sealed,
                    aad.as_bytes(),
                )?;
                if pt == item_plaintext(item) {
                    Ok(())
                } else {
                    Err(crypto::OpenError)
                }
            }
        });
        if write && outcome.is_ok() {
            self.replicate_write(tx, item);
        }
        let result = match outcome {
            Ok(()) => RequestResult::Ok,
            Err(_) => RequestResult::Error {
                error: ErrorCode::InternalServerError,
                kms_error: None,
                message: "stored ciphertext failed its integrity check".into(),
            },
        };
        (Some((item, dek_id)), result)
    }

    // One argument per field of the request event it writes.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn finish_request(
        &mut self,
        tx: TableIx,
        entry_ix: usize,
        write: bool,
        target: Option<(ItemId, DekId)>,
        table_key: Option<TableKeyId>,
        cache: CacheUse,
        result: RequestResult,
    ) {
        let e = &mut self.dynamo.tables[tx.0].cache[entry_ix];
        let (principal, connection) = (e.principal.clone(), e.connection);
        if let RequestResult::Error { error, .. } = &result {
            e.failures += 1;
            let m = &mut self.dynamo.tables[tx.0].milestones;
            if !write && m.first_failed_read.is_none() {
                m.first_failed_read = Some((self.now, principal.clone(), *error));
            }
        }
        let (item, dek) = (target.map(|t| t.0), target.map(|t| t.1));
        self.emit(
            Some(tx),
            if write {
                EventKind::ItemWritten {
                    principal,
                    connection,
                    item,
                    dek,
                    table_key,
                    cache,
                    result,
                }
            } else {
                EventKind::ItemRead {
                    principal,
                    connection,
                    item,
                    dek,
                    table_key,
                    cache,
                    result,
                }
            },
        );
    }

    /// KMS Decrypt of the table key as the connection's principal; fills the cache entry.
    pub(super) fn fetch_for(
        &mut self,
        tx: TableIx,
        entry_ix: usize,
        tk: TableKeyId,
    ) -> Result<KeyBytes, KmsError> {
        let principal = self.dynamo.tables[tx.0].cache[entry_ix].principal.clone();
        let connection = self.dynamo.tables[tx.0].cache[entry_ix].connection;
        let blob: KmsBlob = self.dynamo.tables[tx.0].table_key(tk).wrapped.clone();
        let kms_id = blob.key.clone();
        let result = self.fetch_verdict(tx, &principal, tk).and_then(|()| {
            self.key(&kms_id)
                .ok_or_else(|| KmsError {
                    code: KmsErrorCode::NotFoundException,
                    message: format!("{kms_id} not found"),
                })?
                .decrypt(&blob, &table_key_aad(&self.dynamo.tables[tx.0].context, tk))
        });
        self.dynamo.tables[tx.0].cache[entry_ix].kms_calls += 1;
        self.log_kms(
            KmsCallSpec::new(
                KmsOp::Decrypt,
                &kms_id,
                Caller::Principal(principal.clone()),
                Purpose::RequestTableKey,
            )
            .table(tx)
            .version(blob.version)
            .failed(result.as_ref().err().map(|e| e.code)),
        );
        match result {
            Ok(bytes) => {
                let expires_at = self.now + self.assumptions.cache_refresh;
                let e = &mut self.dynamo.tables[tx.0].cache[entry_ix];
                e.generation += 1;
                e.held = Some(HeldKey {
                    table_key: tk,
                    bytes: Some(bytes.clone()),
                    fetched_at: self.now,
                    expires_at,
                });
                e.last_used_at = Some(self.now);
                e.last_fetch = Some(LastFetch::Ok {
                    at: self.now,
                    table_key: tk,
                });
                e.last_table_key = Some(tk);
                let generation = e.generation;
                self.schedule(
                    expires_at,
                    Scheduled::CacheExpiry {
                        table: tx,
                        entry: entry_ix,
                        generation,
                    },
                );
                self.emit(
                    Some(tx),
                    EventKind::CacheFilled {
                        principal,
                        connection,
                        table_key: tk,
                        expires_at,
                    },
                );
                // With its grant revoked the table stays inaccessible until DynamoDB's own
                // check succeeds again (a principal's Decrypt is not DynamoDB's).
                if self.dynamo.tables[tx.0].grant_revoked_on.is_none() {
                    self.restore_active(
                        tx,
                        format!("a KMS Decrypt through {kms_id} succeeded again"),
                    );
                }
                Ok(bytes)
            }
            Err(err) => {
                let e = &mut self.dynamo.tables[tx.0].cache[entry_ix];
                e.last_fetch = Some(LastFetch::Failed {
                    at: self.now,
                    kms_error: err.code,
                });
                if err.code.is_key_failure() {
                    self.mark_inaccessible(
                        tx,
                        format!(
                            "{principal}#{connection}'s KMS Decrypt got {} from {kms_id}",
                            err.code
                        ),
                    );
                }
                Err(err)
            }
        }
    }

    /// The cache entry of principal `p`'s connection `c` on table `tx`.
    pub fn cache_entry(
        &self,
        tx: TableIx,
        p: &PrincipalId,
        c: ConnectionId,
    ) -> Option<&CacheEntry> {
        self.entry_ix(tx, p, c)
            .map(|ix| &self.dynamo.tables[tx.0].cache[ix])
    }

    /// Index of the cache entry of principal `p`'s connection `c` (connections count from 1).
    pub(super) fn entry_ix(&self, tx: TableIx, p: &PrincipalId, c: ConnectionId) -> Option<usize> {
        let &(start, count) = self.dynamo.tables[tx.0].cache_slots.get(p)?;
        (1..=count)
            .contains(&c.0)
            .then(|| start + (c.0 - 1) as usize)
    }

    /// Time left on the current table key cached for (p, c) on table `tx`.
    pub fn cached_time_left(
        &self,
        tx: TableIx,
        p: &PrincipalId,
        c: ConnectionId,
    ) -> Option<SimDuration> {
        let e = &self.dynamo.tables.get(tx.0)?.cache[self.entry_ix(tx, p, c)?];
        let h = e.held.as_ref()?;
        (h.table_key == self.dynamo.tables[tx.0].current).then(|| h.expires_at.since(self.now))
    }

    /// KMS Decrypt calls made as this principal so far (one per cache fill attempt), over
    /// every table.
    pub fn decrypt_calls_by(&self, p: &PrincipalId) -> u32 {
        self.dynamo
            .tables
            .iter()
            .map(|t| {
                t.cache_slots.get(p).map_or(0, |&(start, count)| {
                    t.cache[start..start + count as usize]
                        .iter()
                        .map(|e| e.kms_calls)
                        .sum::<u32>()
                })
            })
            .sum()
    }

    /// Would a request by `p` on connection `c` to table `tx` reach its item right now? (The
    /// rule the property tests check every read against: the same one requests follow.)
    pub fn chain_usable_for(&self, tx: TableIx, p: &PrincipalId, c: ConnectionId) -> bool {
        self.next_request(tx, p, c).is_some_and(|n| n.succeeds())
    }
}
