//! The async API: the same components called from async code (tokio or any executor) with `call_async`, beside
//! the synchronous API. It needs only wasmtime's `async` feature, which WASI preview 2 already requires, not
//! `component-model-async` (which roughly triples the cost of every call), so the sync path stays as lean.
//! WASI is linked with its async implementation here; the sync [`Host::linker`] must not be used from async code.

use anyhow::{Context, Result};
use wasmtime::Store;
use wasmtime::component::{Component, Instance, Linker};

use crate::{Host, HostConfig, State};

/// A [`Host`] plus a linker whose WASI calls are async.
pub struct AsyncHost {
    host: Host,
    linker: Linker<State>,
}

impl AsyncHost {
    /// The same engine and limits as [`Host::new`], with WASI preview 2 linked for async calls.
    pub fn new(config: &HostConfig) -> Result<Self> {
        let host = Host::new(config)?;
        let mut linker = Linker::new(host.engine());
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)
            .map_err(anyhow::Error::from)
            .context("failed to add async WASI preview 2 to the linker")?;
        Ok(Self { host, linker })
    }

    /// The underlying host: loading, the cache, stores.
    pub fn host(&self) -> &Host {
        &self.host
    }

    /// The async linker, for typed async bindings (`bindgen!` with `exports: { default: async }`: `instantiate_async`).
    pub fn linker(&self) -> &Linker<State> {
        &self.linker
    }

    /// Instantiates a component for async dynamic calls.
    pub async fn instantiate(&self, store: &mut Store<State>, component: &Component) -> Result<Instance> {
        match self.linker.instantiate_async(&mut *store, component).await {
            Ok(instance) => Ok(instance),
            Err(err) => Err(crate::explain(store, "instantiation", err)),
        }
    }
}
