//! Components that import functions of their embedder, on the `caller` fixture (its exports pass straight
//! through to the imports `host:caller/kv` and `now`): typed imports through `bindgen!` host traits on a
//! `Host<KvData>`, values both ways including large ones, the store's data as the imports leave it; one link
//! error naming every import the host lacks (and never a WASI one it has in a newer release); a host function
//! that fails versus a WIT-level `err`; and `Sandbox::with_data` giving every new instance data of its own.

mod support;

use std::cell::Cell;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use host::wasmtime::component::{HasSelf, Linker};
use host::wasmtime::{StoreContextMut, format_err};
use host::{Host, HostConfig, Sandbox, State};
use support::{caller, failure, ok};

/// The `caller` world's typed bindings (`Caller`, `CallerPre`, the host traits of `kv` and `now`). Every import
/// is trappable: a host function returns `wasmtime::Result`, and its `Err` fails the guest's call.
mod bindings {
    wasmtime::component::bindgen!({
        world: "caller",
        path: "tests/fixture/caller.wit",
        with: { "wasi:random/random": wasmtime_wasi::p2::bindings::random::random },
        imports: { default: trappable },
    });
}

/// The name the component imports `kv` under.
const KV: &str = "host:caller/kv@0.1.0";

/// The embedder's per-store data: what the `kv` and `now` imports serve and record.
#[derive(Default)]
struct KvData {
    entries: BTreeMap<String, Vec<u8>>,
    log: Vec<String>,
    clock: u64,
    /// A key whose `get` fails in the host (a lost backend: the host function returns `Err`, not a WIT value).
    broken: Option<String>,
    /// How many `get`s the host served.
    gets: usize,
}

impl KvData {
    /// Data whose `get` of `key` fails in the host.
    fn broken_at(key: &str) -> Self {
        Self { broken: Some(key.to_string()), ..Self::default() }
    }
}

impl bindings::host::caller::kv::Host for KvData {
    fn get(&mut self, key: String) -> wasmtime::Result<Option<String>> {
        self.gets += 1;
        if self.broken.as_deref() == Some(key.as_str()) {
            return Err(format_err!("the kv backend lost its connection while reading `{key}`"));
        }
        Ok(self.entries.get(&key).map(|value| String::from_utf8_lossy(value).into_owned()))
    }

    fn put(&mut self, key: String, value: Vec<u8>) -> wasmtime::Result<Result<(), String>> {
        if key.is_empty() {
            return Ok(Err(format!("refused {} bytes: the key is empty", value.len())));
        }
        self.entries.insert(key, value);
        Ok(Ok(()))
    }

    fn log(&mut self, line: String) -> wasmtime::Result<()> {
        self.log.push(line);
        Ok(())
    }
}

impl bindings::CallerImports for KvData {
    fn now(&mut self) -> wasmtime::Result<u64> {
        Ok(self.clock)
    }
}

/// A host whose stores carry `KvData`, with `kv` and `now` added through the typed bindings, and the `caller`
/// fixture compiled for it.
fn kv_host() -> (Host<KvData>, host::wasmtime::component::Component) {
    let mut host = Host::<KvData>::with_data(&HostConfig::default()).expect("create the host");
    bindings::host::caller::kv::add_to_linker::<_, HasSelf<_>>(host.linker_mut(), State::data_mut).expect("add kv");
    bindings::Caller::add_to_linker_imports::<_, HasSelf<_>>(host.linker_mut(), State::data_mut).expect("add now");
    let component = host.load_bytes(&caller().bytes).expect("load the caller fixture");
    (host, component)
}

