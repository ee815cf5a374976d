//! Several tables (version 2): `[[table]]`, `table =` on steps, the `tables` expectation, a
//! shared key's blast radius, events naming their table, and explorations that keep it all.

use std::sync::Arc;

use rewrap::app::{App, Msg};
use rewrap::runner::Runner;
use rewrap::scenario;

const TWO: &str = r#"title = "two tables"
[[key]]
id = "kms-1"
[[key]]
id = "kms-2"
[[table]]
name = "Orders"
key = "kms-1"
[[table]]
name = "Audit"
key = "kms-1"
[[table]]
name = "Other"
key = "kms-2"
[[principal]]
name = "app"
"#;

fn run(text: &str) -> Runner {
    let s = scenario::parse("t.toml", text).unwrap_or_else(|d| panic!("{d}"));
    let mut r = Runner::new(Arc::new(s)).unwrap();
    r.run_to_end();
    r
}

#[test]
fn a_shared_key_stops_every_table_under_it_each_on_its_own_clock() {
    let r = run(&format!(
        r#"{TWO}
[[step]]
at = "1m"
do = "read"
principal = "app"
table = "Audit"
expect = {{ outcome = "ok", cached = {{ app = "5m" }} }}
[[step]]
at = "2m"
do = "disable-key"
key = "kms-1"
[[step]]
at = "3m"
do = "read"
principal = "app"
table = "Orders"
expect = {{ outcome = "error", table = "inaccessible", tables = {{ Audit = "active", Other = "active" }} }}
[[step]]
at = "6m"
do = "read"
principal = "app"
table = "Audit"
expect = {{ outcome = "error", tables = {{ Orders = "inaccessible", Audit = "inaccessible", Other = "active" }} }}
[[step]]
at = "7m"
do = "read"
principal = "app"
table = "Other"
expect = {{ outcome = "ok", table = "active" }}
[[step]]
at = "7d 3m"
do = "wait"
expect = {{ tables = {{ Orders = "archiving", Audit = "inaccessible" }} }}
"#
    ));
    let failures: Vec<String> = r.failures().iter().map(ToString::to_string).collect();
    assert!(failures.is_empty(), "{failures:?}");
    // Events about one table say which.
    let lines: Vec<String> = r
        .engine()
        .log()
        .iter()
        .map(rewrap::report::text_line)
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("[Audit] TableStatus ACTIVE -> INACCESSIBLE")),
        "{lines:#?}"
    );
    let json = rewrap::report::json_line(r.engine().log().iter().last().unwrap());
    assert!(json.contains("\"kind\""), "{json}");
}

#[test]
fn tables_are_named_checked_at_load() {
    let dup = TWO.replace("name = \"Audit\"", "name = \"Orders\"");
    let e = scenario::parse("t.toml", &dup).unwrap_err().to_string();
    assert!(
        e.contains("declared twice") && e.contains("t.toml:10:"),
        "{e}"
    );
    let unknown = format!(
        "{TWO}[[step]]\nat = \"1m\"\ndo = \"read\"\nprincipal = \"app\"\ntable = \"Nope\"\n"
    );
    let e = scenario::parse("t.toml", &unknown).unwrap_err().to_string();
    let line = unknown.lines().position(|l| l.contains("Nope")).unwrap() + 1;
    assert!(
        e.contains("unknown table `Nope`") && e.contains(&format!("t.toml:{line}:")),
        "{e}"
    );
    assert!(e.contains("Orders, Audit, Other"), "{e}");
    let bad_expect = format!(
        "{TWO}[[step]]\nat = \"1m\"\ndo = \"wait\"\nexpect = {{ tables = {{ Gone = \"active\" }} }}\n"
    );
    let e = scenario::parse("t.toml", &bad_expect)
        .unwrap_err()
        .to_string();
    assert!(e.contains("unknown table `Gone`"), "{e}");
}

/// A saved exploration of a several-table scenario keeps `[[table]]` and `table =`, and
/// replays under `check`.
#[test]
fn an_exploration_of_several_tables_replays() {
    let mut a = App::new(Arc::new(scenario::load("shared-key-blast-radius").unwrap())).unwrap();
    for _ in 0..a.scenario().steps.len() {
        a.update(Msg::NextStep);
        a.settle();
    }
    let text = a.session().exploration_toml();
    assert!(text.contains("[[table]]"), "{text}");
    assert!(text.contains("table = \"Audit\""), "{text}");
    let s = scenario::parse("explored.toml", &text).unwrap_or_else(|d| panic!("{d}\n{text}"));
    let mut r = Runner::new(Arc::new(s)).unwrap();
    r.run_to_end();
    assert!(r.failures().is_empty(), "{:?}", r.failures());
}

/// `run` ends with a recoverability ledger: every copy of each table's data, the key it needs
/// and its state at the end (a deleted key's table and archival backup are lost; a disabled
/// key's archival backup is blocked; an untouched table is readable).
#[test]
fn the_ledger_says_what_every_copy_needs() {
    let lost = {
        let s = scenario::load("delete-current-key").unwrap();
        let mut r = Runner::new(Arc::new(s)).unwrap();
        r.run_to_end();
        rewrap::report::Summary::of(&r.scenario, r.engine()).text()
    };
    assert!(lost.contains("Recoverability ledger"), "{lost}");
    assert!(
        lost.lines()
            .any(|l| l.contains("archival backup") && l.contains("LOST")),
        "{lost}"
    );
    let s = scenario::load("shared-key-blast-radius").unwrap();
    let mut r = Runner::new(Arc::new(s)).unwrap();
    r.run_to_end();
    let text = rewrap::report::Summary::of(&r.scenario, r.engine()).text();
    assert!(
        text.lines()
            .any(|l| l.contains("Audit") && l.contains("archival backup") && l.contains("blocked")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.contains("Sessions") && l.contains("readable")),
        "{text}"
    );
}

