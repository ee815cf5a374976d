//! The tables, replicas and backups of an import (see `build`): each from its `describe-*`
//! response, measured against the export's time, with a note for what is left out or assumed.

use std::collections::BTreeMap;

use super::build::{Ctx, DEKS, ITEMS, ago, name_slug};
use super::export::{BackupInfo, TableInfo};
use crate::engine::ids::{AWS_OWNED, KmsKeyId};
use crate::engine::time::SimDuration;
use crate::engine::{BackupKind, BackupSpec, ReplicaSpec, StartStatus, TableSpec, TableStart};

/// A table's starting state from `describe-table`, and its replicas.
pub(super) fn table_spec(
    cx: &mut Ctx<'_>,
    t: &TableInfo,
    all: &[&TableInfo],
) -> Result<TableSpec, String> {
    if t.strong_consistency {
        return Err(
            "a multi-Region strongly consistent global table, which rewrap does not model".into(),
        );
    }
    let name = name_slug(&t.name, 3, "Table");
    let (mut key, mut switching_to) = match &t.sse {
        None | Some((_, None, _)) => (KmsKeyId::new(AWS_OWNED), None),
        Some((_, Some(reference), _)) => (cx.key_id(reference, &t.region)?, None),
    };
    let mut start = TableStart::default();
    let now = cx.now;
    let since = |at: Option<i64>| at.map_or(SimDuration::ZERO, |a| ago(now, a));
    match t.status.as_str() {
        "INACCESSIBLE_ENCRYPTION_CREDENTIALS" => {
            start.status = StartStatus::Inaccessible;
            let at = t.sse.as_ref().and_then(|s| s.2);
            if at.is_none() {
                cx.warn(format!(
                    "table {name}: INACCESSIBLE without an InaccessibleEncryptionDateTime: taken as inaccessible since the export"
                ));
            }
            start.since = since(at);
            let most = SimDuration(cx.assumptions.archive_after.0 - 1_000);
            if start.since.0 >= most.0 {
                cx.warn(format!(
                    "table {name}: inaccessible for {} but not yet archived: taken as inaccessible for {} (the model archives after {})",
                    start.since, most, cx.assumptions.archive_after
                ));
                start.since = most;
            }
        }
        "ARCHIVING" | "ARCHIVED" => {
            start.status = StartStatus::Archived;
            start.since = since(t.archival.as_ref().and_then(|a| a.0));
            if t.status == "ARCHIVING" {
                cx.warn(format!("table {name} is ARCHIVING: taken as archived"));
            }
        }
        "ACTIVE" | "UPDATING" | "" => {}
        other => cx.warn(format!("table {name} is {other}: taken as active")),
    }
    start.since = SimDuration(start.since.0 / 1_000 * 1_000);
    // A key change under way: the key DynamoDB still holds a grant on for this table is the
    // one it is moving from (describe-table shows the new one).
    if t.sse.as_ref().is_some_and(|s| s.0 == "UPDATING") {
        let old = cx
            .export
            .grants
            .iter()
            .filter(|g| g.dynamodb && g.table.as_deref() == Some(t.name.as_str()))
            .filter_map(|g| cx.ids.get(&g.key_id).cloned())
            .find(|id| id != key.as_str());
        match old {
            Some(old) if start.status == StartStatus::Active => {
                switching_to = Some(key.clone());
                key = KmsKeyId::new(old.as_str());
            }
            _ => cx.warn(format!(
                "table {name}: SSE is UPDATING (a key change under way), but the key it moves from is in no export (DynamoDB's grant on it): taken as already under the new key"
            )),
        }
    }
    start.switching_to = switching_to;
    start.grant_revoked = grant_revoked(cx, &name, &t.name, &key);
    if start.switching_to.is_some() && start.grant_revoked {
        start.grant_revoked = false;
    }
    let mut replicas = Vec::new();
    for r in &t.replicas {
        if r.region == t.region || r.region.is_empty() {
            continue;
        }
        match replica_spec(cx, t, r, all, &key) {
            Ok(spec) => replicas.push(spec),
            Err(why) => cx.warn(format!(
                "replica of {name} in {}: not imported: {why}",
                r.region
            )),
        }
    }
    if replicas.len() > 8 {
        replicas.truncate(8);
        cx.warn(format!(
            "table {name}: more than 8 replicas; the first 8 are imported"
        ));
    }
    Ok(TableSpec {
        name,
        key,
        deks: DEKS,
        items: ITEMS,
        replicas,
        start,
    })
}

/// Whether DynamoDB's grant for `table` on `key` is gone: only when grants are in the export
/// at all (some exports, and test servers, show none of DynamoDB's).
fn grant_revoked(cx: &mut Ctx<'_>, name: &str, table: &str, key: &KmsKeyId) -> bool {
    let Some(info) = cx
        .export
        .keys
        .values()
        .find(|k| cx.ids.get(&k.key_id).is_some_and(|id| id == key.as_str()))
    else {
        return false;
    };
    if info.manager == "AWS" {
        return false;
    }
    if !cx.export.grants_of.contains(&info.key_id) {
        cx.warn(format!(
            "grants on {key} not exported (aws kms list-grants --key-id {}): DynamoDB's grant for {name} taken as in place",
            info.key_id
        ));
        return false;
    }
    if !cx.any_dynamodb_grant {
        cx.warn(format!(
            "the export shows no grant of DynamoDB's on any key: DynamoDB's grant for {name} on {key} taken as in place"
        ));
        return false;
    }
    let held = cx
        .export
        .grants
        .iter()
        .any(|g| g.dynamodb && g.key_id == info.key_id && g.table.as_deref() == Some(table));
    !held
}

