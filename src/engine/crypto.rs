//! Real AES-256-GCM for every layer: KMS material wraps table keys, table keys wrap DEKs,
//! DEKs encrypt items.
//!
//! 96-bit nonces come from the engine's seeded RNG, tags are 128 bits (NIST SP 800-38D), and
//! the AAD binds each blob to where it lives, so a blob copied elsewhere fails its tag check.
//! Plaintext key bytes only ever live in [`KeyBytes`], which zeroizes on drop.

use aes_gcm::aead::AeadInPlace;
use aes_gcm::{Aes256Gcm, KeyInit};
use rand::Rng;

type GcmNonce = aes_gcm::Nonce<aes_gcm::aead::consts::U12>;
type GcmTag = aes_gcm::Tag;

/// 256 bits of plaintext key material on the heap, wiped from memory when dropped. Boxed so
/// that moving a key (returning it, storing it) moves a pointer and leaves no stray copy of
/// the bytes behind on the stack; cloning copies heap to heap.
pub struct KeyBytes(Box<[u8; 32]>);

impl KeyBytes {
    /// Zero bytes, ready to be filled in place.
    fn zeroed() -> Self {
        Self(Box::new([0u8; 32]))
    }
}

impl Drop for KeyBytes {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut *self.0);
    }
}

impl Clone for KeyBytes {
    fn clone(&self) -> Self {
        let mut k = Self::zeroed();
        k.0.copy_from_slice(&self.0[..]);
        k
    }
}

impl std::ops::Deref for KeyBytes {
    type Target = [u8; 32];
    fn deref(&self) -> &[u8; 32] {
        &self.0
    }
}

impl std::ops::DerefMut for KeyBytes {
    fn deref_mut(&mut self) -> &mut [u8; 32] {
        &mut self.0
    }
}

impl std::fmt::Debug for KeyBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyBytes(<redacted>)")
    }
}

/// Largest item plaintext the simulator stores inline (keeps a 1M-item table compact).
pub const ITEM_MAX: usize = 48;

/// The tag check failed: wrong key, wrong AAD, or a tampered blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("AES-GCM authentication failed (wrong key, wrong context, or tampered ciphertext)")]
pub struct OpenError;

/// A 32-byte key sealed under another key: nonce, ciphertext, tag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SealedKey {
    pub nonce: [u8; 12],
    pub ct: [u8; 32],
    pub tag: [u8; 16],
}

impl SealedKey {
    /// First bytes of the ciphertext: shows on screen that a blob did or did not change.
    pub fn fingerprint(&self) -> Fingerprint {
        Fingerprint([self.ct[0], self.ct[1], self.ct[2], self.ct[3]])
    }
}

/// The first 4 bytes of a ciphertext, shown (and serialized) as 8 hex digits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fingerprint(pub [u8; 4]);

impl std::fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl serde::Serialize for Fingerprint {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// An item's ciphertext, stored inline: nonce, tag, and up to [`ITEM_MAX`] bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SealedItem {
    pub nonce: [u8; 12],
    pub tag: [u8; 16],
    pub len: u8,
    pub ct: [u8; ITEM_MAX],
}

impl SealedItem {
    /// First bytes of the ciphertext (zero-padded for items shorter than 4 bytes).
    pub fn fingerprint(&self) -> Fingerprint {
        let mut fp = [0u8; 4];
        let n = (self.len as usize).min(4);
        fp[..n].copy_from_slice(&self.ct[..n]);
        Fingerprint(fp)
    }
}

/// Fresh random key bytes from the engine's RNG.
pub fn random_key(rng: &mut impl Rng) -> KeyBytes {
    let mut k = KeyBytes::zeroed();
    rng.fill_bytes(&mut k[..]);
    k
}

/// Overwrite the stack below the caller's frame. Key bytes pass through stack temporaries
/// that no destructor sees (the AES key schedule is built from a by-value copy of the key;
/// generators keep output blocks): after work with key material, the frames it used are
/// overwritten so no copy outlives the key.
#[inline(never)]
pub fn scrub_stack() {
    let mut area = [0u8; 16 * 1024];
    zeroize::Zeroize::zeroize(&mut area[..]);
    std::hint::black_box(&area);
}

