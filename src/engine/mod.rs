//! The simulator: KMS keys, one DynamoDB table, per-connection table-key caches, the re-wrap
//! job, all driven by a logical, discrete-event clock.
//!
//! The engine never reads the wall clock, never does I/O and draws all randomness from one
//! seeded RNG, so the same world, seed and commands give a byte-identical event log. Advancing
//! 30 days jumps from scheduled event to scheduled event, so it is instant.

pub mod crypto;
pub mod event;
pub mod ids;
pub mod kms;
pub mod log;
pub mod rng;
pub mod table;
pub mod time;

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap};

use rand::Rng;
use rng::SimRng;
use serde::Serialize;

use crypto::KeyBytes;
use event::{
    CacheUse, Caller, DYNAMODB_SERVICE, EncryptionContext, Event, EventKind, KmsCall, RequestResult,
};
use ids::{AWS_OWNED, ConnectionId, DekId, ItemId, KmsKeyId, PrincipalId, TableKeyId};
use kms::{KeyKind, KeyState, KmsBlob, KmsError, KmsErrorCode, KmsKey, PendingDeletionError};
use table::{
    ArchivalBackup, CacheEntry, Dek, HeldKey, Item, LastFetch, Quota, RewrapJob, ServiceKey,
    SseStatus, Stall, Table, TableKey, TableStatus, dek_aad, item_aad, item_plaintext,
};
use time::{SimDuration, SimTime};

/// Purpose of DynamoDB's background check: the simulator's stand-in for how DynamoDB notices
/// a key change (its own calls are not documented as CloudTrail events).
const BACKGROUND_CHECK: &str = "background check";
/// Purpose of the last try at the archive deadline (facts 42, 44).
const ARCHIVE_CHECK: &str = "archive deadline check";
/// Re-wraps of more DEKs than this log ranges of DEKs instead of one line per DEK.
pub const RANGE_LOG_ABOVE: u32 = 4_096;
/// DEKs per range line in a large re-wrap.
pub const RANGE_LOG_SIZE: u32 = 1_024;

/// Modelling choices, each with a default; undocumented ones are shown as assumptions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Assumptions {
    /// A cached plaintext table key is re-fetched from KMS after this long (documented: 5 min).
    pub cache_refresh: SimDuration,
    /// Longest time DynamoDB takes to notice an unusable key with no traffic (undocumented).
    pub detection: SimDuration,
    /// Inaccessible this long, the table starts ARCHIVING (documented: 7 days).
    pub archive_after: SimDuration,
    /// How long ARCHIVING lasts (undocumented).
    pub archive_duration: SimDuration,
    /// Simulated time to re-wrap one DEK (undocumented).
    pub rewrap_per_dek: SimDuration,
    /// KMS may delete up to 24 h after the scheduled date (documented range).
    pub deletion_delay: SimDuration,
    /// What PendingDeletion answers (the docs list both).
    pub pending_deletion_error: PendingDeletionError,
    /// On-demand rotations per key (the API reference says 10, a guide page 25).
    pub on_demand_rotation_limit: u32,
    /// How long a key-state or permission change takes to reach DynamoDB's KMS calls
    /// (undocumented: fact 24 says seconds, sometimes minutes).
    pub propagation: SimDuration,
}

impl Assumptions {
    /// The duration assumptions as (name, value, documented by AWS?), in display order.
    pub fn durations(&self) -> [(&'static str, SimDuration, bool); 7] {
        [
            ("cache_refresh", self.cache_refresh, true),
            ("detection", self.detection, false),
            ("archive_after", self.archive_after, true),
            ("archive_duration", self.archive_duration, false),
            ("rewrap_per_dek", self.rewrap_per_dek, false),
            ("deletion_delay", self.deletion_delay, true),
            ("propagation", self.propagation, false),
        ]
    }

    /// The name the format uses for `pending_deletion_error`'s value.
    pub fn pending_deletion_error_name(&self) -> &'static str {
        match self.pending_deletion_error {
            PendingDeletionError::DisabledException => "DisabledException",
            PendingDeletionError::KmsInvalidStateException => "KMSInvalidStateException",
        }
    }
}

impl Default for Assumptions {
    fn default() -> Self {
        Self {
            cache_refresh: SimDuration::from_mins(5),
            detection: SimDuration::from_mins(10),
            archive_after: SimDuration::from_days(7),
            archive_duration: SimDuration::from_hours(1),
            rewrap_per_dek: SimDuration::from_secs(2),
            deletion_delay: SimDuration::ZERO,
            pending_deletion_error: PendingDeletionError::KmsInvalidStateException,
            on_demand_rotation_limit: 10,
            propagation: SimDuration::ZERO,
        }
    }
}

/// A KMS key to create at the start.
#[derive(Clone, Debug)]
pub struct KeySpec {
    pub id: KmsKeyId,
    pub kind: KeyKind,
    pub enabled: bool,
    pub rotation_days: Option<u32>,
    /// Principals allowed kms:Decrypt through DynamoDB; `None` = all.
    pub allow: Option<Vec<PrincipalId>>,
}

/// A principal and how many connections it keeps open.
#[derive(Clone, Debug)]
pub struct PrincipalSpec {
    pub id: PrincipalId,
    pub connections: u32,
}

/// The table to create at the start.
#[derive(Clone, Debug)]
pub struct TableSpec {
    pub name: String,
    pub key: KmsKeyId,
    pub deks: u32,
    pub items: u64,
}

/// Everything needed to build the starting world.
#[derive(Clone, Debug)]
pub struct WorldSpec {
    pub seed: u64,
    pub assumptions: Assumptions,
    pub keys: Vec<KeySpec>,
    pub table: TableSpec,
    pub principals: Vec<PrincipalSpec>,
}

/// What the engine can be told to do at the current moment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "do")]
pub enum Command {
    Read {
        principal: PrincipalId,
        connection: ConnectionId,
    },
    Write {
        principal: PrincipalId,
        connection: ConnectionId,
    },
    ChangeTableKey {
        key: KmsKeyId,
    },
    DisableKey {
        key: KmsKeyId,
    },
    EnableKey {
        key: KmsKeyId,
    },
    ScheduleKeyDeletion {
        key: KmsKeyId,
        days: u32,
    },
    CancelKeyDeletion {
        key: KmsKeyId,
    },
    RotateKey {
        key: KmsKeyId,
    },
    Revoke {
        key: KmsKeyId,
        principal: PrincipalId,
    },
    Allow {
        key: KmsKeyId,
        principal: PrincipalId,
    },
    Wait,
}

impl Command {
    /// A read (GetItem) or write (PutItem) as `principal` on `connection`.
    pub fn request(principal: PrincipalId, connection: ConnectionId, write: bool) -> Self {
        if write {
            Command::Write {
                principal,
                connection,
            }
        } else {
            Command::Read {
                principal,
                connection,
            }
        }
    }

    /// One line for logs and the TUI: `read as app (conn 1)`.
    pub fn describe(&self) -> String {
        match self {
            Command::Read {
                principal,
                connection,
            } => format!("read as {principal} (conn {connection})"),
            Command::Write {
                principal,
                connection,
            } => format!("write as {principal} (conn {connection})"),
            Command::ChangeTableKey { key } => format!("change table key to {key}"),
            Command::DisableKey { key } => format!("disable {key}"),
            Command::EnableKey { key } => format!("enable {key}"),
            Command::ScheduleKeyDeletion { key, days } => {
                format!("schedule deletion of {key} in {days} days")
            }
            Command::CancelKeyDeletion { key } => format!("cancel deletion of {key}"),
            Command::RotateKey { key } => format!("rotate {key} (on demand)"),
            Command::Revoke { key, principal } => format!("revoke {principal} on {key}"),
            Command::Allow { key, principal } => format!("allow {principal} on {key}"),
            Command::Wait => "wait".into(),
        }
    }
}

