//! `rewrap whatif --safe-to-delete KEY`: what needs a key now, and the earliest moment
//! nothing does (a table moving off it, once re-wrapped), under both ends of the bounds.

use std::sync::Arc;

use super::whatif::{Bound, HORIZON, WhatIfError, set};
use crate::engine::Engine;
use crate::engine::ids::KmsKeyId;
use crate::engine::time::SimTime;
use crate::runner::Runner;
use crate::scenario::Scenario;

/// `--safe-to-delete X`: when nothing needs `key` any more, or what still does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SafeAnswer {
    pub key: String,
    /// The moment nothing needs it (earliest, latest run), if within the horizon.
    pub safe_from: Option<(SimTime, SimTime)>,
    /// What needs it at 0s, and what still needs it at the horizon.
    pub needed_by_at_start: Vec<String>,
    pub still_needed_by: Vec<String>,
}

/// What needs `key` in `e` now: copies whose table key (or re-wrap target) is under it, and
/// backups a restore of which needs it (a lost backup needs nothing).
fn needing(e: &Engine, key: &KmsKeyId) -> Vec<String> {
    let mut out = Vec::new();
    for t in e.tables() {
        let under = t.current_kms_key() == key || t.job().is_some_and(|j| j.new_kms() == key);
        if under {
            let kind = if t.replica_of().is_some() {
                "replica"
            } else {
                "table"
            };
            out.push(format!("{kind} {}", t.label()));
        }
    }
    for b in e.backups() {
        if b.needs().contains(&key) && e.backup_state(b) != crate::engine::backup::BackupState::Lost
        {
            let source = e.tables()[b.source().0].label();
            out.push(format!("backup {} of {source}", b.name()));
        }
    }
    out
}

/// Answer "when is it safe to delete `key`?" for the world of `scenario` as it runs on.
pub fn safe_to_delete(
    scenario: &Scenario,
    key: &str,
    bounds: &[Bound],
) -> Result<SafeAnswer, WhatIfError> {
    let id = KmsKeyId::new(key);
    let mut runs = Vec::new();
    for high in [false, true] {
        let mut a = scenario.world.assumptions.clone();
        for b in bounds {
            set(&mut a, b.name, if high { b.high } else { b.low });
        }
        let mut s = scenario.clone();
        s.steps.clear();
        s.end = None;
        s.world.assumptions = a;
        let mut runner =
            Runner::new(Arc::new(s)).map_err(|e| WhatIfError::Refused(e.to_string()))?;
        if runner.engine().key(&id).is_none() && key != crate::engine::ids::AWS_OWNED {
            return Err(WhatIfError::Refused(format!(
                "no key {key} in this world (its keys: {})",
                scenario
                    .world
                    .keys
                    .iter()
                    .map(|k| k.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        let first = needing(runner.engine(), &id);
        let horizon = SimTime::ZERO + HORIZON;
        let mut safe = None;
        let last = loop {
            let now = runner.engine().now();
            let last = needing(runner.engine(), &id);
            if last.is_empty() {
                safe = Some(now);
                break last;
            }
            match runner.engine().next_event_at() {
                Some(t) if t <= horizon => runner.advance_to(t),
                _ => break last,
            }
        };
        runs.push((first, safe, last));
    }
    let (first, low, _) = runs[0].clone();
    let (_, high, still) = runs[1].clone();
    Ok(SafeAnswer {
        key: key.to_string(),
        safe_from: match (low, high) {
            (Some(a), Some(b)) => Some((a.min(b), a.max(b))),
            _ => None,
        },
        needed_by_at_start: first,
        still_needed_by: still,
    })
}
