//! Serving untrusted components: a wall-clock deadline, a memory cap and a fuel budget bound every call, and a
//! call that fails (trap, limit, guest exit) is answered with an error while the service goes on: `Sandbox`
//! discards the failed instance and the next call gets a fresh one.
//!
//! ```text
//! cargo run -p host --example sandbox -- target/dist/faulty/go1.26-opt.wasm 'echo(1)' 'spin()' 'echo(2)'
//! ```
//!
//! Each call is written in WAVE; each gets one line of output (`ok` or `failed`).

use std::time::Duration;

use anyhow::{Context, Result};
use host::{Host, HostConfig, Sandbox};

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let path = args.next().context("usage: sandbox <component.wasm> '<export>(<wave args>)'...")?;
    let config = HostConfig {
        // Wall clock, checked every `host::EPOCH_TICK`: the limit a service promises its callers.
        call_timeout: Some(Duration::from_secs(1)),
        // Linear memory per instance (a Go component needs a few MiB to start).
        max_memory_bytes: 256 << 20,
        // Deterministic work budget per call (about one unit per instruction); here a backstop far above the
        // deadline, so the deadline is what stops a loop.
        fuel_per_call: Some(20_000_000_000),
        ..HostConfig::default()
    };
    let host = Host::new(&config)?;
    let mut sandbox = Sandbox::new(&host, host.load(&path)?);

    let mut failed = 0;
    for call in args {
        match sandbox.call(&call) {
            Ok(results) => println!("ok     {call} = {}", results.join(", ")),
            Err(err) => {
                failed += 1;
                // The first line names the export and the cause (guest stderr follows on the next lines).
                println!("failed {call}: {}", err.to_string().lines().next().unwrap_or_default());
            }
        }
    }
    println!("{failed} failed, {} instance(s) created", sandbox.instantiations());
    Ok(())
}
