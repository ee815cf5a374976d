//! Labs (`[lab]`, docs/scenario-format.md "Labs"): a goal the simulation checks while an
//! attendee drives, invariants that fail the lab the moment they break, a deadline, hints, a
//! briefing and a debrief, and the attempts that prove the lab (a reference solution and known
//! wrong ones). Goals and invariants are written in the expectation language (`expect`) and
//! judged with the same evaluation (`crate::judge`), never by a second one.

use toml::Spanned;

use super::cx::{Ctx, Declared, instant};
use super::diag::Diagnostic;
use super::expect::{Check, CheckKind, Field, cached_text, grant_name, parse_expect};
use super::names::printable;
use super::raw::{RawLab, RawNever, RawStep};
use super::{Step, limits};
use crate::engine::time::SimTime;

/// Most hints a lab may hold (revealed one at a time).
pub const MAX_HINTS: usize = 9;
/// Most known wrong attempts a lab may hold.
pub const MAX_WRONG: usize = 9;
/// Most invariants a lab may hold.
pub const MAX_NEVER: usize = 16;
/// Longest briefing, debrief or hint, in characters.
pub const MAX_LAB_TEXT: usize = 2_000;

/// Which attendee actions a lab's scenario was built with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    /// The lab as an attendee starts it: its own steps only.
    Base,
    /// `[[lab.solution]]` merged into the steps.
    Solution,
    /// The n-th `[[lab.wrong]]` (an index) merged into the steps.
    Wrong(usize),
    /// `[[lab.attempt]]`, what an attendee saved, merged into the steps.
    Attempt,
}

/// A validated `[lab]`.
#[derive(Clone, Debug)]
pub struct Lab {
    pub line: usize,
    pub briefing: String,
    /// Every part must hold at once for the lab to be solved.
    pub goal: Vec<Check>,
    pub never: Vec<Invariant>,
    pub deadline: Option<SimTime>,
    pub hints: Vec<String>,
    pub debrief: String,
    /// The table the goal and invariants speak about (an index into `Scenario::table_names`).
    pub table: usize,
    pub table_name: String,
    /// With `region`: the replica of the table in that region, which the goal and invariants
    /// then speak about instead of the table itself.
    pub region: Option<String>,
    /// The live view's "go to time" key is on.
    pub go_to: bool,
    /// Line of the first `[[lab.solution]]` action, when the lab ships a solution.
    pub solution_line: Option<usize>,
    pub wrong: Vec<Wrong>,
    /// Actions in `[[lab.attempt]]` (0: the file holds no attempt).
    pub attempt_actions: usize,
    /// Which attendee actions this scenario's steps include.
    pub variant: Variant,
}

impl Lab {
    /// What the goal and invariants speak about, as the live view names it: `Orders`, or
    /// `Orders@eu-west-1` for a replica.
    pub fn subject(&self) -> String {
        match &self.region {
            Some(r) => format!("{}@{r}", self.table_name),
            None => self.table_name.clone(),
        }
    }
}

/// One `never` entry: the lab fails the moment every part of it holds.
#[derive(Clone, Debug)]
pub struct Invariant {
    pub name: String,
    pub line: usize,
    pub checks: Vec<Check>,
}

impl Invariant {
    /// Does it speak about a request's result (`outcome`, `error`, `kms_error`)? Then it is
    /// checked after every read and write, with that request's result.
    pub fn on_requests(&self) -> bool {
        self.checks.iter().any(|c| is_result_field(c.kind.field()))
    }

    /// The invariant in words: "a read or write fails", "Orders is ARCHIVED".
    pub fn words(&self, table: &str) -> String {
        conjunction(self.checks.iter().map(|c| words(&c.kind, table)))
    }
}

/// A known wrong attempt and the reason it must fail.
#[derive(Clone, Debug)]
pub struct Wrong {
    pub name: String,
    /// The misconception it encodes, in the author's words.
    pub why: String,
    pub fails: Expected,
    pub line: usize,
}

/// Why a wrong attempt must fail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expected {
    /// It breaks this invariant (by name).
    Never(String),
    /// The deadline passes with the goal not reached.
    Deadline,
    /// The run ends with the goal not reached (a lab without a deadline).
    Unsolved,
}

