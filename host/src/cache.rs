//! The on-disk cache of precompiled components: compiling a Go component with Cranelift takes about a second,
//! loading its precompiled form takes about a millisecond. Entries are keyed by the component's SHA-256 and the
//! engine's compatibility hash (wasmtime version, target, compiler settings), written atomically, and guarded by a
//! checksum: a truncated, corrupted or foreign file is detected, recompiled and replaced — never executed.
//!
//! # What a load verifies, and when it trusts what it verified before
//! A load reads nothing it has verified already. Beside each entry, `<entry>.check` records the artifact's length
//! and CRC-32 and, once the artifact has *settled* (its last change is [`SETTLE`] old), its file-system
//! fingerprint: device, inode, size, modification and change times (nanoseconds). A load whose open entry still has
//! that fingerprint trusts it and maps the file (`Component::deserialize_file`: no copy, and the instance's memory
//! image comes straight from the mapping); any other entry is read whole and its CRC checked first. In the same way
//! `sources/` records, per component path, the fingerprint of the file and its SHA-256, so a hit need not hash the
//! component again.
//!
//! The fingerprint catches every change made through the file system: a write, a truncation, a copy over the file
//! or a rename onto it changes the size, the inode or the change time, which only the kernel sets. What it cannot
//! see is a change beneath the file system (a disk editor, a block device written directly), or a same-size write in
//! the same clock tick as the file's previous change — which is why a fingerprint is only recorded for a file whose
//! last change is [`SETTLE`] old: a later write then gets a later change time. Neither check is a defence against a
//! writer with access to the cache directory (it can forge a checksum as easily); they guard against accidents.
//! The cache itself never writes an entry in place — every file is written beside it and renamed over it — so a
//! mapping that a live component holds keeps its bytes.

use std::fs::File;
use std::hash::{Hash, Hasher};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};
use wasmtime::component::Component;

use crate::Host;

/// How old a file's last change must be before its fingerprint is trusted to reveal the next one. File timestamps
/// advance in clock ticks (milliseconds on Linux, 2 s on FAT); a write within the tick of the previous change can
/// leave them as they were.
pub const SETTLE: Duration = Duration::from_secs(2);

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
        let (path, cache_dir) = (path.as_ref(), cache_dir.as_ref());
        let mut source = Source::open(path, cache_dir)?;
        let entry = self.entry_for_digest(&source.digest()?, cache_dir);
        let rejected = match self.read_entry(&entry) {
            Ok(Some(component)) => return Ok((component, CacheOutcome::Hit)),
            Ok(None) => None,
            Err(reason) => Some(reason),
        };
        let component =
            self.load_bytes(source.bytes()?).with_context(|| format!("failed to load component {}", path.display()))?;
        let artifact =
            component.serialize().map_err(anyhow::Error::from).context("failed to serialize the compiled component")?;
        write_entry(&entry, &artifact)?;
        Ok((component, rejected.map_or(CacheOutcome::Miss, CacheOutcome::Rejected)))
    }

    /// Where the artifact for `component_bytes` lives in `cache_dir`.
    pub fn cache_entry(&self, component_bytes: &[u8], cache_dir: &Path) -> PathBuf {
        self.entry_for_digest(&Sha256::digest(component_bytes).into(), cache_dir)
    }

    fn entry_for_digest(&self, digest: &[u8; 32], cache_dir: &Path) -> PathBuf {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        self.engine().precompile_compatibility_hash().hash(&mut hasher);
        cache_dir.join(format!("{}-{:016x}.cwasm", hex(&digest[..16]), hasher.finish()))
    }

    /// `Ok(None)`: no entry; `Err(reason)`: an entry that must not be used.
    fn read_entry(&self, entry: &Path) -> std::result::Result<Option<Component>, String> {
        let Ok(mut file) = File::open(entry) else { return Ok(None) };
        let check =
            std::fs::read_to_string(check_path(entry)).map_err(|_| "its checksum file is missing".to_string())?;
        // `len crc`, then the fingerprint (`dev ino size mtime ctime`) once one was recorded.
        let fields: Vec<&str> = check.split_whitespace().collect();
        let (sum, recorded) = (fields[..fields.len().min(2)].join(" "), fields.get(2..).unwrap_or_default().join(" "));
        let meta = file.metadata().map_err(|e| format!("it cannot be inspected: {e}"))?;
        let fingerprint = Fingerprint::of(&meta);
        let trusted = fingerprint.as_ref().is_some_and(|f| !recorded.is_empty() && f.to_string() == recorded);
        if !trusted {
            let mut artifact = Vec::with_capacity(meta.len() as usize);
            file.read_to_end(&mut artifact).map_err(|e| format!("it cannot be read: {e}"))?;
            let expected = checksum(&artifact);
            if sum != expected {
                return Err(format!("checksum mismatch (stored `{sum}`, file `{expected}`)"));
            }
            if let Some(fingerprint) = fingerprint.filter(|f| f.settled()) {
                // Verified whole and old enough: the next load trusts this fingerprint. Losing the race with
                // another writer only costs that load a full check.
                let _ = write_atomic(&check_path(entry), format!("{sum} {fingerprint}\n").as_bytes());
            }
        }
        // SAFETY: the file holds exactly what `Component::serialize` wrote for this engine configuration (its
        // checksum matched, now or when its unchanged fingerprint was recorded, and its name carries the engine's
        // compatibility hash); wasmtime still checks the header and version. The cache never writes an entry in
        // place, so the mapping keeps these bytes.
        unsafe { Component::deserialize_file(self.engine(), same_file(&file, entry)) }
            .map(Some)
            .map_err(|e| format!("wasmtime refused it: {e}"))
    }
}

