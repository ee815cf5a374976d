//! The KMS edges of the key-state table (aws-behaviour.md #103-105): grants on keys that are
//! not enabled, imported material deleted from a key pending deletion or pending import,
//! on-demand rotation of imported material, the rotation limit of 25; and three log details:
//! no CreateGrant on the AWS owned key, the quota's next allowed change near a window's end,
//! the archive deadline's check on a deleted key.

use std::fmt::Write as _;
use std::sync::Arc;

use rewrap::runner::Runner;
use rewrap::scenario;

const KEYS: &str = r#"title = "edges"
[[key]]
id = "kms-1"
[[key]]
id = "kms-2"
[[key]]
id = "byok"
origin = "external"
[[principal]]
name = "app"
"#;

fn run_with(table_key: &str, steps: &str) -> Runner {
    let text = format!("{KEYS}[table]\nkey = \"{table_key}\"\ndeks = 4\n{steps}");
    let s = scenario::parse("edges.toml", &text).unwrap_or_else(|d| panic!("{d}"));
    let mut r = Runner::new(Arc::new(s)).unwrap();
    r.run_to_end();
    r
}

fn run(steps: &str) -> Runner {
    run_with("kms-1", steps)
}

fn failures(r: &Runner) -> Vec<String> {
    r.failures().iter().map(ToString::to_string).collect()
}

fn log_text(r: &Runner) -> Vec<String> {
    r.engine()
        .log()
        .iter()
        .map(rewrap::report::json_line)
        .collect()
}

