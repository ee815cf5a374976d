//! The KMS key lifecycle as the account administrator drives it: disable, enable, schedule and
//! cancel deletion, rotate (automatic and on demand), key-policy permissions, deletion when the
//! waiting period ends, and changes spreading through KMS (assumption `propagation`).

use super::event::{Caller, EventKind, RequestResult};
use super::ids::{KmsKeyId, PrincipalId};
use super::key_rules::{self, Effect, KeyOp};
use super::kms::{KeyKind, KeyState, KmsError, KmsErrorCode};
use super::kms_call::KmsCallSpec;
use super::table::TableIx;
use super::time::SimDuration;
use super::vocab::ErrorCode;
use super::vocab::Purpose;
use super::{BTreeSet, Command, Engine, Scheduled};

impl Engine {
    pub(super) fn rotate_automatically(&mut self, key: usize) {
        let now = self.now;
        let version = self.kms.keys[key].rotate(now, &mut self.rng);
        let id = self.kms.keys[key].id.clone();
        self.emit(
            None,
            EventKind::KeyRotated {
                key: id,
                version,
                on_demand: false,
            },
        );
        if let Some(r) = self.kms.keys[key].rotation.as_mut() {
            r.next_at = now + SimDuration::from_days(u64::from(r.period_days));
            let due = r.next_at;
            self.schedule(due, Scheduled::Rotation { key, due });
        }
    }

    pub(super) fn delete_key(&mut self, key: usize) {
        let from = self.kms.keys[key].state;
        let versions = self.kms.keys[key].destroy_material(self.now);
        let id = self.kms.keys[key].id.clone();
        self.emit(
            None,
            EventKind::KeyStateChanged {
                key: id.clone(),
                from,
                to: self.kms.keys[key].state,
            },
        );
        self.emit(
            None,
            EventKind::KeyMaterialDestroyed {
                key: id.clone(),
                versions,
            },
        );
        self.kms.keys_deleted.push((id.clone(), self.now));
        // Every table whose current table key this key wrapped has lost its data now: each
        // says so (the milestone is the first table's, like the others).
        for t in 0..self.dynamo.tables.len() {
            if self.dynamo.tables[t].current_kms_key() != &id {
                continue;
            }
            let now = self.now;
            self.dynamo.tables[t]
                .milestones
                .unrecoverable_from
                .get_or_insert(now);
            self.emit(
                Some(TableIx(t)),
                EventKind::DataUnrecoverable { key: id.clone() },
            );
        }
        for t in 0..self.dynamo.tables.len() {
            if let Some(job) = self.dynamo.tables[t].job.as_mut()
                && (job.new_kms == id || job.old_kms == id)
                && job.cannot_finish.is_none()
            {
                job.cannot_finish = Some(id.clone());
                let (done, total) = (job.done, job.total);
                let new_key = job.new_kms == id;
                self.emit(
                    Some(TableIx(t)),
                    EventKind::RewrapCannotFinish {
                        key: id.clone(),
                        new_key,
                        done,
                        total,
                    },
                );
            }
        }
        self.key_changed(&id);
    }

    /// A command naming a key that was never declared: NotFoundException.
    fn refuse_unknown_key(&mut self, cmd: &Command, key: &KmsKeyId) -> RequestResult {
        self.refuse(
            None,
            cmd,
            ErrorCode::Kms(KmsErrorCode::NotFoundException),
            Some(KmsErrorCode::NotFoundException),
            format!("KMS key {key} does not exist"),
        )
    }

    /// An administrative action on key `key` (`valid`: how long imported material stays valid).
    pub(super) fn admin(
        &mut self,
        cmd: &Command,
        key: &KmsKeyId,
        op: KeyOp,
        valid: Option<SimDuration>,
    ) -> RequestResult {
        let Some(ix) = self.key_ix(key) else {
            return self.refuse_unknown_key(cmd, key);
        };
        let kind = self.kms.keys[ix].kind;
        if kind == KeyKind::AwsOwned {
            return self.refuse(
                None,
                cmd,
                ErrorCode::Validation,
                None,
                "the AWS owned key lives in a DynamoDB service account: no user can manage it"
                    .into(),
            );
        }
        let event_name = op.kms_op();
        if kind == KeyKind::AwsManaged {
            self.log_kms(
                KmsCallSpec::new(event_name, key, Caller::Admin, Purpose::AdminAction)
                    .failed(KmsErrorCode::AccessDeniedException),
            );
            return self.refuse(
                None,
                cmd,
                ErrorCode::AccessDenied,
                Some(KmsErrorCode::AccessDeniedException),
                format!(
                    "{key} is an AWS managed key: AWS manages its state, rotation and deletion"
                ),
            );
        }
        let from = self.kms.keys[ix].state;
        match self.admin_outcome(ix, op) {
            Err(e) => {
                self.log_kms(
                    KmsCallSpec::new(event_name, key, Caller::Admin, Purpose::AdminAction)
                        .failed(e.code),
                );
                RequestResult::Error {
                    error: ErrorCode::from_kms(e.code),
                    kms_error: Some(e.code),
                    message: e.message,
                }
            }
            Ok(outcome) => {
                self.log_kms(KmsCallSpec::new(
                    event_name,
                    key,
                    Caller::Admin,
                    Purpose::AdminAction,
                ));
                match (outcome.effect, op) {
                    (Effect::RemoveMaterial, _) => self.remove_imported_material(ix, false),
                    (Effect::ImportMaterial, _) => {
                        self.import_material(ix, valid);
                    }
                    (Effect::StageNewMaterial, _) => {
                        self.stage_new_material(ix, valid);
                    }
                    (Effect::Rotate, _) => self.rotate_on_demand(ix),
                    _ => self.change_key_state(ix, from, outcome.state),
                }
                RequestResult::Ok
            }
        }
    }

