//! The TUI's state: the running scenario plus view state, and `update(Msg)`.
//!
//! Rendering (`crate::ui`) only reads an `App`; `app` never imports `ui`. Logical time advances by the fixed frame
//! period times the speed, so a sequence of messages always produces the same state.

pub mod keys;
mod lab;
mod msg;
pub mod pacing;
mod parts;
mod playback;
mod present;
mod present_keys;
mod transient;
pub use lab::LabMode;
pub use present::{PATH_FRAMES, Presenting};
pub use transient::{Overlay, Prompt, Question, Toast};
mod sandbox;
mod selection;
mod tables;
pub mod timeline;
pub mod tone;
pub mod tree;
pub use msg::{Effect, Msg};
pub use parts::{Focus, ListState};
use parts::{Playback, Scroll, ViewState};
pub use tree::NodeId;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;

use crate::engine::EngineError;
use crate::runner::Runner;
use crate::scenario::Scenario;
use crate::session::Session;
use pacing::{Goal, Stretch};
use timeline::Timeline;
use tone::ThemeKind;

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

/// The TUI model: the session (the scenario and its runner), composed of its parts.
#[derive(Clone, Debug)]
pub struct App {
    session: Session,
    pub(in crate::app) playback: Playback,
    pub(in crate::app) view: ViewState,
    /// What covers the live view (help, the ledger, a prompt, a reload error), if anything.
    overlay: Overlay,
    pub(in crate::app) toast: Option<Toast>,
    /// The palette the screen is drawn with (chosen at start-up: `--theme`, `NO_COLOR`, ...).
    pub(in crate::app) theme: ThemeKind,
    save_dir: PathBuf,
    timeline: Timeline,
    /// The last file written with `w`.
    pub(in crate::app) saved: Option<PathBuf>,
    /// Present mode (clicker keys, only what the room needs on screen), when on.
    pub(in crate::app) present: Option<Presenting>,
    /// The table the panels follow (version 2; see `tables`).
    table_focus: crate::engine::table::TableIx,
    /// How many steps had started when the focus last followed a step's table.
    focus_followed: usize,
    /// A lab (`rewrap lab`): what the attendee has seen of it.
    lab: Option<LabMode>,
}

impl App {
    pub fn new(scenario: Arc<Scenario>) -> Result<Self, EngineError> {
        let mut app = Self {
            session: Session::new(scenario)?,
            playback: Playback {
                paused: true,
                speed: DEFAULT_SPEED,
                auto_pace: true,
                stretch: None,
            },
            view: ViewState {
                focus: Focus::Tree,
                tree: ListState::default(),
                tree_node: None,
                collapsed: BTreeSet::new(),
                cache: ListState::default(),
                log_scroll: 0,
                show_timeline: false,
                prefer_list: false,
                timeline_zoom: 0,
            },
            overlay: Overlay::None,
            toast: None,
            theme: ThemeKind::default(),
            save_dir: PathBuf::from("."),
            timeline: Timeline::default(),
            saved: None,
            present: None,
            table_focus: crate::engine::table::TableIx::FIRST,
            focus_followed: 0,
            lab: None,
        };
        app.refresh_derived();
        Ok(app)
    }

    /// Never snapshot: step-back always replays (tests use it to check replay is exact).
    #[must_use]
    pub fn without_snapshots(mut self) -> Self {
        self.session = self.session.without_snapshots();
        self
    }

    /// Where `w` writes files (the current directory by default).
    #[must_use]
    pub fn with_save_dir(mut self, dir: PathBuf) -> Self {
        self.save_dir = dir;
        self
    }

