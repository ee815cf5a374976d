//! The table's lifecycle: ACTIVE, INACCESSIBLE_ENCRYPTION_CREDENTIALS, ARCHIVING, ARCHIVED;
//! DynamoDB's own KMS calls (background checks, the archive deadline) and the archival backup.

use super::crypto::KeyBytes;
use super::event::{Caller, EventKind};
use super::ids::{KmsKeyId, TableKeyId};
use super::kms::{KmsError, KmsErrorCode};
use super::table::table_key_aad;
use super::table::{ArchivalBackup, TableStatus};
use super::vocab::KmsOp;
use super::{BACKGROUND_CHECK, Engine, Scheduled};

impl Engine {
    pub(super) fn set_status(&mut self, to: TableStatus, reason: String) {
        let from = self.table.status;
        if from != to {
            self.table.status = to;
            self.emit(EventKind::TableStatusChanged { from, to, reason });
        }
    }

    pub(super) fn mark_inaccessible(&mut self, reason: String) {
        if self.table.status != TableStatus::Active {
            return;
        }
        self.set_status(TableStatus::InaccessibleEncryptionCredentials, reason);
        self.table.inaccessible_since = Some(self.now);
        let archive_at = self.now + self.assumptions.archive_after;
        self.table.archive_at = Some(archive_at);
        self.milestones.inaccessible_since.get_or_insert(self.now);
        self.schedule(archive_at, Scheduled::ArchiveStart { since: self.now });
    }

    pub(super) fn restore_active(&mut self, reason: String) {
        if self.table.status == TableStatus::InaccessibleEncryptionCredentials {
            self.set_status(TableStatus::Active, reason);
            self.table.inaccessible_since = None;
            self.table.archive_at = None;
        }
    }

    pub(super) fn start_archive(&mut self) {
        self.log_rewrapped_range();
        if let Some(job) = self.table.job.take() {
            self.emit(EventKind::RewrapAbandoned {
                done: job.done,
                total: job.total,
            });
        }
        self.set_status(
            TableStatus::Archiving,
            format!(
                "inaccessible for {} (InaccessibleEncryptionDateTime + archive_after)",
                self.assumptions.archive_after
            ),
        );
        self.milestones.archiving_at.get_or_insert(self.now);
        let key = self.table.current_kms_key().clone();
        let backup = ArchivalBackup {
            arn: format!(
                "arn:aws:dynamodb:us-east-1:111122223333:table/{}/backup/archival-{}",
                self.table.name,
                self.now.as_millis() / 1000
            ),
            key: key.clone(),
            taken_at: self.now,
        };
        self.emit(EventKind::ArchivalBackupTaken {
            backup_arn: backup.arn.clone(),
            key,
        });
        self.table.archival_backup = Some(backup);
        self.schedule(
            self.now + self.assumptions.archive_duration,
            Scheduled::ArchiveComplete,
        );
    }

    /// DynamoDB's own check of the table's key, some time after the key changed state.
    pub(super) fn background_check(&mut self) {
        if self.table.is_archived_or_archiving() {
            return;
        }
        if self.dynamodb_check(BACKGROUND_CHECK) {
            self.restore_active("DynamoDB's background check reached the key again".into());
        }
        self.resume_stalled_job();
    }

    /// DynamoDB decrypts the current table key as itself: true if that works now. A failure
    /// from the key itself marks the table inaccessible.
    pub(super) fn dynamodb_check(&mut self, purpose: &'static str) -> bool {
        let kms_id = self.table.current_kms_key().clone();
        match self.service_decrypt(&kms_id, self.table.current, purpose) {
            Ok(plain) => {
                drop(plain);
                true
            }
            Err(e) => {
                if e.code.is_key_failure() {
                    self.mark_inaccessible(format!(
                        "DynamoDB's {purpose} got {} from {kms_id}",
                        e.code
                    ));
                }
                false
            }
        }
    }

    pub(super) fn resume_stalled_job(&mut self) {
        if self.table.job.as_ref().is_some_and(|j| j.stalled.is_some()) {
            self.job_progress(false);
        }
    }

    /// Decrypt a table key as DynamoDB itself (grant), logging the call.
    pub(super) fn service_decrypt(
        &mut self,
        kms_id: &KmsKeyId,
        tk: TableKeyId,
        purpose: &'static str,
    ) -> Result<KeyBytes, KmsError> {
        let Some(ix) = self.key_ix(kms_id) else {
            return Err(KmsError {
                code: KmsErrorCode::NotFoundException,
                message: format!("{kms_id} not found"),
            });
        };
        let blob = self.table.table_key(tk).wrapped.clone();
        let result = self.keys[ix]
            .check_crypto(&Caller::Service, self.assumptions.pending_deletion_error)
            .and_then(|()| self.keys[ix].decrypt(&blob, &table_key_aad(&self.context, tk)));
        self.kms_call(
            KmsOp::Decrypt,
            kms_id,
            Caller::Service,
            Some(blob.version),
            result.as_ref().err().map(|e| e.code),
            purpose,
        );
        result
    }

    /// Something about this KMS key changed: if the table depends on it, DynamoDB's
    /// background check looks again within `detection`.
    pub(super) fn key_changed(&mut self, id: &KmsKeyId) {
        let depends = self.table.current_kms_key() == id
            || self
                .table
                .job
                .as_ref()
                .is_some_and(|j| &j.new_kms == id || &j.old_kms == id);
        if depends && !self.table.is_archived_or_archiving() {
            self.schedule(
                self.now + self.assumptions.detection,
                Scheduled::DetectionCheck,
            );
        }
    }
}
