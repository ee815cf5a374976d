//! The read model: what the panels, reports and checks read from the engine, without reaching
//! its internals. No plaintext key bytes are reachable from here (they live in fields private
//! to the engine); rules the engine applies (what the next request on a connection will do,
//! how much of the key-change quota is left) are computed here once and only read elsewhere.

use super::event::Caller;

/// A step's proof is looked for among this many newest events (a reveal reads it right after
/// the step ran; the bound keeps a frame's cost flat however long the log).
const PROOF_SCAN: usize = 20_000;
use super::ids::ConnectionId;
use super::kms::KmsError;
use super::table::{QUOTA_FREE_CHANGES, QUOTA_SPACING};
use super::time::DAY;

// The vocabulary the views read, in one place: value types and read-only handles whose
// methods only read. A front end (ui, notes) names engine types from here and nowhere else.
pub use super::Engine;
pub use super::backup::BackupState;
pub use super::event::{CacheUse, Event, EventKind, RequestResult};
pub use super::ids::{AWS_OWNED, DekId, ItemId, KmsKeyId, PrincipalId, TableKeyId};
pub use super::kms::{KeyKind, KeyState, KmsErrorCode, KmsKey};
pub use super::replica::ReplicaStatus;
pub use super::status::{SseStatus, TableStatus};
pub use super::table::{Table, TableIx, TableKey};
pub use super::time::{SimDuration, SimTime};
pub use super::vocab::{ErrorCode, KmsOp};

/// What the next read or write on a connection will do, if it came now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NextRequest {
    /// The table is ARCHIVING or ARCHIVED: `TableArchived`, no KMS call.
    TableArchived,
    /// The cached plaintext of the current table key serves it: no KMS call until `until`.
    FromCache {
        table_key: TableKeyId,
        until: SimTime,
    },
    /// KMS Decrypt of the current table key as the principal (nothing cached, the entry ran
    /// out, or it holds a table key a key change replaced), with the answer KMS gives now.
    Fetches {
        table_key: TableKeyId,
        kms_key: KmsKeyId,
        outcome: Result<(), KmsErrorCode>,
    },
}

impl NextRequest {
    /// Would the request succeed?
    pub fn succeeds(&self) -> bool {
        match self {
            NextRequest::TableArchived => false,
            NextRequest::FromCache { .. } => true,
            NextRequest::Fetches { outcome, .. } => outcome.is_ok(),
        }
    }
}

/// One connection's table-key cache, as a panel shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CacheRow {
    pub principal: PrincipalId,
    pub connection: ConnectionId,
    /// The table key it holds and when that copy must be re-fetched, if it holds one.
    pub held: Option<(TableKeyId, SimTime)>,
    /// Time before the held copy runs out (zero if none).
    pub time_left: SimDuration,
    /// Time since the entry last served a request.
    pub idle: Option<SimDuration>,
    /// What the next request does now.
    pub next: NextRequest,
    /// What the first request after the held copy runs out will do (`None` if nothing held):
    /// `Err` when the KMS key would refuse it then, as things stand.
    pub after_expiry: Option<Result<(), KmsErrorCode>>,
    pub kms_calls: u32,
    pub requests: u32,
    pub failures: u32,
}

/// The key-change quota of aws-behaviour.md #32, as it stands now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuotaView {
    /// Changes made in the current 24-hour window (windows start at table creation).
    pub used_in_window: usize,
    /// Changes still free in this window before the 6-hour spacing applies.
    pub free_left: usize,
    /// When the window ends.
    pub window_ends: SimTime,
    /// The earliest time the next change to a KMS key is allowed (now if allowed now).
    pub next_allowed: SimTime,
}

