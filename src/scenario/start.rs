//! Version 3: the world's state at the start (docs/scenario-format.md, "Version 3 additions"):
//! keys pending deletion or import, tables and replicas inaccessible, archived or removed since
//! a time before the start, a key change under way, DynamoDB's grant revoked, and backups taken
//! before the start.

use toml::Spanned;

use super::cx::{Ctx, Declared};
use super::diag::Diagnostic;
use super::names::one_of;
use super::raw::{RawBackup, RawKey, RawTable};
use crate::engine::ids::{ARCHIVAL, KmsKeyId};
use crate::engine::kms::KeyKind;
use crate::engine::time::{SimDuration, SimTime};
use crate::engine::{
    Assumptions, BackupKind, BackupSpec, KeyStartsAs, StartStatus, TableSpec, TableStart,
};

/// The longest a key may wait for deletion (aws-behaviour.md #55: 7 to 30 days).
const LONGEST_WAIT: SimDuration = SimDuration::from_days(30);

/// A moment at or before the start: `"-2d"`, `"-1d 4h"` or `"0s"`; how long before it.
pub(super) fn before_start(
    cx: &Ctx<'_>,
    s: &Spanned<String>,
    what: &str,
) -> Result<SimDuration, Diagnostic> {
    let text = s.get_ref().trim();
    let Some(rest) = text.strip_prefix('-') else {
        let d = cx.duration(s, what)?;
        if d == SimDuration::ZERO {
            return Ok(d);
        }
        return Err(cx
            .err(s.span(), format!("`{what}` is after the start"))
            .label("a moment before the start has a leading -")
            .help(format!(
                "write {what} = \"-{text}\" ({text} before the start), or \"0s\""
            )));
    };
    let inner = Spanned::new(s.span(), rest.trim_start().to_string());
    let d = cx.duration(&inner, what)?;
    if d > SimDuration::from_days(36_500) {
        return Err(cx.err(
            s.span(),
            format!("`{what}` is more than 36,500 days before the start"),
        ));
    }
    Ok(d)
}

/// `[[key]]`'s `state = "pending-deletion"` (with `deletion_in`) or `"pending-import"`.
pub(super) fn key_starts_as(
    cx: &Ctx<'_>,
    k: &RawKey,
    external: bool,
) -> Result<Option<KeyStartsAs>, Diagnostic> {
    let state = k.state.as_ref().map(|s| (s.get_ref().as_str(), s.span()));
    let starts = match state {
        Some(("pending-deletion", span)) => {
            let Some(d) = &k.deletion_in else {
                return Err(cx
                    .err(span, "a key pending deletion needs `deletion_in`")
                    .help("how long until its DeletionDate: deletion_in = \"5d 3h\" (describe-key's DeletionDate minus now)"));
            };
            let wait = cx.duration(d, "deletion_in")?;
            if wait == SimDuration::ZERO || wait > LONGEST_WAIT {
                return Err(cx
                    .err(
                        d.span(),
                        format!("`deletion_in` = \"{}\" is out of range", d.get_ref()),
                    )
                    .label("more than 0s and at most 30d")
                    .help("a deletion is scheduled 7 to 30 days ahead (aws-behaviour.md #55)"));
            }
            Some(KeyStartsAs::PendingDeletion {
                deletion_at: SimTime::ZERO + wait,
            })
        }
        Some(("pending-import", span)) => {
            if !external {
                return Err(cx
                    .err(
                        span,
                        "only a key with imported material can be pending import",
                    )
                    .help("add origin = \"external\" (aws-behaviour.md #98)"));
            }
            if let Some(e) = &k.expires {
                return Err(cx
                    .err(e.span(), "a key pending import has no material to expire")
                    .help("remove expires; an import-key-material step can bring material with its own expires"));
            }
            Some(KeyStartsAs::PendingImport)
        }
        _ => None,
    };
    if starts.is_none()
        && let Some(d) = &k.deletion_in
    {
        return Err(cx
            .err(
                d.span(),
                "`deletion_in` is for a key that starts pending deletion",
            )
            .help("add state = \"pending-deletion\", or remove deletion_in"));
    }
    Ok(starts)
}

/// A table's or replica's `status` and `since`. `replica` allows `removed`.
fn status_since(
    cx: &Ctx<'_>,
    status: Option<&Spanned<String>>,
    since: Option<&Spanned<String>>,
    replica: bool,
) -> Result<(StartStatus, SimDuration), Diagnostic> {
    let names: &[&str] = if replica {
        &["active", "inaccessible", "removed"]
    } else {
        &["active", "inaccessible", "archived"]
    };
    let s = match status.map(|s| (s.get_ref().as_str(), s.span())) {
        None | Some(("active", _)) => StartStatus::Active,
        Some(("inaccessible", _)) => StartStatus::Inaccessible,
        Some(("archived", _)) if !replica => StartStatus::Archived,
        Some(("removed", _)) if replica => StartStatus::Removed,
        Some((other, span)) => {
            return Err(cx
                .err(span, format!("unknown starting status `{other}`"))
                .help(format!("status is one of {}", one_of(names))));
        }
    };
    let ago = match since {
        None => SimDuration::ZERO,
        Some(v) if s == StartStatus::Active => {
            return Err(cx
                .err(v.span(), "`since` is for a status other than active")
                .help(format!("add status = \"{}\", or remove since", names[1])));
        }
        Some(v) => before_start(cx, v, "since")?,
    };
    Ok((s, ago))
}

