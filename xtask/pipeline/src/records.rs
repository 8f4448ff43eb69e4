//! A step's record beside its output (`<output>.key`: its input key, then the output's size and SHA-256), verified
//! on every use, so an output damaged after it was written is rebuilt, never trusted; and the clean-up of what a
//! killed run left behind. The keys themselves are `keys`'.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::util;

/// A step's record beside its output: `<output>.key`.
fn record_path(output: &Path) -> PathBuf {
    let mut name = output.file_name().unwrap_or_default().to_os_string();
    name.push(".key");
    output.with_file_name(name)
}

/// The output's SHA-256 if the step that wrote it is fresh: its record names the same input key and the output
/// still has the size and digest recorded when it was written. A missing, truncated or altered output (or
/// record) makes the step run again; nothing damaged after it was built is ever reported `Fresh`.
pub fn fresh(output: &Path, key: &str) -> Option<String> {
    let record = std::fs::read_to_string(record_path(output)).ok()?;
    let mut lines = record.lines();
    if lines.next()? != key {
        return None;
    }
    let (size, digest) = lines.next()?.split_once(' ')?;
    let bytes = std::fs::read(output).ok()?;
    if bytes.len().to_string() != size {
        return None;
    }
    let actual = util::sha256_hex(&bytes);
    (actual == digest).then_some(actual)
}

/// A step at `output` with input key `key`: fresh, or `make` writes `output` and the step is recorded. Returns the
/// output's SHA-256 and whether it was fresh (nothing ran).
pub fn fresh_or(output: &Path, key: &str, make: impl FnOnce() -> Result<()>) -> Result<(String, bool)> {
    match fresh(output, key) {
        Some(digest) => Ok((digest, true)),
        None => {
            make()?;
            Ok((record(output, key)?, false))
        }
    }
}

/// Records a step that just wrote `output`: its input key, then the size and SHA-256 of what it wrote (returned).
pub fn record(output: &Path, key: &str) -> Result<String> {
    let bytes = util::read(output)?;
    let digest = util::sha256_hex(&bytes);
    util::write_atomic(&record_path(output), format!("{key}\n{} {digest}\n", bytes.len()).as_bytes())?;
    Ok(digest)
}

/// Removes what a killed run left behind below `dir`: temporary files (`.<name>.<pid>.tmp`, `.core.<pid>.tmp.wasm`)
/// that were never renamed into place. Called under the checkout's lock, so no live run owns them.
pub fn remove_orphans(dir: &Path) -> Result<usize> {
    if !dir.is_dir() {
        return Ok(0);
    }
    let mut removed = 0;
    for file in util::files_under(dir)? {
        let name = file.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if name.starts_with('.') && name.contains(".tmp") {
            std::fs::remove_file(&file).with_context(|| format!("failed to remove {}", file.display()))?;
            removed += 1;
        }
    }
    Ok(removed)
}
