//! The pipeline every task runs: for each job (a component and one of its builds), `go build` → post-processing
//! (raw, strip, opt, opt-wizer) → componentize → check, as far as the task asks. Jobs run in parallel, one per core, each
//! with its own shell. A step is skipped when its output exists and the hash of its inputs matches the one
//! recorded beside it (`<output>.key`) the last time it succeeded, so an unchanged tree does no work.
//! This module decides what runs; the steps themselves live in build, postprocess, componentize and check.

use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use anyhow::{Context, Result, anyhow};
use host::{Host, HostConfig};
use sha2::{Digest, Sha256};
use xshell::Shell;

use crate::check::{self, Stress};
use crate::project::{Component, Job, Post, Variant, paths};
use crate::tinygo::TinyGo;
use crate::toolchain::GoToolchain;
use crate::{adapter, build, componentize, postprocess, status, tools, util, wizer};

/// Where a run reads sources and writes intermediate products.
#[derive(Debug, Clone)]
pub(crate) struct Workspace {
    pub(crate) root: PathBuf,
    /// Intermediate products (`target/wasm`, or another directory for a reproducibility run).
    pub(crate) work: PathBuf,
    /// A `GOCACHE` of its own (a reproducibility run compiles everything again), or the user's.
    pub(crate) gocache: Option<PathBuf>,
}

impl Workspace {
    pub(crate) fn new(root: &Path) -> Self {
        Self { root: root.to_path_buf(), work: paths::work_dir(root), gocache: None }
    }
}

/// How far each job goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Until {
    Build,
    Componentize,
    Check,
}

#[derive(Debug, Clone)]
pub(crate) struct Options {
    pub(crate) until: Until,
    pub(crate) stress: Stress,
}

impl Options {
    pub(crate) fn until(until: Until) -> Self {
        Self { until, stress: Stress::FULL }
    }
}

/// What one variant produced.
#[derive(Debug, Clone)]
pub(crate) struct Product {
    pub(crate) component: Component,
    pub(crate) variant: Variant,
    pub(crate) toolchain: GoToolchain,
    /// TinyGo, for TinyGo builds.
    pub(crate) tinygo: Option<TinyGo>,
    /// The post-processed module that was componentized.
    pub(crate) module: PathBuf,
    /// The component (when the run went that far).
    pub(crate) component_path: Option<PathBuf>,
    /// `wasm-opt --version`, for the opt level.
    pub(crate) wasm_opt: Option<String>,
}

/// Tools shared by every job of a run.
struct Shared {
    toolchains: BTreeMap<&'static str, GoToolchain>,
    tinygo: Option<TinyGo>,
    wasm_opt: Option<(PathBuf, String)>,
    host: Option<Host>,
}

