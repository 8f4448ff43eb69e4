//! The typed check suites, in one registry keyed by world. A suite holds the component of its world to that
//! world's documented behaviour (test vectors against a native Rust reference, a stress, fault probes) and names
//! the source files it is made of, which version its checks' cache key. Generic code — the check runner, the
//! scheduler, bench — asks this registry; no component is named outside its own suite (the tidy test enforces it).
//! A suite's module may use the model, the host and `status`; never the scheduler, the check runner or another
//! suite — except that the suite of a composed world may use the references of the suites of its parts (what it
//! is built from).

pub mod faulty;
pub mod hasher;
pub mod indexer;
pub mod reporter;
pub mod textkit;

use std::cell::OnceCell;
use std::path::Path;

use anyhow::Result;
use host::Host;
use host::wasmtime::component::Component as Compiled;

use crate::model::{Component, Stress, Variant};

/// One artifact a suite checks.
pub struct Subject<'a> {
    /// The checks' host (seeded: `check::check_config`).
    pub host: &'a Host,
    /// The component file.
    pub path: &'a Path,
    /// `<component> <variant>`, for status lines and errors.
    pub label: &'a str,
    pub variant: &'a Variant,
    pub stress: Stress,
    /// The file compiled for `host`, once: the typed suite and the declarative cases share it.
    pub compiled: OnceCell<Compiled>,
}

impl Subject<'_> {
    /// The component compiled for the checks' host (compiling a Go component takes seconds; the first caller
    /// pays, later ones share it).
    pub fn component(&self) -> Result<Compiled> {
        if let Some(component) = self.compiled.get() {
            return Ok(component.clone());
        }
        let component = self.host.load(self.path)?;
        Ok(self.compiled.get_or_init(|| component).clone())
    }
}

/// What a passing check measured.
#[derive(Debug, Clone, Copy, Default)]
pub struct Verdict {
    /// The linear-memory peak of the suite's stress, for suites that have one.
    pub stress_peak: Option<usize>,
}

/// A world's typed suite.
pub struct Suite {
    pub world: &'static str,
    /// The files the suite is made of, from the workspace root (a directory covers its files): its version.
    pub sources: &'static [&'static str],
    /// Runs the suite on one artifact; the error says what failed.
    pub run: fn(&Subject) -> Result<Verdict>,
    /// Whether this world is the one the article's seed table measured: bench reports its figures (calls,
    /// throughput, memory) beside the seed's and CLAIMS.md judges the claims on it.
    pub seed_table: bool,
}

/// Every suite.
pub const ALL: &[&Suite] = &[&faulty::SUITE, &hasher::SUITE, &indexer::SUITE, &reporter::SUITE, &textkit::SUITE];

/// The suite of `world`, if it has one.
pub fn for_world(world: &str) -> Option<&'static Suite> {
    ALL.iter().copied().find(|s| s.world == world)
}

/// The world of the suite that carries the seed table, if any.
pub fn seed_world() -> Option<&'static str> {
    ALL.iter().find(|s| s.seed_table).map(|s| s.world)
}

/// The suite that checks `component`: its world's, for the component named after its world. Another component of
/// the same world (a `new --world` scaffold, whose stubs return defaults) has only its declarative cases.
pub fn for_component(component: &Component) -> Option<&'static Suite> {
    if component.name == component.world { for_world(&component.world) } else { None }
}

/// Deterministic pseudo-random bytes (xorshift64*), so every run checks the same inputs.
pub fn pseudo_random(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        out.extend_from_slice(&state.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
    }
    out.truncate(len);
    out
}
#[cfg(test)]
mod tests {
    use super::*;

    /// Every file under suites/ belongs to exactly one suite, so an edit to it re-runs that suite's checks.
    #[test]
    fn every_suite_file_versions_exactly_one_suite() {
        let src = crate::versions::Sources::embedded();
        for file in src.files().filter(|f| f.starts_with("xtask/pipeline/src/suites/")) {
            let owners: Vec<_> = ALL
                .iter()
                .filter(|s| s.sources.iter().any(|p| file == *p || file.starts_with(&format!("{p}/"))))
                .map(|s| s.world)
                .collect();
            assert_eq!(owners.len(), 1, "{file} belongs to the suites {owners:?}: list it in exactly one");
        }
        for suite in ALL {
            src.of(suite.sources);
        }
    }
}
