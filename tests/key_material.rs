//! Key material really goes away: after a KMS key's deletion date, no copy of its bytes is left
//! anywhere in the process, even with step-back history that reaches back to before the
//! deletion (snapshots keep no key bytes; they are re-derived when used). Measured by scanning
//! this process's own memory (/proc/self/mem, Linux).
#![allow(clippy::print_stderr)] // notes for whoever runs the tests, not user output

use std::io::{Read, Seek, SeekFrom};
use std::sync::Arc;

use rewrap::app::{App, Msg};
use rewrap::engine::crypto;
use rewrap::scenario;

const MASK: u8 = 0x5a;

/// The key's bytes, masked: the test never holds the plaintext pattern it searches for.
fn masked_material(seed: u64, key: &str, version: u32) -> [u8; 32] {
    let material = crypto::derive_material(seed, key, version);
    let mut m = [0u8; 32];
    for (o, b) in m.iter_mut().zip(material.iter()) {
        *o = b ^ MASK;
    }
    m
}

/// How many times the unmasked pattern occurs in this process's readable memory.
fn occurrences(masked: &[u8; 32]) -> usize {
    let maps = std::fs::read_to_string("/proc/self/maps").expect("Linux /proc");
    let mut mem = std::fs::File::open("/proc/self/mem").expect("Linux /proc");
    let mut found = 0;
    let mut buf = Vec::new();
    for line in maps.lines() {
        let mut parts = line.split_whitespace();
        let (Some(range), Some(perms)) = (parts.next(), parts.next()) else {
            continue;
        };
        if !perms.starts_with('r') || line.contains("[vvar]") || line.contains("[vsyscall]") {
            continue;
        }
        let Some((a, b)) = range.split_once('-') else {
            continue;
        };
        let (Ok(start), Ok(end)) = (u64::from_str_radix(a, 16), u64::from_str_radix(b, 16)) else {
            continue;
        };
        let len = (end - start) as usize;
        if len > 1 << 30 {
            continue;
        }
        buf.clear();
        buf.resize(len, 0);
        if mem.seek(SeekFrom::Start(start)).is_err() || mem.read_exact(&mut buf).is_err() {
            continue;
        }
        let n = buf
            .windows(32)
            .filter(|w| {
                w[0] ^ MASK == masked[0] && w.iter().zip(masked).all(|(x, m)| x ^ MASK == *m)
            })
            .count();
        if n > 0 && std::env::var_os("REWRAP_SCAN_DEBUG").is_some() {
            eprintln!("{n} in {line}");
        }
        found += n;
    }
    // The scan buffer itself held the bytes while reading: wipe it.
    buf.fill(0);
    found
}

#[test]
fn deleted_key_material_leaves_no_copy_even_with_step_back_history() {
    let s = scenario::load("delete-current-key").unwrap();
    let seed = s.world.seed;
    let kms1 = masked_material(seed, "kms-1", 1);
    let mut a = App::new(Arc::new(s)).unwrap();
    // Before the deletion date the live engine holds kms-1's material: the scan finds it, so
    // the scan works.
    for _ in 0..3 {
        a.update(Msg::NextStep);
        a.settle();
    }
    assert!(occurrences(&kms1) >= 1, "the scanner finds live material");
    // Past the deletion date (7 days), with checkpoints from before it in the history.
    for _ in 0..6 {
        a.update(Msg::NextStep);
        a.settle();
    }
    assert!(
        a.runner()
            .engine()
            .key(&"kms-1".into())
            .unwrap()
            .is_deleted()
    );
    assert!(a.snapshots_held() >= 1);
    assert_eq!(
        occurrences(&kms1),
        0,
        "no copy of the deleted material anywhere"
    );
    // Stepping back before the deletion brings the material back (re-derived), exactly.
    for _ in 0..5 {
        a.update(Msg::PrevStep);
    }
    assert!(
        !a.runner()
            .engine()
            .key(&"kms-1".into())
            .unwrap()
            .is_deleted()
    );
    assert!(occurrences(&kms1) >= 1);
}
