//! Present mode's model: a question (`ask`) stops before its step, the room answers, the
//! presenter reveals; blanking, the clicker's guard and the sandbox lock.
//!
//! A clicker is a blunt instrument: two presses 50 ms apart, or a held button, must not show
//! an answer and move on. So a question, and its reveal, ignore "next" for `GUARD_FRAMES` after
//! they appear, and every press ignored restarts the wait: a held key (a stream of presses)
//! never passes a question. The sandbox keys are locked while presenting, so a stray key never
//! changes the story; `U` unlocks them, and a LIVE badge tells the room.

use super::pacing::{self, Goal};
use super::{App, Msg, Overlay, Question};
use crate::engine::time::SimTime;

/// Frames (of `FRAME`, 33 ms) a question or its reveal ignores "next" after it appears: 0.7 s.
pub const GUARD_FRAMES: u32 = 21;

/// Frames a reveal shows the request's path (item → DEK → table key → cache or KMS) before
/// the answer box comes up: about 2 s.
pub const PATH_FRAMES: u32 = 60;

/// What the presenter's screen is doing, while present mode is on.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Presenting {
    /// The screen is blanked (`b`); any key brings it back.
    pub(in crate::app) blank: bool,
    /// The question on screen.
    pub(in crate::app) question: Option<Question>,
    /// The sandbox keys work (`U`); the room's screen shows a LIVE badge.
    pub(in crate::app) unlocked: bool,
    /// Frames left during which "next" is ignored (a question or its reveal just appeared).
    pub(in crate::app) guard: u32,
    /// Live actions taken since the sandbox was unlocked, for the badge.
    pub(in crate::app) live_since_unlock: usize,
    /// Frames left of the revealed request's path (`PATH_FRAMES` after a reveal).
    pub(in crate::app) path: u32,
}

impl Presenting {
    /// The sandbox keys work.
    pub fn unlocked(&self) -> bool {
        self.unlocked
    }

    /// "Next" is being ignored for now (a question or its reveal just appeared).
    pub fn guarded(&self) -> bool {
        self.guard > 0
    }

    /// Frames must keep coming: the guard runs down, or a reveal's path is drawn.
    pub fn animating(&self) -> bool {
        self.guard > 0 || self.path > 0
    }

    /// The revealed request's path is being drawn: how far along it is (0.0 to 1.0).
    pub fn path_progress(&self) -> Option<f64> {
        let q = self.question.as_ref().filter(|q| q.revealed)?;
        let shown = q.proof.as_ref()?.request.as_ref()?;
        (self.path > 0 && shown.cache != crate::engine::view::CacheUse::None)
            .then(|| f64::from(PATH_FRAMES - self.path) / f64::from(PATH_FRAMES))
    }
}

impl App {
    /// How a step is reached: presenting, a step with a question stops just before it runs.
    pub(super) fn goal_for(&self, step: usize, at: SimTime) -> Goal {
        if self.present.is_some() && self.scenario().steps[step].ask.is_some() {
            Goal::Ask(step, at)
        } else {
            Goal::Step(step, at)
        }
    }

    /// A goal was reached: playing pauses at each new step, so its narration can be read; a
    /// question opens (and ignores "next" for a moment).
    pub(super) fn arrive(&mut self, goal: Goal) {
        match goal {
            Goal::Step(..) => self.playback.paused = true,
            Goal::Ask(step, _) => {
                self.playback.paused = true;
                if let Some(p) = &mut self.present {
                    p.question = Some(Question {
                        step,
                        room: None,
                        revealed: false,
                        proof: None,
                        result: None,
                    });
                    p.guard = GUARD_FRAMES;
                }
            }
            Goal::Time(_) => {}
        }
        self.refresh_derived();
    }

