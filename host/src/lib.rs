//! The host: loads WebAssembly components built by this pipeline and calls them with wasmtime.
//!
//! It is both the pipeline's checker (`cargo xtask check` links it) and the library a Rust service embeds.
//! It never builds anything: it takes component bytes and runs them.
//!
//! ```no_run
//! use host::{Host, HostConfig};
//!
//! let host = Host::new(&HostConfig::default())?;
//! let component = host.load("target/dist/hasher/go1.26-opt.wasm")?;
//! let mut store = host.store();
//! let hasher = host::hasher::Hasher::instantiate(&mut store, &component, host.linker())?;
//! let digest = hasher.call_compute_hash(&mut store, b"abc")?;
//! assert_eq!(digest.len(), 64);
//! # Ok::<(), anyhow::Error>(())
//! ```

mod cache;
mod engine;
mod fault;
mod sandbox;
mod store;

pub mod dynamic;
pub mod hasher;

pub use cache::CacheOutcome;
pub use engine::{EPOCH_TICK, Host, HostConfig};
pub use fault::explain;
pub use sandbox::Sandbox;
pub use store::{MemoryStats, State};
/// The wasmtime this host is built on, so embedders name the same types.
pub use wasmtime;
