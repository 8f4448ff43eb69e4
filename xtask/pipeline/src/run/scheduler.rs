//! The scheduler every task runs: for each job (a component and one of its builds), `go build` → post-processing
//! (raw, strip, opt, opt-wizer) → componentize → check, as far as the task asks. Jobs run in parallel, one per core,
//! each with its own shell. A step is skipped when its output exists and the key of its inputs matches the one
//! recorded beside it the last time it succeeded (`keys`), so an unchanged tree does no work.
//! This module decides what runs; the steps live in gobuild, postprocess, wizer, componentize and check.

use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex};
use std::time::Instant;

use anyhow::{Context, Result, anyhow, bail, ensure};
use host::Host;
use xshell::Shell;

use super::keys;
use super::progress::{self, Progress};
use super::records::{self, fresh_or};
use crate::env::tinygo::TinyGo;
use crate::env::toolchain::GoToolchain;
use crate::env::tools;
use crate::model::{Component, Job, Part, Post, Stress, Variant, Workspace, paths};
use crate::stages::{check, componentize, compose, gobuild, postprocess, wizer};
use crate::versions::Sources;
use crate::{status, suite, util};

/// How far each job goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Until {
    Build,
    Componentize,
    Check,
}

#[derive(Debug, Clone)]
pub struct Options {
    pub until: Until,
    pub stress: Stress,
    /// `check --repeat`: every check runs this often, stamps or not.
    pub repeat: Option<check::Repeat>,
}

impl Options {
    pub fn until(until: Until) -> Self {
        Self { until, stress: Stress::FULL, repeat: None }
    }
}

/// What one variant produced.
#[derive(Debug, Clone)]
pub struct Product {
    pub component: Component,
    pub variant: Variant,
    pub toolchain: GoToolchain,
    /// TinyGo, for TinyGo builds.
    pub tinygo: Option<TinyGo>,
    /// The post-processed module that was componentized.
    pub module: PathBuf,
    /// The module's SHA-256 (as its record verified or wrote it).
    pub module_sha256: String,
    /// The component (when the run went that far).
    pub component_path: Option<PathBuf>,
    /// The component's SHA-256 (as its record verified or wrote it), when the run went that far.
    pub component_sha256: Option<String>,
    /// For a composed component (`component_path` is then the composition): what went into it, by name and
    /// SHA-256, its own Go module's component first.
    pub composed_of: Vec<(String, String)>,
    /// `wasm-opt --version`, for the opt level.
    pub wasm_opt: Option<String>,
    /// What the check's stress saw of the guarded window (when the run checked and the suite has a stress).
    pub window: Option<WindowCount>,
}

/// How many calls the guarded window answered during an artifact's stress (on a TinyGo build: how many times its
/// collector ran inside `cabi_realloc`, `suite::Counts`), and the floor each sized phase had to reach (0: none,
/// see `Stress::for_variant`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowCount {
    pub answered: u64,
    pub floor: u64,
}

/// Tools shared by every job of a run.
struct Shared {
    toolchains: BTreeMap<&'static str, GoToolchain>,
    tinygo: Option<TinyGo>,
    wasm_opt: Option<(PathBuf, String)>,
    host: Option<Host>,
    /// The built typed suite of each checked component that has one, or why it did not build.
    suites: BTreeMap<String, std::result::Result<PathBuf, String>>,
    progress: Progress,
    made: Made,
}

/// What one level of a job made (a path and its SHA-256), or why it failed.
type LevelMade = std::result::Result<(PathBuf, String), String>;

/// What each level of one finished job made.
type Levels = BTreeMap<Post, LevelMade>;

