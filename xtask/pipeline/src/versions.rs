//! The version of each stage's own code, for its cache key: the SHA-256 of the files it is made of, embedded at
//! compile time (build.rs). An edit to a stage changes its version and re-runs it (and, through the changed
//! output, what follows it); an edit anywhere else — the command line, bench, another stage — changes nothing.
//! Keys never read the source tree at run time, so they do not depend on where the binary runs.

use sha2::{Digest, Sha256};

include!(concat!(env!("OUT_DIR"), "/sources.rs"));

/// The hash of every embedded file whose path is one of `paths` or lies below one of them (a directory given
/// without a trailing `/`). Panics on a path that matches nothing: a stage must not be versioned by no code.
pub fn of(paths: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for path in paths {
        let matching: Vec<_> = SOURCES.iter().filter(|(file, _)| covers(path, file)).collect();
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

/// The hash of an embedded Cargo manifest without its `[dev-dependencies]` (which change no artifact).
pub fn manifest(path: &str) -> String {
    let text = text(path).unwrap_or_else(|| panic!("{path} is not embedded (see build.rs)"));
    let mut table: toml::Table = toml::from_str(text).unwrap_or_else(|e| panic!("{path} does not parse: {e}"));
    table.remove("dev-dependencies");
    crate::util::sha256_hex(format!("{table:?}").as_bytes())
}

/// Whether `file` is `path` itself or lies in the directory `path`.
fn covers(path: &str, file: &str) -> bool {
    file == path || file.strip_prefix(path).is_some_and(|rest| rest.starts_with('/'))
}

/// The paths of every embedded file (for the tidy checks).
pub fn files() -> impl Iterator<Item = &'static str> {
    SOURCES.iter().map(|(file, _)| *file)
}

/// The committed text of an embedded file, if it is one (Cargo.lock, the adapter lock).
pub fn text(path: &str) -> Option<&'static str> {
    SOURCES.iter().find(|(file, _)| *file == path).and_then(|(_, bytes)| std::str::from_utf8(bytes).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_covers_its_files_and_not_its_namesakes() {
        assert!(covers("xtask/pipeline/src/suites/faulty", "xtask/pipeline/src/suites/faulty/runtime_state.rs"));
        assert!(!covers("xtask/pipeline/src/suites/faulty", "xtask/pipeline/src/suites/faulty.rs"));
        assert!(covers("Cargo.lock", "Cargo.lock"));
        assert_ne!(of(&["xtask/pipeline/src/harden.rs"]), of(&["xtask/pipeline/src/wizer.rs"]));
        assert_eq!(manifest("host/Cargo.toml"), manifest("host/Cargo.toml"));
        assert_ne!(manifest("host/Cargo.toml"), manifest("xtask/pipeline/Cargo.toml"));
    }

    #[test]
    #[should_panic(expected = "no embedded source file matches")]
    fn an_unknown_path_is_a_broken_invariant() {
        of(&["xtask/pipeline/src/no-such-stage.rs"]);
    }
}
