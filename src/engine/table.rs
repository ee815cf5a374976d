//! The DynamoDB side: the table with its table keys, DEKs and items, the key-change quota,
//! the re-wrap job and the per-connection table-key cache.

use serde::Serialize;

use super::crypto::SealedKey;
use super::ids::{ConnectionId, DekId, KmsKeyId, PrincipalId, TableKeyId};
pub use super::items::{Item, Items};
use super::kms::KmsBlob;
use super::time::SimTime;

pub use super::binding::{AadBuf, ItemText, dek_aad, item_aad, item_plaintext, table_key_aad};
pub use super::cache::{CacheEntry, HeldKey, LastFetch};
pub use super::job::{RewrapJob, ServiceKey, Stall};
pub use super::status::{SseStatus, TableStatus};

/// A table key, stored only wrapped by its KMS key (aws-behaviour.md #6).
#[derive(Clone, Debug)]
pub struct TableKey {
    pub(in crate::engine) id: TableKeyId,
    pub(in crate::engine) kms_key: KmsKeyId,
    pub(in crate::engine) wrapped: KmsBlob,
    pub(in crate::engine) created_at: SimTime,
    /// When the live table stopped needing it (after a key change completed).
    pub(in crate::engine) retired_at: Option<SimTime>,
}

/// A DEK as stored: wrapped under a table key (aws-behaviour.md #9).
#[derive(Clone, Debug)]
pub struct Dek {
    pub(in crate::engine) id: DekId,
    pub(in crate::engine) under: TableKeyId,
    pub(in crate::engine) wrapped: SealedKey,
    /// During a key change: the same DEK already wrapped under the new table key.
    pub(in crate::engine) staged: Option<SealedKey>,
    /// How many items are encrypted under this DEK.
    pub(in crate::engine) items: u32,
}

/// The archival backup taken when the table is archived (aws-behaviour.md #45).
#[derive(Clone, Debug, Serialize)]
pub struct ArchivalBackup {
    pub(in crate::engine) arn: String,
    pub(in crate::engine) key: KmsKeyId,
    pub(in crate::engine) taken_at: SimTime,
}

pub use super::quota::{QUOTA_FREE_CHANGES, QUOTA_SPACING, Quota};

/// The table.
#[derive(Clone, Debug)]
#[allow(clippy::struct_field_names)] // `table_id`, `table_keys`: AWS's words
pub struct Table {
    pub(in crate::engine) name: String,
    pub(in crate::engine) account: String,
    /// Internal id bound into every DEK's AAD.
    pub(in crate::engine) table_id: String,
    pub(in crate::engine) created_at: SimTime,
    pub(in crate::engine) status: TableStatus,
    /// `SSEDescription.InaccessibleEncryptionDateTime` (aws-behaviour.md #42).
    pub(in crate::engine) inaccessible_since: Option<SimTime>,
    pub(in crate::engine) archive_at: Option<SimTime>,
    pub(in crate::engine) archived_at: Option<SimTime>,
    pub(in crate::engine) archival_backup: Option<ArchivalBackup>,
    pub(in crate::engine) sse: SseStatus,
    pub(in crate::engine) table_keys: Vec<TableKey>,
    pub(in crate::engine) current: TableKeyId,
    pub(in crate::engine) deks: Vec<Dek>,
    pub(in crate::engine) items: Items,
    pub(in crate::engine) quota: Quota,
    pub(in crate::engine) job: Option<RewrapJob>,
    /// The table-key cache: one entry per (principal, connection) for this table (aws-behaviour.md #16).
    /// Version 2: DynamoDB's grant for this table on this KMS key was revoked (RevokeGrant);
    /// DynamoDB's own calls with it fail until it is re-created (aws-behaviour.md #40, 41, 73).
    pub(in crate::engine) grant_revoked_on: Option<KmsKeyId>,
    pub(in crate::engine) cache: Vec<CacheEntry>,
    /// Where each principal's connections start in `cache`, and how many it has: finding a
    /// connection's entry is O(log principals), never a scan.
    pub(crate) cache_slots: CacheSlots,
    /// The encryption context of every KMS call for this table (aws-behaviour.md #75), as AAD bytes.
    pub(crate) context: Vec<u8>,
    /// Version 2: the table's region (its KMS key's region).
    pub(in crate::engine) region: String,
    /// Version 2: a global-table replica of this table (in another region), or `None` for a
    /// table of its own (declared, or restored from a backup).
    pub(in crate::engine) replica_of: Option<TableIx>,
    /// Version 2: when DynamoDB dropped this copy from its replication group (aws-behaviour.md #51). It
    /// stays as a standalone table under its own key.
    pub(in crate::engine) removed_at: Option<SimTime>,
    /// Version 2: the backup this table was restored from.
    pub(in crate::engine) restored_from: Option<String>,
    /// Version 2: DynamoDB's copy of this table's key for replicated writes, refreshed like
    /// any cached table key.
    pub(in crate::engine) replication_key: Option<ServiceKey>,
    /// This table's "when exactly" answers (`keys_deleted` stays empty here: the engine
    /// keeps the key deletions for every table).
    pub(in crate::engine) milestones: super::status::Milestones,
}

