//! Property tests over random command sequences: the invariants the model must never break.
//!
//! - a read succeeds iff the chain above its item is usable for that principal right now
//!   (checked against a rule written here, from the engine's observable state);
//! - every item decrypts to the plaintext it was written with while the data is recoverable,
//!   and none does once it is not;
//! - tampering with any blob or its AAD fails the check;
//! - no plaintext key survives its KMS key's deletion or its cache entry's expiry.

use proptest::prelude::*;

use rewrap::engine::event::{Caller, RequestResult};
use rewrap::engine::ids::{ConnectionId, ItemId, KmsKeyId, PrincipalId};
use rewrap::engine::kms::{KeyKind, KeyState};
use rewrap::engine::table::TableStatus;
use rewrap::engine::time::SimDuration;
use rewrap::engine::{
    Assumptions, Command, Engine, KeySpec, PrincipalSpec, TableSpec, Tamper, WorldSpec,
};

const KEYS: [&str; 4] = ["kms-1", "kms-2", "aws-dyn", "aws-owned"];
const PRINCIPALS: [(&str, u32); 2] = [("app", 2), ("bi", 1)];

#[derive(Clone, Debug)]
enum Op {
    Cmd(Command),
    Advance(SimDuration),
}

fn key() -> impl Strategy<Value = KmsKeyId> {
    prop::sample::select(KEYS.to_vec()).prop_map(KmsKeyId::new)
}

fn principal() -> impl Strategy<Value = (PrincipalId, ConnectionId)> {
    prop::sample::select(vec![("app", 1), ("app", 2), ("bi", 1)])
        .prop_map(|(p, c)| (PrincipalId::new(p), ConnectionId(c)))
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => principal().prop_map(|(principal, connection)| Op::Cmd(Command::Read { principal, connection })),
        1 => principal().prop_map(|(principal, connection)| Op::Cmd(Command::Write { principal, connection })),
        1 => key().prop_map(|key| Op::Cmd(Command::ChangeTableKey { key })),
        1 => key().prop_map(|key| Op::Cmd(Command::DisableKey { key })),
        1 => key().prop_map(|key| Op::Cmd(Command::EnableKey { key })),
        1 => (key(), 7u32..=30).prop_map(|(key, days)| Op::Cmd(Command::ScheduleKeyDeletion { key, days })),
        1 => key().prop_map(|key| Op::Cmd(Command::CancelKeyDeletion { key })),
        1 => key().prop_map(|key| Op::Cmd(Command::RotateKey { key })),
        1 => (key(), principal()).prop_map(|(key, (principal, _))| Op::Cmd(Command::Revoke { key, principal })),
        1 => (key(), principal()).prop_map(|(key, (principal, _))| Op::Cmd(Command::Allow { key, principal })),
        4 => prop::sample::select(vec![1u64, 30, 120, 299, 300, 301, 660, 3_600, 86_400, 8 * 86_400])
            .prop_map(|s| Op::Advance(SimDuration::from_secs(s))),
    ]
}

fn world(seed: u64, rewrap_secs: u64) -> WorldSpec {
    let cm = |id: &str| KeySpec {
        id: KmsKeyId::new(id),
        kind: KeyKind::CustomerManaged,
        enabled: true,
        rotation_days: Some(90),
        allow: None,
        external: false,
        expires: None,
        region: rewrap::engine::DEFAULT_REGION.into(),
        starts_as: None,
    };
    WorldSpec {
        seed,
        assumptions: Assumptions {
            rewrap_per_dek: SimDuration::from_secs(rewrap_secs),
            ..Assumptions::default()
        },
        keys: vec![
            cm("kms-1"),
            cm("kms-2"),
            KeySpec {
                id: KmsKeyId::new("aws-dyn"),
                kind: KeyKind::AwsManaged,
                enabled: true,
                rotation_days: None,
                allow: None,
                external: false,
                expires: None,
                region: rewrap::engine::DEFAULT_REGION.into(),
                starts_as: None,
            },
        ],
        tables: vec![TableSpec {
            name: "Orders".into(),
            key: KmsKeyId::new("kms-1"),
            deks: 4,
            items: 12,
            replicas: Vec::new(),
            start: rewrap::engine::TableStart::default(),
        }],
        principals: PRINCIPALS
            .iter()
            .map(|(p, c)| PrincipalSpec {
                id: PrincipalId::new(p),
                connections: *c,
            })
            .collect(),
        backups: Vec::new(),
    }
}

/// The read rule, from observable state: not archived, and either a live cache entry for the
/// current table key, or the current KMS key Enabled and allowing this principal.
fn expected_read_ok(e: &Engine, p: &PrincipalId, c: ConnectionId) -> bool {
    let t = e.first_table();
    if matches!(t.status(), TableStatus::Archiving | TableStatus::Archived) {
        return false;
    }
    let entry = e
        .cache_entries(rewrap::engine::table::TableIx::FIRST)
        .iter()
        .find(|x| x.principal() == p && x.connection() == c)
        .unwrap();
    if entry
        .held()
        .as_ref()
        .is_some_and(|h| h.table_key() == t.current() && h.expires_at() > e.now())
    {
        return true;
    }
    let k = e.key(t.current_kms_key()).unwrap();
    k.state() == KeyState::Enabled && k.allow().is_none_or(|a| a.contains(p))
}

