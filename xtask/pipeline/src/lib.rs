//! The Go → WebAssembly component pipeline as a library: models, stages, the scheduler with its content-addressed
//! keys, and the check suites. No command line lives here (that is `xtask`, which only translates flags into calls
//! of this crate); nothing here reads the process's working directory or a global project root: every entry point
//! takes the project's [`model::Workspace`] or root.
//!
//! Layers, each using only those above it:
//! - [`model`]: components, builds, variants, selections, stress, workspace, paths (a leaf);
//! - [`status`], [`util`], [`tools`], [`toolchain`], [`tinygo`], [`versions`]: output, files, external tools;
//! - stages, each taking inputs and returning bytes or a report: [`wit`], [`bindgen`], [`gobuild`] (go and TinyGo),
//!   [`postprocess`] (strip, wasm-opt), [`wizer`], [`harden`], [`adapter`], [`componentize`] (its last step:
//!   [`forward`]);
//! - [`check`] (the runner, its declarative cases) over [`suites`] (the typed suites, one registry keyed by world);
//! - [`scheduler`] over [`keys`], [`records`] and [`progress`]: what runs, in parallel, what is fresh, how far it is.

pub mod adapter;
pub mod bindgen;
pub mod check;
pub mod componentize;
pub mod compose;
pub mod forward;
pub mod gobuild;
pub mod harden;
pub mod keys;
pub mod model;
pub mod postprocess;
pub mod progress;
pub mod records;
pub mod scheduler;
pub mod status;
pub mod suites;
pub mod tinygo;
pub mod toolchain;
pub mod tools;
pub mod util;
pub mod versions;
pub mod wit;
pub mod wizer;

#[cfg(any(test, feature = "testing"))]
pub mod testing;
