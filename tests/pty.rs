//! End to end without tmux: the real binary in a pseudo-terminal opened from Rust
//! (portable-pty), its output read through a terminal emulator (vt100), keys written to it.
//! `cargo test` needs only a Rust toolchain for these.

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

fn nz(n: u16) -> std::num::NonZero<u16> {
    std::num::NonZero::new(n).expect("a size above zero")
}

struct Pty {
    child: Box<dyn portable_pty::Child + Send + Sync>,
    master: Box<dyn portable_pty::MasterPty + Send>,
    writer: Box<dyn Write + Send>,
    parser: Arc<Mutex<vt100::Parser>>,
}

impl Pty {
    /// `rewrap ARGS` in a `cols`×`rows` terminal, in `dir`.
    fn spawn(args: &[&str], cols: u16, rows: u16, dir: &std::path::Path) -> Self {
        Self::spawn_program(env!("CARGO_BIN_EXE_rewrap"), args, cols, rows, dir)
    }

    /// `PROGRAM ARGS` in a `cols`×`rows` terminal, in `dir` (a shell, for job control).
    fn spawn_program(
        program: &str,
        args: &[&str],
        cols: u16,
        rows: u16,
        dir: &std::path::Path,
    ) -> Self {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("a pseudo-terminal");
        let mut cmd = CommandBuilder::new(program);
        cmd.args(args);
        cmd.cwd(dir);
        cmd.env("TERM", "xterm-256color");
        cmd.env("REWRAP_THEME", "dark");
        // No presenter socket of a real session is ever touched.
        cmd.env(
            "REWRAP_NOTES_SOCKET",
            dir.join("notes.sock").into_os_string(),
        );
        let child = pair.slave.spawn_command(cmd).expect("rewrap starts");
        drop(pair.slave);
        let parser = Arc::new(Mutex::new(vt100::Parser::new(nz(rows), nz(cols), 0)));
        let mut reader = pair.master.try_clone_reader().unwrap();
        let feed = parser.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                feed.lock().unwrap().process(&buf[..n]);
            }
        });
        let writer = pair.master.take_writer().unwrap();
        Self {
            child,
            master: pair.master,
            writer,
            parser,
        }
    }

    fn screen(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    /// Wait until the screen shows every needle (frames arrive in pieces: never assert on a
    /// screen without waiting for it).
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
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn wait_for(&self, needle: &str) -> String {
        self.wait_for_all(&[needle])
    }

    fn keys(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).unwrap();
        self.writer.flush().unwrap();
        std::thread::sleep(Duration::from_millis(60));
    }

    fn resize(&self, cols: u16, rows: u16) {
        self.master
            .resize(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
        self.parser
            .lock()
            .unwrap()
            .screen_mut()
            .set_size(nz(rows), nz(cols));
    }

    /// The exit code, waiting at most 20 s.
    fn exit_code(&mut self) -> u32 {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.exit_code();
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "rewrap did not exit"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The terminal as the program left it: the main screen, the cursor shown.
    fn restored(&self) -> bool {
        let p = self.parser.lock().unwrap();
        !p.screen().alternate_screen() && !p.screen().hide_cursor()
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

fn scratch(tag: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("rewrap-pty-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A user's first session: steps, a step back, help, the sandbox's deletion prompt, `w`,
/// the timeline, `q`; exit 0 with the terminal restored, and the saved file passes `check`.
#[test]
fn drive_the_real_binary_in_a_pty() {
    let dir = scratch("drive");
    let mut t = Pty::spawn(&[], 100, 30, &dir);
    t.wait_for_all(&["before the first step", "0d 00:00:00", "kms-1", "w save"]);
    for k in 1..=2 {
        t.keys(b"n");
        t.wait_for(&format!("Step {k}/12"));
    }
    t.wait_for("app#1");
    for k in 3..=6 {
        t.keys(b"n");
        t.wait_for(&format!("Step {k}/12"));
    }
    t.wait_for("re-wrapping 4/8");
    t.keys(b"p");
    t.wait_for("Step 5/12");
    t.keys(b"?");
    t.wait_for("Help");
    t.keys(b"\x1b");
    std::thread::sleep(Duration::from_millis(100));
    t.keys(b"x");
    t.wait_for("waiting period in days");
    t.keys(b"7\r");
    t.wait_for("PendingDeletion");
    t.keys(b"w");
    t.wait_for("wrote");
    t.keys(b"t");
    t.wait_for("Timeline");
    t.keys(b"q");
    assert_eq!(t.exit_code(), 0);
    assert!(
        t.restored(),
        "the terminal was left changed:\n{}",
        t.screen()
    );
    let saved = dir.join("change-table-key-explored.toml");
    let check = std::process::Command::new(env!("CARGO_BIN_EXE_rewrap"))
        .arg("check")
        .arg(&saved)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A resize storm down to a window too small to draw in, then Ctrl-C: exit 0 and the
/// terminal restored.
#[test]
fn resizes_then_ctrl_c_restore_the_terminal() {
    let dir = scratch("ctrlc");
    let mut t = Pty::spawn(&["play", "disable-current-key"], 90, 26, &dir);
    t.wait_for_all(&["before the first step", "? all keys"]);
    for (w, h) in [(200, 60), (40, 10), (81, 25), (10, 5), (90, 26)] {
        t.resize(w, h);
        std::thread::sleep(Duration::from_millis(80));
    }
    t.wait_for("Table & keys");
    t.keys(b"\x03");
    assert_eq!(t.exit_code(), 0);
    assert!(
        t.restored(),
        "the terminal was left changed:\n{}",
        t.screen()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

impl Pty {
    /// Press `n` and wait for step `k` of `n`; a second press finishes the animated stretch at
    /// once when `fast`. Every screen seen on the way is passed to `seen`.
    fn step_to(&mut self, k: usize, n: usize, fast: bool, seen: &mut dyn FnMut(&str)) -> String {
        self.keys(b"n");
        let want = format!("Step {k}/{n} ");
        let start = Instant::now();
        let mut pressed_again = false;
        loop {
            let s = self.screen();
            seen(&s);
            if s.contains(&want) {
                return s;
            }
            if fast && !pressed_again && s.contains(&format!("▶ to step {k} ")) {
                self.keys(b"n");
                pressed_again = true;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "never reached {want}:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(30));
        }
    }
}

/// Select the AWS owned key, step five times through the key change: the selection stays on
/// it, `d` acts on it (refused: nobody manages it), never on kms-2; and the re-wrap, stepped
/// into, shows every DEK's move one after another.
#[test]
fn the_selection_survives_steps_and_the_rewrap_is_watchable() {
    let dir = scratch("select");
    let mut t = Pty::spawn(&["play", "change-table-key"], 120, 36, &dir);
    t.wait_for("before the first step");
    let n = 12;
    for k in 1..=2 {
        t.step_to(k, n, false, &mut |_| {});
    }
    for _ in 0..20 {
        if t.screen().contains("acting on aws-owned") {
            break;
        }
        t.keys(b"\x1b[B");
        std::thread::sleep(Duration::from_millis(100));
    }
    t.wait_for("acting on aws-owned");
    let mut progress = std::collections::BTreeSet::new();
    for k in 3..=7 {
        t.step_to(k, n, false, &mut |s| {
            for d in 0..=8 {
                if s.contains(&format!("re-wrapping {d}/8")) {
                    progress.insert(d);
                }
            }
        });
        t.wait_for("acting on aws-owned");
    }
    for d in 0..8 {
        assert!(
            progress.contains(&d),
            "re-wrap progress {d}/8 never shown while stepping (saw {progress:?})"
        );
    }
    t.keys(b"d");
    let s = t.wait_for("aws-owned: refused");
    assert!(s.contains("kms-2 CMK Enabled"), "kms-2 was touched:\n{s}");
    t.keys(b"q");
    assert_eq!(t.exit_code(), 0);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Authoring: saving the scenario file being played reloads it at the same step; a broken save
/// shows the diagnostic with its line and keeps the last good version.
#[test]
fn saving_the_played_file_reloads_it() {
    let dir = scratch("reload");
    let file = dir.join("story.toml");
    let text = rewrap::scenario::BUILTINS[0].text;
    std::fs::write(&file, text).unwrap();
    let mut t = Pty::spawn(
        &["play", file.to_str().unwrap(), "--at", "5"],
        120,
        36,
        &dir,
    );
    t.wait_for("Step 5/12");
    std::thread::sleep(Duration::from_millis(300));
    std::fs::write(
        &file,
        text.replace(
            "UpdateTable: switch to KMS-2",
            "UpdateTable, edited: switch to KMS-2",
        ),
    )
    .unwrap();
    t.wait_for_all(&["UpdateTable, edited", "reloaded: at step 5"]);
    std::fs::write(&file, format!("{text}\ngarbage = [\n")).unwrap();
    let s = t.wait_for("Reload failed");
    assert!(s.contains("story.toml:"), "{s}");
    t.keys(b"\x1b");
    t.wait_for("UpdateTable, edited");
    t.keys(b"q");
    assert_eq!(t.exit_code(), 0);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `play --record` writes the live session as asciicast v2 as it goes: a header, frames, a
/// marker per step reached, a resize; a second recording to the same file is refused before
/// the live view starts.
#[test]
fn play_record_writes_the_live_session() {
    let dir = scratch("record");
    let file = dir.join("talk.cast");
    let mut t = Pty::spawn(
        &[
            "play",
            "change-table-key",
            "--record",
            file.to_str().unwrap(),
        ],
        100,
        30,
        &dir,
    );
    t.wait_for("before the first step");
    for k in 1..=2 {
        t.keys(b"n");
        t.wait_for(&format!("Step {k}/12"));
    }
    // Written as it goes: the file already holds the first step's marker while the session
    // runs (a kill now would keep it).
    let start = Instant::now();
    while !std::fs::read_to_string(&file).is_ok_and(|s| s.contains("step 1: wait")) {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "nothing written yet"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    t.resize(120, 36);
    std::thread::sleep(Duration::from_millis(400));
    t.keys(b"n");
    t.wait_for("Step 3/12");
    t.keys(b"q");
    assert_eq!(t.exit_code(), 0);
    let text = std::fs::read_to_string(&file).unwrap();
    let mut lines = text.lines();
    let header: serde_json::Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    assert_eq!(header["version"], 2);
    assert_eq!(header["width"], 100);
    let events: Vec<serde_json::Value> = lines.map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(events.iter().filter(|e| e[1] == "o").count() > 2);
    let markers: Vec<&str> = events
        .iter()
        .filter(|e| e[1] == "m")
        .map(|e| e[2].as_str().unwrap())
        .collect();
    assert_eq!(
        markers[..2],
        ["step 1: wait", "step 2: read as app (conn 1)"]
    );
    let resize = events
        .iter()
        .position(|e| e[1] == "r" && e[2] == "120x36")
        .expect("the resize is recorded");
    assert!(
        events[resize..].iter().any(|e| e[1] == "o"),
        "frames follow the resize"
    );
    let again = Pty::spawn(
        &[
            "play",
            "change-table-key",
            "--record",
            file.to_str().unwrap(),
        ],
        100,
        30,
        &dir,
    );
    let mut again = again;
    assert_eq!(again.exit_code(), 2);
    again.wait_for("already exists");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The bigger world in the real binary: a step in a replica's region brings the replica's
/// panels, `L` shows the recoverability ledger, `T` moves the focus (and the footer says so),
/// `B` backs the focused table up, and `w` writes a file that `check` accepts.
#[test]
fn the_bigger_world() {
    let dir = scratch("world");
    let mut t = Pty::spawn(&["play", "replica-key-disabled"], 120, 36, &dir);
    t.wait_for("before the first step");
    let n = 11;
    for k in 1..=6 {
        t.step_to(k, n, true, &mut |_| {});
    }
    t.wait_for_all(&["Replica Orders@eu-west-1", "Cache of Orders@eu-west-1"]);
    t.keys(b"L");
    let s = t.wait_for("Recoverability ledger");
    assert!(s.contains("replica eu-west-1"), "{s}");
    t.keys(b"\x1b");
    std::thread::sleep(Duration::from_millis(100));
    t.keys(b"T");
    t.wait_for("acting on kms-us · app#1 · Orders ");
    t.keys(b"B");
    t.wait_for("back up the table as live-1: ok");
    t.keys(b"w");
    let s = t.wait_for("replica-key-disabled-explored.toml");
    assert!(s.contains("wrote"), "{s}");
    t.keys(b"q");
    assert_eq!(t.exit_code(), 0);
    let file = dir.join("replica-key-disabled-explored.toml");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rewrap"))
        .args(["check", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

const PAGE_DOWN: &[u8] = b"\x1b[6~";
const PAGE_UP: &[u8] = b"\x1b[5~";
const RIGHT: &[u8] = b"\x1b[C";
const ESC: &[u8] = b"\x1b";

/// Presenting as a room sees it: `--present` with the clicker's PageDown / PageUp / `b`, a
/// question revealed, `--at`, and `rewrap notes` in a second terminal showing the right note
/// after each step and after a step back.
#[test]
fn present_mode_with_a_clicker_and_speaker_notes() {
    let dir = scratch("present");
    let mut notes = Pty::spawn(&["notes"], 100, 30, &dir);
    notes.wait_for("Waiting for a presenter");
    let mut p = Pty::spawn(&["play", "change-table-key", "--present"], 120, 36, &dir);
    p.wait_for("step 0/12");
    notes.wait_for("NOW");
    p.keys(PAGE_DOWN);
    p.wait_for("step 1/12");
    notes.wait_for("step 1: Orders is encrypted");
    p.keys(PAGE_DOWN);
    p.wait_for("step 2/12");
    notes.wait_for("step 2: The app reads an item");
    // Step 3 asks: the question opens before the step runs; the notes show its answer.
    p.keys(PAGE_DOWN);
    p.wait_for("Does this read call KMS?");
    notes.wait_for("ASKING");
    // A press at once is ignored (the clicker's guard: the room reads the question first).
    p.keys(b"2");
    p.keys(PAGE_DOWN);
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        p.screen().contains("Does this read call KMS?"),
        "{}",
        p.screen()
    );
    std::thread::sleep(Duration::from_millis(900));
    p.keys(PAGE_DOWN);
    let s = p.wait_for("READ OK · T1 from the cache · 0 KMS calls");
    assert!(s.contains("✓ 2") && s.contains("◀ the room"), "{s}");
    std::thread::sleep(Duration::from_millis(900));
    notes.wait_for("step 3: Two minutes later");
    // Back (the clicker's PageUp) goes back a step, and the notes with it.
    p.keys(PAGE_UP);
    p.wait_for("step 2/12");
    notes.wait_for("step 2: The app reads an item");
    // Blank, and any key brings the screen back without stepping.
    p.keys(b"b");
    std::thread::sleep(Duration::from_millis(300));
    assert!(!p.screen().contains("step 2/12"), "blank:\n{}", p.screen());
    p.keys(RIGHT);
    p.wait_for("step 2/12");
    // Esc never quits; q asks first.
    p.keys(ESC);
    std::thread::sleep(Duration::from_millis(100));
    p.keys(b"q");
    p.wait_for("Quit the presentation?");
    p.keys(b"y");
    assert_eq!(p.exit_code(), 0);
    notes.wait_for("The presenter quit");
    notes.keys(b"q");
    assert_eq!(notes.exit_code(), 0);
    assert!(notes.restored());

    // --at opens at a named step, as if stepped there.
    let mut at = Pty::spawn(
        &["play", "change-table-key", "--at", "mid-rewrap-read"],
        120,
        36,
        &dir,
    );
    at.wait_for_all(&["Step 6/12", "re-wrapping 4/8"]);
    at.keys(b"q");
    assert_eq!(at.exit_code(), 0);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The speaker notes follow present mode however it was entered: here with `P` in a session
/// started without `--present`; the sandbox keys are locked until `U`, and the notes list the
/// live action taken once unlocked.
#[test]
fn the_notes_follow_present_mode_entered_with_p() {
    let dir = scratch("present-p");
    let mut notes = Pty::spawn(&["notes"], 100, 30, &dir);
    notes.wait_for("Waiting for a presenter");
    let mut p = Pty::spawn(&["play", "change-table-key"], 120, 36, &dir);
    p.wait_for("auto pace");
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        notes.screen().contains("Waiting for a presenter"),
        "not presenting yet"
    );
    p.keys(b"P");
    p.wait_for(" step 0/12 │ 0d 00:00:00 │ Switching");
    notes.wait_for("NOW");
    p.keys(PAGE_DOWN);
    p.wait_for("step 1/12");
    notes.wait_for("step 1: Orders is encrypted");
    // Locked: `d` does nothing; unlocked, it disables kms-1 and the room sees LIVE.
    p.keys(b"d");
    std::thread::sleep(Duration::from_millis(300));
    assert!(!p.screen().contains("LIVE"), "{}", p.screen());
    p.keys(b"U");
    p.wait_for("LIVE");
    p.keys(b"d");
    p.wait_for("Disabled");
    notes.wait_for("1 live action: disable kms-1");
    p.keys(b"q");
    p.wait_for("Quit the presentation?");
    p.keys(b"y");
    assert_eq!(p.exit_code(), 0);
    notes.wait_for("The presenter quit");
    notes.keys(b"q");
    assert_eq!(notes.exit_code(), 0);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The child of `parent` (the program a shell runs in the foreground).
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

fn kill(signal: &str, pid: u32) {
    let status = std::process::Command::new("kill")
        .args([signal, &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// An interactive bash in a pseudo-terminal: job control (Ctrl-Z, fg) as a user has it.
fn shell(tag: &str) -> (Pty, std::path::PathBuf) {
    let dir = scratch(tag);
    let mut t = Pty::spawn_program("bash", &["--norc", "--noprofile", "-i"], 100, 30, &dir);
    t.keys(b"PS1='$ '\r");
    std::thread::sleep(Duration::from_millis(200));
    (t, dir)
}

/// Ctrl-Z suspends the live view with the terminal restored, and `fg` brings it back whole.
#[test]
fn ctrl_z_suspends_and_fg_redraws() {
    let (mut t, dir) = shell("ctrlz");
    let bin = env!("CARGO_BIN_EXE_rewrap");
    t.keys(format!("'{bin}'\r").as_bytes());
    t.wait_for_all(&["before the first step", "w save"]);
    t.keys(b"\x1a");
    let s = t.wait_for("Stopped");
    assert!(
        !s.contains("Table & keys"),
        "the alternate screen was left: {s}"
    );
    assert!(t.restored(), "{s}");
    t.keys(b"fg\r");
    t.wait_for_all(&["before the first step", "Table & keys", "w save"]);
    t.keys(b"q");
    std::thread::sleep(Duration::from_millis(300));
    t.keys(b"echo after-quit-$?\r");
    t.wait_for("after-quit-0");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Stopped from outside (kill -STOP, which cannot be caught) and continued with `fg`, the live
/// view and the notes window take keys at once again (raw mode, not cooked: no echo, no Enter);
/// the notes window suspends on Ctrl-Z and leaves the terminal whole on SIGQUIT.
#[test]
fn a_stop_from_outside_and_fg_keep_raw_mode() {
    let (mut t, dir) = shell("stop");
    let bin = env!("CARGO_BIN_EXE_rewrap");
    let bash = t.child.process_id().unwrap();
    t.keys(format!("'{bin}'\r").as_bytes());
    t.wait_for_all(&["before the first step", "w save"]);
    kill("-STOP", child_of(bash).expect("rewrap runs"));
    t.wait_for("Stopped");
    t.keys(b"fg\r");
    t.wait_for_all(&["before the first step", "w save"]);
    // One key, no Enter: in cooked mode it would wait in the line buffer.
    t.keys(b"n");
    t.wait_for("Step 1/12");
    t.keys(b"q");
    // Let it exit before typing to the shell (keys sent earlier would reach rewrap).
    std::thread::sleep(Duration::from_millis(300));
    t.keys(b"clear; echo live-$?\r");
    t.wait_for("live-0");
    // The notes window: Ctrl-Z suspends it, fg brings it back taking keys.
    t.keys(format!("'{bin}' notes\r").as_bytes());
    t.wait_for("Waiting");
    t.keys(b"\x1a");
    t.wait_for("Stopped");
    t.keys(b"fg\r");
    t.wait_for("Waiting");
    kill("-STOP", child_of(bash).expect("notes run"));
    t.wait_for("Stopped");
    t.keys(b"fg\r");
    t.wait_for("Waiting");
    // SIGQUIT ends it with the terminal restored (the main screen, the cursor shown).
    let notes = child_of(bash).expect("notes run");
    kill("-QUIT", notes);
    // Type only once it has gone (keys typed before would reach its own input, not bash's).
    let began = Instant::now();
    while std::path::Path::new(&format!("/proc/{notes}")).exists() {
        assert!(
            began.elapsed() < Duration::from_secs(10),
            "notes did not end on SIGQUIT"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    t.keys(b"echo notes-$?\r");
    t.wait_for("notes-0");
    assert!(t.restored(), "{}", t.screen());
    let _ = std::fs::remove_dir_all(&dir);
}

/// SIGTERM leaves the line discipline as it found it (canonical mode and echo back on), the
/// main screen and the cursor shown; the shell sees exit 143.
#[test]
fn sigterm_restores_the_line_discipline() {
    let dir = scratch("stty");
    let bin = env!("CARGO_BIN_EXE_rewrap");
    let pidfile = dir.join("pid");
    let script = format!(
        "sh -c 'echo $$ > \"{}\"; exec \"{bin}\" play disable-current-key'; echo rewrap-exited-$?; stty -a | tr ' ;' '\\n\\n' | grep -x -e icanon -e -icanon -e echo -e -echo | tr '\\n' ' '; echo stty-done; sleep 30",
        pidfile.display()
    );
    let t = Pty::spawn_program("sh", &["-c", &script], 100, 30, &dir);
    t.wait_for_all(&["before the first step", "w save"]);
    let pid: u32 = std::fs::read_to_string(&pidfile)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    kill("-TERM", pid);
    let s = t.wait_for_all(&["rewrap-exited-143", "stty-done"]);
    assert!(
        s.contains("icanon") && !s.contains("-icanon"),
        "raw mode left on: {s}"
    );
    assert!(
        s.contains("echo") && !s.contains("-echo"),
        "echo left off: {s}"
    );
    assert!(t.restored(), "{s}");
    let _ = std::fs::remove_dir_all(&dir);
}
