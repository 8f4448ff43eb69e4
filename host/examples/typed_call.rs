//! Typed calls: `bindgen!` turns a WIT world into Rust functions, the component is linked once into an
//! `InstancePre`, and each instance lives in a store of its own. Use this when you know the world at compile time;
//! `dynamic_call` calls any component by name instead.
//!
//! This example is written for the host tests' fixture world (`host/tests/fixture/fixture.wit`; `cargo test -p
//! host` builds the component into `target/tmp/host-fixture.wasm`):
//!
//! ```text
//! cargo run -p host --example typed_call -- target/tmp/host-fixture.wasm
//! ```

use anyhow::{Context, Result};
use host::{Host, HostConfig};

// Generates `Fixture` (one method per export) and `FixturePre`. The world's one import, `wasi:random/random`, is
// already provided by the host's linker, so its bindings are wasmtime-wasi's own.
wasmtime::component::bindgen!({
    world: "fixture",
    path: "tests/fixture/fixture.wit",
    with: { "wasi:random/random": wasmtime_wasi::p2::bindings::random::random },
});

fn main() -> Result<()> {
    let path = std::env::args().nth(1).context("usage: typed_call <component.wasm>")?;
    let host = Host::new(&HostConfig::default())?;
    let component = host.load(&path)?;

    // Type-check and link once; every instantiation after this only allocates and initializes.
    let pre = FixturePre::new(host.prepare(&component)?)
        .map_err(anyhow::Error::from)
        .context("the component does not implement world `fixture`")?;

    // One store per instance: it holds the instance's memory, WASI context and limits.
    let mut store = host.store();
    let fixture = pre.instantiate(&mut store)?;
    println!("add(2, 3) = {}", fixture.call_add(&mut store, 2, 3)?);
    println!("greet(\"typed\") = {:?}", fixture.call_greet(&mut store, "typed")?);
    println!("reverse([1, 2, 3]) = {:?}", fixture.call_reverse(&mut store, &[1, 2, 3])?);

    // A second instance from the same `InstancePre` has state of its own.
    let mut other_store = host.store();
    let other = pre.instantiate(&mut other_store)?;
    fixture.call_count(&mut store)?;
    let (first, second) = (fixture.call_count(&mut store)?, other.call_count(&mut other_store)?);
    println!("count() = {first} on the first instance, {second} on the second");
    Ok(())
}
