//! DynamoDB's grant (version 2): revoked, DynamoDB's own calls fail while principals still
//! read; re-created, the table recovers; the assumption `grant_recreate`.

use std::sync::Arc;

use rewrap::runner::Runner;
use rewrap::scenario;

const BASE: &str = r#"title = "grant"
ASSUMPTIONS
[[key]]
id = "kms-1"
[[key]]
id = "kms-2"
[table]
key = "kms-1"
deks = 40
[[principal]]
name = "app"
"#;

fn run(assumptions: &str, steps: &str) -> Runner {
    let text = format!("{}{steps}", BASE.replace("ASSUMPTIONS", assumptions));
    let s = scenario::parse("g.toml", &text).unwrap_or_else(|d| panic!("{d}"));
    let mut r = Runner::new(Arc::new(s)).unwrap();
    r.run_to_end();
    r
}

fn failures(r: &Runner) -> Vec<String> {
    r.failures().iter().map(ToString::to_string).collect()
}

#[test]
fn a_revoked_grant_fails_dynamodbs_own_calls_not_principals_reads() {
    let r = run(
        "",
        r#"
[[step]]
at = "1m"
do = "revoke-grant"
expect = { outcome = "ok", grant = "revoked" }
[[step]]
at = "2m"
do = "revoke-grant"
expect = { outcome = "error", error = "NotFoundException" }
[[step]]
at = "3m"
do = "read"
principal = "app"
expect = { outcome = "ok", table = "active" }
[[step]]
at = "11m"
do = "wait"
expect = { table = "inaccessible" }
[[step]]
at = "12m"
do = "read"
principal = "app"
expect = { outcome = "ok", table = "inaccessible" }
[[step]]
at = "13m"
do = "create-grant"
expect = { outcome = "ok", grant = "active" }
[[step]]
at = "23m"
do = "wait"
expect = { table = "active" }
"#,
    );
    assert!(failures(&r).is_empty(), "{:?}", failures(&r));
}

#[test]
fn a_rewrap_needing_a_revoked_grant_stalls_and_the_table_goes_inaccessible() {
    let r = run(
        "[assumptions]\nrewrap_per_dek = \"30s\"",
        r#"
[[step]]
at = "1m"
do = "change-table-key"
key = "kms-2"
expect = { outcome = "ok", sse = "updating" }
[[step]]
at = "2m"
do = "revoke-grant"
expect = { outcome = "ok" }
[[step]]
at = "7m"
do = "wait"
expect = { table = "inaccessible", sse = "updating" }
"#,
    );
    assert!(failures(&r).is_empty(), "{:?}", failures(&r));
}

#[test]
fn grant_recreate_refused_is_an_assumption_the_run_prints() {
    let r = run(
        "[assumptions]\ngrant_recreate = \"refused\"",
        r#"
[[step]]
at = "1m"
do = "revoke-grant"
[[step]]
at = "2m"
do = "create-grant"
expect = { outcome = "error", error = "AccessDeniedException", grant = "revoked" }
"#,
    );
    assert!(failures(&r).is_empty(), "{:?}", failures(&r));
    let summary = rewrap::report::Summary::of(&r.scenario, r.engine()).text();
    assert!(summary.contains("grant_recreate"), "{summary}");
    let e = scenario::parse(
        "g.toml",
        &BASE.replace("ASSUMPTIONS", "[assumptions]\ngrant_recreate = \"maybe\""),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("unknown `grant_recreate`") && e.contains("g.toml:3:"),
        "{e}"
    );
}

/// The sandbox: `G` revokes DynamoDB's grant (and re-creates it), `i` / `I` delete and
/// re-import the selected key's imported material; a saved exploration replays them.
#[test]
fn the_sandbox_revokes_grants_and_moves_imported_material() {
    use rewrap::app::{App, Msg};
    let mut a = App::new(Arc::new(
        scenario::load("imported-material-expires").unwrap(),
    ))
    .unwrap();
    a.update(Msg::NextStep);
    a.settle();
    a.update(Msg::ToggleGrant);
    assert!(a.runner().engine().first_table().grant_revoked());
    a.update(Msg::ToggleGrant);
    assert!(!a.runner().engine().first_table().grant_revoked());
    a.update(Msg::DeleteMaterial);
    let state = |a: &App| a.runner().engine().keys()[0].state().name();
    assert_eq!(state(&a), "pending-import");
    a.update(Msg::ImportMaterial);
    assert_eq!(state(&a), "enabled");
    let text = a.session().exploration_toml();
    assert!(
        text.contains("do = \"revoke-grant\"") && text.contains("do = \"import-key-material\""),
        "{text}"
    );
    let s = scenario::parse("explored.toml", &text).unwrap_or_else(|d| panic!("{d}\n{text}"));
    let mut r = Runner::new(Arc::new(s)).unwrap();
    r.run_to_end();
    assert!(r.failures().is_empty(), "{:?}", r.failures());
}
