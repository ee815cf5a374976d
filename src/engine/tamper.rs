//! Deliberate corruptions for tests and the chain check, and what the check finds (vocabulary:
//! no engine state; audit.rs applies them).

use super::crypto;
use super::ids::{DekId, ItemId, TableKeyId};

/// Where a deliberate corruption goes, for tests and the chain check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tamper {
    /// Flip one bit of byte `n` (mod 60) of the wrapped table key.
    TableKeyBlob(usize),
    /// Present another encryption context to KMS.
    TableKeyContext,
    /// Flip one bit of byte `n` (mod 60) of the wrapped DEK.
    DekBlob(usize),
    /// Present another DEK id in the DEK's AAD.
    DekAad,
    /// Flip one bit of byte `n` of the item's nonce, ciphertext or tag.
    ItemBlob(usize),
    /// Present another item key in the item's AAD.
    ItemAad,
}

/// Why an item could not be decrypted through the chain.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AuditError {
    #[error("no such item")]
    NoSuchItem,
    #[error("table key {0}: {1}")]
    TableKey(TableKeyId, String),
    #[error("{0}: AES-GCM tag check failed")]
    Dek(DekId),
    #[error("{0}: AES-GCM tag check failed")]
    Item(ItemId),
    #[error("{0} decrypted to unexpected plaintext")]
    WrongPlaintext(ItemId),
}

pub(super) fn flip(sealed: &mut crypto::SealedKey, n: usize) {
    let n = n % 60;
    if n < 12 {
        sealed.nonce[n] ^= 1;
    } else if n < 44 {
        sealed.ct[n - 12] ^= 1;
    } else {
        sealed.tag[n - 44] ^= 1;
    }
}
