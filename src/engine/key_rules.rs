//! The KMS key-state table as one pure function: what an administrative or grant operation does
//! to a customer managed key in each state (aws-behaviour.md #55-62, 69, 98-99, 103-105).
//!
//! `transition` knows nothing of the engine: it takes the key's state and the few facts the
//! table depends on (its origin, whether it holds imported material, new material waiting to be
//! rotated in, its on-demand rotations so far) and answers with the state the key ends in and
//! what else the operation does, or the KMS error. The engine applies the answer; the tests
//! below walk the whole table.

use super::kms_state::{KeyState, KmsError, KmsErrorCode, PendingDeletionError};
use super::time::{SimDuration, SimTime};

/// An operation on a KMS key that the key-state table decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyOp {
    Disable,
    Enable,
    /// ScheduleKeyDeletion with a waiting period in days (7..=30).
    ScheduleDeletion(u32),
    CancelDeletion,
    /// RotateKeyOnDemand.
    Rotate,
    /// DeleteImportedKeyMaterial (aws-behaviour.md #99, 105).
    DeleteImportedMaterial,
    /// ImportKeyMaterial: the same material again (`new_material = false`), or new material
    /// that waits to be rotated in on demand (aws-behaviour.md #104).
    ImportMaterial {
        new_material: bool,
    },
    /// CreateGrant (DynamoDB's grant re-created, aws-behaviour.md #105).
    CreateGrant,
    /// RevokeGrant (aws-behaviour.md #62, 105).
    RevokeGrant,
}

impl KeyOp {
    /// The KMS API operation, as CloudTrail names it.
    pub fn kms_op(self) -> super::vocab::KmsOp {
        use super::vocab::KmsOp;
        match self {
            KeyOp::Disable => KmsOp::DisableKey,
            KeyOp::Enable => KmsOp::EnableKey,
            KeyOp::ScheduleDeletion(_) => KmsOp::ScheduleKeyDeletion,
            KeyOp::CancelDeletion => KmsOp::CancelKeyDeletion,
            KeyOp::Rotate => KmsOp::RotateKeyOnDemand,
            KeyOp::DeleteImportedMaterial => KmsOp::DeleteImportedKeyMaterial,
            KeyOp::ImportMaterial { .. } => KmsOp::ImportKeyMaterial,
            KeyOp::CreateGrant => KmsOp::CreateGrant,
            KeyOp::RevokeGrant => KmsOp::RevokeGrant,
        }
    }
}

/// Where a key's material comes from, as far as the key-state table cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Material KMS generated (origin AWS_KMS).
    AwsKms,
    /// Imported material (origin EXTERNAL): whether KMS holds it now, and whether new material
    /// was imported and waits to be rotated in (PENDING_ROTATION).
    External { present: bool, new_pending: bool },
}

/// The key as the table sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyFacts {
    pub state: KeyState,
    pub origin: Origin,
    pub on_demand_rotations: u32,
}

/// The settings the table depends on: the clock and the assumptions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rules {
    pub now: SimTime,
    /// KMS may delete up to a day after the date it gives (assumption `deletion_delay`).
    pub deletion_delay: SimDuration,
    /// On-demand rotations allowed per key (assumption `on_demand_rotation_limit`, 25).
    pub rotation_limit: u32,
    /// What a key pending deletion answers (assumption `pending_deletion_error`).
    pub pending_deletion_error: PendingDeletionError,
}

/// What else an accepted operation does, besides leaving the key in `Outcome::state`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Only the state (possibly unchanged).
    None,
    /// A new material version becomes current (on-demand rotation).
    Rotate,
    /// The imported material leaves KMS at once.
    RemoveMaterial,
    /// The same imported material is back (or its validity renewed).
    ImportMaterial,
    /// New imported material waits to be rotated in (PENDING_ROTATION).
    StageNewMaterial,
    /// The grant is created or revoked.
    Grant,
}

/// An accepted operation: the state the key ends in and what else happens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub state: KeyState,
    pub effect: Effect,
}

