//! A lab's verdict is what its goal and invariants say on the engine's read model, moment by
//! moment: random attempts at a small lab are judged by `rewrap`'s judge and, independently,
//! by stepping the same world without a `[lab]` and reading the engine's state (key states,
//! the table's key, recoverability, the first failed read) at every moment. No second set of
//! rules: the two must agree on solved / failed, when, and why.

use std::fmt::Write as _;
use std::sync::Arc;

use proptest::prelude::*;
use rewrap::engine::ids::KmsKeyId;
use rewrap::engine::table::TableIx;
use rewrap::engine::time::{SimDuration, SimTime};
use rewrap::judge::{Broke, Verdict};
use rewrap::runner::Runner;
use rewrap::scenario;

const WORLD: &str = r#"title = "property lab"
seed = 5
[assumptions]
rewrap_per_dek = "10s"
[[key]]
id = "kms-1"
[[key]]
id = "kms-2"
[table]
name = "Orders"
key = "kms-1"
deks = 40
items = 80
[[principal]]
name = "app"
connections = 2
"#;

/// The app's reads, the lab's own step (at 2m).
const READS: &str = r#"
[[step]]
at = "2m"
do = "read"
principal = "app"
connection = "all"
every = "3m"
until = "9d"
"#;

const LAB: &str = r#"
[lab]
briefing = "b"
debrief = "d"
goal = { key_state = { kms-1 = "deleted" }, wrapped_by = "kms-2", recoverable = true }
deadline = "8d"
never = [{ outcome = "error" }]
"#;

/// An attendee's action: (minute, what).
fn action() -> impl Strategy<Value = (u64, &'static str)> {
    (
        0u64..90,
        prop::sample::select(vec![
            "do = \"change-table-key\"\nkey = \"kms-2\"",
            "do = \"change-table-key\"\nkey = \"kms-1\"",
            "do = \"schedule-key-deletion\"\nkey = \"kms-1\"\ndays = 7",
            "do = \"schedule-key-deletion\"\nkey = \"kms-2\"\ndays = 7",
            "do = \"cancel-key-deletion\"\nkey = \"kms-1\"",
            "do = \"disable-key\"\nkey = \"kms-1\"",
            "do = \"enable-key\"\nkey = \"kms-1\"",
            "do = \"rotate-key\"\nkey = \"kms-1\"",
        ]),
    )
}

fn steps(table: &str, actions: &[(u64, &str)]) -> String {
    let mut sorted = actions.to_vec();
    sorted.sort_by_key(|a| a.0);
    let mut out = String::new();
    for (m, a) in sorted {
        let _ = write!(out, "\n[[{table}]]\nat = \"{m}m\"\n{a}\n");
    }
    out
}

/// What the read model says, moment by moment, for the world without the lab.
fn oracle(actions: &[(u64, &str)]) -> Verdict {
    // In time order, the reads first at 2m as a lab's own steps are.
    let (before, after): (Vec<_>, Vec<_>) = actions.iter().partition(|a| a.0 < 2);
    let text = format!(
        "{WORLD}{}{READS}{}",
        steps("step", &before),
        steps("step", &after)
    );
    let s = scenario::parse("oracle.toml", &text).unwrap();
    assert!(s.lab.is_none());
    let mut r = Runner::new(Arc::new(s)).unwrap();
    let deadline = SimTime::ZERO + SimDuration::from_days(8);
    let (k1, k2) = (KmsKeyId::new("kms-1"), KmsKeyId::new("kms-2"));
    let goal = |r: &Runner| {
        let e = r.engine();
        e.key(&k1)
            .is_some_and(|k| k.state().kind().name() == "deleted")
            && *e.tables()[0].current_kms_key() == k2
            && e.recoverable(TableIx::FIRST)
    };
    loop {
        let now = r.engine().now();
        if let Some((at, ..)) = r.engine().milestones(TableIx::FIRST).first_failed_read {
            return Verdict::Failed {
                at,
                why: Broke::Never {
                    name: "never-1".into(),
                    words: String::new(),
                    state: String::new(),
                },
            };
        }
        if goal(&r) {
            return Verdict::Solved { at: now };
        }
        match r.next_event_at() {
            Some(n) if n <= deadline => r.advance_to(n),
            _ => {
                return Verdict::Failed {
                    at: deadline,
                    why: Broke::Deadline {
                        missing: String::new(),
                    },
                };
            }
        }
    }
}

/// The judge's verdict for the same actions as a lab attempt.
fn judged(actions: &[(u64, &str)]) -> Verdict {
    let text = format!("{WORLD}{READS}{LAB}{}", steps("lab.attempt", actions));
    let s = scenario::parse("attempt.toml", &text).unwrap();
    let mut r = Runner::new(Arc::new(s)).unwrap();
    r.run_lab_to_verdict();
    r.judge().unwrap().verdict().clone()
}

/// Same outcome, same moment, same kind of reason (the texts are the judge's own).
fn same(a: &Verdict, b: &Verdict) -> bool {
    match (a, b) {
        (Verdict::Solved { at: x }, Verdict::Solved { at: y }) => x == y,
        (Verdict::Failed { at: x, why: p }, Verdict::Failed { at: y, why: q }) => {
            x == y && p.as_expected() == q.as_expected()
        }
        _ => false,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    #[test]
    fn the_verdict_is_the_goal_and_invariants_read_on_the_engine(
        actions in prop::collection::vec(action(), 0..5)
    ) {
        let judge = judged(&actions);
        let read = oracle(&actions);
        prop_assert!(same(&judge, &read), "judge: {judge}\nread model: {read}\nactions: {actions:?}");
    }
}

#[test]
fn the_oracle_sees_the_three_outcomes() {
    // Switch, then delete once the re-wrap is done: solved when kms-1 is deleted.
    let solved = [
        (0, "do = \"change-table-key\"\nkey = \"kms-2\""),
        (
            10,
            "do = \"schedule-key-deletion\"\nkey = \"kms-1\"\ndays = 7",
        ),
    ];
    assert!(matches!(oracle(&solved), Verdict::Solved { .. }));
    assert!(same(&judged(&solved), &oracle(&solved)));
    // Delete the table's own key: a read fails.
    let failed = [(
        0,
        "do = \"schedule-key-deletion\"\nkey = \"kms-1\"\ndays = 7",
    )];
    assert!(matches!(
        judged(&failed),
        Verdict::Failed {
            why: Broke::Never { .. },
            ..
        }
    ));
    assert!(same(&judged(&failed), &oracle(&failed)));
    // Nothing done: the deadline passes.
    assert!(matches!(
        judged(&[]),
        Verdict::Failed {
            why: Broke::Deadline { .. },
            ..
        }
    ));
    assert!(same(&judged(&[]), &oracle(&[])));
}
