//! The headless commands: `run`, `check`, `list`. Each returns the process exit code.

use std::io::{self, IsTerminal, Write};
use std::sync::Arc;

use crate::report;
use crate::scenario::{self, BUILTINS, LoadError, Scenario};
use crate::session::Session;

/// Exit codes: 0 all good, 1 an expectation failed, 2 bad input.
pub const EXIT_OK: i32 = 0;
pub const EXIT_FAILED: i32 = 1;
pub const EXIT_INVALID: i32 = 2;

/// Print a line to stdout. Returns false once the reader has gone (`rewrap list | head -1`):
/// a closed pipe is not an error worth a message, but callers still finish their work so the
/// exit code tells the truth.
fn say(line: impl std::fmt::Display) -> bool {
    let mut out = io::stdout().lock();
    match writeln!(out, "{line}") {
        Ok(()) => true,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => false,
        Err(e) => {
            crate::say_err!("error: writing output: {e}");
            std::process::exit(EXIT_INVALID);
        }
    }
}

fn styled_stderr() -> bool {
    io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Print a load error to stderr in its most helpful form.
pub fn print_load_error(e: &LoadError) {
    match e {
        LoadError::Invalid(d) => crate::say_err!("{}", d.render(styled_stderr())),
        other => crate::say_err!("error: {other}"),
    }
}

/// Load a scenario or print why not.
pub fn load_or_report(spec: &str) -> Result<Arc<Scenario>, i32> {
    scenario::load(spec).map(Arc::new).map_err(|e| {
        print_load_error(&e);
        EXIT_INVALID
    })
}

fn session_or_report(s: &Arc<Scenario>) -> Result<Session, i32> {
    Session::new(s.clone()).map_err(|e| {
        crate::say_err!("error: {}: {e}", s.file);
        EXIT_INVALID
    })
}

/// `rewrap run FILE|NAME [--json]`
pub fn run(spec: &str, json: bool) -> i32 {
    let scenario = match load_or_report(spec) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let mut session = match session_or_report(&scenario) {
        Ok(r) => r,
        Err(code) => return code,
    };
    // Event by event, so that when reads would fail is computed at every change.
    let end = session.runner().end_time();
    let mut windows = report::reads::Windows::default();
    windows.observe(session.runner().engine());
    while let Some(t) = session.runner().next_event_at().filter(|t| *t <= end) {
        session.advance_to(t);
        windows.observe(session.runner().engine());
    }
    session.run_to_end();
    windows.observe(session.runner().engine());
    let runner = session.runner();
    let mut summary = report::Summary::of(&scenario, runner.engine());
    summary.reads = windows.copies;
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let engine = runner.engine();
    let result = (|| -> io::Result<()> {
        if json {
            for e in engine.log() {
                writeln!(out, "{}", report::json_line(e))?;
            }
            writeln!(out, "{}", summary.json())?;
        } else {
            writeln!(out, "{}", scenario.title)?;
            if let Some(s) = &scenario.summary {
                writeln!(out, "{s}")?;
            }
            writeln!(out)?;
            for e in engine.log() {
                writeln!(out, "{}", report::text_line(e))?;
            }
            write!(out, "{}", summary.text())?;
            if !runner.failures().is_empty() {
                writeln!(
                    out,
                    "\n{} expectation(s) failed (see `rewrap check`)",
                    runner.failures().len()
                )?;
            }
        }
        out.flush()
    })();
    match result {
        Ok(()) => EXIT_OK,
        // A closed pipe (`rewrap run x | head`) is not an error worth a message.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => EXIT_OK,
        Err(e) => {
            crate::say_err!("error: writing output: {e}");
            EXIT_INVALID
        }
    }
}

/// `rewrap check FILE|NAME...`
pub fn check(specs: &[String]) -> i32 {
    let mut worst = EXIT_OK;
    // Once stdout's reader is gone, keep checking (the exit code must reflect every file)
    // but stop writing.
    let mut open = true;
    let mut say = |line: std::fmt::Arguments<'_>| {
        if open {
            open = say(line);
        }
    };
    for spec in specs {
        let scenario = match load_or_report(spec) {
            Ok(s) => s,
            Err(code) => {
                worst = worst.max(code);
                continue;
            }
        };
        if let Some(lab) = &scenario.lab {
            worst = worst.max(crate::lab::check(&scenario, lab, &mut |a| say(a)));
            continue;
        }
        let mut session = match session_or_report(&scenario) {
            Ok(r) => r,
            Err(code) => {
                worst = worst.max(code);
                continue;
            }
        };
        session.run_to_end();
        let runner = session.runner();
        // Each question counts as one check per run of its step.
        let checks: usize = scenario
            .steps
            .iter()
            .map(|s| (s.expect.len() + usize::from(s.ask.is_some())) * s.occurrences().count())
            .sum();
        let questions = scenario.steps.iter().filter(|s| s.ask.is_some()).count();
        let asked = match questions {
            0 => String::new(),
            1 => ", 1 question".to_string(),
            n => format!(", {n} questions"),
        };
        if runner.failures().is_empty() {
            say(format_args!(
                "ok    {} ({checks} checks{asked})",
                scenario.file
            ));
        } else {
            for f in runner.failures() {
                say(format_args!("{f}"));
            }
            say(format_args!(
                "FAIL  {} ({} of {checks} checks failed)",
                scenario.file,
                runner.failures().len()
            ));
            worst = worst.max(EXIT_FAILED);
        }
    }
    worst
}

