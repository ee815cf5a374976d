//! Reading an export folder: every regular file under it (symlinks are not followed, FIFOs and
//! devices are refused before they are opened), within bounds, each parsed as one or more JSON
//! documents (pages written one after another are several documents).

use std::path::{Path, PathBuf};

use serde_json::Value;

/// Most files read from an export folder (an account with thousands of keys and tables fits).
pub const MAX_FILES: usize = 20_000;
/// Largest file read (a describe-* response is a few KiB; a list of 10,000 backups a few MiB).
pub const MAX_FILE_BYTES: u64 = 32 * 1024 * 1024;
/// Most bytes read over every file.
pub const MAX_TOTAL_BYTES: u64 = 256 * 1024 * 1024;
/// How deep sub-folders are searched.
pub const MAX_DEPTH: usize = 4;

/// One JSON document found in the export, with the file it came from.
pub struct Document {
    pub file: PathBuf,
    pub value: Value,
}

/// What reading a folder gave: the documents, and what was skipped (and why).
#[derive(Default)]
pub struct Folder {
    pub documents: Vec<Document>,
    pub files: usize,
    pub skipped: Vec<String>,
}

/// Why a folder could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{0}: {1}")]
    Io(String, std::io::Error),
    #[error("{0}: not a folder (give the folder export.sh wrote)")]
    NotAFolder(String),
    #[error("{0}: more than {MAX_FILES} files; export fewer regions, or import parts of it")]
    TooManyFiles(String),
    #[error("{0}: more than {mib} MiB in all", mib = MAX_TOTAL_BYTES / 1024 / 1024)]
    TooLarge(String),
}

/// A path as it may be shown (control characters made visible).
pub fn shown(p: &Path) -> String {
    crate::scenario::printable(&p.display().to_string(), false)
}

/// Read every regular file under `dir` (sorted, so the same folder gives the same result).
pub fn read_folder(dir: &Path) -> Result<Folder, ReadError> {
    let meta = std::fs::metadata(dir).map_err(|e| ReadError::Io(shown(dir), e))?;
    if !meta.is_dir() {
        return Err(ReadError::NotAFolder(shown(dir)));
    }
    let mut paths = Vec::new();
    let mut skipped = Vec::new();
    collect(dir, 0, &mut paths, &mut skipped)?;
    paths.sort();
    if paths.len() > MAX_FILES {
        return Err(ReadError::TooManyFiles(shown(dir)));
    }
    let mut folder = Folder {
        skipped,
        ..Folder::default()
    };
    let mut total = 0u64;
    for p in paths {
        let text = match read_file(&p) {
            Ok(t) => t,
            Err(why) => {
                folder.skipped.push(format!("{}: {why}", shown(&p)));
                continue;
            }
        };
        total += text.len() as u64;
        if total > MAX_TOTAL_BYTES {
            return Err(ReadError::TooLarge(shown(dir)));
        }
        folder.files += 1;
        let mut found = 0;
        let stream = serde_json::Deserializer::from_str(&text).into_iter::<Value>();
        for doc in stream {
            match doc {
                Ok(value) => {
                    found += 1;
                    folder.documents.push(Document {
                        file: p.clone(),
                        value,
                    });
                }
                Err(e) => {
                    folder.skipped.push(format!(
                        "{}:{}:{}: not JSON ({e})",
                        shown(&p),
                        e.line(),
                        e.column()
                    ));
                    break;
                }
            }
        }
        if found == 0 && text.trim().is_empty() {
            folder.skipped.push(format!("{}: empty", shown(&p)));
        }
    }
    Ok(folder)
}

fn collect(
    dir: &Path,
    depth: usize,
    out: &mut Vec<PathBuf>,
    skipped: &mut Vec<String>,
) -> Result<(), ReadError> {
    let entries = std::fs::read_dir(dir).map_err(|e| ReadError::Io(shown(dir), e))?;
    for entry in entries {
        let entry = entry.map_err(|e| ReadError::Io(shown(dir), e))?;
        let path = entry.path();
        // The entry itself, never what a symlink points to.
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_symlink() {
            skipped.push(format!("{}: a symbolic link (not followed)", shown(&path)));
        } else if kind.is_dir() {
            if depth < MAX_DEPTH {
                collect(&path, depth + 1, out, skipped)?;
            } else {
                skipped.push(format!("{}: folder nested too deep", shown(&path)));
            }
        } else if kind.is_file() {
            if out.len() > MAX_FILES {
                return Err(ReadError::TooManyFiles(shown(dir)));
            }
            out.push(path);
        } else {
            skipped.push(format!(
                "{}: not a regular file (a FIFO, socket or device)",
                shown(&path)
            ));
        }
    }
    Ok(())
}

/// One file's text: opened without waiting (a FIFO swapped in opens at once and is refused),
/// at most `MAX_FILE_BYTES`, UTF-8.
fn read_file(path: &Path) -> Result<String, String> {
    use std::io::Read as _;
    // Without waiting: a FIFO swapped in after the folder was listed opens at once and is
    // refused below (symlinks were left out when the folder was listed).
    let file = crate::scenario::open_nonblocking(path).map_err(|e| e.to_string())?;
    let meta = file.metadata().map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(format!(
            "larger than {} MiB (skipped)",
            MAX_FILE_BYTES / 1024 / 1024
        ));
    }
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "not UTF-8 text (byte {}): not an AWS CLI JSON file",
            e.utf8_error().valid_up_to()
        )
    })
}
