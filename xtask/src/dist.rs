//! `cargo xtask dist`: build → post-process → componentize → check every selected (component, variant), then publish
//! `target/dist/<component>/<variant>.wasm` and `target/dist/manifest.json`. Everything is assembled in a staging
//! directory and swapped into place at the end, so target/dist is always either the previous complete result or
//! the new complete one, never a mix or a half-written file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use xshell::{Shell, cmd};

use pipeline::env::toolchain::GoToolchain;
use pipeline::model::{self, Workspace, paths};
use pipeline::run::scheduler::{self, Product, Until};
use pipeline::{
    stages::{adapter, gobuild, postprocess},
    status, util,
};

use crate::flags;

/// `target/dist/manifest.json`. Other tools read it: the field names are a contract.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Manifest {
    pub(crate) artifacts: Vec<Artifact>,
    /// Only in a shard's manifest (`dist --shard`): which shard of which selection it is, for `dist --merge`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) shard: Option<ShardRecord>,
    /// Only in `target/dist-partial/manifest.json`, the passing part of a failed run: what failed and why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) failures: Vec<FailedArtifact>,
    /// The checkout the artifacts were built from, when it is a git repository: `publish` records it in each
    /// artifact's annotations and provenance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) source: Option<Source>,
}

/// The git commit a dist was built from, and whether the work tree differed from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Source {
    pub(crate) commit: String,
    pub(crate) dirty: bool,
}

impl Source {
    /// `HEAD` of the checkout at `root` and whether `git status` shows changes; `None` outside a git checkout.
    pub(crate) fn of(sh: &Shell, root: &Path) -> Option<Source> {
        let _cwd = sh.push_dir(root);
        let commit = cmd!(sh, "git rev-parse HEAD").quiet().ignore_stderr().read().ok()?;
        let status = cmd!(sh, "git status --porcelain").quiet().ignore_stderr().read().ok()?;
        Some(Source { commit: commit.trim().to_string(), dirty: !status.trim().is_empty() })
    }
}

impl Manifest {
    /// The manifest as `manifest.json` holds it.
    fn to_json(&self) -> Result<String> {
        Ok(serde_json::to_string_pretty(self)? + "\n")
    }
}

/// Shard `index` of `count` of the selection `components` × `variants` (empty: all).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ShardRecord {
    pub(crate) index: usize,
    pub(crate) count: usize,
    pub(crate) components: Vec<String>,
    pub(crate) variants: Vec<String>,
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
    /// For a composed component: what went into it, its own Go module's component first (`core_sha256` is that
    /// component's core module), then each part, by name, with the SHA-256 of what that part ships.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) composed_of: Vec<ComposedPart>,
    /// What the check's stress saw of the guarded window (`gowasm:harden/window`), for a component whose suite
    /// has a stress: the calls of Go's runtime answered inside `cabi_realloc`/`cabi_post_*` — each a trap
    /// without the hardening pass — and the floor each sized phase of the stress had to reach (0: none). On a
    /// TinyGo build (floor 0), whose collector never calls out: the collections inside `cabi_realloc` it saw.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) guarded_window: Option<GuardedWindow>,
}

/// An artifact's guarded-window evidence, as the manifest records it.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct GuardedWindow {
    pub(crate) answered: u64,
    pub(crate) floor: u64,
}

/// One component inside a composed artifact.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct ComposedPart {
    pub(crate) name: String,
    pub(crate) sha256: String,
}

