//! The table's lifecycle: ACTIVE, INACCESSIBLE_ENCRYPTION_CREDENTIALS, ARCHIVING, ARCHIVED;
//! DynamoDB's own KMS calls (background checks, the archive deadline) and the archival backup.

use super::crypto::KeyBytes;
use super::event::{Caller, EventKind};
use super::ids::{KmsKeyId, TableKeyId};
use super::key_rules::{self, KeyOp};
use super::kms::{KmsError, KmsErrorCode};
use super::kms_call::KmsCallSpec;
use super::table::TableIx;
use super::table::table_key_aad;
use super::table::{ArchivalBackup, TableStatus};
use super::time::SimDuration;
use super::vocab::KmsOp;
use super::vocab::Purpose;
use super::{Engine, Scheduled};

impl Engine {
    pub(super) fn set_status(&mut self, tx: TableIx, to: TableStatus, reason: String) {
        let from = self.dynamo.tables[tx.0].status;
        if from != to {
            self.dynamo.tables[tx.0].status = to;
            self.emit(Some(tx), EventKind::TableStatusChanged { from, to, reason });
        }
    }

    pub(super) fn mark_inaccessible(&mut self, tx: TableIx, reason: String) {
        if self.dynamo.tables[tx.0].status != TableStatus::Active {
            return;
        }
        self.set_status(tx, TableStatus::InaccessibleEncryptionCredentials, reason);
        self.dynamo.tables[tx.0].inaccessible_since = Some(self.now);
        self.dynamo.tables[tx.0].milestones.accessible_again = None;
        let archive_at = self.now + self.assumptions.archive_after;
        self.dynamo.tables[tx.0].archive_at = Some(archive_at);
        // Each table's milestones answer "when exactly" for it.
        let now = self.now;
        self.dynamo.tables[tx.0]
            .milestones
            .inaccessible_since
            .get_or_insert(now);
        self.schedule(
            archive_at,
            Scheduled::ArchiveStart {
                table: tx,
                since: self.now,
            },
        );
        if self.in_replication_group(tx) {
            // "Inaccessible for more than replica_removal_after" (aws-behaviour.md #51): at that instant it
            // is still in the group; just after, it is not.
            self.schedule(
                self.now + self.assumptions.replica_removal_after + SimDuration(1),
                Scheduled::ReplicaRemoval {
                    table: tx,
                    since: self.now,
                },
            );
        }
    }

    pub(super) fn restore_active(&mut self, tx: TableIx, reason: String) {
        if self.dynamo.tables[tx.0].status == TableStatus::InaccessibleEncryptionCredentials {
            self.set_status(tx, TableStatus::Active, reason);
            self.dynamo.tables[tx.0].inaccessible_since = None;
            self.dynamo.tables[tx.0].archive_at = None;
            let now = self.now;
            self.dynamo.tables[tx.0].milestones.accessible_again = Some(now);
        }
    }

    pub(super) fn start_archive(&mut self, tx: TableIx) {
        self.log_rewrapped_range(tx);
        if let Some(job) = self.dynamo.tables[tx.0].job.take() {
            self.emit(
                Some(tx),
                EventKind::RewrapAbandoned {
                    done: job.done,
                    total: job.total,
                },
            );
        }
        self.set_status(
            tx,
            TableStatus::Archiving,
            format!(
                "inaccessible for {} (InaccessibleEncryptionDateTime + archive_after)",
                self.assumptions.archive_after
            ),
        );
        let now = self.now;
        self.dynamo.tables[tx.0]
            .milestones
            .archiving_at
            .get_or_insert(now);
        let key = self.dynamo.tables[tx.0].current_kms_key().clone();
        let backup = ArchivalBackup {
            arn: format!(
                "arn:aws:dynamodb:{}:111122223333:table/{}/backup/archival-{}",
                self.dynamo.tables[tx.0].region,
                self.dynamo.tables[tx.0].name,
                self.now.as_millis() / 1000
            ),
            key: key.clone(),
            taken_at: self.now,
        };
        self.emit(
            Some(tx),
            EventKind::ArchivalBackupTaken {
                backup_arn: backup.arn.clone(),
                key,
            },
        );
        // The archival backup is a backup like any other (aws-behaviour.md #45): restorable while the
        // table's last KMS key can be used (aws-behaviour.md #46, 47).
        let snapshot = self.snapshot(tx, super::backup::ARCHIVAL, backup.arn.clone(), true);
        self.dynamo.backups.push(snapshot);
        self.dynamo.tables[tx.0].archival_backup = Some(backup);
        self.schedule(
            self.now + self.assumptions.archive_duration,
            Scheduled::ArchiveComplete { table: tx },
        );
    }

