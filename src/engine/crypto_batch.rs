//! The re-wrap's batch core: many DEKs under one pair of table keys per call, AES-256-GCM
//! built from the RustCrypto block cipher (`aes`, whose bulk `encrypt_blocks` keeps the
//! pipeline full: 3 counter blocks a DEK, a whole run at once) and GHASH (built on `polyval`), in safe
//! Rust. The output is byte for byte what [`super::crypto::rewrap_key`] (the single-DEK
//! reference, kept) gives DEK after DEK: the same nonces drawn from the same RNG in the same
//! order, and a DEK whose tag fails stops the run at that index with no nonce drawn for it or
//! after it. NIST SP 800-38D with a 96-bit nonce: J0 = nonce || 1, the 32-byte message under
//! counters 2 and 3, tag = GHASH_H(A, C) xor E_K(J0), H = E_K(0).

use aes::cipher::{BlockEncrypt, KeyInit as _};
use polyval::Polyval;
use polyval::universal_hash::UniversalHash as _;
use rand::Rng;

use super::crypto::{OpenError, SealedKey};

type Block = aes::Block;

/// One table key, ready for the batch core: its AES key schedule and its GHASH key H (both
/// wiped when dropped).
pub struct BatchKey {
    aes: aes::Aes256,
    h: [u8; 16],
    /// GHASH keyed with H once; each DEK's tag starts from a copy.
    ghash: Ghash,
}

impl Drop for BatchKey {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.h);
    }
}

impl std::fmt::Debug for BatchKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BatchKey(<redacted>)")
    }
}

impl Clone for BatchKey {
    fn clone(&self) -> Self {
        Self {
            aes: self.aes.clone(),
            h: self.h,
            ghash: self.ghash.clone(),
        }
    }
}

impl BatchKey {
    pub fn new(key: &[u8; 32]) -> Self {
        let aes = aes::Aes256::new_from_slice(&key[..]).expect("32-byte key");
        let mut h = Block::default();
        aes.encrypt_block(&mut h);
        let ghash = Ghash::new(&h);
        Self {
            aes,
            h: h.into(),
            ghash,
        }
    }

    /// GHASH (the GCM tag before the xor with E_K(J0)) of many messages, each `aad` then a
    /// 32-byte ciphertext: each message's blocks laid out once and fed in one call (the
    /// crate's cost is per call more than per block); an AAD longer than the layout holds
    /// (the engine's are at most 128 bytes) is fed as it is.
    fn ghash_many(&self, msgs: &[(&[u8], &[u8; 32])], tags: &mut [[u8; 16]]) {
        // The AADs of a run share their first blocks (the table's id): GHASH over those is
        // the same for every DEK, so it is done once and each DEK starts from a copy.
        let first = msgs.first().map_or(&[][..], |m| m.0);
        let mut common = (first.len() / 16).min(MAX_AAD / 16);
        for (aad, _) in msgs {
            // Shrinks only: each AAD compared over the blocks still shared, usually one.
            while common > 0 && !same_blocks(aad, first, common) {
                common -= 1;
            }
        }
        let mut start = self.ghash.clone();
        for chunk in first.chunks_exact(16).take(common) {
            start.update(&[*Block::from_slice(chunk)]);
        }
        let mut blocks = [Block::default(); MAX_BLOCKS];
        for ((aad, ct), tag) in msgs.iter().zip(tags.iter_mut()) {
            let rest = &aad[(16 * common).min(aad.len())..];
            if rest.len() <= 16 {
                // The engine's case: at most one AAD block after the shared ones, then the
                // ciphertext's two and the lengths, laid out on the stack.
                let mut last = Block::default();
                last[..rest.len()].copy_from_slice(rest);
                let four = [
                    rev(&last),
                    rev(Block::from_slice(&ct[..16])),
                    rev(Block::from_slice(&ct[16..])),
                    rev(&lengths(aad.len())),
                ];
                let mut g = start.clone();
                g.update_reversed(&four[usize::from(rest.is_empty())..]);
                *tag = g.finalize();
                continue;
            }
            if aad.len() > MAX_AAD {
                *tag = self.ghash_one(aad, ct);
                continue;
            }
            let n = message_blocks(aad, ct, &mut blocks);
            let mut g = start.clone();
            g.update(&blocks[common..n]);
            *tag = g.finalize();
        }
        for x in &mut blocks {
            zeroize::Zeroize::zeroize(x.as_mut_slice());
        }
    }

