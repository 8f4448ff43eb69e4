//! The evidence counter of one instance ([`Window`]): how often the moment the hardening exists for came, read
//! from the exports the `harden` stage adds (`model::evidence`), and the switch that provokes that moment.

use anyhow::{Context, Result};
use host::Host;
use host::dynamic::ExportPath;
use host::wasmtime::Store;
use host::wasmtime::component::{Component, Instance, TypedFunc};
use serde::{Deserialize, Serialize};

use crate::model::evidence;

/// How many lowered bytes a stress lets pass between two collections inside `cabi_realloc`
/// (`gowasm:harden/stress.collect-in-realloc`): one per 1 MiB argument or import result, one per 16 calls with
/// 64 KiB. On their own the collectors come there too seldom, or too much by luck, for a stress sized by them:
/// TinyGo's allocator collects only when the heap is full; Go's collector starts there only when the allocation
/// that crosses the heap's trigger is one for the host, and its time-paced mark worker decides how long its mark
/// phase goes on into later allocations, so the count on its own varies with the machine and its load. A
/// collection costs TinyGo about the same whatever the heap (its roots are scanned word by word), so one per MiB
/// keeps a TinyGo stress within the time of a big-Go one.
pub const COLLECT_EVERY: u64 = 1024 * 1024;

/// The evidence counter of one instance: on a big-Go build `gowasm:harden/window.guarded-calls`, which every
/// hardened component exports (see `harden`): each a call of Go's runtime to the host from inside
/// `cabi_realloc`/`cabi_post_*`, a trap without the pass. On a TinyGo build, whose collector never calls out,
/// `gowasm:harden/collector.collections-in-realloc`: each a collection while the host was lowering arguments,
/// when only the pins keep the arguments lowered before it. A stress reads it to prove that it reached that
/// moment often enough on the artifact it stresses, and first provokes it (`gowasm:harden/stress`, both
/// toolchains' builds: [`Window::collect_in_realloc`]).
pub struct Window {
    func: TypedFunc<(), (u64,)>,
    /// The runtime's `collect-in-realloc`, which a [`crate::suite::Stressor`] sets to [`COLLECT_EVERY`].
    collect: Option<TypedFunc<(u64,), ()>>,
    pub counts: Counts,
}

/// What a [`Window`] counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Counts {
    /// Calls the guarded window answered (big Go).
    GuardedCalls,
    /// Collections inside `cabi_realloc` (TinyGo).
    Collections,
}

impl Counts {
    /// The export's name.
    pub fn what(self) -> &'static str {
        match self {
            Counts::GuardedCalls => "guarded-calls",
            Counts::Collections => "collections-in-realloc",
        }
    }
}

impl Window {
    /// The counter of `instance`: the collector's where the component exports it, else the window's; an error
    /// says that the component exports neither (it was not hardened, or its Go runtime imports none of the
    /// guarded functions), or that it counts collections but cannot be asked for them.
    pub fn of<T>(store: &mut Store<host::State<T>>, instance: &Instance) -> Result<Self> {
        let path = |name: &str| {
            let (interface, function) = name.split_once('#').expect("`interface#function`");
            ExportPath { interface: Some(interface.to_string()), function: function.to_string() }
        };
        let (func, counts) = match host::dynamic::get_func(store, instance, &path(evidence::COLLECTOR_EXPORT)) {
            Ok(func) => (func, Counts::Collections),
            Err(_) => {
                let func = host::dynamic::get_func(store, instance, &path(evidence::WINDOW_EXPORT))
                    .context("nothing shows that the component's guarded window was exercised")?;
                (func, Counts::GuardedCalls)
            }
        };
        let func = func.typed::<(), (u64,)>(&*store).map_err(anyhow::Error::from).context(counts.what())?;
        let collect = match host::dynamic::get_func(store, instance, &path(evidence::COLLECT_EXPORT)) {
            Ok(collect) => {
                let collect = collect.typed::<(u64,), ()>(&*store).map_err(anyhow::Error::from);
                Some(collect.context("collect-in-realloc")?)
            }
            // A big-Go build whose runtime glue is not ours counts the window all the same; its stress has only
            // the collector's own timing to reach it.
            Err(_) if counts == Counts::GuardedCalls => None,
            Err(err) => return Err(err.context("the component counts collections but cannot be asked to collect")),
        };
        Ok(Self { func, collect, counts })
    }

    /// Makes the collector run inside `cabi_realloc` every `every` lowered bytes from now on (where the component
    /// can be asked to: every build of our runtime glue).
    pub fn collect_in_realloc<T: 'static>(&self, store: &mut Store<T>, every: u64) -> Result<()> {
        if let Some(collect) = &self.collect {
            collect
                .call(&mut *store, (every,))
                .map_err(anyhow::Error::from)
                .context("failed to set collect-in-realloc")?;
        }
        Ok(())
    }

    /// How many times the counted moment came since the instance started.
    pub fn count<T: 'static>(&self, store: &mut Store<T>) -> Result<u64> {
        let (count,) = self
            .func
            .call(&mut *store, ())
            .map_err(anyhow::Error::from)
            .with_context(|| format!("failed to read {}", self.counts.what()))?;
        Ok(count)
    }
}

/// A store and an instance of `component` in `host`'s linker, the world's typed bindings (`bind`: its
/// `bindgen!` type's `new`) and the instance's window counter.
pub fn instantiate<B>(
    host: &Host,
    component: &Component,
    bind: impl FnOnce(&mut Store<host::State>, &Instance) -> host::wasmtime::Result<B>,
) -> Result<(Store<host::State>, B, Window)> {
    let mut store = host.store();
    let failed = "failed to instantiate";
    let instance = host.linker().instantiate(&mut store, component).map_err(anyhow::Error::from).context(failed)?;
    let bound = bind(&mut store, &instance).map_err(anyhow::Error::from).context(failed)?;
    let window = Window::of(&mut store, &instance)?;
    Ok((store, bound, window))
}