/// A clock that changes an outcome when it runs out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Countdown {
    /// A connection's cached copy runs out and its next request will fail.
    CacheRunsOut {
        principal: PrincipalId,
        connection: ConnectionId,
        table_key: TableKeyId,
        at: SimTime,
    },
    /// A connection's cached copy runs out and its next request fetches it again from KMS,
    /// which will answer (aws-behaviour.md #20): the 5-minute timer of a healthy table. The big
    /// clock shows it only when nothing that changes an outcome runs.
    CacheRefresh {
        principal: PrincipalId,
        connection: ConnectionId,
        table_key: TableKeyId,
        at: SimTime,
    },
    /// A key's imported material reaches its expiry and KMS removes it at once
    /// (aws-behaviour.md #98, 99): the key becomes PendingImport.
    MaterialExpiry { key: KmsKeyId, at: SimTime },
    /// The table is archived unless access comes back (InaccessibleEncryptionDateTime + 7 d).
    Archive { at: SimTime },
    /// A KMS key's material is destroyed.
    KeyDeletion { key: KmsKeyId, at: SimTime },
    /// Version 2: an inaccessible copy of a global table leaves the replication group
    /// (InaccessibleEncryptionDateTime + `replica_removal_after`, aws-behaviour.md #51).
    ReplicaRemoval { region: String, at: SimTime },
}

impl Countdown {
    pub fn at(&self) -> SimTime {
        match self {
            Countdown::CacheRunsOut { at, .. }
            | Countdown::CacheRefresh { at, .. }
            | Countdown::MaterialExpiry { at, .. }
            | Countdown::Archive { at }
            | Countdown::KeyDeletion { at, .. }
            | Countdown::ReplicaRemoval { at, .. } => *at,
        }
    }
}

/// Where a table's re-wrap stands, as the panels draw it: the rule of which DEKs sit under
/// which table key, the DEK in flight and how far along it is, computed here once.
#[derive(Clone, Debug, PartialEq)]
pub struct RewrapView {
    /// The table key the DEKs leave, and the one they land under.
    pub from: TableKeyId,
    pub to: TableKeyId,
    pub done: u32,
    pub total: u32,
    /// The DEK that landed last under `to`.
    pub landed: Option<u32>,
    /// The DEK being re-wrapped now (the job runs: not stalled, its next step scheduled).
    pub in_flight: Option<u32>,
    /// How far along the DEK in flight is, from 0 to 1.
    pub progress: Option<f64>,
}

impl RewrapView {
    /// The DEKs under table key `tk`, as `[lo, hi)` of the table's DEK indices: the first
    /// `done` have moved to `to`, the rest are still under `from`.
    pub fn deks_under(&self, tk: TableKeyId) -> Option<(u32, u32)> {
        if tk == self.from {
            Some((self.done, self.total))
        } else if tk == self.to {
            (self.done > 0).then_some((0, self.done))
        } else {
            None
        }
    }
}

/// What one table key of a table is now, by the one rule the tree, the diagram and the
/// status panel draw: retired (nothing needs it), lost (its KMS key is deleted while DEKs
/// still need it), the new key of a re-wrap, the key a re-wrap leaves, current, or older.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TableKeyRole {
    /// A key change finished: no DEK is under it any more.
    Retired { at: SimTime },
    /// Its KMS key is deleted and DEKs are still wrapped under it: they cannot be unwrapped.
    Lost,
    /// The table key a re-wrap moves DEKs to, with how far it has got and, when it stopped,
    /// on which KMS key and with which error.
    RewrapTarget {
        done: u32,
        total: u32,
        stalled: Option<(KmsKeyId, KmsErrorCode)>,
    },
    /// The table key a re-wrap moves DEKs away from: current until the re-wrap ends.
    RewrapSource,
    /// The table's current table key.
    Current,
    /// None of the above (an older key that never finished a change).
    Other,
}

/// What one scripted step did, read from its events: the proof a presenter's reveal shows
/// ("READ OK · cached T1 · 0 KMS calls").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepProof {
    /// The step's action in the file's words (`read`, `disable-key kms-1`, ...).
    pub action: String,
    /// The read or write the step made: where it found its table key, which one, under which
    /// DEK, and what the caller got.
    pub request: Option<RequestProof>,
    /// KMS calls the step caused (by DynamoDB for a request, or the action itself).
    pub kms_calls: u32,
    /// The first KMS call that failed: the operation, the key and KMS's error.
    pub kms_failure: Option<(KmsOp, KmsKeyId, KmsErrorCode)>,
    /// The action was refused before it reached AWS (its error).
    pub refused: Option<ErrorCode>,
}

/// A read or write, as its step's proof shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestProof {
    pub write: bool,
    /// The item it read or wrote, if it got that far.
    pub item: Option<ItemId>,
    pub cache: CacheUse,
    pub table_key: Option<TableKeyId>,
    pub dek: Option<DekId>,
    pub result: RequestResult,
}

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

