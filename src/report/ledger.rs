//! The recoverability ledger at the end of `rewrap run`: for each table (declared or
//! restored), every copy of its data (the table, each global-table replica, each on-demand
//! backup, each archival backup) with the KMS key it needs, what can be done with it at the
//! end, and when it stopped being readable and recoverable.

use crate::engine::Engine;
use crate::engine::backup::{Backup, BackupState};
use crate::engine::ids::KmsKeyId;
use crate::engine::table::{Table, TableIx, TableStatus};
use crate::engine::time::SimTime;

/// One copy of a table's data, the KMS key it needs, its state at the end, and when it
/// stopped being readable / recoverable.
#[derive(Clone, Debug)]
pub struct LedgerRow {
    pub table: String,
    pub copy: String,
    pub key: String,
    pub state: String,
    pub unreadable_since: Option<SimTime>,
    /// `unreadable_since` in words (a status the table starts in reads "2d before the start").
    pub unreadable_text: Option<String>,
    pub lost_since: Option<SimTime>,
}

fn deleted_at(engine: &Engine, key: &KmsKeyId) -> Option<SimTime> {
    engine.key_deleted_at(key)
}

/// The row of a live copy: a table or one of its replicas.
fn copy_row(engine: &Engine, owner: &str, copy: String, tx: TableIx, t: &Table) -> LedgerRow {
    let key = t.current_kms_key();
    let lost = deleted_at(engine, key);
    let mut state = match (t.status(), lost) {
        (_, Some(_)) => "LOST: its key material was destroyed".to_string(),
        (TableStatus::Active, _) => "readable".to_string(),
        (TableStatus::InaccessibleEncryptionCredentials, _) => {
            format!("unreadable until {key} is usable again")
        }
        (TableStatus::Archiving, _) => "archiving: its archival backup is being taken".to_string(),
        (TableStatus::Archived, _) => "archived: its archival backup is the copy".to_string(),
    };
    if t.removed_at().is_some() {
        state.push_str("; out of the replication group (gets no writes)");
    } else if !engine.replication_targets(tx).is_empty() {
        state.push_str("; replicating");
    }
    LedgerRow {
        table: owner.to_string(),
        copy,
        key: key.to_string(),
        state,
        unreadable_since: t.inaccessible_since(),
        unreadable_text: t.inaccessible_since().map(|at| t.moment_text(at)),
        lost_since: lost,
    }
}

fn backup_row(engine: &Engine, owner: &str, copy: String, b: &Backup) -> LedgerRow {
    let needs: Vec<String> = b.needs().iter().map(ToString::to_string).collect();
    let state = match engine.backup_state(b) {
        BackupState::Restorable => "restorable now".to_string(),
        BackupState::Blocked => format!(
            "blocked: restorable once {} is usable again",
            needs.join(" and ")
        ),
        BackupState::Lost => "LOST: a key it needs was destroyed".to_string(),
    };
    LedgerRow {
        table: owner.to_string(),
        copy,
        key: needs.join("+"),
        state,
        unreadable_since: None,
        unreadable_text: None,
        lost_since: engine.backup_lost_at(b),
    }
}

/// The ledger rows for every table, its replicas and its backups.
pub fn ledger(engine: &Engine) -> Vec<LedgerRow> {
    let mut rows = Vec::new();
    for (i, t) in engine.tables().iter().enumerate() {
        if t.replica_of().is_some() {
            continue;
        }
        let copies = engine.copies_of(TableIx(i));
        let copy = match &t.restored_from() {
            Some(b) => format!("table (from {b})"),
            None if copies.len() > 1 => format!("table {}", t.region()),
            None => "table".to_string(),
        };
        rows.push(copy_row(engine, t.name(), copy, TableIx(i), t));
        for &c in &copies[1..] {
            let r = &engine.tables()[c.0];
            rows.push(copy_row(
                engine,
                t.name(),
                format!("replica {}", r.region()),
                c,
                r,
            ));
        }
        for b in engine.backups() {
            if !copies.contains(&b.source()) {
                continue;
            }
            let copy = if b.archival() {
                let src = &engine.tables()[b.source().0];
                if src.replica_of().is_some() {
                    format!("archival backup {}", src.region())
                } else {
                    "archival backup".to_string()
                }
            } else {
                format!("backup {}", b.name())
            };
            rows.push(backup_row(engine, t.name(), copy, b));
        }
    }
    rows
}

/// The choices the documented facts leave open that this world runs into (version 2: global
/// tables, backups, restores), each printed after the assumptions of a run.
pub fn choices(scenario: &crate::scenario::Scenario) -> Vec<&'static str> {
    use crate::engine::Command;
    use crate::scenario::Action;
    let replicas = scenario.world.tables.iter().any(|t| !t.replicas.is_empty());
    let cmds = || {
        scenario.steps.iter().filter_map(|s| match &s.action {
            Action::Command(c) => Some(c),
            Action::EachConnection { .. } => None,
        })
    };
    let backups = cmds().any(|c| matches!(c, Command::Backup { .. }));
    let restores = cmds().any(|c| matches!(c, Command::Restore { .. }));
    let mut v = Vec::new();
    if replicas {
        v.push("a write reaches another copy through DynamoDB's copy of that copy's table key, kept for cache_refresh (a write can reach it minutes after its key was disabled)");
        v.push("writes a copy missed while inaccessible are never caught up");
        v.push("the table itself leaves its replication group like a replica when its own key is unusable for replica_removal_after");
        v.push("a copy out of the replication group is archived like any table after archive_after inaccessible");
    }
    if backups {
        v.push("CreateBackup makes no KMS call: an inaccessible table can be backed up; an archiving or archived one cannot");
    }
    if restores {
        v.push("a restore completes at the instant of its step (real restores take longer)");
        v.push("a restore decrypts the backup's table key as DynamoDB, without the source table's grant");
    }
    v
}