/// Things the engine schedules for later.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Scheduled {
    CacheExpiry {
        entry: usize,
        generation: u64,
    },
    ServiceKeyExpiry {
        table_key: TableKeyId,
        fetched_at: SimTime,
    },
    RewrapStep,
    DetectionCheck,
    ArchiveStart {
        since: SimTime,
    },
    ArchiveComplete,
    KeyDeletion {
        key: usize,
    },
    Rotation {
        key: usize,
        due: SimTime,
    },
    /// A key-state or permission change reaches every KMS endpoint (assumption `propagation`).
    Propagated {
        key: usize,
        change: u64,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct QueueEntry {
    at: SimTime,
    seq: u64,
    what: Scheduled,
}

/// The "when exactly" answers, recorded as they happen.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Milestones {
    pub first_failed_read: Option<(SimTime, PrincipalId, String)>,
    pub inaccessible_since: Option<SimTime>,
    pub archiving_at: Option<SimTime>,
    pub archived_at: Option<SimTime>,
    pub keys_deleted: Vec<(KmsKeyId, SimTime)>,
    pub unrecoverable_from: Option<SimTime>,
}

/// Where a deliberate corruption goes, for tests and the chain check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tamper {
    /// Flip one bit of byte `n` (mod 60) of the wrapped table key.
    TableKeyBlob(usize),
    /// Present another encryption context to KMS.
    TableKeyContext,
    /// Flip one bit of byte `n` (mod 60) of the wrapped DEK.
    DekBlob(usize),
    /// Present another DEK id in the DEK's AAD.
    DekAad,
    /// Flip one bit of byte `n` of the item's nonce, ciphertext or tag.
    ItemBlob(usize),
    /// Present another item key in the item's AAD.
    ItemAad,
}

/// Why an item could not be decrypted through the chain.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AuditError {
    #[error("no such item")]
    NoSuchItem,
    #[error("table key {0}: {1}")]
    TableKey(TableKeyId, String),
    #[error("{0}: AES-GCM tag check failed")]
    Dek(DekId),
    #[error("{0}: AES-GCM tag check failed")]
    Item(ItemId),
    #[error("{0} decrypted to unexpected plaintext")]
    WrongPlaintext(ItemId),
}

/// A problem with the world description itself.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    #[error("table key `{0}` is not a declared KMS key")]
    UnknownTableKey(KmsKeyId),
    #[error("the table needs at least one DEK")]
    NoDeks,
    #[error("table key `{0}` is {1}: a table cannot be created under it")]
    TableKeyUnusable(KmsKeyId, &'static str),
}

/// The simulated world.
#[derive(Clone, Debug)]
pub struct Engine {
    now: SimTime,
    rng: SimRng,
    assumptions: Assumptions,
    keys: Vec<KmsKey>,
    principals: Vec<PrincipalSpec>,
    table: Table,
    cache: Vec<CacheEntry>,
    /// Where each principal's connections start in `cache`, and how many it has: finding a
    /// connection's entry is O(log principals), never a scan.
    cache_slots: std::collections::BTreeMap<PrincipalId, (usize, u32)>,
    queue: BinaryHeap<Reverse<QueueEntry>>,
    seq: u64,
    log: log::Chunked<Event>,
    milestones: Milestones,
    context: Vec<u8>,
    /// Key changes made so far (numbers the changes that spread with `propagation`).
    key_changes: u64,
}

/// Which service-held key of the re-wrap job.
#[derive(Clone, Copy, PartialEq, Eq)]
enum JobKey {
    Old,
    New,
}

impl Engine {
    /// Build the starting world at time zero: keys, the table with T1, its DEKs and items.
    pub fn new(spec: &WorldSpec) -> Result<Self, EngineError> {
        if spec.table.deks == 0 {
            return Err(EngineError::NoDeks);
        }
        let mut rng = SimRng::seed_from_u64(spec.seed);
        let mut keys = Vec::with_capacity(spec.keys.len() + 1);
        for k in &spec.keys {
            let rotation = match k.kind {
                KeyKind::AwsManaged => Some(365),
                _ => k.rotation_days,
            };
            keys.push(KmsKey::new(
                k.id.clone(),
                k.kind,
                if k.enabled {
                    KeyState::Enabled
                } else {
                    KeyState::Disabled
                },
                rotation,
                k.allow
                    .as_ref()
                    .map(|v| v.iter().cloned().collect::<BTreeSet<_>>()),
                &mut rng,
            ));
        }
        keys.push(KmsKey::new(
            KmsKeyId::new(AWS_OWNED),
            KeyKind::AwsOwned,
            KeyState::Enabled,
            Some(365),
            None,
            &mut rng,
        ));
        let table_kms = keys
            .iter()
            .position(|k| k.id == spec.table.key)
            .ok_or_else(|| EngineError::UnknownTableKey(spec.table.key.clone()))?;
        if keys[table_kms].state != KeyState::Enabled {
            return Err(EngineError::TableKeyUnusable(
                spec.table.key.clone(),
                keys[table_kms].state.name(),
            ));
        }

        let account = "111122223333".to_string();
        let table_id = format!("{}-{:08x}", spec.table.name, rng.next_u32());
        let context = format!(
            "aws:dynamodb:subscriberId={account},aws:dynamodb:tableName={}",
            spec.table.name
        )
        .into_bytes();
        let (t1_plain, t1_blob) = keys[table_kms]
            .generate_data_key(&mut rng, &context)
            .map_err(|_| EngineError::TableKeyUnusable(spec.table.key.clone(), "unusable"))?;
        let t1 = TableKeyId(1);
        let (deks, items) = Self::build_deks_and_items(
            &mut rng,
            &t1_plain,
            &table_id,
            &spec.table.name,
            spec.table.deks,
            spec.table.items,
        );
        drop(t1_plain);

        let table = Table {
            name: spec.table.name.clone(),
            account,
            table_id,
            created_at: SimTime::ZERO,
            status: TableStatus::Active,
            inaccessible_since: None,
            archive_at: None,
            archived_at: None,
            archival_backup: None,
            sse: SseStatus::Enabled,
            table_keys: vec![TableKey {
                id: t1,
                kms_key: spec.table.key.clone(),
                wrapped: t1_blob,
                created_at: SimTime::ZERO,
                retired_at: None,
            }],
            current: t1,
            deks,
            items,
            quota: Quota::default(),
            job: None,
        };
        let mut cache = Vec::new();
        let mut cache_slots = std::collections::BTreeMap::new();
        for p in &spec.principals {
            cache_slots
                .entry(p.id.clone())
                .or_insert((cache.len(), p.connections));
            cache.extend(
                (1..=p.connections).map(|c| CacheEntry::new(p.id.clone(), ConnectionId(c))),
            );
        }
        let mut engine = Self {
            now: SimTime::ZERO,
            rng,
            assumptions: spec.assumptions.clone(),
            keys,
            principals: spec.principals.clone(),
            table,
            cache,
            cache_slots,
            queue: BinaryHeap::new(),
            seq: 0,
            log: log::Chunked::new(),
            milestones: Milestones::default(),
            context,
            key_changes: 0,
        };
        for ix in 0..engine.keys.len() {
            let k = &engine.keys[ix];
            let created = EventKind::KeyCreated {
                key: k.id.clone(),
                key_kind: k.kind.label(),
                state: k.state,
                rotation_days: k.rotation.map(|r| r.period_days),
            };
            let visible = k.kind != KeyKind::AwsOwned || k.id == spec.table.key;
            let rotation = k.rotation;
            if visible {
                engine.emit(created);
            }
            if let Some(r) = rotation {
                engine.schedule(
                    r.next_at,
                    Scheduled::Rotation {
                        key: ix,
                        due: r.next_at,
                    },
                );
            }
        }
        let kms_id = spec.table.key.clone();
        engine.kms_call(
            "DescribeKey",
            &kms_id,
            Caller::Admin,
            None,
            None,
            "table creation",
        );
        engine.kms_call(
            "CreateGrant",
            &kms_id,
            Caller::Admin,
            None,
            None,
            "table creation",
        );
        engine.kms_call(
            "GenerateDataKey",
            &kms_id,
            Caller::Service,
            Some(1),
            None,
            "new table key T1",
        );
        engine.emit(EventKind::TableCreated {
            table: spec.table.name.clone(),
            key: kms_id,
            table_key: t1,
            deks: spec.table.deks,
            items: spec.table.items,
        });
        Ok(engine)
    }