    pub fn runner(&self) -> &Runner {
        self.session.runner()
    }
    pub fn session(&self) -> &Session {
        &self.session
    }
    pub fn scenario(&self) -> &Scenario {
        self.session.scenario()
    }
    pub fn timeline(&self) -> &Timeline {
        &self.timeline
    }
    pub fn speed_label(&self) -> &'static str {
        self.playback.speed_label()
    }

    /// The step a running stretch is heading for (its number as the file counts), if any.
    pub fn heading_for(&self) -> Option<usize> {
        match self.playback.stretch.as_ref()?.goal {
            Goal::Step(ix, _) | Goal::Ask(ix, _) => self.scenario().steps.get(ix).map(|s| s.number),
            Goal::Time(_) => None,
        }
    }

    pub fn live_actions(&self) -> usize {
        self.session.live_actions()
    }

    /// How many snapshots step-back holds now (for the long-session memory test).
    pub fn snapshots_held(&self) -> usize {
        self.session.snapshots_held()
    }

    /// Present mode on or off (clicker keys, only what the room needs on screen).
    pub fn set_present(&mut self, on: bool) {
        if on != self.present.is_some() {
            self.present = on.then(Presenting::default);
        }
    }

    /// The palette to draw with.
    pub fn set_theme(&mut self, theme: ThemeKind) {
        self.theme = theme;
    }

    /// Flip the timeline's visibility from the layout's default (`t`).
    pub fn set_show_timeline(&mut self, flipped: bool) {
        self.view.show_timeline = flipped;
    }

    /// Drop the notice on screen, if any.
    pub fn clear_toast(&mut self) {
        self.toast = None;
    }

    /// What covers the live view now.
    pub fn overlay(&self) -> &Overlay {
        &self.overlay
    }

    /// The open prompt, if any.
    pub fn prompt(&self) -> Option<&Prompt> {
        match &self.overlay {
            Overlay::Prompt(p) => Some(p),
            _ => None,
        }
    }

    /// Show `overlay` (a test or a front end: the help, the ledger, a reload error).
    pub fn show(&mut self, overlay: Overlay) {
        self.overlay = overlay;
    }

    /// The saved scenario file no longer loads: say why until Esc (replaces any overlay: it
    /// matters more than help).
    pub fn reload_failed(&mut self, why: String) {
        self.overlay = Overlay::ReloadError(why);
    }

    /// `?` / `L`: show it, or hide it if it is up; a modal overlay stays.
    fn toggle_overlay(&mut self, o: Overlay) {
        if self.overlay.is_modal() {
            return;
        }
        self.overlay = if self.overlay == o { Overlay::None } else { o };
    }

    /// True when the screen changes on its own (the clock runs or a toast is counting down).
    pub fn is_animating(&self) -> bool {
        self.playback.moving()
            || self.toast.is_some()
            || self.present.as_ref().is_some_and(Presenting::animating)
    }

    /// The message for a key press, given the modal state.
    pub fn handle_key(&mut self, ev: &crossterm::event::KeyEvent) -> Vec<Effect> {
        use crossterm::event::{KeyCode, KeyModifiers};
        if let Some(p) = &mut self.present
            && p.blank
        {
            // Any key brings the screen back, and does nothing else.
            p.blank = false;
            return Vec::new();
        }
        if matches!(self.overlay, Overlay::ReloadError(_)) && ev.code == KeyCode::Esc {
            self.overlay = Overlay::None;
            return Vec::new();
        }
        if self.overlay == Overlay::Prompt(Prompt::ConfirmQuit) {
            self.overlay = Overlay::None;
            let yes = matches!(ev.code, KeyCode::Char('y' | 'Y' | 'q') | KeyCode::Enter)
                || (ev.code == KeyCode::Char('c') && ev.modifiers.contains(KeyModifiers::CONTROL));
            return if yes { vec![Effect::Quit] } else { Vec::new() };
        }
        if self.overlay == Overlay::Prompt(Prompt::ConfirmReset) {
            self.overlay = Overlay::None;
            if ev.code == KeyCode::Char('c') && ev.modifiers.contains(KeyModifiers::CONTROL) {
                return vec![Effect::Quit];
            }
            if matches!(ev.code, KeyCode::Char('y' | 'Y') | KeyCode::Enter) {
                self.reset_lab();
            } else {
                self.toast("the lab goes on", false);
            }
            return Vec::new();
        }
        if let Overlay::Prompt(Prompt::GoTo { input }) = &mut self.overlay {
            match ev.code {
                KeyCode::Char('c') if ev.modifiers.contains(KeyModifiers::CONTROL) => {
                    return vec![Effect::Quit];
                }
                KeyCode::Char(c)
                    if (c.is_ascii_alphanumeric() || c == ' ' || c == '+') && input.len() < 24 =>
                {
                    input.push(c);
                }
                KeyCode::Backspace => {
                    input.pop();
                }
                KeyCode::Enter => {
                    let typed = std::mem::take(input);
                    self.overlay = Overlay::None;
                    self.confirm_go_to(&typed);
                    self.announce_verdict();
                }
                KeyCode::Esc => self.overlay = Overlay::None,
                _ => {}
            }
            return Vec::new();
        }
        if matches!(self.overlay, Overlay::Briefing | Overlay::LabVerdict) {
            // Any key closes the card; Esc, Enter and space do nothing else.
            self.overlay = Overlay::None;
            if matches!(ev.code, KeyCode::Esc | KeyCode::Enter | KeyCode::Char(' ')) {
                return Vec::new();
            }
        }
        if let Overlay::Prompt(Prompt::DeletionDays { input, .. }) = &mut self.overlay {
            match ev.code {
                KeyCode::Char('c') if ev.modifiers.contains(KeyModifiers::CONTROL) => {
                    return vec![Effect::Quit];
                }
                KeyCode::Char(c) if c.is_ascii_digit() && input.len() < 2 => input.push(c),
                KeyCode::Backspace => {
                    input.pop();
                }
                KeyCode::Enter => {
                    self.confirm_prompt();
                    self.announce_verdict();
                }
                KeyCode::Esc => {
                    self.overlay = Overlay::None;
                    self.toast("deletion not scheduled", false);
                }
                _ => {}
            }
            return Vec::new();
        }
        if matches!(self.overlay, Overlay::Help | Overlay::Ledger) && ev.code == KeyCode::Esc {
            self.overlay = Overlay::None;
            return Vec::new();
        }
        self.key_msg(ev)
            .map_or_else(Vec::new, |msg| self.update(msg))
    }

    /// The message a key maps to in the current mode (plain or presenting), once no overlay
    /// or prompt takes the key for itself.
    fn key_msg(&self, ev: &crossterm::event::KeyEvent) -> Option<Msg> {
        // A lab's attendee drives with the sandbox keys, presenting or not.
        if self.lab.is_some() {
            return self.lab_key(ev).or_else(|| keys::lookup(ev));
        }
        if let Some(p) = &self.present {
            keys::lookup_present(
                ev,
                p.question.as_ref().is_some_and(|q| !q.revealed),
                p.unlocked,
            )
        } else {
            keys::lookup(ev)
        }
    }

    /// Before a message that takes long enough to look like a hang (a step back that rebuilds
    /// a world too large for snapshots from its start), put up a notice saying so and return
    /// true: the terminal loop draws it, then applies the message as usual.
    pub fn announce(&mut self, msg: Msg) -> bool {
        if msg != Msg::PrevStep || !self.session.back_rebuilds_large_world() {
            return false;
        }
        self.toast(
            "going back: rebuilding this large world from its start (a second or two)…",
            false,
        );
        true
    }

    /// `announce` for the message a key press would send, when no overlay takes the key.
    pub fn announce_key(&mut self, ev: &crossterm::event::KeyEvent) -> bool {
        // A prompt or a blanked screen takes the key for itself (see `handle_key`).
        let taken = matches!(self.overlay, Overlay::Prompt(_))
            || self.present.as_ref().is_some_and(|p| p.blank);
        match self.key_msg(ev) {
            Some(msg) if !taken => self.announce(msg),
            _ => false,
        }
    }

    /// Apply a message; what must happen outside the model (quit, write a file) comes back as
    /// effects for the terminal loop to perform.
    pub fn update(&mut self, msg: Msg) -> Vec<Effect> {
        if Self::acts(msg) {
            // Acting happens at the moment on screen: a stretch being shown stops there.
            self.stop_stretch();
        }
        let effects = self.dispatch(msg);
        self.announce_verdict();
        effects
    }

    /// Does the message act on the world (a sandbox action, or saving it)?
    fn acts(msg: Msg) -> bool {
        matches!(
            msg,
            Msg::Read
                | Msg::Write
                | Msg::DisableKey
                | Msg::EnableKey
                | Msg::ScheduleDeletion
                | Msg::CancelDeletion
                | Msg::SwitchTableKey
                | Msg::RotateKey
                | Msg::Revoke
                | Msg::Allow
                | Msg::ToggleGrant
                | Msg::DeleteMaterial
                | Msg::ImportMaterial
                | Msg::Backup
                | Msg::Restore
                | Msg::SaveScenario
        )
    }

    fn dispatch(&mut self, msg: Msg) -> Vec<Effect> {
        match msg {
            Msg::Tick => self.tick(),
            Msg::TogglePause => {
                self.stop_stretch();
                if self.playback.toggle_pause() && self.runner().next_event_at().is_none() {
                    self.toast(
                        "nothing is scheduled: the clock runs on, use the sandbox keys to act",
                        false,
                    );
                }
            }
            Msg::NextStep => self.next_step(),
            Msg::PrevStep => self.prev_step(),
            Msg::SpeedUp | Msg::SlowDown => {
                self.stop_stretch();
                self.playback.change_speed(msg == Msg::SpeedUp);
            }
            Msg::AutoPace => self.playback.auto_pace = true,
            Msg::JumpNextEvent => {
                self.stop_stretch();
                self.jump_next_event();
            }
            Msg::FocusNext => self.view.cycle_focus(true),
            Msg::FocusPrev => self.view.cycle_focus(false),
            Msg::Up => self.scroll(Scroll::Up(1)),
            Msg::Down => self.scroll(Scroll::Down(1)),
            Msg::PageUp => self.scroll(Scroll::Up(10)),
            Msg::PageDown => self.scroll(Scroll::Down(10)),
            Msg::Home => self.scroll(Scroll::Top),
            Msg::End => self.scroll(Scroll::Bottom),
            Msg::ToggleCollapse => {
                if !self.focus_selected_table() {
                    self.toggle_collapse();
                }
            }
            Msg::NextTable => self.next_table(),
            Msg::ToggleTimeline => self.view.show_timeline = !self.view.show_timeline,
            Msg::ToggleView => self.view.prefer_list = !self.view.prefer_list,
            Msg::ZoomTimeline => self.view.next_zoom(),
            Msg::ToggleHelp => self.toggle_overlay(Overlay::Help),
            Msg::ToggleLedger => self.toggle_overlay(Overlay::Ledger),
            Msg::Quit if self.present.is_some() => {
                self.overlay = Overlay::Prompt(Prompt::ConfirmQuit);
            }
            Msg::Quit => return vec![Effect::Quit],
            Msg::TogglePresent
            | Msg::Blank
            | Msg::CloseOverlays
            | Msg::Pick(_)
            | Msg::ToggleSandboxLock => {
                self.present_msg(msg);
            }
            Msg::Read
            | Msg::Write
            | Msg::DisableKey
            | Msg::EnableKey
            | Msg::CancelDeletion
            | Msg::RotateKey
            | Msg::SwitchTableKey
            | Msg::DeleteMaterial
            | Msg::ImportMaterial
            | Msg::Backup
            | Msg::Restore
            | Msg::ToggleGrant
            | Msg::ScheduleDeletion
            | Msg::Revoke
            | Msg::Allow => self.sandbox(msg),
            Msg::SaveScenario => return self.save().into_iter().collect(),
            Msg::Hint | Msg::ResetLab | Msg::GoToTime | Msg::Briefing => self.lab_msg(msg),
        }
        Vec::new()
    }

    fn toast(&mut self, text: impl Into<String>, error: bool) {
        self.toast = Some(Toast {
            text: text.into(),
            error,
            frames_left: 120,
        });
    }

    fn refresh_derived(&mut self) {
        self.timeline.update(self.session.runner().engine().log());
        self.follow_step_table();
    }
}

