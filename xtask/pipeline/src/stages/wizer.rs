//! The `opt-wizer` post-processing level: a pre-initialized module, made in-process with `wasmtime-wizer`.
//!
//! Every instantiation of a Go module runs the Go runtime's start-up and every package `init` (`_initialize`, about
//! 0.5–1.7 ms). Here that runs once, at build time: the `opt` module is instantiated in wasmtime with WASI
//! preview1 (wasmtime-wasi `p1`), `_initialize` runs, and Wizer writes a module whose linear memory and globals are
//! the state it left. Whatever the runtime read from the host during `_initialize` is frozen into the artifact,
//! so the WASI context it runs in is fixed and documented (and the output is reproducible):
//! - **arguments and environment: none** (the same as the `host` crate gives every instance). `os.Args`,
//!   `os.Environ` and settings read from the environment at start-up (`GOGC`, `GODEBUG`) are those
//!   of the build, whatever the host passes later;
//! - **clocks:** the wall clock reads a fixed instant, the monotonic clock counts 1 ns per reading from 1. A new
//!   instance's monotonic clock (wasmtime-wasi: time since its WASI context was made) is then already past every
//!   reading in the snapshot, so Go's monotonic time never runs backwards; it jumps forward across the snapshot
//!   like a resumed process, which timers and the GC pacer accept;
//! - **randomness:** a fixed, public byte cycle. Re-seeding per instance is the module's job: the `_initialize`
//!   of the output is the Go export `gowasm_resume` (go/witpkg), which wit-component's start function runs at
//!   every instantiation; it re-seeds the runtime's generators from the host's `random_get`. Values drawn during
//!   package init stay as recorded (docs/design/snapshots.md).
//!
//! Goroutines parked at the snapshot (the runtime's background sweeper and scavenger, the user's) are plain data in linear
//! memory on wasm (one thread, Go stacks in linear memory, registers in globals), so they resume as they were.
//! `_initialize` runs under a fuel budget, so an init that never returns fails the build instead of hanging it.
//! This module must not know about components; componentize hardens and wraps its output like any other module.

use std::future::Future;
use std::pin::pin;
use std::task::{Context as TaskContext, Poll, Waker};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use host::wasmtime::{Config, Engine, Instance, Linker, Module, Store, Strategy, Val};
use wasmparser::{Parser, Payload};
use wasmtime_wasi::p1::{self, WasiP1Ctx};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{HostMonotonicClock, HostWallClock, WasiCtx};
use wasmtime_wizer::{InstanceState, SnapshotVal, ValType, Wizer};

/// The Go export that becomes the snapshot's `_initialize` (go/witpkg/wit/runtime/snapshot.go).
pub const RESUME_EXPORT: &str = "gowasm_resume";
/// The reactor's initialization function, run once here and removed from the output.
const INITIALIZE: &str = "_initialize";
/// Fuel for `_initialize`: Go 1.26's start-up and the faulty component's init use about 0.9 million units;
/// this is ~1,000× that.
const INIT_FUEL: u64 = 1_000_000_000;
/// The wall clock during the snapshot: one fixed instant, so every snapshot holds the same time.
const SNAPSHOT_WALL_CLOCK: Duration = Duration::from_secs(1_767_225_600);
/// The bytes `random_get` cycles through during the snapshot (public by design: re-seeded per instance).
const SNAPSHOT_RANDOM: &[u8] = b"gowasm wizer snapshot: not a secret, re-seeded by gowasm_resume per instance";

/// What the snapshot did, for status lines and tests.
#[derive(Debug)]
pub struct Report {
    /// Linear memory of the output at instantiation (the heap `_initialize` left), in bytes.
    pub initial_memory: u64,
    /// Fuel `_initialize` used (roughly, wasm instructions run): the work every instance no longer does.
    pub init_fuel: u64,
}

/// Runs `_initialize` of `module` once and returns the pre-initialized module, whose `_initialize` export is
/// `gowasm_resume`.
pub fn wizen(module: &[u8]) -> Result<(Vec<u8>, Report)> {
    // Only `_initialize` runs, once, yet the whole module is compiled for it: Winch, wasmtime's baseline compiler,
    // takes about a quarter of Cranelift's time for that (0.4 s instead of 1.4–2.2 s for big Go, most of a
    // snapshot). The snapshot is the linear memory and globals `_initialize` leaves, the same whichever compiler
    // ran it (`the_snapshot_is_the_same_whichever_compiler_runs_initialize`); only the fuel count differs, as the
    // two meter fuel differently (the go1.26 hasher: 0.86 million units under Winch, 1.19 million under Cranelift).
    wizen_with(module, Strategy::Winch)
}

