//! Engine behaviour tests: each pins one documented fact or modelling rule.

use super::*;
use crate::engine::event::{EventKind, RequestResult};
use crate::engine::ids::{ConnectionId, KmsKeyId, TableKeyId};
use crate::engine::kms::{KeyKind, KeyState, KmsErrorCode};
use crate::engine::table::{SseStatus, TableStatus};
use crate::engine::time::{HOUR, MINUTE, SECOND, SimDuration, SimTime};

fn world(deks: u32, items: u64) -> WorldSpec {
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
            },
            KeySpec {
                id: "kms-2".into(),
                kind: KeyKind::CustomerManaged,
                enabled: true,
                rotation_days: None,
                allow: None,
            },
            KeySpec {
                id: "aws-dynamodb".into(),
                kind: KeyKind::AwsManaged,
                enabled: true,
                rotation_days: None,
                allow: None,
            },
        ],
        table: TableSpec {
            name: "Orders".into(),
            key: "kms-1".into(),
            deks,
            items,
        },
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
    }
}

fn read(p: &str) -> Command {
    Command::Read {
        principal: p.into(),
        connection: ConnectionId(1),
    }
}

fn at(e: &mut Engine, t: SimTime, cmd: &Command) -> RequestResult {
    e.advance_to(t);
    e.apply(cmd)
}

fn kms_error(r: &RequestResult) -> Option<KmsErrorCode> {
    match r {
        RequestResult::Error { kms_error, .. } => *kms_error,
        RequestResult::Ok => None,
    }
}

fn mins(m: u64) -> SimTime {
    SimTime::ZERO + SimDuration::from_mins(m)
}

#[test]
fn every_item_decrypts_through_the_chain_at_start() {
    let e = Engine::new(&world(8, 64)).unwrap();
    let (ok, checked, err) = e.audit_sample(1000);
    assert_eq!((ok, checked, err), (64, 64, None));
    assert_eq!(e.table().status, TableStatus::Active);
    assert!(e.recoverable());
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
        e.cached_time_left(&"app".into(), ConnectionId(1)),
        Some(SECOND)
    );
    // At exactly fetched + 5 min the entry has expired; the refetch fails.
    let r = at(&mut e, mins(6), &read("app"));
    assert_eq!(kms_error(&r), Some(KmsErrorCode::DisabledException));
    assert_eq!(
        e.table().status,
        TableStatus::InaccessibleEncryptionCredentials
    );
    assert_eq!(e.table().inaccessible_since, Some(mins(6)));
    assert_eq!(e.cached_time_left(&"app".into(), ConnectionId(1)), None);
}

#[test]
fn detection_without_traffic_then_archive_after_seven_days() {
    let mut e = Engine::new(&world(2, 4)).unwrap();
    e.apply(&Command::DisableKey {
        key: "kms-1".into(),
    });
    e.advance_to(mins(9));
    assert_eq!(e.table().status, TableStatus::Active);
    e.advance_to(mins(10));
    assert_eq!(
        e.table().status,
        TableStatus::InaccessibleEncryptionCredentials
    );
    e.advance_to(mins(10) + SimDuration::from_days(7));
    assert_eq!(e.table().status, TableStatus::Archiving);
    e.advance_to(mins(10) + SimDuration::from_days(7) + HOUR);
    assert_eq!(e.table().status, TableStatus::Archived);
    assert!(
        e.recoverable(),
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
        e.table().status,
        TableStatus::InaccessibleEncryptionCredentials
    );
    e.apply(&Command::EnableKey {
        key: "kms-1".into(),
    });
    assert!(
        e.apply(&read("app")).is_ok(),
        "a successful KMS call restores access"
    );
    assert_eq!(e.table().status, TableStatus::Active);
    assert_eq!(e.table().inaccessible_since, None);
    e.advance(SimDuration::from_days(8));
    assert_eq!(e.table().status, TableStatus::Active);
}

