//! `report.json`: every figure of a run, by artifact, with the baselines measured beside them (native Rust,
//! the floor, the peer, the wasmtime CLI) and where and how the run was taken. Tools read it: the field names are a
//! contract (units in the names). Nothing here measures or renders.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::peer::PeerStress;
use crate::stats::Stat;

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
    /// The builds of the selection a component does not ship, with the reason: not measured.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) left_out: Vec<pipeline::model::LeftOut>,
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

impl Report {
    /// One line saying where and how the numbers were taken.
    pub(crate) fn provenance(&self) -> String {
        let report = self;
        let m = &report.machine;
        format!(
            "{} mode, {} ({} cores, {} GiB, {}; load average {:.1} → {:.1}), commit {}, wasmtime {}",
            match report.mode {
                Mode::Full => "full",
                Mode::Quick => "quick",
            },
            m.cpu,
            m.cores,
            m.memory_gib,
            m.os,
            m.load_average[0],
            m.load_average[1],
            report.git_commit,
            report.tools.get("wasmtime").map_or("?", String::as_str)
        )
    }
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
    pub(crate) stress: PeerStress,
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