fn wizen_with(module: &[u8], compiler: Strategy) -> Result<(Vec<u8>, Report)> {
    let exports = func_exports(module)?;
    for needed in [INITIALIZE, RESUME_EXPORT] {
        if !exports.iter().any(|e| e == needed) {
            bail!(
                "the module does not export `{needed}`: a snapshot needs a Go reactor (`-buildmode=c-shared`) \
                 linked with go/witpkg's runtime, which exports `{RESUME_EXPORT}`"
            );
        }
    }
    let mut wizer = Wizer::new();
    wizer.init_func(INITIALIZE);
    wizer.func_rename(INITIALIZE, RESUME_EXPORT);
    let (cx, instrumented) =
        wizer.instrument(module).map_err(anyhow::Error::from).context("wizer rejected the module")?;

    let mut config = Config::new();
    config.strategy(compiler);
    config.consume_fuel(true);
    let engine = Engine::new(&config).map_err(anyhow::Error::from)?;
    let compiled =
        Module::new(&engine, &instrumented).map_err(anyhow::Error::from).context("failed to compile the module")?;
    let mut linker: Linker<WasiP1Ctx> = Linker::new(&engine);
    p1::add_to_linker_sync(&mut linker, |cx| cx).map_err(anyhow::Error::from)?;
    // The world's own imports (what the component's host provides) are not there at build time: a package init
    // that calls one fails the snapshot, naming it, instead of being snapshotted with a made-up answer.
    linker.define_unknown_imports_as_traps(&compiled).map_err(anyhow::Error::from)?;
    let stderr = MemoryOutputPipe::new(64 << 10);
    let mut store = Store::new(&engine, snapshot_wasi(stderr.clone()));
    store.set_fuel(INIT_FUEL).map_err(anyhow::Error::from)?;
    let instance = linker
        .instantiate(&mut store, &compiled)
        .map_err(anyhow::Error::from)
        .context("failed to instantiate the module")?;
    let init = instance.get_typed_func::<(), ()>(&mut store, INITIALIZE).map_err(anyhow::Error::from)?;
    if let Err(err) = init.call(&mut store, ()) {
        let stderr = String::from_utf8_lossy(&stderr.contents()).trim_end().to_string();
        let stderr = if stderr.is_empty() { String::new() } else { format!("; guest stderr:\n{stderr}") };
        return Err(anyhow::Error::from(err)).context(format!("`{INITIALIZE}` failed while snapshotting{stderr}"));
    }
    let init_fuel = INIT_FUEL - store.get_fuel().map_err(anyhow::Error::from)?;
    let bytes = block_on(wizer.snapshot(&cx, &mut Snapshotted { store: &mut store, instance }))
        .map_err(anyhow::Error::from)
        .context("wizer failed to snapshot the instance")?;
    let bytes = drop_dead_passive_data(&bytes)?;
    crate::util::validate(&bytes).context("the snapshotted module does not validate")?;
    let initial_memory = initial_memory(&bytes)?;
    Ok((bytes, Report { initial_memory, init_fuel }))
}

/// The WASI context `_initialize` runs in: no arguments, no environment, no files, stdout discarded, stderr kept
/// for error messages, fixed clocks and randomness (see the module docs).
fn snapshot_wasi(stderr: MemoryOutputPipe) -> WasiP1Ctx {
    WasiCtx::builder()
        .stderr(stderr)
        .wall_clock(FixedWallClock)
        .monotonic_clock(CountingClock::default())
        .secure_random(wasmtime_wasi::Deterministic::new(SNAPSHOT_RANDOM.to_vec()))
        .insecure_random(wasmtime_wasi::Deterministic::new(SNAPSHOT_RANDOM.to_vec()))
        .insecure_random_seed(0)
        .build_p1()
}

struct FixedWallClock;

impl HostWallClock for FixedWallClock {
    fn resolution(&self) -> Duration {
        Duration::from_nanos(1)
    }
    fn now(&self) -> Duration {
        SNAPSHOT_WALL_CLOCK
    }
}

/// 1, 2, 3… nanoseconds: strictly increasing (Go rejects a zero start time) and the same on every build.
#[derive(Default)]
struct CountingClock(std::sync::atomic::AtomicU64);

