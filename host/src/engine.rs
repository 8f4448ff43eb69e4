//! Engine configuration and component loading: one [`Host`] owns the wasmtime `Engine`, the `Linker` with WASI
//! preview 2 (plus whatever imports the embedder adds) and the epoch ticker that enforces call deadlines, and is
//! shared by every store. Nothing here runs guest code except [`Host::instantiate`].

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use wasmtime::component::{Component, Instance, InstancePre, Linker};
use wasmtime::{
    CallHook, Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, ProfilingStrategy, Store,
};

use crate::store::State;

/// How often the epoch ticker advances the engine's epoch: the granularity of call deadlines.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Settings that shape the engine and every store it creates. `Default` is what the pipeline's checks use.
#[derive(Debug, Clone)]
pub struct HostConfig {
    /// Largest linear memory one instance may grow to, in bytes (default 1 GiB). A guest that asks for more gets
    /// a failed `memory.grow`; the Go runtime then reports "out of memory" and exits.
    pub max_memory_bytes: usize,
    /// Most core and component instances one store may create (default 64; a Go component makes about six).
    pub max_instances: usize,
    /// Most tables one store may create (default 64) and most elements one table may grow to (default 2^20;
    /// Go's function table has tens of thousands).
    pub max_tables: usize,
    pub max_table_elements: usize,
    /// Largest native stack a call may use, in bytes (default 1 MiB; wasmtime's own default is 512 KiB). Deeper
    /// recursion traps with a stack overflow instead of crashing the host.
    pub max_wasm_stack: usize,
    /// Wall-clock limit of one call into the guest (default 10 s), enforced with epoch interruption (checked
    /// every [`EPOCH_TICK`]); `None` lets calls run forever. It bounds the whole call, the host's own entries
    /// into the guest during it (`cabi_realloc` for an import's results) included; the same holds for fuel.
    pub call_timeout: Option<Duration>,
    /// Capture what the guest writes to stderr (Go panics and fatal errors print there) and attach it to call
    /// errors, instead of passing it through to the host's stderr (default true).
    pub capture_stderr: bool,
    /// Work limit of one call into the guest, in wasmtime fuel units (roughly one per WebAssembly instruction;
    /// default `None`: no fuel accounting). Deterministic, unlike the wall-clock deadline, but every call pays for
    /// the counting; both can be on at once. A call that runs out traps with "out of fuel".
    pub fuel_per_call: Option<u64>,
    /// Initialise linear memory copy-on-write from the compiled image (default true, wasmtime's default): a new
    /// instance maps the module's data segments instead of copying them. Off only to measure what it saves.
    pub memory_init_cow: bool,
    /// `Some(n)`: use wasmtime's pooling allocator with slots for `n` live component instances (memories and
    /// tables are reserved up front and reused, so instantiation is cheap and copy-on-write initialises memory);
    /// instantiating more than `n` at once fails. `None` (default): allocate on demand.
    pub pool: Option<u32>,
    /// Make JIT-compiled guest code visible to `perf` (default off): `PerfMap` writes `/tmp/perf-<pid>.map`;
    /// `JitDump` writes a jitdump file for `perf inject` and needs the crate feature `jitdump`.
    pub profiler: Profiler,
    /// `Some(seed)`: every store's `wasi:random` generators (secure and insecure) and its insecure seed are
    /// derived from `seed` instead of the system's entropy (default `None`). For reproducing a guest's run
    /// exactly — the pipeline's checks use it, so a collector whose choices depend on the guest's random map
    /// seeds behaves the same on every run — never for serving: a guest's randomness becomes predictable.
    pub random_seed: Option<u64>,
    /// `Some(cache)`: compile through Cranelift's incremental cache, in memory ([`crate::CompileCache`]): a function
    /// this engine compiled before, in any component, is reused instead of compiled again (default `None`). For
    /// hosts that compile many similar components (the pipeline's checks compile every variant of a component;
    /// most of their functions are the same); a service that loads a few plugins gains nothing from it. The
    /// compiled code is the same either way.
    pub compile_cache: Option<crate::CompileCache>,
}

