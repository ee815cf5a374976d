//! `rewrap import`: the documented shapes of AWS CLI exports (tests/fixtures/account/*, one
//! folder a shape) become worlds that start where the account is, each file `check`-clean;
//! what the model lacks is left out with a note; the folder is read without following links,
//! opening FIFOs or trusting names.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use rewrap::account::{Options, import};
use rewrap::runner::Runner;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/account")
        .join(name)
}

/// Import `dir`, then load and run the file as `rewrap check` would.
fn imported(dir: &Path, options: &Options) -> (String, Vec<String>) {
    let report = import(dir, options).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let s = rewrap::scenario::parse("imported.toml", &report.toml)
        .unwrap_or_else(|d| panic!("{d}\n{}", report.toml));
    let mut r = Runner::new(Arc::new(s)).unwrap();
    r.run_to_end();
    assert!(
        r.failures().is_empty(),
        "{:?}\n{}",
        r.failures(),
        report.toml
    );
    (report.toml, report.warnings)
}

fn has(toml: &str, lines: &[&str]) {
    for l in lines {
        assert!(toml.contains(l), "missing {l:?} in\n{toml}");
    }
}

#[test]
fn an_archived_table_starts_archived_with_its_archival_backup_blocked_by_its_disabled_key() {
    let (toml, _) = imported(&fixture("archived"), &Options::default());
    has(
        &toml,
        &[
            "id = \"orders\"\nstate = \"disabled\"",
            "status = \"archived\"\nsince = \"-3d\"",
            "backups = { \"archival\" = \"blocked\" }",
        ],
    );
    // The SYSTEM backup list-backups shows is that archival backup: not a second one.
    assert!(!toml.contains("[[backup]]"), "{toml}");
}

#[test]
fn a_table_mid_switch_moves_from_the_key_dynamodb_still_holds_a_grant_on() {
    let (toml, _) = imported(&fixture("mid-switch"), &Options::default());
    has(
        &toml,
        &[
            "key = \"orders\"\ndeks = 8\nitems = 64\nswitching_to = \"orders-next\"",
            "sse = \"updating\", wrapped_by = \"orders\"",
        ],
    );
}

#[test]
fn a_replica_under_another_regions_disabled_key_starts_inaccessible_since_its_date() {
    let (toml, _) = imported(&fixture("replica"), &Options::default());
    has(
        &toml,
        &[
            "region = \"eu-west-1\"\nkey = \"kms-1\"\nstatus = \"inaccessible\"\nsince = \"-10h\"",
            "id = \"kms-1\"\nstate = \"disabled\"\nrotation_days = 365\nregion = \"eu-west-1\"",
            "replicas = { \"eu-west-1\" = \"inaccessible\" }",
        ],
    );
}

#[test]
fn a_table_without_sse_description_is_under_the_aws_owned_key() {
    let (toml, _) = imported(&fixture("aws-owned"), &Options::default());
    has(
        &toml,
        &["key = \"aws-owned\"", "wrapped_by = \"aws-owned\""],
    );
    assert!(!toml.contains("[[key]]"), "{toml}");
}

#[test]
fn a_key_pending_import_keeps_its_table_inaccessible_since_its_date() {
    let (toml, _) = imported(&fixture("pending-import"), &Options::default());
    has(
        &toml,
        &[
            "id = \"byok\"\nstate = \"pending-import\"\norigin = \"external\"",
            "status = \"inaccessible\"\nsince = \"-1d\"",
        ],
    );
}

#[test]
fn cli_v1_epoch_seconds_a_pending_deletion_an_old_backup_and_a_revoked_grant() {
    let (toml, _) = imported(&fixture("cli-v1"), &Options::default());
    has(
        &toml,
        &[
            "state = \"pending-deletion\"\ndeletion_in = \"5d\"",
            "name = \"Audit\"\nkey = \"orders-next\"\ndeks = 8\nitems = 64\ngrant = \"revoked\"",
            "name = \"before-switch\"\ntable = \"Orders\"\nkey = \"orders\"\ntaken = \"-40d\"",
            "backups = { \"before-switch\" = \"blocked\" }",
        ],
    );
}

