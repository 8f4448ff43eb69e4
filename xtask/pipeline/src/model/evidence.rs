//! The exports the `harden` stage adds to every component, by their names in the component (the core module exports them under the same names, as
//! wit-component expects): the evidence a check's
//! stress reads (how often Go's runtime reached the host from inside the guarded window, or how often TinyGo's
//! collector ran inside `cabi_realloc`) and the switch it provokes that moment with. `harden` writes them,
//! `componentize` verifies them and the suites read them; the names are the contract between the three.

/// `gowasm:harden/window.guarded-calls`: the calls of Go's runtime the guarded window answered (big Go).
pub const WINDOW_EXPORT: &str = "gowasm:harden/window@0.1.0#guarded-calls";

/// `gowasm:harden/collector.collections-in-realloc`: collections inside `cabi_realloc` (TinyGo); the TinyGo flavour of the
/// runtime glue defines it (go/witpkg/wit/runtime/runtime_tinygo.go).
pub const COLLECTOR_EXPORT: &str = "gowasm:harden/collector@0.1.0#collections-in-realloc";

/// `gowasm:harden/stress.collect-in-realloc`: has the collector run inside `cabi_realloc` every N lowered bytes; both
/// flavours of the runtime glue define it (go/witpkg/wit/runtime/runtime.go).
pub const COLLECT_EXPORT: &str = "gowasm:harden/stress@0.1.0#collect-in-realloc";

/// Whether an export is one of those the harden pass adds (not the world's: nothing a check calls as the
/// component's own).
pub fn is_added(export: &str) -> bool {
    export.starts_with("gowasm:harden/")
}
