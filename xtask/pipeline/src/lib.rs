//! The Go → WebAssembly component pipeline as a library. No command line lives here (that is `xtask`, which only
//! turns flags into calls of this crate); nothing reads the process's working directory or a global project
//! root: every entry point takes the project's [`model::Workspace`] or root.
//!
//! Layers, each using only those before it (`tidy::modules_form_no_cycle` holds the modules to one direction):
//! - the base: [`status`] (what a person reads), [`util`] (files, hashes), [`versions`] (the sources this crate
//!   was built from, for cache keys and tool versions);
//! - [`model`]: components, builds, variants, selections, stress, paths, the harden pass's export names;
//! - [`env`]: the external tools, the pinned Go toolchains and TinyGo, installing what is missing, `doctor`;
//! - [`suite`]: the API a component's typed suite is written against, and the checks' host configuration;
//! - [`stages`]: each takes inputs and returns bytes or a report (bindgen, build, post-process, snapshot, harden,
//!   componentize, compose, check, vet);
//! - [`run`]: the scheduler over the stages, with its content-addressed keys, records, progress and lock;
//! - the tasks over a run: [`dist`] (ship, merge, verify), [`publish`] (OCI registries), [`scaffold`] (`new`,
//!   typed suites).

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
