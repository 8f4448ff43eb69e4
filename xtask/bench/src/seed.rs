//! The seed table's workload, typed: the exports the article's table measured, as any component that declares
//! `seed-table = true` in its component.toml must export them — `compute-hash: func(data: list<u8>) -> string`
//! (hex SHA-256) and `process-json: func(data: list<u8>) -> result<list<u8>, string>` (canonical JSON). Each is
//! type-checked once per instance and then called as `bindgen!`'s generated code calls it, so a figure here is
//! what an embedder's typed call costs. Which component that is, and its own Rust checks, live with it.

use anyhow::{Context, Result, bail};
use host::State;
use host::wasmtime::component::{Func, Instance, InstancePre, TypedFunc};
use host::wasmtime::{AsContextMut, Store};

/// The seed workload's exports of one instance.
pub(crate) struct Seed {
    compute_hash: Func,
    process_json: Func,
}

/// `compute-hash`'s signature.
type ComputeHash<'a> = TypedFunc<(&'a [u8],), (String,)>;
/// `process-json`'s signature.
type ProcessJson<'a> = TypedFunc<(&'a [u8],), (Result<Vec<u8>, String>,)>;

impl Seed {
    /// The exports of `instance`, type-checked against the workload's signatures.
    pub(crate) fn of(mut store: impl AsContextMut, instance: &Instance) -> Result<Self> {
        let mut func = |name: &str| {
            instance.get_func(&mut store, name).with_context(|| format!("the seed component exports no `{name}`"))
        };
        let (compute_hash, process_json) = (func("compute-hash")?, func("process-json")?);
        compute_hash
            .typed::<(&[u8],), (String,)>(&store)
            .map_err(anyhow::Error::from)
            .context("`compute-hash` is not `func(data: list<u8>) -> string`")?;
        process_json
            .typed::<(&[u8],), (Result<Vec<u8>, String>,)>(&store)
            .map_err(anyhow::Error::from)
            .context("`process-json` is not `func(data: list<u8>) -> result<list<u8>, string>`")?;
        Ok(Self { compute_hash, process_json })
    }

    /// A fresh instance from `pre` in `store`, with its exports.
    pub(crate) fn instantiate(pre: &InstancePre<State>, store: &mut Store<State>) -> Result<Self> {
        let instance = pre.instantiate(&mut *store).map_err(|e| host::explain(store, "instantiation", e))?;
        Self::of(store, &instance)
    }

    fn compute_hash_typed<'a>(&self) -> ComputeHash<'a> {
        // SAFETY: `of` checked the signature against this function's type (as `bindgen!`'s glue does once).
        unsafe { TypedFunc::new_unchecked(self.compute_hash) }
    }

    fn process_json_typed<'a>(&self) -> ProcessJson<'a> {
        // SAFETY: as above.
        unsafe { TypedFunc::new_unchecked(self.process_json) }
    }

    /// `compute-hash(data)`.
    pub(crate) fn compute_hash(&self, store: impl AsContextMut, data: &[u8]) -> host::wasmtime::Result<String> {
        Ok(self.compute_hash_typed().call(store, (data,))?.0)
    }

    /// `compute-hash(data)` through the async API.
    pub(crate) async fn compute_hash_async(
        &self,
        store: impl AsContextMut<Data: Send>,
        data: &[u8],
    ) -> host::wasmtime::Result<String> {
        Ok(self.compute_hash_typed().call_async(store, (data,)).await?.0)
    }

    /// `process-json(data)`.
    pub(crate) fn process_json(
        &self,
        store: impl AsContextMut,
        data: &[u8],
    ) -> host::wasmtime::Result<Result<Vec<u8>, String>> {
        Ok(self.process_json_typed().call(store, (data,))?.0)
    }

    /// `compute-hash(data)`, which must return `want`; a failure is explained as the host explains a guest's.
    pub(crate) fn expect_digest(&self, store: &mut Store<State>, data: &[u8], want: &str) -> Result<()> {
        let got = self.compute_hash(&mut *store, data).map_err(|e| host::explain(store, "compute-hash", e))?;
        if got != want {
            bail!("compute-hash returned {got}, want {want}");
        }
        Ok(())
    }
}

/// Whether `got` is the same JSON document as `want` (the component's check compared its canonical form with the
/// reference byte for byte; the bench only guards against timing a wrong answer).
pub(crate) fn same_document(got: &[u8], want: &serde_json::Value) -> bool {
    serde_json::from_slice::<serde_json::Value>(got).is_ok_and(|got| got == *want)
}