    /// DynamoDB's own check of the table's key, some time after the key changed state.
    pub(super) fn background_check(&mut self, tx: TableIx) {
        if self.dynamo.tables[tx.0].is_archived_or_archiving() {
            return;
        }
        if self.dynamodb_check(tx, Purpose::BackgroundCheck) {
            self.restore_active(
                tx,
                "DynamoDB's background check reached the key again".into(),
            );
        }
        self.resume_stalled_job(tx);
    }

    /// DynamoDB decrypts the current table key as itself: true if that works now. A failure
    /// from the key itself marks the table inaccessible.
    pub(super) fn dynamodb_check(&mut self, tx: TableIx, purpose: Purpose) -> bool {
        let kms_id = self.dynamo.tables[tx.0].current_kms_key().clone();
        match self.service_decrypt(tx, &kms_id, self.dynamo.tables[tx.0].current, purpose) {
            Ok(plain) => {
                drop(plain);
                true
            }
            Err(e) => {
                // A revoked grant makes the table inaccessible as a key failure does.
                if e.code.is_key_failure() || e.code == KmsErrorCode::AccessDeniedException {
                    self.mark_inaccessible(
                        tx,
                        format!("DynamoDB's {purpose} got {} from {kms_id}", e.code),
                    );
                }
                false
            }
        }
    }

    pub(super) fn resume_stalled_job(&mut self, tx: TableIx) {
        if self.dynamo.tables[tx.0]
            .job
            .as_ref()
            .is_some_and(|j| j.stalled.is_some())
        {
            self.job_progress(tx, false);
        }
    }

    /// Decrypt a table key as DynamoDB itself (grant), logging the call.
    pub(super) fn service_decrypt(
        &mut self,
        tx: TableIx,
        kms_id: &KmsKeyId,
        tk: TableKeyId,
        purpose: Purpose,
    ) -> Result<KeyBytes, KmsError> {
        let Some(ix) = self.key_ix(kms_id) else {
            return Err(KmsError {
                code: KmsErrorCode::NotFoundException,
                message: format!("{kms_id} not found"),
            });
        };
        let blob = self.dynamo.tables[tx.0].table_key(tk).wrapped.clone();
        // DynamoDB calls with its grant for this table: revoked, KMS refuses (aws-behaviour.md
        // #41) -- unless the key no longer exists, which KMS answers first (#61).
        let grant = if self.dynamo.tables[tx.0].grant_revoked_on.as_ref() == Some(kms_id)
            && !self.kms.keys[ix].is_deleted()
        {
            Err(KmsError {
                code: KmsErrorCode::AccessDeniedException,
                message: format!(
                    "the grant for table {} on {kms_id} was revoked",
                    self.dynamo.tables[tx.0].name
                ),
            })
        } else {
            Ok(())
        };
        let result = grant
            .and_then(|()| {
                self.kms.keys[ix]
                    .check_crypto(&Caller::Service, self.assumptions.pending_deletion_error)
            })
            .and_then(|()| {
                self.kms.keys[ix]
                    .decrypt(&blob, &table_key_aad(&self.dynamo.tables[tx.0].context, tk))
            });
        self.log_kms(
            KmsCallSpec::new(KmsOp::Decrypt, kms_id, Caller::Service, purpose)
                .table(tx)
                .version(blob.version)
                .failed(result.as_ref().err().map(|e| e.code)),
        );
        result
    }

    /// Something about this KMS key changed: for every table that depends on it, DynamoDB's
    /// background check looks again within `detection` (each table on its own clock).
    pub(super) fn key_changed(&mut self, id: &KmsKeyId) {
        for t in 0..self.dynamo.tables.len() {
            let table = &self.dynamo.tables[t];
            let depends = table.current_kms_key() == id
                || table
                    .job
                    .as_ref()
                    .is_some_and(|j| &j.new_kms == id || &j.old_kms == id);
            if depends && !table.is_archived_or_archiving() {
                self.schedule(
                    self.now + self.assumptions.detection,
                    Scheduled::DetectionCheck { table: TableIx(t) },
                );
            }
        }
    }

