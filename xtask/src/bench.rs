//! `cargo xtask bench`: measures every artifact in target/dist (what the selection lacks there is built and
//! checked into target/wasm and measured from there; target/dist is left as it is) in the real host — size, compile, deserialize, instantiate (plain, `InstancePre`, pooling with and
//! without copy-on-write), cold start, first call, 1000 calls on 5 bytes, the empty call, SHA-256 and JSON
//! throughput next to native Rust, linear memory over many calls, the host's peak RSS in a child process — and
//! writes target/bench/report.md, report.json and chart.svg. `--claims` also regenerates docs/CLAIMS.md (the
//! seed article's claims against these numbers), docs/bench/ and the README's table from the same run.
//! It reads target/dist and writes only under target/bench (and, with `--claims`, those committed files).

mod chart;
mod claims;
mod floor;
mod measure;
pub(crate) mod peak_rss;
mod peer;
mod report;
mod seed;
mod stats;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use xshell::{Shell, cmd};

use pipeline::env::tools;
use pipeline::model::{self, paths};
use pipeline::{run::scheduler, stages::check, status, util};

use crate::dist::Manifest;
use crate::flags;
pub(crate) use stats::Stat;

/// How many samples a run takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Mode {
    /// Enough samples for stable medians: the report.
    Full,
    /// The same code path with a few samples: a CI smoke run.
    Quick,
}

/// `report.json`: every figure of a run. Tools read it: the field names are a contract (units in the names).
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Report {
    pub(crate) mode: Mode,
    /// The command that made the report (`cargo xtask bench …`, selection and mode included).
    #[serde(default)]
    pub(crate) command: String,
    pub(crate) machine: Machine,
    pub(crate) git_commit: String,
    /// The component that runs the seed table's workload (`seed-table = true` in its component.toml), if this run
    /// measured it: its figures are set beside the article's.
    #[serde(default)]
    pub(crate) seed_component: Option<String>,
    /// Versions of everything that shapes the numbers (Go per line, wasm-opt, wasmtime, rustc).
    pub(crate) tools: BTreeMap<String, String>,
    pub(crate) native: Native,
    pub(crate) variants: Vec<VariantReport>,
    pub(crate) concurrency: Option<Concurrency>,
    /// The floor's empty call (a trivial non-Go component, `floor.rs`), measured beside the artifacts'.
    #[serde(default)]
    pub(crate) floor: Option<FloorFigures>,
    /// The field's build of the seed component (`peer.rs`), measured beside ours.
    #[serde(default)]
    pub(crate) peer: Option<PeerReport>,
    /// Wall-clock time of the whole measurement, seconds.
    pub(crate) took_s: f64,
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Machine {
    pub(crate) cpu: String,
    pub(crate) cores: usize,
    pub(crate) memory_gib: f64,
    pub(crate) os: String,
    /// The 1-minute load average when the measurement started and when it ended: other work on the machine
    /// inflates every timing, and this says how much there was.
    pub(crate) load_average: [f64; 2],
}

/// Native Rust on the same inputs, for the ratios.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Native {
    /// sha2 (runtime-detected SHA extensions).
    pub(crate) sha_hw_64k_mibps: Stat,
    pub(crate) sha_hw_1m_mibps: Stat,
    /// hmac-sha256 (portable software, no SIMD or SHA extensions).
    pub(crate) sha_soft_64k_mibps: Stat,
    pub(crate) sha_soft_1m_mibps: Stat,
    /// serde_json: parse into a `Value` (keys sorted) and write it back, on process-json's 64 KiB input.
    pub(crate) serde_json_64k_mibps: Stat,
    pub(crate) sha_hw_available: bool,
}

