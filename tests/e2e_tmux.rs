//! End to end in tmux, for what needs a real terminal multiplexer or a shell's job control
//! (Ctrl-Z and fg, a stop from outside, the line discipline after SIGTERM, the notes window
//! beside the presenter, the terminal's colour answer). Everything else end to end (a first
//! session, resizes and Ctrl-C, SIGTERM's exit, the selection and the re-wrap, reloading,
//! `--record`, the bigger world) runs without tmux, in a pseudo-terminal from Rust
//! (tests/pty.rs).
//!
//! Needs tmux. Without it these tests say so on stderr and pass without running, so `cargo
//! test` needs only a Rust toolchain; `.ci/run` installs tmux and sets `REWRAP_REQUIRE_TMUX=1`,
//! under which a missing tmux fails them instead.
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

#[test]
fn sigterm_restores_the_terminal() {
    if !tmux_here() {
        return;
    }
    let bin = env!("CARGO_BIN_EXE_rewrap");
    let dir = std::env::temp_dir().join(format!("rewrap-e2e-sig-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pidfile = dir.join("pid");
    let t = Tmux {
        socket: format!("rewrap-test-sig-{}", std::process::id()),
        session: "rw",
    };
    // The inner shell writes its pid and becomes rewrap; the outer one reports what is left:
    // the exit code, the line discipline (raw mode must be off) and then waits.
    let script = format!(
        "sh -c 'echo $$ > \"{}\"; exec \"{bin}\" play disable-current-key'; echo rewrap-exited-$?; stty -a | tr ' ;' '\\n\\n' | grep -x -e icanon -e -icanon -e echo -e -echo | tr '\\n' ' '; echo stty-done; sleep 30",
        pidfile.display()
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
        "sh",
        "-c",
        &script,
    ]);
    t.wait_for_all(&["before the first step", "w save"]);
    let pid = std::fs::read_to_string(&pidfile).unwrap();
    let status = Command::new("kill")
        .args(["-TERM", pid.trim()])
        .status()
        .unwrap();
    assert!(status.success());
    let s = t.wait_for_all(&["rewrap-exited-143", "stty-done"]);
    assert!(
        s.contains("icanon") && !s.contains("-icanon"),
        "raw mode left on: {s}"
    );
    assert!(
        s.contains("echo") && !s.contains("-echo"),
        "echo left off: {s}"
    );
    assert!(
        !s.contains("Table & keys"),
        "the alternate screen was left: {s}"
    );
    let flags = t.cmd(&[
        "display-message",
        "-p",
        "-t",
        t.session,
        "#{alternate_on} #{cursor_flag}",
    ]);
    assert_eq!(
        String::from_utf8_lossy(&flags.stdout).trim(),
        "0 1",
        "alternate screen off, cursor shown"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn ctrl_z_suspends_and_fg_redraws() {
    if !tmux_here() {
        return;
    }
    let bin = env!("CARGO_BIN_EXE_rewrap");
    let t = Tmux {
        socket: format!("rewrap-test-z-{}", std::process::id()),
        session: "rw",
    };
    // An interactive shell, so that job control (Ctrl-Z, fg) works as it does for a user.
    t.cmd(&[
        "new-session",
        "-d",
        "-s",
        t.session,
        "-x",
        "100",
        "-y",
        "30",
        "bash",
        "--norc",
        "--noprofile",
    ]);
    std::thread::sleep(Duration::from_millis(300));
    t.cmd(&["send-keys", "-t", t.session, &format!("'{bin}'"), "Enter"]);
    t.wait_for_all(&["before the first step", "w save"]);
    t.keys(&["C-z"]);
    let s = t.wait_for("Stopped");
    assert!(
        !s.contains("Table & keys"),
        "the alternate screen was left: {s}"
    );
    let flags = t.cmd(&[
        "display-message",
        "-p",
        "-t",
        t.session,
        "#{alternate_on} #{cursor_flag}",
    ]);
    assert_eq!(String::from_utf8_lossy(&flags.stdout).trim(), "0 1");
    t.cmd(&["send-keys", "-t", t.session, "fg", "Enter"]);
    t.wait_for_all(&["before the first step", "Table & keys", "w save"]);
    t.keys(&["q"]);
    t.cmd(&["send-keys", "-t", t.session, "echo after-quit-$?", "Enter"]);
    t.wait_for("after-quit-0");
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

/// Presenting as a room sees it: `--present` with the clicker's PageDown / PageUp / `b`, a
/// question revealed, `--at`, and `rewrap notes` in a second tmux window showing the right note
/// after each step and after a step back.
#[test]
fn present_mode_with_a_clicker_and_speaker_notes_in_tmux() {
    if !tmux_here() {
        return;
    }
    let bin = env!("CARGO_BIN_EXE_rewrap");
    let sock = std::env::temp_dir().join(format!("rewrap-e2e-notes-{}.sock", std::process::id()));
    let env = format!("REWRAP_NOTES_SOCKET='{}'", sock.display());
    let notes = Tmux {
        socket: format!("rewrap-test-notes-{}", std::process::id()),
        session: "notes",
    };
    notes.cmd(&[
        "new-session",
        "-d",
        "-s",
        notes.session,
        "-x",
        "100",
        "-y",
        "30",
        &format!("{env} '{bin}' notes; echo notes-exited-$?; sleep 30"),
    ]);
    notes.wait_for("Waiting for a presenter");
    let p = Tmux {
        socket: format!("rewrap-test-present-{}", std::process::id()),
        session: "present",
    };
    p.cmd(&[
        "new-session",
        "-d",
        "-s",
        p.session,
        "-x",
        "120",
        "-y",
        "36",
        &format!("{env} '{bin}' play change-table-key --present; echo present-exited-$?; sleep 30"),
    ]);
    p.wait_for("step 0/12");
    notes.wait_for("NOW");
    // The clicker's next: step 1, then 2; the notes follow.
    p.keys(&["PageDown"]);
    p.wait_for("step 1/12");
    notes.wait_for("step 1: Orders is encrypted");
    p.keys(&["PageDown"]);
    p.wait_for("step 2/12");
    notes.wait_for("step 2: The app reads an item");
    // Step 3 asks: the question opens before the step runs; the notes show its answer.
    p.keys(&["PageDown"]);
    p.wait_for("Does this read call KMS?");
    notes.wait_for("ASKING");
    // A press at once is ignored (the clicker's guard: the room reads the question first).
    p.keys(&["2", "PageDown"]);
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        p.screen().contains("Does this read call KMS?"),
        "{}",
        p.screen()
    );
    std::thread::sleep(Duration::from_millis(900));
    p.keys(&["PageDown"]);
    let s = p.wait_for("READ OK · T1 from the cache · 0 KMS calls");
    assert!(s.contains("✓ 2") && s.contains("◀ the room"), "{s}");
    // The reveal holds the next press for a moment too.
    std::thread::sleep(Duration::from_millis(900));
    notes.wait_for("step 3: Two minutes later");
    // Back (the clicker's PageUp) goes back a step, and the notes with it.
    p.keys(&["PageUp"]);
    p.wait_for("step 2/12");
    notes.wait_for("step 2: The app reads an item");
    // Blank, and any key brings the screen back without stepping.
    p.keys(&["b"]);
    std::thread::sleep(Duration::from_millis(300));
    assert!(!p.screen().contains("step 2/12"), "blank:\n{}", p.screen());
    p.keys(&["Right"]);
    p.wait_for("step 2/12");
    // Esc never quits; q asks first.
    p.keys(&["Escape", "q"]);
    p.wait_for("Quit the presentation?");
    p.keys(&["y"]);
    p.wait_for("present-exited-0");
    notes.wait_for("The presenter quit");
    notes.keys(&["q"]);
    notes.wait_for("notes-exited-0");

    // --at opens at a named step, as if stepped there.
    let at = Tmux {
        socket: format!("rewrap-test-at-{}", std::process::id()),
        session: "at",
    };
    at.cmd(&[
        "new-session",
        "-d",
        "-s",
        at.session,
        "-x",
        "120",
        "-y",
        "36",
        &format!("'{bin}' play change-table-key --at mid-rewrap-read; echo at-exited-$?; sleep 30"),
    ]);
    at.wait_for_all(&["Step 6/12", "re-wrapping 4/8"]);
    at.keys(&["q"]);
    at.wait_for("at-exited-0");
}

/// The speaker notes follow present mode however it was entered: here with `P` in a session
/// started without `--present`; the sandbox keys are locked until `U`, and the notes list the
/// live action taken once unlocked.
#[test]
fn the_notes_follow_present_mode_entered_with_p() {
    if !tmux_here() {
        return;
    }
    let bin = env!("CARGO_BIN_EXE_rewrap");
    let sock = std::env::temp_dir().join(format!("rewrap-e2e-notes-p-{}.sock", std::process::id()));
    let env = format!("REWRAP_NOTES_SOCKET='{}'", sock.display());
    let notes = Tmux {
        socket: format!("rewrap-test-notes-p-{}", std::process::id()),
        session: "notes",
    };
    notes.cmd(&[
        "new-session",
        "-d",
        "-s",
        notes.session,
        "-x",
        "100",
        "-y",
        "30",
        &format!("{env} '{bin}' notes; echo notes-exited-$?; sleep 30"),
    ]);
    notes.wait_for("Waiting for a presenter");
    let p = Tmux {
        socket: format!("rewrap-test-present-p-{}", std::process::id()),
        session: "present",
    };
    p.cmd(&[
        "new-session",
        "-d",
        "-s",
        p.session,
        "-x",
        "120",
        "-y",
        "36",
        &format!("{env} '{bin}' play change-table-key; echo present-exited-$?; sleep 30"),
    ]);
    p.wait_for("auto pace");
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        notes.screen().contains("Waiting for a presenter"),
        "not presenting yet"
    );
    p.keys(&["P"]);
    p.wait_for(" step 0/12 │ 0d 00:00:00 │ Switching");
    notes.wait_for("NOW");
    p.keys(&["PageDown"]);
    p.wait_for("step 1/12");
    notes.wait_for("step 1: Orders is encrypted");
    // Locked: `d` does nothing; unlocked, it disables kms-1 and the room sees LIVE.
    p.keys(&["d"]);
    std::thread::sleep(Duration::from_millis(300));
    assert!(!p.screen().contains("LIVE"), "{}", p.screen());
    p.keys(&["U"]);
    p.wait_for("LIVE");
    p.keys(&["d"]);
    p.wait_for("Disabled");
    notes.wait_for("1 live action: disable kms-1");
    p.keys(&["q"]);
    p.wait_for("Quit the presentation?");
    p.keys(&["y"]);
    p.wait_for("present-exited-0");
    notes.wait_for("The presenter quit");
    notes.keys(&["q"]);
    notes.wait_for("notes-exited-0");
}

/// The child of `parent` (the program the pane's shell runs in the foreground).
fn child_of(parent: u32) -> Option<u32> {
    let began = Instant::now();
    while began.elapsed() < Duration::from_secs(10) {
        for entry in std::fs::read_dir("/proc").ok()?.flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
                continue;
            };
            // pid (comm) state ppid ...: the fields after the last ')'.
            let fields: Vec<&str> = stat
                .rsplit_once(')')
                .map_or("", |x| x.1)
                .split_whitespace()
                .collect();
            if fields.get(1).and_then(|p| p.parse::<u32>().ok()) == Some(parent) {
                return Some(pid);
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    None
}

fn shell_in_tmux(tag: &str) -> Tmux {
    let t = Tmux {
        socket: format!("rewrap-test-{tag}-{}", std::process::id()),
        session: "rw",
    };
    t.cmd(&[
        "new-session",
        "-d",
        "-s",
        t.session,
        "-x",
        "100",
        "-y",
        "30",
        "bash",
        "--norc",
        "--noprofile",
    ]);
    std::thread::sleep(Duration::from_millis(300));
    t
}

fn pane_pid(t: &Tmux) -> u32 {
    let out = t.cmd(&["display-message", "-p", "-t", t.session, "#{pane_pid}"]);
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

/// Stopped from outside (kill -STOP, which cannot be caught) and continued with `fg`, the live
/// view and the notes window take keys at once again (raw mode, not cooked: no echo, no Enter);
/// the notes window suspends on Ctrl-Z and leaves the terminal whole on SIGQUIT.
#[test]
fn a_stop_from_outside_and_fg_keep_raw_mode() {
    if !tmux_here() {
        return;
    }
    let bin = env!("CARGO_BIN_EXE_rewrap");
    let t = shell_in_tmux("stop");
    t.cmd(&["send-keys", "-t", t.session, &format!("'{bin}'"), "Enter"]);
    t.wait_for_all(&["before the first step", "w save"]);
    let pid = child_of(pane_pid(&t)).expect("rewrap runs");
    let _ = Command::new("kill")
        .args(["-STOP", &pid.to_string()])
        .status();
    t.wait_for("Stopped");
    t.cmd(&["send-keys", "-t", t.session, "fg", "Enter"]);
    t.wait_for_all(&["before the first step", "w save"]);
    // One key, no Enter: in cooked mode it would wait in the line buffer.
    t.keys(&["n"]);
    t.wait_for("Step 1/12");
    t.keys(&["q"]);
    t.cmd(&["send-keys", "-t", t.session, "echo live-$?", "Enter"]);
    t.wait_for("live-0");

    // The notes window: Ctrl-Z suspends it, fg brings it back taking keys.
    let sock = std::env::temp_dir().join(format!("rewrap-stop-notes-{}.sock", std::process::id()));
    t.cmd(&["send-keys", "-t", t.session, "clear", "Enter"]);
    t.cmd(&[
        "send-keys",
        "-t",
        t.session,
        &format!("REWRAP_NOTES_SOCKET='{}' '{bin}' notes", sock.display()),
        "Enter",
    ]);
    t.wait_for("Waiting");
    t.keys(&["C-z"]);
    t.wait_for("Stopped");
    t.cmd(&["send-keys", "-t", t.session, "fg", "Enter"]);
    t.wait_for("Waiting");
    let pid = child_of(pane_pid(&t)).expect("notes run");
    let _ = Command::new("kill")
        .args(["-STOP", &pid.to_string()])
        .status();
    t.wait_for("Stopped");
    t.cmd(&["send-keys", "-t", t.session, "fg", "Enter"]);
    t.wait_for("Waiting");
    // SIGQUIT ends it with the terminal restored (the main screen, the cursor shown).
    let pid = child_of(pane_pid(&t)).expect("notes run");
    let _ = Command::new("kill")
        .args(["-QUIT", &pid.to_string()])
        .status();
    t.cmd(&["send-keys", "-t", t.session, "echo notes-$?", "Enter"]);
    t.wait_for("notes-0");
    let flags = t.cmd(&[
        "display-message",
        "-p",
        "-t",
        t.session,
        "#{alternate_on} #{cursor_flag}",
    ]);
    assert_eq!(String::from_utf8_lossy(&flags.stdout).trim(), "0 1");
}
