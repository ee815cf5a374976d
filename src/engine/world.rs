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
    /// Version 3: a key that starts mid-story (pending deletion, pending import); `None`: as
    /// `enabled` says.
    pub starts_as: Option<KeyStartsAs>,
}

/// Version 3: a key state the world may start in besides enabled and disabled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyStartsAs {
    /// Scheduled for deletion before the start; deleted at `deletion_at` (its DeletionDate).
    PendingDeletion { deletion_at: SimTime },
    /// Imported material gone (expired or deleted before the start): no crypto until the same
    /// material is imported again (aws-behaviour.md #98, 99).
    PendingImport,
}

/// Version 3: how a table or replica is when the world starts (the default: active, just
/// created, DynamoDB's grant in place).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TableStart {
    pub status: StartStatus,
    /// How long before the start it entered `status` (zero: at the start).
    pub since: SimDuration,
    /// A key change under way at the start: the re-wrap to this key begins at 0s.
    pub switching_to: Option<KmsKeyId>,
    /// DynamoDB's grant on the table's key was revoked before the start.
    pub grant_revoked: bool,
}

/// Version 3: a table's or replica's status at the start.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StartStatus {
    #[default]
    Active,
    /// INACCESSIBLE_ENCRYPTION_CREDENTIALS since `since` before the start.
    Inaccessible,
    /// ARCHIVED (its archival backup under the table's key) since `since` before the start.
    Archived,
    /// A replica removed from its replication group `since` before the start.
    Removed,
}

/// Version 3: what kind of backup a `[[backup]]` is (`list-backups --backup-type ALL`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackupKind {
    /// An on-demand backup (BackupType USER).
    User,
    /// A backup DynamoDB made (BackupType SYSTEM: a deleted or archived table's).
    System,
    /// An AWS Backup backup (BackupType AWS_BACKUP): under its vault's key, not the table's
    /// (aws-behaviour.md #95).
    AwsBackup,
}

impl BackupKind {
    pub fn name(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::System => "system",
            Self::AwsBackup => "aws-backup",
        }
    }
}

/// Version 3: a backup taken before the start.
#[derive(Clone, Debug)]
pub struct BackupSpec {
    pub name: String,
    /// The declared table (index into `WorldSpec::tables`) it was taken from.
    pub table: usize,
    /// The KMS key a restore needs: the table's key when it was taken (an AWS Backup vault's
    /// key for `aws-backup`).
    pub key: KmsKeyId,
    /// How long before the start it was taken.
    pub age: SimDuration,
    pub kind: BackupKind,
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
    /// Version 3: how it is at the start.
    pub start: TableStart,
}

/// A global-table replica (aws-behaviour.md #51): its region and the KMS key of that region it uses.
#[derive(Clone, Debug)]
pub struct ReplicaSpec {
    pub region: String,
    pub key: KmsKeyId,
    /// Version 3: how it is at the start (`status`, `since`).
    pub start: TableStart,
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
    /// Version 3: backups taken before the start.
    pub backups: Vec<BackupSpec>,
}

impl WorldSpec {
    /// The first table: the one steps without `table =` act on.
    pub fn table(&self) -> &TableSpec {
        &self.tables[0]
    }
}
