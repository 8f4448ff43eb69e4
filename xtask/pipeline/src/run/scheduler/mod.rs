//! The scheduler every task runs: for each job (a component and one of its builds), `go build` → post-processing
//! (raw, strip, opt, opt-wizer) → componentize → check, as far as the task asks. Jobs run in parallel, one per core,
//! each with its own shell. A step is skipped when its output exists and the key of its inputs matches the one
//! recorded beside it the last time it succeeded (`keys`), so an unchanged tree does no work.
//! This module decides what runs; the steps live in gobuild, postprocess, wizer, componentize and check.

use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Instant;

use anyhow::{Result, anyhow};
use host::Host;
use xshell::Shell;

mod job;
mod made;

use super::progress::{self, Progress};
use super::records;
use crate::env::tinygo::TinyGo;
use crate::env::toolchain::GoToolchain;
use crate::env::tools;
use crate::model::{Component, Job, Stress, Variant, Workspace};
use crate::stages::check;
use crate::{status, suite};
use job::run_job;
use made::{JobId, Made};

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
    /// What the generic stress saw of it (when the run checked and checks.toml does not turn it off).
    pub generic: Option<WindowCount>,
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
                // A suite's bindings are generated from the component's WIT: a WIT that does not parse is reported
                // once, by the pipeline (file, line, column), instead of as the suite's compile errors.
                let built = crate::stages::wit::load_world(&ws.root, &job.component)
                    .and_then(|_| check::typed::build(sh, &ws.cargo_workspace, &job.component))
                    .map_err(|e| format!("{e:#}"));
                suites.insert(job.component.name.clone(), built);
            }
        }
    }
    let planned = Progress::planned(&jobs, options.until >= Until::Componentize, options.until >= Until::Check);
    let made = Made::new(jobs.iter().map(JobId::of).collect());
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
                        let failure = Failure { what: Failed::Worker, artifacts: 0, error: anyhow!(err) };
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
                        let what = Failed::Build { component: job.component.name.clone(), build: job.build.name };
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

/// What a failure took down.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failed {
    /// Every level of a build (its compile failed, or the job panicked).
    Build { component: String, build: &'static str },
    /// One variant.
    Variant { component: String, variant: Variant },
    /// A worker that could not start.
    Worker,
}

impl std::fmt::Display for Failed {
    /// `hasher go1.26` for a build, `hasher go1.26-opt` for a variant: what a person types to select it again.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failed::Build { component, build } => write!(f, "{component} {build}"),
            Failed::Variant { component, variant } => write!(f, "{component} {}", variant.name()),
            Failed::Worker => f.write_str("a worker"),
        }
    }
}

/// One failed step: what failed (one variant, or a whole build when its compile failed), how many artifacts it
/// took down, and the error with its whole cause chain.
#[derive(Debug)]
pub struct Failure {
    pub what: Failed,
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

#[cfg(test)]
mod tests;