/// Where each principal's connections start in a table's cache, and how many it has.
pub(crate) type CacheSlots = std::collections::BTreeMap<PrincipalId, (usize, u32)>;

/// Which table of the world something concerns: its index in the engine's tables. Scheduled
/// work names its table, so a world can hold several (the bigger-world issue adds them).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct TableIx(pub usize);

impl TableIx {
    /// The first table a scenario declares (today the only one).
    pub const FIRST: TableIx = TableIx(0);
}

/// Who a new table is: its name, account, internal id, encryption context, region and
/// creation time.
pub(crate) struct TableIdent {
    pub(in crate::engine) name: String,
    pub(in crate::engine) account: String,
    pub(in crate::engine) table_id: String,
    pub(in crate::engine) context: Vec<u8>,
    pub(in crate::engine) region: String,
    pub(in crate::engine) created_at: SimTime,
}

impl Table {
    /// A new ACTIVE table: its first table key, DEKs, items and one cache entry per
    /// connection.
    pub(crate) fn new(
        id: TableIdent,
        first: TableKey,
        deks: Vec<Dek>,
        items: impl Into<Items>,
        (cache, cache_slots): (Vec<CacheEntry>, CacheSlots),
    ) -> Self {
        Self {
            name: id.name,
            account: id.account,
            table_id: id.table_id,
            created_at: id.created_at,
            status: TableStatus::Active,
            inaccessible_since: None,
            archive_at: None,
            archived_at: None,
            archival_backup: None,
            sse: SseStatus::Enabled,
            current: first.id,
            table_keys: vec![first],
            deks,
            items: items.into(),
            quota: Quota::default(),
            job: None,
            grant_revoked_on: None,
            cache,
            cache_slots,
            context: id.context,
            region: id.region,
            replica_of: None,
            removed_at: None,
            restored_from: None,
            replication_key: None,
            milestones: super::status::Milestones::default(),
        }
    }

    /// The name the log and the panels use: `Orders`, or `Orders@eu-west-1` for a replica.
    /// Drop the items and DEKs (see `Engine::release_bulk`).
    pub(in crate::engine) fn release_bulk(&mut self) {
        self.items = Items::default();
        self.deks = Vec::new();
    }

    pub fn label(&self) -> String {
        if self.replica_of.is_some() {
            format!("{}@{}", self.name, self.region)
        } else {
            self.name.clone()
        }
    }

    pub fn table_key(&self, id: TableKeyId) -> &TableKey {
        // Table keys are numbered from 1 and never removed, so T(n) is at index n-1.
        &self.table_keys[(id.0 - 1) as usize]
    }

    pub fn table_key_mut(&mut self, id: TableKeyId) -> &mut TableKey {
        &mut self.table_keys[(id.0 - 1) as usize]
    }

    /// The KMS key that wraps the current table key (`KMSMasterKeyArn`).
    pub fn current_kms_key(&self) -> &KmsKeyId {
        &self.table_key(self.current).kms_key
    }

    /// The encryption context of aws-behaviour.md #75, as AAD bytes.
    pub fn context_bytes(&self) -> Vec<u8> {
        format!(
            "aws:dynamodb:subscriberId={},aws:dynamodb:tableName={}",
            self.account, self.name
        )
        .into_bytes()
    }

    /// Index of the cache entry of principal `p`'s connection `c` (connections count from 1).
    pub fn entry_ix(&self, p: &PrincipalId, c: ConnectionId) -> Option<usize> {
        let &(start, count) = self.cache_slots.get(p)?;
        (1..=count)
            .contains(&c.0)
            .then(|| start + (c.0 - 1) as usize)
    }

