//! Calling components through the host's public API, on the fixture: typed calls through `bindgen!` bindings
//! and a prepared component, dynamic calls in WAVE text (parsing, printing, export lookup and its errors),
//! strings and lists in both directions, the async API, what loading refuses, and seeded guest randomness.

mod support;

use host::dynamic;
use host::wasmtime::component::Val;
use host::{Host, HostConfig, Sandbox};
use support::{default_host, failure, fixture, host_with, ok};

/// The fixture world's typed bindings (`Fixture`, `FixturePre`); its one import is served by the host's WASI.
mod bindings {
    wasmtime::component::bindgen!({
        world: "fixture",
        path: "tests/fixture/fixture.wit",
        with: { "wasi:random/random": wasmtime_wasi::p2::bindings::random::random },
    });
}

/// Typed calls on instances of one prepared component: numbers, a string and a list (large enough that the
/// guest's allocator must grow memory) round-trip, and each store's instance has state of its own.
#[test]
fn typed_calls_through_bindgen_on_a_prepared_component() {
    let (host, component) = default_host();
    let pre = bindings::FixturePre::new(host.prepare(&component).unwrap()).unwrap();
    let mut store = host.store();
    let fixture = pre.instantiate(&mut store).unwrap();

    assert_eq!(fixture.call_add(&mut store, 2, 3).unwrap(), 5);
    assert_eq!(fixture.call_add(&mut store, u32::MAX, 1).unwrap(), 0);
    assert_eq!(fixture.call_greet(&mut store, "wörld").unwrap(), "hello, wörld!");
    let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let reversed = fixture.call_reverse(&mut store, &data).unwrap();
    assert_eq!(reversed, data.iter().rev().copied().collect::<Vec<_>>());
    let memory = store.data().memory();
    assert!(memory.current() >= 2 * data.len(), "argument and result need memory: {memory:?}");
    assert_eq!(memory.peak(), memory.current(), "the fixture never shrinks memory: {memory:?}");

    assert_eq!(fixture.call_count(&mut store).unwrap(), 1);
    assert_eq!(fixture.call_count(&mut store).unwrap(), 2);
    let mut other_store = host.store();
    let other = pre.instantiate(&mut other_store).unwrap();
    assert_eq!(other.call_count(&mut other_store).unwrap(), 1, "a second instance shares no state with the first");
    assert_eq!(fixture.call_count(&mut store).unwrap(), 3);
}

