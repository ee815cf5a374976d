//! The `rewrap` binary: parse the command line and dispatch.

use clap::{Parser, Subcommand};

use rewrap::cli;
use rewrap::ui::theme::{self, ThemeChoice};

/// Envelope encryption made visible: DynamoDB encryption at rest with AWS KMS, simulated with
/// real AES-256-GCM on a logical clock.
#[derive(Parser)]
#[command(name = "rewrap", version, about, long_about = None)]
struct Args {
    #[command(subcommand)]
    command: Option<Cmd>,
    #[arg(long, value_enum, value_name = "THEME", help = THEME_HELP)]
    theme: Option<ThemeChoice>,
}

const THEME_HELP: &str = "Colours of the live view [env: REWRAP_THEME] [default: auto]; \
     NO_COLOR turns colours off unless a theme is named";

#[derive(Subcommand)]
enum Cmd {
    /// Open the live TUI on a scenario (the default command).
    Play {
        /// A scenario file or built-in name (see `rewrap list`).
        scenario: Option<String>,
        /// Present mode: clicker keys (PageDown/PageUp, b), questions stop before their step,
        /// only what the room needs on screen.
        #[arg(long)]
        present: bool,
        /// Open at a step id, a step number (1-based) or a simulated time ("7d 1h"), exactly
        /// as if stepped there.
        #[arg(long, value_name = "ID|N|TIME")]
        at: Option<String>,
        #[arg(long, value_enum, value_name = "THEME", help = THEME_HELP)]
        theme: Option<ThemeChoice>,
        /// Record the session as an asciicast v2 file (timed by the wall clock, a marker per
        /// step): a new file, written as the session goes.
        #[arg(long, value_name = "FILE.cast")]
        record: Option<std::path::PathBuf>,
    },
    /// Render a scenario headless into an asciicast v2 file, paced like a presenter stepping
    /// through it; the same scenario, size and theme give the same bytes.
    Record {
        /// A scenario file or built-in name.
        scenario: String,
        /// Where to write the recording.
        #[arg(long, value_name = "FILE.cast")]
        cast: std::path::PathBuf,
        /// Screen size, WIDTHxHEIGHT (at least 80x24).
        #[arg(long, default_value = "120x36", value_name = "WxH")]
        size: String,
        /// Record present mode (questions shown, then revealed).
        #[arg(long)]
        present: bool,
        /// Colours: dark, light or high-contrast (default dark; auto is not asked headless).
        #[arg(long, value_enum, value_name = "THEME")]
        theme: Option<ThemeChoice>,
    },
    /// Speaker notes for a presenter on this machine (`rewrap play … --present` in another
    /// terminal): the current note, the next step, the coming question's answer, the clock.
    Notes {
        #[arg(long, value_enum, value_name = "THEME", help = THEME_HELP)]
        theme: Option<ThemeChoice>,
    },
    /// Hands-on labs: `rewrap lab list`, or `rewrap lab NAME|FILE` to drive toward a goal the
    /// simulation checks (H hint, r reset, w saves the attempt for `rewrap check`).
    Lab {
        /// `list`, a lab's name (see `rewrap lab list`) or a lab file.
        lab: String,
        /// Workshop mode: the goal panel big for the room while one attendee drives.
        #[arg(long)]
        present: bool,
        #[arg(long, value_enum, value_name = "THEME", help = THEME_HELP)]
        theme: Option<ThemeChoice>,
        /// Record the session as an asciicast v2 file.
        #[arg(long, value_name = "FILE.cast")]
        record: Option<std::path::PathBuf>,
    },
    /// Run a scenario without the TUI: the timed event log, then a summary.
    Run {
        /// A scenario file or built-in name.
        scenario: String,
        /// One JSON object per line (schema: `rewrap docs json-log`).
        #[arg(long)]
        json: bool,
    },
    /// Run scenarios and verify every `expect`; exit 0 all hold, 1 some fail, 2 invalid input.
    Check {
        /// Scenario files or built-in names.
        #[arg(required = true)]
        scenarios: Vec<String>,
    },
    /// List the built-in scenarios.
    List,
    /// Print a built-in scenario's TOML, a starting point for your own
    /// (`rewrap show change-table-key > mine.toml`).
    Show {
        /// A built-in scenario's name (see `rewrap list`).
        name: String,
    },
    /// Print a reference built into the binary: the scenario format (default), the JSON log's
    /// schema (`json-log`), the AWS behaviour rewrap models (`aws`) or your own account's
    /// export, import and what-if (`account`).
    Docs {
        #[arg(value_enum, default_value = "scenario")]
        topic: cli::DocTopic,
    },
    /// Print a shell completion script: `rewrap completions bash > ~/.local/share/bash-completion/completions/rewrap`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print a shell script of read-only AWS CLI commands that export your account's keys,
    /// tables and backups as JSON files for `rewrap import` (rewrap never calls AWS itself):
    /// `rewrap export-script --region eu-west-1 > export.sh && sh export.sh`.
    ExportScript {
        /// A region to export (repeat for several; default us-east-1).
        #[arg(long = "region", value_name = "REGION")]
        regions: Vec<String>,
    },
    /// Read the JSON files `export-script`'s commands wrote (or any AWS CLI responses, under
    /// any names) into a scenario file whose world starts where your account is.
    Import {
        /// The folder of JSON files.
        dir: std::path::PathBuf,
        /// Only what needs this key (an id from the imported file, a key id, an ARN or an alias).
        #[arg(long, value_name = "KEY")]
        key: Option<String>,
        /// Replace table, backup and key names with stable placeholders (Table1, backup-1,
        /// kms-1), for a file you can share.
        #[arg(long)]
        redact: bool,
        /// Write the scenario to this new file (never overwritten) instead of standard output.
        #[arg(short = 'o', long = "output", value_name = "FILE.toml")]
        output: Option<std::path::PathBuf>,
    },
    /// What actions at 0s do to every table, replica and backup of a world (an imported
    /// account, or any scenario's starting world), as intervals: earliest with every
    /// undocumented assumption at its lower bound, latest at its upper bound. Actions run in
    /// the order given. Bounds (change with --assume): propagation 0s..5m, detection 0s..1h,
    /// deletion_delay 0s..24h, archive_duration 0s..1d, rewrap_per_dek 1s..10s.
    Whatif {
        /// A scenario file (e.g. one `rewrap import` wrote), a built-in name, or an export
        /// folder (imported on the way).
        scenario: String,
        /// ScheduleKeyDeletion of KEY (waiting period: --days).
        #[arg(long = "schedule-deletion", value_name = "KEY")]
        schedule_deletion: Vec<String>,
        /// The waiting period of every --schedule-deletion, 7 to 30 days.
        #[arg(long, default_value_t = 7, value_parser = clap::value_parser!(u32).range(7..=30))]
        days: u32,
        /// DisableKey of KEY.
        #[arg(long = "disable", value_name = "KEY")]
        disable: Vec<String>,
        /// Switch TABLE to the key given by the --to after it.
        #[arg(long = "switch", value_name = "TABLE", requires = "to")]
        switch: Vec<String>,
        /// The key a --switch moves its table to.
        #[arg(long = "to", value_name = "KEY")]
        to: Vec<String>,
        /// RevokeGrant of DynamoDB's grant for TABLE.
        #[arg(long = "revoke-grant", value_name = "TABLE")]
        revoke_grant: Vec<String>,
        /// DeleteImportedKeyMaterial of KEY.
        #[arg(long = "delete-material", value_name = "KEY")]
        delete_material: Vec<String>,
        /// Instead: the earliest moment nothing needs KEY any more (or what still does).
        #[arg(long = "safe-to-delete", value_name = "KEY", conflicts_with_all = ["schedule_deletion", "disable", "switch", "revoke_grant", "delete_material"])]
        safe_to_delete: Option<String>,
        /// Other bounds for an undocumented assumption: detection=0s..2h.
        #[arg(long = "assume", value_name = "NAME=LOW..HIGH")]
        assume: Vec<String>,
        /// One JSON object (schema: `rewrap docs json-log`).
        #[arg(long)]
        json: bool,
        /// Then open the live view on the result (written to a new FILE-whatif.toml here).
        #[arg(long)]
        play: bool,
    },
    /// Print the manual page (roff): `rewrap man > ~/.local/share/man/man1/rewrap.1`.
    Man,
    /// Print a JSON Schema of the scenario file, for TOML editors that complete and check
    /// fields (`rewrap schema > rewrap.schema.json`, then `#:schema ./rewrap.schema.json` as a
    /// scenario's first line).
    Schema,
}