/// The one clock a presenter's screen and notes show for a table: its most urgent countdown,
/// whose it is, and how it reads. One computation, read by the big clock and the speaker notes
/// alike, so the two can never disagree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UrgentClock {
    /// The soonest clock that changes an outcome, if any runs.
    pub countdown: Option<Countdown>,
    /// The copy it is about (`Orders`, `Orders@eu-west-1`) when the world has several; `None`
    /// with one table, where it goes without saying.
    pub whose: Option<String>,
    /// Is the table's data still recoverable (the archive clock reads differently if not)?
    pub recoverable: bool,
    /// The table (or copy) the clock belongs to, as its label reads (`Orders`,
    /// `Orders@eu-west-1`).
    pub table: String,
    pub now: SimTime,
}

impl UrgentClock {
    /// What happens when it runs out, ending in "in" (the time follows), in few words: the
    /// big clock's title is narrow on a projector. With several tables it starts with whose
    /// clock it is.
    pub fn label(&self) -> String {
        let what = match &self.countdown {
            Some(Countdown::CacheRunsOut {
                principal,
                connection,
                table_key,
                ..
            }) => format!("{principal}#{connection}'s {table_key} runs out, reads fail, in"),
            Some(Countdown::CacheRefresh {
                principal,
                connection,
                table_key,
                ..
            }) => format!("{principal}#{connection}'s {table_key} · runs out in"),
            // One table is named here; with several, the prefix below names it.
            Some(Countdown::Archive { .. }) => {
                let table = if self.whose.is_some() {
                    ""
                } else {
                    &self.table
                };
                let gone = if self.recoverable { "" } else { " (key gone)" };
                format!("{table} archived{gone} in")
                    .trim_start()
                    .to_string()
            }
            Some(Countdown::KeyDeletion { key, .. }) => format!("{key} deleted in"),
            Some(Countdown::MaterialExpiry { key, .. }) => {
                format!("{key}'s imported material expires in")
            }
            Some(Countdown::ReplicaRemoval { region, .. }) => {
                // The copy itself is named: the table (without its region) @ region.
                let table = self.table.split('@').next().unwrap_or(&self.table);
                return format!("{table}@{region} leaves its group in");
            }
            None => return "nothing is counting down".to_string(),
        };
        match &self.whose {
            // With several tables the clock says whose it is.
            Some(who) => format!("{who}: {what}"),
            None => what,
        }
    }

    /// `label` in fewer words, for a narrow title: a cache clock says what its running out
    /// does ("Orders: app#1's reads fail in", "Orders: app#1's T1 ends in"); the others are
    /// short already.
    pub fn short_label(&self) -> String {
        let what = match &self.countdown {
            Some(Countdown::CacheRunsOut {
                principal,
                connection,
                ..
            }) => format!("{principal}#{connection}'s reads fail in"),
            Some(Countdown::CacheRefresh {
                principal,
                connection,
                table_key,
                ..
            }) => format!("{principal}#{connection}'s {table_key} ends in"),
            _ => return self.label(),
        };
        match &self.whose {
            Some(who) => format!("{who}: {what}"),
            None => what,
        }
    }

    /// The time left (or, when nothing counts down, the simulated time).
    pub fn time(&self) -> String {
        match &self.countdown {
            Some(c) => c.at().since(self.now).countdown(),
            None => self.now.to_string(),
        }
    }

    /// The label and the time as one sentence.
    pub fn sentence(&self) -> String {
        match &self.countdown {
            Some(_) => format!("{} {}", self.label(), self.time()),
            None => format!("nothing is counting down (simulated time {})", self.time()),
        }
    }
}

