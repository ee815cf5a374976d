//! Which DEKs sit under which table key, where a re-wrap stands, and what each table key is
//! now (one rule for the tree, the diagram and the status panel).

use crate::engine::Engine;
use crate::engine::ids::{KmsKeyId, TableKeyId};
use crate::engine::kms::{KmsErrorCode, KmsKey};
use crate::engine::table::TableIx;
use crate::engine::time::SimTime;

/// Where a table's re-wrap stands, as the panels draw it: the rule of which DEKs sit under
/// which table key, the DEK in flight and how far along it is, computed here once.
#[derive(Clone, Debug, PartialEq)]
pub struct RewrapView {
    /// The table key the DEKs leave, and the one they land under.
    pub from: TableKeyId,
    pub to: TableKeyId,
    pub done: u32,
    pub total: u32,
    /// The DEK that landed last under `to`.
    pub landed: Option<u32>,
    /// The DEK being re-wrapped now (the job runs: not stalled, its next step scheduled).
    pub in_flight: Option<u32>,
    /// How far along the DEK in flight is, from 0 to 1.
    pub progress: Option<f64>,
}

impl RewrapView {
    /// The DEKs under table key `tk`, as `[lo, hi)` of the table's DEK indices: the first
    /// `done` have moved to `to`, the rest are still under `from`.
    pub fn deks_under(&self, tk: TableKeyId) -> Option<(u32, u32)> {
        if tk == self.from {
            Some((self.done, self.total))
        } else if tk == self.to {
            (self.done > 0).then_some((0, self.done))
        } else {
            None
        }
    }
}

/// What one table key of a table is now, by the one rule the tree, the diagram and the
/// status panel draw: retired (nothing needs it), lost (its KMS key is deleted while DEKs
/// still need it), the new key of a re-wrap, the key a re-wrap leaves, current, or older.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TableKeyRole {
    /// A key change finished: no DEK is under it any more.
    Retired { at: SimTime },
    /// Its KMS key is deleted and DEKs are still wrapped under it: they cannot be unwrapped.
    Lost,
    /// The table key a re-wrap moves DEKs to, with how far it has got and, when it stopped,
    /// on which KMS key and with which error.
    RewrapTarget {
        done: u32,
        total: u32,
        stalled: Option<(KmsKeyId, KmsErrorCode)>,
    },
    /// The table key a re-wrap moves DEKs away from: current until the re-wrap ends.
    RewrapSource,
    /// The table's current table key.
    Current,
    /// None of the above (an older key that never finished a change).
    Other,
}

impl Engine {
    /// Table `tx`'s re-wrap, if one is under way.
    pub fn rewrap_view(&self, tx: TableIx) -> Option<RewrapView> {
        let j = self.dynamo.tables[tx.0].job.as_ref()?;
        let in_flight =
            (j.done < j.total && j.stalled.is_none() && j.next_at.is_some()).then_some(j.done);
        let per = self.assumptions.rewrap_per_dek.as_millis().max(1);
        let progress = j.next_at.filter(|_| in_flight.is_some()).map(|next| {
            let left = next.since(self.now).as_millis().min(per);
            1.0 - left as f64 / per as f64
        });
        Some(RewrapView {
            from: j.from,
            to: j.to,
            done: j.done,
            total: j.total,
            // A stalled job has landed nothing lately: "just landed" would linger.
            landed: j.done.checked_sub(1).filter(|_| j.stalled.is_none()),
            in_flight,
            progress,
        })
    }

    /// What table key `tk` of table `tx` is now (see [`TableKeyRole`]).
    pub fn table_key_role(&self, tx: TableIx, tk: TableKeyId) -> TableKeyRole {
        let t = &self.dynamo.tables[tx.0];
        let Some(k) = t.table_keys.iter().find(|k| k.id == tk) else {
            return TableKeyRole::Other;
        };
        let kms_deleted = self
            .kms
            .keys
            .iter()
            .find(|key| key.id == k.kms_key)
            .is_some_and(KmsKey::is_deleted);
        let job = t.job.as_ref();
        if let Some(at) = k.retired_at {
            TableKeyRole::Retired { at }
        } else if kms_deleted {
            TableKeyRole::Lost
        } else if let Some(j) = job.filter(|j| j.to == tk) {
            TableKeyRole::RewrapTarget {
                done: j.done,
                total: j.total,
                stalled: j.stalled.as_ref().map(|s| (s.key().clone(), s.kms_error())),
            }
        } else if job.is_some_and(|j| j.from == tk) {
            TableKeyRole::RewrapSource
        } else if t.current == tk {
            TableKeyRole::Current
        } else {
            TableKeyRole::Other
        }
    }

    /// The DEKs under table key `tk` of table `tx`, as `[lo, hi)` (`None`: none are).
    pub fn deks_under(&self, tx: TableIx, tk: TableKeyId) -> Option<(u32, u32)> {
        let t = &self.dynamo.tables[tx.0];
        match self.rewrap_view(tx) {
            Some(r) if tk == r.from || tk == r.to => r.deks_under(tk),
            _ => (t.current == tk).then_some((0, t.deks.len() as u32)),
        }
    }
}
