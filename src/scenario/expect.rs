//! Expectations: what a step says must hold right after its action. Parsed once into typed
//! values (`CheckKind`); checking compares values, and the same name table writes them back
//! out (`w`) and names them in failure lines (`expected table=archived, got inaccessible`).

use std::fmt;

use toml::Spanned;

use super::cx::{Ctx, Declared};
use super::diag::Diagnostic;
use super::names::one_of;
use super::raw::RawExpect;
use crate::engine::Engine;
use crate::engine::backup::BackupState;
use crate::engine::event::RequestResult;
use crate::engine::ids::{ConnectionId, KmsKeyId, PrincipalId};
use crate::engine::kms::{KeyStateKind, KmsErrorCode};
use crate::engine::replica::ReplicaStatus;
use crate::engine::table::{SseStatus, TableIx, TableStatus};
use crate::engine::time::SimDuration;
use crate::engine::vocab::ErrorCode;

/// The fields an `expect` may hold, with the names the format uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    Outcome,
    Error,
    KmsError,
    Table,
    Sse,
    WrappedBy,
    Keys,
    Cached,
    Recoverable,
    KmsCalls,
    Tables,
    Grant,
    Replicas,
    Backups,
}

impl Field {
    pub const fn name(self) -> &'static str {
        match self {
            Field::Outcome => "outcome",
            Field::Error => "error",
            Field::KmsError => "kms_error",
            Field::Table => "table",
            Field::Sse => "sse",
            Field::WrappedBy => "wrapped_by",
            Field::Keys => "keys",
            Field::Cached => "cached",
            Field::Recoverable => "recoverable",
            Field::KmsCalls => "kms_calls",
            Field::Tables => "tables",
            Field::Grant => "grant",
            Field::Replicas => "replicas",
            Field::Backups => "backups",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The KMS errors `kms_error` accepts (the format's four, and UnsupportedOperationException).
pub const EXPECTABLE_KMS_ERRORS: [KmsErrorCode; 5] = [
    KmsErrorCode::DisabledException,
    KmsErrorCode::KmsInvalidStateException,
    KmsErrorCode::NotFoundException,
    KmsErrorCode::AccessDeniedException,
    KmsErrorCode::UnsupportedOperationException,
];

/// One expectation, with the line it was written on.
#[derive(Clone, Debug, PartialEq)]
pub struct Check {
    pub line: usize,
    pub kind: CheckKind,
}

/// One expected value.
#[derive(Clone, Debug, PartialEq)]
pub enum CheckKind {
    /// `outcome = "ok"` (true) or `"error"`.
    Outcome(bool),
    Error(ErrorCode),
    KmsError(KmsErrorCode),
    Table(TableStatus),
    Sse(SseStatus),
    WrappedBy(KmsKeyId),
    KeyState(KmsKeyId, KeyStateKind),
    /// `None` = nothing cached.
    Cached(PrincipalId, Option<SimDuration>),
    Recoverable(bool),
    /// Extension: KMS Decrypt calls made as this principal so far.
    KmsCalls(PrincipalId, u32),
    /// Version 2 `tables = { Name = "status" }`: a table by index (and name), any table.
    TableNamed(usize, String, TableStatus),
    /// Version 2 `grant = "active" | "revoked"`: DynamoDB's grant on the step's table's key
    /// (true: revoked).
    Grant(bool),
    /// Version 2 `replicas = { eu-west-1 = "..." }`: the step's table's copy in a region.
    Replica(String, ReplicaStatus),
    /// Version 2 `backups = { b1 = "..." }`: a backup by name (`archival`: the step's table's).
    Backup(String, BackupState),
}

/// What a step's expectations speak about: its table (found by name when the step runs;
/// `None` if it does not exist) and the copy its read or write went to (`region`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Target {
    pub table: Option<TableIx>,
    pub copy: Option<TableIx>,
}

impl Target {
    /// The first table, as version-1 steps speak about it.
    pub const FIRST: Target = Target {
        table: Some(TableIx::FIRST),
        copy: Some(TableIx::FIRST),
    };
}

/// What an observed value was, for a failure line.
enum Got {
    Same,
    Differs(String),
}

impl CheckKind {
    pub fn field(&self) -> Field {
        match self {
            CheckKind::Outcome(_) => Field::Outcome,
            CheckKind::Error(_) => Field::Error,
            CheckKind::KmsError(_) => Field::KmsError,
            CheckKind::Table(_) => Field::Table,
            CheckKind::Sse(_) => Field::Sse,
            CheckKind::WrappedBy(_) => Field::WrappedBy,
            CheckKind::KeyState(..) => Field::Keys,
            CheckKind::TableNamed(..) => Field::Tables,
            CheckKind::Grant(_) => Field::Grant,
            CheckKind::Replica(..) => Field::Replicas,
            CheckKind::Backup(..) => Field::Backups,
            CheckKind::Cached(..) => Field::Cached,
            CheckKind::Recoverable(_) => Field::Recoverable,
            CheckKind::KmsCalls(..) => Field::KmsCalls,
        }
    }

    /// `field=value` as a failure line names it (`table=archived`, `keys.kms-1=deleted`).
    pub fn expected_text(&self) -> String {
        let f = self.field();
        match self {
            CheckKind::Outcome(ok) => format!("{f}={}", outcome_name(*ok)),
            CheckKind::Error(e) => format!("{f}={e}"),
            CheckKind::KmsError(e) => format!("{f}={e}"),
            CheckKind::Table(t) => format!("{f}={}", t.name()),
            CheckKind::Sse(s) => format!("{f}={}", s.name()),
            CheckKind::WrappedBy(k) => format!("{f}={k}"),
            CheckKind::KeyState(k, s) => format!("{f}.{k}={}", s.name()),
            CheckKind::Cached(p, left) => format!("{f}.{p}={}", cached_text(*left)),
            CheckKind::Recoverable(r) => format!("{f}={r}"),
            CheckKind::KmsCalls(p, n) => format!("{f}.{p}={n}"),
            CheckKind::TableNamed(_, name, s) => format!("{f}.{name}={}", s.name()),
            CheckKind::Grant(revoked) => format!("{f}={}", grant_name(*revoked)),
            CheckKind::Replica(r, st) => format!("{f}.{r}={}", st.name()),
            CheckKind::Backup(b, st) => format!("{f}.{b}={}", st.name()),
        }
    }

    /// Check this expectation against the engine right after an action that gave `result`:
    /// `None` when it holds, else `(expected, got)` for the failure line.
    pub fn evaluate(
        &self,
        engine: &Engine,
        target: Target,
        result: &RequestResult,
    ) -> Option<(String, String)> {
        let missing = || Got::Differs("no such table".into());
        let table = target.table.and_then(|tx| engine.tables().get(tx.0));
        let got = match (self, table) {
            (CheckKind::Outcome(ok), _) => {
                compare(ok, &result.is_ok(), |v| outcome_name(*v).into())
            }
            (CheckKind::Error(e), _) => match result {
                RequestResult::Ok => Got::Differs("no error".into()),
                // Compared by name: KMS's and DynamoDB's AccessDeniedException are one answer.
                RequestResult::Error { error, .. } => {
                    compare(&e.name(), &error.name(), |v| (*v).into())
                }
            },
            (CheckKind::KmsError(e), _) => match result {
                RequestResult::Error {
                    kms_error: Some(k), ..
                } => compare(e, k, ToString::to_string),
                _ => Got::Differs("no KMS error".into()),
            },
            (CheckKind::KeyState(k, s), _) => match engine.key(k) {
                Some(key) => compare(s, &key.state().kind(), |v| v.name().into()),
                None => Got::Differs("missing".into()),
            },
            (CheckKind::KmsCalls(p, n), _) => {
                compare(n, &engine.decrypt_calls_by(p), ToString::to_string)
            }
            (CheckKind::TableNamed(_, name, s), _) => match engine.find_table(name) {
                Some(ix) => compare(s, &engine.tables()[ix.0].status(), |v| v.name().into()),
                None => missing(),
            },
            (CheckKind::Backup(name, s), _) => {
                let b = if name == crate::engine::backup::ARCHIVAL {
                    target.table.and_then(|tx| engine.archival_backup_of(tx))
                } else {
                    engine.backup_named(name)
                };
                match b {
                    Some(b) => compare(s, &engine.backup_state(b), |v| v.name().into()),
                    None => Got::Differs("no such backup".into()),
                }
            }
            (CheckKind::Cached(p, left), _) => match target.copy {
                Some(copy) => {
                    // Compared at whole-second precision, as the file writes it.
                    let now = engine.cached_time_left(copy, p, ConnectionId(1));
                    compare(
                        &left.map(SimDuration::as_secs),
                        &now.map(SimDuration::as_secs),
                        |_| cached_text(now),
                    )
                }
                None => missing(),
            },
            (_, None) => missing(),
            (CheckKind::Table(s), Some(t)) => compare(s, &t.status(), |v| v.name().into()),
            (CheckKind::Sse(s), Some(t)) => compare(s, &t.sse(), |v| v.name().into()),
            (CheckKind::WrappedBy(k), Some(t)) => {
                compare(k, t.current_kms_key(), ToString::to_string)
            }
            (CheckKind::Recoverable(r), Some(_)) => {
                let tx = target.table.unwrap_or(TableIx::FIRST);
                compare(r, &engine.recoverable(tx), ToString::to_string)
            }
            (CheckKind::Grant(revoked), Some(t)) => {
                compare(revoked, &t.grant_revoked(), |v| grant_name(*v).into())
            }
            (CheckKind::Replica(region, s), Some(_)) => {
                let tx = target.table.unwrap_or(TableIx::FIRST);
                match engine.copy_in(tx, region) {
                    Some(c) => compare(s, &engine.replica_status(c), |v| v.name().into()),
                    None => Got::Differs(format!("no copy in {region}")),
                }
            }
        };
        match got {
            Got::Same => None,
            Got::Differs(got) => Some((self.expected_text(), got)),
        }
    }
}

fn compare<T: PartialEq>(expected: &T, got: &T, show: impl Fn(&T) -> String) -> Got {
    if expected == got {
        Got::Same
    } else {
        Got::Differs(show(got))
    }
}

/// A `grant` value as the file writes it.
pub fn grant_name(revoked: bool) -> &'static str {
    if revoked { "revoked" } else { "active" }
}

fn outcome_name(ok: bool) -> &'static str {
    if ok { "ok" } else { "error" }
}

