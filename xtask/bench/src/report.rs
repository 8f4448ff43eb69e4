//! The report files: `report.md` (the seed article's table first, then every figure), `report.json` (the
//! [`Report`] as is) and `chart.svg`. Nothing here measures; every number comes from the [`Report`].

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Result;

use super::{OverPeer, PeerReport, Report, Stat, VariantReport, chart};
use pipeline::util;

/// Writes report.md, report.json and chart.svg into `dir` (each atomically); returns their paths.
pub(crate) fn write(dir: &Path, report: &Report) -> Result<Vec<PathBuf>> {
    let files = [
        (dir.join("report.md"), markdown(report)),
        (dir.join("report.json"), serde_json::to_string_pretty(report)? + "\n"),
        (dir.join("chart.svg"), chart::svg(report)),
    ];
    for (path, text) in &files {
        util::write_atomic(path, text.as_bytes())?;
    }
    Ok(files.into_iter().map(|(p, _)| p).collect())
}

/// `median (min–max)` with the given decimals.
pub(crate) fn cell(stat: Option<Stat>, decimals: usize) -> String {
    match stat {
        Some(s) if s.n == 1 && s.min == s.max => format!("{:.d$}", s.median, d = decimals),
        Some(s) => format!("{:.d$} ({:.d$}–{:.d$})", s.median, s.min, s.max, d = decimals),
        None => "–".into(),
    }
}

fn mb(bytes: u64) -> String {
    format!("{:.2}", bytes as f64 / 1e6)
}

fn mib(bytes: usize) -> String {
    format!("{:.1}", bytes as f64 / (1 << 20) as f64)
}

/// The seed article's rows: its Go versions and GC settings, as `go build` made them (the `-raw` variants).
pub(crate) const SEED_ROWS: [(&str, &str); 3] =
    [("Go 1.24", "go1.24-raw"), ("Go 1.25", "go1.25-raw"), ("Go 1.25 + Green Tea", "go1.25-greentea-raw")];

/// The artifact of a variant of the component that carries the seed table (its component.toml says which).
pub(crate) fn hasher<'r>(report: &'r Report, variant: &str) -> Option<&'r VariantReport> {
    report.variants.iter().find(|v| is_seed(report, v) && v.variant == variant)
}

/// Whether `v` is an artifact of the component that carries the seed table.
pub(crate) fn is_seed(report: &Report, v: &VariantReport) -> bool {
    report.seed_component.as_deref() == Some(v.component.as_str())
}

/// The seed's table layout (1000 calls, memory, size per Go version and Green Tea), with our numbers.
pub(crate) fn seed_table(report: &Report) -> String {
    let mut out = String::new();
    out.push_str("| Version | 1000 calls (ms) | Memory: host peak RSS (MB) | Memory: linear after 1000 calls (MB) | Size (MB) |\n");
    out.push_str("|---|---|---|---|---|\n");
    let extra = [
        ("Go 1.26 (Green Tea default)", "go1.26-raw"),
        ("Go 1.26 without Green Tea", "go1.26-nogreentea-raw"),
        ("Go 1.26, optimized", "go1.26-opt"),
        ("Go 1.26, optimized + pre-initialized", "go1.26-opt-wizer"),
        ("Go 1.27 (Green Tea and JSON v2 default)", "go1.27-raw"),
        ("Go 1.27, optimized", "go1.27-opt"),
        ("TinyGo 0.39 -opt=z, optimized", "tinygo-opt"),
    ];
    for (name, variant) in SEED_ROWS.iter().chain(extra.iter()) {
        let Some(v) = hasher(report, variant) else { continue };
        let h = v.figures.hasher.as_ref();
        let _ = writeln!(
            out,
            "| {name} (`{variant}`) | {} | {} | {} | {} |",
            h.map_or("–".into(), |h| format!("{:.2}", h.calls_1000_ms.median)),
            v.figures.rss.as_ref().map_or("–".into(), |r| format!("{:.1}", r.peak_rss_kib as f64 * 1024.0 / 1e6)),
            h.map_or("–".into(), |h| format!("{:.1}", h.memory_after_1000_bytes as f64 / 1e6)),
            mb(v.component_bytes),
        );
    }
    out
}