impl HostMonotonicClock for CountingClock {
    fn resolution(&self) -> u64 {
        1
    }
    fn now(&self) -> u64 {
        self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1
    }
}

/// The instance's state, as Wizer reads it.
struct Snapshotted<'a> {
    store: &'a mut Store<WasiP1Ctx>,
    instance: Instance,
}

impl InstanceState for Snapshotted<'_> {
    async fn global_get(&mut self, name: &str, _: ValType) -> SnapshotVal {
        let global = self.instance.get_global(&mut *self.store, name).expect("wizer exported every mutable global");
        match global.get(&mut *self.store) {
            Val::I32(x) => SnapshotVal::I32(x),
            Val::I64(x) => SnapshotVal::I64(x),
            Val::F32(x) => SnapshotVal::F32(x),
            Val::F64(x) => SnapshotVal::F64(x),
            Val::V128(x) => SnapshotVal::V128(x.as_u128()),
            other => panic!("wizer rejects reference-typed globals before running, found {other:?}"),
        }
    }

    async fn memory_contents(&mut self, name: &str, contents: impl FnOnce(&[u8]) + Send) {
        let memory = self.instance.get_memory(&mut *self.store, name).expect("wizer exported every memory");
        contents(memory.data(&*self.store))
    }
}

/// Drives a future that never waits: Wizer's snapshot is async only for embedders whose instance state is remote;
/// ours answers at once.
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = TaskContext::from_waker(Waker::noop());
    match future.as_mut().poll(&mut cx) {
        Poll::Ready(value) => value,
        Poll::Pending => unreachable!("the snapshot of an in-process instance never waits"),
    }
}

/// The names of the module's function exports.
fn func_exports(module: &[u8]) -> Result<Vec<String>> {
    let mut names = Vec::new();
    for payload in Parser::new(0).parse_all(module) {
        if let Payload::ExportSection(reader) = payload.context("failed to parse the core module")? {
            for export in reader {
                let export = export?;
                if matches!(export.kind, wasmparser::ExternalKind::Func | wasmparser::ExternalKind::FuncExact) {
                    names.push(export.name.to_string());
                }
            }
        }
    }
    Ok(names)
}

/// Removes every passive data segment of `module` when no function refers to a data segment by index (no
/// `memory.init`, no `data.drop`): they are then dead. Wizer turns each active segment of its input into an empty
/// passive one (active segments are spent after instantiation), and Go's linker emits tens of thousands (39,178
/// for the hasher on Go 1.26), so without this every instantiation of the snapshot makes wasmtime fill a length
/// and a base pointer for each of them into the instance's context (profiled: 43 % of `InstancePre` with
/// pooling). A module that does refer to segments by index is returned as it is. The data count section, when
/// there is one, is updated to the segments kept.
fn drop_dead_passive_data(module: &[u8]) -> Result<Vec<u8>> {
    let mut kept = Vec::new();
    let mut passive = 0usize;
    for payload in Parser::new(0).parse_all(module) {
        match payload.context("failed to parse the snapshot")? {
            Payload::DataSection(reader) => {
                for data in reader {
                    let data = data?;
                    match data.kind {
                        wasmparser::DataKind::Passive => passive += 1,
                        wasmparser::DataKind::Active { .. } => kept.push(data.range),
                    }
                }
            }
            Payload::CodeSectionEntry(body) => {
                let mut operators = body.get_operators_reader()?;
                while !operators.eof() {
                    if let wasmparser::Operator::MemoryInit { .. } | wasmparser::Operator::DataDrop { .. } =
                        operators.read()?
                    {
                        return Ok(module.to_vec());
                    }
                }
            }
            _ => {}
        }
    }
    if passive == 0 {
        return Ok(module.to_vec());
    }
    let mut out = wasm_encoder::Module::new();
    for payload in Parser::new(0).parse_all(module) {
        let payload = payload?;
        let Some((id, range)) = payload.as_section() else { continue };
        match payload {
            Payload::DataSection(_) => {
                let mut section = wasm_encoder::DataSection::new();
                for segment in &kept {
                    section.raw(&module[segment.clone()]);
                }
                out.section(&section);
            }
            Payload::DataCountSection { .. } => {
                out.section(&wasm_encoder::DataCountSection { count: u32::try_from(kept.len())? });
            }
            _ => {
                out.section(&wasm_encoder::RawSection { id, data: &module[range] });
            }
        }
    }
    Ok(out.finish())
}

