//! Engine configuration and component loading: one [`Host`] owns the wasmtime `Engine` and the `Linker` with
//! WASI preview 2, and is shared by every store. Nothing here runs guest code.

use std::path::Path;

use anyhow::{Context, Result, bail};
use wasmtime::component::{Component, Instance, Linker};
use wasmtime::{Config, Engine, Store};

use crate::store::State;

/// Settings that shape the engine and every store it creates. `Default` is what the pipeline's checks use.
#[derive(Debug, Clone)]
pub struct HostConfig {
    /// Largest linear memory one instance may grow to, in bytes (default 1 GiB). A guest that asks for more
    /// gets a failed `memory.grow` (the Go runtime then reports out of memory and traps).
    pub max_memory_bytes: usize,
    /// Let the guest write to the host's stderr (Go panics print there). Default true.
    pub inherit_stderr: bool,
}

impl Default for HostConfig {
    fn default() -> Self {
        Self { max_memory_bytes: 1 << 30, inherit_stderr: true }
    }
}

/// An engine plus a linker with WASI preview 2: load components once, instantiate them in many stores.
pub struct Host {
    engine: Engine,
    linker: Linker<State>,
    config: HostConfig,
}

impl Host {
    /// Creates the engine (Cranelift, component model) and a linker providing WASI preview 2.
    pub fn new(config: &HostConfig) -> Result<Self> {
        let mut wasm_config = Config::new();
        wasm_config.wasm_component_model(true);
        let engine =
            Engine::new(&wasm_config).map_err(anyhow::Error::from).context("failed to create the wasmtime engine")?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)
            .map_err(anyhow::Error::from)
            .context("failed to add WASI preview 2 to the linker")?;
        Ok(Self { engine, linker, config: config.clone() })
    }

    /// The engine every component of this host is compiled for.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The linker (WASI preview 2) used to instantiate components.
    pub fn linker(&self) -> &Linker<State> {
        &self.linker
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
                bail!("this is a core WebAssembly module, not a component (run `cargo xtask componentize`)");
            }
            bail!("not a WebAssembly component (bad magic or version header)");
        }
        Component::new(&self.engine, bytes).map_err(anyhow::Error::from).context("failed to compile the component")
    }

    /// Instantiates a component for dynamic calls (see [`crate::dynamic`]). The Go runtime's initialization runs
    /// here (the component's start shim calls `_initialize`).
    pub fn instantiate(&self, store: &mut Store<State>, component: &Component) -> Result<Instance> {
        self.linker
            .instantiate(store, component)
            .map_err(anyhow::Error::from)
            .context("failed to instantiate the component")
    }

    /// A fresh store: its own WASI context and memory accounting, limited by this host's config.
    pub fn store(&self) -> Store<State> {
        let mut store = Store::new(&self.engine, State::new(&self.config));
        store.limiter(|state| &mut state.memory);
        store
    }
}