    /// DEKs wrapped under the table key, and items spread over them (item i uses DEK i mod n).
    fn build_deks_and_items(
        rng: &mut SimRng,
        table_key: &KeyBytes,
        table_id: &str,
        table_name: &str,
        n_deks: u32,
        n_items: u64,
    ) -> (Vec<Dek>, Vec<Item>) {
        let tk = crypto::cipher(table_key);
        let mut deks = Vec::with_capacity(n_deks as usize);
        let placeholder = Item {
            dek: DekId(0),
            sealed: crypto::SealedItem {
                nonce: [0; 12],
                tag: [0; 16],
                len: 0,
                ct: [0; crypto::ITEM_MAX],
            },
        };
        let mut items = vec![placeholder; n_items as usize];
        for d in 0..n_deks {
            let id = DekId(d);
            let plain = crypto::random_key(rng);
            let wrapped = crypto::seal_key(
                &tk,
                rng,
                &plain,
                dek_aad(table_id, TableKeyId(1), id).as_bytes(),
            );
            let dek_cipher = crypto::cipher(&plain);
            let mut i = u64::from(d);
            while i < n_items {
                let item = ItemId(i);
                items[i as usize] = Item {
                    dek: id,
                    sealed: crypto::seal_item(
                        &dek_cipher,
                        rng,
                        &item_plaintext(item),
                        item_aad(table_name, item, id).as_bytes(),
                    ),
                };
                i += u64::from(n_deks);
            }
            let items_under = n_items
                .saturating_sub(u64::from(d))
                .div_ceil(u64::from(n_deks));
            deks.push(Dek {
                id,
                under: TableKeyId(1),
                wrapped,
                staged: None,
                items: items_under as u32,
            });
        }
        (deks, items)
    }

    // ----- queries -------------------------------------------------------------------------

    pub fn now(&self) -> SimTime {
        self.now
    }
    pub fn log(&self) -> &log::Chunked<Event> {
        &self.log
    }
    pub fn assumptions(&self) -> &Assumptions {
        &self.assumptions
    }
    pub fn table(&self) -> &Table {
        &self.table
    }
    /// The KMS keys, in declaration order, then the AWS owned key.
    pub fn keys(&self) -> &[KmsKey] {
        &self.keys
    }
    pub fn key(&self, id: &KmsKeyId) -> Option<&KmsKey> {
        self.keys.iter().find(|k| &k.id == id)
    }
    pub fn principals(&self) -> &[PrincipalSpec] {
        &self.principals
    }
    pub fn cache_entries(&self) -> &[CacheEntry] {
        &self.cache
    }
    pub fn milestones(&self) -> &Milestones {
        &self.milestones
    }

    pub fn cache_entry(&self, p: &PrincipalId, c: ConnectionId) -> Option<&CacheEntry> {
        self.entry_ix(p, c).map(|ix| &self.cache[ix])
    }

    /// Index of the cache entry of principal `p`'s connection `c` (connections count from 1).
    fn entry_ix(&self, p: &PrincipalId, c: ConnectionId) -> Option<usize> {
        let &(start, count) = self.cache_slots.get(p)?;
        (1..=count)
            .contains(&c.0)
            .then(|| start + (c.0 - 1) as usize)
    }

    /// Time before this connection must re-fetch the current table key; `None` if it holds no
    /// usable cached key (nothing cached, expired, or holding a replaced table key).
    pub fn cached_time_left(&self, p: &PrincipalId, c: ConnectionId) -> Option<SimDuration> {
        let e = self.cache_entry(p, c)?;
        let h = e.held.as_ref()?;
        (h.table_key == self.table.current).then(|| h.expires_at.since(self.now))
    }

    /// KMS Decrypt calls made as this principal so far (one per cache fill attempt).
    pub fn decrypt_calls_by(&self, p: &PrincipalId) -> u32 {
        self.cache_slots.get(p).map_or(0, |&(start, count)| {
            self.cache[start..start + count as usize]
                .iter()
                .map(|e| e.kms_calls)
                .sum()
        })
    }

    /// When the next scheduled event happens, if any.
    pub fn next_event_at(&self) -> Option<SimTime> {
        self.queue.peek().map(|Reverse(e)| e.at)
    }

    /// True while some sequence of user actions could still bring every item back: the key
    /// material that wraps the table's current table key still exists.
    pub fn recoverable(&self) -> bool {
        self.material_alive(self.table.current_kms_key())
    }

    fn material_alive(&self, id: &KmsKeyId) -> bool {
        self.key(id).is_some_and(|k| !k.is_deleted())
    }

    fn key_ix(&self, id: &KmsKeyId) -> Option<usize> {
        self.keys.iter().position(|k| &k.id == id)
    }

    /// Would a request by `p` on connection `c` reach its item right now? (The rule the
    /// property tests check every read against.)
    pub fn chain_usable_for(&self, p: &PrincipalId, c: ConnectionId) -> bool {
        if self.table.is_archived_or_archiving() {
            return false;
        }
        if self.cached_time_left(p, c).is_some() {
            return true;
        }
        self.key(self.table.current_kms_key()).is_some_and(|k| {
            k.check_crypto(
                &Caller::Principal(p.clone()),
                self.assumptions.pending_deletion_error,
            )
            .is_ok()
        })
    }

    /// Decrypt one item through the whole chain with the key material itself, bypassing
    /// caches and permissions: "could anyone with access still read this?". `tamper` corrupts
    /// one blob or AAD on the way, which must make the check fail.
    pub fn audit_item(&self, id: ItemId, tamper: Option<Tamper>) -> Result<Vec<u8>, AuditError> {
        let item = self
            .table
            .items
            .get(id.0 as usize)
            .ok_or(AuditError::NoSuchItem)?;
        let dek = &self.table.deks[item.dek.0 as usize];
        let tk = self.table.table_key(dek.under);
        let kms = self
            .key(&tk.kms_key)
            .ok_or_else(|| AuditError::TableKey(tk.id, "unknown KMS key".into()))?;
        let mut blob = tk.wrapped.clone();
        let mut ctx = self.context.clone();
        match tamper {
            Some(Tamper::TableKeyBlob(n)) => flip(&mut blob.sealed, n),
            Some(Tamper::TableKeyContext) => ctx.extend_from_slice(b"-restored"),
            _ => {}
        }
        let tk_plain = kms
            .decrypt(&blob, &ctx)
            .map_err(|e| AuditError::TableKey(tk.id, e.code.as_str().into()))?;
        let mut wrapped = dek.wrapped.clone();
        let mut aad_dek = dek.id;
        match tamper {
            Some(Tamper::DekBlob(n)) => flip(&mut wrapped, n),
            Some(Tamper::DekAad) => aad_dek = DekId(dek.id.0 ^ 1),
            _ => {}
        }
        let dek_plain = crypto::open_key(
            &crypto::cipher(&tk_plain),
            &wrapped,
            dek_aad(&self.table.table_id, dek.under, aad_dek).as_bytes(),
        )
        .map_err(|_| AuditError::Dek(dek.id))?;
        let mut sealed = item.sealed.clone();
        let mut aad_item = id;
        match tamper {
            Some(Tamper::ItemBlob(n)) => {
                let len = sealed.len as usize;
                let n = n % (12 + len + 16);
                if n < 12 {
                    sealed.nonce[n] ^= 1;
                } else if n < 12 + len {
                    sealed.ct[n - 12] ^= 1;
                } else {
                    sealed.tag[n - 12 - len] ^= 1;
                }
            }
            Some(Tamper::ItemAad) => aad_item = ItemId(id.0 + 1),
            _ => {}
        }
        let pt = crypto::open_item(
            &crypto::cipher(&dek_plain),
            &sealed,
            item_aad(&self.table.name, aad_item, dek.id).as_bytes(),
        )
        .map_err(|_| AuditError::Item(id))?;
        if pt != item_plaintext(id) {
            return Err(AuditError::WrongPlaintext(id));
        }
        Ok(pt)
    }

