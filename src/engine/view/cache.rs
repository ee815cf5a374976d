//! What each connection's table-key cache holds and what its next request will do.

use crate::engine::Engine;
use crate::engine::event::Caller;
use crate::engine::ids::{ConnectionId, KmsKeyId, PrincipalId, TableKeyId};
use crate::engine::kms::KmsError;
use crate::engine::kms::KmsErrorCode;
use crate::engine::table::TableIx;
use crate::engine::time::{SimDuration, SimTime};

/// What the next read or write on a connection will do, if it came now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NextRequest {
    /// The table is ARCHIVING or ARCHIVED: `TableArchived`, no KMS call.
    TableArchived,
    /// The cached plaintext of the current table key serves it: no KMS call until `until`.
    FromCache {
        table_key: TableKeyId,
        until: SimTime,
    },
    /// KMS Decrypt of the current table key as the principal (nothing cached, the entry ran
    /// out, or it holds a table key a key change replaced), with the answer KMS gives now.
    Fetches {
        table_key: TableKeyId,
        kms_key: KmsKeyId,
        outcome: Result<(), KmsErrorCode>,
    },
}

impl NextRequest {
    /// Would the request succeed?
    pub fn succeeds(&self) -> bool {
        match self {
            NextRequest::TableArchived => false,
            NextRequest::FromCache { .. } => true,
            NextRequest::Fetches { outcome, .. } => outcome.is_ok(),
        }
    }
}

/// One connection's table-key cache, as a panel shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CacheRow {
    pub principal: PrincipalId,
    pub connection: ConnectionId,
    /// The table key it holds and when that copy must be re-fetched, if it holds one.
    pub held: Option<(TableKeyId, SimTime)>,
    /// Time before the held copy runs out (zero if none).
    pub time_left: SimDuration,
    /// Time since the entry last served a request.
    pub idle: Option<SimDuration>,
    /// What the next request does now.
    pub next: NextRequest,
    /// What the first request after the held copy runs out will do (`None` if nothing held):
    /// `Err` when the KMS key would refuse it then, as things stand.
    pub after_expiry: Option<Result<(), KmsErrorCode>>,
    pub kms_calls: u32,
    pub requests: u32,
    pub failures: u32,
}

impl Engine {
    /// What the next request on table `tx` by `p` on connection `c` would do now.
    pub fn next_request(
        &self,
        tx: TableIx,
        p: &PrincipalId,
        c: ConnectionId,
    ) -> Option<NextRequest> {
        let t = self.dynamo.tables.get(tx.0)?;
        let entry = &t.cache[self.entry_ix(tx, p, c)?];
        if self.dynamo.tables[tx.0].is_archived_or_archiving() {
            return Some(NextRequest::TableArchived);
        }
        let tk = self.dynamo.tables[tx.0].current;
        Some(match &entry.held {
            Some(h) if h.table_key == tk => NextRequest::FromCache {
                table_key: tk,
                until: h.expires_at,
            },
            _ => NextRequest::Fetches {
                table_key: tk,
                kms_key: self.dynamo.tables[tx.0].current_kms_key().clone(),
                outcome: self.fetch_verdict(tx, p, tk).map_err(|e| e.code),
            },
        })
    }

    /// Every connection's cache of table `tx`, in declaration order.
    pub fn cache_rows(&self, tx: TableIx) -> impl Iterator<Item = CacheRow> + '_ {
        self.dynamo.tables[tx.0].cache.iter().map(move |e| {
            let next = self
                .next_request(tx, &e.principal, e.connection)
                .unwrap_or(NextRequest::TableArchived);
            let held = e.held.as_ref().map(|h| (h.table_key, h.expires_at));
            CacheRow {
                principal: e.principal.clone(),
                connection: e.connection,
                held,
                time_left: held.map_or(SimDuration::ZERO, |(_, at)| at.since(self.now)),
                idle: e.last_used_at.map(|t| self.now.since(t)),
                after_expiry: held.map(|_| {
                    self.fetch_verdict(tx, &e.principal, self.dynamo.tables[tx.0].current)
                        .map_err(|err| err.code)
                }),
                next,
                kms_calls: e.kms_calls,
                requests: e.requests,
                failures: e.failures,
            }
        })
    }

    /// Would KMS decrypt the table key `tk` for principal `p` right now? The same check a
    /// request's fetch makes (state, as it has spread, and the key policy).
    pub(in crate::engine) fn fetch_verdict(
        &self,
        tx: TableIx,
        p: &PrincipalId,
        tk: TableKeyId,
    ) -> Result<(), KmsError> {
        let kms_id = &self.dynamo.tables[tx.0].table_key(tk).kms_key;
        match self.key(kms_id) {
            Some(k) => k.check_crypto(
                &Caller::Principal(p.clone()),
                self.assumptions.pending_deletion_error,
            ),
            None => Err(KmsError {
                code: KmsErrorCode::NotFoundException,
                message: format!("{kms_id} not found"),
            }),
        }
    }
}