fn main() {
    let args = match Args::try_parse() {
        Ok(a) => a,
        Err(e) => {
            let code = if e.use_stderr() {
                cli::EXIT_INVALID
            } else {
                cli::EXIT_OK
            };
            let _ = e.print();
            std::process::exit(code);
        }
    };
    // `--theme` before the subcommand is for the live view only (`rewrap --theme light play X`).
    if args.theme.is_some()
        && !matches!(
            args.command,
            None | Some(
                Cmd::Play { .. }
                    | Cmd::Record { .. }
                    | Cmd::Lab { .. }
                    | Cmd::Whatif { play: true, .. }
            )
        )
    {
        rewrap::say_err!(
            "error: --theme is for the live view: `rewrap --theme THEME` or `rewrap play [SCENARIO] --theme THEME`"
        );
        std::process::exit(cli::EXIT_INVALID);
    }
    let code = match args.command {
        None => play(
            None,
            &PlayOptions {
                theme: args.theme,
                ..PlayOptions::default()
            },
        ),
        // The subcommand's own flag is the nearer one.
        Some(Cmd::Play {
            scenario,
            present,
            at,
            theme,
            record,
        }) => play(
            scenario.as_deref(),
            &PlayOptions {
                present,
                at,
                theme: theme.or(args.theme),
                record,
                lab: false,
            },
        ),
        Some(Cmd::Record {
            scenario,
            cast,
            size,
            present,
            theme,
        }) => record(&scenario, &cast, &size, present, theme.or(args.theme)),
        Some(cmd @ Cmd::Lab { .. }) => lab(cmd, args.theme),
        Some(Cmd::Notes { theme }) => notes(theme.or(args.theme)),
        Some(Cmd::Run { scenario, json }) => cli::run(&scenario, json),
        Some(Cmd::Check { scenarios }) => cli::check(&scenarios),
        Some(Cmd::List) => cli::list(),
        Some(Cmd::Show { name }) => cli::show(&name),
        Some(Cmd::Docs { topic }) => cli::docs(topic),
        Some(Cmd::ExportScript { regions }) => cli::export_script(&regions),
        Some(cmd @ Cmd::Whatif { .. }) => whatif(cmd, args.theme),
        Some(Cmd::Import {
            dir,
            key,
            redact,
            output,
        }) => cli::import(&dir, key, redact, output.as_deref()),
        Some(Cmd::Schema) => {
            let mut text = serde_json::to_string_pretty(&rewrap::scenario::schema::json_schema())
                .unwrap_or_default();
            text.push('\n');
            cli::print_bytes(text.as_bytes())
        }
        Some(Cmd::Completions { shell }) => {
            use clap::CommandFactory as _;
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut Args::command(), "rewrap", &mut out);
            cli::print_bytes(&out)
        }
        Some(Cmd::Man) => {
            use clap::CommandFactory as _;
            let mut out = Vec::new();
            match clap_mangen::Man::new(Args::command()).render(&mut out) {
                Ok(()) => cli::print_bytes(&out),
                Err(e) => {
                    rewrap::say_err!("error: man page: {e}");
                    cli::EXIT_INVALID
                }
            }
        }
    };
    std::process::exit(code);
}

