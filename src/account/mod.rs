//! Your own account, simulated (issue 17). `rewrap export-script` prints the read-only AWS CLI
//! commands that write an account's keys, tables and backups as JSON files; `rewrap import`
//! reads those files into a scenario file whose world starts where the account is (scenario
//! format version 3). rewrap never calls AWS and never holds credentials.

pub mod answer;
pub mod build;
mod copies;
pub mod export;
pub mod export_script;
pub mod read;
pub mod safe;
pub mod stamp;
pub mod whatif;

use std::fmt::Write as _;
use std::path::Path;

use crate::engine::table::TableIx;
use crate::engine::time::SimTime;
use crate::engine::{Command, Engine};
use crate::scenario::write::{Head, StepOut, world_to_toml};
use crate::scenario::{Action, CheckKind};

pub use build::Options;

/// What an import gives: the scenario file, and what had to be said about the export.
pub struct Report {
    pub toml: String,
    pub warnings: Vec<String>,
    pub skipped: Vec<String>,
    pub files: usize,
    pub tables: usize,
    pub keys: usize,
    pub backups: usize,
}

/// Why an import gave no file.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Read(#[from] read::ReadError),
    #[error("{0}")]
    Build(#[from] build::BuildError),
    #[error("the world built from the export does not load ({0}): please report this")]
    Internal(String),
}

/// Read the export in `dir` and write the scenario file of the world it shows.
pub fn import(dir: &Path, options: &Options) -> Result<Report, ImportError> {
    let folder = read::read_folder(dir)?;
    let mut export = export::Export::default();
    for doc in &folder.documents {
        export.add(doc);
    }
    let built = build::build(&export, options)?;
    let mut warnings = built.warnings.clone();
    warnings.extend(export.notes.iter().cloned());
    let engine = Engine::new(&built.world).map_err(|e| ImportError::Internal(e.to_string()))?;
    let steps = expectations(&engine, &built.world);
    let folder_name = if options.redact {
        "an export (redacted)".to_string()
    } else {
        format!("the export in {}", read::shown(dir))
    };
    let title = format!(
        "Your account at {} ({} tables, {} keys)",
        stamp::format_iso(built.now_ms),
        built.world.tables.len(),
        built.world.keys.len()
    );
    let summary = format!(
        "Imported by `rewrap import` from {folder_name}, exported at {}. Times are measured from that moment (0s). Items and DEKs are synthetic: {} DEKs and {} items a table, whatever the table holds.",
        stamp::format_iso(built.now_ms),
        built.world.tables.first().map_or(0, |t| t.deks),
        built.world.tables.first().map_or(0, |t| t.items),
    );
    let set = std::collections::BTreeSet::new();
    let body = world_to_toml(
        &built.world,
        &Head {
            title: &title,
            summary: Some(&summary),
            end: None,
            talk: None,
            assumptions_set: &set,
        },
        &steps,
    );
    let mut toml = String::new();
    let _ = writeln!(
        toml,
        "# Imported by `rewrap import` from {folder_name} ({} files), exported at {}.",
        folder.files,
        stamp::format_iso(built.now_ms)
    );
    let _ = writeln!(
        toml,
        "# Items and DEKs are synthetic. The steps at 0s say what the export shows; add your own\n# steps after them (rewrap docs), or ask: rewrap whatif THIS_FILE --schedule-deletion KEY"
    );
    if options.redact {
        // The notes name tables, keys and paths: a redacted file keeps only their count.
        if !warnings.is_empty() {
            let _ = writeln!(
                toml,
                "# {} notes about the export were printed when it was imported (left out: --redact)",
                warnings.len()
            );
        }
    } else {
        for (id, was) in &built.key_names {
            let _ = writeln!(
                toml,
                "# key {id}: {}",
                crate::scenario::printable(was, false)
            );
        }
        for w in &warnings {
            let _ = writeln!(toml, "# note: {}", crate::scenario::printable(w, false));
        }
    }
    toml.push('\n');
    toml.push_str(&body);
    if !toml.ends_with('\n') {
        toml.push('\n');
    }
    // The file must load and its expectations hold: the importer checks its own output.
    let scenario = crate::scenario::parse("imported.toml", &toml)
        .map_err(|d| ImportError::Internal(d.message.clone()))?;
    let mut runner = crate::runner::Runner::new(std::sync::Arc::new(scenario))
        .map_err(|e| ImportError::Internal(e.to_string()))?;
    runner.run_to_end();
    if let Some(f) = runner.failures().first() {
        return Err(ImportError::Internal(f.to_string()));
    }
    Ok(Report {
        toml,
        warnings,
        skipped: folder.skipped,
        files: folder.files,
        tables: built.world.tables.len(),
        keys: built.world.keys.len(),
        backups: built.world.backups.len(),
    })
}

/// One step at 0s a table: what the export shows, as expectations `rewrap check` verifies
/// (the engine's own state at the start, read back).
fn expectations(engine: &Engine, world: &crate::engine::WorldSpec) -> Vec<StepOut> {
    let mut steps = Vec::new();
    for (i, spec) in world.tables.iter().enumerate() {
        let tx = TableIx(i);
        let Some(t) = engine.tables().get(i) else {
            continue;
        };
        let mut expect = Vec::new();
        if i == 0 {
            for k in &world.keys {
                if let Some(key) = engine.key(&k.id) {
                    expect.push(CheckKind::KeyState(k.id.clone(), key.state().kind()));
                }
            }
        }
        expect.push(CheckKind::Table(t.status()));
        expect.push(CheckKind::Sse(t.sse()));
        expect.push(CheckKind::WrappedBy(t.current_kms_key().clone()));
        if spec.key.as_str() != crate::engine::ids::AWS_OWNED {
            expect.push(CheckKind::Grant(t.grant_revoked()));
        }
        for r in &spec.replicas {
            if let Some(c) = engine.copy_in(tx, &r.region) {
                expect.push(CheckKind::Replica(
                    r.region.clone(),
                    engine.replica_status(c),
                ));
            }
        }
        for b in engine.backups().iter().filter(|b| b.source() == tx) {
            expect.push(CheckKind::Backup(
                b.name().to_string(),
                engine.backup_state(b),
            ));
        }
        expect.push(CheckKind::Recoverable(engine.recoverable(tx)));
        steps.push(StepOut {
            at: SimTime::ZERO,
            action: Action::Command(Command::Wait),
            note: Some(format!("{}: as the export shows it", spec.name)),
            say: None,
            after: None,
            expect,
            repeat: None,
            id: None,
            ask: None,
            table: (i > 0).then(|| spec.name.clone()),
            region: None,
        });
    }
    steps
}