/// A `cached` value as the file writes it: `"2m 30s"` or `"none"`.
pub fn cached_text(left: Option<SimDuration>) -> String {
    left.map_or_else(|| "none".to_string(), SimDuration::to_exact_string)
}

/// Parse an `expect = { ... }` table into typed checks, each with its line.
pub(super) fn parse_expect(
    cx: &Ctx<'_>,
    e: &Spanned<RawExpect>,
    declared: &Declared<'_>,
) -> Result<Vec<Check>, Diagnostic> {
    let raw = e.get_ref();
    let mut checks = Vec::new();
    let mut push = |span: &std::ops::Range<usize>, kind: CheckKind| {
        checks.push(Check {
            line: cx.line(span),
            kind,
        });
    };
    if let Some(v) = &raw.outcome {
        let ok = pick(cx, v, Field::Outcome, &[true, false], |ok| {
            outcome_name(*ok)
        })?;
        push(&v.span(), CheckKind::Outcome(ok));
    }
    if let Some(v) = &raw.error {
        let code = pick(cx, v, Field::Error, &ErrorCode::EXPECTABLE, |c| c.name())?;
        push(&v.span(), CheckKind::Error(code));
    }
    if let Some(v) = &raw.kms_error {
        let code = pick(cx, v, Field::KmsError, &EXPECTABLE_KMS_ERRORS, |c| {
            c.as_str()
        })?;
        push(&v.span(), CheckKind::KmsError(code));
    }
    if let Some(v) = &raw.table {
        let s = pick(cx, v, Field::Table, &TableStatus::ALL, |s| s.name())?;
        push(&v.span(), CheckKind::Table(s));
    }
    if let Some(v) = &raw.sse {
        let s = pick(cx, v, Field::Sse, &SseStatus::ALL, |s| s.name())?;
        push(&v.span(), CheckKind::Sse(s));
    }
    if let Some(v) = &raw.wrapped_by {
        let k = declared.key(v, true)?;
        push(&v.span(), CheckKind::WrappedBy(k));
    }
    if let Some(map) = &raw.keys {
        for (k, v) in map.get_ref() {
            let key = declared.key(k, true)?;
            let s = pick(cx, v, Field::Keys, &KeyStateKind::ALL, |s| s.name())?;
            push(&k.span(), CheckKind::KeyState(key, s));
        }
    }
    if let Some(map) = &raw.cached {
        for (p, v) in map.get_ref() {
            let principal = declared.principal(p)?.id.clone();
            let left = if v.get_ref() == "none" {
                None
            } else {
                Some(
                    cx.duration(v, Field::Cached.name())
                        .map_err(|d| d.help("a time left such as \"2m 30s\", or \"none\""))?,
                )
            };
            push(&p.span(), CheckKind::Cached(principal, left));
        }
    }
    if let Some(v) = &raw.recoverable {
        push(&v.span(), CheckKind::Recoverable(*v.get_ref()));
    }
    if let Some(map) = &raw.tables {
        for (t, v) in map.get_ref() {
            let ix = declared.table(t)?;
            let s = pick(cx, v, Field::Tables, &TableStatus::ALL, |s| s.name())?;
            push(&t.span(), CheckKind::TableNamed(ix, t.get_ref().clone(), s));
        }
    }
    if let Some(v) = &raw.grant {
        let revoked = pick(cx, v, Field::Grant, &[false, true], |r| grant_name(*r))?;
        push(&v.span(), CheckKind::Grant(revoked));
    }
    parse_copies(cx, raw, declared, &mut push)?;
    if let Some(map) = &raw.kms_calls {
        for (p, v) in map.get_ref() {
            let principal = declared.principal(p)?.id.clone();
            let n = u32::try_from(*v.get_ref())
                .map_err(|_| cx.err(v.span(), "`kms_calls` counts must be 0 or more"))?;
            push(&p.span(), CheckKind::KmsCalls(principal, n));
        }
    }
    Ok(checks)
}

