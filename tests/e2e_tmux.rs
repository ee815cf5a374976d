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
