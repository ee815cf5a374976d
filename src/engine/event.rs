//! What happened, as data: every state change and every KMS call, stamped with logical time.
//!
//! KMS calls are shaped like CloudTrail records (eventName, key, userIdentity or
//! invokedBy, encryption context, errorCode) so the log reads like the real audit trail.

use serde::Serialize;

use super::crypto::Fingerprint;
use super::ids::{ConnectionId, DekId, ItemId, KmsKeyId, PrincipalId, TableKeyId};
use super::kms_state::{KeyState, KmsErrorCode};
use super::status::{SseStatus, TableStatus};
use super::time::{SimDuration, SimTime};
pub use super::vocab::{Caller, DYNAMODB_SERVICE};
use super::vocab::{ErrorCode, KmsOp};

/// One entry of the event log.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Event {
    /// Logical time in milliseconds since the scenario started.
    pub at: SimTime,
    /// With several tables (version 2): the table this event concerns, when it concerns one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table: Option<std::sync::Arc<str>>,
    #[serde(flatten)]
    pub kind: EventKind,
}

/// A CloudTrail-shaped KMS call.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct KmsCall {
    /// `Decrypt`, `GenerateDataKey`, `DisableKey`, ...
    pub event_name: KmsOp,
    pub key: KmsKeyId,
    /// userIdentity: the caller.
    pub user: Caller,
    /// `dynamodb.amazonaws.com` when DynamoDB made the call for a request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoked_by: Option<&'static str>,
    /// The table's encryption context (aws-behaviour.md #75), on cryptographic calls.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption_context: Option<EncryptionContext>,
    /// The material version used (rotation keeps old versions).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub material_version: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<KmsErrorCode>,
    /// False for the AWS owned key: its calls never reach your CloudTrail (aws-behaviour.md #76).
    pub in_your_cloudtrail: bool,
    /// True for DynamoDB's background and archive-deadline checks: the simulator's model of
    /// how DynamoDB notices a key change, not a documented CloudTrail event.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub simulator_check: bool,
    /// Why the call was made (its words in the log: `table creation`, `background check`, ...).
    pub purpose: super::vocab::Purpose,
}

/// `{"aws:dynamodb:tableName": ..., "aws:dynamodb:subscriberId": ...}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EncryptionContext {
    #[serde(rename = "aws:dynamodb:tableName")]
    pub table_name: String,
    #[serde(rename = "aws:dynamodb:subscriberId")]
    pub subscriber_id: String,
}

/// Where a read or write found its table key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CacheUse {
    /// The connection's cached plaintext table key served the request: no KMS call.
    Hit,
    /// The request needed KMS Decrypt first.
    Fetched,
    /// No table key was needed (the table is archived).
    None,
}

/// The result of a request as the caller sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "result")]
pub enum RequestResult {
    Ok,
    Error {
        error: ErrorCode,
        #[serde(skip_serializing_if = "Option::is_none")]
        kms_error: Option<KmsErrorCode>,
        message: String,
    },
}

impl RequestResult {
    pub fn is_ok(&self) -> bool {
        matches!(self, RequestResult::Ok)
    }
}