/// Typed calls whose exports call the host's imports: a value the host returns comes back through the export
/// (a 1 MiB one too, which the host places in guest memory through the guest's `cabi_realloc`, growing it), and
/// what the guest stores, logs and reads is in, or comes from, the data of its own store.
#[test]
fn typed_imports_serve_the_guest_from_the_stores_data() {
    let (host, component) = kv_host();
    let pre = bindings::CallerPre::new(host.prepare(&component).unwrap()).unwrap();
    let mut data = KvData { clock: 1_700_000_000_123, ..KvData::default() };
    data.entries.insert("greeting".into(), "grüß dich".into());
    let large: String = (0..1 << 20).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
    data.entries.insert("large".into(), large.clone().into_bytes());
    let mut store = host.store_with(data);
    let caller = pre.instantiate(&mut store).unwrap();

    assert_eq!(caller.call_lookup(&mut store, "greeting").unwrap().as_deref(), Some("grüß dich"));
    assert_eq!(caller.call_lookup(&mut store, "nothing").unwrap(), None);
    let before = store.data().memory().current();
    let got = caller.call_lookup(&mut store, "large").unwrap().expect("the large value is stored");
    assert!(got == large, "the 1 MiB value came back altered ({} bytes)", got.len());
    let memory = store.data().memory();
    assert!(memory.current() >= before + large.len(), "the host placed 1 MiB in guest memory: {memory:?}");
    assert_eq!(caller.call_stamp(&mut store).unwrap(), 1_700_000_000_123);

    let value: Vec<u8> = (0..1 << 20).map(|i| (i % 251) as u8).collect();
    assert_eq!(caller.call_store(&mut store, "blob", &value).unwrap(), Ok(()));
    assert_eq!(caller.call_store(&mut store, "word", b"hi").unwrap(), Ok(()));
    caller.call_note(&mut store, "first line").unwrap();
    caller.call_note(&mut store, "zweite Zeile").unwrap();
    assert_eq!(caller.call_lookup(&mut store, "word").unwrap().as_deref(), Some("hi"), "read back what it stored");

    let kv = store.data().data();
    assert!(kv.entries["blob"] == value, "the 1 MiB list reached the host intact");
    assert_eq!(kv.entries["word"], b"hi");
    assert_eq!(kv.entries.len(), 4);
    assert_eq!(kv.log, ["first line", "zweite Zeile"]);
    assert_eq!(kv.gets, 4);

    let mut other_store = host.store();
    let other = pre.instantiate(&mut other_store).unwrap();
    assert_eq!(other.call_lookup(&mut other_store, "word").unwrap(), None, "another store has data of its own");
    assert_eq!(other.call_stamp(&mut other_store).unwrap(), 0);
    assert!(other_store.data().data().entries.is_empty());
    assert_eq!(store.data().data().entries.len(), 4);
}

/// The per-call deadline and fuel bound the whole call. While a call runs, the host enters the guest again
/// each time it lowers an import's string (`cabi_realloc`); those entries must not re-arm the budget, or a guest
/// that only waits on its embedder would never be stopped. `poll` calls `kv.get` for ever, each answer lowered.
#[test]
fn a_guest_looping_on_an_import_is_stopped_by_the_call_deadline_and_fuel() {
    for (config, expected) in [
        (HostConfig { call_timeout: Some(Duration::from_millis(200)), ..HostConfig::default() }, "interrupt"),
        (HostConfig { call_timeout: None, fuel_per_call: Some(1_000_000), ..HostConfig::default() }, "fuel"),
    ] {
        let mut host = Host::<KvData>::with_data(&config).expect("create the host");
        bindings::host::caller::kv::add_to_linker::<_, HasSelf<_>>(host.linker_mut(), State::data_mut).unwrap();
        bindings::Caller::add_to_linker_imports::<_, HasSelf<_>>(host.linker_mut(), State::data_mut).unwrap();
        let component = host.load_bytes(&caller().bytes).expect("load the caller fixture");
        let pre = bindings::CallerPre::new(host.prepare(&component).unwrap()).unwrap();
        // The guest runs on a thread of its own, so that a budget re-armed for ever fails the test, not hangs it.
        let (done, outcome) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut data = KvData::default();
            data.entries.insert("k".into(), "an answer the host lowers into the guest".into());
            let mut store = host.store_with(data);
            let caller = pre.instantiate(&mut store).unwrap();
            let started = Instant::now();
            let result = caller.call_poll(&mut store, "k").map_err(|e| format!("{e:?}"));
            let _ = done.send((result, store.data().data().gets, started.elapsed()));
        });
        let (result, gets, took) = outcome.recv_timeout(Duration::from_secs(60)).unwrap_or_else(|_| {
            panic!("`poll` ran for a minute: the host's entries into the guest re-armed its budget ({expected})")
        });
        let error = result.expect_err("`poll` never returns");
        assert!(error.contains(expected), "stopped for another reason than {expected}: {error}");
        assert!(gets > 1, "the guest was stopped before it looped: {gets} gets in {took:?}");
    }
}

/// Defines each of `functions` in `interface` (the root for `None`) of `linker` as a stub that is never called.
fn stub<T: 'static>(linker: &mut Linker<T>, interface: Option<&str>, functions: &[&str]) {
    let mut scope = match interface {
        Some(name) => linker.instance(name).unwrap(),
        None => linker.root(),
    };
    for function in functions {
        scope.func_new(function, |_, _, _, _| Err(format_err!("a stub"))).unwrap();
    }
}

/// The link error of `host` for `component`: from `prepare` and, identically, from `instantiate`.
fn link_error<T: Send + Default>(host: &Host<T>, component: &host::wasmtime::component::Component) -> String {
    let prepared = format!("{:#}", host.prepare(component).err().expect("linking must fail"));
    let instantiated = format!("{:#}", host.instantiate(&mut host.store(), component).expect_err("linking must fail"));
    assert_eq!(prepared, instantiated);
    prepared
}

