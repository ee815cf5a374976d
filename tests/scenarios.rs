//! Every shipped scenario through `check`, determinism, the format page's examples, and the
//! invalid-scenario fixtures (each asserting its message and position).

use std::path::Path;
use std::sync::Arc;

use rewrap::report;
use rewrap::runner::Runner;
use rewrap::scenario::{self, BUILTINS};

fn run(spec: &str) -> Runner {
    let s = Arc::new(scenario::load(spec).unwrap_or_else(|e| panic!("{spec}: {e}")));
    let mut r = Runner::new(s).unwrap();
    r.run_to_end();
    r
}

#[test]
fn every_shipped_scenario_passes_check() {
    let mut files: Vec<_> = std::fs::read_dir("assets/scenarios")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 9,
        "at least the nine scenarios the issue names"
    );
    for f in files {
        let r = run(f.to_str().unwrap());
        let failures: Vec<String> = r.failures().iter().map(ToString::to_string).collect();
        assert!(
            failures.is_empty(),
            "{}:\n{}",
            f.display(),
            failures.join("\n")
        );
    }
}

#[test]
fn embedded_builtins_are_the_files_on_disk() {
    for b in BUILTINS {
        let on_disk = std::fs::read_to_string(format!("assets/scenarios/{}.toml", b.name)).unwrap();
        assert_eq!(on_disk, b.text, "{} is stale in the binary", b.name);
    }
}

#[test]
fn same_seed_and_file_give_a_byte_identical_log() {
    for b in BUILTINS {
        let a: Vec<String> = run(b.name)
            .engine()
            .log()
            .iter()
            .map(report::json_line)
            .collect();
        let c: Vec<String> = run(b.name)
            .engine()
            .log()
            .iter()
            .map(report::json_line)
            .collect();
        assert_eq!(a, c, "{}", b.name);
        assert!(a.len() > 5);
    }
}

#[test]
fn another_seed_gives_other_ciphertext_but_the_same_story() {
    let text = BUILTINS[0].text.replace("seed = 7", "seed = 8");
    let s = Arc::new(scenario::parse("seed8.toml", &text).unwrap());
    let mut r = Runner::new(s).unwrap();
    r.run_to_end();
    assert!(r.failures().is_empty());
    let a = run(BUILTINS[0].name);
    assert_ne!(
        a.engine().first_table().deks()[0].wrapped(),
        r.engine().first_table().deks()[0].wrapped(),
        "different seed, different key material and nonces"
    );
}

fn toml_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        match (&mut current, line.trim_start()) {
            (None, l) if l.starts_with("```toml") => current = Some(String::new()),
            (Some(_), l) if l.starts_with("```") => blocks.push(current.take().unwrap()),
            (Some(b), _) => {
                b.push_str(line);
                b.push('\n');
            }
            _ => {}
        }
    }
    blocks
}

#[test]
fn the_format_page_example_parses_and_runs() {
    let page = std::fs::read_to_string("docs/scenario-format.md").unwrap();
    // Whole scenarios (with a title); the Version 2 fragments are shapes, not files.
    let blocks: Vec<String> = toml_blocks(&page)
        .into_iter()
        .filter(|b| b.lines().any(|l| l.starts_with("title")))
        .collect();
    assert!(!blocks.is_empty());
    for b in blocks {
        let s = scenario::parse("docs/scenario-format.md", &b).unwrap_or_else(|e| panic!("{e}"));
        let mut r = Runner::new(Arc::new(s)).unwrap();
        r.run_to_end();
        assert!(r.failures().is_empty(), "{:?}", r.failures());
    }
}

#[test]
fn the_docs_page_carries_the_contract_unchanged() {
    let page = std::fs::read_to_string("docs/scenario-format.md").unwrap();
    // When the shared contract is beside the checkout, the project's copy must start with it.
    let shared = Path::new("../shared/scenario-format.md");
    if let Ok(contract) = std::fs::read_to_string(shared) {
        assert!(
            page.starts_with(contract.trim_end()),
            "docs/scenario-format.md drifted from the contract"
        );
    }
    assert!(page.contains("## Extensions in this version of rewrap"));
}

#[test]
fn invalid_fixtures_report_their_message_and_position() {
    let mut n = 0;
    for entry in std::fs::read_dir("tests/fixtures/invalid").unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let header = text.lines().next().unwrap();
        let rest = header
            .strip_prefix("# expect ")
            .expect("fixture header `# expect L:C: message`");
        let (pos, message) = rest.split_once(": ").unwrap();
        let file = path.to_str().unwrap();
        let d = scenario::parse(file, &text).expect_err(file);
        assert_eq!(
            format!("{}:{}", d.line, d.col),
            pos,
            "{file}: {}",
            d.message
        );
        assert!(d.message.contains(message), "{file}: got `{}`", d.message);
        let rendered = d.render(false);
        assert!(
            rendered.contains(&format!("--> {file}:{pos}")),
            "{rendered}"
        );
        n += 1;
    }
    assert!(n >= 15);
}

#[test]
fn every_json_event_kind_is_documented() {
    let doc = std::fs::read_to_string("docs/json-log.md").unwrap();
    let mut kinds = std::collections::BTreeSet::new();
    for b in BUILTINS {
        for e in run(b.name).engine().log() {
            let v: serde_json::Value = serde_json::from_str(&report::json_line(e)).unwrap();
            kinds.insert(v["kind"].as_str().unwrap().to_string());
            assert!(v["at"].is_u64() && v["time"].is_string());
        }
    }
    assert!(kinds.len() > 15, "{kinds:?}");
    for k in kinds {
        assert!(
            doc.contains(&format!("`{k}`")),
            "docs/json-log.md does not document `{k}`"
        );
    }
}

#[test]
fn the_readme_capture_is_the_current_screen() {
    // Each `<!-- capture: NAME -->` in the README is followed by the body of snapshot NAME.
    let readme = std::fs::read_to_string("README.md").unwrap();
    let mut found = 0;
    for part in readme.split("<!-- capture: ").skip(1) {
        let name = part.split(" -->").next().unwrap();
        let snap = std::fs::read_to_string(format!("tests/snapshots/{name}.snap")).unwrap();
        let body = snap.splitn(3, "---").nth(2).unwrap().trim_matches('\n');
        let block = part
            .split("```text\n")
            .nth(1)
            .and_then(|b| b.split("```").next())
            .unwrap()
            .trim_matches('\n');
        assert_eq!(
            block, body,
            "README.md's capture {name} is stale: paste tests/snapshots/{name}.snap"
        );
        found += 1;
    }
    assert!(found >= 2, "the README shows the list view and the diagram");
}
