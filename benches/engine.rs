//! Engine benchmarks: re-wrap throughput (crypto core and the whole engine job), an AES-GCM
//! baseline comparable to `openssl speed -evp aes-256-gcm`, a 30-day scenario with a read
//! every minute, and the resident memory of a 1M-item table.
//!
//! Run: `cargo bench --bench engine` (add `--features bench-ring,bench-openssl` for ring 0.17
//! and OpenSSL doing the identical re-wrap in the same run; OpenSSL needs its headers). Times are
//! the process's CPU time, not wall time: the machine is shared. Memory is printed before the
//! timings (RSS delta from /proc/self/statm, Linux only).
#![allow(clippy::print_stderr)] // notes for whoever runs the tests, not user output

use std::hint::black_box;
use std::sync::Arc;

use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::{BatchSize, Throughput};
use rand::SeedableRng;
use rand::rngs::ChaCha12Rng;

use rewrap::engine::crypto::{self, SealedKey};
use rewrap::engine::crypto_batch::{self, BatchKey, Wrapped};
use rewrap::engine::ids::{DekId, KmsKeyId, PrincipalId, TableKeyId};
use rewrap::engine::kms::KeyKind;
use rewrap::engine::table::dek_aad;
use rewrap::engine::time::SimDuration;
use rewrap::engine::{Assumptions, Command, Engine, KeySpec, PrincipalSpec, TableSpec, WorldSpec};
use rewrap::runner::Runner;
use rewrap::scenario;

/// Criterion measuring the process's CPU time (user + system), formatted as durations.
struct CpuTime(WallTime);

impl Measurement for CpuTime {
    type Intermediate = cpu_time::ProcessTime;
    type Value = std::time::Duration;
    fn start(&self) -> Self::Intermediate {
        cpu_time::ProcessTime::now()
    }
    fn end(&self, i: Self::Intermediate) -> Self::Value {
        i.elapsed()
    }
    fn add(&self, v1: &Self::Value, v2: &Self::Value) -> Self::Value {
        *v1 + *v2
    }
    fn zero(&self) -> Self::Value {
        std::time::Duration::ZERO
    }
    fn to_f64(&self, value: &Self::Value) -> f64 {
        value.as_nanos() as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        self.0.formatter()
    }
}

type Criterion = criterion::Criterion<CpuTime>;

fn world(deks: u32, items: u64, rewrap_per_dek: SimDuration) -> WorldSpec {
    let key = |id: &str| KeySpec {
        id: KmsKeyId::new(id),
        kind: KeyKind::CustomerManaged,
        enabled: true,
        rotation_days: None,
        allow: None,
        external: false,
        expires: None,
        region: rewrap::engine::DEFAULT_REGION.into(),
        starts_as: None,
    };
    WorldSpec {
        seed: 1,
        assumptions: Assumptions {
            rewrap_per_dek,
            ..Assumptions::default()
        },
        keys: vec![key("kms-1"), key("kms-2")],
        tables: vec![TableSpec {
            name: "Orders".into(),
            key: KmsKeyId::new("kms-1"),
            deks,
            items,
            replicas: Vec::new(),
            start: rewrap::engine::TableStart::default(),
        }],
        principals: vec![PrincipalSpec {
            id: PrincipalId::new("app"),
            connections: 1,
        }],
        backups: Vec::new(),
    }
}

/// The wrapped DEKs, table keys and AADs every re-wrap group works on: the same seed, so the
/// same bytes in each.
struct Input {
    k1: crypto::KeyBytes,
    k2: crypto::KeyBytes,
    wrapped: Vec<SealedKey>,
    from_aads: Vec<Vec<u8>>,
    to_aads: Vec<Vec<u8>>,
}

/// A table id in the engine's shape (`name-xxxxxxxx`, engine/mod.rs): the AADs are the
/// job's own.
const TABLE_ID: &str = "Orders-5f3a9c21";

