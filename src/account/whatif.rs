//! `rewrap whatif FILE --schedule-deletion X ...`: what an action at 0s does to every copy of
//! the data (each table, replica, backup), as intervals. The world is run once with every
//! undocumented assumption at its lower bound and nothing cached, and once with every one at
//! its upper bound and every connection holding a freshly fetched table key at 0s; the
//! earliest and latest ends come from those two runs. Each end says which assumptions it rests
//! on: the world is run again with one assumption at a time moved to its upper bound, and an
//! assumption a moment moves with is named.
//!
//! "Reads fail from" is computed, not sampled: after every event the engine answers what a
//! request on each connection would do if it came then (`Engine::next_request`), so the first
//! moment a read would fail is known whether or not a read came (aws-behaviour.md #16-21).

use std::sync::Arc;

use crate::engine::Engine;
use crate::engine::command::Command;
use crate::engine::ids::{ConnectionId, KmsKeyId};
use crate::engine::table::{TableIx, TableStatus};
use crate::engine::time::{SimDuration, SimTime};
use crate::engine::world::Assumptions;
use crate::runner::{LiveAt, Runner};
use crate::scenario::Scenario;

/// One action at 0s.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    ScheduleDeletion { key: String, days: u32 },
    Disable { key: String },
    Switch { table: String, to: String },
    RevokeGrant { table: String },
    DeleteMaterial { key: String },
}

impl Action {
    fn command(&self) -> (Command, LiveAt) {
        let key = |k: &str| KmsKeyId::new(k);
        match self {
            Action::ScheduleDeletion { key: k, days } => (
                Command::ScheduleKeyDeletion {
                    key: key(k),
                    days: *days,
                },
                LiveAt::default(),
            ),
            Action::Disable { key: k } => (Command::DisableKey { key: key(k) }, LiveAt::default()),
            Action::Switch { table, to } => (
                Command::ChangeTableKey { key: key(to) },
                LiveAt {
                    table: Some(table.clone()),
                    region: None,
                },
            ),
            Action::RevokeGrant { table } => (
                Command::RevokeGrant,
                LiveAt {
                    table: Some(table.clone()),
                    region: None,
                },
            ),
            Action::DeleteMaterial { key: k } => (
                Command::DeleteImportedMaterial { key: key(k) },
                LiveAt::default(),
            ),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Action::ScheduleDeletion { key, days } => {
                format!("schedule deletion of {key} ({days}-day waiting period)")
            }
            Action::Disable { key } => format!("disable {key}"),
            Action::Switch { table, to } => format!("switch table {table} to {to}"),
            Action::RevokeGrant { table } => format!("revoke DynamoDB's grant for {table}"),
            Action::DeleteMaterial { key } => format!("delete {key}'s imported key material"),
        }
    }
}

/// An undocumented assumption's bounds (the documented ones are the same at both ends).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bound {
    pub name: &'static str,
    pub low: SimDuration,
    pub high: SimDuration,
    /// Why these bounds (shown with the answer).
    pub why: &'static str,
}

/// The default bounds of the undocumented timing assumptions (docs/account.md).
pub fn default_bounds() -> Vec<Bound> {
    vec![
        Bound {
            name: "propagation",
            low: SimDuration::ZERO,
            high: SimDuration::from_mins(5),
            why: "a key-state or grant change reaches every KMS endpoint usually within 5 minutes (aws-behaviour.md #100)",
        },
        Bound {
            name: "detection",
            low: SimDuration::ZERO,
            high: SimDuration::from_hours(1),
            why: "how soon DynamoDB notices an unusable key is undocumented (aws-behaviour.md #43): 0s to 1h assumed",
        },
        Bound {
            name: "deletion_delay",
            low: SimDuration::ZERO,
            high: SimDuration::from_hours(24),
            why: "KMS deletes a key up to 24 hours after its deletion date (aws-behaviour.md #56)",
        },
        Bound {
            name: "archive_duration",
            low: SimDuration::ZERO,
            high: SimDuration::from_hours(24),
            why: "how long ARCHIVING lasts is undocumented: 0s to 1d assumed",
        },
        Bound {
            name: "rewrap_per_dek",
            low: SimDuration::from_secs(1),
            high: SimDuration::from_secs(10),
            why: "how long a re-wrap takes is undocumented (aws-behaviour.md #34): 1s to 10s a DEK assumed",
        },
    ]
}

