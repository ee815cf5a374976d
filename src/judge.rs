//! The lab's judge: a lab (`scenario::lab`) is solved at the first moment every part of its
//! goal holds, unless an invariant broke first or the deadline passed. The runner tells the
//! judge of every read and write it makes and of every moment the engine's state changes (each
//! scheduled event, each action); the judge evaluates the goal and the invariants with the
//! expectation language's own evaluation (`CheckKind::evaluate`) on the engine's read model.
//! It has no rules of its own: a verdict is what `expect` would say at that moment.

use std::sync::Arc;

use crate::engine::Engine;
use crate::engine::event::RequestResult;
use crate::engine::time::SimTime;
use crate::scenario::expect::{Check, Target};
use crate::scenario::lab::{Expected, Invariant, Lab, words};

/// Where a lab stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Neither solved nor failed yet.
    Open,
    /// Every part of the goal held at `at`, with no invariant broken before.
    Solved { at: SimTime },
    /// An invariant broke, or the deadline passed, at `at`.
    Failed { at: SimTime, why: Broke },
}

/// Why a lab failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Broke {
    /// Every part of the invariant `name` held; `state` is what the world showed.
    Never {
        name: String,
        words: String,
        state: String,
    },
    /// The deadline passed; `missing` names the parts of the goal that did not hold then.
    Deadline { missing: String },
    /// The run ended (a lab with no deadline) with the goal not reached.
    Unsolved { missing: String },
}

impl Broke {
    /// The reason as a wrong attempt states it (`never failed-read`, `deadline`, `unsolved`).
    pub fn as_expected(&self) -> Expected {
        match self {
            Broke::Never { name, .. } => Expected::Never(name.clone()),
            Broke::Deadline { .. } => Expected::Deadline,
            Broke::Unsolved { .. } => Expected::Unsolved,
        }
    }
}

impl std::fmt::Display for Broke {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Broke::Never { name, words, state } if state == words => {
                write!(f, "broke never `{name}`: {words}")
            }
            Broke::Never { name, words, state } => {
                write!(f, "broke never `{name}` ({words}): {state}")
            }
            Broke::Deadline { missing } => write!(f, "deadline passed; not reached: {missing}"),
            Broke::Unsolved { missing } => write!(f, "goal never reached: {missing}"),
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Verdict::Open => f.write_str("in progress"),
            Verdict::Solved { at } => write!(f, "SOLVED at {at}"),
            Verdict::Failed { at, why } => write!(f, "FAILED at {at}: {why}"),
        }
    }
}

/// A lab being judged.
#[derive(Clone, Debug)]
pub struct Judge {
    lab: Arc<Lab>,
    verdict: Verdict,
}

impl Judge {
    pub fn new(lab: Arc<Lab>) -> Self {
        Self {
            lab,
            verdict: Verdict::Open,
        }
    }

    pub fn lab(&self) -> &Lab {
        &self.lab
    }

    pub fn verdict(&self) -> &Verdict {
        &self.verdict
    }

    pub fn is_open(&self) -> bool {
        self.verdict == Verdict::Open
    }

    /// The deadline, while it can still decide the lab.
    pub fn pending_deadline(&self) -> Option<SimTime> {
        self.lab.deadline.filter(|_| self.is_open())
    }

    /// The lab's table now (found by name: it may be one a restore makes).
    fn target(&self, engine: &Engine) -> Target {
        let table = engine.find_table(&self.lab.table_name);
        let copy = match (&self.lab.region, table) {
            (Some(region), Some(tx)) => engine.copy_in(tx, region),
            _ => table,
        };
        Target { table: copy, copy }
    }

    fn holds(&self, engine: &Engine, checks: &[Check], result: &RequestResult) -> bool {
        let target = self.target(engine);
        checks
            .iter()
            .all(|c| c.kind.evaluate(engine, target, result).is_none())
    }