/// `rewrap whatif …`, then the live view on the result with `--play`.
fn whatif(cmd: Cmd, theme: Option<ThemeChoice>) -> i32 {
    let Cmd::Whatif {
        scenario,
        days,
        safe_to_delete,
        assume,
        json,
        play: then_play,
        ..
    } = cmd
    else {
        return cli::EXIT_INVALID;
    };
    // The actions in the order the command line gives them (clap keeps each flag's own).
    let raw: Vec<String> = std::env::args().collect();
    let asked = cli::WhatIf {
        days,
        safe: safe_to_delete.as_deref(),
        assume: &assume,
        json,
        play: then_play,
    };
    match cli::whatif(&scenario, &raw, &asked) {
        Ok(Some(path)) => play(
            Some(&path.display().to_string()),
            &PlayOptions {
                theme,
                ..PlayOptions::default()
            },
        ),
        Ok(None) => cli::EXIT_OK,
        Err(code) => code,
    }
}

/// How `play` opens the live view.
#[derive(Default)]
struct PlayOptions {
    present: bool,
    at: Option<String>,
    theme: Option<ThemeChoice>,
    record: Option<std::path::PathBuf>,
    /// `rewrap lab`: the lab as an attendee starts it, with its goal panel and keys.
    lab: bool,
}

