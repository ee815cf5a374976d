//! The key change and its re-wrap job: UpdateTable, a new table key, every DEK unwrapped with
//! the old table key and wrapped with the new one, then the switch (aws-behaviour.md #26-28); stalls when
//! a key it needs is unusable (undocumented), and says so when it can never finish.

use super::crypto::{self};
use super::crypto_batch;
use super::event::{Caller, EventKind, RequestResult};
use super::ids::{DekId, KmsKeyId, TableKeyId};
use super::kms::{KeyState, KmsBlob, KmsErrorCode};
use super::kms_call::KmsCallSpec;
use super::table::TableIx;
use super::table::table_key_aad;
use super::table::{RewrapJob, ServiceKey, SseStatus, Stall, TableKey, dek_aad};
use super::time::SimDuration;
use super::vocab::Purpose;
use super::vocab::{ErrorCode, KmsOp};
use super::{Command, Engine, RANGE_LOG_ABOVE, RANGE_LOG_SIZE, Scheduled};

/// Which service-held key of the re-wrap job.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum JobKey {
    Old,
    New,
}

impl Engine {
    /// UpdateTable with a new SSE key: checked (state, quota, nothing in progress), then a new
    /// table key and the re-wrap job (aws-behaviour.md #25-33).
    pub(super) fn change_table_key(&mut self, tx: TableIx, target: &KmsKeyId) -> RequestResult {
        match self.validate_key_change(tx, target) {
            Ok(tix) => self.start_key_change(tx, tix, target),
            Err(refused) => refused,
        }
    }

    /// UpdateTable refused: the event and what the caller sees.
    fn reject_update(
        &mut self,
        tx: TableIx,
        target: &KmsKeyId,
        error: ErrorCode,
        kms_error: Option<KmsErrorCode>,
        message: String,
    ) -> RequestResult {
        self.emit(
            Some(tx),
            EventKind::TableUpdateRejected {
                to_key: target.clone(),
                error,
                message: message.clone(),
            },
        );
        RequestResult::Error {
            error,
            kms_error,
            message,
        }
    }

    /// Everything that can refuse a key change, in the order DynamoDB checks it; the index of
    /// the target key when the change is accepted.
    fn validate_key_change(
        &mut self,
        tx: TableIx,
        target: &KmsKeyId,
    ) -> Result<usize, RequestResult> {
        let cmd = Command::ChangeTableKey {
            key: target.clone(),
        };
        let reject = |this: &mut Self, error: ErrorCode, message: String| {
            Err(this.reject_update(tx, target, error, None, message))
        };
        if self.dynamo.tables[tx.0].is_archived_or_archiving() {
            return reject(
                self,
                ErrorCode::TableArchived,
                format!("table is {}", self.dynamo.tables[tx.0].status),
            );
        }
        if self.dynamo.tables[tx.0].sse == SseStatus::Updating {
            return reject(
                self,
                ErrorCode::Validation,
                "another key change is in progress (SSEDescription.Status is UPDATING)".into(),
            );
        }
        let Some(tix) = self.key_ix(target) else {
            return Err(self.refuse(
                Some(tx),
                &cmd,
                ErrorCode::Validation,
                None,
                format!("KMS key {target} does not exist"),
            ));
        };
        if !target.is_aws_owned() && self.kms.keys[tix].region != self.dynamo.tables[tx.0].region {
            return reject(
                self,
                ErrorCode::Validation,
                format!(
                    "KMS key {target} is in {}; the table is in {}: a table uses a key of its own region",
                    self.kms.keys[tix].region, self.dynamo.tables[tx.0].region
                ),
            );
        }
        if self.dynamo.tables[tx.0].current_kms_key() == target {
            return reject(
                self,
                ErrorCode::Validation,
                format!("the table is already encrypted with {target}"),
            );
        }
        if !target.is_aws_owned() {
            let state = self.kms.keys[tix].state;
            let deleted = self.kms.keys[tix].is_deleted();
            // DescribeKey works in every state while the key exists (aws-behaviour.md #62); a deleted key
            // is not found (aws-behaviour.md #54, 61).
            self.log_kms(
                KmsCallSpec::new(
                    KmsOp::DescribeKey,
                    target,
                    Caller::Admin,
                    Purpose::ValidateNewKey,
                )
                .table(tx)
                .failed(deleted.then_some(KmsErrorCode::NotFoundException)),
            );
            if deleted {
                return Err(self.reject_update(
                    tx,
                    target,
                    ErrorCode::Validation,
                    Some(KmsErrorCode::NotFoundException),
                    format!("KMS key {target} does not exist (NotFoundException)"),
                ));
            }
            if state != KeyState::Enabled {
                return reject(
                    self,
                    ErrorCode::Validation,
                    format!(
                        "KMS key {target} is {}: DynamoDB cannot use it",
                        state.name()
                    ),
                );
            }
            if let Err(message) = self.dynamo.tables[tx.0]
                .quota
                .check(self.now, self.dynamo.tables[tx.0].created_at)
            {
                return reject(self, ErrorCode::LimitExceeded, message);
            }
        }
        Ok(tix)
    }

