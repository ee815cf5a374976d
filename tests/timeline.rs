//! The timeline: a labelled time axis, a scale that shows a 16-second re-wrap and a 7-day wait
//! on one screen, milestones that never hide each other, and the future kept back.

use std::sync::Arc;

mod common;

use common::screen;
use rewrap::app::{App, Msg};
use rewrap::scenario;

fn at_end(name: &str) -> App {
    let mut a = App::new(Arc::new(scenario::load(name).unwrap())).unwrap();
    a.set_theme(rewrap::ui::theme::ThemeKind::NoColor);
    for _ in 0..a.scenario().steps.len() {
        a.update(Msg::NextStep);
        a.settle();
    }
    a.update(Msg::ToggleTimeline);
    a
}

fn row<'a>(s: &'a str, label: &str) -> &'a str {
    s.lines()
        .find(|l| l.trim_start_matches('│').starts_with(label))
        .unwrap_or_else(|| panic!("no `{label}` row in\n{s}"))
}

/// change-table-key spans 8 days; its re-wrap takes 16 seconds. On a linear scale the re-wrap
/// would be a hundredth of a column; here SSE UPDATING gets several columns, and the axis says
/// where quiet time was shortened.
#[test]
fn a_short_rewrap_and_a_week_are_both_visible() {
    let a = at_end("change-table-key");
    let s = screen(&a, 120, 36);
    let sse = row(&s, "SSE ");
    let updating = sse.matches('▒').count();
    assert!(updating >= 3, "the re-wrap gets {updating} columns:\n{s}");
    let time = row(&s, "time");
    assert!(time.contains('┬'), "{time}");
    assert!(time.contains('▼'), "{time}");
    // Labelled ticks, in one form along the axis, reaching into day 7.
    let lines: Vec<&str> = s.lines().collect();
    let t = lines.iter().position(|l| *l == time).unwrap();
    let labels = lines[t - 1];
    assert!(labels.contains("0d 00:0"), "{labels}");
    assert!(labels.contains("7d "), "{labels}");
}

/// Milestones at the same column stack instead of overwriting each other.
#[test]
fn milestones_never_hide_each_other() {
    let a = at_end("delete-current-key");
    let s = screen(&a, 120, 36);
    let i = s
        .lines()
        .position(|l| l.trim_start_matches('│').starts_with("milestones"))
        .expect("milestones row");
    let rows: String = s.lines().skip(i).take(3).collect();
    for m in ['F', 'I', 'D', 'U', 'A'] {
        assert!(
            rows.contains(m),
            "milestone {m} is hidden in:\n{rows}\n\n{s}"
        );
    }
}

/// The whole-scenario zoom draws the time still to come as `·`, never its outcome.
#[test]
fn the_future_is_not_shown() {
    let mut a = App::new(Arc::new(scenario::load("delete-current-key").unwrap())).unwrap();
    a.set_theme(rewrap::ui::theme::ThemeKind::NoColor);
    a.update(Msg::NextStep);
    a.settle();
    a.update(Msg::ToggleTimeline);
    a.update(Msg::ZoomTimeline); // whole scenario
    let s = screen(&a, 120, 36);
    assert!(s.contains("whole scenario"), "{s}");
    let table = row(&s, "table");
    assert!(!table.contains('▒') && !table.contains('░'), "{table}");
    assert!(table.contains('·'), "{table}");
}

/// With several tables the timeline's table, SSE and cache rows and its milestones are the
/// focused table's (`T` moves them), and every other table keeps a status row of its own.
#[test]
fn the_timeline_follows_the_focused_table() {
    let mut a = at_end("replica-key-disabled");
    let s = screen(&a, 120, 36);
    assert!(row(&s, "SSE ").contains("Orders"), "{s}");
    assert!(row(&s, "@eu-west-1").contains('▒'), "{s}");
    let first_marks = row(&s, "milestones").to_string();
    a.update(Msg::NextTable);
    assert_eq!(a.focused_table().label(), "Orders@eu-west-1");
    let s = screen(&a, 120, 36);
    assert!(row(&s, "└ SSE").len() > 10, "{s}");
    // The replica's own row now heads the timeline and Orders has a row of its own below.
    let lines: Vec<&str> = s.lines().collect();
    let sse = lines
        .iter()
        .position(|l| l.trim_start_matches('│').starts_with("└ SSE"))
        .unwrap();
    assert!(
        lines[sse - 1]
            .trim_start_matches('│')
            .starts_with("@eu-west-1"),
        "{s}"
    );
    assert!(
        lines[sse + 1]
            .trim_start_matches('│')
            .starts_with("Orders "),
        "{s}"
    );
    // Its marks are its own: it became inaccessible and failed a read; Orders never did.
    let replica_marks = row(&s, "milestones");
    assert!(
        replica_marks.contains('I') && replica_marks.contains('F'),
        "{s}"
    );
    assert!(
        !first_marks.contains('I') && !first_marks.contains('F'),
        "{first_marks}"
    );
    assert!(s.contains("I inaccessible 0d 00:20:00"), "{s}");
}
