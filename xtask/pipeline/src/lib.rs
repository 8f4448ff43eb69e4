//! The Go → WebAssembly component pipeline as a library (placeholder header, rewritten below).

pub mod dist;
pub mod env;
pub mod model;
pub mod publish;
pub mod run;
pub mod scaffold;
pub mod stages;
pub mod status;
pub mod suite;
pub mod util;
pub mod versions;

#[cfg(any(test, feature = "testing"))]
pub mod testing;