#[test]
fn states_the_model_lacks_are_left_out_and_said_never_guessed() {
    let (toml, warnings) = imported(&fixture("not-modelled"), &Options::default());
    let all = warnings.join("\n");
    for said in [
        "table Hsm (us-east-1): not imported: its key 4444dddd-0000-0000-0000-000000000004 is in a custom key store",
        "table Strong (us-east-1): not imported: a multi-Region strongly consistent global table",
        "replica of Orders in ap-south-1: not imported: ReplicaStatus REPLICATION_NOT_AUTHORIZED is not modelled",
    ] {
        assert!(all.contains(said), "{said}\n{all}");
    }
    assert!(
        !toml.contains("Hsm") || toml.contains("# note: table Hsm"),
        "{toml}"
    );
    assert!(!toml.contains("\nname = \"Strong\""), "{toml}");
}

#[test]
fn key_imports_only_what_needs_that_key() {
    // In cli-v1, `orders` is needed only by Orders's backup from before the switch.
    let options = Options {
        key: Some("orders".into()),
        redact: false,
    };
    let (toml, _) = imported(&fixture("cli-v1"), &options);
    has(&toml, &["name = \"Orders\"", "name = \"before-switch\""]);
    assert!(!toml.contains("name = \"Audit\""), "{toml}");
    // By key id, ARN and alias too.
    for by in [
        "1111aaaa-0000-0000-0000-000000000001",
        "arn:aws:kms:us-east-1:111122223333:key/1111aaaa-0000-0000-0000-000000000001",
        "alias/orders",
    ] {
        let r = import(
            &fixture("cli-v1"),
            &Options {
                key: Some(by.into()),
                redact: false,
            },
        )
        .unwrap_or_else(|e| panic!("{by}: {e}"));
        assert!(r.toml.contains("name = \"before-switch\""), "{by}");
    }
    let e = import(
        &fixture("cli-v1"),
        &Options {
            key: Some("nope".into()),
            redact: false,
        },
    )
    .err()
    .unwrap();
    assert!(e.to_string().contains("no key nope in the export"), "{e}");
}

#[test]
fn redact_replaces_names_with_stable_placeholders() {
    let options = Options {
        key: None,
        redact: true,
    };
    let (toml, _) = imported(&fixture("cli-v1"), &options);
    for secret in [
        "Orders",
        "Audit",
        "before-switch",
        "orders-next",
        "111122223333",
    ] {
        assert!(!toml.contains(secret), "{secret} in\n{toml}");
    }
    has(
        &toml,
        &["name = \"Table1\"", "name = \"backup-1\"", "id = \"kms-1\""],
    );
    // The same export gives the same file.
    assert_eq!(toml, imported(&fixture("cli-v1"), &options).0);
}

