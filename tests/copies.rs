//! Version 2: the other copies of a table's data. On-demand backups keep the chain they were
//! taken with; restores build a new table through the whole chain; the archival backup needs
//! the table's last key; global-table replicas have their own keys, miss writes while
//! inaccessible and leave the group after `replica_removal_after`.

use std::sync::Arc;

use rewrap::engine::backup::BackupState;
use rewrap::engine::ids::ItemId;
use rewrap::engine::replica::ReplicaStatus;
use rewrap::engine::table::{TableIx, item_plaintext};
use rewrap::runner::Runner;
use rewrap::scenario;

const WORLD: &str = r#"title = "copies"
[[key]]
id = "kms-1"
[[key]]
id = "kms-2"
[[key]]
id = "kms-eu"
region = "eu-west-1"
[[table]]
name = "Orders"
key = "kms-1"
deks = 4
items = 12
[[table.replica]]
region = "eu-west-1"
key = "kms-eu"
[[principal]]
name = "app"
"#;

fn run(steps: &str) -> Runner {
    run_text(&format!("{WORLD}\n{steps}"))
}

/// A whole scenario, run to its end.
fn run_text(text: &str) -> Runner {
    let s = scenario::parse("t.toml", text).unwrap_or_else(|d| panic!("{d}"));
    let mut r = Runner::new(Arc::new(s)).unwrap();
    r.run_to_end();
    r
}

fn assert_clean(r: &Runner) {
    assert!(r.failures().is_empty(), "{:#?}", r.failures());
}

