//! `cargo xtask check`: builds and componentizes each selected (component, variant), then runs it in the real
//! wasmtime host: every export called with test vectors and compared with a native Rust reference, then a stress
//! of many large calls on one instance (the GC-inside-`cabi_realloc` trap shows up only there).
//! Typed suites are chosen by the component's world (for the component named after it); a world without a typed
//! suite is instantiated and its exports listed. This module reads target/wasm and writes nothing.

mod declarative;

pub(crate) use declarative::{FILE as DECLARATIVE_FILE, probe_call};
mod faulty;
pub(crate) mod hasher;
pub(crate) mod textkit;

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use host::{Host, HostConfig};
use xshell::Shell;

use crate::pipeline::{self, Until, Workspace};
use crate::project::{self, Component, Variant};
use crate::{flags, status};

/// How hard the stress phase pushes one instance.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stress {
    pub(crate) calls_64k: usize,
    pub(crate) calls_1m: usize,
}

impl Stress {
    /// What `dist` and a plain `check` run: 10,000 calls with 64 KiB and 200 with 1 MiB on one instance.
    pub(crate) const FULL: Stress = Stress { calls_64k: 10_000, calls_1m: 200 };
}

impl flags::Check {
    pub(crate) fn run(self, sh: &Shell) -> Result<()> {
        let root = project::root();
        // One writer per checkout: a second run waits here, saying for whom (lock.rs).
        let _lock = crate::lock::acquire(&root)?;
        let stress = Stress { calls_64k: self.stress_64k, calls_1m: self.stress_1m };
        let jobs = project::select(&root, &self.selection)?;
        anyhow::ensure!(self.repeat >= 1, "--repeat takes a count of at least 1");
        let repeat = (self.repeat > 1 || self.entropy).then_some(Repeat { runs: self.repeat, entropy: self.entropy });
        let options = pipeline::Options { until: Until::Check, stress, repeat };
        pipeline::run(sh, &Workspace::new(&root), jobs, &options)?;
        Ok(())
    }
}

/// The guest's randomness in every check (`HostConfig::random_seed`). TinyGo's collector scans the stack and
/// globals conservatively, so which dead objects it keeps — and whether its heap doubles — depends on where the
/// guest's allocations land, which its random map seeds decide; with the seed fixed, one artifact behaves the
/// same way on every run and a check's verdict is a property of the bytes, not of luck. `check --repeat N`
/// measures the spread over other seeds (ARCHITECTURE.md, "TinyGo's GC under the stress").
pub(crate) const CHECK_SEED: u64 = 0x60_7A_53;

/// The host configuration every check runs in: the defaults, with the guest's randomness seeded by `seed`.
pub(crate) fn check_config(seed: Option<u64>) -> HostConfig {
    HostConfig { random_seed: seed, ..HostConfig::default() }
}

/// What a passing check measured.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Verdict {
    /// The linear-memory peak of the typed suite's stress, for suites that have one.
    pub(crate) stress_peak: Option<usize>,
}

/// Loads one component file and runs its suites: the typed one chosen by world, then the declarative cases of
/// the component's checks.toml (under `component_root`). The error names the component, the variant and what failed.
pub(crate) fn check_component(
    host: &Host,
    component_root: &Path,
    path: &Path,
    component: &Component,
    variant: &Variant,
    stress: Stress,
) -> Result<Verdict> {
    let start = Instant::now();
    let label = format!("{} {}", component.name, variant.name());
    status::step("Checking", &label);
    let what = || format!("check failed for {label} ({})", path.display());
    // A typed suite holds the shipped component of that world to its documented behaviour; another component
    // of the same world (a `new --world` scaffold, whose stubs return defaults) has only its declarative cases.
    let suite = if component.name == component.world { component.world.as_str() } else { "" };
    let mut verdict = Verdict::default();
    let typed = match suite {
        "hasher" => {
            verdict.stress_peak = Some(hasher::run(host, &host.load(path)?, stress, &label).with_context(what)?);
            true
        }
        "textkit" => {
            verdict.stress_peak = Some(textkit::run(host, &host.load(path)?, stress, &label).with_context(what)?);
            true
        }
        // Faults are provoked in a host of their own, with tight limits.
        "faulty" => {
            let tinygo = variant.build.tinygo.is_some();
            faulty::run(path, &label, tinygo).with_context(what)?;
            // The probes ask whether instances draw different randomness: they need the system's entropy, not
            // the checks' seed.
            let entropy = Host::new(&HostConfig::default())?;
            faulty::runtime_state::run(&entropy, path, &label, variant.post, tinygo)
                .with_context(what)
                .map(|()| true)?
        }
        _ => false,
    };
    let cases = declarative::run(host, &component_root.join(&component.dir), path, &label).with_context(what)?;
    if !typed && cases == 0 {
        status::warn(format!(
            "{}: no typed suite for world `{}` and no {}: only instantiation was checked",
            component.name,
            component.world,
            declarative::FILE
        ));
        host.instantiate(&mut host.store(), &host.load(path)?).with_context(what)?;
    }
    status::step("Checked", format!("{label} in {}", status::elapsed(start.elapsed())));
    Ok(verdict)
}

