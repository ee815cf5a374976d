//! What the timeline view draws, derived from the event log as it grows: key states, table
//! status, SSE status, cache validity intervals and reads, each with its time.

use crate::engine::event::{Event, EventKind};
use crate::engine::ids::{ConnectionId, KmsKeyId, PrincipalId};
use crate::engine::kms::KeyState;
use crate::engine::table::{SseStatus, TableStatus};
use crate::engine::time::{SimDuration, SimTime};

/// Which span of time the timeline shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Zoom {
    /// From the start to now: everything that has happened.
    SoFar,
    /// From the start to the scenario's last step (or now, if later).
    Whole,
    /// This long, centred on now.
    Around(SimDuration),
}

/// Timeline windows, in the order `z` cycles through them.
pub const ZOOMS: &[(Zoom, &str)] = &[
    (Zoom::SoFar, "so far"),
    (Zoom::Whole, "whole scenario"),
    (Zoom::Around(SimDuration::from_days(1)), "1 day"),
    (Zoom::Around(SimDuration::from_hours(1)), "1 hour"),
    (Zoom::Around(SimDuration::from_mins(15)), "15 min"),
];

/// A cache entry's periods of holding a valid table key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CacheRow {
    pub principal: PrincipalId,
    pub connection: ConnectionId,
    pub valid: Vec<(SimTime, SimTime)>,
}

/// One table's rows (a declared table, a replica, a restored table): its status, its SSE
/// status and its connections' cache validity.
#[derive(Clone, Debug, Default)]
pub struct TableRows {
    /// The table's label, as events name it (`Orders`, `Orders@eu-west-1`).
    pub label: String,
    pub status: Vec<(SimTime, TableStatus)>,
    pub sse: Vec<(SimTime, SseStatus)>,
    pub cache: Vec<CacheRow>,
}

/// The timeline's data, updated incrementally from the log.
#[derive(Clone, Debug, Default)]
pub struct Timeline {
    scanned: usize,
    pub keys: Vec<(KmsKeyId, Vec<(SimTime, KeyState)>)>,
    /// Every table in the order it appeared (the first declared table first); the view draws
    /// the focused one in full and the others as a status row each.
    pub tables: Vec<TableRows>,
    /// (time, principal, ok): a principal's reads on every table.
    pub reads: Vec<(SimTime, PrincipalId, bool)>,
    /// Version 2: backups (name, taken at, the KMS key of the table key it keeps).
    pub backups: Vec<(String, SimTime, KmsKeyId)>,
}

impl Timeline {
    /// The rows of the table labelled `label` (`None` if it has not appeared yet).
    pub fn table(&self, label: &str) -> Option<&TableRows> {
        self.tables.iter().find(|r| r.label == label)
    }

    /// Take in the events added since the last call (the log only grows; a shorter log means
    /// the state was rebuilt, so start over).
    pub fn update(&mut self, log: &crate::engine::log::Chunked<Event>) {
        if log.len() < self.scanned {
            *self = Self::default();
        }
        for e in log.range(self.scanned..log.len()) {
            // An event names its table when there are several; one table's events name none.
            let row = match (&e.kind, e.table.as_deref()) {
                (EventKind::TableCreated { table, .. }, None) if self.tables.is_empty() => {
                    Some(self.add(table, e.at))
                }
                (EventKind::TableCreated { .. } | EventKind::TableRestored { .. }, Some(l))
                    if self.table(l).is_none() =>
                {
                    Some(self.add(l, e.at))
                }
                (_, Some(l)) => self.tables.iter().position(|r| r.label == l),
                (_, None) => (!self.tables.is_empty()).then_some(0),
            };
            match &e.kind {
                EventKind::KeyCreated { key, state, .. } => {
                    self.keys.push((key.clone(), vec![(e.at, *state)]));
                }
                EventKind::KeyStateChanged { key, to, .. } => {
                    if let Some((_, changes)) = self.keys.iter_mut().find(|(k, _)| k == key) {
                        changes.push((e.at, *to));
                    }
                }
                EventKind::TableStatusChanged { to, .. } => {
                    if let Some(r) = row {
                        self.tables[r].status.push((e.at, *to));
                    }
                }
                EventKind::SseStatusChanged { to, .. } => {
                    if let Some(r) = row {
                        self.tables[r].sse.push((e.at, *to));
                    }
                }
                EventKind::CacheFilled {
                    principal,
                    connection,
                    expires_at,
                    ..
                } => {
                    if let Some(r) = row {
                        fill(
                            &mut self.tables[r].cache,
                            principal,
                            *connection,
                            e.at,
                            *expires_at,
                        );
                    }
                }
                EventKind::ItemRead {
                    principal, result, ..
                } => self.reads.push((e.at, principal.clone(), result.is_ok())),
                EventKind::BackupCreated { backup, key, .. } => {
                    self.backups.push((backup.clone(), e.at, key.clone()));
                }
                EventKind::ArchivalBackupTaken { key, .. } => {
                    let name = match (row, e.table.as_deref()) {
                        (Some(r), Some(_)) if r > 0 => format!("archival {}", self.tables[r].label),
                        _ => "archival".to_string(),
                    };
                    self.backups.push((name, e.at, key.clone()));
                }
                _ => {}
            }
        }
        self.scanned = log.len();
    }

    /// A new table's rows, ACTIVE with SSE enabled from `at`.
    fn add(&mut self, label: &str, at: SimTime) -> usize {
        self.tables.push(TableRows {
            label: label.to_string(),
            status: vec![(at, TableStatus::Active)],
            sse: vec![(at, SseStatus::Enabled)],
            cache: Vec::new(),
        });
        self.tables.len() - 1
    }
}

/// A connection's cache was filled at `at` until `until`: a new validity period (the one
/// before it ends there, if it ran longer).
fn fill(
    rows: &mut Vec<CacheRow>,
    principal: &PrincipalId,
    connection: ConnectionId,
    at: SimTime,
    until: SimTime,
) {
    let i = if let Some(i) = rows
        .iter()
        .position(|r| &r.principal == principal && r.connection == connection)
    {
        i
    } else {
        rows.push(CacheRow {
            principal: principal.clone(),
            connection,
            valid: Vec::new(),
        });
        rows.len() - 1
    };
    let row = &mut rows[i];
    if let Some(last) = row.valid.last_mut() {
        last.1 = last.1.min(at);
    }
    row.valid.push((at, until));
}

/// The value of a step function at time `t`: the last change at or before it.
pub fn value_at<T: Copy>(changes: &[(SimTime, T)], t: SimTime) -> Option<T> {
    let i = changes.partition_point(|(at, _)| *at <= t);
    (i > 0).then(|| changes[i - 1].1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_function_lookup() {
        let c = [(SimTime(0), 'a'), (SimTime(10), 'b'), (SimTime(20), 'c')];
        assert_eq!(value_at(&c, SimTime(5)), Some('a'));
        assert_eq!(value_at(&c, SimTime(10)), Some('b'));
        assert_eq!(value_at(&c, SimTime(99)), Some('c'));
        assert_eq!(value_at(&c[1..], SimTime(5)), None);
    }
}