    /// How many items decrypt through the chain right now (checks at most `limit` items,
    /// spread evenly), and the first failure.
    pub fn audit_sample(&self, limit: usize) -> (usize, usize, Option<AuditError>) {
        let n = self.table.items.len();
        if n == 0 {
            return (0, 0, None);
        }
        let stride = n.div_ceil(limit.max(1)).max(1);
        let mut ok = 0;
        let mut checked = 0;
        let mut first_err = None;
        for i in (0..n).step_by(stride) {
            checked += 1;
            match self.audit_item(ItemId(i as u64), None) {
                Ok(_) => ok += 1,
                Err(e) => {
                    if first_err.is_none() {
                        first_err = Some(e);
                    }
                }
            }
        }
        (ok, checked, first_err)
    }

    // ----- the clock -----------------------------------------------------------------------

    fn schedule(&mut self, at: SimTime, what: Scheduled) {
        self.seq += 1;
        self.queue.push(Reverse(QueueEntry {
            at,
            seq: self.seq,
            what,
        }));
    }

    /// Process every scheduled event due at or before `t`, then set the clock to `t`.
    pub fn advance_to(&mut self, t: SimTime) {
        while let Some(Reverse(next)) = self.queue.peek() {
            if next.at > t {
                break;
            }
            let Some(Reverse(entry)) = self.queue.pop() else {
                break;
            };
            self.now = self.now.max(entry.at);
            self.handle(&entry.what);
        }
        self.now = self.now.max(t);
    }

    pub fn advance(&mut self, d: SimDuration) {
        self.advance_to(self.now + d);
    }

    /// Jump to the next scheduled instant and process everything due then. Returns that
    /// instant, or `None` when nothing is scheduled.
    pub fn step(&mut self) -> Option<SimTime> {
        let at = self.next_event_at()?;
        self.advance_to(at);
        Some(at)
    }

    /// Record a scenario step (or live action) in the log at the current time.
    pub fn record_step(&mut self, step: usize, action: String, note: Option<String>) {
        self.emit(EventKind::Step { step, action, note });
    }

    fn emit(&mut self, kind: EventKind) {
        self.log.push(Event { at: self.now, kind });
    }

    /// Log a CloudTrail-shaped KMS call at the current time.
    fn kms_call(
        &mut self,
        event_name: &'static str,
        key: &KmsKeyId,
        user: Caller,
        material_version: Option<u32>,
        error_code: Option<KmsErrorCode>,
        purpose: &'static str,
    ) {
        // Direct admin calls come from the console or CLI; everything else DynamoDB makes.
        let direct_admin = matches!(
            event_name,
            "DisableKey"
                | "EnableKey"
                | "ScheduleKeyDeletion"
                | "CancelKeyDeletion"
                | "RotateKeyOnDemand"
        );
        let encryption_context =
            matches!(event_name, "Decrypt" | "GenerateDataKey" | "CreateGrant").then(|| {
                EncryptionContext {
                    table_name: self.table.name.clone(),
                    subscriber_id: self.table.account.clone(),
                }
            });
        self.emit(EventKind::KmsCall(KmsCall {
            event_name,
            key: key.clone(),
            user,
            invoked_by: (!direct_admin).then_some(DYNAMODB_SERVICE),
            encryption_context,
            material_version,
            error_code,
            in_your_cloudtrail: !key.is_aws_owned(),
            simulator_check: matches!(purpose, BACKGROUND_CHECK | ARCHIVE_CHECK),
            purpose,
        }));
    }

    fn handle(&mut self, what: &Scheduled) {
        match *what {
            Scheduled::CacheExpiry { entry, generation } => {
                let e = &mut self.cache[entry];
                if e.generation == generation
                    && let Some(held) = e.held.take()
                {
                    // Dropping `held` zeroizes the plaintext table key.
                    let (principal, connection) = (e.principal.clone(), e.connection);
                    self.emit(EventKind::CacheExpired {
                        principal,
                        connection,
                        table_key: held.table_key,
                    });
                }
            }
            Scheduled::ServiceKeyExpiry {
                table_key,
                fetched_at,
            } => {
                if let Some(job) = self.table.job.as_mut() {
                    let mut expired = false;
                    for slot in [&mut job.old_plain, &mut job.new_plain] {
                        if slot
                            .as_ref()
                            .is_some_and(|k| k.table_key == table_key && k.fetched_at == fetched_at)
                        {
                            *slot = None;
                            expired = true;
                        }
                    }
                    if expired {
                        self.emit(EventKind::ServiceKeyExpired { table_key });
                    }
                }
            }
            Scheduled::RewrapStep => {
                if self
                    .table
                    .job
                    .as_ref()
                    .is_some_and(|j| j.stalled.is_none() && j.next_at == Some(self.now))
                {
                    self.job_progress(true);
                }
            }
            Scheduled::DetectionCheck => self.background_check(),
            Scheduled::ArchiveStart { since } => {
                if self.table.status == TableStatus::InaccessibleEncryptionCredentials
                    && self.table.inaccessible_since == Some(since)
                {
                    // Archived only if access is *still* missing (facts 42, 44): DynamoDB
                    // tries the key once more at the deadline.
                    if self.dynamodb_check(ARCHIVE_CHECK) {
                        self.restore_active(
                            "at the archive deadline DynamoDB reached the key again".into(),
                        );
                        self.resume_stalled_job();
                    } else {
                        self.start_archive();
                    }
                }
            }
            Scheduled::ArchiveComplete => {
                if self.table.status == TableStatus::Archiving {
                    self.set_status(TableStatus::Archived, "archival backup complete".into());
                    self.table.archived_at = Some(self.now);
                    self.milestones.archived_at.get_or_insert(self.now);
                }
            }
            Scheduled::KeyDeletion { key } => {
                if matches!(self.keys[key].state, KeyState::PendingDeletion { deletion_at } if deletion_at == self.now)
                {
                    self.delete_key(key);
                }
            }
            Scheduled::Rotation { key, due } => {
                if self.keys[key].rotation.is_some_and(|r| r.next_at == due) {
                    if self.keys[key].state == KeyState::Enabled {
                        self.rotate_automatically(key);
                    } else if !self.keys[key].is_deleted() {
                        let (id, state) = (self.keys[key].id.clone(), self.keys[key].state);
                        self.emit(EventKind::KeyRotationDeferred { key: id, state });
                    }
                }
            }
            Scheduled::Propagated { key, change } => {
                if self.keys[key].propagated(change) {
                    let id = self.keys[key].id.clone();
                    self.emit(EventKind::KeyChangePropagated {
                        key: id.clone(),
                        state: self.keys[key].effective_state(),
                    });
                    self.key_changed(&id);
                }
            }
        }
    }

    fn rotate_automatically(&mut self, key: usize) {
        let now = self.now;
        let version = self.keys[key].rotate(now, &mut self.rng);
        let id = self.keys[key].id.clone();
        self.emit(EventKind::KeyRotated {
            key: id,
            version,
            on_demand: false,
        });
        if let Some(r) = self.keys[key].rotation.as_mut() {
            r.next_at = now + SimDuration::from_days(u64::from(r.period_days));
            let due = r.next_at;
            self.schedule(due, Scheduled::Rotation { key, due });
        }
    }

    fn delete_key(&mut self, key: usize) {
        let from = self.keys[key].state;
        let versions = self.keys[key].destroy_material(self.now);
        let id = self.keys[key].id.clone();
        self.emit(EventKind::KeyStateChanged {
            key: id.clone(),
            from,
            to: self.keys[key].state,
        });
        self.emit(EventKind::KeyMaterialDestroyed {
            key: id.clone(),
            versions,
        });
        self.milestones.keys_deleted.push((id.clone(), self.now));
        if !self.recoverable() && self.milestones.unrecoverable_from.is_none() {
            self.milestones.unrecoverable_from = Some(self.now);
            self.emit(EventKind::DataUnrecoverable { key: id.clone() });
        }
        if let Some(job) = self.table.job.as_mut()
            && (job.new_kms == id || job.old_kms == id)
            && job.cannot_finish.is_none()
        {
            job.cannot_finish = Some(id.clone());
            let (done, total) = (job.done, job.total);
            let new_key = job.new_kms == id;
            self.emit(EventKind::RewrapCannotFinish {
                key: id.clone(),
                new_key,
                done,
                total,
            });
        }
        self.key_changed(&id);
    }

