//! The starting world of a scenario file: assumptions, principals and the tables (the keys
//! are in `keys`), each value checked against its range and each reference against what is
//! declared.

use std::collections::BTreeSet;

use toml::Spanned;

use super::cx::{Ctx, Declared};
use super::diag::Diagnostic;
use super::limits;
use super::names::one_of;
use super::raw::{RawAssumptions, RawPrincipal, RawTable};
use crate::engine::ids::PrincipalId;
use crate::engine::kms::PendingDeletionError;
use crate::engine::time::SimDuration;
use crate::engine::{Assumptions, PrincipalSpec, TableSpec};

type DurationField<'a> = (
    &'static str,
    &'a Option<Spanned<String>>,
    &'a mut SimDuration,
    SimDuration,
    SimDuration,
);
pub(super) fn parse_assumptions(
    cx: &Ctx<'_>,
    raw: Option<&RawAssumptions>,
) -> Result<(Assumptions, BTreeSet<&'static str>), Diagnostic> {
    let mut a = Assumptions::default();
    let mut set = BTreeSet::new();
    let Some(r) = raw else {
        return Ok((a, set));
    };
    let s = SimDuration::from_secs;
    let d = SimDuration::from_days;
    let fields: [DurationField<'_>; 8] = [
        (
            "cache_refresh",
            &r.cache_refresh,
            &mut a.cache_refresh,
            s(1),
            SimDuration::from_hours(24),
        ),
        ("detection", &r.detection, &mut a.detection, s(0), d(1)),
        (
            "archive_after",
            &r.archive_after,
            &mut a.archive_after,
            s(1),
            d(365),
        ),
        (
            "archive_duration",
            &r.archive_duration,
            &mut a.archive_duration,
            s(0),
            d(7),
        ),
        (
            "rewrap_per_dek",
            &r.rewrap_per_dek,
            &mut a.rewrap_per_dek,
            s(0),
            SimDuration::from_hours(1),
        ),
        (
            "deletion_delay",
            &r.deletion_delay,
            &mut a.deletion_delay,
            s(0),
            SimDuration::from_hours(24),
        ),
        (
            "propagation",
            &r.propagation,
            &mut a.propagation,
            s(0),
            SimDuration::from_hours(1),
        ),
        (
            "replica_removal_after",
            &r.replica_removal_after,
            &mut a.replica_removal_after,
            s(1),
            d(30),
        ),
    ];
    for (name, value, slot, min, max) in fields {
        if let Some(v) = value {
            *slot = cx.duration_in(v, name, min, max)?;
            set.insert(name);
        }
    }
    if let Some(v) = &r.pending_deletion_error {
        a.pending_deletion_error = match v.get_ref().as_str() {
            "KMSInvalidStateException" => PendingDeletionError::KmsInvalidStateException,
            "DisabledException" => PendingDeletionError::DisabledException,
            other => {
                return Err(cx
                    .err(
                        v.span(),
                        format!("unknown `pending_deletion_error` `{other}`"),
                    )
                    .help(format!(
                        "one of {}",
                        one_of(&["KMSInvalidStateException", "DisabledException"])
                    )));
            }
        };
        set.insert("pending_deletion_error");
    }
    if let Some(v) = &r.grant_recreate {
        a.grant_recreate = grant_recreate(cx, v)?;
        set.insert("grant_recreate");
    }
    if let Some(v) = &r.on_demand_rotation_limit {
        a.on_demand_rotation_limit = rotation_limit(cx, v)?;
        set.insert("on_demand_rotation_limit");
    }
    Ok((a, set))
}

/// Assumption `on_demand_rotation_limit`: 1 to 25.
fn rotation_limit(cx: &Ctx<'_>, v: &Spanned<i64>) -> Result<u32, Diagnostic> {
    let n = *v.get_ref();
    if !(1..=25).contains(&n) {
        return Err(cx
            .err(
                v.span(),
                format!("`on_demand_rotation_limit` = {n} is out of range"),
            )
            .label("must be between 1 and 25 (KMS allows 25 on-demand rotations per key, aws-behaviour.md #103)"));
    }
    Ok(n as u32)
}

/// `[[principal]]`: names, connections, and the limits on both.
pub(super) fn parse_principals(
    cx: &Ctx<'_>,
    raw: &[RawPrincipal],
) -> Result<Vec<PrincipalSpec>, Diagnostic> {
    let mut principals: Vec<PrincipalSpec> = Vec::new();
    let mut total_connections: u64 = 0;
    if let Some(p) = raw.get(limits::MAX_PRINCIPALS) {
        return Err(cx
            .err(p.name.span(), "too many principals")
            .label(format!("principal number {}", limits::MAX_PRINCIPALS + 1))
            .help(format!(
                "a scenario declares at most {} [[principal]]s",
                limits::MAX_PRINCIPALS
            )));
    }
    for p in raw {
        let name = p.name.get_ref();
        if name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.@".contains(&b))
        {
            return Err(cx
                .err(p.name.span(), format!("bad principal name `{name}`"))
                .label("use letters, digits, - _ . @"));
        }
        if principals.iter().any(|q| q.id.as_str() == name) {
            return Err(cx.err(
                p.name.span(),
                format!("principal `{name}` is declared twice"),
            ));
        }
        let connections = match &p.connections {
            Some(c) => {
                let n = *c.get_ref();
                if !(1..=limits::MAX_CONNECTIONS_EACH).contains(&n) {
                    return Err(cx
                        .err(c.span(), format!("`connections` = {n} is out of range"))
                        .label(format!(
                            "must be between 1 and {}",
                            limits::MAX_CONNECTIONS_EACH
                        )));
                }
                n as u32
            }
            None => 1,
        };
        total_connections += u64::from(connections);
        if total_connections > limits::MAX_CONNECTIONS {
            let span = p.connections.as_ref().map_or(p.name.span(), Spanned::span);
            return Err(cx
                .err(span, "too many connections in all")
                .label(format!("brings the total to {total_connections}"))
                .help(format!(
                    "all principals together may open at most {} connections",
                    limits::MAX_CONNECTIONS
                )));
        }
        principals.push(PrincipalSpec {
            id: PrincipalId::new(name),
            connections,
        });
    }
    Ok(principals)
}

