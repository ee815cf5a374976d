//! The scenarios shipped in the binary, and loading `FILE|NAME` (a file read with a bound, or a
//! built-in by name).

use super::diag::Diagnostic;
use super::{Scenario, limits, parse};

/// Embed `assets/scenarios/NAME.toml` under its name.
macro_rules! builtin {
    ($name:literal) => {
        Builtin {
            name: $name,
            text: include_str!(concat!("../../assets/scenarios/", $name, ".toml")),
        }
    };
}

/// Embed `assets/labs/NAME.toml` under its name.
macro_rules! lab {
    ($name:literal) => {
        Builtin {
            name: $name,
            text: include_str!(concat!("../../assets/labs/", $name, ".toml")),
        }
    };
}

/// The labs shipped in the binary (`rewrap lab list`), in the order a workshop takes them.
pub const LABS: &[Builtin] = &[
    lab!("retire-the-old-key"),
    lab!("rescue-before-archive"),
    lab!("protect-before-deleting"),
    lab!("move-the-replica-key"),
    lab!("recover-archived-table"),
];

/// A scenario embedded in the binary.
pub struct Builtin {
    pub name: &'static str,
    pub text: &'static str,
}

/// The shipped scenarios, in teaching order; the first is the default.
pub const BUILTINS: &[Builtin] = &[
    builtin!("change-table-key"),
    builtin!("disable-current-key"),
    builtin!("delete-current-key"),
    builtin!("rotation-is-not-rewrap"),
    builtin!("cancel-is-not-enable"),
    builtin!("revoke-one-principal"),
    builtin!("key-change-quota"),
    builtin!("old-key-disabled-mid-rewrap"),
    builtin!("many-connections"),
    builtin!("aws-managed-key"),
    builtin!("restore-within-grace"),
    builtin!("imported-material-expires"),
    builtin!("shared-key-blast-radius"),
    builtin!("grant-revoked"),
    builtin!("backup-outlives-key-change"),
    builtin!("archive-and-restore"),
    builtin!("replica-key-disabled"),
    builtin!("security-review"),
];

/// Why a scenario could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{0}")]
    Invalid(Box<Diagnostic>),
    #[error("cannot read `{path}`: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "no scenario file or built-in scenario named `{0}` (run `rewrap list` to see the built-in ones)"
    )]
    NotFound(String),
}

/// Load `FILE|NAME`: an existing path, else a built-in scenario by name.
pub fn load(spec: &str) -> Result<Scenario, LoadError> {
    let path = std::path::Path::new(spec);
    // The name as messages and screens show it: a crafted file name never reaches a terminal
    // as escape sequences (the file is still read by its real name).
    let shown = super::names::printable(spec, false);
    if path.exists() {
        let text = read_bounded(path).map_err(|source| LoadError::Io {
            path: shown.clone(),
            source,
        })?;
        return parse(&shown, &text).map_err(|d| LoadError::Invalid(Box::new(d)));
    }
    let name = spec.strip_prefix("builtin:").unwrap_or(spec);
    let name = name.strip_suffix(".toml").unwrap_or(name);
    match BUILTINS.iter().chain(LABS).find(|b| b.name == name) {
        Some(b) => parse(&format!("builtin:{}", b.name), b.text)
            .map_err(|d| LoadError::Invalid(Box::new(d))),
        None => Err(LoadError::NotFound(shown)),
    }
}

/// Read at most `limits::MAX_FILE_BYTES` of a scenario file (a device such as /dev/zero or
/// a huge file is refused instead of read without end).
fn read_bounded(path: &std::path::Path) -> std::io::Result<String> {
    use std::io::Read as _;
    // Refuse what is not a regular file before opening it: opening a FIFO waits for a writer
    // (a reload watcher would hang on it for good), and a device never ends.
    let kind = std::fs::metadata(path)?.file_type();
    if kind.is_dir() {
        return Err(std::io::Error::other(
            "it is a directory, not a scenario file",
        ));
    }
    if !kind.is_file() {
        return Err(std::io::Error::other(
            "not a regular file (a FIFO, a socket or a device): a scenario is a file",
        ));
    }
    let file = open_nonblocking(path)?;
    // It may have been swapped between the check and the open: check what was opened.
    if !file.metadata()?.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    let mut bytes = Vec::new();
    file.take(limits::MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limits::MAX_FILE_BYTES {
        return Err(std::io::Error::other(format!(
            "larger than {} KiB: a scenario file is at most {} bytes",
            limits::MAX_FILE_BYTES / 1024,
            limits::MAX_FILE_BYTES
        )));
    }
    String::from_utf8(bytes).map_err(|e| {
        std::io::Error::other(format!(
            "not UTF-8 text (byte {})",
            e.utf8_error().valid_up_to()
        ))
    })
}

/// Open for reading without waiting: a FIFO swapped in after the check opens at once instead of
/// blocking until a writer comes.
pub(crate) fn open_nonblocking(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        // O_NONBLOCK: 0o4000 on Linux, 0x4 on the BSDs and macOS.
        #[cfg(any(target_os = "linux", target_os = "android"))]
        options.custom_flags(0o4000);
        #[cfg(any(
            target_os = "macos",
            target_os = "freebsd",
            target_os = "openbsd",
            target_os = "netbsd"
        ))]
        options.custom_flags(0x4);
    }
    options.open(path)
}

/// The default scenario (the seed story).
pub fn default_scenario() -> Scenario {
    // The built-ins are validated by the test suite; a broken one is a build defect.
    load(BUILTINS[0].name).expect("the default built-in scenario is valid")
}
