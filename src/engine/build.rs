//! Building the starting world: the KMS keys with their first material, each table's DEKs
//! and items sealed under them, and the per-connection cache slots.

use std::collections::BTreeSet;

use rand::Rng;

use super::crypto::{self, KeyBytes};
use super::ids::{AWS_OWNED, ConnectionId, DekId, ItemId, KmsKeyId, TableKeyId};
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
    ) -> (Vec<Dek>, Vec<Item>) {
        let tk = crypto::cipher(table_key);
        let mut deks = Vec::with_capacity(n_deks as usize);
        // The DEKs' plaintext, flat and wiped when dropped: 32 bytes each, where a cipher
        // object per DEK would be ~1 KB (a 1M-DEK build held ~1 GB of them).
        let mut keys = zeroize::Zeroizing::new(vec![[0u8; 32]; n_deks as usize]);
        // Pass 1, in the RNG's order (DEK key, its wrapping nonce, then its items' nonces):
        // every random byte is drawn exactly as a one-pass build would draw it.
        let mut nonces = vec![[0u8; 12]; n_items as usize];
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
            let mut i = u64::from(d);
            while i < n_items {
                rng.fill_bytes(&mut nonces[i as usize]);
                i += u64::from(n_deks);
            }
            let items_under = n_items
                .saturating_sub(u64::from(d))
                .div_ceil(u64::from(n_deks));
            deks.push(Dek {
                id,
                under: TableKeyId(1),
                wrapped,
                staged: None,
                items: items_under as u32,
            });
        }
        // Pass 2: seal the items, on every core (the result does not depend on how many). Each
        // part goes DEK by DEK, one cipher at a time, over the items under that DEK (item i
        // uses DEK i mod n): a cipher per DEK per part, never one held per DEK.
        let keys = &keys;
        let seal = |first: usize, out: &mut [Item]| {
            let n = u64::from(n_deks);
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
                            nonces[i as usize],
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
        (deks, items)
    }
}