/// Key material derived from the scenario's seed, the key's id and the material version: a
/// teaching simulator's keys are reproducible by design (same file, same keys), which also lets
/// step-back history keep no key bytes at all and re-derive them when it needs them.
pub fn derive_material(seed: u64, key: &str, version: u32) -> KeyBytes {
    use rand::SeedableRng;
    // FNV-1a of the id, mixed with the seed and the version (not a KDF for real secrets: the
    // seed is in the scenario file).
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    let mix = seed ^ h.rotate_left(17) ^ u64::from(version).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    let mut rng = rand::rngs::ChaCha12Rng::seed_from_u64(mix);
    let key = random_key(&mut rng);
    // The generator keeps a block of output in its buffer: use it up and make it refill, so
    // no copy of the key bytes stays behind in the dropped generator.
    let mut spill = [0u8; 256];
    rng.fill_bytes(&mut spill);
    zeroize::Zeroize::zeroize(&mut spill);
    key
}

/// An AES-256-GCM instance for this key (its round keys are zeroized on drop).
pub fn cipher(key: &[u8; 32]) -> Aes256Gcm {
    // A 32-byte slice is always a valid AES-256 key length.
    Aes256Gcm::new_from_slice(&key[..]).expect("32-byte key")
}

/// Encrypt a 32-byte key under `wrapping`, binding it to `aad`.
pub fn seal_key(
    wrapping: &Aes256Gcm,
    rng: &mut impl Rng,
    plaintext: &[u8; 32],
    aad: &[u8],
) -> SealedKey {
    let mut nonce = [0u8; 12];
    rng.fill_bytes(&mut nonce);
    let mut ct = *plaintext;
    let tag = wrapping
        .encrypt_in_place_detached(GcmNonce::from_slice(&nonce), aad, &mut ct[..])
        // Encryption fails only for plaintexts over 64 GiB.
        .expect("32-byte plaintext is within AES-GCM limits");
    SealedKey {
        nonce,
        ct,
        tag: tag.into(),
    }
}

/// Decrypt a sealed key; the plaintext comes back in a zeroizing buffer.
pub fn open_key(
    wrapping: &Aes256Gcm,
    sealed: &SealedKey,
    aad: &[u8],
) -> Result<KeyBytes, OpenError> {
    let mut pt = KeyBytes::zeroed();
    pt.copy_from_slice(&sealed.ct);
    wrapping
        .decrypt_in_place_detached(
            GcmNonce::from_slice(&sealed.nonce),
            aad,
            &mut pt[..],
            GcmTag::from_slice(&sealed.tag),
        )
        .map_err(|_| OpenError)?;
    Ok(pt)
}

/// Re-wrap one key: open under `from`, seal under `to` with a fresh nonce and new AAD.
///
/// Done in place in one stack buffer: ciphertext, then plaintext, then the new ciphertext, so
/// the plaintext DEK never leaves this buffer and is overwritten before the call returns.
pub fn rewrap_key(
    from: &Aes256Gcm,
    from_aad: &[u8],
    to: &Aes256Gcm,
    to_aad: &[u8],
    rng: &mut impl Rng,
    sealed: &SealedKey,
) -> Result<SealedKey, OpenError> {
    let mut buf = sealed.ct;
    if from
        .decrypt_in_place_detached(
            GcmNonce::from_slice(&sealed.nonce),
            from_aad,
            &mut buf[..],
            GcmTag::from_slice(&sealed.tag),
        )
        .is_err()
    {
        zeroize::Zeroize::zeroize(&mut buf);
        return Err(OpenError);
    }
    let mut nonce = [0u8; 12];
    rng.fill_bytes(&mut nonce);
    let tag = to
        .encrypt_in_place_detached(GcmNonce::from_slice(&nonce), to_aad, &mut buf[..])
        .expect("32-byte plaintext is within AES-GCM limits");
    Ok(SealedKey {
        nonce,
        ct: buf,
        tag: tag.into(),
    })
}

