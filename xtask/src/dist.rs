//! `cargo xtask dist`: build → post-process → componentize → check every selected (component, variant), then publish
//! `target/dist/<component>/<variant>.wasm` and `target/dist/manifest.json`. Everything is assembled in a staging
//! directory and swapped into place at the end, so target/dist is always either the previous complete result or
//! the new complete one, never a mix or a half-written file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use xshell::Shell;

use pipeline::model::{self, Workspace, paths};
use pipeline::scheduler::{self, Product, Until};
use pipeline::toolchain::GoToolchain;
use pipeline::{adapter, gobuild, postprocess, status, tools, util};

use crate::flags;

/// `target/dist/manifest.json`. Other tools read it: the field names are a contract.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Manifest {
    pub(crate) artifacts: Vec<Artifact>,
    /// Only in `target/dist-partial/manifest.json`, the passing part of a failed run: what failed and why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) failures: Vec<FailedArtifact>,
}

/// One failure of a dist run, as `target/dist-partial/manifest.json` records it.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct FailedArtifact {
    /// `<component> <variant>`, or `<component> <build>` when the build failed (all its variants).
    pub(crate) what: String,
    /// The error and its causes, outermost first.
    pub(crate) error: Vec<String>,
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
    /// SHA-256 of the core module that was componentized (after post-processing, before hardening).
    pub(crate) core_sha256: String,
    pub(crate) world: String,
    pub(crate) tools: BTreeMap<String, String>,
    pub(crate) flags: Vec<String>,
    pub(crate) env: BTreeMap<String, String>,
}

impl flags::Dist {
    pub(crate) fn run(self, sh: &Shell, root: &Path) -> Result<()> {
        let start = Instant::now();
        // One writer per checkout: a second run waits here, saying for whom (lock.rs).
        let _lock = crate::lock::acquire(root)?;
        if !self.merge.is_empty() {
            remove_orphaned_staging(root)?;
            let count = merge(root, &self.merge, &paths::dist_dir(root))?;
            status::step(
                "Finished",
                format!(
                    "merged {count} artifacts from {} shards in {} (target/dist)",
                    self.merge.len(),
                    status::elapsed(start.elapsed())
                ),
            );
            return Ok(());
        }
        let selection = model::Selection { shard: self.shard, ..self.selection.clone().into() };
        let jobs = model::select(root, &selection)?;
        crate::setup::ensure(sh, root)?;
        remove_orphaned_staging(root)?;
        let ws = Workspace::new(root);
        let outcome = scheduler::run_all(sh, &ws, jobs.clone(), &scheduler::Options::until(Until::Check))?;
        if !outcome.failures.is_empty() {
            return Err(failed_run(root, &outcome));
        }
        let products = outcome.products;
        let manifest = manifest(&products)?;
        let dist = paths::dist_dir(root);
        let staging = stage(&dist, &products, &manifest)?;
        publish(&staging, &dist)?;
        // What an earlier failed run kept is superseded by a complete target/dist.
        let partial = paths::dist_partial_dir(root);
        if partial.exists() {
            std::fs::remove_dir_all(&partial).with_context(|| format!("failed to remove {}", partial.display()))?;
        }
        print_sizes(&products)?;
        status::step(
            "Finished",
            format!(
                "dist of {} artifacts in {} (target/dist)",
                manifest.artifacts.len(),
                status::elapsed(start.elapsed())
            ),
        );

        if self.verify_reproducible {
            verify_reproducible(sh, root, jobs, &manifest)?;
        }
        Ok(())
    }
}

/// Removes the staging and moved-aside directories (`target/.dist-staging-<pid>`, `target/dist.old-<pid>`) of a
/// dist that was killed before it could clean up. Called under the checkout's lock, so none of them is live.
fn remove_orphaned_staging(root: &Path) -> Result<()> {
    let target = root.join("target");
    let Ok(entries) = std::fs::read_dir(&target) else { return Ok(()) };
    for entry in entries {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if path.is_dir() && (name.starts_with(".dist-staging-") || name.starts_with("dist.old-")) {
            status::step("Cleaned", format!("{} (left by an interrupted dist)", path.display()));
            std::fs::remove_dir_all(&path).with_context(|| format!("failed to remove {}", path.display()))?;
        }
    }
    Ok(())
}

/// Writes the products and their manifest into a fresh staging directory beside `out`; returns its path.
/// Nothing is left behind if writing fails.
fn stage(out: &Path, products: &[Product], manifest: &Manifest) -> Result<PathBuf> {
    let sources: Vec<&Path> =
        products.iter().map(|p| p.component_path.as_deref().expect("checked products have a component")).collect();
    stage_files(out, &sources, manifest)
}

