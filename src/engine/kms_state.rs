//! KMS key states and errors (aws-behaviour.md #54-63): who manages a key, the state it is in, the
//! error each state gives, and what PendingDeletion answers.

use std::fmt;

use serde::Serialize;

use super::time::SimTime;

/// Who owns and manages a key (aws-behaviour.md #2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeyKind {
    /// Yours: policy, enable/disable, rotation, deletion.
    CustomerManaged,
    /// `aws/dynamodb`: in your account, but AWS manages it; it cannot be disabled or deleted.
    AwsManaged,
    /// In a DynamoDB service account; invisible to you; its calls are not in your CloudTrail.
    AwsOwned,
}

impl KeyKind {
    pub fn label(self) -> &'static str {
        match self {
            KeyKind::CustomerManaged => "customer managed",
            KeyKind::AwsManaged => "AWS managed",
            KeyKind::AwsOwned => "AWS owned",
        }
    }
}

/// `KeyMetadata.KeyState`, plus `Deleted` for a key that no longer exists (there is no such
/// KeyState in AWS: a deleted key is simply gone, aws-behaviour.md #54).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "state")]
pub enum KeyState {
    Enabled,
    Disabled,
    PendingDeletion {
        deletion_at: SimTime,
    },
    Deleted {
        at: SimTime,
    },
    /// Imported key material expired or was deleted (aws-behaviour.md #98, 99): the key exists, its
    /// material does not (here); only re-importing the same material brings it back.
    PendingImport,
}

impl KeyState {
    /// The scenario-format name: `enabled`, `disabled`, `pending-deletion`, `deleted`.
    pub fn name(self) -> &'static str {
        self.kind().name()
    }

    /// The state without its dates, as a scenario's `keys` expectation names it.
    pub fn kind(self) -> KeyStateKind {
        match self {
            KeyState::Enabled => KeyStateKind::Enabled,
            KeyState::Disabled => KeyStateKind::Disabled,
            KeyState::PendingDeletion { .. } => KeyStateKind::PendingDeletion,
            KeyState::Deleted { .. } => KeyStateKind::Deleted,
            KeyState::PendingImport => KeyStateKind::PendingImport,
        }
    }
}

/// A key state without its dates: what a scenario's `keys` expectation compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum KeyStateKind {
    Enabled,
    Disabled,
    PendingDeletion,
    Deleted,
    PendingImport,
}

impl KeyStateKind {
    pub const ALL: [KeyStateKind; 5] = [
        KeyStateKind::Enabled,
        KeyStateKind::Disabled,
        KeyStateKind::PendingDeletion,
        KeyStateKind::Deleted,
        KeyStateKind::PendingImport,
    ];

    pub const fn name(self) -> &'static str {
        match self {
            KeyStateKind::Enabled => "enabled",
            KeyStateKind::Disabled => "disabled",
            KeyStateKind::PendingDeletion => "pending-deletion",
            KeyStateKind::Deleted => "deleted",
            KeyStateKind::PendingImport => "pending-import",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }
}

impl fmt::Display for KeyState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyState::Enabled => f.write_str("Enabled"),
            KeyState::Disabled => f.write_str("Disabled"),
            KeyState::PendingDeletion { deletion_at } => {
                write!(f, "PendingDeletion (deletes at {deletion_at})")
            }
            KeyState::Deleted { .. } => f.write_str("deleted (gone)"),
            KeyState::PendingImport => f.write_str("PendingImport (no key material)"),
        }
    }
}

/// The KMS error codes the simulator produces (aws-behaviour.md #60-63).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum KmsErrorCode {
    DisabledException,
    #[serde(rename = "KMSInvalidStateException")]
    KmsInvalidStateException,
    NotFoundException,
    AccessDeniedException,
    InvalidCiphertextException,
    /// Decrypt named (or the ciphertext belongs to) another KMS key (aws-behaviour.md #63).
    IncorrectKeyException,
    LimitExceededException,
    /// An operation the key's kind or origin does not support (rotating imported material).
    UnsupportedOperationException,
}

impl KmsErrorCode {
    pub const fn as_str(self) -> &'static str {
        match self {
            KmsErrorCode::DisabledException => "DisabledException",
            KmsErrorCode::KmsInvalidStateException => "KMSInvalidStateException",
            KmsErrorCode::NotFoundException => "NotFoundException",
            KmsErrorCode::AccessDeniedException => "AccessDeniedException",
            KmsErrorCode::InvalidCiphertextException => "InvalidCiphertextException",
            KmsErrorCode::IncorrectKeyException => "IncorrectKeyException",
            KmsErrorCode::LimitExceededException => "LimitExceededException",
            KmsErrorCode::UnsupportedOperationException => "UnsupportedOperationException",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "DisabledException" => KmsErrorCode::DisabledException,
            "KMSInvalidStateException" => KmsErrorCode::KmsInvalidStateException,
            "NotFoundException" => KmsErrorCode::NotFoundException,
            "AccessDeniedException" => KmsErrorCode::AccessDeniedException,
            "InvalidCiphertextException" => KmsErrorCode::InvalidCiphertextException,
            "IncorrectKeyException" => KmsErrorCode::IncorrectKeyException,
            "LimitExceededException" => KmsErrorCode::LimitExceededException,
            "UnsupportedOperationException" => KmsErrorCode::UnsupportedOperationException,
            _ => return None,
        })
    }

    /// True when the failure comes from the key itself (its state or existence), not from one
    /// principal's missing permission: such a failure makes DynamoDB mark the table inaccessible.
    pub const fn is_key_failure(self) -> bool {
        matches!(
            self,
            KmsErrorCode::DisabledException
                | KmsErrorCode::KmsInvalidStateException
                | KmsErrorCode::NotFoundException
        )
    }
}

impl fmt::Display for KmsErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A refused KMS call: the code and the message KMS would return.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KmsError {
    pub code: KmsErrorCode,
    pub message: String,
}

/// What `PendingDeletion` answers to cryptographic calls; the docs list both (aws-behaviour.md #60).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum PendingDeletionError {
    DisabledException,
    #[serde(rename = "KMSInvalidStateException")]
    KmsInvalidStateException,
}
