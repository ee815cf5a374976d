//! Scenario files: parse and validate the TOML contract (docs/scenario-format.md).
//!
//! Parsing is two passes: serde with `deny_unknown_fields` and spans for the shape (`raw`), then
//! validation of values and references, each error with file:line:col and a hint: the world
//! (`world`: assumptions, principals, keys, table), the steps (`steps`) and their expectations
//! (`expect`). `write` turns a scenario back into TOML; `builtins` holds the shipped ones.

mod builtins;
mod copies;
mod cx;
pub mod diag;
pub mod expect;
mod keys;
pub mod lab;
pub mod limits;
mod names;
mod raw;
mod regions;
pub mod schema;
mod start;
mod steps;
mod world;
pub mod write;

use std::collections::BTreeSet;
use std::sync::Arc;

pub(crate) use builtins::open_nonblocking;
pub use builtins::{BUILTINS, Builtin, LABS, LoadError, default_scenario, load};
pub use diag::Diagnostic;
pub use expect::{Check, CheckKind, Field};
pub use names::printable;

use crate::engine::ids::{ConnectionId, PrincipalId};
use crate::engine::time::{SimDuration, SimTime};
use crate::engine::{Command, WorldSpec};
use cx::{Ctx, Declared, instant};
use raw::RawScenario;
use toml::Spanned;

/// Most actions a scenario may expand to (kept for callers of the earlier name).
pub const MAX_OCCURRENCES: u64 = limits::MAX_ACTIONS;

/// A validated scenario.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// The file as the user named it, or `builtin:NAME`.
    pub file: String,
    pub source: Arc<str>,
    pub title: String,
    pub summary: Option<String>,
    /// Presenting: the talk's target length (`talk`), for the speaker notes' pace.
    pub talk: Option<SimDuration>,
    pub world: WorldSpec,
    /// Assumptions the file set explicitly (the rest are defaults).
    pub assumptions_set: BTreeSet<&'static str>,
    pub steps: Vec<Step>,
    /// Keep the clock running until at least this time (extension: `end`).
    pub end: Option<SimTime>,
    /// Version 2: every table a step may name: the declared ones, then those restores create
    /// (`Step::table` indexes this list; the engine finds each by name when the step runs).
    pub table_names: Vec<String>,
    /// Characters in the longest narration the room reads (the summary or a step's note):
    /// present mode sizes the narration once for the whole scenario, so the stage never moves.
    pub longest_note: usize,
    /// A lab (`[lab]`): its goal, invariants and attempts; the steps include the attendee
    /// actions of `lab.variant`.
    pub lab: Option<Arc<lab::Lab>>,
}

/// One `[[step]]`.
#[derive(Clone, Debug)]
pub struct Step {
    /// 1-based, as users count.
    pub number: usize,
    pub line: usize,
    pub at: SimTime,
    pub action: Action,
    pub note: Option<String>,
    /// Presenting: what the presenter says here (`say`); never on the room's screen.
    pub say: Option<String>,
    /// Presenting: the explanation after the question's reveal (`after`); speaker notes only.
    pub after: Option<String>,
    pub expect: Vec<Check>,
    /// Extension: repeat the action every `every` until `until` (inclusive).
    pub repeat: Option<Repeat>,
    /// Version 2: a unique name (`[a-z0-9-]+`) for `--at` and markers.
    pub id: Option<String>,
    /// Version 2: the table the step acts on and its expectations speak about (an index;
    /// 0, the first table, when the step names none).
    pub table: usize,
    /// Version 2: the step names its table (`table = "..."`), even the first: the live view's
    /// panels follow it.
    pub names_table: bool,
    /// Version 2: a question for the room, answered by the simulation.
    pub ask: Option<Ask>,
    /// Version 2: the region of the global-table copy a read or write goes to (`None`: the
    /// table's own).
    pub region: Option<String>,
}

/// A question for the room (`ask`): exactly one choice must hold after the step.
#[derive(Clone, Debug, PartialEq)]
pub struct Ask {
    pub line: usize,
    pub prompt: String,
    pub choices: Vec<Choice>,
}