#[test]
fn a_backup_keeps_its_key_after_a_key_change_and_is_lost_with_it() {
    let r = run(r#"
[[step]]
at = "1m"
do = "backup"
backup = "b1"
[[step]]
at = "2m"
do = "change-table-key"
key = "kms-2"
[[step]]
at = "1h"
do = "schedule-key-deletion"
key = "kms-1"
days = 7
expect = { backups = { b1 = "blocked" }, recoverable = true }
[[step]]
at = "7d 2h"
do = "read"
principal = "app"
expect = { outcome = "ok", backups = { b1 = "lost" } }
[[step]]
at = "7d 3h"
do = "restore"
backup = "b1"
to = "Again"
expect = { outcome = "error", error = "AccessDeniedException", kms_error = "NotFoundException" }
[[step]]
at = "7d 4h"
do = "read"
principal = "app"
table = "Again"
expect = { outcome = "error", error = "TableNotFoundException" }
"#);
    assert_clean(&r);
    let e = r.engine();
    let b = e.backup_named("b1").unwrap();
    assert_eq!(b.key().as_str(), "kms-1");
    assert_eq!(e.backup_state(b), BackupState::Lost);
    // With the material gone nothing in the backup decrypts any more.
    assert!(e.audit_backup(b).is_err());
    assert!(e.find_table("Again").is_none());
}

#[test]
fn a_restore_builds_a_new_chain_that_decrypts_every_item() {
    let r = run(r#"
[[step]]
at = "1m"
do = "write"
principal = "app"
[[step]]
at = "2m"
do = "backup"
backup = "b1"
[[step]]
at = "3m"
do = "write"
principal = "app"
[[step]]
at = "4m"
do = "restore"
backup = "b1"
to = "Copy"
key = "kms-2"
expect = { outcome = "ok", tables = { Copy = "active" } }
[[step]]
at = "5m"
do = "read"
principal = "app"
table = "Copy"
expect = { outcome = "ok", wrapped_by = "kms-2" }
[[step]]
at = "6m"
do = "restore"
backup = "b1"
to = "Copy"
expect = { outcome = "error", error = "TableAlreadyExistsException" }
[[step]]
at = "7m"
do = "restore"
backup = "nope"
to = "Copy2"
expect = { outcome = "error", error = "BackupNotFoundException" }
[[step]]
at = "8m"
do = "restore"
backup = "b1"
to = "Copy3"
key = "kms-eu"
expect = { outcome = "error", error = "ValidationException" }
"#);
    assert_clean(&r);
    let e = r.engine();
    let copy = e.find_table("Copy").unwrap();
    let t = &e.tables()[copy.0];
    // The backup held the 13 items there were when it was taken, not the later write.
    assert_eq!(t.items().len(), 13);
    assert_eq!(t.restored_from().map(String::as_str), Some("b1"));
    assert_ne!(t.table_id(), e.tables()[0].table_id());
    for i in 0..13 {
        let pt = e.audit_item(copy, ItemId(i), None).unwrap();
        assert_eq!(pt, item_plaintext(ItemId(i)).as_bytes());
    }
    // The backup itself still decrypts through its own (old) chain.
    let b = e.backup_named("b1").unwrap();
    assert_eq!(e.audit_backup(b).unwrap().len(), 13);
}

#[test]
fn the_archival_backup_needs_the_last_key_and_restores_under_another() {
    let r = run(r#"
[[step]]
at = "1m"
do = "restore"
backup = "archival"
to = "Early"
expect = { outcome = "error", error = "BackupNotFoundException" }
[[step]]
at = "2m"
do = "disable-key"
key = "kms-1"
[[step]]
at = "8d"
do = "restore"
backup = "archival"
to = "Back"
expect = { outcome = "error", kms_error = "DisabledException", table = "archived", backups = { archival = "blocked" } }
[[step]]
at = "8d 1m"
do = "enable-key"
key = "kms-1"
expect = { table = "archived", backups = { archival = "restorable" } }
[[step]]
at = "8d 2m"
do = "restore"
backup = "archival"
to = "Back"
key = "kms-2"
expect = { outcome = "ok", tables = { Back = "active", Orders = "archived" } }
[[step]]
at = "8d 3m"
do = "read"
principal = "app"
table = "Back"
expect = { outcome = "ok", wrapped_by = "kms-2" }
"#);
    assert_clean(&r);
}

#[test]
fn a_write_reaches_the_replica_through_its_own_chain_until_it_is_inaccessible() {
    let r = run(r#"
[[step]]
at = "1m"
do = "write"
principal = "app"
[[step]]
at = "2m"
do = "disable-key"
key = "kms-eu"
[[step]]
at = "3m"
do = "write"
principal = "app"
expect = { outcome = "ok", replicas = { eu-west-1 = "active" } }
[[step]]
at = "7m"
do = "write"
principal = "app"
expect = { outcome = "ok", replicas = { eu-west-1 = "inaccessible", us-east-1 = "active" } }
[[step]]
at = "8m"
do = "enable-key"
key = "kms-eu"
[[step]]
at = "20m"
do = "write"
principal = "app"
region = "eu-west-1"
expect = { outcome = "ok", replicas = { eu-west-1 = "active" } }
"#);
    assert_clean(&r);
    let e = r.engine();
    let eu = e.copy_in(TableIx::FIRST, "eu-west-1").unwrap();
    let (us_t, eu_t) = (&e.tables()[0], &e.tables()[eu.0]);
    // 12 + 4 writes in both copies' numbering. At 3m DynamoDB's cached copy of the replica's
    // table key (fetched at 1m) still applied the write; at 7m it had run out, the Decrypt
    // failed and the write missed eu: a hole there.
    assert_eq!(us_t.items().len(), 16);
    assert_eq!(eu_t.items().len(), 16);
    assert!(!eu_t.items()[13].is_absent());
    assert!(eu_t.items()[14].is_absent());
    for i in [12u64, 13, 15] {
        assert!(e.audit_item(eu, ItemId(i), None).is_ok(), "eu item {i}");
        assert!(e.audit_item(TableIx::FIRST, ItemId(i), None).is_ok());
    }
    // Each copy has its own table key under its own KMS key.
    assert_eq!(eu_t.current_kms_key().as_str(), "kms-eu");
    assert_eq!(us_t.current_kms_key().as_str(), "kms-1");
}

#[test]
fn a_replica_leaves_the_group_after_twenty_hours_and_stays_out() {
    let r = run(r#"
[[step]]
at = "1m"
do = "disable-key"
key = "kms-eu"
[[step]]
at = "20h 10m"
do = "wait"
expect = { replicas = { eu-west-1 = "inaccessible" } }
[[step]]
at = "20h 12m"
do = "wait"
expect = { replicas = { eu-west-1 = "removed" }, table = "active" }
[[step]]
at = "21h"
do = "enable-key"
key = "kms-eu"
[[step]]
at = "22h"
do = "read"
principal = "app"
region = "eu-west-1"
expect = { outcome = "ok", replicas = { eu-west-1 = "removed" } }
[[step]]
at = "22h 1m"
do = "write"
principal = "app"
"#);
    assert_clean(&r);
    let e = r.engine();
    let eu = e.copy_in(TableIx::FIRST, "eu-west-1").unwrap();
    assert_eq!(e.replica_status(eu), ReplicaStatus::Removed);
    // The write after removal did not reach it.
    assert_eq!(e.tables()[eu.0].items().len(), 12);
    assert_eq!(e.tables()[0].items().len(), 13);
}

#[test]
fn replica_removal_follows_the_assumption() {
    let text = WORLD.replace(
        "title = \"copies\"",
        "title = \"copies\"\n[assumptions]\nreplica_removal_after = \"2h\"",
    );
    let s = scenario::parse(
        "t.toml",
        &format!(
            "{text}\n[[step]]\nat = \"1m\"\ndo = \"disable-key\"\nkey = \"kms-eu\"\n[[step]]\nat = \"2h 12m\"\ndo = \"wait\"\nexpect = {{ replicas = {{ eu-west-1 = \"removed\" }} }}\n"
        ),
    )
    .unwrap();
    let mut r = Runner::new(Arc::new(s)).unwrap();
    r.run_to_end();
    assert_clean(&r);
}

#[test]
fn the_ledger_lists_every_copy_with_the_key_it_needs() {
    let r = run(r#"
[[step]]
at = "1m"
do = "backup"
backup = "b1"
[[step]]
at = "2m"
do = "change-table-key"
key = "kms-2"
[[step]]
at = "1h"
do = "schedule-key-deletion"
key = "kms-1"
days = 7
[[step]]
at = "8d"
do = "wait"
"#);
    let s = rewrap::report::Summary::of(&r.scenario, r.engine());
    let rows: Vec<(String, String, String)> = s
        .ledger
        .iter()
        .map(|l| (l.copy.clone(), l.key.clone(), l.state.clone()))
        .collect();
    assert!(
        rows.iter()
            .any(|(c, k, st)| c == "table us-east-1" && k == "kms-2" && st.starts_with("readable")),
        "{rows:?}"
    );
    assert!(
        rows.iter()
            .any(|(c, k, _)| c == "replica eu-west-1" && k == "kms-eu"),
        "{rows:?}"
    );
    assert!(
        rows.iter()
            .any(|(c, k, st)| c == "backup b1" && k == "kms-1" && st.starts_with("LOST")),
        "{rows:?}"
    );
    let b1 = s.ledger.iter().find(|l| l.copy == "backup b1").unwrap();
    assert!(b1.lost_since.is_some());
}

/// "Inaccessible for more than replica_removal_after": at exactly 20 hours the replica is
/// still in the group; a second later it is not.
#[test]
fn replica_removal_is_after_more_than_twenty_hours() {
    let r = run(r#"
[[step]]
at = "1m"
do = "disable-key"
key = "kms-eu"
[[step]]
at = "11m"
do = "wait"
expect = { replicas = { eu-west-1 = "inaccessible" } }
[[step]]
at = "20h 11m"
do = "wait"
expect = { replicas = { eu-west-1 = "inaccessible" } }
[[step]]
at = "20h 11m 1s"
do = "wait"
expect = { replicas = { eu-west-1 = "removed" } }
"#);
    assert_clean(&r);
}

/// Only a customer managed key's grant can be revoked: none exists on the AWS owned key
/// (aws-behaviour.md #73), and an AWS managed key's grants are not the customer's to manage (aws-behaviour.md #53).
#[test]
fn grants_on_aws_keys_cannot_be_revoked() {
    let text = r#"title = "aws keys"
[[key]]
id = "aws-dyn"
kind = "aws-managed"
[[table]]
name = "Owned"
key = "aws-owned"
[[table]]
name = "Managed"
key = "aws-dyn"
[[step]]
at = "1m"
do = "revoke-grant"
table = "Owned"
expect = { outcome = "error", error = "NotFoundException", grant = "active" }
[[step]]
at = "2m"
do = "revoke-grant"
table = "Managed"
expect = { outcome = "error", error = "AccessDeniedException", grant = "active" }
[[step]]
at = "8d"
do = "wait"
expect = { tables = { Owned = "active", Managed = "active" } }
"#;
    let s = scenario::parse("t.toml", text).unwrap_or_else(|d| panic!("{d}"));
    let mut r = Runner::new(Arc::new(s)).unwrap();
    r.run_to_end();
    assert_clean(&r);
}

/// A restore of a table with more DEKs than it keeps cipher objects for (4,096) sets each item's
/// cipher up from its DEK's bytes: every item still decrypts through the new chain, and the
/// run is the same as the small-table path would make it (the item seals draw the same RNG).
#[test]
fn a_restore_of_many_deks_decrypts_every_item_without_a_cipher_per_dek() {
    let text = r#"title = "big restore"
[[key]]
id = "kms-1"
[table]
name = "Orders"
key = "kms-1"
deks = 5000
items = 12000
[[principal]]
name = "app"
[[step]]
at = "1m"
do = "backup"
backup = "b1"
[[step]]
at = "2m"
do = "restore"
backup = "b1"
to = "Copy"
expect = { outcome = "ok", tables = { Copy = "active" } }
[[step]]
at = "3m"
do = "read"
principal = "app"
table = "Copy"
expect = { outcome = "ok" }
"#;
    let r = run_text(text);
    assert_clean(&r);
    let e = r.engine();
    let copy = e.find_table("Copy").unwrap();
    assert_eq!(e.tables()[copy.0].items().len(), 12_000);
    for i in (0..12_000).step_by(997).chain([4_999, 5_000, 11_999]) {
        let pt = e.audit_item(copy, ItemId(i), None).unwrap();
        assert_eq!(pt, item_plaintext(ItemId(i)).as_bytes(), "item {i}");
    }
}
