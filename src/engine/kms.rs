//! AWS KMS, simulated: key states, versioned key material, per-principal kms:Decrypt, and the
//! error each state gives (aws-behaviour.md #54-69).
//!
//! Material is real 256-bit key bytes in zeroizing buffers. Deleting a key drops every version,
//! which wipes the bytes: "gone" is not a flag on screen, the material really no longer exists.

use std::collections::BTreeSet;
use std::fmt;

use rand::Rng;
use serde::Serialize;

use super::crypto::{self, KeyBytes, SealedKey};
use super::ids::{KmsKeyId, PrincipalId};
use super::time::SimTime;
use super::vocab::Caller;

pub use super::kms_state::{
    KeyKind, KeyState, KeyStateKind, KmsError, KmsErrorCode, PendingDeletionError,
};

/// One version of a key's backing material.
#[derive(Clone)]
pub struct Material {
    pub(in crate::engine) version: u32,
    pub(in crate::engine) created_at: SimTime,
    /// `None` only in a step-back snapshot, which keeps no key bytes (see `strip_secrets`).
    bytes: Option<KeyBytes>,
}

impl fmt::Debug for Material {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Material(v{}, <redacted>)", self.version)
    }
}

/// Automatic rotation schedule (aws-behaviour.md #64, 68).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct AutoRotation {
    pub(in crate::engine) period_days: u32,
    pub(in crate::engine) next_at: SimTime,
}

/// A ciphertext KMS produced: which key and material version, and the sealed bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KmsBlob {
    pub(in crate::engine) key: KmsKeyId,
    pub(in crate::engine) version: u32,
    pub(in crate::engine) sealed: SealedKey,
}

/// One KMS key.
#[derive(Clone, Debug)]
pub struct KmsKey {
    pub(in crate::engine) id: KmsKeyId,
    pub(in crate::engine) kind: KeyKind,
    pub(in crate::engine) state: KeyState,
    materials: Vec<Material>,
    /// How many material versions were ever created (kept after deletion, for display).
    pub(in crate::engine) versions_created: u32,
    pub(in crate::engine) rotation: Option<AutoRotation>,
    pub(in crate::engine) on_demand_rotations: u32,
    /// Principals allowed kms:Decrypt through DynamoDB; `None` = everyone.
    pub(in crate::engine) allow: Option<BTreeSet<PrincipalId>>,
    /// The scenario's seed: material versions derive from it (see `crypto::derive_material`).
    seed: u64,
    /// What cryptographic calls see while a change is still spreading through KMS
    /// (assumption `propagation`, aws-behaviour.md #24); `None` = they see `state` and `allow`.
    seen: Option<Seen>,
    /// Changes made but not yet visible to cryptographic calls, oldest first.
    spreading: std::collections::VecDeque<(u64, Seen)>,
    /// Keys with imported material (`origin = "external"`, aws-behaviour.md #98-99): whether KMS holds
    /// the material now, when it expires, and a counter that makes stale expiries ignorable.
    pub(in crate::engine) imported: Option<Imported>,
    /// Version 2: the key's region (a KMS key is regional; the AWS owned key exists in every
    /// region and says `us-east-1`).
    pub(in crate::engine) region: String,
}

/// Imported key material (aws-behaviour.md #98, 99): it can expire or be deleted at once, and comes back
/// only by importing the same material again (which stays outside AWS: never lost here).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Imported {
    pub(in crate::engine) present: bool,
    pub(in crate::engine) expires_at: Option<SimTime>,
    pub(in crate::engine) generation: u64,
    /// New material imported to be rotated in on demand (aws-behaviour.md #104), with its
    /// own expiry; `None` while none waits.
    #[allow(clippy::option_option)]
    // None: no new material waits; Some(v): it waits, valid to v
    pub(in crate::engine) new_material: Option<Option<SimTime>>,
}

/// The state and permissions as one KMS endpoint sees them.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Seen {
    state: KeyState,
    allow: Option<BTreeSet<PrincipalId>>,
}

