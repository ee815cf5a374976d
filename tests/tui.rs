//! The TUI, drawn on ratatui's `TestBackend`: the key table, exact step-back, whole-screen
//! snapshots at the telling moments of the default scenario, widgets, sizes, and the exported
//! exploration replaying under `check`.

use std::collections::HashSet;
use std::sync::Arc;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::Color;

use rewrap::app::keys::{BINDINGS, lookup};
use rewrap::app::{App, Focus, Msg};
use rewrap::engine::time::SimTime;
use rewrap::report;
use rewrap::runner::Runner;
use rewrap::scenario;
use rewrap::ui;
use rewrap::ui::theme::ThemeKind;

fn app(name: &str) -> App {
    App::new(Arc::new(scenario::load(name).unwrap())).unwrap()
}

fn draw(app: &App, w: u16, h: u16) -> Buffer {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| ui::render(f, app)).unwrap();
    t.backend().buffer().clone()
}

fn text(buf: &Buffer) -> String {
    let mut s = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            s.push_str(buf[(x, y)].symbol());
        }
        s.push('\n');
    }
    s
}

fn steps(app: &mut App, n: usize) {
    for _ in 0..n {
        app.update(Msg::NextStep);
        app.settle();
    }
}

/// Everything that defines the simulated state: the log, the clock, table, keys, caches.
fn state(app: &App) -> String {
    let e = app.runner().engine();
    let log: Vec<String> = e.log().iter().map(report::json_line).collect();
    let caches: Vec<String> = e
        .cache_entries(rewrap::engine::table::TableIx::FIRST)
        .iter()
        .map(|c| {
            format!(
                "{} {:?} {:?} {}",
                c.label(),
                c.held().map(|h| (h.table_key(), h.expires_at())),
                c.last_fetch(),
                c.kms_calls()
            )
        })
        .collect();
    let keys: Vec<String> = e
        .keys()
        .iter()
        .map(|k| format!("{} {:?} v{}", k.id(), k.state(), k.versions_created()))
        .collect();
    format!(
        "{}\n{} {:?} {:?} {} {:?}\n{caches:?}\n{keys:?}\n{} {}",
        log.join("\n"),
        e.now(),
        e.first_table().status(),
        e.first_table().sse(),
        e.first_table().current(),
        e.first_table()
            .job()
            .map(|j| (j.done(), j.stalled().cloned())),
        app.runner().steps_started(),
        app.live_actions()
    )
}

#[test]
fn every_binding_reaches_its_message_and_keys_are_unique() {
    let mut seen = HashSet::new();
    for b in BINDINGS {
        assert!(!b.keys.is_empty(), "{} has no key", b.label);
        for k in b.keys {
            assert_eq!(lookup(&k.event()), Some(b.msg), "{} ({k:?})", b.label);
            assert!(seen.insert(format!("{k:?}")), "{k:?} is bound twice");
        }
    }
}

#[test]
fn footer_and_help_list_every_binding() {
    let a = app("change-table-key");
    let footer = ui::chrome::footer_cells(true)
        .iter()
        .fold(String::new(), |acc, (k, l)| acc + k + " " + l + " ");
    for b in BINDINGS {
        assert!(footer.contains(b.label), "footer lacks {}", b.label);
    }
    let screen = text(&draw(&a, 200, 60));
    for line in ui::chrome::footer_lines(200, true, false) {
        for (k, _) in line {
            assert!(screen.contains(&k), "footer on screen lacks {k}");
        }
    }
    let mut h = a.clone();
    h.update(Msg::ToggleHelp);
    let help = text(&draw(&h, 120, 60));
    for b in BINDINGS {
        assert!(help.contains(b.help), "help lacks `{}`", b.help);
    }
    // Too short for sentences: still every binding, as key and label.
    let small = text(&draw(&h, 80, 24));
    for b in BINDINGS {
        assert!(
            small.contains(&format!("{:<6} {}", b.label, b.short)),
            "small help lacks {}",
            b.label
        );
    }
}

#[test]
fn step_back_after_n_steps_equals_a_fresh_run_to_n_minus_1() {
    for snapshots in [true, false] {
        let total = app("change-table-key").scenario().steps.len();
        for n in 1..=total {
            let mut a = app("change-table-key");
            if !snapshots {
                a = a.without_snapshots();
            }
            steps(&mut a, n);
            a.update(Msg::PrevStep);
            let mut b = app("change-table-key");
            steps(&mut b, n - 1);
            assert_eq!(state(&a), state(&b), "n = {n}, snapshots = {snapshots}");
            assert_eq!(
                text(&draw(&a, 100, 32)),
                text(&draw(&b, 100, 32)),
                "screen, n = {n}"
            );
        }
    }
}