/// One artifact's figures.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct VariantReport {
    pub(crate) component: String,
    pub(crate) variant: String,
    pub(crate) build: String,
    pub(crate) post: String,
    pub(crate) toolchain: String,
    pub(crate) sha256: String,
    pub(crate) component_bytes: u64,
    /// The core module that was componentized, when target/wasm still holds it.
    pub(crate) module_bytes: Option<u64>,
    #[serde(flatten)]
    pub(crate) figures: VariantFigures,
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct VariantFigures {
    /// Cranelift compile of the component, no cache.
    pub(crate) compile_ms: Stat,
    /// `Component::deserialize_file` of the precompiled artifact.
    pub(crate) deserialize_ms: Stat,
    /// `Linker::instantiate` (links and type-checks every time), incl. the Go runtime's initialisation.
    pub(crate) instantiate_us: Stat,
    /// `InstancePre::instantiate`, on-demand allocator.
    pub(crate) instantiate_pre_us: Stat,
    /// `InstancePre::instantiate`, pooling allocator, copy-on-write memory initialisation.
    pub(crate) instantiate_pool_us: Stat,
    /// The same without copy-on-write (data segments copied).
    pub(crate) instantiate_pool_nocow_us: Stat,
    /// Artifact on disk → first result, in process: the checked cache (`Host::load_cached`), instantiate, probe.
    pub(crate) cold_start_ms: Stat,
    /// The probe call on a fresh instance.
    pub(crate) first_call_us: Option<Stat>,
    /// `InstancePre` (on demand) and the probe call on the new instance, timed together: a service's cost per
    /// request when it makes an instance per request (the mean of a burst of fresh instances).
    #[serde(default)]
    pub(crate) fresh_first_call_us: Option<Stat>,
    /// `echo(u32) -> u32` (components exporting it), default engine (10 s deadline by epochs) and lean (none).
    pub(crate) empty_call_ns: Option<Stat>,
    pub(crate) empty_call_lean_ns: Option<Stat>,
    /// The empty call ÷ the floor's, per sample: in each round the floor's call is measured just before and just
    /// after the artifact's, in the same engine, and their mean divides the artifact's, so a change in the
    /// machine's speed between rounds (another process, the other core) cancels out of the ratio.
    #[serde(default)]
    pub(crate) empty_call_over_floor: Option<Stat>,
    #[serde(default)]
    pub(crate) empty_call_lean_over_floor: Option<Stat>,
    /// Whole process, disk → first result, timed from spawn to exit: the host binary (`host call --cache`) and
    /// the stock wasmtime CLI (`wasmtime run --allow-precompiled --invoke`, the artifact precompiled by `wasmtime
    /// compile`), one after the other in every round.
    #[serde(default)]
    pub(crate) process_ms: Option<Stat>,
    #[serde(default)]
    pub(crate) cli_process_ms: Option<Stat>,
    /// The peak resident set in KiB of the same two processes, each making the probe call once, as the kernel
    /// counted it for that process (`peak_rss::run`): the median over a few runs.
    #[serde(default)]
    pub(crate) process_peak_rss_kib: Option<Stat>,
    #[serde(default)]
    pub(crate) cli_process_peak_rss_kib: Option<Stat>,
    /// Ours ÷ the peer, per paired sample, for the artifacts of the peer's own build (`measure::Subject::
    /// sample_against_peer`): the peer measured just before and just after the artifact in every round.
    #[serde(default)]
    pub(crate) over_peer: Option<OverPeer>,
    /// WebAssembly instructions an instantiation runs (wasmtime fuel, over fresh instances): the peer and the
    /// artifacts of its build.
    #[serde(default)]
    pub(crate) instantiation_fuel: Option<Stat>,
    /// The call that stands for "the first result" (the first successful case of the component's checks.toml).
    pub(crate) probe: Option<String>,
    pub(crate) hasher: Option<HasherFigures>,
    pub(crate) rss: Option<RssFigures>,
}

/// Paired ratios ours ÷ the peer (each the median over the rounds of the artifact's sample over the mean of the
/// peer's just before and just after it).
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct OverPeer {
    pub(crate) cold_start_ms: Stat,
    pub(crate) instantiate_pre_us: Stat,
    pub(crate) instantiate_pool_us: Stat,
}