    /// The change is accepted: SSE UPDATING, DynamoDB's grant on the new key, the new table
    /// key from GenerateDataKey, and the re-wrap job under way.
    fn start_key_change(&mut self, tx: TableIx, tix: usize, target: &KmsKeyId) -> RequestResult {
        // Accepted.
        self.dynamo.tables[tx.0].quota.changes.push(self.now);
        let from_tk = self.dynamo.tables[tx.0].current;
        let old_kms = self.dynamo.tables[tx.0].current_kms_key().clone();
        let new_tk = TableKeyId(self.dynamo.tables[tx.0].table_keys.len() as u32 + 1);
        self.emit(
            Some(tx),
            EventKind::TableUpdateAccepted {
                from_key: old_kms.clone(),
                to_key: target.clone(),
                new_table_key: new_tk,
            },
        );
        self.dynamo.tables[tx.0].sse = SseStatus::Updating;
        self.emit(
            Some(tx),
            EventKind::SseStatusChanged {
                from: SseStatus::Enabled,
                to: SseStatus::Updating,
            },
        );
        self.log_kms(
            KmsCallSpec::new(
                KmsOp::CreateGrant,
                target,
                Caller::Admin,
                Purpose::GrantOnNewKey,
            )
            .table(tx),
        );
        let (plain, blob) = match self.generate_new_table_key(tx, tix, target, new_tk) {
            Ok(g) => g,
            Err(message) => {
                self.dynamo.tables[tx.0].sse = SseStatus::Enabled;
                return self.reject_update(tx, target, ErrorCode::Validation, None, message);
            }
        };
        self.dynamo.tables[tx.0].table_keys.push(TableKey {
            id: new_tk,
            kms_key: target.clone(),
            wrapped: blob,
            created_at: self.now,
            retired_at: None,
        });
        let total = self.dynamo.tables[tx.0].deks.len() as u32;
        self.dynamo.tables[tx.0].job = Some(RewrapJob {
            from: from_tk,
            to: new_tk,
            old_kms,
            new_kms: target.clone(),
            started_at: self.now,
            done: 0,
            total,
            old_plain: None,
            new_plain: Some(ServiceKey {
                table_key: new_tk,
                cipher: Some(crypto::cipher(&plain)),
                batch: Some(crypto_batch::BatchKey::new(&plain)),
                fetched_at: self.now,
            }),
            stalled: None,
            next_at: None,
            cannot_finish: None,
            logged: 0,
        });
        self.schedule(
            self.now + self.assumptions.cache_refresh,
            Scheduled::ServiceKeyExpiry {
                table: tx,
                table_key: new_tk,
                fetched_at: self.now,
            },
        );
        self.emit(
            Some(tx),
            EventKind::RewrapStarted {
                from: from_tk,
                to: new_tk,
                deks: total,
            },
        );
        self.job_progress(tx, false);
        RequestResult::Ok
    }

    /// GenerateDataKey of the new table key `new_tk` under key `tix` (`target`), logged; the
    /// KMS error's message if KMS refuses.
    fn generate_new_table_key(
        &mut self,
        tx: TableIx,
        tix: usize,
        target: &KmsKeyId,
        new_tk: TableKeyId,
    ) -> Result<(crypto::KeyBytes, KmsBlob), String> {
        let generated = self.kms.keys[tix].generate_data_key(
            &mut self.rng,
            &table_key_aad(&self.dynamo.tables[tx.0].context, new_tk),
        );
        let version = self.kms.keys[tix].current_version();
        let call = KmsCallSpec::new(
            KmsOp::GenerateDataKey,
            target,
            Caller::Service,
            Purpose::NewTableKey,
        )
        .table(tx)
        .version(version);
        match generated {
            Ok(g) => {
                self.log_kms(call);
                Ok(g)
            }
            Err(e) => {
                self.log_kms(call.failed(e.code));
                Err(e.message)
            }
        }
    }

