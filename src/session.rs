//! A session: a scenario being played, with the scripted steps, the live actions taken on the
//! way, and the history that makes every earlier moment reachable again exactly.
//!
//! Every front end drives one: the TUI (step, back, play, sandbox actions), `run` and `check`
//! (to the end), and next the presenter, the speaker notes and the recorder. History costs
//! O(changes): inputs are recorded (an advance of the clock or a live command), a snapshot of
//! the runner is kept at every `SNAPSHOT_EVERY`-th checkpoint (at most `MAX_SNAPSHOTS`,
//! thinned as the session grows), and going back replays from the nearest earlier snapshot.
//! The engine is deterministic, so replay is exact.

use std::sync::Arc;

use crate::engine::event::RequestResult;
use crate::engine::time::SimTime;
use crate::engine::{Command, EngineError};
use crate::runner::{LiveAt, Runner, Source};
use crate::scenario::write::{self, StepOut};
use crate::scenario::{Action, Repeat, Scenario};

/// Tables larger than this are not snapshotted; going back replays them from the start.
const SNAPSHOT_LIMIT: usize = 200_000;
/// A snapshot is kept at every this many checkpoints.
const SNAPSHOT_EVERY: usize = 16;
/// At most this many snapshots are kept: past it every other older one is dropped, so the
/// spacing grows with the session and memory stays flat however long it lasts.
const MAX_SNAPSHOTS: usize = 48;

/// What the user did, so any earlier moment can be rebuilt exactly (and what the presenter
/// sends to the speaker notes: inputs, not screens).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Input {
    AdvanceTo(SimTime),
    /// Up to and including this scripted step (an index), not the steps after it at its time.
    ThroughStep(usize),
    /// Up to this scripted step's time, without running it (a question is open).
    BeforeStep(usize),
    /// A live (sandbox) action, on the first table (version 1 sessions) ...
    Live(Command),
    /// ... or on the table and copy it names.
    LiveOn(Command, LiveAt),
}

impl Input {
    /// Does this input name only steps, keys and principals `scenario` has? (An input from
    /// another program, the presenter, is checked before it is replayed.)
    pub fn fits(&self, scenario: &Scenario) -> bool {
        let steps = scenario.steps.len();
        match self {
            Input::AdvanceTo(_) => true,
            Input::ThroughStep(s) | Input::BeforeStep(s) => *s < steps,
            Input::Live(cmd) | Input::LiveOn(cmd, _) => {
                let world = &scenario.world;
                let key_ok = |k: &crate::engine::ids::KmsKeyId| {
                    k.as_str() == crate::engine::ids::AWS_OWNED
                        || world.keys.iter().any(|w| &w.id == k)
                };
                let who_ok = |p: &crate::engine::ids::PrincipalId| {
                    world.principals.iter().any(|w| &w.id == p)
                };
                match cmd {
                    Command::Read { principal, .. } | Command::Write { principal, .. } => {
                        who_ok(principal)
                    }
                    Command::Revoke { key, principal } | Command::Allow { key, principal } => {
                        key_ok(key) && who_ok(principal)
                    }
                    Command::ChangeTableKey { key }
                    | Command::Restore { key: Some(key), .. }
                    | Command::DisableKey { key }
                    | Command::EnableKey { key }
                    | Command::ScheduleKeyDeletion { key, .. }
                    | Command::CancelKeyDeletion { key }
                    | Command::RotateKey { key }
                    | Command::DeleteImportedMaterial { key }
                    | Command::ImportKeyMaterial { key, .. } => key_ok(key),
                    Command::Wait
                    | Command::RevokeGrant
                    | Command::CreateGrant
                    | Command::Backup { .. }
                    | Command::Restore { .. } => true,
                }
            }
        }
    }
}