    /// RevokeGrant / re-create DynamoDB's grant for table `tx` on its current KMS key (facts
    /// 40, 41, 73, 100): DynamoDB's own calls (background checks, re-wrap, archive) then fail
    /// with AccessDeniedException, and it notices at its next call or check (`detection`);
    /// a principal's reads still decrypt as the principal (aws-behaviour.md #20). Re-created, the table
    /// recovers at DynamoDB's next check.
    pub(super) fn set_grant(
        &mut self,
        tx: TableIx,
        cmd: &crate::engine::Command,
        active: bool,
    ) -> crate::engine::event::RequestResult {
        use crate::engine::vocab::ErrorCode;
        let key = self.dynamo.tables[tx.0].current_kms_key().clone();
        let op = if active {
            KmsOp::CreateGrant
        } else {
            KmsOp::RevokeGrant
        };
        // No grants exist on the AWS owned key (aws-behaviour.md #73), and no customer manages an AWS
        // managed key's grants (aws-behaviour.md #53): only a CMK's grant can be revoked or re-created.
        match self.key(&key).map(|k| k.kind) {
            Some(crate::engine::kms::KeyKind::AwsOwned) => {
                return self.refuse(
                    Some(tx),
                    cmd,
                    ErrorCode::Kms(KmsErrorCode::NotFoundException),
                    Some(KmsErrorCode::NotFoundException),
                    format!(
                        "no grant exists on the AWS owned key for table {}",
                        self.dynamo.tables[tx.0].name
                    ),
                );
            }
            Some(crate::engine::kms::KeyKind::AwsManaged) => {
                return self.refuse(
                    Some(tx),
                    cmd,
                    ErrorCode::AccessDenied,
                    Some(KmsErrorCode::AccessDeniedException),
                    format!(
                        "{key} is an AWS managed key: its grants are managed by AWS, not by you"
                    ),
                );
            }
            _ => {}
        }
        // The key-state table's grant cells (aws-behaviour.md #105): CreateGrant needs an
        // enabled key; RevokeGrant works in every state while the key exists.
        if let Some(ix) = self.key_ix(&key) {
            let key_op = if active {
                KeyOp::CreateGrant
            } else {
                KeyOp::RevokeGrant
            };
            let arn = self.kms.keys[ix].arn();
            if let Err(e) =
                key_rules::transition(self.key_facts(ix), key_op, self.key_rules(), &arn)
            {
                self.log_kms(
                    KmsCallSpec::new(op, &key, Caller::Admin, Purpose::AdminAction)
                        .table(tx)
                        .failed(e.code),
                );
                return self.refuse(
                    Some(tx),
                    cmd,
                    ErrorCode::from_kms(e.code),
                    Some(e.code),
                    e.message,
                );
            }
        }
        let revoked = self.dynamo.tables[tx.0].grant_revoked();
        if !active && revoked {
            self.log_kms(
                KmsCallSpec::new(op, &key, Caller::Admin, Purpose::AdminAction)
                    .table(tx)
                    .failed(KmsErrorCode::NotFoundException),
            );
            return self.refuse(
                Some(tx),
                cmd,
                ErrorCode::Kms(KmsErrorCode::NotFoundException),
                Some(KmsErrorCode::NotFoundException),
                "DynamoDB's grant for this table was already revoked".into(),
            );
        }
        if active && !self.assumptions.grant_recreate {
            return self.refuse(
                Some(tx),
                cmd,
                ErrorCode::AccessDenied,
                None,
                "re-creating DynamoDB's grant is refused here (assumption grant_recreate = refused)".into(),
            );
        }
        self.log_kms(KmsCallSpec::new(op, &key, Caller::Admin, Purpose::AdminGrant).table(tx));
        self.dynamo.tables[tx.0].grant_revoked_on = (!active).then(|| key.clone());
        self.emit(
            Some(tx),
            EventKind::GrantChanged {
                key,
                revoked: !active,
            },
        );
        if !self.dynamo.tables[tx.0].is_archived_or_archiving() {
            self.schedule(
                self.now + self.assumptions.detection,
                Scheduled::DetectionCheck { table: tx },
            );
        }
        crate::engine::event::RequestResult::Ok
    }
}