    fn set_status(&mut self, to: TableStatus, reason: String) {
        let from = self.table.status;
        if from != to {
            self.table.status = to;
            self.emit(EventKind::TableStatusChanged { from, to, reason });
        }
    }

    fn mark_inaccessible(&mut self, reason: String) {
        if self.table.status != TableStatus::Active {
            return;
        }
        self.set_status(TableStatus::InaccessibleEncryptionCredentials, reason);
        self.table.inaccessible_since = Some(self.now);
        let archive_at = self.now + self.assumptions.archive_after;
        self.table.archive_at = Some(archive_at);
        self.milestones.inaccessible_since.get_or_insert(self.now);
        self.schedule(archive_at, Scheduled::ArchiveStart { since: self.now });
    }

    fn restore_active(&mut self, reason: String) {
        if self.table.status == TableStatus::InaccessibleEncryptionCredentials {
            self.set_status(TableStatus::Active, reason);
            self.table.inaccessible_since = None;
            self.table.archive_at = None;
        }
    }

    fn start_archive(&mut self) {
        self.log_rewrapped_range();
        if let Some(job) = self.table.job.take() {
            self.emit(EventKind::RewrapAbandoned {
                done: job.done,
                total: job.total,
            });
        }
        self.set_status(
            TableStatus::Archiving,
            format!(
                "inaccessible for {} (InaccessibleEncryptionDateTime + archive_after)",
                self.assumptions.archive_after
            ),
        );
        self.milestones.archiving_at.get_or_insert(self.now);
        let key = self.table.current_kms_key().clone();
        let backup = ArchivalBackup {
            arn: format!(
                "arn:aws:dynamodb:us-east-1:111122223333:table/{}/backup/archival-{}",
                self.table.name,
                self.now.as_millis() / 1000
            ),
            key: key.clone(),
            taken_at: self.now,
        };
        self.emit(EventKind::ArchivalBackupTaken {
            backup_arn: backup.arn.clone(),
            key,
        });
        self.table.archival_backup = Some(backup);
        self.schedule(
            self.now + self.assumptions.archive_duration,
            Scheduled::ArchiveComplete,
        );
    }

    /// DynamoDB's own check of the table's key, some time after the key changed state.
    fn background_check(&mut self) {
        if self.table.is_archived_or_archiving() {
            return;
        }
        if self.dynamodb_check(BACKGROUND_CHECK) {
            self.restore_active("DynamoDB's background check reached the key again".into());
        }
        self.resume_stalled_job();
    }

    /// DynamoDB decrypts the current table key as itself: true if that works now. A failure
    /// from the key itself marks the table inaccessible.
    fn dynamodb_check(&mut self, purpose: &'static str) -> bool {
        let kms_id = self.table.current_kms_key().clone();
        match self.service_decrypt(&kms_id, self.table.current, purpose) {
            Ok(plain) => {
                drop(plain);
                true
            }
            Err(e) => {
                if e.code.is_key_failure() {
                    self.mark_inaccessible(format!(
                        "DynamoDB's {purpose} got {} from {kms_id}",
                        e.code
                    ));
                }
                false
            }
        }
    }

    fn resume_stalled_job(&mut self) {
        if self.table.job.as_ref().is_some_and(|j| j.stalled.is_some()) {
            self.job_progress(false);
        }
    }

    /// Decrypt a table key as DynamoDB itself (grant), logging the call.
    fn service_decrypt(
        &mut self,
        kms_id: &KmsKeyId,
        tk: TableKeyId,
        purpose: &'static str,
    ) -> Result<KeyBytes, KmsError> {
        let Some(ix) = self.key_ix(kms_id) else {
            return Err(KmsError {
                code: KmsErrorCode::NotFoundException,
                message: format!("{kms_id} not found"),
            });
        };
        let blob = self.table.table_key(tk).wrapped.clone();
        let result = self.keys[ix]
            .check_crypto(&Caller::Service, self.assumptions.pending_deletion_error)
            .and_then(|()| self.keys[ix].decrypt(&blob, &self.context));
        self.kms_call(
            "Decrypt",
            kms_id,
            Caller::Service,
            Some(blob.version),
            result.as_ref().err().map(|e| e.code),
            purpose,
        );
        result
    }

    /// Something about this KMS key changed: if the table depends on it, DynamoDB's
    /// background check looks again within `detection`.
    fn key_changed(&mut self, id: &KmsKeyId) {
        let depends = self.table.current_kms_key() == id
            || self
                .table
                .job
                .as_ref()
                .is_some_and(|j| &j.new_kms == id || &j.old_kms == id);
        if depends && !self.table.is_archived_or_archiving() {
            self.schedule(
                self.now + self.assumptions.detection,
                Scheduled::DetectionCheck,
            );
        }
    }

    // ----- the re-wrap job -------------------------------------------------------------------

    /// Make sure the job holds a fresh plaintext of one of its table keys; fetch it if not.
    fn job_key(&mut self, which: JobKey) -> Result<(), (KmsKeyId, KmsErrorCode)> {
        let refresh = self.assumptions.cache_refresh;
        let now = self.now;
        let Some(job) = self.table.job.as_ref() else {
            return Ok(());
        };
        let (slot, tk, kms_id, purpose) = match which {
            JobKey::Old => (
                &job.old_plain,
                job.from,
                job.old_kms.clone(),
                "re-wrap: unwrap DEKs with the old table key",
            ),
            JobKey::New => (
                &job.new_plain,
                job.to,
                job.new_kms.clone(),
                "re-wrap: wrap DEKs with the new table key",
            ),
        };
        if slot.as_ref().is_some_and(|k| k.fetched_at + refresh > now) {
            return Ok(());
        }
        match self.service_decrypt(&kms_id, tk, purpose) {
            Ok(bytes) => {
                if let Some(job) = self.table.job.as_mut() {
                    let held = Some(ServiceKey {
                        table_key: tk,
                        cipher: crypto::cipher(&bytes),
                        bytes,
                        fetched_at: now,
                    });
                    match which {
                        JobKey::Old => job.old_plain = held,
                        JobKey::New => job.new_plain = held,
                    }
                }
                self.schedule(
                    now + refresh,
                    Scheduled::ServiceKeyExpiry {
                        table_key: tk,
                        fetched_at: now,
                    },
                );
                Ok(())
            }
            Err(e) => Err((kms_id, e.code)),
        }
    }

    /// Advance the job: refresh its keys if needed, re-wrap one DEK if `rewrap_one`, and
    /// schedule the next step, or stall if a key it needs is unusable.
    fn job_progress(&mut self, rewrap_one: bool) {
        let mut rewrap_one = rewrap_one;
        loop {
            for which in [JobKey::Old, JobKey::New] {
                if let Err((key, code)) = self.job_key(which) {
                    self.stall_job(&key, code);
                    return;
                }
            }
            let Some(job) = self.table.job.as_mut() else {
                return;
            };
            if let Some(stall) = job.stalled.take() {
                let (done, total) = (job.done, job.total);
                let _ = stall;
                self.emit(EventKind::RewrapResumed { done, total });
            }
            if rewrap_one {
                self.rewrap_next_dek();
            }
            let Some(job) = self.table.job.as_mut() else {
                return;
            };
            if job.done >= job.total {
                self.complete_job();
                return;
            }
            let per = self.assumptions.rewrap_per_dek;
            if per == SimDuration::ZERO {
                rewrap_one = true;
                continue;
            }
            let next = self.now + per;
            job.next_at = Some(next);
            self.schedule(next, Scheduled::RewrapStep);
            return;
        }
    }