/// A table's starting state: `status`, `since`, `switching_to`, `grant`, checked against the
/// table's key and the deadlines that run from `since`.
pub(super) fn table_start(
    cx: &Ctx<'_>,
    rt: &RawTable,
    key: &KmsKeyId,
    declared: &Declared<'_>,
    assumptions: &Assumptions,
) -> Result<TableStart, Diagnostic> {
    let (status, since) = status_since(cx, rt.status.as_ref(), rt.since.as_ref(), false)?;
    if status == StartStatus::Inaccessible
        && let Some(v) = &rt.since
        && since >= assumptions.archive_after
    {
        return Err(cx
            .err(
                v.span(),
                format!(
                    "inaccessible for {} at the start: it would have been archived already",
                    since.to_exact_string()
                ),
            )
            .label(format!("archive_after is {}", assumptions.archive_after))
            .help("declare status = \"archived\", or a later since"));
    }
    let in_group = rt.replica.iter().any(|r| {
        r.get_ref()
            .status
            .as_ref()
            .is_none_or(|s| s.get_ref() != "removed")
    });
    if status == StartStatus::Inaccessible
        && in_group
        && let Some(v) = &rt.since
        && since > assumptions.replica_removal_after
    {
        return Err(cx
            .err(
                v.span(),
                format!(
                    "inaccessible for {} at the start: this copy would have left its replication group already",
                    since.to_exact_string()
                ),
            )
            .label(format!(
                "replica_removal_after is {}",
                assumptions.replica_removal_after
            ))
            .help("every copy of a global table leaves the group after that long inaccessible (aws-behaviour.md #96): declare its replicas removed, or a later since"));
    }
    let switching_to = switching_to(cx, rt, key, status, declared)?;
    let grant_revoked = grant_revoked(cx, rt, key, declared)?;
    Ok(TableStart {
        status,
        since,
        switching_to,
        grant_revoked,
    })
}

/// `switching_to`: a key change under way at the start, to an enabled key of the table's region.
fn switching_to(
    cx: &Ctx<'_>,
    rt: &RawTable,
    key: &KmsKeyId,
    status: StartStatus,
    declared: &Declared<'_>,
) -> Result<Option<KmsKeyId>, Diagnostic> {
    Ok(match &rt.switching_to {
        None => None,
        Some(s) => {
            let to = declared.key(s, true)?;
            if status != StartStatus::Active {
                return Err(cx
                    .err(
                        s.span(),
                        format!(
                            "a table that starts {} is not changing keys",
                            status_name(status)
                        ),
                    )
                    .help("a key change runs on an active table; remove switching_to"));
            }
            if declared.keys.iter().any(|k| k.id == to && !k.enabled) {
                return Err(cx
                    .err(s.span(), format!("`{to}` is not enabled at the start"))
                    .help("DynamoDB accepts a key change only to an enabled key (aws-behaviour.md #29)"));
            }
            if &to == key {
                return Err(cx
                    .err(s.span(), format!("the table is under `{to}` already"))
                    .help("switching_to names the key the table is moving to"));
            }
            let (from_r, to_r) = (
                super::regions::table_region(declared, key),
                super::regions::table_region(declared, &to),
            );
            if to != KmsKeyId::new(crate::engine::ids::AWS_OWNED) && from_r != to_r {
                return Err(cx
                    .err(
                        s.span(),
                        format!("`{to}` is in {to_r}, the table in {from_r}"),
                    )
                    .help("a table's key is in the table's region"));
            }
            Some(to)
        }
    })
}

/// `grant`: DynamoDB's grant on the table's key at the start (`revoked`: customer managed keys only).
fn grant_revoked(
    cx: &Ctx<'_>,
    rt: &RawTable,
    key: &KmsKeyId,
    declared: &Declared<'_>,
) -> Result<bool, Diagnostic> {
    Ok(
        match rt.grant.as_ref().map(|g| (g.get_ref().as_str(), g.span())) {
            None | Some(("active", _)) => false,
            Some(("revoked", span)) => {
                let owned_or_managed = key.as_str() == crate::engine::ids::AWS_OWNED
                    || declared
                        .keys
                        .iter()
                        .any(|k| &k.id == key && k.kind == KeyKind::AwsManaged);
                if owned_or_managed {
                    return Err(cx
                    .err(span, format!("no grant of yours on `{key}` can be revoked"))
                    .help("DynamoDB's grant can be revoked on a customer managed key only (aws-behaviour.md #53, 73)"));
                }
                true
            }
            Some((other, span)) => {
                return Err(cx
                    .err(span, format!("unknown grant state `{other}`"))
                    .help(format!(
                        "grant is one of {}",
                        one_of(&["active", "revoked"])
                    )));
            }
        },
    )
}