/// A host lacking imports fails to link with one error naming every one it lacks, in the component's order —
/// a whole interface once (with its functions), the functions missing from one it has, a single function — never
/// `wasi:random@0.2.0`, which the host's WASI serves in a newer 0.2 release. Once all are there, it links.
#[test]
fn a_host_lacking_imports_names_every_missing_one_in_one_error() {
    let config = HostConfig::default();
    let lacking = |define: &dyn Fn(&mut Linker<State>)| {
        let mut host = Host::new(&config).unwrap();
        define(host.linker_mut());
        let component = host.load_bytes(&caller().bytes).unwrap();
        let error = link_error(&host, &component);
        assert!(!error.contains("wasi:"), "a WASI import is reported missing: {error}");
        error
    };
    let prefix = "failed to link the component: it imports functions that this host does not provide: ";

    assert_eq!(lacking(&|_| {}), format!("{prefix}`{KV} (all of it: get, put, log)`, `now`"));
    assert_eq!(
        lacking(&|linker| {
            linker.instance(KV).unwrap();
        }),
        format!("{prefix}`{KV}#get`, `{KV}#put`, `{KV}#log`, `now`"),
    );
    assert_eq!(
        lacking(&|linker| {
            let mut kv = linker.instance(KV).unwrap();
            kv.func_wrap("get", |_: StoreContextMut<'_, State>, (_key,): (String,)| Ok((None::<String>,))).unwrap();
            linker.root().func_wrap("now", |_: StoreContextMut<'_, State>, (): ()| Ok((0u64,))).unwrap();
        }),
        format!("{prefix}`{KV}#put`, `{KV}#log`"),
    );
    assert_eq!(
        lacking(&|linker| stub(linker, Some(KV), &["get", "put", "log"])),
        "failed to link the component: it imports a function that this host does not provide: `now`",
    );
    assert_eq!(
        lacking(&|linker| {
            stub(linker, Some("host:caller/kv@0.2.0"), &["get", "put", "log"]);
            stub(linker, None, &["now"]);
        }),
        format!("{prefix}`{KV} (all of it: get, put, log)`").replace("functions", "a function"),
        "kv 0.2.0 does not serve an import of kv 0.1.0",
    );

    let complete = |define: &dyn Fn(&mut Linker<State>)| {
        let mut host = Host::new(&config).unwrap();
        define(host.linker_mut());
        let component = host.load_bytes(&caller().bytes).unwrap();
        host.prepare(&component).map(|_| ()).map_err(|err| format!("{err:#}"))
    };
    assert_eq!(
        complete(&|linker| {
            stub(linker, Some(KV), &["get", "put", "log"]);
            stub(linker, None, &["now"]);
        }),
        Ok(())
    );
    assert_eq!(
        complete(&|linker| {
            stub(linker, Some("host:caller/kv@0.1.9"), &["get", "put", "log"]);
            stub(linker, None, &["now"]);
        }),
        Ok(()),
        "kv 0.1.9 serves an import of kv 0.1.0"
    );
}

/// A definition of the wrong type is not a missing import: with nothing missing the error is wasmtime's own
/// (under the same prefix), and with something missing too only that is named — in neither case
/// `wasi:random@0.2.0`, which a wrongly typed `now` must not make look unserved.
#[test]
fn a_definition_of_the_wrong_type_is_not_a_missing_import() {
    let wrong_now = |kv: &[&str]| {
        let mut host = Host::new(&HostConfig::default()).unwrap();
        stub(host.linker_mut(), Some(KV), kv);
        host.linker_mut().root().func_wrap("now", |_: StoreContextMut<'_, State>, (): ()| Ok((0u32,))).unwrap();
        let component = host.load_bytes(&caller().bytes).unwrap();
        link_error(&host, &component)
    };
    assert_eq!(
        wrong_now(&["get", "put", "log"]),
        "failed to link the component: component imports function `now`, but a matching implementation was not \
         found in the linker: type mismatch with results: expected `u32` found `u64`",
    );
    assert_eq!(
        wrong_now(&["get", "log"]),
        format!("failed to link the component: it imports a function that this host does not provide: `{KV}#put`"),
    );
}

/// The same report when the embedder lets definitions shadow one another (`Linker::allow_shadowing`).
#[test]
fn missing_imports_are_named_when_the_linker_allows_shadowing() {
    let mut host = Host::new(&HostConfig::default()).unwrap();
    host.linker_mut().allow_shadowing(true);
    stub(host.linker_mut(), Some(KV), &["get"]);
    stub(host.linker_mut(), None, &["now"]);
    let component = host.load_bytes(&caller().bytes).unwrap();
    assert_eq!(
        link_error(&host, &component),
        format!(
            "failed to link the component: it imports functions that this host does not provide: `{KV}#put`, `{KV}#log`"
        ),
    );
}

/// A host function that fails (returns `Err`: a host error, not a WIT value) fails the guest's call with the
/// host's message, and the sandbox serves the next call from a fresh instance with fresh data; a WIT-level
/// `err` from `put` is an ordinary result, printed as `err("…")`, and keeps the instance.
#[test]
fn a_failing_host_function_fails_the_call_and_a_wit_error_is_a_result() {
    let (host, component) = kv_host();
    let message = "the kv backend lost its connection while reading `flaky`";

    let mut store = host.store_with(KvData::broken_at("flaky"));
    let caller = bindings::CallerPre::new(host.prepare(&component).unwrap()).unwrap().instantiate(&mut store).unwrap();
    let typed = caller.call_lookup(&mut store, "flaky").expect_err("the host function failed");
    assert_eq!(typed.root_cause().to_string(), message, "the host's own error ends the chain: {typed:#}");

    let mut sandbox = Sandbox::with_data(&host, component, || KvData::broken_at("flaky"));
    assert_eq!(ok(&mut sandbox, r#"store("word", [104, 105])"#), "ok");
    assert_eq!(ok(&mut sandbox, r#"lookup("word")"#), r#"some("hi")"#);
    assert_eq!(ok(&mut sandbox, "count()"), "1");
    assert_eq!(ok(&mut sandbox, "count()"), "2");
    let error = failure(&mut sandbox, r#"lookup("flaky")"#);
    assert!(error.starts_with("call to `lookup` failed: "), "{error}");
    assert!(error.contains(message), "{error}");
    assert_eq!(sandbox.instantiations(), 1, "the failed call ran on the first instance");

    assert_eq!(ok(&mut sandbox, "count()"), "1", "the instance whose call failed was replaced");
    assert_eq!(sandbox.instantiations(), 2);
    assert_eq!(ok(&mut sandbox, r#"lookup("word")"#), "none", "the new instance's store has fresh data");
    assert_eq!(ok(&mut sandbox, r#"store("", [1, 2, 3])"#), r#"err("refused 3 bytes: the key is empty")"#);
    assert_eq!(ok(&mut sandbox, "count()"), "2", "a WIT-level error is no failure: the instance stays");
    assert_eq!(sandbox.instantiations(), 2);
}

/// `Sandbox::with_data` makes data for every new instance, once per instance (not per call): after a failed
/// call or a `discard`, the next instance sees new data, none of what the previous one stored.
#[test]
fn sandbox_with_data_gives_every_new_instance_fresh_data() {
    let (host, component) = kv_host();
    let made = Cell::new(0u32);
    let mut sandbox = Sandbox::with_data(&host, component, || {
        made.set(made.get() + 1);
        let mut data = KvData::broken_at("flaky");
        data.entries.insert("generation".into(), made.get().to_string().into_bytes());
        data.clock = u64::from(made.get()) * 1000;
        data
    });
    assert_eq!(made.get(), 0, "no data before the first call");
    assert_eq!(ok(&mut sandbox, r#"lookup("generation")"#), r#"some("1")"#);
    assert_eq!(ok(&mut sandbox, r#"store("mine", [49])"#), "ok");
    assert_eq!(sandbox.call(r#"note("seen by the first")"#).unwrap(), Vec::<String>::new());
    assert_eq!(ok(&mut sandbox, "stamp()"), "1000");
    assert_eq!(made.get(), 1, "one instance, one data");
    {
        let (store, _) = sandbox.instance().unwrap();
        let data = store.data().data();
        assert_eq!(data.log, ["seen by the first"]);
        assert_eq!(data.entries["mine"], b"1");
    }

    failure(&mut sandbox, r#"lookup("flaky")"#);
    assert_eq!(ok(&mut sandbox, r#"lookup("generation")"#), r#"some("2")"#);
    assert_eq!(ok(&mut sandbox, r#"lookup("mine")"#), "none");
    assert_eq!(ok(&mut sandbox, "stamp()"), "2000");
    {
        let (store, _) = sandbox.instance().unwrap();
        assert!(store.data().data().log.is_empty(), "the second instance's log starts empty");
    }

    sandbox.discard();
    assert_eq!(ok(&mut sandbox, r#"lookup("generation")"#), r#"some("3")"#);
    assert_eq!((made.get(), sandbox.instantiations()), (3, 3));

    let (host, component) = kv_host();
    let mut defaults = Sandbox::new(&host, component);
    assert_eq!(ok(&mut defaults, r#"lookup("generation")"#), "none", "`Sandbox::new` starts from `T::default()`");
}
