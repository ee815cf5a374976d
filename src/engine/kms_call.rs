//! The builder for a KMS call the engine logs (vocabulary: no engine state; audit.rs logs it).

use super::event::Caller;
use super::ids::KmsKeyId;
use super::kms::KmsErrorCode;
use super::table::TableIx;
use super::vocab::{KmsOp, Purpose};

/// A KMS call to log: the operation, the key, who called and why, and optionally the table it
/// was made for, the material version used and the error KMS returned.
#[derive(Clone, Debug)]
pub(super) struct KmsCallSpec {
    pub(super) table: Option<TableIx>,
    pub(super) event_name: KmsOp,
    pub(super) key: KmsKeyId,
    pub(super) user: Caller,
    pub(super) material_version: Option<u32>,
    pub(super) error_code: Option<KmsErrorCode>,
    pub(super) purpose: Purpose,
}

impl KmsCallSpec {
    /// `op` on `key` by `user`, for `purpose`; it succeeded unless `failed` says otherwise.
    pub(super) fn new(op: KmsOp, key: &KmsKeyId, user: Caller, purpose: Purpose) -> Self {
        Self {
            table: None,
            event_name: op,
            key: key.clone(),
            user,
            material_version: None,
            error_code: None,
            purpose,
        }
    }

    /// Made for table `tx` (its encryption context rides on cryptographic calls).
    pub(super) fn table(mut self, tx: impl Into<Option<TableIx>>) -> Self {
        self.table = tx.into();
        self
    }

    /// The material version the call used.
    pub(super) fn version(mut self, v: impl Into<Option<u32>>) -> Self {
        self.material_version = v.into();
        self
    }

    /// The error KMS returned, if it failed.
    pub(super) fn failed(mut self, code: impl Into<Option<KmsErrorCode>>) -> Self {
        self.error_code = code.into();
        self
    }
}