/// `rewrap list`
pub fn list() -> i32 {
    let width = BUILTINS
        .iter()
        .chain(scenario::LABS)
        .map(|b| b.name.len())
        .max()
        .unwrap_or(0);
    for (i, b) in BUILTINS.iter().enumerate() {
        let title = scenario::parse(b.name, b.text)
            .map_or_else(|d| format!("(invalid: {})", d.message), |s| s.title);
        let default = if i == 0 { "  (default)" } else { "" };
        if !say(format_args!("{:<width$}  {title}{default}", b.name)) {
            break;
        }
    }
    let labs: Vec<_> = scenario::LABS.iter().collect();
    if !labs.is_empty() {
        let _ = say(format_args!(
            "\nLabs (rewrap lab NAME: the attendee drives toward a goal the simulation checks):"
        ));
    }
    for b in labs {
        let title = scenario::parse(b.name, b.text)
            .map_or_else(|d| format!("(invalid: {})", d.message), |s| s.title);
        if !say(format_args!("{:<width$}  {title}  (lab)", b.name)) {
            break;
        }
    }
    EXIT_OK
}

/// Write `bytes` to stdout (a closed pipe is fine, as for every command here).
pub fn print_bytes(bytes: &[u8]) -> i32 {
    let mut out = io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => EXIT_OK,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => EXIT_OK,
        Err(e) => {
            crate::say_err!("error: writing output: {e}");
            EXIT_INVALID
        }
    }
}

/// `rewrap show NAME`: a built-in scenario's TOML.
pub fn show(name: &str) -> i32 {
    let bare = name.strip_prefix("builtin:").unwrap_or(name);
    let bare = bare.strip_suffix(".toml").unwrap_or(bare);
    if let Some(b) = BUILTINS
        .iter()
        .chain(scenario::LABS)
        .find(|b| b.name == bare)
    {
        return print_bytes(b.text.as_bytes());
    }
    crate::say_err!(
        "error: no built-in scenario named `{}` (run `rewrap list` to see them)",
        scenario::printable(name, false)
    );
    EXIT_INVALID
}

/// The references an installed binary carries (the repository's docs/, embedded).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum DocTopic {
    /// The scenario file format (docs/scenario-format.md).
    Scenario,
    /// The JSON lines of `rewrap run --json` (docs/json-log.md).
    JsonLog,
    /// The AWS behaviour rewrap models, numbered, with sources (docs/aws-behaviour.md).
    Aws,
    /// Your own account: export-script, import, whatif (docs/account.md).
    Account,
}

impl DocTopic {
    pub fn text(self) -> &'static str {
        match self {
            DocTopic::Scenario => include_str!("../docs/scenario-format.md"),
            DocTopic::JsonLog => include_str!("../docs/json-log.md"),
            DocTopic::Aws => include_str!("../docs/aws-behaviour.md"),
            DocTopic::Account => include_str!("../docs/account.md"),
        }
    }
}

/// `rewrap docs [TOPIC]`: a reference built into the binary.
pub fn docs(topic: DocTopic) -> i32 {
    print_bytes(topic.text().as_bytes())
}

