//! The per-connection table-key cache (aws-behaviour.md #15-21): what each connection holds,
//! when it must go back to KMS, and what its last fetch answered.

use std::fmt;

use serde::Serialize;

use super::crypto::KeyBytes;
use super::ids::{ConnectionId, PrincipalId, TableKeyId};
use super::kms::KmsErrorCode;
use super::time::SimTime;

/// A plaintext table key cached for one connection.
#[derive(Clone)]
pub struct HeldKey {
    pub(in crate::engine) table_key: TableKeyId,
    /// Plaintext: reachable only inside the engine; `None` only in a step-back snapshot.
    pub(in crate::engine) bytes: Option<KeyBytes>,
    pub(in crate::engine) fetched_at: SimTime,
    pub(in crate::engine) expires_at: SimTime,
}

impl fmt::Debug for HeldKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "HeldKey({}, fetched {}, expires {})",
            self.table_key, self.fetched_at, self.expires_at
        )
    }
}

/// What the last KMS fetch of a cache entry did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LastFetch {
    Ok {
        at: SimTime,
        table_key: TableKeyId,
    },
    Failed {
        at: SimTime,
        kms_error: KmsErrorCode,
    },
}

/// One (principal, connection) cache slot (aws-behaviour.md #16).
#[derive(Clone, Debug)]
pub struct CacheEntry {
    pub(in crate::engine) principal: PrincipalId,
    pub(in crate::engine) connection: ConnectionId,
    pub(in crate::engine) held: Option<HeldKey>,
    pub(in crate::engine) last_used_at: Option<SimTime>,
    pub(in crate::engine) last_fetch: Option<LastFetch>,
    /// Which table key the entry held last, kept after expiry for display.
    pub(in crate::engine) last_table_key: Option<TableKeyId>,
    pub(in crate::engine) kms_calls: u32,
    pub(in crate::engine) requests: u32,
    pub(in crate::engine) failures: u32,
    pub(in crate::engine) generation: u64,
}

impl CacheEntry {
    pub fn new(principal: PrincipalId, connection: ConnectionId) -> Self {
        Self {
            principal,
            connection,
            held: None,
            last_used_at: None,
            last_fetch: None,
            last_table_key: None,
            kms_calls: 0,
            requests: 0,
            failures: 0,
            generation: 0,
        }
    }

    /// True while this entry holds plaintext key bytes.
    pub fn holds_plaintext(&self) -> bool {
        self.held.is_some()
    }

    /// A label such as `app#1`.
    pub fn label(&self) -> String {
        format!("{}#{}", self.principal, self.connection)
    }
}

/// Read access from outside the engine (the fields stay the engine's).
impl CacheEntry {
    pub fn connection(&self) -> ConnectionId {
        self.connection
    }

    pub fn principal(&self) -> &PrincipalId {
        &self.principal
    }

    pub fn held(&self) -> Option<&HeldKey> {
        self.held.as_ref()
    }

    pub fn kms_calls(&self) -> u32 {
        self.kms_calls
    }

    pub fn last_fetch(&self) -> Option<&LastFetch> {
        self.last_fetch.as_ref()
    }
}

/// Read access from outside the engine (the fields stay the engine's).
impl HeldKey {
    pub fn expires_at(&self) -> SimTime {
        self.expires_at
    }

    pub fn table_key(&self) -> TableKeyId {
        self.table_key
    }

    pub fn fetched_at(&self) -> SimTime {
        self.fetched_at
    }
}