/// The screen shows the blast radius: at 80x24 the other tables' status stays in the status
/// panel, and at 200x60 (where one table's diagram would hide the others) the key tree lists
/// every table under its key.
#[test]
fn every_table_is_on_screen_at_every_size() {
    let mut a = App::new(Arc::new(scenario::load("shared-key-blast-radius").unwrap())).unwrap();
    for _ in 0..6 {
        a.update(Msg::NextStep);
        a.settle();
    }
    let draw = |w: u16, h: u16| {
        let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).unwrap();
        t.draw(|f| rewrap::ui::render(f, &a)).unwrap();
        let buf = t.backend().buffer().clone();
        (0..h)
            .map(|y| {
                (0..w)
                    .map(|x| buf[(x, y)].symbol().to_string())
                    .collect::<String>()
                    + "\n"
            })
            .collect::<String>()
    };
    let small = draw(80, 24);
    // Step 6 reads Audit: the panels follow it, and Orders is listed as the other table.
    assert!(small.contains("Table Audit"), "{small}");
    assert!(small.contains("Also: Orders INACCESSIBLE"), "{small}");
    let large = draw(200, 60);
    assert!(large.contains("inaccessible · T1 of Orders"), "{large}");
    assert!(large.contains("active · T1 of Sessions"), "{large}");
    assert!(large.contains("cache of Audit"), "{large}");
}

/// Events name the table they are about, passed explicitly: a key deleted under another
/// table's re-wrap says which table's re-wrap can never finish.
#[test]
fn a_rewrap_that_can_never_finish_names_its_table() {
    let world = TWO.replacen(
        "title = \"two tables\"\n",
        "title = \"two tables\"\n[assumptions]\nrewrap_per_dek = \"1h\"\n",
        1,
    );
    let r = run(&format!(
        r#"{world}
[[step]]
at = "1m"
do = "change-table-key"
table = "Audit"
key = "kms-2"
[[step]]
at = "2m"
do = "schedule-key-deletion"
key = "kms-2"
days = 7
[[step]]
at = "8d"
do = "wait"
"#
    ));
    let line = r
        .engine()
        .log()
        .iter()
        .map(rewrap::report::json_line)
        .find(|l| l.contains("rewrap_cannot_finish"))
        .expect("the re-wrap is cut off");
    assert!(line.contains("\"table\":\"Audit\""), "{line}");
}

/// The read model says where a re-wrap stands (one rule for the tree and the diagram): the DEKs
/// under each table key, the DEK in flight and how far along it is.
#[test]
fn the_rewrap_view_splits_the_deks_between_the_two_table_keys() {
    use rewrap::engine::ids::TableKeyId;
    use rewrap::engine::table::TableIx;
    let world = TWO.replacen(
        "title = \"two tables\"\n",
        "title = \"two tables\"\n[assumptions]\nrewrap_per_dek = \"1h\"\n",
        1,
    );
    let s = scenario::parse(
        "t.toml",
        &format!(
            "{world}\n[[step]]\nat = \"1m\"\ndo = \"change-table-key\"\ntable = \"Audit\"\nkey = \"kms-2\"\n[[step]]\nat = \"2h 31m\"\ndo = \"wait\"\n"
        ),
    )
    .unwrap();
    let mut r = Runner::new(Arc::new(s)).unwrap();
    r.run_to_end();
    let e = r.engine();
    let audit = TableIx(1);
    let v = e.rewrap_view(audit).expect("a re-wrap is under way");
    let total = e.tables()[1].deks().len() as u32;
    assert_eq!(
        (v.from, v.to, v.total),
        (TableKeyId(1), TableKeyId(2), total)
    );
    assert!(v.done >= 1 && v.done < total, "{v:?}");
    assert_eq!(v.landed, Some(v.done - 1));
    assert_eq!(v.in_flight, Some(v.done));
    let p = v.progress.expect("the DEK in flight is scheduled");
    assert!((0.0..=1.0).contains(&p), "{p}");
    assert_eq!(e.deks_under(audit, TableKeyId(1)), Some((v.done, total)));
    assert_eq!(e.deks_under(audit, TableKeyId(2)), Some((0, v.done)));
    assert!(
        e.rewrap_view(TableIx::FIRST).is_none(),
        "Orders is not switching"
    );
    assert_eq!(
        e.deks_under(TableIx::FIRST, TableKeyId(1)),
        Some((0, e.tables()[0].deks().len() as u32))
    );
}

/// Every table keeps its own "when exactly" answers, not only the first one.
#[test]
fn each_table_has_its_own_milestones() {
    use rewrap::engine::table::TableIx;
    use rewrap::engine::view::Milestone;
    let r = run(&format!(
        r#"{TWO}
[[step]]
at = "1m"
do = "read"
principal = "app"
table = "Other"
[[step]]
at = "2m"
do = "disable-key"
key = "kms-2"
[[step]]
at = "10m"
do = "read"
principal = "app"
table = "Other"
"#
    ));
    let e = r.engine();
    let other = TableIx(2);
    let m = e.milestones(other);
    assert!(m.inaccessible_since.is_some(), "{m:?}");
    assert_eq!(
        m.first_failed_read.as_ref().map(|f| f.0.to_string()),
        Some("0d 00:10:00".into())
    );
    assert!(e.milestones(TableIx::FIRST).inaccessible_since.is_none());
    assert!(
        e.milestone_marks(other)
            .iter()
            .any(|m| matches!(m, Milestone::ArchiveDue { .. })),
        "the archive deadline is due"
    );
}
