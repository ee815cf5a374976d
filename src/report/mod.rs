//! Turn the event log into text: one line per event for people, JSON lines for machines, and
//! the end-of-run summary (`summary`: built once, printed as text or JSON).

pub mod ledger;
pub mod reads;
mod summary;

pub use summary::{Summary, assumption_rows, summary_json, summary_text};

use std::fmt::Write as _;

use serde_json::Value;

use crate::engine::event::{CacheUse, Caller, Event, EventKind, RequestResult};

/// The category shown in the log's second column.
pub fn tag(kind: &EventKind) -> &'static str {
    match kind {
        EventKind::Step { .. } => "STEP",
        EventKind::Question { .. } => "ASK",
        EventKind::Answer { .. } => "ANSWER",
        EventKind::KmsCall(_) => "KMS",
        EventKind::KeyCreated { .. }
        | EventKind::KeyStateChanged { .. }
        | EventKind::KeyRotated { .. }
        | EventKind::KeyRotationDeferred { .. }
        | EventKind::KeyMaterialDestroyed { .. }
        | EventKind::ImportedMaterialRemoved { .. }
        | EventKind::KeyMaterialImported { .. }
        | EventKind::NewKeyMaterialImported { .. }
        | EventKind::GrantChanged { .. }
        | EventKind::PermissionChanged { .. }
        | EventKind::KeyChangePropagated { .. } => "KEY",
        EventKind::CacheFilled { .. }
        | EventKind::CacheExpired { .. }
        | EventKind::ServiceKeyExpired { .. } => "CACHE",
        EventKind::ItemRead { .. } => "READ",
        EventKind::ItemWritten { .. } => "WRITE",
        EventKind::RewrapStarted { .. }
        | EventKind::DekRewrapped { .. }
        | EventKind::DeksRewrapped { .. }
        | EventKind::RewrapStalled { .. }
        | EventKind::RewrapResumed { .. }
        | EventKind::RewrapAbandoned { .. }
        | EventKind::RewrapCannotFinish { .. }
        | EventKind::TableKeySwitched { .. }
        | EventKind::TableKeyRetired { .. } => "REWRAP",
        EventKind::ActionRefused { .. } => "REFUSED",
        EventKind::LiveAction { .. } => "LIVE",
        EventKind::DataUnrecoverable { .. } => "LOST",
        EventKind::BackupCreated { .. }
        | EventKind::EarlierBackup { .. }
        | EventKind::TableRestored { .. } => "BACKUP",
        EventKind::ItemReplicated { .. }
        | EventKind::ReplicationMissed { .. }
        | EventKind::ReplicaRemoved { .. } => "REPLICA",
        _ => "TABLE",
    }
}

fn result_text(r: &RequestResult) -> String {
    match r {
        RequestResult::Ok => "ok".into(),
        RequestResult::Error {
            error, kms_error, ..
        } => match kms_error {
            Some(k) if k.as_str() != error.name() => format!("FAILED {error} ({k})"),
            _ => format!("FAILED {error}"),
        },
    }
}

