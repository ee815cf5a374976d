//! Large windows (160x48 and up): the key hierarchy as a diagram with the DEK in flight, lost
//! material crossed out, the selected key marked; the most important clock in big digits; the
//! timeline beside the log. Plus the telling moments at 80x24, 120x36 and 200x60.

use ratatui::style::Modifier;

mod common;

use common::{app, draw, steps, text};
use rewrap::app::{App, Msg};
use rewrap::scenario;
use rewrap::ui;

/// Step 5 of change-table-key is the switch: step into the next stretch and stop mid-way.
fn mid_flight() -> App {
    let mut a = app("change-table-key");
    steps(&mut a, 5);
    a.update(Msg::NextStep);
    for _ in 0..12 {
        a.update(Msg::Tick);
    }
    assert!(a.stretch().is_some(), "still showing the stretch");
    a
}

#[test]
fn the_diagram_draws_boxes_and_the_dek_in_flight() {
    let a = mid_flight();
    let s = text(&draw(&a, 200, 60));
    for needle in [
        "◆ kms-1",
        "◆ kms-2",
        "T1 table key",
        "T2 table key",
        "DEKs under T1",
        "DEKs under T2",
        "━▶",
        "re-wrapping",
        "▣ 64 items",
    ] {
        assert!(s.contains(needle), "no `{needle}` in:\n{s}");
    }
    // The DEK in flight sits between the two DEK boxes, on the same row.
    let row = s
        .lines()
        .find(|l| l.contains("━▶"))
        .expect("a row with the DEK in flight");
    let (t1, fly) = (row.find("│DEK-").unwrap(), row.find("━▶").unwrap());
    assert!(fly > t1, "{row}");
    // Smaller windows keep the list.
    let small = text(&draw(&a, 120, 36));
    assert!(!small.contains("━▶"), "{small}");
    assert!(small.contains("⇢ moving"), "{small}");
}

#[test]
fn g_switches_the_large_screen_to_the_list() {
    let mut a = mid_flight();
    a.update(Msg::ToggleView);
    let s = text(&draw(&a, 200, 60));
    assert!(!s.contains("━▶"), "{s}");
    assert!(s.contains("⇢ moving"), "{s}");
}

#[test]
fn lost_material_is_crossed_out() {
    let mut a = app("delete-current-key");
    let n = a.scenario().steps.len();
    steps(&mut a, n);
    let buf = draw(&a, 200, 60);
    let s = text(&buf);
    assert!(s.contains("kms-1"), "{s}");
    let crossed = (0..buf.area.height).any(|y| {
        (0..buf.area.width).any(|x| {
            let c = &buf[(x, y)];
            c.symbol() == "k" && c.modifier.contains(Modifier::CROSSED_OUT)
        })
    });
    assert!(crossed, "the deleted key's name is crossed out:\n{s}");
    assert!(s.contains("unrecoverable") || s.contains("LOST"), "{s}");
}

#[test]
fn the_selected_key_is_marked_in_the_diagram_and_acted_on() {
    let mut a = app("change-table-key");
    steps(&mut a, 2);
    while a.selected_key().map(|k| k.to_string()) != Some("kms-2".into()) {
        a.update(Msg::Down);
    }
    steps(&mut a, 5);
    let s = text(&draw(&a, 200, 60));
    assert!(s.contains("▶ ◆ kms-2"), "{s}");
    assert!(!s.contains("▶ ◆ kms-1"), "{s}");
}

#[test]
fn the_big_clock_shows_the_clock_that_changes_an_outcome() {
    let mut a = app("disable-current-key");
    steps(&mut a, 2); // read at 1m, disable at 3m: the cached copy runs out at 6m
    let (label, time, _) = ui::bigclock::reading(&a);
    assert!(label.contains("runs out"), "{label}");
    assert_eq!(time, "3m 00s");
    let s = text(&draw(&a, 200, 60));
    assert!(s.contains("runs out, reads fail, in"), "{s}");
    // Big digits: quadrant block characters.
    assert!(s.contains('▀') || s.contains('▄') || s.contains('█'), "{s}");
}