fn input(n: usize) -> Input {
    let mut rng = ChaCha12Rng::seed_from_u64(1);
    let k1 = crypto::random_key(&mut rng);
    let k2 = crypto::random_key(&mut rng);
    let t1 = crypto::cipher(&k1);
    let from_aads: Vec<Vec<u8>> = (0..n)
        .map(|i| {
            dek_aad(TABLE_ID, TableKeyId(1), DekId(i as u32))
                .as_bytes()
                .to_vec()
        })
        .collect();
    let to_aads: Vec<Vec<u8>> = (0..n)
        .map(|i| {
            dek_aad(TABLE_ID, TableKeyId(2), DekId(i as u32))
                .as_bytes()
                .to_vec()
        })
        .collect();
    let wrapped = (0..n)
        .map(|i| {
            let dek = crypto::random_key(&mut rng);
            crypto::seal_key(&t1, &mut rng, &dek, &from_aads[i])
        })
        .collect();
    Input {
        k1,
        k2,
        wrapped,
        from_aads,
        to_aads,
    }
}

/// rewrap's re-wrap core as the engine job uses it: runs of `crypto_batch::BATCH` DEKs under
/// one pair of table keys (AES-CTR keystreams in bulk, GHASH per DEK), fresh nonces from the
/// seeded ChaCha12 stream. Checked byte for byte against the single-DEK reference first.
fn rewrap_core(c: &mut Criterion) {
    let mut group = c.benchmark_group("rewrap_core");
    group.sample_size(10);
    for n in [1_000usize, 100_000, 1_000_000] {
        let inp = input(n);
        let (b1, b2) = (BatchKey::new(&inp.k1), BatchKey::new(&inp.k2));
        let run: Vec<Wrapped<'_>> = inp
            .wrapped
            .iter()
            .enumerate()
            .map(|(i, w)| Wrapped {
                sealed: w,
                from_aad: &inp.from_aads[i][..],
                to_aad: &inp.to_aads[i][..],
            })
            .collect();
        let mut rng = ChaCha12Rng::seed_from_u64(3);
        let mut out = Vec::with_capacity(crypto_batch::BATCH);
        let mut all = Vec::with_capacity(n);
        for chunk in run.chunks(crypto_batch::BATCH) {
            crypto_batch::rewrap_run(&b1, &b2, chunk, &mut rng, &mut out).expect("opens");
            all.append(&mut out);
        }
        let (t1, t2) = (crypto::cipher(&inp.k1), crypto::cipher(&inp.k2));
        let mut check = ChaCha12Rng::seed_from_u64(3);
        for (i, w) in inp.wrapped.iter().enumerate().take(1_000) {
            let one = crypto::rewrap_key(
                &t1,
                &inp.from_aads[i][..],
                &t2,
                &inp.to_aads[i][..],
                &mut check,
                w,
            )
            .unwrap();
            assert_eq!(
                one, all[i],
                "the batch core and the single-DEK reference agree"
            );
        }
        group.throughput(Throughput::Elements(n as u64));
        group.bench_function(format!("{n}_deks"), |b| {
            b.iter(|| {
                for chunk in run.chunks(crypto_batch::BATCH) {
                    crypto_batch::rewrap_run(&b1, &b2, chunk, &mut rng, &mut out).expect("opens");
                    black_box(&out);
                }
            });
        });
    }
    group.finish();
}