impl KmsKey {
    pub fn new(
        id: KmsKeyId,
        kind: KeyKind,
        state: KeyState,
        rotation_days: Option<u32>,
        allow: Option<BTreeSet<PrincipalId>>,
        seed: u64,
        rng: &mut impl Rng,
    ) -> Self {
        let rotation = rotation_days.map(|d| AutoRotation {
            period_days: d,
            next_at: SimTime::ZERO + super::time::SimDuration::from_days(u64::from(d)),
        });
        let first = Self::new_material(seed, &id, 1, rng);
        Self {
            id,
            kind,
            state,
            materials: vec![Material {
                version: 1,
                created_at: SimTime::ZERO,
                bytes: Some(first),
            }],
            versions_created: 1,
            rotation,
            on_demand_rotations: 0,
            allow,
            seed,
            seen: None,
            spreading: std::collections::VecDeque::new(),
            imported: None,
            region: super::ids::DEFAULT_REGION.to_string(),
        }
    }

    /// Does this key hold imported material (origin EXTERNAL)?
    pub fn is_external(&self) -> bool {
        self.imported.is_some()
    }

    /// The key state cryptographic calls see now: `state`, unless a change is still spreading.
    pub fn effective_state(&self) -> KeyState {
        self.seen.as_ref().map_or(self.state, |s| s.state)
    }

    /// True while a state or permission change has not reached every KMS endpoint yet.
    pub fn is_spreading(&self) -> bool {
        self.seen.is_some()
    }

    /// A change (state or permissions) is about to be made while `propagation` delays it:
    /// cryptographic calls keep seeing the current values until `propagated(change)`.
    pub fn hold_view(&mut self) {
        if self.seen.is_none() {
            self.seen = Some(Seen {
                state: self.state,
                allow: self.allow.clone(),
            });
        }
    }

    /// Remember the values just set as change number `change`, to become visible later.
    pub fn queue_view(&mut self, change: u64) {
        self.spreading.push_back((
            change,
            Seen {
                state: self.state,
                allow: self.allow.clone(),
            },
        ));
    }

    /// Change number `change` has reached every endpoint. Returns true if what
    /// cryptographic calls see changed.
    pub fn propagated(&mut self, change: u64) -> bool {
        let before = self.seen.clone();
        while let Some((n, _)) = self.spreading.front() {
            if *n > change {
                break;
            }
            if let Some((_, view)) = self.spreading.pop_front() {
                self.seen = Some(view);
            }
        }
        if self.spreading.is_empty() {
            self.seen = None;
        }
        let after_state = self.effective_state();
        let after_allow = self.seen.as_ref().map_or(&self.allow, |s| &s.allow);
        before.is_none_or(|b| b.state != after_state || &b.allow != after_allow)
    }

    /// The key's ARN, as error messages quote it.
    pub fn arn(&self) -> String {
        match self.kind {
            KeyKind::AwsOwned => "arn:aws:kms:(dynamodb service account):key/aws-owned".into(),
            _ => format!("arn:aws:kms:us-east-1:111122223333:key/{}", self.id),
        }
    }

    /// Material versions whose bytes still exist.
    pub fn live_versions(&self) -> usize {
        self.materials.len()
    }

    pub fn current_version(&self) -> u32 {
        self.materials.last().map_or(0, |m| m.version)
    }

    pub fn is_deleted(&self) -> bool {
        matches!(self.state, KeyState::Deleted { .. })
    }

    /// Does the key policy (as cryptographic calls see it now) let `principal` decrypt?
    pub fn is_allowed(&self, principal: &PrincipalId) -> bool {
        self.seen
            .as_ref()
            .map_or(&self.allow, |s| &s.allow)
            .as_ref()
            .is_none_or(|set| set.contains(principal))
    }