/// Writes each `sources[i]` as the manifest's `artifacts[i]`, and the manifest, into a fresh staging directory
/// beside `out` (`.dist-staging-<pid>`, renamed onto `out` by `publish`).
fn stage_files(out: &Path, sources: &[&Path], manifest: &Manifest) -> Result<PathBuf> {
    let staging = out.with_file_name(format!(".dist-staging-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    let staged = (|| -> Result<()> {
        for (source, artifact) in sources.iter().zip(&manifest.artifacts) {
            util::write_atomic(&staging.join(&artifact.path), &util::read(source)?)?;
        }
        let json = serde_json::to_string_pretty(manifest)? + "\n";
        util::write_atomic(&staging.join("manifest.json"), json.as_bytes())
    })();
    if let Err(err) = staged {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(err.context("dist failed; target/dist was left as it was"));
    }
    Ok(staging)
}

/// Joins the dists of shards (`dirs`, each a target/dist with its manifest.json) into `out`: every artifact is
/// read back and must have the size and sha256 its shard's manifest says; the same variant from two shards must
/// be the same entry; a shard that recorded failures (a dist-partial) is refused. The merged manifest lists the
/// artifacts in matrix order, as one full dist would, so a merge of shards equals that dist byte for byte.
/// Returns how many artifacts it wrote.
fn merge(root: &Path, dirs: &[PathBuf], out: &Path) -> Result<usize> {
    let components: Vec<String> = model::discover(root)?.into_iter().map(|c| c.name).collect();
    let variants: Vec<String> = model::variants().iter().map(model::Variant::name).collect();
    let mut merged: BTreeMap<(usize, usize), (Artifact, PathBuf, PathBuf)> = BTreeMap::new();
    for dir in dirs {
        let path = dir.join("manifest.json");
        let text = std::fs::read_to_string(&path).with_context(|| format!("failed to read {}", path.display()))?;
        let manifest: Manifest =
            serde_json::from_str(&text).with_context(|| format!("{} is not a dist manifest", path.display()))?;
        anyhow::ensure!(
            manifest.failures.is_empty(),
            "{} records {} failures: it is a partial dist, not a shard that passed",
            path.display(),
            manifest.failures.len()
        );
        for artifact in manifest.artifacts {
            let file = dir.join(&artifact.path);
            let bytes = util::read(&file)?;
            anyhow::ensure!(
                bytes.len() as u64 == artifact.bytes && util::sha256_hex(&bytes) == artifact.sha256,
                "{} does not match {} (want {} bytes, sha256 {})",
                file.display(),
                path.display(),
                artifact.bytes,
                artifact.sha256
            );
            let position = |list: &[String], name: &str, what: &str| {
                list.iter()
                    .position(|n| n == name)
                    .with_context(|| format!("{}: unknown {what} `{name}`", path.display()))
            };
            let key = (
                position(&components, &artifact.component, "component")?,
                position(&variants, &artifact.variant, "variant")?,
            );
            let entry_text = serde_json::to_string(&artifact)?;
            if let Some((earlier, earlier_dir, _)) = merged.get(&key) {
                anyhow::ensure!(
                    serde_json::to_string(earlier)? == entry_text,
                    "{} {} differs between {} and {} (sha256 {} vs {}): refusing to choose",
                    artifact.component,
                    artifact.variant,
                    earlier_dir.display(),
                    dir.display(),
                    earlier.sha256,
                    artifact.sha256
                );
                continue;
            }
            merged.insert(key, (artifact, dir.clone(), file));
        }
    }
    let (artifacts, sources): (Vec<Artifact>, Vec<PathBuf>) = merged.into_values().map(|(a, _, f)| (a, f)).unzip();
    let count = artifacts.len();
    let manifest = Manifest { artifacts, failures: Vec::new() };
    let sources: Vec<&Path> = sources.iter().map(PathBuf::as_path).collect();
    let staging = stage_files(out, &sources, &manifest)?;
    publish(&staging, out)?;
    Ok(count)
}