    /// What an admin operation does to key `ix` in its current state: the KMS key-state
    /// table (`key_rules::transition`, aws-behaviour.md #55-62, 99, 103-105).
    fn admin_outcome(&self, ix: usize, op: KeyOp) -> Result<key_rules::Outcome, KmsError> {
        key_rules::transition(
            self.key_facts(ix),
            op,
            self.key_rules(),
            &self.kms.keys[ix].arn(),
        )
    }

    /// Key `ix` as the key-state table sees it.
    pub(super) fn key_facts(&self, ix: usize) -> key_rules::KeyFacts {
        let k = &self.kms.keys[ix];
        key_rules::KeyFacts {
            state: k.state,
            origin: match k.imported {
                None => key_rules::Origin::AwsKms,
                Some(m) => key_rules::Origin::External {
                    present: m.present,
                    new_pending: m.new_material.is_some(),
                },
            },
            on_demand_rotations: k.on_demand_rotations,
        }
    }

    /// The clock and assumptions the key-state table depends on.
    pub(super) fn key_rules(&self) -> key_rules::Rules {
        key_rules::Rules {
            now: self.now,
            deletion_delay: self.assumptions.deletion_delay,
            rotation_limit: self.assumptions.on_demand_rotation_limit,
            pending_deletion_error: self.assumptions.pending_deletion_error,
        }
    }

    /// Imported material leaves KMS at once (DeleteImportedKeyMaterial, or its expiry): the
    /// key goes to PendingImport (a key pending deletion stays so, now without material).
    pub(super) fn remove_imported_material(&mut self, ix: usize, expired: bool) {
        let Some(m) = self.kms.keys[ix].imported.as_mut() else {
            return;
        };
        m.present = false;
        m.generation += 1;
        let key = self.kms.keys[ix].id.clone();
        let from = self.kms.keys[ix].state;
        self.emit(
            None,
            EventKind::ImportedMaterialRemoved {
                key,
                expired,
                pending_deletion: matches!(from, KeyState::PendingDeletion { .. }),
            },
        );
        if matches!(from, KeyState::Enabled | KeyState::Disabled) {
            self.change_key_state(ix, from, KeyState::PendingImport);
        }
    }

    /// ImportKeyMaterial of the same material: valid for `valid` from now (`None`: never
    /// expires); a key pending import is Enabled again.
    fn import_material(&mut self, ix: usize, valid: Option<SimDuration>) {
        let now = self.now;
        let Some(m) = self.kms.keys[ix].imported.as_mut() else {
            return;
        };
        m.present = true;
        m.generation += 1;
        m.expires_at = valid.map(|v| now + v);
        let (generation, expires_at) = (m.generation, m.expires_at);
        let key = self.kms.keys[ix].id.clone();
        self.emit(None, EventKind::KeyMaterialImported { key, expires_at });
        if let Some(at) = expires_at {
            self.schedule(
                at,
                Scheduled::MaterialExpiry {
                    key: ix,
                    generation,
                },
            );
        }
        let from = self.kms.keys[ix].state;
        if from == KeyState::PendingImport {
            self.change_key_state(ix, from, KeyState::Enabled);
        }
    }

    /// ImportKeyMaterial of new material (aws-behaviour.md #104): it waits, PENDING_ROTATION,
    /// until RotateKeyOnDemand makes it current; nothing changes for the key's callers now.
    fn stage_new_material(&mut self, ix: usize, valid: Option<SimDuration>) {
        let now = self.now;
        let Some(m) = self.kms.keys[ix].imported.as_mut() else {
            return;
        };
        let expires_at = valid.map(|v| now + v);
        m.new_material = Some(expires_at);
        let key = self.kms.keys[ix].id.clone();
        self.emit(None, EventKind::NewKeyMaterialImported { key, expires_at });
    }