#[test]
fn key_change_rewraps_every_dek_and_items_never_change() {
    let mut e = Engine::new(&world(8, 64)).unwrap();
    let items_before: Vec<_> = e.table().items.iter().map(|i| i.sealed.clone()).collect();
    let deks_before: Vec<_> = e.table().deks.iter().map(|d| d.wrapped.clone()).collect();
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
    assert_eq!(e.table().sse, SseStatus::Updating);
    e.advance(SimDuration::from_secs(8));
    assert_eq!(e.table().job.as_ref().unwrap().done, 4);
    assert!(e.apply(&read("app")).is_ok(), "reads work during UPDATING");
    e.advance(SimDuration::from_secs(8));
    assert_eq!(e.table().sse, SseStatus::Enabled);
    assert_eq!(e.table().current_kms_key().as_str(), "kms-2");
    let items_after: Vec<_> = e.table().items.iter().map(|i| i.sealed.clone()).collect();
    assert_eq!(
        items_before[..],
        items_after[..64],
        "item ciphertext untouched"
    );
    for (d, before) in e.table().deks.iter().zip(&deks_before) {
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
    assert!(e.recoverable());
    assert_eq!(e.audit_sample(100).0, 64);
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
    let job = e.table().job.as_ref().unwrap();
    assert!(job.stalled.is_some(), "stalled");
    assert_eq!(job.done, 149);
    assert_eq!(e.table().sse, SseStatus::Updating);
    assert_eq!(
        e.table().status,
        TableStatus::InaccessibleEncryptionCredentials
    );
    e.apply(&Command::EnableKey {
        key: "kms-1".into(),
    });
    e.advance(SimDuration::from_mins(10));
    assert!(
        e.table().job.as_ref().unwrap().stalled.is_none(),
        "resumed at the check"
    );
    e.advance(SimDuration::from_mins(30));
    assert_eq!(e.table().sse, SseStatus::Enabled);
    assert_eq!(e.table().status, TableStatus::Active);
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
    assert!(!e.recoverable());
    assert_eq!(
        e.milestones().unrecoverable_from,
        Some(SimTime::ZERO + SimDuration::from_days(7))
    );
    assert!(e.audit_item(ItemId(0), None).is_err());
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
        e.table().status,
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
    assert_eq!(e.table().status, TableStatus::Active);
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
    assert_eq!(e.table().current_kms_key().as_str(), AWS_OWNED);
}

#[test]
fn rotation_adds_material_and_moves_nothing() {
    let mut e = Engine::new(&world(2, 8)).unwrap();
    let wrapped = e.table().table_key(TableKeyId(1)).wrapped.clone();
    assert!(
        e.apply(&Command::RotateKey {
            key: "kms-1".into()
        })
        .is_ok()
    );
    assert_eq!(e.key(&"kms-1".into()).unwrap().live_versions(), 2);
    assert_eq!(e.table().table_key(TableKeyId(1)).wrapped, wrapped);
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
        e.cache_entry(&"app".into(), ConnectionId(1))
            .unwrap()
            .holds_plaintext()
    );
    e.advance(MINUTE.saturating_mul(5));
    assert!(
        !e.cache_entry(&"app".into(), ConnectionId(1))
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
        e.table().status,
        TableStatus::InaccessibleEncryptionCredentials
    );
    assert_eq!(e.table().inaccessible_since, Some(mins(1)));
}

fn days(d: u64) -> SimTime {
    SimTime::ZERO + SimDuration::from_days(d)
}

fn cmd_key(f: fn(KmsKeyId) -> Command, k: &str) -> Command {
    f(k.into())
}

#[test]
fn archive_deadline_does_not_archive_a_table_whose_key_came_back() {
    // Disable at 1m; detection marks the table inaccessible at 11m; the deadline is 7d 11m.
    // Enable 5 minutes before the deadline, nobody reads, the background check for that
    // change would come 5 minutes *after* the deadline: DynamoDB still must not archive.
    let mut e = Engine::new(&world(4, 16)).unwrap();
    at(
        &mut e,
        mins(1),
        &cmd_key(|key| Command::DisableKey { key }, "kms-1"),
    );
    e.advance_to(mins(11));
    assert_eq!(
        e.table().status,
        TableStatus::InaccessibleEncryptionCredentials
    );
    let deadline = e.table().archive_at.unwrap();
    assert_eq!(deadline, days(7) + SimDuration::from_mins(11));
    let enable_at = SimTime(deadline.0 - SimDuration::from_mins(5).0);
    at(
        &mut e,
        enable_at,
        &cmd_key(|key| Command::EnableKey { key }, "kms-1"),
    );
    e.advance_to(deadline + SimDuration::from_hours(2));
    assert_eq!(
        e.table().status,
        TableStatus::Active,
        "access was restored in time"
    );
    assert!(e.milestones().archiving_at.is_none());
    assert!(e.log().iter().any(|ev| matches!(&ev.kind,
        EventKind::KmsCall(c) if c.purpose == ARCHIVE_CHECK && c.error_code.is_none() && c.simulator_check)));
}

