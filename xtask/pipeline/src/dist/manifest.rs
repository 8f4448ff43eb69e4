//! `target/dist/manifest.json`, the contract other tools read (`publish`, `bench`, CI's merge): what each shipped
//! artifact is, what made it and from which checkout, and how a manifest is made from the products of a run.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use xshell::{Shell, cmd};

use crate::env::toolchain::GoToolchain;
use crate::model::{LeftOut, Post, paths};
use crate::run::scheduler::Product;
use crate::stages::gobuild::modules::{self, GoModule};
use crate::stages::{adapter, gobuild, postprocess, wizer};
use crate::versions;

/// `target/dist/manifest.json`. Other tools read it: the field names are a contract.
#[derive(Debug, Serialize, Deserialize)]
pub struct Manifest {
    pub artifacts: Vec<Artifact>,
    /// Only in a shard's manifest (`dist --shard`): which shard of which selection it is, for `dist --merge`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<ShardRecord>,
    /// The builds of the selection a component does not ship, and why (its `[leave-out]`, its go.mod's go line,
    /// or a part it is composed with).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub left_out: Vec<LeftOut>,
    /// Only in `target/dist-partial/manifest.json`, the passing part of a failed run: what failed and why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<FailedArtifact>,
    /// The checkout the artifacts were built from, when it is a git repository: `publish` records it in each
    /// artifact's annotations and provenance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
}

/// The git commit a dist was built from, and whether the work tree differed from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    pub commit: String,
    pub dirty: bool,
}

impl Source {
    /// `HEAD` of the checkout at `root` and whether `git status` shows changes; `None` outside a git checkout.
    pub fn of(sh: &Shell, root: &Path) -> Option<Source> {
        let _cwd = sh.push_dir(root);
        let commit = cmd!(sh, "git rev-parse HEAD").quiet().ignore_stderr().read().ok()?;
        let status = cmd!(sh, "git status --porcelain").quiet().ignore_stderr().read().ok()?;
        Some(Source { commit: commit.trim().to_string(), dirty: !status.trim().is_empty() })
    }
}

impl Manifest {
    /// The manifest as `manifest.json` holds it.
    pub fn to_json(&self) -> Result<String> {
        Ok(serde_json::to_string_pretty(self)? + "\n")
    }
}

/// Shard `index` of `count` of the selection `components` × `variants` (empty: all).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardRecord {
    pub index: usize,
    pub count: usize,
    pub components: Vec<String>,
    pub variants: Vec<String>,
}

/// One failure of a dist run, as `target/dist-partial/manifest.json` records it.
#[derive(Debug, Serialize, Deserialize)]
pub struct FailedArtifact {
    /// `<component> <variant>`, or `<component> <build>` when the build failed (all its variants).
    pub what: String,
    /// The error and its causes, outermost first.
    pub error: Vec<String>,
}

/// One shipped component.
#[derive(Debug, Serialize, Deserialize)]
pub struct Artifact {
    pub component: String,
    pub variant: String,
    /// Relative to target/dist.
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
    /// SHA-256 of the core module that was componentized (after post-processing, before hardening).
    pub core_sha256: String,
    pub world: String,
    pub tools: BTreeMap<String, String>,
    pub flags: Vec<String>,
    pub env: BTreeMap<String, String>,
    /// For a composed component: what went into it, its own Go module's component first (`core_sha256` is that
    /// component's core module), then each part, by name, with the SHA-256 of what that part ships.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub composed_of: Vec<ComposedPart>,
    /// What the typed suite's stress saw of the guarded window (`gowasm:harden/window`), for a component whose
    /// suite has a stress: the calls of Go's runtime answered inside `cabi_realloc`/`cabi_post_*` — each a trap
    /// without the hardening pass — and the floor each sized phase of the stress had to reach (0: none). On a
    /// TinyGo build, whose collector never calls out: the collections inside `cabi_realloc` it saw.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guarded_window: Option<GuardedWindow>,
    /// The same for the generic stress (made from the WIT alone), which every component has unless its
    /// checks.toml turns it off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generic_window: Option<GuardedWindow>,
    /// The Go modules its own Go module links (its main module aside), as its build's compiler resolves them:
    /// path, version, go.sum hash, replacement ([`with_modules`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub go_modules: Vec<GoModule>,
    /// The user's settings for fetching and verifying modules (GOPROXY, GOPRIVATE, GONOSUMDB, …) that reached its
    /// build, credentials redacted; none when the go tool's defaults were used.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub module_env: BTreeMap<String, String>,
}

