//! A service that gives its Go plugin an API of its own: the `indexer` world imports a key-value store and a log,
//! and this host implements both (`bindgen!`'s host traits) on its per-store data, `Host<Service>`. The store
//! lives in the service (shared by every instance, behind a mutex); each instance's data is a handle to it plus
//! the plugin's log lines. Everything `Host` does for plugins that import nothing still applies: the deadline,
//! the memory cap, captured stderr, `prepare` once and instantiate per request.
//!
//! ```text
//! cargo xtask dist --component indexer --variant go1.26-opt
//! cargo run -p host --example plugin_host -- target/dist/indexer/go1.26-opt.wasm
//! ```

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use host::wasmtime::component::{HasSelf, Resource, ResourceTable};
use host::{Host, HostConfig, State};

// The plugin's world, as the service compiles it: `Indexer` and `IndexerPre` for the exports, and one host trait
// per imported interface (`store::Host`, `log::Host`). Imports are trappable: an `Err` fails the guest's call.
// The store's `cursor` resource is this service's [`Cursor`].
wasmtime::component::bindgen!({
    world: "indexer",
    path: "../wit/indexer.wit",
    imports: { default: trappable },
    with: { "gowasm:indexer/store.cursor": Cursor },
});

use gowasm::indexer::{log, store};

/// The service's state behind a `store.cursor` handle: which keys it walks and the last one it returned.
pub struct Cursor {
    prefix: String,
    after: Option<String>,
}

impl Cursor {
    /// The next at most `max` (at least one) of the sorted `keys` under the prefix after the last one returned.
    fn advance<'k>(&mut self, keys: impl Iterator<Item = &'k String>, max: u32) -> Vec<&'k String> {
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

/// What one instance of the plugin sees of the service: the shared documents, its own log and the cursors it
/// holds (host-side state behind `store.cursor` handles).
struct Service {
    documents: Arc<Mutex<BTreeMap<String, Vec<u8>>>>,
    log: Vec<String>,
    cursors: ResourceTable,
}

impl store::Host for Service {
    fn get(&mut self, key: String) -> host::wasmtime::Result<Option<Vec<u8>>> {
        Ok(self.documents.lock().expect("not poisoned").get(&key).cloned())
    }

    fn put(&mut self, key: String, value: Vec<u8>) -> host::wasmtime::Result<Result<(), String>> {
        if key.starts_with("system/") {
            return Ok(Err("keys under system/ are read-only".to_string()));
        }
        self.documents.lock().expect("not poisoned").insert(key, value);
        Ok(Ok(()))
    }

    fn keys(&mut self, prefix: String) -> host::wasmtime::Result<Vec<String>> {
        let documents = self.documents.lock().expect("not poisoned");
        Ok(documents.keys().filter(|k| k.starts_with(&prefix)).cloned().collect())
    }

    fn entries(&mut self, prefix: String) -> host::wasmtime::Result<Vec<store::Entry>> {
        let documents = self.documents.lock().expect("not poisoned");
        let matching = documents.iter().filter(|(k, _)| k.starts_with(&prefix));
        Ok(matching.map(|(k, v)| store::Entry { key: k.clone(), value: v.clone() }).collect())
    }

    fn scan(&mut self, prefix: String) -> host::wasmtime::Result<Resource<Cursor>> {
        Ok(self.cursors.push(Cursor { prefix, after: None })?)
    }
}

impl store::HostCursor for Service {
    fn next(&mut self, cursor: Resource<Cursor>, max: u32) -> host::wasmtime::Result<Vec<store::Entry>> {
        let documents = self.documents.lock().expect("not poisoned");
        let cursor = self.cursors.get_mut(&cursor)?;
        let taken = cursor.advance(documents.keys(), max);
        Ok(taken.into_iter().map(|k| store::Entry { key: k.clone(), value: documents[k].clone() }).collect())
    }

    fn drop(&mut self, cursor: Resource<Cursor>) -> host::wasmtime::Result<()> {
        self.cursors.delete(cursor)?;
        Ok(())
    }
}

impl log::Host for Service {
    fn write(&mut self, level: log::Level, message: String) -> host::wasmtime::Result<()> {
        let level = match level {
            log::Level::Debug => "debug",
            log::Level::Info => "info",
            log::Level::Warn => "warn",
            log::Level::Error => "error",
        };
        self.log.push(format!("{level}: {message}"));
        Ok(())
    }
}

fn main() -> Result<()> {
    let path = std::env::args().nth(1).context("usage: plugin_host <indexer component.wasm>")?;
    run(&path, &mut std::io::stdout().lock())
}

/// Loads the plugin, serves three requests (each on a fresh instance) and prints what happened to `out`.
pub fn run(path: &str, out: &mut impl Write) -> Result<()> {
    // The host's stores carry a `Service`; the world's imports are linked to it once.
    let mut host = Host::<Service>::with_data(&HostConfig::default())?;
    Indexer::add_to_linker::<_, HasSelf<Service>>(host.linker_mut(), State::data_mut)
        .map_err(anyhow::Error::from)
        .context("failed to link the store and log imports")?;
    let pre = IndexerPre::new(host.prepare(&host.load(path)?)?).map_err(anyhow::Error::from)?;

    let documents = Arc::new(Mutex::new(BTreeMap::from([
        ("notes/a".to_string(), b"The plugin asks its host for every document.".to_vec()),
        ("notes/b".to_string(), "Go, WIT und Grüße: the host answers.".as_bytes().to_vec()),
        ("system/motd".to_string(), b"read only".to_vec()),
    ])));
    let request = |name: &str, out: &mut dyn Write, call: &dyn Fn(&Indexer, &mut _) -> Result<String>| -> Result<()> {
        let mut store =
            host.store_with(Service { documents: documents.clone(), log: Vec::new(), cursors: ResourceTable::new() });
        let plugin = pre.instantiate(&mut store).map_err(|e| host::explain(&store, "instantiation", e))?;
        writeln!(out, "{name} = {}", call(&plugin, &mut store)?)?;
        for line in &store.data().data().log {
            writeln!(out, "  plugin log {line}")?;
        }
        Ok(())
    };
    request("summarize(\"notes/\")", out, &|plugin, store| {
        let summaries = plugin.call_summarize(store, "notes/").map_err(anyhow::Error::from)?;
        Ok(summaries
            .iter()
            .map(|s| format!("{} ({} bytes, {} words)", s.key, s.bytes, s.words))
            .collect::<Vec<_>>()
            .join(", "))
    })?;
    request("index-words(\"notes/b\", \"index/b\")", out, &|plugin, store| {
        Ok(format!("{:?}", plugin.call_index_words(store, "notes/b", "index/b").map_err(anyhow::Error::from)?))
    })?;
    request("index-words(\"notes/a\", \"system/index\")", out, &|plugin, store| {
        Ok(format!("{:?}", plugin.call_index_words(store, "notes/a", "system/index").map_err(anyhow::Error::from)?))
    })?;
    let index = documents.lock().expect("not poisoned").get("index/b").cloned().unwrap_or_default();
    writeln!(out, "the service now stores index/b = {:?}", String::from_utf8_lossy(&index))?;
    Ok(())
}