/// One answer to an `ask`, with what must hold for it to be the right one.
#[derive(Clone, Debug, PartialEq)]
pub struct Choice {
    pub line: usize,
    pub text: String,
    pub expect: Vec<Check>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Repeat {
    pub every: SimDuration,
    pub until: SimTime,
}

impl Step {
    /// Every time this step's action runs.
    pub fn occurrences(&self) -> impl Iterator<Item = SimTime> + '_ {
        let (every, until) = match self.repeat {
            Some(r) => (r.every.as_millis(), r.until),
            None => (0, self.at),
        };
        let start = self.at.as_millis();
        let count = until
            .as_millis()
            .saturating_sub(start)
            .checked_div(every)
            .map_or(1, |n| n + 1);
        (0..count).map(move |i| SimTime(start + i * every))
    }
}

/// What a step does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// One engine command.
    Command(Command),
    /// Extension: `connection = "all"`: one read or write on every connection of the principal.
    EachConnection {
        principal: PrincipalId,
        connections: u32,
        write: bool,
    },
}

impl Action {
    /// Does it act on a table (a request or a key change), rather than on a key?
    pub fn acts_on_table(&self) -> bool {
        match self {
            Action::Command(c) => c.acts_on_table(),
            Action::EachConnection { .. } => true,
        }
    }

    /// The engine commands this action expands to.
    pub fn commands(&self) -> Vec<Command> {
        match self {
            Action::Command(c) => vec![c.clone()],
            Action::EachConnection {
                principal,
                connections,
                write,
            } => (1..=*connections)
                .map(|c| Command::request(principal.clone(), ConnectionId(c), *write))
                .collect(),
        }
    }

    /// How many engine commands one run of this action makes.
    pub fn command_count(&self) -> u64 {
        match self {
            Action::Command(_) => 1,
            Action::EachConnection { connections, .. } => u64::from(*connections),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Action::Command(c) => c.describe(),
            Action::EachConnection {
                principal,
                connections,
                write,
            } => format!(
                "{} as {principal} on each of its {connections} connections",
                if *write { "write" } else { "read" }
            ),
        }
    }
}

/// Parse and validate a scenario file's text. A lab is built with the attempt it holds
/// (`[[lab.attempt]]`), else as an attendee starts it; every variant it holds is validated.
pub fn parse(file: &str, text: &str) -> Result<Scenario, Diagnostic> {
    parse_as(file, text, None)
}

/// A lab's scenario with one variant's actions merged into its steps (`lab::Variant`).
pub fn parse_variant(
    file: &str,
    text: &str,
    variant: lab::Variant,
) -> Result<Scenario, Diagnostic> {
    parse_as(file, text, Some(variant))
}