    /// Make sure the job holds a fresh plaintext of one of its table keys; fetch it if not.
    pub(super) fn job_key(
        &mut self,
        tx: TableIx,
        which: JobKey,
    ) -> Result<(), (KmsKeyId, KmsErrorCode)> {
        let refresh = self.assumptions.cache_refresh;
        let now = self.now;
        let Some(job) = self.dynamo.tables[tx.0].job.as_ref() else {
            return Ok(());
        };
        let (slot, tk, kms_id, purpose) = match which {
            JobKey::Old => (
                &job.old_plain,
                job.from,
                job.old_kms.clone(),
                Purpose::RewrapUnwrap,
            ),
            JobKey::New => (
                &job.new_plain,
                job.to,
                job.new_kms.clone(),
                Purpose::RewrapWrap,
            ),
        };
        if slot.as_ref().is_some_and(|k| k.fetched_at + refresh > now) {
            return Ok(());
        }
        match self.service_decrypt(tx, &kms_id, tk, purpose) {
            Ok(bytes) => {
                if let Some(job) = self.dynamo.tables[tx.0].job.as_mut() {
                    let held = Some(ServiceKey {
                        table_key: tk,
                        cipher: Some(crypto::cipher(&bytes)),
                        batch: Some(crypto_batch::BatchKey::new(&bytes)),
                        fetched_at: now,
                    });
                    match which {
                        JobKey::Old => job.old_plain = held,
                        JobKey::New => job.new_plain = held,
                    }
                }
                self.schedule(
                    now + refresh,
                    Scheduled::ServiceKeyExpiry {
                        table: tx,
                        table_key: tk,
                        fetched_at: now,
                    },
                );
                Ok(())
            }
            Err(e) => Err((kms_id, e.code)),
        }
    }

    /// Advance the job: refresh its keys if needed, re-wrap one DEK if `rewrap_one`, and
    /// schedule the next step, or stall if a key it needs is unusable.
    pub(super) fn job_progress(&mut self, tx: TableIx, rewrap_one: bool) {
        let mut rewrap_one = rewrap_one;
        loop {
            for which in [JobKey::Old, JobKey::New] {
                if let Err((key, code)) = self.job_key(tx, which) {
                    self.stall_job(tx, &key, code);
                    return;
                }
            }
            let Some(job) = self.dynamo.tables[tx.0].job.as_mut() else {
                return;
            };
            if let Some(stall) = job.stalled.take() {
                let (done, total) = (job.done, job.total);
                let _ = stall;
                self.emit(Some(tx), EventKind::RewrapResumed { done, total });
            }
            if rewrap_one {
                // All at one instant (`rewrap_per_dek = 0s`): runs of DEKs through the batch
                // core; otherwise one DEK a step.
                let run = if self.assumptions.rewrap_per_dek == SimDuration::ZERO {
                    crypto_batch::BATCH as u32
                } else {
                    1
                };
                self.rewrap_next_run(tx, run);
            }
            let Some(job) = self.dynamo.tables[tx.0].job.as_mut() else {
                return;
            };
            if job.done >= job.total {
                self.complete_job(tx);
                return;
            }
            let per = self.assumptions.rewrap_per_dek;
            if per == SimDuration::ZERO {
                rewrap_one = true;
                continue;
            }
            let next = self.now + per;
            job.next_at = Some(next);
            self.schedule(next, Scheduled::RewrapStep { table: tx });
            return;
        }
    }

    pub(super) fn stall_job(&mut self, tx: TableIx, key: &KmsKeyId, code: KmsErrorCode) {
        self.log_rewrapped_range(tx);
        let now = self.now;
        let Some(job) = self.dynamo.tables[tx.0].job.as_mut() else {
            return;
        };
        job.next_at = None;
        let first = job.stalled.is_none();
        if first {
            job.stalled = Some(Stall {
                since: now,
                key: key.clone(),
                kms_error: code,
            });
        }
        let (done, total, old_kms) = (job.done, job.total, job.old_kms.clone());
        if first {
            self.emit(
                Some(tx),
                EventKind::RewrapStalled {
                    key: key.clone(),
                    kms_error: code,
                    done,
                    total,
                },
            );
        }
        // A key failure on the old key, or DynamoDB's revoked grant on it, makes the table
        // inaccessible (its own call failed).
        let grant_revoked = self.dynamo.tables[tx.0].grant_revoked_on.as_ref() == Some(key);
        if *key == old_kms && (code.is_key_failure() || grant_revoked) {
            self.mark_inaccessible(
                tx,
                format!("the re-wrap job could not decrypt the old table key: {key} gave {code}"),
            );
        }
    }