    /// Open at a step presenting (`--at`): a step with a question opens with the question
    /// asked and unanswered, the world just before it.
    pub(super) fn open_question_at(&mut self, step: usize) -> bool {
        if self.present.is_none() || self.scenario().steps[step].ask.is_none() {
            return false;
        }
        if step > 0 {
            self.session.go_to(crate::scenario::At::Step(step - 1));
        }
        let Some((next, at)) = self.session.runner().next_step_at() else {
            return false;
        };
        let goal = Goal::Ask(next, at);
        pacing::reach(goal, &mut self.session);
        self.arrive(goal);
        true
    }

    /// Close the question on screen, if any.
    pub(super) fn close_question(&mut self) {
        if let Some(p) = &mut self.present {
            p.question = None;
            p.guard = 0;
            p.path = 0;
        }
    }

    /// Is "next" ignored now? A press while it is restarts the wait, so a held key never
    /// passes a question or its reveal.
    pub(super) fn guard_next(&mut self) -> bool {
        match &mut self.present {
            Some(p) if p.guard > 0 => {
                p.guard = GUARD_FRAMES;
                true
            }
            _ => false,
        }
    }

    /// One frame passed: the clicker's guard runs down.
    pub(super) fn tick_present(&mut self) {
        if let Some(p) = &mut self.present {
            p.guard = p.guard.saturating_sub(1);
            p.path = p.path.saturating_sub(1);
        }
    }

    /// The revealed request's path is being drawn: a press shows the answer at once.
    pub(super) fn finish_path(&mut self) -> bool {
        match &mut self.present {
            Some(p) if p.path_progress().is_some() => {
                p.path = 0;
                true
            }
            _ => false,
        }
    }

    /// Present mode's own messages.
    pub(super) fn present_msg(&mut self, msg: Msg) {
        match msg {
            Msg::TogglePresent => {
                self.present = if self.present.is_some() {
                    None
                } else {
                    Some(super::Presenting::default())
                };
            }
            Msg::Blank => {
                if let Some(p) = &mut self.present {
                    p.blank = true;
                }
            }
            Msg::CloseOverlays => {
                if matches!(self.overlay, Overlay::Help | Overlay::Ledger) {
                    self.overlay = Overlay::None;
                }
            }
            Msg::Pick(n) => self.pick(n),
            Msg::ToggleSandboxLock => {
                let live = self.session.live_actions();
                if let Some(p) = &mut self.present {
                    p.unlocked = !p.unlocked;
                    p.live_since_unlock = live;
                    let text = if p.unlocked {
                        "sandbox unlocked: the keys act on the world (LIVE); U locks them again"
                    } else {
                        "sandbox locked: only the clicker's keys work"
                    };
                    self.toast(text, false);
                }
            }
            _ => {}
        }
    }

    /// The room's answer to the open question (ignored past the number of choices).
    pub(super) fn pick(&mut self, n: u8) {
        let choices = self.question().map_or(0, |q| {
            self.session.scenario().steps[q.step]
                .ask
                .as_ref()
                .map_or(0, |a| a.choices.len())
        });
        if let Some(q) = self.present.as_mut().and_then(|p| p.question.as_mut())
            && !q.revealed
            && (1..=choices).contains(&usize::from(n))
        {
            q.room = Some(n);
        }
    }

    /// Run the open question's step and show which choice held; the reveal ignores "next"
    /// for a moment, so a double press keeps it on screen.
    pub(super) fn reveal(&mut self) {
        let Some(p) = &mut self.present else {
            return;
        };
        if let Some(q) = &mut p.question
            && !q.revealed
        {
            q.revealed = true;
            p.guard = GUARD_FRAMES;
            p.path = PATH_FRAMES;
            let step = q.step;
            self.session.through_step(step);
            self.session.checkpoint();
            let number = self.session.scenario().steps[step].number;
            let runner = self.session.runner();
            let proof = runner.engine().step_proof(number);
            let result = runner
                .executed()
                .iter()
                .rev()
                .find(|e| matches!(e.source, crate::runner::Source::Scripted { step: s } if s == step))
                .map(|e| e.result.clone());
            if let Some(q) = self.present.as_mut().and_then(|p| p.question.as_mut()) {
                q.proof = proof;
                q.result = result;
            }
            self.refresh_derived();
        }
    }
}
