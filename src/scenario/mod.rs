//! Scenario files: parse and validate the TOML contract (docs/scenario-format.md).
//!
//! Parsing is two passes: serde with `deny_unknown_fields` and spans for the shape, then
//! validation of values and references, each error with file:line:col and a hint.

pub mod diag;
pub mod write;

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::sync::Arc;

use serde::Deserialize;
use toml::Spanned;

use crate::engine::ids::{AWS_OWNED, ConnectionId, KmsKeyId, PrincipalId};
use crate::engine::kms::{KeyKind, KmsErrorCode, PendingDeletionError};
use crate::engine::time::{SimDuration, SimTime, parse_duration};
use crate::engine::{Assumptions, Command, KeySpec, PrincipalSpec, TableSpec, WorldSpec};
pub use diag::Diagnostic;

/// What a scenario may ask for, checked at load so every accepted file runs in bounded time
/// and memory (docs/scenario-format.md, "Limits").
pub mod limits {
    use crate::engine::time::SimDuration;

    /// Largest scenario file read, in bytes.
    pub const MAX_FILE_BYTES: u64 = 1024 * 1024;
    /// Latest simulated instant a step, `until` or `end` may name: 100 years.
    pub const MAX_SPAN: SimDuration = SimDuration::from_days(36_500);
    /// Actions after expanding repeated steps and `connection = "all"`.
    pub const MAX_ACTIONS: u64 = 250_000;
    /// Declared KMS keys.
    pub const MAX_KEYS: usize = 100;
    /// Declared principals.
    pub const MAX_PRINCIPALS: usize = 100;
    /// Connections over all principals (each holds its own cache entry).
    pub const MAX_CONNECTIONS: u64 = 10_000;
    /// Steps in a file.
    pub const MAX_STEPS: usize = 10_000;
}

/// Most actions a scenario may expand to (kept for callers of the earlier name).
pub const MAX_OCCURRENCES: u64 = limits::MAX_ACTIONS;

/// A validated scenario.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// The file as the user named it, or `builtin:NAME`.
    pub file: String,
    pub source: Arc<str>,
    pub title: String,
    pub summary: Option<String>,
    pub world: WorldSpec,
    /// Assumptions the file set explicitly (the rest are defaults).
    pub assumptions_set: BTreeSet<&'static str>,
    pub steps: Vec<Step>,
    /// Keep the clock running until at least this time (extension: `end`).
    pub end: Option<SimTime>,
}

/// One `[[step]]`.
#[derive(Clone, Debug)]
pub struct Step {
    /// 1-based, as users count.
    pub number: usize,
    pub line: usize,
    pub at: SimTime,
    pub action: Action,
    pub note: Option<String>,
    pub expect: Vec<Check>,
    /// Extension: repeat the action every `every` until `until` (inclusive).
    pub repeat: Option<Repeat>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Repeat {
    pub every: SimDuration,
    pub until: SimTime,
}

impl Step {
    /// Every time this step's action runs.
    pub fn occurrences(&self) -> impl Iterator<Item = SimTime> + '_ {
        let (every, until) = match self.repeat {
            Some(r) => (r.every.as_millis(), r.until),
            None => (0, self.at),
        };
        let start = self.at.as_millis();
        let count = until
            .as_millis()
            .saturating_sub(start)
            .checked_div(every)
            .map_or(1, |n| n + 1);
        (0..count).map(move |i| SimTime(start + i * every))
    }
}

/// What a step does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// One engine command.
    Command(Command),
    /// Extension: `connection = "all"`: one read or write on every connection of the principal.
    EachConnection {
        principal: PrincipalId,
        connections: u32,
        write: bool,
    },
}

impl Action {
    /// The engine commands this action expands to.
    pub fn commands(&self) -> Vec<Command> {
        match self {
            Action::Command(c) => vec![c.clone()],
            Action::EachConnection {
                principal,
                connections,
                write,
            } => (1..=*connections)
                .map(|c| Command::request(principal.clone(), ConnectionId(c), *write))
                .collect(),
        }
    }

    /// How many engine commands one run of this action makes.
    pub fn command_count(&self) -> u64 {
        match self {
            Action::Command(_) => 1,
            Action::EachConnection { connections, .. } => u64::from(*connections),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Action::Command(c) => c.describe(),
            Action::EachConnection {
                principal,
                connections,
                write,
            } => format!(
                "{} as {principal} on each of its {connections} connections",
                if *write { "write" } else { "read" }
            ),
        }
    }
}

/// One expectation, with the line it was written on.
#[derive(Clone, Debug, PartialEq)]
pub struct Check {
    pub line: usize,
    pub kind: CheckKind,
}

