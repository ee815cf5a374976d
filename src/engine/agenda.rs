//! The agenda: DynamoDB's and KMS's scheduled work on the logical clock (cache expiries, the
//! re-wrap's next DEK, background checks, archive deadlines, key deletions, rotations, and
//! changes spreading through KMS), and advancing the clock from one due item to the next.

use std::cmp::Reverse;

use super::Engine;
use super::event::EventKind;
use super::kms::KeyState;
use super::schedule::{QueueEntry, Scheduled};
use super::table::TableIx;
use super::table::TableStatus;
use super::time::{SimDuration, SimTime};

impl Engine {
    pub(super) fn schedule(&mut self, at: SimTime, what: Scheduled) {
        self.agenda.seq += 1;
        self.agenda.queue.push(Reverse(QueueEntry {
            at,
            seq: self.agenda.seq,
            what,
        }));
    }

    /// Process every scheduled event due at or before `t`, then set the clock to `t`.
    pub fn advance_to(&mut self, t: SimTime) {
        while let Some(Reverse(next)) = self.agenda.queue.peek() {
            if next.at > t {
                break;
            }
            let Some(Reverse(entry)) = self.agenda.queue.pop() else {
                break;
            };
            self.now = self.now.max(entry.at);
            self.handle(&entry.what);
        }
        self.now = self.now.max(t);
    }

    pub fn advance(&mut self, d: SimDuration) {
        self.advance_to(self.now + d);
    }

    /// Jump to the next scheduled instant and process everything due then. Returns that
    /// instant, or `None` when nothing is scheduled.
    pub fn step(&mut self) -> Option<SimTime> {
        let at = self.next_event_at()?;
        self.advance_to(at);
        Some(at)
    }

    /// When the next scheduled event happens, if any.
    pub fn next_event_at(&self) -> Option<SimTime> {
        self.agenda.queue.peek().map(|Reverse(e)| e.at)
    }

    /// Imported material's ValidTo: removed, unless deleted or imported again since.
    fn material_expiry(&mut self, key: usize, generation: u64) {
        if self.kms.keys[key]
            .imported
            .is_some_and(|m| m.present && m.generation == generation)
        {
            self.remove_imported_material(key, true);
        }
    }

    /// A connection's cached table key ran out (unless it was re-fetched since).
    fn cache_expiry(&mut self, tx: TableIx, entry: usize, generation: u64) {
        let e = &mut self.dynamo.tables[tx.0].cache[entry];
        if e.generation == generation
            && let Some(held) = e.held.take()
        {
            // Dropping `held` zeroizes the plaintext table key.
            let (principal, connection) = (e.principal.clone(), e.connection);
            self.emit(
                Some(tx),
                EventKind::CacheExpired {
                    principal,
                    connection,
                    table_key: held.table_key,
                },
            );
        }
    }

    pub(super) fn handle(&mut self, what: &Scheduled) {
        match *what {
            Scheduled::CacheExpiry {
                table: tx,
                entry,
                generation,
            } => self.cache_expiry(tx, entry, generation),
            Scheduled::ServiceKeyExpiry {
                table: tx,
                table_key,
                fetched_at,
            } => {
                if let Some(job) = self.dynamo.tables[tx.0].job.as_mut() {
                    let mut expired = false;
                    for slot in [&mut job.old_plain, &mut job.new_plain] {
                        if slot
                            .as_ref()
                            .is_some_and(|k| k.table_key == table_key && k.fetched_at == fetched_at)
                        {
                            *slot = None;
                            expired = true;
                        }
                    }
                    if expired {
                        self.emit(Some(tx), EventKind::ServiceKeyExpired { table_key });
                    }
                }
            }
            Scheduled::RewrapStep { table: tx } => {
                if self.dynamo.tables[tx.0]
                    .job
                    .as_ref()
                    .is_some_and(|j| j.stalled.is_none() && j.next_at == Some(self.now))
                {
                    self.job_progress(tx, true);
                }
            }
            Scheduled::DetectionCheck { table: tx } => self.background_check(tx),
            Scheduled::ArchiveStart { table: tx, since } => {
                if self.dynamo.tables[tx.0].status == TableStatus::InaccessibleEncryptionCredentials
                    && self.dynamo.tables[tx.0].inaccessible_since == Some(since)
                {
                    // Archived only if access is *still* missing (aws-behaviour.md #42, 44): DynamoDB
                    // tries the key once more at the deadline.
                    if self.dynamodb_check(tx, super::vocab::Purpose::ArchiveCheck) {
                        self.restore_active(
                            tx,
                            "at the archive deadline DynamoDB reached the key again".into(),
                        );
                        self.resume_stalled_job(tx);
                    } else {
                        self.start_archive(tx);
                    }
                }
            }
            Scheduled::ArchiveComplete { table: tx } => {
                if self.dynamo.tables[tx.0].status == TableStatus::Archiving {
                    self.set_status(tx, TableStatus::Archived, "archival backup complete".into());
                    self.dynamo.tables[tx.0].archived_at = Some(self.now);
                    let now = self.now;
                    self.dynamo.tables[tx.0]
                        .milestones
                        .archived_at
                        .get_or_insert(now);
                }
            }
            Scheduled::KeyDeletion { key } => {
                if matches!(self.kms.keys[key].state, KeyState::PendingDeletion { deletion_at } if deletion_at == self.now)
                {
                    self.delete_key(key);
                }
            }
            Scheduled::MaterialExpiry { key, generation } => self.material_expiry(key, generation),
            Scheduled::ReplicaRemoval { table, since } => self.replica_removal_due(table, since),
            Scheduled::Rotation { key, due } => {
                if self.kms.keys[key]
                    .rotation
                    .is_some_and(|r| r.next_at == due)
                {
                    if self.kms.keys[key].state == KeyState::Enabled {
                        self.rotate_automatically(key);
                    } else if !self.kms.keys[key].is_deleted() {
                        let (id, state) = (self.kms.keys[key].id.clone(), self.kms.keys[key].state);
                        self.emit(None, EventKind::KeyRotationDeferred { key: id, state });
                    }
                }
            }
            Scheduled::Propagated { key, change } => {
                if self.kms.keys[key].propagated(change) {
                    let id = self.kms.keys[key].id.clone();
                    self.emit(
                        None,
                        EventKind::KeyChangePropagated {
                            key: id.clone(),
                            state: self.kms.keys[key].effective_state(),
                        },
                    );
                    self.key_changed(&id);
                }
            }
        }
    }
}
