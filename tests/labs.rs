//! Labs (`[lab]`): every shipped lab proves itself through `rewrap check` (its solution solves
//! it, each wrong attempt fails for the reason it states), a saved attempt is graded (exit 0
//! solved, 1 not), and a lab's mistakes are refused at load with file:line:col.

use std::process::Command;

use rewrap::scenario::{self, LABS};

fn rewrap(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_rewrap"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn temp_file(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("rewrap-labs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn there_are_at_least_five_labs_each_with_a_solution_two_wrong_attempts_breaking_two_invariants_and_a_debrief()
 {
    assert!(LABS.len() >= 5);
    for b in LABS {
        let s = scenario::load(b.name).unwrap();
        let lab = s.lab.as_ref().expect("a shipped lab has [lab]");
        assert!(lab.solution_line.is_some(), "{}", b.name);
        assert!(lab.wrong.len() >= 2, "{}", b.name);
        assert!(
            !lab.debrief.is_empty() && !lab.hints.is_empty(),
            "{}",
            b.name
        );
        // At least two wrong attempts break two different invariants (a missed deadline may be
        // a third reason, never one of the two).
        let mut broken: Vec<&str> = lab
            .wrong
            .iter()
            .filter_map(|w| match &w.fails {
                rewrap::scenario::lab::Expected::Never(n) => Some(n.as_str()),
                _ => None,
            })
            .collect();
        broken.sort_unstable();
        broken.dedup();
        assert!(broken.len() >= 2, "{}: {broken:?}", b.name);
    }
}

#[test]
fn every_shipped_lab_proves_itself_with_check() {
    let names: Vec<&str> = LABS.iter().map(|b| b.name).collect();
    let mut args = vec!["check"];
    args.extend(&names);
    let (code, out, err) = rewrap(&args);
    assert_eq!(code, 0, "{out}\n{err}");
    for b in LABS {
        let s = scenario::load(b.name).unwrap();
        let lab = s.lab.unwrap();
        assert!(
            out.contains(&format!(
                "ok    builtin:{}: the reference solution solves it: SOLVED at",
                b.name
            )),
            "{out}"
        );
        for w in &lab.wrong {
            assert!(
                out.contains(&format!(
                    "wrong attempt `{}` fails by {}: FAILED at",
                    w.name, w.fails
                )),
                "{}: {out}",
                w.name
            );
        }
    }
}

#[test]
fn a_wrong_attempt_that_fails_for_another_reason_than_stated_fails_the_check() {
    let text = scenario::LABS
        .iter()
        .find(|b| b.name == "retire-the-old-key")
        .unwrap()
        .text;
    // The first wrong attempt stated as breaking `failed-read` (rotating instead of switching);
    // say it misses the deadline instead.
    let bad = text.replacen("fails = \"failed-read\"", "fails = \"deadline\"", 1);
    let p = temp_file("misstated.toml", &bad);
    let (code, out, _) = rewrap(&["check", p.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("FAIL") && out.contains("should fail by deadline, but: FAILED at 0d 00:06:00"),
        "{out}"
    );
}

/// The lab's own text plus an attempt's actions, as `w` writes them.
fn attempt(lab: &str, actions: &str) -> String {
    format!("{lab}\n\n{}\n{actions}", rewrap::lab::ATTEMPT_MARK)
}

#[test]
fn a_saved_attempt_is_graded_exit_0_when_solved_and_1_when_not() {
    let text = scenario::LABS
        .iter()
        .find(|b| b.name == "rescue-before-archive")
        .unwrap()
        .text;
    let good = attempt(
        text,
        "[[lab.attempt]]\nat = \"5m\"\ndo = \"cancel-key-deletion\"\nkey = \"kms-1\"\n\n[[lab.attempt]]\nat = \"6m\"\ndo = \"enable-key\"\nkey = \"kms-1\"\n",
    );
    let p = temp_file("good-attempt.toml", &good);
    let (code, out, err) = rewrap(&["check", p.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("attempt (2 actions): SOLVED at"), "{out}");

    // Enabling without cancelling: KMS refuses it (a key pending deletion), and the key is
    // deleted an hour in.
    let bad = attempt(
        text,
        "[[lab.attempt]]\nat = \"5m\"\ndo = \"enable-key\"\nkey = \"kms-1\"\n",
    );
    let p = temp_file("bad-attempt.toml", &bad);
    let (code, out, _) = rewrap(&["check", p.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("FAIL") && out.contains("broke never `data-lost`"),
        "{out}"
    );
}

#[test]
fn lab_mistakes_are_refused_at_load_with_their_place() {
    let base = r#"title = "t"
[[key]]
id = "kms-1"
[table]
key = "kms-1"
[lab]
briefing = "b"
debrief = "d"
"#;
    for (extra, message, line) in [
        (
            "goal = { outcome = \"ok\" }\n",
            "a goal cannot check `outcome`",
            9,
        ),
        ("goal = {}\n", "the lab's `goal` checks nothing", 9),
        (
            "goal = { table = \"active\" }\n[[lab.wrong]]\nname = \"w\"\nwhy = \"y\"\nfails = \"nope\"\n[[lab.wrong.step]]\nat = \"0s\"\ndo = \"wait\"\n",
            "unknown reason `nope`",
            13,
        ),
        (
            "goal = { table = \"active\" }\n[[lab.wrong]]\nname = \"w\"\nwhy = \"y\"\nfails = \"deadline\"\n[[lab.wrong.step]]\nat = \"0s\"\ndo = \"wait\"\n",
            "the lab has no `deadline` to miss",
            13,
        ),
        (
            "goal = { table = \"active\" }\n[[lab.solution]]\nat = \"0s\"\ndo = \"disable-key\"\nkey = \"kms-9\"\n",
            "unknown KMS key `kms-9`",
            13,
        ),
        (
            "goal = { table = \"active\" }\nregion = \"eu-west-1\"\n",
            "table `Orders` has no copy in eu-west-1",
            10,
        ),
    ] {
        let text = format!("{base}{extra}");
        let e = scenario::parse("lab.toml", &text).expect_err(message);
        assert!(e.message.contains(message), "{}", e.message);
        assert_eq!(e.line, line, "{message}: {}", e.message);
    }
}

#[test]
fn a_lab_about_a_replica_speaks_about_that_copy() {
    let s = scenario::load("move-the-replica-key").unwrap();
    let lab = s.lab.as_ref().unwrap();
    assert_eq!(lab.region.as_deref(), Some("eu-west-1"));
    assert_eq!(lab.subject(), "Orders@eu-west-1");
    // Its goal says the replica (not the table in us-east-1) is under the regional key.
    let (code, out, err) = rewrap(&["check", "move-the-replica-key"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("broke never `deleted-mid-rewrap`: Orders@eu-west-1 re-wraps and kms-eu-1 is pending deletion"),
        "{out}"
    );
    assert!(
        out.contains("broke never `replica-removed`: Orders@eu-west-1 is removed"),
        "{out}"
    );
}
