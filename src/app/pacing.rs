//! Pacing: showing a stretch of simulated time at a rate a room can follow.
//!
//! Stepping (`n`) and playing at the automatic pace do not jump: they walk from now to the
//! goal (the next step, or past the last step the next burst of engine events) showing every
//! event on the way in order — each DEK leaving T1 and landing under T2, each cache entry
//! running out — in about one to three seconds of real time, whatever the simulated span:
//!
//! - quiet time is swept at `span / SWEEP_FRAMES` per frame (about a second for the whole
//!   stretch, be it a minute or a week);
//! - the last `NEAR` before a cached table key runs out slows to `NEAR / near_frames`, so the
//!   countdown is seen reaching zero;
//! - each moment something happens holds for a few frames (`dwell`), shared out so all of them
//!   fit in `EVENT_FRAMES`; when there are more moments than frames, several go per frame;
//! - nothing takes longer than `MAX_FRAMES`: past it, the rest happens at once.
//!
//! Everything goes through the session (`advance_to`, `through_step`), so going back stays
//! exact and a saved exploration replays the same.

use crate::engine::time::{SimDuration, SimTime};
use crate::session::Session;

/// Frames to sweep the quiet time of a whole stretch (30 frames ≈ 1 s).
pub const SWEEP_FRAMES: u64 = 30;
/// Frames shared out between the moments something happens.
pub const EVENT_FRAMES: u64 = 45;
/// The most frames one moment holds.
pub const MAX_DWELL: u64 = 8;
/// The slowed approach to a cache entry running out.
pub const NEAR: SimDuration = SimDuration::from_secs(30);
/// Frames for that approach when only one entry runs out in the stretch.
pub const NEAR_FRAMES: u64 = 15;
/// The hard cap (3.5 s): past it the rest of the stretch happens at once.
pub const MAX_FRAMES: u64 = 105;
/// A step at the current moment still takes this many frames (≈ 0.27 s) to arrive, so a
/// clicker's double tap finishes it rather than starting the next step's stretch.
pub const HOLD_FRAMES: u64 = 8;

/// Where a stretch ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Goal {
    /// A scripted step (its index) and its time: the stretch ends by running it.
    Step(usize, SimTime),
    /// A step with a question, presenting: the stretch ends just before it runs, so the room
    /// can answer first.
    Ask(usize, SimTime),
    /// A moment (playing past the last step): the stretch ends with the clock there.
    Time(SimTime),
}

impl Goal {
    pub fn at(self) -> SimTime {
        match self {
            Goal::Step(_, at) | Goal::Ask(_, at) | Goal::Time(at) => at,
        }
    }
}

/// A stretch being shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stretch {
    pub goal: Goal,
    start: SimTime,
    frames: u64,
    /// Frames left to hold the moment just shown.
    hold: u64,
    /// Frames each moment holds.
    dwell: u64,
    /// Moments shown per frame.
    per_frame: usize,
    /// Frames for the last `NEAR` before a cache entry runs out.
    near_frames: u64,
}

impl Stretch {
    /// Start a stretch from now to `goal`; `None` when there is nothing to show on the way
    /// (the goal is now and nothing is due before it): then it is reached at once.
    pub fn start(session: &Session, goal: Goal) -> Option<Self> {
        let engine = session.runner().engine();
        let now = engine.now();
        let end = goal.at();
        let scripted = session.runner().repeats_before(end);
        let moments = engine.pending_before(end) + scripted;
        // No time to show: the caller holds for a few frames instead (a double tap then
        // finishes this step rather than starting the next one).
        if end <= now {
            return None;
        }
        let moments = moments.max(1) as u64;
        let dwell = (EVENT_FRAMES / moments).saturating_sub(1).min(MAX_DWELL);
        let per_frame = moments.div_ceil(EVENT_FRAMES).max(1) as usize;
        let expiring = engine.cache_expiries_before(end).count() as u64;
        let near_frames = EVENT_FRAMES
            .checked_div(expiring)
            .map_or(NEAR_FRAMES, |f| f.clamp(2, NEAR_FRAMES));
        Some(Self {
            goal,
            start: now,
            frames: 0,
            hold: 0,
            dwell,
            per_frame,
            near_frames,
        })
    }

    /// A stretch with nothing to show on the way (the goal is now): it holds `HOLD_FRAMES`,
    /// then reaches the goal, so a second press in the meantime finishes it, as for any.
    pub fn hold(session: &Session, goal: Goal) -> Self {
        Self {
            goal,
            start: session.runner().engine().now(),
            frames: 0,
            hold: HOLD_FRAMES,
            dwell: 0,
            per_frame: 1,
            near_frames: NEAR_FRAMES,
        }
    }

    /// Frames shown so far.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Show one frame's worth; true when the goal is reached (the step has run).
    pub fn frame(&mut self, session: &mut Session) -> bool {
        self.frames += 1;
        if self.frames > MAX_FRAMES {
            self.finish(session);
            return true;
        }
        if self.hold > 0 {
            self.hold -= 1;
            return false;
        }
        let end = self.goal.at();
        let now = session.runner().engine().now();
        if now >= end {
            self.finish(session);
            return true;
        }
        let span = end.since(self.start);
        let sweep = SimDuration((span.0 / SWEEP_FRAMES).max(1));
        let mut target = (now + sweep).min(end);
        // The last NEAR before a cached key runs out goes slowly enough to watch.
        let engine = session.runner().engine();
        if let Some(expiry) = engine.cache_expiries_before(end).next() {
            let window_opens = SimTime(expiry.0.saturating_sub(NEAR.0));
            let near_step = SimDuration((NEAR.0 / self.near_frames).max(1));
            if now >= window_opens {
                target = target.min(now + near_step);
            } else if target > window_opens {
                target = window_opens;
            }
        }
        let mut shown = 0;
        while let Some(at) = session.runner().next_event_at() {
            if at > target || at >= end {
                break;
            }
            session.advance_to(at);
            shown += 1;
            if shown >= self.per_frame {
                target = at;
                self.hold = self.dwell;
                break;
            }
        }
        if target >= end {
            self.finish(session);
            return true;
        }
        session.advance_to(target);
        false
    }

    /// Reach the goal at once.
    pub fn finish(&self, session: &mut Session) {
        reach(self.goal, session);
    }
}

/// Reach `goal` at once.
pub fn reach(goal: Goal, session: &mut Session) {
    match goal {
        Goal::Step(step, _) => {
            session.through_step(step);
            session.checkpoint();
        }
        Goal::Ask(step, _) => session.before_step(step),
        Goal::Time(at) => session.advance_to(at),
    }
}
