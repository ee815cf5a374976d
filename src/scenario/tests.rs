//! Parser tests: the shapes the contract allows, and the extensions.

use super::*;
use crate::engine::Assumptions;
use crate::engine::ids::{AWS_OWNED, KmsKeyId};
use crate::engine::kms::{KeyKind, KeyStateKind};
use crate::engine::time::{MINUTE, SECOND, SimDuration, SimTime};

const BASE: &str = r#"
title = "t"
[[key]]
id = "kms-1"
[[key]]
id = "kms-2"
kind = "aws-managed"
[table]
key = "kms-1"
[[principal]]
name = "app"
connections = 3
"#;

fn with_steps(steps: &str) -> Result<Scenario, Diagnostic> {
    parse("t.toml", &format!("{BASE}{steps}"))
}

#[test]
fn minimal_file_gets_documented_defaults() {
    let s = with_steps("").unwrap();
    assert_eq!(s.world.seed, 0);
    assert_eq!(s.world.table().name, "Orders");
    assert_eq!(s.world.table().deks, 8);
    assert_eq!(s.world.table().items, 64);
    assert_eq!(s.world.assumptions, Assumptions::default());
    assert!(s.assumptions_set.is_empty());
    assert_eq!(s.world.keys[1].kind, KeyKind::AwsManaged);
}

#[test]
fn relative_times_add_to_the_previous_step() {
    let s = with_steps(
        "[[step]]\nat = \"1m\"\ndo = \"wait\"\n[[step]]\nat = \"+90s\"\ndo = \"wait\"\n",
    )
    .unwrap();
    assert_eq!(
        s.steps[1].at,
        SimTime::ZERO + MINUTE + SECOND.saturating_mul(90)
    );
    assert_eq!(s.steps[1].number, 2);
}

#[test]
fn repeat_and_each_connection_expand() {
    let s = with_steps(
        "[[step]]\nat = \"0s\"\ndo = \"read\"\nprincipal = \"app\"\nconnection = \"all\"\nevery = \"1m\"\nuntil = \"+10m\"\n",
    )
    .unwrap();
    assert_eq!(s.steps[0].occurrences().count(), 11);
    assert_eq!(s.steps[0].action.commands().len(), 3);
}

#[test]
fn every_expectation_field_parses() {
    let steps = r#"[[step]]
at = "1m"
do = "read"
principal = "app"
expect = { outcome = "error", error = "AccessDeniedException", kms_error = "DisabledException", table = "inaccessible", sse = "updating", wrapped_by = "aws-owned", keys = { kms-1 = "deleted" }, cached = { app = "2m 30s" }, recoverable = false, kms_calls = { app = 4 } }
"#;
    let s = with_steps(steps).unwrap();
    let expect_line = BASE.lines().count() + steps.lines().count();
    let kinds: Vec<_> = s.steps[0].expect.iter().map(|c| c.kind.clone()).collect();
    assert_eq!(kinds.len(), 10);
    assert!(kinds.contains(&CheckKind::Cached(
        "app".into(),
        Some(SimDuration::from_secs(150))
    )));
    assert!(kinds.contains(&CheckKind::KmsCalls("app".into(), 4)));
    assert!(s.steps[0].expect.iter().all(|c| c.line == expect_line));
}

#[test]
fn expectations_may_name_the_aws_owned_key() {
    let s = with_steps(
        "[[step]]\nat = \"1m\"\ndo = \"wait\"\nexpect = { keys = { aws-owned = \"enabled\" }, wrapped_by = \"kms-1\" }\n",
    )
    .unwrap();
    assert!(
        s.steps[0]
            .expect
            .iter()
            .any(|c| c.kind == CheckKind::KeyState(KmsKeyId::new(AWS_OWNED), KeyStateKind::Enabled))
    );
}

#[test]
fn actions_require_their_fields() {
    let e = with_steps("[[step]]\nat = \"1m\"\ndo = \"revoke\"\nkey = \"kms-1\"\n").unwrap_err();
    assert!(
        e.message.contains("`revoke` needs `principal`"),
        "{}",
        e.message
    );
    let e = with_steps("[[step]]\nat = \"1m\"\ndo = \"enable-key\"\n").unwrap_err();
    assert!(e.message.contains("needs `key`"), "{}", e.message);
}

#[test]
fn every_without_until_is_an_error() {
    let e = with_steps("[[step]]\nat = \"1m\"\ndo = \"wait\"\nevery = \"1m\"\n").unwrap_err();
    assert!(e.message.contains("`every` needs `until`"));
}

#[test]
fn aws_managed_key_cannot_start_disabled_or_set_rotation() {
    let e = parse(
        "x",
        "title = \"t\"\n[[key]]\nid = \"k\"\nkind = \"aws-managed\"\nstate = \"disabled\"\n[table]\nkey = \"k\"\n",
    )
    .unwrap_err();
    assert!(e.message.contains("cannot start disabled"), "{}", e.message);
    assert_eq!((e.line, e.col), (5, 9));
}

#[test]
fn built_in_names_load_and_unknown_names_say_so() {
    for b in BUILTINS {
        let s = load(b.name).unwrap_or_else(|e| panic!("{}: {e}", b.name));
        assert!(!s.steps.is_empty());
        assert!(
            s.steps.iter().all(|st| st.note.is_some()),
            "{}: every step has a note",
            b.name
        );
        assert!(
            s.steps.iter().all(|st| !st.expect.is_empty()),
            "{}: every step pins its lesson",
            b.name
        );
    }
    assert!(matches!(
        load("no-such-scenario"),
        Err(LoadError::NotFound(_))
    ));
}
