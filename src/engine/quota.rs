//! The key-change quota of aws-behaviour.md #32: 4 changes per 24 h window from table creation, then one
//! more if none in the last 6 h (aws-behaviour.md #33 gives the error text).

use super::time::{DAY, HOUR, SimDuration, SimTime};

/// Accepted key changes, for the quota of aws-behaviour.md #32.
#[derive(Clone, Debug, Default)]
pub struct Quota {
    pub(in crate::engine) changes: Vec<SimTime>,
}

/// The quota: 4 changes per 24 h window from table creation, then one more if none in the
/// last 6 h. Switching to the AWS owned key is checked by the caller (always allowed).
pub const QUOTA_FREE_CHANGES: usize = 4;
pub const QUOTA_SPACING: SimDuration = SimDuration(6 * HOUR.0);

impl Quota {
    /// `Ok` or the `LimitExceededException` message (aws-behaviour.md #33).
    pub fn check(&self, now: SimTime, created: SimTime) -> Result<(), String> {
        let window = now.since(created).as_millis() / DAY.0;
        let window_start = created + SimDuration(window * DAY.0);
        let window_end = window_start + DAY;
        let in_window = self
            .changes
            .iter()
            .filter(|t| **t >= window_start && **t < window_end)
            .count();
        if in_window < QUOTA_FREE_CHANGES {
            return Ok(());
        }
        let last = self.changes.last().copied().unwrap_or(SimTime::ZERO);
        if now.since(last) >= QUOTA_SPACING {
            return Ok(());
        }
        Err(format!(
            "Subscriber limit exceeded: Encryption mode changes are limited in the 24h window \
             ending at {window_end}. After the first {QUOTA_FREE_CHANGES} change, each subsequent \
             change in the same window can be performed at most once every 21600 seconds. \
             Number of updates today: {in_window}. Next change allowed at {}",
            (last + QUOTA_SPACING).min(window_end)
        ))
    }
}

/// Read access from outside the engine (the fields stay the engine's).
impl Quota {
    pub fn changes(&self) -> &[SimTime] {
        &self.changes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::time::MINUTE;

    #[test]
    fn quota_allows_four_then_one_per_six_hours() {
        let mut q = Quota::default();
        let t0 = SimTime::ZERO;
        for i in 0..4 {
            let now = t0 + SimDuration(i * MINUTE.0);
            assert!(q.check(now, t0).is_ok(), "change {i}");
            q.changes.push(now);
        }
        let fifth = t0 + SimDuration(5 * MINUTE.0);
        let err = q.check(fifth, t0).unwrap_err();
        assert!(err.contains("Number of updates today: 4"), "{err}");
        let later = t0 + SimDuration(3 * MINUTE.0) + QUOTA_SPACING;
        assert!(q.check(later, t0).is_ok());
        q.changes.push(later);
        assert!(q.check(later + MINUTE, t0).is_err());
        // A new 24 h window starts fresh.
        assert!(q.check(t0 + DAY, t0).is_ok());
    }
}
