//! Engine behaviour tests: each pins one documented fact or modelling rule.

use super::*;
use crate::engine::event::RequestResult;
use crate::engine::ids::{AWS_OWNED, ConnectionId, ItemId, TableKeyId};
use crate::engine::kms::{KeyKind, KeyState, KmsErrorCode};
use crate::engine::table::{SseStatus, TableStatus};
use crate::engine::time::{HOUR, MINUTE, SECOND, SimDuration, SimTime};

pub(super) fn world(deks: u32, items: u64) -> WorldSpec {
    WorldSpec {
        seed: 7,
        assumptions: Assumptions::default(),
        keys: vec![
            KeySpec {
                id: "kms-1".into(),
                kind: KeyKind::CustomerManaged,
                enabled: true,
                rotation_days: None,
                allow: None,
                external: false,
                expires: None,
                region: super::DEFAULT_REGION.into(),
                starts_as: None,
            },
            KeySpec {
                id: "kms-2".into(),
                kind: KeyKind::CustomerManaged,
                enabled: true,
                rotation_days: None,
                allow: None,
                external: false,
                expires: None,
                region: super::DEFAULT_REGION.into(),
                starts_as: None,
            },
            KeySpec {
                id: "aws-dynamodb".into(),
                kind: KeyKind::AwsManaged,
                enabled: true,
                rotation_days: None,
                allow: None,
                external: false,
                expires: None,
                region: super::DEFAULT_REGION.into(),
                starts_as: None,
            },
        ],
        tables: vec![TableSpec {
            name: "Orders".into(),
            key: "kms-1".into(),
            deks,
            items,
            replicas: Vec::new(),
            start: super::TableStart::default(),
        }],
        principals: vec![
            PrincipalSpec {
                id: "app".into(),
                connections: 2,
            },
            PrincipalSpec {
                id: "analytics".into(),
                connections: 1,
            },
        ],
        backups: Vec::new(),
    }
}

pub(super) fn read(p: &str) -> Command {
    Command::Read {
        principal: p.into(),
        connection: ConnectionId(1),
    }
}

pub(super) fn at(e: &mut Engine, t: SimTime, cmd: &Command) -> RequestResult {
    e.advance_to(t);
    e.apply(cmd)
}

pub(super) fn kms_error(r: &RequestResult) -> Option<KmsErrorCode> {
    match r {
        RequestResult::Error { kms_error, .. } => *kms_error,
        RequestResult::Ok => None,
    }
}

pub(super) fn mins(m: u64) -> SimTime {
    SimTime::ZERO + SimDuration::from_mins(m)
}

#[test]
fn every_item_decrypts_through_the_chain_at_start() {
    let e = Engine::new(&world(8, 64)).unwrap();
    let (ok, checked, err) = e.audit_sample(TableIx::FIRST, 1000);
    assert_eq!((ok, checked, err), (64, 64, None));
    assert_eq!(e.first_table().status, TableStatus::Active);
    assert!(e.recoverable(crate::engine::table::TableIx::FIRST));
}

#[test]
fn cache_serves_reads_until_refresh_then_disabled_key_fails() {
    let mut e = Engine::new(&world(4, 16)).unwrap();
    assert!(at(&mut e, mins(1), &read("app")).is_ok());
    assert_eq!(e.decrypt_calls_by(&"app".into()), 1);
    e.advance_to(mins(2));
    e.apply(&Command::DisableKey {
        key: "kms-1".into(),
    });
    // Cached key still works 3:59 later; no KMS call.
    assert!(at(&mut e, mins(5) + SimDuration::from_secs(59), &read("app")).is_ok());
    assert_eq!(e.decrypt_calls_by(&"app".into()), 1);
    assert_eq!(
        e.cached_time_left(
            crate::engine::table::TableIx::FIRST,
            &"app".into(),
            ConnectionId(1)
        ),
        Some(SECOND)
    );
    // At exactly fetched + 5 min the entry has expired; the refetch fails.
    let r = at(&mut e, mins(6), &read("app"));
    assert_eq!(kms_error(&r), Some(KmsErrorCode::DisabledException));
    assert_eq!(
        e.first_table().status,
        TableStatus::InaccessibleEncryptionCredentials
    );
    assert_eq!(e.first_table().inaccessible_since, Some(mins(6)));
    assert_eq!(
        e.cached_time_left(
            crate::engine::table::TableIx::FIRST,
            &"app".into(),
            ConnectionId(1)
        ),
        None
    );
}