/// Dynamic calls: arguments parsed from WAVE against the export's own types, results printed as WAVE.
#[test]
fn dynamic_calls_take_and_return_wave_text() {
    let (host, component) = default_host();
    let mut sandbox = Sandbox::new(&host, component);
    assert_eq!(ok(&mut sandbox, "add(40, 2)"), "42");
    assert_eq!(ok(&mut sandbox, r#"greet("wave \"text\"")"#), r#""hello, wave \"text\"!""#);
    assert_eq!(ok(&mut sandbox, "reverse([1, 2, 3])"), "[3, 2, 1]");
    assert_eq!(ok(&mut sandbox, "reverse([])"), "[]");
    assert_eq!(ok(&mut sandbox, "recurse(1000)"), "1000");
    assert_eq!(sandbox.instantiations(), 1, "one instance served every call");
}

/// A call parsed once and made many times on the same instance; its results are those of the last call.
#[test]
fn a_prepared_dynamic_call_can_be_made_repeatedly() {
    let (host, component) = default_host();
    let mut store = host.store();
    let instance = host.instantiate(&mut store, &component).unwrap();
    let mut count = dynamic::prepare(&host, &component, &mut store, &instance, "count()").unwrap();
    assert_eq!(count.export().to_string(), "count");
    for _ in 0..3 {
        count.call(&mut store).unwrap();
    }
    assert_eq!(count.results_as_wave().unwrap(), ["3"]);
    assert_eq!(dynamic::call(&host, &component, &mut store, &instance, "count()").unwrap(), ["4"]);
}

/// Every export is listed, in the world's order; a wrong name lists what exists, wrong arguments name the
/// export, and none of these errors reach the guest.
#[test]
fn exports_are_listed_and_bad_calls_are_explained() {
    let (host, component) = default_host();
    let names: Vec<String> = dynamic::exported_functions(&host, &component).iter().map(ToString::to_string).collect();
    assert_eq!(names, support::EXPORTS);
    assert_eq!(dynamic::resolve_export(&host, &component, "greet").unwrap().interface, None);

    let mut sandbox = Sandbox::new(&host, component);
    let unknown = failure(&mut sandbox, "shout(\"hi\")");
    assert!(unknown.contains("exports no function `shout` (it exports: add, greet, reverse,"), "{unknown}");
    let mismatch = failure(&mut sandbox, "add(\"two\", 3)");
    assert!(mismatch.contains("arguments of `add` do not match its signature"), "{mismatch}");
    let missing = failure(&mut sandbox, "add(1)");
    assert!(missing.contains("arguments of `add` do not match its signature"), "{missing}");
    let invalid = failure(&mut sandbox, "add(1, ");
    assert!(invalid.contains("invalid WAVE call `add(1, `"), "{invalid}");
    assert_eq!(ok(&mut sandbox, "count()"), "1");
}

/// Loading refuses what is not a component, naming the file: a core module, bytes that are not WebAssembly, a
/// truncated component, a file that does not exist.
#[test]
fn loading_refuses_what_is_not_a_component_and_names_the_file() {
    let dir = support::empty_dir("loading");
    let core = dir.join("core.wasm");
    std::fs::write(&core, wat::parse_str("(module (func (export \"f\")))").unwrap()).unwrap();
    let garbage = dir.join("garbage.wasm");
    std::fs::write(&garbage, b"\0asm but not really").unwrap();
    let truncated = dir.join("truncated.wasm");
    std::fs::write(&truncated, &fixture().bytes[..fixture().bytes.len() / 2]).unwrap();
    let (host, _) = default_host();
    let error = |path: &std::path::Path| format!("{:#}", host.load(path).expect_err("loading must fail"));

    let core_error = error(&core);
    assert!(core_error.contains(&core.display().to_string()), "{core_error}");
    assert!(core_error.contains("core WebAssembly module, not a component"), "{core_error}");
    let garbage_error = error(&garbage);
    assert!(garbage_error.contains("not a WebAssembly component (bad magic or version header)"), "{garbage_error}");
    let truncated_error = error(&truncated);
    assert!(
        truncated_error.contains(&format!("failed to load component {}", truncated.display())),
        "{truncated_error}"
    );
    assert!(truncated_error.contains("failed to compile the component"), "{truncated_error}");
    let missing = dir.join("missing.wasm");
    assert!(error(&missing).starts_with(&format!("failed to read {}", missing.display())));
    assert!(host.load(&fixture().path).is_ok());
}

/// `random_seed` makes the guest's `wasi:random` reproducible: the same seed gives every store (of any host)
/// the same sequence, another seed another one; without a seed, stores draw different values.
#[test]
fn a_random_seed_makes_guest_randomness_reproducible() {
    let draws = |host: &Host, component| {
        let mut sandbox = Sandbox::new(host, component);
        [ok(&mut sandbox, "random()"), ok(&mut sandbox, "random()")]
    };
    let seeded = |seed| {
        let (host, component) = host_with(HostConfig { random_seed: Some(seed), ..HostConfig::default() });
        (draws(&host, component.clone()), draws(&host, component))
    };
    let (first, again) = seeded(7);
    assert_eq!(first, again, "two stores of one seeded host");
    assert_ne!(first[0], first[1], "a sequence, not one value repeated");
    assert_eq!(seeded(7).0, first, "another host with the same seed");
    assert_ne!(seeded(8).0, first, "another seed");
    let (host, component) = default_host();
    assert_ne!(draws(&host, component.clone()), draws(&host, component), "unseeded stores");
}

/// The async API: an instance made with `AsyncHost` answers `call_async`, its WASI import is served by the
/// async linker, and the epoch deadline stops a runaway async call too.
#[test]
fn the_async_host_calls_with_call_async_and_keeps_the_deadline() {
    use host::asynchronous::AsyncHost;
    let config = HostConfig { call_timeout: Some(std::time::Duration::from_millis(200)), ..HostConfig::default() };
    let host = AsyncHost::new(&config).unwrap();
    let component = host.host().load_bytes(&fixture().bytes).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    runtime.block_on(async {
        let mut store = host.host().store();
        let instance = host.instantiate(&mut store, &component).await.unwrap();
        let call = async |store: &mut _, name: &str, params: &[Val]| {
            let func = instance.get_func(&mut *store, name).unwrap();
            let mut results = vec![Val::Bool(false); func.ty(&*store).results().len()];
            func.call_async(&mut *store, params, &mut results).await.map(|()| results)
        };
        let greeting = call(&mut store, "greet", &[Val::String("async".into())]).await.unwrap();
        assert_eq!(greeting, [Val::String("hello, async!".into())]);
        let random = call(&mut store, "random", &[]).await.unwrap();
        assert!(matches!(random.as_slice(), [Val::U64(_)]), "{random:?}");
        let spin = call(&mut store, "spin", &[]).await.unwrap_err();
        let explained = format!("{:#}", host::explain(&store, "call to `spin`", spin));
        assert!(explained.contains("call to `spin` failed: interrupted"), "{explained}");
    });
}

/// A component compiled by one host runs in another host of the same engine configuration without being
/// compiled again (different store limits and deadlines are not engine settings); a host whose engine differs
/// (fuel accounting) refuses it with an error that says why.
#[test]
fn a_compiled_component_moves_between_hosts_of_one_engine_configuration() {
    let (host, component) = default_host();
    let tight = Host::new(&HostConfig {
        max_memory_bytes: 64 << 20,
        call_timeout: Some(std::time::Duration::from_secs(1)),
        ..HostConfig::default()
    })
    .unwrap();
    let mut sandbox = Sandbox::new(&tight, tight.adopt(&component).unwrap());
    assert_eq!(ok(&mut sandbox, "add(40, 2)"), "42");
    let fuel = Host::new(&HostConfig { call_timeout: None, fuel_per_call: Some(1_000_000), ..HostConfig::default() });
    let err = format!("{:#}", fuel.unwrap().adopt(&component).unwrap_err());
    assert!(err.contains("compiled for an engine configured differently from this host's"), "{err}");
    drop(host);
}
