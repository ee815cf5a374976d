//! Play a scenario against the engine: run each step's action at its time, record it in the
//! log, and check its expectations. The headless commands and the TUI share this.

use std::fmt;

use crate::engine::event::RequestResult;
use crate::engine::table::TableIx;
use crate::engine::time::SimTime;
use crate::engine::vocab::ErrorCode;
use crate::engine::{Command, Engine, EngineError};
use crate::scenario::expect::{EXPECTABLE_KMS_ERRORS, Target};
use crate::scenario::{CheckKind, Scenario, Step};

/// One time a step's action runs (a repeated step has many).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Occurrence {
    pub at: SimTime,
    pub step: usize,
    pub rep: u64,
}

/// A failed expectation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckFailure {
    pub file: String,
    pub line: usize,
    pub step: usize,
    pub at: SimTime,
    pub expected: String,
    pub got: String,
}

impl fmt::Display for CheckFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: step {} at {}: expected {}, got {}",
            self.file, self.line, self.step, self.at, self.expected, self.got
        )
    }
}

/// Where an executed action came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// A scenario step (index into `steps`), first occurrence.
    Scripted { step: usize },
    /// A live (sandbox) action from the TUI, on the table it names.
    Live { cmd: Command, on: LiveAt },
}

/// Which table (by name; `None`: the first) and which of its copies (`region`; `None`: the
/// table's own) a live action acts on.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LiveAt {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

/// An action that ran, with what it observed right after: enough to write it back out as a
/// step whose expectations hold on replay.
#[derive(Clone, Debug)]
pub struct Executed {
    pub at: SimTime,
    pub source: Source,
    pub result: RequestResult,
    pub observed: Vec<CheckKind>,
}

/// What an action's caller and the table look like right after it: outcome, error, status.
pub fn observe(engine: &Engine, tx: Option<TableIx>, result: &RequestResult) -> Vec<CheckKind> {
    let mut v = vec![CheckKind::Outcome(result.is_ok())];
    if let RequestResult::Error {
        error, kms_error, ..
    } = result
    {
        if let Some(code) = ErrorCode::parse_expectable(error.name()) {
            v.push(CheckKind::Error(code));
        }
        if let Some(k) = kms_error
            && EXPECTABLE_KMS_ERRORS.contains(k)
        {
            v.push(CheckKind::KmsError(*k));
        }
    }
    let Some(t) = tx.and_then(|tx| engine.tables().get(tx.0)) else {
        return v;
    };
    v.push(CheckKind::Table(t.status()));
    v.push(CheckKind::Sse(t.sse()));
    v.push(CheckKind::WrappedBy(t.current_kms_key().clone()));
    v
}

/// A scenario being played.
#[derive(Clone, Debug)]
pub struct Runner {
    pub scenario: std::sync::Arc<Scenario>,
    engine: Engine,
    /// Every scripted action in time order; shared by clones (it never changes).
    occurrences: std::sync::Arc<[Occurrence]>,
    next: usize,
    failures: Vec<CheckFailure>,
    /// Number of distinct steps begun so far.
    steps_started: usize,
    /// Every step begun and every live action, in the order they ran.
    executed: crate::engine::log::Chunked<Executed>,
    /// For each question asked so far (step index): which choices held after its first run.
    answers: Vec<(usize, Vec<bool>)>,
    /// A lab's judge (`[lab]`), told of every request and every moment the state changes.
    judge: Option<crate::judge::Judge>,
}