/// The component each finished job made per level, for the compositions that use it as a part: a composed job
/// waits here for its parts' jobs of the same build. They are always ahead of it in the queue (discovery puts a
/// part before what it is composed into, and dependency jobs first), so each is finished or running on another
/// worker when a composed job asks, and the wait always ends.
#[derive(Default)]
struct Made {
    /// (component, build) → level → (component path, SHA-256), or why it failed.
    jobs: Mutex<BTreeMap<(String, &'static str), Levels>>,
    finished: Condvar,
    /// The (component, build) pairs some job of this run makes.
    planned: Vec<(String, &'static str)>,
}

impl Made {
    fn publish(&self, job: &Job, products: &[Product], failures: &[Failure]) {
        let mut levels = BTreeMap::new();
        for &post in &job.posts {
            // What the part ships (its own composition, if it has parts), once it passed as far as the run goes.
            let made = products
                .iter()
                .find(|p| p.variant.post == post)
                .and_then(|p| Some((p.component_path.clone()?, p.component_sha256.clone()?)));
            // A failure names the variant, or the build when its compile (or a panic) took every level down.
            let build = format!("{} {}", job.component.name, job.build.name);
            let variant = format!("{build}-{}", post.name());
            let failed = || {
                let failure = failures.iter().find(|f| f.what == variant || f.what == build);
                failure.map_or_else(|| "it was not componentized".to_string(), |f| format!("{:#}", f.error))
            };
            levels.insert(post, made.ok_or_else(failed));
        }
        self.jobs.lock().unwrap().insert((job.component.name.clone(), job.build.name), levels);
        self.finished.notify_all();
    }

    /// The component `part` made for `variant`, once its job has finished.
    fn wait(&self, part: &str, variant: &Variant) -> Result<(PathBuf, String)> {
        let key = (part.to_string(), variant.build.name);
        ensure!(self.planned.contains(&key), "no job of this run makes `{part}` {} (a bug)", variant.build.name);
        let mut jobs = self.jobs.lock().unwrap();
        loop {
            if let Some(levels) = jobs.get(&key) {
                return match levels.get(&variant.post) {
                    Some(Ok(made)) => Ok(made.clone()),
                    Some(Err(why)) => Err(anyhow!("its part `{part}` failed for {}: {why}", variant.name())),
                    None => bail!("the job of `{part}` {} does not make {}", variant.build.name, variant.name()),
                };
            }
            jobs = self.finished.wait(jobs).unwrap();
        }
    }
}

/// Runs `jobs` as far as `options.until`, in parallel; returns what passed and what failed, in job order. A failed
/// variant does not stop the others: its job goes on with its next post-processing level, the other jobs run to
/// the end. An error here means the run could not start (a tool is missing).
pub fn run_all(sh: &Shell, ws: &Workspace, jobs: Vec<Job>, options: &Options) -> Result<Outcome> {
    let start = Instant::now();
    let selected = jobs.iter().filter(|j| !j.dependency).map(|j| j.posts.len()).sum();
    let orphans = records::remove_orphans(&ws.work)?;
    if orphans > 0 {
        status::step("Cleaned", format!("{orphans} temporary files an interrupted run left in {}", ws.work.display()));
    }
    let mut toolchains = BTreeMap::new();
    for job in &jobs {
        if !toolchains.contains_key(job.build.go_minor) {
            toolchains.insert(job.build.go_minor, GoToolchain::resolve(sh, &ws.root, &job.build)?);
        }
    }
    let tinygo = match jobs.iter().find(|j| j.build.tinygo.is_some()) {
        Some(job) => {
            let tinygo = TinyGo::resolve(sh, &ws.root, &toolchains[job.build.go_minor])?;
            // A reproducibility run compiles everything again: TinyGo gets a fresh cache too.
            let tinygo = match &ws.gocache {
                Some(gocache) => tinygo.with_cache(&gocache.with_file_name("tinygo-cache")),
                None => tinygo,
            };
            for job in jobs.iter().filter(|j| j.build.tinygo.is_some()) {
                tinygo.prepare(&job.component.name)?;
            }
            Some(tinygo)
        }
        None => None,
    };
    let wasm_opt = if jobs.iter().any(|j| j.posts.iter().any(|p| p.is_optimized())) {
        let path = tools::WASM_OPT.locate()?;
        let version = tools::WASM_OPT.version(sh, &path)?;
        Some((path, version))
    } else {
        None
    };
    let host = if options.until >= Until::Check {
        Some(Host::new(&suite::check_config(Some(suite::CHECK_SEED)))?)
    } else {
        None
    };
    // Every typed suite this run checks with is built before any job starts; one that does not build fails the
    // checks of its component only.
    let mut suites = BTreeMap::new();
    if options.until >= Until::Check {
        for job in jobs.iter().filter(|j| !j.dependency && j.component.suite.is_some()) {
            if !suites.contains_key(&job.component.name) {
                let built = check::typed::build(sh, &ws.cargo_workspace, &job.component).map_err(|e| format!("{e:#}"));
                suites.insert(job.component.name.clone(), built);
            }
        }
    }
    let planned = Progress::planned(&jobs, options.until >= Until::Componentize, options.until >= Until::Check);
    let planned_jobs = jobs.iter().map(|j| (j.component.name.clone(), j.build.name)).collect();
    let made = Made { planned: planned_jobs, ..Made::default() };
    let shared = Shared { toolchains, tinygo, wasm_opt, host, suites, progress: Progress::new(planned), made };

    let queue = Mutex::new(jobs.iter().cloned().enumerate().collect::<VecDeque<_>>());
    let results = Mutex::new(Vec::new());
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).min(jobs.len()).max(1);
    std::thread::scope(|scope| {
        scope.spawn(|| shared.progress.report_until_finished(progress::EVERY));
        // The reporter stops whichever way this scope ends, so it never keeps the run from returning.
        let _stop = progress::StopOnDrop(&shared.progress);
        let mut handles = Vec::new();
        for _ in 0..workers {
            handles.push(scope.spawn(|| {
                let sh = match Shell::new() {
                    Ok(sh) => sh,
                    Err(err) => {
                        let failure = Failure { what: "a worker".into(), artifacts: 0, error: anyhow!(err) };
                        return results.lock().unwrap().push((usize::MAX, (Vec::new(), vec![failure])));
                    }
                };
                loop {
                    // Pop in its own statement: the queue's lock must not be held while the job runs.
                    let next = queue.lock().unwrap().pop_front();
                    let Some((index, job)) = next else { break };
                    // A panic in a job is a bug; it fails that job like an error instead of losing every result.
                    let run = std::panic::AssertUnwindSafe(|| run_job(&sh, ws, &job, &shared, options));
                    let outcome = std::panic::catch_unwind(run).unwrap_or_else(|panic| {
                        let message = panic
                            .downcast_ref::<String>()
                            .map(String::as_str)
                            .or_else(|| panic.downcast_ref::<&str>().copied())
                            .unwrap_or("a panic");
                        let error = anyhow!("the pipeline panicked (a bug): {message}");
                        let what = format!("{} {}", job.component.name, job.build.name);
                        (Vec::new(), vec![Failure { what, artifacts: job.posts.len(), error }])
                    });
                    shared.made.publish(&job, &outcome.0, &outcome.1);
                    // A dependency's products are not the run's, and its failures reach the run through the
                    // compositions that needed it.
                    let outcome = if job.dependency { (Vec::new(), Vec::new()) } else { outcome };
                    results.lock().unwrap().push((index, outcome));
                }
            }));
        }
        for handle in handles {
            if let Err(panic) = handle.join() {
                std::panic::resume_unwind(panic);
            }
        }
    });

    let mut results = results.into_inner().unwrap();
    results.sort_by_key(|(index, _)| *index);
    let mut outcome = Outcome { products: Vec::new(), failures: Vec::new(), selected };
    for (_, (mut products, mut failures)) in results {
        outcome.products.append(&mut products);
        outcome.failures.append(&mut failures);
    }
    status::step("Progress", shared.progress.line());
    for line in shared.progress.breakdown() {
        status::step("Spent", line);
    }
    if let Some(cache) = shared.host.as_ref().and_then(|h| h.config().compile_cache.as_ref()) {
        let stats = cache.stats();
        if stats.hits + stats.misses > 0 {
            status::step(
                "Compiled",
                format!(
                    "{} functions for the checks, {} of them ({:.0} %) reused from the compilation cache ({} held, \
                     {:.0} MiB)",
                    stats.hits + stats.misses,
                    stats.hits,
                    100.0 * stats.hits as f64 / (stats.hits + stats.misses) as f64,
                    stats.entries,
                    stats.bytes as f64 / (1 << 20) as f64
                ),
            );
        }
    }
    if outcome.failures.is_empty() {
        status::step(
            "Finished",
            format!("{} variants in {}", outcome.products.len(), status::elapsed(start.elapsed())),
        );
    }
    Ok(outcome)
}

/// What a run produced: every artifact that passed, and every failure with its cause.
pub struct Outcome {
    pub products: Vec<Product>,
    pub failures: Vec<Failure>,
    /// How many artifacts (component × variant) were selected.
    pub selected: usize,
}

/// One failed step: what failed (`hasher tinygo-o2-strip`, or a whole build when its compile failed), how many
/// artifacts it took down, and the error with its whole cause chain.
#[derive(Debug)]
pub struct Failure {
    pub what: String,
    pub artifacts: usize,
    pub error: anyhow::Error,
}

impl Outcome {
    /// The products, or one error listing every failure with its cause chain.
    pub fn into_result(self) -> Result<Vec<Product>> {
        if self.failures.is_empty() { Ok(self.products) } else { Err(anyhow!("{}", self.report())) }
    }