fn check_invariants(e: &Engine) -> Result<(), TestCaseError> {
    // No plaintext outlives its key or its entry.
    for k in e.keys() {
        if k.is_deleted() {
            prop_assert_eq!(
                k.live_versions(),
                0,
                "{} deleted but material remains",
                k.id()
            );
        }
    }
    let refresh = e.assumptions().cache_refresh;
    for entry in e.cache_entries(rewrap::engine::table::TableIx::FIRST) {
        if let Some(h) = &entry.held() {
            prop_assert!(
                h.expires_at() > e.now(),
                "{} holds an expired key",
                entry.label()
            );
            prop_assert!(h.fetched_at() + refresh == h.expires_at());
            let kms = &e.first_table().table_key(h.table_key()).kms_key();
            prop_assert!(
                !e.key(kms).unwrap().is_deleted(),
                "{} holds a key of a deleted KMS key",
                entry.label()
            );
        }
    }
    if let Some(job) = &e.first_table().job() {
        for k in [&job.old_plain(), &job.new_plain()].into_iter().flatten() {
            prop_assert!(
                k.fetched_at() + refresh > e.now(),
                "re-wrap job holds an expired key"
            );
        }
    }
    // Per-DEK item counts add up to the items stored.
    let counted: u64 = e
        .first_table()
        .deks()
        .iter()
        .map(|d| u64::from(d.items()))
        .sum();
    prop_assert_eq!(counted, e.first_table().items().len() as u64);
    // Data integrity follows recoverability exactly.
    let n = e.first_table().items().len();
    let recoverable = e.recoverable(rewrap::engine::table::TableIx::FIRST);
    for i in 0..n {
        let r = e.audit_item(
            rewrap::engine::table::TableIx::FIRST,
            ItemId(i as u64),
            None,
        );
        prop_assert_eq!(
            r.is_ok(),
            recoverable,
            "item {} audit {:?} while recoverable={}",
            i,
            r,
            recoverable
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_sequences_keep_the_invariants(
        seed in 0u64..1_000,
        rewrap_secs in prop::sample::select(vec![0u64, 2, 90]),
        ops in prop::collection::vec(op(), 1..45),
    ) {
        let mut e = Engine::new(&world(seed, rewrap_secs)).unwrap();
        check_invariants(&e)?;
        for op in ops {
            match op {
                Op::Advance(d) => e.advance(d),
                Op::Cmd(cmd) => {
                    let expected = match &cmd {
                        Command::Read { principal, connection } => {
                            let ok = expected_read_ok(&e, principal, *connection);
                            prop_assert_eq!(ok, e.chain_usable_for(rewrap::engine::view::TableIx::FIRST, principal, *connection),
                                "the engine's own predicate disagrees with the rule at {}", e.now());
                            Some(ok)
                        }
                        _ => None,
                    };
                    let result = e.apply(&cmd);
                    if let Some(ok) = expected {
                        prop_assert_eq!(result.is_ok(), ok, "{:?} -> {:?} at {}", cmd, result, e.now());
                    }
                    if let RequestResult::Error { error, .. } = &result {
                        prop_assert!(!error.name().is_empty());
                        prop_assert_ne!(error.name(), "InternalServerError", "stored ciphertext failed integrity");
                    }
                }
            }
            check_invariants(&e)?;
        }
    }

    #[test]
    fn tampering_with_any_blob_or_aad_fails(
        seed in 0u64..1_000,
        item in 0u64..12,
        byte in 0usize..200,
        layer in 0u8..6,
        change_first in any::<bool>(),
    ) {
        let mut e = Engine::new(&world(seed, 0)).unwrap();
        if change_first {
            e.apply(&Command::ChangeTableKey { key: KmsKeyId::new("kms-2") });
        }
        prop_assert!(e.audit_item(rewrap::engine::table::TableIx::FIRST, ItemId(item), None).is_ok());
        let tamper = match layer {
            0 => Tamper::TableKeyBlob(byte),
            1 => Tamper::TableKeyContext,
            2 => Tamper::DekBlob(byte),
            3 => Tamper::DekAad,
            4 => Tamper::ItemBlob(byte),
            _ => Tamper::ItemAad,
        };
        prop_assert!(e.audit_item(rewrap::engine::table::TableIx::FIRST, ItemId(item), Some(tamper)).is_err(), "{:?} was not detected", tamper);
    }
}

#[test]
fn aws_owned_calls_never_reach_your_cloudtrail() {
    let mut e = Engine::new(&world(1, 0)).unwrap();
    e.apply(&Command::ChangeTableKey {
        key: KmsKeyId::new("aws-owned"),
    });
    e.apply(&Command::Read {
        principal: PrincipalId::new("app"),
        connection: ConnectionId(1),
    });
    for ev in e.log() {
        if let rewrap::engine::event::EventKind::KmsCall(c) = &ev.kind {
            if c.key.is_aws_owned() {
                assert!(!c.in_your_cloudtrail);
            }
            if let Caller::Principal(_) = c.user {
                assert_eq!(c.invoked_by, Some("dynamodb.amazonaws.com"));
            }
        }
    }
}
