//! What is due on the way to a goal (playback paces by it) and the KMS call totals.

use crate::engine::Engine;
use crate::engine::ids::KmsKeyId;
use crate::engine::time::{SimDuration, SimTime};
use crate::engine::vocab::KmsOp;

impl Engine {
    /// KMS calls in your CloudTrail so far, by operation and key: (calls, failed).
    pub fn kms_call_totals(&self) -> &std::collections::BTreeMap<(KmsOp, KmsKeyId), (u32, u32)> {
        &self.trail.kms_totals
    }

    // ----- pacing: what the live view needs to show a stretch of time at a watchable rate --

    /// Roughly how many separate moments something is scheduled to happen strictly before
    /// `t`: queued work plus the re-wrap DEKs still due by then (the job queues one at a time).
    /// An estimate for pacing only: stale queue entries count too, and new work may be queued.
    pub fn pending_before(&self, t: SimTime) -> usize {
        let queued = self
            .agenda
            .queue
            .iter()
            .filter(|std::cmp::Reverse(e)| e.at < t)
            .count();
        let per = self.assumptions.rewrap_per_dek;
        let rewraps: usize = self
            .dynamo
            .tables
            .iter()
            .filter_map(|table| table.job.as_ref())
            .filter_map(|job| Some((job, job.next_at?)))
            .filter(|(_, next)| *next < t && per > SimDuration::ZERO)
            .map(|(job, next)| {
                let left = u64::from(job.total.saturating_sub(job.done));
                let fit = t.since(next).0 / per.0;
                // The queued one is counted above.
                left.min(fit) as usize
            })
            .sum();
        queued + rewraps
    }

    /// When the re-wrap jobs now running will have re-wrapped their last DEK, if nothing stalls
    /// them.
    pub fn rewrap_due_until(&self) -> Option<SimTime> {
        let per = self.assumptions.rewrap_per_dek;
        self.dynamo
            .tables
            .iter()
            .filter_map(|table| table.job.as_ref())
            .filter_map(|job| {
                let left = u64::from(job.total.saturating_sub(job.done).saturating_sub(1));
                Some(job.next_at? + SimDuration(per.0.saturating_mul(left)))
            })
            .max()
    }

    /// The cached table-key copies that run out after now and before `t`, earliest first.
    pub fn cache_expiries_before(&self, t: SimTime) -> impl Iterator<Item = SimTime> + '_ {
        let now = self.now;
        let mut at: Vec<SimTime> = self
            .dynamo
            .tables
            .iter()
            .flat_map(|table| table.cache.iter())
            .filter_map(|entry| entry.held.as_ref().map(|h| h.expires_at))
            .filter(|at| *at > now && *at < t)
            .collect();
        at.sort_unstable();
        at.into_iter()
    }
}
