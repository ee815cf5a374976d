//! Mutated scenario files (every shipped scenario and every invalid fixture, damaged byte by
//! byte, character by character, line by line, and with numbers made huge or negative) give a
//! result or a diagnostic with a position: never a panic, never an unbounded run.
//!
//! The seed is fixed so CI is repeatable; 5,000 cases catch a class of input that breaks one
//! file in 1,000 with probability 1 - 0.999^5000 > 99%.
#![allow(clippy::print_stderr)] // notes for whoever runs the tests, not user output

use std::sync::Arc;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestRunner};
use rewrap::runner::Runner;
use rewrap::scenario;

fn corpus() -> Vec<(String, String)> {
    let mut files = Vec::new();
    for dir in ["assets/scenarios", "tests/fixtures/invalid"] {
        let mut paths: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        paths.sort();
        for p in paths {
            files.push((
                p.display().to_string(),
                std::fs::read_to_string(&p).unwrap(),
            ));
        }
    }
    files
}

const NUMBERS: &[&str] = &[
    "0",
    "-1",
    "-9223372036854775808",
    "9223372036854775807",
    "18446744073709551616",
    "99999999999999999999999",
    "4294967296",
    "1e308",
    "nan",
    "0x7fffffff",
    "1_000_000",
    "5000000",
    "1000000",
];

const PIECES: &[&str] = &[
    "é",
    "\u{1b}",
    "\u{0}",
    "\u{202e}",
    "\"",
    "'",
    "[",
    "]",
    "{",
    "}",
    "=",
    "\n",
    "#",
    "\\",
    "213503982334d",
    "+",
    "all",
    "aws-owned",
    "\u{fffd}",
    "💥",
    "d",
    "s",
    "9999999d",
];

#[derive(Clone, Debug)]
enum Mutation {
    /// Replace the byte at a position (the file then read lossily, as from disk).
    Byte(usize, u8),
    /// Insert a piece of text at a character position.
    Insert(usize, usize),
    /// Delete a character.
    DeleteChar(usize),
    /// Delete, duplicate, or swap with the next, a line.
    DeleteLine(usize),
    DuplicateLine(usize),
    SwapLines(usize),
    /// Replace the n-th run of digits with a huge, negative or odd number.
    Number(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(p, b)| Mutation::Byte(p, b)),
        (any::<usize>(), 0..PIECES.len()).prop_map(|(p, i)| Mutation::Insert(p, i)),
        any::<usize>().prop_map(Mutation::DeleteChar),
        any::<usize>().prop_map(Mutation::DeleteLine),
        any::<usize>().prop_map(Mutation::DuplicateLine),
        any::<usize>().prop_map(Mutation::SwapLines),
        (any::<usize>(), 0..NUMBERS.len()).prop_map(|(n, i)| Mutation::Number(n, i)),
    ]
}

fn apply(text: &str, m: &Mutation) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut lines: Vec<&str> = text.split('\n').collect();
    match *m {
        Mutation::Byte(p, b) => {
            let mut bytes = text.as_bytes().to_vec();
            if !bytes.is_empty() {
                let i = p % bytes.len();
                bytes[i] = b;
            }
            String::from_utf8_lossy(&bytes).into_owned()
        }
        Mutation::Insert(p, i) => {
            let at = p % (chars.len() + 1);
            let mut s: String = chars[..at].iter().collect();
            s.push_str(PIECES[i]);
            s.extend(&chars[at..]);
            s
        }
        Mutation::DeleteChar(p) => {
            let mut c = chars;
            if !c.is_empty() {
                let i = p % c.len();
                c.remove(i);
            }
            c.into_iter().collect()
        }
        Mutation::DeleteLine(p) => {
            let i = p % lines.len();
            lines.remove(i);
            lines.join("\n")
        }
        Mutation::DuplicateLine(p) => {
            let i = p % lines.len();
            lines.insert(i, lines[i]);
            lines.join("\n")
        }
        Mutation::SwapLines(p) => {
            if lines.len() > 1 {
                let i = p % (lines.len() - 1);
                lines.swap(i, i + 1);
            }
            lines.join("\n")
        }
        Mutation::Number(n, i) => {
            let mut runs = Vec::new();
            let bytes = text.as_bytes();
            let mut k = 0;
            while k < bytes.len() {
                if bytes[k].is_ascii_digit() {
                    let start = k;
                    while k < bytes.len() && bytes[k].is_ascii_digit() {
                        k += 1;
                    }
                    runs.push(start..k);
                } else {
                    k += 1;
                }
            }
            if runs.is_empty() {
                return text.to_string();
            }
            let r = runs[n % runs.len()].clone();
            format!("{}{}{}", &text[..r.start], NUMBERS[i], &text[r.end..])
        }
    }
}

/// Parse, and when the world is small enough to build in a moment, run to the end and render
/// the reports. Any panic fails the test (proptest reports the shrunk input).
fn exercise(file: &str, text: &str) -> bool {
    match scenario::parse(file, text) {
        Err(d) => {
            // A diagnostic names a position inside the file and renders without panicking.
            assert!(d.line >= 1 && d.col >= 1);
            let _ = d.render(false);
            let _ = d.render(true);
            false
        }
        Ok(s) => {
            let big = s.world.tables.iter().map(|t| t.items).sum::<u64>() > 200_000
                || s.world
                    .tables
                    .iter()
                    .map(|t| u64::from(t.deks))
                    .sum::<u64>()
                    > 200_000;
            if big {
                return true;
            }
            let s = Arc::new(s);
            if let Ok(mut r) = Runner::new(s.clone()) {
                r.run_to_end();
                let _ = rewrap::report::summary_text(&s, r.engine());
                let _ = r.failures();
            }
            true
        }
    }
}

#[test]
fn mutated_scenarios_never_panic() {
    let files = corpus();
    assert!(
        files.len() >= 20,
        "the corpus has the shipped scenarios and the fixtures"
    );
    let config = Config {
        cases: 5_000,
        rng_seed: RngSeed::Fixed(0x5eed_2026),
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let accepted = std::sync::atomic::AtomicUsize::new(0);
    let refused = std::sync::atomic::AtomicUsize::new(0);
    let strategy = (0..files.len(), proptest::collection::vec(mutation(), 1..4));
    let result = runner.run(&strategy, |(ix, muts)| {
        let (file, text) = &files[ix];
        let mut t = text.clone();
        for m in &muts {
            t = apply(&t, m);
        }
        let counter = if exercise(file, &t) {
            &accepted
        } else {
            &refused
        };
        counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    });
    let (a, r) = (accepted.into_inner(), refused.into_inner());
    eprintln!("mutated files: {a} accepted and run, {r} refused with a diagnostic");
    assert_eq!(a + r, 5_000);
    assert!(
        a > 300 && r > 300,
        "the mutations reach both paths: {a} / {r}"
    );
    if let Err(e) = result {
        panic!("{e}");
    }
}