#[test]
fn the_timeline_sits_beside_the_log_on_a_large_screen() {
    let mut a = app("change-table-key");
    steps(&mut a, 3);
    let s = text(&draw(&a, 200, 60));
    assert!(s.contains("Timeline"), "{s}");
    assert!(s.contains("Event log"), "{s}");
    assert!(s.contains("Table-key cache"), "{s}");
    a.update(Msg::ToggleTimeline);
    let s = text(&draw(&a, 200, 60));
    assert!(!s.contains("Timeline ·"), "t hides it:\n{s}");
}

/// As a presenter rehearsing, in process: every shipped scenario, every step in file order
/// (steps sharing a time included), from 80x24 to 300x80: it draws, never panics, and from
/// 120x36 up the step reached is the one the header names and the status panel's answers stay
/// on screen; at every size no
/// error name is cut (`…Exc…` reads as another word on a projector). This replaces a tmux
/// walk-through of the real binary that took 30 s for the same screens.
#[test]
fn every_step_draws_at_every_size() {
    for b in scenario::BUILTINS {
        let mut a = app(b.name);
        let n = a.scenario().steps.len();
        for k in 1..=n {
            steps(&mut a, 1);
            for (w, h) in [
                (80, 24),
                (100, 30),
                (120, 36),
                (160, 48),
                (200, 60),
                (300, 80),
            ] {
                let s = text(&draw(&a, w, h));
                let at = format!("{} step {k} at {w}x{h}", b.name);
                // (at 80x24 and 100x30 more urgent lines may take the status panel's rows)
                if w >= 120 {
                    assert!(s.contains("Recoverable"), "{at}:\n{s}");
                    assert!(s.contains(&format!("Step {k}/{n} ")), "{at}:\n{s}");
                }
                for word in s.split(|c: char| !c.is_ascii_alphanumeric()) {
                    if word.contains("Exc") {
                        assert!(
                            word.ends_with("Exception"),
                            "an error name is cut ({word}) at {at}:\n{s}"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn snapshot_mid_rewrap_80x24() {
    let mut a = app("change-table-key");
    steps(&mut a, 6);
    insta::assert_snapshot!(text(&draw(&a, 80, 24)));
}

#[test]
fn snapshot_mid_rewrap_120x36() {
    let mut a = app("change-table-key");
    steps(&mut a, 6);
    insta::assert_snapshot!(text(&draw(&a, 120, 36)));
}

#[test]
fn snapshot_mid_rewrap_200x60() {
    let a = mid_flight();
    insta::assert_snapshot!(text(&draw(&a, 200, 60)));
}

#[test]
fn snapshot_deleted_key_200x60() {
    let mut a = app("change-table-key");
    steps(&mut a, 11);
    insta::assert_snapshot!(text(&draw(&a, 200, 60)));
}

/// At 80x24 the tree keeps the rows where things happen on screen (the DEK moving, the new
/// table key) by folding quiet DEK rows, and the selection (kms-1, the first row) stays visible.
#[test]
fn a_short_tree_folds_quiet_deks_to_keep_the_rewrap_visible() {
    let mut a = app("change-table-key");
    steps(&mut a, 5);
    let s = text(&draw(&a, 80, 24));
    for needle in ["⇢ moving", "T2 new · re-wrapping 0/8", "◆ kms-1", "… DEK-"] {
        assert!(s.contains(needle), "no `{needle}` in:\n{s}");
    }
    assert_eq!(
        a.selected_key().map(|k| k.to_string()),
        Some("kms-1".into())
    );
}

/// In the diagram the DEKs under a table key are one box: ↓ from it goes to the next key at
/// once (no presses that move nothing on screen), ↑ comes back to its table key.
#[test]
fn one_step_moves_from_box_to_box() {
    let mut a = app("change-table-key");
    steps(&mut a, 1);
    a.update(Msg::Down); // T1
    a.update(Msg::Down); // the DEKs under T1
    let s = text(&draw(&a, 200, 60));
    assert!(s.contains("▶ DEKs under T1"), "{s}");
    a.update(Msg::Down);
    assert_eq!(
        a.selected_key().map(|k| k.to_string()),
        Some("kms-2".into()),
        "one press from the DEK box reaches kms-2"
    );
    let s = text(&draw(&a, 200, 60));
    assert!(s.contains("▶ ◆ kms-2"), "{s}");
    a.update(Msg::Up); // back into the DEK box
    a.update(Msg::Up); // and out of it to T1 in one press
    let s = text(&draw(&a, 200, 60));
    assert!(s.contains("▶ T1 table key"), "{s}");
}