#[test]
fn archive_deadline_archives_when_the_key_is_still_unusable() {
    let mut e = Engine::new(&world(4, 16)).unwrap();
    at(
        &mut e,
        mins(1),
        &cmd_key(|key| Command::DisableKey { key }, "kms-1"),
    );
    e.advance_to(days(8));
    assert_eq!(e.table().status, TableStatus::Archived);
    assert!(e.log().iter().any(|ev| matches!(&ev.kind,
        EventKind::KmsCall(c) if c.purpose == ARCHIVE_CHECK && c.error_code == Some(KmsErrorCode::DisabledException))));
}

#[test]
fn permission_changes_on_a_deleted_key_are_not_found() {
    let mut e = Engine::new(&world(4, 16)).unwrap();
    at(
        &mut e,
        mins(1),
        &Command::ScheduleKeyDeletion {
            key: "kms-2".into(),
            days: 7,
        },
    );
    e.advance_to(days(8));
    assert!(e.key(&"kms-2".into()).unwrap().is_deleted());
    for cmd in [
        Command::Revoke {
            key: "kms-2".into(),
            principal: "app".into(),
        },
        Command::Allow {
            key: "kms-2".into(),
            principal: "app".into(),
        },
    ] {
        let r = e.apply(&cmd);
        assert_eq!(
            kms_error(&r),
            Some(KmsErrorCode::NotFoundException),
            "{cmd:?}"
        );
        assert!(
            matches!(&r, RequestResult::Error { error, .. } if error.name() == "NotFoundException")
        );
    }
}

#[test]
fn describe_key_on_a_deleted_target_is_logged_as_not_found() {
    let mut e = Engine::new(&world(4, 16)).unwrap();
    at(
        &mut e,
        mins(1),
        &Command::ScheduleKeyDeletion {
            key: "kms-2".into(),
            days: 7,
        },
    );
    e.advance_to(days(8));
    let r = e.apply(&Command::ChangeTableKey {
        key: "kms-2".into(),
    });
    assert_eq!(kms_error(&r), Some(KmsErrorCode::NotFoundException));
    let last_describe = e
        .log()
        .iter()
        .rev()
        .find_map(|ev| match &ev.kind {
            EventKind::KmsCall(c) if c.event_name == crate::engine::vocab::KmsOp::DescribeKey => {
                Some(c.clone())
            }
            _ => None,
        })
        .unwrap();
    assert_eq!(
        last_describe.error_code,
        Some(KmsErrorCode::NotFoundException)
    );
}

#[test]
fn decrypt_under_the_wrong_key_is_incorrect_key() {
    let e = Engine::new(&world(4, 16)).unwrap();
    let blob = e.table().table_key(TableKeyId(1)).wrapped.clone();
    let other = e.key(&"kms-2".into()).unwrap();
    let err = other
        .decrypt(&blob, &table::table_key_aad(&e.context, TableKeyId(1)))
        .unwrap_err();
    assert_eq!(err.code, KmsErrorCode::IncorrectKeyException);
}

#[test]
fn propagation_delays_a_disable_from_reaching_dynamodb() {
    let mut spec = world(4, 16);
    spec.assumptions.propagation = SimDuration::from_mins(3);
    let mut e = Engine::new(&spec).unwrap();
    at(
        &mut e,
        mins(1),
        &cmd_key(|key| Command::DisableKey { key }, "kms-1"),
    );
    let k = e.key(&"kms-1".into()).unwrap();
    assert_eq!(
        k.state,
        KeyState::Disabled,
        "DescribeKey shows the change at once"
    );
    assert_eq!(
        k.effective_state(),
        KeyState::Enabled,
        "crypto calls do not see it yet"
    );
    // A fresh connection's fetch 2 minutes later still works: the change has not spread.
    assert!(at(&mut e, mins(3), &read("app")).is_ok());
    e.advance_to(mins(4));
    assert_eq!(
        e.key(&"kms-1".into()).unwrap().effective_state(),
        KeyState::Disabled
    );
    // Detection counts from when DynamoDB can see the change: 4m + 10m.
    e.advance_to(mins(13));
    assert_eq!(e.table().status, TableStatus::Active);
    e.advance_to(mins(14));
    assert_eq!(
        e.table().status,
        TableStatus::InaccessibleEncryptionCredentials
    );
    // A revoke spreads the same way.
    at(
        &mut e,
        mins(20),
        &cmd_key(|key| Command::EnableKey { key }, "kms-1"),
    );
    at(
        &mut e,
        mins(30),
        &Command::Revoke {
            key: "kms-1".into(),
            principal: "analytics".into(),
        },
    );
    assert!(
        at(&mut e, mins(31), &read("analytics")).is_ok(),
        "revoke not yet seen"
    );
    e.advance_to(mins(33));
    let r = at(
        &mut e,
        mins(40),
        &Command::Read {
            principal: "analytics".into(),
            connection: ConnectionId(1),
        },
    );
    assert_eq!(kms_error(&r), Some(KmsErrorCode::AccessDeniedException));
}