    /// GHASH of one message, block after block.
    fn ghash_one(&self, aad: &[u8], ct: &[u8; 32]) -> [u8; 16] {
        let mut g = self.ghash.clone();
        g.update_padded(aad);
        g.update(&[*Block::from_slice(&ct[..16]), *Block::from_slice(&ct[16..])]);
        let mut lens = [0u8; 16];
        lens[..8].copy_from_slice(&((aad.len() as u64) * 8).to_be_bytes());
        lens[8..].copy_from_slice(&(32u64 * 8).to_be_bytes());
        g.update(&[lens.into()]);
        g.finalize()
    }
}

/// GHASH on POLYVAL, as the `ghash` crate builds it (RFC 8452, appendix A): the key is
/// mulX_POLYVAL(ByteReverse(H)), every block goes in byte-reversed and the result comes out
/// byte-reversed. Done here so the reversal is one 128-bit byte swap inlined into the loop,
/// where the crate's per-block callback reversed byte by byte.
#[derive(Clone)]
struct Ghash(Polyval);

impl Ghash {
    fn new(h: &Block) -> Self {
        // H and what is derived from it are the GHASH key: the copies made here are wiped.
        let mut reversed = rev(h);
        let mut key = polyval::mulx(&reversed);
        let p = Polyval::new(&key);
        zeroize::Zeroize::zeroize(reversed.as_mut_slice());
        zeroize::Zeroize::zeroize(key.as_mut_slice());
        Self(p)
    }

    /// Feed whole blocks, in GHASH's byte order.
    #[inline]
    fn update(&mut self, blocks: &[Block]) {
        let mut buf = [Block::default(); MAX_BLOCKS];
        for chunk in blocks.chunks(MAX_BLOCKS) {
            for (b, x) in buf.iter_mut().zip(chunk) {
                *b = rev(x);
            }
            self.0.update(&buf[..chunk.len()]);
        }
    }

    /// Feed whole blocks already byte-reversed (POLYVAL's order).
    #[inline]
    fn update_reversed(&mut self, blocks: &[Block]) {
        self.0.update(blocks);
    }

    /// Feed bytes, the last block zero-padded.
    fn update_padded(&mut self, data: &[u8]) {
        for chunk in data.chunks(16) {
            let mut b = Block::default();
            b[..chunk.len()].copy_from_slice(chunk);
            self.update(&[b]);
        }
    }

    #[inline]
    fn finalize(self) -> [u8; 16] {
        rev(&self.0.finalize()).into()
    }
}

/// A block byte-reversed: one 128-bit byte swap.
#[inline]
fn rev(b: &Block) -> Block {
    let v = u128::from_be_bytes(b.as_slice().try_into().expect("16 bytes"));
    Block::from(v.to_le_bytes())
}

/// Blocks of the longest message laid out at once: an AAD of up to 21 blocks (AADs hold a table's
/// name, at most 255 characters, and ids), the ciphertext's two, the lengths.
const MAX_BLOCKS: usize = 24;
/// The longest AAD laid out at once, in bytes.
const MAX_AAD: usize = 16 * (MAX_BLOCKS - 3);

/// The blocks GHASH reads for `aad` and a 32-byte ciphertext: the AAD zero-padded, the
/// ciphertext's two blocks, the lengths in bits; returns how many.
fn message_blocks(aad: &[u8], ct: &[u8; 32], out: &mut [Block; MAX_BLOCKS]) -> usize {
    // `ghash_many` sends no longer AAD here.
    let aad_blocks = aad.len().min(MAX_AAD).div_ceil(16);
    for (i, chunk) in aad[..aad.len().min(MAX_AAD)].chunks(16).enumerate() {
        out[i] = Block::default();
        out[i][..chunk.len()].copy_from_slice(chunk);
    }
    out[aad_blocks].copy_from_slice(&ct[..16]);
    out[aad_blocks + 1].copy_from_slice(&ct[16..]);
    let mut lens = [0u8; 16];
    lens[..8].copy_from_slice(&((aad.len() as u64) * 8).to_be_bytes());
    lens[8..].copy_from_slice(&(32u64 * 8).to_be_bytes());
    out[aad_blocks + 2] = lens.into();
    aad_blocks + 3
}

