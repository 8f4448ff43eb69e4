//! The host on a real Go component (the hasher, built with the machine's Go): dynamic and typed calls, threads
//! and a pool, the async API, the precompiled cache, and the stress the checks run — the negative control of the
//! hardening pass, and a stress sized by the window.

use host::wasmtime::component::{Component, Func, Instance};
use host::wasmtime::{AsContextMut, Store};
use host::{Host, HostConfig};

use crate::model::{Sizing, Stress};
use crate::stages::componentize;
use crate::suite::{Phase, Stressor, Tally, Window, pseudo_random};
use crate::testing::{hasher_core_module, hasher_go126};
use crate::util::sha256_hex;

/// The hasher's `compute-hash: func(data: list<u8>) -> string` of one instance, called through its typed form.
struct ComputeHash(Func);

impl ComputeHash {
    fn of<T: 'static>(store: &mut Store<T>, instance: &Instance) -> Self {
        Self(instance.get_func(store, "compute-hash").expect("the hasher exports compute-hash"))
    }

    fn call(&self, mut store: impl AsContextMut, data: &[u8]) -> host::wasmtime::Result<String> {
        let typed = self.0.typed::<(&[u8],), (String,)>(&store)?;
        Ok(typed.call(&mut store, (data,))?.0)
    }
}

/// A stress of `compute-hash` on one instance: 64 KiB calls, then 1 MiB calls, each a phase sized by the window
/// (at least 100 and 10 calls, at most what `stress` says), every digest compared.
fn hash_stress(store: &mut Store<host::State>, instance: &Instance, stress: Stress) -> anyhow::Result<Tally> {
    let window = Window::of(store, instance)?;
    let hash = ComputeHash::of(store, instance);
    let mut stressor = Stressor::new(store, &window, stress.sizing)?;
    let phases = [
        ("compute-hash 64 KiB", 64 << 10, 100, stress.calls_64k),
        ("compute-hash 1 MiB", 1 << 20, 10, stress.calls_1m),
    ];
    for (what, len, least, most) in phases {
        let mut data = pseudo_random(len, len as u64);
        stressor.phase(store, what, Phase::sized(least, most), |store, call| {
            data[(call * 7919) % len] ^= 0x5a;
            let got = hash.call(&mut *store, &data).map_err(anyhow::Error::from)?;
            anyhow::ensure!(got == sha256_hex(&data), "{what}: call #{} returned {got}", call + 1);
            Ok(())
        })?;
    }
    Ok(stressor.finish())
}

/// The hasher component built and componentized for the machine's Go, loaded in a host.
fn loaded_hasher() -> (Host, Component) {
    let (root, component, _) = hasher_go126();
    let core = hasher_core_module();
    let host = Host::new(&HostConfig::default()).unwrap();
    let loaded = host.load_bytes(&componentize::encode(&root, &component, &core).unwrap()).unwrap();
    (host, loaded)
}

#[test]
#[ignore = "slow tier: builds components with Go (`cargo xtask test` runs it)"]
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
#[ignore = "slow tier: builds components with Go (`cargo xtask test` runs it)"]
fn many_threads_share_one_prepared_component_in_a_pool() {
    use sha2::{Digest, Sha256};
    const THREADS: u64 = 8;
    const CALLS: u64 = 10_000;
    let (root, component, _) = hasher_go126();
    let bytes = componentize::encode(&root, &component, &hasher_core_module()).unwrap();
    let host = Host::new(&HostConfig { pool: Some(THREADS as u32), ..HostConfig::default() }).unwrap();
    let pre = host.prepare(&host.load_bytes(&bytes).unwrap()).unwrap();
    let start = std::time::Instant::now();
    std::thread::scope(|scope| {
        for thread in 0..THREADS {
            let (host, pre) = (&host, &pre);
            scope.spawn(move || {
                let mut store = host.store();
                let instance = pre.instantiate(&mut store).unwrap();
                let hasher = ComputeHash::of(&mut store, &instance);
                let noise = pseudo_random(64 * 1024, thread + 100);
                for call in 0..CALLS {
                    let at = (call as usize * 7919) % noise.len();
                    let len = (noise[at] as usize * 16).min(noise.len() - at);
                    let data = &noise[at..at + len];
                    let want: String = Sha256::digest(data).iter().map(|b| format!("{b:02x}")).collect();
                    assert_eq!(hasher.call(&mut store, data).unwrap(), want, "thread {thread} call {call}");
                }
            });
        }
    });
    eprintln!("{} calls on {THREADS} threads in {:?}", THREADS * CALLS, start.elapsed());
    // Slots are returned and reused: far more instances than the pool holds, a few at a time.
    for _ in 0..(THREADS * 8) {
        let mut store = host.store();
        let instance = pre.instantiate(&mut store).unwrap();
        assert_eq!(ComputeHash::of(&mut store, &instance).call(&mut store, b"").unwrap().len(), 64);
    }
}