/// A replica's starting state: `status` (active, inaccessible, removed) and `since`.
pub(super) fn replica_start(
    cx: &Ctx<'_>,
    status: Option<&Spanned<String>>,
    since: Option<&Spanned<String>>,
    assumptions: &Assumptions,
) -> Result<TableStart, Diagnostic> {
    let (status, ago) = status_since(cx, status, since, true)?;
    if status == StartStatus::Inaccessible
        && let Some(v) = since
        && (ago > assumptions.replica_removal_after || ago >= assumptions.archive_after)
    {
        return Err(cx
            .err(
                v.span(),
                format!(
                    "inaccessible for {} at the start: it would have left the replication group already",
                    ago.to_exact_string()
                ),
            )
            .label(format!(
                "replica_removal_after is {}",
                assumptions.replica_removal_after
            ))
            .help("declare status = \"removed\", or a later since"));
    }
    Ok(TableStart {
        status,
        since: ago,
        ..TableStart::default()
    })
}

/// Whether a table may start under `key` in its declared state: a key that cannot be used at
/// the start needs the table's `status` written out (the world starts mid-story).
pub(super) fn check_key_usable(
    cx: &Ctx<'_>,
    declared: &Declared<'_>,
    key_span: std::ops::Range<usize>,
    key: &KmsKeyId,
    status_written: bool,
    what: &str,
) -> Result<(), Diagnostic> {
    let Some(k) = declared.keys.iter().find(|k| &k.id == key) else {
        return Ok(());
    };
    if k.enabled || status_written {
        return Ok(());
    }
    let state = match k.starts_as {
        Some(KeyStartsAs::PendingDeletion { .. }) => "pending deletion",
        Some(KeyStartsAs::PendingImport) => "pending import",
        None => "disabled",
    };
    Err(cx
        .err(key_span, format!("the {what}'s key `{key}` starts {state}"))
        .label(format!("a {what} cannot be created under a key that is not enabled"))
        .help(format!(
            "start the key enabled and add a step, or write the {what}'s status at the start (status = \"inaccessible\", since = \"-1h\")"
        )))
}

fn status_name(s: StartStatus) -> &'static str {
    match s {
        StartStatus::Active => "active",
        StartStatus::Inaccessible => "inaccessible",
        StartStatus::Archived => "archived",
        StartStatus::Removed => "removed",
    }
}

/// `[[backup]]`s: name, table, key (default: the table's), taken, kind.
pub(super) fn parse_backups(
    cx: &Ctx<'_>,
    raw: &[Spanned<RawBackup>],
    declared: &Declared<'_>,
    tables: &[TableSpec],
) -> Result<Vec<BackupSpec>, Diagnostic> {
    let mut out: Vec<BackupSpec> = Vec::new();
    if let Some(b) = raw.get(crate::engine::backup::MAX_BACKUPS) {
        return Err(cx.err(b.span(), "too many backups").help(format!(
            "a scenario holds at most {} backups",
            crate::engine::backup::MAX_BACKUPS
        )));
    }
    for rb in raw {
        let b = rb.get_ref();
        let name = b.name.get_ref();
        if !super::copies::valid_name(name, 1) {
            return Err(cx
                .err(b.name.span(), format!("bad backup name `{name}`"))
                .label("1 to 100 characters: letters, digits, _ - ."));
        }
        if name == ARCHIVAL {
            return Err(cx
                .err(b.name.span(), "`archival` is the name of DynamoDB's archival backup")
                .help("an archived table's archival backup comes with status = \"archived\"; choose another name"));
        }
        if out.iter().any(|o| &o.name == name) {
            return Err(cx.err(b.name.span(), format!("backup name `{name}` is used twice")));
        }
        let table = declared.table(&b.table)?;
        let Some(t) = tables.get(table) else {
            return Err(cx.err(
                b.table.span(),
                "a backup before the start is of a declared table",
            ));
        };
        let key = match &b.key {
            Some(k) => declared.key(k, true)?,
            None => t.key.clone(),
        };
        let age = match &b.taken {
            Some(v) => before_start(cx, v, "taken")?,
            None => SimDuration::ZERO,
        };
        let kind = match b.kind.as_ref().map(|k| (k.get_ref().as_str(), k.span())) {
            None | Some(("user", _)) => BackupKind::User,
            Some(("system", _)) => BackupKind::System,
            Some(("aws-backup", _)) => BackupKind::AwsBackup,
            Some((other, span)) => {
                return Err(cx
                    .err(span, format!("unknown backup kind `{other}`"))
                    .help(format!(
                        "kind is one of {}",
                        one_of(&["user", "system", "aws-backup"])
                    )));
            }
        };
        if let Some(k) = declared.keys.iter().find(|k| k.id == key)
            && key != t.key
            && k.region != super::regions::table_region(declared, &t.key)
        {
            return Err(cx
                .err(
                    b.key.as_ref().map_or(rb.span(), Spanned::span),
                    format!("`{key}` is in {}, the table in another region", k.region),
                )
                .help("a backup is kept in its table's region, under a key of that region"));
        }
        out.push(BackupSpec {
            name: name.clone(),
            table,
            key,
            age,
            kind,
        });
    }
    Ok(out)
}
