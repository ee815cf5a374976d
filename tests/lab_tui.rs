//! Labs in the live view: the briefing, the goal panel (each part ✓/✗ live, the invariants,
//! the deadline), hints on `H`, `r` to reset (confirmed), `>` to go to a time (stopping where
//! the verdict comes in), the verdict card, the lab's own footer, and the room's view in
//! present mode, at every size a room uses.

use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

mod common;

use common::screen;
use rewrap::app::{App, Overlay, Prompt};
use rewrap::judge::Verdict;
use rewrap::scenario::{self, lab::Variant};

fn key(c: KeyCode) -> KeyEvent {
    KeyEvent::new(c, KeyModifiers::NONE)
}

fn press(a: &mut App, keys: &str) {
    for c in keys.chars() {
        a.handle_key(&key(KeyCode::Char(c)));
    }
}

fn lab(name: &str) -> App {
    let s = scenario::load(name).unwrap();
    let base = scenario::parse_variant(&s.file, &s.source, Variant::Base).unwrap();
    let mut a = App::new(Arc::new(base)).unwrap().as_lab();
    a.set_theme(rewrap::ui::theme::ThemeKind::NoColor);
    a
}

fn go_to(a: &mut App, time: &str) {
    press(a, ">");
    assert!(matches!(a.overlay(), Overlay::Prompt(Prompt::GoTo { .. })));
    press(a, time);
    a.handle_key(&key(KeyCode::Enter));
}

/// Move the tree's selection to `id` (down, then up), as an attendee would with the arrows.
fn select(a: &mut App, id: &str) {
    for code in [KeyCode::Down, KeyCode::Up] {
        for _ in 0..12 {
            if a.selected_key().is_some_and(|k| k.as_str() == id) {
                return;
            }
            a.handle_key(&key(code));
        }
    }
    panic!("{id} cannot be selected");
}

fn verdict(a: &App) -> Verdict {
    a.judge().unwrap().verdict().clone()
}

/// The goal panel mid-way through the reference solution, with the first hint shown: for the
/// README.
#[test]
fn snapshot_lab_goal_panel() {
    let mut a = lab("retire-the-old-key");
    let s = screen(&a, 100, 30);
    assert!(s.contains("Any key to begin"), "{s}");
    a.handle_key(&key(KeyCode::Esc));
    select(&mut a, "kms-2");
    press(&mut a, "s");
    go_to(&mut a, "+3m");
    press(&mut a, "H");
    insta::assert_snapshot!(screen(&a, 100, 30));
}

#[test]
fn solving_the_first_lab_in_the_live_view_shows_solved_and_the_debrief() {
    let mut a = lab("retire-the-old-key");
    a.handle_key(&key(KeyCode::Esc));
    select(&mut a, "kms-2");
    press(&mut a, "s");
    go_to(&mut a, "7m");
    select(&mut a, "kms-1");
    press(&mut a, "x");
    press(&mut a, "7");
    a.handle_key(&key(KeyCode::Enter));
    go_to(&mut a, "8d");
    // The clock stopped where the verdict came in, not at 8d.
    assert_eq!(
        verdict(&a),
        Verdict::Solved {
            at: rewrap::engine::time::SimTime(7 * 86_400_000 + 7 * 60_000)
        }
    );
    assert_eq!(a.runner().engine().now().to_string(), "7d 00:07:00");
    assert_eq!(a.overlay(), &Overlay::LabVerdict);
    let s = screen(&a, 100, 30);
    assert!(
        s.contains("SOLVED at 7d 00:07:00")
            && s.contains("Switching the table's key is not instant"),
        "{s}"
    );
}

#[test]
fn a_broken_invariant_fails_the_lab_at_its_moment_and_r_starts_again() {
    let mut a = lab("retire-the-old-key");
    a.handle_key(&key(KeyCode::Esc));
    press(&mut a, "x");
    press(&mut a, "7");
    a.handle_key(&key(KeyCode::Enter));
    go_to(&mut a, "+1h");
    let Verdict::Failed { at, why } = verdict(&a) else {
        panic!("{}", verdict(&a));
    };
    assert_eq!(at.to_string(), "0d 00:01:00");
    assert!(
        why.to_string().contains("broke never `failed-read`"),
        "{why}"
    );
    let s = screen(&a, 100, 30);
    assert!(
        s.contains("FAILED at 0d 00:01:00") && s.contains("KMSInvalidStateException"),
        "{s}"
    );
    a.handle_key(&key(KeyCode::Esc));
    // r asks first; anything but y goes on.
    press(&mut a, "r");
    assert_eq!(a.overlay(), &Overlay::Prompt(Prompt::ConfirmReset));
    press(&mut a, "n");
    assert!(matches!(verdict(&a), Verdict::Failed { .. }));
    press(&mut a, "ry");
    assert_eq!(verdict(&a), Verdict::Open);
    assert_eq!(a.runner().engine().now().to_string(), "0d 00:00:00");
    assert_eq!(a.live_actions(), 0);
}