/// The peer against ours: every start-up and call figure of the peer beside the same build's `raw`, `opt` and
/// `opt-wizer` artifacts, with the ratio ours ÷ peer.
fn peer_table(report: &Report, peer: &PeerReport) -> String {
    let p = &peer.artifact;
    let ours: Vec<&VariantReport> = ["raw", "opt", "opt-wizer"]
        .iter()
        .filter_map(|post| {
            report.variants.iter().find(|v| v.component == p.component && v.variant == format!("{}-{post}", p.build))
        })
        .collect();
    let mut out = String::new();
    let _ = writeln!(out, "\n## Against the field's build of the same code\n");
    let _ = writeln!(
        out,
        "The peer, `{} {}`: the same Go code and WIT built the way the field builds them today — wit-bindgen-go's \
         glue and its bundled runtime package unmodified, `go build -buildmode=c-shared` with the same toolchain \
         ({}), the WASI preview1 reactor adapter; no harden pass, no wasm-opt, no snapshot (what componentize-go \
         ships). Built by the bench under target/bench/peer, never shipped. Ratio = ours ÷ peer: below 1 ours is \
         faster or smaller (for throughput, above 1 ours is faster). For cold start, InstancePre and InstancePre + \
         pooling it is measured in pairs: in every round the peer is sampled just before and just after each of \
         these artifacts, and the ratio is the median over the rounds of the artifact's sample over the mean of \
         those two, so that a drift of the machine's speed within a round cancels out (the other ratios divide the \
         two medians). A snapshot (`opt-wizer`) moves work from \
         instantiation to the first call: its instance maps the snapshot's memory copy-on-write, and the pages Go \
         writes are copied when first written — in the first call — where the others' instantiation ran \
         `_initialize` and wrote them then. `InstancePre + first call` (a fresh instance and its first answer, what \
         a service making an instance per request pays) holds both.\n",
        p.component, p.variant, p.toolchain
    );
    let s = &peer.stress;
    let _ = writeln!(
        out,
        "Its stress ({} × {} KiB `compute-hash` on one instance, every digest checked): {}\n",
        s.calls,
        s.bytes_per_call / 1024,
        match &s.failure {
            Some(f) => format!(
                "**failed after {} correct calls** — `{}`. The same calls pass on every shipped artifact (the \
                 check's stress): Go's collector ran inside `cabi_realloc` while the host lowered an argument \
                 (docs/design/gc-traps.md).",
                s.answered,
                f.replace('`', "'")
            ),
            None => format!("all {} answered.", s.calls),
        }
    );
    if !peer.faults.is_empty() {
        let _ = writeln!(
            out,
            "Samples of the peer that failed the same way and are left out of its figures ({}):\n",
            peer.faults.len()
        );
        for fault in &peer.faults {
            let _ = writeln!(out, "- `{}`", fault.replace('`', "'"));
        }
        out.push('\n');
    }
    // The figures measured in pairs with the peer take their ratio from those pairs (`OverPeer`), the others the
    // ratio of the two medians.
    type Paired = Option<fn(&OverPeer) -> Stat>;
    type Figure = (&'static str, fn(&VariantReport) -> Option<Stat>, usize, Paired);
    let figures: [Figure; 18] = [
        ("Component (MB)", |v| Some(Stat::exact(v.component_bytes as f64 / 1e6)), 2, None),
        ("Cold start (ms)", |v| Some(v.figures.cold_start_ms), 2, Some(|o| o.cold_start_ms)),
        ("Deserialize (ms)", |v| Some(v.figures.deserialize_ms), 2, None),
        ("Compile (ms)", |v| Some(v.figures.compile_ms), 0, None),
        ("Instantiate (µs)", |v| Some(v.figures.instantiate_us), 0, None),
        ("InstancePre (µs)", |v| Some(v.figures.instantiate_pre_us), 0, Some(|o| o.instantiate_pre_us)),
        ("InstancePre + pooling (µs)", |v| Some(v.figures.instantiate_pool_us), 0, Some(|o| o.instantiate_pool_us)),
        (
            "Instantiation (WebAssembly instructions, thousands)",
            |v| v.figures.instantiation_fuel.map(|f| f.scaled(1e-3)),
            1,
            None,
        ),
        ("First call (µs)", |v| v.figures.first_call_us, 1, None),
        ("InstancePre + first call (µs)", |v| v.figures.fresh_first_call_us, 0, None),
        ("5-byte call, deadline on (µs)", |v| v.figures.hasher.as_ref().map(|h| h.call_us), 2, None),
        ("5-byte call, lean (µs)", |v| v.figures.hasher.as_ref().map(|h| h.call_lean_us), 2, None),
        ("5-byte call, async (µs)", |v| v.figures.hasher.as_ref().map(|h| h.call_async_us), 2, None),
        ("SHA-256 64 KiB (MiB/s)", |v| v.figures.hasher.as_ref().and_then(|h| h.sha_64k_mibps), 0, None),
        ("Process: host call, disk → first result (ms)", |v| v.figures.process_ms, 2, None),
        (
            "Process: host call, peak RSS (MiB)",
            |v| v.figures.process_peak_rss_kib.map(|k| k.scaled(1.0 / 1024.0)),
            1,
            None,
        ),
        (
            "Process: main → first result (ms)",
            |v| v.figures.rss.as_ref().map(|r| Stat::exact(r.process_first_result_ms)),
            2,
            None,
        ),
        (
            "Process: peak RSS over 1000 calls (MiB)",
            |v| v.figures.rss.as_ref().map(|r| Stat::exact(r.peak_rss_kib as f64 / 1024.0)),
            1,
            None,
        ),
    ];
    out.push_str("| Figure | peer |");
    for v in &ours {
        let _ = write!(out, " `{}` | ÷ peer |", v.variant);
    }
    out.push_str("\n|---|---|");
    out.push_str(&"---|---|".repeat(ours.len()));
    out.push('\n');
    for (name, get, decimals, paired) in figures {
        let theirs = get(p);
        let _ = write!(out, "| {name} | {} |", cell(theirs, decimals));
        for v in &ours {
            let mine = get(v);
            let ratio = match (paired.zip(v.figures.over_peer.as_ref()), mine, theirs) {
                (Some((paired, over)), ..) => format!("{:.2}", paired(over).median),
                (None, Some(a), Some(b)) if b.median > 0.0 => format!("{:.2}", a.median / b.median),
                _ => "–".into(),
            };
            let _ = write!(out, " {} | {ratio} |", cell(mine, decimals));
        }
        out.push('\n');
    }
    out
}

fn markdown(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Benchmark report\n");
    let _ = writeln!(
        out,
        "Generated by `{}` — {}. Every number below was measured in that run; medians with \
         (min–max) over the samples listed under Method.\n",
        report.command,
        report.provenance()
    );
    let _ = writeln!(out, "## The seed article's table, measured\n");
    out.push_str(
        "Component `hasher`, the 5-byte `compute-hash` call. The article's three rows and Go 1.26 are the variants \
         exactly as `go build` made them (`-raw`); the last rows add what it left out: the optimized module, its \
         pre-initialized snapshot and TinyGo (every other artifact is below). Memory: the article does not say what it measured, so \
         both candidates are shown — the whole host process's peak RSS (a child process: load from the precompiled \
         cache + 1000 calls) and the guest's linear memory.\n\n",
    );
    out.push_str(&seed_table(report));

    if let Some(peer) = &report.peer {
        out.push_str(&peer_table(report, peer));
    }
    for left in &report.left_out {
        let _ = writeln!(out, "\n{} `{}` is left out of this run: {}.", left.component, left.build, left.reason);
    }

    let _ = writeln!(out, "\n## Size and start-up, every artifact\n");
    out.push_str(
        "| Artifact | Module (MB) | Component (MB) | Compile (ms) | Deserialize (ms) | Instantiate (µs) | \
         InstancePre (µs) | InstancePre + pooling (µs) | Pooling, no CoW (µs) | Cold start (ms) | First call (µs) |\n",
    );
    out.push_str("|---|---|---|---|---|---|---|---|---|---|---|\n");
    for v in &report.variants {
        let f = &v.figures;
        let _ = writeln!(
            out,
            "| {} `{}` | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            v.component,
            v.variant,
            v.module_bytes.map_or("–".into(), mb),
            mb(v.component_bytes),
            cell(Some(f.compile_ms), 0),
            cell(Some(f.deserialize_ms), 2),
            cell(Some(f.instantiate_us), 0),
            cell(Some(f.instantiate_pre_us), 0),
            cell(Some(f.instantiate_pool_us), 0),
            cell(Some(f.instantiate_pool_nocow_us), 0),
            cell(Some(f.cold_start_ms), 2),
            cell(f.first_call_us, 1),
        );
    }

    let n = &report.native;
    let _ = writeln!(out, "\n## Calls and throughput (`hasher`)\n");
    let _ = writeln!(
        out,
        "Native Rust on the same inputs: SHA-256 {:.0} MiB/s at 64 KiB and {:.0} MiB/s at 1 MiB in portable \
         software (hmac-sha256), {:.0} / {:.0} MiB/s with the CPU's SHA extensions (sha2{}); serde_json {:.0} MiB/s \
         on the 64 KiB process-json input (parse to a `Value`, write back).\n",
        n.sha_soft_64k_mibps.median,
        n.sha_soft_1m_mibps.median,
        n.sha_hw_64k_mibps.median,
        n.sha_hw_1m_mibps.median,
        if n.sha_hw_available { ", sha_ni present" } else { "; this CPU has no SHA extensions" },
        n.serde_json_64k_mibps.median,
    );
    out.push_str(
        "| Artifact | 1000 calls (ms) | Call, lean (µs) | Call, async (µs) | SHA-256 64 KiB (MiB/s) | ÷ soft | ÷ hw | \
         SHA-256 1 MiB (MiB/s) | ÷ soft | ÷ hw | process-json 64 KiB (MiB/s) | ÷ serde_json | Linear memory: start / 1000 / many calls (MiB) | Host peak RSS (MiB) |\n",
    );
    out.push_str("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    let ratio = |a: Option<Stat>, b: Stat| a.map_or("–".into(), |a| format!("{:.3}", a.median / b.median));
    for v in report.variants.iter().filter(|v| v.figures.hasher.is_some()) {
        let h = v.figures.hasher.as_ref().expect("filtered");
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} / {} / {} ({} calls) | {} |",
            v.variant,
            cell(Some(h.calls_1000_ms), 2),
            cell(Some(h.call_lean_us), 2),
            cell(Some(h.call_async_us), 2),
            cell(h.sha_64k_mibps, 0),
            ratio(h.sha_64k_mibps, n.sha_soft_64k_mibps),
            ratio(h.sha_64k_mibps, n.sha_hw_64k_mibps),
            cell(h.sha_1m_mibps, 0),
            ratio(h.sha_1m_mibps, n.sha_soft_1m_mibps),
            ratio(h.sha_1m_mibps, n.sha_hw_1m_mibps),
            cell(h.json_64k_mibps, 1),
            ratio(h.json_64k_mibps, n.serde_json_64k_mibps),
            mib(h.memory_start_bytes),
            mib(h.memory_after_1000_bytes),
            mib(h.memory_after_many_bytes),
            h.many_calls,
            v.figures.rss.as_ref().map_or("–".into(), |r| format!("{:.1}", r.peak_rss_kib as f64 / 1024.0)),
        );
    }

    let snapshots: Vec<(&VariantReport, &VariantReport)> = report
        .variants
        .iter()
        .filter_map(|w| {
            let base = w.variant.strip_suffix("-opt-wizer")?;
            let opt =
                report.variants.iter().find(|v| v.component == w.component && v.variant == format!("{base}-opt"))?;
            Some((opt, w))
        })
        .collect();
    if !snapshots.is_empty() {
        let _ = writeln!(out, "\n## Pre-initialized (Wizer) against the same build\n");
        out.push_str(
            "`<build>-opt-wizer` is `<build>-opt` with the Go runtime's initialisation run at build time and \
             snapshotted. Ratio = without ÷ with (above 1: the snapshot is faster).\n\n\
             | Artifact | Instantiate (µs) | ratio | InstancePre (µs) | ratio | InstancePre + pooling (µs) | ratio | \
             Cold start (ms) | ratio | First call (µs) | Component (MB) |\n|---|---|---|---|---|---|---|---|---|---|---|\n",
        );
        let ratio = |a: Stat, b: Stat| format!("{:.2}", a.median / b.median);
        for (opt, w) in snapshots {
            let (a, b) = (&opt.figures, &w.figures);
            let _ = writeln!(
                out,
                "| {} `{}` | {} → {} | {} | {} → {} | {} | {} → {} | {} | {} → {} | {} | {} → {} | {} → {} |",
                w.component,
                w.variant,
                cell(Some(a.instantiate_us), 0),
                cell(Some(b.instantiate_us), 0),
                ratio(a.instantiate_us, b.instantiate_us),
                cell(Some(a.instantiate_pre_us), 0),
                cell(Some(b.instantiate_pre_us), 0),
                ratio(a.instantiate_pre_us, b.instantiate_pre_us),
                cell(Some(a.instantiate_pool_us), 0),
                cell(Some(b.instantiate_pool_us), 0),
                ratio(a.instantiate_pool_us, b.instantiate_pool_us),
                cell(Some(a.cold_start_ms), 2),
                cell(Some(b.cold_start_ms), 2),
                ratio(a.cold_start_ms, b.cold_start_ms),
                cell(a.first_call_us, 1),
                cell(b.first_call_us, 1),
                mb(opt.component_bytes),
                mb(w.component_bytes),
            );
        }
    }

    let empties: Vec<&VariantReport> = report.variants.iter().filter(|v| v.figures.empty_call_ns.is_some()).collect();
    if !empties.is_empty() || report.floor.is_some() {
        let _ = writeln!(out, "\n## The empty call\n");
        out.push_str(
            "`echo(u32) -> u32` through typed bindings on a warm instance: what a call across the component boundary \
             costs when the guest does nothing. Default engine: a per-call deadline by epoch interruption (a call \
             hook re-arms it); lean: no deadline. ÷ floor: the median over the rounds of the artifact's call over the \
             floor's in the same engine, the floor measured just before and just after the artifact in each round \
             (the floor's own row: one sample of its own per round). Every component here, the floor included, takes \
             its lifted exports from a forwarding core instance (docs/design/forwarding.md); the peer \
             does not.\n\n| Artifact | Default (ns) | Lean (ns) | Default ÷ floor | Lean ÷ floor |\n\
             |---|---|---|---|---|\n",
        );
        let floor = report.floor.as_ref();
        if let Some(f) = floor {
            let _ = writeln!(
                out,
                "| the floor (a non-Go component: one core function returning its argument, no WASI) | {} | {} | – | – |",
                cell(Some(f.empty_call_ns), 0),
                cell(Some(f.empty_call_lean_ns), 0)
            );
        }
        for v in empties {
            let over = |ratio: Option<Stat>| ratio.map_or("–".into(), |r| format!("{:.2}", r.median));
            let _ = writeln!(
                out,
                "| {} `{}` | {} | {} | {} | {} |",
                v.component,
                v.variant,
                cell(v.figures.empty_call_ns, 0),
                cell(v.figures.empty_call_lean_ns, 0),
                over(v.figures.empty_call_over_floor),
                over(v.figures.empty_call_lean_over_floor),
            );
        }
    }

    if let Some(c) = &report.concurrency {
        let _ = writeln!(out, "\n## Concurrency\n");
        let _ = writeln!(
            out,
            "`hasher {}`: one store and instance per thread from one `InstancePre` (pooling allocator), {} 5-byte \
             calls per thread: {:.0} calls/s on 1 thread, {:.0} calls/s on {} threads — {:.2}× (ideal {}×).",
            c.variant.trim_start_matches("hasher "),
            c.calls_per_thread,
            c.one_thread_calls_per_s,
            c.all_cores_calls_per_s,
            c.cores,
            c.ratio,
            c.cores
        );
    }

    let _ = writeln!(out, "\n## Process figures\n");
    let _ = writeln!(
        out,
        "Whole processes, from spawn to exit, disk to the first result: the host binary (`host call --cache DIR \
         <artifact> <probe>`, settled cache entries) against the stock wasmtime CLI ({}: `wasmtime run \
         --allow-precompiled --invoke <probe>` of the same component precompiled by `wasmtime compile`), one after \
         the other in every round, both printing the same result; ÷ CLI below 1: ours is faster. Each process's \
         peak RSS (one call): the process started from a small launcher that reaps it with `wait4` (a child of the \
         bench itself would carry the bench's own peak), the median of {} runs of each. Then the host \
         binary with `--repeat 1000 --stats`: from the start of `main` (engine creation included) to the first \
         result, the peak RSS the kernel recorded over load + 1000 calls, and the anonymous part of the resident \
         set at the end (the process's own memory: heap, the instance's written pages, relocated data; the rest is \
         file pages the page cache shares among processes — the binary's code and the precompiled component's, \
         which the kernel maps 64 KiB around each page touched).\n",
        report.tools.get("wasmtime CLI (process comparison)").map_or("?", String::as_str),
        super::measure::RSS_RUNS
    );
    out.push_str(
        "| Artifact | host call (ms) | wasmtime run (ms) | ÷ CLI | host call peak RSS (MiB) | wasmtime run peak RSS \
         (MiB) | ÷ CLI | main → first result (ms) | 1000 calls: peak RSS (MiB) | anonymous at the end (MiB) |\n\
         |---|---|---|---|---|---|---|---|---|---|\n",
    );
    let over = |ours: Option<Stat>, cli: Option<Stat>| match (ours, cli) {
        (Some(a), Some(b)) => format!("{:.2}", a.median / b.median),
        _ => "–".into(),
    };
    for v in report.variants.iter().chain(report.peer.as_ref().map(|p| &p.artifact)) {
        let f = &v.figures;
        if f.rss.is_none() && f.process_ms.is_none() {
            continue;
        }
        let _ = writeln!(
            out,
            "| {} `{}` | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            v.component,
            v.variant,
            cell(f.process_ms, 2),
            cell(f.cli_process_ms, 2),
            over(f.process_ms, f.cli_process_ms),
            cell(f.process_peak_rss_kib.map(|k| k.scaled(1.0 / 1024.0)), 1),
            cell(f.cli_process_peak_rss_kib.map(|k| k.scaled(1.0 / 1024.0)), 1),
            over(f.process_peak_rss_kib, f.cli_process_peak_rss_kib),
            f.rss.as_ref().map_or("–".into(), |r| format!("{:.2}", r.process_first_result_ms)),
            f.rss.as_ref().map_or("–".into(), |r| format!("{:.1}", r.peak_rss_kib as f64 / 1024.0)),
            f.rss.as_ref().and_then(|r| r.anon_kib).map_or("–".into(), |k| format!("{:.1}", k as f64 / 1024.0)),
        );
    }

    let _ = writeln!(out, "\n## Method\n");
    let _ = writeln!(
        out,
        "- All artifacts are loaded first; then every timed metric is sampled in rounds, each round visiting every \
         artifact in turn, so drift in machine load spreads over all of them. Compile: {} samples per hasher \
         artifact, one for the others; the other timings: one sample per round ({} rounds{}). Warm-up: 100 calls before any timed call series.\n\
         - Compile: Cranelift on the component bytes, no cache. Deserialize: `Component::deserialize_file` of the \
         precompiled artifact. Cold start: `Host::load_cached` on settled entries (the component and its precompiled \
         artifact trusted by the file-system fingerprints recorded when they were last verified whole; the \
         artifact memory-mapped), instantiate (the Go runtime initialises), the probe call — the component's first \
         successful case in its checks.toml.\n\
         - Instantiate: `Linker::instantiate`; InstancePre: `InstancePre::instantiate` on demand, then with the \
         pooling allocator, with and without copy-on-write memory initialisation; each of these three samples is \
         the mean over a burst of {} fresh instances (each store made outside the timing and dropped before the \
         next, as a service making one instance per request does). First call: the probe on the plainly made \
         instance; InstancePre + first call: another such burst on demand, each instance's probe timed with its \
         instantiation (the call's preparation is not). Instantiation in WebAssembly instructions (the peer and \
         its build): wasmtime's fuel over `InstancePre::instantiate` of {} fresh instances — the adapter's and Go's \
         `_initialize`, or a snapshot's resume; it varies only with the randomness each instance draws (the Go \
         runtime's hash seeds), not with the machine.\n\
         - Per-call figures: batches of calls on one warm instance divided by the batch size. Throughput: 10 × \
         64 KiB, 1 × 1 MiB, 1 × 64 KiB JSON per sample, each result compared with the expected one.\n\
         - Memory: linear memory of the instance (the Go module's and the adapter's) after instantiation, after \
         1000 calls and after the many-call count shown.\n\
         - Tools: {}.\n- Whole run: {:.0} s.",
        report.variants.iter().map(|v| v.figures.compile_ms.n).max().unwrap_or(0),
        report.variants.first().map_or(0, |v| v.figures.instantiate_us.n),
        if report.mode == super::Mode::Quick { ", quick mode" } else { "" },
        super::measure::INSTANCE_BURST,
        super::measure::FUEL_INSTANCES,
        report.tools.iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join("; "),
        report.took_s
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// report.md and chart.svg as rendered from a recorded report (a full run's, trimmed to the seed table's
    /// artifacts and the empty call's): a change of rendering is reviewed as a diff of these snapshots
    /// (`UPDATE_EXPECT=1 cargo test -p bench` rewrites them).
    #[test]
    fn a_recorded_report_renders_as_the_snapshots_say() {
        let report: Report = serde_json::from_str(include_str!("../tests/fixtures/report.json")).unwrap();
        expect_test::expect_file!["../tests/fixtures/report.md"].assert_eq(&markdown(&report));
        expect_test::expect_file!["../tests/fixtures/chart.svg"].assert_eq(&chart::svg(&report));
    }

    /// A build a component leaves out is named with its reason before the figures, and nowhere else.
    #[test]
    fn a_left_out_build_is_said_with_its_reason() {
        let mut report: Report = serde_json::from_str(include_str!("../tests/fixtures/report.json")).unwrap();
        let before = markdown(&report);
        report.left_out.push(pipeline::model::LeftOut {
            component: "hasher".into(),
            build: "tinygo".into(),
            reason: "a dependency TinyGo lacks".into(),
        });
        let after = markdown(&report);
        let line = "\nhasher `tinygo` is left out of this run: a dependency TinyGo lacks.\n";
        assert_eq!(after.matches(line).count(), 1, "{after}");
        assert!(after.find(line) < after.find("## Size and start-up"));
        assert_eq!(after.replacen(line, "", 1), before);
    }
}
