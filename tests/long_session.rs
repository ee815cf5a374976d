//! A long live session keeps memory bounded: step-back history costs O(changes), not a copy
//! of the world per input. Measured (resident memory from /proc), not timed.
#![allow(clippy::print_stderr)] // notes for whoever runs the tests, not user output

use std::sync::Arc;

use rewrap::app::{App, Msg};
use rewrap::scenario;

fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// One hour of live actions at 10 per second (36,000 reads), with the clock moving and a
/// step back now and then, on the default scenario.
#[test]
fn an_hour_of_live_actions_keeps_memory_bounded() {
    let mut a = App::new(Arc::new(scenario::load("change-table-key").unwrap())).unwrap();
    a.update(Msg::FocusNext); // the cache panel: `r` reads as its selected connection
    let mut marks = Vec::new();
    for i in 0..36_000u32 {
        a.update(Msg::Read);
        if i % 600 == 0 {
            a.update(Msg::NextStep);
            a.settle();
        }
        if i % 1_000 == 999 {
            a.update(Msg::PrevStep);
        }
        if i % 6_000 == 5_999 {
            marks.push((i + 1, rss_kib(), a.snapshots_held()));
        }
    }
    let events = a.runner().engine().log().len();
    eprintln!("live actions, RSS KiB, snapshots held: {marks:?}; {events} events in the log");
    for (_, _, held) in &marks {
        assert!(*held <= 48 + 1, "snapshots are thinned: {marks:?}");
    }
    // Between 12k and 36k actions the resident set may grow with the event log itself (a few
    // hundred bytes an event) but not with copies of it.
    if let (Some(early), Some(late)) = (marks[1].1, marks[5].1) {
        let per_action = (late.saturating_sub(early) * 1024) / 24_000;
        eprintln!("growth: {per_action} bytes per live action between 12k and 36k actions");
        assert!(
            per_action < 4_096,
            "memory grows {per_action} bytes per live action: {marks:?}"
        );
    }
}
