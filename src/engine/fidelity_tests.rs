//! Engine tests for the fidelity fixes: the archive deadline, deleted keys, propagation, key
//! changes that can never finish, large re-wraps, table-key AAD binding.

use super::tests::{at, kms_error, mins, read, world};
use super::*;
use crate::engine::event::{EventKind, RequestResult};
use crate::engine::ids::{ConnectionId, KmsKeyId, TableKeyId};
use crate::engine::kms::{KeyState, KmsErrorCode};
use crate::engine::table::{SseStatus, TableStatus};
use crate::engine::time::{SimDuration, SimTime};

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
        e.first_table().status,
        TableStatus::InaccessibleEncryptionCredentials
    );
    let deadline = e.first_table().archive_at.unwrap();
    assert_eq!(deadline, days(7) + SimDuration::from_mins(11));
    let enable_at = SimTime(deadline.0 - SimDuration::from_mins(5).0);
    at(
        &mut e,
        enable_at,
        &cmd_key(|key| Command::EnableKey { key }, "kms-1"),
    );
    e.advance_to(deadline + SimDuration::from_hours(2));
    assert_eq!(
        e.first_table().status,
        TableStatus::Active,
        "access was restored in time"
    );
    assert!(e.milestones(TableIx::FIRST).archiving_at.is_none());
    assert!(e.log().iter().any(|ev| matches!(&ev.kind,
        EventKind::KmsCall(c) if c.purpose == crate::engine::vocab::Purpose::ArchiveCheck && c.error_code.is_none() && c.simulator_check)));
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
    assert_eq!(e.first_table().status, TableStatus::Archived);
    assert!(e.log().iter().any(|ev| matches!(&ev.kind,
        EventKind::KmsCall(c) if c.purpose == crate::engine::vocab::Purpose::ArchiveCheck && c.error_code == Some(KmsErrorCode::DisabledException))));
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
    let blob = e.first_table().table_key(TableKeyId(1)).wrapped.clone();
    let other = e.key(&"kms-2".into()).unwrap();
    let err = other
        .decrypt(
            &blob,
            &table::table_key_aad(&e.first_table().context, TableKeyId(1)),
        )
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
    assert_eq!(e.first_table().status, TableStatus::Active);
    e.advance_to(mins(14));
    assert_eq!(
        e.first_table().status,
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
        e.first_table().sse,
        SseStatus::Updating,
        "stuck UPDATING: undocumented"
    );
    assert!(
        e.first_table()
            .job
            .as_ref()
            .unwrap()
            .cannot_finish
            .is_some()
    );
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
    assert_eq!(e.first_table().current, TableKeyId(2));
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
    let blob = e.first_table().table_key(TableKeyId(1)).wrapped.clone();
    let kms1 = e.key(&"kms-1".into()).unwrap();
    assert!(
        kms1.decrypt(
            &blob,
            &table::table_key_aad(&e.first_table().context, TableKeyId(1))
        )
        .is_ok()
    );
    assert_eq!(
        kms1.decrypt(
            &blob,
            &table::table_key_aad(&e.first_table().context, TableKeyId(2))
        )
        .unwrap_err()
        .code,
        KmsErrorCode::InvalidCiphertextException
    );
}
