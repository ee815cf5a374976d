//! `rewrap whatif`: actions at 0s on a world, answered per table, replica and backup as
//! intervals from two runs (every undocumented assumption at its lower bound with nothing
//! cached, at its upper bound with every connection cached), each end naming what it moves
//! with; `--safe-to-delete`; the JSON form; the file `--play` opens.

use std::process::Command;

use rewrap::account::safe::safe_to_delete;
use rewrap::account::whatif::{Action, default_bounds, whatif};
use rewrap::engine::time::{SimDuration, SimTime};

const WORLD: &str = r#"title = "two tables, a backup"
[[key]]
id = "kms-1"
[[key]]
id = "kms-2"
[[table]]
name = "Orders"
key = "kms-1"
[[table]]
name = "Audit"
key = "kms-2"
[[backup]]
name = "nightly"
table = "Orders"
taken = "-1d"
[[principal]]
name = "app"
connections = 2
"#;

#[allow(clippy::unnecessary_wraps)] // compared with the answer's Option fields
fn at(d: SimDuration) -> Option<SimTime> {
    Some(SimTime::ZERO + d)
}

fn row<'a>(
    a: &'a rewrap::account::whatif::Answer,
    name: &str,
    what: &str,
) -> &'a rewrap::account::whatif::Row {
    let art = a
        .artifacts
        .iter()
        .find(|x| x.name == name)
        .unwrap_or_else(|| panic!("no {name}: {a:#?}"));
    art.rows
        .iter()
        .find(|r| r.what == what)
        .unwrap_or_else(|| panic!("no {what} for {name}: {art:#?}"))
}

#[test]
fn scheduling_a_deletion_gives_each_copy_its_intervals_and_what_they_move_with() {
    let s = rewrap::scenario::parse("w.toml", WORLD).unwrap();
    let actions = [Action::ScheduleDeletion {
        key: "kms-1".into(),
        days: 7,
    }];
    let a = whatif(&s, &actions, &default_bounds()).unwrap();
    let m = SimDuration::from_mins;
    let h = SimDuration::from_hours;
    let d = SimDuration::from_days;
    // Reads: at once with nothing cached and the change everywhere; at the latest when every
    // connection's cached table key runs out (5m, the documented refresh).
    let r = row(&a, "Orders", "reads fail");
    assert_eq!((r.earliest, r.latest), (at(SimDuration::ZERO), at(m(5))));
    assert!(r.rests_on.contains(&"cache at 0s"), "{r:?}");
    // DynamoDB notices at its check: propagation 0s..5m plus detection 0s..1h.
    let r = row(&a, "Orders", "inaccessible");
    assert_eq!(
        (r.earliest, r.latest),
        (at(SimDuration::ZERO), at(SimDuration(h(1).0 + m(5).0)))
    );
    assert_eq!(r.rests_on, vec!["propagation", "detection"]);
    // Archived 7 days (documented) after that, ARCHIVING lasting 0s..1d.
    let r = row(&a, "Orders", "archived");
    assert_eq!(
        (r.earliest, r.latest),
        (at(d(7)), at(SimDuration(d(8).0 + h(1).0 + m(5).0)))
    );
    // The key goes at its date, or up to a day later (documented).
    let r = row(&a, "Orders", "unrecoverable");
    assert_eq!((r.earliest, r.latest), (at(d(7)), at(d(8))));
    assert_eq!(r.rests_on, vec!["deletion_delay"]);
    let r = row(&a, "nightly of Orders", "backup lost");
    assert_eq!((r.earliest, r.latest), (at(d(7)), at(d(8))));
    // Audit, under kms-2, is not touched.
    assert!(
        a.untouched.iter().any(|u| u.contains("Audit")),
        "{:?}",
        a.untouched
    );
    assert!(a.artifacts.iter().all(|x| !x.already));
}

#[test]
fn switching_first_then_deleting_the_old_key_leaves_the_table_readable_once_re_wrapped() {
    let s = rewrap::scenario::parse("w.toml", WORLD).unwrap();
    let actions = [
        Action::Switch {
            table: "Orders".into(),
            to: "kms-2".into(),
        },
        Action::ScheduleDeletion {
            key: "kms-1".into(),
            days: 7,
        },
    ];
    let a = whatif(&s, &actions, &default_bounds()).unwrap();
    let orders = a.artifacts.iter().find(|x| x.name == "Orders");
    // The table never becomes unrecoverable nor archived: its DEKs are under T2 (kms-2)
    // within 8 DEKs × 1s..10s, long before kms-1 goes.
    if let Some(o) = orders {
        assert!(
            o.rows
                .iter()
                .all(|r| !["archived", "unrecoverable", "archiving"].contains(&r.what)),
            "{o:#?}"
        );
    }
    // The backup taken before, under kms-1, is lost with it: the story's trap.
    let r = row(&a, "nightly of Orders", "backup lost");
    assert_eq!(r.earliest, at(SimDuration::from_days(7)));
}