#[test]
fn step_back_undoes_a_live_action_and_a_played_stretch() {
    let mut a = app("disable-current-key");
    steps(&mut a, 1);
    let before = state(&a);
    a.update(Msg::DisableKey); // the tree's first row is kms-1
    assert_eq!(a.live_actions(), 1);
    assert_ne!(state(&a), before);
    a.update(Msg::PrevStep);
    assert_eq!(state(&a), before);
    // Playing for a while, then back: the start of the current step.
    a.update(Msg::TogglePause);
    for _ in 0..20 {
        a.update(Msg::Tick);
    }
    assert!(a.runner().engine().now() > SimTime(60_000));
    a.update(Msg::PrevStep);
    assert_eq!(state(&a), before);
}

#[test]
fn playing_pauses_at_each_new_step() {
    let mut a = app("change-table-key");
    a.update(Msg::TogglePause);
    let mut frames = 0;
    while !a.paused() && frames < 10_000 {
        a.update(Msg::Tick);
        frames += 1;
    }
    assert!(a.paused());
    assert_eq!(a.runner().steps_started(), 1);
    a.update(Msg::TogglePause);
    while !a.paused() && frames < 20_000 {
        a.update(Msg::Tick);
        frames += 1;
    }
    assert_eq!(a.runner().steps_started(), 2);
    assert_eq!(
        a.runner().engine().now(),
        SimTime(60_000),
        "step 2 is at 1m"
    );
}

fn snapshot_at(n: usize, extra: impl FnOnce(&mut App)) -> String {
    let mut a = app("change-table-key");
    a.set_theme(ThemeKind::NoColor);
    steps(&mut a, n);
    extra(&mut a);
    text(&draw(&a, 100, 32))
}

#[test]
fn snapshot_before_the_switch() {
    insta::assert_snapshot!(snapshot_at(4, |_| {}));
}

#[test]
fn snapshot_mid_rewrap() {
    let s = snapshot_at(6, |_| {});
    assert!(s.contains("re-wrapping 4/8"), "{s}");
    insta::assert_snapshot!(s);
}

#[test]
fn snapshot_after_the_switch() {
    let s = snapshot_at(8, |_| {});
    assert!(s.contains("T1 retired"), "{s}");
    insta::assert_snapshot!(s);
}

#[test]
fn snapshot_cache_entry_expiring() {
    // Step 3 is at 3m; the app's entry (fetched at 1m) expires at 6m.
    let s = snapshot_at(3, |a| {
        while a.runner().engine().now() < SimTime(360_000) {
            a.update(Msg::JumpNextEvent);
        }
    });
    assert!(s.contains("app#1: cached T1 expired"), "{s}");
    insta::assert_snapshot!(s);
}

#[test]
fn snapshot_deleted_key() {
    let s = snapshot_at(11, |_| {});
    assert!(s.contains("DELETED"), "{s}");
    insta::assert_snapshot!(s);
}

#[test]
fn disabled_key_shows_how_long_the_cache_still_works() {
    let mut a = app("disable-current-key");
    steps(&mut a, 2); // read at 1m, disable at 3m
    let s = text(&draw(&a, 120, 36));
    assert!(s.contains("3m 00s then ✗ Disabled"), "{s}");
}

#[test]
fn ten_thousand_deks_are_grouped_not_listed() {
    let text_src = "title = \"big\"\nseed = 1\n[assumptions]\nrewrap_per_dek = \"1s\"\n[[key]]\nid = \"kms-1\"\n[[key]]\nid = \"kms-2\"\n[table]\nkey = \"kms-1\"\ndeks = 10000\nitems = 20000\n[[principal]]\nname = \"app\"\n[[step]]\nat = \"1m\"\ndo = \"change-table-key\"\nkey = \"kms-2\"\nnote = \"switch\"\n[[step]]\nat = \"+100s\"\ndo = \"wait\"\nnote = \"mid\"\n";
    let s = Arc::new(scenario::parse("big.toml", text_src).unwrap());
    let mut a = App::new(s).unwrap();
    steps(&mut a, 2);
    let rows = ui::tree::rows(&a);
    assert!(rows.len() < 15, "{} rows", rows.len());
    let all: String = rows.iter().map(|r| r.text() + "\n").collect();
    assert!(all.contains("DEK-0 … DEK-98 (99 DEKs"), "{all}");
    assert!(all.contains("DEK-99 ✓ landed under T2"), "{all}");
    assert!(all.contains("DEK-100 ⇢ moving"), "{all}");
    assert!(all.contains("DEK-101 … DEK-9999 (9899 DEKs"), "{all}");
}

#[test]
fn every_size_draws_without_panic_and_small_ones_ask_for_room() {
    let mut a = app("old-key-disabled-mid-rewrap");
    steps(&mut a, 6);
    for (w, h) in [
        (1, 1),
        (10, 3),
        (40, 10),
        (79, 24),
        (80, 23),
        (80, 24),
        (81, 25),
        (120, 40),
        (250, 70),
        (300, 20),
        (20, 300),
    ] {
        for view in [false, true] {
            let mut v = a.clone();
            v.set_show_timeline(view);
            if w % 2 == 0 {
                v.show(rewrap::app::Overlay::Help);
            }
            let s = text(&draw(&v, w, h));
            if w < 80 || h < 24 {
                if w >= 30 && h >= 2 {
                    assert!(s.contains("larger window"), "{w}x{h}");
                }
            } else if *v.overlay() == rewrap::app::Overlay::Help {
                assert!(s.contains("Help"), "{w}x{h}");
            } else {
                assert!(s.contains("rewrap"), "{w}x{h}");
            }
        }
    }
}

