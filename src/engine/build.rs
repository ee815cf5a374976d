//! Building the starting world: the KMS keys with their first material, each table's DEKs
//! and items sealed under them, and the per-connection cache slots.

use std::collections::BTreeSet;

use rand::Rng;

use super::crypto::{self, KeyBytes};
use super::ids::{AWS_OWNED, ConnectionId, DekId, ItemId, KmsKeyId, TableKeyId};
use super::items::Items;
use super::kms::{self, KeyKind, KeyState, KmsKey};
use super::rng::SimRng;
use super::table::{CacheEntry, CacheSlots, Dek, Item, dek_aad, item_aad, item_plaintext};
use super::{Engine, PrincipalSpec, WorldSpec};

impl Engine {
    /// The declared KMS keys, then the AWS owned key, each with its first material version.
    pub(super) fn build_keys(spec: &WorldSpec, rng: &mut SimRng) -> Vec<KmsKey> {
        let mut keys = Vec::with_capacity(spec.keys.len() + 1);
        for k in &spec.keys {
            let rotation = match k.kind {
                KeyKind::AwsManaged => Some(365),
                _ => k.rotation_days,
            };
            // Every key starts enabled while the tables are built under it; the declared
            // starting states follow (`Engine::set_starting_key_states`).
            keys.push(KmsKey::new(
                k.id.clone(),
                k.kind,
                KeyState::Enabled,
                rotation,
                k.allow
                    .as_ref()
                    .map(|v| v.iter().cloned().collect::<BTreeSet<_>>()),
                spec.seed,
                rng,
            ));
            if let Some(key) = keys.last_mut() {
                key.region.clone_from(&k.region);
            }
            if k.external
                && let Some(key) = keys.last_mut()
            {
                key.imported = Some(kms::Imported {
                    present: true,
                    expires_at: k.expires,
                    generation: 0,
                    new_material: None,
                });
            }
        }
        keys.push(KmsKey::new(
            KmsKeyId::new(AWS_OWNED),
            KeyKind::AwsOwned,
            KeyState::Enabled,
            Some(365),
            None,
            spec.seed,
            rng,
        ));
        keys
    }

    /// One cache entry per (principal, connection), and where each principal's entries start.
    pub(super) fn build_cache(principals: &[PrincipalSpec]) -> (Vec<CacheEntry>, CacheSlots) {
        let mut cache = Vec::new();
        let mut cache_slots = std::collections::BTreeMap::new();
        for p in principals {
            cache_slots
                .entry(p.id.clone())
                .or_insert((cache.len(), p.connections));
            cache.extend(
                (1..=p.connections).map(|c| CacheEntry::new(p.id.clone(), ConnectionId(c))),
            );
        }
        (cache, cache_slots)
    }

    /// DEKs wrapped under the table key, and items spread over them (item i uses DEK i mod n).
    pub(super) fn build_deks_and_items(
        rng: &mut SimRng,
        table_key: &KeyBytes,
        table_id: &str,
        table_name: &str,
        n_deks: u32,
        n_items: u64,
    ) -> (Vec<Dek>, Items) {
        let tk = crypto::cipher(table_key);
        let mut deks = Vec::with_capacity(n_deks as usize);
        // The DEKs' plaintext, flat and wiped when dropped: 32 bytes each, where a cipher
        // object per DEK would be ~1 KB (a 1M-DEK build held ~1 GB of them).
        let mut keys = zeroize::Zeroizing::new(vec![[0u8; 32]; n_deks as usize]);
        // Pass 1, in the RNG's order (DEK key, its wrapping nonce, then its items' nonces):
        // every random byte is drawn exactly as a one-pass build would draw it.
        // The items' nonces DEK by DEK (see `NonceLayout`), so this pass writes them in order.
        let layout = NonceLayout::new(n_deks, n_items);
        let mut nonces = vec![[0u8; 12]; n_items as usize];
        let mut next_nonce = 0usize;
        for d in 0..n_deks {
            let id = DekId(d);
            let plain = crypto::random_key(rng);
            let wrapped = crypto::seal_key(
                &tk,
                rng,
                &plain,
                dek_aad(table_id, TableKeyId(1), id).as_bytes(),
            );
            keys[d as usize].copy_from_slice(&plain[..]);
            let items_under = layout.items_under(d);
            // One draw for them all: 12 bytes a nonce, whole words, the same bytes as one draw
            // per nonce.
            rng.fill_bytes(
                nonces[next_nonce..next_nonce + items_under as usize].as_flattened_mut(),
            );
            next_nonce += items_under as usize;
            deks.push(Dek {
                id,
                under: TableKeyId(1),
                wrapped,
                staged: None,
                items: items_under as u32,
            });
        }
        // Item 0 now (the panels show its ciphertext); the rest on a worker thread.
        let first = (n_items > 0).then(|| Item {
            dek: DekId(0),
            sealed: crypto::seal_item_with_nonce(
                &crypto::cipher(&keys[0]),
                nonces[0],
                &item_plaintext(ItemId(0)),
                item_aad(table_name, ItemId(0), DekId(0)).as_bytes(),
            ),
        });
        let name = table_name.to_string();
        let worker = std::thread::spawn(move || seal_items(&keys, &nonces, layout, &name, n_items));
        (deks, Items::sealing(n_items as usize, first, worker))
    }
}

