//! Present mode's model: a question (`ask`) stops before its step, the room answers, the
//! presenter reveals; blanking and the clicker's messages.

use super::pacing::Goal;
use super::{App, Msg, Overlay, Question};
use crate::engine::time::SimTime;

impl App {
    /// How a step is reached: presenting, a step with a question stops just before it runs.
    pub(super) fn goal_for(&self, step: usize, at: SimTime) -> Goal {
        if self.present && self.scenario().steps[step].ask.is_some() {
            Goal::Ask(step, at)
        } else {
            Goal::Step(step, at)
        }
    }

    /// A goal was reached: playing pauses at each new step, so its narration can be read; a
    /// question opens.
    pub(super) fn arrive(&mut self, goal: Goal) {
        match goal {
            Goal::Step(..) => self.paused = true,
            Goal::Ask(step, _) => {
                self.paused = true;
                self.question = Some(Question {
                    step,
                    room: None,
                    revealed: false,
                });
            }
            Goal::Time(_) => {}
        }
        self.refresh_derived();
    }

    /// Present mode's own messages.
    pub(super) fn presenting(&mut self, msg: Msg) {
        match msg {
            Msg::TogglePresent => {
                self.present = !self.present;
                self.question = None;
            }
            Msg::Blank => self.blank = true,
            Msg::CloseOverlays => {
                if matches!(self.overlay, Overlay::Help | Overlay::Ledger) {
                    self.overlay = Overlay::None;
                }
            }
            Msg::Pick(n) => self.pick(n),
            _ => {}
        }
    }

    /// The room's answer to the open question (ignored past the number of choices).
    pub(super) fn pick(&mut self, n: u8) {
        let choices = self.question.as_ref().map_or(0, |q| {
            self.session.scenario().steps[q.step]
                .ask
                .as_ref()
                .map_or(0, |a| a.choices.len())
        });
        if let Some(q) = &mut self.question
            && !q.revealed
            && (1..=choices).contains(&usize::from(n))
        {
            q.room = Some(n);
        }
    }

    /// Run the open question's step and show which choice held.
    pub(super) fn reveal(&mut self) {
        if let Some(q) = &mut self.question
            && !q.revealed
        {
            q.revealed = true;
            let step = q.step;
            self.session.through_step(step);
            self.session.checkpoint();
            self.refresh_derived();
        }
    }
}