/// `rewrap export-script [--region R ...]`: the read-only AWS CLI commands for `rewrap import`.
pub fn export_script(regions: &[String]) -> i32 {
    use crate::account::export_script::{DEFAULT_REGIONS, script, valid_region};
    if let Some(bad) = regions.iter().find(|r| !valid_region(r)) {
        crate::say_err!(
            "error: `{}` is not a region name (like eu-west-1: lowercase letters, digits and -)",
            scenario::printable(bad, false)
        );
        return EXIT_INVALID;
    }
    let mut list: Vec<String> = if regions.is_empty() {
        DEFAULT_REGIONS.iter().map(|r| (*r).to_string()).collect()
    } else {
        regions.to_vec()
    };
    list.dedup();
    print_bytes(script(&list).as_bytes())
}

/// `rewrap import DIR [--key X] [--redact] [-o FILE]`.
pub fn import(
    dir: &std::path::Path,
    key: Option<String>,
    redact: bool,
    output: Option<&std::path::Path>,
) -> i32 {
    use crate::account::{ImportError, Options, import};
    let report = match import(dir, &Options { key, redact }) {
        Ok(r) => r,
        Err(ImportError::Build(crate::account::build::BuildError::NothingNeeds(k))) => {
            say(format_args!(
                "nothing in the export needs {}: no table, replica or backup uses it",
                scenario::printable(&k, false)
            ));
            return EXIT_OK;
        }
        Err(e) => {
            crate::say_err!("error: {e}");
            return EXIT_INVALID;
        }
    };
    for s in &report.skipped {
        crate::say_err!("skipped: {s}");
    }
    for w in &report.warnings {
        crate::say_err!("note: {}", scenario::printable(w, false));
    }
    let counts = format!(
        "{} tables, {} keys, {} backups from {} files",
        report.tables, report.keys, report.backups, report.files
    );
    match output {
        None => print_bytes(report.toml.as_bytes()),
        Some(path) => {
            use std::io::Write as _;
            let file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(path);
            let result = file.and_then(|mut f| {
                f.write_all(report.toml.as_bytes())?;
                f.sync_all()
            });
            match result {
                Ok(()) => {
                    crate::say_err!(
                        "wrote {} ({counts}); try: rewrap run {} | rewrap play {}",
                        crate::account::read::shown(path),
                        crate::account::read::shown(path),
                        crate::account::read::shown(path)
                    );
                    EXIT_OK
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    crate::say_err!(
                        "error: {} exists already: choose another name (import never overwrites)",
                        crate::account::read::shown(path)
                    );
                    EXIT_INVALID
                }
                Err(e) => {
                    crate::say_err!("error: {}: {e}", crate::account::read::shown(path));
                    EXIT_INVALID
                }
            }
        }
    }
}

/// The what-if actions in the order the command line gives them (`--flag VALUE` or
/// `--flag=VALUE`; a `--switch` takes the `--to` after it).
fn whatif_actions(
    raw: &[String],
    days: u32,
) -> Result<Vec<crate::account::whatif::Action>, String> {
    use crate::account::whatif::Action;
    let mut actions = Vec::new();
    let mut pending_switch: Option<String> = None;
    let mut i = 0;
    while i < raw.len() {
        let (flag, inline) = match raw[i].split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (raw[i].clone(), None),
        };
        let takes = matches!(
            flag.as_str(),
            "--schedule-deletion"
                | "--disable"
                | "--switch"
                | "--to"
                | "--revoke-grant"
                | "--delete-material"
        );
        if !takes {
            i += 1;
            continue;
        }
        let value = if let Some(v) = inline {
            v
        } else {
            i += 1;
            raw.get(i)
                .cloned()
                .ok_or_else(|| format!("{flag} needs a value"))?
        };
        match flag.as_str() {
            "--schedule-deletion" => actions.push(Action::ScheduleDeletion { key: value, days }),
            "--disable" => actions.push(Action::Disable { key: value }),
            "--switch" => {
                if let Some(t) = pending_switch.replace(value) {
                    return Err(format!("--switch {t} needs a --to KEY after it"));
                }
            }
            "--to" => match pending_switch.take() {
                Some(table) => actions.push(Action::Switch { table, to: value }),
                None => return Err("--to KEY comes after a --switch TABLE".into()),
            },
            "--revoke-grant" => actions.push(Action::RevokeGrant { table: value }),
            _ => actions.push(Action::DeleteMaterial { key: value }),
        }
        i += 1;
    }
    if let Some(t) = pending_switch {
        return Err(format!("--switch {t} needs a --to KEY after it"));
    }
    Ok(actions)
}