/// Apply one input to a runner; `live` counts the live actions applied so far.
pub fn apply_input(r: &mut Runner, input: &Input, live: &mut usize) {
    match input {
        Input::AdvanceTo(t) => r.advance_to(*t),
        Input::ThroughStep(step) => r.advance_through_step(*step),
        Input::BeforeStep(step) => r.advance_before_step(*step),
        Input::Live(cmd) => {
            *live += 1;
            r.apply_live(*live, cmd, &LiveAt::default());
        }
        Input::LiveOn(cmd, at) => {
            *live += 1;
            r.apply_live(*live, cmd, at);
        }
    }
}

/// A moment going back can return to (the start, each step reached, each live action).
#[derive(Clone, Debug)]
struct Checkpoint {
    /// How many inputs lead here.
    inputs: usize,
    /// The runner at that moment, when kept.
    snapshot: Option<Box<Runner>>,
}

/// A scenario being played, with its history (see the module docs).
#[derive(Clone, Debug)]
pub struct Session {
    runner: Runner,
    inputs: Vec<Input>,
    checkpoints: Vec<Checkpoint>,
    snapshot_limit: usize,
    live_actions: usize,
}

impl Session {
    pub fn new(scenario: Arc<Scenario>) -> Result<Self, EngineError> {
        let mut s = Self {
            runner: Runner::new(scenario)?,
            inputs: Vec::new(),
            checkpoints: Vec::new(),
            snapshot_limit: SNAPSHOT_LIMIT,
            live_actions: 0,
        };
        s.checkpoint();
        Ok(s)
    }

    /// Never snapshot: going back always replays from the start (tests use it to check that
    /// replay is exact).
    #[must_use]
    pub fn without_snapshots(mut self) -> Self {
        self.snapshot_limit = 0;
        for c in &mut self.checkpoints {
            c.snapshot = None;
        }
        self
    }

    pub fn runner(&self) -> &Runner {
        &self.runner
    }

    pub fn scenario(&self) -> &Scenario {
        &self.runner.scenario
    }

    /// Live (sandbox) actions taken so far on the way to this moment.
    pub fn live_actions(&self) -> usize {
        self.live_actions
    }

    /// How many snapshots the history holds now (for the long-session memory test).
    pub fn snapshots_held(&self) -> usize {
        self.checkpoints
            .iter()
            .filter(|c| c.snapshot.is_some())
            .count()
    }

    /// Run every scripted step to the end of the scenario (what `run` and `check` do).
    pub fn run_to_end(&mut self) {
        let end = self.runner.end_time();
        self.advance_to(end);
    }

    /// Advance the clock to `t` (or run what is due now, if `t` is not later), recording it.
    pub fn advance_to(&mut self, t: SimTime) {
        let t = t.max(self.runner.engine().now());
        self.runner.advance_to(t);
        let since_checkpoint = self.checkpoints.last().map_or(0, |c| c.inputs);
        let may_collapse = self.inputs.len() > since_checkpoint;
        match self.inputs.last_mut() {
            // Consecutive advances collapse (advancing to a then b equals advancing to b), but
            // never across a checkpoint, which must keep pointing at its own prefix.
            Some(Input::AdvanceTo(last)) if may_collapse => *last = t,
            _ => self.inputs.push(Input::AdvanceTo(t)),
        }
    }

    /// Advance to `t`, or, in a lab whose verdict is still open, to the first moment before
    /// `t` it comes in (everything due at that moment included, so the one input recorded
    /// replays exactly); returns where the clock stopped.
    pub fn advance_until_verdict(&mut self, t: SimTime) -> SimTime {
        let open = |r: &Runner| r.judge().is_some_and(crate::judge::Judge::is_open);
        let mut at = self.runner.engine().now();
        if !open(&self.runner) {
            self.advance_to(t);
            return t.max(at);
        }
        while at < t && open(&self.runner) {
            let mut next = self
                .runner
                .next_event_at()
                .filter(|n| *n > at)
                .map_or(t, |n| n.min(t));
            // The deadline fails the lab the moment after it.
            if let Some(d) = self
                .runner
                .judge()
                .and_then(crate::judge::Judge::pending_deadline)
            {
                let after = d + crate::engine::time::SimDuration(1);
                if after > at && after < next {
                    next = after;
                }
            }
            self.advance_to(next);
            at = next;
        }
        at
    }

