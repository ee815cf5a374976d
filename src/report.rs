//! Turn the event log into text: one line per event for people, JSON lines for machines, and
//! the end-of-run summary (milestones, KMS calls, assumptions).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::engine::Engine;
use crate::engine::event::{CacheUse, Caller, Event, EventKind, RequestResult};
use crate::scenario::Scenario;

/// The category shown in the log's second column.
pub fn tag(kind: &EventKind) -> &'static str {
    match kind {
        EventKind::Step { .. } => "STEP",
        EventKind::KmsCall(_) => "KMS",
        EventKind::KeyCreated { .. }
        | EventKind::KeyStateChanged { .. }
        | EventKind::KeyRotated { .. }
        | EventKind::KeyRotationDeferred { .. }
        | EventKind::KeyMaterialDestroyed { .. }
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
        EventKind::DataUnrecoverable { .. } => "LOST",
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
pub fn describe(kind: &EventKind) -> String {
    match kind {
        EventKind::Step { step, action, .. } => format!("step {step}: {action}"),
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
    }
}

/// `0d 00:01:00  KMS     Decrypt kms-1 ...`, with the step's note on the next line.
pub fn text_line(e: &Event) -> String {
    let mut s = format!("{}  {:<7} {}", e.at, tag(&e.kind), describe(&e.kind));
    if let EventKind::Step { note: Some(n), .. } = &e.kind {
        let _ = write!(s, "\n{:21}\u{2502} {n}", "");
    }
    s
}

/// One JSON object per event: the event's fields plus `time` as text. Schema: docs/json-log.md.
pub fn json_line(e: &Event) -> String {
    let mut v = serde_json::to_value(e).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut v {
        map.insert("time".into(), Value::String(e.at.to_string()));
    }
    v.to_string()
}

/// KMS calls visible in your CloudTrail: (event name, key) -> (calls, failed).
pub fn kms_call_counts(
    log: &crate::engine::log::Chunked<Event>,
) -> BTreeMap<(String, String), (u32, u32)> {
    let mut counts = BTreeMap::new();
    for e in log {
        if let EventKind::KmsCall(c) = &e.kind
            && c.in_your_cloudtrail
        {
            let entry = counts
                .entry((c.event_name.to_string(), c.key.to_string()))
                .or_insert((0, 0));
            entry.0 += 1;
            if c.error_code.is_some() {
                entry.1 += 1;
            }
        }
    }
    counts
}

/// Rows of the assumptions table: name, value, where it came from, documented or not.
pub fn assumption_rows(scenario: &Scenario) -> Vec<(&'static str, String, &'static str, bool)> {
    let a = &scenario.world.assumptions;
    let src = |n: &str| {
        if scenario.assumptions_set.contains(n) {
            "set by scenario"
        } else {
            "default"
        }
    };
    let mut rows: Vec<_> = a
        .durations()
        .into_iter()
        .map(|(name, value, documented)| (name, value.to_exact_string(), src(name), documented))
        .collect();
    rows.push((
        "pending_deletion_error",
        a.pending_deletion_error_name().to_string(),
        src("pending_deletion_error"),
        false,
    ));
    rows.push((
        "on_demand_rotation_limit",
        a.on_demand_rotation_limit.to_string(),
        src("on_demand_rotation_limit"),
        false,
    ));
    rows
}

/// The human summary printed after `rewrap run`.
pub fn summary_text(scenario: &Scenario, engine: &Engine) -> String {
    let m = engine.milestones();
    let t = engine.table();
    let mut s = String::new();
    let _ = writeln!(s, "\n== Summary: {} ==", scenario.title);
    let _ = writeln!(s, "Milestones");
    let none = "never";
    let _ = writeln!(
        s,
        "  first failed read   {}",
        m.first_failed_read
            .as_ref()
            .map_or(none.to_string(), |(t, p, e)| format!("{t}  ({p}: {e})"))
    );
    let _ = writeln!(
        s,
        "  inaccessible since  {}",
        m.inaccessible_since
            .map_or(none.to_string(), |t| t.to_string())
    );
    let archive = match (m.archiving_at, m.archived_at, t.archive_at) {
        (Some(a), Some(b), _) => format!("{a} ARCHIVING, {b} ARCHIVED"),
        (Some(a), None, _) => format!("{a} ARCHIVING"),
        (None, _, Some(due)) => format!("due {due} if access is not restored"),
        _ => none.to_string(),
    };
    let _ = writeln!(s, "  archive at          {archive}");
    let deleted = if m.keys_deleted.is_empty() {
        let pending: Vec<String> = engine
            .keys()
            .iter()
            .filter_map(|k| match k.state {
                crate::engine::kms::KeyState::PendingDeletion { deletion_at } => {
                    Some(format!("{} due {deletion_at}", k.id))
                }
                _ => None,
            })
            .collect();
        if pending.is_empty() {
            none.to_string()
        } else {
            format!("none yet ({})", pending.join(", "))
        }
    } else {
        m.keys_deleted
            .iter()
            .map(|(k, t)| format!("{k} at {t}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let _ = writeln!(s, "  key deleted         {deleted}");
    let _ = writeln!(
        s,
        "  unrecoverable from  {}",
        m.unrecoverable_from.map_or_else(
            || "never (the data is recoverable)".to_string(),
            |t| t.to_string()
        )
    );
    let _ = writeln!(
        s,
        "At the end ({}): TableStatus {}, SSE {}, table key {} wrapped by {}, recoverable: {}",
        engine.now(),
        t.status,
        t.sse,
        t.current,
        t.current_kms_key(),
        if engine.recoverable() { "yes" } else { "NO" }
    );
    let (ok, checked, first_err) = engine.audit_sample(2_000);
    let _ = write!(
        s,
        "Chain check (with the key material itself, as a restore would): {ok} of {checked} sampled items decrypt to what was written"
    );
    if let Some(e) = first_err {
        let _ = write!(s, " (first failure: {e})");
    }
    let _ = writeln!(s);
    let counts = kms_call_counts(engine.log());
    let total: u32 = counts.values().map(|c| c.0).sum();
    let failed: u32 = counts.values().map(|c| c.1).sum();
    let _ = writeln!(s, "KMS calls in your CloudTrail: {total} ({failed} failed)");
    for ((name, key), (n, f)) in &counts {
        let fail = if *f > 0 {
            format!(" ({f} failed)")
        } else {
            String::new()
        };
        let _ = writeln!(s, "  {name:<20} {key:<14} {n:>6}{fail}");
    }
    let per_principal: Vec<String> = engine
        .principals()
        .iter()
        .map(|p| format!("{} {}", p.id, engine.decrypt_calls_by(&p.id)))
        .collect();
    if !per_principal.is_empty() {
        let _ = writeln!(
            s,
            "  Decrypt calls by principal: {}",
            per_principal.join(", ")
        );
    }
    let _ = writeln!(s, "Assumptions used");
    for (name, value, src, documented) in assumption_rows(scenario) {
        let doc = if documented {
            "documented"
        } else {
            "ASSUMPTION (undocumented)"
        };
        let _ = writeln!(s, "  {name:<25} {value:<26} {src:<16} {doc}");
    }
    s
}

/// The summary as one JSON object (the last line of `rewrap run --json`).
pub fn summary_json(scenario: &Scenario, engine: &Engine) -> String {
    let m = engine.milestones();
    let t = engine.table();
    let counts: Vec<Value> = kms_call_counts(engine.log())
        .into_iter()
        .map(|((name, key), (n, f))| json!({"event_name": name, "key": key, "calls": n, "failed": f}))
        .collect();
    let assumptions: Vec<Value> = assumption_rows(scenario)
        .into_iter()
        .map(|(n, v, src, doc)| json!({"name": n, "value": v, "source": src, "documented": doc}))
        .collect();
    let ms =
        |t: Option<crate::engine::time::SimTime>| t.map(crate::engine::time::SimTime::as_millis);
    let (ok, checked, _) = engine.audit_sample(2_000);
    json!({
        "kind": "summary",
        "title": scenario.title,
        "end_ms": engine.now().as_millis(),
        "milestones": {
            "first_failed_read_ms": m.first_failed_read.as_ref().map(|f| f.0.as_millis()),
            "inaccessible_since_ms": ms(m.inaccessible_since),
            "archiving_at_ms": ms(m.archiving_at),
            "archived_at_ms": ms(m.archived_at),
            "keys_deleted": m.keys_deleted.iter().map(|(k, t)| json!({"key": k, "at_ms": t.as_millis()})).collect::<Vec<_>>(),
            "unrecoverable_from_ms": ms(m.unrecoverable_from),
        },
        "table": {
            "status": t.status.aws_name(),
            "sse": t.sse.to_string(),
            "table_key": t.current.to_string(),
            "wrapped_by": t.current_kms_key(),
            "recoverable": engine.recoverable(),
        },
        "chain_check": {"ok": ok, "checked": checked},
        "kms_calls": counts,
        "assumptions": assumptions,
    })
    .to_string()
}
