//! The on-disk cache of precompiled components: compiling a Go component with Cranelift takes about a second,
//! loading its precompiled form takes milliseconds. Entries are keyed by the component's SHA-256 and the engine's
//! compatibility hash (wasmtime version, target, compiler settings), written atomically, and guarded by a
//! checksum: a truncated, corrupted or foreign file is detected, recompiled and replaced — never executed.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};
use wasmtime::component::Component;

use crate::Host;

/// What [`Host::load_cached`] found in the cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheOutcome {
    /// A valid precompiled artifact was loaded.
    Hit,
    /// There was none: the component was compiled and the artifact stored.
    Miss,
    /// A stored artifact was unusable (the reason says why); it was recompiled and replaced.
    Rejected(String),
}

impl Host {
    /// Loads a component through the precompiled cache in `cache_dir` (created if needed).
    pub fn load_cached(
        &self,
        path: impl AsRef<Path>,
        cache_dir: impl AsRef<Path>,
    ) -> Result<(Component, CacheOutcome)> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).with_context(|| format!("failed to read {}", path.display()))?;
        let entry = self.cache_entry(&bytes, cache_dir.as_ref());
        let rejected = match self.read_entry(&entry) {
            Ok(Some(component)) => return Ok((component, CacheOutcome::Hit)),
            Ok(None) => None,
            Err(reason) => Some(reason),
        };
        let component =
            self.load_bytes(&bytes).with_context(|| format!("failed to load component {}", path.display()))?;
        let artifact =
            component.serialize().map_err(anyhow::Error::from).context("failed to serialize the compiled component")?;
        write_entry(&entry, &artifact)?;
        Ok((component, rejected.map_or(CacheOutcome::Miss, CacheOutcome::Rejected)))
    }

    /// Where the artifact for `component_bytes` lives in `cache_dir`.
    pub fn cache_entry(&self, component_bytes: &[u8], cache_dir: &Path) -> PathBuf {
        let digest: String = Sha256::digest(component_bytes).iter().take(16).map(|b| format!("{b:02x}")).collect();
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        self.engine().precompile_compatibility_hash().hash(&mut hasher);
        cache_dir.join(format!("{digest}-{:016x}.cwasm", hasher.finish()))
    }

    /// `Ok(None)`: no entry; `Err(reason)`: an entry that must not be used.
    fn read_entry(&self, entry: &Path) -> std::result::Result<Option<Component>, String> {
        let Ok(artifact) = std::fs::read(entry) else { return Ok(None) };
        let check =
            std::fs::read_to_string(check_path(entry)).map_err(|_| "its checksum file is missing".to_string())?;
        let expected = format!("{} {:08x}", artifact.len(), crc32fast::hash(&artifact));
        if check.trim() != expected {
            return Err(format!("checksum mismatch (stored `{}`, file `{expected}`)", check.trim()));
        }
        // SAFETY: the bytes are exactly what `Component::serialize` wrote for this engine configuration (the
        // checksum matches and the file name carries the engine's compatibility hash); wasmtime still checks the
        // header and version before using them.
        unsafe { Component::deserialize(self.engine(), &artifact) }
            .map(Some)
            .map_err(|e| format!("wasmtime refused it: {e}"))
    }
}

fn check_path(entry: &Path) -> PathBuf {
    entry.with_extension("cwasm.check")
}

/// Writes the artifact, then its checksum, each through a temporary file renamed into place. A reader that sees
/// the new artifact with an old or missing checksum rejects it and recompiles.
fn write_entry(entry: &Path, artifact: &[u8]) -> Result<()> {
    let _ = std::fs::remove_file(check_path(entry));
    write_atomic(entry, artifact)?;
    write_atomic(&check_path(entry), format!("{} {:08x}\n", artifact.len(), crc32fast::hash(artifact)).as_bytes())
}

/// Writes `bytes` to `path` through a temporary file in the same directory (`.<name>.<pid>.tmp`), then renames it
/// into place, so a reader never sees a half-written file; the temporary file is removed if the rename fails.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().context("a cache path has a directory")?;
    std::fs::create_dir_all(dir).with_context(|| format!("failed to create {}", dir.display()))?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("entry");
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    std::fs::write(&tmp, bytes).with_context(|| format!("failed to write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| {
        let _ = std::fs::remove_file(&tmp);
        format!("failed to move {} into place", path.display())
    })
}
