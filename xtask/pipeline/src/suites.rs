//! The typed check suites, in one registry keyed by world. A suite holds the component of its world to that
//! world's documented behaviour (test vectors against a native Rust reference, a stress, fault probes) and names
//! the source files it is made of, which version its checks' cache key. Generic code — the check runner, the
//! scheduler, bench — asks this registry; no component is named outside its own suite (the tidy test enforces it).
//! A suite's module may use the model, the host and `status`; never the scheduler, the check runner or another
//! suite — except that the suite of a composed world may use the references of the suites of its parts (what it
//! is built from).

pub mod faulty;
pub mod hasher;
pub mod indexer;
pub mod reporter;
pub mod textkit;

use std::cell::OnceCell;
use std::path::Path;

use anyhow::{Context, Result, bail};
use host::Host;
use host::dynamic::ExportPath;
use host::wasmtime::Store;
use host::wasmtime::component::{Component as Compiled, Instance, TypedFunc};

use crate::harden;
use crate::model::{Component, Sizing, Stress, Variant};

/// One artifact a suite checks.
pub struct Subject<'a> {
    /// The checks' host (seeded: `check::check_config`).
    pub host: &'a Host,
    /// The component file.
    pub path: &'a Path,
    /// `<component> <variant>`, for status lines and errors.
    pub label: &'a str,
    pub variant: &'a Variant,
    pub stress: Stress,
    /// The file compiled for `host`, once: the typed suite and the declarative cases share it.
    pub compiled: OnceCell<Compiled>,
    /// `Some(label)`: this artifact's program is byte for byte that of `label` (a `strip` variant: its raw
    /// module without the custom sections, which no instruction can read), whose stress passed in this run; the
    /// stress is not run again ([`Subject::stress`]), everything before it is.
    pub stressed_as: Option<&'a str>,
}

impl Subject<'_> {
    /// The component compiled for the checks' host (compiling a Go component takes seconds; the first caller
    /// pays, later ones share it).
    pub fn component(&self) -> Result<Compiled> {
        if let Some(component) = self.compiled.get() {
            return Ok(component.clone());
        }
        let component = self.host.load(self.path)?;
        Ok(self.compiled.get_or_init(|| component).clone())
    }
}

impl Subject<'_> {
    /// The suite's stress: `run()`, unless the same program's stress already passed ([`Subject::stressed_as`]);
    /// then nothing is measured (`Verdict::default()`) and the runner records that one's count.
    pub fn stress(&self, run: impl FnOnce() -> Result<Verdict>) -> Result<Verdict> {
        match self.stressed_as {
            Some(other) => {
                crate::status::step(
                    "Stress",
                    format!(
                        "{}: not repeated: the same program as {other} (only custom sections removed), whose stress \
                         passed",
                        self.label
                    ),
                );
                Ok(Verdict::default())
            }
            None => run(),
        }
    }
}

/// What a passing check measured.
#[derive(Debug, Clone, Default)]
pub struct Verdict {
    /// The linear-memory peak of the suite's stress, for suites that have one.
    pub stress_peak: Option<usize>,
    /// What the stress saw of the guarded window, for suites that have one.
    pub window: Option<Tally>,
    /// How long the stress took.
    pub stress_time: Option<std::time::Duration>,
}

/// A world's typed suite.
pub struct Suite {
    pub world: &'static str,
    /// The files the suite is made of, from the workspace root (a directory covers its files): its version.
    pub sources: &'static [&'static str],
    /// Runs the suite on one artifact; the error says what failed.
    pub run: fn(&Subject) -> Result<Verdict>,
    /// Whether this world is the one the article's seed table measured: bench reports its figures (calls,
    /// throughput, memory) beside the seed's and CLAIMS.md judges the claims on it.
    pub seed_table: bool,
}

/// Every suite.
pub const ALL: &[&Suite] = &[&faulty::SUITE, &hasher::SUITE, &indexer::SUITE, &reporter::SUITE, &textkit::SUITE];

/// The suite of `world`, if it has one.
pub fn for_world(world: &str) -> Option<&'static Suite> {
    ALL.iter().copied().find(|s| s.world == world)
}

/// The world of the suite that carries the seed table, if any.
pub fn seed_world() -> Option<&'static str> {
    ALL.iter().find(|s| s.seed_table).map(|s| s.world)
}

/// The suite that checks `component`: its world's, for the component named after its world. Another component of
/// the same world (a `new --world` scaffold, whose stubs return defaults) has only its declarative cases.
pub fn for_component(component: &Component) -> Option<&'static Suite> {
    if component.name == component.world { for_world(&component.world) } else { None }
}