    /// Key `ix` goes from `from` to `to`: the event, a deletion date, an overdue rotation on
    /// re-enable (aws-behaviour.md #68), and DynamoDB noticing (now, or once the change has spread).
    fn change_key_state(&mut self, ix: usize, from: KeyState, to: KeyState) {
        let key = self.kms.keys[ix].id.clone();
        let spreads = to != from && self.hold_view(ix);
        self.kms.keys[ix].state = to;
        if to != from {
            self.emit(
                None,
                EventKind::KeyStateChanged {
                    key: key.clone(),
                    from,
                    to,
                },
            );
        }
        if let KeyState::PendingDeletion { deletion_at } = to {
            self.schedule(deletion_at, Scheduled::KeyDeletion { key: ix });
        }
        if to == KeyState::Enabled
            && from != KeyState::Enabled
            && self.kms.keys[ix]
                .rotation
                .is_some_and(|r| r.next_at <= self.now)
        {
            // Overdue rotation runs at once on re-enable (aws-behaviour.md #68).
            self.rotate_automatically(ix);
        }
        if spreads {
            self.queue_view(ix);
        } else if to != from {
            self.key_changed(&key);
        }
    }

    /// RotateKeyOnDemand: a new material version; nothing re-encrypted (aws-behaviour.md #65, 66, 69).
    fn rotate_on_demand(&mut self, ix: usize) {
        let version = self.kms.keys[ix].rotate(self.now, &mut self.rng);
        self.kms.keys[ix].on_demand_rotations += 1;
        // Imported material waiting (aws-behaviour.md #104) becomes current; the key is
        // unusable once any of its materials expires, so the earlier expiry holds.
        if let Some(m) = self.kms.keys[ix].imported.as_mut()
            && let Some(expires) = m.new_material.take()
        {
            let earliest = match (m.expires_at, expires) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            if earliest != m.expires_at {
                m.expires_at = earliest;
                m.generation += 1;
                if let Some(at) = earliest {
                    let generation = m.generation;
                    self.schedule(
                        at,
                        Scheduled::MaterialExpiry {
                            key: ix,
                            generation,
                        },
                    );
                }
            }
        }
        self.emit(
            None,
            EventKind::KeyRotated {
                key: self.kms.keys[ix].id.clone(),
                version,
                on_demand: true,
            },
        );
    }

    pub(super) fn set_permission(
        &mut self,
        cmd: &Command,
        key: &KmsKeyId,
        principal: &PrincipalId,
        allowed: bool,
    ) -> RequestResult {
        let Some(ix) = self.key_ix(key) else {
            return self.refuse_unknown_key(cmd, key);
        };
        if self.kms.keys[ix].kind == KeyKind::AwsOwned {
            return self.refuse(
                None,
                cmd,
                ErrorCode::Validation,
                None,
                "the AWS owned key has no policy you can change".into(),
            );
        }
        if self.kms.keys[ix].is_deleted() {
            let arn = self.kms.keys[ix].arn();
            return self.refuse(
                None,
                cmd,
                ErrorCode::Kms(KmsErrorCode::NotFoundException),
                Some(KmsErrorCode::NotFoundException),
                format!("Key '{arn}' does not exist"),
            );
        }
        let everyone: BTreeSet<PrincipalId> =
            self.kms.principals.iter().map(|p| p.id.clone()).collect();
        let spreads = self.hold_view(ix);
        let k = &mut self.kms.keys[ix];
        let set = k.allow.get_or_insert_with(|| everyone.clone());
        if allowed {
            set.insert(principal.clone());
        } else {
            set.remove(principal);
        }
        if everyone.is_subset(set) && set.len() == everyone.len() {
            k.allow = None;
        }
        self.emit(
            None,
            EventKind::PermissionChanged {
                key: key.clone(),
                principal: principal.clone(),
                allowed,
            },
        );
        if spreads {
            self.queue_view(ix);
        }
        RequestResult::Ok
    }

    /// With a non-zero `propagation`, keep cryptographic calls on the key's current state
    /// and permissions while a change spreads. Returns true if the change will spread.
    pub(super) fn hold_view(&mut self, ix: usize) -> bool {
        if self.assumptions.propagation == SimDuration::ZERO {
            return false;
        }
        self.kms.keys[ix].hold_view();
        true
    }

    /// The change just made to key `ix` reaches DynamoDB's calls after `propagation`.
    pub(super) fn queue_view(&mut self, ix: usize) {
        self.kms.key_changes += 1;
        let change = self.kms.key_changes;
        self.kms.keys[ix].queue_view(change);
        self.schedule(
            self.now + self.assumptions.propagation,
            Scheduled::Propagated { key: ix, change },
        );
    }

    pub(super) fn refuse(
        &mut self,
        tx: Option<TableIx>,
        cmd: &Command,
        error: ErrorCode,
        kms_error: Option<KmsErrorCode>,
        message: String,
    ) -> RequestResult {
        self.emit(
            tx,
            EventKind::ActionRefused {
                action: cmd.describe(),
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
}
