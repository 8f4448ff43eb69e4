//! The host: loads WebAssembly components built by this pipeline and calls them with wasmtime.
//!
//! It is both the pipeline's checker (`cargo xtask check` links it) and the library a Rust service embeds.
//! It never builds anything: it takes component bytes and runs them.
//!
//! Typed calls through bindings your crate generates from the plugin's world with wasmtime's `bindgen!` (this
//! library holds no component's bindings), with the precompiled cache and a prepared component:
//!
//! ```no_run
//! use host::{Host, HostConfig};
//!
//! wasmtime::component::bindgen!({ world: "hasher", inline: "
//!     package example:hasher;
//!     world hasher { export compute-hash: func(data: list<u8>) -> string; }
//! " });
//!
//! let host = Host::new(&HostConfig::default())?;
//! let (component, _outcome) = host.load_cached("target/dist/hasher/go1.26-opt.wasm", "target/cwasm-cache")?;
//! let pre = HasherPre::new(host.prepare(&component)?)?;
//! let mut store = host.store();
//! let hasher = pre.instantiate(&mut store)?;
//! let digest = hasher.call_compute_hash(&mut store, b"abc")?;
//! assert_eq!(digest.len(), 64);
//! # Ok::<(), anyhow::Error>(())
//! ```
//!
//! Dynamic calls in WAVE text, with the fault policy (a failed call discards the instance):
//!
//! ```no_run
//! use host::{Host, HostConfig, Sandbox};
//!
//! let host = Host::new(&HostConfig::default())?;
//! let mut sandbox = Sandbox::new(&host, host.load("target/dist/hasher/go1.26-opt.wasm")?);
//! match sandbox.call("compute-hash([1, 2, 3])") {
//!     Ok(results) => println!("{}", results.join(", ")),
//!     Err(err) => eprintln!("{err}"), // names the export and the cause; the next call gets a fresh instance
//! }
//! # Ok::<(), anyhow::Error>(())
//! ```

mod cache;
mod compile_cache;
mod engine;
mod fault;
mod imports;
mod sandbox;
mod store;

pub mod asynchronous;
pub mod dynamic;
#[cfg(feature = "oci")]
pub mod oci;

pub use cache::{CacheOutcome, SETTLE};
pub use compile_cache::{CompileCache, CompileCacheStats};
pub use engine::{EPOCH_TICK, Host, HostConfig, Profiler};
pub use fault::explain;
pub use sandbox::Sandbox;
pub use store::{MemoryStats, State};
/// The wasmtime this host is built on, so embedders name the same types.
pub use wasmtime;