/// What `op` does to a key described by `key`, whose ARN is `arn`, under `rules`.
pub fn transition(key: KeyFacts, op: KeyOp, rules: Rules, arn: &str) -> Result<Outcome, KmsError> {
    let err = |code, message: String| Err(KmsError { code, message });
    let keep = |effect| {
        Ok(Outcome {
            state: key.state,
            effect,
        })
    };
    let to = |state| {
        Ok(Outcome {
            state,
            effect: Effect::None,
        })
    };
    let external = match key.origin {
        Origin::AwsKms => None,
        Origin::External {
            present,
            new_pending,
        } => Some((present, new_pending)),
    };
    let pending_deletion = |what: &str| {
        err(
            KmsErrorCode::KmsInvalidStateException,
            format!("{arn} is pending deletion{what}."),
        )
    };
    // A deleted key answers nothing but NotFoundException (aws-behaviour.md #54, 61).
    if let KeyState::Deleted { .. } = key.state {
        return err(
            KmsErrorCode::NotFoundException,
            format!("Key '{arn}' does not exist"),
        );
    }
    match op {
        KeyOp::RevokeGrant => keep(Effect::Grant),
        KeyOp::CreateGrant => create_grant(key.state, rules, arn),
        KeyOp::Rotate => rotate(key, external, rules, arn),
        KeyOp::DeleteImportedMaterial | KeyOp::ImportMaterial { .. } => {
            material(key.state, external, op, arn)
        }
        KeyOp::CancelDeletion => match key.state {
            // Lands in Disabled (aws-behaviour.md #58), or PendingImport without its material
            // (aws-behaviour.md #55).
            KeyState::PendingDeletion { .. } => to(match external {
                Some((false, _)) => KeyState::PendingImport,
                _ => KeyState::Disabled,
            }),
            _ => err(
                KmsErrorCode::KmsInvalidStateException,
                format!("{arn} is not pending deletion."),
            ),
        },
        KeyOp::Disable | KeyOp::Enable | KeyOp::ScheduleDeletion(_) => match (op, key.state) {
            (_, KeyState::PendingDeletion { .. }) => pending_deletion(""),
            (KeyOp::Disable | KeyOp::Enable, KeyState::PendingImport) => err(
                KmsErrorCode::KmsInvalidStateException,
                format!("{arn} is pending import."),
            ),
            (KeyOp::Disable, _) => to(KeyState::Disabled),
            (KeyOp::Enable, _) => to(KeyState::Enabled),
            (KeyOp::ScheduleDeletion(days), _) if (7..=30).contains(&days) => {
                to(KeyState::PendingDeletion {
                    deletion_at: rules.now
                        + SimDuration::from_days(u64::from(days))
                        + rules.deletion_delay,
                })
            }
            (KeyOp::ScheduleDeletion(days), _) => err(
                KmsErrorCode::KmsInvalidStateException,
                format!("PendingWindowInDays must be 7..=30, got {days}"),
            ),
            _ => unreachable!("only the three operations of this arm"),
        },
    }
}

/// CreateGrant: only an enabled key takes a new grant (aws-behaviour.md #105).
fn create_grant(state: KeyState, rules: Rules, arn: &str) -> Result<Outcome, KmsError> {
    let err = |code, message: String| Err(KmsError { code, message });
    match state {
        KeyState::Enabled => Ok(Outcome {
            state,
            effect: Effect::Grant,
        }),
        KeyState::Disabled => err(
            KmsErrorCode::DisabledException,
            format!("{arn} is disabled."),
        ),
        KeyState::PendingDeletion { .. } => err(
            match rules.pending_deletion_error {
                PendingDeletionError::DisabledException => KmsErrorCode::DisabledException,
                PendingDeletionError::KmsInvalidStateException => {
                    KmsErrorCode::KmsInvalidStateException
                }
            },
            format!("{arn} is pending deletion."),
        ),
        KeyState::PendingImport => err(
            KmsErrorCode::KmsInvalidStateException,
            format!("{arn} is pending import."),
        ),
        KeyState::Deleted { .. } => unreachable!("answered above"),
    }
}