/// Runs `jobs` as far as `options.until`, in parallel; returns the products in job order. If any job fails, the
/// others finish the step they are in and the error lists every failed job.
pub(crate) fn run(sh: &Shell, ws: &Workspace, jobs: Vec<Job>, options: &Options) -> Result<Vec<Product>> {
    let start = Instant::now();
    let mut toolchains = BTreeMap::new();
    for job in &jobs {
        if !toolchains.contains_key(job.build.go_minor) {
            toolchains.insert(job.build.go_minor, GoToolchain::resolve(sh, &ws.root, &job.build)?);
        }
    }
    let tinygo = match jobs.iter().find(|j| j.build.tinygo.is_some()) {
        Some(job) => {
            let tinygo = TinyGo::resolve(sh, &toolchains[job.build.go_minor])?;
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
    let host = if options.until >= Until::Check { Some(Host::new(&HostConfig::default())?) } else { None };
    let shared = Shared { toolchains, tinygo, wasm_opt, host };

    let queue = Mutex::new(jobs.iter().cloned().enumerate().collect::<VecDeque<_>>());
    let results = Mutex::new(Vec::new());
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).min(jobs.len()).max(1);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                let sh = match Shell::new() {
                    Ok(sh) => sh,
                    Err(err) => return results.lock().unwrap().push((usize::MAX, Err(anyhow!(err)))),
                };
                loop {
                    // Pop in its own statement: the queue's lock must not be held while the job runs.
                    let next = queue.lock().unwrap().pop_front();
                    let Some((index, job)) = next else { break };
                    let result = run_job(&sh, ws, &job, &shared, options)
                        .with_context(|| format!("{} {} failed", job.component.name, job.build.name));
                    results.lock().unwrap().push((index, result));
                }
            });
        }
    });

    let mut results = results.into_inner().unwrap();
    results.sort_by_key(|(index, _)| *index);
    let mut products = Vec::new();
    let mut errors = Vec::new();
    for (_, result) in results {
        match result {
            Ok(mut p) => products.append(&mut p),
            Err(err) => errors.push(err),
        }
    }
    if let Some(first) = errors.first() {
        let list: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        return Err(anyhow!("{:#}", first).context(format!(
            "{} of {} jobs failed: {}",
            errors.len(),
            jobs.len(),
            list.join("; ")
        )));
    }
    status::step("Finished", format!("{} variants in {}", products.len(), status::elapsed(start.elapsed())));
    Ok(products)
}

fn run_job(sh: &Shell, ws: &Workspace, job: &Job, shared: &Shared, options: &Options) -> Result<Vec<Product>> {
    let Job { component, build, posts } = job;
    let toolchain = &shared.toolchains[build.go_minor];
    let tinygo = build.tinygo.and(shared.tinygo.as_ref());
    let label = format!("{} {}", component.name, build.name);

    let core = paths::core_module(&ws.work, component, build);
    let key = build_key(ws, component, build, toolchain, tinygo)?;
    if is_fresh(&core, &key) {
        status::step("Fresh", format!("{label}: core module"));
    } else {
        build::build(sh, ws, component, build, toolchain, tinygo)?;
        write_key(&core, &key)?;
    }
    let core_hash = util::sha256_hex(&util::read(&core)?);

    let mut products = Vec::new();
    for &post in posts {
        let variant = Variant { build: build.clone(), post };
        let module = post_process(sh, ws, component, &variant, &core_hash, shared)?;
        let mut product = Product {
            component: component.clone(),
            variant: variant.clone(),
            toolchain: toolchain.clone(),
            tinygo: tinygo.cloned(),
            module: module.clone(),
            component_path: None,
            wasm_opt: post.is_optimized().then(|| shared.wasm_opt.as_ref().map(|(_, v)| v.clone())).flatten(),
        };
        if options.until >= Until::Componentize {
            let out = paths::component(&ws.work, component, &variant);
            let wit = util::read(&ws.root.join(&component.wit)).unwrap_or_default();
            let key = hash_parts(&[
                "componentize",
                &util::sha256_hex(&util::read(&module)?),
                &util::sha256_hex(&wit),
                &component.world,
                &adapter::describe()?,
                xtask_identity(),
            ]);
            if is_fresh(&out, &key) {
                status::step("Fresh", format!("{label}-{}: component", post.name()));
            } else {
                componentize::componentize(ws, component, &variant)?;
                write_key(&out, &key)?;
            }
            product.component_path = Some(out);
        }
        if options.until >= Until::Check {
            let out = product.component_path.clone().expect("componentized above");
            let stamp = out.with_extension("wasm.checked");
            let stress = format!("{}x64k {}x1m", options.stress.calls_64k, options.stress.calls_1m);
            let key = hash_parts(&[
                "check",
                &util::sha256_hex(&util::read(&out)?),
                &stress,
                &check_identity(&ws.root.join(&component.dir), component)?,
            ]);
            if util::read(&stamp).is_ok_and(|k| k == key.as_bytes()) {
                status::step("Fresh", format!("{label}-{}: checked", post.name()));
            } else {
                let host = shared.host.as_ref().expect("a host exists for checking runs");
                check::check_component(host, &ws.root, &out, component, &variant, options.stress)?;
                util::write_atomic(&stamp, key.as_bytes())?;
            }
        }
        products.push(product);
    }
    Ok(products)
}