#[test]
fn detection_without_traffic_then_archive_after_seven_days() {
    let mut e = Engine::new(&world(2, 4)).unwrap();
    e.apply(&Command::DisableKey {
        key: "kms-1".into(),
    });
    e.advance_to(mins(9));
    assert_eq!(e.first_table().status, TableStatus::Active);
    e.advance_to(mins(10));
    assert_eq!(
        e.first_table().status,
        TableStatus::InaccessibleEncryptionCredentials
    );
    e.advance_to(mins(10) + SimDuration::from_days(7));
    assert_eq!(e.first_table().status, TableStatus::Archiving);
    e.advance_to(mins(10) + SimDuration::from_days(7) + HOUR);
    assert_eq!(e.first_table().status, TableStatus::Archived);
    assert!(
        e.recoverable(crate::engine::table::TableIx::FIRST),
        "disabled, not deleted: the backup can be restored"
    );
    let r = e.apply(&read("app"));
    assert!(matches!(r, RequestResult::Error { ref error, .. } if error.name() == "TableArchived"));
}

#[test]
fn re_enable_restores_access_before_archive() {
    let mut e = Engine::new(&world(2, 4)).unwrap();
    e.apply(&Command::DisableKey {
        key: "kms-1".into(),
    });
    e.advance_to(HOUR.into_time());
    assert_eq!(
        e.first_table().status,
        TableStatus::InaccessibleEncryptionCredentials
    );
    e.apply(&Command::EnableKey {
        key: "kms-1".into(),
    });
    assert!(
        e.apply(&read("app")).is_ok(),
        "a successful KMS call restores access"
    );
    assert_eq!(e.first_table().status, TableStatus::Active);
    assert_eq!(e.first_table().inaccessible_since, None);
    e.advance(SimDuration::from_days(8));
    assert_eq!(e.first_table().status, TableStatus::Active);
}

#[test]
fn key_change_rewraps_every_dek_and_items_never_change() {
    let mut e = Engine::new(&world(8, 64)).unwrap();
    let items_before: Vec<_> = e
        .first_table()
        .items
        .iter()
        .map(|i| i.sealed.clone())
        .collect();
    let deks_before: Vec<_> = e
        .first_table()
        .deks
        .iter()
        .map(|d| d.wrapped.clone())
        .collect();
    assert!(
        at(
            &mut e,
            mins(1),
            &Command::ChangeTableKey {
                key: "kms-2".into()
            }
        )
        .is_ok()
    );
    assert_eq!(e.first_table().sse, SseStatus::Updating);
    e.advance(SimDuration::from_secs(8));
    assert_eq!(e.first_table().job.as_ref().unwrap().done, 4);
    assert!(e.apply(&read("app")).is_ok(), "reads work during UPDATING");
    e.advance(SimDuration::from_secs(8));
    assert_eq!(e.first_table().sse, SseStatus::Enabled);
    assert_eq!(e.first_table().current_kms_key().as_str(), "kms-2");
    let items_after: Vec<_> = e
        .first_table()
        .items
        .iter()
        .map(|i| i.sealed.clone())
        .collect();
    assert_eq!(
        items_before[..],
        items_after[..64],
        "item ciphertext untouched"
    );
    for (d, before) in e.first_table().deks.iter().zip(&deks_before) {
        assert_ne!(&d.wrapped, before, "every DEK re-wrapped");
        assert_eq!(d.under, TableKeyId(2));
    }
    // Delete KMS-1: reads keep working (the seed story).
    e.apply(&Command::ScheduleKeyDeletion {
        key: "kms-1".into(),
        days: 7,
    });
    e.advance(SimDuration::from_days(8));
    assert!(e.key(&"kms-1".into()).unwrap().is_deleted());
    assert_eq!(e.key(&"kms-1".into()).unwrap().live_versions(), 0);
    assert!(e.apply(&read("app")).is_ok());
    assert!(e.recoverable(crate::engine::table::TableIx::FIRST));
    assert_eq!(e.audit_sample(TableIx::FIRST, 100).0, 64);
}