/// The minimum size of the module's first memory, in bytes.
fn initial_memory(module: &[u8]) -> Result<u64> {
    for payload in Parser::new(0).parse_all(module) {
        if let Payload::MemorySection(reader) = payload?
            && let Some(memory) = reader.into_iter().next()
        {
            return Ok(memory?.initial * 65536);
        }
    }
    bail!("the module defines no memory")
}

#[cfg(test)]
mod tests {
    use host::wasmtime::component::{Component, Linker as ComponentLinker, ResourceTable};
    use host::wasmtime::{Engine, Store};
    use wasmtime_wasi::{WasiCtxView, WasiView};
    use xshell::Shell;

    use super::*;
    use crate::model::{self, Workspace};
    use crate::stages::{componentize, postprocess};
    use crate::testing::root;

    /// The faulty component (it has the runtime probes) for the machine's Go, stripped: built once per test
    /// process into a work directory of its own. (wasm-opt is left out to keep the tests fast; the pipeline
    /// snapshots the optimized module, and `check` proves that one on every build.)
    fn faulty_stripped() -> (model::Component, Vec<u8>) {
        static MODULE: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
        let root = root();
        let component = model::select_components(&root, &["faulty".to_string()]).unwrap().remove(0);
        let module = MODULE.get_or_init(|| {
            let sh = Shell::new().unwrap();
            let build = model::builds().into_iter().find(|b| b.name == "go1.26").unwrap();
            let ws = Workspace {
                work: root.join(format!("target/xtask-tests/wizer-{}", std::process::id())),
                ..Workspace::new(&root)
            };
            let toolchain = crate::env::toolchain::GoToolchain::resolve(&sh, &root, &build).unwrap();
            let path = crate::stages::gobuild::build(&sh, &ws, &component, &build, &toolchain, None).unwrap();
            let bytes = postprocess::strip(&crate::util::read(&path).unwrap()).unwrap();
            std::fs::remove_dir_all(&ws.work).unwrap();
            bytes
        });
        (component, module.clone())
    }

    #[test]
    #[ignore = "slow tier: builds components with Go (`cargo xtask test` runs it)"]
    fn snapshot_exports_resume_as_initialize_and_is_reproducible() {
        let (_, module) = faulty_stripped();
        let (first, report) = wizen(&module).unwrap();
        let exports = func_exports(&first).unwrap();
        assert_eq!(exports.iter().filter(|e| *e == INITIALIZE).count(), 1, "{exports:?}");
        assert!(!exports.iter().any(|e| e == RESUME_EXPORT), "{RESUME_EXPORT} is exported only as _initialize");
        assert!(exports.iter().any(|e| e == "cabi_realloc_adapter"), "{exports:?}");
        // Go's heap and runtime state are in the snapshot: more initial memory than the module asked for.
        assert!(report.initial_memory > initial_memory(&module).unwrap(), "{report:?}");
        // Go's start-up ran, well inside the budget.
        assert!(report.init_fuel > 0 && report.init_fuel < INIT_FUEL / 10, "{report:?}");
        // Wizer's emptied copies of the input's active segments are gone; its snapshot's segments are active.
        let (active, passive) = data_segments(&first);
        assert!(active > 0 && passive == 0, "{active} active and {passive} passive data segments");
        let (second, _) = wizen(&module).unwrap();
        assert!(first == second, "two snapshots of one module differ: the snapshot's WASI context leaks");
    }

    /// (active, passive) data segments of `module`.
    fn data_segments(module: &[u8]) -> (usize, usize) {
        let mut counts = (0, 0);
        for payload in Parser::new(0).parse_all(module) {
            if let Payload::DataSection(reader) = payload.unwrap() {
                for data in reader {
                    match data.unwrap().kind {
                        wasmparser::DataKind::Active { .. } => counts.0 += 1,
                        wasmparser::DataKind::Passive => counts.1 += 1,
                    }
                }
            }
        }
        counts
    }

    /// A snapshot made with Winch (what `wizen` uses) is byte for byte the one Cranelift makes.
    #[test]
    #[ignore = "slow tier: builds components with Go (`cargo xtask test` runs it)"]
    fn the_snapshot_is_the_same_whichever_compiler_runs_initialize() {
        let (_, module) = faulty_stripped();
        let (winch, _) = wizen_with(&module, Strategy::Winch).unwrap();
        let (cranelift, _) = wizen_with(&module, Strategy::Cranelift).unwrap();
        assert!(winch == cranelift, "Winch and Cranelift left different snapshots");
        assert_eq!(winch, wizen(&module).unwrap().0);
    }

