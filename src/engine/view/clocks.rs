//! The clocks that change an outcome: each table's countdowns, the most urgent one (the big
//! clock and the speaker notes read the same), and the key-change quota.

use super::NextRequest;
use crate::engine::Engine;
use crate::engine::ids::{ConnectionId, KmsKeyId, PrincipalId, TableKeyId};
use crate::engine::kms::KeyState;
use crate::engine::status::TableStatus;
use crate::engine::table::{QUOTA_FREE_CHANGES, QUOTA_SPACING, TableIx};
use crate::engine::time::{DAY, SimDuration, SimTime};

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

impl Engine {
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
            && self.dynamo.tables[tx.0].status == TableStatus::InaccessibleEncryptionCredentials
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
}
