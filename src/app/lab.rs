//! Labs in the live view (`rewrap lab`): the briefing first, hints one at a time (`H`), a
//! reset (`r`, confirmed), a "go to time" prompt (`>`) when the lab enables it, and the
//! verdict shown once when it comes in. The verdict itself is the runner's judge
//! (`crate::judge`): the view only shows it.

use super::{App, Overlay, Prompt};
use crate::judge::{Judge, Verdict};

/// What the live view keeps of a lab besides the session: what the attendee has seen.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LabMode {
    /// Hints revealed so far.
    pub hints_shown: usize,
    /// The verdict on screen was announced (its card shown once).
    announced: bool,
}

impl App {
    /// Open as a lab: the briefing first, and the lab's keys.
    #[must_use]
    pub fn as_lab(mut self) -> Self {
        if self.scenario().lab.is_some() {
            self.lab = Some(LabMode::default());
            self.overlay = Overlay::Briefing;
        }
        self
    }

    /// The lab's view state, in a lab.
    pub fn lab(&self) -> Option<&LabMode> {
        self.lab.as_ref()
    }

    /// The lab's judge, in a lab.
    pub fn judge(&self) -> Option<&Judge> {
        self.lab.as_ref().and_then(|_| self.runner().judge())
    }

    /// The lab's own keys, before the common table: `H` hint, `r` reset (so reading moves to
    /// `f`), `>` go to time, `m` the briefing.
    pub(super) fn lab_key(&self, ev: &crossterm::event::KeyEvent) -> Option<super::Msg> {
        use super::Msg;
        use crossterm::event::{KeyCode, KeyModifiers};
        self.lab.as_ref()?;
        if ev
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
        {
            return None;
        }
        match ev.code {
            KeyCode::Char('H') => Some(Msg::Hint),
            KeyCode::Char('r') => Some(Msg::ResetLab),
            KeyCode::Char('f') => Some(Msg::Read),
            KeyCode::Char('>') => Some(Msg::GoToTime),
            KeyCode::Char('m') => Some(Msg::Briefing),
            _ => None,
        }
    }

    pub(super) fn lab_msg(&mut self, msg: super::Msg) {
        use super::Msg;
        let Some(lab) = self.scenario().lab.clone() else {
            return;
        };
        match msg {
            Msg::Hint => {
                let Some(mode) = self.lab.as_mut() else {
                    return;
                };
                if lab.hints.is_empty() {
                    self.toast("this lab has no hints", false);
                } else if mode.hints_shown < lab.hints.len() {
                    mode.hints_shown += 1;
                    let n = mode.hints_shown;
                    self.toast(
                        format!("hint {n} of {} is in the goal panel", lab.hints.len()),
                        false,
                    );
                } else {
                    self.toast("every hint is shown", false);
                }
            }
            Msg::ResetLab => self.overlay = Overlay::Prompt(Prompt::ConfirmReset),
            Msg::GoToTime if lab.go_to => {
                self.playback.paused = true;
                self.overlay = Overlay::Prompt(Prompt::GoTo {
                    input: String::new(),
                });
            }
            Msg::GoToTime => self.toast("this lab has no go-to-time key: use space, + and j", true),
            Msg::Briefing => self.overlay = Overlay::Briefing,
            _ => {}
        }
    }

    /// Start the lab again from its first moment (the hints seen stay seen).
    pub(super) fn reset_lab(&mut self) {
        let scenario = self.runner().scenario.clone();
        match crate::session::Session::new(scenario) {
            Ok(s) => {
                self.session = s;
                self.playback.paused = true;
                self.playback.stretch = None;
                self.timeline = super::timeline::Timeline::default();
                self.table_focus = crate::engine::table::TableIx::FIRST;
                self.focus_followed = 0;
                if let Some(mode) = self.lab.as_mut() {
                    mode.announced = false;
                }
                self.refresh_derived();
                self.toast("the lab starts again", false);
            }
            Err(e) => self.toast(format!("could not reset: {e}"), true),
        }
    }

    /// The typed time: `"7d 1h"` from the start, or `"+1h"` from now; only forward.
    pub(super) fn confirm_go_to(&mut self, input: &str) {
        let now = self.runner().engine().now();
        let text = input.trim();
        let parsed = match text.strip_prefix('+') {
            Some(rel) => crate::engine::time::parse_duration(rel.trim()).map(|d| now + d),
            None => crate::engine::time::parse_duration(text)
                .map(|d| crate::engine::time::SimTime::ZERO + d),
        };
        match parsed {
            Err(e) => self.toast(
                format!("{text:?}: {}; try \"7d 1h\" or \"+30m\"", e.message),
                true,
            ),
            Ok(t) if t <= now => self.toast(
                format!("{t} is not ahead of the clock ({now}): ← steps back, r resets"),
                true,
            ),
            Ok(t) if t.as_millis() > crate::scenario::limits::MAX_SPAN.as_millis() => {
                self.toast("too far ahead: a lab covers at most 100 years", true);
            }
            Ok(t) => {
                self.stop_stretch();
                let reached = self.session.advance_until_verdict(t);
                self.session.checkpoint();
                self.refresh_derived();
                if reached < t {
                    self.toast(
                        format!("stopped at {reached}: the lab's verdict came in"),
                        false,
                    );
                } else {
                    self.toast(format!("went to {t}"), false);
                }
            }
        }
    }

    /// Once a verdict comes in, show its card once and stop the clock; going back (or a
    /// reset) to before it makes the next one announced again.
    pub(super) fn announce_verdict(&mut self) {
        let open = self
            .runner()
            .judge()
            .is_none_or(|j| *j.verdict() == Verdict::Open);
        let Some(mode) = self.lab.as_mut() else {
            return;
        };
        if open {
            mode.announced = false;
        } else if !mode.announced {
            mode.announced = true;
            self.playback.paused = true;
            self.playback.stretch = None;
            if !self.overlay.is_modal() {
                self.overlay = Overlay::LabVerdict;
            }
        }
    }
}
