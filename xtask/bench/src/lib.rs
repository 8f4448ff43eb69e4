//! The benchmark (`cargo xtask bench`): measures every artifact in target/dist (what the selection lacks there is built and
//! checked into target/wasm and measured from there; target/dist is left as it is) in the real host — size, compile, deserialize, instantiate (plain, `InstancePre`, pooling with and
//! without copy-on-write), cold start, first call, 1000 calls on 5 bytes, the empty call, SHA-256 and JSON
//! throughput next to native Rust, linear memory over many calls, the host's peak RSS in a child process — and
//! writes target/bench/report.md, report.json and chart.svg. `--claims` also regenerates docs/CLAIMS.md (the
//! seed article's claims against these numbers), docs/bench/ and the README's table from the same run.
//! It reads target/dist and writes only under target/bench (and, with `--claims`, those committed files).

mod chart;
mod claims;
mod figures;
mod floor;
mod machine;
mod measure;
pub mod peak_rss;
mod peer;
mod report;
mod seed;
mod stats;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};

use xshell::{Shell, cmd};

use pipeline::env::tools;
use pipeline::model::{self, paths};
use pipeline::{run::scheduler, stages::check, status, util};

pub(crate) use figures::*;
use pipeline::dist::Manifest;
pub(crate) use stats::Stat;

/// What a run measures, and how.
#[derive(Debug, Clone)]
pub struct Options {
    /// The artifacts: components, variants, shard (empty: every artifact of the default selection).
    pub selection: model::Selection,
    /// A smoke run: the same measurements with a few samples each.
    pub quick: bool,
    /// Also regenerate docs/CLAIMS.md, docs/bench/ and the README table (a full run only).
    pub claims: bool,
    /// How the run was asked for, as a user would type it again (recorded in the report).
    pub command: String,
}

/// Measures what `options` selects and writes target/bench/report.md, report.json and chart.svg (and with
/// `claims`, the committed reports).
pub fn run(sh: &Shell, root: &Path, options: &Options) -> Result<()> {
    // One writer per checkout: a second run waits here, saying for whom.
    let _lock = pipeline::run::lock::acquire(root)?;
    let mode = if options.quick { Mode::Quick } else { Mode::Full };
    if options.claims && mode == Mode::Quick {
        bail!("--claims needs a full run (drop --quick): the committed numbers come from enough samples");
    }
    let (artifacts, left_out) = artifacts(sh, root, options.selection.clone())?;
    let report = Report { left_out, ..measure(sh, root, mode, options.command.clone(), &artifacts)? };
    let out = root.join("target/bench");
    let written = report::write(&out, &report)?;
    for path in &written {
        status::step("Wrote", path.strip_prefix(root).unwrap_or(path).display());
    }
    if options.claims {
        claims::publish(sh, root, &report)?;
    }
    Ok(())
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

/// The selected artifacts from target/dist, and the builds of the selection its components leave out; when any
/// artifact is missing or stale there, the selection is built and checked (fresh steps are skipped) and measured
/// from target/wasm, and target/dist is left as it is.
fn artifacts(sh: &Shell, root: &Path, selection: model::Selection) -> Result<(Vec<Artifact>, Vec<model::LeftOut>)> {
    let model::Plan { jobs, left_out } = pipeline::run::plan(root, &selection)?;
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
    let found = match find()? {
        Ok(found) => found,
        Err(why) => {
            status::step(
                "Building",
                format!("{why}: building and checking the selection (target/dist is left as it is)"),
            );
            pipeline::env::setup::ensure(sh, root)?;
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
                .collect::<Result<_>>()?
        }
    };
    Ok((found, left_out))
}

fn measure(sh: &Shell, root: &Path, mode: Mode, command: String, artifacts: &[Artifact]) -> Result<Report> {
    let start = Instant::now();
    let load_before = machine::load_average();
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
    pipeline::env::setup::ensure_wasmtime_cli(sh)?;
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
    let mut machine = machine::machine();
    machine.load_average = [load_before, machine::load_average()];
    Ok(Report {
        mode,
        command,
        machine,
        git_commit: machine::git_commit(sh),
        seed_component: artifacts.iter().find(|a| a.component.seed_table).map(|a| a.component.name.clone()),
        tools,
        native,
        variants,
        left_out: Vec::new(),
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
