//! The TUI's state: the running scenario plus view state, and `update(Msg)`.
//!
//! Rendering (`crate::ui`) only reads an `App`. Logical time advances by the fixed frame
//! period times the speed, so a sequence of messages always produces the same state.

pub mod keys;
pub mod timeline;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;

use crate::engine::event::RequestResult;
use crate::engine::ids::{ConnectionId, KmsKeyId, PrincipalId, TableKeyId};
use crate::engine::time::{SimDuration, SimTime};
use crate::engine::{Command, EngineError};
use crate::runner::{Runner, Source};
use crate::scenario::write::{self, StepOut};
use crate::scenario::{Action, Repeat, Scenario};
use timeline::Timeline;

/// The fixed frame period: 30 frames per second.
pub const FRAME: std::time::Duration = std::time::Duration::from_millis(33);

/// Playback speeds: simulated milliseconds per real second, and their labels.
pub const SPEEDS: &[(u64, &str)] = &[
    (1_000, "real time"),
    (10_000, "10 s/s"),
    (60_000, "1 min/s"),
    (600_000, "10 min/s"),
    (3_600_000, "1 h/s"),
    (21_600_000, "6 h/s"),
    (86_400_000, "1 day/s"),
];
const DEFAULT_SPEED: usize = 2;

/// Tables larger than this are not snapshotted for step-back; they are replayed instead.
const SNAPSHOT_LIMIT: usize = 200_000;
/// A snapshot is kept at every this many checkpoints; step-back replays from the nearest
/// earlier one (the engine is deterministic, so replay is exact).
const SNAPSHOT_EVERY: usize = 16;
/// At most this many snapshots are kept: past it every other older one is dropped, so the
/// spacing grows with the session and memory stays flat however long it lasts.
const MAX_SNAPSHOTS: usize = 48;

/// Everything the user can ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Msg {
    TogglePause,
    NextStep,
    PrevStep,
    SpeedUp,
    SlowDown,
    JumpNextEvent,
    FocusNext,
    FocusPrev,
    Up,
    Down,
    PageUp,
    PageDown,
    Home,
    End,
    ToggleCollapse,
    ToggleTimeline,
    ZoomTimeline,
    ToggleHelp,
    Quit,
    Read,
    Write,
    DisableKey,
    EnableKey,
    ScheduleDeletion,
    CancelDeletion,
    SwitchTableKey,
    RotateKey,
    Revoke,
    Allow,
    SaveScenario,
    /// One frame of wall time passed.
    Tick,
}

/// Which panel has the keyboard.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Focus {
    Tree,
    Cache,
    Log,
}

/// A modal question.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Prompt {
    /// ScheduleKeyDeletion: how many days (7-30)?
    DeletionDays { key: KmsKeyId, input: String },
}

/// A one-line message at the bottom of the narration, for a few seconds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Toast {
    pub text: String,
    pub error: bool,
    pub frames_left: u32,
}

/// What the user did, so any earlier moment can be rebuilt exactly.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Input {
    AdvanceTo(SimTime),
    Live(Command),
}

/// A moment step-back can return to.
#[derive(Clone, Debug)]
struct Checkpoint {
    /// How many inputs lead here.
    inputs: usize,
    /// The runner at that moment, when it is small enough to keep.
    snapshot: Option<Box<Runner>>,
}

/// A scrolling request for the focused panel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scroll {
    Up(usize),
    Down(usize),
    Top,
    Bottom,
}

/// A row of the key tree that the user can select.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum NodeId {
    Kms(KmsKeyId),
    TableKey(TableKeyId),
    Deks(TableKeyId, u32),
    Items,
}

/// Selection and scrolling of one list panel.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ListState {
    pub selected: usize,
    pub offset: usize,
}