/// One line describing an event (without its time and tag).
#[allow(clippy::too_many_lines)] // one arm per event kind: the compiler checks each has its words
pub fn describe(kind: &EventKind) -> String {
    match kind {
        EventKind::EarlierBackup {
            backup,
            key,
            items,
            backup_type,
            age,
        } => {
            let when = if age.0 == 0 {
                "at the start".to_string()
            } else {
                format!("{age} before the start")
            };
            let by = match *backup_type {
                "aws-backup" => "an AWS Backup backup, under its vault's key",
                "system" => "a backup DynamoDB made",
                _ => "an on-demand backup",
            };
            format!("backup {backup} ({items} items), taken {when}: {by}; a restore needs {key}")
        }
        EventKind::BackupCreated { backup, key, items } => format!(
            "backup {backup} taken ({items} items): it keeps the table key as it is now, under {key}, whatever the table uses later"
        ),
        EventKind::TableRestored {
            backup,
            from_table,
            to,
            key,
            items,
        } => format!(
            "backup {backup} of {from_table} restored to new table {to}: {items} items, a new table key under {key}"
        ),
        EventKind::ItemReplicated { region, item } => {
            format!("{item} replicated to {region}")
        }
        EventKind::ReplicationMissed {
            region,
            item,
            status,
        } => format!("{item} did not reach {region}: that copy is {status}"),
        EventKind::ReplicaRemoved {
            region,
            inaccessible_for,
        } => format!(
            "the copy in {region} left the replication group after {inaccessible_for} inaccessible: not deleted, but no writes reach it or come from it again"
        ),
        EventKind::KeyCreated {
            key,
            key_kind,
            state,
            rotation_days,
        } => {
            let rot = rotation_days.map_or(String::new(), |d| format!(", rotates every {d} days"));
            format!("{key} created ({key_kind}), {state}{rot}")
        }
        EventKind::KmsCall(c) => {
            let who = match &c.user {
                Caller::Principal(p) => format!("as {p} via dynamodb"),
                Caller::Service => "by dynamodb (grant)".to_string(),
                Caller::Admin => "by admin".to_string(),
            };
            let v = c
                .material_version
                .map_or(String::new(), |v| format!(" v{v}"));
            let res = c
                .error_code
                .map_or("ok".to_string(), |e| format!("FAILED {e}"));
            let hidden = if c.in_your_cloudtrail {
                ""
            } else {
                " [not in your CloudTrail]"
            };
            let sim = if c.simulator_check {
                " [the simulator's model of DynamoDB's check, not a documented CloudTrail event]"
            } else {
                ""
            };
            format!(
                "{} {}{v} {who}: {res} — {}{hidden}{sim}",
                c.event_name, c.key, c.purpose
            )
        }
        EventKind::KeyStateChanged { key, from, to } => format!("{key}: {from} -> {to}"),
        EventKind::KeyRotated {
            key,
            version,
            on_demand,
        } => format!(
            "{key} rotated ({}): new material v{version}; nothing re-encrypted",
            if *on_demand { "on demand" } else { "automatic" }
        ),
        EventKind::KeyRotationDeferred { key, state } => {
            format!("{key}: automatic rotation due but key is {state}; runs when re-enabled")
        }
        EventKind::GrantChanged { key, revoked } => {
            if *revoked {
                format!(
                    "DynamoDB's grant on {key} revoked: DynamoDB's own calls for this table now fail (AccessDeniedException); principals' reads still decrypt as themselves"
                )
            } else {
                format!(
                    "DynamoDB's grant on {key} re-created: DynamoDB's own calls for this table work again (an inaccessible table recovers at DynamoDB's next check)"
                )
            }
        }
        EventKind::ImportedMaterialRemoved {
            key,
            expired,
            pending_deletion,
        } => format!(
            "{key}: imported key material {}: {}; nothing is lost, it exists outside AWS",
            if *expired {
                "expired"
            } else {
                "deleted (at once, no waiting period)"
            },
            if *pending_deletion {
                "the key stays PendingDeletion, now without material (cancelling the deletion leaves it PendingImport)"
            } else {
                "the key is unusable (PendingImport) until the same material is imported again"
            }
        ),
        EventKind::NewKeyMaterialImported { key, expires_at } => format!(
            "{key}: new key material imported{}; it waits (PENDING_ROTATION) until an on-demand rotation makes it current",
            expires_at.map_or(", never expires".to_string(), |t| format!(
                ", valid until {t}"
            ))
        ),
        EventKind::KeyMaterialImported { key, expires_at } => format!(
            "{key}: the same key material imported{}",
            expires_at.map_or(", never expires".to_string(), |t| format!(
                ", valid until {t}"
            ))
        ),
        EventKind::KeyMaterialDestroyed { key, versions } => {
            format!(
                "{key} DELETED: {versions} material version(s) zeroized; data under it can never be decrypted"
            )
        }
        EventKind::KeyChangePropagated { key, state } => format!(
            "{key}: the change reached every KMS endpoint; DynamoDB's calls now see {state} (assumption `propagation`)"
        ),
        EventKind::PermissionChanged {
            key,
            principal,
            allowed,
        } => format!(
            "{key}: kms:Decrypt for {principal} {}",
            if *allowed { "allowed" } else { "revoked" }
        ),
        // Other groups are described by their own function (see `describe`).
        EventKind::Question {
            step,
            prompt,
            choices,
        } => {
            let list: Vec<String> = choices
                .iter()
                .enumerate()
                .map(|(i, c)| format!("{}. {c}", i + 1))
                .collect();
            format!("step {step} asks: {prompt} {}", list.join(" · "))
        }
        EventKind::Answer {
            step,
            held,
            choices,
            ..
        } => match held.as_slice() {
            [one] => format!(
                "step {step} answer: {one}. {}",
                choices.get(one - 1).map_or("", String::as_str)
            ),
            [] => format!("step {step} answer: no choice held (the question is wrong)"),
            many => format!(
                "step {step} answer: choices {} all held (the question is ambiguous)",
                many.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        },
        EventKind::RewrapStarted { from, to, deks } => {
            format!("re-wrap started: {deks} DEKs from {from} to {to} (items are not touched)")
        }
        EventKind::DekRewrapped {
            dek,
            from,
            to,
            done,
            total,
            before,
            after,
        } => {
            format!(
                "{dek} re-wrapped {from} -> {to} [{done}/{total}] wrapped bytes {before}.. -> {after}.."
            )
        }
        EventKind::DeksRewrapped {
            first,
            last,
            from,
            to,
            done,
            total,
        } => format!(
            "{first}..{last} re-wrapped {from} -> {to} [{done}/{total}] (a large re-wrap logs ranges of 1,024 DEKs; each DEK's wrapped bytes change, the DEKs do not)"
        ),
        EventKind::RewrapStalled {
            key,
            kms_error,
            done,
            total,
        } => format!(
            "re-wrap STALLED at {done}/{total}: {key} gave {kms_error} (undocumented: what AWS does here is not published)"
        ),
        EventKind::RewrapResumed { done, total } => format!("re-wrap resumed at {done}/{total}"),
        EventKind::RewrapCannotFinish {
            key,
            new_key,
            done,
            total,
        } => {
            if *new_key {
                format!(
                    "re-wrap CAN NEVER FINISH at {done}/{total}: {key}, the key being switched to, is deleted; the table may stay UPDATING for good (undocumented) and still reads through the old table key"
                )
            } else {
                format!(
                    "re-wrap CAN NEVER FINISH at {done}/{total}: {key}, the old key, is deleted; DEKs not yet re-wrapped can never be unwrapped again"
                )
            }
        }
        EventKind::RewrapAbandoned { done, total } => {
            format!("re-wrap abandoned at {done}/{total}: the table is being archived")
        }
        EventKind::TableKeySwitched { from, to, key } => {
            format!("table now uses {to} (wrapped by {key}); {from} no longer needed")
        }
        EventKind::TableKeyRetired { table_key, key } => format!(
            "{table_key} retired: the live table no longer needs {key} (whether DynamoDB retires its grant on {key} is undocumented)"
        ),
        // Other groups are described by their own function (see `describe`).
        EventKind::Step { step, action, .. } => format!("step {step}: {action}"),
        EventKind::LiveAction { number, action } => {
            format!("live action {number}: {action} (off the script)")
        }
        EventKind::TableCreated {
            table,
            key,
            table_key,
            deks,
            items,
        } => {
            format!("table {table} created: {table_key} under {key}, {deks} DEKs, {items} items")
        }
        EventKind::TableUpdateAccepted {
            from_key,
            to_key,
            new_table_key,
        } => {
            format!("UpdateTable accepted: {from_key} -> {to_key}; new table key {new_table_key}")
        }
        EventKind::TableUpdateRejected {
            to_key,
            error,
            message,
        } => {
            format!("UpdateTable to {to_key} REJECTED: {error}: {message}")
        }
        EventKind::SseStatusChanged { from, to } => format!("SSEDescription.Status {from} -> {to}"),
        EventKind::CacheFilled {
            principal,
            connection,
            table_key,
            expires_at,
        } => {
            format!("{principal}#{connection} caches {table_key} until {expires_at}")
        }
        EventKind::CacheExpired {
            principal,
            connection,
            table_key,
        } => {
            format!(
                "{principal}#{connection}: cached {table_key} expired (plaintext zeroized); next request calls KMS"
            )
        }
        EventKind::ServiceKeyExpired { table_key } => {
            format!("re-wrap job's copy of {table_key} expired; it must call KMS again")
        }
        EventKind::ItemRead {
            principal,
            connection,
            item,
            dek,
            table_key,
            cache,
            result,
        }
        | EventKind::ItemWritten {
            principal,
            connection,
            item,
            dek,
            table_key,
            cache,
            result,
        } => {
            let what = match (item, dek, table_key) {
                (Some(i), Some(d), Some(t)) => format!("{i} ({d} under {t})"),
                _ => "item".to_string(),
            };
            let via = match cache {
                CacheUse::Hit => ", cached table key",
                CacheUse::Fetched => ", table key from KMS",
                CacheUse::None => "",
            };
            format!(
                "{principal}#{connection} {what}: {}{via}",
                result_text(result)
            )
        }
        EventKind::TableStatusChanged { from, to, reason } => {
            format!("TableStatus {from} -> {to}: {reason}")
        }
        EventKind::ArchivalBackupTaken { backup_arn, key } => {
            format!("archival backup taken ({backup_arn}); restoring it needs {key} enabled")
        }
        EventKind::DataUnrecoverable { key } => {
            format!(
                "DATA UNRECOVERABLE: {key}'s material is gone; no table key, DEK or item under it can be decrypted"
            )
        }
        EventKind::ActionRefused {
            action,
            error,
            message,
        } => format!("{action} refused: {error}: {message}"),
        // Other groups are described by their own function (see `describe`).
    }
}

/// `0d 00:01:00  KMS     Decrypt kms-1 ...`, with the step's note on the next line.
pub fn text_line(e: &Event) -> String {
    let mut s = format!("{}  {:<7} {}", e.at, tag(&e.kind), describe_event(e));
    if let EventKind::Step { note: Some(n), .. } | EventKind::Answer { note: Some(n), .. } = &e.kind
    {
        let _ = write!(s, "\n{:21}\u{2502} {n}", "");
    }
    s
}

/// What happened, with the table it concerns when there are several (`[Audit] …`).
pub fn describe_event(e: &Event) -> String {
    match &e.table {
        Some(t) => format!("[{t}] {}", describe(&e.kind)),
        None => describe(&e.kind),
    }
}

/// One JSON object per event: the event's fields plus `time` as text. Schema: docs/json-log.md.
pub fn json_line(e: &Event) -> String {
    let mut v = serde_json::to_value(e).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut v {
        map.insert("time".into(), Value::String(e.at.to_string()));
    }
    v.to_string()
}
