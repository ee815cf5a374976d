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
        let pair = native_pty_system()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("a pseudo-terminal");
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_rewrap"));
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

/// SIGTERM ends the live view the way shells report it (143) with the terminal restored.
#[test]
fn sigterm_ends_with_the_terminal_restored() {
    let dir = scratch("term");
    let mut t = Pty::spawn(&["play", "disable-current-key"], 100, 30, &dir);
    t.wait_for_all(&["before the first step", "w save"]);
    let pid = t.child.process_id().expect("a pid");
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(t.exit_code(), 143);
    assert!(
        t.restored(),
        "the terminal was left changed:\n{}",
        t.screen()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
