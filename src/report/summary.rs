//! The end-of-run summary: built once from the engine's read model (`Summary::of`), then
//! printed for people (`text`) or as the last JSON line (`json`), so the two never disagree.

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::engine::Engine;
use crate::engine::kms::KeyState;
use crate::engine::time::{SimDuration, SimTime};
use crate::engine::vocab::ErrorCode;
use crate::scenario::Scenario;

/// Everything the summary says.
#[derive(Clone, Debug)]
pub struct Summary {
    pub title: String,
    /// With several tables, the first one's name: the milestones, the end state and the chain
    /// check are about it (the ledger covers every table).
    pub first_table: Option<String>,
    pub end: SimTime,
    pub first_failed_read: Option<(SimTime, String, ErrorCode)>,
    pub inaccessible_since: Option<SimTime>,
    /// When the first table became ACTIVE again after its last inaccessible stretch.
    pub accessible_again: Option<SimTime>,
    /// Version 3: how long before the start the table entered the status it starts in (its
    /// `inaccessible_since` or `archived_at` then reads 0s).
    pub before_start: SimDuration,
    pub archiving_at: Option<SimTime>,
    pub archived_at: Option<SimTime>,
    /// The archive deadline still running at the end, if any.
    pub archive_due: Option<SimTime>,
    pub keys_deleted: Vec<(String, SimTime)>,
    /// Keys still waiting for deletion at the end: (key, date).
    pub deletions_due: Vec<(String, SimTime)>,
    pub unrecoverable_from: Option<SimTime>,
    pub status_aws: &'static str,
    pub status: String,
    pub sse: String,
    pub table_key: String,
    pub wrapped_by: String,
    pub recoverable: bool,
    /// Sampled items that decrypt through the chain: (ok, checked, first failure).
    pub chain: (usize, usize, Option<String>),
    /// KMS calls in your CloudTrail, sorted by (event name, key): (name, key, calls, failed).
    pub kms_calls: Vec<(String, String, u32, u32)>,
    /// Decrypt calls per principal.
    pub by_principal: Vec<(String, u32)>,
    /// (name, value, source, documented).
    pub assumptions: Vec<(&'static str, String, &'static str, bool)>,
    /// With several tables (version 2), each one at the end with its own milestones and
    /// chain check. Empty with one table (its lines are above).
    pub tables: Vec<TableEnd>,
    /// The recoverability ledger: every copy of each table's data at the end.
    pub ledger: Vec<LedgerRow>,
    /// Choices the documented facts leave open that this world runs into (version 2).
    pub choices: Vec<&'static str>,
    /// When reads would fail on each copy, computed after every event of the run (`rewrap
    /// run`); empty when not computed.
    pub reads: Vec<super::reads::Window>,
}

pub use super::ledger::LedgerRow;

/// One table (declared, replica, restored) at the end of a run: its state, its own "when
/// exactly" milestones and its own chain check.
#[derive(Clone, Debug)]
pub struct TableEnd {
    pub label: String,
    pub status: &'static str,
    pub key: String,
    pub recoverable: bool,
    pub inaccessible_since: Option<SimTime>,
    pub first_failed_read: Option<SimTime>,
    pub archived_at: Option<SimTime>,
    pub unrecoverable_from: Option<SimTime>,
    /// As `Summary::before_start`.
    pub before_start: SimDuration,
    /// Sampled items that decrypt through its chain: (ok, checked).
    pub chain: (usize, usize),
}

/// A read window in words: `from 0d 00:06:00 (one connection), 0d 00:11:00 (every one); work
/// again 0d 02:00:00`.
fn window_text(w: &super::reads::Window) -> String {
    let Some(first) = w.first else {
        return "never (computed after every event)".to_string();
    };
    let mut s = format!("from {first}");
    match w.every {
        Some(every) if every != first => {
            let _ = write!(s, " (one connection), {every} (every connection)");
        }
        Some(_) => {}
        None => s.push_str(" (some connections only)"),
    }
    match w.again {
        Some(a) => {
            let _ = write!(s, "; work again {a}");
        }
        None => s.push_str("; not again by the end"),
    }
    s
}

/// A milestone's moment: a status the table starts in (at 0s) reads as how long before the
/// start it began (version 3).
fn at_text(at: SimTime, before_start: SimDuration) -> String {
    if at == SimTime::ZERO && before_start.0 > 0 {
        format!("{before_start} before the start")
    } else {
        at.to_string()
    }
}

/// Items sampled per table by the chain check.
const CHAIN_SAMPLE: usize = 2_000;
use super::ledger::ledger;

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
        "grant_recreate",
        if a.grant_recreate {
            "allowed"
        } else {
            "refused"
        }
        .to_string(),
        src("grant_recreate"),
        false,
    ));
    rows.push((
        "on_demand_rotation_limit",
        a.on_demand_rotation_limit.to_string(),
        src("on_demand_rotation_limit"),
        true,
    ));
    rows
}