pub(super) fn set(a: &mut Assumptions, name: &str, d: SimDuration) {
    match name {
        "propagation" => a.propagation = d,
        "detection" => a.detection = d,
        "deletion_delay" => a.deletion_delay = d,
        "archive_duration" => a.archive_duration = d,
        "rewrap_per_dek" => a.rewrap_per_dek = d,
        _ => {}
    }
}

/// The moments one run gives for one copy of the data.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Moments {
    /// First moment a read would fail (nothing cached / every connection cached at 0s).
    reads_fail: Option<SimTime>,
    reads_back: Option<SimTime>,
    inaccessible: Option<SimTime>,
    archiving: Option<SimTime>,
    archived: Option<SimTime>,
    removed: Option<SimTime>,
    unrecoverable: Option<SimTime>,
    /// Backups: blocked (its key not usable) and lost (its key deleted).
    blocked: Option<SimTime>,
    lost: Option<SimTime>,
}

/// What one run saw: per table copy, then per backup (by name).
#[derive(Clone, Debug, Default)]
struct Run {
    copies: Vec<(String, String, Moments)>,
    backups: Vec<(String, String, Moments)>,
}

/// Why a what-if could not run.
#[derive(Debug, thiserror::Error)]
pub enum WhatIfError {
    #[error("{0}")]
    Refused(String),
}

/// Longest a what-if looks ahead: a 30-day deletion, a day's delay, the archive and more.
pub const HORIZON: SimDuration = SimDuration::from_days(60);

/// Run the world with `actions` at 0s under `assumptions`; `cached`: every connection holds a
/// fresh table key at 0s (the cache's worst case), else nothing is cached.
fn run_once(
    scenario: &Scenario,
    actions: &[Action],
    assumptions: &Assumptions,
    cached: bool,
) -> Result<Run, WhatIfError> {
    let mut s = scenario.clone();
    s.steps.clear();
    s.end = None;
    s.world.assumptions = assumptions.clone();
    let mut runner = Runner::new(Arc::new(s)).map_err(|e| WhatIfError::Refused(e.to_string()))?;
    for (i, a) in actions.iter().enumerate() {
        let (cmd, at) = a.command();
        let result = runner.apply_live(i + 1, &cmd, &at);
        if let crate::engine::event::RequestResult::Error { message, .. } = result {
            return Err(WhatIfError::Refused(format!(
                "{} is refused at 0s: {message}",
                a.describe()
            )));
        }
    }
    let e = runner.engine();
    let n = e.tables().len();
    let refresh = e.assumptions().cache_refresh;
    let mut copies: Vec<(String, String, Moments)> = (0..n)
        .map(|i| {
            let t = &e.tables()[i];
            (
                t.label(),
                t.current_kms_key().to_string(),
                Moments::default(),
            )
        })
        .collect();
    let mut backups: Vec<(String, String, Moments)> = Vec::new();
    let mut backup_ids: Vec<(String, usize)> = Vec::new();
    let horizon = SimTime::ZERO + HORIZON;
    loop {
        let e = runner.engine();
        let now = e.now();
        for (i, (_, _, m)) in copies.iter_mut().enumerate() {
            observe_copy(e, TableIx(i), now, cached, refresh, m);
        }
        for b in e.backups() {
            // Backups by name and source table: every archived table has an `archival` one.
            let id = (b.name().to_string(), b.source().0);
            let ix = if let Some(ix) = backup_ids.iter().position(|x| *x == id) {
                ix
            } else {
                let source = e.tables()[b.source().0].label();
                backup_ids.push(id);
                backups.push((
                    format!("{} of {source}", b.name()),
                    b.key().to_string(),
                    Moments::default(),
                ));
                backups.len() - 1
            };
            let m = &mut backups[ix].2;
            match e.backup_state(b) {
                crate::engine::backup::BackupState::Blocked => {
                    m.blocked.get_or_insert(now);
                }
                crate::engine::backup::BackupState::Lost => {
                    m.blocked.get_or_insert(now);
                    m.lost.get_or_insert(now);
                }
                crate::engine::backup::BackupState::Restorable => {}
            }
        }
        // The next moment anything changes: an event, or the full cache running out.
        let mut next = runner.engine().next_event_at();
        let runs_out = SimTime::ZERO + refresh;
        if cached && runner.engine().now() < runs_out {
            next = Some(next.map_or(runs_out, |t| t.min(runs_out)));
        }
        match next {
            Some(t) if t <= horizon => runner.advance_to(t),
            _ => break,
        }
    }
    Ok(Run { copies, backups })
}

