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

/// The timeline's data, updated incrementally from the log.
#[derive(Clone, Debug, Default)]
pub struct Timeline {
    scanned: usize,
    pub keys: Vec<(KmsKeyId, Vec<(SimTime, KeyState)>)>,
    pub table: Vec<(SimTime, TableStatus)>,
    pub sse: Vec<(SimTime, SseStatus)>,
    pub cache: Vec<CacheRow>,
    /// (time, principal, ok)
    pub reads: Vec<(SimTime, PrincipalId, bool)>,
    /// The first table's name: the rows above are its (events name their table when there
    /// are several).
    first: Option<std::sync::Arc<str>>,
    /// Version 2: every other table, replica and restored table, with its status changes.
    pub others: Vec<(String, Vec<(SimTime, TableStatus)>)>,
    /// Version 2: backups (name, taken at, the KMS key of the table key it keeps).
    pub backups: Vec<(String, SimTime, KmsKeyId)>,
}

impl Timeline {
    /// Take in the events added since the last call (the log only grows; a shorter log means
    /// the state was rebuilt, so start over).
    pub fn update(&mut self, log: &crate::engine::log::Chunked<Event>) {
        if log.len() < self.scanned {
            *self = Self::default();
        }
        if self.table.is_empty() {
            self.table.push((SimTime::ZERO, TableStatus::Active));
            self.sse.push((SimTime::ZERO, SseStatus::Enabled));
        }
        for e in log.range(self.scanned..log.len()) {
            if let EventKind::TableCreated { table, .. } = &e.kind
                && self.first.is_none()
            {
                self.first = Some(std::sync::Arc::from(table.as_str()));
            }
            let other = e.table.as_ref().filter(|t| Some(*t) != self.first.as_ref());
            if let Some(label) = other {
                self.other_table(e, label);
                continue;
            }
            match &e.kind {
                EventKind::KeyCreated { key, state, .. } => {
                    self.keys.push((key.clone(), vec![(e.at, *state)]));
                }
                EventKind::KeyStateChanged { key, to, .. } => {
                    if let Some((_, changes)) = self.keys.iter_mut().find(|(k, _)| k == key) {
                        changes.push((e.at, *to));
                    }
                }
                EventKind::TableStatusChanged { to, .. } => self.table.push((e.at, *to)),
                EventKind::SseStatusChanged { to, .. } => self.sse.push((e.at, *to)),
                EventKind::CacheFilled {
                    principal,
                    connection,
                    expires_at,
                    ..
                } => {
                    let i = if let Some(i) = self
                        .cache
                        .iter()
                        .position(|r| &r.principal == principal && r.connection == *connection)
                    {
                        i
                    } else {
                        self.cache.push(CacheRow {
                            principal: principal.clone(),
                            connection: *connection,
                            valid: Vec::new(),
                        });
                        self.cache.len() - 1
                    };
                    let row = &mut self.cache[i];
                    if let Some(last) = row.valid.last_mut() {
                        last.1 = last.1.min(e.at);
                    }
                    row.valid.push((e.at, *expires_at));
                }
                EventKind::ItemRead {
                    principal, result, ..
                } => self.reads.push((e.at, principal.clone(), result.is_ok())),
                EventKind::BackupCreated { backup, key, .. } => {
                    self.backups.push((backup.clone(), e.at, key.clone()));
                }
                EventKind::ArchivalBackupTaken { key, .. } => {
                    self.backups.push(("archival".into(), e.at, key.clone()));
                }
                _ => {}
            }
        }
        self.scanned = log.len();
    }

    /// An event about another table (or replica, or restored table): its status row, and
    /// its backups.
    fn other_table(&mut self, e: &Event, label: &str) {
        match &e.kind {
            EventKind::TableCreated { .. } | EventKind::TableRestored { .. } => {
                self.others
                    .push((label.to_string(), vec![(e.at, TableStatus::Active)]));
            }
            EventKind::TableStatusChanged { to, .. } => {
                if let Some((_, changes)) = self.others.iter_mut().find(|(l, _)| l == label) {
                    changes.push((e.at, *to));
                }
            }
            EventKind::BackupCreated { backup, key, .. } => {
                self.backups.push((backup.clone(), e.at, key.clone()));
            }
            EventKind::ArchivalBackupTaken { key, .. } => {
                self.backups
                    .push((format!("archival {label}"), e.at, key.clone()));
            }
            // A principal's reads on every table share its row (a failure wins its column).
            EventKind::ItemRead {
                principal, result, ..
            } => self.reads.push((e.at, principal.clone(), result.is_ok())),
            _ => {}
        }
    }
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
