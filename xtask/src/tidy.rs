//! Tidy: the architecture's invariants, checked mechanically over the source tree (rust-analyzer's
//! `xtask/src/tidy.rs` is the model).
