//! Version 2: global-table replicas (aws-behaviour.md #51). Each replica is a table of its own in its
//! region (own table key under an in-region KMS key, own DEKs, own caches, the same items);
//! a write made in one region reaches every other copy still in the replication group and
//! usable now; a copy inaccessible for longer than `replica_removal_after` leaves the group
//! for good (not deleted: its data stays under its own key).

use serde::Serialize;

use super::Engine;
use super::crypto;
use super::event::EventKind;
use super::ids::{DekId, ItemId, TableKeyId};
use super::kms::KmsErrorCode;
use super::table::{Item, ServiceKey, TableIx, TableStatus, dek_aad, item_aad, item_plaintext};

/// `ReplicaStatus` as the format names it (`replicas = { eu-west-1 = "..." }`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplicaStatus {
    Active,
    Inaccessible,
    Removed,
}

impl ReplicaStatus {
    pub const ALL: [ReplicaStatus; 3] = [
        ReplicaStatus::Active,
        ReplicaStatus::Inaccessible,
        ReplicaStatus::Removed,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ReplicaStatus::Active => "active",
            ReplicaStatus::Inaccessible => "inaccessible",
            ReplicaStatus::Removed => "removed",
        }
    }
}

impl Engine {
    /// The primary table of `tx`'s global table (itself when it is not a replica).
    pub fn primary_of(&self, tx: TableIx) -> TableIx {
        self.dynamo.tables[tx.0].replica_of.unwrap_or(tx)
    }

    /// Every copy of `tx`'s global table, the primary first (just `tx` for a plain table).
    pub fn copies_of(&self, tx: TableIx) -> Vec<TableIx> {
        let root = self.primary_of(tx);
        let mut v = vec![root];
        v.extend(
            (0..self.dynamo.tables.len())
                .filter(|&i| self.dynamo.tables[i].replica_of == Some(root))
                .map(TableIx),
        );
        v
    }

    /// The copy of `tx`'s global table in `region`, if there is one.
    pub fn copy_in(&self, tx: TableIx, region: &str) -> Option<TableIx> {
        self.copies_of(tx)
            .into_iter()
            .find(|c| self.dynamo.tables[c.0].region == region)
    }

    /// Is `tx` a copy of a global table that is still in its replication group?
    pub(super) fn in_replication_group(&self, tx: TableIx) -> bool {
        // With at least one other copy still in it: the last copy left is a table on its own.
        self.dynamo.tables[tx.0].removed_at.is_none()
            && self
                .copies_of(tx)
                .iter()
                .any(|&c| c != tx && self.dynamo.tables[c.0].removed_at.is_none())
    }

    /// The other copies a write made in `tx` replicates to now (none once `tx` left the group).
    pub fn replication_targets(&self, tx: TableIx) -> Vec<TableIx> {
        if !self.in_replication_group(tx) {
            return Vec::new();
        }
        self.copies_of(tx)
            .into_iter()
            .filter(|&c| c != tx && self.dynamo.tables[c.0].removed_at.is_none())
            .collect()
    }

    /// `ReplicaStatus` of the copy `tx` (aws-behaviour.md #51).
    pub fn replica_status(&self, tx: TableIx) -> ReplicaStatus {
        let t = &self.dynamo.tables[tx.0];
        if t.removed_at.is_some() {
            ReplicaStatus::Removed
        } else if t.status == TableStatus::Active {
            ReplicaStatus::Active
        } else {
            ReplicaStatus::Inaccessible
        }
    }

    /// The id a new item written in `tx` gets: one past the highest any copy in the group
    /// holds, so copies that missed writes never reuse an id. Holes in `tx` are filled first.
    pub(super) fn next_item_id(&mut self, tx: TableIx) -> ItemId {
        let mut next = self.dynamo.tables[tx.0].items.len();
        for c in self.replication_targets(tx) {
            next = next.max(self.dynamo.tables[c.0].items.len());
        }
        pad_items(self.dynamo.tables[tx.0].items.vec_mut(), next);
        ItemId(next as u64)
    }

    /// A write of `item` made in `from` succeeded: DynamoDB applies it in every other copy
    /// still in the group and usable now. A copy whose key fails becomes inaccessible (its
    /// first failed call) and misses the write, as does one already inaccessible.
    pub(super) fn replicate_write(&mut self, from: TableIx, item: ItemId) {
        for to in self.replication_targets(from) {
            let region = self.dynamo.tables[to.0].region.clone();
            let delivered = self.dynamo.tables[to.0].status == TableStatus::Active
                && self.apply_replicated(to, item);
            if delivered {
                self.emit(Some(to), EventKind::ItemReplicated { region, item });
            } else {
                let status = self.dynamo.tables[to.0].status;
                self.emit(
                    Some(to),
                    EventKind::ReplicationMissed {
                        region,
                        item,
                        status,
                    },
                );
            }
        }
    }

