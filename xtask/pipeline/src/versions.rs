//! The version of each stage's own code, for its cache key: the SHA-256 of the files it is made of, embedded at
//! compile time (build.rs). An edit to a stage changes its version and re-runs it (and, through the changed
//! output, what follows it); an edit anywhere else — the command line, bench, another stage — changes nothing.
//! Keys never read the source tree at run time, so they do not depend on where the binary runs.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::{Mutex, OnceLock};

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};

include!(concat!(env!("OUT_DIR"), "/sources.rs"));

/// A set of versioned files: the embedded ones ([`Sources::embedded`]), or a copy with edits (for tests of
/// what an edit re-runs).
#[derive(Debug)]
pub struct Sources {
    files: BTreeMap<String, Cow<'static, [u8]>>,
    /// Versions already computed from this set, by the paths asked for (a run asks the same few hundreds of times).
    memo: Mutex<BTreeMap<String, String>>,
}

impl Clone for Sources {
    fn clone(&self) -> Self {
        Sources { files: self.files.clone(), memo: Mutex::default() }
    }
}

impl Sources {
    /// The files this crate was built from.
    pub fn embedded() -> &'static Sources {
        static EMBEDDED: OnceLock<Sources> = OnceLock::new();
        EMBEDDED.get_or_init(|| Sources {
            files: SOURCES.iter().map(|(file, bytes)| (file.to_string(), Cow::Borrowed(*bytes))).collect(),
            memo: Mutex::default(),
        })
    }

    /// A copy in which `path` holds `bytes`.
    pub fn with(&self, path: &str, bytes: &[u8]) -> Sources {
        let mut copy = self.clone();
        copy.files.insert(path.to_string(), Cow::Owned(bytes.to_vec()));
        copy
    }

    /// The hash of every file whose path is one of `paths` or lies below one of them (a directory given without
    /// a trailing `/`). Panics on a path that matches nothing: a stage must not be versioned by no code.
    pub fn of(&self, paths: &[&str]) -> String {
        self.memoized(&format!("of\0{}", paths.join("\0")), || self.compute(paths))
    }

    /// `compute()`'s value for `key`, computed once per set.
    pub fn memoized(&self, key: &str, compute: impl FnOnce() -> String) -> String {
        self.try_memoized(key, || Ok(compute())).expect("an infallible computation")
    }

    /// [`Sources::memoized`] for a computation that can fail; a failure is returned, not remembered.
    pub fn try_memoized(&self, key: &str, compute: impl FnOnce() -> anyhow::Result<String>) -> anyhow::Result<String> {
        if let Some(known) = self.memo.lock().unwrap().get(key) {
            return Ok(known.clone());
        }
        let value = compute()?;
        self.memo.lock().unwrap().insert(key.to_string(), value.clone());
        Ok(value)
    }

    fn compute(&self, paths: &[&str]) -> String {
        let mut hasher = Sha256::new();
        for path in paths {
            let matching: Vec<_> = self.files.iter().filter(|(file, _)| covers(path, file)).collect();
            assert!(!matching.is_empty(), "no embedded source file matches `{path}` (see build.rs)");
            for (file, bytes) in matching {
                hasher.update(file.as_bytes());
                hasher.update(b"\0");
                hasher.update(bytes);
                hasher.update(b"\0");
            }
        }
        crate::util::hex(&hasher.finalize())
    }

    /// The hash of a Cargo manifest without its `[dev-dependencies]` (which change no artifact).
    pub fn manifest(&self, path: &str) -> String {
        self.memoized(&format!("manifest\0{path}"), || self.manifest_uncached(path))
    }

    fn manifest_uncached(&self, path: &str) -> String {
        let text = self.text(path).unwrap_or_else(|| panic!("{path} is not embedded (see build.rs)"));
        let mut table: toml::Table = toml::from_str(text).unwrap_or_else(|e| panic!("{path} does not parse: {e}"));
        table.remove("dev-dependencies");
        crate::util::sha256_hex(format!("{table:?}").as_bytes())
    }

    /// The text of a file, if it is one of the set and UTF-8 (Cargo.lock, the adapter lock).
    pub fn text(&self, path: &str) -> Option<&str> {
        self.files.get(path).and_then(|bytes| std::str::from_utf8(bytes).ok())
    }

    /// The paths of every file of the set (for the tidy checks).
    pub fn files(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }
}

/// Whether `file` is `path` itself or lies in the directory `path`.
fn covers(path: &str, file: &str) -> bool {
    file == path || file.strip_prefix(path).is_some_and(|rest| rest.starts_with('/'))
}

/// The version of a crate as locked in Cargo.lock (what this pipeline was built with: the lock's text is
/// embedded at build time).
pub fn crate_version(name: &str) -> Result<String> {
    let sources = Sources::embedded();
    // Asked for every artifact of a run: the lock is parsed once per crate (a failure is not memoized).
    sources.try_memoized(&format!("crate\0{name}"), || {
        locked_version(sources.text("Cargo.lock").context("Cargo.lock was not embedded")?, name)
    })
}

/// The version of crate `name` in the Cargo.lock text `lock`.
pub fn locked_version(lock: &str, name: &str) -> Result<String> {
    let lock: toml::Table = toml::from_str(lock).context("failed to parse Cargo.lock")?;
    let packages = lock.get("package").and_then(|p| p.as_array()).context("Cargo.lock has no [[package]] list")?;
    packages
        .iter()
        .filter(|p| p.get("name").and_then(|n| n.as_str()) == Some(name))
        .find_map(|p| p.get("version").and_then(|v| v.as_str()).map(str::to_string))
        .with_context(|| format!("crate `{name}` is not in Cargo.lock"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_covers_its_files_and_not_its_namesakes() {
        assert!(covers("xtask/pipeline/src/stages/check", "xtask/pipeline/src/stages/check/typed.rs"));
        assert!(!covers("xtask/pipeline/src/stages/check", "xtask/pipeline/src/stages/check.rs"));
        assert!(covers("Cargo.lock", "Cargo.lock"));
        let src = Sources::embedded();
        assert_ne!(src.of(&["xtask/pipeline/src/stages/harden.rs"]), src.of(&["xtask/pipeline/src/stages/wizer.rs"]));
        let edited = src.with("xtask/pipeline/src/stages/harden.rs", b"// another harden\n");
        assert_ne!(
            src.of(&["xtask/pipeline/src/stages/harden.rs"]),
            edited.of(&["xtask/pipeline/src/stages/harden.rs"])
        );
        assert_eq!(src.of(&["xtask/pipeline/src/stages/wizer.rs"]), edited.of(&["xtask/pipeline/src/stages/wizer.rs"]));
    }

    /// A dev-dependency added to a manifest changes no version; a dependency does.
    #[test]
    fn a_manifest_is_versioned_without_its_dev_dependencies() {
        let src = Sources::embedded();
        let host = src.text("host/Cargo.toml").unwrap();
        let before = src.manifest("host/Cargo.toml");
        let dev =
            src.with("host/Cargo.toml", format!("{host}\n[dev-dependencies.extra]\nversion = \"1\"\n").as_bytes());
        assert_eq!(dev.manifest("host/Cargo.toml"), before);
        let dep = src.with("host/Cargo.toml", format!("{host}\n[dependencies.extra]\nversion = \"1\"\n").as_bytes());
        assert_ne!(dep.manifest("host/Cargo.toml"), before);
    }

    #[test]
    #[should_panic(expected = "no embedded source file matches")]
    fn an_unknown_path_is_a_broken_invariant() {
        Sources::embedded().of(&["xtask/pipeline/src/no-such-stage.rs"]);
    }
}