/// Do `a` and `b` both hold `n` whole blocks and agree on them? Compared 16 bytes at a time.
#[inline]
fn same_blocks(a: &[u8], b: &[u8], n: usize) -> bool {
    a.len() >= 16 * n
        && b.len() >= 16 * n
        && a.chunks_exact(16)
            .zip(b.chunks_exact(16))
            .take(n)
            .all(|(x, y)| {
                u128::from_ne_bytes(x.try_into().expect("16 bytes"))
                    == u128::from_ne_bytes(y.try_into().expect("16 bytes"))
            })
}

/// GHASH's last block: the AAD's and the 32-byte ciphertext's lengths in bits.
#[inline]
fn lengths(aad_len: usize) -> Block {
    let mut lens = Block::default();
    lens[..8].copy_from_slice(&((aad_len as u64) * 8).to_be_bytes());
    lens[8..].copy_from_slice(&(32u64 * 8).to_be_bytes());
    lens
}

/// The three counter blocks of a 96-bit nonce: J0 (for the tag), then the message's two.
#[inline]
fn counters(nonce: &[u8; 12], out: &mut [Block]) {
    for (i, b) in out.iter_mut().enumerate() {
        b[..12].copy_from_slice(nonce);
        b[12..].copy_from_slice(&(i as u32 + 1).to_be_bytes());
    }
}

/// `out` = `data` xor the two keystream blocks, 16 bytes at a time.
#[inline]
fn xor32(out: &mut [u8; 32], data: &[u8; 32], k1: &Block, k2: &Block) {
    for (half, k) in [(0, k1), (16, k2)] {
        let d = u128::from_ne_bytes(data[half..half + 16].try_into().expect("16 bytes"));
        let k = u128::from_ne_bytes(k.as_slice().try_into().expect("16 bytes"));
        out[half..half + 16].copy_from_slice(&(d ^ k).to_ne_bytes());
    }
}

/// Tags compared without an early exit: one 128-bit xor, then one test.
#[inline]
fn same_tag(a: &[u8; 16], b: &[u8; 16]) -> bool {
    (u128::from_ne_bytes(*a) ^ u128::from_ne_bytes(*b)) == 0
}

/// `tag` xor the keystream block `k` (E_K(J0)).
#[inline]
fn xor_tag(tag: &[u8; 16], k: &Block) -> [u8; 16] {
    let k = u128::from_ne_bytes(k.as_slice().try_into().expect("16 bytes"));
    (u128::from_ne_bytes(*tag) ^ k).to_ne_bytes()
}

/// DEKs a run handles at once: bounded memory (about 130 bytes of scratch a DEK).
pub const BATCH: usize = 1024;

/// One DEK of a run: its wrapped bytes and the AADs under the old and the new table key.
pub struct Wrapped<'a> {
    pub sealed: &'a SealedKey,
    pub from_aad: &'a [u8],
    pub to_aad: &'a [u8],
}