/// Which profiler the engine reports compiled code to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Profiler {
    #[default]
    None,
    PerfMap,
    JitDump,
}

impl Default for HostConfig {
    fn default() -> Self {
        Self {
            max_memory_bytes: 1 << 30,
            max_instances: 64,
            max_tables: 64,
            max_table_elements: 1 << 20,
            max_wasm_stack: 1 << 20,
            call_timeout: Some(Duration::from_secs(10)),
            fuel_per_call: None,
            memory_init_cow: true,
            capture_stderr: true,
            pool: None,
            profiler: Profiler::None,
            random_seed: None,
            compile_cache: None,
        }
    }
}

/// An engine plus a linker with WASI preview 2: load components once, instantiate them in many stores.
///
/// `T` is the embedder's own per-store data ([`State::data_mut`]): `Host` (that is, `Host<()>`) serves plugins
/// that import nothing but WASI; a service whose plugins call it back makes a `Host<MyData>` with
/// [`Host::with_data`] and adds its imports to [`Host::linker_mut`] (a `bindgen!` world's `add_to_linker`, or
/// `func_wrap`/`func_new`). Limits, deadlines, fuel, captured stderr, the cache, `prepare`, pooling and the fault
/// policy work the same for every `T`.
pub struct Host<T: 'static = ()> {
    engine: Engine,
    linker: Linker<State<T>>,
    config: HostConfig,
    _ticker: Option<Ticker>,
}

impl Host {
    /// Creates the engine (Cranelift, component model, the configured limits) and a linker providing WASI
    /// preview 2; starts the epoch ticker when calls have a deadline.
    pub fn new(config: &HostConfig) -> Result<Self> {
        Host::with_data(config)
    }
}

