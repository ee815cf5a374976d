//! Version 2 in the live view: `T` makes the panels follow another table or replica (reads,
//! writes and backups then act on it), `B` backs it up, `R` restores the backup selected in
//! the tree, and `w` writes it all as a scenario that replays under `check`.

use std::sync::Arc;

use rewrap::app::{App, Msg, NodeId, tree};
use rewrap::engine::table::TableIx;
use rewrap::runner::Runner;
use rewrap::scenario;

mod common;
use common::screen;

fn at_end(name: &str) -> App {
    let mut a = common::app(name);
    let n = a.scenario().steps.len();
    common::steps(&mut a, n);
    a
}

fn replays(a: &App) -> String {
    let text = a.session().exploration_toml();
    let s = scenario::parse("explored.toml", &text).unwrap_or_else(|d| panic!("{d}\n{text}"));
    let mut r = Runner::new(Arc::new(s)).unwrap();
    r.run_to_end();
    assert!(r.failures().is_empty(), "{:?}\n{text}", r.failures());
    text
}

#[test]
fn the_panels_follow_a_replica_and_the_sandbox_acts_on_it() {
    let mut a = at_end("replica-key-disabled");
    assert_eq!(a.table_focus(), TableIx::FIRST);
    a.update(Msg::NextTable);
    assert_eq!(a.focused_table().label(), "Orders@eu-west-1");
    let s = screen(&a, 120, 36);
    assert!(s.contains("Cache of Orders@eu-west-1"), "{s}");
    assert!(s.contains("Left the replication group at"), "{s}");
    assert!(
        s.contains("acting on") && s.contains("Orders@eu-west-1"),
        "{s}"
    );
    a.update(Msg::Read);
    a.update(Msg::Backup);
    let e = a.runner().engine();
    let last_read = e
        .log()
        .iter()
        .rev()
        .find(|ev| matches!(ev.kind, rewrap::engine::event::EventKind::ItemRead { .. }))
        .unwrap();
    assert_eq!(last_read.table.as_deref(), Some("Orders@eu-west-1"));
    let b = e.backup_named("live-1").expect("B made a backup");
    assert_eq!(b.key().as_str(), "kms-eu");
    let text = replays(&a);
    assert!(text.contains("region = \"eu-west-1\""), "{text}");
    assert!(text.contains("backup = \"live-1\""), "{text}");
    // T cycles back to the first table.
    a.update(Msg::NextTable);
    assert_eq!(a.table_focus(), TableIx::FIRST);
}

#[test]
fn a_backup_selected_in_the_tree_restores_to_a_new_table() {
    let mut a = at_end("backup-outlives-key-change");
    let rows = tree::rows(&a);
    let (at, ix) = rows
        .iter()
        .enumerate()
        .find_map(|(i, r)| match r.id {
            NodeId::Backup(b) if a.runner().engine().backups()[b].name() == "after-switch" => {
                Some((i, b))
            }
            _ => None,
        })
        .expect("the backup is a row in the tree");
    assert!(
        rows[at].parts[0].0.starts_with("restorable"),
        "{:?}",
        rows[at]
    );
    a.select_tree_row(&rows, at);
    a.update(Msg::Restore);
    let e = a.runner().engine();
    let copy = e.find_table("Orders-restored").expect("R restored it");
    assert_eq!(
        e.tables()[copy.0].restored_from().map(String::as_str),
        Some(e.backups()[ix].name())
    );
    // The lost backup is shown as lost under the deleted key.
    assert!(tree::rows(&a).iter().any(|r| {
        r.parts[0].0.starts_with("lost") && r.parts[1].0 == "backup before-switch of Orders"
    }));
    let text = replays(&a);
    assert!(text.contains("do = \"restore\""), "{text}");
    assert!(text.contains("to = \"Orders-restored\""), "{text}");
}

#[test]
fn restore_without_a_selected_backup_says_what_to_do() {
    let mut a = at_end("backup-outlives-key-change");
    let before = a.runner().engine().tables().len();
    a.update(Msg::Restore);
    assert_eq!(a.runner().engine().tables().len(), before);
    let toast = a
        .current_toast()
        .as_ref()
        .map(|t| t.text.clone())
        .unwrap_or_default();
    assert!(toast.contains("select a backup"), "{toast}");
}

#[test]
fn every_new_scenario_draws_at_every_size_without_panicking() {
    for name in [
        "backup-outlives-key-change",
        "archive-and-restore",
        "replica-key-disabled",
        "security-review",
    ] {
        let mut a = common::app(name);
        for _ in 0..=a.scenario().steps.len() {
            for (w, h) in [(80, 24), (120, 36), (200, 60), (20, 8)] {
                let _ = screen(&a, w, h);
            }
            a.update(Msg::NextTable);
            a.update(Msg::ToggleTimeline);
            let _ = screen(&a, 120, 36);
            a.update(Msg::ToggleTimeline);
            common::next(&mut a);
        }
    }
}