/// A run with failures ships nothing into target/dist. What passed goes to target/dist-partial/ (its manifest
/// lists the failures), and the error says what failed, why, where the rest is and how to re-run.
fn failed_run(root: &Path, outcome: &scheduler::Outcome) -> anyhow::Error {
    let partial = paths::dist_partial_dir(root);
    let kept = (|| -> Result<usize> {
        let mut manifest = manifest(&outcome.products)?;
        manifest.failures = outcome
            .failures
            .iter()
            .map(|f| FailedArtifact { what: f.what.clone(), error: f.error.chain().map(|c| c.to_string()).collect() })
            .collect();
        let staging = stage(&partial, &outcome.products, &manifest)?;
        publish(&staging, &partial)?;
        Ok(manifest.artifacts.len())
    })();
    let kept = match kept {
        Ok(n) => format!("the {n} that passed are in {} (its manifest.json lists the failures)", partial.display()),
        Err(err) => format!("the ones that passed could not be kept: {err:#}"),
    };
    let retry: Vec<String> = outcome.failures.iter().map(|f| f.what.clone()).collect();
    anyhow::anyhow!(
        "{}\ntarget/dist was left as it was; {kept}.\nTo re-run, fix the cause and run `cargo xtask dist` again: every step that passed is fresh and \
         skipped, so only the failed ones run ({}). `cargo xtask check --component <name> --variant <variant>` \
         retries one of them alone.",
        outcome.report(),
        retry.join(", ")
    )
}

/// The manifest entries of checked products.
pub(crate) fn manifest(products: &[Product]) -> Result<Manifest> {
    let mut artifacts = Vec::new();
    for p in products {
        let path = p.component_path.as_ref().expect("checked products have a component");
        let bytes = util::read(path)?;
        let mut tools = artifact_tools(&p.toolchain)?;
        if let Some(tinygo) = &p.tinygo {
            tools.insert("tinygo".to_string(), tinygo.version.clone());
        }
        let mut flags = gobuild::build_flags(&p.variant.build);
        if let Some(version) = &p.wasm_opt {
            tools.insert("wasm-opt".to_string(), version.clone());
            flags.push(format!("wasm-opt {}", postprocess::WASM_OPT_FLAGS.join(" ")));
        }
        if p.variant.post != pipeline::model::Post::Raw {
            flags.push("strip-custom-sections".to_string());
        }
        if p.variant.post == pipeline::model::Post::Wizer {
            tools.insert("wasmtime-wizer".to_string(), tools::crate_version("wasmtime-wizer")?);
            flags.push(format!("wizer _initialize, then `{}` as _initialize", pipeline::wizer::RESUME_EXPORT));
        }
        artifacts.push(Artifact {
            component: p.component.name.clone(),
            variant: p.variant.name(),
            path: paths::dist_relative(&p.component, &p.variant),
            bytes: bytes.len() as u64,
            sha256: util::sha256_hex(&bytes),
            core_sha256: util::sha256_hex(&util::read(&p.module)?),
            world: p.component.world.clone(),
            tools,
            flags,
            env: gobuild::build_env(&p.variant.build, &p.toolchain, p.tinygo.as_ref(), &p.component)
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        });
    }
    Ok(Manifest { artifacts, failures: Vec::new() })
}

/// Builds everything again from scratch — a separate work directory and a fresh GOCACHE, so nothing is reused —
/// and compares every core module and component with the manifest.
fn verify_reproducible(sh: &Shell, root: &Path, jobs: Vec<pipeline::model::Job>, manifest: &Manifest) -> Result<()> {
    let start = Instant::now();
    status::step("Verifying", "reproducibility: a second, clean build of every artifact");
    let base = root.join("target/repro");
    let _ = std::fs::remove_dir_all(&base);
    let ws = Workspace { root: root.to_path_buf(), work: base.join("wasm"), gocache: Some(base.join("gocache")) };
    let products = scheduler::run(sh, &ws, jobs, &scheduler::Options::until(Until::Componentize))?;
    let second = self::manifest(&products)?;
    let mut differences = Vec::new();
    for (a, b) in manifest.artifacts.iter().zip(&second.artifacts) {
        if a.sha256 != b.sha256 || a.core_sha256 != b.core_sha256 {
            differences.push(format!("{} {}", a.component, a.variant));
        }
    }
    // The Go cache is read-only by design; make it removable, then drop the whole second build.
    let _ = xshell::cmd!(sh, "chmod -R u+w {base}").quiet().run();
    let _ = std::fs::remove_dir_all(&base);
    if !differences.is_empty() {
        anyhow::bail!("not reproducible: a second clean build differs for {}", differences.join(", "));
    }
    status::step(
        "Reproducible",
        format!(
            "all {} artifacts identical across two clean builds ({})",
            second.artifacts.len(),
            status::elapsed(start.elapsed())
        ),
    );
    Ok(())
}

