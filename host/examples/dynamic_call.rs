//! Dynamic calls: load any component, list what it exports, and call one export with arguments written in WAVE
//! text (the results come back as WAVE). Nothing is known about the world at compile time.
//!
//! ```text
//! cargo run -p host --example dynamic_call -- target/dist/hasher/go1.26-opt.wasm 'compute-hash([97, 98, 99])'
//! ```
//!
//! Without a call it only lists the exports.

use anyhow::{Context, Result};
use host::{Host, HostConfig, dynamic};

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let path = args.next().context("usage: dynamic_call <component.wasm> ['<export>(<wave args>)']")?;
    let host = Host::new(&HostConfig::default())?;
    let component = host.load(&path)?;

    // World-level functions by name, interface functions as `ns:pkg/iface@version#name`.
    for export in dynamic::exported_functions(&host, &component) {
        println!("export {export}");
    }

    if let Some(call) = args.next() {
        let mut store = host.store();
        let instance = host.instantiate(&mut store, &component)?;
        // Parsed against the export's own parameter types; a failure names the export and the cause.
        let results = dynamic::call(&host, &component, &mut store, &instance, &call)?;
        println!("{call} = {}", results.join(", "));
    }
    Ok(())
}