/// Produces the module of one post-processing level; returns its path.
fn post_process(
    sh: &Shell,
    ws: &Workspace,
    component: &Component,
    variant: &Variant,
    core_hash: &str,
    shared: &Shared,
) -> Result<PathBuf> {
    let out = paths::module(&ws.work, component, variant);
    let label = format!("{} {}", component.name, variant.name());
    let start = Instant::now();
    match variant.post {
        Post::Raw => {}
        Post::Strip => {
            let key = hash_parts(&["strip", core_hash, xtask_identity()]);
            if !is_fresh(&out, &key) {
                let core = util::read(&paths::core_module(&ws.work, component, &variant.build))?;
                util::write_atomic(&out, &postprocess::strip(&core)?)?;
                write_key(&out, &key)?;
                status::step(
                    "Stripped",
                    format!("{label} ({} bytes) in {}", size(&out), status::elapsed(start.elapsed())),
                );
            }
        }
        Post::Opt => {
            let (wasm_opt, version) = shared.wasm_opt.as_ref().expect("wasm-opt was located for optimized jobs");
            // wasm-opt's output depends only on its input, its version and its flags.
            let stripped_variant = Variant { build: variant.build.clone(), post: Post::Strip };
            let stripped = post_process(sh, ws, component, &stripped_variant, core_hash, shared)?;
            let stripped_hash = util::sha256_hex(&util::read(&stripped)?);
            let key = hash_parts(&["opt", &stripped_hash, version, &postprocess::WASM_OPT_FLAGS.join(" ")]);
            if !is_fresh(&out, &key) {
                status::step("Optimizing", format!("{label} (wasm-opt {})", postprocess::WASM_OPT_FLAGS[0]));
                postprocess::optimize(sh, wasm_opt, &stripped, &out)?;
                write_key(&out, &key)?;
                status::step(
                    "Optimized",
                    format!("{label} ({} bytes) in {}", size(&out), status::elapsed(start.elapsed())),
                );
            }
        }
        Post::Wizer => {
            let opt_variant = Variant { build: variant.build.clone(), post: Post::Opt };
            let opt = post_process(sh, ws, component, &opt_variant, core_hash, shared)?;
            let key = hash_parts(&["wizer", &util::sha256_hex(&util::read(&opt)?), xtask_identity()]);
            if !is_fresh(&out, &key) {
                status::step("Snapshotting", format!("{label} (wizer: `_initialize` at build time)"));
                let (bytes, report) = wizer::wizen(&util::read(&opt)?)
                    .with_context(|| format!("failed to snapshot {} (variant {})", component.name, variant.name()))?;
                util::write_atomic(&out, &bytes)?;
                write_key(&out, &key)?;
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
            }
        }
    }
    Ok(out)
}

fn size(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or_default()
}

/// Everything that changes the bytes of a core module: the Go sources of the component and of the runtime copy,
/// the toolchain, the flags and the environment.
fn build_key(
    ws: &Workspace,
    component: &Component,
    build: &crate::project::Build,
    toolchain: &GoToolchain,
    tinygo: Option<&TinyGo>,
) -> Result<String> {
    let mut hasher = Sha256::new();
    hasher.update(b"go build\0");
    hasher.update(build::compiler_version(build, toolchain, tinygo).as_bytes());
    for flag in build::build_flags(build) {
        hasher.update(flag.as_bytes());
        hasher.update(b"\0");
    }
    for (k, v) in build::build_env(build, toolchain, tinygo, component) {
        hasher.update(format!("{k}={v}\0").as_bytes());
    }
    for dir in [ws.root.join(&component.dir), ws.root.join("go/witpkg")] {
        for file in util::files_under(&dir)? {
            hasher.update(file.strip_prefix(&ws.root).unwrap_or(&file).to_string_lossy().as_bytes());
            hasher.update(b"\0");
            hasher.update(util::read(&file)?);
        }
    }
    Ok(util::hex(&hasher.finalize()))
}

