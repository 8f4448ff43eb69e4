//! One job of a run: its core module, then each post-processing level — post-processed, componentized, composed
//! and checked as far as the run goes, each step skipped when its record shows it fresh.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail, ensure};
use xshell::Shell;

use super::made::{Levels, Output};
use super::{Failed, Failure, Options, Product, Shared, Until, WindowCount};
use crate::model::{Job, Part, Post, Variant, Workspace, paths};
use crate::run::keys;
use crate::run::progress::{self, Progress};
use crate::run::records::fresh_or;
use crate::stages::{check, componentize, compose, gobuild, postprocess, wizer};
use crate::versions::Sources;
use crate::{status, util};

/// One job: its build, then each post-processing level as far as the run goes. A failed level is recorded and
/// the next one still runs; a failed build takes every level of the job down.
pub(super) fn run_job(
    sh: &Shell,
    ws: &Workspace,
    job: &Job,
    shared: &Shared,
    options: &Options,
) -> (Vec<Product>, Vec<Failure>) {
    let mut run = JobRun { sh, ws, job, shared, options, state: JobState::default() };
    let outcome = run.steps();
    // The planned steps a failure took down count as done, so the progress line ends at its total.
    let (componentize, check) = (options.until >= Until::Componentize, options.until >= Until::Check);
    let planned = Progress::planned(std::slice::from_ref(job), componentize, check);
    shared.progress.skip(planned.saturating_sub(run.state.started));
    outcome
}

/// One job being run: where and with what (the run's tools and options), and what it has done so far.
struct JobRun<'a> {
    sh: &'a Shell,
    ws: &'a Workspace,
    job: &'a Job,
    shared: &'a Shared,
    options: &'a Options,
    state: JobState,
}