    fn stall_job(&mut self, key: &KmsKeyId, code: KmsErrorCode) {
        self.log_rewrapped_range();
        let now = self.now;
        let Some(job) = self.table.job.as_mut() else {
            return;
        };
        job.next_at = None;
        let first = job.stalled.is_none();
        if first {
            job.stalled = Some(Stall {
                since: now,
                key: key.clone(),
                kms_error: code,
            });
        }
        let (done, total, old_kms) = (job.done, job.total, job.old_kms.clone());
        if first {
            self.emit(EventKind::RewrapStalled {
                key: key.clone(),
                kms_error: code,
                done,
                total,
            });
        }
        if *key == old_kms && code.is_key_failure() {
            self.mark_inaccessible(format!(
                "the re-wrap job could not decrypt the old table key: {key} gave {code}"
            ));
        }
    }

    fn rewrap_next_dek(&mut self) {
        let Some(job) = self.table.job.as_mut() else {
            return;
        };
        let (Some(old), Some(new)) = (job.old_plain.as_ref(), job.new_plain.as_ref()) else {
            return;
        };
        let ix = job.done as usize;
        let (from, to) = (job.from, job.to);
        let (from_c, to_c) = (&old.cipher, &new.cipher);
        let dek = &mut self.table.deks[ix];
        let before = dek.wrapped.fingerprint();
        let table_id = &self.table.table_id;
        let result = crypto::rewrap_key(
            from_c,
            dek_aad(table_id, from, dek.id).as_bytes(),
            to_c,
            dek_aad(table_id, to, dek.id).as_bytes(),
            &mut self.rng,
            &dek.wrapped,
        );
        let Ok(sealed) = result else {
            // Unreachable unless stored bytes were corrupted; stall rather than panic.
            let key = job.old_kms.clone();
            self.stall_job(&key, KmsErrorCode::InvalidCiphertextException);
            return;
        };
        let after = sealed.fingerprint();
        dek.staged = Some(sealed);
        let id = dek.id;
        job.done += 1;
        let (done, total) = (job.done, job.total);
        if total > RANGE_LOG_ABOVE {
            if done - job.logged >= RANGE_LOG_SIZE {
                self.log_rewrapped_range();
            }
        } else {
            job.logged = done;
            self.emit(EventKind::DekRewrapped {
                dek: id,
                from,
                to,
                done,
                total,
                before,
                after,
            });
        }
    }

    /// Large re-wraps log their DEKs as ranges: one line for the DEKs re-wrapped since the
    /// last one, stamped with the time of the last DEK in it.
    fn log_rewrapped_range(&mut self) {
        let Some(job) = self.table.job.as_mut() else {
            return;
        };
        if job.logged >= job.done {
            return;
        }
        let event = EventKind::DeksRewrapped {
            first: DekId(job.logged),
            last: DekId(job.done - 1),
            from: job.from,
            to: job.to,
            done: job.done,
            total: job.total,
        };
        job.logged = job.done;
        self.emit(event);
    }

    fn complete_job(&mut self) {
        self.log_rewrapped_range();
        let Some(job) = self.table.job.take() else {
            return;
        };
        for dek in &mut self.table.deks {
            if let Some(s) = dek.staged.take() {
                dek.wrapped = s;
                dek.under = job.to;
            }
        }
        self.table.current = job.to;
        self.table.table_key_mut(job.from).retired_at = Some(self.now);
        self.table.sse = SseStatus::Enabled;
        self.emit(EventKind::TableKeySwitched {
            from: job.from,
            to: job.to,
            key: job.new_kms.clone(),
        });
        self.emit(EventKind::SseStatusChanged {
            from: SseStatus::Updating,
            to: SseStatus::Enabled,
        });
        self.emit(EventKind::TableKeyRetired {
            table_key: job.from,
            key: job.old_kms.clone(),
        });
        // `job` drops here: the service-held plaintexts of both table keys are zeroized.
    }

    // ----- commands --------------------------------------------------------------------------

    /// Apply a command at the current moment and report what the caller sees. Anything the
    /// command makes due at this same instant (a background check with `detection = 0s`)
    /// happens before this returns.
    pub fn apply(&mut self, cmd: &Command) -> RequestResult {
        let result = self.apply_now(cmd);
        self.advance_to(self.now);
        result
    }

    fn apply_now(&mut self, cmd: &Command) -> RequestResult {
        match cmd {
            Command::Read {
                principal,
                connection,
            } => self.request(principal, *connection, false),
            Command::Write {
                principal,
                connection,
            } => self.request(principal, *connection, true),
            Command::ChangeTableKey { key } => self.change_table_key(key),
            Command::DisableKey { key } => self.admin(cmd, key, AdminOp::Disable),
            Command::EnableKey { key } => self.admin(cmd, key, AdminOp::Enable),
            Command::ScheduleKeyDeletion { key, days } => {
                self.admin(cmd, key, AdminOp::ScheduleDeletion(*days))
            }
            Command::CancelKeyDeletion { key } => self.admin(cmd, key, AdminOp::CancelDeletion),
            Command::RotateKey { key } => self.admin(cmd, key, AdminOp::Rotate),
            Command::Revoke { key, principal } => self.set_permission(cmd, key, principal, false),
            Command::Allow { key, principal } => self.set_permission(cmd, key, principal, true),
            Command::Wait => RequestResult::Ok,
        }
    }

    fn refuse(&mut self, cmd: &Command, error: &str, message: String) -> RequestResult {
        self.emit(EventKind::ActionRefused {
            action: cmd.describe(),
            error: error.into(),
            message: message.clone(),
        });
        RequestResult::Error {
            error: error.into(),
            kms_error: KmsErrorCode::parse(error),
            message,
        }
    }