#[test]
fn hints_come_one_at_a_time_and_f_reads_in_a_lab() {
    let mut a = lab("rescue-before-archive");
    a.handle_key(&key(KeyCode::Esc));
    let hints = a.scenario().lab.as_ref().unwrap().hints.clone();
    for n in 1..=hints.len() {
        press(&mut a, "H");
        assert_eq!(a.lab().unwrap().hints_shown, n);
        let s = screen(&a, 120, 36);
        assert!(s.contains(&format!("Hint {n}/{}", hints.len())), "{s}");
    }
    press(&mut a, "H");
    assert_eq!(a.lab().unwrap().hints_shown, hints.len());
    press(&mut a, "f");
    assert_eq!(a.live_actions(), 1, "f reads in a lab (r resets)");
}

#[test]
fn go_to_refuses_the_past_and_nonsense_without_moving() {
    let mut a = lab("rescue-before-archive");
    a.handle_key(&key(KeyCode::Esc));
    go_to(&mut a, "+5m");
    let now = a.runner().engine().now();
    go_to(&mut a, "1m");
    assert_eq!(a.runner().engine().now(), now);
    assert!(a.current_toast().unwrap().error);
    go_to(&mut a, "soon");
    assert_eq!(a.runner().engine().now(), now);
    assert!(a.current_toast().unwrap().error);
}

/// Every lab, briefing and goal panel and verdict, at the sizes rooms and laptops use, in both
/// views: nothing panics, the goal panel's title and the footer's lab keys are on screen.
#[test]
fn every_lab_draws_at_every_size_in_both_views() {
    for b in scenario::LABS {
        for present in [false, true] {
            let mut a = lab(b.name);
            a.set_present(present);
            for (w, h) in [(80, 24), (100, 30), (120, 36), (200, 60)] {
                let s = screen(&a, w, h);
                assert!(
                    s.contains("Any key to begin") || s.contains("key to"),
                    "{}: {s}",
                    b.name
                );
            }
            a.handle_key(&key(KeyCode::Esc));
            go_to(&mut a, "+3h");
            for (w, h) in [(80, 24), (100, 30), (120, 36), (200, 60)] {
                let s = screen(&a, w, h);
                assert!(
                    s.contains("LAB ·"),
                    "{} {w}x{h} present={present}: {s}",
                    b.name
                );
                if !present {
                    assert!(s.contains("H hint"), "{} {w}x{h}: {s}", b.name);
                }
            }
        }
    }
}

/// Workshop mode: the verdict card shows SOLVED or FAILED in the big font for the room.
#[test]
fn presenting_the_verdict_is_drawn_big() {
    let mut a = lab("recover-archived-table");
    a.set_present(true);
    a.handle_key(&key(KeyCode::Esc));
    select(&mut a, "kms-1");
    press(&mut a, "x");
    assert!(
        matches!(a.overlay(), Overlay::Prompt(Prompt::DeletionDays { .. })),
        "{:?} {:?}",
        a.overlay(),
        a.current_toast()
    );
    press(&mut a, "7");
    a.handle_key(&key(KeyCode::Enter));
    assert_eq!(a.overlay(), &Overlay::LabVerdict, "{:?}", a.current_toast());
    let s = screen(&a, 100, 30);
    assert!(s.contains("FAILED at 0d 00:00:00"), "{s}");
    assert!(s.contains("broke never `old-key-scheduled`"), "{s}");
    // The banner's quadrant blocks, above the text.
    let banner = s
        .lines()
        .filter(|l| l.contains('▜') || l.contains('▐'))
        .count();
    assert!(banner >= 3, "{s}");
}

/// Every goal part and invariant shows at the room's sizes; where a short terminal cannot hold
/// them all, the last row says how many are hidden instead of leaving one silently out.
#[test]
fn a_goal_that_does_not_fit_says_what_is_hidden() {
    let mut a = lab("protect-before-deleting");
    a.handle_key(&key(KeyCode::Esc));
    let small = screen(&a, 80, 24);
    assert!(
        small.contains("… 2 more: a taller window shows all"),
        "{small}"
    );
    for (w, h) in [(100, 30), (120, 36), (200, 60)] {
        let s = screen(&a, w, h);
        assert!(!s.contains("more: a taller window"), "{w}x{h}\n{s}");
        for part in [
            "Orders-restored is under kms-new",
            "kms-old is deleted",
            "Orders-restored's data is recoverable",
            "Reports is ACTIVE",
            "Reports is INACCESSIBLE",
            "a read or write fails",
        ] {
            assert!(s.contains(part), "{w}x{h}: {part}\n{s}");
        }
    }
}