/// Assumption `grant_recreate`: `allowed` (default) or `refused`.
fn grant_recreate(cx: &Ctx<'_>, v: &Spanned<String>) -> Result<bool, Diagnostic> {
    match v.get_ref().as_str() {
        "allowed" => Ok(true),
        "refused" => Ok(false),
        other => Err(cx
            .err(v.span(), format!("unknown `grant_recreate` `{other}`"))
            .help(format!("one of {}", one_of(&["allowed", "refused"])))),
    }
}

/// `[table]`, or (version 2) `[[table]]` several times: each with a unique name.
pub(super) fn parse_tables(
    cx: &Ctx<'_>,
    raw: Option<&Spanned<super::raw::RawTables>>,
    declared: &Declared<'_>,
    assumptions: &crate::engine::Assumptions,
) -> Result<Vec<TableSpec>, Diagnostic> {
    let raw = raw.ok_or_else(|| {
        cx.err(0..0, "missing [table]")
            .help("add a [table] section with at least key = \"<a [[key]] id or aws-owned>\"")
    })?;
    let list: Vec<(&RawTable, std::ops::Range<usize>)> = match raw.get_ref() {
        super::raw::RawTables::One(t) => vec![(t, raw.span())],
        super::raw::RawTables::Many(v) => v.iter().map(|t| (t.get_ref(), t.span())).collect(),
    };
    if list.is_empty() {
        return Err(cx
            .err(raw.span(), "no table")
            .help("add a [[table]] with key = \"...\""));
    }
    if list.len() > super::limits::MAX_TABLES {
        return Err(cx.err(raw.span(), "too many tables").help(format!(
            "a scenario has at most {} tables",
            super::limits::MAX_TABLES
        )));
    }
    let mut out: Vec<TableSpec> = Vec::with_capacity(list.len());
    for (i, (rt, span)) in list.into_iter().enumerate() {
        let t = parse_table(cx, rt, i, declared, assumptions)?;
        if out.iter().any(|o| o.name == t.name) {
            let at = rt.name.as_ref().map_or(span, Spanned::span);
            return Err(cx
                .err(at, format!("table `{}` is declared twice", t.name))
                .help("each [[table]] needs its own name"));
        }
        out.push(t);
    }
    // Every replica holds its own copy of the items and its own DEKs.
    let copies = |t: &TableSpec| 1 + t.replicas.len() as u64;
    let items: u64 = out.iter().map(|t| t.items * copies(t)).sum();
    let deks: u64 = out.iter().map(|t| u64::from(t.deks) * copies(t)).sum();
    if items > super::limits::MAX_TOTAL_ITEMS || deks > super::limits::MAX_TOTAL_DEKS {
        return Err(cx
            .err(raw.span(), "the tables hold too much in all")
            .help(format!(
                "at most {} items and {} DEKs over all tables and their replicas",
                super::limits::MAX_TOTAL_ITEMS,
                super::limits::MAX_TOTAL_DEKS
            )));
    }
    Ok(out)
}

/// One table: name (default `Orders`, then `Table2`, ...), key, DEKs and items.
fn parse_table(
    cx: &Ctx<'_>,
    rt: &RawTable,
    index: usize,
    declared: &Declared<'_>,
    assumptions: &crate::engine::Assumptions,
) -> Result<TableSpec, Diagnostic> {
    let name = match &rt.name {
        Some(n) => {
            let s = n.get_ref();
            if !(3..=100).contains(&s.len())
                || !s
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b))
            {
                return Err(cx
                    .err(n.span(), format!("bad table name `{s}`"))
                    .label("3 to 100 characters: letters, digits, _ - ."));
            }
            s.clone()
        }
        None if index == 0 => "Orders".to_string(),
        None => format!("Table{}", index + 1),
    };
    let key = declared.key(&rt.key, true)?;
    super::start::check_key_usable(
        cx,
        declared,
        rt.key.span(),
        &key,
        rt.status.is_some(),
        "table",
    )?;
    let start = super::start::table_start(cx, rt, &key, declared, assumptions)?;
    let count = |v: &Option<Spanned<i64>>, field: &str, max: i64, min: i64, default: i64| match v {
        Some(d) => {
            let n = *d.get_ref();
            if (min..=max).contains(&n) {
                Ok(n)
            } else {
                Err(cx
                    .err(d.span(), format!("`{field}` = {n} is out of range"))
                    .label(format!("must be between {min} and {max}")))
            }
        }
        None => Ok(default),
    };
    let deks = count(&rt.deks, "deks", 1_000_000, 1, 8)? as u32;
    let items = count(&rt.items, "items", 5_000_000, 0, 64)? as u64;
    let home = super::regions::table_region(declared, &key);
    let replicas = super::regions::parse_replicas(cx, &rt.replica, &home, declared, assumptions)?;
    Ok(TableSpec {
        name,
        key,
        deks,
        items,
        replicas,
        start,
    })
}