/// The evidence counter of one instance: on a big-Go build `gowasm:harden/window.guarded-calls`, which every
/// hardened component exports (see `harden`): each a call of Go's runtime to the host from inside
/// `cabi_realloc`/`cabi_post_*`, a trap without the pass. On a TinyGo build, whose collector never calls out,
/// `gowasm:harden/collector.collections-in-realloc`: each a collection while the host was lowering arguments,
/// when only the pins keep the arguments lowered before it. A stress reads it to prove that it reached that
/// moment often enough on the artifact it stresses, and first provokes it (`gowasm:harden/stress`, both
/// toolchains' builds: [`Window::collect_in_realloc`]).
pub struct Window {
    func: TypedFunc<(), (u64,)>,
    /// The runtime's `collect-in-realloc`, which a [`Stressor`] sets to [`COLLECT_EVERY`].
    collect: Option<TypedFunc<(u64,), ()>>,
    pub counts: Counts,
}

/// How many lowered bytes a stress lets pass between two collections inside `cabi_realloc`
/// (`gowasm:harden/stress.collect-in-realloc`): one per 1 MiB argument or import result, one per 16 calls with
/// 64 KiB. On their own the collectors come there too seldom, or too much by luck, for a stress sized by them:
/// TinyGo's allocator collects only when the heap is full (4 times in the 888 MiB of the hasher's old fixed
/// stress); Go's collector starts there only when the allocation that crosses the heap's trigger is one for the
/// host, and its time-paced mark worker decides how long its mark phase goes on into later allocations — the
/// reporter's stress on Go 1.27 saw the window answer 13 calls in 500 on one run and 100 in 30 on another. A
/// collection costs TinyGo about 0.1 s whatever the heap (its roots are scanned word by word): one every 64 KiB
/// made the hasher's stress 225 collections and 45–48 s, the indexer's 359 and 36–40 s.
pub const COLLECT_EVERY: u64 = 1024 * 1024;

/// What a [`Window`] counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counts {
    /// Calls the guarded window answered (big Go).
    GuardedCalls,
    /// Collections inside `cabi_realloc` (TinyGo).
    Collections,
}

impl Window {
    /// The counter of `instance`: the collector's where the component exports it, else the window's; an error
    /// says that the component exports neither (it was not hardened, or its Go runtime imports none of the
    /// guarded functions), or that it counts collections but cannot be asked for them.
    pub fn of<T>(store: &mut host::wasmtime::Store<host::State<T>>, instance: &Instance) -> Result<Self> {
        let path = |name: &str| {
            let (interface, function) = name.split_once('#').expect("`interface#function`");
            ExportPath { interface: Some(interface.to_string()), function: function.to_string() }
        };
        let (func, counts) = match host::dynamic::get_func(store, instance, &path(harden::COLLECTOR_EXPORT)) {
            Ok(func) => (func, Counts::Collections),
            Err(_) => {
                let func = host::dynamic::get_func(store, instance, &path(harden::WINDOW_EXPORT))
                    .context("nothing shows that the component's guarded window was exercised")?;
                (func, Counts::GuardedCalls)
            }
        };
        let func = func.typed::<(), (u64,)>(&*store).map_err(anyhow::Error::from).context(counts.what())?;
        let collect = match host::dynamic::get_func(store, instance, &path(harden::COLLECT_EXPORT)) {
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
    pub fn collect_in_realloc<T: 'static>(&self, store: &mut host::wasmtime::Store<T>, every: u64) -> Result<()> {
        if let Some(collect) = &self.collect {
            collect
                .call(&mut *store, (every,))
                .map_err(anyhow::Error::from)
                .context("failed to set collect-in-realloc")?;
        }
        Ok(())
    }

    /// How many times the counted moment came since the instance started.
    pub fn count<T: 'static>(&self, store: &mut host::wasmtime::Store<T>) -> Result<u64> {
        let (count,) = self
            .func
            .call(&mut *store, ())
            .map_err(anyhow::Error::from)
            .with_context(|| format!("failed to read {}", self.counts.what()))?;
        Ok(count)
    }
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

/// A store and an instance of `component` in `host`'s linker, the world's typed bindings (`bind`: its
/// `bindgen!` type's `new`) and the instance's window counter.
pub fn instantiate<B>(
    host: &Host,
    component: &Compiled,
    bind: impl FnOnce(&mut Store<host::State>, &Instance) -> host::wasmtime::Result<B>,
) -> Result<(Store<host::State>, B, Window)> {
    let mut store = host.store();
    let failed = "failed to instantiate";
    let instance = host.linker().instantiate(&mut store, component).map_err(anyhow::Error::from).context(failed)?;
    let bound = bind(&mut store, &instance).map_err(anyhow::Error::from).context(failed)?;
    let window = Window::of(&mut store, &instance)?;
    Ok((store, bound, window))
}

/// What a stress saw, phase by phase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    pub sizing: Sizing,
    pub counts: Counts,
    pub phases: Vec<PhaseTally>,
}