    /// Passive segments nothing can refer to are removed, the active ones kept with their offsets and bytes; a
    /// module whose code uses `memory.init` or `data.drop` keeps every segment.
    #[test]
    fn dead_passive_data_is_dropped_and_live_data_kept() {
        let module = |body: &str| {
            wat::parse_str(format!(
                r#"(module (memory (export "memory") 1)
                     (data (i32.const 16) "active")
                     (data "") (data "passive")
                     (data (i32.const 64) "second")
                     (func (export "f") {body}))"#
            ))
            .unwrap()
        };
        let dead = module("");
        let dropped = drop_dead_passive_data(&dead).unwrap();
        crate::util::validate(&dropped).unwrap();
        assert_eq!((data_segments(&dead), data_segments(&dropped)), ((2, 2), (2, 0)));
        let engine = Engine::default();
        let compiled = Module::new(&engine, &dropped).unwrap();
        let mut store = Store::new(&engine, ());
        let instance = Instance::new(&mut store, &compiled, &[]).unwrap();
        let memory = instance.get_memory(&mut store, "memory").unwrap();
        assert_eq!(&memory.data(&store)[16..22], b"active");
        assert_eq!(&memory.data(&store)[64..70], b"second");

        for live in ["i32.const 0 i32.const 0 i32.const 0 memory.init 2", "data.drop 1"] {
            let module = module(live);
            assert_eq!(drop_dead_passive_data(&module).unwrap(), module, "{live}");
        }
    }

    /// A module exporting `_initialize` (whose body is `init`) and, if `resume`, an empty `gowasm_resume`.
    fn reactor(init: &[wasm_encoder::Instruction<'_>], resume: bool) -> Vec<u8> {
        use wasm_encoder::{CodeSection, ExportKind, ExportSection, Function, FunctionSection, TypeSection};
        let mut m = wasm_encoder::Module::new();
        let mut types = TypeSection::new();
        types.ty().function([], []);
        m.section(&types);
        let mut funcs = FunctionSection::new();
        funcs.function(0).function(0);
        m.section(&funcs);
        let mut exports = ExportSection::new();
        exports.export(INITIALIZE, ExportKind::Func, 0);
        if resume {
            exports.export(RESUME_EXPORT, ExportKind::Func, 1);
        }
        m.section(&exports);
        let mut code = CodeSection::new();
        let mut body = Function::new([]);
        for instruction in init {
            body.instruction(instruction);
        }
        code.function(&body);
        let mut empty = Function::new([]);
        empty.instruction(&wasm_encoder::Instruction::End);
        code.function(&empty);
        m.section(&code);
        m.finish()
    }

    /// `module` with the export `name` removed (every other section copied as it is).
    fn without_export(module: &[u8], name: &str) -> Vec<u8> {
        use wasm_encoder::reencode::{Reencode, RoundtripReencoder};
        let mut out = wasm_encoder::Module::new();
        for payload in wasmparser::Parser::new(0).parse_all(module) {
            let payload = payload.unwrap();
            if let wasmparser::Payload::ExportSection(reader) = &payload {
                let mut exports = wasm_encoder::ExportSection::new();
                for export in reader.clone() {
                    let export = export.unwrap();
                    if export.name != name {
                        let kind = RoundtripReencoder.export_kind(export.kind).unwrap();
                        exports.export(export.name, kind, export.index);
                    }
                }
                out.section(&exports);
            } else if let Some((id, range)) = payload.as_section() {
                out.section(&wasm_encoder::RawSection { id, data: &module[range] });
            }
        }
        out.finish()
    }

    #[test]
    fn a_module_without_the_resume_export_is_rejected() {
        let err = format!("{:#}", wizen(&reactor(&[wasm_encoder::Instruction::End], false)).unwrap_err());
        assert!(err.contains("does not export `gowasm_resume`"), "{err}");
    }

    #[test]
    fn an_initialize_that_never_returns_fails_the_build() {
        use wasm_encoder::{BlockType, Instruction as I};
        let forever = [I::Loop(BlockType::Empty), I::Br(0), I::End, I::End];
        let err = format!("{:#}", wizen(&reactor(&forever, true)).unwrap_err());
        assert!(err.contains("`_initialize` failed while snapshotting") && err.contains("fuel"), "{err}");
    }

    /// Decision: a snapshot must be re-seeded per instance. Without `gowasm_resume` every instance of a snapshot
    /// draws the same "random" values (math/rand/v2 here; map seeds alike), which `check` proves no longer
    /// happens in the shipped variants (check/faulty/runtime_state.rs).
    #[test]
    #[ignore = "slow tier: builds components with Go (`cargo xtask test` runs it)"]
    fn without_resume_every_instance_draws_the_same_randomness() {
        let (component, module) = faulty_stripped();
        let root = root();
        let host = host::Host::new(&host::HostConfig::default()).unwrap();
        let draws = |snapshot: &[u8]| -> Vec<String> {
            let bytes = componentize::encode(&root, &component, snapshot).unwrap();
            (0..2)
                .map(|_| {
                    host::Sandbox::new(&host, host.load_bytes(&bytes).unwrap()).call("random()").unwrap().remove(0)
                })
                .collect()
        };
        // Without the re-seeding export, instantiation runs nothing: the snapshot's state is every instance's.
        let unseeded = draws(&without_export(&wizen(&module).unwrap().0, INITIALIZE));
        assert_eq!(unseeded[0], unseeded[1], "instances of an unseeded snapshot should repeat each other");
        let reseeded = draws(&wizen(&module).unwrap().0);
        assert_ne!(reseeded[0], reseeded[1], "gowasm_resume did not re-seed");
    }

    /// `HostConfig::random_seed` (the checks' host) makes the guest's randomness a function of the seed: two
    /// instances with one seed draw the same value, another seed another, and without a seed every instance its own.
    #[test]
    #[ignore = "slow tier: builds components with Go (`cargo xtask test` runs it)"]
    fn a_seeded_host_gives_every_instance_the_same_randomness() {
        let (component, module) = faulty_stripped();
        let bytes = componentize::encode(&root(), &component, &module).unwrap();
        let draws = |seed: Option<u64>| -> Vec<String> {
            let host = host::Host::new(&host::HostConfig { random_seed: seed, ..Default::default() }).unwrap();
            let loaded = host.load_bytes(&bytes).unwrap();
            (0..2).map(|_| host::Sandbox::new(&host, loaded.clone()).call("random()").unwrap().remove(0)).collect()
        };
        let (one, other, entropy) = (draws(Some(1)), draws(Some(2)), draws(None));
        assert_eq!(one[0], one[1], "one seed, two instances: different randomness");
        assert_eq!(draws(Some(1)), one, "the same seed in another host drew differently");
        assert_ne!(one[0], other[0], "two seeds drew the same value");
        assert_ne!(entropy[0], entropy[1], "without a seed, two instances drew the same value");
    }

    struct Ctx {
        wasi: WasiCtx,
        table: ResourceTable,
    }

    impl WasiView for Ctx {
        fn ctx(&mut self) -> WasiCtxView<'_> {
            WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
        }
    }

    /// `environment()` and `arguments()` of a fresh instance whose host passes FOO=bar and two arguments.
    fn environment_and_arguments(engine: &Engine, component: &[u8]) -> (Vec<String>, Vec<String>) {
        let component = Component::new(engine, component).unwrap();
        let mut linker = ComponentLinker::new(engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker).unwrap();
        let wasi = WasiCtx::builder().env("FOO", "bar").args(&["probe", "x"]).build();
        let mut store = Store::new(engine, Ctx { wasi, table: ResourceTable::new() });
        let instance = linker.instantiate(&mut store, &component).unwrap();
        let mut call = |name: &str| {
            let f = instance.get_typed_func::<(), (Vec<String>,)>(&mut store, name).unwrap();
            f.call(&mut store, ()).unwrap().0
        };
        (call("environment"), call("arguments"))
    }

    /// Decision (documented in the module docs): a snapshot keeps the environment and arguments of the build
    /// (none), whatever the host passes; without a snapshot the module reads the host's.
    #[test]
    #[ignore = "slow tier: builds components with Go (`cargo xtask test` runs it)"]
    fn environment_and_arguments_are_those_of_the_build() {
        let (component, module) = faulty_stripped();
        let root = root();
        let engine = Engine::default();
        let plain = componentize::encode(&root, &component, &module).unwrap();
        let (env, args) = environment_and_arguments(&engine, &plain);
        assert_eq!((env, args), (vec!["FOO=bar".to_string()], vec!["probe".to_string(), "x".to_string()]));
        let snapshotted = componentize::encode(&root, &component, &wizen(&module).unwrap().0).unwrap();
        let (env, args) = environment_and_arguments(&engine, &snapshotted);
        assert_eq!((env, args), (Vec::<String>::new(), Vec::<String>::new()));
    }
}