    /// After a read or write: the invariants about a request's result.
    pub fn after_request(&mut self, engine: &Engine, result: &RequestResult) {
        if !self.is_open() {
            return;
        }
        self.passed_deadline(engine);
        if !self.is_open() {
            return;
        }
        let lab = self.lab.clone();
        let broken = lab
            .never
            .iter()
            .find(|inv| inv.on_requests() && self.holds(engine, &inv.checks, result));
        if let Some(inv) = broken {
            let state = match result {
                RequestResult::Ok => self.state_words(inv),
                RequestResult::Error {
                    error,
                    message,
                    kms_error,
                } => match kms_error {
                    Some(k) => format!("{error} ({k}): {message}"),
                    None => format!("{error}: {message}"),
                },
            };
            self.fail(engine.now(), inv, state);
        }
    }

    /// At a moment the state may have changed: the deadline, the invariants about state, then
    /// the goal.
    pub fn observe(&mut self, engine: &Engine) {
        if !self.is_open() {
            return;
        }
        self.passed_deadline(engine);
        if !self.is_open() {
            return;
        }
        let lab = self.lab.clone();
        let broken = lab
            .never
            .iter()
            .find(|inv| !inv.on_requests() && self.holds(engine, &inv.checks, &RequestResult::Ok));
        if let Some(inv) = broken {
            let state = self.state_words(inv);
            self.fail(engine.now(), inv, state);
            return;
        }
        if self.holds(engine, &self.lab.goal, &RequestResult::Ok) {
            self.verdict = Verdict::Solved { at: engine.now() };
        }
    }

    /// The run is over (`check`, `run`): a lab still open failed, by its deadline or unsolved.
    pub fn finish(&mut self, engine: &Engine) {
        self.observe(engine);
        if self.is_open() {
            let missing = self.missing(engine);
            self.verdict = Verdict::Failed {
                at: engine.now(),
                why: match self.lab.deadline {
                    Some(_) => Broke::Deadline { missing },
                    None => Broke::Unsolved { missing },
                },
            };
        }
    }

    fn passed_deadline(&mut self, engine: &Engine) {
        if let Some(d) = self.lab.deadline
            && engine.now() > d
        {
            let missing = self.missing(engine);
            self.verdict = Verdict::Failed {
                at: d,
                why: Broke::Deadline { missing },
            };
        }
    }

    fn fail(&mut self, at: SimTime, inv: &Invariant, state: String) {
        self.verdict = Verdict::Failed {
            at,
            why: Broke::Never {
                name: inv.name.clone(),
                words: inv.words(&self.lab.subject()),
                state,
            },
        };
    }

    /// What the world showed for an invariant that holds (its parts, in words).
    fn state_words(&self, inv: &Invariant) -> String {
        inv.words(&self.lab.subject())
    }

    /// The parts of the goal that do not hold now, in words.
    fn missing(&self, engine: &Engine) -> String {
        let parts: Vec<String> = self
            .goal_parts(engine)
            .into_iter()
            .filter(|(_, held)| !held)
            .map(|(w, _)| w)
            .collect();
        if parts.is_empty() {
            "nothing (it holds now, but too late)".into()
        } else {
            parts.join("; ")
        }
    }

    /// Each part of the goal in words, and whether it holds now.
    pub fn goal_parts(&self, engine: &Engine) -> Vec<(String, bool)> {
        let target = self.target(engine);
        self.lab
            .goal
            .iter()
            .map(|c| {
                let held = c
                    .kind
                    .evaluate(engine, target, &RequestResult::Ok)
                    .is_none();
                (words(&c.kind, &self.lab.subject()), held)
            })
            .collect()
    }

    /// Each invariant: its name, its words, and whether it holds now (an invariant about
    /// requests never holds between them).
    pub fn never_parts(&self, engine: &Engine) -> Vec<(String, String, bool)> {
        self.lab
            .never
            .iter()
            .map(|inv| {
                let now = !inv.on_requests() && self.holds(engine, &inv.checks, &RequestResult::Ok);
                (inv.name.clone(), inv.words(&self.lab.subject()), now)
            })
            .collect()
    }
}
