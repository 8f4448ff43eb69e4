//! The check stage: runs one component in the real wasmtime host — the typed suite of its world (from the
//! `suites` registry: every export called with test vectors and compared with a native Rust reference, then a
//! stress of many large calls on one instance, where the GC-inside-`cabi_realloc` trap shows up), then the
//! declarative cases of its checks.toml; a world with neither is instantiated. It reads a component file and
//! writes nothing; the scheduler records the verdict.

mod declarative;

pub use declarative::{FILE as DECLARATIVE_FILE, probe_call};

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use host::{Host, HostConfig};

use crate::model::{Component, Stress, Variant};
use crate::status;
use crate::suites::{self, Subject, Verdict};

/// The guest's randomness in every check (`HostConfig::random_seed`). TinyGo's collector scans the stack and
/// globals conservatively, so which dead objects it keeps — and whether its heap doubles — depends on where the
/// guest's allocations land, which its random map seeds decide; with the seed fixed, one artifact behaves the
/// same way on every run and a check's verdict is a property of the bytes, not of luck. `check --repeat N`
/// measures the spread over other seeds (ARCHITECTURE.md, "TinyGo's GC under the stress").
pub const CHECK_SEED: u64 = 0x60_7A_53;

/// How much compiled code the checks' host keeps for the next variant (`HostConfig::compile_cache`): a few
/// components' worth (a big-Go component is about 30,000 functions).
pub const COMPILE_CACHE_BYTES: usize = 1 << 30;

/// The host configuration every check runs in: the defaults, with the guest's randomness seeded by `seed`, and
/// compiling through a function-level cache, since a variant shares most of its functions with the variants
/// checked before it (the code wasmtime runs is the same as without the cache).
///
/// With `GOWASM_PERFMAP=1` in the environment the checks' guest code is named for `perf`
/// (`HostConfig::profiler`: `/tmp/perf-<pid>.map`), for `perf record -- cargo xtask check …`.
pub fn check_config(seed: Option<u64>) -> HostConfig {
    let perfmap = std::env::var_os("GOWASM_PERFMAP").is_some_and(|v| v == "1");
    HostConfig {
        random_seed: seed,
        compile_cache: Some(host::CompileCache::new(COMPILE_CACHE_BYTES)),
        profiler: if perfmap { host::Profiler::PerfMap } else { host::Profiler::None },
        ..HostConfig::default()
    }
}

/// Loads one component file and runs its suites: the typed one chosen by world, then the declarative cases of
/// the component's checks.toml (under `component_root`); `stressed_as` names the artifact of the same program
/// whose stress passed, to skip the stress (`Subject::stressed_as`). The error names the component, the variant
/// and what failed.
pub fn check_component(
    host: &Host,
    component_root: &Path,
    path: &Path,
    component: &Component,
    variant: &Variant,
    stress: Stress,
    stressed_as: Option<&str>,
) -> Result<Verdict> {
    let start = Instant::now();
    let label = format!("{} {}", component.name, variant.name());
    status::step("Checking", &label);
    let what = || format!("check failed for {label} ({})", path.display());
    let stress = stress.for_variant(variant);
    let subject = Subject { host, path, label: &label, variant, stress, compiled: Default::default(), stressed_as };
    let verdict = match suites::for_component(component) {
        Some(suite) => (suite.run)(&subject).with_context(what)?,
        None => Verdict::default(),
    };
    let typed = suites::for_component(component).is_some();
    let dir = component_root.join(&component.dir);
    let cases = declarative::run(host, &dir, &|| subject.component(), &label, !typed).with_context(what)?;
    if !typed && cases == 0 {
        status::warn(format!(
            "{}: no typed suite for world `{}` and no cases in {}: only instantiation was checked",
            component.name,
            component.world,
            declarative::FILE
        ));
    }
    status::step("Checked", format!("{label} in {}", status::elapsed(start.elapsed())));
    Ok(verdict)
}