/// A temporary folder of this test's own.
fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("rewrap-account-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn files_are_known_by_their_content_and_odd_files_are_skipped_not_followed() {
    let d = scratch("odd");
    // Any names: the table and the metadata under names nobody would guess.
    std::fs::copy(fixture("aws-owned/plain.json"), d.join("x1")).unwrap();
    std::fs::copy(fixture("aws-owned/meta.json"), d.join("y.txt")).unwrap();
    std::fs::write(d.join("README"), "not json at all").unwrap();
    std::fs::write(d.join("empty.json"), "").unwrap();
    std::fs::write(d.join("other.json"), "{\"Something\": 1}").unwrap();
    // A table name with an escape sequence: it never reaches the file raw.
    std::fs::write(
        d.join("evil.json"),
        "{\"Table\":{\"TableName\":\"Ev\\u001b[2Jil\",\"TableStatus\":\"ACTIVE\",\"TableArn\":\"arn:aws:dynamodb:us-east-1:1:table/Evil\"}}",
    )
    .unwrap();
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("/etc/passwd", d.join("link.json")).unwrap();
        let fifo = d.join("fifo.json");
        let made = Command::new("mkfifo").arg(&fifo).status();
        assert!(made.is_ok_and(|s| s.success()));
    }
    let report = import(&d, &Options::default()).unwrap();
    let skipped = report.skipped.join("\n");
    assert!(skipped.contains("README:1:2: not JSON"), "{skipped}");
    assert!(skipped.contains("empty.json: empty"), "{skipped}");
    #[cfg(unix)]
    {
        assert!(
            skipped.contains("link.json: a symbolic link (not followed)"),
            "{skipped}"
        );
        assert!(
            skipped.contains("fifo.json: not a regular file"),
            "{skipped}"
        );
    }
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("other.json: not a response rewrap reads")),
        "{:?}",
        report.warnings
    );
    assert!(report.toml.contains("name = \"Plain\""), "{}", report.toml);
    assert!(!report.toml.contains('\u{1b}'));
    assert!(
        report.toml.contains("name = \"Ev__2Jil\""),
        "{}",
        report.toml
    );
    let _ = std::fs::remove_dir_all(&d);
}

fn rewrap() -> Command {
    Command::new(env!("CARGO_BIN_EXE_rewrap"))
}

#[test]
fn the_import_command_writes_a_new_file_and_never_overwrites() {
    let d = scratch("cli");
    let out = d.join("world.toml");
    let first = rewrap()
        .arg("import")
        .arg(fixture("cli-v1"))
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(first.status.code(), Some(0), "{first:?}");
    let said = String::from_utf8_lossy(&first.stderr);
    assert!(said.contains("wrote "), "{said}");
    let check = rewrap().arg("check").arg(&out).output().unwrap();
    assert_eq!(check.status.code(), Some(0), "{check:?}");
    let again = rewrap()
        .arg("import")
        .arg(fixture("cli-v1"))
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists already"));
    let missing = rewrap().arg("import").arg(d.join("nope")).output().unwrap();
    assert_eq!(missing.status.code(), Some(2));
    let unused = rewrap()
        .args(["import", "--key", "orders-next"])
        .arg(fixture("archived"))
        .output()
        .unwrap();
    assert_eq!(unused.status.code(), Some(2), "{unused:?}");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn the_export_script_is_valid_shell_that_only_reads() {
    let out = rewrap()
        .args([
            "export-script",
            "--region",
            "eu-west-1",
            "--region",
            "us-east-1",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let script = String::from_utf8(out.stdout).unwrap();
    let d = scratch("script");
    std::fs::write(d.join("export.sh"), &script).unwrap();
    let syntax = Command::new("sh")
        .arg("-n")
        .arg(d.join("export.sh"))
        .status()
        .unwrap();
    assert!(syntax.success());
    assert!(script.contains("for region in eu-west-1 us-east-1; do"));
    let bad = rewrap()
        .args(["export-script", "--region", "eu-west-1;reboot"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn the_shipped_example_export_imports_into_a_world_that_checks() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/account-export");
    let (toml, warnings) = imported(&dir, &Options::default());
    has(
        &toml,
        &[
            "exported at 2026-12-03T14:01:22Z",
            "id = \"audit\"\nstate = \"pending-deletion\"\ndeletion_in = \"6d 23h 59m 56s\"",
            "id = \"reports\"\nstate = \"disabled\"",
            "id = \"orders\"\nrotation_days = 365",
            "id = \"spare\"",
            "name = \"Sessions\"\nkey = \"aws-owned\"",
            "name = \"orders-nightly\"",
            "name = \"audit-before-cleanup\"",
        ],
    );
    // moto shows none of DynamoDB's grants and no backup's SSE settings: said, not guessed.
    let all = warnings.join("\n");
    assert!(
        all.contains("the export shows no grant of DynamoDB's on any key"),
        "{all}"
    );
    assert!(all.contains("SourceTableFeatureDetails"), "{all}");
}