#[test]
fn old_key_disabled_mid_rewrap_stalls_the_job() {
    let mut spec = world(400, 400);
    spec.assumptions.rewrap_per_dek = SimDuration::from_secs(2);
    let mut e = Engine::new(&spec).unwrap();
    e.apply(&Command::ChangeTableKey {
        key: "kms-2".into(),
    });
    e.advance_to(mins(2));
    e.apply(&Command::DisableKey {
        key: "kms-1".into(),
    });
    // The job's copy of T1 expires at 5:00; the refresh fails.
    e.advance_to(mins(5));
    let job = e.first_table().job.as_ref().unwrap();
    assert!(job.stalled.is_some(), "stalled");
    assert_eq!(job.done, 149);
    assert_eq!(e.first_table().sse, SseStatus::Updating);
    assert_eq!(
        e.first_table().status,
        TableStatus::InaccessibleEncryptionCredentials
    );
    e.apply(&Command::EnableKey {
        key: "kms-1".into(),
    });
    e.advance(SimDuration::from_mins(10));
    assert!(
        e.first_table().job.as_ref().unwrap().stalled.is_none(),
        "resumed at the check"
    );
    e.advance(SimDuration::from_mins(30));
    assert_eq!(e.first_table().sse, SseStatus::Enabled);
    assert_eq!(e.first_table().status, TableStatus::Active);
}

#[test]
fn deleting_the_current_key_makes_data_unrecoverable() {
    let mut e = Engine::new(&world(2, 8)).unwrap();
    e.apply(&Command::ScheduleKeyDeletion {
        key: "kms-1".into(),
        days: 7,
    });
    let r = at(&mut e, mins(1), &read("app"));
    assert_eq!(kms_error(&r), Some(KmsErrorCode::KmsInvalidStateException));
    e.advance_to(SimTime::ZERO + SimDuration::from_days(7));
    assert!(!e.recoverable(crate::engine::table::TableIx::FIRST));
    assert_eq!(
        e.milestones(TableIx::FIRST).unrecoverable_from,
        Some(SimTime::ZERO + SimDuration::from_days(7))
    );
    assert!(
        e.audit_item(crate::engine::table::TableIx::FIRST, ItemId(0), None)
            .is_err()
    );
    let r = e.apply(&Command::CancelKeyDeletion {
        key: "kms-1".into(),
    });
    assert_eq!(kms_error(&r), Some(KmsErrorCode::NotFoundException));
}

#[test]
fn cancel_leaves_key_disabled() {
    let mut e = Engine::new(&world(2, 8)).unwrap();
    e.apply(&Command::ScheduleKeyDeletion {
        key: "kms-1".into(),
        days: 30,
    });
    e.advance_to(HOUR.into_time());
    assert!(
        e.apply(&Command::CancelKeyDeletion {
            key: "kms-1".into()
        })
        .is_ok()
    );
    assert_eq!(e.key(&"kms-1".into()).unwrap().state, KeyState::Disabled);
    let r = e.apply(&read("app"));
    assert_eq!(kms_error(&r), Some(KmsErrorCode::DisabledException));
    assert_eq!(
        e.first_table().status,
        TableStatus::InaccessibleEncryptionCredentials
    );
}

#[test]
fn revoking_one_principal_does_not_make_the_table_inaccessible() {
    let mut e = Engine::new(&world(2, 8)).unwrap();
    assert!(e.apply(&read("analytics")).is_ok());
    assert!(e.apply(&read("app")).is_ok());
    e.apply(&Command::Revoke {
        key: "kms-1".into(),
        principal: "analytics".into(),
    });
    e.advance_to(mins(5));
    let r = e.apply(&read("analytics"));
    assert_eq!(kms_error(&r), Some(KmsErrorCode::AccessDeniedException));
    assert!(e.apply(&read("app")).is_ok());
    assert_eq!(e.first_table().status, TableStatus::Active);
}