    /// Go to the next scripted step and mark it; false when there is none left. Every step is
    /// visited, in file order, even when several share a time.
    pub fn next_step(&mut self) -> bool {
        match self.runner.next_step_at() {
            Some((step, _)) => {
                self.through_step(step);
                self.checkpoint();
                true
            }
            None => false,
        }
    }

    /// Run up to step `step` (an index) without running it, recording it.
    pub fn before_step(&mut self, step: usize) {
        self.runner.advance_before_step(step);
        self.inputs.push(Input::BeforeStep(step));
    }

    /// Run up to and including step `step` (an index), recording it.
    pub fn through_step(&mut self, step: usize) {
        self.runner.advance_through_step(step);
        self.inputs.push(Input::ThroughStep(step));
    }

    /// Jump to the next scheduled event (scripted or the engine's own); false when nothing
    /// is scheduled. A step reached on the way is marked.
    pub fn jump_next_event(&mut self) -> bool {
        match self.runner.next_event_at() {
            // The next thing is a new step: stop at it alone, as stepping does.
            Some(at) if self.runner.next_step_at().is_some_and(|(_, s)| s == at) => {
                self.next_step()
            }
            Some(at) => {
                let steps_before = self.runner.steps_started();
                self.advance_to(at);
                if self.runner.steps_started() > steps_before {
                    self.checkpoint();
                }
                true
            }
            None => false,
        }
    }

    /// Go to `at` as if stepped there (every step on the way visited and marked, so going back
    /// works as after stepping).
    pub fn go_to(&mut self, at: crate::scenario::At) {
        use crate::scenario::At;
        match at {
            At::Step(ix) => while self.runner.steps_started() <= ix && self.next_step() {},
            At::Time(t) => {
                while self.runner.next_step_at().is_some_and(|(_, s)| s <= t) && self.next_step() {}
                if t > self.runner.engine().now() {
                    self.advance_to(t);
                    self.checkpoint();
                }
            }
        }
    }

    /// Items and DEKs in the world now (what a snapshot would copy).
    fn world_rows(&self) -> usize {
        self.runner
            .engine()
            .tables()
            .iter()
            .map(|t| t.items().len() + t.deks().len())
            .sum()
    }

    /// Whether going back rebuilds a world too large for snapshots from its start (about two
    /// seconds at the documented maximum): the live view says so before it starts.
    pub fn back_rebuilds_large_world(&self) -> bool {
        self.checkpoints.iter().all(|c| c.snapshot.is_none()) && self.world_rows() > SNAPSHOT_LIMIT
    }

    /// Mark this moment as one going back returns to.
    pub fn checkpoint(&mut self) {
        let size = self.world_rows();
        let small = size <= self.snapshot_limit;
        let keep = small && self.checkpoints.len().is_multiple_of(SNAPSHOT_EVERY);
        self.checkpoints.push(Checkpoint {
            inputs: self.inputs.len(),
            snapshot: keep.then(|| {
                // The history keeps no key bytes: they are re-derived when the snapshot is used.
                let mut r = self.runner.clone();
                r.engine_mut().strip_secrets();
                Box::new(r)
            }),
        });
        if keep {
            self.thin_snapshots();
        }
    }

    /// Past `MAX_SNAPSHOTS`, drop every other snapshot (never the first nor the newest).
    fn thin_snapshots(&mut self) {
        let with: Vec<usize> = self
            .checkpoints
            .iter()
            .enumerate()
            .skip(1)
            .filter(|(_, c)| c.snapshot.is_some())
            .map(|(i, _)| i)
            .collect();
        if with.len() <= MAX_SNAPSHOTS {
            return;
        }
        let newest = with.len() - 1;
        for (k, ix) in with.into_iter().enumerate() {
            if (newest - k) % 2 == 1 {
                self.checkpoints[ix].snapshot = None;
            }
        }
    }

