//! The `rewrap` binary: parse the command line and dispatch.

use clap::{Parser, Subcommand};

use rewrap::cli;

/// Envelope encryption made visible: DynamoDB encryption at rest with AWS KMS, simulated with
/// real AES-256-GCM on a logical clock.
#[derive(Parser)]
#[command(name = "rewrap", version, about, long_about = None)]
struct Args {
    #[command(subcommand)]
    command: Option<Cmd>,
}

#[derive(Subcommand)]
enum Cmd {
    /// Open the live TUI on a scenario (the default command).
    Play {
        /// A scenario file or built-in name (see `rewrap list`).
        scenario: Option<String>,
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
    let code = match args.command {
        None => play(None),
        Some(Cmd::Play { scenario }) => play(scenario.as_deref()),
        Some(Cmd::Run { scenario, json }) => cli::run(&scenario, json),
        Some(Cmd::Check { scenarios }) => cli::check(&scenarios),
        Some(Cmd::List) => cli::list(),
    };
    std::process::exit(code);
}

fn play(spec: Option<&str>) -> i32 {
    let name = spec.unwrap_or(rewrap::scenario::BUILTINS[0].name);
    cli::run(name, false)
}
