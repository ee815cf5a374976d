//! The re-wrap job of a key change (aws-behaviour.md #26-28): which table keys it moves DEKs
//! between, how far it got, DynamoDB's own copies of the two table keys, and why it stalled.

use std::fmt;

use super::ids::{KmsKeyId, TableKeyId};
use super::kms::KmsErrorCode;
use super::time::SimTime;
use serde::Serialize;

/// A plaintext table key DynamoDB holds for the re-wrap job, refreshed like any cache entry.
#[derive(Clone)]
pub struct ServiceKey {
    pub(in crate::engine) table_key: TableKeyId,
    /// The AES-GCM instance for the table key, built once per fetch (its round keys are
    /// zeroized on drop; the plaintext bytes themselves are not kept). Engine-only.
    /// `None` only in a step-back snapshot, which keeps no key material.
    pub(in crate::engine) cipher: Option<aes_gcm::Aes256Gcm>,
    /// The same table key for the re-wrap's batch core (`crypto_batch`); job keys only.
    pub(in crate::engine) batch: Option<super::crypto_batch::BatchKey>,
    pub(in crate::engine) fetched_at: SimTime,
}

impl fmt::Debug for ServiceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ServiceKey({}, fetched {})",
            self.table_key, self.fetched_at
        )
    }
}

/// Why the re-wrap job is waiting.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Stall {
    pub(in crate::engine) since: SimTime,
    pub(in crate::engine) key: KmsKeyId,
    pub(in crate::engine) kms_error: KmsErrorCode,
}

/// The asynchronous work after UpdateTable: unwrap every DEK with the old table key and wrap
/// it under the new one (aws-behaviour.md #26-28).
#[derive(Clone, Debug)]
pub struct RewrapJob {
    pub(in crate::engine) from: TableKeyId,
    pub(in crate::engine) to: TableKeyId,
    pub(in crate::engine) old_kms: KmsKeyId,
    pub(in crate::engine) new_kms: KmsKeyId,
    pub(in crate::engine) started_at: SimTime,
    pub(in crate::engine) done: u32,
    pub(in crate::engine) total: u32,
    pub(in crate::engine) old_plain: Option<ServiceKey>,
    pub(in crate::engine) new_plain: Option<ServiceKey>,
    pub(in crate::engine) stalled: Option<Stall>,
    /// When the next DEK will be re-wrapped (None while stalled).
    pub(in crate::engine) next_at: Option<SimTime>,
    /// A key the job needs was deleted: it can never finish (undocumented territory).
    pub(in crate::engine) cannot_finish: Option<KmsKeyId>,
    /// DEKs already written to the log (large re-wraps log ranges).
    pub(in crate::engine) logged: u32,
}

/// Read access from outside the engine (the fields stay the engine's).
impl RewrapJob {
    /// When the key change was accepted.
    pub fn started_at(&self) -> SimTime {
        self.started_at
    }

    pub fn cannot_finish(&self) -> Option<&KmsKeyId> {
        self.cannot_finish.as_ref()
    }

    pub fn done(&self) -> u32 {
        self.done
    }

    pub fn from(&self) -> TableKeyId {
        self.from
    }

    pub fn new_kms(&self) -> &KmsKeyId {
        &self.new_kms
    }

    pub fn new_plain(&self) -> Option<&ServiceKey> {
        self.new_plain.as_ref()
    }

    pub fn next_at(&self) -> Option<SimTime> {
        self.next_at
    }

    pub fn old_plain(&self) -> Option<&ServiceKey> {
        self.old_plain.as_ref()
    }

    pub fn stalled(&self) -> Option<&Stall> {
        self.stalled.as_ref()
    }

    pub fn to(&self) -> TableKeyId {
        self.to
    }

    pub fn total(&self) -> u32 {
        self.total
    }
}

/// Read access from outside the engine (the fields stay the engine's).
impl Stall {
    pub fn key(&self) -> &KmsKeyId {
        &self.key
    }

    pub fn kms_error(&self) -> KmsErrorCode {
        self.kms_error
    }

    pub fn since(&self) -> SimTime {
        self.since
    }
}

/// Read access from outside the engine (the fields stay the engine's).
impl ServiceKey {
    pub fn fetched_at(&self) -> SimTime {
        self.fetched_at
    }

    pub fn table_key(&self) -> TableKeyId {
        self.table_key
    }
}
