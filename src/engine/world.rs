//! The starting world (keys, table, principals, seed) and the modelling assumptions, each with
//! a default; undocumented ones are shown as assumptions.

use serde::Serialize;

use super::ids::{KmsKeyId, PrincipalId};
use super::kms::{KeyKind, PendingDeletionError};
use super::time::{SimDuration, SimTime};

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
    /// (undocumented: aws-behaviour.md #24 says seconds, sometimes minutes).
    pub propagation: SimDuration,
    /// Whether a customer can re-create DynamoDB's grant on a table's key (`create-grant`):
    /// the real notification e-mail says "re-create the grant"; how is undocumented.
    pub grant_recreate: bool,
    /// Version 2: a global-table replica inaccessible for longer than this leaves the
    /// replication group (documented: more than 20 hours, aws-behaviour.md #51).
    pub replica_removal_after: SimDuration,
}

impl Assumptions {
    /// The duration assumptions as (name, value, documented by AWS?), in display order.
    pub fn durations(&self) -> [(&'static str, SimDuration, bool); 8] {
        [
            ("cache_refresh", self.cache_refresh, true),
            ("detection", self.detection, false),
            ("archive_after", self.archive_after, true),
            ("archive_duration", self.archive_duration, false),
            ("rewrap_per_dek", self.rewrap_per_dek, false),
            ("deletion_delay", self.deletion_delay, true),
            ("propagation", self.propagation, false),
            ("replica_removal_after", self.replica_removal_after, true),
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
            on_demand_rotation_limit: 25,
            propagation: SimDuration::ZERO,
            grant_recreate: true,
            replica_removal_after: SimDuration::from_hours(20),
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
    /// Version 2: imported material (`origin = "external"`), imported at 0s and valid until
    /// `expires` (absolute; `None` = never).
    pub external: bool,
    pub expires: Option<SimTime>,
    /// Version 2: the key's region (`us-east-1` unless the file says otherwise).
    pub region: String,
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
    /// Version 2: global-table replicas, each in another region under an in-region key.
    pub replicas: Vec<ReplicaSpec>,
}

/// A global-table replica (aws-behaviour.md #51): its region and the KMS key of that region it uses.
#[derive(Clone, Debug)]
pub struct ReplicaSpec {
    pub region: String,
    pub key: KmsKeyId,
}

pub use super::ids::DEFAULT_REGION;

/// Everything needed to build the starting world.
#[derive(Clone, Debug)]
pub struct WorldSpec {
    pub seed: u64,
    pub assumptions: Assumptions,
    pub keys: Vec<KeySpec>,
    /// The tables, in file order (never empty; version 1 files have one).
    pub tables: Vec<TableSpec>,
    pub principals: Vec<PrincipalSpec>,
}

impl WorldSpec {
    /// The first table: the one steps without `table =` act on.
    pub fn table(&self) -> &TableSpec {
        &self.tables[0]
    }
}