/// The TUI model.
#[derive(Clone, Debug)]
pub struct App {
    runner: Runner,
    inputs: Vec<Input>,
    checkpoints: Vec<Checkpoint>,
    pub paused: bool,
    pub speed: usize,
    pub focus: Focus,
    pub tree: ListState,
    /// Tree rows' ids in display order, refreshed by the renderer's row builder.
    pub collapsed: BTreeSet<NodeId>,
    pub cache: ListState,
    /// Lines scrolled up from the newest log line (0 = follow).
    pub log_scroll: usize,
    pub show_help: bool,
    pub show_timeline: bool,
    pub timeline_zoom: usize,
    pub prompt: Option<Prompt>,
    pub toast: Option<Toast>,
    pub quit: bool,
    pub no_color: bool,
    live_actions: usize,
    /// Tables with more items + DEKs than this are replayed for step-back, not snapshotted.
    snapshot_limit: usize,
    save_dir: PathBuf,
    timeline: Timeline,
    /// The last file written with `w`.
    pub saved: Option<PathBuf>,
}

impl App {
    pub fn new(scenario: Arc<Scenario>) -> Result<Self, EngineError> {
        let runner = Runner::new(scenario)?;
        let mut app = Self {
            runner,
            inputs: Vec::new(),
            checkpoints: Vec::new(),
            paused: true,
            speed: DEFAULT_SPEED,
            focus: Focus::Tree,
            tree: ListState::default(),
            collapsed: BTreeSet::new(),
            cache: ListState::default(),
            log_scroll: 0,
            show_help: false,
            show_timeline: false,
            timeline_zoom: 0,
            prompt: None,
            toast: None,
            quit: false,
            no_color: false,
            live_actions: 0,
            snapshot_limit: SNAPSHOT_LIMIT,
            save_dir: PathBuf::from("."),
            timeline: Timeline::default(),
            saved: None,
        };
        app.push_checkpoint();
        app.refresh_derived();
        Ok(app)
    }

    /// Never snapshot: step-back always replays (tests use it to check replay is exact).
    #[must_use]
    pub fn without_snapshots(mut self) -> Self {
        self.snapshot_limit = 0;
        self.checkpoints[0].snapshot = None;
        self
    }

    /// Where `w` writes files (the current directory by default).
    #[must_use]
    pub fn with_save_dir(mut self, dir: PathBuf) -> Self {
        self.save_dir = dir;
        self
    }

