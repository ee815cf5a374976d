//! Writing an exploration to disk (`w` in the live view): file I/O lives here, outside the
//! TUI's model, which only asks for it (`app::Effect::Save`) and hears how it went
//! (`App::saved`).

use std::path::PathBuf;

/// Write `text` to `STEM-explored.toml` in `dir`, or `STEM-explored-N.toml` if taken. Each
/// name is created new (O_CREAT|O_EXCL): an existing file is never overwritten and a symlink
/// at the name, dangling or not, is never followed.
pub fn write_new_file(dir: &std::path::Path, stem: &str, text: &str) -> std::io::Result<PathBuf> {
    write_new_named(dir, &format!("{stem}-explored"), text).map_err(|e| {
        if e.kind() == std::io::ErrorKind::Other && e.to_string().starts_with("999") {
            std::io::Error::other("999 saved explorations already exist here: move some away")
        } else {
            e
        }
    })
}

/// Write `text` to a new file `STEM.toml` in `dir` (`STEM-2.toml`, ... when taken): never an
/// existing file, never through a link.
pub fn write_new_named(dir: &std::path::Path, stem: &str, text: &str) -> std::io::Result<PathBuf> {
    use std::io::Write as _;
    for n in 1..=999 {
        let name = if n == 1 {
            format!("{stem}.toml")
        } else {
            format!("{stem}-{n}.toml")
        };
        let path = dir.join(name);
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(mut f) => {
                f.write_all(text.as_bytes())?;
                f.sync_all()?;
                return Ok(path);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other(
        "999 files of that name already exist here: move some away",
    ))
}