#[test]
fn quota_refuses_the_fifth_change_but_not_aws_owned() {
    let mut spec = world(2, 2);
    spec.assumptions.rewrap_per_dek = SimDuration::ZERO;
    let mut e = Engine::new(&spec).unwrap();
    for (i, k) in ["kms-2", "kms-1", "kms-2", "kms-1"].iter().enumerate() {
        let r = at(
            &mut e,
            mins(i as u64 + 1),
            &Command::ChangeTableKey { key: (*k).into() },
        );
        assert!(r.is_ok(), "change {i}: {r:?}");
    }
    let r = at(
        &mut e,
        mins(10),
        &Command::ChangeTableKey {
            key: "kms-2".into(),
        },
    );
    assert!(
        matches!(r, RequestResult::Error { ref error, .. } if error.name() == "LimitExceededException")
    );
    assert!(
        at(
            &mut e,
            mins(11),
            &Command::ChangeTableKey {
                key: AWS_OWNED.into()
            }
        )
        .is_ok()
    );
    assert_eq!(e.first_table().current_kms_key().as_str(), AWS_OWNED);
}

#[test]
fn rotation_adds_material_and_moves_nothing() {
    let mut e = Engine::new(&world(2, 8)).unwrap();
    let wrapped = e.first_table().table_key(TableKeyId(1)).wrapped.clone();
    assert!(
        e.apply(&Command::RotateKey {
            key: "kms-1".into()
        })
        .is_ok()
    );
    assert_eq!(e.key(&"kms-1".into()).unwrap().live_versions(), 2);
    assert_eq!(e.first_table().table_key(TableKeyId(1)).wrapped, wrapped);
    assert!(e.apply(&read("app")).is_ok(), "old version still decrypts");
}

#[test]
fn aws_managed_keys_cannot_be_disabled() {
    let mut e = Engine::new(&world(2, 8)).unwrap();
    let r = e.apply(&Command::DisableKey {
        key: "aws-dynamodb".into(),
    });
    assert!(
        matches!(r, RequestResult::Error { ref error, .. } if error.name() == "AccessDeniedException")
    );
    assert_eq!(
        e.key(&"aws-dynamodb".into()).unwrap().state,
        KeyState::Enabled
    );
}

#[test]
fn cache_expiry_zeroizes_the_plaintext() {
    let mut e = Engine::new(&world(2, 8)).unwrap();
    e.apply(&read("app"));
    assert!(
        e.cache_entry(TableIx::FIRST, &"app".into(), ConnectionId(1))
            .unwrap()
            .holds_plaintext()
    );
    e.advance(MINUTE.saturating_mul(5));
    assert!(
        !e.cache_entry(TableIx::FIRST, &"app".into(), ConnectionId(1))
            .unwrap()
            .holds_plaintext()
    );
}

#[test]
fn same_seed_same_log() {
    let run = || {
        let mut e = Engine::new(&world(8, 64)).unwrap();
        e.apply(&read("app"));
        e.apply(&Command::ChangeTableKey {
            key: "kms-2".into(),
        });
        e.advance(SimDuration::from_days(1));
        serde_json::to_string(&e.log().iter().collect::<Vec<_>>()).unwrap()
    };
    assert_eq!(run(), run());
}

trait IntoTime {
    fn into_time(self) -> SimTime;
}
impl IntoTime for SimDuration {
    fn into_time(self) -> SimTime {
        SimTime::ZERO + self
    }
}

#[test]
fn zero_detection_notices_in_the_same_instant() {
    let mut spec = world(2, 4);
    spec.assumptions.detection = SimDuration::ZERO;
    let mut e = Engine::new(&spec).unwrap();
    e.advance_to(mins(1));
    e.apply(&Command::DisableKey {
        key: "kms-1".into(),
    });
    assert_eq!(
        e.first_table().status,
        TableStatus::InaccessibleEncryptionCredentials
    );
    assert_eq!(e.first_table().inaccessible_since, Some(mins(1)));
}