impl JobRun<'_> {
    fn steps(&mut self) -> (Vec<Product>, Vec<Failure>) {
        let Job { component, build, posts, .. } = self.job;
        let core_hash = match self.build_core() {
            Ok(hash) => hash,
            Err(error) => {
                let what = Failed::Build { component: component.name.clone(), build: build.name };
                return (Vec::new(), vec![Failure { what, artifacts: posts.len(), error }]);
            }
        };
        let (mut products, mut failures) = (Vec::new(), Vec::new());
        for &post in posts {
            let variant = Variant { build: build.clone(), post };
            let what = Failed::Variant { component: component.name.clone(), variant: variant.clone() };
            match self.run_post(&variant, &core_hash) {
                Ok(product) => products.push(product),
                Err(error) => failures.push(Failure { what, artifacts: 1, error }),
            }
        }
        (products, failures)
    }

    /// The job's core module, built unless fresh; returns its SHA-256.
    fn build_core(&mut self) -> Result<String> {
        let (sh, ws, shared) = (self.sh, self.ws, self.shared);
        let Job { component, build, .. } = self.job;
        let _step = self.state.step(shared, format!("build {} {}", component.name, build.name));
        let toolchain = &shared.toolchains[build.go_minor];
        let tinygo = build.tinygo.and(shared.tinygo.as_ref());
        let core = paths::core_module(&ws.work, component, build);
        let key = keys::build(Sources::embedded(), ws, component, build, toolchain, tinygo)?;
        let (digest, was_fresh) =
            fresh_or(&core, &key, || gobuild::build(sh, ws, component, build, toolchain, tinygo).map(drop))?;
        if was_fresh {
            status::step("Fresh", format!("{} {}: core module", component.name, build.name));
        }
        Ok(digest)
    }

    /// One post-processing level of a job: post-process, componentize, check, as far as the run goes.
    fn run_post(&mut self, variant: &Variant, core_hash: &str) -> Result<Product> {
        let (ws, shared, options, job) = (self.ws, self.shared, self.options, self.job);
        let Job { component, build, .. } = job;
        let toolchain = &shared.toolchains[build.go_minor];
        let tinygo = build.tinygo.and(shared.tinygo.as_ref());
        let label = format!("{} {}", component.name, build.name);
        let post = variant.post;
        let src = Sources::embedded();
        let Output { path: module, sha256: module_hash } = self.post_process(variant, core_hash)?;
        let mut product = Product {
            component: component.clone(),
            variant: variant.clone(),
            toolchain: toolchain.clone(),
            tinygo: tinygo.cloned(),
            module: module.clone(),
            module_sha256: module_hash.clone(),
            component_path: None,
            component_sha256: None,
            composed_of: Vec::new(),
            wasm_opt: post.is_optimized().then(|| shared.wasm_opt.as_ref().map(|(_, v)| v.clone())).flatten(),
            window: None,
            generic: None,
        };
        let mut component_hash = String::new();
        if options.until >= Until::Componentize {
            let out = paths::component(&ws.work, component, variant);
            let _step = self.state.step(shared, format!("componentize {label}-{}", post.name()));
            let key = keys::componentize(src, ws, component, &module_hash)?;
            let (digest, was_fresh) =
                fresh_or(&out, &key, || componentize::componentize(ws, component, variant).map(drop))?;
            if was_fresh {
                status::step("Fresh", format!("{label}-{}: component", post.name()));
            }
            component_hash = digest;
            product.component_path = Some(out);
            product.component_sha256 = Some(component_hash.clone());
            if !component.parts.is_empty() {
                let composition = self.compose_parts(variant, &component_hash)?;
                let own = (component.name.clone(), component_hash);
                product.composed_of = std::iter::once(own).chain(composition.parts).collect();
                product.component_path = Some(composition.path);
                product.component_sha256 = Some(composition.sha256.clone());
                component_hash = composition.sha256;
            }
        }
        if options.until >= Until::Check && !job.dependency {
            let out = product.component_path.clone().expect("componentized above");
            let stamp = out.with_extension("wasm.checked");
            let _step = self.state.step(shared, format!("check {label}-{}", post.name()));
            let mut key = keys::check(src, ws, component, &component_hash, options.stress)?;
            // A strip module is its raw module without custom sections (postprocess::strip copies every other
            // section byte for byte): the same program, so raw's passed stress stands for it.
            let raw = Variant { build: build.clone(), post: Post::Raw };
            let stressed_as = match (post, self.state.raw_passed) {
                (Post::Strip, Some(passed)) => Some((format!("{} {}", component.name, raw.name()), passed)),
                _ => None,
            };
            if stressed_as.is_some() {
                key.push_str(" stress-of-raw");
            }
            let suite = match shared.suites.get(&component.name) {
                Some(Ok(binary)) => Some(binary.as_path()),
                Some(Err(why)) => bail!("its typed suite did not build: {why}"),
                None => None,
            };
            let target = check::Target {
                path: &out,
                component,
                variant,
                stress: options.stress,
                stressed_as: stressed_as.as_ref().map(|(label, _)| label.as_str()),
            };
            if let Some(repeat) = options.repeat {
                check::check_repeatedly(&ws.root, suite, &check::Target { stressed_as: None, ..target }, repeat)?;
            } else if let Some(passed) = read_stamp(&stamp, &key) {
                status::step("Fresh", format!("{label}-{}: checked", post.name()));
                product.window = passed.window;
                product.generic = passed.generic;
            } else {
                let host = shared.host.as_ref().expect("a host exists for checking runs");
                let check::Checked { verdict, generic } = check::check_component(host, &ws.root, suite, &target)?;
                if let Some(took) = verdict.stress_time {
                    shared.progress.account("stress", &component.name, took);
                }
                if let Some(generic) = &generic {
                    shared.progress.account("generic stress", &component.name, generic.time);
                }
                let count = |t: crate::suite::Tally| WindowCount { answered: t.total(), floor: t.sizing.floor() };
                (product.window, product.generic) = match &stressed_as {
                    Some((_, raw)) => (raw.window, raw.generic),
                    None => (verdict.window.map(count), generic.map(|g| count(g.tally))),
                };
                let passed = Passed { window: product.window, generic: product.generic };
                util::write_atomic(&stamp, stamp_text(&key, passed).as_bytes())?;
            }
            if post == Post::Raw && options.repeat.is_none() {
                self.state.raw_passed = Some(Passed { window: product.window, generic: product.generic });
            }
        }
        Ok(product)
    }

    /// Composes a variant's component (`own_hash`: its SHA-256) with the component's parts of the same variant, once
    /// their jobs have made them; returns the composition's path and SHA-256, and each part's name and SHA-256.
    fn compose_parts(&mut self, variant: &Variant, own_hash: &str) -> Result<Composition> {
        let (ws, shared, component) = (self.ws, self.shared, &self.job.component);
        let label = format!("{} {}", component.name, variant.name());
        let _step = self.state.step(shared, format!("compose {label}"));
        let mut parts = Vec::new();
        for part in &component.parts {
            let made = match part {
                Part::Component(name) => shared.made.wait(name, variant)?,
                Part::File(file) => {
                    let path = ws.root.join(file);
                    let bytes =
                        util::read(&path).with_context(|| format!("failed to read the part {}", file.display()))?;
                    Output { path, sha256: util::sha256_hex(&bytes) }
                }
            };
            parts.push((part.name(), made));
        }
        let named: Vec<(String, String)> =
            parts.iter().map(|(name, made)| (name.clone(), made.sha256.clone())).collect();
        let key = keys::compose(Sources::embedded(), own_hash, &named);
        let out = paths::composed(&ws.work, component, variant);
        let start = Instant::now();
        let (digest, was_fresh) = fresh_or(&out, &key, || {
            let own = util::read(&paths::component(&ws.work, component, variant))?;
            ensure!(util::sha256_hex(&own) == own_hash, "the component of {label} changed while this run was using it");
            let mut inputs = Vec::new();
            for (name, made) in &parts {
                let bytes = util::read(&made.path)?;
                ensure!(
                    util::sha256_hex(&bytes) == made.sha256,
                    "the part `{name}` changed while {label} was composed"
                );
                inputs.push((name.as_str(), bytes));
            }
            let inputs: Vec<compose::Input> =
                inputs.iter().map(|(name, bytes)| compose::Input { name, bytes: bytes.as_slice() }).collect();
            let root = compose::Input { name: &component.name, bytes: &own };
            let (bytes, wiring) = compose::compose(root, &inputs)
                .with_context(|| format!("failed to compose {} (variant {})", component.name, variant.name()))?;
            util::write_atomic(&out, &bytes)?;
            let wired: Vec<String> =
                wiring.iter().map(|(_, import, exporter)| format!("{import} from {exporter}")).collect();
            status::step(
                "Composed",
                format!(
                    "{label} ({} bytes; {}) in {}",
                    bytes.len(),
                    wired.join(", "),
                    status::elapsed(start.elapsed())
                ),
            );
            Ok(())
        })?;
        if was_fresh {
            status::step("Fresh", format!("{label}: composition"));
        }
        Ok(Composition { path: out, sha256: digest, parts: named })
    }

    /// Produces the module of one post-processing level.
    fn post_process(&mut self, variant: &Variant, core_hash: &str) -> Result<Output> {
        match self.state.levels.get(&variant.post) {
            Some(Ok(done)) => return Ok(done.clone()),
            Some(Err(failed)) => bail!("the {} level failed earlier in this run: {failed}", variant.post.name()),
            None => {}
        }
        let made = self.make_level(variant, core_hash);
        let kept = made.as_ref().map(Clone::clone).map_err(|err| format!("{err:#}"));
        self.state.levels.insert(variant.post, kept);
        made
    }

    /// Makes (or verifies fresh) the module of one post-processing level.
    fn make_level(&mut self, variant: &Variant, core_hash: &str) -> Result<Output> {
        let (sh, ws, shared, component) = (self.sh, self.ws, self.shared, &self.job.component);
        let src = Sources::embedded();
        let label = format!("{} {}", component.name, variant.name());
        let _step =
            (variant.post != Post::Raw).then(|| self.state.step(shared, format!("{} {label}", variant.post.name())));
        let start = Instant::now();
        let out = paths::module(&ws.work, component, variant);
        let digest = match variant.post {
            Post::Raw => core_hash.to_string(),
            Post::Strip => {
                let key = keys::strip(src, core_hash);
                let (digest, was_fresh) = fresh_or(&out, &key, || {
                    let core = util::read(&paths::core_module(&ws.work, component, &variant.build))?;
                    ensure!(
                        util::sha256_hex(&core) == core_hash,
                        "the core module of {label} changed while this run was using it"
                    );
                    util::write_atomic(&out, &postprocess::strip(&core)?)
                })?;
                if !was_fresh {
                    let took = status::elapsed(start.elapsed());
                    status::step("Stripped", format!("{label} ({} bytes) in {took}", size(&out)));
                }
                digest
            }
            Post::Opt => {
                let (wasm_opt, version) = shared.wasm_opt.as_ref().expect("wasm-opt was located for optimized jobs");
                let stripped_variant = Variant { build: variant.build.clone(), post: Post::Strip };
                let Output { path: stripped, sha256: stripped_hash } =
                    self.post_process(&stripped_variant, core_hash)?;
                let key = keys::opt(src, &stripped_hash, version);
                let (digest, was_fresh) = fresh_or(&out, &key, || {
                    status::step("Optimizing", format!("{label} (wasm-opt {})", postprocess::WASM_OPT_FLAGS[0]));
                    postprocess::optimize(sh, wasm_opt, &stripped, &out)
                })?;
                if !was_fresh {
                    let took = status::elapsed(start.elapsed());
                    status::step("Optimized", format!("{label} ({} bytes) in {took}", size(&out)));
                }
                digest
            }
            Post::Wizer => {
                let opt_variant = Variant { build: variant.build.clone(), post: Post::Opt };
                let Output { path: opt, sha256: opt_hash } = self.post_process(&opt_variant, core_hash)?;
                let key = keys::wizer(src, &opt_hash);
                let (digest, _) = fresh_or(&out, &key, || {
                    status::step("Snapshotting", format!("{label} (wizer: `_initialize` at build time)"));
                    let (bytes, report) = wizer::wizen(&util::read(&opt)?).with_context(|| {
                        format!("failed to snapshot {} (variant {})", component.name, variant.name())
                    })?;
                    util::write_atomic(&out, &bytes)?;
                    status::step(
                        "Snapshotted",
                        format!(
                            "{label} ({} bytes, initial memory {:.1} MiB, `_initialize` used {} fuel) in {}",
                            bytes.len(),
                            report.initial_memory as f64 / (1 << 20) as f64,
                            report.init_fuel,
                            status::elapsed(start.elapsed())
                        ),
                    );
                    Ok(())
                })?;
                digest
            }
        };
        Ok(Output { path: out, sha256: digest })
    }
}