/// Re-wrap a run of DEKs from `from` to `to`: each opened with its old AAD and sealed with a
/// fresh nonce from `rng` and its new AAD, into `out` (cleared first), in order. When a DEK's
/// tag fails, `out` holds those before it and the error says which: no nonce was drawn for
/// it or after it, exactly as [`super::crypto::rewrap_key`] one by one.
pub fn rewrap_run(
    from: &BatchKey,
    to: &BatchKey,
    deks: &[Wrapped<'_>],
    rng: &mut impl Rng,
    out: &mut Vec<SealedKey>,
) -> Result<(), (usize, OpenError)> {
    out.clear();
    let mut blocks = vec![Block::default(); 3 * deks.len().min(BATCH)];
    let mut plain = vec![[0u8; 32]; deks.len().min(BATCH)];
    let mut tags = vec![[0u8; 16]; deks.len().min(BATCH)];
    let mut result = Ok(());
    for (c, chunk) in deks.chunks(BATCH).enumerate() {
        let n = chunk.len();
        // Open: every keystream of the chunk in one bulk call, then each tag.
        for (d, b) in chunk.iter().zip(blocks.chunks_mut(3)) {
            counters(&d.sealed.nonce, b);
        }
        from.aes.encrypt_blocks(&mut blocks[..3 * n]);
        let msgs: Vec<(&[u8], &[u8; 32])> =
            chunk.iter().map(|d| (d.from_aad, &d.sealed.ct)).collect();
        from.ghash_many(&msgs, &mut tags[..n]);
        let mut opened = n;
        for (i, d) in chunk.iter().enumerate() {
            let ks = &blocks[3 * i..3 * i + 3];
            if !same_tag(&xor_tag(&tags[i], &ks[0]), &d.sealed.tag) {
                opened = i;
                result = Err((c * BATCH + i, OpenError));
                break;
            }
            xor32(&mut plain[i], &d.sealed.ct, &ks[1], &ks[2]);
        }
        // Seal those opened: nonces drawn in order, keystreams in one bulk call.
        // One draw for the run's nonces: 12 bytes each, whole words, so the same bytes as one
        // draw per DEK.
        let mut nonces = vec![[0u8; 12]; opened];
        rng.fill_bytes(nonces.as_flattened_mut());
        for (nonce, b) in nonces.iter().zip(blocks.chunks_mut(3)) {
            counters(nonce, b);
        }
        to.aes.encrypt_blocks(&mut blocks[..3 * opened]);
        let mut cts = vec![[0u8; 32]; opened];
        for (i, ct) in cts.iter_mut().enumerate() {
            xor32(ct, &plain[i], &blocks[3 * i + 1], &blocks[3 * i + 2]);
        }
        let msgs: Vec<(&[u8], &[u8; 32])> = chunk
            .iter()
            .zip(&cts)
            .map(|(d, ct)| (d.to_aad, ct))
            .collect();
        to.ghash_many(&msgs, &mut tags[..opened]);
        out.extend(
            cts.into_iter()
                .zip(nonces)
                .enumerate()
                .map(|(i, (ct, nonce))| SealedKey {
                    nonce,
                    ct,
                    tag: xor_tag(&tags[i], &blocks[3 * i]),
                }),
        );
        if result.is_err() {
            break;
        }
    }
    // The plaintext DEKs and the keystreams never outlive the call: overwritten in wide
    // stores, which `black_box` (it may read them) keeps the compiler from dropping. (The
    // zeroize crate's volatile writes go a byte at a time: a third of this core's time.)
    plain.fill([0u8; 32]);
    blocks.fill(Block::default());
    std::hint::black_box((&plain, &blocks));
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::crypto;
    use proptest::prelude::*;
    use rand::SeedableRng;
    use rand::rngs::ChaCha12Rng;

    /// `n` DEKs sealed under `k1`, with per-DEK AADs of varying length.
    fn sealed(seed: u64, n: usize, k1: &[u8; 32]) -> (Vec<SealedKey>, Vec<String>, Vec<String>) {
        let mut rng = ChaCha12Rng::seed_from_u64(seed);
        let c1 = crypto::cipher(k1);
        let from: Vec<String> = (0..n)
            .map(|i| format!("Orders-{seed}|T1|DEK-{i}{}", "x".repeat(i % 40)))
            .collect();
        let to: Vec<String> = (0..n)
            .map(|i| format!("Orders-{seed}|T2|DEK-{i}"))
            .collect();
        let deks = (0..n)
            .map(|i| {
                let dek = crypto::random_key(&mut rng);
                crypto::seal_key(&c1, &mut rng, &dek, from[i].as_bytes())
            })
            .collect();
        (deks, from, to)
    }

    /// The batch against the single-DEK reference: same bytes, same RNG position after.
    fn compare(seed: u64, n: usize, tamper: Option<usize>) {
        let mut rng = ChaCha12Rng::seed_from_u64(seed ^ 0xabc);
        let k1 = crypto::random_key(&mut rng);
        let k2 = crypto::random_key(&mut rng);
        let (mut deks, from, to) = sealed(seed, n, &k1);
        if let Some(t) = tamper {
            deks[t].ct[t % 32] ^= 1;
        }
        let (c1, c2) = (crypto::cipher(&k1), crypto::cipher(&k2));
        let mut one_rng = ChaCha12Rng::seed_from_u64(seed);
        let mut expected = Vec::new();
        let mut failed = None;
        for (i, d) in deks.iter().enumerate() {
            match crypto::rewrap_key(
                &c1,
                from[i].as_bytes(),
                &c2,
                to[i].as_bytes(),
                &mut one_rng,
                d,
            ) {
                Ok(s) => expected.push(s),
                Err(e) => {
                    failed = Some((i, e));
                    break;
                }
            }
        }
        let run: Vec<Wrapped<'_>> = deks
            .iter()
            .enumerate()
            .map(|(i, d)| Wrapped {
                sealed: d,
                from_aad: from[i].as_bytes(),
                to_aad: to[i].as_bytes(),
            })
            .collect();
        let mut batch_rng = ChaCha12Rng::seed_from_u64(seed);
        let mut out = Vec::new();
        let got = rewrap_run(
            &BatchKey::new(&k1),
            &BatchKey::new(&k2),
            &run,
            &mut batch_rng,
            &mut out,
        );
        assert_eq!(got.err(), failed);
        assert_eq!(out, expected);
        assert_eq!(
            batch_rng.random::<u64>(),
            one_rng.random::<u64>(),
            "the RNG is where one by one leaves it"
        );
    }

    #[test]
    fn an_aad_longer_than_the_layout_holds_is_fed_as_it_is() {
        let mut rng = ChaCha12Rng::seed_from_u64(9);
        let (k1, k2) = (crypto::random_key(&mut rng), crypto::random_key(&mut rng));
        let long = vec![b'a'; 700];
        let c1 = crypto::cipher(&k1);
        let dek = crypto::random_key(&mut rng);
        let sealed = crypto::seal_key(&c1, &mut rng, &dek, &long);
        let mut r1 = ChaCha12Rng::seed_from_u64(1);
        let one =
            crypto::rewrap_key(&c1, &long, &crypto::cipher(&k2), b"x", &mut r1, &sealed).unwrap();
        let mut r2 = ChaCha12Rng::seed_from_u64(1);
        let mut out = Vec::new();
        let run = [Wrapped {
            sealed: &sealed,
            from_aad: &long,
            to_aad: b"x",
        }];
        rewrap_run(
            &BatchKey::new(&k1),
            &BatchKey::new(&k2),
            &run,
            &mut r2,
            &mut out,
        )
        .unwrap();
        assert_eq!(out, vec![one]);
    }

    #[test]
    fn a_run_lays_out_the_same_aad_bytes_as_dek_aad() {
        use crate::engine::binding::{dek_aad, push_dek_aad};
        use crate::engine::ids::{DekId, TableKeyId};
        for id in ["Orders-5f3a9c21", "T", &"x".repeat(200)] {
            let mut v = Vec::new();
            push_dek_aad(&mut v, id, TableKeyId(7), DekId(123_456));
            assert_eq!(v, dek_aad(id, TableKeyId(7), DekId(123_456)).as_bytes());
        }
    }

    #[test]
    fn matches_the_reference_on_1_129_and_3000_deks() {
        for n in [1, 129, 3_000] {
            compare(n as u64, n, None);
        }
        compare(7, 3_000, Some(2_500));
        compare(8, 1, Some(0));
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]
        #[test]
        fn the_batch_is_the_reference_one_by_one(seed in any::<u64>(), n in 1usize..300, tamper in prop::option::of(0usize..300)) {
            compare(seed, n, tamper.filter(|t| *t < n));
        }
    }
}
