//! Property tests over the bigger world (version 2): two tables sharing a key, a global-table
//! replica under a key of its own region, on-demand and archival backups, restores, grants.
//!
//! - a read succeeds iff that table's (or replica's) chain is usable for the principal now;
//! - every backup decrypts to what its table held when it was taken while the key material
//!   it needs exists, and never after;
//! - every table, replica and restored table decrypts each of its items through its own
//!   chain exactly while its data is recoverable (restoring never mixes chains).

use proptest::prelude::*;

use rewrap::engine::event::RequestResult;
use rewrap::engine::ids::{ConnectionId, ItemId, KmsKeyId, PrincipalId};
use rewrap::engine::kms::{KeyKind, KeyState};
use rewrap::engine::table::{TableIx, TableStatus, item_plaintext};
use rewrap::engine::time::SimDuration;
use rewrap::engine::{
    Assumptions, Command, Engine, KeySpec, PrincipalSpec, ReplicaSpec, TableSpec, WorldSpec,
};

const KEYS: [&str; 3] = ["kms-1", "kms-2", "kms-eu"];

#[derive(Clone, Debug)]
enum Op {
    /// A command on the table at this index (modulo the tables there are).
    On(usize, Command),
    /// A restore of the backup at this index (modulo), or of table `usize`'s archival backup.
    Restore(usize, bool, Option<usize>),
    Advance(SimDuration),
}

fn key() -> impl Strategy<Value = KmsKeyId> {
    prop::sample::select(KEYS.to_vec()).prop_map(KmsKeyId::new)
}

fn app() -> (PrincipalId, ConnectionId) {
    (PrincipalId::new("app"), ConnectionId(1))
}

fn op() -> impl Strategy<Value = Op> {
    let t = 0usize..8;
    prop_oneof![
        5 => t.clone().prop_map(|t| { let (principal, connection) = app(); Op::On(t, Command::Read { principal, connection }) }),
        2 => t.clone().prop_map(|t| { let (principal, connection) = app(); Op::On(t, Command::Write { principal, connection }) }),
        1 => (t.clone(), key()).prop_map(|(t, key)| Op::On(t, Command::ChangeTableKey { key })),
        1 => key().prop_map(|key| Op::On(0, Command::DisableKey { key })),
        1 => key().prop_map(|key| Op::On(0, Command::EnableKey { key })),
        1 => (key(), 7u32..=10).prop_map(|(key, days)| Op::On(0, Command::ScheduleKeyDeletion { key, days })),
        1 => key().prop_map(|key| Op::On(0, Command::CancelKeyDeletion { key })),
        1 => t.clone().prop_map(|t| Op::On(t, Command::RevokeGrant)),
        1 => t.clone().prop_map(|t| Op::On(t, Command::CreateGrant)),
        2 => t.clone().prop_map(|t| Op::On(t, Command::Backup { backup: String::new() })),
        2 => (t, any::<bool>(), prop::option::of(0usize..2)).prop_map(|(t, a, k)| Op::Restore(t, a, k)),
        4 => prop::sample::select(vec![30u64, 299, 301, 660, 3_600, 21 * 3_600, 86_400, 8 * 86_400])
            .prop_map(|s| Op::Advance(SimDuration::from_secs(s))),
    ]
}

fn world(seed: u64) -> WorldSpec {
    let cm = |id: &str, region: &str| KeySpec {
        id: KmsKeyId::new(id),
        kind: KeyKind::CustomerManaged,
        enabled: true,
        rotation_days: None,
        allow: None,
        external: false,
        expires: None,
        region: region.into(),
        starts_as: None,
    };
    WorldSpec {
        seed,
        assumptions: Assumptions::default(),
        keys: vec![
            cm("kms-1", "us-east-1"),
            cm("kms-2", "us-east-1"),
            cm("kms-eu", "eu-west-1"),
        ],
        tables: vec![
            TableSpec {
                name: "Orders".into(),
                key: KmsKeyId::new("kms-1"),
                deks: 3,
                items: 9,
                replicas: vec![ReplicaSpec {
                    region: "eu-west-1".into(),
                    key: KmsKeyId::new("kms-eu"),
                    start: rewrap::engine::TableStart::default(),
                }],
                start: rewrap::engine::TableStart::default(),
            },
            TableSpec {
                name: "Audit".into(),
                key: KmsKeyId::new("kms-1"),
                deks: 2,
                items: 4,
                replicas: Vec::new(),
                start: rewrap::engine::TableStart::default(),
            },
        ],
        principals: vec![PrincipalSpec {
            id: PrincipalId::new("app"),
            connections: 1,
        }],
        backups: Vec::new(),
    }
}