    /// Can `caller` use this key for Decrypt / GenerateDataKey right now?
    pub fn check_crypto(
        &self,
        caller: &Caller,
        pending: PendingDeletionError,
    ) -> Result<(), KmsError> {
        let arn = self.arn();
        match self.effective_state() {
            KeyState::Enabled => {}
            KeyState::Disabled => {
                return Err(KmsError {
                    code: KmsErrorCode::DisabledException,
                    message: format!("{arn} is disabled."),
                });
            }
            KeyState::PendingDeletion { .. } => {
                let code = match pending {
                    PendingDeletionError::DisabledException => KmsErrorCode::DisabledException,
                    PendingDeletionError::KmsInvalidStateException => {
                        KmsErrorCode::KmsInvalidStateException
                    }
                };
                return Err(KmsError {
                    code,
                    message: format!("{arn} is pending deletion."),
                });
            }
            KeyState::Deleted { .. } => {
                return Err(KmsError {
                    code: KmsErrorCode::NotFoundException,
                    message: format!("Key '{arn}' does not exist"),
                });
            }
            KeyState::PendingImport => {
                return Err(KmsError {
                    code: KmsErrorCode::KmsInvalidStateException,
                    message: format!("{arn} is pending import."),
                });
            }
        }
        if let Caller::Principal(p) = caller
            && !self.is_allowed(p)
        {
            return Err(KmsError {
                code: KmsErrorCode::AccessDeniedException,
                message: format!(
                    "User: {p} is not authorized to perform: kms:Decrypt on resource: {arn}"
                ),
            });
        }
        Ok(())
    }

    /// GenerateDataKey: a fresh 256-bit key, and that key sealed under the current material.
    pub fn generate_data_key(
        &self,
        rng: &mut impl Rng,
        context: &[u8],
    ) -> Result<(KeyBytes, KmsBlob), KmsError> {
        let out = self.generate_data_key_inner(rng, context);
        crypto::scrub_stack();
        out
    }

    fn generate_data_key_inner(
        &self,
        rng: &mut impl Rng,
        context: &[u8],
    ) -> Result<(KeyBytes, KmsBlob), KmsError> {
        let material = self.materials.last().ok_or_else(|| self.gone())?;
        let bytes = material.bytes.as_ref().ok_or_else(|| self.gone())?;
        let plaintext = crypto::random_key(rng);
        let aad = kms_aad(context, &self.id, material.version);
        let sealed = crypto::seal_key(&crypto::cipher(bytes), rng, &plaintext, &aad);
        Ok((
            plaintext,
            KmsBlob {
                key: self.id.clone(),
                version: material.version,
                sealed,
            },
        ))
    }

    /// Decrypt with the material version that made the blob (rotation keeps old versions).
    pub fn decrypt(&self, blob: &KmsBlob, context: &[u8]) -> Result<KeyBytes, KmsError> {
        let out = self.decrypt_inner(blob, context);
        crypto::scrub_stack();
        out
    }

    fn decrypt_inner(&self, blob: &KmsBlob, context: &[u8]) -> Result<KeyBytes, KmsError> {
        if blob.key != self.id {
            return Err(KmsError {
                code: KmsErrorCode::IncorrectKeyException,
                message: format!(
                    "the ciphertext was made under {}, not {}",
                    blob.key, self.id
                ),
            });
        }
        let material = self
            .materials
            .iter()
            .find(|m| m.version == blob.version)
            .ok_or_else(|| self.gone())?;
        let aad = kms_aad(context, &self.id, blob.version);
        let bytes = material.bytes.as_ref().ok_or_else(|| self.gone())?;
        crypto::open_key(&crypto::cipher(bytes), &blob.sealed, &aad).map_err(|_| KmsError {
            code: KmsErrorCode::InvalidCiphertextException,
            message: "the ciphertext or its encryption context does not match".into(),
        })
    }

    fn gone(&self) -> KmsError {
        KmsError {
            code: KmsErrorCode::NotFoundException,
            message: format!("Key '{}' does not exist", self.arn()),
        }
    }