/// Encrypt an item (at most [`ITEM_MAX`] bytes; longer input is cut, by construction never)
/// with a fresh nonce from the engine's RNG.
pub fn seal_item(dek: &Aes256Gcm, rng: &mut impl Rng, plaintext: &[u8], aad: &[u8]) -> SealedItem {
    let mut nonce = [0u8; 12];
    rng.fill_bytes(&mut nonce);
    seal_item_with_nonce(dek, nonce, plaintext, aad)
}

/// Encrypt an item with a nonce drawn beforehand (the table build draws nonces in order, then
/// seals in parallel).
pub fn seal_item_with_nonce(
    dek: &Aes256Gcm,
    nonce: [u8; 12],
    plaintext: &[u8],
    aad: &[u8],
) -> SealedItem {
    let len = plaintext.len().min(ITEM_MAX);
    let mut ct = [0u8; ITEM_MAX];
    ct[..len].copy_from_slice(&plaintext[..len]);
    let tag = dek
        .encrypt_in_place_detached(GcmNonce::from_slice(&nonce), aad, &mut ct[..len])
        .expect("item plaintext is within AES-GCM limits");
    SealedItem {
        nonce,
        tag: tag.into(),
        len: len as u8,
        ct,
    }
}

/// Decrypt an item.
pub fn open_item(dek: &Aes256Gcm, sealed: &SealedItem, aad: &[u8]) -> Result<Vec<u8>, OpenError> {
    let len = sealed.len as usize;
    let mut pt = sealed.ct[..len].to_vec();
    dek.decrypt_in_place_detached(
        GcmNonce::from_slice(&sealed.nonce),
        aad,
        &mut pt[..],
        GcmTag::from_slice(&sealed.tag),
    )
    .map_err(|_| OpenError)?;
    Ok(pt)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn key_round_trip_and_wrong_aad_fails() {
        let mut rng = StdRng::seed_from_u64(1);
        let kek = random_key(&mut rng);
        let dek = random_key(&mut rng);
        let c = cipher(&kek);
        let sealed = seal_key(&c, &mut rng, &dek, b"where-1");
        assert_ne!(sealed.ct, *dek, "ciphertext must differ from plaintext");
        assert_eq!(*open_key(&c, &sealed, b"where-1").unwrap(), *dek);
        assert_eq!(open_key(&c, &sealed, b"where-2").err(), Some(OpenError));
        let other = cipher(&random_key(&mut rng));
        assert_eq!(open_key(&other, &sealed, b"where-1").err(), Some(OpenError));
    }

    #[test]
    fn every_tampered_byte_of_a_sealed_key_fails() {
        let mut rng = StdRng::seed_from_u64(2);
        let c = cipher(&random_key(&mut rng));
        let inner = random_key(&mut rng);
        let sealed = seal_key(&c, &mut rng, &inner, b"aad");
        for i in 0..12 + 32 + 16 {
            let mut t = sealed.clone();
            match i {
                0..12 => t.nonce[i] ^= 1,
                12..44 => t.ct[i - 12] ^= 0x80,
                _ => t.tag[i - 44] ^= 0x01,
            }
            assert!(
                open_key(&c, &t, b"aad").is_err(),
                "byte {i} tampered but opened"
            );
        }
    }

    #[test]
    fn item_round_trip_and_rewrap() {
        let mut rng = StdRng::seed_from_u64(3);
        let dek_bytes = random_key(&mut rng);
        let dek = cipher(&dek_bytes);
        let item = seal_item(&dek, &mut rng, b"{\"pk\":\"item-1\"}", b"Orders|1|DEK-0");
        assert_eq!(
            open_item(&dek, &item, b"Orders|1|DEK-0").unwrap(),
            b"{\"pk\":\"item-1\"}"
        );
        assert!(open_item(&dek, &item, b"Orders|2|DEK-0").is_err());

        let t1 = cipher(&random_key(&mut rng));
        let t2 = cipher(&random_key(&mut rng));
        let w1 = seal_key(&t1, &mut rng, &dek_bytes, b"T1");
        let w2 = rewrap_key(&t1, b"T1", &t2, b"T2", &mut rng, &w1).unwrap();
        assert_ne!(w1.ct, w2.ct);
        assert_eq!(*open_key(&t2, &w2, b"T2").unwrap(), *dek_bytes);
        assert!(open_key(&t1, &w2, b"T1").is_err());
    }
}