impl<T: Send + 'static> Host<T> {
    /// [`Host::new`] for a service with per-store data of its own, `T`: every store carries one
    /// ([`Host::store_with`]) and the imports added to [`Host::linker_mut`] reach it through
    /// [`State::data_mut`].
    ///
    /// ```no_run
    /// # use host::{Host, HostConfig, State};
    /// #[derive(Default)]
    /// struct Greeter { greeted: u32 }
    /// let mut host = Host::<Greeter>::with_data(&HostConfig::default())?;
    /// host.linker_mut().root().func_wrap("greet", |mut store: host::wasmtime::StoreContextMut<'_, State<Greeter>>, (): ()| {
    ///     store.data_mut().data_mut().greeted += 1;
    ///     Ok(())
    /// })?;
    /// # Ok::<(), anyhow::Error>(())
    /// ```
    pub fn with_data(config: &HostConfig) -> Result<Self> {
        let mut wasm_config = Config::new();
        wasm_config.wasm_component_model(true);
        wasm_config.max_wasm_stack(config.max_wasm_stack);
        wasm_config.epoch_interruption(config.call_timeout.is_some());
        wasm_config.consume_fuel(config.fuel_per_call.is_some());
        wasm_config.memory_init_cow(config.memory_init_cow);
        wasm_config.profiler(match config.profiler {
            Profiler::None => ProfilingStrategy::None,
            Profiler::PerfMap => ProfilingStrategy::PerfMap,
            Profiler::JitDump => ProfilingStrategy::JitDump,
        });
        if let Some(cache) = &config.compile_cache {
            wasm_config
                .enable_incremental_compilation(cache.store())
                .map_err(anyhow::Error::from)
                .context("failed to enable the compilation cache")?;
        }
        if let Some(instances) = config.pool {
            // A Go component is about five core instances (module, adapter, wit-component shims), two memories
            // and a few tables; Go's function table has tens of thousands of entries. A composition of two Go
            // components (`compose` in component.toml) needs twice that: each slot has room for one. Its core
            // instances' runtime space also passes wasmtime's 1 MiB default per component instance (1.15 MB for
            // the composed reporter, pre-initialized), a limit that reserves nothing.
            let mut pool = PoolingAllocationConfig::default();
            pool.total_component_instances(instances)
                .total_core_instances(instances * 16)
                .total_memories(instances * 4)
                .total_tables(instances * 8)
                .total_stacks(instances)
                .max_memory_size(config.max_memory_bytes)
                .table_elements(1 << 17)
                .max_core_instance_size(1 << 22)
                .max_component_instance_size(1 << 24);
            wasm_config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        }
        let engine =
            Engine::new(&wasm_config).map_err(anyhow::Error::from).context("failed to create the wasmtime engine")?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)
            .map_err(anyhow::Error::from)
            .context("failed to add WASI preview 2 to the linker")?;
        let ticker = config.call_timeout.map(|_| Ticker::start(engine.clone()));
        Ok(Self { engine, linker, config: config.clone(), _ticker: ticker })
    }

    /// The engine every component of this host is compiled for.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The linker (WASI preview 2 and the embedder's imports) used to instantiate components.
    pub fn linker(&self) -> &Linker<State<T>> {
        &self.linker
    }

    /// The linker, to add the imports the embedder gives its components: a `bindgen!` world's
    /// `add_to_linker::<_, HasSelf<_>>(host.linker_mut(), State::data_mut)`, or `func_wrap`/`func_new`. Add them
    /// before [`Host::prepare`] or [`Host::instantiate`]; an import the linker lacks fails there, naming every
    /// missing one.
    pub fn linker_mut(&mut self) -> &mut Linker<State<T>> {
        &mut self.linker
    }

    /// The configuration this host was created with.
    pub fn config(&self) -> &HostConfig {
        &self.config
    }

    /// Reads, validates and compiles a component file. A core module or a damaged file is rejected with the path.
    pub fn load(&self, path: impl AsRef<Path>) -> Result<Component> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).with_context(|| format!("failed to read {}", path.display()))?;
        self.load_bytes(&bytes).with_context(|| format!("failed to load component {}", path.display()))
    }

    /// Validates and compiles component bytes.
    pub fn load_bytes(&self, bytes: &[u8]) -> Result<Component> {
        if !wasmparser::Parser::is_component(bytes) {
            if wasmparser::Parser::is_core_wasm(bytes) {
                bail!(
                    "this is a core WebAssembly module, not a component: wrap it first (wit-component; in this \
                     repository `cargo xtask componentize`)"
                );
            }
            bail!("not a WebAssembly component (bad magic or version header)");
        }
        Component::new(&self.engine, bytes).map_err(anyhow::Error::from).context("failed to compile the component")
    }

    /// A component another host compiled, moved to this host's engine without compiling it again (serialized,
    /// then deserialized: milliseconds instead of seconds). The other engine must have this one's configuration;
    /// wasmtime refuses the bytes otherwise, and the error says so.
    pub fn adopt(&self, component: &Component) -> Result<Component> {
        let bytes = component.serialize().map_err(anyhow::Error::from).context("failed to serialize the component")?;
        // SAFETY: the bytes are what `Component::serialize` just wrote in this process; wasmtime checks that they
        // were compiled for a compatible engine before using them.
        unsafe { Component::deserialize(&self.engine, &bytes) }
            .map_err(anyhow::Error::from)
            .context("the component was compiled for an engine configured differently from this host's")
    }

    /// Instantiates a component for dynamic calls (see [`crate::dynamic`]). The Go runtime's initialization runs
    /// here (the component's start shim calls `_initialize`).
    pub fn instantiate(&self, store: &mut Store<State<T>>, component: &Component) -> Result<Instance> {
        let pre = self.prepare(component)?;
        pre.instantiate(&mut *store).map_err(|err| crate::explain(store, "instantiation", err))
    }

    /// Type-checks and links a component once, so that each later instantiation only allocates and initialises
    /// (`InstancePre`; typed bindings wrap it, e.g. a `bindgen!` world's `HasherPre::new(pre)`). A component importing
    /// what this host does not provide fails here, with every missing import named.
    pub fn prepare(&self, component: &Component) -> Result<InstancePre<State<T>>> {
        self.linker.instantiate_pre(component).map_err(|err| {
            let missing = crate::imports::missing(&self.linker, component);
            if missing.is_empty() {
                anyhow::Error::from(err).context("failed to link the component")
            } else {
                anyhow::anyhow!(
                    "failed to link the component: it imports {} that this host does not provide: {}",
                    if missing.len() == 1 { "a function" } else { "functions" },
                    missing.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", ")
                )
            }
        })
    }

    /// A fresh store carrying `data`: its own WASI context, memory limit and per-call deadline. Use one store
    /// per instance, and drop both after a failed call (see [`crate::Sandbox`]).
    pub fn store_with(&self, data: T) -> Store<State<T>> {
        let mut store = Store::new(&self.engine, State::new(&self.config, data));
        store.limiter(|state| &mut state.memory);
        let deadline = self.config.call_timeout.map(|timeout| {
            let ticks = (timeout.as_nanos() / EPOCH_TICK.as_nanos()).max(1) as u64 + 1;
            store.epoch_deadline_trap();
            store.set_epoch_deadline(ticks);
            ticks
        });
        let fuel = self.config.fuel_per_call;
        if let Some(fuel) = fuel {
            store.set_fuel(fuel).expect("fuel accounting is on in this engine");
        }
        if deadline.is_some() || fuel.is_some() {
            // Every call from the host into the guest gets the full budget again, but not an entry made while a
            // call runs: the host enters the guest's `cabi_realloc` to lower each list or string an import
            // returns, and re-arming there would let a guest that keeps calling such an import run for ever.
            let mut depth = 0u32;
            store.call_hook(move |mut ctx, hook| {
                match hook {
                    CallHook::CallingWasm => {
                        if depth == 0 {
                            if let Some(ticks) = deadline {
                                ctx.set_epoch_deadline(ticks);
                            }
                            if let Some(fuel) = fuel {
                                ctx.set_fuel(fuel)?;
                            }
                        }
                        depth += 1;
                    }
                    // wasmtime calls this on the way out of every entry whose `CallingWasm` succeeded, traps too.
                    CallHook::ReturningFromWasm => depth -= 1,
                    CallHook::CallingHost | CallHook::ReturningFromHost => {}
                }
                Ok(())
            });
        }
        store
    }

    /// A fresh store with the default data (see [`Host::store_with`]).
    pub fn store(&self) -> Store<State<T>>
    where
        T: Default,
    {
        self.store_with(T::default())
    }
}

/// Advances the engine's epoch every [`EPOCH_TICK`] until dropped. The thread parks between ticks, so dropping
/// the ticker wakes it and returns at once instead of waiting out a tick (a process that makes one call and exits
/// would otherwise spend up to a tick in its exit).
struct Ticker {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Ticker {
    fn start(engine: Engine) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("wasm-epoch-ticker".into())
            .spawn(move || {
                let mut next = Instant::now() + EPOCH_TICK;
                while !flag.load(Ordering::Acquire) {
                    let now = Instant::now();
                    if now < next {
                        // Wakes early when unparked (or spuriously); the loop then looks again.
                        std::thread::park_timeout(next - now);
                        continue;
                    }
                    engine.increment_epoch();
                    // A ticker that fell behind (a descheduled thread) ticks once, not once per missed tick.
                    next += EPOCH_TICK;
                    if next <= now {
                        next = now + EPOCH_TICK;
                    }
                }
            })
            .expect("spawn the epoch ticker thread");
        Self { stop, thread: Some(thread) }
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(thread) = self.thread.take() {
            thread.thread().unpark();
            let _ = thread.join();
        }
    }
}
