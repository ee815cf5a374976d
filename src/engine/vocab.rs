//! The typed vocabulary: actions (`do = "..."`), KMS operations and the error codes a caller
//! sees, each an enum with one name table. The parser, the runner, the writer (`w`), the
//! reports and the TUI all read names from here; adding an action means adding a variant
//! here and giving it meaning where the compiler asks, never another list of strings.

use std::fmt;

use serde::Serialize;

use super::ids::PrincipalId;
use super::kms_state::KmsErrorCode;

/// What a scenario step does (`do = "..."`), and what a live action is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Verb {
    Read,
    Write,
    ChangeTableKey,
    DisableKey,
    EnableKey,
    ScheduleKeyDeletion,
    CancelKeyDeletion,
    RotateKey,
    Revoke,
    Allow,
    Wait,
    DeleteImportedMaterial,
    ImportKeyMaterial,
    RevokeGrant,
    CreateGrant,
    Backup,
    Restore,
}

impl Verb {
    /// Every action, in the order the format page lists them.
    pub const ALL: [Verb; 17] = [
        Verb::Read,
        Verb::Write,
        Verb::ChangeTableKey,
        Verb::DisableKey,
        Verb::EnableKey,
        Verb::ScheduleKeyDeletion,
        Verb::CancelKeyDeletion,
        Verb::RotateKey,
        Verb::Revoke,
        Verb::Allow,
        Verb::Wait,
        Verb::DeleteImportedMaterial,
        Verb::ImportKeyMaterial,
        Verb::RevokeGrant,
        Verb::CreateGrant,
        Verb::Backup,
        Verb::Restore,
    ];

    /// The name a scenario file uses.
    pub const fn name(self) -> &'static str {
        match self {
            Verb::Read => "read",
            Verb::Write => "write",
            Verb::ChangeTableKey => "change-table-key",
            Verb::DisableKey => "disable-key",
            Verb::EnableKey => "enable-key",
            Verb::ScheduleKeyDeletion => "schedule-key-deletion",
            Verb::CancelKeyDeletion => "cancel-key-deletion",
            Verb::RotateKey => "rotate-key",
            Verb::Revoke => "revoke",
            Verb::Allow => "allow",
            Verb::Wait => "wait",
            Verb::DeleteImportedMaterial => "delete-imported-material",
            Verb::ImportKeyMaterial => "import-key-material",
            Verb::RevokeGrant => "revoke-grant",
            Verb::CreateGrant => "create-grant",
            Verb::Backup => "backup",
            Verb::Restore => "restore",
        }
    }

    /// The verb with this name, if any (no fallback: an unknown name is an error upstream).
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.name() == name)
    }

    /// Read and write act as a principal; revoke and allow name one.
    pub const fn needs_principal(self) -> bool {
        matches!(self, Verb::Read | Verb::Write | Verb::Revoke | Verb::Allow)
    }

    /// Every key action and the key change name a KMS key.
    pub const fn needs_key(self) -> bool {
        !matches!(
            self,
            Verb::Read
                | Verb::Write
                | Verb::Wait
                | Verb::RevokeGrant
                | Verb::CreateGrant
                | Verb::Backup
                | Verb::Restore
        )
    }

    pub const fn takes_connection(self) -> bool {
        matches!(self, Verb::Read | Verb::Write)
    }

    /// `key` is optional on a restore (default: the backup's KMS key).
    pub const fn key_optional(self) -> bool {
        matches!(self, Verb::Restore)
    }

    /// `backup` names the backup a backup makes or a restore reads.
    pub const fn takes_backup(self) -> bool {
        matches!(self, Verb::Backup | Verb::Restore)
    }

    /// `region` chooses the copy of a global table a read, write or backup goes to.
    pub const fn takes_region(self) -> bool {
        matches!(
            self,
            Verb::Read | Verb::Write | Verb::Backup | Verb::ChangeTableKey
        )
    }

    pub const fn takes_days(self) -> bool {
        matches!(self, Verb::ScheduleKeyDeletion)
    }

    /// `expires` (how long re-imported material stays valid) belongs to an import.
    pub const fn takes_expires(self) -> bool {
        matches!(self, Verb::ImportKeyMaterial)
    }

    /// Only a key change may name the AWS owned key: no user can manage that key (aws-behaviour.md #53).
    pub const fn may_name_aws_owned(self) -> bool {
        matches!(self, Verb::ChangeTableKey)
    }
}

impl fmt::Display for Verb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The service principal that makes DynamoDB's own KMS calls through its grants.
pub const DYNAMODB_SERVICE: &str = "dynamodb.amazonaws.com";

