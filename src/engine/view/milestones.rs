//! The moments to mark on a table's timeline: what happened and what is due.

use crate::engine::Engine;
use crate::engine::ids::{KmsKeyId, PrincipalId};
use crate::engine::kms::KeyState;
use crate::engine::table::TableIx;
use crate::engine::time::SimTime;

/// A moment worth marking on a table's timeline: one that happened (the "when exactly"
/// answers) or one that is due.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Milestone {
    FirstFailedRead {
        at: SimTime,
        principal: PrincipalId,
    },
    Inaccessible {
        at: SimTime,
    },
    Archiving {
        at: SimTime,
    },
    /// The archive deadline, while the table is inaccessible and not archiving yet.
    ArchiveDue {
        at: SimTime,
    },
    KeyDeleted {
        key: KmsKeyId,
        at: SimTime,
    },
    /// A copy of a global table (any table's) left its replication group.
    LeftReplication {
        region: String,
        at: SimTime,
    },
    /// A key pending deletion: when its material goes.
    DeletionDue {
        key: KmsKeyId,
        at: SimTime,
    },
    Unrecoverable {
        at: SimTime,
    },
}

impl Milestone {
    pub fn at(&self) -> SimTime {
        match self {
            Milestone::FirstFailedRead { at, .. }
            | Milestone::Inaccessible { at }
            | Milestone::Archiving { at }
            | Milestone::ArchiveDue { at }
            | Milestone::KeyDeleted { at, .. }
            | Milestone::LeftReplication { at, .. }
            | Milestone::DeletionDue { at, .. }
            | Milestone::Unrecoverable { at } => *at,
        }
    }
}

impl Engine {
    /// The moments to mark on table `tx`'s timeline, in this order: its first failed read,
    /// inaccessible, archiving (or the archive deadline due), keys deleted, copies that left
    /// their replication group, deletions due, unrecoverable.
    pub fn milestone_marks(&self, tx: TableIx) -> Vec<Milestone> {
        let t = &self.dynamo.tables[tx.0];
        let m = &t.milestones;
        let mut out = Vec::new();
        if let Some((at, principal, _)) = &m.first_failed_read {
            out.push(Milestone::FirstFailedRead {
                at: *at,
                principal: principal.clone(),
            });
        }
        if let Some(at) = m.inaccessible_since {
            out.push(Milestone::Inaccessible { at });
        }
        if let Some(at) = m.archiving_at {
            out.push(Milestone::Archiving { at });
        } else if let Some(at) = t.archive_at {
            out.push(Milestone::ArchiveDue { at });
        }
        for (key, at) in &self.kms.keys_deleted {
            out.push(Milestone::KeyDeleted {
                key: key.clone(),
                at: *at,
            });
        }
        let mut left: Vec<(SimTime, String)> = self
            .dynamo
            .tables
            .iter()
            .filter_map(|c| c.removed_at.map(|at| (at, c.region.clone())))
            .collect();
        left.sort();
        out.extend(
            left.into_iter()
                .map(|(at, region)| Milestone::LeftReplication { region, at }),
        );
        for k in &self.kms.keys {
            if let KeyState::PendingDeletion { deletion_at } = k.state {
                out.push(Milestone::DeletionDue {
                    key: k.id.clone(),
                    at: deletion_at,
                });
            }
        }
        if let Some(at) = m.unrecoverable_from {
            out.push(Milestone::Unrecoverable { at });
        }
        out
    }
}
