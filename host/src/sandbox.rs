//! [`Sandbox`]: one component, one live instance, and the fault policy — a call that fails (trap, deadline,
//! memory limit, guest exit) discards the instance and its store, and the next call gets a fresh one.

use anyhow::Result;
use wasmtime::Store;
use wasmtime::component::{Component, Instance};

use crate::{Host, State, dynamic};

/// Serves calls to one component, replacing the instance after any failed call. Each instance gets a store of
/// its own, with fresh embedder data (`T`, see [`Host::with_data`]).
pub struct Sandbox<'h, T: 'static = ()> {
    host: &'h Host<T>,
    component: Component,
    data: Box<dyn Fn() -> T + 'h>,
    live: Option<(Store<State<T>>, Instance)>,
    instantiations: usize,
}

impl<'h, T: Default + Send + 'static> Sandbox<'h, T> {
    /// A sandbox for `component`; the first call instantiates it, in a store with `T::default()`.
    pub fn new(host: &'h Host<T>, component: Component) -> Self {
        Self::with_data(host, component, T::default)
    }
}

impl<'h, T: Send + 'static> Sandbox<'h, T> {
    /// A sandbox whose every store carries `data()` (a handle to the service's state, for its imports).
    pub fn with_data(host: &'h Host<T>, component: Component, data: impl Fn() -> T + 'h) -> Self {
        Self { host, component, data: Box::new(data), live: None, instantiations: 0 }
    }

    /// The live instance, instantiated if there is none.
    pub fn instance(&mut self) -> Result<(&mut Store<State<T>>, &Instance)> {
        if self.live.is_none() {
            let mut store = self.host.store_with((self.data)());
            let instance = self.host.instantiate(&mut store, &self.component)?;
            self.instantiations += 1;
            self.live = Some((store, instance));
        }
        let (store, instance) = self.live.as_mut().expect("just ensured");
        Ok((store, instance))
    }

    /// Makes one call written in WAVE (see [`dynamic::call`]). When the guest fails, the instance is discarded; a
    /// call that never reached the guest (a typo in the WAVE text, an unknown export) keeps it.
    pub fn call(&mut self, call: &str) -> Result<Vec<String>> {
        let host = self.host;
        let component = self.component.clone();
        let (store, instance) = self.instance()?;
        let mut prepared = dynamic::prepare(host, &component, store, instance, call)?;
        let result = prepared.call(store).map(|_| ()).and_then(|()| prepared.results_as_wave());
        if result.is_err() {
            self.discard();
        }
        result
    }

    /// Drops the live instance and its store (after a failure whose effects on guest state are unknown).
    pub fn discard(&mut self) {
        self.live = None;
    }

    /// How many instances this sandbox has created (1 + the number of replacements after failures).
    pub fn instantiations(&self) -> usize {
        self.instantiations
    }
}