/// Pass 2 of a table's build: seal the items, on every core (the result does not depend on
/// how many). Each part goes DEK by DEK, one cipher at a time, over the items under that DEK
/// (item i uses DEK i mod n): a cipher per DEK per part, never one held per DEK.
fn seal_items(
    keys: &[[u8; 32]],
    nonces: &[[u8; 12]],
    layout: NonceLayout,
    table_name: &str,
    n_items: u64,
) -> Vec<Item> {
    let n_deks = keys.len() as u64;
    let seal = |first: usize, out: &mut [Item]| {
        let n = n_deks;
        let end = first as u64 + out.len() as u64;
        for d in 0..n.min(out.len() as u64) {
            // The first item of this part under DEK (first + d) mod n.
            let start = first as u64 + d;
            let dek = DekId((start % n) as u32);
            let cipher = crypto::cipher(&keys[dek.0 as usize]);
            let mut i = start;
            while i < end {
                let item = ItemId(i);
                out[(i - first as u64) as usize] = Item {
                    dek,
                    sealed: crypto::seal_item_with_nonce(
                        &cipher,
                        nonces[layout.index(i)],
                        &item_plaintext(item),
                        item_aad(table_name, item, dek).as_bytes(),
                    ),
                };
                i += n;
            }
        }
    };
    let placeholder = Item {
        dek: DekId(0),
        sealed: crypto::SealedItem {
            nonce: [0; 12],
            tag: [0; 16],
            len: 0,
            ct: [0; crypto::ITEM_MAX],
        },
    };
    let mut items = vec![placeholder; n_items as usize];
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    if threads > 1 && items.len() >= 100_000 {
        let chunk = items.len().div_ceil(threads);
        std::thread::scope(|scope| {
            for (c, part) in items.chunks_mut(chunk).enumerate() {
                let seal = &seal;
                scope.spawn(move || seal(c * chunk, part));
            }
        });
    } else {
        seal(0, &mut items);
    }
    items
}

/// Where item i's nonce is kept: DEK by DEK (DEK d's items d, d + n, d + 2n, … one after the
/// other), the order the RNG draws them in. DEK d has `q + 1` items when d < r, else `q`
/// (`q`, `r`: the items over the DEKs, quotient and remainder).
#[derive(Clone, Copy, Debug)]
struct NonceLayout {
    n_deks: u64,
    q: u64,
    r: u64,
}

impl NonceLayout {
    fn new(n_deks: u32, n_items: u64) -> Self {
        let n = u64::from(n_deks.max(1));
        Self {
            n_deks: n,
            q: n_items / n,
            r: n_items % n,
        }
    }

    fn items_under(self, d: u32) -> u64 {
        self.q + u64::from(u64::from(d) < self.r)
    }

    fn index(self, item: u64) -> usize {
        let (d, j) = (item % self.n_deks, item / self.n_deks);
        (d * self.q + d.min(self.r) + j) as usize
    }
}

#[cfg(test)]
mod nonce_layout_tests {
    use rand::Rng;