/// Who a KMS call ran as.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "type", content = "name")]
pub enum Caller {
    /// An IAM principal's request, which DynamoDB forwards to KMS on its behalf (aws-behaviour.md #20).
    Principal(PrincipalId),
    /// DynamoDB itself, through the grant it holds on the key (aws-behaviour.md #73, 76).
    Service,
    /// The account administrator calling KMS directly (DisableKey, ScheduleKeyDeletion, ...).
    Admin,
}

impl std::fmt::Display for Caller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Caller::Principal(p) => write!(f, "{p}"),
            Caller::Service => f.write_str(DYNAMODB_SERVICE),
            Caller::Admin => f.write_str("admin"),
        }
    }
}

/// A KMS API operation, as CloudTrail names it (`eventName`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum KmsOp {
    Decrypt,
    GenerateDataKey,
    CreateGrant,
    DescribeKey,
    DisableKey,
    EnableKey,
    ScheduleKeyDeletion,
    CancelKeyDeletion,
    RotateKeyOnDemand,
    DeleteImportedKeyMaterial,
    ImportKeyMaterial,
    RevokeGrant,
}

impl KmsOp {
    pub const fn name(self) -> &'static str {
        match self {
            KmsOp::Decrypt => "Decrypt",
            KmsOp::GenerateDataKey => "GenerateDataKey",
            KmsOp::CreateGrant => "CreateGrant",
            KmsOp::DescribeKey => "DescribeKey",
            KmsOp::DisableKey => "DisableKey",
            KmsOp::EnableKey => "EnableKey",
            KmsOp::ScheduleKeyDeletion => "ScheduleKeyDeletion",
            KmsOp::CancelKeyDeletion => "CancelKeyDeletion",
            KmsOp::RotateKeyOnDemand => "RotateKeyOnDemand",
            KmsOp::DeleteImportedKeyMaterial => "DeleteImportedKeyMaterial",
            KmsOp::ImportKeyMaterial => "ImportKeyMaterial",
            KmsOp::RevokeGrant => "RevokeGrant",
        }
    }

    /// Calls the administrator makes directly (console or CLI); DynamoDB makes the others.
    pub const fn is_direct_admin(self) -> bool {
        matches!(
            self,
            KmsOp::DisableKey
                | KmsOp::EnableKey
                | KmsOp::ScheduleKeyDeletion
                | KmsOp::CancelKeyDeletion
                | KmsOp::RotateKeyOnDemand
                | KmsOp::DeleteImportedKeyMaterial
                | KmsOp::ImportKeyMaterial
                | KmsOp::RevokeGrant
        )
    }

    /// Calls that carry the table's encryption context (aws-behaviour.md #75).
    pub const fn carries_context(self) -> bool {
        matches!(
            self,
            KmsOp::Decrypt | KmsOp::GenerateDataKey | KmsOp::CreateGrant
        )
    }
}

impl fmt::Display for KmsOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for KmsOp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// Why a KMS call was made: one name per reason, so behaviour never matches on words. The
/// text is what the log and the JSON `purpose` field say.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Purpose {
    /// CreateTable: DescribeKey and CreateGrant on the table's key.
    TableCreation,
    /// CreateTable: GenerateDataKey of the first table key.
    FirstTableKey,
    /// A call the administrator makes (DisableKey, RevokeGrant, ...).
    AdminAction,
    /// RevokeGrant / CreateGrant of DynamoDB's grant for a table.
    AdminGrant,
    /// UpdateTable: DescribeKey of the new key.
    ValidateNewKey,
    /// UpdateTable: DynamoDB's grant on the new key.
    GrantOnNewKey,
    /// UpdateTable: GenerateDataKey of the new table key.
    NewTableKey,
    /// The re-wrap job fetches the old table key.
    RewrapUnwrap,
    /// The re-wrap job fetches the new table key.
    RewrapWrap,
    /// A read or write fetches the table key (cache miss or refresh).
    RequestTableKey,
    /// RestoreTableFromBackup decrypts the backup's table key.
    RestoreFromBackup,
    /// RestoreTableFromBackup: DynamoDB's grant for the restored table.
    RestoredTableGrant,
    /// RestoreTableFromBackup: the restored table's new table key.
    RestoredTableKey,
    /// DynamoDB's background check of a table's key (the simulator's model).
    BackgroundCheck,
    /// DynamoDB's last try at the archive deadline (the simulator's model).
    ArchiveCheck,
    /// DynamoDB's last try before it drops a replica from its replication group.
    RemovalCheck,
    /// A write replicated to another copy of a global table.
    Replication,
}