/// Damaged or wrong inputs are rejected with a reason before anything runs.
#[test]
#[ignore = "slow tier: builds components with Go (`cargo xtask test` runs it)"]
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
#[ignore = "slow tier: builds components with Go (`cargo xtask test` runs it)"]
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
#[ignore = "slow tier: builds components with Go (`cargo xtask test` runs it)"]
fn tokio_tasks_call_components_through_the_async_api() {
    use host::asynchronous::AsyncHost;
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
                let instance = host.instantiate(&mut store, &loaded).await.unwrap();
                let hasher = instance.get_typed_func::<(&[u8],), (String,)>(&mut store, "compute-hash").unwrap();
                let noise = pseudo_random(8192, task + 7);
                for call in 0..500usize {
                    let data = &noise[..(call * 13) % noise.len()];
                    let want: String = Sha256::digest(data).iter().map(|b| format!("{b:02x}")).collect();
                    assert_eq!(hasher.call_async(&mut store, (data,)).await.unwrap().0, want);
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
#[ignore = "slow tier: builds components with Go (`cargo xtask test` runs it)"]
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
        let instance = host.instantiate(&mut store, loaded).unwrap();
        assert_eq!(ComputeHash::of(&mut store, &instance).call(&mut store, b"abc").unwrap().len(), 64);
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
#[ignore = "slow tier: builds components with Go (`cargo xtask test` runs it)"]
fn unhardened_component_traps_under_stress_and_hardened_one_survives() {
    let (root, component, _) = hasher_go126();
    let core = hasher_core_module();
    let host = Host::new(&HostConfig::default()).unwrap();

    let unhardened = componentize::encode_module(&root, &component, core.clone(), false).unwrap();
    let loaded = host.load_bytes(&unhardened).unwrap();
    let mut store = host.store();
    let instance = host.instantiate(&mut store, &loaded).unwrap();
    let hasher = ComputeHash::of(&mut store, &instance);
    let data = pseudo_random(64 * 1024, 1);
    let trap = (1..=2_000).find_map(|call| hasher.call(&mut store, &data).err().map(|e| (call, format!("{e:?}"))));
    let (call, message) = trap.expect("the unhardened component survived 2,000 calls: is the stress still meaningful?");
    assert!(message.contains("cannot leave component instance"), "call #{call} failed differently: {message}");
    eprintln!("unhardened component trapped at call #{call} (64 KiB inputs)");

    let hardened = componentize::encode(&root, &component, &core).unwrap();
    let loaded = host.load_bytes(&hardened).unwrap();
    let mut store = host.store();
    let instance = host.linker().instantiate(&mut store, &loaded).unwrap();
    let tally = hash_stress(&mut store, &instance, Stress::fixed(4 * call.max(500), 20)).unwrap();
    // Where the unhardened component trapped, the hardened one's window answered instead, many times over.
    assert!(tally.total() > 0);
}

/// A stress sized by the window ends a phase once the window answered its floor, and fails a phase whose most
/// calls did not get there ("not stressed"): the count is the evidence, not the number of calls.
#[test]
#[ignore = "slow tier: builds components with Go (`cargo xtask test` runs it)"]
fn a_stress_phase_is_sized_by_the_window_and_fails_under_its_floor() {
    let (root, component, _) = hasher_go126();
    let hardened = componentize::encode(&root, &component, &hasher_core_module()).unwrap();
    let host = Host::new(&HostConfig::default()).unwrap();
    let loaded = host.load_bytes(&hardened).unwrap();
    let stress = |floor, calls_64k| Stress { sizing: Sizing::Window { floor }, calls_64k, calls_1m: 200 };
    let run = |stress| {
        let mut store = host.store();
        let instance = host.linker().instantiate(&mut store, &loaded).unwrap();
        hash_stress(&mut store, &instance, stress)
    };
    // The stress has the collector run inside `cabi_realloc` every MiB lowered (collect-in-realloc), so the
    // window answers a floor of 200 within each phase's least calls (several answers a call with 64 KiB, dozens
    // with 1 MiB), where on its own it answers a call in ten or fewer.
    let tally = run(stress(200, 10_000)).unwrap();
    let (small, large) = (&tally.phases[0], &tally.phases[1]);
    assert!(small.answered >= 200 && small.calls == 100, "{tally:?}");
    assert!(large.answered >= 200 && large.calls == 10, "{tally:?}");
    // 100 calls of 64 KiB (the phase's least) answer far fewer than a million.
    let err = format!("{:#}", run(stress(1_000_000, 100)).unwrap_err());
    assert!(err.contains("not stressed: compute-hash 64 KiB") && err.contains("under the floor of 1000000"), "{err}");
}