/// Record what copy `tx` is at `now` (after the events due then).
fn observe_copy(
    e: &Engine,
    tx: TableIx,
    now: SimTime,
    cached: bool,
    refresh: SimDuration,
    m: &mut Moments,
) {
    let t = &e.tables()[tx.0];
    let principals: Vec<_> = e.principals().iter().map(|p| p.id.clone()).collect();
    let archived = matches!(t.status(), TableStatus::Archiving | TableStatus::Archived);
    // A read on connection 1 of every principal, as if it came now: with a table key cached
    // at 0s, it is served from the cache until `refresh` (never once the table is archived).
    let fails = principals.iter().any(|p| {
        let from_cache = cached && now < SimTime::ZERO + refresh && !archived;
        !from_cache
            && e.next_request(tx, p, ConnectionId(1))
                .is_some_and(|r| !r.succeeds())
    });
    if fails {
        m.reads_fail.get_or_insert(now);
        m.reads_back = None;
    } else if m.reads_fail.is_some() && m.reads_back.is_none() {
        m.reads_back = Some(now);
    }
    match t.status() {
        TableStatus::InaccessibleEncryptionCredentials => {
            m.inaccessible.get_or_insert(now);
        }
        TableStatus::Archiving => {
            m.archiving.get_or_insert(now);
        }
        TableStatus::Archived => {
            m.archiving.get_or_insert(now);
            m.archived.get_or_insert(now);
        }
        TableStatus::Active => {}
    }
    if t.removed_at().is_some() {
        m.removed.get_or_insert(now);
    }
    if !e.recoverable(tx) {
        m.unrecoverable.get_or_insert(now);
    }
}

/// One line of the answer: a moment as an interval, and what its ends rest on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub what: &'static str,
    pub earliest: Option<SimTime>,
    pub latest: Option<SimTime>,
    /// The assumptions the moment moves with (empty: none; it rests on documented facts).
    pub rests_on: Vec<&'static str>,
    /// In one of the two runs it does not happen within the horizon.
    pub maybe_never: bool,
    /// Which run it happens in when only one: true for the latest-ends run.
    pub only_in_latest: bool,
}

/// One copy of the data and what happens to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Artifact {
    /// The same happens without the actions (the world's own state at 0s leads there).
    pub already: bool,
    pub kind: &'static str,
    pub name: String,
    /// The KMS key it needs.
    pub needs: String,
    pub rows: Vec<Row>,
}

/// The answer to a what-if.
#[derive(Clone, Debug)]
pub struct Answer {
    pub actions: Vec<Action>,
    pub artifacts: Vec<Artifact>,
    pub bounds: Vec<Bound>,
    /// Copies nothing happens to (unchanged over the horizon).
    pub untouched: Vec<String>,
}

type Pick = fn(&Moments) -> Option<SimTime>;
/// The copies or the backups of a run: (name, the key it needs, its moments).
type Field = fn(&Run) -> &Vec<(String, String, Moments)>;

const ROWS: [(&str, Pick); 9] = [
    ("reads fail", |m| m.reads_fail),
    ("reads work again", |m| m.reads_back),
    ("inaccessible", |m| m.inaccessible),
    ("archiving", |m| m.archiving),
    ("archived", |m| m.archived),
    ("left its replication group", |m| m.removed),
    ("unrecoverable", |m| m.unrecoverable),
    ("restore blocked", |m| m.blocked),
    ("backup lost", |m| m.lost),
];