/// Figures of the hasher world.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct HasherFigures {
    /// 1000 `compute-hash` calls on 5 bytes, one warm instance (the seed's "1000 calls").
    pub(crate) calls_1000_ms: Stat,
    /// The same per call.
    pub(crate) call_us: Stat,
    /// Per call on the lean engine (no deadline), and through the async API (`call_async`, tokio).
    pub(crate) call_lean_us: Stat,
    pub(crate) call_async_us: Stat,
    /// Throughput (none on the peer, which traps on large arguments).
    pub(crate) sha_64k_mibps: Option<Stat>,
    pub(crate) sha_1m_mibps: Option<Stat>,
    /// process-json on a 64 KiB document.
    pub(crate) json_64k_mibps: Option<Stat>,
    pub(crate) memory_start_bytes: usize,
    pub(crate) memory_after_1000_bytes: usize,
    pub(crate) memory_after_many_bytes: usize,
    pub(crate) many_calls: usize,
}

/// The host binary in a child process: load from the precompiled cache, 1000 probe calls.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct RssFigures {
    /// Peak resident set size as the kernel counted it (VmHWM).
    pub(crate) peak_rss_kib: u64,
    /// The resident anonymous memory after the 1000 calls (RssAnon): what the process holds of its own; the rest
    /// of its resident set is file pages the page cache shares (the binary's and the precompiled code).
    #[serde(default)]
    pub(crate) anon_kib: Option<u64>,
    /// From the process's start of `main` to the first result (engine creation included).
    pub(crate) process_first_result_ms: f64,
    pub(crate) calls: usize,
}

/// What this wasmtime charges for a component call and nothing else.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct FloorFigures {
    pub(crate) empty_call_ns: Stat,
    pub(crate) empty_call_lean_ns: Stat,
}

/// The peer: the seed component as the field builds it (stock runtime, no harden pass, no wasm-opt, no
/// snapshot), every figure measured as an artifact's, and what its stress did.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct PeerReport {
    #[serde(flatten)]
    pub(crate) artifact: VariantReport,
    pub(crate) stress: peer::PeerStress,
    /// Samples that failed (traps, one line each): left out of the figures.
    #[serde(default)]
    pub(crate) faults: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Concurrency {
    pub(crate) variant: String,
    pub(crate) cores: usize,
    pub(crate) calls_per_thread: usize,
    pub(crate) one_thread_calls_per_s: f64,
    pub(crate) all_cores_calls_per_s: f64,
    pub(crate) ratio: f64,
}

impl flags::Bench {
    pub(crate) fn run(self, sh: &Shell, root: &Path) -> Result<()> {
        // One writer per checkout: a second run waits here, saying for whom (lock.rs).
        let _lock = crate::lock::acquire(root)?;
        let mode = if self.quick { Mode::Quick } else { Mode::Full };
        if self.claims && mode == Mode::Quick {
            bail!("--claims needs a full run (drop --quick): the committed numbers come from enough samples");
        }
        let selection = model::Selection { shard: self.shard, ..self.selection.clone().into() };
        let artifacts = artifacts(sh, root, selection)?;
        let report = measure(sh, root, mode, self.command_line(), &artifacts)?;
        let out = root.join("target/bench");
        let written = report::write(&out, &report)?;
        for path in &written {
            status::step("Wrote", path.strip_prefix(root).unwrap_or(path).display());
        }
        if self.claims {
            claims::publish(sh, root, &report)?;
        }
        Ok(())
    }

    /// How this run was asked for, as a user would type it again.
    fn command_line(&self) -> String {
        let mut line = String::from("cargo xtask bench");
        for c in &self.selection.components {
            line.push_str(&format!(" --component {c}"));
        }
        for v in &self.selection.variants {
            line.push_str(&format!(" --variant {v}"));
        }
        if let Some(shard) = self.shard {
            line.push_str(&format!(" --shard {}/{}", shard.index, shard.count));
        }
        if self.quick {
            line.push_str(" --quick");
        }
        if self.claims {
            line.push_str(" --claims");
        }
        line
    }
}