#[test]
fn safe_to_delete_says_when_nothing_needs_a_key_or_what_still_does() {
    let s = rewrap::scenario::parse("w.toml", WORLD).unwrap();
    let a = safe_to_delete(&s, "kms-1", &default_bounds()).unwrap();
    assert_eq!(a.safe_from, None);
    assert!(
        a.still_needed_by
            .iter()
            .any(|n| n == "backup nightly of Orders"),
        "{a:?}"
    );
    assert!(
        a.still_needed_by.iter().any(|n| n == "table Orders"),
        "{a:?}"
    );
    // A table moving off its key: safe once every DEK is re-wrapped (8 DEKs: 8s..80s).
    let moving = WORLD.replace(
        "name = \"Orders\"\nkey = \"kms-1\"",
        "name = \"Orders\"\nkey = \"kms-1\"\nswitching_to = \"kms-2\"",
    );
    let moving = moving.replace("taken = \"-1d\"", "taken = \"-1d\"\nkey = \"kms-2\"");
    let s = rewrap::scenario::parse("w.toml", &moving).unwrap();
    let a = safe_to_delete(&s, "kms-1", &default_bounds()).unwrap();
    assert_eq!(
        a.safe_from,
        Some((
            SimTime::ZERO + SimDuration::from_secs(8),
            SimTime::ZERO + SimDuration::from_secs(80)
        )),
        "{a:?}"
    );
    assert!(safe_to_delete(&s, "nope", &default_bounds()).is_err());
}

fn rewrap() -> Command {
    Command::new(env!("CARGO_BIN_EXE_rewrap"))
}

#[test]
fn the_command_keeps_the_actions_order_answers_in_json_and_refuses_what_cannot_run() {
    let dir = std::env::temp_dir().join(format!("rewrap-whatif-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("w.toml");
    std::fs::write(&file, WORLD).unwrap();
    let out = rewrap()
        .arg("whatif")
        .arg(&file)
        .args([
            "--disable",
            "kms-2",
            "--switch",
            "Orders",
            "--to",
            "kms-2",
            "--json",
        ])
        .output()
        .unwrap();
    // Switching to a key disabled a moment before is refused: the order was kept.
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("switch table Orders to kms-2 is refused")
    );
    let out = rewrap()
        .arg("whatif")
        .arg(&file)
        .args([
            "--switch",
            "Orders",
            "--to",
            "kms-2",
            "--disable",
            "kms-1",
            "--json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["kind"], "whatif");
    assert_eq!(v["actions"][0], "switch table Orders to kms-2");
    assert_eq!(v["actions"][1], "disable kms-1");
    assert!(v["bounds"].as_array().is_some_and(|b| b.len() == 5));
    for bad in [
        vec!["--switch", "Orders"],
        vec!["--assume", "detection=2h..1h", "--disable", "kms-1"],
        vec!["--assume", "nonsense=0s..1h", "--disable", "kms-1"],
        vec![],
        vec!["--disable", "nope"],
    ] {
        let out = rewrap()
            .arg("whatif")
            .arg(&file)
            .args(&bad)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad:?}: {out:?}");
    }
    let out = rewrap()
        .arg("whatif")
        .arg(&file)
        .args(["--assume", "detection=2h..3h", "--disable", "kms-1"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("+2h"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_scenario_play_opens_holds_the_world_and_the_actions() {
    let s = rewrap::scenario::parse("w.toml", WORLD).unwrap();
    let actions = [Action::RevokeGrant {
        table: "Audit".into(),
    }];
    let a = whatif(&s, &actions, &default_bounds()).unwrap();
    let text = rewrap::account::whatif::scenario_text(&s, &a);
    let again =
        rewrap::scenario::parse("whatif.toml", &text).unwrap_or_else(|d| panic!("{d}\n{text}"));
    assert_eq!(again.steps.len(), 1);
    assert!(
        text.contains("do = \"revoke-grant\"\ntable = \"Audit\""),
        "{text}"
    );
    assert!(again.end.is_some());
}

#[test]
fn an_export_folder_gets_its_answer_in_one_command() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/account-export");
    let out = rewrap()
        .arg("whatif")
        .arg(&dir)
        .args(["--schedule-deletion", "orders"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("What if, at 0s (2026-12-03T14:01:22Z): schedule deletion of orders"),
        "{text}"
    );
    assert!(
        text.contains("backup orders-nightly of Orders (needs orders)"),
        "{text}"
    );
    assert!(
        text.contains("Already under way without these actions"),
        "{text}"
    );
    let safe = rewrap()
        .arg("whatif")
        .arg(&dir)
        .args(["--safe-to-delete", "spare"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&safe.stdout).contains("Nothing in this world needs spare now")
    );
}
