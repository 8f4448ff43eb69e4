//! `cargo xtask dist`: build → componentize → check every selected (component, variant), then publish
//! `target/dist/<component>/<variant>.wasm` and `target/dist/manifest.json`. Everything is assembled in a staging
//! directory and swapped into place at the end, so target/dist is always either the previous complete result or
//! the new complete one, never a mix or a half-written file.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use host::{Host, HostConfig};
use serde::{Deserialize, Serialize};
use xshell::Shell;

use crate::build::{self, GoToolchain};
use crate::check::{self, Stress};
use crate::project::{self, paths};
use crate::{adapter, componentize, flags, status, tools, util};

/// `target/dist/manifest.json`. Other tools read it: the field names are a contract.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Manifest {
    pub(crate) artifacts: Vec<Artifact>,
}

/// One shipped component.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Artifact {
    pub(crate) component: String,
    pub(crate) variant: String,
    /// Relative to target/dist.
    pub(crate) path: String,
    pub(crate) bytes: u64,
    pub(crate) sha256: String,
    /// SHA-256 of the core module `go build` produced (before hardening and componentizing).
    pub(crate) core_sha256: String,
    pub(crate) world: String,
    pub(crate) tools: BTreeMap<String, String>,
    pub(crate) flags: Vec<String>,
    pub(crate) env: BTreeMap<String, String>,
}

impl flags::Dist {
    pub(crate) fn run(self, sh: &Shell) -> Result<()> {
        let start = Instant::now();
        let root = project::root();
        let selected = project::select(&root, &self.selection)?;
        let host = Host::new(&HostConfig::default())?;
        let dist = paths::dist_dir(&root);
        let staging = root.join(format!("target/.dist-staging-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&staging);
        let result = (|| -> Result<Manifest> {
            let mut artifacts = Vec::new();
            for (component, variant) in &selected {
                let toolchain = GoToolchain::for_variant(sh, variant)?;
                let core_path = build::build(sh, &root, component, variant, &toolchain)?;
                let component_path = componentize::componentize(&root, component, variant)?;
                check::check_component(&host, &component_path, component, variant, Stress::FULL)?;
                let bytes = util::read(&component_path)?;
                let relative = paths::dist_relative(component, variant);
                util::write_atomic(&staging.join(&relative), &bytes)?;
                artifacts.push(Artifact {
                    component: component.name.clone(),
                    variant: variant.name.to_string(),
                    path: relative,
                    bytes: bytes.len() as u64,
                    sha256: util::sha256_hex(&bytes),
                    core_sha256: util::sha256_hex(&util::read(&core_path)?),
                    world: component.world.clone(),
                    tools: tool_versions(&toolchain)?,
                    flags: build::go_build_flags(),
                    env: build::go_build_env(variant).into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
                });
            }
            let manifest = Manifest { artifacts };
            let json = serde_json::to_string_pretty(&manifest)? + "\n";
            util::write_atomic(&staging.join("manifest.json"), json.as_bytes())?;
            Ok(manifest)
        })();
        let manifest = match result {
            Ok(manifest) => manifest,
            Err(err) => {
                let _ = std::fs::remove_dir_all(&staging);
                return Err(err.context("dist failed; target/dist was left as it was"));
            }
        };
        publish(&staging, &dist)?;
        print_summary(&root, &manifest);
        status::step(
            "Finished",
            format!("dist of {} artifacts in {}", manifest.artifacts.len(), status::elapsed(start.elapsed())),
        );
        Ok(())
    }
}

/// Every tool whose version can change the artifact's bytes (or its checking).
fn tool_versions(toolchain: &GoToolchain) -> Result<BTreeMap<String, String>> {
    let mut tools = BTreeMap::new();
    tools.insert("go".to_string(), toolchain.version.clone());
    for name in ["wit-bindgen-go", "wit-component", "wasm-encoder", "wasmtime"] {
        tools.insert(name.to_string(), tools::crate_version(name)?);
    }
    tools.insert("wasi-preview1-component-adapter-provider".to_string(), adapter::describe()?);
    Ok(tools)
}

/// Replaces `dist` with `staging`: the old directory is moved aside first and removed only after the rename.
fn publish(staging: &Path, dist: &Path) -> Result<()> {
    let old = dist.with_extension(format!("old-{}", std::process::id()));
    if dist.exists() {
        std::fs::rename(dist, &old).with_context(|| format!("failed to move {} aside", dist.display()))?;
    }
    std::fs::rename(staging, dist)
        .with_context(|| format!("failed to move {} to {}", staging.display(), dist.display()))?;
    if old.exists() {
        std::fs::remove_dir_all(&old).with_context(|| format!("failed to remove {}", old.display()))?;
    }
    Ok(())
}

fn print_summary(root: &Path, manifest: &Manifest) {
    eprintln!();
    eprintln!("  {:<12} {:<14} {:>12} {:>12}  sha256", "component", "variant", "core bytes", "bytes");
    for a in &manifest.artifacts {
        let core = std::fs::metadata(root.join("target/wasm").join(&a.component).join(&a.variant).join("core.wasm"))
            .map(|m| m.len().to_string())
            .unwrap_or_else(|_| "-".into());
        eprintln!("  {:<12} {:<14} {:>12} {:>12}  {}…", a.component, a.variant, core, a.bytes, &a.sha256[..16]);
    }
    eprintln!();
}