#[test]
fn zero_propagation_changes_nothing_in_the_log() {
    let mut e = Engine::new(&world(4, 16)).unwrap();
    at(
        &mut e,
        mins(1),
        &cmd_key(|key| Command::DisableKey { key }, "kms-1"),
    );
    assert!(
        !e.log()
            .iter()
            .any(|ev| matches!(ev.kind, EventKind::KeyChangePropagated { .. }))
    );
    assert_eq!(
        e.key(&"kms-1".into()).unwrap().effective_state(),
        KeyState::Disabled
    );
}

#[test]
fn deleting_the_new_key_mid_switch_says_the_rewrap_can_never_finish() {
    let mut spec = world(8, 16);
    spec.assumptions.rewrap_per_dek = SimDuration::from_mins(2);
    let mut e = Engine::new(&spec).unwrap();
    at(
        &mut e,
        mins(1),
        &Command::ChangeTableKey {
            key: "kms-2".into(),
        },
    );
    // Schedule kms-2's deletion while the job runs (2m per DEK: 8 DEKs = 16m; the job's
    // copy of T2 runs out after 5m and it cannot fetch it again).
    at(
        &mut e,
        mins(1) + SimDuration::from_secs(4),
        &Command::ScheduleKeyDeletion {
            key: "kms-2".into(),
            days: 7,
        },
    );
    e.advance_to(days(8));
    assert!(e.log().iter().any(|ev| matches!(
        &ev.kind,
        EventKind::RewrapCannotFinish { new_key: true, .. }
    )));
    assert_eq!(
        e.table().sse,
        SseStatus::Updating,
        "stuck UPDATING: undocumented"
    );
    assert!(e.table().job.as_ref().unwrap().cannot_finish.is_some());
}

#[test]
fn a_large_rewrap_logs_ranges_that_cover_every_dek_once() {
    let mut spec = world(5_000, 0);
    spec.assumptions.rewrap_per_dek = SimDuration::ZERO;
    let mut e = Engine::new(&spec).unwrap();
    assert!(
        e.apply(&Command::ChangeTableKey {
            key: "kms-2".into()
        })
        .is_ok()
    );
    let mut next = 0;
    for ev in e.log().iter() {
        match &ev.kind {
            EventKind::DekRewrapped { .. } => panic!("one line per DEK in a large re-wrap"),
            EventKind::DeksRewrapped {
                first, last, done, ..
            } => {
                assert_eq!(first.0, next);
                assert_eq!(last.0 + 1, *done);
                next = *done;
            }
            _ => {}
        }
    }
    assert_eq!(next, 5_000);
    assert_eq!(e.table().current, TableKeyId(2));
}

#[test]
fn a_table_key_blob_is_bound_to_its_table_key_id() {
    let mut e = Engine::new(&world(4, 16)).unwrap();
    at(
        &mut e,
        mins(1),
        &Command::ChangeTableKey {
            key: "kms-1".into(),
        },
    );
    // kms-1 -> kms-1 is refused; use kms-2 and look at T1's blob under T2's id.
    at(
        &mut e,
        mins(2),
        &Command::ChangeTableKey {
            key: "kms-2".into(),
        },
    );
    let blob = e.table().table_key(TableKeyId(1)).wrapped.clone();
    let kms1 = e.key(&"kms-1".into()).unwrap();
    assert!(
        kms1.decrypt(&blob, &table::table_key_aad(&e.context, TableKeyId(1)))
            .is_ok()
    );
    assert_eq!(
        kms1.decrypt(&blob, &table::table_key_aad(&e.context, TableKeyId(2)))
            .unwrap_err()
            .code,
        KmsErrorCode::InvalidCiphertextException
    );
}