/// What one job has done so far in this run: the module of each post-processing level it made or verified
/// (`opt` builds on `strip` and `opt-wizer` on `opt`, so each level is made once per run, not once per level
/// above it; a level that failed is not retried by the levels above it), and how many steps it started.
#[derive(Default)]
struct JobState {
    levels: Levels,
    started: usize,
    /// The raw variant's check passed in this run (checked, or its stamp fresh), with what its stress counted:
    /// the strip variant is the same program and takes it instead of a stress of its own.
    raw_passed: Option<Passed>,
}

/// A check that passed (in this run, or recorded by a fresh stamp), with what its stresses counted of the guarded
/// window: the typed suite's (none for a component whose suite has no stress) and the generic one's (none where
/// checks.toml turns it off).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Passed {
    window: Option<WindowCount>,
    generic: Option<WindowCount>,
}

impl JobState {
    /// Marks the start of one of this job's steps (done when the guard drops).
    fn step<'p>(&mut self, shared: &'p Shared, what: String) -> progress::Step<'p> {
        self.started += 1;
        shared.progress.step(what)
    }
}

/// A check's stamp: the key it passed with, then what its stresses saw of the guarded window, a line each
/// (`window N floor F`, `generic N floor F`).
fn stamp_text(key: &str, passed: Passed) -> String {
    let mut text = format!("{key}\n");
    for (what, count) in [("window", passed.window), ("generic", passed.generic)] {
        if let Some(w) = count {
            text.push_str(&format!("{what} {} floor {}\n", w.answered, w.floor));
        }
    }
    text
}

/// The pass `stamp` records with `key`; `None` (check again) otherwise, also for a stamp that is not exactly what
/// [`stamp_text`] writes (truncated, altered).
fn read_stamp(stamp: &Path, key: &str) -> Option<Passed> {
    let text = String::from_utf8(util::read(stamp).ok()?).ok()?;
    let mut lines = text.lines();
    if lines.next()? != key {
        return None;
    }
    let mut passed = Passed { window: None, generic: None };
    for line in lines {
        let (what, answered, floor) = match line.split(' ').collect::<Vec<_>>().as_slice() {
            [what, answered, "floor", floor] => (*what, answered.parse().ok()?, floor.parse().ok()?),
            _ => return None,
        };
        let slot = match what {
            "window" => &mut passed.window,
            "generic" => &mut passed.generic,
            _ => return None,
        };
        *slot = Some(WindowCount { answered, floor });
    }
    (stamp_text(key, passed) == text).then_some(passed)
}

/// A composition made or verified fresh, and the name and SHA-256 of each part that went into it.
struct Composition {
    path: PathBuf,
    sha256: String,
    parts: Vec<(String, String)>,
}

fn size(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or_default()
}