/// Read access for the views and tests (the model changes only through `update`).
impl App {
    pub fn blank(&self) -> bool {
        self.present.as_ref().is_some_and(|p| p.blank)
    }

    pub fn cache(&self) -> ListState {
        self.view.cache
    }

    pub fn focus(&self) -> Focus {
        self.view.focus
    }

    pub fn log_scroll(&self) -> usize {
        self.view.log_scroll
    }

    pub fn paused(&self) -> bool {
        self.playback.paused
    }

    pub fn prefer_list(&self) -> bool {
        self.view.prefer_list
    }

    pub fn present(&self) -> bool {
        self.present.is_some()
    }

    /// Presenting: the state of present mode (the sandbox lock, the guard), when on.
    pub fn presenting(&self) -> Option<&Presenting> {
        self.present.as_ref()
    }

    /// Presenting, "next" is ignored for now: a question or its reveal just appeared.
    pub fn guarded(&self) -> bool {
        self.present.as_ref().is_some_and(Presenting::guarded)
    }

    pub fn question(&self) -> Option<&Question> {
        self.present.as_ref().and_then(|p| p.question.as_ref())
    }

    pub fn show_timeline(&self) -> bool {
        self.view.show_timeline
    }

    pub fn stretch(&self) -> Option<&Stretch> {
        self.playback.stretch.as_ref()
    }

    pub fn theme(&self) -> ThemeKind {
        self.theme
    }

    pub fn timeline_zoom(&self) -> usize {
        self.view.timeline_zoom
    }

    pub fn current_toast(&self) -> Option<&Toast> {
        self.toast.as_ref()
    }
}

/// Read access for the views and tests (the model changes only through `update`).
impl App {
    pub fn auto_pace(&self) -> bool {
        self.playback.auto_pace
    }

    pub fn last_saved(&self) -> Option<&PathBuf> {
        self.saved.as_ref()
    }
}