#[test]
fn no_color_draws_without_colours() {
    let mut a = app("delete-current-key");
    a.set_theme(ThemeKind::NoColor);
    steps(&mut a, 6);
    let buf = draw(&a, 120, 36);
    for cell in buf.content() {
        assert!(
            matches!(cell.fg, Color::Reset),
            "fg {:?} at {}",
            cell.fg,
            cell.symbol()
        );
        assert!(matches!(cell.bg, Color::Reset));
    }
    a.set_theme(ThemeKind::Dark);
    let buf = draw(&a, 120, 36);
    assert!(
        buf.content().iter().any(|c| c.fg != Color::Reset),
        "colour when allowed"
    );
}

#[test]
fn timeline_marks_the_milestones() {
    let mut a = app("delete-current-key");
    steps(&mut a, 8);
    a.update(Msg::ToggleTimeline);
    let s = text(&draw(&a, 140, 40));
    for needle in [
        "Timeline",
        "kms-1",
        "table",
        "reads app",
        "milestones",
        "F first failed read 0d 00:06:00",
        "D kms-1 deleted 7d 00:02:00",
        "U unrecoverable 7d 00:02:00",
    ] {
        assert!(s.contains(needle), "{needle}\n{s}");
    }
}

#[test]
fn focus_cycles_and_selection_picks_the_sandbox_target() {
    let mut a = app("revoke-one-principal");
    assert_eq!(a.focus(), Focus::Tree);
    assert_eq!(a.selected_key().unwrap().as_str(), "kms-1");
    a.update(Msg::FocusNext);
    assert_eq!(a.focus(), Focus::Cache);
    a.update(Msg::Down);
    assert_eq!(a.selected_connection().unwrap().0.as_str(), "analytics");
    a.update(Msg::Read);
    assert_eq!(a.live_actions(), 1);
    assert_eq!(a.runner().engine().decrypt_calls_by(&"analytics".into()), 1);
    a.update(Msg::FocusNext);
    a.update(Msg::FocusNext);
    assert_eq!(a.focus(), Focus::Tree);
}

#[test]
fn the_exploration_replays_under_check() {
    let mut a = app("change-table-key");
    steps(&mut a, 2);
    a.update(Msg::TogglePause);
    for _ in 0..7 {
        a.update(Msg::Tick); // 0.23 s of real time at 1 min/s: a fraction of a simulated minute
    }
    a.update(Msg::TogglePause);
    a.update(Msg::DisableKey); // live, at a whole second
    a.update(Msg::FocusNext);
    a.update(Msg::Read);
    for _ in 0..4 {
        a.update(Msg::JumpNextEvent);
    }
    a.update(Msg::Read);
    a.update(Msg::FocusPrev);
    a.update(Msg::EnableKey);
    a.update(Msg::Read);
    let toml = a.exploration_toml();
    let s = scenario::parse("explored.toml", &toml).unwrap_or_else(|e| panic!("{e}\n{toml}"));
    let mut r = Runner::new(Arc::new(s)).unwrap();
    r.run_to_end();
    assert!(r.failures().is_empty(), "{:?}\n{toml}", r.failures());
    let (x, y) = (r.engine(), a.runner().engine());
    assert_eq!(x.now(), y.now());
    assert_eq!(x.first_table().status(), y.first_table().status());
    assert_eq!(x.log().len(), y.log().len(), "{toml}");
    assert!(toml.contains("Live action"), "{toml}");
}

mod saved_sessions {
    use super::*;
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use proptest::prelude::*;

    const MSGS: &[Msg] = &[
        Msg::NextStep,
        Msg::JumpNextEvent,
        Msg::Up,
        Msg::Down,
        Msg::Up,
        Msg::Down,
        Msg::Home,
        Msg::End,
        Msg::FocusNext,
        Msg::FocusPrev,
        Msg::Read,
        Msg::Write,
        Msg::DisableKey,
        Msg::EnableKey,
        Msg::CancelDeletion,
        Msg::RotateKey,
        Msg::SwitchTableKey,
        Msg::Revoke,
        Msg::Allow,
        Msg::ScheduleDeletion,
        Msg::PrevStep,
    ];