    /// `N of M artifacts failed (K passed):` and one numbered entry per failure, its causes indented below it.
    pub fn report(&self) -> String {
        let failed: usize = self.failures.iter().map(|f| f.artifacts).sum();
        let mut text = format!(
            "{failed} of {} artifacts failed ({} passed):",
            self.selected,
            self.selected.saturating_sub(failed)
        );
        for (i, failure) in self.failures.iter().enumerate() {
            text.push_str(&format!("\n  {}. {}", i + 1, failure.what));
            for cause in failure.error.chain() {
                for (j, line) in cause.to_string().lines().enumerate() {
                    text.push_str(if j == 0 { "\n       - " } else { "\n         " });
                    text.push_str(line);
                }
            }
        }
        text
    }
}

/// Runs `jobs` as far as `options.until`, in parallel; returns the products in job order, or an error naming
/// every failure (see [`run_all`]).
pub fn run(sh: &Shell, ws: &Workspace, jobs: Vec<Job>, options: &Options) -> Result<Vec<Product>> {
    run_all(sh, ws, jobs, options)?.into_result()
}

/// One job: its build, then each post-processing level as far as the run goes. A failed level is recorded and
/// the next one still runs; a failed build takes every level of the job down.
fn run_job(sh: &Shell, ws: &Workspace, job: &Job, shared: &Shared, options: &Options) -> (Vec<Product>, Vec<Failure>) {
    let mut state = JobState::default();
    let outcome = run_job_steps(sh, ws, job, shared, options, &mut state);
    // The planned steps a failure took down count as done, so the progress line ends at its total.
    let (componentize, check) = (options.until >= Until::Componentize, options.until >= Until::Check);
    let planned = Progress::planned(std::slice::from_ref(job), componentize, check);
    shared.progress.skip(planned.saturating_sub(state.started));
    outcome
}

fn run_job_steps(
    sh: &Shell,
    ws: &Workspace,
    job: &Job,
    shared: &Shared,
    options: &Options,
    state: &mut JobState,
) -> (Vec<Product>, Vec<Failure>) {
    let Job { component, build, posts, .. } = job;
    let label = format!("{} {}", component.name, build.name);
    let core_hash = match build_core(sh, ws, job, shared, state) {
        Ok(hash) => hash,
        Err(error) => return (Vec::new(), vec![Failure { what: label, artifacts: posts.len(), error }]),
    };
    let (mut products, mut failures) = (Vec::new(), Vec::new());
    for &post in posts {
        let variant = Variant { build: build.clone(), post };
        let what = format!("{} {}", component.name, variant.name());
        match run_post(sh, ws, job, &variant, &core_hash, state, shared, options) {
            Ok(product) => products.push(product),
            Err(error) => failures.push(Failure { what, artifacts: 1, error }),
        }
    }
    (products, failures)
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
    raw_passed: Option<Option<WindowCount>>,
}

impl JobState {
    /// Marks the start of one of this job's steps (done when the guard drops).
    fn step<'p>(&mut self, shared: &'p Shared, what: String) -> progress::Step<'p> {
        self.started += 1;
        shared.progress.step(what)
    }
}