    pub fn runner(&self) -> &Runner {
        &self.runner
    }
    pub fn scenario(&self) -> &Scenario {
        &self.runner.scenario
    }
    pub fn timeline(&self) -> &Timeline {
        &self.timeline
    }
    pub fn speed_label(&self) -> &'static str {
        SPEEDS[self.speed].1
    }
    pub fn live_actions(&self) -> usize {
        self.live_actions
    }

    /// True when the screen changes on its own (the clock runs or a toast is counting down).
    pub fn is_animating(&self) -> bool {
        !self.paused || self.toast.is_some()
    }

    /// The message for a key press, given the modal state.
    pub fn handle_key(&mut self, ev: &crossterm::event::KeyEvent) {
        use crossterm::event::{KeyCode, KeyModifiers};
        if let Some(Prompt::DeletionDays { input, .. }) = &mut self.prompt {
            match ev.code {
                KeyCode::Char('c') if ev.modifiers.contains(KeyModifiers::CONTROL) => {
                    self.quit = true;
                }
                KeyCode::Char(c) if c.is_ascii_digit() && input.len() < 2 => input.push(c),
                KeyCode::Backspace => {
                    input.pop();
                }
                KeyCode::Enter => self.confirm_prompt(),
                KeyCode::Esc => {
                    self.prompt = None;
                    self.toast("deletion not scheduled", false);
                }
                _ => {}
            }
            return;
        }
        if self.show_help && ev.code == KeyCode::Esc {
            self.show_help = false;
            return;
        }
        if let Some(msg) = keys::lookup(ev) {
            self.update(msg);
        }
    }

    pub fn update(&mut self, msg: Msg) {
        match msg {
            Msg::Tick => self.tick(),
            Msg::TogglePause => {
                self.paused = !self.paused;
                if !self.paused && self.runner.next_event_at().is_none() {
                    self.toast(
                        "nothing is scheduled: the clock runs on, use the sandbox keys to act",
                        false,
                    );
                }
            }
            Msg::NextStep => self.next_step(),
            Msg::PrevStep => self.prev_step(),
            Msg::SpeedUp => self.speed = (self.speed + 1).min(SPEEDS.len() - 1),
            Msg::SlowDown => self.speed = self.speed.saturating_sub(1),
            Msg::JumpNextEvent => self.jump_next_event(),
            Msg::FocusNext => {
                self.focus = match self.focus {
                    Focus::Tree => Focus::Cache,
                    Focus::Cache => Focus::Log,
                    Focus::Log => Focus::Tree,
                }
            }
            Msg::FocusPrev => {
                self.focus = match self.focus {
                    Focus::Tree => Focus::Log,
                    Focus::Cache => Focus::Tree,
                    Focus::Log => Focus::Cache,
                }
            }
            Msg::Up => self.scroll(Scroll::Up(1)),
            Msg::Down => self.scroll(Scroll::Down(1)),
            Msg::PageUp => self.scroll(Scroll::Up(10)),
            Msg::PageDown => self.scroll(Scroll::Down(10)),
            Msg::Home => self.scroll(Scroll::Top),
            Msg::End => self.scroll(Scroll::Bottom),
            Msg::ToggleCollapse => self.toggle_collapse(),
            Msg::ToggleTimeline => self.show_timeline = !self.show_timeline,
            Msg::ZoomTimeline => {
                self.timeline_zoom = (self.timeline_zoom + 1) % timeline::ZOOMS.len();
            }
            Msg::ToggleHelp => self.show_help = !self.show_help,
            Msg::Quit => self.quit = true,
            Msg::Read | Msg::Write => self.live_request(msg == Msg::Write),
            Msg::DisableKey => self.live_key(|key| Command::DisableKey { key }),
            Msg::EnableKey => self.live_key(|key| Command::EnableKey { key }),
            Msg::CancelDeletion => self.live_key(|key| Command::CancelKeyDeletion { key }),
            Msg::RotateKey => self.live_key(|key| Command::RotateKey { key }),
            Msg::SwitchTableKey => self.live_key(|key| Command::ChangeTableKey { key }),
            Msg::ScheduleDeletion => {
                if let Some(key) = self.selected_key() {
                    self.prompt = Some(Prompt::DeletionDays {
                        key,
                        input: String::new(),
                    });
                    self.paused = true;
                }
            }
            Msg::Revoke | Msg::Allow => {
                let (Some(key), Some((principal, _))) =
                    (self.selected_key(), self.selected_connection())
                else {
                    self.toast(
                        "select a key in the tree and a principal in the cache panel (tab)",
                        true,
                    );
                    return;
                };
                let cmd = if msg == Msg::Revoke {
                    Command::Revoke { key, principal }
                } else {
                    Command::Allow { key, principal }
                };
                self.live(&cmd);
            }
            Msg::SaveScenario => self.save(),
        }
    }

    fn toast(&mut self, text: impl Into<String>, error: bool) {
        self.toast = Some(Toast {
            text: text.into(),
            error,
            frames_left: 120,
        });
    }

    // ----- time -------------------------------------------------------------------------------

    fn tick(&mut self) {
        if let Some(t) = &mut self.toast {
            t.frames_left = t.frames_left.saturating_sub(1);
            if t.frames_left == 0 {
                self.toast = None;
            }
        }
        if self.paused {
            return;
        }
        let per_frame = SPEEDS[self.speed].0 * FRAME.as_millis() as u64 / 1_000;
        let target = self.runner.engine().now() + SimDuration(per_frame);
        // Stop at the next new step so its narration can be read.
        if let Some((_, at)) = self.runner.next_step_at()
            && at <= target
        {
            self.advance_to(at);
            self.push_checkpoint();
            self.paused = true;
            return;
        }
        self.advance_to(target);
    }

    /// Advance the clock to `t` (or run what is due now, if `t` is not later), recording it.
    fn advance_to(&mut self, t: SimTime) {
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
        self.refresh_derived();
    }

    fn next_step(&mut self) {
        match self.runner.next_step_at() {
            Some((_, at)) => {
                self.advance_to(at);
                self.push_checkpoint();
            }
            None => self.toast(
                "that was the last step: play on, or use the sandbox keys",
                false,
            ),
        }
    }

    fn jump_next_event(&mut self) {
        match self.runner.next_event_at() {
            Some(at) => {
                let steps_before = self.runner.steps_started();
                self.advance_to(at);
                if self.runner.steps_started() > steps_before {
                    self.push_checkpoint();
                }
            }
            None => self.toast("nothing is scheduled", false),
        }
    }

    fn push_checkpoint(&mut self) {
        let small = self.runner.engine().table().items.len()
            + self.runner.engine().table().deks.len()
            <= self.snapshot_limit;
        let keep = small && self.checkpoints.len().is_multiple_of(SNAPSHOT_EVERY);
        self.checkpoints.push(Checkpoint {
            inputs: self.inputs.len(),
            snapshot: keep.then(|| Box::new(self.runner.clone())),
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

    /// How many snapshots step-back holds now (for the long-session memory test).
    pub fn snapshots_held(&self) -> usize {
        self.checkpoints
            .iter()
            .filter(|c| c.snapshot.is_some())
            .count()
    }

    /// Go back to the previous checkpoint (or to the start of the current one if time moved).
    fn prev_step(&mut self) {
        let here = self.inputs.len();
        let Some(last) = self.checkpoints.last() else {
            return;
        };
        let target = if last.inputs < here || self.checkpoints.len() == 1 {
            // Time moved since the last checkpoint: back to it.
            self.checkpoints.len() - 1
        } else {
            self.checkpoints.pop();
            self.checkpoints.len() - 1
        };
        let upto = self.checkpoints[target].inputs;
        self.runner = self.rebuild(target);
        self.inputs.truncate(upto);
        self.live_actions = self
            .inputs
            .iter()
            .filter(|i| matches!(i, Input::Live(_)))
            .count();
        self.paused = true;
        self.timeline = Timeline::default();
        self.refresh_derived();
    }

    /// The runner at checkpoint `target`: the nearest earlier snapshot, then the inputs
    /// after it re-applied (the engine is deterministic, so this is exact).
    fn rebuild(&self, target: usize) -> Runner {
        let upto = self.checkpoints[target].inputs;
        let base = self.checkpoints[..=target]
            .iter()
            .rev()
            .find_map(|c| c.snapshot.as_ref().map(|r| (c.inputs, r)));
        match base {
            Some((from, r)) => self.replay_onto((**r).clone(), from, upto),
            None => self.replay(upto),
        }
    }

    /// Rebuild the runner from the start by re-applying the first `n` inputs.
    fn replay(&self, n: usize) -> Runner {
        let r = Runner::new(self.runner.scenario.clone())
            .expect("the scenario built a runner once, so it builds again");
        self.replay_onto(r, 0, n)
    }

    /// Re-apply inputs `from..to` to a runner that is at input `from`.
    fn replay_onto(&self, mut r: Runner, from: usize, to: usize) -> Runner {
        let mut live = self.inputs[..from]
            .iter()
            .filter(|i| matches!(i, Input::Live(_)))
            .count();
        for input in &self.inputs[from..to] {
            match input {
                Input::AdvanceTo(t) => r.advance_to(*t),
                Input::Live(cmd) => {
                    live += 1;
                    r.apply_live(1000 + live, cmd);
                }
            }
        }
        r
    }

    fn refresh_derived(&mut self) {
        self.timeline.update(self.runner.engine().log());
    }

    // ----- selection ---------------------------------------------------------------------------

    fn scroll(&mut self, by: Scroll) {
        // Lists: `Up` moves the selection towards the first row.
        let list = |v: usize, len: usize| -> usize {
            let last = len.saturating_sub(1);
            match by {
                Scroll::Up(n) => v.saturating_sub(n),
                Scroll::Down(n) => (v + n).min(last),
                Scroll::Top => 0,
                Scroll::Bottom => last,
            }
        };
        match self.focus {
            Focus::Tree => {
                let len = crate::ui::tree::rows(self).len();
                self.tree.selected = list(self.tree.selected, len);
            }
            Focus::Cache => {
                let len = self.runner.engine().cache_entries().len();
                self.cache.selected = list(self.cache.selected, len);
            }
            Focus::Log => {
                // The log counts lines back from the newest: `Up` goes back in time.
                let len = self.runner.engine().log().len();
                self.log_scroll = match by {
                    Scroll::Up(n) => (self.log_scroll + n).min(len),
                    Scroll::Down(n) => self.log_scroll.saturating_sub(n),
                    Scroll::Top => len,
                    Scroll::Bottom => 0,
                };
            }
        }
    }

    fn toggle_collapse(&mut self) {
        if self.focus != Focus::Tree {
            return;
        }
        let rows = crate::ui::tree::rows(self);
        if let Some(row) = rows.get(self.tree.selected)
            && row.foldable
            && !self.collapsed.remove(&row.id)
        {
            self.collapsed.insert(row.id.clone());
        }
    }

    /// The KMS key of the selected tree row.
    pub fn selected_key(&self) -> Option<KmsKeyId> {
        let rows = crate::ui::tree::rows(self);
        rows.get(self.tree.selected.min(rows.len().saturating_sub(1)))
            .and_then(|r| r.key.clone())
    }

    /// The principal and connection of the selected cache row.
    pub fn selected_connection(&self) -> Option<(PrincipalId, ConnectionId)> {
        let entries = self.runner.engine().cache_entries();
        entries
            .get(self.cache.selected.min(entries.len().saturating_sub(1)))
            .map(|e| (e.principal.clone(), e.connection))
    }

    // ----- sandbox -------------------------------------------------------------------------------

    fn live_key(&mut self, make: impl FnOnce(KmsKeyId) -> Command) {
        match self.selected_key() {
            Some(key) => self.live(&make(key)),
            None => self.toast("select a KMS key in the tree first (tab to focus it)", true),
        }
    }

    fn live_request(&mut self, write: bool) {
        let Some((principal, connection)) = self.selected_connection() else {
            self.toast("this scenario declares no [[principal]] to read as", true);
            return;
        };
        self.live(&Command::request(principal, connection, write));
    }

    /// Apply a live action at the current moment, rounded up to a whole second so that the
    /// scenario `w` writes replays it exactly.
    fn live(&mut self, cmd: &Command) {
        // The AWS owned key lives in a DynamoDB service account: no user can manage it, and a
        // scenario cannot say so either (`rewrap check` refuses such a step), so the sandbox
        // explains instead of recording an action a saved file could not replay.
        if let Some(key) = managed_key(cmd)
            && key.is_aws_owned()
        {
            self.toast(
                format!(
                    "{}: refused — the AWS owned key lives in a DynamoDB service account; no user can manage it (fact 53)",
                    cmd.describe()
                ),
                true,
            );
            return;
        }
        let now = self.runner.engine().now().as_millis();
        let whole = SimTime(now.div_ceil(1_000) * 1_000);
        self.advance_to(whole);
        self.live_actions += 1;
        let result = self.runner.apply_live(1000 + self.live_actions, cmd);
        self.inputs.push(Input::Live(cmd.clone()));
        self.push_checkpoint();
        self.refresh_derived();
        self.log_scroll = 0;
        match result {
            RequestResult::Ok => self.toast(format!("{}: ok", cmd.describe()), false),
            RequestResult::Error { error, message, .. } => {
                self.toast(format!("{}: {error}: {message}", cmd.describe()), true);
            }
        }
    }

    fn confirm_prompt(&mut self) {
        let Some(Prompt::DeletionDays { key, input }) = self.prompt.take() else {
            return;
        };
        let days = if input.is_empty() {
            30
        } else {
            input.parse().unwrap_or(0)
        };
        if !(7..=30).contains(&days) {
            self.toast(
                format!("{days} days is out of range: KMS waits 7 to 30 days"),
                true,
            );
            self.prompt = Some(Prompt::DeletionDays {
                key,
                input: String::new(),
            });
            return;
        }
        self.live(&Command::ScheduleKeyDeletion { key, days });
    }

    /// The scenario text `w` writes: everything that ran so far, with what it observed.
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
                    steps.push(StepOut {
                        at: ex.at,
                        action: st.action.clone(),
                        note: st.note.clone(),
                        expect,
                        repeat,
                    });
                }
                Source::Live { cmd } => steps.push(StepOut {
                    at: ex.at,
                    action: Action::Command(cmd.clone()),
                    note: Some(format!("Live action at {}: {}", ex.at, cmd.describe())),
                    expect: ex.observed.clone(),
                    repeat: None,
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

    fn save(&mut self) {
        let text = self.exploration_toml();
        let stem: String = std::path::Path::new(&self.scenario().file)
            .file_stem()
            .map_or_else(|| "scenario".into(), |s| s.to_string_lossy().into_owned())
            .replace("builtin:", "");
        let stem = stem.rsplit(':').next().unwrap_or("scenario").to_string();
        match write_new_file(&self.save_dir, &stem, &text) {
            Ok(path) => {
                self.toast(
                    format!(
                        "wrote {} (replay: rewrap check {})",
                        path.display(),
                        path.display()
                    ),
                    false,
                );
                self.saved = Some(path);
            }
            Err(e) => self.toast(
                format!(
                    "could not write {stem}-explored.toml in {}: {e}",
                    self.save_dir.display()
                ),
                true,
            ),
        }
    }
}

/// The KMS key a key-management command acts on (not a table-key change, which may target
/// the AWS owned key).
fn managed_key(cmd: &Command) -> Option<&KmsKeyId> {
    match cmd {
        Command::DisableKey { key }
        | Command::EnableKey { key }
        | Command::ScheduleKeyDeletion { key, .. }
        | Command::CancelKeyDeletion { key }
        | Command::RotateKey { key }
        | Command::Revoke { key, .. }
        | Command::Allow { key, .. } => Some(key),
        Command::Read { .. }
        | Command::Write { .. }
        | Command::ChangeTableKey { .. }
        | Command::Wait => None,
    }
}

/// Write `text` to `STEM-explored.toml` in `dir`, or `STEM-explored-N.toml` if taken. Each
/// name is created new (O_CREAT|O_EXCL): an existing file is never overwritten and a symlink
/// at the name, dangling or not, is never followed.
fn write_new_file(dir: &std::path::Path, stem: &str, text: &str) -> std::io::Result<PathBuf> {
    use std::io::Write as _;
    for n in 1..=999 {
        let name = if n == 1 {
            format!("{stem}-explored.toml")
        } else {
            format!("{stem}-explored-{n}.toml")
        };
        let path = dir.join(name);
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(mut f) => {
                f.write_all(text.as_bytes())?;
                f.sync_all()?;
                return Ok(path);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other(
        "999 saved explorations already exist here: move some away",
    ))
}

#[cfg(test)]
mod tests;