/// `check --repeat`: run each check several times, ignoring the stamps of earlier passes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Repeat {
    pub(crate) runs: usize,
    /// The guest's randomness from the system's entropy instead of the seeds 1..=runs.
    pub(crate) entropy: bool,
}

/// Runs one component's check `repeat.runs` times, each in a host of its own (seed `run`, or entropy), goes on
/// after a failure, and prints the distribution of the stress's memory peak; fails if any run failed.
pub(crate) fn check_repeatedly(
    component_root: &Path,
    path: &Path,
    component: &Component,
    variant: &Variant,
    stress: Stress,
    repeat: Repeat,
) -> Result<()> {
    let label = format!("{} {}", component.name, variant.name());
    let mut peaks = std::collections::BTreeMap::<usize, usize>::new();
    let mut failures = Vec::new();
    for run in 1..=repeat.runs {
        let seed = (!repeat.entropy).then_some(run as u64);
        let host = Host::new(&check_config(seed))?;
        let what = seed.map_or("entropy".to_string(), |s| format!("seed {s}"));
        match check_component(&host, component_root, path, component, variant, stress) {
            Ok(verdict) => {
                if let Some(peak) = verdict.stress_peak {
                    *peaks.entry(peak).or_default() += 1;
                }
                status::step("Run", format!("{label} {run}/{} ({what}): passed", repeat.runs));
            }
            Err(err) => {
                status::step("Run", format!("{label} {run}/{} ({what}): FAILED: {err:#}", repeat.runs));
                failures.push(format!("run {run} ({what}): {err:#}"));
            }
        }
    }
    let spread: Vec<String> =
        peaks.iter().map(|(peak, n)| format!("{:.1} MiB × {n}", *peak as f64 / (1 << 20) as f64)).collect();
    status::step(
        "Repeated",
        format!(
            "{label}: {} runs, {} failed; stress memory peak: {}",
            repeat.runs,
            failures.len(),
            if spread.is_empty() { "-".to_string() } else { spread.join(", ") }
        ),
    );
    anyhow::ensure!(
        failures.is_empty(),
        "{label} failed {} of {} runs:\n{}",
        failures.len(),
        repeat.runs,
        failures.join("\n")
    );
    Ok(())
}

