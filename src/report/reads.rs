//! When reads would fail, computed rather than sampled: after every event of a run, what a
//! read on each connection would do if it came then (`Engine::next_request`). The first moment
//! one connection's read would fail, the moment every connection's would, and the moment they
//! all work again: whether or not the file put a read there (aws-behaviour.md #16-21).

use crate::engine::Engine;
use crate::engine::ids::ConnectionId;
use crate::engine::table::TableIx;
use crate::engine::time::SimTime;

/// Connections watched per principal (the rest behave like these: each keeps its own cache,
/// and the first ones are where the file's reads go).
pub const WATCHED_CONNECTIONS: u32 = 16;

/// One copy's read window: the first stretch in which reads fail, and the last recovery.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Window {
    /// A read on some connection would fail from here.
    pub first: Option<SimTime>,
    /// A read on every connection would fail from here.
    pub every: Option<SimTime>,
    /// Reads work again on every connection from here (after the last failure).
    pub again: Option<SimTime>,
    failing: bool,
}

/// Every copy's read window over a run.
#[derive(Clone, Debug, Default)]
pub struct Windows {
    pub copies: Vec<Window>,
}

impl Windows {
    /// Look at the engine now (after the events due at this moment).
    pub fn observe(&mut self, e: &Engine) {
        let n = e.tables().len();
        if self.copies.len() < n {
            self.copies.resize(n, Window::default());
        }
        let now = e.now();
        for (i, w) in self.copies.iter_mut().enumerate() {
            let (mut any, mut all, mut seen) = (false, true, false);
            for p in e.principals() {
                for c in 1..=p.connections.min(WATCHED_CONNECTIONS) {
                    if let Some(r) = e.next_request(TableIx(i), &p.id, ConnectionId(c)) {
                        seen = true;
                        let fails = !r.succeeds();
                        any |= fails;
                        all &= fails;
                    }
                }
            }
            let all = all && seen;
            if any {
                w.first.get_or_insert(now);
                w.failing = true;
                w.again = None;
            }
            if all {
                w.every.get_or_insert(now);
            }
            if !any && w.failing {
                w.failing = false;
                w.again = Some(now);
            }
        }
    }

    pub fn of(&self, tx: TableIx) -> Window {
        self.copies.get(tx.0).copied().unwrap_or_default()
    }
}
