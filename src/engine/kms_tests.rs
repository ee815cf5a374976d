//! KMS key states, errors, rotation and deletion.

use super::*;
use rand::SeedableRng;
use rand::rngs::StdRng;

fn key(state: KeyState) -> (KmsKey, StdRng) {
    let mut rng = StdRng::seed_from_u64(9);
    let k = KmsKey::new(
        "kms-1".into(),
        KeyKind::CustomerManaged,
        state,
        None,
        Some(["app".into()].into_iter().collect()),
        9,
        &mut rng,
    );
    (k, rng)
}

#[test]
fn each_state_gives_its_documented_error() {
    let app = Caller::Principal("app".into());
    let pend = PendingDeletionError::KmsInvalidStateException;
    assert!(key(KeyState::Enabled).0.check_crypto(&app, pend).is_ok());
    assert_eq!(
        key(KeyState::Disabled)
            .0
            .check_crypto(&app, pend)
            .unwrap_err()
            .code,
        KmsErrorCode::DisabledException
    );
    let p = KeyState::PendingDeletion {
        deletion_at: SimTime(1),
    };
    assert_eq!(
        key(p).0.check_crypto(&app, pend).unwrap_err().code,
        KmsErrorCode::KmsInvalidStateException
    );
    assert_eq!(
        key(p)
            .0
            .check_crypto(&app, PendingDeletionError::DisabledException)
            .unwrap_err()
            .code,
        KmsErrorCode::DisabledException
    );
    let other = Caller::Principal("intruder".into());
    assert_eq!(
        key(KeyState::Enabled)
            .0
            .check_crypto(&other, pend)
            .unwrap_err()
            .code,
        KmsErrorCode::AccessDeniedException
    );
    assert!(
        key(KeyState::Enabled)
            .0
            .check_crypto(&Caller::Service, pend)
            .is_ok()
    );
}

#[test]
fn rotation_keeps_old_versions_and_deletion_destroys_all() {
    let (mut k, mut rng) = key(KeyState::Enabled);
    let (pt, blob) = k.generate_data_key(&mut rng, b"ctx").unwrap();
    assert_eq!(k.rotate(SimTime(5), &mut rng), 2);
    assert_eq!(*k.decrypt(&blob, b"ctx").unwrap(), *pt, "v1 still decrypts");
    let (_, blob2) = k.generate_data_key(&mut rng, b"ctx").unwrap();
    assert_eq!(blob2.version, 2, "new encryptions use the current version");
    assert_eq!(
        k.decrypt(&blob, b"other").unwrap_err().code,
        KmsErrorCode::InvalidCiphertextException
    );
    assert_eq!(k.destroy_material(SimTime(9)), 2);
    assert_eq!(k.live_versions(), 0);
    assert_eq!(
        k.decrypt(&blob, b"ctx").unwrap_err().code,
        KmsErrorCode::NotFoundException
    );
}