    /// Go back to the last marked moment (or to the start of the current one if the clock
    /// moved since it), exactly as it was.
    pub fn back(&mut self) {
        let here = self.inputs.len();
        let Some(last) = self.checkpoints.last() else {
            return;
        };
        let target = if last.inputs < here || self.checkpoints.len() == 1 {
            self.checkpoints.len() - 1
        } else {
            self.checkpoints.pop();
            self.checkpoints.len() - 1
        };
        let upto = self.checkpoints[target].inputs;
        self.runner = self.rebuild_replacing(target);
        self.inputs.truncate(upto);
        self.live_actions = self
            .inputs
            .iter()
            .filter(|i| matches!(i, Input::Live(_) | Input::LiveOn(..)))
            .count();
    }

    /// Apply a live action at the current moment, rounded up to a whole second so that the
    /// scenario `exploration_toml` writes replays it exactly; the moment after it is marked.
    pub fn live(&mut self, cmd: &Command, at: &LiveAt) -> RequestResult {
        let now = self.runner.engine().now().as_millis();
        let whole = SimTime(now.div_ceil(1_000) * 1_000);
        self.advance_to(whole);
        self.live_actions += 1;
        let result = self.runner.apply_live(self.live_actions, cmd, at);
        self.inputs.push(if *at == LiveAt::default() {
            Input::Live(cmd.clone())
        } else {
            Input::LiveOn(cmd.clone(), at.clone())
        });
        self.checkpoint();
        result
    }

    /// The runner at checkpoint `target`: the nearest earlier snapshot, then the inputs after
    /// it re-applied.
    /// `rebuild`, for a runner that replaces the current one: when it is built from the start
    /// (a world too large for snapshots), the current world's items and DEKs are let go first,
    /// so the two never sit in memory together (at the largest world, ~0.5 GB less at its peak).
    fn rebuild_replacing(&mut self, target: usize) -> Runner {
        let from_scratch = self.checkpoints[..=target]
            .iter()
            .all(|c| c.snapshot.is_none());
        if from_scratch {
            self.runner.engine_mut().release_bulk();
        }
        self.rebuild(target)
    }

    fn rebuild(&self, target: usize) -> Runner {
        let upto = self.checkpoints[target].inputs;
        let base = self.checkpoints[..=target]
            .iter()
            .rev()
            .find_map(|c| c.snapshot.as_ref().map(|r| (c.inputs, r)));
        if let Some((from, r)) = base {
            let mut r = (**r).clone();
            r.engine_mut().restore_secrets();
            self.replay_onto(r, from, upto)
        } else {
            let r = Runner::new(self.runner.scenario.clone())
                .expect("the scenario built a runner once, so it builds again");
            self.replay_onto(r, 0, upto)
        }
    }

    /// Re-apply inputs `from..to` to a runner that is at input `from`.
    fn replay_onto(&self, mut r: Runner, from: usize, to: usize) -> Runner {
        let mut live = self.inputs[..from]
            .iter()
            .filter(|i| matches!(i, Input::Live(_) | Input::LiveOn(..)))
            .count();
        for input in &self.inputs[from..to] {
            apply_input(&mut r, input, &mut live);
        }
        r
    }

    /// Follow another session's inputs (what the speaker notes do with a presenter's sync):
    /// keep our first `keep` inputs, then apply `then`. Going back to `keep` uses this
    /// session's own history (snapshots, then replay). False, changing nothing, when `keep` is
    /// more than this session has (a message was missed).
    pub fn follow(&mut self, keep: usize, then: Vec<Input>) -> bool {
        if keep > self.inputs.len() {
            return false;
        }
        let mut then = then.into_iter().peekable();
        // The common case while the clock runs: the last advance moves on. Advancing to a and
        // then to b equals advancing to b, so nothing is rebuilt.
        if keep + 1 == self.inputs.len()
            && let (Some(Input::AdvanceTo(a)), Some(Input::AdvanceTo(b))) =
                (self.inputs.last(), then.peek())
            && b >= a
        {
            let b = *b;
            then.next();
            self.runner.advance_to(b);
            if let Some(last) = self.inputs.last_mut() {
                *last = Input::AdvanceTo(b);
            }
        } else if keep < self.inputs.len() {
            self.truncate_to(keep);
        }
        for input in then {
            apply_input(&mut self.runner, &input, &mut self.live_actions);
            let marks = !matches!(input, Input::AdvanceTo(_));
            self.inputs.push(input);
            if marks {
                self.checkpoint();
            }
        }
        true
    }

