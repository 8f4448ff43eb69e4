//! Typed bindings for the `textkit` world (wit/textkit.wit), generated at compile time by wasmtime's `bindgen!`:
//! records, variants, enums and flags become Rust types under `exports::gowasm::textkit::*`,
//! comparable with `==`.

wasmtime::component::bindgen!({
    world: "textkit",
    path: "../wit/textkit.wit",
    // Results compare with `==` against a reference in the checks.
    additional_derives: [PartialEq, Eq],
});
