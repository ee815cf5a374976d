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

/// What one engine file names of its siblings: module names, and the names `mod.rs` defines or
/// re-exports (resolved to the file that holds them).
struct EngineFile {
    name: String,
    refs: Vec<String>,
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The identifiers after each `super::` / `crate::engine::`, with whether each is followed by
/// `::` (a module) — a `{…}` group contributes its top-level names.
fn sibling_names(text: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    for prefix in ["super::", "crate::engine::"] {
        let mut rest = text;
        while let Some(i) = rest.find(prefix) {
            rest = &rest[i + prefix.len()..];
            if let Some(group) = rest.strip_prefix('{') {
                let mut depth = 0usize;
                let mut word = String::new();
                let mut chars = group.char_indices().peekable();
                while let Some((j, c)) = chars.next() {
                    if is_ident(c) {
                        word.push(c);
                        continue;
                    }
                    if !word.is_empty() && depth == 0 {
                        out.push((word.clone(), group[j..].starts_with("::")));
                    }
                    word.clear();
                    match c {
                        '{' => depth += 1,
                        '}' if depth == 0 => break,
                        '}' => depth -= 1,
                        ':' => {
                            // `a::b`: only the first segment names a sibling.
                            while chars.peek().is_some_and(|&(_, c)| is_ident(c) || c == ':') {
                                chars.next();
                            }
                        }
                        _ => {}
                    }
                }
            } else {
                let word: String = rest.chars().take_while(|&c| is_ident(c)).collect();
                let module = rest[word.len()..].starts_with("::");
                if !word.is_empty() {
                    out.push((word, module));
                }
            }
        }
    }
    out
}

fn engine_files() -> (Vec<EngineFile>, std::collections::BTreeMap<String, String>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/engine");
    let mut files = Vec::new();
    rust_files(&dir, &mut files);
    let mut owner = std::collections::BTreeMap::new();
    let mut out = Vec::new();
    for path in files {
        // A folder (`view/`) is one module: its files are one node.
        let name = match path.parent().filter(|p| *p != dir) {
            Some(folder) => folder.file_name().unwrap().to_string_lossy().into_owned(),
            None => path.file_stem().unwrap().to_string_lossy().into_owned(),
        };
        if name.ends_with("tests") {
            continue;
        }
        let text = fs::read_to_string(&path).expect("readable source");
        // Test modules at the end of a file may import anything.
        let text = text.split("#[cfg(test)]").next().unwrap_or("").to_string();
        if name == "mod" {
            // Names `mod.rs` defines are its own; names it imports belong to their file.
            for stmt in text.split(';') {
                let s = stmt.trim_start();
                let s = s.strip_prefix("pub ").unwrap_or(s);
                if let Some(u) = s.strip_prefix("use ") {
                    let first: String = u.chars().take_while(|&c| is_ident(c)).collect();
                    for w in u[first.len()..].split(|c: char| !is_ident(c)) {
                        if w.starts_with(|c: char| c.is_ascii_uppercase()) {
                            owner.insert(w.to_string(), first.clone());
                        }
                    }
                }
            }
            for line in text.lines() {
                for kw in ["pub struct ", "pub enum ", "pub const "] {
                    if let Some(w) = line.trim_start().strip_prefix(kw) {
                        let w: String = w.chars().take_while(|&c| is_ident(c)).collect();
                        owner.insert(w, "mod".to_string());
                    }
                }
            }
        }
        let mut refs: Vec<String> = Vec::new();
        if name != "mod" && text.contains("impl Engine") {
            refs.push("mod".to_string());
        }
        out.push(EngineFile {
            name,
            refs: sibling_names(&text)
                .into_iter()
                .map(|(w, module)| if module { w } else { format!("#{w}") })
                .chain(refs)
                .collect(),
        });
    }
    if let Some(m) = out.iter_mut().find(|f| f.name == "mod") {
        let text = fs::read_to_string(dir.join("mod.rs")).expect("mod.rs");
        let text = text.split("#[cfg(test)]").next().unwrap_or("");
        for line in text.lines() {
            let s = line.trim_start();
            let s = s.strip_prefix("pub ").unwrap_or(s);
            if let Some(u) = s.strip_prefix("use ") {
                let first: String = u.chars().take_while(|&c| is_ident(c)).collect();
                m.refs.push(first);
            }
        }
    }
    (out, owner)
}

/// Depth-first search from `n`: the first cycle met, as the path that closes it.
fn visit<'a>(
    n: &'a str,
    graph: &std::collections::BTreeMap<&'a str, std::collections::BTreeSet<&'a str>>,
    path: &mut Vec<&'a str>,
    done: &mut std::collections::BTreeSet<&'a str>,
) -> Option<Vec<&'a str>> {
    if let Some(i) = path.iter().position(|p| *p == n) {
        let mut cycle = path[i..].to_vec();
        cycle.push(n);
        return Some(cycle);
    }
    if !done.insert(n) {
        return None;
    }
    path.push(n);
    for next in graph.get(n).into_iter().flatten() {
        if let Some(c) = visit(next, graph, path, done) {
            return Some(c);
        }
    }
    path.pop();
    None
}

#[test]
fn the_engine_files_import_each_other_without_a_cycle() {
    use std::collections::{BTreeMap, BTreeSet};
    let (files, owner) = engine_files();
    let names: BTreeSet<&str> = files.iter().map(|f| f.name.as_str()).collect();
    assert!(names.len() > 20 && names.contains("view") && names.contains("mod"));
    let mut graph: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for f in &files {
        let edges = graph.entry(f.name.as_str()).or_default();
        for r in &f.refs {
            let target = match r.strip_prefix('#') {
                Some(item) => owner.get(item).map_or("", String::as_str),
                None => r.as_str(),
            };
            if target != f.name && names.contains(target) {
                edges.insert(target);
            }
        }
    }
    // The shape the rule rests on: `mod.rs` holds `Engine` and imports only vocabulary and
    // state; the behaviour files (`impl Engine`) import `mod.rs`; so no path leads back.
    assert!(graph["view"].contains("mod") && graph["rewrap"].contains("mod"));
    let mut done = BTreeSet::new();
    for n in graph.keys() {
        if let Some(cycle) = visit(n, &graph, &mut Vec::new(), &mut done) {
            panic!("an import cycle in the engine: {}", cycle.join(" → "));
        }
    }
}
