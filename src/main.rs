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
        #[arg(long, value_enum, value_name = "THEME", help = THEME_HELP)]
        theme: Option<ThemeChoice>,
    },
    /// Run a scenario without the TUI: the timed event log, then a summary.
    Run {
        /// A scenario file or built-in name.
        scenario: String,
        /// One JSON object per line (schema: docs/json-log.md).
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
    if args.theme.is_some() && !matches!(args.command, None | Some(Cmd::Play { .. })) {
        eprintln!(
            "error: --theme is for the live view: `rewrap --theme THEME` or `rewrap play [SCENARIO] --theme THEME`"
        );
        std::process::exit(cli::EXIT_INVALID);
    }
    let code = match args.command {
        None => play(None, args.theme),
        // The subcommand's own flag is the nearer one.
        Some(Cmd::Play { scenario, theme }) => play(scenario.as_deref(), theme.or(args.theme)),
        Some(Cmd::Run { scenario, json }) => cli::run(&scenario, json),
        Some(Cmd::Check { scenarios }) => cli::check(&scenarios),
        Some(Cmd::List) => cli::list(),
    };
    std::process::exit(code);
}

/// `rewrap` / `rewrap play`: the live TUI.
fn play(spec: Option<&str>, theme_flag: Option<ThemeChoice>) -> i32 {
    use std::io::IsTerminal;
    let resolved = match theme::resolve(
        theme_flag,
        std::env::var_os(theme::THEME_ENV).as_deref(),
        std::env::var_os("NO_COLOR").as_deref(),
    ) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return cli::EXIT_INVALID;
        }
    };
    let name = spec.unwrap_or(rewrap::scenario::BUILTINS[0].name);
    let scenario = match cli::load_or_report(name) {
        Ok(s) => s,
        Err(code) => return code,
    };
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        eprintln!(
            "error: rewrap's live view needs a terminal, and stdout or stdin is not one.\n\
             For the event log without the TUI, run:  rewrap run {name}"
        );
        return cli::EXIT_INVALID;
    }
    // Installed before the terminal is set up, so a panic report prints on a restored screen.
    let _ = color_eyre::install();
    let mut app = match rewrap::app::App::new(scenario) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}");
            return cli::EXIT_INVALID;
        }
    };
    // Asked before the TUI takes the screen: the answer (or the time-out) leaves nothing on it.
    app.theme = match resolved {
        theme::Resolved::Use(kind) => kind,
        theme::Resolved::Detect => rewrap::tui::detect_theme(),
    };
    match rewrap::tui::run(app) {
        Ok(ending) => ending.exit_code(),
        Err(e) => {
            eprintln!("error: terminal: {e}");
            cli::EXIT_INVALID
        }
    }
}