/// Watch the scenario file (through its directory: editors often replace the file) and send
/// each saved version, or why it does not load.
fn watch(
    name: &str,
    tx: tokio::sync::mpsc::UnboundedSender<rewrap::tui::External>,
) -> Option<notify::RecommendedWatcher> {
    use notify::{EventKind, RecursiveMode, Watcher as _};
    let file = std::fs::canonicalize(name).ok()?;
    let dir = file.parent()?.to_path_buf();
    let spec = file.display().to_string();
    let mut watcher = notify::recommended_watcher(move |ev: notify::Result<notify::Event>| {
        let Ok(ev) = ev else {
            return;
        };
        let ours = ev.paths.iter().any(|p| p.file_name() == file.file_name());
        if !ours || !matches!(ev.kind, EventKind::Modify(_) | EventKind::Create(_)) {
            return;
        }
        let loaded = rewrap::scenario::load(&spec)
            .map(std::sync::Arc::new)
            .map_err(|e| match e {
                rewrap::scenario::LoadError::Invalid(d) => d.render(false),
                other => other.to_string(),
            });
        let _ = tx.send(rewrap::tui::External::Reload(loaded));
    })
    .ok()?;
    watcher.watch(&dir, RecursiveMode::NonRecursive).ok()?;
    Some(watcher)
}

/// The theme from `--theme`, `REWRAP_THEME` and `NO_COLOR`, or the exit code of a bad value
/// (said on stderr).
fn resolve_theme(flag: Option<ThemeChoice>) -> Result<theme::Resolved, i32> {
    theme::resolve(
        flag,
        std::env::var_os(theme::THEME_ENV).as_deref(),
        std::env::var_os("NO_COLOR").as_deref(),
    )
    .map_err(|e| {
        rewrap::say_err!("error: {e}");
        cli::EXIT_INVALID
    })
}

/// `rewrap notes`: follow a presenter.
fn notes(theme: Option<ThemeChoice>) -> i32 {
    use std::io::IsTerminal;
    let resolved = match resolve_theme(theme) {
        Ok(r) => r,
        Err(code) => return code,
    };
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        rewrap::say_err!("error: rewrap notes needs a terminal, and stdout or stdin is not one.");
        return cli::EXIT_INVALID;
    }
    let kind = match resolved {
        theme::Resolved::Use(kind) => kind,
        theme::Resolved::Detect => rewrap::tui::detect_theme(),
    };
    match rewrap::notes_window::run(kind) {
        Ok(()) => cli::EXIT_OK,
        Err(e) => {
            rewrap::say_err!("error: notes: {e}");
            cli::EXIT_INVALID
        }
    }
}

