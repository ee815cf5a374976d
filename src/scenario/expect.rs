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
use crate::engine::event::RequestResult;
use crate::engine::ids::{ConnectionId, KmsKeyId, PrincipalId};
use crate::engine::kms::{KeyStateKind, KmsErrorCode};
use crate::engine::table::{SseStatus, TableStatus};
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
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The KMS errors `kms_error` accepts (the format's four).
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
        }
    }

    /// Check this expectation against the engine right after an action that gave `result`:
    /// `None` when it holds, else `(expected, got)` for the failure line.
    pub fn evaluate(
        &self,
        engine: &Engine,
        tx: crate::engine::table::TableIx,
        result: &RequestResult,
    ) -> Option<(String, String)> {
        let t = engine.tables().get(tx.0).unwrap_or_else(|| engine.table());
        let got = match self {
            CheckKind::Outcome(ok) => compare(ok, &result.is_ok(), |v| outcome_name(*v).into()),
            CheckKind::Error(e) => match result {
                RequestResult::Ok => Got::Differs("no error".into()),
                // Compared by name: KMS's and DynamoDB's AccessDeniedException are one answer.
                RequestResult::Error { error, .. } => {
                    compare(&e.name(), &error.name(), |v| (*v).into())
                }
            },
            CheckKind::KmsError(e) => match result {
                RequestResult::Error {
                    kms_error: Some(k), ..
                } => compare(e, k, ToString::to_string),
                _ => Got::Differs("no KMS error".into()),
            },
            CheckKind::Table(s) => compare(s, &t.status, |v| v.name().into()),
            CheckKind::Sse(s) => compare(s, &t.sse, |v| v.name().into()),
            CheckKind::WrappedBy(k) => compare(k, t.current_kms_key(), ToString::to_string),
            CheckKind::KeyState(k, s) => match engine.key(k) {
                Some(key) => compare(s, &key.state.kind(), |v| v.name().into()),
                None => Got::Differs("missing".into()),
            },
            CheckKind::Cached(p, left) => {
                // Compared at whole-second precision, as the file writes it.
                let now = engine.cached_time_left_in(tx, p, ConnectionId(1));
                compare(
                    &left.map(SimDuration::as_secs),
                    &now.map(SimDuration::as_secs),
                    |_| cached_text(now),
                )
            }
            CheckKind::Recoverable(r) => {
                compare(r, &engine.recoverable_in(tx), ToString::to_string)
            }
            CheckKind::Grant(revoked) => {
                let now = t.grant_revoked_on.as_ref() == Some(t.current_kms_key());
                compare(revoked, &now, |v| grant_name(*v).into())
            }
            CheckKind::TableNamed(ix, _, s) => match engine.tables().get(*ix) {
                Some(named) => compare(s, &named.status, |v| v.name().into()),
                None => Got::Differs("no such table".into()),
            },
            CheckKind::KmsCalls(p, n) => {
                compare(n, &engine.decrypt_calls_by(p), ToString::to_string)
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
