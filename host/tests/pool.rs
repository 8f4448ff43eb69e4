//! The pooling allocator (`HostConfig::pool`), on the fixture: `n` live instances fit, one more is refused with
//! a clear error until a slot is freed, and a reused slot starts as clean as a new instance.

mod support;

use host::wasmtime::Store;
use host::wasmtime::component::{Instance, Val};
use host::{HostConfig, State};
use support::host_with;

/// Calls `name` with `params` on an instance; the call must succeed and have one result.
fn call(store: &mut Store<State>, instance: &Instance, name: &str, params: &[Val]) -> Val {
    let func = instance.get_func(&mut *store, name).expect("the fixture exports it");
    let mut results = [Val::Bool(false)];
    func.call(&mut *store, params, &mut results).unwrap_or_else(|err| panic!("{name}: {err:#}"));
    let [result] = results;
    result
}

/// Three slots: three live instances work side by side, a fourth is refused (through `InstancePre` and through
/// `Host::instantiate`, which names the step), and dropping one instance makes room.
#[test]
fn the_pool_holds_n_live_instances_and_refuses_one_more() {
    let (host, component) = host_with(HostConfig { pool: Some(3), ..HostConfig::default() });
    let pre = host.prepare(&component).unwrap();
    let mut live: Vec<_> = (0..3)
        .map(|_| {
            let mut store = host.store();
            let instance = pre.instantiate(&mut store).expect("an instance within the pool's size");
            (store, instance)
        })
        .collect();
    for (store, instance) in &mut live {
        assert_eq!(call(store, instance, "count", &[]), Val::U32(1));
    }

    let mut store = host.store();
    let refused = pre.instantiate(&mut store).expect_err("a fourth live instance must be refused");
    assert!(format!("{refused:#}").contains("maximum concurrent limit of 3 for component instances reached"));
    let explained = format!("{:#}", host.instantiate(&mut store, &component).expect_err("refused again"));
    assert!(explained.starts_with("instantiation failed: maximum concurrent limit of 3"), "{explained}");
    assert_eq!(explained.matches("maximum concurrent limit").count(), 1, "the cause is said twice: {explained}");

    drop(live.pop());
    let instance = pre.instantiate(&mut store).expect("a slot was freed");
    assert_eq!(call(&mut store, &instance, "count", &[]), Val::U32(1));
    for (store, instance) in &mut live {
        assert_eq!(call(store, instance, "count", &[]), Val::U32(2), "the other instances live on");
    }
}

/// One slot, many instances in turn: each starts with fresh globals, one page of memory and the module's data
/// (the greeting comes from a data segment), although its predecessor grew memory and overwrote the heap.
#[test]
fn a_reused_slot_starts_clean() {
    let (host, component) = host_with(HostConfig { pool: Some(1), ..HostConfig::default() });
    let pre = host.prepare(&component).unwrap();
    let name = "x".repeat(100_000);
    for round in 0..50 {
        let mut store = host.store();
        let instance = pre.instantiate(&mut store).unwrap_or_else(|err| panic!("round {round}: {err:#}"));
        assert_eq!(store.data().memory().current(), 64 << 10, "round {round}");
        assert_eq!(call(&mut store, &instance, "count", &[]), Val::U32(1), "round {round}");
        let greeting = call(&mut store, &instance, "greet", &[Val::String(name.clone())]);
        assert_eq!(greeting, Val::String(format!("hello, {name}!")), "round {round}");
        assert!(store.data().memory().current() > 200_000, "round {round}: the call grew memory");
    }
}