fn replica_spec(
    cx: &mut Ctx<'_>,
    t: &TableInfo,
    r: &super::export::ReplicaInfo,
    all: &[&TableInfo],
    table_key: &KmsKeyId,
) -> Result<ReplicaSpec, String> {
    if !matches!(
        r.status.as_str(),
        "ACTIVE"
            | "CREATING"
            | "UPDATING"
            | ""
            | "INACCESSIBLE_ENCRYPTION_CREDENTIALS"
            | "REGION_DISABLED"
    ) {
        return Err(format!("ReplicaStatus {} is not modelled", r.status));
    }
    // The replica's own describe-table (exported from its region) says its key best.
    let own = all
        .iter()
        .find(|o| o.name == t.name && o.region == r.region);
    let reference = r
        .key
        .clone()
        .or_else(|| own.and_then(|o| o.sse.as_ref().and_then(|s| s.1.clone())));
    let key = match reference {
        Some(k) => cx.key_id(&k, &r.region)?,
        None if table_key.as_str() == AWS_OWNED => KmsKeyId::new(AWS_OWNED),
        None => {
            return Err(format!(
                "its key is not in the export: export `aws dynamodb describe-table --table-name {} --region {}`",
                t.name, r.region
            ));
        }
    };
    let mut start = TableStart::default();
    match r.status.as_str() {
        "ACTIVE" | "CREATING" | "UPDATING" | "" => {}
        "INACCESSIBLE_ENCRYPTION_CREDENTIALS" | "REGION_DISABLED" => {
            start.status = StartStatus::Inaccessible;
            start.since = r
                .inaccessible_since
                .map_or(SimDuration::ZERO, |a| ago(cx.now, a));
            start.since = SimDuration(start.since.0 / 1_000 * 1_000);
            let most = cx.assumptions.replica_removal_after;
            if start.since.0 > most.0 {
                cx.warn(format!(
                    "replica of {} in {}: inaccessible for {} and still in the group: taken as inaccessible for {most}",
                    t.name, r.region, start.since
                ));
                start.since = most;
            }
        }
        other => return Err(format!("ReplicaStatus {other} is not modelled")),
    }
    Ok(ReplicaSpec {
        region: r.region.clone(),
        key,
        start,
    })
}

pub(super) fn backup_spec(
    cx: &mut Ctx<'_>,
    b: &BackupInfo,
    tables: &[TableSpec],
    table_of: &BTreeMap<(String, String), usize>,
    earlier: &[BackupSpec],
) -> Result<Option<BackupSpec>, String> {
    if !b.status.is_empty() && b.status != "AVAILABLE" {
        return Ok(None);
    }
    let Some(&ix) = table_of.get(&(b.table.clone(), b.region.clone())) else {
        return Err(format!(
            "its table {} ({}) is not in the export (deleted, or not described)",
            b.table, b.region
        ));
    };
    let table = &tables[ix];
    if table.name != name_slug(&b.table, 3, "Table") {
        return Err("it is of a replica's region: backups of replicas are not modelled".into());
    }
    let kind = match b.backup_type.as_str() {
        "SYSTEM" => BackupKind::System,
        "AWS_BACKUP" => BackupKind::AwsBackup,
        _ => BackupKind::User,
    };
    let key = match &b.key {
        Some(Some(reference)) => cx.key_id(reference, &b.region)?,
        Some(None) => KmsKeyId::new(AWS_OWNED),
        None => {
            cx.warn(format!(
                "backup {}: the key it needs is not in the export (describe-backup's SourceTableFeatureDetails): taken as its table's key {}",
                b.name, table.key
            ));
            table.key.clone()
        }
    };
    if kind == BackupKind::AwsBackup {
        cx.warn(format!(
            "backup {}: an AWS Backup backup is under its vault's key, which is not in the export: taken as {key}",
            b.name
        ));
    }
    let mut name = name_slug(&b.name, 1, "backup");
    if name == crate::engine::ids::ARCHIVAL {
        name = "archival-backup".into();
    }
    let base = name.clone();
    let mut n = 1;
    while earlier.iter().any(|e| e.name == name) {
        n += 1;
        name = format!("{}-{n}", base.chars().take(95).collect::<String>());
    }
    let age = b.created.map_or(SimDuration::ZERO, |c| ago(cx.now, c));
    Ok(Some(BackupSpec {
        name,
        table: ix,
        key,
        age: SimDuration(age.0 / 1_000 * 1_000),
        kind,
    }))
}

/// Table and backup names to stable placeholders (`Table1`, `backup-1`, in file order).
pub(super) fn redact(tables: &mut [TableSpec], backups: &mut [BackupSpec]) {
    for (i, t) in tables.iter_mut().enumerate() {
        t.name = format!("Table{}", i + 1);
    }
    for (i, b) in backups.iter_mut().enumerate() {
        b.name = format!("backup-{}", i + 1);
    }
}