#[test]
fn create_grant_follows_the_key_state() {
    let r = run(r#"
[[step]]
at = "1m"
do = "revoke-grant"
[[step]]
at = "2m"
do = "disable-key"
key = "kms-1"
[[step]]
at = "3m"
do = "create-grant"
expect = { outcome = "error", error = "DisabledException", kms_error = "DisabledException", grant = "revoked" }
[[step]]
at = "4m"
do = "schedule-key-deletion"
key = "kms-1"
days = 7
[[step]]
at = "5m"
do = "create-grant"
expect = { outcome = "error", error = "KMSInvalidStateException", grant = "revoked" }
[[step]]
at = "6m"
do = "cancel-key-deletion"
key = "kms-1"
[[step]]
at = "7m"
do = "enable-key"
key = "kms-1"
[[step]]
at = "8m"
do = "create-grant"
expect = { outcome = "ok", grant = "active" }
"#);
    assert!(failures(&r).is_empty(), "{:#?}", failures(&r));
}

#[test]
fn grants_on_a_deleted_key_are_not_found() {
    let r = run(r#"
[[step]]
at = "1m"
do = "schedule-key-deletion"
key = "kms-1"
days = 7
[[step]]
at = "7d 1m"
do = "revoke-grant"
expect = { outcome = "error", error = "NotFoundException", kms_error = "NotFoundException" }
[[step]]
at = "7d 2m"
do = "create-grant"
expect = { outcome = "error", error = "NotFoundException" }
"#);
    assert!(failures(&r).is_empty(), "{:#?}", failures(&r));
}

#[test]
fn revoke_grant_works_on_a_disabled_or_pending_deletion_key() {
    let r = run(r#"
[[step]]
at = "1m"
do = "schedule-key-deletion"
key = "kms-1"
days = 7
[[step]]
at = "2m"
do = "revoke-grant"
expect = { outcome = "ok", grant = "revoked" }
"#);
    assert!(failures(&r).is_empty(), "{:#?}", failures(&r));
}

#[test]
fn create_grant_on_a_pending_import_key_is_an_invalid_state() {
    let r = run_with(
        "byok",
        r#"
[[step]]
at = "1m"
do = "revoke-grant"
[[step]]
at = "2m"
do = "delete-imported-material"
key = "byok"
expect = { keys = { byok = "pending-import" } }
[[step]]
at = "3m"
do = "create-grant"
expect = { outcome = "error", error = "KMSInvalidStateException" }
"#,
    );
    assert!(failures(&r).is_empty(), "{:#?}", failures(&r));
}

#[test]
fn deleting_imported_material_of_a_key_pending_deletion_keeps_it_pending_deletion() {
    let r = run_with(
        "byok",
        r#"
[[step]]
at = "1m"
do = "schedule-key-deletion"
key = "byok"
days = 7
[[step]]
at = "2m"
do = "delete-imported-material"
key = "byok"
expect = { outcome = "ok", keys = { byok = "pending-deletion" } }
[[step]]
at = "3m"
do = "cancel-key-deletion"
key = "byok"
expect = { outcome = "ok", keys = { byok = "pending-import" } }
[[step]]
at = "4m"
do = "import-key-material"
key = "byok"
expect = { outcome = "ok", keys = { byok = "enabled" } }
"#,
    );
    assert!(failures(&r).is_empty(), "{:#?}", failures(&r));
}

#[test]
fn deleting_imported_material_of_a_pending_import_key_succeeds_with_no_effect() {
    let r = run_with(
        "byok",
        r#"
[[step]]
at = "1m"
do = "delete-imported-material"
key = "byok"
[[step]]
at = "2m"
do = "delete-imported-material"
key = "byok"
expect = { outcome = "ok", keys = { byok = "pending-import" } }
"#,
    );
    assert!(failures(&r).is_empty(), "{:#?}", failures(&r));
    let removed = log_text(&r)
        .iter()
        .filter(|l| l.contains("imported_material_removed"))
        .count();
    assert_eq!(removed, 1, "the second deletion changes nothing");
}

#[test]
fn imported_material_rotates_on_demand_once_new_material_is_imported() {
    let r = run_with(
        "byok",
        r#"
[[step]]
at = "1m"
do = "rotate-key"
key = "byok"
expect = { outcome = "error", error = "UnsupportedOperationException" }
[[step]]
at = "2m"
do = "import-key-material"
key = "byok"
new_material = true
expect = { outcome = "ok", keys = { byok = "enabled" } }
[[step]]
at = "3m"
do = "rotate-key"
key = "byok"
expect = { outcome = "ok" }
[[step]]
at = "4m"
do = "rotate-key"
key = "byok"
expect = { outcome = "error", error = "UnsupportedOperationException" }
[[step]]
at = "10m"
do = "read"
principal = "app"
expect = { outcome = "ok" }
"#,
    );
    assert!(failures(&r).is_empty(), "{:#?}", failures(&r));
    let k = r
        .engine()
        .keys()
        .iter()
        .find(|k| k.id().as_str() == "byok")
        .unwrap();
    assert_eq!(k.current_version(), 2, "the new material is current");
}

#[test]
fn new_material_needs_a_key_with_imported_material_present() {
    let r = run_with(
        "kms-2",
        r#"
[[step]]
at = "1m"
do = "import-key-material"
key = "kms-1"
new_material = true
expect = { outcome = "error", error = "UnsupportedOperationException" }
[[step]]
at = "2m"
do = "delete-imported-material"
key = "byok"
[[step]]
at = "3m"
do = "import-key-material"
key = "byok"
new_material = true
expect = { outcome = "error", error = "KMSInvalidStateException" }
"#,
    );
    assert!(failures(&r).is_empty(), "{:#?}", failures(&r));
}

#[test]
fn new_material_is_refused_on_other_actions_at_load() {
    let text = format!(
        "{KEYS}[table]\nkey = \"kms-1\"\n[[step]]\nat = \"1m\"\ndo = \"rotate-key\"\nkey = \"kms-1\"\nnew_material = true\n"
    );
    let d = scenario::parse("edges.toml", &text).unwrap_err();
    assert!(d.to_string().contains("new_material"), "{d}");
}

#[test]
fn the_on_demand_rotation_limit_defaults_to_25() {
    let mut steps = String::new();
    for i in 1..=26 {
        let expect = if i <= 25 {
            r#"{ outcome = "ok" }"#
        } else {
            r#"{ outcome = "error", error = "LimitExceededException" }"#
        };
        let _ = writeln!(
            steps,
            "[[step]]\nat = \"{i}m\"\ndo = \"rotate-key\"\nkey = \"kms-2\"\nexpect = {expect}"
        );
    }
    let r = run(&steps);
    assert!(failures(&r).is_empty(), "{:#?}", failures(&r));
}

#[test]
fn no_create_grant_is_logged_on_the_aws_owned_key() {
    let r = run_with(
        "aws-owned",
        r#"
[[step]]
at = "1m"
do = "change-table-key"
key = "kms-1"
[[step]]
at = "1h"
do = "change-table-key"
key = "aws-owned"
"#,
    );
    let grants: Vec<String> = log_text(&r)
        .into_iter()
        .filter(|l| l.contains("\"CreateGrant\""))
        .collect();
    assert_eq!(grants.len(), 1, "only kms-1's grant: {grants:#?}");
    assert!(grants[0].contains("\"key\":\"kms-1\""), "{}", grants[0]);
}

#[test]
fn the_quota_names_the_next_window_when_it_comes_before_the_spacing() {
    // Four changes in the first window, the last at 20:00; a fifth at 23:59:59 is refused, and
    // the next allowed change is when the new window opens (1d 00:00:00), not 20:00 + 6h.
    let r = run(r#"
[[step]]
at = "1h"
do = "change-table-key"
key = "kms-2"
[[step]]
at = "2h"
do = "change-table-key"
key = "kms-1"
[[step]]
at = "3h"
do = "change-table-key"
key = "kms-2"
[[step]]
at = "20h"
do = "change-table-key"
key = "kms-1"
[[step]]
at = "23h 59m 59s"
do = "change-table-key"
key = "kms-2"
expect = { outcome = "error", error = "LimitExceededException" }
[[step]]
at = "1d"
do = "change-table-key"
key = "kms-2"
expect = { outcome = "ok" }
"#);
    assert!(failures(&r).is_empty(), "{:#?}", failures(&r));
    let refused = log_text(&r)
        .into_iter()
        .find(|l| l.contains("Subscriber limit exceeded"))
        .expect("the refusal is logged");
    assert!(
        refused.contains("Next change allowed at 1d 00:00:00"),
        "{refused}"
    );
}

#[test]
fn the_archive_deadline_check_on_a_deleted_key_is_not_found() {
    // The grant is revoked, then the key is deleted before the archive deadline: DynamoDB's
    // last try meets a key that no longer exists.
    let r = run(r#"
[[step]]
at = "1m"
do = "revoke-grant"
[[step]]
at = "2m"
do = "schedule-key-deletion"
key = "kms-1"
days = 7
[[step]]
at = "8d"
do = "wait"
expect = { table = "archived", recoverable = false }
"#);
    assert!(failures(&r).is_empty(), "{:#?}", failures(&r));
    let check = log_text(&r)
        .into_iter()
        .find(|l| l.contains("archive deadline check"))
        .expect("the deadline's check is logged");
    assert!(check.contains("NotFoundException"), "{check}");
}