/// The job's core module, built unless fresh; returns its SHA-256.
fn build_core(sh: &Shell, ws: &Workspace, job: &Job, shared: &Shared, state: &mut JobState) -> Result<String> {
    let Job { component, build, .. } = job;
    let _step = state.step(shared, format!("build {} {}", component.name, build.name));
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
#[allow(clippy::too_many_arguments)]
fn run_post(
    sh: &Shell,
    ws: &Workspace,
    job: &Job,
    variant: &Variant,
    core_hash: &str,
    state: &mut JobState,
    shared: &Shared,
    options: &Options,
) -> Result<Product> {
    let Job { component, build, .. } = job;
    let toolchain = &shared.toolchains[build.go_minor];
    let tinygo = build.tinygo.and(shared.tinygo.as_ref());
    let label = format!("{} {}", component.name, build.name);
    let post = variant.post;
    let src = Sources::embedded();
    let (module, module_hash) = post_process(sh, ws, component, variant, core_hash, state, shared)?;
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
    };
    let mut component_hash = String::new();
    if options.until >= Until::Componentize {
        let out = paths::component(&ws.work, component, variant);
        let _step = state.step(shared, format!("componentize {label}-{}", post.name()));
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
            let composition = compose_parts(ws, component, variant, &component_hash, state, shared)?;
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
        let _step = state.step(shared, format!("check {label}-{}", post.name()));
        let mut key = keys::check(src, ws, component, &component_hash, options.stress)?;
        // A strip module is its raw module without custom sections (postprocess::strip copies every other
        // section byte for byte): the same program, so raw's passed stress stands for it.
        let raw = Variant { build: build.clone(), post: Post::Raw };
        let stressed_as = match (post, state.raw_passed) {
            (Post::Strip, Some(window)) => Some((format!("{} {}", component.name, raw.name()), window)),
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
        } else if let Some(window) = read_stamp(&stamp, &key) {
            status::step("Fresh", format!("{label}-{}: checked", post.name()));
            product.window = window;
        } else {
            let host = shared.host.as_ref().expect("a host exists for checking runs");
            let verdict = check::check_component(host, &ws.root, suite, &target)?;
            if let Some(took) = verdict.stress_time {
                shared.progress.account("stress", &component.name, took);
            }
            product.window = match &stressed_as {
                Some((_, window)) => *window,
                None => verdict.window.map(|t| WindowCount { answered: t.total(), floor: t.sizing.floor() }),
            };
            util::write_atomic(&stamp, stamp_text(&key, product.window).as_bytes())?;
        }
        if post == Post::Raw && options.repeat.is_none() {
            state.raw_passed = Some(product.window);
        }
    }
    Ok(product)
}

