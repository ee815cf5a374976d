//! The shape rules of the codebase, checked on its source: the front ends (`ui`, `notes`) read
//! the engine only through its read model (`engine::view`), and the engine's state structs keep
//! their fields to the engine (docs/architecture.md, "The read model is the only door").

use std::fs;
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("source directory") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn sources(parts: &[&str]) -> Vec<(PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    for p in parts {
        let path = root.join(p);
        if path.is_dir() {
            rust_files(&path, &mut files);
        } else {
            files.push(path);
        }
    }
    files
        .into_iter()
        .map(|p| {
            let text = fs::read_to_string(&p).expect("readable source");
            (p, text)
        })
        .collect()
}

#[test]
fn front_ends_name_engine_types_only_from_the_read_model() {
    let mut bad = Vec::new();
    for (path, text) in sources(&["ui", "notes", "notes_window.rs"]) {
        for (n, line) in text.lines().enumerate() {
            let mut rest = line;
            while let Some(i) = rest.find("engine::") {
                let after = &rest[i + "engine::".len()..];
                if !after.starts_with("view") {
                    bad.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
                    break;
                }
                rest = after;
            }
        }
    }
    assert!(
        bad.is_empty(),
        "front-end files reach past engine::view:\n{}",
        bad.join("\n")
    );
}

#[test]
fn engine_state_fields_are_not_public() {
    let mut bad = Vec::new();
    for (path, text) in sources(&[
        "engine/mod.rs",
        "engine/state.rs",
        "engine/table.rs",
        "engine/kms.rs",
        "engine/job.rs",
        "engine/cache.rs",
        "engine/backup.rs",
    ]) {
        let mut in_struct = false;
        for (n, line) in text.lines().enumerate() {
            let t = line.trim_start();
            if t.starts_with("pub struct")
                || t.starts_with("pub(super) struct")
                || t.starts_with("struct")
            {
                // `Milestones` is the record of "when exactly" answers the report and checks
                // read whole: a value, not state behind accessors.
                in_struct = t.ends_with('{') && !t.contains("Milestones");
            } else if in_struct && t.starts_with('}') {
                in_struct = false;
            } else if in_struct && t.starts_with("pub ") {
                bad.push(format!("{}:{}: {}", path.display(), n + 1, t));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "public engine state fields:\n{}",
        bad.join("\n")
    );
}
