//! The binary as a user runs it: output and exit codes.

use std::process::Command;

fn rewrap(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_rewrap"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run rewrap");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn check_all_shipped_scenarios_exits_zero() {
    let mut args = vec!["check"];
    let files: Vec<String> = std::fs::read_dir("assets/scenarios")
        .unwrap()
        .map(|e| e.unwrap().path().to_string_lossy().into_owned())
        .collect();
    args.extend(files.iter().map(String::as_str));
    let (code, out, err) = rewrap(&args);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        out.lines().filter(|l| l.starts_with("ok ")).count(),
        files.len()
    );
}

#[test]
fn a_failed_expectation_exits_one_with_file_line_and_step() {
    let dir = std::env::temp_dir().join(format!("rewrap-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("wrong.toml");
    std::fs::write(
        &f,
        "title = \"wrong\"\n[[key]]\nid = \"kms-1\"\n[table]\nkey = \"kms-1\"\n[[step]]\nat = \"1m\"\ndo = \"disable-key\"\nkey = \"kms-1\"\n[[step]]\nat = \"7d 5m\"\ndo = \"wait\"\nexpect = { table = \"archived\" }\n",
    )
    .unwrap();
    let (code, out, _) = rewrap(&["check", f.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    // Detection at 11m, archive at 7d 11m: at 7d 5m it is still inaccessible.
    assert!(
        out.contains(
            "wrong.toml:13: step 2 at 7d 00:05:00: expected table=archived, got inaccessible"
        ),
        "{out}"
    );
}

#[test]
fn invalid_input_exits_two_with_location() {
    let (code, _, err) = rewrap(&["check", "tests/fixtures/invalid/unknown-key-ref.toml"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown KMS key `kms-9`"), "{err}");
    assert!(err.contains("unknown-key-ref.toml:12:7"), "{err}");
    let (code, _, err) = rewrap(&["run", "no-such-thing"]);
    assert_eq!(code, 2);
    assert!(err.contains("rewrap list"), "{err}");
    let (code, _, _) = rewrap(&["run"]);
    assert_eq!(code, 2, "missing argument is a usage error");
}

#[test]
fn run_prints_log_and_summary_and_json_is_valid() {
    let (code, out, _) = rewrap(&["run", "disable-current-key"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("TableStatus ACTIVE -> INACCESSIBLE_ENCRYPTION_CREDENTIALS"),
        "{out}"
    );
    assert!(out.contains("first failed read   0d 00:06:00"), "{out}");
    assert!(out.contains("ASSUMPTION (undocumented)"), "{out}");
    let (code, out, _) = rewrap(&["run", "disable-current-key", "--json"]);
    assert_eq!(code, 0);
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(lines.iter().all(|v| v["kind"].is_string()));
    let last = lines.last().unwrap();
    assert_eq!(last["kind"], "summary");
    assert_eq!(last["milestones"]["inaccessible_since_ms"], 360_000);
}

#[test]
fn list_names_every_builtin() {
    let (code, out, _) = rewrap(&["list"]);
    assert_eq!(code, 0);
    for name in [
        "change-table-key",
        "many-connections",
        "old-key-disabled-mid-rewrap",
    ] {
        assert!(out.contains(name), "{out}");
    }
}

#[test]
fn a_closed_pipe_is_not_a_panic() {
    use std::process::Stdio;
    for args in [
        &["list"][..],
        &["run", "many-connections"],
        &["check", "change-table-key"],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_rewrap"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Close the reading end before the program writes, like `rewrap list | head -0`.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
    }
}

#[test]
fn check_on_a_closed_pipe_still_checks_every_file_and_exits_with_the_result() {
    use std::process::Stdio;
    let dir = std::env::temp_dir().join(format!("rewrap-cli-pipe-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("wrong.toml");
    std::fs::write(
        &f,
        "title = \"wrong\"\n[[key]]\nid = \"kms-1\"\n[table]\nkey = \"kms-1\"\n[[step]]\nat = \"1m\"\ndo = \"wait\"\nexpect = { table = \"archived\" }\n",
    )
    .unwrap();
    // The failing file comes last: the first lines fill no pipe, the reader is already gone.
    let mut child = Command::new(env!("CARGO_BIN_EXE_rewrap"))
        .args([
            "check",
            "change-table-key",
            "many-connections",
            f.to_str().unwrap(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn control_characters_in_a_scenario_never_reach_the_terminal() {
    let dir = std::env::temp_dir().join(format!("rewrap-cli-esc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("esc.toml");
    std::fs::write(
        &f,
        "title = \"evil \\u001b]0;pwned\\u0007 title\"\nsummary = \"clear \\u001b[2J\\u001bc\"\n[[key]]\nid = \"kms-1\"\n[table]\nkey = \"kms-1\"\n[[step]]\nat = \"1m\"\ndo = \"wait\"\nnote = \"hide \\u001b[8m this \\u009b31m\"\n",
    )
    .unwrap();
    let (code, out, err) = rewrap(&["run", f.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(
        !out.contains('\u{1b}') && !out.contains('\u{7}') && !out.contains('\u{9b}'),
        "{out:?}"
    );
    assert!(out.contains("evil ␛]0;pwned␇ title"), "{out}");
    // A bad file whose quoted line carries an escape: the diagnostic shows it as `?`.
    let g = dir.join("bad.toml");
    std::fs::write(&g, "title = \"x\u{1b}[2J\"\nbogus = 1\n").unwrap();
    let (code, _, err) = rewrap(&["check", g.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(!err.contains('\u{1b}'), "{err:?}");
    let raw = std::fs::read_to_string(&g).unwrap();
    assert!(raw.contains('\u{1b}'));
    std::fs::remove_dir_all(&dir).unwrap();
}

fn rewrap_with(args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rewrap"));
    cmd.args(args)
        .env_remove("REWRAP_THEME")
        .env_remove("NO_COLOR");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run rewrap");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn an_invalid_theme_flag_exits_two_naming_the_value_and_the_valid_ones() {
    for args in [&["--theme", "bogus"][..], &["play", "--theme", "bogus"]] {
        let (code, err) = rewrap_with(args, &[]);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains("'bogus'"), "{err}");
        for v in ["auto", "dark", "light", "high-contrast"] {
            assert!(err.contains(v), "{v} in {err}");
        }
    }
}

#[test]
fn an_invalid_rewrap_theme_exits_two_before_anything_else() {
    let (code, err) = rewrap_with(&[], &[("REWRAP_THEME", "bogus")]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(
            "invalid REWRAP_THEME value 'bogus' (valid: auto, dark, light, high-contrast)"
        ),
        "{err}"
    );
    // The flag wins: the variable is not even read.
    let (code, err) = rewrap_with(&["--theme", "dark"], &[("REWRAP_THEME", "bogus")]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("needs a terminal"), "{err}");
}

#[test]
fn valid_themes_are_accepted_and_the_flag_belongs_to_the_live_view() {
    for theme in ["auto", "dark", "light", "high-contrast"] {
        // Not a terminal here: the theme is accepted, then the live view says it needs one.
        let (code, err) = rewrap_with(&["play", "--theme", theme], &[]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("needs a terminal"), "{theme}: {err}");
        let (_, err) = rewrap_with(&[], &[("REWRAP_THEME", theme)]);
        assert!(err.contains("needs a terminal"), "{theme}: {err}");
    }
    // Before `play` too.
    let (code, err) = rewrap_with(&["--theme", "light", "play"], &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("needs a terminal"), "{err}");
    // `run` has no colours to choose.
    let (code, err) = rewrap_with(&["--theme", "light", "run", "change-table-key"], &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--theme is for the live view"), "{err}");
    let (code, out, _) = rewrap(&["--help"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("--theme") && out.contains("REWRAP_THEME"),
        "{out}"
    );
}

/// A FIFO at the scenario path is refused at once (opening it would wait for a writer for
/// good), with exit 2, and so is a device.
#[cfg(unix)]
#[test]
fn a_fifo_or_a_device_is_not_a_scenario_file() {
    let dir = std::env::temp_dir().join(format!("rewrap-fifo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let fifo = dir.join("talk.toml");
    let _ = std::fs::remove_file(&fifo);
    let made = Command::new("mkfifo").arg(&fifo).status();
    if made.is_ok_and(|s| s.success()) {
        let started = std::time::Instant::now();
        let (code, out, err) = rewrap(&["check", fifo.to_str().unwrap()]);
        assert_eq!(code, 2, "{out}{err}");
        assert!(err.contains("not a regular file"), "{err}");
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
    }
    let (code, _, err) = rewrap(&["run", "/dev/zero"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not a regular file"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A file name is shown with its control characters made visible: a crafted name cannot set
/// the window title or clear the screen through `check`'s output or its errors.
#[cfg(unix)]
#[test]
fn check_never_prints_a_file_name_raw() {
    let dir = std::env::temp_dir().join(format!("rewrap-name-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let name = dir.join("a\u{1b}]0;pwned\u{7}\u{1b}[2J.toml");
    std::fs::copy("assets/scenarios/change-table-key.toml", &name).unwrap();
    let (code, out, err) = rewrap(&["check", name.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.starts_with("ok "), "{out}");
    assert!(!out.contains('\u{1b}') && !out.contains('\u{7}'), "{out:?}");
    std::fs::write(&name, "title = 3\n").unwrap();
    let (code, out, err) = rewrap(&["check", name.to_str().unwrap()]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(!err.contains('\u{1b}') && !err.contains('\u{7}'), "{err:?}");
    let missing = "nope\u{1b}[2J";
    let (code, _, err) = rewrap(&["run", missing]);
    assert_eq!(code, 2);
    assert!(!err.contains('\u{1b}'), "{err:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// With stderr on a full disk an error still exits with its own code (2), not 101 from a
/// panic while printing the message.
#[cfg(target_os = "linux")]
#[test]
fn a_full_stderr_keeps_the_exit_code() {
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        return;
    };
    for args in [
        &["run", "no-such-scenario"][..],
        &["check", "/dev/zero"],
        &["play", "--at", "x"],
    ] {
        let status = Command::new(env!("CARGO_BIN_EXE_rewrap"))
            .args(args)
            .stderr(full.try_clone().unwrap())
            .stdout(std::process::Stdio::null())
            .status()
            .unwrap();
        assert_eq!(status.code(), Some(2), "{args:?}");
    }
}

/// After `cargo install` only the binary exists: it prints a built-in scenario to start from,
/// the references, shell completions and its manual page.
#[test]
fn an_installed_binary_carries_its_docs_completions_and_man_page() {
    let (code, out, _) = rewrap(&["show", "change-table-key"]);
    assert_eq!(code, 0);
    assert_eq!(
        out,
        std::fs::read_to_string("assets/scenarios/change-table-key.toml").unwrap()
    );
    assert!(rewrap::scenario::parse("mine.toml", &out).is_ok());
    let (code, _, err) = rewrap(&["show", "no-such"]);
    assert_eq!(code, 2);
    assert!(err.contains("rewrap list"), "{err}");
    let (code, out, _) = rewrap(&["docs"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("# Scenario files"), "{}", &out[..80]);
    let (_, out, _) = rewrap(&["docs", "json-log"]);
    assert!(out.contains("rewrap run --json"));
    let (_, out, _) = rewrap(&["docs", "aws"]);
    assert!(out.contains("### 20. Decrypt runs as the caller"));
    let (_, out, _) = rewrap(&["docs", "account"]);
    assert!(out.starts_with("# Your own account, simulated"));
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let (code, out, err) = rewrap(&["completions", shell]);
        assert_eq!(code, 0, "{shell}: {err}");
        assert!(out.contains("check") && out.contains("notes"), "{shell}");
    }
    let (code, out, _) = rewrap(&["man"]);
    assert_eq!(code, 0);
    assert!(out.contains(".TH rewrap 1"), "{}", &out[..200]);
    assert!(out.contains("completions"));
    // The unknown-field help points at what the binary carries, not at a repository file.
    let f = std::env::temp_dir().join(format!("rewrap-unknown-{}.toml", std::process::id()));
    std::fs::write(
        &f,
        "title = \"t\"\ncolour = \"red\"\n[[key]]\nid = \"kms-1\"\n[table]\nkey = \"kms-1\"\n",
    )
    .unwrap();
    let (code, _, err) = rewrap(&["check", f.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("rewrap docs"), "{err}");
    let _ = std::fs::remove_file(&f);
}
