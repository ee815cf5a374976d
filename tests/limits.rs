//! Limits: what a scenario may ask for is checked at load, with file:line:col, so every
//! accepted file runs in bounded time and memory (docs/scenario-format.md, "Limits").

use std::fmt::Write as _;

use rewrap::scenario::{self, limits};

fn error_of(text: &str) -> scenario::Diagnostic {
    scenario::parse("limits.toml", text).expect_err("the limit must refuse this file")
}

const HEAD: &str = "title = \"t\"\n[[key]]\nid = \"kms-1\"\n[table]\nkey = \"kms-1\"\n[[principal]]\nname = \"app\"\n";

#[test]
fn end_far_in_the_future_is_refused_with_its_position() {
    let d = error_of(&format!("end = \"213503982334d\"\n{HEAD}"));
    assert!(d.message.contains("`end` is too far in the future"), "{d}");
    assert_eq!((d.line, d.col), (1, 7), "{d}");
}

#[test]
fn a_step_past_the_span_is_refused() {
    let d = error_of(&format!("{HEAD}[[step]]\nat = \"36501d\"\ndo = \"wait\"\n"));
    assert!(d.message.contains("too far in the future"), "{d}");
    assert_eq!((d.line, d.col), (9, 6), "{d}");
    // The last allowed day is fine.
    scenario::parse(
        "ok.toml",
        &format!("{HEAD}[[step]]\nat = \"36500d\"\ndo = \"wait\"\n"),
    )
    .unwrap();
}

#[test]
fn repetition_counts_never_overflow() {
    let text = String::from(
        "title = \"t\"\n[[key]]\nid = \"kms-1\"\n[table]\nkey = \"kms-1\"\n[[principal]]\nname = \"app\"\nconnections = 1000\n[[step]]\nat = \"0s\"\ndo = \"read\"\nprincipal = \"app\"\nconnection = \"all\"\nevery = \"1s\"\nuntil = \"36500d\"\n",
    );
    let d = error_of(&text);
    assert!(d.message.contains("too many actions"), "{d}");
}

#[test]
fn connection_all_counts_each_connection() {
    // 300 repetitions x 1000 connections = 300,000 actions > the limit.
    let text = format!(
        "{HEAD}[[principal]]\nname = \"fan\"\nconnections = 1000\n[[step]]\nat = \"0s\"\ndo = \"read\"\nprincipal = \"fan\"\nconnection = \"all\"\nevery = \"1m\"\nuntil = \"299m\"\n"
    );
    let d = error_of(&text);
    assert!(d.message.contains("too many actions"), "{d}");
}

#[test]
fn too_many_keys_principals_connections_and_steps() {
    let mut keys = String::from("title = \"t\"\n");
    for i in 0..=limits::MAX_KEYS {
        let _ = write!(keys, "[[key]]\nid = \"k{i}\"\n");
    }
    keys.push_str("[table]\nkey = \"k0\"\n");
    assert!(error_of(&keys).message.contains("too many KMS keys"));

    let mut ps = String::from(HEAD);
    for i in 0..limits::MAX_PRINCIPALS {
        let _ = write!(ps, "[[principal]]\nname = \"p{i}\"\n");
    }
    assert!(error_of(&ps).message.contains("too many principals"));

    let mut cs = String::from(HEAD);
    for i in 0..11 {
        let _ = write!(cs, "[[principal]]\nname = \"p{i}\"\nconnections = 1000\n");
    }
    let d = error_of(&cs);
    assert!(d.message.contains("too many connections"), "{d}");

    let mut steps = String::from(HEAD);
    for _ in 0..=limits::MAX_STEPS {
        steps.push_str("[[step]]\nat = \"1s\"\ndo = \"wait\"\n");
    }
    assert!(error_of(&steps).message.contains("too many steps"));
}

#[test]
fn files_are_read_with_a_bound() {
    let dir = std::env::temp_dir().join(format!("rewrap-limits-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let big = dir.join("big.toml");
    let mut text = String::from("title = \"t\"\n");
    while (text.len() as u64) <= limits::MAX_FILE_BYTES {
        text.push_str("# padding padding padding padding padding padding padding padding\n");
    }
    std::fs::write(&big, &text).unwrap();
    let err = scenario::load(big.to_str().unwrap()).unwrap_err();
    assert!(err.to_string().contains("at most"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
    // A device never ends: it is refused before it is read at all.
    if std::path::Path::new("/dev/zero").exists() {
        let err = scenario::load("/dev/zero").unwrap_err();
        assert!(err.to_string().contains("not a regular file"), "{err}");
    }
}

/// Each limit alone is not enough: key changes x the DEKs they re-wrap is bounded too (1,500
/// changes of a 1M-DEK table were ten minutes and 5 GB), refused at the step that passes it.
#[test]
fn key_changes_times_deks_is_bounded() {
    let world = "title = \"t\"\n[[key]]\nid = \"kms-1\"\n[[key]]\nid = \"kms-2\"\n[table]\nkey = \"kms-1\"\ndeks = 1000000\nitems = 1000000\n[[principal]]\nname = \"app\"\n";
    let step = |n: u32| {
        format!(
            "[[step]]\nat = \"+1d\"\ndo = \"change-table-key\"\nkey = \"kms-{}\"\n",
            2 - n % 2
        )
    };
    // Twenty changes of a 1M-DEK table are 20M re-wraps: allowed.
    let ok: String = (0..20).map(step).collect();
    scenario::parse("ok.toml", &format!("{world}{ok}")).unwrap();
    // The twenty-first passes the budget: refused at its `do`.
    let text = format!("{world}{ok}{}", step(20));
    let d = error_of(&text);
    assert!(d.message.contains("re-wrap too many DEKs"), "{d}");
    let line = text.lines().count() - 1;
    assert_eq!((d.line, d.col), (line, 6), "{d}");
    // A repeated change counts each repetition.
    let d = error_of(&format!(
        "{world}[[step]]\nat = \"1d\"\ndo = \"change-table-key\"\nkey = \"kms-2\"\nevery = \"1d\"\nuntil = \"30d\"\n"
    ));
    assert!(d.message.contains("re-wrap too many DEKs"), "{d}");
}