/// Answer "what if I do `actions` at 0s?" for the world of `scenario`.
pub fn whatif(
    scenario: &Scenario,
    actions: &[Action],
    bounds: &[Bound],
) -> Result<Answer, WhatIfError> {
    let base = scenario.world.assumptions.clone();
    let with = |high: &[&str]| {
        let mut a = base.clone();
        for b in bounds {
            set(
                &mut a,
                b.name,
                if high.contains(&b.name) {
                    b.high
                } else {
                    b.low
                },
            );
        }
        a
    };
    let all: Vec<&str> = bounds.iter().map(|b| b.name).collect();
    let low = run_once(scenario, actions, &with(&[]), false)?;
    let high = run_once(scenario, actions, &with(&all), true)?;
    // The same world without the actions: what is under way anyway.
    let base_low = run_once(scenario, &[], &with(&[]), false)?;
    let base_high = run_once(scenario, &[], &with(&all), true)?;
    // One assumption at a time at its upper bound (and the cache on its own).
    let mut single: Vec<(&'static str, Run)> = Vec::new();
    for b in bounds {
        single.push((
            b.name,
            run_once(scenario, actions, &with(&[b.name]), false)?,
        ));
    }
    single.push((
        "cache at 0s",
        run_once(scenario, actions, &with(&[]), true)?,
    ));
    let mut artifacts = Vec::new();
    let mut untouched = Vec::new();
    let groups: [(&str, Field); 2] = [("copy", |r| &r.copies), ("backup", |r| &r.backups)];
    for (kind, list) in groups {
        for (i, (name, needs, lm)) in list(&low).iter().enumerate() {
            let hm = list(&high).get(i).map(|x| &x.2);
            let mut rows = Vec::new();
            for (what, pick) in ROWS {
                let (e, l) = (pick(lm), hm.and_then(pick));
                if e.is_none() && l.is_none() {
                    continue;
                }
                let rests_on = single
                    .iter()
                    .filter(|(_, run)| list(run).get(i).map(|x| pick(&x.2)) != Some(e))
                    .map(|(n, _)| *n)
                    .collect();
                let (earliest, latest) = match (e, l) {
                    (Some(a), Some(b)) => (Some(a.min(b)), Some(a.max(b))),
                    (a, b) => (a.or(b), a.or(b)),
                };
                rows.push(Row {
                    what,
                    earliest,
                    latest,
                    rests_on,
                    maybe_never: e.is_none() || l.is_none(),
                    only_in_latest: e.is_none(),
                });
            }
            let label = if kind == "copy" {
                let replica = name.contains('@');
                if replica { "replica" } else { "table" }
            } else {
                "backup"
            };
            let same =
                |a: &Run, b: &Run| list(a).get(i).map(|x| &x.2) == list(b).get(i).map(|x| &x.2);
            let already = same(&low, &base_low) && same(&high, &base_high);
            if rows.is_empty() {
                untouched.push(format!("{label} {name} (needs {needs})"));
            } else {
                artifacts.push(Artifact {
                    already,
                    kind: label,
                    name: name.clone(),
                    needs: needs.clone(),
                    rows,
                });
            }
        }
    }
    Ok(Answer {
        actions: actions.to_vec(),
        artifacts,
        bounds: bounds.to_vec(),
        untouched,
    })
}

/// The what-if as a scenario file: the world, the actions as steps at 0s, and an end just
/// after the latest moment of the answer (to play in the live view).
pub fn scenario_text(scenario: &Scenario, answer: &Answer) -> String {
    use crate::scenario::write::{Head, StepOut, world_to_toml};
    let steps: Vec<StepOut> = answer
        .actions
        .iter()
        .map(|a| {
            let (cmd, at) = a.command();
            StepOut {
                at: SimTime::ZERO,
                action: crate::scenario::Action::Command(cmd),
                note: Some(format!("What if: {}", a.describe())),
                say: None,
                after: None,
                expect: Vec::new(),
                repeat: None,
                id: None,
                ask: None,
                table: at.table,
                region: None,
            }
        })
        .collect();
    let latest = answer
        .artifacts
        .iter()
        .flat_map(|a| a.rows.iter().filter_map(|r| r.latest))
        .max()
        .unwrap_or(SimTime::ZERO);
    let end = (latest + SimDuration::from_hours(1)).min(SimTime::ZERO + HORIZON);
    let title = format!(
        "What if: {}",
        answer
            .actions
            .iter()
            .map(Action::describe)
            .collect::<Vec<_>>()
            .join(", then ")
    );
    let summary = format!(
        "The world of {} with these actions at 0s (rewrap whatif --play). Assumptions as the file sets them.",
        scenario.file
    );
    let mut text = world_to_toml(
        &scenario.world,
        &Head {
            title: &title,
            summary: Some(&summary),
            end: Some(end),
            talk: None,
            assumptions_set: &scenario.assumptions_set,
        },
        &steps,
    );
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text
}