impl std::fmt::Display for Expected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Expected::Never(n) => write!(f, "never {n}"),
            Expected::Deadline => f.write_str("deadline"),
            Expected::Unsolved => f.write_str("unsolved"),
        }
    }
}

fn is_result_field(f: Field) -> bool {
    matches!(f, Field::Outcome | Field::Error | Field::KmsError)
}

/// The steps of `[[lab.solution]]`, `[[lab.wrong]]` n, or `[[lab.attempt]]`.
pub(super) fn variant_steps(raw: &RawLab, variant: Variant) -> &[Spanned<RawStep>] {
    match variant {
        Variant::Base => &[],
        Variant::Solution => &raw.solution,
        Variant::Wrong(i) => raw.wrong.get(i).map_or(&[], |w| &w.get_ref().step),
        Variant::Attempt => &raw.attempt,
    }
}

/// Every variant a file holds besides the base.
pub(super) fn variants(raw: &RawLab) -> Vec<Variant> {
    let mut v = Vec::new();
    if !raw.solution.is_empty() {
        v.push(Variant::Solution);
    }
    v.extend((0..raw.wrong.len()).map(Variant::Wrong));
    if !raw.attempt.is_empty() {
        v.push(Variant::Attempt);
    }
    v
}

/// The lab's steps and the variant's merged in time order (the lab's first at equal times),
/// numbered again as users count.
pub(super) fn merge(mut lab: Vec<Step>, extra: Vec<Step>) -> Vec<Step> {
    if extra.is_empty() {
        return lab;
    }
    lab.extend(extra);
    lab.sort_by_key(|s| s.at);
    for (i, s) in lab.iter_mut().enumerate() {
        s.number = i + 1;
    }
    lab
}

/// A lab's table, once every step is parsed: a declared table or one a step restores, else a
/// name registered now (a table the attendee's restore will make; "no such table" until then).
pub(super) fn lab_table(
    raw: &RawLab,
    declared: &Declared<'_>,
    first: &str,
) -> Result<(usize, String), Diagnostic> {
    let Some(t) = &raw.table else {
        return Ok((0, first.to_string()));
    };
    let name = t.get_ref();
    if let Ok(ix) = declared.table(t) {
        return Ok((ix, name.clone()));
    }
    if !super::copies::valid_name(name, 3) {
        return Err(declared
            .cx
            .err(
                t.span(),
                format!("`{}` is not a table name", printable(name, false)),
            )
            .help("a table name is 3 to 100 of letters, digits, _ - ."));
    }
    declared.restored.borrow_mut().push(name.clone());
    Ok((
        declared.tables.len() + declared.restored.borrow().len() - 1,
        name.clone(),
    ))
}

