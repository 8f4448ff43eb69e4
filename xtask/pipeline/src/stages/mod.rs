//! The stages, each taking inputs and returning bytes or a report: [`wit`] (reading a world), [`bindgen`] (Go
//! bindings), [`gobuild`] (go and TinyGo), [`postprocess`] (strip, wasm-opt), [`wizer`] (snapshots), [`harden`],
//! [`adapter`], [`componentize`] (its last step: [`forward`]), [`compose`] and [`check`]; [`govet`] vets
//! and tests the components' Go code. A stage never reads
//! flags, a global project root or another stage's internals; which stage runs when is the scheduler's business
//! (`run`).

pub mod adapter;
pub mod bindgen;
pub mod check;
pub mod componentize;
pub mod compose;
pub mod forward;
pub mod gobuild;
pub mod govet;
pub mod harden;
pub mod postprocess;
pub mod wit;
pub mod wizer;