/// A shipped artifact the bench measures.
#[derive(Debug, Clone)]
struct Artifact {
    component: model::Component,
    variant: model::Variant,
    path: PathBuf,
    sha256: String,
    toolchain: String,
    module: Option<PathBuf>,
}

/// The selected artifacts from target/dist; when any is missing or stale there, the selection is built and
/// checked (fresh steps are skipped) and measured from target/wasm, and target/dist is left as it is.
fn artifacts(sh: &Shell, root: &Path, selection: model::Selection) -> Result<Vec<Artifact>> {
    let jobs = model::select(root, &selection)?;
    // A composed component's parts come with it as dependency jobs: they are not what was asked for.
    let wanted: Vec<(model::Component, model::Variant)> = jobs
        .iter()
        .filter(|j| !j.dependency)
        .flat_map(|j| {
            j.posts.iter().map(|&post| (j.component.clone(), model::Variant { build: j.build.clone(), post }))
        })
        .collect();
    let find = || -> Result<std::result::Result<Vec<Artifact>, String>> {
        let dist = paths::dist_dir(root);
        let Ok(text) = std::fs::read_to_string(dist.join("manifest.json")) else {
            return Ok(Err("target/dist has no manifest.json".into()));
        };
        let manifest: Manifest = serde_json::from_str(&text).context("target/dist/manifest.json is not valid")?;
        let mut out = Vec::new();
        for (component, variant) in &wanted {
            let name = variant.name();
            let Some(entry) = manifest.artifacts.iter().find(|a| a.component == component.name && a.variant == name)
            else {
                return Ok(Err(format!("target/dist lacks {} {name}", component.name)));
            };
            let path = dist.join(&entry.path);
            if util::read(&path).map(|b| util::sha256_hex(&b)).ok().as_deref() != Some(entry.sha256.as_str()) {
                return Ok(Err(format!("{} does not match manifest.json", path.display())));
            }
            let module = paths::module(&paths::work_dir(root), component, variant);
            let module = util::read(&module).is_ok_and(|b| util::sha256_hex(&b) == entry.core_sha256).then_some(module);
            out.push(Artifact {
                component: component.clone(),
                variant: variant.clone(),
                path,
                sha256: entry.sha256.clone(),
                toolchain: entry.tools.get("go").cloned().unwrap_or_default(),
                module,
            });
        }
        Ok(Ok(out))
    };
    match find()? {
        Ok(found) => Ok(found),
        Err(why) => {
            status::step(
                "Building",
                format!("{why}: building and checking the selection (target/dist is left as it is)"),
            );
            crate::setup::ensure(sh, root)?;
            let options = scheduler::Options::until(scheduler::Until::Check);
            let products = scheduler::run(sh, &model::Workspace::new(root), jobs, &options)?;
            products
                .into_iter()
                .map(|p| {
                    let path = p.component_path.clone().expect("checked products have a component");
                    Ok(Artifact {
                        sha256: util::sha256_hex(&util::read(&path)?),
                        component: p.component,
                        variant: p.variant,
                        path,
                        toolchain: p.toolchain.version,
                        module: Some(p.module),
                    })
                })
                .collect()
        }
    }
}

