//! Per-store state: the guest's WASI context and a resource limiter that caps and records linear memory.
//! One store serves one instance; nothing here is shared between stores.

use wasmtime::ResourceLimiter;
use wasmtime_wasi::{ResourceTable, WasiCtx, WasiCtxView, WasiView};

use crate::HostConfig;

/// What a store carries for its instance: WASI state and memory accounting.
pub struct State {
    wasi: WasiCtx,
    table: ResourceTable,
    pub(crate) memory: MemoryStats,
}

impl State {
    pub(crate) fn new(config: &HostConfig) -> Self {
        let mut wasi = WasiCtx::builder();
        if config.inherit_stderr {
            wasi.inherit_stderr();
        }
        Self {
            wasi: wasi.build(),
            table: ResourceTable::new(),
            memory: MemoryStats { limit: config.max_memory_bytes, current: 0, peak: 0 },
        }
    }

    /// Linear-memory figures of the instance in this store.
    pub fn memory(&self) -> &MemoryStats {
        &self.memory
    }
}

impl WasiView for State {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

/// Linear memory of the instance in one store: the cap, the size now and the largest size it reached.
/// (The adapter's and the Go module's memories are both counted; the Go heap dominates.)
#[derive(Debug, Clone)]
pub struct MemoryStats {
    limit: usize,
    current: usize,
    peak: usize,
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
}

impl ResourceLimiter for MemoryStats {
    fn memory_growing(&mut self, current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        let next = self.current - current.min(self.current) + desired;
        if next > self.limit {
            return Ok(false);
        }
        self.current = next;
        self.peak = self.peak.max(next);
        Ok(true)
    }

    fn table_growing(&mut self, _current: usize, _desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        Ok(true)
    }
}