/// A check's stamp: the key it passed with, then what its stress saw of the guarded window (`window N floor F`).
fn stamp_text(key: &str, window: Option<WindowCount>) -> String {
    match window {
        Some(w) => format!("{key}\nwindow {} floor {}\n", w.answered, w.floor),
        None => format!("{key}\n"),
    }
}

/// `Some(window)` when `stamp` records a pass with `key`; `None` (check again) otherwise, also for a stamp that is
/// not exactly what [`stamp_text`] writes (truncated, altered).
fn read_stamp(stamp: &Path, key: &str) -> Option<Option<WindowCount>> {
    let text = String::from_utf8(util::read(stamp).ok()?).ok()?;
    let mut lines = text.lines();
    if lines.next()? != key {
        return None;
    }
    let window = match lines.next() {
        None => None,
        Some(line) => match line.split(' ').collect::<Vec<_>>().as_slice() {
            ["window", answered, "floor", floor] => {
                Some(WindowCount { answered: answered.parse().ok()?, floor: floor.parse().ok()? })
            }
            _ => return None,
        },
    };
    (stamp_text(key, window) == text).then_some(window)
}

/// A composition made or verified fresh, and the name and SHA-256 of each part that went into it.
struct Composition {
    path: PathBuf,
    sha256: String,
    parts: Vec<(String, String)>,
}

/// Composes a variant's component (`own_hash`: its SHA-256) with the component's parts of the same variant, once
/// their jobs have made them; returns the composition's path and SHA-256, and each part's name and SHA-256.
fn compose_parts(
    ws: &Workspace,
    component: &Component,
    variant: &Variant,
    own_hash: &str,
    state: &mut JobState,
    shared: &Shared,
) -> Result<Composition> {
    let label = format!("{} {}", component.name, variant.name());
    let _step = state.step(shared, format!("compose {label}"));
    let mut parts = Vec::new();
    for part in &component.parts {
        let (path, digest) = match part {
            Part::Component(name) => shared.made.wait(name, variant)?,
            Part::File(file) => {
                let path = ws.root.join(file);
                let bytes = util::read(&path).with_context(|| format!("failed to read the part {}", file.display()))?;
                (path, util::sha256_hex(&bytes))
            }
        };
        parts.push((part.name(), path, digest));
    }
    let named: Vec<(String, String)> = parts.iter().map(|(n, _, d)| (n.clone(), d.clone())).collect();
    let key = keys::compose(Sources::embedded(), own_hash, &named);
    let out = paths::composed(&ws.work, component, variant);
    let start = Instant::now();
    let (digest, was_fresh) = fresh_or(&out, &key, || {
        let own = util::read(&paths::component(&ws.work, component, variant))?;
        ensure!(util::sha256_hex(&own) == own_hash, "the component of {label} changed while this run was using it");
        let mut inputs = Vec::new();
        for (name, path, digest) in &parts {
            let bytes = util::read(path)?;
            ensure!(util::sha256_hex(&bytes) == *digest, "the part `{name}` changed while {label} was composed");
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
            format!("{label} ({} bytes; {}) in {}", bytes.len(), wired.join(", "), status::elapsed(start.elapsed())),
        );
        Ok(())
    })?;
    if was_fresh {
        status::step("Fresh", format!("{label}: composition"));
    }
    Ok(Composition { path: out, sha256: digest, parts: named })
}

