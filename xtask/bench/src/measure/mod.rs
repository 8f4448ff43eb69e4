//! The measurements themselves: everything here runs real components in the real host and times it. Each metric
//! is sampled in rounds that visit every variant in turn (a round takes one sample of each metric of each
//! variant), so a change in machine load during the run spreads over all variants instead of biasing one.

mod calls;
mod process;
mod workload;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use host::wasmtime::Store;
use host::wasmtime::component::{Component, InstancePre};
use host::{Host, HostConfig, State};

use super::peer::PeerStress;
use super::seed::Seed;
use super::stats::{Samples, Stat, timed};
use super::{Mode, OverPeer, VariantFigures};
use pipeline::suite::pseudo_random;
use pipeline::util::sha256_hex;

pub(crate) use calls::Floor;
use calls::{burst, empty_call_ns};
pub(crate) use process::{Cli, RSS_RUNS};
use process::{child_rss, one_call_rss};
use workload::hasher_figures;
pub(crate) use workload::{native, scaling};

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