/// DeleteImportedKeyMaterial and ImportKeyMaterial (aws-behaviour.md #98, 99, 104, 105).
fn material(
    state: KeyState,
    external: Option<(bool, bool)>,
    op: KeyOp,
    arn: &str,
) -> Result<Outcome, KmsError> {
    let err = |code, message: String| Err(KmsError { code, message });
    let keep = |effect| Ok(Outcome { state, effect });
    let unsupported = || {
        err(
            KmsErrorCode::UnsupportedOperationException,
            format!("{arn} does not have imported key material (origin AWS_KMS)."),
        )
    };
    match op {
        KeyOp::DeleteImportedMaterial => match (external, state) {
            (None, _) => unsupported(),
            // Nothing to delete: succeeds with no effect (aws-behaviour.md #105).
            (Some(_), KeyState::PendingImport) => keep(Effect::None),
            // The material goes; the key stays pending deletion (aws-behaviour.md #105).
            (Some(_), KeyState::PendingDeletion { .. }) => keep(Effect::RemoveMaterial),
            (Some(_), _) => Ok(Outcome {
                state: KeyState::PendingImport,
                effect: Effect::RemoveMaterial,
            }),
        },
        KeyOp::ImportMaterial { new_material } => match (external, state) {
            (None, _) => unsupported(),
            (Some(_), KeyState::PendingDeletion { .. }) => err(
                KmsErrorCode::KmsInvalidStateException,
                format!("{arn} is pending deletion."),
            ),
            (Some(_), KeyState::PendingImport) if new_material => err(
                KmsErrorCode::KmsInvalidStateException,
                format!("{arn} is pending import: import its current material first."),
            ),
            (Some(_), KeyState::PendingImport) => Ok(Outcome {
                state: KeyState::Enabled,
                effect: Effect::ImportMaterial,
            }),
            (Some(_), _) if new_material => keep(Effect::StageNewMaterial),
            (Some(_), _) => keep(Effect::ImportMaterial),
        },
        _ => unreachable!("only the two material operations"),
    }
}