/// One copy of the world's data (a table, a replica, a restored table) as the blast-radius
/// stage draws it: the chain it needs (KMS key, table key, DEKs), its status, and its own clock
/// that changes an outcome (archive, or leaving its replication group). A key's state is not
/// per table (aws-behaviour.md #6): every copy under a disabled key shows it on its own row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CopyRow {
    pub table: TableIx,
    /// `Orders`, or `Orders@eu-west-1` for a replica.
    pub label: String,
    /// The KMS key that wraps the copy's current table key, and its state now (`None` if the
    /// world has no such key).
    pub kms_key: KmsKeyId,
    pub key_state: Option<KeyState>,
    pub table_key: TableKeyId,
    pub deks: usize,
    pub status: TableStatus,
    /// `ReplicaStatus` when the copy belongs to a global table (`None` for a plain table).
    pub replica: Option<ReplicaStatus>,
    /// Is its data still recoverable (the material wrapping its current table key exists)?
    pub recoverable: bool,
    /// Its soonest archive or replica-removal clock, if one runs.
    pub clock: Option<Countdown>,
    /// Once archived: can its archival backup be restored now?
    pub archival: Option<BackupState>,
}

impl Engine {
    /// Every copy of the world's data, in the world's order: one computation for the
    /// blast-radius stage and anything else that lists them side by side.
    pub fn copy_rows(&self) -> Vec<CopyRow> {
        (0..self.dynamo.tables.len())
            .map(TableIx)
            .map(|tx| {
                let t = &self.dynamo.tables[tx.0];
                let kms_key = t.current_kms_key().clone();
                CopyRow {
                    table: tx,
                    label: t.label(),
                    key_state: self.key(&kms_key).map(KmsKey::state),
                    kms_key,
                    table_key: t.current,
                    deks: t.deks.len(),
                    status: t.status,
                    replica: (self.copies_of(tx).len() > 1).then(|| self.replica_status(tx)),
                    recoverable: self.recoverable(tx),
                    clock: self.countdowns(tx).into_iter().find(|c| {
                        matches!(
                            c,
                            Countdown::Archive { .. } | Countdown::ReplicaRemoval { .. }
                        )
                    }),
                    archival: self.archival_backup_of(tx).map(|b| self.backup_state(b)),
                }
            })
            .collect()
    }
}

impl Engine {
    /// Table `tx`'s re-wrap, if one is under way.
    pub fn rewrap_view(&self, tx: TableIx) -> Option<RewrapView> {
        let j = self.dynamo.tables[tx.0].job.as_ref()?;
        let in_flight =
            (j.done < j.total && j.stalled.is_none() && j.next_at.is_some()).then_some(j.done);
        let per = self.assumptions.rewrap_per_dek.as_millis().max(1);
        let progress = j.next_at.filter(|_| in_flight.is_some()).map(|next| {
            let left = next.since(self.now).as_millis().min(per);
            1.0 - left as f64 / per as f64
        });
        Some(RewrapView {
            from: j.from,
            to: j.to,
            done: j.done,
            total: j.total,
            // A stalled job has landed nothing lately: "just landed" would linger.
            landed: j.done.checked_sub(1).filter(|_| j.stalled.is_none()),
            in_flight,
            progress,
        })
    }

    /// What step `number` (1-based) did, from its events, looking back from the newest:
    /// `None` if it has not run (or more than `PROOF_SCAN` events ran since).
    pub fn step_proof(&self, number: usize) -> Option<StepProof> {
        let mut kms_calls = 0;
        let mut kms_failure = None;
        let mut request = None;
        let mut refused = None;
        for ev in self.trail.log.iter().rev().take(PROOF_SCAN) {
            match &ev.kind {
                EventKind::Step { step, action, .. } => {
                    if *step != number {
                        // Another step came after it: what was collected is not its own.
                        kms_calls = 0;
                        kms_failure = None;
                        request = None;
                        refused = None;
                        continue;
                    }
                    return Some(StepProof {
                        action: action.clone(),
                        request,
                        kms_calls,
                        kms_failure,
                        refused,
                    });
                }
                EventKind::LiveAction { .. } => {
                    kms_calls = 0;
                    kms_failure = None;
                    request = None;
                    refused = None;
                }
                EventKind::KmsCall(call) => {
                    kms_calls += 1;
                    if let Some(code) = call.error_code {
                        // Looking back, the last one seen is the first made.
                        kms_failure = Some((call.event_name, call.key.clone(), code));
                    }
                }
                EventKind::ItemRead {
                    item,
                    dek,
                    table_key,
                    cache,
                    result,
                    ..
                }
                | EventKind::ItemWritten {
                    item,
                    dek,
                    table_key,
                    cache,
                    result,
                    ..
                } => {
                    request = Some(RequestProof {
                        write: matches!(ev.kind, EventKind::ItemWritten { .. }),
                        item: *item,
                        cache: *cache,
                        table_key: *table_key,
                        dek: *dek,
                        result: result.clone(),
                    });
                }
                EventKind::ActionRefused { error, .. } => refused = Some(*error),
                _ => {}
            }
        }
        None
    }

