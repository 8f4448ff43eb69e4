//! Timing calls and instantiations: a burst of fresh instances, the empty call, and the floor component's empty
//! call beside which an artifact's is set.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use host::wasmtime::component::{Component, InstancePre, TypedFunc};
use host::{Host, State};

use super::{Hosts, INSTANCE_BURST, Plan};
use crate::FloorFigures;
use crate::stats::{Samples, timed};

/// The floor component (`floor.rs`) in the default and the lean engine.
pub(crate) struct Floor {
    pub(super) default: Component,
    pub(super) lean: Component,
    default_ns: Samples,
    lean_ns: Samples,
}

impl Floor {
    pub(crate) fn load(hosts: &Hosts) -> Result<Self> {
        let bytes = crate::floor::component()?;
        Ok(Self {
            default: hosts.default.load_bytes(&bytes)?,
            lean: hosts.lean.load_bytes(&bytes)?,
            default_ns: Samples::default(),
            lean_ns: Samples::default(),
        })
    }

    /// One sample of each engine's empty call (taken in every round, beside the artifacts').
    pub(crate) fn sample(&mut self, hosts: &Hosts, plan: &Plan) -> Result<()> {
        self.default_ns.push(empty_call_ns(&hosts.default, &self.default, plan.batch)?);
        self.lean_ns.push(empty_call_ns(&hosts.lean, &self.lean, plan.batch)?);
        Ok(())
    }

    pub(crate) fn finish(&self) -> Result<FloorFigures> {
        Ok(FloorFigures {
            empty_call_ns: self.default_ns.stat().context("no floor samples")?,
            empty_call_lean_ns: self.lean_ns.stat().context("no floor samples")?,
        })
    }
}
/// The mean `InstancePre::instantiate` of a burst of fresh instances, as a service making one per request does:
/// each store made outside the timing and dropped (its slot returned to the pool) before the next.
pub(super) fn burst(host: &Host, pre: &InstancePre<State>) -> Result<Duration> {
    let mut took = Duration::ZERO;
    for _ in 0..INSTANCE_BURST {
        let mut store = host.store();
        let (instance, lap) = timed(|| pre.instantiate(&mut store));
        instance.map_err(|e| host::explain(&store, "instantiation", e))?;
        took += lap;
    }
    Ok(took / INSTANCE_BURST)
}

/// `echo(u32) -> u32` on one warm instance of `component`: nanoseconds per call over `batch` calls, every result
/// checked.
pub(super) fn empty_call_ns(host: &Host, component: &Component, batch: usize) -> Result<f64> {
    let mut store = host.store();
    let instance = host.instantiate(&mut store, component)?;
    let echo: TypedFunc<(u32,), (u32,)> = instance.get_typed_func(&mut store, "echo")?;
    for i in 0..100 {
        echo.call(&mut store, (i,))?;
    }
    let start = Instant::now();
    for i in 0..batch as u32 {
        let (out,) = echo.call(&mut store, (i,))?;
        if out != i {
            bail!("echo({i}) returned {out}");
        }
    }
    Ok(start.elapsed().as_secs_f64() * 1e9 / batch as f64)
}