/// `--assume NAME=LOW..HIGH` over the default bounds.
fn whatif_bounds(assume: &[String]) -> Result<Vec<crate::account::whatif::Bound>, String> {
    let mut bounds = crate::account::whatif::default_bounds();
    for a in assume {
        let (name, range) = a
            .split_once('=')
            .ok_or_else(|| format!("--assume {a}: write NAME=LOW..HIGH, e.g. detection=0s..2h"))?;
        let (lo, hi) = range
            .split_once("..")
            .ok_or_else(|| format!("--assume {a}: write NAME=LOW..HIGH, e.g. detection=0s..2h"))?;
        let parse = |v: &str| {
            crate::engine::time::parse_duration(v.trim())
                .map_err(|e| format!("--assume {a}: `{v}`: {}", e.message))
        };
        let (lo, hi) = (parse(lo)?, parse(hi)?);
        if lo > hi {
            return Err(format!("--assume {a}: the low bound is above the high one"));
        }
        let names: Vec<&str> = bounds.iter().map(|b| b.name).collect();
        let b = bounds
            .iter_mut()
            .find(|b| b.name == name)
            .ok_or_else(|| format!("--assume {a}: `{name}` is not one of {}", names.join(", ")))?;
        b.low = lo;
        b.high = hi;
        b.why = "set with --assume";
    }
    Ok(bounds)
}

/// How `rewrap whatif` was asked (besides its actions, read in order from the command line).
pub struct WhatIf<'a> {
    pub days: u32,
    pub safe: Option<&'a str>,
    pub assume: &'a [String],
    pub json: bool,
    pub play: bool,
}

/// `rewrap whatif FILE ACTIONS... | --safe-to-delete KEY`. With `play`, the file to open.
pub fn whatif(
    spec: &str,
    raw: &[String],
    asked: &WhatIf<'_>,
) -> Result<Option<std::path::PathBuf>, i32> {
    use crate::account::{answer, whatif};
    let WhatIf {
        days,
        safe,
        assume,
        json,
        play,
    } = *asked;
    let fail = |why: String| {
        crate::say_err!("error: {}", scenario::printable(&why, false));
        EXIT_INVALID
    };
    let scenario = if std::path::Path::new(spec).is_dir() {
        // An export folder: imported on the way, the answer in one command.
        let report = crate::account::import(
            std::path::Path::new(spec),
            &crate::account::Options::default(),
        )
        .map_err(|e| fail(e.to_string()))?;
        for w in &report.warnings {
            crate::say_err!("note: {}", scenario::printable(w, false));
        }
        let file = format!("{spec} (imported)");
        Arc::new(scenario::parse(&file, &report.toml).map_err(|d| fail(d.message.clone()))?)
    } else {
        load_or_report(spec)?
    };
    let bounds = whatif_bounds(assume).map_err(fail)?;
    let t0 = answer::exported_at(&scenario.source);
    if let Some(key) = safe {
        let a = crate::account::safe::safe_to_delete(&scenario, key, &bounds)
            .map_err(|e| fail(e.to_string()))?;
        let out = if json {
            format!("{}\n", answer::safe_json(&a, t0))
        } else {
            answer::safe_text(&a, t0)
        };
        print_bytes(out.as_bytes());
        return Ok(None);
    }
    let actions = whatif_actions(raw, days).map_err(fail)?;
    if actions.is_empty() {
        return Err(fail(
            "no action: give --schedule-deletion KEY, --disable KEY, --switch TABLE --to KEY, --revoke-grant TABLE or --delete-material KEY (or --safe-to-delete KEY)".into(),
        ));
    }
    let a = whatif::whatif(&scenario, &actions, &bounds).map_err(|e| fail(e.to_string()))?;
    let out = if json {
        format!("{}\n", answer::json(&a, t0))
    } else {
        answer::text(&a, t0)
    };
    print_bytes(out.as_bytes());
    if !play {
        return Ok(None);
    }
    let text = whatif::scenario_text(&scenario, &a);
    let stem = std::path::Path::new(spec)
        .file_stem()
        .map_or_else(|| "world".to_string(), |s| s.to_string_lossy().to_string());
    match crate::save::write_new_named(std::path::Path::new("."), &format!("{stem}-whatif"), &text)
    {
        Ok(path) => {
            crate::say_err!("wrote {}; opening it", crate::account::read::shown(&path));
            Ok(Some(path))
        }
        Err(e) => Err(fail(format!("writing the what-if scenario: {e}"))),
    }
}
