//! The precompiled cache, on the fixture: the first load compiles and stores an artifact, the next one loads it;
//! an artifact that was damaged, lost its checksum or belongs to another engine configuration is detected,
//! recompiled and replaced, never run; and engines that compile differently never share an artifact. Then the
//! in-memory compilation cache of functions.

mod support;

use std::path::Path;

use host::{CacheOutcome, Host, HostConfig, Sandbox};
use support::fixture;

/// Loads the fixture through the cache in `dir`, checks that what was loaded works, and says how it was loaded.
fn load(host: &Host, dir: &Path) -> CacheOutcome {
    let (component, outcome) = host.load_cached(&fixture().path, dir).expect("load through the cache");
    let results = Sandbox::new(host, component).call("add(2, 3)").expect("call the loaded component");
    assert_eq!(results, ["5"], "the component loaded with outcome {outcome:?} works");
    outcome
}

fn new_host(config: HostConfig) -> Host {
    Host::new(&config).expect("create the host")
}

/// The path of a cache entry's checksum file.
fn check_file(entry: &Path) -> std::path::PathBuf {
    entry.with_extension("cwasm.check")
}

/// A kind of damage: its name, how to do it to an entry, and the reason the rejection must give.
type Damage<'a> = (&'static str, &'a dyn Fn(&Path), &'static str);

/// A miss compiles and stores an artifact with its checksum; every later load, by any host of the same
/// configuration, is a hit.
#[test]
fn the_first_load_compiles_and_the_next_loads_the_artifact() {
    let dir = support::empty_dir("cache-hit");
    let host = new_host(HostConfig::default());
    let entry = host.cache_entry(&fixture().bytes, &dir);
    assert_eq!(load(&host, &dir), CacheOutcome::Miss);
    assert!(entry.is_file() && check_file(&entry).is_file(), "{} and its check file", entry.display());
    assert_eq!(load(&host, &dir), CacheOutcome::Hit);
    assert_eq!(load(&new_host(HostConfig::default()), &dir), CacheOutcome::Hit, "another host, same configuration");
}

/// Each kind of damage is rejected with its reason, the component is recompiled (and works), and the entry is
/// replaced: the load after it is a hit again.
#[test]
fn a_damaged_entry_is_detected_recompiled_and_replaced() {
    let dir = support::empty_dir("cache-damage");
    let host = new_host(HostConfig::default());
    let entry = host.cache_entry(&fixture().bytes, &dir);
    // A valid artifact, with a valid checksum, of an engine that compiles differently (fuel accounting).
    let foreign_dir = support::empty_dir("cache-damage-foreign");
    let foreign = new_host(HostConfig { fuel_per_call: Some(1 << 20), ..HostConfig::default() });
    assert_eq!(load(&foreign, &foreign_dir), CacheOutcome::Miss);
    let foreign_entry = foreign.cache_entry(&fixture().bytes, &foreign_dir);

    let flip_a_byte = |entry: &Path| {
        let mut bytes = std::fs::read(entry).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0x40;
        std::fs::write(entry, bytes).unwrap();
    };
    let truncate = |entry: &Path| {
        let bytes = std::fs::read(entry).unwrap();
        std::fs::write(entry, &bytes[..bytes.len() - 100]).unwrap();
    };
    let lose_the_checksum = |entry: &Path| std::fs::remove_file(check_file(entry)).unwrap();
    let replace_with_the_foreign_artifact = |entry: &Path| {
        std::fs::copy(&foreign_entry, entry).unwrap();
        std::fs::copy(check_file(&foreign_entry), check_file(entry)).unwrap();
    };
    let cases: [Damage; 4] = [
        ("a flipped byte", &flip_a_byte, "checksum mismatch"),
        ("truncation", &truncate, "checksum mismatch"),
        ("a lost checksum file", &lose_the_checksum, "its checksum file is missing"),
        ("another engine's artifact", &replace_with_the_foreign_artifact, "wasmtime refused it"),
    ];

    assert_eq!(load(&host, &dir), CacheOutcome::Miss);
    for (damage, apply, reason) in cases {
        apply(&entry);
        match load(&host, &dir) {
            CacheOutcome::Rejected(why) => assert!(why.contains(reason), "{damage}: rejected because {why}"),
            other => panic!("{damage}: the damaged entry was not rejected ({other:?})"),
        }
        assert_eq!(load(&host, &dir), CacheOutcome::Hit, "{damage}: the entry was replaced");
    }
}

/// The entry's name carries the engine's compatibility hash: an engine with fuel accounting compiles the
/// fixture itself instead of loading an uninstrumented artifact, and its copy really counts fuel.
#[test]
fn engines_that_compile_differently_do_not_share_an_artifact() {
    let dir = support::empty_dir("cache-engines");
    let plain = new_host(HostConfig::default());
    let config = HostConfig { fuel_per_call: Some(100_000), call_timeout: None, ..HostConfig::default() };
    let fueled = new_host(config);
    assert_ne!(plain.cache_entry(&fixture().bytes, &dir), fueled.cache_entry(&fixture().bytes, &dir));
    assert_eq!(load(&plain, &dir), CacheOutcome::Miss);
    assert_eq!(load(&fueled, &dir), CacheOutcome::Miss);
    assert_eq!(load(&fueled, &dir), CacheOutcome::Hit);
    let (component, _) = fueled.load_cached(&fixture().path, &dir).unwrap();
    let error = Sandbox::new(&fueled, component).call("spin()").unwrap_err();
    assert!(format!("{error:#}").contains("out of fuel"), "{error:#}");
}

