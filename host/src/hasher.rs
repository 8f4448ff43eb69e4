//! Typed bindings for the `hasher` world (wit/hasher.wit), generated at compile time by wasmtime's `bindgen!`.
//! Use them when the world is known; [`crate::dynamic`] calls any component by name instead.

wasmtime::component::bindgen!({
    world: "hasher",
    path: "../wit/hasher.wit",
});

/// Typed async bindings for the same world, for [`crate::asynchronous::AsyncHost`]: `call_compute_hash(..).await`.
pub mod asynchronous {
    wasmtime::component::bindgen!({
        world: "hasher",
        path: "../wit/hasher.wit",
        exports: { default: async },
    });
}