/// The read rule for copy `tx`, from observable state: not archived, and either a live cache
/// entry for its current table key, or the KMS key wrapping it Enabled (and allowing `app`).
fn expected_read_ok(e: &Engine, tx: TableIx) -> bool {
    let t = &e.tables()[tx.0];
    if matches!(t.status(), TableStatus::Archiving | TableStatus::Archived) {
        return false;
    }
    if t.cache()[0]
        .held()
        .as_ref()
        .is_some_and(|h| h.table_key() == t.current() && h.expires_at() > e.now())
    {
        return true;
    }
    e.key(t.current_kms_key())
        .is_some_and(|k| k.state() == KeyState::Enabled)
}

fn check_invariants(e: &Engine) -> Result<(), TestCaseError> {
    for b in e.backups() {
        let alive = b
            .needs()
            .iter()
            .all(|k| e.key(k).is_some_and(|k| !k.is_deleted()));
        let audit = e.audit_backup(b);
        prop_assert_eq!(
            audit.is_ok(),
            alive,
            "backup {} audit {:?}",
            &b.name(),
            audit.as_ref().err()
        );
        if let Ok(pts) = audit {
            let src = &e.tables()[b.source().0];
            let expected: Vec<Vec<u8>> = (0..b.items())
                .filter(|&i| !src.items()[i].is_absent())
                .map(|i| item_plaintext(ItemId(i as u64)).as_bytes().to_vec())
                .collect();
            prop_assert_eq!(pts, expected, "backup {} holds other items", &b.name());
        }
    }
    for tx in 0..e.tables().len() {
        let t = &e.tables()[tx];
        let recoverable = e.recoverable(TableIx(tx));
        for i in 0..t.items().len() {
            if t.items()[i].is_absent() {
                continue;
            }
            let r = e.audit_item(TableIx(tx), ItemId(i as u64), None);
            prop_assert_eq!(
                r.is_ok(),
                recoverable,
                "{} item {} audit {:?} while recoverable={}",
                t.label(),
                i,
                r.as_ref().err(),
                recoverable
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn the_bigger_world_keeps_its_invariants(
        seed in 0u64..1_000,
        ops in prop::collection::vec(op(), 1..32),
    ) {
        let mut e = Engine::new(&world(seed)).unwrap();
        let mut n = 0;
        check_invariants(&e)?;
        for op in ops {
            n += 1;
            match op {
                Op::Advance(d) => e.advance(d),
                Op::On(t, cmd) => {
                    let tx = TableIx(t % e.tables().len());
                    let cmd = match cmd {
                        Command::Backup { .. } => Command::Backup { backup: format!("b{n}") },
                        other => other,
                    };
                    let expected = matches!(cmd, Command::Read { .. }).then(|| expected_read_ok(&e, tx));
                    let result = e.apply_in(tx, &cmd);
                    if let Some(ok) = expected {
                        prop_assert_eq!(result.is_ok(), ok, "read of {} -> {:?} at {}", e.tables()[tx.0].label(), result, e.now());
                    }
                    if let RequestResult::Error { error, .. } = &result {
                        prop_assert_ne!(error.name(), "InternalServerError", "a ciphertext failed its integrity check");
                    }
                }
                Op::Restore(t, archival, key) => {
                    let tx = TableIx(t % e.tables().len());
                    let backup = if archival || e.backups().is_empty() {
                        "archival".to_string()
                    } else {
                        e.backups()[t % e.backups().len()].name().to_string()
                    };
                    let key = key.map(|k| KmsKeyId::new(KEYS[k]));
                    let result = e.apply_in(tx, &Command::Restore { backup, to: format!("R{n}"), key });
                    if let RequestResult::Error { error, .. } = &result {
                        prop_assert_ne!(error.name(), "InternalServerError", "a restore read a broken ciphertext");
                    }
                }
            }
            check_invariants(&e)?;
        }
    }
}
