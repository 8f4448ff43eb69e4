//! Typed bindings for the `indexer` world (wit/indexer.wit), generated at compile time by wasmtime's `bindgen!`:
//! a world with imports. The host implements `gowasm::indexer::store::Host` and `gowasm::indexer::log::Host` for
//! its per-store data and links them with `Indexer::add_to_linker::<_, HasSelf<_>>(host.linker_mut(),
//! State::data_mut)`. Imports are trappable: an `Err` from the host fails the guest's call (a host error, as
//! opposed to the WIT-level `result` that `put` returns).

wasmtime::component::bindgen!({
    world: "indexer",
    path: "../wit/indexer.wit",
    imports: { default: trappable },
    additional_derives: [PartialEq, Eq],
});