/// An artifact's guarded-window evidence, as the manifest records it.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub struct GuardedWindow {
    pub answered: u64,
    pub floor: u64,
}

/// One component inside a composed artifact.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ComposedPart {
    pub name: String,
    pub sha256: String,
}

/// The manifest of checked products (no source, shard or failures yet).
pub fn of(products: &[Product]) -> Result<Manifest> {
    let mut artifacts = Vec::new();
    for p in products {
        let path = p.component_path.as_ref().expect("checked products have a component");
        let bytes = std::fs::metadata(path).with_context(|| format!("failed to read {}", path.display()))?.len();
        let mut tools = artifact_tools(&p.toolchain)?;
        if let Some(tinygo) = &p.tinygo {
            tools.insert("tinygo".to_string(), tinygo.version.clone());
        }
        let mut flags = gobuild::build_flags(&p.variant.build);
        if let Some(version) = &p.wasm_opt {
            tools.insert("wasm-opt".to_string(), version.clone());
            flags.push(format!("wasm-opt {}", postprocess::WASM_OPT_FLAGS.join(" ")));
        }
        if p.variant.post != Post::Raw {
            flags.push("strip-custom-sections".to_string());
        }
        if p.variant.post == Post::Wizer {
            tools.insert("wasmtime-wizer".to_string(), versions::crate_version("wasmtime-wizer")?);
            flags.push(format!("wizer _initialize, then `{}` as _initialize", wizer::RESUME_EXPORT));
        }
        artifacts.push(Artifact {
            component: p.component.name.clone(),
            variant: p.variant.name(),
            path: paths::dist_relative(&p.component, &p.variant),
            bytes,
            // The digests the steps' records verified (or wrote) in this run.
            sha256: p.component_sha256.clone().expect("checked products have a component digest"),
            core_sha256: p.module_sha256.clone(),
            world: p.component.world.clone(),
            tools,
            flags,
            env: gobuild::build_env(&p.variant.build, &p.toolchain, p.tinygo.as_ref(), &p.component)
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
            composed_of: p
                .composed_of
                .iter()
                .map(|(name, sha256)| ComposedPart { name: name.clone(), sha256: sha256.clone() })
                .collect(),
            guarded_window: p.window.map(|w| GuardedWindow { answered: w.answered, floor: w.floor }),
            generic_window: p.generic.map(|w| GuardedWindow { answered: w.answered, floor: w.floor }),
            go_modules: Vec::new(),
            module_env: BTreeMap::new(),
        });
    }
    Ok(Manifest { artifacts, shard: None, left_out: Vec::new(), failures: Vec::new(), source: None })
}

/// Fills each artifact's `go_modules` (listed once per component and build, which all its variants share) and
/// `module_env`; `products` are the ones `manifest` was made of, in its order.
pub fn with_modules(sh: &Shell, root: &Path, manifest: &mut Manifest, products: &[Product]) -> Result<()> {
    let module_env = modules::module_env();
    let mut listed: BTreeMap<(String, &str), Vec<GoModule>> = BTreeMap::new();
    for (artifact, p) in manifest.artifacts.iter_mut().zip(products) {
        let key = (p.component.name.clone(), p.variant.build.name);
        if !listed.contains_key(&key) {
            let list = modules::linked(sh, root, &p.component, &p.variant.build, &p.toolchain, p.tinygo.as_ref())?;
            listed.insert(key.clone(), list);
        }
        artifact.go_modules = listed[&key].clone();
        artifact.module_env = module_env.clone();
    }
    Ok(())
}

/// The tools that made one artifact (its manifest entry's `tools`): its Go, the in-process crates, the adapter.
fn artifact_tools(toolchain: &GoToolchain) -> Result<BTreeMap<String, String>> {
    let mut tools = BTreeMap::new();
    tools.insert("go".to_string(), toolchain.version.clone());
    for name in ["wit-bindgen-go", "wit-component", "wasm-encoder", "wasmtime"] {
        tools.insert(name.to_string(), versions::crate_version(name)?);
    }
    tools.insert("wasi-preview1-component-adapter-provider".to_string(), adapter::describe()?);
    Ok(tools)
}
