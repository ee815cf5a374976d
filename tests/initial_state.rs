//! Version 3: a world that starts mid-story. Keys pending deletion or import, tables and
//! replicas inaccessible, archived or removed since a time before the start, a key change under
//! way, DynamoDB's grant revoked, backups taken before the start. Each is seeded into the
//! agenda as if steps had reached it, and `check` holds the clocks to what the facts say.

use std::fmt::Write as _;
use std::sync::Arc;

use rewrap::runner::Runner;
use rewrap::scenario;

fn run(text: &str) -> Runner {
    let s = scenario::parse("t.toml", text).unwrap_or_else(|d| panic!("{d}"));
    let mut r = Runner::new(Arc::new(s)).unwrap();
    r.run_to_end();
    r
}

fn ok(text: &str) -> Runner {
    let r = run(text);
    let failures: Vec<String> = r.failures().iter().map(ToString::to_string).collect();
    assert!(failures.is_empty(), "{failures:#?}");
    r
}

/// The load error for `text`: (message, line, col).
fn refused(text: &str) -> (String, usize, usize) {
    let d = scenario::parse("t.toml", text).expect_err("should be refused at load");
    (d.message.clone(), d.line, d.col)
}

fn log(r: &Runner) -> String {
    r.engine()
        .log()
        .iter()
        .map(|e| rewrap::report::text_line(e) + "\n")
        .collect()
}