#[test]
fn the_ledger_overlay_answers_what_still_needs_a_key() {
    let mut a = at_end("security-review");
    a.update(Msg::ToggleLedger);
    for (w, h) in [(80, 24), (120, 36), (200, 60)] {
        let s = screen(&a, w, h);
        assert!(s.contains("Recoverability ledger"), "{w}x{h}\n{s}");
        assert!(s.contains("backup q3"), "{w}x{h}\n{s}");
        assert!(s.contains("LOST"), "{w}x{h}\n{s}");
    }
    let esc = crossterm::event::KeyEvent::new(
        crossterm::event::KeyCode::Esc,
        crossterm::event::KeyModifiers::NONE,
    );
    a.handle_key(&esc);
    assert_eq!(*a.overlay(), rewrap::app::Overlay::None);
}

/// Stepping back over backups, restores and replicated writes lands exactly where stepping
/// forward did (with and without step-back snapshots): the same log and the same screen, and
/// the same world going forward again.
#[test]
fn step_back_over_the_bigger_world_is_exact() {
    for name in [
        "replica-key-disabled",
        "archive-and-restore",
        "security-review",
    ] {
        let total = common::app(name).scenario().steps.len();
        for snapshots in [true, false] {
            for n in 1..=total {
                let mut a = common::app(name);
                if !snapshots {
                    a = a.without_snapshots();
                }
                common::steps(&mut a, n);
                a.update(Msg::PrevStep);
                let mut b = common::app(name);
                common::steps(&mut b, n - 1);
                // A passing notice ("panels follow …") is not part of the state.
                a.clear_toast();
                b.clear_toast();
                let log = |x: &App| {
                    x.runner()
                        .engine()
                        .log()
                        .iter()
                        .map(rewrap::report::json_line)
                        .collect::<Vec<_>>()
                };
                assert_eq!(log(&a), log(&b), "{name} n = {n}, snapshots = {snapshots}");
                assert_eq!(
                    screen(&a, 120, 36),
                    screen(&b, 120, 36),
                    "{name} n = {n}, snapshots = {snapshots}"
                );
                // And forward again from there: the rebuilt world goes on as the first did.
                common::next(&mut a);
                common::next(&mut b);
                assert_eq!(log(&a), log(&b), "{name} again n = {n}");
            }
        }
    }
}

/// On a short screen a question's step keeps its note whole and its answer readable: when
/// both the note and the whole question do not fit, the answer is shown without the prompt.
#[test]
fn a_short_narration_keeps_the_answer_whole() {
    let mut a = common::app("shared-key-blast-radius");
    common::steps(&mut a, 6);
    let s = screen(&a, 80, 24);
    assert!(
        s.contains("Answer: No: every table under kms-shared stops"),
        "{s}"
    );
    let tall = screen(&a, 120, 36);
    assert!(tall.contains("Q: Nobody touched Audit."), "{tall}");
}

/// A step that names its table (`table = "Orders"` on a wait), even the first table, brings
/// the panels to it after a step on another table.
#[test]
fn a_wait_step_naming_its_table_brings_the_panels() {
    let mut a = common::app("shared-key-blast-radius");
    common::steps(&mut a, 7); // step 7 reads Sessions
    assert_eq!(a.focused_table().name(), "Sessions");
    common::next(&mut a); // step 8: a wait with table = "Orders"
    assert_eq!(a.focused_table().name(), "Orders");
    common::next(&mut a); // step 9: a wait with table = "Audit"
    assert_eq!(a.focused_table().name(), "Audit");
}

/// The big clock never counts down a cached copy of a replaced table key: such a copy no
/// longer serves reads (the next one fails at once), as the cache panel says.
#[test]
fn the_clock_ignores_a_cached_copy_of_a_replaced_key() {
    let mut a = common::app("aws-managed-key");
    common::steps(&mut a, 6);
    let (label, _, _) = rewrap::ui::bigclock::reading(&a);
    assert!(!label.contains("reads fail"), "{label}");
}

/// A double tap on the first step, at the scenario's start, does not skip the second.
#[test]
fn a_double_tap_at_the_start_does_not_skip_a_step() {
    let mut a = common::app("restore-within-grace");
    a.update(Msg::NextStep);
    a.update(Msg::NextStep);
    assert!(a.stretch().is_none());
    assert_eq!(a.runner().steps_started(), 1);
}