/// Produces the module of one post-processing level; returns its path and SHA-256.
fn post_process(
    sh: &Shell,
    ws: &Workspace,
    component: &Component,
    variant: &Variant,
    core_hash: &str,
    state: &mut JobState,
    shared: &Shared,
) -> Result<(PathBuf, String)> {
    match state.levels.get(&variant.post) {
        Some(Ok(done)) => return Ok(done.clone()),
        Some(Err(failed)) => bail!("the {} level failed earlier in this run: {failed}", variant.post.name()),
        None => {}
    }
    let made = make_level(sh, ws, component, variant, core_hash, state, shared);
    let kept = made.as_ref().map(Clone::clone).map_err(|err| format!("{err:#}"));
    state.levels.insert(variant.post, kept);
    made
}

/// Makes (or verifies fresh) the module of one post-processing level.
fn make_level(
    sh: &Shell,
    ws: &Workspace,
    component: &Component,
    variant: &Variant,
    core_hash: &str,
    state: &mut JobState,
    shared: &Shared,
) -> Result<(PathBuf, String)> {
    let src = Sources::embedded();
    let label = format!("{} {}", component.name, variant.name());
    let _step = (variant.post != Post::Raw).then(|| state.step(shared, format!("{} {label}", variant.post.name())));
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
            let (stripped, stripped_hash) =
                post_process(sh, ws, component, &stripped_variant, core_hash, state, shared)?;
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
            let (opt, opt_hash) = post_process(sh, ws, component, &opt_variant, core_hash, state, shared)?;
            let key = keys::wizer(src, &opt_hash);
            let (digest, _) = fresh_or(&out, &key, || {
                status::step("Snapshotting", format!("{label} (wizer: `_initialize` at build time)"));
                let (bytes, report) = wizer::wizen(&util::read(&opt)?)
                    .with_context(|| format!("failed to snapshot {} (variant {})", component.name, variant.name()))?;
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
    Ok((out, digest))
}

fn size(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model;
    use crate::testing::hasher_workspace;

    fn modified(path: &Path) -> std::time::SystemTime {
        std::fs::metadata(path).unwrap().modified().unwrap()
    }

    /// A second run with nothing changed does no work; touching one Go file rebuilds that build only.
    #[test]
    fn unchanged_inputs_are_skipped_and_a_changed_source_rebuilds() {
        let tmp = hasher_workspace("incremental");
        let sh = Shell::new().unwrap();
        let ws = crate::testing::workspace_of(&tmp);
        let component = model::discover(&tmp).unwrap().remove(0);
        let build = model::builds().into_iter().find(|b| b.name == "go1.26").unwrap();
        let jobs = vec![Job::new(component, build, vec![Post::Raw, Post::Strip])];
        let options = Options::until(Until::Componentize);

        let first = run(&sh, &ws, jobs.clone(), &options).unwrap();
        let outputs: Vec<PathBuf> =
            first.iter().flat_map(|p| [p.module.clone(), p.component_path.clone().unwrap()]).collect();
        let stamps: Vec<_> = outputs.iter().map(|p| modified(p)).collect();

        let second = run(&sh, &ws, jobs.clone(), &options).unwrap();
        assert_eq!(second.len(), 2);
        assert_eq!(outputs.iter().map(|p| modified(p)).collect::<Vec<_>>(), stamps, "an unchanged tree was rebuilt");

        let source = tmp.join("go/hasher/canonjson/canonjson.go");
        let text = std::fs::read_to_string(&source).unwrap();
        std::fs::write(&source, format!("{text}\n// changed\n")).unwrap();
        run(&sh, &ws, jobs, &options).unwrap();
        let core = paths::core_module(&ws.work, &first[0].component, &first[0].variant.build);
        assert_ne!(modified(&core), stamps[0], "a changed Go file did not rebuild the core module");
        std::fs::remove_dir_all(&tmp).unwrap();
    }

    /// A composed component runs after its part and ships the composition: selecting only the reporter brings a
    /// dependency job for textkit (not shipped), the reporter's job waits for it, and the composition passes the
    /// reporter's suite. Composed with a component *file* instead (textkit's component copied into the project)
    /// the bytes are the same; a file part that serves none of the imports fails the variant, naming it.
    #[test]
    fn a_composition_runs_after_its_parts_and_a_file_part_composes_the_same() {
        let root = crate::testing::root();
        let tmp = std::env::temp_dir().join(format!("xtask-composition-{}", std::process::id()));
        for dir in ["go/reporter", "go/textkit", "go/witpkg", "wit"] {
            util::copy_dir(&root.join(dir), &tmp.join(dir));
        }
        std::fs::copy(root.join("go/toolchains.toml"), tmp.join("go/toolchains.toml")).unwrap();
        let sh = Shell::new().unwrap();
        let ws = crate::testing::workspace_of(&tmp);
        let selection = |tmp: &Path| {
            let selection = model::Selection {
                components: vec!["reporter".into()],
                variants: vec!["go1.26-raw".into()],
                shard: None,
            };
            model::select(tmp, &selection).unwrap()
        };
        let jobs = selection(&tmp);
        assert_eq!(
            jobs.iter().map(|j| (j.component.name.as_str(), j.dependency)).collect::<Vec<_>>(),
            [("textkit", true), ("reporter", false)]
        );
        let options = Options { stress: Stress::fixed(300, 150), ..Options::until(Until::Check) };
        let products = run(&sh, &ws, jobs, &options).unwrap();
        assert_eq!(products.len(), 1, "the dependency is not a product");
        let composed = &products[0];
        let names: Vec<&str> = composed.composed_of.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["reporter", "textkit"]);
        assert_eq!(
            composed.component_path.as_deref(),
            Some(paths::composed(&ws.work, &composed.component, &composed.variant).as_path())
        );
        let bytes = util::read(composed.component_path.as_ref().unwrap()).unwrap();

        // The same part as a file: the same composition, and no dependency job.
        let textkit = model::select_components(&tmp, &["textkit".into()]).unwrap().remove(0);
        std::fs::create_dir_all(tmp.join("parts")).unwrap();
        std::fs::copy(paths::component(&ws.work, &textkit, &composed.variant), tmp.join("parts/textkit.wasm")).unwrap();
        let config = tmp.join("go/reporter").join(model::CONFIG_FILE);
        let text = std::fs::read_to_string(&config).unwrap();
        std::fs::write(&config, text.replace("compose = [\"textkit\"]", "compose = [\"parts/textkit.wasm\"]")).unwrap();
        let jobs = selection(&tmp);
        assert_eq!(jobs.len(), 1, "a file part needs no job");
        let again = run(&sh, &ws, jobs, &Options::until(Until::Componentize)).unwrap();
        assert_eq!(util::read(again[0].component_path.as_ref().unwrap()).unwrap(), bytes);

        // A part that serves nothing: the reporter's own component, which only imports.
        std::fs::copy(paths::component(&ws.work, &composed.component, &composed.variant), tmp.join("parts/spare.wasm"))
            .unwrap();
        std::fs::write(
            &config,
            text.replace("compose = [\"textkit\"]", "compose = [\"parts/textkit.wasm\", \"parts/spare.wasm\"]"),
        )
        .unwrap();
        let err = run(&sh, &ws, selection(&tmp), &Options::until(Until::Componentize)).unwrap_err().to_string();
        std::fs::remove_dir_all(&tmp).unwrap();
        assert!(
            err.contains("1 of 1 artifacts failed") && err.contains("`spare` satisfies none of the imports"),
            "{err}"
        );
    }

    /// A strip variant is its raw variant's program (the same module without custom sections): checked after the
    /// raw one passed, it runs the vectors and cases but takes raw's stress and count, and its stamp says so; checked
    /// without raw in the run, it is stressed itself (the stamp's key differs, so the earlier pass is not trusted).
    #[test]
    fn a_strip_variant_takes_the_stress_of_its_raw_variant_when_that_passed() {
        let tmp = hasher_workspace("strip-stress");
        let sh = Shell::new().unwrap();
        let ws = crate::testing::workspace_of(&tmp);
        let component = model::discover(&tmp).unwrap().remove(0);
        let build = model::builds().into_iter().find(|b| b.name == "go1.26").unwrap();
        let options = Options { stress: Stress::fixed(20, 2), ..Options::until(Until::Check) };
        let stamp = paths::component(&ws.work, &component, &Variant { build: build.clone(), post: Post::Strip })
            .with_extension("wasm.checked");
        let key = || String::from_utf8(std::fs::read(&stamp).unwrap()).unwrap().lines().next().unwrap().to_string();

        let both = vec![Job::new(component.clone(), build.clone(), vec![Post::Raw, Post::Strip])];
        let products = run(&sh, &ws, both, &options).unwrap();
        assert_eq!(products.len(), 2);
        assert!(products[0].window.is_some(), "raw's stress counted its window");
        assert_eq!(products[1].window, products[0].window, "strip records raw's count");
        assert!(key().ends_with(" stress-of-raw"), "{}", key());

        let alone = vec![Job::new(component, build, vec![Post::Strip])];
        let products = run(&sh, &ws, alone, &options).unwrap();
        assert!(products[0].window.is_some(), "strip was stressed itself");
        assert!(!key().ends_with(" stress-of-raw"), "{}", key());
        let _ = std::fs::remove_dir_all(&tmp);
    }

    /// Every step's output is verified against its record, so nothing damaged after it was built is trusted:
    /// the outputs of every step kind (core module, stripped, optimized, snapshot, component, check stamp) are
    /// damaged three ways (truncated, one byte changed, deleted), and each next run re-makes them, bytes
    /// identical to before, with the same manifest. A temporary file a killed wasm-opt left behind is removed.
    #[test]
    fn damaged_outputs_of_every_step_are_rebuilt_not_trusted() {
        let tmp = hasher_workspace("damage");
        let sh = Shell::new().unwrap();
        let ws = crate::testing::workspace_of(&tmp);
        let component = model::discover(&tmp).unwrap().remove(0);
        let build = model::builds().into_iter().find(|b| b.name == "go1.26").unwrap();
        let posts = vec![Post::Raw, Post::Strip, Post::Opt, Post::Wizer];
        let jobs = vec![Job::new(component.clone(), build.clone(), posts)];
        let options = Options { stress: Stress::fixed(20, 2), ..Options::until(Until::Check) };
        // What dist would ship: each variant's component and its SHA-256.
        let manifest = |products: &[Product]| -> Vec<(String, String)> {
            let digest = |p: &Product| util::sha256_hex(&util::read(p.component_path.as_ref().unwrap()).unwrap());
            products.iter().map(|p| (p.variant.name(), digest(p))).collect()
        };

        let first = run(&sh, &ws, jobs.clone(), &options).unwrap();
        let shipped = manifest(&first);
        let variant = |post| Variant { build: build.clone(), post };
        let outputs = [
            paths::core_module(&ws.work, &component, &build),
            paths::module(&ws.work, &component, &variant(Post::Strip)),
            paths::module(&ws.work, &component, &variant(Post::Opt)),
            paths::module(&ws.work, &component, &variant(Post::Wizer)),
            paths::component(&ws.work, &component, &variant(Post::Strip)),
            paths::component(&ws.work, &component, &variant(Post::Opt)).with_extension("wasm.checked"),
        ];
        let originals: Vec<Vec<u8>> = outputs.iter().map(|p| std::fs::read(p).unwrap()).collect();
        let orphan = outputs[2].with_file_name(".module.wasm.999999.tmp");

        type Damage = fn(&Path);
        let damages: [(&str, Damage); 3] = [
            ("truncated", |p| std::fs::write(p, &std::fs::read(p).unwrap()[..64]).unwrap()),
            ("one byte changed", |p| {
                let mut bytes = std::fs::read(p).unwrap();
                let middle = bytes.len() / 2;
                bytes[middle] ^= 0x01;
                std::fs::write(p, bytes).unwrap()
            }),
            ("deleted", |p| std::fs::remove_file(p).unwrap()),
        ];
        for (how, damage) in damages {
            for output in &outputs {
                damage(output);
            }
            std::fs::write(&orphan, b"half of what wasm-opt was writing").unwrap();
            let again = run(&sh, &ws, jobs.clone(), &options).unwrap();
            for (output, original) in outputs.iter().zip(&originals) {
                let mut now = std::fs::read(output).unwrap_or_default();
                let mut original = original.clone();
                // A check stamp is its key, then what the re-check measured: the window count of a fixed stress
                // depends on when Go's collector ran (it reads the clock), so only the key must be the same.
                if output.extension().is_some_and(|e| e == "checked") {
                    for stamp in [&mut now, &mut original] {
                        stamp.truncate(stamp.iter().position(|b| *b == b'\n').unwrap_or(stamp.len()));
                    }
                }
                assert!(
                    now == original,
                    "{} ({how}) was not re-made: {} bytes, want {}",
                    output.display(),
                    now.len(),
                    original.len()
                );
            }
            assert!(!orphan.exists(), "the orphaned temporary file was not removed");
            assert_eq!(manifest(&again), shipped, "the artifacts differ after repairing outputs that were {how}");
        }
        std::fs::remove_dir_all(&tmp).unwrap();
    }
}