    /// Re-wrap the next run of at most `max` DEKs (never across a range-log boundary, so the
    /// log reads as one DEK at a time would make it), through the batch core; each DEK's event
    /// as before. A DEK whose stored bytes fail their tag stalls the job there.
    pub(super) fn rewrap_next_run(&mut self, tx: TableIx, max: u32) {
        let rng = &mut self.rng;
        let table = &mut self.dynamo.tables[tx.0];
        let Some(job) = table.job.as_mut() else {
            return;
        };
        let (Some(old), Some(new)) = (job.old_plain.as_ref(), job.new_plain.as_ref()) else {
            return;
        };
        let (Some(from_k), Some(to_k)) = (&old.batch, &new.batch) else {
            return;
        };
        let start = job.done;
        let mut n = (job.total - job.done).min(max.max(1));
        if job.total > RANGE_LOG_ABOVE {
            n = n.min(
                (job.logged + RANGE_LOG_SIZE)
                    .saturating_sub(job.done)
                    .max(1),
            );
        }
        let (from, to) = (job.from, job.to);
        let range = start as usize..(start + n) as usize;
        // The run's AADs side by side in one buffer (old, new, old, new, ...), all of one
        // length: the table's id, the table key and the DEK.
        let len = dek_aad(&table.table_id, from, DekId(0)).as_bytes().len();
        let mut aads = Vec::with_capacity(2 * len * n as usize);
        for d in &table.deks[range.clone()] {
            super::binding::push_dek_aad(&mut aads, &table.table_id, from, d.id);
            super::binding::push_dek_aad(&mut aads, &table.table_id, to, d.id);
        }
        let run: Vec<crypto_batch::Wrapped<'_>> = table.deks[range.clone()]
            .iter()
            .zip(aads.chunks_exact(2 * len))
            .map(|(d, pair)| crypto_batch::Wrapped {
                sealed: &d.wrapped,
                from_aad: &pair[..len],
                to_aad: &pair[len..],
            })
            .collect();
        let mut out = Vec::with_capacity(n as usize);
        let result = crypto_batch::rewrap_run(from_k, to_k, &run, rng, &mut out);
        drop(run);
        let per_dek_events = job.total <= RANGE_LOG_ABOVE;
        let mut events = Vec::new();
        for (dek, sealed) in table.deks[range].iter_mut().zip(out) {
            if per_dek_events {
                job.logged = job.done + 1;
                events.push(EventKind::DekRewrapped {
                    dek: dek.id,
                    from,
                    to,
                    done: job.done + 1,
                    total: job.total,
                    before: dek.wrapped.fingerprint(),
                    after: sealed.fingerprint(),
                });
            }
            dek.staged = Some(sealed);
            job.done += 1;
        }
        let (done, logged, old_kms) = (job.done, job.logged, job.old_kms.clone());
        for e in events {
            self.emit(Some(tx), e);
        }
        if !per_dek_events && done - logged >= RANGE_LOG_SIZE {
            self.log_rewrapped_range(tx);
        }
        if result.is_err() {
            // Unreachable unless stored bytes were corrupted; stall rather than panic.
            self.stall_job(tx, &old_kms, KmsErrorCode::InvalidCiphertextException);
        }
    }

    /// Large re-wraps log their DEKs as ranges: one line for the DEKs re-wrapped since the
    /// last one, stamped with the time of the last DEK in it.
    pub(super) fn log_rewrapped_range(&mut self, tx: TableIx) {
        let Some(job) = self.dynamo.tables[tx.0].job.as_mut() else {
            return;
        };
        if job.logged >= job.done {
            return;
        }
        let event = EventKind::DeksRewrapped {
            first: DekId(job.logged),
            last: DekId(job.done - 1),
            from: job.from,
            to: job.to,
            done: job.done,
            total: job.total,
        };
        job.logged = job.done;
        self.emit(Some(tx), event);
    }

    pub(super) fn complete_job(&mut self, tx: TableIx) {
        self.log_rewrapped_range(tx);
        let Some(job) = self.dynamo.tables[tx.0].job.take() else {
            return;
        };
        for dek in &mut self.dynamo.tables[tx.0].deks {
            if let Some(s) = dek.staged.take() {
                dek.wrapped = s;
                dek.under = job.to;
            }
        }
        self.dynamo.tables[tx.0].current = job.to;
        self.dynamo.tables[tx.0].table_key_mut(job.from).retired_at = Some(self.now);
        self.dynamo.tables[tx.0].sse = SseStatus::Enabled;
        self.emit(
            Some(tx),
            EventKind::TableKeySwitched {
                from: job.from,
                to: job.to,
                key: job.new_kms.clone(),
            },
        );
        self.emit(
            Some(tx),
            EventKind::SseStatusChanged {
                from: SseStatus::Updating,
                to: SseStatus::Enabled,
            },
        );
        self.emit(
            Some(tx),
            EventKind::TableKeyRetired {
                table_key: job.from,
                key: job.old_kms.clone(),
            },
        );
        // `job` drops here: the service-held plaintexts of both table keys are zeroized.
    }
}