impl Purpose {
    /// The words the log and the JSON `purpose` field use.
    pub const fn text(self) -> &'static str {
        match self {
            Purpose::TableCreation => "table creation",
            Purpose::FirstTableKey => "new table key T1",
            Purpose::AdminAction => "admin action",
            Purpose::AdminGrant => "admin action: DynamoDB's grant for the table",
            Purpose::ValidateNewKey => "UpdateTable validates the new key",
            Purpose::GrantOnNewKey => "grant for the table on the new key",
            Purpose::NewTableKey => "new table key",
            Purpose::RewrapUnwrap => "re-wrap: unwrap DEKs with the old table key",
            Purpose::RewrapWrap => "re-wrap: wrap DEKs with the new table key",
            Purpose::RequestTableKey => "table key for a request (cache miss or refresh)",
            Purpose::RestoreFromBackup => "restore from a backup",
            Purpose::RestoredTableGrant => "grant for the restored table",
            Purpose::RestoredTableKey => "table key of the restored table",
            Purpose::BackgroundCheck => "background check",
            Purpose::ArchiveCheck => "archive deadline check",
            Purpose::RemovalCheck => "replica removal check",
            Purpose::Replication => "replicated write",
        }
    }

    /// The simulator's model of how DynamoDB notices a key change, not a documented
    /// CloudTrail event (marked so in the log).
    pub const fn is_simulator_check(self) -> bool {
        matches!(self, Purpose::BackgroundCheck | Purpose::ArchiveCheck)
    }
}

impl fmt::Display for Purpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text())
    }
}

impl Serialize for Purpose {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.text())
    }
}

/// The error a caller sees (`error` in a scenario's `expect`): DynamoDB's own errors, or the
/// KMS error of a key action.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ErrorCode {
    /// DynamoDB could not use the table key: KMS refused (aws-behaviour.md #50). Also KMS's own
    /// AccessDeniedException for an admin call: the two share the name.
    AccessDenied,
    TableArchived,
    LimitExceeded,
    Validation,
    /// A stored ciphertext failed its integrity check (never in a healthy world).
    InternalServerError,
    /// A KMS error returned to a key action (`disable-key` on a key pending deletion, ...).
    Kms(KmsErrorCode),
    /// Version 2: a restore names a backup that does not exist (or an archival backup of a
    /// table that is not archived).
    BackupNotFound,
    /// Version 2: a restore's `to` names a table that exists.
    TableAlreadyExists,
    /// Version 2: a step names a table that does not exist (a restore that failed).
    TableNotFound,
}

impl ErrorCode {
    /// The errors a scenario may expect, in the order the format page lists them.
    pub const EXPECTABLE: [ErrorCode; 11] = [
        ErrorCode::AccessDenied,
        ErrorCode::TableArchived,
        ErrorCode::LimitExceeded,
        ErrorCode::Validation,
        ErrorCode::Kms(KmsErrorCode::DisabledException),
        ErrorCode::Kms(KmsErrorCode::KmsInvalidStateException),
        ErrorCode::Kms(KmsErrorCode::NotFoundException),
        ErrorCode::Kms(KmsErrorCode::UnsupportedOperationException),
        ErrorCode::BackupNotFound,
        ErrorCode::TableAlreadyExists,
        ErrorCode::TableNotFound,
    ];

    pub const fn name(self) -> &'static str {
        match self {
            ErrorCode::AccessDenied => "AccessDeniedException",
            ErrorCode::TableArchived => "TableArchived",
            ErrorCode::LimitExceeded => "LimitExceededException",
            ErrorCode::Validation => "ValidationException",
            ErrorCode::InternalServerError => "InternalServerError",
            ErrorCode::Kms(k) => k.as_str(),
            ErrorCode::BackupNotFound => "BackupNotFoundException",
            ErrorCode::TableAlreadyExists => "TableAlreadyExistsException",
            ErrorCode::TableNotFound => "TableNotFoundException",
        }
    }

    /// The code a KMS error surfaces as (KMS's AccessDeniedException reads as DynamoDB's).
    pub const fn from_kms(k: KmsErrorCode) -> Self {
        match k {
            KmsErrorCode::AccessDeniedException => ErrorCode::AccessDenied,
            KmsErrorCode::LimitExceededException => ErrorCode::LimitExceeded,
            other => ErrorCode::Kms(other),
        }
    }

    /// The KMS error behind this code, when it is one.
    pub const fn kms(self) -> Option<KmsErrorCode> {
        match self {
            ErrorCode::Kms(k) => Some(k),
            _ => None,
        }
    }

    /// An expectable code by name.
    pub fn parse_expectable(name: &str) -> Option<Self> {
        Self::EXPECTABLE.into_iter().find(|c| c.name() == name)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_parses_back_to_its_value() {
        for v in Verb::ALL {
            assert_eq!(Verb::parse(v.name()), Some(v));
        }
        assert_eq!(Verb::parse("destroy-key"), None, "no fallback");
        for c in ErrorCode::EXPECTABLE {
            assert_eq!(ErrorCode::parse_expectable(c.name()), Some(c));
        }
    }
}
