//! Typed bindings for the `indexer` world (wit/indexer.wit), generated at compile time by wasmtime's `bindgen!`:
//! a world with imports. The host implements `gowasm::indexer::store::Host` and `gowasm::indexer::log::Host` for
//! its per-store data and links them with `Indexer::add_to_linker::<_, HasSelf<_>>(host.linker_mut(),
//! State::data_mut)`. Imports are trappable: an `Err` from the host fails the guest's call (a host error, as
//! opposed to the WIT-level `result` that `put` returns). The store's `cursor` resource is the host's [`Cursor`]:
//! `scan` returns one (`ResourceTable::push`), `HostCursor::next` reads through it and `drop` removes it.

wasmtime::component::bindgen!({
    world: "indexer",
    path: "../wit/indexer.wit",
    imports: { default: trappable },
    additional_derives: [PartialEq, Eq],
    with: { "gowasm:indexer/store.cursor": crate::indexer::Cursor },
});

/// The host's state behind a `store.cursor` handle: which entries it walks and how far it got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// The prefix of the keys it walks.
    pub prefix: String,
    /// The last key it returned (`None` before the first `next`).
    pub after: Option<String>,
}

impl Cursor {
    /// A cursor over the keys under `prefix`, before the first.
    pub fn new(prefix: String) -> Self {
        Self { prefix, after: None }
    }

    /// The next at most `max` (at least one) keys of `keys` (sorted, as a `BTreeMap`'s) under the prefix after
    /// the last one returned, advancing past them.
    pub fn advance<'k>(&mut self, keys: impl Iterator<Item = &'k String>, max: u32) -> Vec<&'k String> {
        let taken: Vec<&String> = keys
            .filter(|k| k.starts_with(&self.prefix) && self.after.as_ref().is_none_or(|after| *k > after))
            .take(max.max(1) as usize)
            .collect();
        if let Some(last) = taken.last() {
            self.after = Some((*last).clone());
        }
        taken
    }
}