    use super::NonceLayout;
    use crate::engine::Engine;
    use crate::engine::crypto;
    use crate::engine::ids::{DekId, ItemId, TableKeyId};
    use crate::engine::rng::SimRng;
    use crate::engine::table::{dek_aad, item_aad, item_plaintext};

    /// The build as one pass would write it: each DEK's key, its wrapping nonce, then each of
    /// its items' nonces drawn and the item sealed at once.
    fn one_pass(
        seed: u64,
        n_deks: u32,
        n_items: u64,
    ) -> (Vec<crypto::SealedKey>, Vec<crypto::SealedItem>) {
        let mut rng = SimRng::seed_from_u64(seed);
        let tk = crypto::cipher(&[7; 32]);
        let mut deks = Vec::new();
        let mut items = vec![None; n_items as usize];
        for d in 0..n_deks {
            let plain = crypto::random_key(&mut rng);
            deks.push(crypto::seal_key(
                &tk,
                &mut rng,
                &plain,
                dek_aad("T-1", TableKeyId(1), DekId(d)).as_bytes(),
            ));
            let dek = crypto::cipher(&plain);
            let mut i = u64::from(d);
            while i < n_items {
                let mut nonce = [0u8; 12];
                rng.fill_bytes(&mut nonce);
                items[i as usize] = Some(crypto::seal_item_with_nonce(
                    &dek,
                    nonce,
                    &item_plaintext(ItemId(i)),
                    item_aad("Orders", ItemId(i), DekId(d)).as_bytes(),
                ));
                i += u64::from(n_deks);
            }
        }
        (deks, items.into_iter().map(Option::unwrap).collect())
    }

    #[test]
    fn the_build_is_byte_identical_to_one_pass_sealed_in_the_background_or_not() {
        // Items fewer than DEKs, not a multiple, and enough for the build's parallel sealing.
        for (deks, items) in [(1u32, 0u64), (4, 3), (3, 10), (8, 64), (7, 100_003)] {
            let mut rng = SimRng::seed_from_u64(42);
            let mut tk = crypto::random_key(&mut SimRng::seed_from_u64(0));
            tk.copy_from_slice(&[7u8; 32]);
            let (built_deks, built_items) =
                Engine::build_deks_and_items(&mut rng, &tk, "T-1", "Orders", deks, items);
            let first = built_items.first().map(|i| i.sealed.clone());
            let (want_deks, want_items) = one_pass(42, deks, items);
            assert_eq!(first.as_ref(), want_items.first(), "{deks}/{items}");
            let got_deks: Vec<_> = built_deks.iter().map(|d| d.wrapped.clone()).collect();
            let got_items: Vec<_> = built_items.iter().map(|i| i.sealed.clone()).collect();
            assert_eq!(got_deks, want_deks, "{deks}/{items}");
            assert!(got_items == want_items, "{deks}/{items}: items differ");
            // The RNG is where one pass leaves it.
            let mut after = SimRng::seed_from_u64(42);
            one_pass_rng(&mut after, deks, items);
            assert_eq!(rng.next_u64(), after.next_u64(), "{deks}/{items}");
        }
    }

    fn one_pass_rng(rng: &mut SimRng, n_deks: u32, n_items: u64) {
        let tk = crypto::cipher(&[7; 32]);
        for d in 0..n_deks {
            let plain = crypto::random_key(rng);
            let _ = crypto::seal_key(&tk, rng, &plain, b"");
            let mut i = u64::from(d);
            while i < n_items {
                let mut nonce = [0u8; 12];
                rng.fill_bytes(&mut nonce);
                i += u64::from(n_deks);
            }
        }
    }

    #[test]
    fn every_item_has_its_own_place_in_dek_order() {
        for (deks, items) in [(1u32, 0u64), (1, 5), (3, 10), (4, 4), (7, 3), (10, 1000)] {
            let l = NonceLayout::new(deks, items);
            let mut seen = vec![false; items as usize];
            let mut expected = 0usize;
            for d in 0..deks {
                for j in 0..l.items_under(d) {
                    let item = u64::from(d) + j * u64::from(deks);
                    assert_eq!(
                        l.index(item),
                        expected,
                        "{deks} DEKs, {items} items, item {item}"
                    );
                    seen[expected] = true;
                    expected += 1;
                }
            }
            assert!(seen.iter().all(|s| *s));
        }
    }
}