/// ring 0.17 doing the identical work in the same run: the same table keys, wrapped DEKs,
/// AADs and nonces, open under T1 then seal under T2, each key set up once, no allocation per
/// DEK; its output checked byte for byte against rewrap's.
#[cfg(feature = "bench-ring")]
fn rewrap_core_ring(c: &mut Criterion) {
    use ring::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
    let mut group = c.benchmark_group("rewrap_core_ring");
    group.sample_size(10);
    for n in [1_000usize, 100_000, 1_000_000] {
        let inp = input(n);
        let k1 = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &inp.k1[..]).unwrap());
        let k2 = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &inp.k2[..]).unwrap());
        let mut nonce_rng = ChaCha12Rng::seed_from_u64(3);
        let nonces: Vec<[u8; 12]> = (0..n)
            .map(|_| {
                let mut b = [0u8; 12];
                rand::Rng::fill_bytes(&mut nonce_rng, &mut b);
                b
            })
            .collect();
        let mut out = inp.wrapped.clone();
        let run = |out: &mut [SealedKey]| {
            for (i, (w, o)) in inp.wrapped.iter().zip(out.iter_mut()).enumerate() {
                let mut buf = [0u8; 48];
                buf[..32].copy_from_slice(&w.ct);
                buf[32..].copy_from_slice(&w.tag);
                let pt = k1
                    .open_in_place(
                        Nonce::assume_unique_for_key(w.nonce),
                        Aad::from(&inp.from_aads[i][..]),
                        &mut buf,
                    )
                    .expect("opens");
                let mut ct = [0u8; 32];
                ct.copy_from_slice(pt);
                let tag = k2
                    .seal_in_place_separate_tag(
                        Nonce::assume_unique_for_key(nonces[i]),
                        Aad::from(&inp.to_aads[i][..]),
                        &mut ct,
                    )
                    .unwrap();
                o.nonce = nonces[i];
                o.ct = ct;
                o.tag.copy_from_slice(tag.as_ref());
                zeroize::Zeroize::zeroize(&mut buf);
            }
        };
        run(&mut out);
        let (t1, t2) = (crypto::cipher(&inp.k1), crypto::cipher(&inp.k2));
        let mut check = ChaCha12Rng::seed_from_u64(3);
        for (i, (w, o)) in inp.wrapped.iter().zip(&out).enumerate().take(1_000) {
            let ours = crypto::rewrap_key(
                &t1,
                &inp.from_aads[i][..],
                &t2,
                &inp.to_aads[i][..],
                &mut check,
                w,
            )
            .unwrap();
            assert_eq!(&ours, o, "ring and rewrap produce the same wrapped DEK");
        }
        group.throughput(Throughput::Elements(n as u64));
        group.bench_function(format!("{n}_deks"), |b| {
            b.iter(|| {
                run(&mut out);
                black_box(&out);
            });
        });
    }
    group.finish();
}

/// The single-DEK reference (`crypto::rewrap_key`): open under T1 with its AAD, seal under
/// T2 with a fresh nonce from the seeded ChaCha12 stream and the new AAD, DEK after DEK.
fn rewrap_core_single(c: &mut Criterion) {
    let mut group = c.benchmark_group("rewrap_core_single");
    group.sample_size(10);
    for n in [1_000usize, 100_000, 1_000_000] {
        let mut rng = ChaCha12Rng::seed_from_u64(1);
        let t1 = crypto::cipher(&crypto::random_key(&mut rng));
        let t2 = crypto::cipher(&crypto::random_key(&mut rng));
        let wrapped: Vec<SealedKey> = (0..n)
            .map(|i| {
                let dek = crypto::random_key(&mut rng);
                crypto::seal_key(
                    &t1,
                    &mut rng,
                    &dek,
                    dek_aad(TABLE_ID, TableKeyId(1), DekId(i as u32)).as_bytes(),
                )
            })
            .collect();
        let mut out = wrapped.clone();
        group.throughput(Throughput::Elements(n as u64));
        group.bench_function(format!("{n}_deks"), |b| {
            b.iter(|| {
                for (i, (w, o)) in wrapped.iter().zip(out.iter_mut()).enumerate() {
                    let id = DekId(i as u32);
                    *o = crypto::rewrap_key(
                        &t1,
                        dek_aad(TABLE_ID, TableKeyId(1), id).as_bytes(),
                        &t2,
                        dek_aad(TABLE_ID, TableKeyId(2), id).as_bytes(),
                        &mut rng,
                        w,
                    )
                    .expect("opens");
                }
                black_box(&out);
            });
        });
    }
    group.finish();
}