fn measure(sh: &Shell, root: &Path, mode: Mode, command: String, artifacts: &[Artifact]) -> Result<Report> {
    let start = Instant::now();
    let load_before = load_average();
    let plan = measure::Plan::of(mode);
    let host_binary = host_binary(sh, root)?;
    let hosts = measure::Hosts::new(root.join("target/bench/cache"))?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;

    // A plugin that imports more than WASI needs its embedder's API, which bench does not have: it is named and
    // left out of the measurements (its import round trips are measured nowhere yet).
    let mut measured = Vec::new();
    for a in artifacts {
        let label = format!("{} {}", a.component.name, a.variant.name());
        let component = hosts.default.load_cached(&a.path, &hosts.cache)?.0;
        let foreign: Vec<String> = host::dynamic::imported_functions(&hosts.default, &component)
            .into_iter()
            .filter(|(path, _)| !path.interface.as_deref().is_some_and(|i| i.starts_with("wasi:")))
            .map(|(path, _)| path.to_string())
            .collect();
        if foreign.is_empty() {
            measured.push(a.clone());
        } else {
            status::warn(format!(
                "{label}: not measured: it imports {} besides WASI, which only its embedder provides",
                foreign.join(", ")
            ));
        }
    }
    let artifacts = measured.as_slice();
    let mut subjects = Vec::new();
    for a in artifacts {
        let label = format!("{} {}", a.component.name, a.variant.name());
        status::step("Loading", &label);
        let probe = check::probe_call(&root.join(&a.component.dir))?;
        let seed = a.component.seed_table;
        subjects.push(measure::Subject::load(&hosts, label, &a.path, seed, probe)?);
    }
    // The field's build of the seed component, with the build of the reference artifact (the seed's go1.26
    // line when selected): bench-only, loaded and sampled like every artifact.
    let reference_build = artifacts
        .iter()
        .filter(|a| a.component.seed_table)
        .filter(|a| a.variant.build.tinygo.is_none())
        .min_by_key(|a| (a.variant.build.name != "go1.26", a.variant.name()))
        .map(|a| (a.component.clone(), a.variant.build.clone()));
    let mut peer = match &reference_build {
        Some((component, build)) => {
            status::step("Building", format!("the peer: {} {} as the field builds it", component.name, build.name));
            let built = peer::build(sh, root, component, build)?;
            let label = format!("{} {}-{}", component.name, build.name, peer::VARIANT);
            status::step("Loading", &label);
            let probe = check::probe_call(&root.join(&component.dir))?;
            let subject = measure::Subject::load(&hosts, label, &built.path, true, probe)?.into_peer();
            Some((component.clone(), build.clone(), built, subject))
        }
        None => None,
    };
    // The artifacts of the peer's own build (its table's columns) are also sampled in pairs with it.
    let paired: Vec<bool> = artifacts
        .iter()
        .map(|a| {
            reference_build.as_ref().is_some_and(|(c, b)| a.component.name == c.name && a.variant.build.name == b.name)
        })
        .collect();
    for (s, _) in subjects.iter_mut().zip(&paired).filter(|(_, paired)| **paired) {
        s.count_instantiation(&hosts).with_context(|| format!("counting {}'s instantiation", s.label))?;
    }
    if let Some((.., s)) = peer.as_mut() {
        s.count_instantiation(&hosts).with_context(|| format!("counting {}'s instantiation", s.label))?;
    }
    let mut floor = measure::Floor::load(&hosts)?;
    crate::setup::ensure_wasmtime_cli(sh)?;
    let cli_binary = pipeline::env::tools::WASMTIME.locate()?;
    let cli_version = pipeline::env::tools::WASMTIME.version(sh, &cli_binary)?;
    let cli = measure::Cli::new(cli_binary, cli_version, root.join("target/bench/cli"));
    let loaded = Instant::now();
    status::step("Measuring", format!("native SHA-256 and serde_json ({mode:?} mode)"));
    let native = measure::native(&plan)?;
    for round in 0..plan.compile {
        status::step("Compiling", format!("round {}/{} over {} artifacts", round + 1, plan.compile, subjects.len()));
        // The seed table's component gets every sample; others one compile sample (a second or two each).
        for s in subjects.iter_mut().chain(peer.as_mut().map(|p| &mut p.3)).filter(|s| round == 0 || s.seed) {
            s.sample_compile(&hosts)?;
        }
    }
    // Cold start measures the steady state of a cache: entries that have settled, verified once and trusted by
    // their fingerprints since. One load each, once they are old enough, records those fingerprints.
    std::thread::sleep(host::SETTLE.saturating_sub(loaded.elapsed()));
    for s in subjects.iter().chain(peer.as_ref().map(|p| &p.3)) {
        s.settle(&hosts)?;
    }
    for round in 0..plan.rounds {
        status::step("Sampling", format!("round {}/{} over {} artifacts", round + 1, plan.rounds, subjects.len()));
        for (s, paired) in subjects.iter_mut().zip(&paired) {
            s.sample_round(&hosts, &plan, &runtime, &floor).with_context(|| format!("measuring {}", s.label))?;
            if let (true, Some((.., p))) = (paired, peer.as_mut()) {
                let faults = s.sample_against_peer(&hosts, p).with_context(|| format!("measuring {}", s.label))?;
                p.faults.extend(faults);
            }
            s.sample_process(&host_binary, &hosts.cache, Some(&cli))
                .with_context(|| format!("timing {} as a process", s.label))?;
        }
        if let Some((.., s)) = peer.as_mut() {
            s.sample_round(&hosts, &plan, &runtime, &floor).with_context(|| format!("measuring {}", s.label))?;
            s.sample_process(&host_binary, &hosts.cache, Some(&cli))
                .with_context(|| format!("timing {} as a process", s.label))?;
        }
        floor.sample(&hosts, &plan).context("measuring the floor")?;
    }
    let reference = subjects
        .iter()
        .find(|s| s.seed && s.label.ends_with("go1.26-opt"))
        .or_else(|| subjects.iter().find(|s| s.seed));
    let concurrency = reference.map(|s| measure::scaling(&hosts, s, &plan)).transpose()?;

    let mut variants = Vec::new();
    for (a, s) in artifacts.iter().zip(subjects) {
        let label = s.label.clone();
        status::step("Finishing", format!("{label}: memory over {} calls, host RSS in a child", plan.many_calls));
        let (figures, _) = s.finish(&hosts, &plan, &host_binary, &cli).with_context(|| format!("measuring {label}"))?;
        variants.push(VariantReport {
            component: a.component.name.clone(),
            variant: a.variant.name(),
            build: a.variant.build.name.to_string(),
            post: a.variant.post.name().to_string(),
            toolchain: a.toolchain.clone(),
            sha256: a.sha256.clone(),
            component_bytes: std::fs::metadata(&a.path)?.len(),
            module_bytes: a.module.as_ref().map(|m| std::fs::metadata(m).map(|m| m.len())).transpose()?,
            figures,
        });
    }
    let peer = match peer {
        Some((component, build, built, subject)) => {
            let (calls, bytes) = (plan.peer_stress_calls, 64 * 1024);
            status::step("Stressing", format!("{}: {calls} × 64 KiB compute-hash on one instance", subject.label));
            let stress = subject.stress(&hosts, calls, bytes)?;
            match &stress.failure {
                Some(failure) => status::step(
                    "Failed",
                    format!(
                        "{} after {} calls, as expected without the harden pass: {failure}",
                        subject.label, stress.answered
                    ),
                ),
                None => status::warn(format!("{}: answered all {calls} stress calls", subject.label)),
            }
            let label = subject.label.clone();
            status::step("Finishing", format!("{label}: memory over {} calls, host RSS in a child", plan.many_calls));
            let (figures, faults) =
                subject.finish(&hosts, &plan, &host_binary, &cli).with_context(|| format!("measuring {label}"))?;
            for fault in &faults {
                status::warn(format!("{label}: a sample failed: {fault}"));
            }
            let bytes = util::read(&built.path)?;
            Some(PeerReport {
                artifact: VariantReport {
                    component: component.name.clone(),
                    variant: format!("{}-{}", build.name, peer::VARIANT),
                    build: build.name.to_string(),
                    post: peer::VARIANT.to_string(),
                    toolchain: built.toolchain,
                    sha256: util::sha256_hex(&bytes),
                    component_bytes: bytes.len() as u64,
                    module_bytes: Some(built.module_bytes),
                    figures,
                },
                stress,
                faults,
            })
        }
        None => None,
    };
    let floor = Some(floor.finish()?);
    let took_s = start.elapsed().as_secs_f64();
    status::step("Measured", format!("{} artifacts in {}", variants.len(), status::elapsed(start.elapsed())));
    let mut tools = measuring_tools(sh, artifacts)?;
    tools.insert("wasmtime CLI (process comparison)".into(), cli.version.clone());
    let mut machine = machine();
    machine.load_average = [load_before, load_average()];
    Ok(Report {
        mode,
        command,
        machine,
        git_commit: git_commit(sh),
        seed_component: artifacts.iter().find(|a| a.component.seed_table).map(|a| a.component.name.clone()),
        tools,
        native,
        variants,
        concurrency,
        floor,
        peer,
        took_s,
    })
}