#[allow(clippy::too_many_lines)]
fn parse_as(file: &str, text: &str, want: Option<lab::Variant>) -> Result<Scenario, Diagnostic> {
    let source: Arc<str> = Arc::from(text);
    let cx = Ctx {
        file,
        source: source.clone(),
    };
    let raw: RawScenario = toml::from_str(text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        let message = e.message().trim().to_string();
        let mut d = cx.err(span, message.clone());
        if message.contains("unknown field") {
            d = d.help("`rewrap docs` prints every field the format accepts");
        } else if message.contains("missing field") {
            d = d.help("this field is required");
        }
        d
    })?;

    let title = raw.title.as_ref().ok_or_else(|| {
        cx.err(0..0, "missing `title`")
            .help("add a line like: title = \"What this scenario shows\"")
    })?;
    if title.get_ref().trim().is_empty() {
        return Err(cx.err(title.span(), "`title` is empty"));
    }
    let seed = match &raw.seed {
        Some(s) => u64::try_from(*s.get_ref())
            .map_err(|_| cx.err(s.span(), "`seed` must be a non-negative integer"))?,
        None => 0,
    };
    let (assumptions, assumptions_set) = world::parse_assumptions(&cx, raw.assumptions.as_ref())?;
    let principals = world::parse_principals(&cx, &raw.principal)?;
    let keys = keys::parse_keys(&cx, &raw.key, &principals)?;
    let declared = Declared::new(&cx, &principals, &keys, &[]);
    let tables = world::parse_tables(&cx, raw.table.as_ref(), &declared, &assumptions)?;
    let declared = Declared::new(&cx, &principals, &keys, &tables);
    let backups = start::parse_backups(&cx, &raw.backup, &declared, &tables)?;
    // Steps may restore a backup taken before the start; none may reuse its name.
    declared
        .backups
        .borrow_mut()
        .extend(backups.iter().map(|b| b.name.clone()));
    let steps = steps::parse_steps(&cx, &raw.step, &declared)?;
    let (lab, steps) = match &raw.lab {
        None => (None, steps),
        Some(rl) => {
            let variant = want.unwrap_or(if rl.get_ref().attempt.is_empty() {
                lab::Variant::Base
            } else {
                lab::Variant::Attempt
            });
            let extra =
                steps::parse_steps(&cx, lab::variant_steps(rl.get_ref(), variant), &declared)?;
            let steps = lab::merge(steps, extra);
            let first = tables.first().map_or("", |t| t.name.as_str());
            let table = lab::lab_table(rl.get_ref(), &declared, first)?;
            let lab = lab::parse_lab(&cx, rl, &declared, table, variant)?;
            (Some(Arc::new(lab)), steps)
        }
    };
    let mut table_names: Vec<String> = tables.iter().map(|t| t.name.clone()).collect();
    table_names.extend(declared.restored.take());
    copies::check_totals(
        &cx,
        &tables,
        &backups,
        &steps,
        raw.step.first().map(Spanned::span),
    )?;
    let end = match &raw.end {
        Some(e) => Some(instant(&cx, e, "end", SimTime::ZERO)?),
        None => None,
    };
    let talk = match &raw.talk {
        Some(t) => Some(cx.duration_in(
            t,
            "talk",
            SimDuration::from_mins(1),
            SimDuration::from_hours(8),
        )?),
        None => None,
    };
    let summary = raw.summary.as_deref().map(|t| printable(t, true));
    let longest_note = steps
        .iter()
        .filter_map(|s| s.note.as_deref())
        .chain(summary.as_deref())
        .map(|n| n.chars().count())
        .max()
        .unwrap_or(0);
    // Every variant of a lab is validated when the file loads, whichever one is built.
    if want.is_none()
        && let Some(rl) = &raw.lab
    {
        let built = lab.as_ref().map(|l| l.variant);
        for v in lab::variants(rl.get_ref()) {
            if Some(v) != built {
                parse_as(file, text, Some(v))?;
            }
        }
    }
    Ok(Scenario {
        file: file.to_string(),
        source,
        title: printable(title.get_ref(), false),
        summary,
        talk,
        longest_note,
        world: WorldSpec {
            seed,
            assumptions,
            keys,
            tables,
            principals,
            backups,
        },
        assumptions_set,
        steps,
        end,
        table_names,
        lab,
    })
}

#[cfg(test)]
mod tests;

/// Where `--at` opens a scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum At {
    /// At this step (an index), as if stepped to.
    Step(usize),
    /// At this simulated time, as if stepped and played to it.
    Time(SimTime),
}

impl Scenario {
    /// Resolve `--at ID|N|TIME`: a step id, else a 1-based step number, else a time
    /// (`"7d 1h"`). The error names what was given and what would be accepted.
    pub fn resolve_at(&self, text: &str) -> Result<At, String> {
        if let Some(ix) = self
            .steps
            .iter()
            .position(|s| s.id.as_deref() == Some(text))
        {
            return Ok(At::Step(ix));
        }
        if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
            let n: usize = text.parse().unwrap_or(usize::MAX);
            return if (1..=self.steps.len()).contains(&n) {
                Ok(At::Step(n - 1))
            } else {
                Err(format!(
                    "--at {text}: there is no step {text} (the scenario has {} steps)",
                    self.steps.len()
                ))
            };
        }
        if let Ok(d) = crate::engine::time::parse_duration(text) {
            // Held to the span a scenario's own times are (opening 100 years in runs every
            // scheduled rotation up to there; beyond it, memory and time grow without end).
            if d.as_millis() > limits::MAX_SPAN.as_millis() {
                return Err(format!(
                    "--at {text}: later than the {}-day span a scenario may cover",
                    limits::MAX_SPAN.as_millis() / 86_400_000
                ));
            }
            return Ok(At::Time(SimTime::ZERO + d));
        }
        let ids: Vec<&str> = self.steps.iter().filter_map(|s| s.id.as_deref()).collect();
        let known = if ids.is_empty() {
            "this scenario names no steps".to_string()
        } else {
            format!("its step ids: {}", ids.join(", "))
        };
        Err(format!(
            "--at {text:?}: not a step id, a step number (1-{}) or a time like \"7d 1h\"; {known}",
            self.steps.len()
        ))
    }
}