/// Deterministic pseudo-random bytes (xorshift64*), so every run checks the same inputs.
pub(crate) fn pseudo_random(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        out.extend_from_slice(&state.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
    }
    out.truncate(len);
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use std::path::PathBuf;

    use host::HostConfig;
    use host::hasher::Hasher;

    use super::*;
    use crate::componentize;

    /// The hasher component and the machine-Go raw variant, as every end-to-end test uses them.
    pub(crate) fn hasher_go126() -> (PathBuf, Component, Variant) {
        let root = project::root();
        let component = project::select_components(&root, &["hasher".to_string()]).unwrap().remove(0);
        let variant = project::select_variants(&["go1.26-raw".to_string()]).unwrap().remove(0);
        (root, component, variant)
    }

    /// The hasher's core module for go1.26, built once per test process into a work directory of its own.
    pub(crate) fn hasher_core_module() -> Vec<u8> {
        static CORE: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
        CORE.get_or_init(|| go126_core_module(&hasher_go126().1)).clone()
    }

    /// A component's core module built with the machine-Go build (go1.26) into a work directory of its own.
    pub(crate) fn go126_core_module(component: &Component) -> Vec<u8> {
        let sh = Shell::new().unwrap();
        let (root, _, variant) = hasher_go126();
        let work = root.join(format!("target/xtask-tests/{}-{}", component.name, std::process::id()));
        let ws = Workspace { work, ..Workspace::new(&root) };
        let toolchain = crate::toolchain::GoToolchain::resolve(&sh, &root, &variant.build).unwrap();
        let path = crate::build::build(&sh, &ws, component, &variant.build, &toolchain, None).unwrap();
        let bytes = crate::util::read(&path).unwrap();
        std::fs::remove_dir_all(&ws.work).unwrap();
        bytes
    }

    /// The hasher component built and componentized for the machine's Go, loaded in a host.
    fn loaded_hasher() -> (Host, host::wasmtime::component::Component) {
        let (root, component, _) = hasher_go126();
        let core = hasher_core_module();
        let host = Host::new(&HostConfig::default()).unwrap();
        let loaded = host.load_bytes(&componentize::encode(&root, &component, &core).unwrap()).unwrap();
        (host, loaded)
    }

    #[test]
    fn dynamic_calls_take_and_print_wave() {
        let (host, loaded) = loaded_hasher();
        let mut store = host.store();
        let instance = host.instantiate(&mut store, &loaded).unwrap();
        let call = |store: &mut _, text: &str| host::dynamic::call(&host, &loaded, store, &instance, text);
        assert_eq!(
            call(&mut store, "compute-hash([1, 2, 3, 4, 5])").unwrap(),
            vec![r#""74f81fe167d99b4cb41d6d0ccda82278caee9f3e2f25d5e5a3936ff3dcec60d0""#.to_string()]
        );
        assert_eq!(call(&mut store, "process-json([91, 32, 93])").unwrap(), vec!["ok([91, 93])".to_string()]);
        assert_eq!(
            call(&mut store, "process-json([])").unwrap(),
            vec![r#"err("unexpected end of JSON input")"#.to_string()]
        );
        let err = format!("{:#}", call(&mut store, "compute-hsh([1])").unwrap_err());
        assert!(err.contains("no function `compute-hsh` (it exports: compute-hash, process-json)"), "{err}");
        let err = format!("{:#}", call(&mut store, "compute-hash(\"text\")").unwrap_err());
        assert!(err.contains("arguments of `compute-hash` do not match its signature"), "{err}");
        // The instance still serves after bad calls.
        assert_eq!(call(&mut store, "compute-hash([])").unwrap().len(), 1);
    }

    /// 8 threads, one store and instance each, all from one `InstancePre` in a pooling allocator, make 10,000
    /// calls each with random inputs; every result matches the native SHA-256. The pool is then reused by
    /// many short-lived instances.
    #[test]
    fn many_threads_share_one_prepared_component_in_a_pool() {
        use sha2::{Digest, Sha256};
        const THREADS: u64 = 8;
        const CALLS: u64 = 10_000;
        let (root, component, _) = hasher_go126();
        let bytes = componentize::encode(&root, &component, &hasher_core_module()).unwrap();
        let host = Host::new(&HostConfig { pool: Some(THREADS as u32), ..HostConfig::default() }).unwrap();
        let pre = host::hasher::HasherPre::new(host.prepare(&host.load_bytes(&bytes).unwrap()).unwrap()).unwrap();
        let start = std::time::Instant::now();
        std::thread::scope(|scope| {
            for thread in 0..THREADS {
                let (host, pre) = (&host, &pre);
                scope.spawn(move || {
                    let mut store = host.store();
                    let hasher = pre.instantiate(&mut store).unwrap();
                    let noise = pseudo_random(64 * 1024, thread + 100);
                    for call in 0..CALLS {
                        let at = (call as usize * 7919) % noise.len();
                        let len = (noise[at] as usize * 16).min(noise.len() - at);
                        let data = &noise[at..at + len];
                        let want: String = Sha256::digest(data).iter().map(|b| format!("{b:02x}")).collect();
                        assert_eq!(
                            hasher.call_compute_hash(&mut store, data).unwrap(),
                            want,
                            "thread {thread} call {call}"
                        );
                    }
                });
            }
        });
        eprintln!("{} calls on {THREADS} threads in {:?}", THREADS * CALLS, start.elapsed());
        // Slots are returned and reused: far more instances than the pool holds, a few at a time.
        for _ in 0..(THREADS * 8) {
            let mut store = host.store();
            let hasher = pre.instantiate(&mut store).unwrap();
            assert_eq!(hasher.call_compute_hash(&mut store, b"").unwrap().len(), 64);
        }
    }

    /// Damaged or wrong inputs are rejected with a reason before anything runs.
    #[test]
    fn truncated_components_and_core_modules_are_rejected() {
        let (root, component, _) = hasher_go126();
        let core = hasher_core_module();
        let bytes = componentize::encode(&root, &component, &core).unwrap();
        let host = Host::new(&HostConfig::default()).unwrap();
        let err = format!("{:#}", host.load_bytes(&bytes[..bytes.len() / 2]).unwrap_err());
        assert!(err.contains("failed to compile the component"), "{err}");
        let err = format!("{:#}", host.load_bytes(&core).unwrap_err());
        assert!(err.contains("this is a core WebAssembly module, not a component"), "{err}");
        let err = format!("{:#}", host.load_bytes(b"\0asm garbage").unwrap_err());
        assert!(err.contains("not a WebAssembly component"), "{err}");
        // A store capped below what the component needs refuses to instantiate it, with the reason.
        let tight = Host::new(&HostConfig { max_instances: 2, ..HostConfig::default() }).unwrap();
        let loaded = tight.load_bytes(&bytes).unwrap();
        let err = format!("{:#}", tight.instantiate(&mut tight.store(), &loaded).unwrap_err());
        assert!(err.contains("instantiation failed") && err.contains("instance"), "{err}");
    }

    /// With the perfmap profiler, compiled guest functions are listed for `perf` under their Go names.
    #[test]
    fn perfmap_profiling_names_guest_functions() {
        let (root, component, _) = hasher_go126();
        let bytes = componentize::encode(&root, &component, &hasher_core_module()).unwrap();
        let host = Host::new(&HostConfig { profiler: host::Profiler::PerfMap, ..HostConfig::default() }).unwrap();
        host.load_bytes(&bytes).unwrap();
        let map = std::fs::read_to_string(format!("/tmp/perf-{}.map", std::process::id())).unwrap();
        assert!(map.lines().any(|l| l.contains("crypto_sha256")), "no Go function in the perf map");
    }

    /// The async API: tokio tasks, each with its own store and instance, make calls with `.await`; every result
    /// matches the native SHA-256, and dynamic calls work through `call_async` too.
    #[test]
    fn tokio_tasks_call_components_through_the_async_api() {
        use host::asynchronous::{AsyncHost, hasher::Hasher as AsyncHasher};
        use sha2::{Digest, Sha256};
        let (root, component, _) = hasher_go126();
        let bytes = componentize::encode(&root, &component, &hasher_core_module()).unwrap();
        let host = std::sync::Arc::new(AsyncHost::new(&HostConfig::default()).unwrap());
        let loaded = host.host().load_bytes(&bytes).unwrap();
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
        runtime.block_on(async {
            let mut tasks = Vec::new();
            for task in 0..8u64 {
                let (host, loaded) = (host.clone(), loaded.clone());
                tasks.push(tokio::spawn(async move {
                    let mut store = host.host().store();
                    let hasher = AsyncHasher::instantiate_async(&mut store, &loaded, host.linker()).await.unwrap();
                    let noise = pseudo_random(8192, task + 7);
                    for call in 0..500usize {
                        let data = &noise[..(call * 13) % noise.len()];
                        let want: String = Sha256::digest(data).iter().map(|b| format!("{b:02x}")).collect();
                        assert_eq!(hasher.call_compute_hash(&mut store, data).await.unwrap(), want);
                    }
                    let mut store = host.host().store();
                    let instance = host.instantiate(&mut store, &loaded).await.unwrap();
                    let func = instance.get_func(&mut store, "compute-hash").unwrap();
                    let mut results = vec![host::wasmtime::component::Val::Bool(false)];
                    let list = host::wasmtime::component::Val::List(vec![host::wasmtime::component::Val::U8(1)]);
                    func.call_async(&mut store, &[list], &mut results).await.unwrap();
                }));
            }
            for task in tasks {
                task.await.unwrap();
            }
        });
    }

    /// Cache hits load the precompiled artifact; truncated, corrupted or foreign artifacts are rejected,
    /// recompiled and replaced, and the component served is always a working one.
    #[test]
    fn precompiled_cache_hits_and_replaces_damaged_artifacts() {
        use host::CacheOutcome;
        let (root, component, _) = hasher_go126();
        let bytes = componentize::encode(&root, &component, &hasher_core_module()).unwrap();
        let dir = std::env::temp_dir().join(format!("xtask-cache-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("hasher.wasm");
        std::fs::write(&file, &bytes).unwrap();
        let cache = dir.join("cache");
        let host = Host::new(&HostConfig::default()).unwrap();
        let works = |loaded: &host::wasmtime::component::Component| {
            let mut store = host.store();
            let hasher = Hasher::instantiate(&mut store, loaded, host.linker()).unwrap();
            assert_eq!(hasher.call_compute_hash(&mut store, b"abc").unwrap().len(), 64);
        };
        let entry = host.cache_entry(&bytes, &cache);

        let (loaded, outcome) = host.load_cached(&file, &cache).unwrap();
        assert_eq!(outcome, CacheOutcome::Miss);
        works(&loaded);
        let (loaded, outcome) = host.load_cached(&file, &cache).unwrap();
        assert_eq!(outcome, CacheOutcome::Hit);
        works(&loaded);

        let good = std::fs::read(&entry).unwrap();
        let mut corrupted = good.clone();
        let middle = corrupted.len() / 2;
        corrupted[middle] ^= 0xff;
        let check = entry.with_extension("cwasm.check");
        let damages: [(&str, Vec<u8>, Option<String>); 3] = [
            ("checksum mismatch", corrupted, None),
            ("checksum mismatch", good[..good.len() / 3].to_vec(), None),
            (
                "wasmtime refused it",
                b"not an artifact".to_vec(),
                Some(format!("15 {:08x}", crc32fast::hash(b"not an artifact"))),
            ),
        ];
        for (reason, damaged, forged_check) in damages {
            std::fs::write(&entry, &damaged).unwrap();
            if let Some(forged) = forged_check {
                std::fs::write(&check, forged).unwrap();
            }
            let (loaded, outcome) = host.load_cached(&file, &cache).unwrap();
            assert!(matches!(&outcome, CacheOutcome::Rejected(r) if r.contains(reason)), "{outcome:?}");
            works(&loaded);
            assert_eq!(host.load_cached(&file, &cache).unwrap().1, CacheOutcome::Hit);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// The reason the hardening pass exists: without it, the Go GC runs inside `cabi_realloc`, calls the clock
    /// import and the instance traps within a few hundred 64 KiB calls. With it, the same stress passes.
    #[test]
    fn unhardened_component_traps_under_stress_and_hardened_one_survives() {
        let (root, component, _) = hasher_go126();
        let core = hasher_core_module();
        let host = Host::new(&HostConfig::default()).unwrap();

        let unhardened = componentize::encode_with(&root, &component, &core, false).unwrap();
        let loaded = host.load_bytes(&unhardened).unwrap();
        let mut store = host.store();
        let hasher = Hasher::instantiate(&mut store, &loaded, host.linker()).unwrap();
        let data = pseudo_random(64 * 1024, 1);
        let trap = (1..=2_000)
            .find_map(|call| hasher.call_compute_hash(&mut store, &data).err().map(|e| (call, format!("{e:?}"))));
        let (call, message) =
            trap.expect("the unhardened component survived 2,000 calls: is the stress still meaningful?");
        assert!(message.contains("cannot leave component instance"), "call #{call} failed differently: {message}");
        eprintln!("unhardened component trapped at call #{call} (64 KiB inputs)");

        let hardened = componentize::encode(&root, &component, &core).unwrap();
        let loaded = host.load_bytes(&hardened).unwrap();
        let mut store = host.store();
        let hasher = Hasher::instantiate(&mut store, &loaded, host.linker()).unwrap();
        hasher::run_stress(&hasher, &mut store, Stress { calls_64k: 4 * call.max(500), calls_1m: 20 }, "test").unwrap();
    }
}