/// `rewrap record`: the scenario rendered headless into an asciicast file.
fn record(
    spec: &str,
    path: &std::path::Path,
    size: &str,
    present: bool,
    theme: Option<ThemeChoice>,
) -> i32 {
    let Some((w, h)) = size
        .split_once(['x', 'X'])
        .and_then(|(w, h)| Some((w.trim().parse::<u16>().ok()?, h.trim().parse::<u16>().ok()?)))
        .filter(|(w, h)| (80..=1000).contains(w) && (24..=1000).contains(h))
    else {
        rewrap::say_err!(
            "error: --size {size:?}: expected WIDTHxHEIGHT, from 80x24 up to 1000x1000"
        );
        return cli::EXIT_INVALID;
    };
    let scenario = match cli::load_or_report(spec) {
        Ok(s) => s,
        Err(code) => return code,
    };
    // As `w` does: never overwrite a file, never write through a symlink (the file is made
    // here, before any rendering, so a bad path is said at once).
    let mut file = match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            rewrap::say_err!(
                "error: {}: already exists (rewrap record never overwrites a file or writes through a link): choose another name",
                rewrap::scenario::printable(&path.display().to_string(), false)
            );
            return cli::EXIT_INVALID;
        }
        Err(e) => {
            rewrap::say_err!(
                "error: {}: {e}",
                rewrap::scenario::printable(&path.display().to_string(), false)
            );
            return cli::EXIT_INVALID;
        }
    };
    let mut app = match rewrap::app::App::new(scenario) {
        Ok(a) => a,
        Err(e) => {
            rewrap::say_err!("error: {e}");
            return cli::EXIT_INVALID;
        }
    };
    app.set_present(present);
    // Headless, nothing to ask: `auto` means dark.
    app.set_theme(theme.and_then(ThemeChoice::kind).unwrap_or_default());
    let text = match rewrap::cast::record(app, w, h) {
        Ok(t) => t,
        Err(e) => {
            rewrap::say_err!("error: rendering: {e}");
            drop(file);
            let _ = std::fs::remove_file(path);
            return cli::EXIT_INVALID;
        }
    };
    if let Err(e) = std::io::Write::write_all(&mut file, text.as_bytes()) {
        rewrap::say_err!(
            "error: {}: {e}",
            rewrap::scenario::printable(&path.display().to_string(), false)
        );
        return cli::EXIT_INVALID;
    }
    cli::EXIT_OK
}

/// `rewrap` / `rewrap play`: the live TUI.
/// `rewrap lab list` and `rewrap lab NAME|FILE`.
fn lab(cmd: Cmd, global_theme: Option<ThemeChoice>) -> i32 {
    let Cmd::Lab {
        lab,
        present,
        theme,
        record,
    } = cmd
    else {
        return cli::EXIT_INVALID;
    };
    if lab == "list" {
        return rewrap::lab::list(&mut |a| {
            use std::io::Write as _;
            writeln!(std::io::stdout().lock(), "{a}").is_ok()
        });
    }
    play(
        Some(&lab),
        &PlayOptions {
            present,
            at: None,
            theme: theme.or(global_theme),
            record,
            lab: true,
        },
    )
}

/// Load what `play` plays: a lab as an attendee starts it when `lab`.
fn load_for_play(name: &str, lab: bool) -> Result<std::sync::Arc<rewrap::scenario::Scenario>, i32> {
    let scenario = cli::load_or_report(name)?;
    if lab {
        lab_start(&scenario)
    } else {
        Ok(scenario)
    }
}

/// The lab in `scenario`'s file as an attendee starts it, or an error (exit 2) when the file
/// holds no `[lab]`.
fn lab_start(
    scenario: &std::sync::Arc<rewrap::scenario::Scenario>,
) -> Result<std::sync::Arc<rewrap::scenario::Scenario>, i32> {
    if scenario.lab.is_none() {
        rewrap::say_err!(
            "error: {} is not a lab (it has no [lab] section); `rewrap lab list` lists the shipped labs, `rewrap play {}` plays it",
            scenario.file,
            scenario
                .file
                .strip_prefix("builtin:")
                .unwrap_or(&scenario.file)
        );
        return Err(cli::EXIT_INVALID);
    }
    rewrap::scenario::parse_variant(
        &scenario.file,
        &scenario.source,
        rewrap::scenario::lab::Variant::Base,
    )
    .map(std::sync::Arc::new)
    .map_err(|d| {
        rewrap::say_err!("{}", d.render(false));
        cli::EXIT_INVALID
    })
}

