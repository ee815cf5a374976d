//! The parsing context: diagnostics with file:line:col, durations (`at`, `every`, `until`,
//! `end`, assumptions, `cached`) and the declared principals and keys that steps refer to.

use std::ops::Range;
use std::sync::Arc;

use toml::Spanned;

use super::diag::{self, Diagnostic};
use super::limits;
use crate::engine::ids::{AWS_OWNED, KmsKeyId};
use crate::engine::time::{SimDuration, SimTime, parse_duration};
use crate::engine::{KeySpec, PrincipalSpec};

/// Where a diagnostic points: the file's name and text.
pub(super) struct Ctx<'a> {
    pub(super) file: &'a str,
    pub(super) source: Arc<str>,
}

impl Ctx<'_> {
    pub(super) fn err(&self, span: Range<usize>, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(self.file, &self.source, span, message)
    }
    pub(super) fn line(&self, span: &Range<usize>) -> usize {
        diag::line_col(&self.source, span.start).0
    }
    pub(super) fn duration(
        &self,
        s: &Spanned<String>,
        what: &str,
    ) -> Result<SimDuration, Diagnostic> {
        parse_duration(s.get_ref()).map_err(|e| {
            // Point inside the quotes at the bad part when the value is a plain string.
            let inner = s.span().start + 1 + e.offset;
            self.err(inner..inner + 1, format!("bad duration for `{what}`: {}", e.message))
                .label(e.message.clone())
                .help("durations are <integer><unit> parts with units s m h d, e.g. \"90s\", \"5m\", \"1d 2h\"")
        })
    }
    /// Refuse an instant past the longest simulated span a scenario may cover.
    pub(super) fn within_span(
        &self,
        t: SimTime,
        span: Range<usize>,
        what: &str,
    ) -> Result<(), Diagnostic> {
        if t.as_millis() > limits::MAX_SPAN.as_millis() {
            return Err(self
                .err(span, format!("`{what}` is too far in the future ({t})"))
                .label(format!(
                    "a scenario covers at most {} days",
                    limits::MAX_SPAN.as_millis() / 86_400_000
                ))
                .help("simulated time is cheap, but each rotation and event is kept: stay within 100 years"));
        }
        Ok(())
    }

    pub(super) fn duration_in(
        &self,
        s: &Spanned<String>,
        what: &str,
        min: SimDuration,
        max: SimDuration,
    ) -> Result<SimDuration, Diagnostic> {
        let d = self.duration(s, what)?;
        if d < min || d > max {
            return Err(self
                .err(
                    s.span(),
                    format!("`{what}` = \"{}\" is out of range", s.get_ref()),
                )
                .label(format!(
                    "must be between {} and {}",
                    min.to_exact_string(),
                    max.to_exact_string()
                )));
        }
        Ok(d)
    }
}

/// The principals and keys a file declares, to resolve references from steps and expectations.
pub(super) struct Declared<'a> {
    pub(super) cx: &'a Ctx<'a>,
    pub(super) principals: &'a [PrincipalSpec],
    pub(super) keys: &'a [KeySpec],
    /// The tables, once parsed (steps and expectations may name them).
    pub(super) tables: &'a [crate::engine::TableSpec],
    /// Version 2: tables restores create, in step order (a step may name one from its
    /// restore on); their indices follow the declared tables'.
    pub(super) restored: std::cell::RefCell<Vec<String>>,
    /// Version 2: backup names the steps so far create.
    pub(super) backups: std::cell::RefCell<Vec<String>>,
    /// Version 2: the table the step being parsed speaks about (an index as above).
    pub(super) current_table: std::cell::Cell<usize>,
}

impl<'a> Declared<'a> {
    pub(super) fn new(
        cx: &'a Ctx<'a>,
        principals: &'a [PrincipalSpec],
        keys: &'a [KeySpec],
        tables: &'a [crate::engine::TableSpec],
    ) -> Self {
        Self {
            cx,
            principals,
            keys,
            tables,
            restored: std::cell::RefCell::default(),
            backups: std::cell::RefCell::default(),
            current_table: std::cell::Cell::new(0),
        }
    }

    /// A declared table, or one a restore has created by now, by name (its index), or a
    /// diagnostic that lists the known ones.
    pub(super) fn table(&self, s: &Spanned<String>) -> Result<usize, crate::scenario::Diagnostic> {
        let name = s.get_ref();
        if let Some(i) = self.tables.iter().position(|t| t.name == *name) {
            return Ok(i);
        }
        if let Some(i) = self.restored.borrow().iter().position(|t| t == name) {
            return Ok(self.tables.len() + i);
        }
        let mut names: Vec<String> = self.tables.iter().map(|t| t.name.clone()).collect();
        names.extend(self.restored.borrow().iter().cloned());
        Err(self
            .cx
            .err(s.span(), format!("unknown table `{name}`"))
            .help(format!(
                "declared tables: {} (a restored table may be named from its restore step on)",
                names.join(", ")
            )))
    }

    /// A declared principal by name, or a diagnostic that lists the declared ones.
    pub(super) fn principal(&self, s: &Spanned<String>) -> Result<&PrincipalSpec, Diagnostic> {
        self.principals
            .iter()
            .find(|p| p.id.as_str() == s.get_ref())
            .ok_or_else(|| {
                let declared = if self.principals.is_empty() {
                    "no [[principal]] is declared".to_string()
                } else {
                    format!(
                        "declared principals: {}",
                        self.principals
                            .iter()
                            .map(|p| p.id.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                };
                self.cx
                    .err(s.span(), format!("unknown principal `{}`", s.get_ref()))
                    .label("not declared in [[principal]]")
                    .help(declared)
            })
    }

    /// A declared key (or `aws-owned` where `allow_owned`), or a diagnostic.
    pub(super) fn key(
        &self,
        s: &Spanned<String>,
        allow_owned: bool,
    ) -> Result<KmsKeyId, Diagnostic> {
        let id = s.get_ref();
        if id == AWS_OWNED {
            return if allow_owned {
                Ok(KmsKeyId::new(AWS_OWNED))
            } else {
                Err(self
                    .cx
                    .err(s.span(), "the AWS owned key cannot be managed by any user")
                    .label("lives in a DynamoDB service account")
                    .help("only keys declared with [[key]] can be disabled, deleted, rotated or have permissions changed"))
            };
        }
        self.keys
            .iter()
            .find(|k| k.id.as_str() == id)
            .map(|k| k.id.clone())
            .ok_or_else(|| {
                let mut names: Vec<&str> = self.keys.iter().map(|k| k.id.as_str()).collect();
                names.push(AWS_OWNED);
                self.cx
                    .err(s.span(), format!("unknown KMS key `{id}`"))
                    .label("not declared in [[key]]")
                    .help(format!("declared keys: {}", names.join(", ")))
            })
    }
}

/// A time in a step: absolute (`"1d 2h"`) or relative to `base` (`"+5m"`).
pub(super) fn instant(
    cx: &Ctx<'_>,
    s: &Spanned<String>,
    what: &str,
    base: SimTime,
) -> Result<SimTime, Diagnostic> {
    let text = s.get_ref().trim();
    let t = if let Some(rel) = text.strip_prefix('+') {
        base + cx.duration(
            &Spanned::new(s.span().start + 1..s.span().end, rel.to_string()),
            what,
        )?
    } else {
        SimTime::ZERO + cx.duration(s, what)?
    };
    cx.within_span(t, s.span(), what)?;
    Ok(t)
}
