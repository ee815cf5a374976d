//! The default presenting flow shows the story without the speed keys: stepping animates the
//! stretch up to the next step (every event, in order, in one to three seconds of real time),
//! a second press finishes it, step-back stays exact, and play paces itself.

use std::sync::Arc;

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use rewrap::app::pacing::MAX_FRAMES;
use rewrap::app::{App, FRAME, Msg};
use rewrap::report;
use rewrap::scenario;
use rewrap::ui;

fn app(name: &str) -> App {
    App::new(Arc::new(scenario::load(name).unwrap())).unwrap()
}

fn screen(app: &App, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| ui::render(f, app)).unwrap();
    let buf = t.backend().buffer().clone();
    let mut s = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            s.push_str(buf[(x, y)].symbol());
        }
        s.push('\n');
    }
    s
}

fn log(app: &App) -> Vec<String> {
    app.runner()
        .engine()
        .log()
        .iter()
        .map(report::json_line)
        .collect()
}

/// Step with `n` and let the animation run: how many frames it took.
fn step_animated(a: &mut App) -> u64 {
    a.update(Msg::NextStep);
    let mut frames = 0;
    while a.stretch().is_some() {
        a.update(Msg::Tick);
        frames += 1;
        assert!(frames <= MAX_FRAMES + 1, "a stretch never ended");
    }
    frames
}

/// The switch's re-wrap, stepped into with `n`: every DEK's move is on screen, one after
/// another (re-wrapping 1/8, 2/8, … 8/8), not three snapshots.
#[test]
fn stepping_shows_every_dek_move_of_the_rewrap() {
    let mut a = app("change-table-key");
    // Up to the switch (step 4 at 0d 00:10:00), then the step that reads mid re-wrap.
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..7 {
        a.update(Msg::NextStep);
        while a.stretch().is_some() {
            a.update(Msg::Tick);
            let s = screen(&a, 120, 36);
            for k in 1..=8 {
                if s.contains(&format!("re-wrapping {k}/8")) || s.contains(&format!("{k}/8 DEKs")) {
                    seen.insert(k);
                }
            }
        }
    }
    let log = log(&a);
    let moves = log.iter().filter(|l| l.contains("dek_rewrapped")).count();
    assert_eq!(moves, 8, "the re-wrap finished");
    for k in 1..8 {
        assert!(
            seen.contains(&k),
            "re-wrap progress {k}/8 was never on screen while stepping (saw {seen:?})"
        );
    }
}

/// Every stretch between steps of every shipped scenario takes about one to three seconds of
/// real time at 30 frames per second, whatever its simulated span (a second, ten minutes,
/// seven days); a step at the same moment with nothing due before it comes at once.
#[test]
fn every_stepping_stretch_takes_one_to_three_seconds() {
    for b in scenario::BUILTINS {
        let mut a = app(b.name);
        for k in 1..=a.scenario().steps.len() {
            let before = a.runner().engine().now();
            let frames = step_animated(&mut a);
            assert_eq!(a.runner().steps_started(), k, "{}", b.name);
            let span = a.runner().engine().now().since(before);
            let real = FRAME * frames as u32;
            if span.as_millis() > 0 {
                assert!(
                    real.as_secs_f64() >= 0.9 && real.as_secs_f64() <= 3.6,
                    "{} step {k}: {span} took {real:?}",
                    b.name
                );
            }
        }
    }
}

/// A second press of `n` finishes the stretch at once, in the same state as watching it all.
#[test]
fn a_second_press_finishes_the_stretch_at_once_and_the_same() {
    let mut watched = app("change-table-key");
    let mut pressed = app("change-table-key");
    for _ in 0..6 {
        step_animated(&mut watched);
        pressed.update(Msg::NextStep);
        if pressed.stretch().is_some() {
            pressed.update(Msg::Tick);
            pressed.update(Msg::NextStep);
            assert!(pressed.stretch().is_none());
        }
    }
    assert_eq!(pressed.runner().steps_started(), 6);
    assert_eq!(log(&watched), log(&pressed));
}