/// RotateKeyOnDemand (aws-behaviour.md #65, 66, 67, 103, 104).
fn rotate(
    key: KeyFacts,
    external: Option<(bool, bool)>,
    rules: Rules,
    arn: &str,
) -> Result<Outcome, KmsError> {
    let err = |code, message: String| Err(KmsError { code, message });
    match key.state {
        // The key-state rule first: rotating needs the material (the contract's precise rule).
        KeyState::PendingImport => {
            return err(
                KmsErrorCode::KmsInvalidStateException,
                format!("{arn} is pending import: it has no key material to rotate."),
            );
        }
        _ if matches!(external, Some((_, false))) => {
            // Imported material rotates on demand only once new material waits
            // (aws-behaviour.md #104); never automatically (#67).
            return err(
                KmsErrorCode::UnsupportedOperationException,
                format!(
                    "{arn} has imported key material: import new material \
                     (new_material = true) before rotating it on demand."
                ),
            );
        }
        KeyState::PendingDeletion { .. } => {
            return err(
                KmsErrorCode::KmsInvalidStateException,
                format!("{arn} is pending deletion."),
            );
        }
        KeyState::Disabled => {
            return err(
                KmsErrorCode::DisabledException,
                format!("{arn} is disabled."),
            );
        }
        _ => {}
    }
    if key.on_demand_rotations >= rules.rotation_limit {
        return err(
            KmsErrorCode::LimitExceededException,
            format!(
                "{arn} reached the limit of {} on-demand rotations",
                rules.rotation_limit
            ),
        );
    }
    Ok(Outcome {
        state: key.state,
        effect: Effect::Rotate,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:kms:us-east-1:111122223333:key/k";

    fn rules() -> Rules {
        Rules {
            now: SimTime::ZERO,
            deletion_delay: SimDuration::ZERO,
            rotation_limit: 25,
            pending_deletion_error: PendingDeletionError::KmsInvalidStateException,
        }
    }

    const PD: KeyState = KeyState::PendingDeletion {
        deletion_at: SimTime::ZERO,
    };
    const GONE: KeyState = KeyState::Deleted { at: SimTime::ZERO };

    fn states() -> [KeyState; 5] {
        [
            KeyState::Enabled,
            KeyState::Disabled,
            PD,
            KeyState::PendingImport,
            GONE,
        ]
    }

    fn ops() -> Vec<KeyOp> {
        vec![
            KeyOp::Disable,
            KeyOp::Enable,
            KeyOp::ScheduleDeletion(7),
            KeyOp::CancelDeletion,
            KeyOp::Rotate,
            KeyOp::DeleteImportedMaterial,
            KeyOp::ImportMaterial {
                new_material: false,
            },
            KeyOp::ImportMaterial { new_material: true },
            KeyOp::CreateGrant,
            KeyOp::RevokeGrant,
        ]
    }

    fn external(present: bool, new_pending: bool) -> Origin {
        Origin::External {
            present,
            new_pending,
        }
    }

    /// The short form of an answer: the error code, or the state reached and the effect.
    fn cell(state: KeyState, origin: Origin, op: KeyOp) -> String {
        let key = KeyFacts {
            state,
            origin,
            on_demand_rotations: 0,
        };
        match transition(key, op, rules(), ARN) {
            Ok(o) => format!("{} {:?}", o.state.name(), o.effect),
            Err(e) => e.code.as_str().to_string(),
        }
    }

    /// The whole table for a key with KMS-generated material, row by row (state), column by
    /// column (operation, in the order of `ops`).
    #[test]
    fn the_key_state_table_for_kms_material() {
        let expected: [[&str; 10]; 5] = [
            // Enabled
            [
                "disabled None",
                "enabled None",
                "pending-deletion None",
                "KMSInvalidStateException",
                "enabled Rotate",
                "UnsupportedOperationException",
                "UnsupportedOperationException",
                "UnsupportedOperationException",
                "enabled Grant",
                "enabled Grant",
            ],
            // Disabled
            [
                "disabled None",
                "enabled None",
                "pending-deletion None",
                "KMSInvalidStateException",
                "DisabledException",
                "UnsupportedOperationException",
                "UnsupportedOperationException",
                "UnsupportedOperationException",
                "DisabledException",
                "disabled Grant",
            ],
            // PendingDeletion
            [
                "KMSInvalidStateException",
                "KMSInvalidStateException",
                "KMSInvalidStateException",
                "disabled None",
                "KMSInvalidStateException",
                "UnsupportedOperationException",
                "UnsupportedOperationException",
                "UnsupportedOperationException",
                "KMSInvalidStateException",
                "pending-deletion Grant",
            ],
            // PendingImport (not reachable with KMS material; the table still answers)
            [
                "KMSInvalidStateException",
                "KMSInvalidStateException",
                "pending-deletion None",
                "KMSInvalidStateException",
                "KMSInvalidStateException",
                "UnsupportedOperationException",
                "UnsupportedOperationException",
                "UnsupportedOperationException",
                "KMSInvalidStateException",
                "pending-import Grant",
            ],
            // Deleted
            ["NotFoundException"; 10],
        ];
        for (row, state) in states().into_iter().enumerate() {
            for (col, op) in ops().into_iter().enumerate() {
                assert_eq!(
                    cell(state, Origin::AwsKms, op),
                    expected[row][col],
                    "{state:?} {op:?}"
                );
            }
        }
    }

    /// The same table for a key with imported material (present unless pending import, no
    /// new material waiting).
    #[test]
    fn the_key_state_table_for_imported_material() {
        let expected: [[&str; 10]; 5] = [
            // Enabled
            [
                "disabled None",
                "enabled None",
                "pending-deletion None",
                "KMSInvalidStateException",
                "UnsupportedOperationException",
                "pending-import RemoveMaterial",
                "enabled ImportMaterial",
                "enabled StageNewMaterial",
                "enabled Grant",
                "enabled Grant",
            ],
            // Disabled
            [
                "disabled None",
                "enabled None",
                "pending-deletion None",
                "KMSInvalidStateException",
                "UnsupportedOperationException",
                "pending-import RemoveMaterial",
                "disabled ImportMaterial",
                "disabled StageNewMaterial",
                "DisabledException",
                "disabled Grant",
            ],
            // PendingDeletion: deleting the material succeeds and the key stays pending
            // deletion (aws-behaviour.md #105)
            [
                "KMSInvalidStateException",
                "KMSInvalidStateException",
                "KMSInvalidStateException",
                "disabled None",
                "UnsupportedOperationException",
                "pending-deletion RemoveMaterial",
                "KMSInvalidStateException",
                "KMSInvalidStateException",
                "KMSInvalidStateException",
                "pending-deletion Grant",
            ],
            // PendingImport: deleting material succeeds with no effect (aws-behaviour.md #105)
            [
                "KMSInvalidStateException",
                "KMSInvalidStateException",
                "pending-deletion None",
                "KMSInvalidStateException",
                "KMSInvalidStateException",
                "pending-import None",
                "enabled ImportMaterial",
                "KMSInvalidStateException",
                "KMSInvalidStateException",
                "pending-import Grant",
            ],
            ["NotFoundException"; 10],
        ];
        for (row, state) in states().into_iter().enumerate() {
            let present = state != KeyState::PendingImport;
            for (col, op) in ops().into_iter().enumerate() {
                assert_eq!(
                    cell(state, external(present, false), op),
                    expected[row][col],
                    "{state:?} {op:?}"
                );
            }
        }
    }

    #[test]
    fn imported_material_rotates_on_demand_once_new_material_waits() {
        let origin = external(true, true);
        assert_eq!(
            cell(KeyState::Enabled, origin, KeyOp::Rotate),
            "enabled Rotate"
        );
        assert_eq!(
            cell(KeyState::Disabled, origin, KeyOp::Rotate),
            "DisabledException"
        );
        assert_eq!(cell(PD, origin, KeyOp::Rotate), "KMSInvalidStateException");
        // A key pending deletion without its material comes back pending import.
        assert_eq!(
            cell(PD, external(false, false), KeyOp::CancelDeletion),
            "pending-import None"
        );
    }

    #[test]
    fn the_on_demand_rotation_limit_is_25() {
        let key = |n| KeyFacts {
            state: KeyState::Enabled,
            origin: Origin::AwsKms,
            on_demand_rotations: n,
        };
        assert!(transition(key(24), KeyOp::Rotate, rules(), ARN).is_ok());
        let e = transition(key(25), KeyOp::Rotate, rules(), ARN).unwrap_err();
        assert_eq!(e.code, KmsErrorCode::LimitExceededException);
    }

    #[test]
    fn a_grant_on_a_key_pending_deletion_follows_the_assumption() {
        let key = KeyFacts {
            state: PD,
            origin: Origin::AwsKms,
            on_demand_rotations: 0,
        };
        let r = Rules {
            pending_deletion_error: PendingDeletionError::DisabledException,
            ..rules()
        };
        let e = transition(key, KeyOp::CreateGrant, r, ARN).unwrap_err();
        assert_eq!(e.code, KmsErrorCode::DisabledException);
    }

    #[test]
    fn scheduling_a_deletion_dates_it_with_the_delay() {
        let r = Rules {
            now: SimTime::ZERO + SimDuration::from_days(1),
            deletion_delay: SimDuration::from_days(1),
            ..rules()
        };
        let key = KeyFacts {
            state: KeyState::Enabled,
            origin: Origin::AwsKms,
            on_demand_rotations: 0,
        };
        let o = transition(key, KeyOp::ScheduleDeletion(7), r, ARN).unwrap();
        assert_eq!(
            o.state,
            KeyState::PendingDeletion {
                deletion_at: SimTime::ZERO + SimDuration::from_days(9)
            }
        );
    }
}