    fn keys_state(e: &rewrap::engine::Engine) -> Vec<String> {
        e.keys()
            .iter()
            .map(|k| format!("{} {:?} {}", k.id(), k.state(), k.live_versions()))
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 128, failure_persistence: None, ..ProptestConfig::default() })]

        /// Any live session, saved with `w`, passes `check` and replays to the same state.
        #[test]
        fn random_live_sessions_save_files_that_replay(
            scenario_ix in 0usize..4,
            picks in proptest::collection::vec(0usize..MSGS.len(), 1..40),
        ) {
            let name = ["change-table-key", "aws-managed-key", "revoke-one-principal", "delete-current-key"][scenario_ix];
            let mut a = app(name);
            for p in picks {
                let msg = MSGS[p];
                a.update(msg);
                if msg == Msg::ScheduleDeletion && a.prompt().is_some() {
                    a.handle_key(&KeyEvent::new(KeyCode::Char('7'), KeyModifiers::NONE));
                    a.handle_key(&KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
                }
            }
            let toml = a.exploration_toml();
            let s = scenario::parse("explored.toml", &toml)
                .map_err(|e| TestCaseError::fail(format!("{e}\n{toml}")))?;
            let mut r = Runner::new(Arc::new(s)).unwrap();
            r.run_to_end();
            prop_assert!(r.failures().is_empty(), "{:?}\n{}", r.failures(), toml);
            let (x, y) = (r.engine(), a.runner().engine());
            prop_assert_eq!(x.now(), y.now());
            prop_assert_eq!(x.first_table().status(), y.first_table().status());
            prop_assert_eq!(x.first_table().sse(), y.first_table().sse());
            prop_assert_eq!(x.first_table().current(), y.first_table().current());
            prop_assert_eq!(keys_state(x), keys_state(y));
        }
    }

    /// Version 2's live actions too: `T` (another table or replica), `B`, `R`, `G`, `i`, `I`.
    const MSGS_V2: &[Msg] = &[
        Msg::NextStep,
        Msg::JumpNextEvent,
        Msg::Up,
        Msg::Down,
        Msg::Down,
        Msg::FocusNext,
        Msg::FocusPrev,
        Msg::Read,
        Msg::Write,
        Msg::DisableKey,
        Msg::EnableKey,
        Msg::SwitchTableKey,
        Msg::RotateKey,
        Msg::NextTable,
        Msg::Backup,
        Msg::Restore,
        Msg::ToggleGrant,
        Msg::DeleteMaterial,
        Msg::ImportMaterial,
        Msg::PrevStep,
    ];

    fn tables_state(e: &rewrap::engine::Engine) -> Vec<String> {
        e.tables()
            .iter()
            .map(|t| {
                format!(
                    "{} {:?} {:?} {} {}",
                    t.label(),
                    t.status(),
                    t.sse(),
                    t.current(),
                    t.grant_revoked()
                )
            })
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 96, failure_persistence: None, ..ProptestConfig::default() })]

        /// Any live session with version 2's actions, saved with `w`, passes `check` and
        /// replays to the same state (tables, replicas, restored tables, backups, keys).
        #[test]
        fn random_v2_live_sessions_save_files_that_replay(
            scenario_ix in 0usize..5,
            picks in proptest::collection::vec(0usize..MSGS_V2.len(), 1..40),
        ) {
            let name = ["replica-key-disabled", "shared-key-blast-radius", "imported-material-expires", "backup-outlives-key-change", "grant-revoked"][scenario_ix];
            let mut a = app(name);
            for p in picks {
                a.update(MSGS_V2[p]);
            }
            let toml = a.exploration_toml();
            let s = scenario::parse("explored.toml", &toml)
                .map_err(|e| TestCaseError::fail(format!("{e}\n{toml}")))?;
            let mut r = Runner::new(Arc::new(s)).unwrap();
            r.run_to_end();
            prop_assert!(r.failures().is_empty(), "{:?}\n{}", r.failures(), toml);
            let (x, y) = (r.engine(), a.runner().engine());
            prop_assert_eq!(x.now(), y.now());
            prop_assert_eq!(tables_state(x), tables_state(y), "{}", toml);
            prop_assert_eq!(x.backups().len(), y.backups().len(), "{}", toml);
            prop_assert_eq!(keys_state(x), keys_state(y), "{}", toml);
        }
    }

    #[test]
    fn the_aws_owned_key_is_not_managed_from_the_sandbox() {
        let mut a = app("change-table-key");
        // The tree's last key row is the AWS owned key.
        let rows = ui::tree::rows(&a);
        let ix = rows
            .iter()
            .position(|r| {
                r.key
                    .as_ref()
                    .is_some_and(rewrap::engine::ids::KmsKeyId::is_aws_owned)
            })
            .expect("aws-owned is in the tree");
        a.select_tree_row(&rows, ix);
        a.update(Msg::DisableKey);
        assert_eq!(a.live_actions(), 0);
        assert!(
            a.current_toast()
                .as_ref()
                .is_some_and(|t| t.error && t.text.contains("AWS owned"))
        );
        let toml = a.exploration_toml();
        assert!(scenario::parse("x.toml", &toml).is_ok());
    }

    #[test]
    fn saving_never_follows_a_symlink_at_the_save_name() {
        let dir = std::env::temp_dir().join(format!("rewrap-save-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let target = dir.join("elsewhere.toml");
        std::os::unix::fs::symlink(&target, dir.join("change-table-key-explored.toml")).unwrap();
        let mut a = app("change-table-key").with_save_dir(dir.clone());
        a.update(Msg::NextStep);
        a.settle();
        let effects = a.update(Msg::SaveScenario);
        rewrap::tui::perform(&mut a, effects);
        assert!(!target.exists(), "the dangling link was followed");
        let saved = a.last_saved().cloned().expect("saved under another name");
        assert_eq!(saved, dir.join("change-table-key-explored-2.toml"));
        assert!(
            a.current_toast()
                .as_ref()
                .unwrap()
                .text
                .contains("change-table-key-explored-2.toml")
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

/// The cache panel reads what the next request will do from the engine: at step 6 of
/// `aws-managed-key` the app's cached T1 was replaced and kms-1 (T2's key) is disabled, so the
/// row must say the next fetch fails, and a read then does fail (it once said "next fetches
/// T2" while the read failed).
#[test]
fn the_cache_row_tells_what_the_next_request_does() {
    use rewrap::engine::ids::ConnectionId;
    use rewrap::engine::kms::KmsErrorCode;
    use rewrap::engine::view::NextRequest;
    let mut a = app("aws-managed-key");
    steps(&mut a, 6);
    let e = a.runner().engine();
    let next = e
        .next_request(
            rewrap::engine::table::TableIx::FIRST,
            &"app".into(),
            ConnectionId(1),
        )
        .unwrap();
    assert!(
        matches!(
            next,
            NextRequest::Fetches {
                outcome: Err(KmsErrorCode::DisabledException),
                ..
            }
        ),
        "{next:?}"
    );
    let screen = text(&draw(&a, 120, 36));
    assert!(screen.contains("next: ✗ Disabled"), "{screen}");
    a.update(Msg::FocusNext);
    a.update(Msg::Read);
    let toast = a.current_toast().cloned().unwrap();
    assert!(
        toast.error && toast.text.contains("is disabled"),
        "{toast:?}"
    );
}

/// `n` visits every step of every shipped scenario, in file order, one at a time, even when
/// several steps share a time (`revoke-one-principal` step 5, `many-connections` step 1);
/// `p` goes back one step at a time.
#[test]
fn stepping_visits_every_step_of_every_shipped_scenario() {
    for b in scenario::BUILTINS {
        let mut a = app(b.name);
        let n = a.scenario().steps.len();
        for k in 1..=n {
            a.update(Msg::NextStep);
            a.settle();
            assert_eq!(
                a.runner().steps_started(),
                k,
                "{} after {k} presses",
                b.name
            );
        }
        for k in (0..n).rev().take(3) {
            a.update(Msg::PrevStep);
            assert_eq!(a.runner().steps_started(), k, "{} back to {k}", b.name);
        }
    }
}

/// A step that shares its time with the one before shows its own narration and runs only
/// its own action when reached.
#[test]
fn a_step_at_the_same_time_as_the_previous_one_is_shown_on_its_own() {
    let mut a = app("revoke-one-principal");
    steps(&mut a, 4);
    let before = a.runner().executed().len();
    a.update(Msg::NextStep);
    a.settle();
    assert_eq!(a.runner().steps_started(), 5);
    assert_eq!(a.runner().executed().len(), before + 1, "only step 5 ran");
    let screen = text(&draw(&a, 120, 36));
    assert!(screen.contains("Step 5/8"), "{screen}");
}

/// The log's kind column always leaves a space before the text (`REFUSED` is 7 letters); a
/// failure's text opens with ✗.
#[test]
fn the_log_kind_column_never_runs_into_the_text() {
    let mut a = app("aws-managed-key");
    steps(&mut a, 2);
    let screen = text(&draw(&a, 120, 36));
    assert!(screen.contains("REFUSED ✗ disable"), "{screen}");
    assert!(!screen.contains("REFUSEDdisable"), "{screen}");
}

/// A selection follows the entity, not a row number: select the AWS owned key at step 2, step
/// forward five times (rows appear above it as T2 and DEKs move), and `d` still acts on it
/// (refused: nobody manages the AWS owned key), never on kms-2, the table's live key.
#[test]
fn the_selection_follows_the_key_across_steps_and_d_acts_on_it() {
    let mut a = app("change-table-key");
    steps(&mut a, 2);
    let rows = ui::tree::rows(&a);
    let ix = rows
        .iter()
        .position(|r| r.id == rewrap::app::NodeId::Kms("aws-owned".into()))
        .expect("aws-owned row");
    a.select_tree_row(&rows, ix);
    steps(&mut a, 5);
    assert_eq!(a.selected_key().unwrap().as_str(), "aws-owned");
    let screen = text(&draw(&a, 120, 36));
    assert!(screen.contains("acting on aws-owned · app#1"), "{screen}");
    let kms2 = a.runner().engine().key(&"kms-2".into()).unwrap().state();
    a.update(Msg::DisableKey);
    assert_eq!(
        a.runner().engine().key(&"kms-2".into()).unwrap().state(),
        kms2
    );
    assert_eq!(a.live_actions(), 0, "refused, not recorded");
    // Folding its parent row and resizing do not move it either.
    for (w, h) in [(80, 24), (200, 60), (120, 36)] {
        let _ = draw(&a, w, h);
        assert_eq!(a.selected_key().unwrap().as_str(), "aws-owned");
    }
}

mod small_things {
    use super::*;

    /// `Home` in the focused log shows the oldest lines, never an empty panel.
    #[test]
    fn home_in_the_log_shows_the_oldest_lines() {
        let mut a = app("change-table-key");
        steps(&mut a, 6);
        a.update(Msg::FocusPrev); // tree -> log
        a.update(Msg::Home);
        let screen = text(&draw(&a, 120, 36));
        assert!(screen.contains("kms-1 created"), "{screen}");
    }

    /// Live actions read as such in the log, and the narration says the script was left.
    #[test]
    fn live_actions_are_named_and_leaving_the_script_is_said() {
        let mut a = app("change-table-key");
        steps(&mut a, 2);
        a.update(Msg::FocusNext);
        a.update(Msg::Read);
        let screen = text(&draw(&a, 120, 36));
        assert!(screen.contains("live action 1: read as app"), "{screen}");
        assert!(!screen.contains("step 1001"), "{screen}");
        assert!(screen.contains("off the script"), "{screen}");
        a.update(Msg::PrevStep);
        let screen = text(&draw(&a, 120, 36));
        assert!(!screen.contains("off the script"), "{screen}");
    }

    /// Cache rows line up and keep their call counts with labels longer than 8 characters.
    #[test]
    fn cache_rows_align_with_long_labels() {
        let mut a = app("many-connections");
        steps(&mut a, 4);
        let screen = text(&draw(&a, 200, 60));
        let col = |needle: &str| {
            screen
                .lines()
                .find(|l| l.contains(needle))
                .and_then(|l| l.find(" T1 ").map(|i| l[..i].chars().count()))
        };
        let (short, long) = (col("fanout#9 "), col("fanout#10 "));
        assert!(
            short.is_some() && short == long,
            "{short:?} {long:?}\n{screen}"
        );
        let row10 = screen.lines().find(|l| l.contains("fanout#10 ")).unwrap();
        assert!(row10.contains("calls"), "{row10}");
    }

    /// The narration's height does not change from step to step, so the panels stay put.
    #[test]
    fn the_panels_do_not_jump_between_steps() {
        let mut a = app("change-table-key");
        let height = |a: &App| ui::chrome::narration_height(a, 120, 36);
        let first = height(&a);
        for _ in 0..12 {
            a.update(Msg::NextStep);
            a.settle();
            assert_eq!(height(&a), first);
        }
    }

    /// `j` jumps to the next event and `k` is not a scroll key (no vim trap).
    #[test]
    fn k_is_not_bound_to_scrolling() {
        use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
        let k = KeyEvent::new(KeyCode::Char('k'), KeyModifiers::NONE);
        assert_ne!(lookup(&k), Some(Msg::Up));
    }
}

/// At 80x24 and 120x36 a cache row's verdict (`✗ Disabled…`) is never cut mid-word: the bar,
/// idle time and key name give way first, and a narrow panel uses the short error names.
#[test]
fn cache_verdicts_are_never_cut() {
    const NAMES: &[&str] = &[
        "DisabledException",
        "KMSInvalidStateException",
        "NotFoundException",
        "AccessDeniedException",
        "TableArchived",
        "Disabled",
        "InvalidState",
        "NotFound",
        "AccessDenied",
    ];
    let mut checked = 0;
    for name in [
        "disable-current-key",
        "delete-current-key",
        "revoke-one-principal",
        "cancel-is-not-enable",
    ] {
        let mut a = app(name);
        let n = a.scenario().steps.len();
        for step in 1..=n {
            a.update(Msg::NextStep);
            a.settle();
            for (w, h) in [(80, 24), (120, 36)] {
                let screen = text(&draw(&a, w, h));
                for line in screen
                    .lines()
                    .filter(|l| l.contains("next: ✗ ") || l.contains("then ✗ "))
                {
                    let Some(at) = line.rfind("✗ ") else {
                        continue;
                    };
                    let rest = &line[at + "✗ ".len()..];
                    let word: String = rest
                        .chars()
                        .take_while(char::is_ascii_alphanumeric)
                        .collect();
                    assert!(
                        NAMES.contains(&word.as_str()),
                        "{name} step {step} at {w}x{h}: cut verdict `{word}` in\n{line}"
                    );
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 20, "verdicts were on screen to check: {checked}");
}

/// At 80x24 the table's status, the archive countdown and `Recoverable` are shown whole: the
/// status panel wraps its lines and drops the assumptions line first.
#[test]
fn the_status_panel_is_never_cut_at_80x24() {
    let mut a = app("disable-current-key");
    let n = a.scenario().steps.len();
    let mut seen_archive = false;
    for _ in 0..n {
        a.update(Msg::NextStep);
        a.settle();
        let screen = text(&draw(&a, 80, 24));
        let flat: String = screen
            .lines()
            .map(|l| l.split('│').nth(3).unwrap_or("").trim_end().to_string())
            .collect::<Vec<_>>()
            .join(" ");
        assert!(flat.contains("Recoverable:"), "{screen}");
        if a.runner().engine().first_table().status()
            == rewrap::engine::table::TableStatus::InaccessibleEncryptionCredentials
        {
            assert!(
                flat.contains("INACCESSIBLE_ENCRYPTION_ CREDENTIALS")
                    || flat.contains("INACCESSIBLE_ENCRYPTION_CREDENTIALS"),
                "{screen}"
            );
            assert!(flat.contains("archive in"), "{screen}");
            seen_archive = true;
        }
    }
    assert!(seen_archive);
}

/// A title too long for the header is cut at a word with `…`, never mid-word (at 80x24
/// "The AWS managed key can|not lock the table" read as its opposite).
#[test]
fn titles_are_cut_at_words_with_an_ellipsis() {
    for b in scenario::BUILTINS {
        let a = app(b.name);
        for (w, h) in [(80, 24), (120, 36)] {
            let screen = text(&draw(&a, w, h));
            let header = screen.lines().next().unwrap().trim_end();
            let title = &a.scenario().title;
            if header.ends_with(title.as_str()) {
                continue;
            }
            let shown = header
                .rsplit(" │ ")
                .next()
                .unwrap()
                .strip_suffix('…')
                .unwrap_or_else(|| panic!("{}: cut without an ellipsis: {header}", b.name));
            let words: Vec<&str> = title.split(' ').collect();
            let shown_words: Vec<&str> = shown.split(' ').collect();
            assert!(
                words.starts_with(&shown_words),
                "{}: `{shown}` is not whole words of `{title}`",
                b.name
            );
        }
    }
}

mod room_grade {
    use super::*;

    /// The timeline's glyph key wraps instead of being cut (it ended at `SSE ▒` at 120x36).
    #[test]
    fn the_timeline_legend_is_whole_at_120x36() {
        let mut a = app("disable-current-key");
        steps(&mut a, 3);
        a.update(Msg::ToggleTimeline);
        let screen = text(&draw(&a, 120, 36));
        assert!(screen.contains("cache ▬ valid"), "{screen}");
        assert!(screen.contains("future"), "{screen}");
    }

    /// Cache rows that do not fit are said, not silently dropped.
    #[test]
    fn hidden_cache_rows_are_counted() {
        let mut a = app("many-connections");
        steps(&mut a, 2);
        let screen = text(&draw(&a, 120, 36));
        assert!(screen.contains("of 26 shown"), "{screen}");
    }

    /// Changing the selection never re-flows the footer (the panels above would jump).
    #[test]
    fn the_footer_keeps_its_height_when_the_selection_changes() {
        let mut a = app("change-table-key");
        steps(&mut a, 2);
        let before = ui::chrome::footer_rows(&a, 100, 36).len();
        let rows = ui::tree::rows(&a);
        let ix = rows.len() - 2;
        a.select_tree_row(&rows, ix);
        assert_eq!(ui::chrome::footer_rows(&a, 100, 36).len(), before);
    }
}

/// The many-connections punchline and the key-change quota are on screen, not only in `run`.
#[test]
fn decrypt_totals_and_the_quota_are_on_screen() {
    let mut a = app("many-connections");
    steps(&mut a, 4);
    let screen = text(&draw(&a, 200, 60));
    assert!(screen.contains("Decrypt calls: pooled"), "{screen}");
    assert!(screen.contains("fanout 325"), "{screen}");
    let mut q = app("key-change-quota");
    steps(&mut q, 5);
    let screen = text(&draw(&q, 200, 60));
    assert!(screen.contains("Key changes: "), "{screen}");
    assert!(screen.contains(" free · next"), "{screen}");
}

/// Review fixes: a note longer than the narration panel ends with `…`; at 80x24 the app's
/// cache row is shown rather than the re-wrap job's (which the status panel also shows).
#[test]
fn short_screens_cut_notes_visibly_and_keep_the_connection_rows() {
    // Four lines of narration at 80x24: this note is whole...
    let mut a = app("disable-current-key");
    steps(&mut a, 4);
    let screen = text(&draw(&a, 80, 24));
    assert!(
        screen.contains("INACCESSIBLE_ENCRYPTION_CREDENTIALS at once."),
        "{screen}"
    );
    // ...and a longer one ends with `…` rather than stopping mid-sentence unmarked.
    let mut a = app("change-table-key");
    steps(&mut a, 12);
    let screen = text(&draw(&a, 80, 24));
    let narration: Vec<&str> = screen.lines().skip(2).take(4).collect();
    assert!(
        narration[3]
            .trim_end()
            .trim_end_matches('│')
            .trim_end()
            .ends_with('…'),
        "{screen}"
    );
    let mut b = app("old-key-disabled-mid-rewrap");
    steps(&mut b, 5);
    let screen = text(&draw(&b, 80, 24));
    assert!(screen.contains("app#1"), "{screen}");
    assert!(!screen.contains("0 of 1 shown"), "{screen}");
    b.update(Msg::NextStep);
    b.settle();
    let screen = text(&draw(&b, 80, 24));
    assert!(screen.contains("STALLED"), "{screen}");
    assert!(
        screen.contains("Recoverable: yes"),
        "the answers come before the details\n{screen}"
    );
}

/// One overlay at a time: `?` then `L` shows the ledger instead of both stacked; a reload
/// error is modal (help does not replace it) and Esc closes it.
#[test]
fn one_overlay_at_a_time_and_a_reload_error_stays_until_esc() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use rewrap::app::Overlay;
    let key = |c| KeyEvent::new(c, KeyModifiers::NONE);
    let mut a = App::new(Arc::new(
        rewrap::scenario::load("change-table-key").unwrap(),
    ))
    .unwrap();
    a.handle_key(&key(KeyCode::Char('?')));
    assert_eq!(*a.overlay(), Overlay::Help);
    a.handle_key(&key(KeyCode::Char('L')));
    assert_eq!(*a.overlay(), Overlay::Ledger);
    a.handle_key(&key(KeyCode::Char('L')));
    assert_eq!(*a.overlay(), Overlay::None);
    a.reload_failed("s.toml:1:1: broken".into());
    a.handle_key(&key(KeyCode::Char('?')));
    assert!(
        matches!(a.overlay(), Overlay::ReloadError(_)),
        "{:?}",
        a.overlay()
    );
    a.handle_key(&key(KeyCode::Esc));
    assert_eq!(*a.overlay(), Overlay::None);
}

/// A narration in Japanese (no spaces, two columns a character) with emoji wraps by columns
/// in the live view and in present mode: nothing is cut off at the border or lost.
#[test]
fn cjk_and_emoji_narration_is_wrapped_not_cut() {
    let note = "鍵を無効にすると、キャッシュが切れた後の読み取りは失敗します。🔑 KMS-1 を削除しても📦データはT2で読めます。最後まで表示されること";
    let toml = format!(
        "title = \"日本語のシナリオ 🔑\"\n[[key]]\nid = \"kms-1\"\n[table]\nkey = \"kms-1\"\n[[principal]]\nname = \"app\"\n[[step]]\nat = \"1m\"\ndo = \"read\"\nprincipal = \"app\"\nnote = \"{note}\"\n"
    );
    let s = scenario::parse("ja.toml", &toml).unwrap();
    for present in [false, true] {
        let mut a = App::new(Arc::new(s.clone())).unwrap();
        a.set_theme(ui::theme::ThemeKind::NoColor);
        a.set_present(present);
        a.update(Msg::NextStep);
        a.settle();
        for (w, h) in [(80, 24), (100, 30), (120, 36)] {
            let screen = text(&draw(&a, w, h));
            // Every character of the note, in order (a cut loses the tail).
            let flat: String = screen.chars().filter(|c| !c.is_whitespace()).collect();
            let mut at = 0;
            for c in note.chars().filter(|c| !c.is_whitespace()) {
                match flat[at..].find(c) {
                    Some(i) => at += i + c.len_utf8(),
                    None => panic!("present={present} {w}x{h}: {c:?} is lost after {at}\n{screen}"),
                }
            }
            // (a wide character's second cell reads as a space here)
            assert!(
                flat.contains("最後まで表示されること"),
                "present={present} {w}x{h}\n{screen}"
            );
        }
    }
}

#[test]
fn a_step_back_that_rebuilds_a_large_world_says_so_before_it_starts() {
    // 60,000 DEKs and 150,000 items: over the 200,000 rows a snapshot may copy, so going back
    // replays the world from its start, and the screen says so while it does.
    let src = "title = \"large\"\nseed = 1\n[[key]]\nid = \"kms-1\"\n[[key]]\nid = \"kms-2\"\n[table]\nkey = \"kms-1\"\ndeks = 60000\nitems = 150000\n[[step]]\nat = \"1m\"\ndo = \"disable-key\"\nkey = \"kms-2\"\nnote = \"one\"\n[[step]]\nat = \"2m\"\ndo = \"enable-key\"\nkey = \"kms-2\"\nnote = \"two\"\n";
    let s = Arc::new(rewrap::scenario::parse("large.toml", src).unwrap());
    let mut a = App::new(s).unwrap();
    steps(&mut a, 2);
    let back = crossterm::event::KeyEvent::new(
        crossterm::event::KeyCode::Left,
        crossterm::event::KeyModifiers::NONE,
    );
    assert_eq!(lookup(&back), Some(Msg::PrevStep));
    assert!(a.announce_key(&back));
    assert!(
        text(&draw(&a, 120, 36)).contains("rebuilding this large world"),
        "{}",
        text(&draw(&a, 120, 36))
    );
    a.handle_key(&back);
    assert_eq!(a.runner().engine().now(), SimTime(60_000));
    assert!(!text(&draw(&a, 120, 36)).contains("rebuilding"));

    // A small world goes back from a snapshot in no time: no notice.
    let mut small = app("change-table-key");
    steps(&mut small, 2);
    assert!(!small.announce_key(&back));
    assert!(!small.announce(Msg::NextStep));
}
