//! The peer: the seed component's Go code and WIT built the way the field builds them today — wit-bindgen-go's
//! glue as it writes it, its bundled runtime package (`go.bytecodealliance.org/pkg`, unmodified, from the
//! wit-bindgen-go crate this workspace locks), `go build -buildmode=c-shared` with the same toolchain and flags,
//! and the WASI preview1 reactor adapter; no harden pass, no wasm-opt, no snapshot. That is what componentize-go
//! ships. Every start-up and call figure of ours is set beside the peer's, measured in the same run.
//!
//! Bench-only: built under target/bench/peer (rebuilt from scratch each run), never shipped. Its stress is
//! expected to fail — Go's GC running inside `cabi_realloc` while the host lowers arguments, the trap the
//! harden pass exists for — and the report says what happened.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use xshell::{Shell, cmd};

use pipeline::env::toolchain::GoToolchain;
use pipeline::model::{self, Workspace};
use pipeline::{
    env::tools,
    stages::{bindgen, componentize, gobuild},
    status, util,
};

/// The peer's variant name in the report.
pub(crate) const VARIANT: &str = "peer";

/// The built peer.
pub(crate) struct Peer {
    pub(crate) path: PathBuf,
    pub(crate) module_bytes: u64,
    pub(crate) toolchain: String,
}

/// What the peer's stress did: large calls on one instance until one failed or all were answered.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct PeerStress {
    /// The size of every argument.
    pub(crate) bytes_per_call: usize,
    /// Calls asked for.
    pub(crate) calls: usize,
    /// Calls answered correctly before the first failure (all of them when none failed).
    pub(crate) answered: usize,
    /// The first failure, as the host reported it.
    pub(crate) failure: Option<String>,
}

/// Builds the peer of `component` with `build`'s toolchain into `<root>/target/bench/peer`.
pub(crate) fn build(sh: &Shell, root: &Path, component: &model::Component, build: &model::Build) -> Result<Peer> {
    let base = root.join("target/bench/peer");
    if base.exists() {
        std::fs::remove_dir_all(&base).with_context(|| format!("failed to clear {}", base.display()))?;
    }
    let source = base.join(&component.name);
    util::copy_tree(&root.join(&component.dir), &source)?;
    let stock = stock_runtime(sh, root)?;
    util::copy_tree(&stock, &base.join("pkg"))?;

    // The generated files as wit-bindgen-go writes them, in place of ours.
    let gofmt = tools::GOFMT.locate()?;
    for (rel, contents) in bindgen::generate_stock(sh, root, component, &gofmt)? {
        util::write_atomic(&source.join(rel), &contents)?;
    }
    // go.mod: the runtime from the stock copy, and the Go line that copy declares (a module may not need a
    // newer Go than its main module).
    let go_mod_path = source.join("go.mod");
    let go_mod =
        std::fs::read_to_string(&go_mod_path).with_context(|| format!("failed to read {}", go_mod_path.display()))?;
    let stock_go = std::fs::read_to_string(stock.join("go.mod"))?
        .lines()
        .find_map(|l| l.strip_prefix("go ").map(str::trim).map(str::to_string))
        .context("the stock runtime's go.mod has no go line")?;
    let mut replaced = false;
    let go_mod: String = go_mod
        .lines()
        .map(|line| {
            if line.starts_with("replace ") && line.contains(bindgen::RUNTIME_MODULE) {
                replaced = true;
                format!("replace {} => ../pkg", bindgen::RUNTIME_MODULE)
            } else if line.starts_with("go ") {
                format!("go {stock_go}")
            } else {
                line.to_string()
            }
        })
        .flat_map(|l| [l, "\n".to_string()])
        .collect();
    if !replaced {
        bail!(
            "{} does not replace {} (the peer swaps that runtime for the stock one)",
            go_mod_path.display(),
            bindgen::RUNTIME_MODULE
        );
    }
    util::write_atomic(&go_mod_path, go_mod.as_bytes())?;

    let peer =
        model::Component { dir: source.strip_prefix(root).unwrap_or(&source).to_path_buf(), ..component.clone() };
    let ws = Workspace { work: base.join("work"), ..Workspace::new(root) };
    let toolchain = GoToolchain::resolve(sh, root, build)?;
    let module = gobuild::build(sh, &ws, &peer, build, &toolchain, None)?;
    let core = util::read(&module)?;
    let bytes = componentize::encode_module(root, &peer, core.clone(), false)
        .context("failed to componentize the peer (the stock runtime with the preview1 adapter)")?;
    let path = base.join(format!("{}-{}-{VARIANT}.wasm", component.name, build.name));
    util::write_atomic(&path, &bytes)?;
    status::step(
        "Built",
        format!(
            "the peer of {} with {} ({} bytes; stock runtime, no harden, no wasm-opt)",
            component.name,
            build.name,
            bytes.len()
        ),
    );
    Ok(Peer { path, module_bytes: core.len() as u64, toolchain: toolchain.version })
}

/// The Go package the wit-bindgen-go crate bundles (`src/pkg` in the crate this workspace locks), where cargo
/// unpacked it.
///
/// `cargo metadata` is asked about the host's platform only: unfiltered, it needs the source of every
/// package any platform could use (`android_system_properties`, …), which a build here never downloaded, so it
/// would go to the registry for them (or fail, offline). Filtered, every package it lists is one the workspace's
/// own build has already fetched.
fn stock_runtime(sh: &Shell, root: &Path) -> Result<PathBuf> {
    let _cwd = sh.push_dir(root);
    let rustc = cmd!(sh, "rustc -vV").quiet().read().context("`rustc -vV` failed (the host's target triple)")?;
    let host = rustc
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .context("`rustc -vV` names no host triple")?
        .trim()
        .to_string();
    let metadata = cmd!(sh, "cargo metadata --format-version 1 --locked --filter-platform {host}")
        .quiet()
        .read()
        .context("`cargo metadata` failed: the peer needs the wit-bindgen-go crate's source to find its Go package")?;
    let metadata: serde_json::Value = serde_json::from_str(&metadata).context("`cargo metadata` printed no JSON")?;
    let version = pipeline::versions::crate_version("wit-bindgen-go")?;
    let manifest = metadata["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["name"] == "wit-bindgen-go" && p["version"] == version.as_str())
        .and_then(|p| p["manifest_path"].as_str())
        .context("`cargo metadata` does not list wit-bindgen-go")?;
    let pkg = Path::new(manifest).with_file_name("src").join("pkg");
    if !pkg.join("go.mod").is_file() {
        bail!("wit-bindgen-go {version} has no Go package at {} (the peer is built with it)", pkg.display());
    }
    Ok(pkg)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// On a machine whose cargo fetched only what this workspace's build needs (CI's fresh one), the stock
    /// runtime is still found: an unfiltered `cargo metadata --offline` failed there on a crate for Android.
    #[test]
    fn the_stock_runtime_is_found_among_what_the_build_fetched() {
        let sh = Shell::new().unwrap();
        let pkg = stock_runtime(&sh, &pipeline::testing::root()).unwrap();
        assert!(pkg.join("go.mod").is_file(), "{}", pkg.display());
        let go_mod = std::fs::read_to_string(pkg.join("go.mod")).unwrap();
        assert!(go_mod.contains(bindgen::RUNTIME_MODULE), "{go_mod}");
    }
}