    /// What table key `tk` of table `tx` is now (see [`TableKeyRole`]).
    pub fn table_key_role(&self, tx: TableIx, tk: TableKeyId) -> TableKeyRole {
        let t = &self.dynamo.tables[tx.0];
        let Some(k) = t.table_keys.iter().find(|k| k.id == tk) else {
            return TableKeyRole::Other;
        };
        let kms_deleted = self
            .kms
            .keys
            .iter()
            .find(|key| key.id == k.kms_key)
            .is_some_and(super::kms::KmsKey::is_deleted);
        let job = t.job.as_ref();
        if let Some(at) = k.retired_at {
            TableKeyRole::Retired { at }
        } else if kms_deleted {
            TableKeyRole::Lost
        } else if let Some(j) = job.filter(|j| j.to == tk) {
            TableKeyRole::RewrapTarget {
                done: j.done,
                total: j.total,
                stalled: j.stalled.as_ref().map(|s| (s.key().clone(), s.kms_error())),
            }
        } else if job.is_some_and(|j| j.from == tk) {
            TableKeyRole::RewrapSource
        } else if t.current == tk {
            TableKeyRole::Current
        } else {
            TableKeyRole::Other
        }
    }

    /// The DEKs under table key `tk` of table `tx`, as `[lo, hi)` (`None`: none are).
    pub fn deks_under(&self, tx: TableIx, tk: TableKeyId) -> Option<(u32, u32)> {
        let t = &self.dynamo.tables[tx.0];
        match self.rewrap_view(tx) {
            Some(r) if tk == r.from || tk == r.to => r.deks_under(tk),
            _ => (t.current == tk).then_some((0, t.deks.len() as u32)),
        }
    }

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

    /// The most urgent clock of table `tx`: its own countdowns, and the other copies of its
    /// global table leaving the replication group (the write a step makes in one region is
    /// about every copy).
    pub fn urgent_clock(&self, tx: TableIx) -> UrgentClock {
        let mut all = self.countdowns(tx);
        for c in self.copies_of(tx).into_iter().filter(|c| *c != tx) {
            all.extend(
                self.countdowns(c)
                    .into_iter()
                    .filter(|d| matches!(d, Countdown::ReplicaRemoval { .. })),
            );
        }
        all.sort_by_key(Countdown::at);
        // Nothing that changes an outcome runs: the healthy 5-minute cache timer still does.
        let countdown = all.into_iter().next().or_else(|| self.cache_refresh(tx));
        // Nothing counts for this table at all, but another copy's clock runs: show that one,
        // saying whose ("nothing is counting down" only when nothing is).
        let (countdown, owner) = match countdown {
            Some(c) => (Some(c), tx),
            None => (0..self.dynamo.tables.len())
                .map(TableIx)
                .filter(|c| *c != tx)
                .filter_map(|c| {
                    self.countdowns(c)
                        .into_iter()
                        .find(|d| {
                            !matches!(
                                d,
                                Countdown::KeyDeletion { .. } | Countdown::MaterialExpiry { .. }
                            )
                        })
                        .map(|d| (d, c))
                })
                .min_by_key(|(d, _)| d.at())
                .map_or((None, tx), |(d, c)| (Some(d), c)),
        };
        UrgentClock {
            countdown,
            whose: (self.dynamo.tables.len() > 1).then(|| self.dynamo.tables[owner.0].label()),
            table: self.dynamo.tables[owner.0].label(),
            recoverable: self.recoverable(owner),
            now: self.now,
        }
    }

    /// Would KMS decrypt the table key `tk` for principal `p` right now? The same check a
    /// request's fetch makes (state, as it has spread, and the key policy).
    pub(super) fn fetch_verdict(
        &self,
        tx: TableIx,
        p: &PrincipalId,
        tk: TableKeyId,
    ) -> Result<(), KmsError> {
        let kms_id = &self.dynamo.tables[tx.0].table_key(tk).kms_key;
        match self.key(kms_id) {
            Some(k) => k.check_crypto(
                &Caller::Principal(p.clone()),
                self.assumptions.pending_deletion_error,
            ),
            None => Err(KmsError {
                code: KmsErrorCode::NotFoundException,
                message: format!("{kms_id} not found"),
            }),
        }
    }