/// Version 2: `replicas = { region = status }` (regions of the step's table) and
/// `backups = { name = state }` (a backup some step up to here makes, or `archival`).
fn parse_copies(
    cx: &Ctx<'_>,
    raw: &RawExpect,
    declared: &Declared<'_>,
    push: &mut impl FnMut(&std::ops::Range<usize>, CheckKind),
) -> Result<(), Diagnostic> {
    if let Some(map) = &raw.replicas {
        let table = declared.current_table.get();
        for (r, v) in map.get_ref() {
            if let Some(known) = super::copies::regions_of(declared, table)
                && !known.contains(r.get_ref())
            {
                return Err(cx
                    .err(
                        r.span(),
                        format!("the step's table has no copy in `{}`", r.get_ref()),
                    )
                    .help(format!("its regions: {}", known.join(", "))));
            }
            let s = pick(cx, v, Field::Replicas, &ReplicaStatus::ALL, |s| s.name())?;
            push(&r.span(), CheckKind::Replica(r.get_ref().clone(), s));
        }
    }
    if let Some(map) = &raw.backups {
        for (b, v) in map.get_ref() {
            let name = b.get_ref();
            if name != crate::engine::backup::ARCHIVAL && !declared.backups.borrow().contains(name)
            {
                let known = declared.backups.borrow().join(", ");
                return Err(cx
                    .err(b.span(), format!("unknown backup `{name}`"))
                    .label("no backup step up to here makes it")
                    .help(if known.is_empty() {
                        "add a step with do = \"backup\" first, or name \"archival\"".to_string()
                    } else {
                        format!("backups so far: {known}, and \"archival\"")
                    }));
            }
            let s = pick(cx, v, Field::Backups, &BackupState::ALL, |s| s.name())?;
            push(&b.span(), CheckKind::Backup(name.clone(), s));
        }
    }
    Ok(())
}

/// The value among `values` whose name is written, or a diagnostic listing the names.
fn pick<T: Copy>(
    cx: &Ctx<'_>,
    v: &Spanned<String>,
    field: Field,
    values: &[T],
    name: impl Fn(&T) -> &'static str,
) -> Result<T, Diagnostic> {
    values
        .iter()
        .find(|x| name(x) == v.get_ref().as_str())
        .copied()
        .ok_or_else(|| {
            let names: Vec<&str> = values.iter().map(&name).collect();
            cx.err(
                v.span(),
                format!("unknown `{field}` value `{}`", v.get_ref()),
            )
            .help(format!("{field} is one of {}", one_of(&names)))
        })
}