/// A path that opens the very file `file` has open (on Linux its `/proc/self/fd` link, so a rename onto `path`
/// since it was inspected changes nothing); `path` itself where there is no such link.
fn same_file<'a>(file: &File, path: &'a Path) -> std::borrow::Cow<'a, Path> {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        let link = PathBuf::from(format!("/proc/self/fd/{}", file.as_raw_fd()));
        if link.exists() {
            return link.into();
        }
    }
    let _ = file;
    path.into()
}

/// The component being loaded: its bytes are read, and its SHA-256 computed, only when the fingerprint recorded
/// under `sources/` does not vouch for the digest.
struct Source<'a> {
    path: &'a Path,
    file: File,
    fingerprint: Option<Fingerprint>,
    record: Option<PathBuf>,
    bytes: Option<Vec<u8>>,
}

impl<'a> Source<'a> {
    fn open(path: &'a Path, cache_dir: &Path) -> Result<Self> {
        let file = File::open(path).with_context(|| format!("failed to read {}", path.display()))?;
        let meta = file.metadata().with_context(|| format!("failed to read {}", path.display()))?;
        let record = std::fs::canonicalize(path).ok().map(|canonical| {
            let key = Sha256::digest(canonical.as_os_str().as_encoded_bytes());
            cache_dir.join("sources").join(hex(&key[..16]))
        });
        Ok(Self { path, file, fingerprint: Fingerprint::of(&meta), record, bytes: None })
    }

    fn bytes(&mut self) -> Result<&[u8]> {
        if self.bytes.is_none() {
            let mut bytes = Vec::new();
            self.file.read_to_end(&mut bytes).with_context(|| format!("failed to read {}", self.path.display()))?;
            self.bytes = Some(bytes);
        }
        Ok(self.bytes.as_deref().unwrap_or_default())
    }

    fn digest(&mut self) -> Result<[u8; 32]> {
        let (Some(fingerprint), Some(record)) = (self.fingerprint.clone(), self.record.clone()) else {
            return Ok(Sha256::digest(self.bytes()?).into());
        };
        let recorded = std::fs::read_to_string(&record).unwrap_or_default();
        if let Some(digest) = recorded.trim().strip_prefix(&format!("{fingerprint} ")).and_then(unhex) {
            return Ok(digest);
        }
        let digest: [u8; 32] = Sha256::digest(self.bytes()?).into();
        if fingerprint.settled() {
            let _ = write_atomic(&record, format!("{fingerprint} {}\n", hex(&digest)).as_bytes());
        }
        Ok(digest)
    }
}

/// What the file system says about a file, enough to see that it changed: device, inode, size, modification and
/// change times in nanoseconds. None where the platform has no inode numbers.
#[derive(Clone)]
struct Fingerprint {
    text: String,
    changed: Option<SystemTime>,
}

impl Fingerprint {
    #[cfg(unix)]
    fn of(meta: &std::fs::Metadata) -> Option<Self> {
        use std::os::unix::fs::MetadataExt;
        let nanos = |secs: i64, nsec: i64| i128::from(secs) * 1_000_000_000 + i128::from(nsec);
        let (mtime, ctime) = (nanos(meta.mtime(), meta.mtime_nsec()), nanos(meta.ctime(), meta.ctime_nsec()));
        let latest = u64::try_from(mtime.max(ctime)).ok().map(|n| SystemTime::UNIX_EPOCH + Duration::from_nanos(n));
        Some(Self { text: format!("{} {} {} {mtime} {ctime}", meta.dev(), meta.ino(), meta.size()), changed: latest })
    }

    #[cfg(not(unix))]
    fn of(_: &std::fs::Metadata) -> Option<Self> {
        None
    }

    /// Whether the file's last change is [`SETTLE`] old (a clock set back counts as not settled).
    fn settled(&self) -> bool {
        self.changed.and_then(|t| SystemTime::now().duration_since(t).ok()).is_some_and(|age| age >= SETTLE)
    }
}

impl std::fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

fn checksum(artifact: &[u8]) -> String {
    format!("{} {:08x}", artifact.len(), crc32fast::hash(artifact))
}

/// Lower-case hex of `bytes` (cache names, digests; the registry client's too).
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    if text.len() != 64 || !text.is_ascii() {
        return None;
    }
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

fn check_path(entry: &Path) -> PathBuf {
    entry.with_extension("cwasm.check")
}

/// Writes the artifact, then its checksum, each through a temporary file renamed into place. A reader that sees
/// the new artifact with an old or missing checksum rejects it and recompiles.
fn write_entry(entry: &Path, artifact: &[u8]) -> Result<()> {
    let _ = std::fs::remove_file(check_path(entry));
    write_atomic(entry, artifact)?;
    write_atomic(&check_path(entry), format!("{}\n", checksum(artifact)).as_bytes())
}

/// Writes `bytes` to `path` through a temporary file in the same directory (`.<name>.<pid>.<n>.tmp`, unique per
/// process and write), then renames it into place, so a reader never sees a half-written file; the temporary file
/// is removed if the rename fails.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    static WRITES: AtomicU64 = AtomicU64::new(0);
    let dir = path.parent().context("a cache path has a directory")?;
    std::fs::create_dir_all(dir).with_context(|| format!("failed to create {}", dir.display()))?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("entry");
    let n = WRITES.fetch_add(1, Ordering::Relaxed);
    let tmp = dir.join(format!(".{name}.{}.{n}.tmp", std::process::id()));
    std::fs::write(&tmp, bytes).with_context(|| format!("failed to write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| {
        let _ = std::fs::remove_file(&tmp);
        format!("failed to move {} into place", path.display())
    })
}