impl Runner {
    pub fn new(scenario: std::sync::Arc<Scenario>) -> Result<Self, EngineError> {
        let engine = Engine::new(&scenario.world)?;
        let mut occurrences: Vec<Occurrence> = scenario
            .steps
            .iter()
            .enumerate()
            .flat_map(|(i, s)| {
                s.occurrences().enumerate().map(move |(r, at)| Occurrence {
                    at,
                    step: i,
                    rep: r as u64,
                })
            })
            .collect();
        occurrences.sort();
        Ok(Self {
            engine,
            occurrences: occurrences.into(),
            next: 0,
            failures: Vec::new(),
            steps_started: 0,
            executed: crate::engine::log::Chunked::new(),
            answers: Vec::new(),
            judge: scenario.lab.clone().map(crate::judge::Judge::new),
            scenario,
        })
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// For live (sandbox) actions: the engine, to apply a command at the current moment.
    pub fn engine_mut(&mut self) -> &mut Engine {
        &mut self.engine
    }

    pub fn executed(&self) -> &crate::engine::log::Chunked<Executed> {
        &self.executed
    }

    /// Did any expectation of this step (index) fail so far?
    pub fn step_failed(&self, step: usize) -> bool {
        let number = step + 1;
        self.failures.iter().any(|f| f.step == number)
    }

    /// Occurrences of a step that have run so far.
    pub fn occurrences_run(&self, step: usize) -> impl Iterator<Item = &Occurrence> {
        self.occurrences[..self.next]
            .iter()
            .filter(move |o| o.step == step)
    }

    pub fn failures(&self) -> &[CheckFailure] {
        &self.failures
    }

    pub fn steps_started(&self) -> usize {
        self.steps_started
    }

    /// When the next scripted action runs.
    pub fn next_occurrence(&self) -> Option<Occurrence> {
        self.occurrences.get(self.next).copied()
    }

    /// How many scripted actions still to run are due strictly before `t`.
    pub fn repeats_before(&self, t: SimTime) -> usize {
        self.occurrences[self.next..].partition_point(|o| o.at < t)
    }

    /// When the first occurrence of the next not-yet-started step runs.
    pub fn next_step_at(&self) -> Option<(usize, SimTime)> {
        let s = self.scenario.steps.get(self.steps_started)?;
        Some((self.steps_started, s.at))
    }

    /// The time of the last scripted action, or `end` if later.
    pub fn end_time(&self) -> SimTime {
        let last = self.occurrences.last().map_or(SimTime::ZERO, |o| o.at);
        self.scenario.end.map_or(last, |e| e.max(last))
    }

    /// The next thing that happens: a scripted action or an engine event.
    pub fn next_event_at(&self) -> Option<SimTime> {
        let a = self.next_occurrence().map(|o| o.at);
        let b = self.engine.next_event_at();
        match (a, b) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Advance the clock to `t`, running every scripted action due on the way.
    pub fn advance_to(&mut self, t: SimTime) {
        while let Some(o) = self.next_occurrence() {
            if o.at > t {
                break;
            }
            self.settle(o.at);
            self.next += 1;
            self.run_occurrence(o);
        }
        self.settle(t);
    }

    /// Run everything before step `step` (an index) and the step itself, and stop there: steps
    /// that share its time but come later in the file wait for the next call. Engine events due
    /// at its time happen before it, as the format says.
    pub fn advance_through_step(&mut self, step: usize) {
        let Some(at) = self.scenario.steps.get(step).map(|s| s.at) else {
            return;
        };
        while let Some(o) = self.next_occurrence() {
            if o.at > at || (o.at == at && o.step > step) {
                break;
            }
            self.settle(o.at);
            self.next += 1;
            self.run_occurrence(o);
        }
        self.settle(at);
    }

    /// Run everything before step `step` (an index) at its time, engine events due then
    /// included, but not the step itself: a question is asked there.
    pub fn advance_before_step(&mut self, step: usize) {
        let Some(at) = self.scenario.steps.get(step).map(|s| s.at) else {
            return;
        };
        while let Some(o) = self.next_occurrence() {
            if o.at > at || (o.at == at && o.step >= step) {
                break;
            }
            self.settle(o.at);
            self.next += 1;
            self.run_occurrence(o);
        }
        self.settle(at);
    }

    /// Run to the end of the scenario.
    pub fn run_to_end(&mut self) {
        let end = self.end_time();
        self.advance_to(end);
    }

    /// The engine's clock to `t`; with a lab still open, one scheduled moment at a time (and
    /// its deadline), so the judge sees the state at each moment it changes.
    fn settle(&mut self, t: SimTime) {
        while let Some(judge) = self.judge.as_ref().filter(|j| j.is_open()) {
            let now = self.engine.now();
            let event = self.engine.next_event_at().filter(|n| *n <= t);
            let deadline = judge.pending_deadline().filter(|d| *d > now && *d <= t);
            let stop = match (event, deadline) {
                (Some(a), Some(b)) => a.min(b),
                (a, b) => match a.or(b) {
                    Some(s) => s,
                    None => break,
                },
            };
            self.engine.advance_to(stop);
            if let Some(j) = self.judge.as_mut() {
                j.observe(&self.engine);
            }
            if stop >= t || self.engine.next_event_at().is_some_and(|n| n <= stop) {
                break;
            }
        }
        self.engine.advance_to(t);
        if let Some(j) = self.judge.as_mut() {
            j.observe(&self.engine);
        }
    }

    /// The lab's judge, when the scenario is a lab.
    pub fn judge(&self) -> Option<&crate::judge::Judge> {
        self.judge.as_ref()
    }

    /// A lab run to its verdict (`check`, `run`): to its end or deadline, whichever is later,
    /// then, with no deadline, through what is still scheduled (at most a year on), until
    /// the verdict is in; a lab still open then has failed.
    pub fn run_lab_to_verdict(&mut self) {
        let Some(deadline) = self.judge.as_ref().map(|j| j.lab().deadline) else {
            return self.run_to_end();
        };
        let end = self.end_time().max(deadline.unwrap_or(SimTime::ZERO));
        self.advance_to(end);
        if deadline.is_none() {
            let limit = end + crate::engine::time::SimDuration::from_days(366);
            while self
                .judge
                .as_ref()
                .is_some_and(crate::judge::Judge::is_open)
            {
                match self.engine.next_event_at() {
                    Some(n) if n <= limit && n > self.engine.now() => self.advance_to(n),
                    _ => break,
                }
            }
        }
        if let Some(j) = self.judge.as_mut() {
            j.finish(&self.engine);
        }
    }

    /// Tell the judge of a request's result and of the state after an action.
    fn judge_action(&mut self, request: bool, result: &RequestResult) {
        if let Some(j) = self.judge.as_mut() {
            if request {
                j.after_request(&self.engine, result);
            }
            j.observe(&self.engine);
        }
    }

    fn run_occurrence(&mut self, o: Occurrence) {
        let scenario = self.scenario.clone();
        let step: &Step = &scenario.steps[o.step];
        if o.rep == 0 {
            self.steps_started = self.steps_started.max(o.step + 1);
            // A question's step says its note after the answer, not before.
            let note = step.note.clone().filter(|_| step.ask.is_none());
            let mut action = step.action.describe();
            if scenario.table_names.len() > 1
                && let Some(t) = scenario.table_names.get(step.table)
                && step.action.acts_on_table()
            {
                action = format!("{action} on {t}");
            }
            if let Some(r) = &step.region {
                action = format!("{action} in {r}");
            }
            self.engine.record_step(step.number, action, note);
            if let Some(ask) = &step.ask {
                let choices = ask.choices.iter().map(|c| c.text.clone()).collect();
                self.engine
                    .record_question(step.number, ask.prompt.clone(), choices);
            }
        }
        let mut result = RequestResult::Ok;
        for cmd in step.action.commands() {
            // Found by name as it runs: a restored table exists only once its restore worked.
            let target = self.target(step);
            let r = match target.copy {
                Some(copy) => self.engine.apply_in(copy, &cmd),
                None if cmd.acts_on_table() => {
                    let message = match (&step.region, target.table) {
                        (Some(r), Some(_)) => format!(
                            "table {} has no copy in {r}",
                            scenario.table_names[step.table]
                        ),
                        _ => format!("table {} does not exist", scenario.table_names[step.table]),
                    };
                    self.engine.refuse_missing_table(&cmd, message)
                }
                None => self.engine.apply_in(TableIx::FIRST, &cmd),
            };
            if result.is_ok() {
                result = r;
            }
        }
        self.judge_action(is_request(&step.action), &result);
        let tx = self.target(step);
        for check in &step.expect {
            if let Some((expected, got)) = evaluate(&self.engine, tx, &check.kind, &result) {
                self.failures.push(CheckFailure {
                    file: scenario.file.clone(),
                    line: check.line,
                    step: step.number,
                    at: o.at,
                    expected,
                    got,
                });
            }
        }
        if let Some(ask) = &step.ask {
            self.answer(o, step, ask, &result);
        }
        if o.rep == 0 {
            self.executed.push(Executed {
                at: o.at,
                source: Source::Scripted { step: o.step },
                observed: observe(&self.engine, tx.table, &result),
                result: result.clone(),
            });
        }
    }

    /// Which choices of a question held after the step ran; exactly one must (else a failed
    /// expectation naming what held).
    fn answer(
        &mut self,
        o: Occurrence,
        step: &Step,
        ask: &crate::scenario::Ask,
        result: &RequestResult,
    ) {
        let mut misses: Vec<String> = Vec::new();
        let held: Vec<bool> = ask
            .choices
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let target = self.target(step);
                let miss = c
                    .expect
                    .iter()
                    .find_map(|check| evaluate(&self.engine, target, &check.kind, result));
                if let Some((expected, got)) = &miss {
                    misses.push(format!("{}. expects {expected}, got {got}", i + 1));
                }
                miss.is_none()
            })
            .collect();
        let which: Vec<usize> = (1..=held.len()).filter(|i| held[i - 1]).collect();
        if which.len() != 1 {
            let got = if which.is_empty() {
                format!("none held ({})", misses.join("; "))
            } else {
                format!(
                    "choices {} all held",
                    which
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            self.failures.push(CheckFailure {
                file: self.scenario.file.clone(),
                line: ask.line,
                step: step.number,
                at: o.at,
                expected: "exactly one choice of the question holds".into(),
                got,
            });
        }
        if o.rep == 0 {
            let choices = ask.choices.iter().map(|c| c.text.clone()).collect();
            self.engine
                .record_answer(step.number, which, choices, step.note.clone());
            self.answers.push((o.step, held));
        }
    }

    /// Which choices of step `step`'s question (an index) held, once it has run.
    pub fn answer_of(&self, step: usize) -> Option<&[bool]> {
        self.answers
            .iter()
            .find(|(s, _)| *s == step)
            .map(|(_, held)| held.as_slice())
    }

    /// Apply the `number`-th live (sandbox) action of the session at the current moment, on
    /// the table (and region) `at` names (the first table by default).
    pub fn apply_live(&mut self, number: usize, cmd: &Command, at: &LiveAt) -> RequestResult {
        let mut action = cmd.describe();
        let several = self.engine.tables().len() > 1;
        if cmd.acts_on_table() {
            match &at.table {
                Some(t) => action = format!("{action} on {t}"),
                None if several => {
                    action = format!("{action} on {}", self.engine.first_table().name());
                }
                None => {}
            }
            if let Some(r) = &at.region {
                action = format!("{action} in {r}");
            }
        }
        self.engine.record_live(number, action);
        let table = match &at.table {
            Some(name) => self.engine.find_table(name),
            None => Some(TableIx::FIRST),
        };
        let copy = match (&at.region, table) {
            (Some(r), Some(tx)) => self.engine.copy_in(tx, r),
            _ => table,
        };
        let result = match copy {
            Some(copy) => self.engine.apply_in(copy, cmd),
            None if cmd.acts_on_table() => self.engine.refuse_missing_table(
                cmd,
                format!(
                    "table {} has no copy here",
                    at.table.as_deref().unwrap_or("?")
                ),
            ),
            None => self.engine.apply_in(TableIx::FIRST, cmd),
        };
        self.judge_action(
            matches!(cmd, Command::Read { .. } | Command::Write { .. }),
            &result,
        );
        self.executed.push(Executed {
            at: self.engine.now(),
            source: Source::Live {
                cmd: cmd.clone(),
                on: at.clone(),
            },
            observed: observe(&self.engine, table, &result),
            result: result.clone(),
        });
        result
    }
}

/// Is the action a read or a write (what `never = [{ outcome = "error" }]` watches)?
fn is_request(action: &crate::scenario::Action) -> bool {
    match action {
        crate::scenario::Action::Command(c) => {
            matches!(c, Command::Read { .. } | Command::Write { .. })
        }
        crate::scenario::Action::EachConnection { .. } => true,
    }
}

/// Check one expectation; `Some((expected, got))` when it does not hold.
pub fn evaluate(
    engine: &Engine,
    target: Target,
    check: &CheckKind,
    result: &RequestResult,
) -> Option<(String, String)> {
    check.evaluate(engine, target, result)
}

impl Runner {
    /// The table step `step` speaks about, found by name now, and the copy its read or write
    /// goes to (`region`).
    pub fn target(&self, step: &Step) -> Target {
        let table = self
            .scenario
            .table_names
            .get(step.table)
            .and_then(|name| self.engine.find_table(name));
        let copy = match (&step.region, table) {
            (Some(r), Some(tx)) => self.engine.copy_in(tx, r),
            _ => table,
        };
        Target { table, copy }
    }
}
