//! Fast instantiation for a service that makes an instance per request: the precompiled cache skips Cranelift
//! on every start but the first, and the pooling allocator reserves memory for a fixed number of live instances
//! up front, so each instantiation reuses a slot instead of mapping memory anew.
//!
//! ```text
//! cargo run -p host --example cache_and_pool -- target/dist/hasher/go1.26-opt.wasm [cache-dir]
//! ```
//!
//! The cache directory defaults to `$TMPDIR/host-example-cache`; run it twice to see the second load hit.

use std::time::Instant;

use anyhow::{Context, Result};
use host::{Host, HostConfig};

/// Live instances the pool has room for.
const POOL: u32 = 4;
/// Instantiations made one after another (each dropped before the next), reusing the pool's slots.
const ROUNDS: u32 = 100;

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let path = args.next().context("usage: cache_and_pool <component.wasm> [cache-dir]")?;
    let cache = args.next().map_or_else(|| std::env::temp_dir().join("host-example-cache"), Into::into);
    let host = Host::new(&HostConfig { pool: Some(POOL), ..HostConfig::default() })?;

    // Compiled on a miss, deserialized on a hit; a damaged entry is recompiled and replaced, never run.
    for attempt in 1..=2 {
        let started = Instant::now();
        let (_, outcome) = host.load_cached(&path, &cache)?;
        println!("load {attempt}: {outcome:?} in {:.1} ms", started.elapsed().as_secs_f64() * 1e3);
    }
    let (component, _) = host.load_cached(&path, &cache)?;
    let pre = host.prepare(&component)?;

    // The pool holds POOL live instances (one store each); one more is refused until a slot is free.
    let mut live = Vec::new();
    for _ in 0..POOL {
        let mut store = host.store();
        let instance = pre.instantiate(&mut store)?;
        live.push((store, instance));
    }
    match pre.instantiate(&mut host.store()) {
        Ok(_) => anyhow::bail!("the pool took more than {POOL} live instances"),
        Err(err) => println!("{POOL} live instances; one more is refused: {err}"),
    }
    drop(live);

    let started = Instant::now();
    for _ in 0..ROUNDS {
        let mut store = host.store();
        pre.instantiate(&mut store)?;
    }
    let micros = started.elapsed().as_secs_f64() * 1e6 / f64::from(ROUNDS);
    println!("{ROUNDS} instantiations from the pool: {micros:.0} µs each");
    Ok(())
}
