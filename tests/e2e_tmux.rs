//! End to end in tmux, for the one thing a terminal emulator in the test cannot stand in for:
//! a real terminal answering `auto`'s question about its background colour. Everything else
//! end to end runs without tmux, in a pseudo-terminal from Rust (tests/pty.rs).
#![allow(clippy::print_stderr)] // notes for whoever runs the tests, not user output

use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// Is tmux here to drive the binary? Without it: a failure when `REWRAP_REQUIRE_TMUX` is set
/// (as `.ci/run` does), else a note on stderr and the test does not run.
fn tmux_here() -> bool {
    let here = Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !here {
        assert!(
            std::env::var_os("REWRAP_REQUIRE_TMUX").is_none(),
            "REWRAP_REQUIRE_TMUX is set but tmux is not installed (apt-get install tmux)"
        );
        eprintln!("skipped: tmux is not installed (the terminal tests drive the binary in tmux)");
    }
    here
}

struct Tmux {
    socket: String,
    session: &'static str,
}

impl Tmux {
    fn cmd(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux is installed (apt-get install tmux)")
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.cmd(&["capture-pane", "-p", "-t", self.session]).stdout)
            .into_owned()
    }

    /// Wait until the screen contains every needle (frames are drawn incrementally, so a
    /// capture can catch half a frame: never assert on a screen without waiting for it).
    fn wait_for_all(&self, needles: &[&str]) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if needles.iter().all(|n| s.contains(n)) {
                return s;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "timed out waiting for {needles:?}:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn wait_for(&self, needle: &str) -> String {
        self.wait_for_all(&[needle])
    }

    fn keys(&self, keys: &[&str]) {
        for k in keys {
            self.cmd(&["send-keys", "-t", self.session, k]);
            std::thread::sleep(Duration::from_millis(60));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd(&["kill-server"]);
    }
}

#[test]
fn without_a_terminal_it_says_so_and_suggests_run() {
    let out = Command::new(env!("CARGO_BIN_EXE_rewrap")).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("needs a terminal"), "{err}");
    assert!(err.contains("rewrap run change-table-key"), "{err}");
}

/// `auto` asks the terminal for its background: tmux answers with the pane's colours when it
/// knows them (here `window-style`), and says nothing useful otherwise (then: dark). Each run
/// draws with its theme's grey (#595959 light, #A0A0A0 dark) and leaves no query answer on
/// the screen.
#[test]
fn auto_follows_the_terminals_background() {
    if !tmux_here() {
        return;
    }
    let bin = env!("CARGO_BIN_EXE_rewrap");
    for (i, (style, grey, other)) in [
        (
            Some("bg=#ffffff,fg=#000000"),
            "38;2;89;89;89m",
            "38;2;160;160;160m",
        ),
        (
            Some("bg=#000000,fg=#ffffff"),
            "38;2;160;160;160m",
            "38;2;89;89;89m",
        ),
        (None, "38;2;160;160;160m", "38;2;89;89;89m"),
    ]
    .into_iter()
    .enumerate()
    {
        // A server of its own each time (one being killed could still answer on a reused name).
        let t = Tmux {
            socket: format!("rewrap-test-theme-{}-{i}", std::process::id()),
            session: "rw",
        };
        // The pause lets the style be set before rewrap asks.
        let script = format!(
            "sleep 0.5; env -u NO_COLOR -u REWRAP_THEME '{bin}'; echo rewrap-exited-$?; sleep 30"
        );
        t.cmd(&[
            "new-session",
            "-d",
            "-s",
            t.session,
            "-x",
            "100",
            "-y",
            "30",
            &script,
        ]);
        if let Some(style) = style {
            t.cmd(&["set-option", "-g", "window-style", style]);
        }
        t.wait_for_all(&["before the first step", "w save"]);
        let out = t.cmd(&["capture-pane", "-p", "-e", "-t", t.session]);
        let coloured = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(coloured.contains(grey), "{style:?}: {coloured}");
        assert!(!coloured.contains(other), "{style:?}: {coloured}");
        let first = t.screen().lines().next().unwrap_or_default().to_string();
        assert!(first.starts_with(" rewrap │"), "{style:?}: {first}");
        t.keys(&["q"]);
        let s = t.wait_for("rewrap-exited-0");
        assert!(!s.contains("rgb:") && !s.contains("]11;"), "{s}");
    }
}

/// A lab solved as an attendee would, with the sandbox keys: `rewrap lab rescue-before-archive`
/// shows the briefing, kms-1 is cancelled (`c`) and enabled (`e`), time moves with the
/// go-to-time key (`>`), the goal panel says SOLVED with the debrief, `w` saves the attempt and
/// `rewrap check` grades it solved (exit 0).
#[test]
fn a_lab_is_solved_with_the_sandbox_keys_and_its_saved_attempt_grades_solved() {
    if !tmux_here() {
        return;
    }
    let bin = env!("CARGO_BIN_EXE_rewrap");
    let dir = std::env::temp_dir().join(format!("rewrap-lab-tmux-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let t = Tmux {
        socket: format!("rewrap-test-lab-{}", std::process::id()),
        session: "rw",
    };
    let script = format!(
        "cd '{}' && '{bin}' lab rescue-before-archive; echo rewrap-exited-$?; sleep 30",
        dir.display()
    );
    t.cmd(&[
        "new-session",
        "-d",
        "-s",
        t.session,
        "-x",
        "100",
        "-y",
        "30",
        &script,
    ]);
    t.wait_for_all(&[
        "Lab: rescue a table before it is archived",
        "Any key to begin",
    ]);
    t.keys(&["Escape"]);
    let s = t.wait_for("LAB · in progress");
    assert!(
        s.contains("Orders is ACTIVE") && s.contains("kms-1 is enabled"),
        "{s}"
    );
    // kms-1 is the first key in the tree: the footer says the sandbox acts on it.
    t.wait_for("acting on kms-1");
    t.keys(&["c"]);
    t.wait_for("CancelKeyDeletion kms-1");
    t.keys(&["e"]);
    t.wait_for("EnableKey kms-1");
    t.keys(&[">"]);
    t.wait_for("Go to which time?");
    t.keys(&["+30m", "Enter"]);
    let s = t.wait_for_all(&[
        "LAB · SOLVED at",
        "Solved",
        "CancelKeyDeletion stops the deletion",
    ]);
    assert!(!s.contains("FAILED"), "{s}");
    t.keys(&["Escape", "w"]);
    t.wait_for("rescue-before-archive-attempt.toml");
    t.keys(&["q"]);
    t.wait_for("rewrap-exited-0");
    let attempt = dir.join("rescue-before-archive-attempt.toml");
    let out = Command::new(bin)
        .arg("check")
        .arg(&attempt)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("SOLVED at"), "{stdout}");
    let _ = std::fs::remove_dir_all(&dir);
}