/// Validate `[lab]` (its steps are parsed by the caller).
pub(super) fn parse_lab(
    cx: &Ctx<'_>,
    raw: &Spanned<RawLab>,
    declared: &Declared<'_>,
    table: (usize, String),
    variant: Variant,
) -> Result<Lab, Diagnostic> {
    let r = raw.get_ref();
    declared.current_table.set(table.0);
    let briefing = text(cx, &r.briefing, "briefing")?;
    let debrief = text(cx, &r.debrief, "debrief")?;
    let goal = parse_expect(cx, &r.goal, declared)?;
    if goal.is_empty() {
        return Err(cx
            .err(r.goal.span(), "the lab's `goal` checks nothing")
            .help("say what must hold once the attendee succeeds: goal = { recoverable = true, wrapped_by = \"kms-2\" }"));
    }
    if let Some(c) = goal.iter().find(|c| is_result_field(c.kind.field())) {
        return Err(cx
            .err(r.goal.span(), format!("a goal cannot check `{}`", c.kind.field()))
            .label("a goal speaks about the world's state; a request's result is not state")
            .help("put `outcome`, `error` and `kms_error` in `never` (e.g. never = [{ outcome = \"error\" }])"));
    }
    let region = match &r.region {
        Some(reg) => super::copies::copy_region(cx, reg, table.0, declared)?,
        None => None,
    };
    let never = parse_never(cx, r.never.as_ref(), declared)?;
    let deadline = match &r.deadline {
        Some(d) => Some(instant(cx, d, "deadline", SimTime::ZERO)?),
        None => None,
    };
    if r.hints.len() > MAX_HINTS {
        return Err(cx
            .err(r.hints[MAX_HINTS].span(), "too many hints")
            .label(format!("a lab has at most {MAX_HINTS} hints")));
    }
    let hints = r
        .hints
        .iter()
        .map(|h| text(cx, h, "hints"))
        .collect::<Result<Vec<_>, _>>()?;
    if r.wrong.len() > MAX_WRONG {
        return Err(cx
            .err(r.wrong[MAX_WRONG].span(), "too many wrong attempts")
            .label(format!("a lab has at most {MAX_WRONG} [[lab.wrong]]")));
    }
    let mut wrong = Vec::with_capacity(r.wrong.len());
    for w in &r.wrong {
        wrong.push(parse_wrong(cx, w, &never, deadline)?);
    }
    Ok(Lab {
        line: cx.line(&raw.span()),
        briefing,
        goal,
        never,
        deadline,
        hints,
        debrief,
        table: table.0,
        table_name: table.1,
        region,
        go_to: r.go_to.as_ref().is_none_or(|g| *g.get_ref()),
        solution_line: r.solution.first().map(|s| cx.line(&s.span())),
        wrong,
        attempt_actions: r.attempt.len(),
        variant,
    })
}

fn parse_never(
    cx: &Ctx<'_>,
    raw: Option<&Spanned<RawNever>>,
    declared: &Declared<'_>,
) -> Result<Vec<Invariant>, Diagnostic> {
    let Some(raw) = raw else {
        return Ok(Vec::new());
    };
    let entries: Vec<(String, &Spanned<super::raw::RawExpect>)> = match raw.get_ref() {
        RawNever::List(v) => v
            .iter()
            .enumerate()
            .map(|(i, e)| (format!("never-{}", i + 1), e))
            .collect(),
        RawNever::Named(v) => {
            let mut out = Vec::with_capacity(v.len());
            for (name, e) in v {
                if !is_name(name.get_ref()) {
                    return Err(cx
                        .err(name.span(), "an invariant's name is not a name")
                        .help("1 to 64 of a-z, 0-9 and -: failed-read = { outcome = \"error\" }"));
                }
                out.push((name.get_ref().clone(), e));
            }
            out
        }
    };
    if entries.len() > MAX_NEVER {
        return Err(cx
            .err(raw.span(), "too many invariants")
            .label(format!("a lab has at most {MAX_NEVER} `never` entries")));
    }
    let mut never = Vec::with_capacity(entries.len());
    for (name, e) in entries {
        let checks = parse_expect(cx, e, declared)?;
        if checks.is_empty() {
            return Err(cx.err(e.span(), "this `never` entry checks nothing").help(
                "say what must never happen: { outcome = \"error\" }, { table = \"archived\" }",
            ));
        }
        never.push(Invariant {
            name,
            line: cx.line(&e.span()),
            checks,
        });
    }
    Ok(never)
}

fn parse_wrong(
    cx: &Ctx<'_>,
    w: &Spanned<super::raw::RawWrong>,
    never: &[Invariant],
    deadline: Option<SimTime>,
) -> Result<Wrong, Diagnostic> {
    let r = w.get_ref();
    if !is_name(r.name.get_ref()) {
        return Err(cx
            .err(r.name.span(), "a wrong attempt's name is not a name")
            .help("1 to 64 of a-z, 0-9 and -: name = \"delete-too-soon\""));
    }
    let why = text(cx, &r.why, "why")?;
    let f = r.fails.get_ref().as_str();
    let fails = match f {
        "deadline" if deadline.is_some() => Expected::Deadline,
        "deadline" => {
            return Err(cx
                .err(r.fails.span(), "the lab has no `deadline` to miss")
                .help("set `deadline` in [lab], or say which invariant the attempt breaks"));
        }
        "unsolved" => Expected::Unsolved,
        name if never.iter().any(|n| n.name == name) => Expected::Never(name.to_string()),
        other => {
            let mut names: Vec<&str> = never.iter().map(|n| n.name.as_str()).collect();
            if deadline.is_some() {
                names.push("deadline");
            }
            names.push("unsolved");
            return Err(cx
                .err(r.fails.span(), format!("unknown reason `{}`", printable(other, false)))
                .label("a wrong attempt fails by breaking an invariant, missing the deadline, or never reaching the goal")
                .help(format!("one of: {}", names.join(", "))));
        }
    };
    if r.step.is_empty() {
        return Err(cx
            .err(w.span(), "a wrong attempt with no actions")
            .help("add its actions as [[lab.wrong.step]] tables, like [[step]]"));
    }
    Ok(Wrong {
        name: r.name.get_ref().clone(),
        why,
        fails,
        line: cx.line(&w.span()),
    })
}

fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// A briefing, debrief, hint or reason: not empty, printable, bounded.
fn text(cx: &Ctx<'_>, t: &Spanned<String>, what: &str) -> Result<String, Diagnostic> {
    let s = t.get_ref().trim();
    if s.is_empty() {
        return Err(cx.err(t.span(), format!("`{what}` is empty")));
    }
    if s.chars().count() > MAX_LAB_TEXT.min(limits::MAX_SPEAKER_TEXT) {
        return Err(cx
            .err(t.span(), format!("`{what}` is too long"))
            .label(format!("at most {MAX_LAB_TEXT} characters")));
    }
    Ok(printable(s, true))
}

/// "a, b and c".
fn conjunction(parts: impl Iterator<Item = String>) -> String {
    let v: Vec<String> = parts.collect();
    match v.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// "Orders'" and "Audit's".
fn possessive(name: &str) -> String {
    if name.ends_with('s') {
        format!("{name}'")
    } else {
        format!("{name}'s")
    }
}

/// One expectation in words, about `table` where it speaks about the lab's table.
pub fn words(kind: &CheckKind, table: &str) -> String {
    let its = possessive(table);
    match kind {
        CheckKind::Outcome(false) => "a read or write fails".into(),
        CheckKind::Outcome(true) => "a read or write succeeds".into(),
        CheckKind::Error(e) => format!("a request gets {e}"),
        CheckKind::KmsError(k) => format!("KMS answers {k}"),
        CheckKind::Table(s) => format!("{table} is {}", s.name().to_uppercase()),
        CheckKind::Sse(crate::engine::table::SseStatus::Updating) => {
            format!("{table} re-wraps")
        }
        CheckKind::Sse(s) => format!("{its} SSE is {}", s.name().to_uppercase()),
        CheckKind::WrappedBy(k) => format!("{table} is under {k}"),
        CheckKind::KeyState(k, s) => format!("{k} is {}", s.name().replace('-', " ")),
        CheckKind::Cached(p, left) => match left {
            None => format!("{p} holds no cached table key"),
            Some(_) => format!("{p}'s cached table key has {} left", cached_text(*left)),
        },
        CheckKind::Recoverable(true) => format!("{its} data is recoverable"),
        CheckKind::Recoverable(false) => format!("{its} data is gone for good"),
        CheckKind::KmsCalls(p, n) => format!("{p} has made {n} KMS Decrypt calls"),
        CheckKind::TableNamed(_, name, s) => format!("{name} is {}", s.name().to_uppercase()),
        CheckKind::Grant(revoked) => {
            format!("DynamoDB's grant for {table} is {}", grant_name(*revoked))
        }
        // The lab's own copy (`region`): "Orders@eu-west-1 is removed".
        CheckKind::Replica(r, s)
            if table
                .strip_suffix(r.as_str())
                .is_some_and(|t| t.ends_with('@')) =>
        {
            format!("{table} is {}", s.name())
        }
        CheckKind::Replica(r, s) => format!("{its} copy in {r} is {}", s.name()),
        CheckKind::Backup(b, s) if b == crate::engine::backup::ARCHIVAL => {
            format!("{its} archival backup is {}", s.name())
        }
        CheckKind::Backup(b, s) => format!("backup {b} is {}", s.name()),
    }
}
