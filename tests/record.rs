//! `rewrap record`: an asciicast v2 file that parses line by line, has a marker per step, is
//! byte-identical run after run, and, replayed through a terminal emulator (vt100), ends on
//! the screen the TUI shows at the last step.

use std::process::Command;
use std::sync::Arc;

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use rewrap::app::{App, Msg};
use rewrap::scenario;
use rewrap::ui;

fn record(name: &str, file: &std::path::Path, extra: &[&str]) {
    let _ = std::fs::remove_file(file);
    let out = Command::new(env!("CARGO_BIN_EXE_rewrap"))
        .args(["record", name, "--cast"])
        .arg(file)
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn tmp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("rewrap-cast-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// The screen the TUI shows at the end, stepped through as the recording does.
fn tui_screen_at_end(name: &str, present: bool, w: u16, h: u16) -> Vec<String> {
    let mut a = App::new(Arc::new(scenario::load(name).unwrap())).unwrap();
    a.set_present(present);
    // As the recording does: the clicker's guard runs down before each press.
    let wait = |a: &mut App| {
        while a.guarded() {
            a.update(Msg::Tick);
        }
    };
    for _ in 0..a.scenario().steps.len() {
        wait(&mut a);
        a.update(Msg::NextStep);
        a.settle();
        if a.question().is_some_and(|q| !q.revealed) {
            wait(&mut a);
            a.update(Msg::NextStep);
        }
    }
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| ui::render(f, &a)).unwrap();
    let buf = t.backend().buffer();
    (0..h)
        .map(|y| {
            (0..w)
                .map(|x| buf[(x, y)].symbol().to_string())
                .collect::<String>()
                .trim_end()
                .to_string()
        })
        .collect()
}

fn replay(text: &str, w: u16, h: u16) -> (Vec<String>, usize, serde_json::Value) {
    let mut lines = text.lines();
    let header: serde_json::Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    let nz = |n: u16| std::num::NonZeroU16::new(n).unwrap();
    let mut parser = vt100::Parser::new(nz(h), nz(w), 0);
    let mut markers = 0;
    let mut last_t = 0.0;
    for line in lines {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        let t = v[0].as_f64().unwrap();
        assert!(t >= last_t, "time goes back at {line}");
        last_t = t;
        match v[1].as_str().unwrap() {
            "o" => parser.process(v[2].as_str().unwrap().as_bytes()),
            "m" => markers += 1,
            other => panic!("unknown event type {other}"),
        }
    }
    let screen = parser
        .screen()
        .rows(0, w)
        .map(|r| r.trim_end().to_string())
        .collect();
    (screen, markers, header)
}

#[test]
fn a_recording_replays_to_the_tuis_last_screen_and_is_byte_identical() {
    for (name, present) in [("change-table-key", false), ("disable-current-key", true)] {
        let extra: &[&str] = if present { &["--present"] } else { &[] };
        let a = tmp(&format!("{name}-a.cast"));
        let b = tmp(&format!("{name}-b.cast"));
        record(name, &a, extra);
        record(name, &b, extra);
        let text = std::fs::read_to_string(&a).unwrap();
        assert_eq!(
            text.as_bytes(),
            std::fs::read(&b).unwrap().as_slice(),
            "{name}: two recordings differ"
        );
        let (screen, markers, header) = replay(&text, 120, 36);
        assert_eq!(header["version"], 2);
        assert_eq!(header["width"], 120);
        assert_eq!(header["height"], 36);
        let steps = scenario::load(name).unwrap().steps.len();
        assert_eq!(markers, steps, "{name}: one marker per step");
        let expected = tui_screen_at_end(name, present, 120, 36);
        assert_eq!(screen, expected, "{name}: the replay ends elsewhere");
    }
}

#[test]
fn a_bad_size_is_refused() {
    let out = Command::new(env!("CARGO_BIN_EXE_rewrap"))
        .args([
            "record",
            "change-table-key",
            "--cast",
            "/dev/null",
            "--size",
            "20x5",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--size"));
}

/// As `w` does, `record` never overwrites a file and never writes through a symlink: exit 2,
/// the file (or the link's target) untouched, and nothing rendered first.
#[cfg(unix)]
#[test]
fn record_never_overwrites_or_follows_a_link() {
    let run = |path: &std::path::Path| {
        Command::new(env!("CARGO_BIN_EXE_rewrap"))
            .args(["record", "change-table-key", "--cast"])
            .arg(path)
            .output()
            .unwrap()
    };
    let existing = tmp("existing.cast");
    std::fs::write(&existing, "my talk").unwrap();
    let out = run(&existing);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("already exists"), "{err}");
    assert_eq!(std::fs::read_to_string(&existing).unwrap(), "my talk");
    let target = tmp("target.txt");
    std::fs::write(&target, "precious").unwrap();
    let link = tmp("link.cast");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let out = run(&link);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "precious");
    // A dangling link is not followed either.
    let dangling = tmp("dangling.cast");
    let _ = std::fs::remove_file(&dangling);
    std::os::unix::fs::symlink(tmp("nowhere.cast"), &dangling).unwrap();
    assert_eq!(run(&dangling).status.code(), Some(2));
    assert!(!tmp("nowhere.cast").exists());
}