/// The function-level compilation cache (`HostConfig::compile_cache`): the first compile of the fixture fills
/// it, a second compile in the same host finds (nearly) every function it looks up, and both work; a cache too small for
/// one function holds nothing and changes nothing. Nothing reaches the disk.
#[test]
fn a_second_compile_reuses_every_function_from_the_compile_cache() {
    let cache = host::CompileCache::new(64 << 20);
    let host = new_host(HostConfig { compile_cache: Some(cache.clone()), ..HostConfig::default() });
    let first = host.load_bytes(&fixture().bytes).expect("compile the fixture");
    let filled = cache.stats();
    // The first compile may already find a function it compiled a moment before (the same trampoline twice).
    let lookups = filled.hits + filled.misses;
    assert!(filled.misses > 0 && filled.entries > 0 && filled.bytes > 0, "{filled:?}");
    assert!(filled.entries as u64 <= filled.misses, "{filled:?}");
    let second = host.load_bytes(&fixture().bytes).expect("compile the fixture again");
    let reused = cache.stats();
    // Seen: 36 of 37 lookups found (one trampoline's key differs from compile to compile), so the bound is loose.
    let found = reused.hits - filled.hits;
    assert!(found * 10 >= lookups * 8, "most functions were found the second time: {filled:?} then {reused:?}");
    for component in [first, second] {
        assert_eq!(Sandbox::new(&host, component).call("add(2, 3)").expect("call"), ["5"]);
    }

    let tiny = host::CompileCache::new(16);
    let host = new_host(HostConfig { compile_cache: Some(tiny.clone()), ..HostConfig::default() });
    let component = host.load_bytes(&fixture().bytes).expect("compile with a cache too small for anything");
    assert_eq!(Sandbox::new(&host, component).call("add(2, 3)").expect("call"), ["5"]);
    let stats = tiny.stats();
    assert_eq!((stats.hits, stats.entries, stats.bytes), (0, 0, 0), "{stats:?}");
}

/// Once an entry and its component have settled ([`host::SETTLE`]), a hit records their file-system fingerprints
/// and the next hit trusts them instead of hashing the component and checksumming the artifact; any change to
/// either file — damage in place of the same size, another component copied over the path — is still seen:
/// the damaged artifact is rejected, the other component gets its own entry.
#[test]
fn a_settled_entry_is_trusted_by_its_fingerprint_and_any_change_is_still_seen() {
    let dir = support::empty_dir("cache-fingerprint");
    let cache = dir.join("cache");
    let component = dir.join("component.wasm");
    std::fs::write(&component, &fixture().bytes).unwrap();
    let host = new_host(HostConfig::default());
    let entry = host.cache_entry(&fixture().bytes, &cache);
    let load = |host: &Host| {
        let (loaded, outcome) = host.load_cached(&component, &cache).expect("load through the cache");
        assert_eq!(Sandbox::new(host, loaded).call("add(2, 3)").expect("call"), ["5"], "{outcome:?}");
        outcome
    };
    let fields = |path: &Path| std::fs::read_to_string(path).unwrap().split_whitespace().count();
    let inode = |path: &Path| std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(path).unwrap());

    assert_eq!(load(&host), CacheOutcome::Miss);
    assert_eq!(fields(&check_file(&entry)), 2, "a fresh entry records its checksum only");
    std::thread::sleep(host::SETTLE + std::time::Duration::from_millis(100));
    assert_eq!(load(&host), CacheOutcome::Hit);
    assert_eq!(fields(&check_file(&entry)), 7, "a settled entry, verified whole, records its fingerprint");
    let sources: Vec<_> = std::fs::read_dir(cache.join("sources")).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(sources.len(), 1, "{sources:?}");
    assert_eq!(fields(&sources[0]), 6, "the component's fingerprint and digest");
    let (check_inode, source_inode) = (inode(&check_file(&entry)), inode(&sources[0]));
    assert_eq!(load(&new_host(HostConfig::default())), CacheOutcome::Hit);
    assert_eq!(
        (inode(&check_file(&entry)), inode(&sources[0])),
        (check_inode, source_inode),
        "a trusted hit rewrites neither record"
    );

    // The same size, one byte different, written in place: the fingerprint no longer matches, the whole
    // artifact is checked again and rejected.
    let mut bytes = std::fs::read(&entry).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x40;
    std::fs::write(&entry, &bytes).unwrap();
    match load(&host) {
        CacheOutcome::Rejected(why) => assert!(why.contains("checksum mismatch"), "rejected because {why}"),
        other => panic!("the artifact damaged in place was not rejected ({other:?})"),
    }
    assert_eq!(load(&host), CacheOutcome::Hit, "the entry was replaced");

    // Another component at the same path is hashed again and gets its own entry; the first one's is still found.
    std::fs::write(&component, &support::caller().bytes).unwrap();
    let (_, outcome) = host.load_cached(&component, &cache).expect("load the other component");
    assert_eq!(outcome, CacheOutcome::Miss);
    assert!(host.cache_entry(&support::caller().bytes, &cache).is_file());
    std::fs::write(&component, &fixture().bytes).unwrap();
    assert_eq!(load(&host), CacheOutcome::Hit);
}
