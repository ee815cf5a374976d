//! Time in the live view: stepping (an animated stretch up to the next step, finished at once
//! by a second press), playing (at the automatic pace or a manual speed), jumping to the next
//! event, going back, opening at `--at`, and reloading a saved scenario file.

use std::sync::Arc;

use super::pacing::{self, Goal, Stretch};
use super::timeline::Timeline;
use super::{App, FRAME, Overlay, SPEEDS};
use crate::engine::EngineError;
use crate::engine::time::{SimDuration, SimTime};
use crate::scenario::Scenario;
use crate::session::Session;

impl App {
    /// Finish a running stretch at once (the second press of `n` does this; tests use it to
    /// step without animation).
    pub fn settle(&mut self) {
        // A reveal's path, too, is shown through at once.
        self.finish_path();
        if let Some(stretch) = self.playback.stretch.take() {
            stretch.finish(&mut self.session);
            self.arrive(stretch.goal);
        }
    }

    /// Stop a running stretch where it is.
    pub(super) fn stop_stretch(&mut self) {
        self.playback.stretch = None;
    }

    /// The scenario file changed and loads: start it again and go to the same step (by id,
    /// else by number), keeping the view (present mode, theme, focus, layout).
    pub fn reload(&mut self, scenario: Arc<Scenario>) -> Result<(), EngineError> {
        let started = self.runner().steps_started();
        let here = started
            .checked_sub(1)
            .and_then(|ix| self.scenario().steps.get(ix))
            .map(|s| (s.id.clone(), s.number));
        let mut session = Session::new(scenario)?;
        let steps = session.scenario().steps.len();
        let target = here.map(|(id, number)| {
            id.and_then(|id| {
                session
                    .scenario()
                    .steps
                    .iter()
                    .position(|s| s.id.as_deref() == Some(id.as_str()))
            })
            .unwrap_or_else(|| number.min(steps).saturating_sub(1))
        });
        if let Some(ix) = target.filter(|_| steps > 0) {
            session.go_to(crate::scenario::At::Step(ix));
        }
        self.session = session;
        self.playback.stretch = None;
        self.close_question();
        if matches!(self.overlay, Overlay::ReloadError(_)) {
            self.overlay = Overlay::None;
        }
        self.playback.paused = true;
        self.timeline = Timeline::default();
        self.refresh_derived();
        let now_at = self.runner().steps_started();
        self.toast(
            format!("{} reloaded: at step {now_at}", self.scenario().file),
            false,
        );
        Ok(())
    }

    /// Open at `at` (`--at`): as if stepped there, questions on the way answered; presenting,
    /// a step with a question opens with it asked and unanswered.
    pub fn go_to(&mut self, at: crate::scenario::At) {
        if let crate::scenario::At::Step(ix) = at
            && self.open_question_at(ix)
        {
            return;
        }
        self.session.go_to(at);
        self.refresh_derived();
    }

    pub(super) fn tick(&mut self) {
        self.tick_present();
        if let Some(t) = &mut self.toast {
            t.frames_left = t.frames_left.saturating_sub(1);
            if t.frames_left == 0 {
                self.toast = None;
            }
        }
        if self.stretch_frame() {
            return;
        }
        if self.playback.paused {
            return;
        }
        if self.playback.auto_pace
            && let Some(goal) = self.play_goal()
        {
            if let Some(stretch) = Stretch::start(&self.session, goal) {
                self.playback.stretch = Some(stretch);
                self.stretch_frame();
            } else {
                pacing::reach(goal, &mut self.session);
                self.arrive(goal);
            }
            return;
        }
        let per_frame = SPEEDS[self.playback.speed].0 * FRAME.as_millis() as u64 / 1_000;
        let target = self.runner().engine().now() + SimDuration(per_frame);
        // Stop at the next new step (one at a time, even when several share a time) so its
        // narration can be read.
        if let Some((step, at)) = self.runner().next_step_at()
            && at <= target
        {
            let goal = self.goal_for(step, at);
            pacing::reach(goal, &mut self.session);
            self.arrive(goal);
            return;
        }
        self.advance_to(target);
    }

    /// Advance the clock to `t`, recording it in the session.
    pub(super) fn advance_to(&mut self, t: SimTime) {
        if self.lab.is_some() {
            // A lab's clock stops where its verdict comes in.
            self.session.advance_until_verdict(t);
        } else {
            self.session.advance_to(t);
        }
        self.refresh_derived();
    }

    /// Where playing at the automatic pace heads next: the next step, or past the last step
    /// the end of the next burst of engine events (a whole re-wrap at once); `None` when
    /// nothing is scheduled (then the clock runs at the default speed).
    pub(super) fn play_goal(&self) -> Option<Goal> {
        let runner = self.session.runner();
        if let Some((step, at)) = runner.next_step_at() {
            return Some(self.goal_for(step, at));
        }
        let next = runner.next_event_at()?;
        let burst = runner.engine().rewrap_due_until().unwrap_or(next);
        Some(Goal::Time(next.max(burst)))
    }

    /// Show one frame of the running stretch; false when none runs.
    pub(super) fn stretch_frame(&mut self) -> bool {
        let Some(mut stretch) = self.playback.stretch.take() else {
            return false;
        };
        if stretch.frame(&mut self.session) {
            self.arrive(stretch.goal);
        } else {
            self.playback.stretch = Some(stretch);
            self.refresh_derived();
        }
        true
    }

    pub(super) fn next_step(&mut self) {
        if self.guard_next() {
            return;
        }
        if self.playback.stretch.is_some() {
            // A second press finishes the stretch being shown at once.
            self.settle();
            return;
        }
        // A press while a reveal draws its path shows the answer at once.
        if self.finish_path() {
            return;
        }
        match self.question() {
            Some(q) if !q.revealed => {
                self.reveal();
                return;
            }
            Some(_) => self.close_question(),
            None => {}
        }
        let Some((step, at)) = self.session.runner().next_step_at() else {
            self.toast(
                "that was the last step: play on, or use the sandbox keys",
                false,
            );
            return;
        };
        let goal = self.goal_for(step, at);
        // Even a step at the current moment takes a few frames, so a double tap finishes it
        // instead of skipping the next step.
        self.playback.stretch = Some(
            Stretch::start(&self.session, goal)
                .unwrap_or_else(|| Stretch::hold(&self.session, goal)),
        );
    }

    pub(super) fn jump_next_event(&mut self) {
        if self.session.jump_next_event() {
            self.refresh_derived();
        } else {
            self.toast("nothing is scheduled", false);
        }
    }

    /// Go back to the previous step (or to the start of the current one if time moved).
    pub(super) fn prev_step(&mut self) {
        // Feedback belongs to the moment it was given.
        self.toast = None;
        self.stop_stretch();
        self.close_question();
        self.session.back();
        self.playback.paused = true;
        self.timeline = Timeline::default();
        self.refresh_derived();
    }
}
