//! Per-store state: the guest's WASI context, its captured stderr (and stdout, where TinyGo prints its panics), a
//! resource limiter that caps and records linear memory, and the embedder's own data (`T`, what its imports
//! work on). One store serves one instance; nothing here is shared between stores.

use wasmtime::ResourceLimiter;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{ResourceTable, WasiCtx, WasiCtxView, WasiView};

use crate::HostConfig;

/// How much guest stderr a store keeps (the start of a Go panic report is what matters).
const STDERR_CAPACITY: usize = 256 << 10;

/// What a store carries for its instance: WASI state, captured stderr, memory accounting, and `data`, the
/// embedder's own per-store state (`()` unless the host was made with [`Host::with_data`](crate::Host::with_data)):
/// the imports a service gives its plugin reach it through [`State::data_mut`].
pub struct State<T = ()> {
    wasi: WasiCtx,
    table: ResourceTable,
    stderr: Option<MemoryOutputPipe>,
    stdout: Option<MemoryOutputPipe>,
    pub(crate) memory: MemoryStats,
    pub(crate) limits: Limits,
    data: T,
}

/// The limits a store was created with (for error messages).
#[derive(Debug, Clone)]
pub(crate) struct Limits {
    pub(crate) call_timeout: Option<std::time::Duration>,
    pub(crate) fuel_per_call: Option<u64>,
    pub(crate) max_wasm_stack: usize,
}

impl<T> State<T> {
    pub(crate) fn new(config: &HostConfig, data: T) -> Self {
        let mut wasi = WasiCtx::builder();
        if let Some(seed) = config.random_seed {
            use rand::SeedableRng;
            wasi.secure_random(rand::rngs::StdRng::seed_from_u64(seed));
            wasi.insecure_random(rand::rngs::StdRng::seed_from_u64(seed ^ 0x5eed));
            wasi.insecure_random_seed(u128::from(seed));
        }
        let stderr = if config.capture_stderr {
            let pipe = MemoryOutputPipe::new(STDERR_CAPACITY);
            wasi.stderr(pipe.clone());
            Some(pipe)
        } else {
            wasi.inherit_stderr();
            None
        };
        // Guest stdout is not passed through; it is kept (bounded) beside stderr because TinyGo writes its panic
        // reports there.
        let stdout = config.capture_stderr.then(|| {
            let pipe = MemoryOutputPipe::new(STDERR_CAPACITY);
            wasi.stdout(pipe.clone());
            pipe
        });
        Self {
            wasi: wasi.build(),
            table: ResourceTable::new(),
            stderr,
            stdout,
            memory: MemoryStats {
                limit: config.max_memory_bytes,
                current: 0,
                peak: 0,
                denied: false,
                instances: config.max_instances,
                tables: config.max_tables,
                table_elements: config.max_table_elements,
            },
            limits: Limits {
                call_timeout: config.call_timeout,
                fuel_per_call: config.fuel_per_call,
                max_wasm_stack: config.max_wasm_stack,
            },
            data,
        }
    }

    /// The embedder's data in this store.
    pub fn data(&self) -> &T {
        &self.data
    }

    /// The embedder's data in this store, for the imports it implements (the getter of a `bindgen!` world's
    /// `add_to_linker`: `|state: &mut State<MyData>| state.data_mut()`).
    pub fn data_mut(&mut self) -> &mut T {
        &mut self.data
    }

    /// Linear-memory figures of the instance in this store.
    pub fn memory(&self) -> &MemoryStats {
        &self.memory
    }

    /// What the guest wrote to stdout so far (captured together with stderr; empty otherwise).
    pub fn stdout(&self) -> String {
        self.stdout.as_ref().map(|p| String::from_utf8_lossy(&p.contents()).into_owned()).unwrap_or_default()
    }

    /// What the guest wrote to stderr so far (empty when stderr is passed through to the host).
    pub fn stderr(&self) -> String {
        self.stderr.as_ref().map(|p| String::from_utf8_lossy(&p.contents()).into_owned()).unwrap_or_default()
    }
}

impl<T: Send> WasiView for State<T> {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

/// The resource limiter of one store: caps on linear memory (with the size now and the largest size reached),
/// instances, tables and table elements. (The adapter's and the Go module's memories are both counted; the Go
/// heap dominates.)
#[derive(Debug, Clone)]
pub struct MemoryStats {
    limit: usize,
    current: usize,
    peak: usize,
    denied: bool,
    instances: usize,
    tables: usize,
    table_elements: usize,
}

impl MemoryStats {
    /// Bytes of linear memory now (sum over the instance's memories).
    pub fn current(&self) -> usize {
        self.current
    }

    /// The most linear memory the instance has held at once.
    pub fn peak(&self) -> usize {
        self.peak
    }

    /// The cap on linear memory.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Whether a `memory.grow` was refused because of the cap.
    pub fn denied(&self) -> bool {
        self.denied
    }
}

impl ResourceLimiter for MemoryStats {
    fn memory_growing(&mut self, current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        let next = self.current - current.min(self.current) + desired;
        if next > self.limit {
            self.denied = true;
            return Ok(false);
        }
        self.current = next;
        self.peak = self.peak.max(next);
        Ok(true)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        Ok(desired <= self.table_elements)
    }

    fn instances(&self) -> usize {
        self.instances
    }

    fn tables(&self) -> usize {
        self.tables
    }
}
