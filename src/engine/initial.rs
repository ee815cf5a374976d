//! Version 3: a world that starts mid-story (docs/scenario-format.md, "Version 3 additions").
//!
//! The world is built as a fresh one (every key enabled, each table with T1 under its key),
//! then put into the state the file declares at 0s: backups taken before the start, keys
//! pending deletion or pending import, tables inaccessible or archived since a time before the
//! start, replicas removed, DynamoDB's grant revoked, a key change under way. The agenda is
//! seeded from those states exactly as if steps had reached them: a key's deletion date, a
//! table's archive deadline (`since` + `archive_after`), a replica's removal, and DynamoDB's
//! background check of every table whose key cannot be used (aws-behaviour.md #106).

use super::backup::Backup;
use super::crypto;
use super::event::EventKind;
use super::ids::TableKeyId;
use super::kms::KeyState;
use super::table::{ArchivalBackup, TableIx, TableKey, TableStatus, dek_aad, table_key_aad};
use super::time::{SimDuration, SimTime};
use super::world::{KeyStartsAs, StartStatus, TableStart};
use super::{Engine, EngineError, Scheduled, WorldSpec};

/// The table key a backup taken under another KMS key than the table's holds: the table's
/// key of that time, before the start (its number is not known, so it is shown as T0).
pub const EARLIER_TABLE_KEY: TableKeyId = TableKeyId(0);

impl Engine {
    /// Backups taken before the start, each a copy of its table's chain under the KMS key it
    /// needs (under another key than the table's: the DEKs wrapped under a table key of its
    /// own, T0, as they were before a key change). Built while every key can still wrap.
    pub(super) fn build_earlier_backups(&mut self, spec: &WorldSpec) -> Result<(), EngineError> {
        for b in &spec.backups {
            let tx = TableIx(b.table);
            let t = &self.dynamo.tables[tx.0];
            let arn = format!(
                "arn:aws:dynamodb:{}:{}:table/{}/backup/{}",
                t.region, t.account, t.name, b.name
            );
            let mut backup = self.snapshot(tx, &b.name, arn, false);
            backup.kind = Some(b.kind);
            backup.age = b.age;
            if backup.key != b.key {
                self.rewrap_backup_under(&mut backup, tx, &b.key)?;
            }
            self.dynamo.backups.push(backup);
        }
        Ok(())
    }

    /// Give `backup` a table key of its own (T0) under `key` and wrap its DEKs under it.
    fn rewrap_backup_under(
        &mut self,
        backup: &mut Backup,
        tx: TableIx,
        key: &super::ids::KmsKeyId,
    ) -> Result<(), EngineError> {
        let unusable = || EngineError::TableKeyUnusable(key.clone(), "unusable");
        let kix = self
            .key_ix(key)
            .ok_or_else(|| EngineError::UnknownTableKey(key.clone()))?;
        let t = &self.dynamo.tables[tx.0];
        let t1 = t.table_key(TableKeyId(1));
        let tix = self.key_ix(&t1.kms_key).ok_or_else(unusable)?;
        let old = self.kms.keys[tix]
            .decrypt(&t1.wrapped, &table_key_aad(&t.context, TableKeyId(1)))
            .map_err(|_| unusable())?;
        let (new, blob) = self.kms.keys[kix]
            .generate_data_key(&mut self.rng, &table_key_aad(&t.context, EARLIER_TABLE_KEY))
            .map_err(|_| unusable())?;
        let (from, to) = (crypto::cipher(&old), crypto::cipher(&new));
        for d in &mut backup.deks {
            d.wrapped = crypto::rewrap_key(
                &from,
                dek_aad(&backup.table_id, d.under, d.id).as_bytes(),
                &to,
                dek_aad(&backup.table_id, EARLIER_TABLE_KEY, d.id).as_bytes(),
                &mut self.rng,
                &d.wrapped,
            )
            .map_err(|_| unusable())?;
            d.under = EARLIER_TABLE_KEY;
        }
        backup.key = key.clone();
        backup.table_keys = vec![TableKey {
            id: EARLIER_TABLE_KEY,
            kms_key: key.clone(),
            wrapped: blob,
            created_at: SimTime::ZERO,
            retired_at: None,
        }];
        Ok(())
    }

    /// The keys' declared starting states (disabled, pending deletion, pending import), set
    /// before the world is announced so that each key is created in its state.
    pub(super) fn set_starting_key_states(&mut self, spec: &WorldSpec) {
        for k in &spec.keys {
            let Some(ix) = self.key_ix(&k.id) else {
                continue;
            };
            let state = match k.starts_as {
                Some(KeyStartsAs::PendingDeletion { deletion_at }) => {
                    // KMS deletes up to a day after the DeletionDate (aws-behaviour.md #56):
                    // `deletion_delay`, as for a deletion scheduled by a step.
                    let deletion_at = deletion_at + self.assumptions.deletion_delay;
                    self.schedule(deletion_at, Scheduled::KeyDeletion { key: ix });
                    KeyState::PendingDeletion { deletion_at }
                }
                Some(KeyStartsAs::PendingImport) => {
                    if let Some(m) = self.kms.keys[ix].imported.as_mut() {
                        m.present = false;
                        m.expires_at = None;
                    }
                    KeyState::PendingImport
                }
                None if k.enabled => continue,
                None => KeyState::Disabled,
            };
            self.kms.keys[ix].state = state;
        }
    }

