//! Fault containment, on the fixture: a trap, an endless loop (wall-clock deadline and fuel), a memory bomb and
//! runaway recursion each fail only the call that caused them, with an error naming the export and the cause;
//! the limits are per call, not per store; and `Sandbox` serves the next call from a fresh instance.

mod support;

use std::time::{Duration, Instant};

use host::{HostConfig, Sandbox, dynamic};
use support::{default_host, failure, host_with, ok};

/// A trap fails its call with the export's name; the sandbox drops the instance and the next call gets a fresh
/// one (its state starts over), while calls before the trap shared one instance.
#[test]
fn a_trap_fails_one_call_and_the_next_call_gets_a_fresh_instance() {
    let (host, component) = default_host();
    let mut sandbox = Sandbox::new(&host, component);
    assert_eq!(ok(&mut sandbox, "count()"), "1");
    assert_eq!(ok(&mut sandbox, "count()"), "2");
    let error = failure(&mut sandbox, "crash()");
    assert!(error.starts_with("call to `crash` failed: trap: unreachable instruction executed"), "{error}");
    assert_eq!(ok(&mut sandbox, "count()"), "1", "the instance that trapped was replaced");
    assert_eq!(sandbox.instantiations(), 2);
}

/// A call that never reaches the guest — a typo in the WAVE text, an unknown export, arguments of the wrong type —
/// fails alone and keeps the instance: its state goes on.
#[test]
fn a_bad_call_that_never_reached_the_guest_keeps_the_instance() {
    let (host, component) = default_host();
    let mut sandbox = Sandbox::new(&host, component);
    assert_eq!(ok(&mut sandbox, "count()"), "1");
    for bad in ["count(", "cuont()", "add(\"one\", 2)"] {
        failure(&mut sandbox, bad);
    }
    assert_eq!(ok(&mut sandbox, "count()"), "2", "a bad call discarded a healthy instance");
    assert_eq!(sandbox.instantiations(), 1);
}

/// An endless loop is interrupted by the epoch deadline: not before the deadline, and well within ten times
/// it (the bound is loose on purpose: the machine may be loaded). The sandbox serves the next call.
#[test]
fn an_endless_loop_is_interrupted_at_the_call_deadline() {
    let timeout = Duration::from_millis(200);
    let (host, component) = host_with(HostConfig { call_timeout: Some(timeout), ..HostConfig::default() });
    let mut sandbox = Sandbox::new(&host, component);
    ok(&mut sandbox, "count()");
    let started = Instant::now();
    let error = failure(&mut sandbox, "spin()");
    let took = started.elapsed();
    assert!(error.starts_with("call to `spin` failed: interrupted: it ran past the 200ms call deadline"), "{error}");
    assert!(took >= timeout - host::EPOCH_TICK, "stopped after {took:?}, before the {timeout:?} deadline");
    assert!(took < 10 * timeout, "stopped only after {took:?}");
    assert_eq!(ok(&mut sandbox, "add(1, 2)"), "3");
    assert_eq!(sandbox.instantiations(), 2);
}

/// The deadline is re-armed on every call: calls spread over several deadlines on one instance all succeed.
#[test]
fn the_deadline_is_per_call_not_per_store() {
    let timeout = Duration::from_millis(100);
    let (host, component) = host_with(HostConfig { call_timeout: Some(timeout), ..HostConfig::default() });
    let mut sandbox = Sandbox::new(&host, component);
    for n in 1..=4 {
        assert_eq!(ok(&mut sandbox, "count()"), n.to_string());
        std::thread::sleep(timeout);
    }
    assert_eq!(sandbox.instantiations(), 1);
}

/// Fuel stops an endless loop without any deadline, deterministically; the budget is per call: one call uses
/// more than half of it, and the next call on the same instance still has enough.
#[test]
fn fuel_stops_an_endless_loop_and_is_refilled_for_every_call() {
    let fuel = 10_000;
    let config = HostConfig { fuel_per_call: Some(fuel), call_timeout: None, ..HostConfig::default() };
    let (host, component) = host_with(config);
    let mut sandbox = Sandbox::new(&host, component);
    let error = failure(&mut sandbox, "spin()");
    assert!(error.starts_with("call to `spin` failed: out of fuel: it used more than the 10000 fuel units"), "{error}");

    assert_eq!(ok(&mut sandbox, "recurse(600)"), "600");
    let left = sandbox.instance().unwrap().0.get_fuel().unwrap();
    assert!(left < fuel / 2, "recurse(600) used only {} fuel", fuel - left);
    assert_eq!(ok(&mut sandbox, "recurse(600)"), "600");
    assert!(failure(&mut sandbox, "recurse(5000)").contains("out of fuel"));
    assert_eq!(sandbox.instantiations(), 2);
}

/// A memory bomb is stopped by `max_memory_bytes`: its `memory.grow` is refused at the cap, the store records
/// the refusal and the peak, and the error says memory hit its limit. A store that stays below the cap records
/// no refusal.
#[test]
fn a_memory_bomb_is_stopped_at_the_memory_limit() {
    let limit = 4 << 20;
    let (host, component) = host_with(HostConfig { max_memory_bytes: limit, ..HostConfig::default() });
    let mut store = host.store();
    let instance = host.instantiate(&mut store, &component).unwrap();
    let memory = store.data().memory();
    assert_eq!((memory.current(), memory.denied()), (64 << 10, false), "one page after instantiation");

    let error = format!("{:#}", dynamic::call(&host, &component, &mut store, &instance, "hog()").unwrap_err());
    assert!(error.starts_with("call to `hog` failed: trap: unreachable instruction executed"), "{error}");
    assert!(error.contains("; linear memory hit its limit (3 MiB of 4 MiB)"), "{error}");
    let memory = store.data().memory();
    assert!(memory.denied());
    assert_eq!(memory.limit(), limit);
    assert!(memory.peak() <= limit && memory.peak() > limit - (1 << 20), "peak {} of {limit}", memory.peak());

    let mut calm = host.store();
    let instance = host.instantiate(&mut calm, &component).unwrap();
    dynamic::call(&host, &component, &mut calm, &instance, "reverse([1, 2, 3])").unwrap();
    assert!(!calm.data().memory().denied());
}

/// Runaway recursion is stopped by `max_wasm_stack` with a stack-overflow error naming the limit; the same depth
/// runs under the default 1 MiB stack, so it is the configured limit that stopped it.
#[test]
fn deep_recursion_is_stopped_by_the_stack_limit() {
    let (host, component) = host_with(HostConfig { max_wasm_stack: 64 << 10, ..HostConfig::default() });
    let mut sandbox = Sandbox::new(&host, component);
    let error = failure(&mut sandbox, "recurse(10000)");
    assert!(error.starts_with("call to `recurse` failed: stack overflow: it needed more than the 64 KiB"), "{error}");
    assert_eq!(ok(&mut sandbox, "recurse(100)"), "100");

    let (host, component) = default_host();
    assert_eq!(ok(&mut Sandbox::new(&host, component), "recurse(10000)"), "10000");
}