/// OpenSSL (EVP, through the `openssl` crate) doing the identical work in the same run: the
/// same 32-byte table keys, wrapped DEKs, AADs and nonces, open under T1 then seal under T2,
/// each context keyed once (only the IV changes per DEK), no allocation per DEK. The output is
/// checked byte for byte against rewrap's.
#[cfg(feature = "bench-openssl")]
fn rewrap_core_openssl(c: &mut Criterion) {
    use openssl::cipher::Cipher;
    use openssl::cipher_ctx::CipherCtx;

    let mut group = c.benchmark_group("rewrap_core_openssl");
    group.sample_size(10);
    for n in [1_000usize, 100_000, 1_000_000] {
        let mut rng = ChaCha12Rng::seed_from_u64(1);
        let k1 = crypto::random_key(&mut rng);
        let k2 = crypto::random_key(&mut rng);
        let t1 = crypto::cipher(&k1);
        let t2 = crypto::cipher(&k2);
        let wrapped: Vec<SealedKey> = (0..n)
            .map(|i| {
                let dek = crypto::random_key(&mut rng);
                crypto::seal_key(
                    &t1,
                    &mut rng,
                    &dek,
                    dek_aad(TABLE_ID, TableKeyId(1), DekId(i as u32)).as_bytes(),
                )
            })
            .collect();
        // The nonces rewrap would draw: the same seeded stream, drawn ahead of time.
        let mut nonce_rng = ChaCha12Rng::seed_from_u64(3);
        let nonces: Vec<[u8; 12]> = (0..n)
            .map(|_| {
                let mut b = [0u8; 12];
                rand::Rng::fill_bytes(&mut nonce_rng, &mut b);
                b
            })
            .collect();
        let mut dec = CipherCtx::new().unwrap();
        dec.decrypt_init(Some(Cipher::aes_256_gcm()), Some(&k1[..]), None)
            .unwrap();
        let mut enc = CipherCtx::new().unwrap();
        enc.encrypt_init(Some(Cipher::aes_256_gcm()), Some(&k2[..]), None)
            .unwrap();
        let mut out = wrapped.clone();
        let mut run = |out: &mut [SealedKey]| {
            for (i, (w, o)) in wrapped.iter().zip(out.iter_mut()).enumerate() {
                let id = DekId(i as u32);
                let mut pt = [0u8; 48];
                dec.decrypt_init(None, None, Some(&w.nonce)).unwrap();
                dec.cipher_update(dek_aad(TABLE_ID, TableKeyId(1), id).as_bytes(), None)
                    .unwrap();
                dec.cipher_update(&w.ct, Some(&mut pt)).unwrap();
                dec.set_tag(&w.tag).unwrap();
                dec.cipher_final(&mut pt[32..]).expect("opens");
                let nonce = nonces[i];
                enc.encrypt_init(None, None, Some(&nonce)).unwrap();
                enc.cipher_update(dek_aad(TABLE_ID, TableKeyId(2), id).as_bytes(), None)
                    .unwrap();
                let mut ct = [0u8; 48];
                enc.cipher_update(&pt[..32], Some(&mut ct)).unwrap();
                enc.cipher_final(&mut ct[32..]).unwrap();
                let mut tag = [0u8; 16];
                enc.tag(&mut tag).unwrap();
                o.nonce = nonce;
                o.ct.copy_from_slice(&ct[..32]);
                o.tag = tag;
                zeroize::Zeroize::zeroize(&mut pt);
            }
        };
        // Same bytes as rewrap's own re-wrap with the same nonces.
        run(&mut out);
        let mut check_rng = ChaCha12Rng::seed_from_u64(3);
        for (i, (w, o)) in wrapped.iter().zip(&out).enumerate().take(100) {
            let id = DekId(i as u32);
            let ours = crypto::rewrap_key(
                &t1,
                dek_aad(TABLE_ID, TableKeyId(1), id).as_bytes(),
                &t2,
                dek_aad(TABLE_ID, TableKeyId(2), id).as_bytes(),
                &mut check_rng,
                w,
            )
            .unwrap();
            assert_eq!(&ours, o, "OpenSSL and rewrap produce the same wrapped DEK");
        }
        group.throughput(Throughput::Elements(n as u64));
        group.bench_function(format!("{n}_deks"), |b| {
            b.iter(|| {
                run(&mut out);
                black_box(&out);
            });
        });
    }
    group.finish();
}

/// The whole engine job: UpdateTable, T2 from GenerateDataKey, every DEK re-wrapped (with its
/// event), the switch. `rewrap_per_dek = 0s` so the job runs in one instant.
fn rewrap_engine(c: &mut Criterion) {
    let mut group = c.benchmark_group("rewrap_engine_job");
    group.sample_size(10);
    for n in [1_000u32, 100_000, 1_000_000] {
        let spec = world(n, 0, SimDuration::ZERO);
        group.throughput(Throughput::Elements(u64::from(n)));
        group.bench_function(format!("{n}_deks"), |b| {
            b.iter_batched(
                || Engine::new(&spec).unwrap(),
                |mut e| {
                    let r = e.apply(&Command::ChangeTableKey {
                        key: KmsKeyId::new("kms-2"),
                    });
                    assert!(r.is_ok());
                    assert_eq!(e.first_table().current(), TableKeyId(2));
                    e
                },
                BatchSize::PerIteration,
            );
        });
    }
    group.finish();
}