impl Summary {
    /// Read the summary off the engine at the end of a run.
    pub fn of(scenario: &Scenario, engine: &Engine) -> Self {
        // The run's milestones are the first table's (each table's clock is in the ledger).
        let m = engine.milestones(crate::engine::table::TableIx::FIRST);
        let t = engine.first_table();
        let (ok, checked, first_err) =
            engine.audit_sample(crate::engine::view::TableIx::FIRST, CHAIN_SAMPLE);
        let mut kms_calls: Vec<(String, String, u32, u32)> = engine
            .kms_call_totals()
            .iter()
            .map(|((op, key), (n, f))| (op.name().to_string(), key.to_string(), *n, *f))
            .collect();
        kms_calls.sort();
        let tables = if engine.tables().len() > 1 {
            engine
                .tables()
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    let tx = crate::engine::table::TableIx(i);
                    let m = engine.milestones(tx);
                    let (ok, checked, _) = engine.audit_sample(tx, CHAIN_SAMPLE);
                    TableEnd {
                        label: t.label(),
                        status: t.status().aws_name(),
                        key: t.current_kms_key().to_string(),
                        recoverable: engine.recoverable(tx),
                        inaccessible_since: t.inaccessible_since(),
                        first_failed_read: m.first_failed_read.map(|(at, _, _)| at),
                        archived_at: m.archived_at,
                        unrecoverable_from: m.unrecoverable_from,
                        before_start: m.before_start,
                        chain: (ok, checked),
                    }
                })
                .collect()
        } else {
            Vec::new()
        };
        Self {
            first_table: (engine.tables().len() > 1).then(|| t.name().to_string()),
            tables,
            ledger: ledger(engine),
            title: scenario.title.clone(),
            end: engine.now(),
            first_failed_read: m
                .first_failed_read
                .as_ref()
                .map(|(t, p, e)| (*t, p.to_string(), *e)),
            inaccessible_since: m.inaccessible_since,
            accessible_again: m.accessible_again,
            before_start: m.before_start,
            archiving_at: m.archiving_at,
            archived_at: m.archived_at,
            archive_due: t.archive_at(),
            keys_deleted: m
                .keys_deleted
                .iter()
                .map(|(k, t)| (k.to_string(), *t))
                .collect(),
            deletions_due: engine
                .keys()
                .iter()
                .filter_map(|k| match k.state() {
                    KeyState::PendingDeletion { deletion_at } => {
                        Some((k.id().to_string(), deletion_at))
                    }
                    _ => None,
                })
                .collect(),
            unrecoverable_from: m.unrecoverable_from,
            status_aws: t.status().aws_name(),
            status: t.status().to_string(),
            sse: t.sse().to_string(),
            table_key: t.current().to_string(),
            wrapped_by: t.current_kms_key().to_string(),
            recoverable: engine.recoverable(crate::engine::table::TableIx::FIRST),
            chain: (ok, checked, first_err.map(|e| e.to_string())),
            kms_calls,
            by_principal: engine
                .principals()
                .iter()
                .map(|p| (p.id.to_string(), engine.decrypt_calls_by(&p.id)))
                .collect(),
            assumptions: assumption_rows(scenario),
            choices: super::ledger::choices(scenario),
            reads: Vec::new(),
        }
    }

    /// The human summary printed after `rewrap run`.
    /// The per-table lines (several tables) and the recoverability ledger.
    fn tables_and_ledger(&self, s: &mut String) {
        if !self.tables.is_empty() {
            let _ = writeln!(
                s,
                "Tables (the first is the one above), each with its own milestones and chain check:"
            );
            for (i, t) in self.tables.iter().enumerate() {
                let mut when = String::new();
                if let Some(w) = self.reads.get(i).filter(|w| w.first.is_some()) {
                    let _ = write!(when, ", reads would fail {}", window_text(w));
                }
                for (what, at) in [
                    ("inaccessible since", t.inaccessible_since),
                    ("first failed read", t.first_failed_read),
                    ("archived", t.archived_at),
                    ("unrecoverable from", t.unrecoverable_from),
                ] {
                    if let Some(at) = at {
                        let _ = write!(when, ", {what} {}", at_text(at, t.before_start));
                    }
                }
                let _ = writeln!(
                    s,
                    "  {:<20} {} under {}, recoverable: {}{when}; chain {} of {}",
                    t.label,
                    t.status,
                    t.key,
                    if t.recoverable { "yes" } else { "NO" },
                    t.chain.0,
                    t.chain.1
                );
            }
        }
        let _ = writeln!(
            s,
            "Recoverability ledger (every copy of each table's data, the key it needs, at the end):"
        );
        let w_table = self
            .ledger
            .iter()
            .map(|r| r.table.chars().count())
            .max()
            .unwrap_or(0)
            .max(16);
        let w_copy = self
            .ledger
            .iter()
            .map(|r| r.copy.chars().count())
            .max()
            .unwrap_or(0)
            .max(16);
        let w_key = self
            .ledger
            .iter()
            .map(|r| r.key.chars().count())
            .max()
            .unwrap_or(0)
            .max(14);
        for r in &self.ledger {
            let mut when = String::new();
            if let Some(t) = &r.unreadable_text {
                let _ = write!(when, ", unreadable since {t}");
            }
            if let Some(t) = r.lost_since {
                let _ = write!(when, ", unrecoverable since {t}");
            }
            let _ = writeln!(
                s,
                "  {:<w_table$} {:<w_copy$} needs {:<w_key$} {}{when}",
                r.table, r.copy, r.key, r.state
            );
        }
    }

    pub fn text(&self) -> String {
        let mut s = String::new();
        let none = "never";
        let _ = writeln!(s, "\n== Summary: {} ==", self.title);
        let of = self
            .first_table
            .as_ref()
            .map_or_else(String::new, |t| format!(" of {t}"));
        match &self.first_table {
            Some(t) => {
                let _ = writeln!(
                    s,
                    "Milestones of {t}, the first table (every table's own are under Tables below)"
                );
            }
            None => {
                let _ = writeln!(s, "Milestones");
            }
        }
        let _ = writeln!(
            s,
            "  first failed read   {}",
            self.first_failed_read
                .as_ref()
                .map_or(none.to_string(), |(t, p, e)| format!("{t}  ({p}: {e})"))
        );
        let _ = writeln!(
            s,
            "  inaccessible since  {}",
            self.inaccessible_since.map_or(none.to_string(), |t| {
                let since = at_text(t, self.before_start);
                match self.accessible_again {
                    Some(back) => format!("{since} (accessible again {back})"),
                    None => since,
                }
            })
        );
        if let Some(w) = self.reads.first() {
            let _ = writeln!(s, "  reads would fail    {}", window_text(w));
        }
        let archive = match (self.archiving_at, self.archived_at, self.archive_due) {
            (Some(a), Some(b), _) => format!("{a} ARCHIVING, {b} ARCHIVED"),
            (Some(a), None, _) => format!("{a} ARCHIVING"),
            (None, _, Some(due)) => format!("due {due} if access is not restored"),
            _ => none.to_string(),
        };
        let _ = writeln!(s, "  archive at          {archive}");
        let deleted = if self.keys_deleted.is_empty() {
            if self.deletions_due.is_empty() {
                none.to_string()
            } else {
                let pending: Vec<String> = self
                    .deletions_due
                    .iter()
                    .map(|(k, t)| format!("{k} due {t}"))
                    .collect();
                format!("none yet ({})", pending.join(", "))
            }
        } else {
            self.keys_deleted
                .iter()
                .map(|(k, t)| format!("{k} at {t}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let _ = writeln!(s, "  key deleted         {deleted}");
        let _ = writeln!(
            s,
            "  unrecoverable from  {}",
            self.unrecoverable_from.map_or_else(
                || "never (the data is recoverable)".to_string(),
                |t| t.to_string()
            )
        );
        let _ = writeln!(
            s,
            "At the end ({}){of}: TableStatus {}, SSE {}, table key {} wrapped by {}, recoverable: {}",
            self.end,
            self.status,
            self.sse,
            self.table_key,
            self.wrapped_by,
            if self.recoverable { "yes" } else { "NO" }
        );
        self.tables_and_ledger(&mut s);
        let (ok, checked, first_err) = &self.chain;
        let _ = write!(
            s,
            "Chain check{of} (with the key material itself, as a restore would): {ok} of {checked} sampled items decrypt to what was written"
        );
        if let Some(e) = first_err {
            let _ = write!(s, " (first failure: {e})");
        }
        let _ = writeln!(s);
        self.kms_text(&mut s);
        self.assumptions_text(&mut s);
        s
    }

    /// The assumptions used, then the choices the documentation leaves open.
    fn assumptions_text(&self, s: &mut String) {
        let _ = writeln!(s, "Assumptions used");
        for (name, value, src, documented) in &self.assumptions {
            let doc = if *documented {
                "documented"
            } else {
                "ASSUMPTION (undocumented)"
            };
            let _ = writeln!(s, "  {name:<25} {value:<26} {src:<16} {doc}");
        }
        if !self.choices.is_empty() {
            let _ = writeln!(
                s,
                "Choices the documentation leaves open (fixed in this build)"
            );
            for c in &self.choices {
                let _ = writeln!(s, "  - {c}");
            }
        }
    }

    fn kms_text(&self, s: &mut String) {
        let total: u32 = self.kms_calls.iter().map(|c| c.2).sum();
        let failed: u32 = self.kms_calls.iter().map(|c| c.3).sum();
        let _ = writeln!(s, "KMS calls in your CloudTrail: {total} ({failed} failed)");
        for (name, key, n, f) in &self.kms_calls {
            let fail = if *f > 0 {
                format!(" ({f} failed)")
            } else {
                String::new()
            };
            let _ = writeln!(s, "  {name:<20} {key:<14} {n:>6}{fail}");
        }
        if !self.by_principal.is_empty() {
            let per: Vec<String> = self
                .by_principal
                .iter()
                .map(|(p, n)| format!("{p} {n}"))
                .collect();
            let _ = writeln!(s, "  Decrypt calls by principal: {}", per.join(", "));
        }
    }

    /// The summary as one JSON object (the last line of `rewrap run --json`).
    pub fn json(&self) -> String {
        let ms = |t: Option<SimTime>| t.map(SimTime::as_millis);
        let counts: Vec<Value> = self
            .kms_calls
            .iter()
            .map(|(name, key, n, f)| json!({"event_name": name, "key": key, "calls": n, "failed": f}))
            .collect();
        let assumptions: Vec<Value> = self
            .assumptions
            .iter()
            .map(
                |(n, v, src, doc)| json!({"name": n, "value": v, "source": src, "documented": doc}),
            )
            .collect();
        let mut v = json!({
            "kind": "summary",
            "title": self.title,
            "end_ms": self.end.as_millis(),
            "milestones": {
                "first_failed_read_ms": self.first_failed_read.as_ref().map(|f| f.0.as_millis()),
                "inaccessible_since_ms": ms(self.inaccessible_since),
                "archiving_at_ms": ms(self.archiving_at),
                "archived_at_ms": ms(self.archived_at),
                "keys_deleted": self.keys_deleted.iter().map(|(k, t)| json!({"key": k, "at_ms": t.as_millis()})).collect::<Vec<_>>(),
                "unrecoverable_from_ms": ms(self.unrecoverable_from),
            },
            "table": {
                "status": self.status_aws,
                "sse": self.sse,
                "table_key": self.table_key,
                "wrapped_by": self.wrapped_by,
                "recoverable": self.recoverable,
            },
            "chain_check": {"ok": self.chain.0, "checked": self.chain.1},
            "kms_calls": counts,
            "assumptions": assumptions,
        });
        if !self.choices.is_empty() {
            v["choices"] = json!(self.choices);
        }
        if self.before_start.0 > 0 {
            v["milestones"]["before_start_ms"] = json!(self.before_start.0);
        }
        if let Some(w) = self.reads.first() {
            v["milestones"]["reads"] = window_json(w);
        }
        if let Some(t) = self.accessible_again {
            v["milestones"]["accessible_again_ms"] = json!(t.as_millis());
        }
        v["ledger"] = self
            .ledger
            .iter()
            .map(|r| {
                json!({"table": r.table, "copy": r.copy, "key": r.key, "state": r.state,
                       "unreadable_since_ms": ms(r.unreadable_since), "unrecoverable_since_ms": ms(r.lost_since)})
            })
            .collect();
        if !self.tables.is_empty() {
            v["tables"] = self
                .tables
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    let mut row = json!({"name": t.label, "status": t.status, "key": t.key, "recoverable": t.recoverable, "inaccessible_since_ms": ms(t.inaccessible_since)});
                    if let Some(w) = self.reads.get(i) {
                        row["reads"] = window_json(w);
                    }
                    if t.before_start.0 > 0 {
                        row["before_start_ms"] = json!(t.before_start.0);
                    }
                    row
                })
                .collect();
        }
        v.to_string()
    }
}

fn window_json(w: &super::reads::Window) -> Value {
    let ms = |t: Option<SimTime>| t.map(SimTime::as_millis);
    json!({"fail_from_ms": ms(w.first), "fail_everywhere_ms": ms(w.every), "work_again_ms": ms(w.again)})
}

/// The human summary printed after `rewrap run`.
pub fn summary_text(scenario: &Scenario, engine: &Engine) -> String {
    Summary::of(scenario, engine).text()
}

/// The summary as one JSON object (the last line of `rewrap run --json`).
pub fn summary_json(scenario: &Scenario, engine: &Engine) -> String {
    Summary::of(scenario, engine).json()
}