/// One phase of a stress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhaseTally {
    pub what: String,
    pub calls: usize,
    /// Calls the guarded window answered during the phase.
    pub answered: u64,
}

impl Tally {
    /// Calls the window answered over the whole stress.
    pub fn total(&self) -> u64 {
        self.phases.iter().map(|p| p.answered).sum()
    }

    /// `guarded window answered 312 calls (compute-hash 64 KiB: 104 in 690 calls; …); floor 100 per sized phase`.
    pub fn summary(&self) -> String {
        let phases: Vec<String> =
            self.phases.iter().map(|p| format!("{}: {} in {} calls", p.what, p.answered, p.calls)).collect();
        let sizing = match self.sizing {
            Sizing::Window { floor } => format!("floor {floor} per sized phase"),
            Sizing::Fixed => "fixed call counts, no floor".to_string(),
        };
        let counted = match self.counts {
            Counts::GuardedCalls => format!("guarded window answered {} calls", self.total()),
            Counts::Collections => format!("the collector ran {} times inside cabi_realloc", self.total()),
        };
        format!("{counted} ({}); {sizing}", phases.join("; "))
    }
}

/// Runs the phases of a stress on one instance, sizing each by evidence instead of by a call count (see
/// [`Sizing`]): a sized phase goes on until it has the evidence (and made at least its `min` calls), and fails —
/// the artifact was not stressed — if its `max` calls did not get it. An unsized phase (a shape that rarely
/// reaches the window, kept for what else it proves) makes its `min` calls. With [`Sizing::Fixed`] every phase
/// makes its `max` calls.
pub struct Stressor<'w> {
    window: &'w Window,
    tally: Tally,
}

impl<'w> Stressor<'w> {
    /// A stress of the instance behind `window`; it first has the collector run inside `cabi_realloc` every
    /// [`COLLECT_EVERY`] lowered bytes.
    pub fn new<T: 'static>(store: &mut host::wasmtime::Store<T>, window: &'w Window, sizing: Sizing) -> Result<Self> {
        window.collect_in_realloc(store, COLLECT_EVERY)?;
        Ok(Self { window, tally: Tally { sizing, counts: window.counts, phases: Vec::new() } })
    }

    /// Runs `call(store, n)` for n = 0, 1, … as described on [`Stressor`]; returns how many calls it made.
    pub fn phase<T: 'static>(
        &mut self,
        store: &mut host::wasmtime::Store<T>,
        what: &str,
        (min, max, sized): (usize, usize, bool),
        mut call: impl FnMut(&mut host::wasmtime::Store<T>, usize) -> Result<()>,
    ) -> Result<usize> {
        let start = self.window.count(store)?;
        let floor = match self.tally.sizing {
            Sizing::Window { floor } if sized => Some(floor),
            _ => None,
        };
        let most = if self.tally.sizing == Sizing::Fixed || sized { max } else { min.min(max) };
        let mut calls = 0;
        while calls < most {
            call(store, calls)?;
            calls += 1;
            if let Some(floor) = floor
                && calls >= min
                && self.window.count(store)? - start >= floor
            {
                break;
            }
        }
        let answered = self.window.count(store)? - start;
        if let Some(floor) = floor
            && answered < floor
        {
            let seen = match self.tally.counts {
                Counts::GuardedCalls => format!("the guarded window answered {answered} calls"),
                Counts::Collections => format!("the collector ran {answered} times inside cabi_realloc"),
            };
            bail!(
                "not stressed: {what}: {seen} in {calls} calls, under the floor of {floor} — Go's collector did not \
                 run inside `cabi_realloc`/`cabi_post_*` often enough on this artifact to prove it survives there"
            );
        }
        self.tally.phases.push(PhaseTally { what: what.to_string(), calls, answered });
        Ok(calls)
    }

    pub fn finish(self) -> Tally {
        self.tally
    }
}

/// Deterministic pseudo-random bytes (xorshift64*), so every run checks the same inputs.
pub fn pseudo_random(len: usize, seed: u64) -> Vec<u8> {
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
mod tests {
    use super::*;

    /// Every file under suites/ belongs to exactly one suite, so an edit to it re-runs that suite's checks.
    #[test]
    fn every_suite_file_versions_exactly_one_suite() {
        let src = crate::versions::Sources::embedded();
        for file in src.files().filter(|f| f.starts_with("xtask/pipeline/src/suites/")) {
            let owners: Vec<_> = ALL
                .iter()
                .filter(|s| s.sources.iter().any(|p| file == *p || file.starts_with(&format!("{p}/"))))
                .map(|s| s.world)
                .collect();
            assert_eq!(owners.len(), 1, "{file} belongs to the suites {owners:?}: list it in exactly one");
        }
        for suite in ALL {
            src.of(suite.sources);
        }
    }
}