    /// GetItem / PutItem: find the table key (cache or KMS), unwrap the DEK, decrypt/encrypt.
    fn request(&mut self, p: &PrincipalId, c: ConnectionId, write: bool) -> RequestResult {
        let Some(entry_ix) = self.entry_ix(p, c) else {
            let message = format!("no principal `{p}` with a connection {c}");
            return RequestResult::Error {
                error: "ValidationException".into(),
                kms_error: None,
                message,
            };
        };
        self.cache[entry_ix].requests += 1;
        if self.table.is_archived_or_archiving() {
            let result = RequestResult::Error {
                error: "TableArchived".into(),
                kms_error: None,
                message: format!(
                    "Table {} is {}: restore the archival backup to a new table",
                    self.table.name, self.table.status
                ),
            };
            self.finish_request(entry_ix, write, None, None, CacheUse::None, result.clone());
            return result;
        }
        let tk = self.table.current;
        let (tk_plain, cache_use) = match self.cache[entry_ix].held.as_ref() {
            Some(h) if h.table_key == tk => {
                let bytes = h.bytes.clone();
                self.cache[entry_ix].last_used_at = Some(self.now);
                (bytes, CacheUse::Hit)
            }
            _ => match self.fetch_for(entry_ix, tk) {
                Ok(bytes) => (bytes, CacheUse::Fetched),
                Err(e) => {
                    let result = RequestResult::Error {
                        error: "AccessDeniedException".into(),
                        kms_error: Some(e.code),
                        message: format!("KMS key access denied error: {}", e.message),
                    };
                    self.finish_request(
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
        let tk_cipher = crypto::cipher(&tk_plain);
        let n_items = self.table.items.len() as u64;
        let n_deks = self.table.deks.len() as u64;
        let (item, dek_id) = if write {
            (
                ItemId(n_items),
                DekId((self.rng.next_u64() % n_deks) as u32),
            )
        } else if n_items == 0 {
            self.finish_request(
                entry_ix,
                write,
                None,
                Some(tk),
                cache_use,
                RequestResult::Ok,
            );
            return RequestResult::Ok;
        } else {
            let id = ItemId(self.rng.next_u64() % n_items);
            (id, self.table.items[id.0 as usize].dek)
        };
        let dek = &self.table.deks[dek_id.0 as usize];
        let dek_plain = crypto::open_key(
            &tk_cipher,
            &dek.wrapped,
            dek_aad(&self.table.table_id, dek.under, dek.id).as_bytes(),
        );
        let outcome = dek_plain.map(|dp| crypto::cipher(&dp)).and_then(|dc| {
            let aad = item_aad(&self.table.name, item, dek_id);
            if write {
                let sealed =
                    crypto::seal_item(&dc, &mut self.rng, &item_plaintext(item), aad.as_bytes());
                self.table.items.push(Item {
                    dek: dek_id,
                    sealed,
                });
                self.table.deks[dek_id.0 as usize].items += 1;
                Ok(())
            } else {
                let pt = crypto::open_item(
                    &dc,
                    &self.table.items[item.0 as usize].sealed,
                    aad.as_bytes(),
                )?;
                if pt == item_plaintext(item) {
                    Ok(())
                } else {
                    Err(crypto::OpenError)
                }
            }
        });
        let result = match outcome {
            Ok(()) => RequestResult::Ok,
            Err(_) => RequestResult::Error {
                error: "InternalServerError".into(),
                kms_error: None,
                message: "stored ciphertext failed its integrity check".into(),
            },
        };
        self.finish_request(
            entry_ix,
            write,
            Some((item, dek_id)),
            Some(tk),
            cache_use,
            result.clone(),
        );
        result
    }

    fn finish_request(
        &mut self,
        entry_ix: usize,
        write: bool,
        target: Option<(ItemId, DekId)>,
        table_key: Option<TableKeyId>,
        cache: CacheUse,
        result: RequestResult,
    ) {
        let e = &mut self.cache[entry_ix];
        let (principal, connection) = (e.principal.clone(), e.connection);
        if let RequestResult::Error { error, .. } = &result {
            e.failures += 1;
            if !write && self.milestones.first_failed_read.is_none() {
                self.milestones.first_failed_read =
                    Some((self.now, principal.clone(), error.clone()));
            }
        }
        let (item, dek) = (target.map(|t| t.0), target.map(|t| t.1));
        self.emit(if write {
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
        });
    }

    /// KMS Decrypt of the table key as the connection's principal; fills the cache entry.
    fn fetch_for(&mut self, entry_ix: usize, tk: TableKeyId) -> Result<KeyBytes, KmsError> {
        let principal = self.cache[entry_ix].principal.clone();
        let connection = self.cache[entry_ix].connection;
        let blob: KmsBlob = self.table.table_key(tk).wrapped.clone();
        let kms_id = blob.key.clone();
        let result = match self.key_ix(&kms_id) {
            Some(ix) => self.keys[ix]
                .check_crypto(
                    &Caller::Principal(principal.clone()),
                    self.assumptions.pending_deletion_error,
                )
                .and_then(|()| self.keys[ix].decrypt(&blob, &self.context)),
            None => Err(KmsError {
                code: KmsErrorCode::NotFoundException,
                message: format!("{kms_id} not found"),
            }),
        };
        self.cache[entry_ix].kms_calls += 1;
        self.kms_call(
            "Decrypt",
            &kms_id,
            Caller::Principal(principal.clone()),
            Some(blob.version),
            result.as_ref().err().map(|e| e.code),
            "table key for a request (cache miss or refresh)",
        );
        match result {
            Ok(bytes) => {
                let expires_at = self.now + self.assumptions.cache_refresh;
                let e = &mut self.cache[entry_ix];
                e.generation += 1;
                e.held = Some(HeldKey {
                    table_key: tk,
                    bytes: bytes.clone(),
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
                        entry: entry_ix,
                        generation,
                    },
                );
                self.emit(EventKind::CacheFilled {
                    principal,
                    connection,
                    table_key: tk,
                    expires_at,
                });
                self.restore_active(format!("a KMS Decrypt through {kms_id} succeeded again"));
                Ok(bytes)
            }
            Err(err) => {
                let e = &mut self.cache[entry_ix];
                e.last_fetch = Some(LastFetch::Failed {
                    at: self.now,
                    kms_error: err.code,
                });
                if err.code.is_key_failure() {
                    self.mark_inaccessible(format!(
                        "{principal}#{connection}'s KMS Decrypt got {} from {kms_id}",
                        err.code
                    ));
                }
                Err(err)
            }
        }
    }

    fn change_table_key(&mut self, target: &KmsKeyId) -> RequestResult {
        let cmd = Command::ChangeTableKey {
            key: target.clone(),
        };
        let reject = |this: &mut Self, error: &str, message: String| {
            this.emit(EventKind::TableUpdateRejected {
                to_key: target.clone(),
                error: error.into(),
                message: message.clone(),
            });
            RequestResult::Error {
                error: error.into(),
                kms_error: None,
                message,
            }
        };
        if self.table.is_archived_or_archiving() {
            return reject(
                self,
                "TableArchived",
                format!("table is {}", self.table.status),
            );
        }
        if self.table.sse == SseStatus::Updating {
            return reject(
                self,
                "ValidationException",
                "another key change is in progress (SSEDescription.Status is UPDATING)".into(),
            );
        }
        let Some(tix) = self.key_ix(target) else {
            return self.refuse(
                &cmd,
                "ValidationException",
                format!("KMS key {target} does not exist"),
            );
        };
        if self.table.current_kms_key() == target {
            return reject(
                self,
                "ValidationException",
                format!("the table is already encrypted with {target}"),
            );
        }
        if !target.is_aws_owned() {
            let state = self.keys[tix].state;
            let deleted = self.keys[tix].is_deleted();
            // DescribeKey works in every state while the key exists (fact 62); a deleted key
            // is not found (facts 54, 61).
            self.kms_call(
                "DescribeKey",
                target,
                Caller::Admin,
                None,
                deleted.then_some(KmsErrorCode::NotFoundException),
                "UpdateTable validates the new key",
            );
            if deleted {
                let result = reject(
                    self,
                    "ValidationException",
                    format!("KMS key {target} does not exist (NotFoundException)"),
                );
                return match result {
                    RequestResult::Error { error, message, .. } => RequestResult::Error {
                        error,
                        kms_error: Some(KmsErrorCode::NotFoundException),
                        message,
                    },
                    ok @ RequestResult::Ok => ok,
                };
            }
            if state != KeyState::Enabled {
                return reject(
                    self,
                    "ValidationException",
                    format!(
                        "KMS key {target} is {}: DynamoDB cannot use it",
                        state.name()
                    ),
                );
            }
            if let Err(message) = self.table.quota.check(self.now, self.table.created_at) {
                return reject(self, "LimitExceededException", message);
            }
        }
        // Accepted.
        self.table.quota.changes.push(self.now);
        let from_tk = self.table.current;
        let old_kms = self.table.current_kms_key().clone();
        let new_tk = TableKeyId(self.table.table_keys.len() as u32 + 1);
        self.emit(EventKind::TableUpdateAccepted {
            from_key: old_kms.clone(),
            to_key: target.clone(),
            new_table_key: new_tk,
        });
        self.table.sse = SseStatus::Updating;
        self.emit(EventKind::SseStatusChanged {
            from: SseStatus::Enabled,
            to: SseStatus::Updating,
        });
        self.kms_call(
            "CreateGrant",
            target,
            Caller::Admin,
            None,
            None,
            "grant for the table on the new key",
        );
        let generated = self.keys[tix].generate_data_key(&mut self.rng, &self.context);
        let version = self.keys[tix].current_version();
        let (plain, blob) = match generated {
            Ok(g) => g,
            Err(e) => {
                self.kms_call(
                    "GenerateDataKey",
                    target,
                    Caller::Service,
                    Some(version),
                    Some(e.code),
                    "new table key",
                );
                self.table.sse = SseStatus::Enabled;
                return reject(self, "ValidationException", e.message);
            }
        };
        self.kms_call(
            "GenerateDataKey",
            target,
            Caller::Service,
            Some(version),
            None,
            "new table key",
        );
        self.table.table_keys.push(TableKey {
            id: new_tk,
            kms_key: target.clone(),
            wrapped: blob,
            created_at: self.now,
            retired_at: None,
        });
        let total = self.table.deks.len() as u32;
        self.table.job = Some(RewrapJob {
            from: from_tk,
            to: new_tk,
            old_kms,
            new_kms: target.clone(),
            started_at: self.now,
            done: 0,
            total,
            old_plain: None,
            new_plain: Some(ServiceKey {
                table_key: new_tk,
                cipher: crypto::cipher(&plain),
                bytes: plain,
                fetched_at: self.now,
            }),
            stalled: None,
            next_at: None,
            cannot_finish: None,
            logged: 0,
        });
        self.schedule(
            self.now + self.assumptions.cache_refresh,
            Scheduled::ServiceKeyExpiry {
                table_key: new_tk,
                fetched_at: self.now,
            },
        );
        self.emit(EventKind::RewrapStarted {
            from: from_tk,
            to: new_tk,
            deks: total,
        });
        self.job_progress(false);
        RequestResult::Ok
    }

    fn admin(&mut self, cmd: &Command, key: &KmsKeyId, op: AdminOp) -> RequestResult {
        let Some(ix) = self.key_ix(key) else {
            return self.refuse(
                cmd,
                "NotFoundException",
                format!("KMS key {key} does not exist"),
            );
        };
        let kind = self.keys[ix].kind;
        if kind == KeyKind::AwsOwned {
            return self.refuse(
                cmd,
                "ValidationException",
                "the AWS owned key lives in a DynamoDB service account: no user can manage it"
                    .into(),
            );
        }
        let event_name = op.event_name();
        if kind == KeyKind::AwsManaged {
            self.kms_call(
                event_name,
                key,
                Caller::Admin,
                None,
                Some(KmsErrorCode::AccessDeniedException),
                "admin action",
            );
            return self.refuse(
                cmd,
                "AccessDeniedException",
                format!(
                    "{key} is an AWS managed key: AWS manages its state, rotation and deletion"
                ),
            );
        }
        let from = self.keys[ix].state;
        let arn = self.keys[ix].arn();
        let outcome: Result<Option<KeyState>, (KmsErrorCode, String)> = match (op, from) {
            (_, KeyState::Deleted { .. }) => Err((
                KmsErrorCode::NotFoundException,
                format!("Key '{arn}' does not exist"),
            )),
            (AdminOp::CancelDeletion, KeyState::PendingDeletion { .. }) => {
                Ok(Some(KeyState::Disabled))
            }
            (AdminOp::CancelDeletion, _) => Err((
                KmsErrorCode::KmsInvalidStateException,
                format!("{arn} is not pending deletion."),
            )),
            (_, KeyState::PendingDeletion { .. }) => Err((
                KmsErrorCode::KmsInvalidStateException,
                format!("{arn} is pending deletion."),
            )),
            (AdminOp::Disable, _) => Ok(Some(KeyState::Disabled)),
            (AdminOp::Enable, _) => Ok(Some(KeyState::Enabled)),
            (AdminOp::ScheduleDeletion(days), _) => {
                if (7..=30).contains(&days) {
                    let deletion_at = self.now
                        + SimDuration::from_days(u64::from(days))
                        + self.assumptions.deletion_delay;
                    Ok(Some(KeyState::PendingDeletion { deletion_at }))
                } else {
                    Err((
                        KmsErrorCode::KmsInvalidStateException,
                        format!("PendingWindowInDays must be 7..=30, got {days}"),
                    ))
                }
            }
            (AdminOp::Rotate, KeyState::Disabled) => Err((
                KmsErrorCode::DisabledException,
                format!("{arn} is disabled."),
            )),
            (AdminOp::Rotate, _) => {
                if self.keys[ix].on_demand_rotations >= self.assumptions.on_demand_rotation_limit {
                    Err((
                        KmsErrorCode::LimitExceededException,
                        format!(
                            "{arn} reached the limit of {} on-demand rotations",
                            self.assumptions.on_demand_rotation_limit
                        ),
                    ))
                } else {
                    Ok(None)
                }
            }
        };
        match outcome {
            Err((code, message)) => {
                self.kms_call(
                    event_name,
                    key,
                    Caller::Admin,
                    None,
                    Some(code),
                    "admin action",
                );
                RequestResult::Error {
                    error: code.as_str().into(),
                    kms_error: Some(code),
                    message,
                }
            }
            Ok(new_state) => {
                self.kms_call(event_name, key, Caller::Admin, None, None, "admin action");
                if let Some(to) = new_state {
                    let spreads = to != from && self.hold_view(ix);
                    self.keys[ix].state = to;
                    if to != from {
                        self.emit(EventKind::KeyStateChanged {
                            key: key.clone(),
                            from,
                            to,
                        });
                    }
                    if let KeyState::PendingDeletion { deletion_at } = to {
                        self.schedule(deletion_at, Scheduled::KeyDeletion { key: ix });
                    }
                    if to == KeyState::Enabled
                        && from != KeyState::Enabled
                        && self.keys[ix]
                            .rotation
                            .is_some_and(|r| r.next_at <= self.now)
                    {
                        // Overdue rotation runs at once on re-enable (fact 68).
                        self.rotate_automatically(ix);
                    }
                    if spreads {
                        self.queue_view(ix);
                    } else if to != from {
                        self.key_changed(key);
                    }
                } else {
                    let version = self.keys[ix].rotate(self.now, &mut self.rng);
                    self.keys[ix].on_demand_rotations += 1;
                    self.emit(EventKind::KeyRotated {
                        key: key.clone(),
                        version,
                        on_demand: true,
                    });
                }
                RequestResult::Ok
            }
        }
    }

    fn set_permission(
        &mut self,
        cmd: &Command,
        key: &KmsKeyId,
        principal: &PrincipalId,
        allowed: bool,
    ) -> RequestResult {
        let Some(ix) = self.key_ix(key) else {
            return self.refuse(
                cmd,
                "NotFoundException",
                format!("KMS key {key} does not exist"),
            );
        };
        if self.keys[ix].kind == KeyKind::AwsOwned {
            return self.refuse(
                cmd,
                "ValidationException",
                "the AWS owned key has no policy you can change".into(),
            );
        }
        if self.keys[ix].is_deleted() {
            let arn = self.keys[ix].arn();
            return self.refuse(
                cmd,
                "NotFoundException",
                format!("Key '{arn}' does not exist"),
            );
        }
        let everyone: BTreeSet<PrincipalId> =
            self.principals.iter().map(|p| p.id.clone()).collect();
        let spreads = self.hold_view(ix);
        let k = &mut self.keys[ix];
        let set = k.allow.get_or_insert_with(|| everyone.clone());
        if allowed {
            set.insert(principal.clone());
        } else {
            set.remove(principal);
        }
        if everyone.is_subset(set) && set.len() == everyone.len() {
            k.allow = None;
        }
        self.emit(EventKind::PermissionChanged {
            key: key.clone(),
            principal: principal.clone(),
            allowed,
        });
        if spreads {
            self.queue_view(ix);
        }
        RequestResult::Ok
    }

    /// With a non-zero `propagation`, keep cryptographic calls on the key's current state
    /// and permissions while a change spreads. Returns true if the change will spread.
    fn hold_view(&mut self, ix: usize) -> bool {
        if self.assumptions.propagation == SimDuration::ZERO {
            return false;
        }
        self.keys[ix].hold_view();
        true
    }

    /// The change just made to key `ix` reaches DynamoDB's calls after `propagation`.
    fn queue_view(&mut self, ix: usize) {
        self.key_changes += 1;
        let change = self.key_changes;
        self.keys[ix].queue_view(change);
        self.schedule(
            self.now + self.assumptions.propagation,
            Scheduled::Propagated { key: ix, change },
        );
    }
}

#[derive(Clone, Copy, Debug)]
enum AdminOp {
    Disable,
    Enable,
    ScheduleDeletion(u32),
    CancelDeletion,
    Rotate,
}

impl AdminOp {
    fn event_name(self) -> &'static str {
        match self {
            AdminOp::Disable => "DisableKey",
            AdminOp::Enable => "EnableKey",
            AdminOp::ScheduleDeletion(_) => "ScheduleKeyDeletion",
            AdminOp::CancelDeletion => "CancelKeyDeletion",
            AdminOp::Rotate => "RotateKeyOnDemand",
        }
    }
}

fn flip(sealed: &mut crypto::SealedKey, n: usize) {
    let n = n % 60;
    if n < 12 {
        sealed.nonce[n] ^= 1;
    } else if n < 44 {
        sealed.ct[n - 12] ^= 1;
    } else {
        sealed.tag[n - 44] ^= 1;
    }
}

#[cfg(test)]
mod tests;
