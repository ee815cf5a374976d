//! Labs from the command line (docs/scenario-format.md "Labs"): `rewrap check` on a lab proves
//! it (its solution solves it, each wrong attempt fails for the reason it states), on a saved
//! attempt grades it (exit 0 solved, 1 not); `rewrap lab list`; and the attempt file `w`
//! writes from `rewrap lab`.

use std::fmt::Write as _;
use std::sync::Arc;

use crate::judge::Verdict;
use crate::runner::{Runner, Source};
use crate::scenario::lab::{Expected, Lab, Variant};
use crate::scenario::{self, Scenario};

/// Exit codes as `check` uses them.
const OK: i32 = 0;
const FAILED: i32 = 1;
const INVALID: i32 = 2;

/// The labs shipped in the binary, in the order a workshop takes them.
pub fn builtin_labs() -> impl Iterator<Item = &'static scenario::Builtin> {
    scenario::LABS.iter()
}

/// One variant of a lab run to its verdict, with the expectations that failed on the way.
pub struct Outcome {
    pub verdict: Verdict,
    pub failures: Vec<crate::runner::CheckFailure>,
}

/// Build and run `variant` of the lab in `scenario`'s file.
pub fn run_variant(scenario: &Scenario, variant: Variant) -> Result<Outcome, String> {
    let s = scenario::parse_variant(&scenario.file, &scenario.source, variant)
        .map_err(|d| d.message.clone())?;
    let mut runner = Runner::new(Arc::new(s)).map_err(|e| e.to_string())?;
    runner.run_lab_to_verdict();
    let verdict = runner
        .judge()
        .map_or(Verdict::Open, |j| j.verdict().clone());
    Ok(Outcome {
        verdict,
        failures: runner.failures().to_vec(),
    })
}

/// `rewrap check` on a lab: grade the attempt it holds, or prove the lab. Returns the exit code.
pub fn check(scenario: &Scenario, lab: &Lab, say: &mut dyn FnMut(std::fmt::Arguments<'_>)) -> i32 {
    let file = &scenario.file;
    if lab.variant == Variant::Attempt {
        return match run_variant(scenario, Variant::Attempt) {
            Err(e) => {
                crate::say_err!("error: {file}: {e}");
                INVALID
            }
            Ok(o) => {
                for f in &o.failures {
                    say(format_args!("{f}"));
                }
                let solved = matches!(o.verdict, Verdict::Solved { .. });
                let tag = if solved { "ok   " } else { "FAIL " };
                say(format_args!(
                    "{tag} {file}: attempt ({} actions): {}",
                    lab.attempt_actions, o.verdict
                ));
                if solved { OK } else { FAILED }
            }
        };
    }
    let mut worst = OK;
    let mut proofs = 0;
    let mut report = |what: String, o: Result<Outcome, String>, want: Option<&Expected>| {
        let o = match o {
            Ok(o) => o,
            Err(e) => {
                crate::say_err!("error: {file}: {what}: {e}");
                return INVALID;
            }
        };
        for f in &o.failures {
            say(format_args!("{f}"));
        }
        let good = match (&o.verdict, want) {
            (Verdict::Solved { .. }, None) => true,
            (Verdict::Failed { why, .. }, Some(w)) => why.as_expected() == *w,
            _ => false,
        };
        let expected = want.map_or_else(|| "solves it".to_string(), |w| format!("fails by {w}"));
        if good && o.failures.is_empty() {
            say(format_args!(
                "ok    {file}: {what} {expected}: {}",
                o.verdict
            ));
            OK
        } else {
            say(format_args!(
                "FAIL  {file}: {what} should {}, but: {}",
                expected.replace("solves", "solve").replace("fails", "fail"),
                o.verdict
            ));
            FAILED
        }
    };
    if lab.solution_line.is_some() {
        proofs += 1;
        worst = worst.max(report(
            "the reference solution".into(),
            run_variant(scenario, Variant::Solution),
            None,
        ));
    }
    for (i, w) in lab.wrong.iter().enumerate() {
        proofs += 1;
        worst = worst.max(report(
            format!("wrong attempt `{}`", w.name),
            run_variant(scenario, Variant::Wrong(i)),
            Some(&w.fails),
        ));
    }
    if proofs == 0 {
        say(format_args!(
            "ok    {file}: a lab with no [[lab.solution]] or [[lab.wrong]] to prove it"
        ));
    }
    worst
}

/// `rewrap lab list`.
pub fn list(say: &mut dyn FnMut(std::fmt::Arguments<'_>) -> bool) -> i32 {
    let labs: Vec<_> = builtin_labs().collect();
    let width = labs.iter().map(|b| b.name.len()).max().unwrap_or(0);
    for b in labs {
        let title = scenario::parse(b.name, b.text)
            .map_or_else(|d| format!("(invalid: {})", d.message), |s| s.title);
        if !say(format_args!("{:<width$}  {title}", b.name)) {
            break;
        }
    }
    OK
}

/// The attempt file `w` writes in `rewrap lab`: the lab's own text (any attempt it held cut
/// off), then every live action as a `[[lab.attempt]]` at its moment, and a last `wait` at the
/// moment the attendee reached, so grading runs at least that far.
pub fn attempt_toml(runner: &Runner, reached: crate::engine::time::SimTime) -> String {
    let source: &str = &runner.scenario.source;
    let base = match source.find(ATTEMPT_MARK) {
        Some(i) => &source[..i],
        None => source,
    };
    let whole_second = |t: crate::engine::time::SimTime| {
        crate::engine::time::SimDuration::from_secs(t.as_millis().div_ceil(1_000)).to_exact_string()
    };
    let mut out = base.trim_end().to_string();
    out.push_str("\n\n");
    out.push_str(ATTEMPT_MARK);
    out.push('\n');
    let mut last = crate::engine::time::SimTime::ZERO;
    for e in runner.executed().iter() {
        let Source::Live { cmd, on } = &e.source else {
            continue;
        };
        out.push_str("\n[[lab.attempt]]\n");
        last = last.max(e.at);
        let _ = writeln!(out, "at = \"{}\"", whole_second(e.at));
        out.push_str(&crate::scenario::write::command_fields(cmd));
        if let Some(t) = &on.table {
            let _ = writeln!(out, "table = {}", toml::Value::String(t.clone()));
        }
        if let Some(r) = &on.region {
            let _ = writeln!(out, "region = {}", toml::Value::String(r.clone()));
        }
    }
    let _ = writeln!(
        out,
        "\n[[lab.attempt]]\nat = \"{}\"\ndo = \"wait\"\nnote = \"The attendee saved the attempt here.\"",
        whole_second(reached.max(last))
    );
    out
}

/// The line that starts the attempt in a saved file.
pub const ATTEMPT_MARK: &str =
    "# ---- the attempt, saved by `rewrap lab` (grade it: rewrap check THIS-FILE) ----";
