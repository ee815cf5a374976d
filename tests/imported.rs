//! Imported key material (version 2, aws-behaviour.md #55, 60, 67, 98, 99): expiry and deletion at once,
//! re-import of the same material, no rotation, and the load-time checks.

use std::sync::Arc;

use rewrap::runner::Runner;
use rewrap::scenario;

const BASE: &str = r#"title = "byok"
[[key]]
id = "kms-byok"
origin = "external"
EXPIRES
[table]
key = "kms-byok"
[[principal]]
name = "app"
"#;

fn world(expires: &str, steps: &str) -> String {
    format!("{}{steps}", BASE.replace("EXPIRES", expires))
}

fn run(text: &str) -> Runner {
    let s = scenario::parse("byok.toml", text).unwrap_or_else(|d| panic!("{d}"));
    let mut r = Runner::new(Arc::new(s)).unwrap();
    r.run_to_end();
    r
}

fn failures(r: &Runner) -> Vec<String> {
    r.failures().iter().map(ToString::to_string).collect()
}

#[test]
fn expiry_removes_the_material_at_once_and_reimport_brings_it_back() {
    let r = run(&world(
        r#"expires = "2d""#,
        r#"
[[step]]
at = "2d"
do = "wait"
expect = { keys = { kms-byok = "pending-import" }, recoverable = true }
[[step]]
at = "2d 10m"
do = "read"
principal = "app"
expect = { error = "AccessDeniedException", kms_error = "KMSInvalidStateException", table = "inaccessible" }
[[step]]
at = "2d 1h"
do = "import-key-material"
key = "kms-byok"
expires = "1d"
expect = { outcome = "ok", keys = { kms-byok = "enabled" } }
[[step]]
at = "2d 2h"
do = "read"
principal = "app"
expect = { outcome = "ok", table = "active" }
[[step]]
at = "3d 1h"
do = "wait"
expect = { keys = { kms-byok = "pending-import" } }
"#,
    ));
    assert!(failures(&r).is_empty(), "{:?}", failures(&r));
}

#[test]
fn deletion_of_a_key_without_material_cancels_back_to_pending_import() {
    let r = run(&world(
        "",
        r#"
[[step]]
at = "1m"
do = "delete-imported-material"
key = "kms-byok"
expect = { outcome = "ok", keys = { kms-byok = "pending-import" } }
[[step]]
at = "2m"
do = "delete-imported-material"
key = "kms-byok"
expect = { outcome = "ok", keys = { kms-byok = "pending-import" } }
[[step]]
at = "3m"
do = "enable-key"
key = "kms-byok"
expect = { outcome = "error", error = "KMSInvalidStateException" }
[[step]]
at = "4m"
do = "schedule-key-deletion"
key = "kms-byok"
days = 7
expect = { outcome = "ok", keys = { kms-byok = "pending-deletion" } }
[[step]]
at = "5m"
do = "cancel-key-deletion"
key = "kms-byok"
expect = { outcome = "ok", keys = { kms-byok = "pending-import" } }
[[step]]
at = "6m"
do = "rotate-key"
key = "kms-byok"
expect = { outcome = "error", kms_error = "KMSInvalidStateException" }
"#,
    ));
    assert!(failures(&r).is_empty(), "{:?}", failures(&r));
}

#[test]
fn aws_generated_keys_have_no_material_to_delete_or_import() {
    let text = r#"title = "t"
[[key]]
id = "kms-1"
[table]
key = "kms-1"
[[step]]
at = "1m"
do = "delete-imported-material"
key = "kms-1"
expect = { outcome = "error", kms_error = "UnsupportedOperationException", keys = { kms-1 = "enabled" } }
[[step]]
at = "2m"
do = "import-key-material"
key = "kms-1"
expect = { outcome = "error", kms_error = "UnsupportedOperationException" }
"#;
    let r = run(text);
    assert!(failures(&r).is_empty(), "{:?}", failures(&r));
}

#[test]
fn load_time_checks_name_the_field_and_line() {
    for (expires, needle, line) in [
        (r#"expires = "366d""#, "over 365 days", 5),
        ("rotation_days = 365", "does not rotate automatically", 5),
    ] {
        let e = scenario::parse("bad.toml", &world(expires, ""))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(needle) && e.contains(&format!("bad.toml:{line}:")),
            "{e}"
        );
    }
    let not_external =
        "title = \"t\"\n[[key]]\nid = \"kms-1\"\nexpires = \"30d\"\n[table]\nkey = \"kms-1\"\n";
    let e = scenario::parse("bad.toml", not_external)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("is for imported key material") && e.contains("bad.toml:4:"),
        "{e}"
    );
    let wrong_field = format!(
        "{}[[step]]\nat = \"1m\"\ndo = \"wait\"\nexpires = \"1d\"\n",
        BASE.replace("EXPIRES", "")
    );
    let e = scenario::parse("bad.toml", &wrong_field)
        .unwrap_err()
        .to_string();
    assert!(e.contains("`expires` does not apply to `wait`"), "{e}");
}

/// Rotating a key whose imported material is gone needs material it does not have: the
/// key-state rule answers first (KMSInvalidStateException), not "imported keys never rotate".
#[test]
fn rotating_a_pending_import_key_is_an_invalid_state() {
    let text = r#"title = "rotate pending import"
[[key]]
id = "kms-x"
origin = "external"
expires = "1d"
[table]
key = "kms-x"
[[step]]
at = "1d 1m"
do = "rotate-key"
key = "kms-x"
expect = { outcome = "error", error = "KMSInvalidStateException", keys = { kms-x = "pending-import" } }
[[step]]
at = "1d 2m"
do = "import-key-material"
key = "kms-x"
expires = "+30d"
expect = { outcome = "ok", keys = { kms-x = "enabled" } }
[[step]]
at = "1d 3m"
do = "rotate-key"
key = "kms-x"
expect = { outcome = "error", error = "UnsupportedOperationException" }
"#;
    let s = rewrap::scenario::parse("t.toml", text).unwrap_or_else(|d| panic!("{d}"));
    let mut r = rewrap::runner::Runner::new(std::sync::Arc::new(s)).unwrap();
    r.run_to_end();
    assert!(r.failures().is_empty(), "{:#?}", r.failures());
}
