//! `cargo xtask check`: builds and componentizes each selected (component, variant), then runs it in the real
//! wasmtime host: every export called with test vectors and compared with a native Rust reference, then a stress
//! of many large calls on one instance (the GC-inside-`cabi_realloc` trap shows up only there).
//! Suites are chosen by the component's world; a world without a typed suite is instantiated and its exports
//! listed. This module reads target/wasm and writes nothing.

mod hasher;

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use host::{Host, HostConfig};
use xshell::Shell;

use crate::build::{self, GoToolchain};
use crate::project::{self, Component, Variant};
use crate::{componentize, flags, status};

/// How hard the stress phase pushes one instance.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stress {
    pub(crate) calls_64k: usize,
    pub(crate) calls_1m: usize,
}

impl flags::Check {
    pub(crate) fn run(self, sh: &Shell) -> Result<()> {
        let root = project::root();
        let stress = Stress { calls_64k: self.stress_64k, calls_1m: self.stress_1m };
        let host = Host::new(&HostConfig::default())?;
        for (component, variant) in project::select(&root, &self.selection)? {
            let toolchain = GoToolchain::for_variant(sh, &variant)?;
            build::build(sh, &root, &component, &variant, &toolchain)?;
            let path = componentize::componentize(&root, &component, &variant)?;
            check_component(&host, &path, &component, &variant, stress)?;
        }
        Ok(())
    }
}

/// Loads one component file and runs its suite. The error names the component, the variant and what failed.
pub(crate) fn check_component(
    host: &Host,
    path: &Path,
    component: &Component,
    variant: &Variant,
    stress: Stress,
) -> Result<()> {
    let start = Instant::now();
    status::step("Checking", format!("{} {}", component.name, variant.name));
    let loaded = host.load(path)?;
    let what = || format!("check failed for {} (variant {}, {})", component.name, variant.name, path.display());
    match component.world.as_str() {
        "hasher" => hasher::run(host, &loaded, stress).with_context(what)?,
        _ => {
            let mut store = host.store();
            host.instantiate(&mut store, &loaded).with_context(what)?;
            let exports = host::dynamic::exported_functions(host, &loaded);
            status::warn(format!(
                "{}: no typed suite for world `{}`; instantiated it and found {} exports",
                component.name,
                component.world,
                exports.len()
            ));
        }
    }
    status::step("Checked", format!("{} {} in {}", component.name, variant.name, status::elapsed(start.elapsed())));
    Ok(())
}

/// Deterministic pseudo-random bytes (xorshift64*), so every run checks the same inputs.
pub(crate) fn pseudo_random(len: usize, seed: u64) -> Vec<u8> {
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