/// Every kind of thing the engine reports.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum EventKind {
    /// A scenario step (or a live action in the TUI) begins; written by the runner.
    Step {
        step: usize,
        action: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    KeyCreated {
        key: KmsKeyId,
        key_kind: &'static str,
        state: KeyState,
        #[serde(skip_serializing_if = "Option::is_none")]
        rotation_days: Option<u32>,
    },
    KmsCall(KmsCall),
    KeyStateChanged {
        key: KmsKeyId,
        from: KeyState,
        to: KeyState,
    },
    KeyRotated {
        key: KmsKeyId,
        version: u32,
        on_demand: bool,
    },
    /// Automatic rotation came due while the key was not Enabled (aws-behaviour.md #68).
    KeyRotationDeferred {
        key: KmsKeyId,
        state: KeyState,
    },
    /// The deletion date passed: every material version was zeroized.
    KeyMaterialDestroyed {
        key: KmsKeyId,
        versions: u32,
    },
    PermissionChanged {
        key: KmsKeyId,
        principal: PrincipalId,
        allowed: bool,
    },
    /// A state or permission change reached every KMS endpoint, so DynamoDB's calls now see
    /// it (only with a non-zero `propagation` assumption).
    KeyChangePropagated {
        key: KmsKeyId,
        state: KeyState,
    },
    TableCreated {
        table: String,
        key: KmsKeyId,
        table_key: TableKeyId,
        deks: u32,
        items: u64,
    },
    TableUpdateAccepted {
        from_key: KmsKeyId,
        to_key: KmsKeyId,
        new_table_key: TableKeyId,
    },
    TableUpdateRejected {
        to_key: KmsKeyId,
        error: ErrorCode,
        message: String,
    },
    SseStatusChanged {
        from: SseStatus,
        to: SseStatus,
    },
    RewrapStarted {
        from: TableKeyId,
        to: TableKeyId,
        deks: u32,
    },
    DekRewrapped {
        dek: DekId,
        from: TableKeyId,
        to: TableKeyId,
        done: u32,
        total: u32,
        /// First bytes of the wrapped DEK before and after: it changes, the DEK itself does not.
        before: Fingerprint,
        after: Fingerprint,
    },
    /// A large re-wrap (more than 4,096 DEKs) logs its DEKs as ranges: DEKs `first..=last`
    /// were re-wrapped, the last of them at this event's time.
    DeksRewrapped {
        first: DekId,
        last: DekId,
        from: TableKeyId,
        to: TableKeyId,
        done: u32,
        total: u32,
    },
    /// The job needed an unusable key (undocumented behaviour, marked as such).
    RewrapStalled {
        key: KmsKeyId,
        kms_error: KmsErrorCode,
        done: u32,
        total: u32,
    },
    RewrapResumed {
        done: u32,
        total: u32,
    },
    /// A key the running re-wrap needs was deleted: it can never finish. If it is the new
    /// key, SSEDescription may stay UPDATING for good (undocumented).
    RewrapCannotFinish {
        key: KmsKeyId,
        /// True if it is the key the table was switching to.
        new_key: bool,
        done: u32,
        total: u32,
    },
    /// The archive started while a re-wrap was still running.
    RewrapAbandoned {
        done: u32,
        total: u32,
    },
    /// The table now uses the new table key; SSE is ENABLED with the new key's ARN.
    TableKeySwitched {
        from: TableKeyId,
        to: TableKeyId,
        key: KmsKeyId,
    },
    /// The old table key is no longer needed by the live table.
    TableKeyRetired {
        table_key: TableKeyId,
        key: KmsKeyId,
    },
    CacheFilled {
        principal: PrincipalId,
        connection: ConnectionId,
        table_key: TableKeyId,
        expires_at: SimTime,
    },
    CacheExpired {
        principal: PrincipalId,
        connection: ConnectionId,
        table_key: TableKeyId,
    },
    /// DynamoDB's own copy of a table key (used by the re-wrap job) ran out.
    ServiceKeyExpired {
        table_key: TableKeyId,
    },
    ItemRead {
        principal: PrincipalId,
        connection: ConnectionId,
        #[serde(skip_serializing_if = "Option::is_none")]
        item: Option<ItemId>,
        #[serde(skip_serializing_if = "Option::is_none")]
        dek: Option<DekId>,
        #[serde(skip_serializing_if = "Option::is_none")]
        table_key: Option<TableKeyId>,
        cache: CacheUse,
        #[serde(flatten)]
        result: RequestResult,
    },
    ItemWritten {
        principal: PrincipalId,
        connection: ConnectionId,
        #[serde(skip_serializing_if = "Option::is_none")]
        item: Option<ItemId>,
        #[serde(skip_serializing_if = "Option::is_none")]
        dek: Option<DekId>,
        #[serde(skip_serializing_if = "Option::is_none")]
        table_key: Option<TableKeyId>,
        cache: CacheUse,
        #[serde(flatten)]
        result: RequestResult,
    },
    TableStatusChanged {
        from: TableStatus,
        to: TableStatus,
        reason: String,
    },
    ArchivalBackupTaken {
        backup_arn: String,
        key: KmsKeyId,
    },
    /// Key material that some item depends on no longer exists anywhere.
    DataUnrecoverable {
        key: KmsKeyId,
    },
    /// DynamoDB's grant for the table on `key` was revoked, or re-created.
    GrantChanged {
        key: KmsKeyId,
        revoked: bool,
    },
    /// Imported key material left KMS: deleted (DeleteImportedKeyMaterial) or expired (its
    /// ValidTo passed). The same material, imported again, brings the key back (aws-behaviour.md #99).
    ImportedMaterialRemoved {
        key: KmsKeyId,
        expired: bool,
        /// The key was pending deletion and stays so (aws-behaviour.md #105).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        pending_deletion: bool,
    },
    /// ImportKeyMaterial: the same material is back in KMS, valid until `expires_at`.
    KeyMaterialImported {
        key: KmsKeyId,
        #[serde(skip_serializing_if = "Option::is_none")]
        expires_at: Option<SimTime>,
    },
    /// ImportKeyMaterial of new material: it waits (PENDING_ROTATION) until RotateKeyOnDemand
    /// makes it current (aws-behaviour.md #104).
    NewKeyMaterialImported {
        key: KmsKeyId,
        #[serde(skip_serializing_if = "Option::is_none")]
        expires_at: Option<SimTime>,
    },
    /// Version 2: CreateBackup: the backup keeps the table key and its KMS key as they are
    /// now (aws-behaviour.md #35).
    BackupCreated {
        backup: String,
        key: KmsKeyId,
        items: u64,
    },
    /// Version 3: a backup taken before the start (`[[backup]]`), with the key it needs.
    EarlierBackup {
        backup: String,
        key: KmsKeyId,
        items: u64,
        backup_type: &'static str,
        age: SimDuration,
    },
    /// Version 2: RestoreTableFromBackup made a new table under a new table key.
    TableRestored {
        backup: String,
        from_table: String,
        to: String,
        key: KmsKeyId,
        items: u64,
    },
    /// Version 2: a write made in another region reached this copy of the global table.
    ItemReplicated {
        region: String,
        item: ItemId,
    },
    /// Version 2: a write did not reach this copy: it was inaccessible (aws-behaviour.md #51).
    ReplicationMissed {
        region: String,
        item: ItemId,
        status: TableStatus,
    },
    /// Version 2: the copy in `region` was inaccessible for longer than
    /// `replica_removal_after` and left the replication group; it is not deleted (aws-behaviour.md #51).
    ReplicaRemoved {
        region: String,
        inaccessible_for: crate::engine::time::SimDuration,
    },
    /// A live (sandbox) action from the TUI begins: the `number`-th of the session.
    LiveAction {
        number: usize,
        action: String,
    },
    /// A step's question for the room (`ask`), before its action runs; written by the runner.
    Question {
        step: usize,
        prompt: String,
        choices: Vec<String>,
    },
    /// What the simulation answered, after the step's action: the choices that held (1-based;
    /// exactly one in a sound scenario).
    Answer {
        step: usize,
        held: Vec<usize>,
        choices: Vec<String>,
        /// The step's note, said after the answer (before it, it could give the answer away).
        #[serde(skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// An admin action the engine refused before calling anything (e.g. an AWS managed key).
    ActionRefused {
        action: String,
        error: ErrorCode,
        message: String,
    },
}

impl EventKind {
    /// True for failures: failed KMS calls, failed requests, refusals, stalls.
    pub fn is_failure(&self) -> bool {
        match self {
            EventKind::KmsCall(c) => c.error_code.is_some(),
            EventKind::ItemRead { result, .. } | EventKind::ItemWritten { result, .. } => {
                !result.is_ok()
            }
            EventKind::TableUpdateRejected { .. }
            | EventKind::RewrapStalled { .. }
            | EventKind::RewrapCannotFinish { .. }
            | EventKind::ActionRefused { .. }
            | EventKind::DataUnrecoverable { .. }
            | EventKind::ReplicationMissed { .. }
            | EventKind::ReplicaRemoved { .. }
            | EventKind::KeyMaterialDestroyed { .. } => true,
            EventKind::TableStatusChanged { to, .. } => *to != TableStatus::Active,
            _ => false,
        }
    }
}