/// The tools that made one artifact (its manifest entry's `tools`): its Go, the in-process crates, the adapter.
fn artifact_tools(toolchain: &GoToolchain) -> Result<BTreeMap<String, String>> {
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

/// (module bytes, component bytes) per post-processing level.
type SizesByPost = BTreeMap<&'static str, (u64, u64)>;

/// The size table: per component and build, module and component bytes at each post-processing level.
fn print_sizes(products: &[Product]) -> Result<()> {
    // Keyed by (component, position of the build in the matrix, build name) to print in matrix order.
    let mut rows: BTreeMap<(String, usize, String), SizesByPost> = BTreeMap::new();
    let order: Vec<&str> = pipeline::model::builds().iter().map(|b| b.name).collect();
    for p in products {
        let module = std::fs::metadata(&p.module)?.len();
        let component = p.component_path.as_ref().map_or(Ok(0), |c| std::fs::metadata(c).map(|m| m.len()))?;
        let position = order.iter().position(|b| *b == p.variant.build.name).unwrap_or(usize::MAX);
        rows.entry((p.component.name.clone(), position, p.variant.build.name.to_string()))
            .or_default()
            .insert(p.variant.post.name(), (module, component));
    }
    let cell = |sizes: &SizesByPost, post: &str, pick: fn(&(u64, u64)) -> u64| {
        sizes.get(post).map_or("-".to_string(), |s| format!("{:.2}", pick(s) as f64 / 1e6))
    };
    eprintln!();
    eprintln!("  sizes in MB (10^6 bytes)            module                           component");
    eprintln!(
        "  {:<10} {:<18} {:>6} {:>6} {:>6} {:>9}   {:>6} {:>6} {:>6} {:>9}",
        "component", "build", "raw", "strip", "opt", "opt-wizer", "raw", "strip", "opt", "opt-wizer"
    );
    for ((component, _, build), sizes) in &rows {
        eprintln!(
            "  {component:<10} {build:<18} {:>6} {:>6} {:>6} {:>9}   {:>6} {:>6} {:>6} {:>9}",
            cell(sizes, "raw", |s| s.0),
            cell(sizes, "strip", |s| s.0),
            cell(sizes, "opt", |s| s.0),
            cell(sizes, "opt-wizer", |s| s.0),
            cell(sizes, "raw", |s| s.1),
            cell(sizes, "strip", |s| s.1),
            cell(sizes, "opt", |s| s.1),
            cell(sizes, "opt-wizer", |s| s.1),
        );
    }
    eprintln!();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use pipeline::model::Stress;
    use pipeline::model::{Job, Post};

    /// A run where one component passes and another fails its check ships nothing into target/dist: the error
    /// counts and names the failure with its cause, the passing artifact is kept in target/dist-partial/ with a
    /// manifest listing the failure, and the hint says how to re-run.
    #[test]
    fn a_failed_variant_is_reported_and_the_passing_ones_are_kept() {
        let root = pipeline::testing::root();
        let tmp = pipeline::testing::hasher_workspace("failed-dist");
        // A second component of the same world whose declarative case expects a wrong digest.
        pipeline::util::copy_dir(&root.join("go/hasher"), &tmp.join("go/broken"));
        std::fs::write(
            tmp.join("go/broken/checks.toml"),
            "[[case]]\ncall = \"compute-hash([])\"\nexpect = '\"not the digest\"'\n",
        )
        .unwrap();
        let sh = Shell::new().unwrap();
        let build = model::builds().into_iter().find(|b| b.name == "go1.26").unwrap();
        let jobs: Vec<Job> = model::discover(&tmp)
            .unwrap()
            .into_iter()
            .map(|component| Job { component, build: build.clone(), posts: vec![Post::Raw] })
            .collect();
        let options = scheduler::Options {
            stress: Stress { calls_64k: 20, calls_1m: 2 },
            ..scheduler::Options::until(Until::Check)
        };
        let outcome = scheduler::run_all(&sh, &Workspace::new(&tmp), jobs, &options).unwrap();
        assert_eq!(outcome.products.len(), 1);
        assert_eq!(outcome.failures.len(), 1);

        let err = failed_run(&tmp, &outcome).to_string();
        eprintln!("{err}");
        assert!(err.starts_with("1 of 2 artifacts failed (1 passed):\n  1. broken go1.26-raw\n"), "{err}");
        assert!(err.contains("checks.toml case #1 `compute-hash([])`: returned"), "{err}");
        assert!(err.contains("target/dist was left as it was; the 1 that passed are in"), "{err}");
        assert!(err.contains("only the failed ones run (broken go1.26-raw)"), "{err}");
        assert!(!tmp.join("target/dist").exists(), "a failed run wrote target/dist");
        let partial: Manifest =
            serde_json::from_slice(&std::fs::read(tmp.join("target/dist-partial/manifest.json")).unwrap()).unwrap();
        assert_eq!(partial.artifacts.len(), 1);
        assert_eq!(partial.artifacts[0].component, "hasher");
        assert!(tmp.join("target/dist-partial").join(&partial.artifacts[0].path).is_file());
        assert_eq!(partial.failures.len(), 1);
        assert_eq!(partial.failures[0].what, "broken go1.26-raw");
        assert!(partial.failures[0].error.iter().any(|e| e.contains("not the digest")), "{:?}", partial.failures);
        std::fs::remove_dir_all(&tmp).unwrap();
    }

    /// Shards merge into what one dist ships: artifacts in matrix order whatever the order of the shards, a
    /// variant in two shards kept once; a tampered artifact, two different entries for one variant and a partial
    /// dist are each refused, and the target is left as it was.
    #[test]
    fn shards_merge_in_matrix_order_and_conflicts_are_refused() {
        let root = pipeline::testing::root();
        let tmp = std::env::temp_dir().join(format!("xtask-merge-{}", std::process::id()));
        let shard = |name: &str, entries: &[(&str, &str, &[u8])]| -> PathBuf {
            let dir = tmp.join(name);
            std::fs::create_dir_all(&dir).unwrap();
            let mut artifacts = Vec::new();
            for (component, variant, bytes) in entries {
                let path = format!("{component}/{variant}.wasm");
                std::fs::create_dir_all(dir.join(component)).unwrap();
                std::fs::write(dir.join(&path), bytes).unwrap();
                artifacts.push(Artifact {
                    component: component.to_string(),
                    variant: variant.to_string(),
                    path,
                    bytes: bytes.len() as u64,
                    sha256: util::sha256_hex(bytes),
                    core_sha256: "core".into(),
                    world: component.to_string(),
                    tools: BTreeMap::new(),
                    flags: Vec::new(),
                    env: BTreeMap::new(),
                });
            }
            let manifest = Manifest { artifacts, failures: Vec::new() };
            std::fs::write(dir.join("manifest.json"), serde_json::to_string_pretty(&manifest).unwrap() + "\n").unwrap();
            dir
        };
        let out = tmp.join("dist");
        let first = shard("first", &[("textkit", "go1.24-raw", b"t24"), ("hasher", "go1.26-opt", b"h26")]);
        let second = shard("second", &[("hasher", "go1.24-raw", b"h24"), ("hasher", "go1.26-opt", b"h26")]);
        assert_eq!(merge(&root, &[first.clone(), second.clone()], &out).unwrap(), 3);
        let merged: Manifest =
            serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
        let order: Vec<String> = merged.artifacts.iter().map(|a| format!("{} {}", a.component, a.variant)).collect();
        assert_eq!(order, ["hasher go1.24-raw", "hasher go1.26-opt", "textkit go1.24-raw"]);
        assert_eq!(std::fs::read(out.join("textkit/go1.24-raw.wasm")).unwrap(), b"t24");
        let before = std::fs::read(out.join("manifest.json")).unwrap();

        let conflict = shard("conflict", &[("hasher", "go1.26-opt", b"other bytes")]);
        let err = format!("{:#}", merge(&root, &[first.clone(), conflict], &out).unwrap_err());
        assert!(err.contains("hasher go1.26-opt differs between") && err.contains("refusing to choose"), "{err}");
        std::fs::write(second.join("hasher/go1.24-raw.wasm"), b"h25").unwrap();
        let err = format!("{:#}", merge(&root, &[first.clone(), second.clone()], &out).unwrap_err());
        assert!(err.contains("go1.24-raw.wasm does not match") && err.contains("manifest.json"), "{err}");
        let partial = shard("partial", &[]);
        let text = std::fs::read_to_string(partial.join("manifest.json")).unwrap();
        let failed = text.replacen(
            "\"artifacts\": []",
            "\"artifacts\": [], \"failures\": [{\"what\": \"x\", \"error\": []}]",
            1,
        );
        std::fs::write(partial.join("manifest.json"), failed).unwrap();
        let err = format!("{:#}", merge(&root, &[first, partial], &out).unwrap_err());
        assert!(err.contains("it is a partial dist"), "{err}");
        assert_eq!(std::fs::read(out.join("manifest.json")).unwrap(), before, "a refused merge changed the target");
        std::fs::remove_dir_all(&tmp).unwrap();
    }
}