fn hash_parts(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update(b"\0");
    }
    util::hex(&hasher.finalize())
}

/// What a check's verdict depends on besides the component: the suite code (check.rs, the declarative runner,
/// the world's typed suite `check/<world>.rs` and its submodules `check/<world>/` if any), the host library, the locked dependencies and the
/// component's checks.toml (in `component_dir`). A changed suite re-runs its checks; a change elsewhere in xtask
/// does not. The suite's sources are this xtask's own (the project root it was built from).
fn check_identity(component_dir: &Path, component: &Component) -> Result<String> {
    let root = crate::project::root();
    let root = root.as_path();
    let mut files = vec![
        root.join("xtask/src/check.rs"),
        root.join("xtask/src/check/declarative.rs"),
        root.join("host/Cargo.toml"),
        root.join("Cargo.lock"),
    ];
    files.extend(util::files_under(&root.join("host/src"))?);
    let suite = root.join(format!("xtask/src/check/{}.rs", component.world));
    let checks = component_dir.join(check::DECLARATIVE_FILE);
    files.extend([suite, checks].into_iter().filter(|f| f.is_file()));
    let suite_dir = root.join(format!("xtask/src/check/{}", component.world));
    if suite_dir.is_dir() {
        files.extend(util::files_under(&suite_dir)?);
    }
    let mut hasher = Sha256::new();
    for file in files {
        hasher.update(file.strip_prefix(root).unwrap_or(&file).to_string_lossy().as_bytes());
        hasher.update(b"\0");
        hasher.update(util::read(&file)?);
    }
    Ok(util::hex(&hasher.finalize()))
}

/// The running xtask's own hash: a changed pipeline (hardening, stripping, encoding) re-runs its steps.
fn xtask_identity() -> &'static str {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(|| {
        std::env::current_exe()
            .ok()
            .and_then(|exe| std::fs::read(exe).ok())
            .map_or_else(|| "unknown".to_string(), |bytes| util::sha256_hex(&bytes))
    })
}

fn key_path(output: &Path) -> PathBuf {
    let mut name = output.file_name().unwrap_or_default().to_os_string();
    name.push(".key");
    output.with_file_name(name)
}

fn is_fresh(output: &Path, key: &str) -> bool {
    output.is_file() && util::read(&key_path(output)).is_ok_and(|k| k == key.as_bytes())
}

fn write_key(output: &Path, key: &str) -> Result<()> {
    util::write_atomic(&key_path(output), key.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project;

    fn modified(path: &Path) -> std::time::SystemTime {
        std::fs::metadata(path).unwrap().modified().unwrap()
    }

    /// A second run with nothing changed does no work; touching one Go file rebuilds that build only.
    #[test]
    fn unchanged_inputs_are_skipped_and_a_changed_source_rebuilds() {
        let root = project::root();
        let tmp = std::env::temp_dir().join(format!("xtask-incremental-{}", std::process::id()));
        for dir in ["go/hasher", "go/witpkg", "wit"] {
            crate::util::copy_dir(&root.join(dir), &tmp.join(dir));
        }
        std::fs::copy(root.join("go/toolchains.toml"), tmp.join("go/toolchains.toml")).unwrap();
        let sh = Shell::new().unwrap();
        let ws = Workspace::new(&tmp);
        let component = project::discover(&tmp).unwrap().remove(0);
        let build = project::builds().into_iter().find(|b| b.name == "go1.26").unwrap();
        let jobs = vec![Job { component, build, posts: vec![Post::Raw, Post::Strip] }];
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
}