/// Baseline in the shape of `openssl speed -evp aes-256-gcm -bytes 32` (encrypt) and
/// `-decrypt`: one AEAD call on 32 bytes with a fresh nonce and a short AAD.
fn aes_gcm_baseline(c: &mut Criterion) {
    let mut group = c.benchmark_group("aes_gcm_32_bytes");
    let mut rng = ChaCha12Rng::seed_from_u64(2);
    let k = crypto::cipher(&crypto::random_key(&mut rng));
    let pt = crypto::random_key(&mut rng);
    let sealed = crypto::seal_key(&k, &mut rng, &pt, b"Orders-1|T1|DEK-0");
    group.throughput(Throughput::Elements(1));
    group.bench_function("seal", |b| {
        b.iter(|| black_box(crypto::seal_key(&k, &mut rng, &pt, b"Orders-1|T1|DEK-0")));
    });
    group.bench_function("open", |b| {
        b.iter(|| black_box(crypto::open_key(&k, &sealed, b"Orders-1|T1|DEK-0").unwrap()));
    });
    group.finish();
}

/// 30 simulated days with a read every minute (43,201 reads), parsed and run headless.
fn thirty_days(c: &mut Criterion) {
    let text = r#"
title = "30 days, a read every minute"
[[key]]
id = "kms-1"
[[key]]
id = "kms-2"
[table]
key = "kms-1"
[[principal]]
name = "app"
[[step]]
at = "0s"
do = "read"
principal = "app"
every = "1m"
until = "30d"
note = "steady traffic"
[[step]]
at = "10d"
do = "change-table-key"
key = "kms-2"
note = "switch"
[[step]]
at = "11d"
do = "schedule-key-deletion"
key = "kms-1"
days = 7
note = "delete the old key"
"#;
    let mut group = c.benchmark_group("scenario");
    group.sample_size(10);
    group.bench_function("30_days_read_every_minute", |b| {
        b.iter(|| {
            let s = Arc::new(scenario::parse("bench.toml", text).unwrap());
            let mut r = Runner::new(s).unwrap();
            r.run_to_end();
            assert!(r.engine().log().len() > 43_000);
            black_box(
                r.engine()
                    .milestones(rewrap::engine::table::TableIx::FIRST)
                    .first_failed_read
                    .is_none(),
            )
        });
    });
    group.finish();
}

fn rss_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// Resident memory of an engine holding a 1M-item table (8 DEKs) and of 1M DEKs.
fn memory_report() {
    let Some(before) = rss_bytes() else {
        eprintln!("memory: /proc/self/statm not available, skipped");
        return;
    };
    let e = Engine::new(&world(8, 1_000_000, SimDuration::from_secs(2))).unwrap();
    let after = rss_bytes().unwrap_or(before);
    println!(
        "memory: 1,000,000 items (8 DEKs): RSS +{:.1} MB ({} items, {:.0} bytes/item)",
        after.saturating_sub(before) as f64 / 1e6,
        e.first_table().items().len(),
        after.saturating_sub(before) as f64 / e.first_table().items().len() as f64
    );
    drop(e);
    let before = rss_bytes().unwrap_or(0);
    let e = Engine::new(&world(1_000_000, 0, SimDuration::from_secs(2))).unwrap();
    let after = rss_bytes().unwrap_or(before);
    println!(
        "memory: 1,000,000 DEKs (0 items): RSS +{:.1} MB",
        after.saturating_sub(before) as f64 / 1e6
    );
    black_box(e.first_table().deks().len());
}

fn main() {
    memory_report();
    let mut c = criterion::Criterion::default()
        .with_measurement(CpuTime(WallTime))
        .configure_from_args();
    rewrap_core(&mut c);
    #[cfg(feature = "bench-ring")]
    rewrap_core_ring(&mut c);
    rewrap_core_single(&mut c);
    #[cfg(feature = "bench-openssl")]
    rewrap_core_openssl(&mut c);
    rewrap_engine(&mut c);
    aes_gcm_baseline(&mut c);
    thirty_days(&mut c);
    c.final_summary();
}
