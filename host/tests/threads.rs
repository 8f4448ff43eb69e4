//! How a service uses the host, on the fixture: many threads share one `Host`, one compiled component, one
//! `InstancePre` and one pool, and call at once. Every result is checked; a trap, a deadline or a memory bomb in
//! one thread fails only that thread's call while the others are served; the pool's limit refuses an instance
//! cleanly however many threads ask at once, and gives the slot back; nothing deadlocks (every test runs under
//! [`within`], which fails it instead of hanging).

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Barrier, mpsc};
use std::time::Duration;

use host::wasmtime::component::{InstancePre, TypedFunc};
use host::{Host, HostConfig, Sandbox, State};
use support::host_with;

/// How long a test may take before it counts as a deadlock: far above what the work needs on a loaded machine.
const DEADLOCK: Duration = Duration::from_secs(120);

/// Runs `test` on a thread of its own and fails if it did not finish within [`DEADLOCK`].
fn within(test: impl FnOnce() + Send + 'static) {
    let (done, finished) = mpsc::channel();
    let runner = std::thread::spawn(move || {
        test();
        let _ = done.send(());
    });
    match finished.recv_timeout(DEADLOCK) {
        Ok(()) => runner.join().expect("the test thread finished"),
        // The sender was dropped without sending: the test panicked; its panic is the failure to report.
        Err(mpsc::RecvTimeoutError::Disconnected) => std::panic::resume_unwind(runner.join().unwrap_err()),
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("not finished after {DEADLOCK:?}: a deadlock"),
    }
}

/// The fixture's typed exports used here, looked up once per instance.
struct Calls {
    add: TypedFunc<(u32, u32), (u32,)>,
    greet: TypedFunc<(String,), (String,)>,
    reverse: TypedFunc<(Vec<u8>,), (Vec<u8>,)>,
    count: TypedFunc<(), (u32,)>,
}

/// A fresh instance from `pre` in a store of its own, with its typed exports.
fn instance(host: &Host, pre: &InstancePre<State>) -> host::wasmtime::Result<(host::wasmtime::Store<State>, Calls)> {
    let mut store = host.store();
    let instance = pre.instantiate(&mut store)?;
    let calls = Calls {
        add: instance.get_typed_func(&mut store, "add")?,
        greet: instance.get_typed_func(&mut store, "greet")?,
        reverse: instance.get_typed_func(&mut store, "reverse")?,
        count: instance.get_typed_func(&mut store, "count")?,
    };
    Ok((store, calls))
}

/// Calls every typed export of `calls` once with inputs of thread `thread`, call `n`, and checks each result;
/// `count` must say `n + 1` (the instance's own call count, so no two threads shared it).
fn call_all(store: &mut host::wasmtime::Store<State>, calls: &Calls, thread: usize, n: usize) {
    let (a, b) = (thread as u32 * 1_000_003, n as u32);
    assert_eq!(calls.add.call(&mut *store, (a, b)).unwrap(), (a.wrapping_add(b),), "thread {thread} call {n}");
    let name = format!("thread {thread} call {n} {}", "·".repeat(n % 50));
    assert_eq!(calls.greet.call(&mut *store, (name.clone(),)).unwrap(), (format!("hello, {name}!"),));
    let data: Vec<u8> = (0..(n * 37 + thread) % 4096).map(|i| (i * 7 + thread) as u8).collect();
    let reversed: Vec<u8> = data.iter().rev().copied().collect();
    assert_eq!(calls.reverse.call(&mut *store, (data,)).unwrap(), (reversed,), "thread {thread} call {n}");
    assert_eq!(calls.count.call(&mut *store, ()).unwrap(), (n as u32 + 1,), "thread {thread} call {n}");
}

/// Four threads share one host, one `InstancePre` and one pool of eight slots: each keeps one instance for many
/// calls, and also makes short-lived instances, one per request, from the same pool. Every result is checked.
#[test]
fn threads_share_one_host_and_one_pool_and_every_result_is_right() {
    within(|| {
        const THREADS: usize = 4;
        const CALLS: usize = 400;
        let (host, component) = host_with(HostConfig { pool: Some(2 * THREADS as u32), ..HostConfig::default() });
        let pre = host.prepare(&component).unwrap();
        let start = Barrier::new(THREADS);
        std::thread::scope(|scope| {
            for thread in 0..THREADS {
                let (host, pre, start) = (&host, &pre, &start);
                scope.spawn(move || {
                    let (mut kept, calls) = instance(host, pre).unwrap();
                    start.wait();
                    for n in 0..CALLS {
                        call_all(&mut kept, &calls, thread, n);
                        // One request on an instance of its own, dropped after its answer.
                        let (mut fresh, fresh_calls) = instance(host, pre).unwrap();
                        call_all(&mut fresh, &fresh_calls, thread, 0);
                    }
                });
            }
        });
        // Every slot came back: the whole pool can be taken at once.
        let all: Vec<_> = (0..2 * THREADS).map(|_| instance(&host, &pre).unwrap()).collect();
        assert_eq!(all.len(), 2 * THREADS);
    });
}