/// The host binary (built in this workspace's profile, next to the running xtask) for the child-process figures.
fn host_binary(sh: &Shell, root: &Path) -> Result<PathBuf> {
    let _cwd = sh.push_dir(root);
    status::step("Building", "the host binary, for the child-process figures");
    // Selecting xtask too keeps the features unified as in this xtask's own build, so nothing is compiled again.
    tools::without_cargo_run_env(cmd!(sh, "cargo build --quiet -p xtask -p host --bin host"))
        .run()
        .context("failed to build the host binary")?;
    let exe = std::env::current_exe().context("cannot locate the running xtask")?;
    let binary = exe.with_file_name(format!("host{}", std::env::consts::EXE_SUFFIX));
    if !binary.is_file() {
        bail!("the host binary is not at {} (expected next to the xtask binary)", binary.display());
    }
    Ok(binary)
}

fn machine() -> Machine {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name").and_then(|r| r.split_once(':')).map(|(_, m)| m.trim().to_string()))
        .unwrap_or_else(|| "unknown".into());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let memory_kib: f64 = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|r| r.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0);
    let os = std::fs::read_to_string("/etc/os-release")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("PRETTY_NAME=").map(|v| v.trim_matches('"').to_string()))
        .unwrap_or_else(|| std::env::consts::OS.to_string());
    Machine {
        cpu,
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        memory_gib: (memory_kib / (1 << 20) as f64 * 10.0).round() / 10.0,
        os,
        load_average: [load_average(); 2],
    }
}