    /// Back to the moment after the first `keep` inputs, exactly: from the nearest checkpoint
    /// at or before it, then the inputs up to `keep` re-applied.
    fn truncate_to(&mut self, keep: usize) {
        while self.checkpoints.len() > 1 && self.checkpoints.last().is_some_and(|c| c.inputs > keep)
        {
            self.checkpoints.pop();
        }
        let target = self.checkpoints.len() - 1;
        let mut r = self.rebuild_replacing(target);
        let from = self.checkpoints[target].inputs;
        let mut live = self.inputs[..from]
            .iter()
            .filter(|i| matches!(i, Input::Live(_) | Input::LiveOn(..)))
            .count();
        for input in &self.inputs[from..keep] {
            apply_input(&mut r, input, &mut live);
        }
        self.runner = r;
        self.inputs.truncate(keep);
        self.live_actions = live;
    }

    /// Every input so far, in order (what the speaker notes replay).
    pub fn inputs(&self) -> &[Input] {
        &self.inputs
    }

    /// The scenario text that replays this session: everything that ran so far (scripted steps
    /// and live actions, with what they observed), up to now.
    pub fn exploration_toml(&self) -> String {
        let s = self.scenario();
        let now = self.runner.engine().now();
        let mut steps: Vec<StepOut> = Vec::new();
        for ex in self.runner.executed() {
            match &ex.source {
                Source::Scripted { step } => {
                    let st = &s.steps[*step];
                    let repeat = st.repeat.map(|r| Repeat {
                        every: r.every,
                        until: self
                            .runner
                            .occurrences_run(*step)
                            .last()
                            .map_or(st.at, |o| o.at)
                            .min(r.until),
                    });
                    let expect = if repeat.is_some() {
                        if self.runner.step_failed(*step) {
                            Vec::new()
                        } else {
                            st.expect.iter().map(|c| c.kind.clone()).collect()
                        }
                    } else {
                        ex.observed.clone()
                    };
                    // A question is kept when exactly one choice held here: replayed, the
                    // same one holds (after live actions another may have, or none).
                    let sound = self
                        .runner
                        .answer_of(*step)
                        .is_some_and(|held| held.iter().filter(|h| **h).count() == 1);
                    steps.push(StepOut {
                        at: ex.at,
                        action: st.action.clone(),
                        note: st.note.clone(),
                        say: st.say.clone(),
                        after: st.after.clone(),
                        expect,
                        repeat,
                        id: st.id.clone(),
                        ask: st.ask.clone().filter(|_| sound),
                        table: (st.names_table || st.table > 0)
                            .then(|| s.table_names.get(st.table).cloned())
                            .flatten(),
                        region: st.region.clone(),
                    });
                }
                Source::Live { cmd, on } => steps.push(StepOut {
                    at: ex.at,
                    action: Action::Command(cmd.clone()),
                    note: Some(format!("Live action at {}: {}", ex.at, cmd.describe())),
                    say: None,
                    after: None,
                    expect: ex.observed.clone(),
                    repeat: None,
                    id: None,
                    ask: None,
                    table: on.table.clone(),
                    region: on.region.clone(),
                }),
            }
        }
        let mut base = s.clone();
        base.end = Some(now);
        let summary = format!(
            "Explored in the rewrap TUI from `{}`: {} scripted step(s) and {} live action(s), up to {now}.",
            s.file,
            self.runner.steps_started(),
            self.live_actions
        );
        write::to_toml(
            &base,
            &format!("{} (explored)", s.title),
            Some(&summary),
            &steps,
        )
    }
}