fn play(spec: Option<&str>, opts: &PlayOptions) -> i32 {
    use std::io::IsTerminal;
    let resolved = match resolve_theme(opts.theme) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let name = spec.unwrap_or(rewrap::scenario::BUILTINS[0].name);
    // A lab starts as the attendee meets it: without the attempt a saved file holds.
    let scenario = match load_for_play(name, opts.lab) {
        Ok(s) => s,
        Err(code) => return code,
    };
    // `--at` is checked before the terminal is touched, so a bad value is a plain error.
    let at = match opts.at.as_deref().map(|text| scenario.resolve_at(text)) {
        None => None,
        Some(Ok(at)) => Some(at),
        Some(Err(e)) => {
            rewrap::say_err!("error: {e}");
            return cli::EXIT_INVALID;
        }
    };
    // So is `--record`'s file (it is made, new, just before the live view starts).
    if let Some(path) = &opts.record
        && std::fs::symlink_metadata(path).is_ok()
    {
        rewrap::say_err!(
            "error: --record {}: already exists (a recording never overwrites a file or writes through a link): choose another name",
            rewrap::scenario::printable(&path.display().to_string(), false)
        );
        return cli::EXIT_INVALID;
    }
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        rewrap::say_err!(
            "error: rewrap's live view needs a terminal, and stdout or stdin is not one.\n\
             For the event log without the TUI, run:  rewrap run {name}"
        );
        return cli::EXIT_INVALID;
    }
    let mut app = match rewrap::app::App::new(scenario) {
        Ok(a) => a,
        Err(e) => {
            rewrap::say_err!("error: {e}");
            return cli::EXIT_INVALID;
        }
    };
    app.set_present(opts.present);
    if opts.lab {
        app = app.as_lab();
    }
    if let Some(at) = at {
        app.go_to(at);
    }
    // Asked before the TUI takes the screen: the answer (or the time-out) leaves nothing on it.
    app.set_theme(match resolved {
        theme::Resolved::Use(kind) => kind,
        theme::Resolved::Detect => rewrap::tui::detect_theme(),
    });
    let mut followers: Vec<Box<dyn rewrap::tui::Follower>> = Vec::new();
    // Speaker notes (`rewrap notes`) follow a presenter from the moment present mode is on
    // (`--present`, `P` or F5): tell them the scenario by a name they can load too.
    let path = std::path::Path::new(name);
    let spec = if path.exists() {
        std::fs::canonicalize(path).map_or_else(|_| name.to_string(), |p| p.display().to_string())
    } else {
        format!("builtin:{}", name.strip_prefix("builtin:").unwrap_or(name))
    };
    let notes = rewrap::tui::NotesWhenPresenting::new(spec, app.scenario().title.clone());
    let notes_problem = notes.problem_handle();
    followers.push(Box::new(notes));
    let mut record_error = None;
    if let Some(path) = &opts.record {
        // Made now, before the terminal is touched: a bad path is a plain error.
        let recorder = match rewrap::cast::LiveRecorder::create(path.clone(), &app.scenario().title)
        {
            Ok(r) => r,
            Err(e) => {
                rewrap::say_err!("error: --record {e}");
                return cli::EXIT_INVALID;
            }
        };
        record_error = Some(recorder.error_handle());
        followers.push(Box::new(recorder));
    }
    // Playing a file: saving it reloads it (the last good version runs on if it no longer
    // loads). The watcher lives as long as the live view.
    let (reload_tx, reload_rx) = tokio::sync::mpsc::unbounded_channel();
    let _watcher = (std::path::Path::new(name).is_file() && !opts.lab)
        .then(|| watch(name, reload_tx))
        .flatten();
    let code = match rewrap::tui::run_with(app, Some(reload_rx), followers) {
        Ok(ending) => ending.exit_code(),
        Err(e) => {
            rewrap::say_err!("error: terminal: {e}");
            cli::EXIT_INVALID
        }
    };
    if let Some(p) = notes_problem.borrow_mut().take() {
        rewrap::say_err!("note: {p}");
    }
    if let Some(e) = record_error.and_then(|h| h.borrow_mut().take()) {
        rewrap::say_err!("error: recording: {e}");
        return cli::EXIT_INVALID;
    }
    code
}
