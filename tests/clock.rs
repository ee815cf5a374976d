//! The presenter's big clock and the speaker notes read one clock: the read model's most urgent
//! countdown of the table the panels follow. In every shipped scenario, at every step, the notes
//! (fed the presenter's inputs and focus, as the socket carries them) show what the big clock
//! shows.

mod common;

use std::sync::Arc;

use rewrap::app::Msg;
use rewrap::notes::{Message, Notes};
use rewrap::scenario;
use rewrap::ui::bigclock;

/// What the notes window would get from this presenter now: everything, from the start.
fn sync_line(a: &rewrap::app::App) -> String {
    serde_json::to_string(&Message::Sync {
        v: rewrap::notes::VERSION,
        keep: 0,
        then: a.session().inputs().to_vec(),
        talk_ms: 0,
        question: None,
        room: None,
        focus: Some(a.table_focus().0),
    })
    .unwrap()
}

#[test]
fn the_big_clock_and_the_notes_show_the_same_countdown_at_every_step() {
    for b in scenario::BUILTINS {
        let mut a = common::app(b.name);
        let s = Arc::new(scenario::load(b.name).unwrap());
        let n = a.scenario().steps.len();
        for k in 0..=n {
            if k > 0 {
                a.update(Msg::NextStep);
                a.settle();
            }
            let mut notes = Notes::new(s.clone()).unwrap();
            assert!(notes.take(&sync_line(&a)).is_none());
            let (label, time, _) = bigclock::reading(&a);
            let clock = notes.clock();
            assert_eq!(
                (clock.label(), clock.time()),
                (label.clone(), time.clone()),
                "{} after step {k}",
                b.name
            );
            // The notes' sentence is that label and time.
            let sentence = clock.sentence();
            if label.contains("nothing is counting down") {
                assert!(sentence.contains(&time), "{sentence}");
            } else {
                assert_eq!(sentence, format!("{label} {time}"), "{}", b.name);
            }
        }
    }
}

#[test]
fn with_several_tables_the_clock_says_whose_it_is_and_follows_the_focus() {
    let mut a = common::app("shared-key-blast-radius");
    let s = Arc::new(scenario::load("shared-key-blast-radius").unwrap());
    let n = a.scenario().steps.len();
    let mut named = 0;
    for _ in 0..n {
        a.update(Msg::NextStep);
        a.settle();
        let (label, _, _) = bigclock::reading(&a);
        let focus = a.focused_table().label();
        if !label.contains("nothing is counting down") && !label.contains("material destroyed") {
            // The focused table's clock, or, when nothing counts for it, another copy's,
            // always saying whose.
            let labels: Vec<String> = a
                .runner()
                .engine()
                .tables()
                .iter()
                .map(rewrap::engine::view::Table::label)
                .collect();
            assert!(
                labels.iter().any(|t| label.starts_with(&format!("{t}: "))),
                "{label}"
            );
            if label.starts_with(&format!("{focus}: ")) {
                named += 1;
            } else {
                assert!(
                    a.runner().engine().countdowns(a.table_focus()).is_empty(),
                    "another table's clock only when none runs for {focus}: {label}"
                );
            }
        }
        let mut notes = Notes::new(s.clone()).unwrap();
        notes.take(&sync_line(&a));
        assert_eq!(notes.clock().label(), label);
    }
    assert!(named > 0, "some step runs a table's clock");
}

#[test]
fn an_older_presenter_without_focus_leaves_the_notes_on_the_first_table() {
    let line = r#"{"type":"sync","v":1,"keep":0,"then":[],"talk_ms":0,"question":null}"#;
    let s = Arc::new(scenario::load("shared-key-blast-radius").unwrap());
    let mut notes = Notes::new(s).unwrap();
    assert!(notes.take(line).is_none());
    assert!(notes.ignored.is_empty(), "{:?}", notes.ignored);
    assert_eq!(notes.clock().whose.as_deref(), Some("Orders"));
}

#[test]
fn a_focus_out_of_range_from_the_socket_is_the_first_table() {
    let line = r#"{"type":"sync","v":1,"keep":0,"then":[],"talk_ms":0,"question":null,"focus":99}"#;
    let s = Arc::new(scenario::load("shared-key-blast-radius").unwrap());
    let mut notes = Notes::new(s).unwrap();
    notes.take(line);
    assert_eq!(notes.clock().whose.as_deref(), Some("Orders"));
}

/// A step about a global table shows its copies' removal clock: the replica's 20 hours run
/// while the write lands in us-east-1, and the clock says whose copy it is.
#[test]
fn a_replicas_removal_clock_is_the_global_tables_clock() {
    use rewrap::engine::view::Countdown;
    let mut a = common::app("replica-key-disabled");
    let n = a.scenario().steps.len();
    let mut seen = false;
    for _ in 0..n {
        a.update(Msg::NextStep);
        a.settle();
        let clock = a.runner().engine().urgent_clock(a.table_focus());
        if let Some(Countdown::ReplicaRemoval { region, .. }) = &clock.countdown {
            seen = true;
            assert!(
                clock.label().contains(&format!("@{region} leaves")),
                "{}",
                clock.label()
            );
        }
        let (label, _, _) = bigclock::reading(&a);
        assert_eq!(label, clock.label());
    }
    assert!(seen, "the replica's removal clock runs in this scenario");
}

/// The big clock never says nothing counts down while a connection's cached table key does
/// (the healthy 5-minute timer), in any shipped scenario at any step.
#[test]
fn the_big_clock_never_says_nothing_counts_while_a_cache_timer_runs() {
    for b in scenario::BUILTINS {
        let name = b.name;
        let mut a = common::app(name);
        let steps = a.scenario().steps.len();
        for _ in 0..=steps {
            let e = a.runner().engine();
            let tx = a.table_focus();
            let held = e
                .cache_rows(tx)
                .any(|r| matches!(r.next, rewrap::engine::view::NextRequest::FromCache { .. }));
            let (label, _, _) = bigclock::reading(&a);
            assert!(
                !(held && label.contains("nothing is counting down")),
                "{name} at step {}: a cache timer runs but the clock says: {label}",
                a.runner().steps_started()
            );
            common::next(&mut a);
        }
    }
}