/// Going back in the middle of a stretch returns exactly to the step it started from.
#[test]
fn step_back_mid_stretch_is_exact() {
    let mut a = app("change-table-key");
    for _ in 0..4 {
        step_animated(&mut a);
    }
    let at_step_4 = log(&a);
    a.update(Msg::NextStep);
    for _ in 0..10 {
        a.update(Msg::Tick);
    }
    assert!(a.stretch().is_some(), "still animating");
    a.update(Msg::PrevStep);
    assert!(a.stretch().is_none());
    assert_eq!(a.runner().steps_started(), 4);
    assert_eq!(log(&a), at_step_4);
}

/// Playing at the automatic pace: a week with nothing scheduled passes in about a second,
/// and play still stops at each new step.
#[test]
fn play_at_the_automatic_pace_passes_quiet_days_quickly_and_stops_at_steps() {
    let mut a = app("delete-current-key");
    assert!(a.auto_pace());
    let n = a.scenario().steps.len();
    let mut frames = 0u64;
    for k in 1..=n {
        a.update(Msg::TogglePause);
        let mut this = 0;
        while !a.paused() {
            a.update(Msg::Tick);
            this += 1;
            assert!(this <= MAX_FRAMES + 2, "step {k} never reached");
        }
        assert_eq!(a.runner().steps_started(), k);
        frames += this;
    }
    let days = a.runner().engine().now().days();
    assert!(days >= 7, "the scenario spans a week ({days} days)");
    assert!(
        frames <= (n as u64) * 100,
        "{frames} frames for {days} days over {n} steps"
    );
}

/// The speed keys leave the automatic pace; `0` brings it back.
#[test]
fn speed_keys_override_the_automatic_pace() {
    let mut a = app("change-table-key");
    a.update(Msg::SpeedUp);
    assert!(!a.auto_pace());
    assert_eq!(a.speed_label(), "10 min/s");
    a.update(Msg::AutoPace);
    assert!(a.auto_pace());
    assert_eq!(a.speed_label(), "auto pace");
}

/// A clicker's double tap on a step at the current moment finishes that step; it never starts
/// the next step's stretch (which would skip a step the room has not seen).
#[test]
fn a_double_tap_on_a_step_at_the_same_moment_does_not_skip_one() {
    let text = r#"title = "two steps at one moment, then a third"
[[key]]
id = "kms-1"
[table]
key = "kms-1"
[[principal]]
name = "app"
[[step]]
at = "1m"
do = "read"
principal = "app"
[[step]]
at = "1m"
do = "read"
principal = "app"
[[step]]
at = "2m"
do = "read"
principal = "app"
"#;
    let s = std::sync::Arc::new(rewrap::scenario::parse("t.toml", text).unwrap());
    let mut a = rewrap::app::App::new(s).unwrap();
    a.update(Msg::NextStep);
    a.settle();
    assert_eq!(a.runner().steps_started(), 1);
    // Step 2 is at this same moment: the first tap starts a short hold, the second finishes it.
    a.update(Msg::NextStep);
    assert!(
        a.stretch().is_some(),
        "a step at the current moment still takes a few frames"
    );
    a.update(Msg::NextStep);
    assert!(a.stretch().is_none());
    assert_eq!(
        a.runner().steps_started(),
        2,
        "the double tap skipped a step"
    );
    // Left alone, the hold ends by itself within a third of a second.
    let s = std::sync::Arc::new(rewrap::scenario::parse("t.toml", text).unwrap());
    let mut b = rewrap::app::App::new(s).unwrap();
    b.update(Msg::NextStep);
    b.settle();
    b.update(Msg::NextStep);
    for _ in 0..=rewrap::app::pacing::HOLD_FRAMES {
        b.update(Msg::Tick);
    }
    assert!(b.stretch().is_none());
    assert_eq!(b.runner().steps_started(), 2);
}