impl flags::Dist {
    pub(crate) fn run(self, sh: &Shell, root: &Path) -> Result<()> {
        let start = Instant::now();
        // One writer per checkout: a second run waits here, saying for whom (lock.rs).
        let _lock = crate::lock::acquire(root)?;
        if !self.merge.is_empty() {
            remove_orphaned_staging(root)?;
            let count = merge(root, &self.merge, &paths::dist_dir(root))?;
            supersede_partial(root)?;
            status::step(
                "Finished",
                format!(
                    "merge of {count} artifacts from {} shards in {} (target/dist)",
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
        let mut manifest = manifest(&products)?;
        manifest.source = Source::of(sh, root);
        manifest.shard = self.shard.map(|s| ShardRecord {
            index: s.index,
            count: s.count,
            components: self.selection.components.clone(),
            variants: self.selection.variants.clone(),
        });
        let dist = paths::dist_dir(root);
        let verified: Vec<PathBuf> =
            products.iter().map(|p| p.component_path.clone().expect("checked products have a component")).collect();
        if already_published(&dist, &manifest, &verified)? {
            status::step("Unchanged", "target/dist already holds exactly these artifacts (each one verified)");
        } else {
            let staging = stage(&dist, &products, &manifest)?;
            publish(&staging, &dist)?;
        }
        supersede_partial(root)?;
        // Linking the artifacts into target/dist (and unlinking the old ones) advanced their change time; this run
        // verified them, so their records say so, and the next no-op run need not read them back.
        for product in &products {
            let path = product.component_path.as_deref().expect("checked products have a component");
            let digest = product.component_sha256.as_deref().expect("checked products have a component digest");
            pipeline::run::records::relinked(path, digest)?;
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

/// Whether `dist` already holds exactly `manifest`: the same manifest text and every artifact with its recorded
/// size and sha256 (read back, so a damaged file there is replaced, not trusted), and nothing else. An artifact
/// that is the very file (a hard link: same device and inode) of the product this run verified, `verified[i]`, is
/// known without reading it again.
fn already_published(dist: &Path, manifest: &Manifest, verified: &[PathBuf]) -> Result<bool> {
    let json = manifest.to_json()?;
    if std::fs::read(dist.join("manifest.json")).ok().as_deref() != Some(json.as_bytes()) {
        return Ok(false);
    }
    let mut expected: Vec<PathBuf> = manifest.artifacts.iter().map(|a| dist.join(&a.path)).collect();
    expected.push(dist.join("manifest.json"));
    let mut present = util::files_under(dist)?;
    present.sort();
    expected.sort();
    if present != expected {
        return Ok(false);
    }
    for (i, artifact) in manifest.artifacts.iter().enumerate() {
        let path = dist.join(&artifact.path);
        if verified.get(i).is_some_and(|v| same_file(v, &path)) {
            continue;
        }
        let bytes = util::read(&path)?;
        if bytes.len() as u64 != artifact.bytes || util::sha256_hex(&bytes) != artifact.sha256 {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Whether `a` and `b` are one file (hard links of one inode).
fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
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
        let leftover = [".dist-staging-", "dist.old-", "dist-partial.old-"].iter().any(|p| name.starts_with(p));
        if path.is_dir() && leftover {
            status::step("Cleaned", format!("{} (left by an interrupted dist)", path.display()));
            std::fs::remove_dir_all(&path).with_context(|| format!("failed to remove {}", path.display()))?;
        }
    }
    Ok(())
}

/// Writes the products and their manifest into a fresh staging directory beside `out`; returns its path.
/// Nothing is left behind if writing fails.
fn stage(out: &Path, products: &[Product], manifest: &Manifest) -> Result<PathBuf> {
    stage_with(out, manifest, |i, dest| {
        let src = products[i].component_path.as_deref().expect("checked products have a component");
        // A hard link to the file this run just verified against its record, not a copy: every write under
        // target/wasm replaces a file by renaming a new one into place, so the link keeps these bytes, and the
        // next no-op dist knows them verified without hashing them again (`already_published`). A copy where
        // linking fails (another file system).
        if std::fs::hard_link(src, dest).is_ok() {
            return Ok(());
        }
        util::write_atomic(dest, &util::read(src)?)
    })
}

/// Writes `bytes(i)` as the manifest's `artifacts[i]`, and the manifest, into a fresh staging directory beside
/// `out` (`.dist-staging-<pid>`, renamed onto `out` by `publish`); nothing is left behind if writing fails.
fn stage_with(out: &Path, manifest: &Manifest, mut place: impl FnMut(usize, &Path) -> Result<()>) -> Result<PathBuf> {
    let staging = out.with_file_name(format!(".dist-staging-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    let staged = (|| -> Result<()> {
        for (i, artifact) in manifest.artifacts.iter().enumerate() {
            let dest = staging.join(&artifact.path);
            let dir = dest.parent().expect("an artifact's path has a directory");
            std::fs::create_dir_all(dir).with_context(|| format!("failed to create {}", dir.display()))?;
            place(i, &dest)?;
        }
        util::write_atomic(&staging.join("manifest.json"), manifest.to_json()?.as_bytes())
    })();
    if let Err(err) = staged {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(err.context(format!("failed to assemble the new {}; it was left as it was", out.display())));
    }
    Ok(staging)
}

/// Removes what an earlier failed run kept in target/dist-partial: a complete target/dist supersedes it.
fn supersede_partial(root: &Path) -> Result<()> {
    let partial = paths::dist_partial_dir(root);
    if partial.exists() {
        std::fs::remove_dir_all(&partial).with_context(|| format!("failed to remove {}", partial.display()))?;
    }
    Ok(())
}

/// Joins the dists of shards (`dirs`, each a `dist --shard I/N` target/dist) into `out`. Every shard must be
/// there, once, of one selection; every artifact is read back and must have the size and sha256 its shard's
/// manifest says, the path a dist gives it and its component's world; the same variant from two shards must be the
/// same entry; a shard that recorded failures (a dist-partial) is refused; and together they must hold every
/// artifact of the selection. The merged manifest lists the artifacts in matrix order, as one full dist of that
/// selection would, so it equals that dist byte for byte. Returns how many artifacts it wrote.
fn merge(root: &Path, dirs: &[PathBuf], out: &Path) -> Result<usize> {
    let discovered = model::discover(root)?;
    let components: Vec<String> = discovered.iter().map(|c| c.name.clone()).collect();
    let variants: Vec<String> = model::variants().iter().map(model::Variant::name).collect();
    let mut merged: BTreeMap<(usize, usize), (Artifact, PathBuf, Vec<u8>)> = BTreeMap::new();
    let mut shards: Vec<(ShardRecord, PathBuf)> = Vec::new();
    let mut source: Option<Option<Source>> = None;
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
        let shard = manifest.shard.clone().with_context(|| {
            format!("{} is not a shard's manifest (made by `cargo xtask dist --shard I/N`)", path.display())
        })?;
        shards.push((shard, dir.clone()));
        match &source {
            None => source = Some(manifest.source.clone()),
            Some(earlier) => anyhow::ensure!(
                *earlier == manifest.source,
                "{} was built from {:?}, the first shard from {:?}: shards of one dist come from one checkout",
                path.display(),
                manifest.source,
                earlier
            ),
        }
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
            let expected = paths::dist_relative_named(&artifact.component, &artifact.variant);
            anyhow::ensure!(
                artifact.path == expected && artifact.world == discovered[key.0].world,
                "{}: the entry for {} {} says path `{}` and world `{}`, a dist writes `{expected}` and `{}`",
                path.display(),
                artifact.component,
                artifact.variant,
                artifact.path,
                artifact.world,
                discovered[key.0].world
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
            merged.insert(key, (artifact, dir.clone(), bytes));
        }
    }
    complete(root, &shards, &merged, &components, &variants)?;
    let count = merged.len();
    let (artifacts, mut contents): (Vec<Artifact>, Vec<Vec<u8>>) = merged.into_values().map(|(a, _, b)| (a, b)).unzip();
    let manifest = Manifest { artifacts, shard: None, failures: Vec::new(), source: source.flatten() };
    // The bytes that were verified are the ones written.
    let staging = stage_with(out, &manifest, |i, dest| util::write_atomic(dest, &std::mem::take(&mut contents[i])))?;
    publish(&staging, out)?;
    Ok(count)
}

/// Whether the shards are shards 1..=N of one selection, each once, and together hold all of its artifacts.
fn complete(
    root: &Path,
    shards: &[(ShardRecord, PathBuf)],
    merged: &BTreeMap<(usize, usize), (Artifact, PathBuf, Vec<u8>)>,
    components: &[String],
    variants: &[String],
) -> Result<()> {
    let (first, first_dir) = &shards[0];
    for (shard, dir) in shards {
        anyhow::ensure!(
            shard.count == first.count && shard.components == first.components && shard.variants == first.variants,
            "{} is shard {}/{} of --component {:?} --variant {:?}, but {} is shard {}/{} of {:?} {:?}: not one selection",
            dir.display(),
            shard.index,
            shard.count,
            shard.components,
            shard.variants,
            first_dir.display(),
            first.index,
            first.count,
            first.components,
            first.variants
        );
    }
    let mut indices: Vec<usize> = shards.iter().map(|(s, _)| s.index).collect();
    indices.sort();
    anyhow::ensure!(
        indices == (1..=first.count).collect::<Vec<_>>(),
        "the shards given are {indices:?} of {}: every shard 1..={} is needed, each once",
        first.count,
        first.count
    );
    let selection =
        model::Selection { components: first.components.clone(), variants: first.variants.clone(), shard: None };
    let mut missing = Vec::new();
    for job in model::select(root, &selection)? {
        for post in &job.posts {
            let variant = model::Variant { build: job.build.clone(), post: *post }.name();
            let key = (
                components.iter().position(|c| *c == job.component.name).expect("a discovered component"),
                variants.iter().position(|v| *v == variant).expect("a variant of the matrix"),
            );
            if !merged.contains_key(&key) {
                missing.push(format!("{} {variant}", job.component.name));
            }
        }
    }
    anyhow::ensure!(
        missing.is_empty(),
        "the shards lack {} artifacts of their selection: {}",
        missing.len(),
        missing.join(", ")
    );
    Ok(())
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
        if p.variant.post != pipeline::model::Post::Raw {
            flags.push("strip-custom-sections".to_string());
        }
        if p.variant.post == pipeline::model::Post::Wizer {
            tools.insert("wasmtime-wizer".to_string(), pipeline::versions::crate_version("wasmtime-wizer")?);
            flags.push(format!("wizer _initialize, then `{}` as _initialize", pipeline::stages::wizer::RESUME_EXPORT));
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
        });
    }
    Ok(Manifest { artifacts, shard: None, failures: Vec::new(), source: None })
}

/// Builds everything again from scratch — a separate work directory and a fresh GOCACHE, so nothing is reused —
/// and compares every core module and component with the manifest.
fn verify_reproducible(sh: &Shell, root: &Path, jobs: Vec<pipeline::model::Job>, manifest: &Manifest) -> Result<()> {
    let start = Instant::now();
    status::step("Verifying", "reproducibility: a second, clean build of every artifact");
    let base = root.join("target/repro");
    let _ = std::fs::remove_dir_all(&base);
    let ws = Workspace { work: base.join("wasm"), gocache: Some(base.join("gocache")), ..Workspace::new(root) };
    let products = scheduler::run(sh, &ws, jobs, &scheduler::Options::until(Until::Componentize))?;
    let second = self::manifest(&products)?;
    let mut differences = Vec::new();
    for (a, b) in manifest.artifacts.iter().zip(&second.artifacts) {
        if a.sha256 != b.sha256 || a.core_sha256 != b.core_sha256 || a.composed_of != b.composed_of {
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
        tools.insert(name.to_string(), pipeline::versions::crate_version(name)?);
    }
    tools.insert("wasi-preview1-component-adapter-provider".to_string(), adapter::describe()?);
    Ok(tools)
}

/// Replaces `dist` with `staging`: the old directory is moved aside first and removed only after the rename (and
/// moved back if the rename fails).
fn publish(staging: &Path, dist: &Path) -> Result<()> {
    let old = dist.with_extension(format!("old-{}", std::process::id()));
    if dist.exists() {
        std::fs::rename(dist, &old).with_context(|| format!("failed to move {} aside", dist.display()))?;
    }
    if let Err(err) = std::fs::rename(staging, dist) {
        if old.exists() {
            let _ = std::fs::rename(&old, dist);
        }
        let _ = std::fs::remove_dir_all(staging);
        return Err(err).with_context(|| format!("failed to move {} to {}", staging.display(), dist.display()));
    }
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
        // Without the hasher's typed suite: its declarative case is what fails.
        std::fs::write(tmp.join("go/broken/component.toml"), "world = \"hasher\"\nwit = \"wit/hasher.wit\"\n").unwrap();
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
            .map(|component| Job::new(component, build.clone(), vec![Post::Raw]))
            .collect();
        let options = scheduler::Options { stress: Stress::fixed(20, 2), ..scheduler::Options::until(Until::Check) };
        let outcome = scheduler::run_all(&sh, &pipeline::testing::workspace_of(&tmp), jobs, &options).unwrap();
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

    /// Shards merge into what one dist of their selection ships: artifacts in matrix order whatever the order of
    /// the shards, a variant in two shards kept once. A tampered artifact, two different entries for one variant,
    /// a partial dist, a missing shard, shards of different selections and an entry with a foreign path are each
    /// refused, and the target is left as it was.
    #[test]
    fn shards_merge_in_matrix_order_and_conflicts_are_refused() {
        let root = pipeline::testing::root();
        let tmp = std::env::temp_dir().join(format!("xtask-merge-{}", std::process::id()));
        let components = vec!["hasher".to_string(), "textkit".to_string()];
        let variants = vec!["go1.24-raw".to_string(), "go1.26-opt".to_string()];
        let record = |index, count| {
            Some(ShardRecord { index, count, components: components.clone(), variants: variants.clone() })
        };
        let shard = |name: &str, shard: Option<ShardRecord>, entries: &[(&str, &str, &[u8])]| -> PathBuf {
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
                    composed_of: Vec::new(),
                    guarded_window: Some(GuardedWindow { answered: 300, floor: 100 }),
                });
            }
            let manifest = Manifest { artifacts, shard, failures: Vec::new(), source: None };
            std::fs::write(dir.join("manifest.json"), manifest.to_json().unwrap()).unwrap();
            dir
        };
        let out = tmp.join("dist");
        let first =
            shard("first", record(1, 2), &[("textkit", "go1.24-raw", b"t24"), ("hasher", "go1.26-opt", b"h26")]);
        let second = shard(
            "second",
            record(2, 2),
            &[("hasher", "go1.24-raw", b"h24"), ("hasher", "go1.26-opt", b"h26"), ("textkit", "go1.26-opt", b"t26")],
        );
        assert_eq!(merge(&root, &[second.clone(), first.clone()], &out).unwrap(), 4);
        let merged: Manifest =
            serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
        let order: Vec<String> = merged.artifacts.iter().map(|a| format!("{} {}", a.component, a.variant)).collect();
        assert_eq!(order, ["hasher go1.24-raw", "hasher go1.26-opt", "textkit go1.24-raw", "textkit go1.26-opt"]);
        assert!(merged.shard.is_none(), "the merged manifest is a whole dist's");
        assert_eq!(std::fs::read(out.join("textkit/go1.24-raw.wasm")).unwrap(), b"t24");
        let before = std::fs::read(out.join("manifest.json")).unwrap();

        let refused = |dirs: &[PathBuf]| format!("{:#}", merge(&root, dirs, &out).unwrap_err());
        let err = refused(std::slice::from_ref(&first));
        assert!(err.contains("the shards given are [1] of 2"), "{err}");
        let conflict = shard("conflict", record(2, 2), &[("hasher", "go1.26-opt", b"other bytes")]);
        let err = refused(&[first.clone(), conflict]);
        assert!(err.contains("hasher go1.26-opt differs between") && err.contains("refusing to choose"), "{err}");
        let other = ShardRecord { variants: vec!["go1.24-raw".into()], ..record(2, 2).unwrap() };
        let err = refused(&[first.clone(), shard("other", Some(other), &[("hasher", "go1.24-raw", b"h24")])]);
        assert!(err.contains("not one selection"), "{err}");
        let err = refused(&[first.clone(), shard("short", record(2, 2), &[("hasher", "go1.24-raw", b"h24")])]);
        assert!(err.contains("the shards lack 1 artifacts of their selection: textkit go1.26-opt"), "{err}");
        let err = refused(&[first.clone(), shard("plain", None, &[])]);
        assert!(err.contains("is not a shard's manifest"), "{err}");
        std::fs::write(second.join("hasher/go1.24-raw.wasm"), b"h25").unwrap();
        let err = refused(&[first.clone(), second.clone()]);
        assert!(err.contains("go1.24-raw.wasm does not match") && err.contains("manifest.json"), "{err}");
        let partial = shard("partial", record(2, 2), &[]);
        let text = std::fs::read_to_string(partial.join("manifest.json")).unwrap();
        let failed = text.replacen(
            "\"artifacts\": []",
            "\"artifacts\": [], \"failures\": [{\"what\": \"x\", \"error\": []}]",
            1,
        );
        std::fs::write(partial.join("manifest.json"), failed).unwrap();
        let err = refused(&[first.clone(), partial]);
        assert!(err.contains("it is a partial dist"), "{err}");
        let foreign = shard("foreign", record(2, 2), &[("hasher", "go1.24-raw", b"h24")]);
        let text = std::fs::read_to_string(foreign.join("manifest.json")).unwrap();
        std::fs::write(foreign.join("manifest.json"), text.replace("\"hasher/go1.24-raw.wasm\"", "\"../escape.wasm\""))
            .unwrap();
        std::fs::write(foreign.join("../escape.wasm"), b"h24").unwrap();
        let err = refused(&[first, foreign]);
        assert!(err.contains("says path `../escape.wasm`"), "{err}");
        assert_eq!(std::fs::read(out.join("manifest.json")).unwrap(), before, "a refused merge changed the target");
        std::fs::remove_dir_all(&tmp).unwrap();
    }

    /// A no-op dist keeps target/dist only when it holds exactly the manifest and its artifacts, each read back:
    /// a tampered, missing or extra file there makes it publish again.
    #[test]
    fn target_dist_is_kept_only_when_every_artifact_verifies() {
        let dir = std::env::temp_dir().join(format!("xtask-published-{}", std::process::id()));
        let artifact = |component: &str, variant: &str, bytes: &[u8]| Artifact {
            component: component.into(),
            variant: variant.into(),
            path: format!("{component}/{variant}.wasm"),
            bytes: bytes.len() as u64,
            sha256: util::sha256_hex(bytes),
            core_sha256: "core".into(),
            world: component.into(),
            tools: BTreeMap::new(),
            flags: Vec::new(),
            env: BTreeMap::new(),
            composed_of: Vec::new(),
            guarded_window: None,
        };
        let manifest = Manifest {
            artifacts: vec![artifact("a", "v1", b"one"), artifact("a", "v2", b"two")],
            shard: None,
            failures: Vec::new(),
            source: None,
        };
        let write = |rel: &str, bytes: &[u8]| {
            std::fs::create_dir_all(dir.join(rel).parent().unwrap()).unwrap();
            std::fs::write(dir.join(rel), bytes).unwrap();
        };
        write("a/v1.wasm", b"one");
        write("a/v2.wasm", b"two");
        write("manifest.json", manifest.to_json().unwrap().as_bytes());
        assert!(already_published(&dir, &manifest, &[]).unwrap());
        write("a/v2.wasm", b"twO");
        assert!(!already_published(&dir, &manifest, &[]).unwrap(), "a tampered artifact was trusted");
        write("a/v2.wasm", b"two");
        write("a/stray.wasm", b"x");
        assert!(!already_published(&dir, &manifest, &[]).unwrap(), "an extra file was kept");
        std::fs::remove_file(dir.join("a/stray.wasm")).unwrap();
        std::fs::remove_file(dir.join("a/v1.wasm")).unwrap();
        assert!(!already_published(&dir, &manifest, &[]).unwrap(), "a missing artifact was not noticed");

        // Artifacts that are hard links of the files the run verified are known without reading them: here the
        // verified files differ from what the manifest says (something a run would never do), so a `true` shows
        // they were not read; a copy instead of a link is read and compared.
        let links = std::env::temp_dir().join(format!("xtask-published-links-{}", std::process::id()));
        std::fs::create_dir_all(&links).unwrap();
        let verified = [links.join("v1"), links.join("v2")];
        std::fs::write(&verified[0], b"ONE").unwrap();
        std::fs::write(&verified[1], b"TWO").unwrap();
        write("a/v1.wasm", b"one");
        for (rel, source) in [("a/v1.wasm", &verified[0]), ("a/v2.wasm", &verified[1])] {
            std::fs::remove_file(dir.join(rel)).unwrap();
            std::fs::hard_link(source, dir.join(rel)).unwrap();
        }
        assert!(already_published(&dir, &manifest, &verified).unwrap(), "linked artifacts were read again");
        std::fs::remove_file(dir.join("a/v2.wasm")).unwrap();
        std::fs::copy(&verified[1], dir.join("a/v2.wasm")).unwrap();
        assert!(!already_published(&dir, &manifest, &verified).unwrap(), "a copy was trusted as if it were a link");
        std::fs::remove_dir_all(&dir).unwrap();
        std::fs::remove_dir_all(&links).unwrap();
    }
}