/// While one thread's calls trap, one's run into the call deadline and one's hit the memory limit, two other
/// threads keep calling the same host and component: each of their calls succeeds with the right result, and
/// each faulting call fails with its own cause, named, after which its thread is served again by a fresh instance.
#[test]
fn a_fault_or_a_deadline_in_one_thread_leaves_the_others_served() {
    within(|| {
        const FAULTS: usize = 4;
        let timeout = Duration::from_millis(200);
        let config = HostConfig { call_timeout: Some(timeout), max_memory_bytes: 8 << 20, ..HostConfig::default() };
        let (host, component) = host_with(config);
        let pre = host.prepare(&component).unwrap();
        // The healthy threads call until every faulting thread is done, so their calls overlap every fault.
        let faulting_left = AtomicUsize::new(3);
        let served = AtomicUsize::new(0);
        std::thread::scope(|scope| {
            for (fault, cause) in [
                ("crash()", "trap: unreachable instruction executed"),
                ("spin()", "interrupted: it ran past the 200ms call deadline"),
                ("hog()", "linear memory hit its limit"),
            ] {
                let (host, component, faulting_left) = (&host, &component, &faulting_left);
                scope.spawn(move || {
                    // Counted down however the thread ends, so a failed assertion here cannot keep the healthy
                    // threads calling for ever.
                    let _done = CountDown(faulting_left);
                    let mut sandbox = Sandbox::new(host, component.clone());
                    for round in 0..FAULTS {
                        let error = format!("{:#}", sandbox.call(fault).expect_err(fault));
                        let export = fault.trim_end_matches("()");
                        assert!(error.starts_with(&format!("call to `{export}` failed: ")), "{error}");
                        assert!(error.contains(cause), "round {round}: {error}");
                        assert_eq!(sandbox.call("count()").unwrap(), ["1"], "a fresh instance after `{fault}`");
                    }
                    // One instance to start, and a fresh one after each fault: `count()` ran on the one it replaced.
                    assert_eq!(sandbox.instantiations(), FAULTS + 1);
                });
            }
            for thread in 0..2 {
                let (host, pre, faulting_left, served) = (&host, &pre, &faulting_left, &served);
                scope.spawn(move || {
                    let (mut store, calls) = instance(host, pre).unwrap();
                    let mut n = 0;
                    while faulting_left.load(Ordering::Acquire) > 0 {
                        call_all(&mut store, &calls, thread, n);
                        n += 1;
                    }
                    served.fetch_add(n, Ordering::AcqRel);
                });
            }
        });
        // 4 deadlines of 200 ms each in the spinning thread alone: the healthy threads were served meanwhile.
        assert!(served.load(Ordering::Acquire) > 0, "the healthy threads made no call while the others faulted");
    });
}

/// Decrements its counter when dropped.
struct CountDown<'a>(&'a AtomicUsize);

impl Drop for CountDown<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Six threads ask a pool of two slots for an instance at the same moment, in each of many rounds: exactly two
/// get one, the other four are refused with the pool's own error (not a panic, not a hang), the two holders are
/// served while the others were refused, and once they drop their instances the next round finds both slots free.
#[test]
fn the_pools_limit_refuses_cleanly_under_contention() {
    within(|| {
        const THREADS: usize = 6;
        const SLOTS: usize = 2;
        const ROUNDS: usize = 25;
        let (host, component) = host_with(HostConfig { pool: Some(SLOTS as u32), ..HostConfig::default() });
        let pre = host.prepare(&component).unwrap();
        let (asked, answered) = (Barrier::new(THREADS), Barrier::new(THREADS));
        let (granted, refused) = (AtomicUsize::new(0), AtomicUsize::new(0));
        std::thread::scope(|scope| {
            for thread in 0..THREADS {
                let (host, pre, asked, answered, granted, refused) =
                    (&host, &pre, &asked, &answered, &granted, &refused);
                scope.spawn(move || {
                    for round in 0..ROUNDS {
                        asked.wait();
                        // Every thread asks before any holder lets go: the pool sees all of them at once.
                        let got = instance(host, pre);
                        match &got {
                            Ok(_) => granted.fetch_add(1, Ordering::AcqRel),
                            Err(err) => {
                                let err = format!("{err:#}");
                                assert!(
                                    err.contains("maximum concurrent limit of 2 for component instances reached"),
                                    "round {round}: {err}"
                                );
                                refused.fetch_add(1, Ordering::AcqRel)
                            }
                        };
                        answered.wait();
                        if let Ok((mut store, calls)) = got {
                            call_all(&mut store, &calls, thread, 0);
                        }
                        // Every holder has dropped its instance before the next round asks.
                        answered.wait();
                    }
                });
            }
        });
        assert_eq!(granted.load(Ordering::Acquire), SLOTS * ROUNDS, "exactly the pool's slots, every round");
        assert_eq!(refused.load(Ordering::Acquire), (THREADS - SLOTS) * ROUNDS);
    });
}