    /// Add a material version; nothing already encrypted changes (aws-behaviour.md #65, 66).
    pub fn rotate(&mut self, now: SimTime, rng: &mut impl Rng) -> u32 {
        self.versions_created += 1;
        let version = self.versions_created;
        let bytes = Self::new_material(self.seed, &self.id, version, rng);
        self.materials.push(Material {
            version,
            created_at: now,
            bytes: Some(bytes),
        });
        version
    }

    /// Material for a new version: derived from the seed; the engine's RNG still advances by
    /// the 32 bytes it always drew here, so every later nonce and choice stays the same.
    fn new_material(seed: u64, id: &KmsKeyId, version: u32, rng: &mut impl Rng) -> KeyBytes {
        let mut skipped = [0u8; 32];
        rng.fill_bytes(&mut skipped);
        let key = crypto::derive_material(seed, id.as_str(), version);
        crypto::scrub_stack();
        key
    }

    /// Drop every material's bytes (zeroized): for a step-back snapshot.
    pub(crate) fn strip_material(&mut self) {
        for m in &mut self.materials {
            m.bytes = None;
        }
    }

    /// Re-derive every material's bytes dropped by `strip_material`.
    pub(crate) fn restore_material(&mut self) {
        for m in &mut self.materials {
            if m.bytes.is_none() {
                m.bytes = Some(crypto::derive_material(
                    self.seed,
                    self.id.as_str(),
                    m.version,
                ));
            }
        }
        crypto::scrub_stack();
    }

    /// Decrypt a blob with re-derived material, whatever the key's state (rebuilding a
    /// snapshot's cached plaintexts, never a KMS call).
    pub(crate) fn rederive_plaintext(&self, blob: &KmsBlob, context: &[u8]) -> Option<KeyBytes> {
        let material = crypto::derive_material(self.seed, self.id.as_str(), blob.version);
        let aad = kms_aad(context, &self.id, blob.version);
        let plain = crypto::open_key(&crypto::cipher(&material), &blob.sealed, &aad).ok();
        drop(material);
        crypto::scrub_stack();
        plain
    }

    /// The waiting period ran out: drop every material version (the bytes are zeroized on drop).
    pub fn destroy_material(&mut self, now: SimTime) -> u32 {
        let n = self.materials.len() as u32;
        self.materials.clear();
        self.materials.shrink_to_fit();
        self.state = KeyState::Deleted { at: now };
        // With the material gone every endpoint fails alike: nothing left to spread.
        self.seen = None;
        self.spreading.clear();
        n
    }
}

/// AAD for a KMS ciphertext: the encryption context, the key id and the material version.
fn kms_aad(context: &[u8], key: &KmsKeyId, version: u32) -> Vec<u8> {
    let mut aad = Vec::with_capacity(context.len() + 32);
    aad.extend_from_slice(context);
    aad.push(b'|');
    aad.extend_from_slice(key.as_str().as_bytes());
    aad.extend_from_slice(format!("|v{version}").as_bytes());
    aad
}

#[cfg(test)]
#[path = "kms_tests.rs"]
mod tests;

/// Read access from outside the engine (the fields stay the engine's).
impl KmsKey {
    pub fn id(&self) -> &KmsKeyId {
        &self.id
    }

    pub fn kind(&self) -> KeyKind {
        self.kind
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    pub fn state(&self) -> KeyState {
        self.state
    }

    pub fn versions_created(&self) -> u32 {
        self.versions_created
    }
}

/// Read access from outside the engine (the fields stay the engine's).
impl KmsKey {
    pub fn allow(&self) -> Option<&BTreeSet<PrincipalId>> {
        self.allow.as_ref()
    }
}

/// Read access from outside the engine (the fields stay the engine's).
impl Material {
    /// When this version was created (key creation or a rotation).
    pub fn created_at(&self) -> SimTime {
        self.created_at
    }
}
