//! Cranelift's incremental compilation cache, kept in memory ([`CompileCache`]): a function whose
//! machine-independent form (its CLIF, with calls and other references left symbolic) was compiled before by
//! the same engine settings is not compiled again, only fixed up. The checks compile every variant of every
//! component, and variants share most of their code: `raw` and `strip` differ only in custom sections, `opt` and
//! `opt-wizer` only in their data, and builds of one Go release in a few packages.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use wasmtime::CacheStore;

/// A function-level compilation cache in memory, shared by every clone (`HostConfig::compile_cache`). When a new
/// function would take it past `max_bytes` it starts over empty: the components compiled last are the ones the
/// next is most like (the checks take a build's variants one after another).
#[derive(Clone, Debug)]
pub struct CompileCache(Arc<Store>);

/// What a [`CompileCache`] has done so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CompileCacheStats {
    /// Functions found compiled.
    pub hits: u64,
    /// Functions looked up and not found (compiled, then added unless the cache was full).
    pub misses: u64,
    /// Functions held now, and their keys' and compiled forms' bytes.
    pub entries: usize,
    pub bytes: usize,
}

#[derive(Debug)]
struct Store {
    entries: Mutex<HashMap<Vec<u8>, Arc<[u8]>>>,
    bytes: AtomicUsize,
    max_bytes: usize,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl CompileCache {
    /// An empty cache that grows to at most `max_bytes`.
    pub fn new(max_bytes: usize) -> Self {
        Self(Arc::new(Store {
            entries: Mutex::new(HashMap::new()),
            bytes: AtomicUsize::new(0),
            max_bytes,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }))
    }

    pub fn stats(&self) -> CompileCacheStats {
        let entries = self.0.entries.lock().unwrap_or_else(|e| e.into_inner()).len();
        CompileCacheStats {
            hits: self.0.hits.load(Ordering::Relaxed),
            misses: self.0.misses.load(Ordering::Relaxed),
            entries,
            bytes: self.0.bytes.load(Ordering::Relaxed),
        }
    }

    pub(crate) fn store(&self) -> Arc<dyn CacheStore> {
        self.0.clone()
    }
}

impl CacheStore for Store {
    fn get(&self, key: &[u8]) -> Option<Cow<'_, [u8]>> {
        let found = self.entries.lock().unwrap_or_else(|e| e.into_inner()).get(key).cloned();
        let counter = if found.is_some() { &self.hits } else { &self.misses };
        counter.fetch_add(1, Ordering::Relaxed);
        found.map(|bytes| Cow::Owned(bytes.to_vec()))
    }

    fn insert(&self, key: &[u8], value: Vec<u8>) -> bool {
        let size = key.len() + value.len();
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if size > self.max_bytes {
            return false;
        }
        if self.bytes.load(Ordering::Relaxed) + size > self.max_bytes {
            entries.clear();
            self.bytes.store(0, Ordering::Relaxed);
        }
        if entries.insert(key.to_vec(), value.into()).is_none() {
            self.bytes.fetch_add(size, Ordering::Relaxed);
        }
        true
    }
}