/// The 1-minute load average (Linux), or -1 where it cannot be read.
fn load_average() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next()?.parse().ok())
        .unwrap_or(-1.0)
}

fn git_commit(sh: &Shell) -> String {
    let commit = cmd!(sh, "git rev-parse --short=12 HEAD").quiet().ignore_stderr().read().unwrap_or_default();
    let dirty = !cmd!(sh, "git status --porcelain --untracked-files=no").quiet().read().unwrap_or_default().is_empty();
    match (commit.is_empty(), dirty) {
        (true, _) => "unknown".into(),
        (false, true) => format!("{commit} (with uncommitted changes)"),
        (false, false) => commit,
    }
}

/// The tools of the measuring run (the report's `tools`): Go per line, wasmtime, wasm-opt, rustc. The tools
/// that made each artifact are in the dist manifest.
fn measuring_tools(sh: &Shell, artifacts: &[Artifact]) -> Result<BTreeMap<String, String>> {
    let mut tools = BTreeMap::new();
    for a in artifacts {
        tools.insert(format!("go ({})", a.variant.build.go_minor), a.toolchain.clone());
    }
    tools.insert("wasmtime".into(), pipeline::versions::crate_version("wasmtime")?);
    if let Ok(path) = pipeline::env::tools::WASM_OPT.locate() {
        tools.insert("wasm-opt".into(), pipeline::env::tools::WASM_OPT.version(sh, &path)?);
    }
    tools.insert("rustc".into(), cmd!(sh, "rustc --version").quiet().read().unwrap_or_default());
    Ok(tools)
}