/// `check --repeat`: run each check several times, ignoring the stamps of earlier passes.
#[derive(Debug, Clone, Copy)]
pub struct Repeat {
    pub runs: usize,
    /// The guest's randomness from the system's entropy instead of the seeds 1..=runs.
    pub entropy: bool,
}

/// Runs one component's check `repeat.runs` times, each in a host of its own (seed `run`, or entropy), goes on
/// after a failure, and prints the distribution of the stress's memory peak; fails if any run failed.
pub fn check_repeatedly(
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
        match check_component(&host, component_root, path, component, variant, stress, None) {
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

#[cfg(test)]
mod tests {
    use host::HostConfig;
    use host::hasher::Hasher;

    use super::*;
    use crate::componentize;
    use crate::suites::{hasher, pseudo_random};
    use crate::testing::{hasher_core_module, hasher_go126};

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
        let exports = "it exports: compute-hash, process-json, gowasm:harden/window@0.1.0#guarded-calls, \
                       gowasm:harden/stress@0.1.0#collect-in-realloc";
        assert!(err.contains(&format!("no function `compute-hsh` ({exports})")), "{err}");
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
        use host::asynchronous::AsyncHost;
        use host::hasher::asynchronous::Hasher as AsyncHasher;
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

        let unhardened = componentize::encode_module(&root, &component, core.clone(), false).unwrap();
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
        let instance = host.linker().instantiate(&mut store, &loaded).unwrap();
        let hasher = Hasher::new(&mut store, &instance).unwrap();
        let window = crate::suites::Window::of(&mut store, &instance).unwrap();
        let stress = Stress::fixed(4 * call.max(500), 20);
        let verdict = hasher::run_stress(&hasher, &window, &mut store, stress, "test").unwrap();
        // Where the unhardened component trapped, the hardened one's window answered instead, many times over.
        assert!(verdict.window.unwrap().total() > 0);
    }

    /// A stress sized by the window ends a phase once the window answered its floor, and fails a phase whose most
    /// calls did not get there ("not stressed"): the count is the evidence, not the number of calls.
    #[test]
    fn a_stress_phase_is_sized_by_the_window_and_fails_under_its_floor() {
        let (root, component, _) = hasher_go126();
        let hardened = componentize::encode(&root, &component, &hasher_core_module()).unwrap();
        let host = Host::new(&HostConfig::default()).unwrap();
        let loaded = host.load_bytes(&hardened).unwrap();
        let stress =
            |floor, calls_64k| Stress { sizing: crate::model::Sizing::Window { floor }, calls_64k, calls_1m: 200 };
        let run = |stress| {
            let mut store = host.store();
            let instance = host.linker().instantiate(&mut store, &loaded).unwrap();
            let hasher = Hasher::new(&mut store, &instance).unwrap();
            let window = crate::suites::Window::of(&mut store, &instance).unwrap();
            hasher::run_stress(&hasher, &window, &mut store, stress, "test")
        };
        // The stress has the collector run inside `cabi_realloc` every MiB lowered (collect-in-realloc), so the
        // window answers a floor of 200 within each phase's least calls (this module, with its small heap:
        // about 5 answers a call with 64 KiB, 90 with 1 MiB); on its own, by luck, the window answered about 8
        // in 100 calls with 64 KiB.
        let tally = run(stress(200, 10_000)).unwrap().window.unwrap();
        let (small, large) = (&tally.phases[0], &tally.phases[1]);
        assert!(small.answered >= 200 && small.calls == 100, "{tally:?}");
        assert!(large.answered >= 200 && large.calls == 10, "{tally:?}");
        // 100 calls of 64 KiB (the phase's least) answer far fewer than a million.
        let err = format!("{:#}", run(stress(1_000_000, 100)).unwrap_err());
        assert!(
            err.contains("not stressed: compute-hash 64 KiB") && err.contains("under the floor of 1000000"),
            "{err}"
        );
    }
}
