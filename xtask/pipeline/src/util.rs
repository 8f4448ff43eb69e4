//! Small file helpers shared by tasks: atomic writes (temp file in the same directory + rename, so an interrupted
//! task never leaves a half-written artifact) and content hashes.

use std::path::Path;

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};

/// Validates a core module or component with every WebAssembly feature wasmparser knows (Go and the adapter
/// use bulk memory, sign extension, saturating conversions, multi-value; the check is what the bytes are, not
/// which features a later consumer enables).
pub fn validate(bytes: &[u8]) -> Result<()> {
    wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all()).validate_all(bytes)?;
    Ok(())
}

/// `text` formatted by gofmt (at `gofmt`), which fails on Go that does not parse.
pub fn gofmt(sh: &xshell::Shell, gofmt: &Path, text: &[u8]) -> Result<Vec<u8>> {
    Ok(xshell::cmd!(sh, "{gofmt}").stdin(text).quiet().output()?.stdout)
}

/// Writes `contents` to `path` through a temporary file in the same directory, then renames it into place.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<()> {
    let dir = path.parent().with_context(|| format!("{} has no parent directory", path.display()))?;
    std::fs::create_dir_all(dir).with_context(|| format!("failed to create {}", dir.display()))?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("out");
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    std::fs::write(&tmp, contents).with_context(|| format!("failed to write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| {
        let _ = std::fs::remove_file(&tmp);
        format!("failed to move {} into place at {}", tmp.display(), path.display())
    })
}

/// Reads a file with the path in the error.
pub fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("failed to read {}", path.display()))
}

/// Lowercase hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Lowercase hex of any bytes.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Every file below `dir` (recursively), sorted.
pub fn files_under(dir: &Path) -> Result<Vec<std::path::PathBuf>> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).with_context(|| format!("failed to list {}", d.display()))? {
            let path = entry?.path();
            if path.is_dir() { stack.push(path) } else { files.push(path) }
        }
    }
    files.sort();
    Ok(files)
}

/// Copies a directory tree (files keep their permissions; symbolic links are not followed or copied).
pub fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to).with_context(|| format!("failed to create {}", to.display()))?;
    for entry in std::fs::read_dir(from).with_context(|| format!("failed to list {}", from.display()))? {
        let entry = entry?;
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        let kind = entry.file_type()?;
        if kind.is_dir() {
            copy_tree(&src, &dst)?;
        } else if kind.is_file() {
            std::fs::copy(&src, &dst)
                .with_context(|| format!("failed to copy {} to {}", src.display(), dst.display()))?;
        }
    }
    Ok(())
}

/// Copies a directory tree (tests build temporary copies of the project).
#[cfg(any(test, feature = "testing"))]
pub fn copy_dir(from: &Path, to: &Path) {
    copy_tree(from, to).unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_atomic_replaces_and_leaves_no_temp_file() {
        let dir = std::env::temp_dir().join(format!("xtask-util-{}", std::process::id()));
        let path = dir.join("a/b/out.bin");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        let names: Vec<_> =
            std::fs::read_dir(path.parent().unwrap()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from("out.bin")]);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn sha256_of_abc() {
        assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