#[test]
fn a_key_pending_deletion_is_deleted_at_its_date_and_the_inaccessible_table_archives_from_since() {
    // Inaccessible two days before the start: the archive falls 7d after that, at 5d; the
    // key's DeletionDate is 5d 3h from the start.
    let r = ok(r#"title = "mid-story"
[[key]]
id = "kms-1"
state = "pending-deletion"
deletion_in = "5d 3h"
[table]
key = "kms-1"
status = "inaccessible"
since = "-2d"
[[principal]]
name = "app"
[[step]]
at = "1m"
do = "read"
principal = "app"
expect = { outcome = "error", kms_error = "KMSInvalidStateException", table = "inaccessible", keys = { kms-1 = "pending-deletion" }, recoverable = true }
[[step]]
at = "4d 23h 59m"
do = "wait"
expect = { table = "inaccessible" }
[[step]]
at = "5d"
do = "wait"
expect = { table = "archiving" }
[[step]]
at = "5d 2h 59m"
do = "wait"
expect = { table = "archived", keys = { kms-1 = "pending-deletion" }, recoverable = true }
[[step]]
at = "5d 3h"
do = "wait"
expect = { keys = { kms-1 = "deleted" }, recoverable = false }
"#);
    let text = log(&r);
    assert!(
        text.contains("declared: inaccessible since 2d before the start"),
        "{text}"
    );
    let m = r.engine().milestones(rewrap::engine::table::TableIx(0));
    assert_eq!(
        m.before_start,
        rewrap::engine::time::SimDuration::from_days(2)
    );
}

#[test]
fn a_table_under_a_key_that_cannot_be_used_at_the_start_is_noticed_at_the_first_check() {
    // Written `active` under a disabled key: DynamoDB notices at its background check
    // (`detection`, 10m by default), as after a disable-key step.
    ok(r#"title = "noticed"
[[key]]
id = "kms-1"
state = "disabled"
[table]
key = "kms-1"
status = "active"
[[step]]
at = "9m"
do = "wait"
expect = { table = "active" }
[[step]]
at = "10m"
do = "wait"
expect = { table = "inaccessible" }
[[step]]
at = "7d 10m"
do = "wait"
expect = { table = "archiving" }
"#);
}

#[test]
fn a_key_pending_import_blocks_its_tables_until_the_same_material_is_imported() {
    ok(r#"title = "byok"
[[key]]
id = "byok"
origin = "external"
state = "pending-import"
[table]
key = "byok"
status = "inaccessible"
since = "-1h"
[[principal]]
name = "app"
[[step]]
at = "1m"
do = "read"
principal = "app"
expect = { outcome = "error", keys = { byok = "pending-import" }, recoverable = true }
[[step]]
at = "2m"
do = "import-key-material"
key = "byok"
expect = { keys = { byok = "enabled" } }
[[step]]
at = "15m"
do = "read"
principal = "app"
expect = { outcome = "ok", table = "active" }
"#);
}

#[test]
fn an_archived_table_has_its_archival_backup_under_its_key_and_can_be_restored() {
    ok(r#"title = "archived"
[[key]]
id = "kms-1"
state = "disabled"
[[key]]
id = "kms-2"
[table]
key = "kms-1"
status = "archived"
since = "-30d"
[[principal]]
name = "app"
[[step]]
at = "1m"
do = "restore"
backup = "archival"
to = "Back"
expect = { error = "AccessDeniedException", table = "archived", backups = { archival = "blocked" } }
[[step]]
at = "2m"
do = "enable-key"
key = "kms-1"
[[step]]
at = "3m"
do = "restore"
backup = "archival"
to = "Back"
key = "kms-2"
expect = { outcome = "ok", tables = { Back = "active" } }
[[step]]
at = "4m"
do = "read"
principal = "app"
table = "Back"
expect = { outcome = "ok", wrapped_by = "kms-2" }
"#);
}

#[test]
fn a_backup_under_an_earlier_key_needs_that_key_not_the_tables() {
    // Taken 40 days ago, before the table moved to kms-2: deleting kms-1 loses the backup
    // and leaves the table readable.
    let r = ok(r#"title = "old backup"
[[key]]
id = "kms-1"
[[key]]
id = "kms-2"
[table]
key = "kms-2"
[[backup]]
name = "before-switch"
table = "Orders"
key = "kms-1"
taken = "-40d"
[[principal]]
name = "app"
[[step]]
at = "1m"
do = "schedule-key-deletion"
key = "kms-1"
days = 7
expect = { backups = { before-switch = "blocked" } }
[[step]]
at = "7d 1m"
do = "read"
principal = "app"
expect = { outcome = "ok", recoverable = true, backups = { before-switch = "lost" } }
"#);
    let b = r.engine().backup_named("before-switch").unwrap();
    assert_eq!(b.key().as_str(), "kms-1");
    assert!(log(&r).contains("taken 40d before the start"));
}

#[test]
fn a_backup_under_an_earlier_key_restores_with_real_crypto_while_that_key_lives() {
    ok(r#"title = "restore old"
[[key]]
id = "kms-1"
[[key]]
id = "kms-2"
[table]
key = "kms-2"
items = 20
[[backup]]
name = "vault"
table = "Orders"
key = "kms-1"
taken = "-3d"
kind = "aws-backup"
[[principal]]
name = "app"
[[step]]
at = "1m"
do = "disable-key"
key = "kms-2"
[[step]]
at = "2m"
do = "restore"
backup = "vault"
to = "FromVault"
expect = { outcome = "ok", tables = { FromVault = "active" } }
[[step]]
at = "3m"
do = "read"
principal = "app"
table = "FromVault"
expect = { outcome = "ok", wrapped_by = "kms-1" }
"#);
}

#[test]
fn a_key_change_under_way_at_the_start_finishes_its_re_wrap() {
    ok(r#"title = "switching"
[[key]]
id = "kms-1"
[[key]]
id = "kms-2"
[table]
key = "kms-1"
deks = 4
switching_to = "kms-2"
[[principal]]
name = "app"
[[step]]
at = "7s"
do = "wait"
expect = { sse = "updating", wrapped_by = "kms-1" }
[[step]]
at = "8s"
do = "wait"
expect = { sse = "enabled", wrapped_by = "kms-2" }
"#);
}

#[test]
fn a_revoked_grant_makes_the_table_inaccessible_at_the_first_check_and_create_grant_heals_it() {
    ok(r#"title = "grant"
[[key]]
id = "kms-1"
[table]
key = "kms-1"
grant = "revoked"
[[principal]]
name = "app"
[[step]]
at = "1m"
do = "read"
principal = "app"
expect = { outcome = "ok", grant = "revoked", table = "active" }
[[step]]
at = "10m"
do = "wait"
expect = { table = "inaccessible" }
[[step]]
at = "11m"
do = "create-grant"
expect = { grant = "active" }
[[step]]
at = "21m"
do = "wait"
expect = { table = "active" }
"#);
}

#[test]
fn a_replica_removed_before_the_start_gets_no_writes_and_one_inaccessible_is_removed_on_time() {
    ok(r#"title = "replicas"
[[key]]
id = "kms-1"
[[key]]
id = "kms-eu"
region = "eu-west-1"
[[key]]
id = "kms-ap"
region = "ap-south-1"
state = "disabled"
[table]
key = "kms-1"
[[table.replica]]
region = "eu-west-1"
key = "kms-eu"
status = "removed"
since = "-3d"
[[table.replica]]
region = "ap-south-1"
key = "kms-ap"
status = "inaccessible"
since = "-19h"
[[principal]]
name = "app"
[[step]]
at = "1m"
do = "write"
principal = "app"
expect = { outcome = "ok", replicas = { eu-west-1 = "removed", ap-south-1 = "inaccessible" } }
[[step]]
at = "1h"
do = "wait"
expect = { replicas = { ap-south-1 = "inaccessible" } }
[[step]]
at = "1h 1s"
do = "wait"
expect = { replicas = { ap-south-1 = "removed" } }
"#);
}

#[test]
fn files_whose_start_contradicts_the_facts_are_refused_where_they_say_it() {
    let base = "title = \"t\"\n[[key]]\nid = \"kms-1\"\n";
    let cases: [(String, &str, (usize, usize)); 10] = [
        (
            format!("{base}[table]\nkey = \"kms-1\"\nstatus = \"inaccessible\"\nsince = \"-8d\"\n"),
            "would have been archived already",
            (7, 9),
        ),
        (
            format!("{base}[table]\nkey = \"kms-1\"\nstatus = \"inaccessible\"\nsince = \"2d\"\n"),
            "is after the start",
            (7, 9),
        ),
        (
            format!("{base}[table]\nkey = \"kms-1\"\nsince = \"-2d\"\n"),
            "`since` is for a status other than active",
            (6, 9),
        ),
        (
            "title = \"t\"\n[[key]]\nid = \"k\"\nstate = \"pending-deletion\"\n[table]\nkey = \"k\"\nstatus = \"inaccessible\"\n".into(),
            "needs `deletion_in`",
            (4, 9),
        ),
        (
            "title = \"t\"\n[[key]]\nid = \"k\"\nstate = \"pending-deletion\"\ndeletion_in = \"31d\"\n[table]\nkey = \"k\"\nstatus = \"inaccessible\"\n".into(),
            "out of range",
            (5, 15),
        ),
        (
            "title = \"t\"\n[[key]]\nid = \"k\"\nstate = \"pending-import\"\n[table]\nkey = \"k\"\nstatus = \"inaccessible\"\n".into(),
            "only a key with imported material",
            (4, 9),
        ),
        (
            "title = \"t\"\n[[key]]\nid = \"k\"\nstate = \"disabled\"\n[table]\nkey = \"k\"\n".into(),
            "starts disabled",
            (6, 7),
        ),
        (
            format!("{base}[table]\nkey = \"kms-1\"\n[[backup]]\nname = \"archival\"\ntable = \"Orders\"\n"),
            "archival",
            (7, 8),
        ),
        (
            format!("{base}[table]\nkey = \"kms-1\"\n[[backup]]\nname = \"b\"\ntable = \"Nope\"\n"),
            "Nope",
            (8, 9),
        ),
        (
            format!("{base}[table]\nkey = \"kms-1\"\n[[backup]]\nname = \"b\"\ntable = \"Orders\"\n[[step]]\nat = \"1m\"\ndo = \"backup\"\nbackup = \"b\"\n"),
            "used twice",
            (12, 10),
        ),
    ];
    for (text, why, at) in cases {
        let (message, line, col) = refused(&text);
        assert!(message.contains(why), "{why}: {message}\n{text}");
        assert_eq!((line, col), at, "{message}\n{text}");
    }
}

#[test]
fn a_file_without_version_3_fields_runs_exactly_as_before() {
    // Every key starts enabled while tables are built, then takes its declared state: a
    // version-1 key that starts disabled (no table under it) is created Disabled, as before.
    let r = ok(r#"title = "v1"
[[key]]
id = "kms-1"
[[key]]
id = "spare"
state = "disabled"
[table]
key = "kms-1"
[[step]]
at = "1m"
do = "wait"
expect = { keys = { spare = "disabled", kms-1 = "enabled" } }
"#);
    assert!(log(&r).contains("spare created (customer managed), Disabled"));
}

#[test]
fn backups_before_the_start_count_toward_the_worlds_dek_budget() {
    let mut text =
        "title = \"t\"\n[[key]]\nid = \"kms-1\"\n[table]\nkey = \"kms-1\"\ndeks = 400000\n"
            .to_string();
    for i in 0..4 {
        let _ = write!(
            text,
            "[[backup]]
name = \"b{i}\"
table = \"Orders\"
"
        );
    }
    let (message, _, _) = refused(&text);
    assert!(message.contains("hold too much in all"), "{message}");
    // Two backups fit: 400k DEKs, 400k more for its archival backup, 800k in backups.
    let two = text
        .split("[[backup]]")
        .take(3)
        .collect::<Vec<_>>()
        .join("[[backup]]");
    assert!(scenario::parse("t.toml", &two).is_ok());
}

#[test]
fn a_mid_story_world_saved_from_the_live_view_reloads_and_replays_the_same() {
    let text = r#"title = "saved"
[[key]]
id = "kms-1"
state = "pending-deletion"
deletion_in = "9d"
[[key]]
id = "kms-2"
[[key]]
id = "kms-eu"
region = "eu-west-1"
state = "disabled"
[[key]]
id = "byok"
origin = "external"
state = "pending-import"
[[table]]
name = "Orders"
key = "kms-1"
status = "inaccessible"
since = "-1d 2h"
[[table.replica]]
region = "eu-west-1"
key = "kms-eu"
status = "removed"
since = "-2d"
[[table]]
name = "Audit"
key = "kms-2"
switching_to = "aws-owned"
grant = "revoked"
[[table]]
name = "Billing"
key = "byok"
status = "archived"
since = "-30d"
[[table]]
name = "Spare"
key = "kms-eu"
status = "active"
[[backup]]
name = "old"
table = "Audit"
key = "kms-1"
taken = "-40d 3h"
kind = "aws-backup"
[[principal]]
name = "app"
[[step]]
at = "1m"
do = "read"
principal = "app"
table = "Audit"
[[step]]
at = "8d"
do = "wait"
"#;
    let s = Arc::new(scenario::parse("t.toml", text).unwrap());
    let mut session = rewrap::session::Session::new(s).unwrap();
    session.run_to_end();
    let saved = session.exploration_toml();
    let again = scenario::parse("saved.toml", &saved).unwrap_or_else(|d| panic!("{d}\n{saved}"));
    let mut r = Runner::new(Arc::new(again)).unwrap();
    r.run_to_end();
    let failures: Vec<String> = r.failures().iter().map(ToString::to_string).collect();
    assert!(failures.is_empty(), "{failures:#?}\n{saved}");
    assert_eq!(log(&r), log(session.runner()), "{saved}");
    for field in [
        "deletion_in = \"9d\"",
        "since = \"-1d 2h\"",
        "status = \"removed\"",
        "switching_to = \"aws-owned\"",
        "grant = \"revoked\"",
        "status = \"archived\"",
        "taken = \"-40d 3h\"",
        "kind = \"aws-backup\"",
        "state = \"pending-import\"",
    ] {
        assert!(saved.contains(field), "{field}\n{saved}");
    }
}

#[test]
fn run_computes_when_reads_would_fail_not_only_when_a_read_did() {
    // One connection read at 1m (its cache runs to 6m), the other never read: after the
    // disable at 2m, a read on the second would fail at once; on every connection from 6m.
    // The file's only later read is at 30m: the computed moments do not wait for it.
    let text = r#"title = "computed"
[[key]]
id = "kms-1"
[table]
key = "kms-1"
[[principal]]
name = "app"
connections = 2
[[step]]
at = "1m"
do = "read"
principal = "app"
[[step]]
at = "2m"
do = "disable-key"
key = "kms-1"
[[step]]
at = "20m"
do = "enable-key"
key = "kms-1"
[[step]]
at = "30m"
do = "read"
principal = "app"
"#;
    let dir = std::env::temp_dir().join(format!("rewrap-reads-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("computed.toml");
    std::fs::write(&f, text).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rewrap"))
        .args(["run", "--json"])
        .arg(&f)
        .output()
        .unwrap();
    let last = String::from_utf8_lossy(&out.stdout)
        .lines()
        .last()
        .unwrap()
        .to_string();
    let v: serde_json::Value = serde_json::from_str(&last).unwrap();
    let reads = &v["milestones"]["reads"];
    assert_eq!(reads["fail_from_ms"], 120_000, "{reads}");
    assert_eq!(reads["fail_everywhere_ms"], 360_000, "{reads}");
    // Enabled at 20m: KMS answers again at once (propagation 0s by default).
    assert_eq!(reads["work_again_ms"], 1_200_000, "{reads}");
    let _ = std::fs::remove_dir_all(&dir);
}