    /// The tables' and replicas' declared starting states, and DynamoDB's check of every table
    /// whose key cannot be used at the start.
    pub(super) fn start_mid_story(&mut self, spec: &WorldSpec) {
        let starts: Vec<TableStart> = spec
            .tables
            .iter()
            .map(|t| t.start.clone())
            .chain(
                spec.tables
                    .iter()
                    .flat_map(|t| t.replicas.iter().map(|r| r.start.clone())),
            )
            .collect();
        // Replicas first: one removed before the start has left its table's replication
        // group before the table's own clocks are set.
        let declared = spec.tables.len();
        for i in (declared..starts.len()).chain(0..declared) {
            if i < self.dynamo.tables.len() {
                self.start_table(TableIx(i), &starts[i]);
            }
        }
        for b in 0..self.dynamo.backups.len() {
            let backup = &self.dynamo.backups[b];
            let Some(kind) = backup.kind.map(super::world::BackupKind::name) else {
                continue;
            };
            let event = EventKind::EarlierBackup {
                backup: backup.name.clone(),
                key: backup.key.clone(),
                items: backup.items as u64,
                backup_type: kind,
                age: backup.age,
            };
            let tx = backup.source;
            self.emit(Some(tx), event);
        }
        // A key that cannot be used at the start: DynamoDB notices at its next check, as
        // after a key state change (aws-behaviour.md #43).
        for k in &spec.keys {
            if !k.enabled || k.starts_as.is_some() {
                self.key_changed(&k.id);
            }
        }
    }

    fn start_table(&mut self, tx: TableIx, start: &TableStart) {
        let ago = start.since;
        let since_text = if ago == SimDuration::ZERO {
            "at the start".to_string()
        } else {
            format!("{ago} before the start")
        };
        if start.grant_revoked {
            let key = self.dynamo.tables[tx.0].current_kms_key().clone();
            self.dynamo.tables[tx.0].grant_revoked_on = Some(key.clone());
            self.emit(Some(tx), EventKind::GrantChanged { key, revoked: true });
            self.schedule(
                self.now + self.assumptions.detection,
                Scheduled::DetectionCheck { table: tx },
            );
        }
        match start.status {
            StartStatus::Active => {}
            StartStatus::Inaccessible => self.start_inaccessible(tx, ago, &since_text),
            StartStatus::Archived => self.start_archived(tx, ago, &since_text),
            StartStatus::Removed => {
                let t = &mut self.dynamo.tables[tx.0];
                t.removed_at = Some(SimTime::ZERO);
                t.replication_key = None;
                t.milestones.before_start = ago;
                let region = t.region.clone();
                self.emit(
                    Some(tx),
                    EventKind::ReplicaRemoved {
                        region,
                        inaccessible_for: self.assumptions.replica_removal_after,
                    },
                );
            }
        }
        if let Some(to) = &start.switching_to {
            // The key change DynamoDB accepted before the start: its re-wrap starts over at
            // 0s (how far a real one got is in no export).
            let _ = self.change_table_key(tx, to);
        }
    }

    /// INACCESSIBLE_ENCRYPTION_CREDENTIALS since `ago` before the start: the archive deadline
    /// and a replica's removal run from then.
    fn start_inaccessible(&mut self, tx: TableIx, ago: SimDuration, since_text: &str) {
        self.set_status(
            tx,
            TableStatus::InaccessibleEncryptionCredentials,
            format!("declared: inaccessible since {since_text}"),
        );
        let t = &mut self.dynamo.tables[tx.0];
        t.inaccessible_since = Some(SimTime::ZERO);
        t.milestones.inaccessible_since.get_or_insert(SimTime::ZERO);
        t.milestones.before_start = ago;
        // The deadlines run from the moment it became inaccessible, before the start
        // (the file is refused at load when one of them falls before it).
        let archive_at =
            SimTime::ZERO + SimDuration(self.assumptions.archive_after.0.saturating_sub(ago.0));
        t.archive_at = Some(archive_at);
        self.schedule(
            archive_at,
            Scheduled::ArchiveStart {
                table: tx,
                since: SimTime::ZERO,
            },
        );
        if self.in_replication_group(tx) {
            let removal = SimTime::ZERO
                + SimDuration(
                    self.assumptions
                        .replica_removal_after
                        .0
                        .saturating_sub(ago.0),
                )
                + SimDuration(1);
            self.schedule(
                removal,
                Scheduled::ReplicaRemoval {
                    table: tx,
                    since: SimTime::ZERO,
                },
            );
        }
        // DynamoDB keeps checking: a key usable again brings the table back.
        self.schedule(
            self.now + self.assumptions.detection,
            Scheduled::DetectionCheck { table: tx },
        );
    }

    /// ARCHIVED since `ago` before the start, its archival backup under the table's key.
    fn start_archived(&mut self, tx: TableIx, ago: SimDuration, since_text: &str) {
        let key = self.dynamo.tables[tx.0].current_kms_key().clone();
        let t = &self.dynamo.tables[tx.0];
        let arn = format!(
            "arn:aws:dynamodb:{}:{}:table/{}/backup/archival-before-start",
            t.region, t.account, t.name
        );
        let snapshot = self.snapshot(tx, super::backup::ARCHIVAL, arn.clone(), true);
        self.dynamo.backups.push(snapshot);
        self.dynamo.tables[tx.0].archival_backup = Some(ArchivalBackup {
            arn: arn.clone(),
            key: key.clone(),
            taken_at: SimTime::ZERO,
        });
        self.set_status(
            tx,
            TableStatus::Archived,
            format!("declared: archived since {since_text}"),
        );
        self.emit(
            Some(tx),
            EventKind::ArchivalBackupTaken {
                backup_arn: arn,
                key,
            },
        );
        let t = &mut self.dynamo.tables[tx.0];
        t.archived_at = Some(SimTime::ZERO);
        t.milestones.archived_at.get_or_insert(SimTime::ZERO);
        t.milestones.before_start = ago;
    }
}