    /// Seal `item` into copy `to` under its own DEK, its table key from DynamoDB's cache or a
    /// Decrypt as DynamoDB. False if the key could not be used.
    fn apply_replicated(&mut self, to: TableIx, item: ItemId) -> bool {
        let tk = self.dynamo.tables[to.0].current;
        let Some(cipher) = self.replication_cipher(to, tk) else {
            return false;
        };
        let n_deks = self.dynamo.tables[to.0].deks.len() as u64;
        let dek_id = DekId((item.0 % n_deks) as u32);
        let dek = &self.dynamo.tables[to.0].deks[dek_id.0 as usize];
        if dek.under != tk {
            // DEKs move to a new table key only when the key switch completes, so every DEK is
            // under the current table key; a mismatch would be an engine fault: missed.
            return false;
        }
        let aad = dek_aad(&self.dynamo.tables[to.0].table_id, dek.under, dek.id);
        let Ok(plain) = crypto::open_key(&cipher, &dek.wrapped, aad.as_bytes()) else {
            return false;
        };
        let dc = crypto::cipher(&plain);
        let sealed = crypto::seal_item(
            &dc,
            &mut self.rng,
            &item_plaintext(item),
            item_aad(&self.dynamo.tables[to.0].name, item, dek_id).as_bytes(),
        );
        let t = &mut self.dynamo.tables[to.0];
        pad_items(t.items.vec_mut(), item.0 as usize);
        t.items.vec_mut().push(Item {
            dek: dek_id,
            sealed,
        });
        t.deks[dek_id.0 as usize].items += 1;
        true
    }

    /// The AES-GCM instance of copy `to`'s table key `tk`: DynamoDB's cached copy while it is
    /// fresh (`cache_refresh`), else a Decrypt as DynamoDB (a failure from the key marks the
    /// copy inaccessible).
    fn replication_cipher(&mut self, to: TableIx, tk: TableKeyId) -> Option<aes_gcm::Aes256Gcm> {
        let fresh = self.dynamo.tables[to.0]
            .replication_key
            .as_ref()
            .filter(|k| {
                k.table_key == tk && self.now < k.fetched_at + self.assumptions.cache_refresh
            });
        if let Some(c) = fresh.and_then(|k| k.cipher.clone()) {
            return Some(c);
        }
        let kms_id = self.dynamo.tables[to.0].table_key(tk).kms_key.clone();
        match self.service_decrypt(to, &kms_id, tk, super::vocab::Purpose::Replication) {
            Ok(bytes) => {
                let cipher = crypto::cipher(&bytes);
                self.dynamo.tables[to.0].replication_key = Some(ServiceKey {
                    table_key: tk,
                    cipher: Some(cipher.clone()),
                    batch: None,
                    fetched_at: self.now,
                });
                Some(cipher)
            }
            Err(e) => {
                self.dynamo.tables[to.0].replication_key = None;
                if e.code.is_key_failure() || e.code == KmsErrorCode::AccessDeniedException {
                    let region = self.dynamo.tables[to.0].region.clone();
                    self.mark_inaccessible(
                        to,
                        format!(
                            "DynamoDB's replicated write in {region} got {} from {kms_id}",
                            e.code
                        ),
                    );
                }
                None
            }
        }
    }

    /// `replica_removal_after` has passed since copy `tx` became inaccessible: DynamoDB tries
    /// the key once more, then drops the copy from the replication group (aws-behaviour.md #51).
    pub(super) fn replica_removal_due(&mut self, tx: TableIx, since: crate::engine::SimTime) {
        let t = &self.dynamo.tables[tx.0];
        if t.removed_at.is_some()
            || t.status == TableStatus::Active
            || t.inaccessible_since != Some(since)
            || !self.in_replication_group(tx)
        {
            return;
        }
        if t.status == TableStatus::InaccessibleEncryptionCredentials
            && self.dynamodb_check(tx, super::vocab::Purpose::RemovalCheck)
        {
            self.restore_active(
                tx,
                "before dropping the replica DynamoDB reached the key again".into(),
            );
            return;
        }
        self.dynamo.tables[tx.0].removed_at = Some(self.now);
        self.dynamo.tables[tx.0].replication_key = None;
        let region = self.dynamo.tables[tx.0].region.clone();
        self.emit(
            Some(tx),
            EventKind::ReplicaRemoved {
                region,
                inaccessible_for: self.assumptions.replica_removal_after,
            },
        );
    }
}

/// Fill `items` with holes up to `len` (writes this copy never received).
fn pad_items(items: &mut Vec<Item>, len: usize) {
    while items.len() < len {
        items.push(Item {
            dek: Item::ABSENT,
            sealed: crypto::SealedItem {
                nonce: [0; 12],
                tag: [0; 16],
                len: 0,
                ct: [0; crypto::ITEM_MAX],
            },
        });
    }
}