    /// What the next request on table `tx` by `p` on connection `c` would do now.
    pub fn next_request(
        &self,
        tx: TableIx,
        p: &PrincipalId,
        c: ConnectionId,
    ) -> Option<NextRequest> {
        let t = self.dynamo.tables.get(tx.0)?;
        let entry = &t.cache[self.entry_ix(tx, p, c)?];
        if self.dynamo.tables[tx.0].is_archived_or_archiving() {
            return Some(NextRequest::TableArchived);
        }
        let tk = self.dynamo.tables[tx.0].current;
        Some(match &entry.held {
            Some(h) if h.table_key == tk => NextRequest::FromCache {
                table_key: tk,
                until: h.expires_at,
            },
            _ => NextRequest::Fetches {
                table_key: tk,
                kms_key: self.dynamo.tables[tx.0].current_kms_key().clone(),
                outcome: self.fetch_verdict(tx, p, tk).map_err(|e| e.code),
            },
        })
    }

    /// Every connection's cache of table `tx`, in declaration order.
    pub fn cache_rows(&self, tx: TableIx) -> impl Iterator<Item = CacheRow> + '_ {
        self.dynamo.tables[tx.0].cache.iter().map(move |e| {
            let next = self
                .next_request(tx, &e.principal, e.connection)
                .unwrap_or(NextRequest::TableArchived);
            let held = e.held.as_ref().map(|h| (h.table_key, h.expires_at));
            CacheRow {
                principal: e.principal.clone(),
                connection: e.connection,
                held,
                time_left: held.map_or(SimDuration::ZERO, |(_, at)| at.since(self.now)),
                idle: e.last_used_at.map(|t| self.now.since(t)),
                after_expiry: held.map(|_| {
                    self.fetch_verdict(tx, &e.principal, self.dynamo.tables[tx.0].current)
                        .map_err(|err| err.code)
                }),
                next,
                kms_calls: e.kms_calls,
                requests: e.requests,
                failures: e.failures,
            }
        })
    }

    /// Table `tx`'s key-change quota now (aws-behaviour.md #32).
    pub fn quota(&self, tx: TableIx) -> QuotaView {
        let q = &self.dynamo.tables[tx.0].quota;
        let created = self.dynamo.tables[tx.0].created_at;
        let window = self.now.since(created).as_millis() / DAY.as_millis();
        let window_start = created + SimDuration(window * DAY.as_millis());
        let window_ends = window_start + DAY;
        let used = q
            .changes
            .iter()
            .filter(|t| **t >= window_start && **t < window_ends)
            .count();
        let next_allowed = if used < QUOTA_FREE_CHANGES {
            self.now
        } else {
            // The 6-hour spacing, unless a new window (4 changes free again) starts first.
            q.changes.last().map_or(self.now, |last| {
                (*last + QUOTA_SPACING).min(window_ends).max(self.now)
            })
        };
        QuotaView {
            used_in_window: used,
            free_left: QUOTA_FREE_CHANGES.saturating_sub(used),
            window_ends,
            next_allowed,
        }
    }

    /// `countdowns` for table `tx` (its caches, its archive, its leaving the replication group).
    pub fn countdowns(&self, tx: TableIx) -> Vec<Countdown> {
        let mut out: Vec<Countdown> = self
            .cache_rows(tx)
            // Only a cached copy of the current table key counts: one of a replaced key no
            // longer serves requests (the next one fetches at once).
            .filter(|r| matches!(r.next, NextRequest::FromCache { .. }))
            .filter(|r| matches!(r.after_expiry, Some(Err(_))))
            .filter_map(|r| {
                r.held.map(|(table_key, at)| Countdown::CacheRunsOut {
                    principal: r.principal,
                    connection: r.connection,
                    table_key,
                    at,
                })
            })
            .collect();
        // The archive deadline runs only while the table is inaccessible (once archiving has
        // begun it has happened).
        if let Some(at) = self.dynamo.tables[tx.0].archive_at
            && self.dynamo.tables[tx.0].status
                == super::table::TableStatus::InaccessibleEncryptionCredentials
            && at > self.now
        {
            out.push(Countdown::Archive { at });
        }
        if let Some(since) = self.dynamo.tables[tx.0].inaccessible_since
            && self.in_replication_group(tx)
        {
            let at = since + self.assumptions.replica_removal_after + SimDuration(1);
            if at > self.now {
                out.push(Countdown::ReplicaRemoval {
                    region: self.dynamo.tables[tx.0].region.clone(),
                    at,
                });
            }
        }
        for k in &self.kms.keys {
            if let KeyState::PendingDeletion { deletion_at } = k.state {
                out.push(Countdown::KeyDeletion {
                    key: k.id.clone(),
                    at: deletion_at,
                });
            }
            if let Some(imp) = &k.imported
                && imp.present
                && !k.is_deleted()
                && let Some(at) = imp.expires_at.filter(|at| *at > self.now)
            {
                out.push(Countdown::MaterialExpiry {
                    key: k.id.clone(),
                    at,
                });
            }
        }
        out.sort_by_key(Countdown::at);
        out
    }

    /// The soonest healthy cache timer of table `tx`: a connection's cached current table key
    /// that runs out and is then fetched again with success.
    fn cache_refresh(&self, tx: TableIx) -> Option<Countdown> {
        self.cache_rows(tx)
            .filter(|r| matches!(r.next, NextRequest::FromCache { .. }))
            .filter(|r| !matches!(r.after_expiry, Some(Err(_))))
            .filter_map(|r| {
                r.held.map(|(table_key, at)| Countdown::CacheRefresh {
                    principal: r.principal,
                    connection: r.connection,
                    table_key,
                    at,
                })
            })
            .min_by_key(Countdown::at)
    }

    /// KMS calls in your CloudTrail so far, by operation and key: (calls, failed).
    pub fn kms_call_totals(&self) -> &std::collections::BTreeMap<(KmsOp, KmsKeyId), (u32, u32)> {
        &self.trail.kms_totals
    }

    // ----- pacing: what the live view needs to show a stretch of time at a watchable rate --

    /// Roughly how many separate moments something is scheduled to happen strictly before
    /// `t`: queued work plus the re-wrap DEKs still due by then (the job queues one at a time).
    /// An estimate for pacing only: stale queue entries count too, and new work may be queued.
    pub fn pending_before(&self, t: SimTime) -> usize {
        let queued = self
            .agenda
            .queue
            .iter()
            .filter(|std::cmp::Reverse(e)| e.at < t)
            .count();
        let per = self.assumptions.rewrap_per_dek;
        let rewraps: usize = self
            .dynamo
            .tables
            .iter()
            .filter_map(|table| table.job.as_ref())
            .filter_map(|job| Some((job, job.next_at?)))
            .filter(|(_, next)| *next < t && per > SimDuration::ZERO)
            .map(|(job, next)| {
                let left = u64::from(job.total.saturating_sub(job.done));
                let fit = t.since(next).0 / per.0;
                // The queued one is counted above.
                left.min(fit) as usize
            })
            .sum();
        queued + rewraps
    }

    /// When the re-wrap jobs now running will have re-wrapped their last DEK, if nothing stalls
    /// them.
    pub fn rewrap_due_until(&self) -> Option<SimTime> {
        let per = self.assumptions.rewrap_per_dek;
        self.dynamo
            .tables
            .iter()
            .filter_map(|table| table.job.as_ref())
            .filter_map(|job| {
                let left = u64::from(job.total.saturating_sub(job.done).saturating_sub(1));
                Some(job.next_at? + SimDuration(per.0.saturating_mul(left)))
            })
            .max()
    }

    /// The cached table-key copies that run out after now and before `t`, earliest first.
    pub fn cache_expiries_before(&self, t: SimTime) -> impl Iterator<Item = SimTime> + '_ {
        let now = self.now;
        let mut at: Vec<SimTime> = self
            .dynamo
            .tables
            .iter()
            .flat_map(|table| table.cache.iter())
            .filter_map(|entry| entry.held.as_ref().map(|h| h.expires_at))
            .filter(|at| *at > now && *at < t)
            .collect();
        at.sort_unstable();
        at.into_iter()
    }
}