#[derive(Clone, Debug, PartialEq)]
pub enum CheckKind {
    /// `outcome = "ok"` (true) or `"error"`.
    Outcome(bool),
    Error(String),
    KmsError(KmsErrorCode),
    Table(&'static str),
    Sse(&'static str),
    WrappedBy(KmsKeyId),
    KeyState(KmsKeyId, &'static str),
    /// `None` = nothing cached.
    Cached(PrincipalId, Option<SimDuration>),
    Recoverable(bool),
    /// Extension: KMS Decrypt calls made as this principal so far.
    KmsCalls(PrincipalId, u32),
}

/// The errors a step can expect (`error`).
pub const KNOWN_ERRORS: &[&str] = &[
    "AccessDeniedException",
    "TableArchived",
    "LimitExceededException",
    "ValidationException",
    "DisabledException",
    "KMSInvalidStateException",
    "NotFoundException",
];

const ACTIONS: &[&str] = &[
    "read",
    "write",
    "change-table-key",
    "disable-key",
    "enable-key",
    "schedule-key-deletion",
    "cancel-key-deletion",
    "rotate-key",
    "revoke",
    "allow",
    "wait",
];

// ----- raw shape (serde) ---------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    title: Option<Spanned<String>>,
    summary: Option<String>,
    seed: Option<Spanned<i64>>,
    end: Option<Spanned<String>>,
    assumptions: Option<RawAssumptions>,
    #[serde(default)]
    key: Vec<RawKey>,
    table: Option<Spanned<RawTable>>,
    #[serde(default)]
    principal: Vec<RawPrincipal>,
    #[serde(default)]
    step: Vec<Spanned<RawStep>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAssumptions {
    cache_refresh: Option<Spanned<String>>,
    detection: Option<Spanned<String>>,
    archive_after: Option<Spanned<String>>,
    archive_duration: Option<Spanned<String>>,
    rewrap_per_dek: Option<Spanned<String>>,
    deletion_delay: Option<Spanned<String>>,
    propagation: Option<Spanned<String>>,
    pending_deletion_error: Option<Spanned<String>>,
    on_demand_rotation_limit: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKey {
    id: Spanned<String>,
    kind: Option<Spanned<String>>,
    state: Option<Spanned<String>>,
    rotation_days: Option<Spanned<i64>>,
    allow: Option<Spanned<Vec<Spanned<String>>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTable {
    name: Option<Spanned<String>>,
    key: Spanned<String>,
    deks: Option<Spanned<i64>>,
    items: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPrincipal {
    name: Spanned<String>,
    connections: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawConnection {
    Number(i64),
    Word(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    at: Spanned<String>,
    #[serde(rename = "do")]
    action: Spanned<String>,
    principal: Option<Spanned<String>>,
    connection: Option<Spanned<RawConnection>>,
    key: Option<Spanned<String>>,
    days: Option<Spanned<i64>>,
    note: Option<String>,
    every: Option<Spanned<String>>,
    until: Option<Spanned<String>>,
    expect: Option<Spanned<RawExpect>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExpect {
    outcome: Option<Spanned<String>>,
    error: Option<Spanned<String>>,
    kms_error: Option<Spanned<String>>,
    table: Option<Spanned<String>>,
    sse: Option<Spanned<String>>,
    wrapped_by: Option<Spanned<String>>,
    keys: Option<Spanned<BTreeMap<Spanned<String>, Spanned<String>>>>,
    cached: Option<Spanned<BTreeMap<Spanned<String>, Spanned<String>>>>,
    recoverable: Option<Spanned<bool>>,
    kms_calls: Option<Spanned<BTreeMap<Spanned<String>, Spanned<i64>>>>,
}

// ----- validation ----------------------------------------------------------------------------

struct Ctx<'a> {
    file: &'a str,
    source: Arc<str>,
}

impl Ctx<'_> {
    fn err(&self, span: Range<usize>, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(self.file, &self.source, span, message)
    }
    fn line(&self, span: &Range<usize>) -> usize {
        diag::line_col(&self.source, span.start).0
    }
    fn duration(&self, s: &Spanned<String>, what: &str) -> Result<SimDuration, Diagnostic> {
        parse_duration(s.get_ref()).map_err(|e| {
            // Point inside the quotes at the bad part when the value is a plain string.
            let inner = s.span().start + 1 + e.offset;
            self.err(inner..inner + 1, format!("bad duration for `{what}`: {}", e.message))
                .label(e.message.clone())
                .help("durations are <integer><unit> parts with units s m h d, e.g. \"90s\", \"5m\", \"1d 2h\"")
        })
    }
    /// Refuse an instant past the longest simulated span a scenario may cover.
    fn within_span(&self, t: SimTime, span: Range<usize>, what: &str) -> Result<(), Diagnostic> {
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

    fn duration_in(
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

/// Text a scenario shows to people (title, summary, notes) with every control character made
/// visible, so a file can never send escape sequences to a terminal (set its title, clear the
/// screen, hide text). Line breaks and tabs stay in multi-line texts; a title is one line.
pub fn printable(s: &str, multiline: bool) -> String {
    s.chars()
        .map(|c| match c {
            '\n' | '\t' if multiline => c,
            '\n' | '\t' => ' ',
            '\u{0}'..='\u{1f}' => char::from_u32(0x2400 + c as u32).unwrap_or('\u{fffd}'),
            '\u{7f}' => '\u{2421}',
            '\u{80}'..='\u{9f}'
            | '\u{200e}'
            | '\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2066}'..='\u{2069}' => '\u{fffd}',
            _ => c,
        })
        .collect()
}

fn is_id(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn one_of(values: &[&str]) -> String {
    values
        .iter()
        .map(|v| format!("\"{v}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Parse and validate a scenario file's text.
pub fn parse(file: &str, text: &str) -> Result<Scenario, Diagnostic> {
    let source: Arc<str> = Arc::from(text);
    let cx = Ctx {
        file,
        source: source.clone(),
    };
    let raw: RawScenario = toml::from_str(text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        let message = e.message().trim().to_string();
        let mut d = cx.err(span, message.clone());
        if message.contains("unknown field") {
            d = d.help("see docs/scenario-format.md for every field the format accepts");
        } else if message.contains("missing field") {
            d = d.help("this field is required");
        }
        d
    })?;

    let title = raw.title.ok_or_else(|| {
        cx.err(0..0, "missing `title`")
            .help("add a line like: title = \"What this scenario shows\"")
    })?;
    if title.get_ref().trim().is_empty() {
        return Err(cx.err(title.span(), "`title` is empty"));
    }

    let seed = match raw.seed {
        Some(s) => u64::try_from(*s.get_ref())
            .map_err(|_| cx.err(s.span(), "`seed` must be a non-negative integer"))?,
        None => 0,
    };

    let (assumptions, assumptions_set) = parse_assumptions(&cx, raw.assumptions)?;

    // Principals.
    let mut principals: Vec<PrincipalSpec> = Vec::new();
    let mut total_connections: u64 = 0;
    if let Some(p) = raw.principal.get(limits::MAX_PRINCIPALS) {
        return Err(cx
            .err(p.name.span(), "too many principals")
            .label(format!("principal number {}", limits::MAX_PRINCIPALS + 1))
            .help(format!(
                "a scenario declares at most {} [[principal]]s",
                limits::MAX_PRINCIPALS
            )));
    }
    for p in &raw.principal {
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
                if !(1..=1000).contains(&n) {
                    return Err(cx
                        .err(c.span(), format!("`connections` = {n} is out of range"))
                        .label("must be between 1 and 1000"));
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
    let principal_names = || {
        if principals.is_empty() {
            "no [[principal]] is declared".to_string()
        } else {
            format!(
                "declared principals: {}",
                principals
                    .iter()
                    .map(|p| p.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    };
    let find_principal = |s: &Spanned<String>| -> Result<&PrincipalSpec, Diagnostic> {
        principals
            .iter()
            .find(|p| p.id.as_str() == s.get_ref())
            .ok_or_else(|| {
                cx.err(s.span(), format!("unknown principal `{}`", s.get_ref()))
                    .label("not declared in [[principal]]")
                    .help(principal_names())
            })
    };

    // Keys.
    let mut keys: Vec<KeySpec> = Vec::new();
    if let Some(k) = raw.key.get(limits::MAX_KEYS) {
        return Err(cx
            .err(k.id.span(), "too many KMS keys")
            .label(format!("key number {}", limits::MAX_KEYS + 1))
            .help(format!(
                "a scenario declares at most {} [[key]]s",
                limits::MAX_KEYS
            )));
    }
    for k in &raw.key {
        let id = k.id.get_ref();
        if id == AWS_OWNED {
            return Err(cx
                .err(k.id.span(), "`aws-owned` is reserved for the AWS owned key")
                .label("choose another id")
                .help("the AWS owned key always exists: use key = \"aws-owned\" in [table] or change-table-key"));
        }
        if !is_id(id) {
            return Err(cx
                .err(k.id.span(), format!("bad key id `{id}`"))
                .label("use lowercase letters, digits and -"));
        }
        if keys.iter().any(|q| q.id.as_str() == id) {
            return Err(cx.err(k.id.span(), format!("key `{id}` is declared twice")));
        }
        let kind = match k.kind.as_ref().map(|s| (s.get_ref().as_str(), s.span())) {
            None | Some(("customer-managed", _)) => KeyKind::CustomerManaged,
            Some(("aws-managed", _)) => KeyKind::AwsManaged,
            Some((other, span)) => {
                return Err(cx
                    .err(span, format!("unknown key kind `{other}`"))
                    .help(format!(
                        "kind is one of {}",
                        one_of(&["customer-managed", "aws-managed"])
                    )));
            }
        };
        let enabled = match k.state.as_ref().map(|s| (s.get_ref().as_str(), s.span())) {
            None | Some(("enabled", _)) => true,
            Some(("disabled", span)) => {
                if kind == KeyKind::AwsManaged {
                    return Err(cx
                        .err(span, "an AWS managed key cannot be disabled")
                        .help("only customer managed keys can be disabled (fact 53)"));
                }
                false
            }
            Some((other, span)) => {
                return Err(cx
                    .err(span, format!("unknown starting state `{other}`"))
                    .help(format!(
                        "state is one of {}",
                        one_of(&["enabled", "disabled"])
                    )));
            }
        };
        let rotation_days = match &k.rotation_days {
            Some(r) => {
                if kind == KeyKind::AwsManaged {
                    return Err(cx
                        .err(
                            r.span(),
                            "AWS managed keys rotate every year; `rotation_days` cannot be set",
                        )
                        .help("remove rotation_days, or make the key customer-managed"));
                }
                let d = *r.get_ref();
                if !(90..=2560).contains(&d) {
                    return Err(cx
                        .err(r.span(), format!("`rotation_days` = {d} is out of range"))
                        .label("must be between 90 and 2560"));
                }
                Some(d as u32)
            }
            None => None,
        };
        let allow = match &k.allow {
            Some(list) => {
                let mut v = Vec::new();
                for p in list.get_ref() {
                    v.push(find_principal(p)?.id.clone());
                }
                Some(v)
            }
            None => None,
        };
        keys.push(KeySpec {
            id: KmsKeyId::new(id),
            kind,
            enabled,
            rotation_days,
            allow,
        });
    }
    let key_names = || {
        let mut names: Vec<&str> = keys.iter().map(|k| k.id.as_str()).collect();
        names.push(AWS_OWNED);
        format!("declared keys: {}", names.join(", "))
    };
    let find_key = |s: &Spanned<String>, allow_owned: bool| -> Result<KmsKeyId, Diagnostic> {
        let id = s.get_ref();
        if id == AWS_OWNED {
            return if allow_owned {
                Ok(KmsKeyId::new(AWS_OWNED))
            } else {
                Err(cx
                    .err(s.span(), "the AWS owned key cannot be managed by any user")
                    .label("lives in a DynamoDB service account")
                    .help("only keys declared with [[key]] can be disabled, deleted, rotated or have permissions changed"))
            };
        }
        keys.iter()
            .find(|k| k.id.as_str() == id)
            .map(|k| k.id.clone())
            .ok_or_else(|| {
                cx.err(s.span(), format!("unknown KMS key `{id}`"))
                    .label("not declared in [[key]]")
                    .help(key_names())
            })
    };

    // Table.
    let raw_table = raw.table.ok_or_else(|| {
        cx.err(0..0, "missing [table]")
            .help("add a [table] section with at least key = \"<a [[key]] id or aws-owned>\"")
    })?;
    let table_span = raw_table.span();
    let rt = raw_table.into_inner();
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
        None => "Orders".to_string(),
    };
    let table_key = find_key(&rt.key, true)?;
    if let Some(k) = keys.iter().find(|k| k.id == table_key)
        && !k.enabled
    {
        return Err(cx
            .err(
                rt.key.span(),
                format!("the table's key `{table_key}` starts disabled"),
            )
            .label("a table cannot be created under a disabled key")
            .help("start the key enabled and add a disable-key step"));
    }
    let deks = match &rt.deks {
        Some(d) => {
            let n = *d.get_ref();
            if !(1..=1_000_000).contains(&n) {
                return Err(cx
                    .err(d.span(), format!("`deks` = {n} is out of range"))
                    .label("must be between 1 and 1000000"));
            }
            n as u32
        }
        None => 8,
    };
    let items = match &rt.items {
        Some(d) => {
            let n = *d.get_ref();
            if !(0..=5_000_000).contains(&n) {
                return Err(cx
                    .err(d.span(), format!("`items` = {n} is out of range"))
                    .label("must be between 0 and 5000000"));
            }
            n as u64
        }
        None => 64,
    };
    let _ = table_span;

    // Steps.
    let mut steps = Vec::new();
    let mut prev_at = SimTime::ZERO;
    let mut total_occurrences: u64 = 0;
    if let Some(extra) = raw.step.get(limits::MAX_STEPS) {
        return Err(cx.err(extra.span(), "too many steps").help(format!(
            "a scenario has at most {} [[step]]s; use `every`/`until` to repeat one",
            limits::MAX_STEPS
        )));
    }
    for (i, raw_step) in raw.step.iter().enumerate() {
        let step_span = raw_step.span();
        let rs = raw_step.get_ref();
        let number = i + 1;
        let at_text = rs.at.get_ref().trim();
        let at = if let Some(rel) = at_text.strip_prefix('+') {
            let d = cx.duration(
                &Spanned::new(rs.at.span().start + 1..rs.at.span().end, rel.to_string()),
                "at",
            )?;
            prev_at + d
        } else {
            let d = cx.duration(&rs.at, "at")?;
            SimTime::ZERO + d
        };
        cx.within_span(at, rs.at.span(), "at")?;
        if at < prev_at {
            return Err(cx
                .err(rs.at.span(), format!("step {number} at {at} goes back in time"))
                .label(format!("the previous step is at {prev_at}"))
                .help("steps must be in time order; use \"+5m\" for a time relative to the previous step"));
        }
        prev_at = at;

        let action = parse_action(&cx, rs, &principals, &find_principal, &find_key)?;
        let repeat = match (&rs.every, &rs.until) {
            (None, None) => None,
            (Some(e), Some(u)) => {
                let every = cx.duration(e, "every")?;
                if every == SimDuration::ZERO {
                    return Err(cx.err(e.span(), "`every` must be longer than 0s"));
                }
                let until_text = u.get_ref().trim();
                let until = if let Some(rel) = until_text.strip_prefix('+') {
                    at + cx.duration(
                        &Spanned::new(u.span().start + 1..u.span().end, rel.to_string()),
                        "until",
                    )?
                } else {
                    SimTime::ZERO + cx.duration(u, "until")?
                };
                if until < at {
                    return Err(cx
                        .err(
                            u.span(),
                            format!("`until` ({until}) is before the step's time ({at})"),
                        )
                        .help("`until` is an absolute time, or \"+30d\" relative to `at`"));
                }
                cx.within_span(until, u.span(), "until")?;
                let count = until.since(at).as_millis() / every.as_millis() + 1;
                total_occurrences =
                    total_occurrences.saturating_add(count.saturating_mul(action.command_count()));
                Some(Repeat { every, until })
            }
            (Some(e), None) => {
                return Err(cx
                    .err(e.span(), "`every` needs `until`")
                    .help("e.g. every = \"1m\", until = \"30d\""));
            }
            (None, Some(u)) => {
                return Err(cx
                    .err(u.span(), "`until` needs `every`")
                    .help("e.g. every = \"1m\", until = \"30d\""));
            }
        };
        if repeat.is_none() {
            total_occurrences = total_occurrences.saturating_add(action.command_count());
        }
        if total_occurrences > limits::MAX_ACTIONS {
            return Err(cx
                .err(rs.action.span(), "the scenario expands to too many actions")
                .label("repetitions x connections, counted over all steps up to here")
                .help(format!(
                    "at most {} actions in all; use a longer `every`, an earlier `until` or fewer connections",
                    limits::MAX_ACTIONS
                )));
        }
        let expect = match &rs.expect {
            Some(e) => parse_expect(&cx, e, &principals, &find_principal, &find_key)?,
            None => Vec::new(),
        };
        steps.push(Step {
            number,
            line: cx.line(&step_span),
            at,
            action,
            note: rs.note.as_deref().map(|n| printable(n, true)),
            expect,
            repeat,
        });
    }

    let end = match &raw.end {
        Some(e) => {
            let t = SimTime::ZERO + cx.duration(e, "end")?;
            cx.within_span(t, e.span(), "end")?;
            Some(t)
        }
        None => None,
    };

    Ok(Scenario {
        file: file.to_string(),
        source,
        title: printable(title.get_ref(), false),
        summary: raw.summary.as_deref().map(|t| printable(t, true)),
        world: WorldSpec {
            seed,
            assumptions,
            keys,
            table: TableSpec {
                name,
                key: table_key,
                deks,
                items,
            },
            principals,
        },
        assumptions_set,
        steps,
        end,
    })
}

type DurationField<'a> = (
    &'static str,
    &'a Option<Spanned<String>>,
    &'a mut SimDuration,
    SimDuration,
    SimDuration,
);
/// Finds a declared principal by name, or explains which ones exist.
type FindPrincipal<'p, 'a> = &'p dyn Fn(&Spanned<String>) -> Result<&'a PrincipalSpec, Diagnostic>;
/// Finds a declared key (or `aws-owned` when allowed), or explains which ones exist.
type FindKey<'p> = &'p dyn Fn(&Spanned<String>, bool) -> Result<KmsKeyId, Diagnostic>;

fn parse_assumptions(
    cx: &Ctx<'_>,
    raw: Option<RawAssumptions>,
) -> Result<(Assumptions, BTreeSet<&'static str>), Diagnostic> {
    let mut a = Assumptions::default();
    let mut set = BTreeSet::new();
    let Some(r) = raw else {
        return Ok((a, set));
    };
    let s = SimDuration::from_secs;
    let d = SimDuration::from_days;
    let fields: [DurationField<'_>; 7] = [
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
    if let Some(v) = &r.on_demand_rotation_limit {
        let n = *v.get_ref();
        if !(1..=25).contains(&n) {
            return Err(cx
                .err(
                    v.span(),
                    format!("`on_demand_rotation_limit` = {n} is out of range"),
                )
                .label("must be between 1 and 25 (the docs say 10 or 25)"));
        }
        a.on_demand_rotation_limit = n as u32;
        set.insert("on_demand_rotation_limit");
    }
    Ok((a, set))
}

fn parse_action<'a>(
    cx: &Ctx<'_>,
    rs: &RawStep,
    principals: &'a [PrincipalSpec],
    find_principal: FindPrincipal<'_, 'a>,
    find_key: FindKey<'_>,
) -> Result<Action, Diagnostic> {
    let verb = rs.action.get_ref().as_str();
    if !ACTIONS.contains(&verb) {
        return Err(cx
            .err(rs.action.span(), format!("unknown action `{verb}`"))
            .help(format!("`do` is one of {}", ACTIONS.join(", "))));
    }
    let needs_principal = matches!(verb, "read" | "write" | "revoke" | "allow");
    let needs_key = !matches!(verb, "read" | "write" | "wait");
    let takes_connection = matches!(verb, "read" | "write");
    let takes_days = verb == "schedule-key-deletion";
    let not_for = |span: Range<usize>, field: &str| {
        cx.err(span, format!("`{field}` does not apply to `{verb}`"))
            .label("remove this field")
    };
    if !needs_principal && let Some(p) = &rs.principal {
        return Err(not_for(p.span(), "principal"));
    }
    if !needs_key && let Some(k) = &rs.key {
        return Err(not_for(k.span(), "key"));
    }
    if !takes_connection && let Some(c) = &rs.connection {
        return Err(not_for(c.span(), "connection"));
    }
    if !takes_days && let Some(d) = &rs.days {
        return Err(not_for(d.span(), "days"));
    }
    let missing = |field: &str| {
        cx.err(rs.action.span(), format!("`{verb}` needs `{field}`"))
            .help(format!("add {field} = \"...\" to this step"))
    };
    let principal = match &rs.principal {
        Some(p) if needs_principal => Some(find_principal(p)?),
        None if needs_principal => {
            let mut e = missing("principal");
            if !principals.is_empty() {
                e = e.help(format!(
                    "add principal = \"{}\" (declared: {})",
                    principals[0].id,
                    principals
                        .iter()
                        .map(|p| p.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            return Err(e);
        }
        _ => None,
    };
    let key = match &rs.key {
        Some(k) if needs_key => Some(find_key(k, verb == "change-table-key")?),
        None if needs_key => return Err(missing("key")),
        _ => None,
    };
    let cmd = match verb {
        "read" | "write" => {
            let p = principal.expect("read/write has a principal");
            let write = verb == "write";
            match rs.connection.as_ref() {
                None => Command::request(p.id.clone(), ConnectionId(1), write),
                Some(c) => match c.get_ref() {
                    RawConnection::Number(n) => {
                        if *n < 1 || *n > i64::from(p.connections) {
                            return Err(cx
                                .err(c.span(), format!("`{}` has no connection {n}", p.id))
                                .label(format!("connections are numbered 1..={}", p.connections))
                                .help("raise `connections` in its [[principal]], or use connection = \"all\""));
                        }
                        Command::request(p.id.clone(), ConnectionId(*n as u32), write)
                    }
                    RawConnection::Word(w) if w == "all" => {
                        return Ok(Action::EachConnection {
                            principal: p.id.clone(),
                            connections: p.connections,
                            write,
                        });
                    }
                    RawConnection::Word(w) => {
                        return Err(cx
                            .err(c.span(), format!("bad connection `{w}`"))
                            .help("a connection number (1, 2, ...) or \"all\""));
                    }
                },
            }
        }
        "change-table-key" => Command::ChangeTableKey {
            key: key.expect("key"),
        },
        "disable-key" => Command::DisableKey {
            key: key.expect("key"),
        },
        "enable-key" => Command::EnableKey {
            key: key.expect("key"),
        },
        "schedule-key-deletion" => {
            let days = match &rs.days {
                Some(d) => {
                    let n = *d.get_ref();
                    if !(7..=30).contains(&n) {
                        return Err(cx
                            .err(d.span(), format!("`days` = {n} is out of range"))
                            .label("KMS waits 7 to 30 days before deleting a key"));
                    }
                    n as u32
                }
                None => 30,
            };
            Command::ScheduleKeyDeletion {
                key: key.expect("key"),
                days,
            }
        }
        "cancel-key-deletion" => Command::CancelKeyDeletion {
            key: key.expect("key"),
        },
        "rotate-key" => Command::RotateKey {
            key: key.expect("key"),
        },
        "revoke" => Command::Revoke {
            key: key.expect("key"),
            principal: principal.expect("principal").id.clone(),
        },
        "allow" => Command::Allow {
            key: key.expect("key"),
            principal: principal.expect("principal").id.clone(),
        },
        _ => Command::Wait,
    };
    Ok(Action::Command(cmd))
}

fn parse_expect<'a>(
    cx: &Ctx<'_>,
    e: &Spanned<RawExpect>,
    _principals: &'a [PrincipalSpec],
    find_principal: FindPrincipal<'_, 'a>,
    find_key: FindKey<'_>,
) -> Result<Vec<Check>, Diagnostic> {
    let raw = e.get_ref();
    let mut checks = Vec::new();
    let pick = |v: &Spanned<String>,
                field: &str,
                values: &[&'static str]|
     -> Result<&'static str, Diagnostic> {
        values
            .iter()
            .find(|x| **x == v.get_ref().as_str())
            .copied()
            .ok_or_else(|| {
                cx.err(
                    v.span(),
                    format!("unknown `{field}` value `{}`", v.get_ref()),
                )
                .help(format!("{field} is one of {}", one_of(values)))
            })
    };
    if let Some(v) = &raw.outcome {
        let ok = pick(v, "outcome", &["ok", "error"])? == "ok";
        checks.push(Check {
            line: cx.line(&v.span()),
            kind: CheckKind::Outcome(ok),
        });
    }
    if let Some(v) = &raw.error {
        let code = pick(v, "error", KNOWN_ERRORS)?;
        checks.push(Check {
            line: cx.line(&v.span()),
            kind: CheckKind::Error(code.to_string()),
        });
    }
    if let Some(v) = &raw.kms_error {
        let code = pick(
            v,
            "kms_error",
            &[
                "DisabledException",
                "KMSInvalidStateException",
                "NotFoundException",
                "AccessDeniedException",
            ],
        )?;
        let code = KmsErrorCode::parse(code).expect("listed codes parse");
        checks.push(Check {
            line: cx.line(&v.span()),
            kind: CheckKind::KmsError(code),
        });
    }
    if let Some(v) = &raw.table {
        let s = pick(
            v,
            "table",
            &["active", "inaccessible", "archiving", "archived"],
        )?;
        checks.push(Check {
            line: cx.line(&v.span()),
            kind: CheckKind::Table(s),
        });
    }
    if let Some(v) = &raw.sse {
        let s = pick(v, "sse", &["enabled", "updating"])?;
        checks.push(Check {
            line: cx.line(&v.span()),
            kind: CheckKind::Sse(s),
        });
    }
    if let Some(v) = &raw.wrapped_by {
        let k = find_key(v, true)?;
        checks.push(Check {
            line: cx.line(&v.span()),
            kind: CheckKind::WrappedBy(k),
        });
    }
    if let Some(map) = &raw.keys {
        for (k, v) in map.get_ref() {
            let key = find_key(k, true)?;
            let s = pick(
                v,
                "keys",
                &["enabled", "disabled", "pending-deletion", "deleted"],
            )?;
            checks.push(Check {
                line: cx.line(&k.span()),
                kind: CheckKind::KeyState(key, s),
            });
        }
    }
    if let Some(map) = &raw.cached {
        for (p, v) in map.get_ref() {
            let principal = find_principal(p)?.id.clone();
            let left = if v.get_ref() == "none" {
                None
            } else {
                Some(
                    cx.duration(v, "cached")
                        .map_err(|d| d.help("a time left such as \"2m 30s\", or \"none\""))?,
                )
            };
            checks.push(Check {
                line: cx.line(&p.span()),
                kind: CheckKind::Cached(principal, left),
            });
        }
    }
    if let Some(v) = &raw.recoverable {
        checks.push(Check {
            line: cx.line(&v.span()),
            kind: CheckKind::Recoverable(*v.get_ref()),
        });
    }
    if let Some(map) = &raw.kms_calls {
        for (p, v) in map.get_ref() {
            let principal = find_principal(p)?.id.clone();
            let n = u32::try_from(*v.get_ref())
                .map_err(|_| cx.err(v.span(), "`kms_calls` counts must be 0 or more"))?;
            checks.push(Check {
                line: cx.line(&p.span()),
                kind: CheckKind::KmsCalls(principal, n),
            });
        }
    }
    Ok(checks)
}

/// Embed `assets/scenarios/NAME.toml` under its name.
macro_rules! builtin {
    ($name:literal) => {
        Builtin {
            name: $name,
            text: include_str!(concat!("../../assets/scenarios/", $name, ".toml")),
        }
    };
}

/// A scenario embedded in the binary.
pub struct Builtin {
    pub name: &'static str,
    pub text: &'static str,
}

/// The shipped scenarios, in teaching order; the first is the default.
pub const BUILTINS: &[Builtin] = &[
    builtin!("change-table-key"),
    builtin!("disable-current-key"),
    builtin!("delete-current-key"),
    builtin!("rotation-is-not-rewrap"),
    builtin!("cancel-is-not-enable"),
    builtin!("revoke-one-principal"),
    builtin!("key-change-quota"),
    builtin!("old-key-disabled-mid-rewrap"),
    builtin!("many-connections"),
    builtin!("aws-managed-key"),
    builtin!("restore-within-grace"),
];

/// Why a scenario could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{0}")]
    Invalid(Box<Diagnostic>),
    #[error("cannot read `{path}`: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "no scenario file or built-in scenario named `{0}` (run `rewrap list` to see the built-in ones)"
    )]
    NotFound(String),
}

/// Load `FILE|NAME`: an existing path, else a built-in scenario by name.
pub fn load(spec: &str) -> Result<Scenario, LoadError> {
    let path = std::path::Path::new(spec);
    if path.exists() {
        let text = read_bounded(path).map_err(|source| LoadError::Io {
            path: spec.to_string(),
            source,
        })?;
        return parse(spec, &text).map_err(|d| LoadError::Invalid(Box::new(d)));
    }
    let name = spec.strip_prefix("builtin:").unwrap_or(spec);
    let name = name.strip_suffix(".toml").unwrap_or(name);
    match BUILTINS.iter().find(|b| b.name == name) {
        Some(b) => parse(&format!("builtin:{}", b.name), b.text)
            .map_err(|d| LoadError::Invalid(Box::new(d))),
        None => Err(LoadError::NotFound(spec.to_string())),
    }
}

/// Read at most `limits::MAX_FILE_BYTES` of a scenario file (a device such as /dev/zero or
/// a huge file is refused instead of read without end).
fn read_bounded(path: &std::path::Path) -> std::io::Result<String> {
    use std::io::Read as _;
    let file = std::fs::File::open(path)?;
    if file.metadata()?.is_dir() {
        return Err(std::io::Error::other(
            "it is a directory, not a scenario file",
        ));
    }
    let mut bytes = Vec::new();
    file.take(limits::MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limits::MAX_FILE_BYTES {
        return Err(std::io::Error::other(format!(
            "larger than {} KiB: a scenario file is at most {} bytes",
            limits::MAX_FILE_BYTES / 1024,
            limits::MAX_FILE_BYTES
        )));
    }
    String::from_utf8(bytes).map_err(|e| {
        std::io::Error::other(format!(
            "not UTF-8 text (byte {})",
            e.utf8_error().valid_up_to()
        ))
    })
}

/// The default scenario (the seed story).
pub fn default_scenario() -> Scenario {
    // The built-ins are validated by the test suite; a broken one is a build defect.
    load(BUILTINS[0].name).expect("the default built-in scenario is valid")
}

#[cfg(test)]
mod tests;