    pub fn is_archived_or_archiving(&self) -> bool {
        matches!(self.status, TableStatus::Archiving | TableStatus::Archived)
    }
}

/// Read access from outside the engine (the fields stay the engine's).
impl TableKey {
    /// When the table key was generated.
    pub fn created_at(&self) -> SimTime {
        self.created_at
    }

    pub fn id(&self) -> TableKeyId {
        self.id
    }

    pub fn kms_key(&self) -> &KmsKeyId {
        &self.kms_key
    }

    pub fn retired_at(&self) -> Option<SimTime> {
        self.retired_at
    }

    pub fn wrapped(&self) -> &KmsBlob {
        &self.wrapped
    }

    /// The KMS key material version this table key is wrapped under.
    pub fn material_version(&self) -> u32 {
        self.wrapped.version
    }
}

/// Read access from outside the engine (the fields stay the engine's).
impl Table {
    pub fn archival_backup(&self) -> Option<&ArchivalBackup> {
        self.archival_backup.as_ref()
    }

    pub fn archive_at(&self) -> Option<SimTime> {
        self.archive_at
    }

    pub fn current(&self) -> TableKeyId {
        self.current
    }

    pub fn deks(&self) -> &[Dek] {
        &self.deks
    }

    /// Is DynamoDB's grant on the table's *current* KMS key revoked? (A key change makes a
    /// new grant on the new key: a grant revoked on the old key no longer matters.)
    pub fn grant_revoked(&self) -> bool {
        self.grant_revoked_on.as_ref() == Some(self.current_kms_key())
    }

    pub fn inaccessible_since(&self) -> Option<SimTime> {
        self.inaccessible_since
    }

    /// One of this table's moments, in words: the status it starts in (version 3, at 0s)
    /// reads as how long before the start it began (`2d before the start`).
    pub fn moment_text(&self, at: SimTime) -> String {
        let before = self.milestones.before_start;
        if at == SimTime::ZERO && before.0 > 0 {
            format!("{before} before the start")
        } else {
            at.to_string()
        }
    }

    pub fn items(&self) -> &Items {
        &self.items
    }

    pub fn job(&self) -> Option<&RewrapJob> {
        self.job.as_ref()
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn quota(&self) -> &Quota {
        &self.quota
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    pub fn removed_at(&self) -> Option<SimTime> {
        self.removed_at
    }

    pub fn replica_of(&self) -> Option<TableIx> {
        self.replica_of
    }

    pub fn restored_from(&self) -> Option<&String> {
        self.restored_from.as_ref()
    }

    pub fn sse(&self) -> SseStatus {
        self.sse
    }

    pub fn status(&self) -> TableStatus {
        self.status
    }

    pub fn table_keys(&self) -> &[TableKey] {
        &self.table_keys
    }

    pub fn table_id(&self) -> &str {
        &self.table_id
    }

    pub fn cache(&self) -> &[CacheEntry] {
        &self.cache
    }
}

/// Read access from outside the engine (the fields stay the engine's).
/// Read access from outside the engine (the fields stay the engine's).
impl Dek {
    pub fn items(&self) -> u32 {
        self.items
    }

    pub fn staged(&self) -> Option<&SealedKey> {
        self.staged.as_ref()
    }

    pub fn wrapped(&self) -> &SealedKey {
        &self.wrapped
    }
}

/// Read access from outside the engine (the fields stay the engine's).
impl ArchivalBackup {
    pub fn key(&self) -> &KmsKeyId {
        &self.key
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::ids::ItemId;

    #[test]
    fn aad_binds_every_part_of_the_place() {
        let base = dek_aad("Orders-1", TableKeyId(2), DekId(3));
        assert_eq!(base.as_bytes(), b"Orders-1\0T\x02\0\0\0D\x03\0\0\0");
        for other in [
            dek_aad("Orders-2", TableKeyId(2), DekId(3)),
            dek_aad("Orders-1", TableKeyId(1), DekId(3)),
            dek_aad("Orders-1", TableKeyId(2), DekId(4)),
        ] {
            assert_ne!(base.as_bytes(), other.as_bytes());
        }
        let item = item_aad("Orders", ItemId(42), DekId(1));
        assert_ne!(
            item.as_bytes(),
            item_aad("Orders", ItemId(43), DekId(1)).as_bytes()
        );
        assert_ne!(
            item.as_bytes(),
            item_aad("Orders", ItemId(42), DekId(2)).as_bytes()
        );
    }
}
