//! The indexer component's typed checks: a plugin that calls its host. The host side is a real key-value store and
//! log ([`Kv`], implementing the typed import traits `bindgen!` generates for the world) in a `Host<Kv>`; every export is called
//! with documents of every kind (ASCII, Unicode, bytes that are not UTF-8, empty, absent) and compared with the
//! Rust reference below, the store's refusals and the host's own failures included. Then a stress on one
//! instance in both directions: large values and thousands of strings come *in* as import results, which the
//! host places in Go's memory through `cabi_realloc` from inside the guest's import call (Trap 2 entered from
//! an import: the window the hardening must also cover), and go *out* as export results and `put` arguments.
//! The Go side is go/indexer.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, bail, ensure};
use host::{Host, HostConfig, State};
use pipeline::model::Stress;
use pipeline::status;
use pipeline::suite::{Phase, Stressor, Subject, Verdict, Window, pseudo_random};
use wasmtime::Store;
use wasmtime::component::{HasSelf, Resource, ResourceTable};

// Typed bindings of the world, with imports: the host implements `gowasm::indexer::store::Host` and
// `gowasm::indexer::log::Host` for its per-store data. Imports are trappable: an `Err` from the host fails the
// guest's call (a host error, as opposed to the WIT-level `result` that `put` returns). The store's `cursor`
// resource is the host's [`Cursor`].
wasmtime::component::bindgen!({
    world: "indexer",
    path: "../../../wit/indexer.wit",
    imports: { default: trappable },
    additional_derives: [PartialEq, Eq],
    with: { "gowasm:indexer/store.cursor": crate::Cursor },
});

use gowasm::indexer::{log, store};

fn main() -> ExitCode {
    pipeline::suite::main(check)
}

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

/// The host's side of the plugin: the documents, the keys it refuses to write, the log, and what crossed.
#[derive(Debug, Default)]
pub struct Kv {
    pub docs: BTreeMap<String, Vec<u8>>,
    /// `put` on one of these returns the WIT error `read-only`.
    pub read_only: Vec<String>,
    /// `keys` and `entries` under this prefix fail as a host error (the call traps), like a store gone away.
    pub offline_prefix: Option<String>,
    pub log: Vec<(log::Level, String)>,
    /// The cursors the plugin holds (`scan` made them, `drop` ends them), and how many it opened.
    pub cursors: ResourceTable,
    pub cursors_opened: usize,
    pub cursors_live: usize,
    /// Import calls answered, and the bytes of strings and lists they returned into the guest.
    pub import_calls: usize,
    pub bytes_in: usize,
}

impl store::Host for Kv {
    fn get(&mut self, key: String) -> wasmtime::Result<Option<Vec<u8>>> {
        self.import_calls += 1;
        let value = self.docs.get(&key).cloned();
        self.bytes_in += value.as_ref().map_or(0, Vec::len);
        Ok(value)
    }

    fn put(&mut self, key: String, value: Vec<u8>) -> wasmtime::Result<Result<(), String>> {
        self.import_calls += 1;
        if self.read_only.contains(&key) {
            return Ok(Err("read-only".to_string()));
        }
        self.docs.insert(key, value);
        Ok(Ok(()))
    }

    fn keys(&mut self, prefix: String) -> wasmtime::Result<Vec<String>> {
        self.import_calls += 1;
        self.online(&prefix)?;
        let keys: Vec<String> = self.docs.keys().filter(|k| k.starts_with(&prefix)).cloned().collect();
        self.bytes_in += keys.iter().map(String::len).sum::<usize>();
        Ok(keys)
    }

    fn entries(&mut self, prefix: String) -> wasmtime::Result<Vec<store::Entry>> {
        self.import_calls += 1;
        self.online(&prefix)?;
        let entries: Vec<store::Entry> = self
            .docs
            .iter()
            .filter(|(k, _)| k.starts_with(&prefix))
            .map(|(k, v)| store::Entry { key: k.clone(), value: v.clone() })
            .collect();
        self.bytes_in += entries.iter().map(|e| e.key.len() + e.value.len()).sum::<usize>();
        Ok(entries)
    }

    fn scan(&mut self, prefix: String) -> wasmtime::Result<Resource<Cursor>> {
        self.import_calls += 1;
        self.online(&prefix)?;
        self.cursors_opened += 1;
        self.cursors_live += 1;
        self.cursors.push(Cursor::new(prefix)).map_err(wasmtime::Error::from)
    }
}

impl store::HostCursor for Kv {
    fn next(&mut self, cursor: Resource<Cursor>, max: u32) -> wasmtime::Result<Vec<store::Entry>> {
        self.import_calls += 1;
        let docs = &self.docs;
        let cursor = self.cursors.get_mut(&cursor).map_err(wasmtime::Error::from)?;
        let taken = cursor.advance(docs.keys(), max);
        let entries: Vec<store::Entry> =
            taken.into_iter().map(|k| store::Entry { key: k.clone(), value: docs[k].clone() }).collect();
        self.bytes_in += entries.iter().map(|e| e.key.len() + e.value.len()).sum::<usize>();
        Ok(entries)
    }

    fn drop(&mut self, cursor: Resource<Cursor>) -> wasmtime::Result<()> {
        self.cursors.delete(cursor).map_err(wasmtime::Error::from)?;
        self.cursors_live -= 1;
        Ok(())
    }
}

impl log::Host for Kv {
    fn write(&mut self, level: log::Level, message: String) -> wasmtime::Result<()> {
        self.import_calls += 1;
        self.log.push((level, message));
        Ok(())
    }
}

impl Kv {
    fn online(&self, prefix: &str) -> wasmtime::Result<()> {
        match &self.offline_prefix {
            Some(offline) if prefix.starts_with(offline.as_str()) => {
                Err(wasmtime::Error::msg(format!("the store is offline for `{prefix}`")))
            }
            _ => Ok(()),
        }
    }
}

/// A host whose stores carry a [`Kv`] and whose linker provides the world's imports from it.
pub fn kv_host(config: &HostConfig) -> Result<Host<Kv>> {
    let mut host = Host::<Kv>::with_data(config)?;
    Indexer::add_to_linker::<_, HasSelf<Kv>>(host.linker_mut(), State::data_mut)
        .map_err(anyhow::Error::from)
        .context("failed to link the indexer imports")?;
    Ok(host)
}

fn check(subject: &Subject) -> Result<Verdict> {
    let host = kv_host(subject.host.config())?;
    let pre = IndexerPre::new(host.prepare(&host.adopt(subject.component())?)?).map_err(anyhow::Error::from)?;
    vectors(&host, &pre, subject.label)?;
    resources(&host, &pre, subject.label).context("resources")?;
    faults(&host, &pre).context("fault probes")?;
    // The stress has an instance of its own (the vectors, resources and fault probes above have theirs).
    let mut store = host.store_with(Kv::default());
    let instance = pre.instance_pre().instantiate(&mut store).map_err(|e| host::explain(&store, "instantiation", e))?;
    let indexer = Indexer::new(&mut store, &instance).map_err(anyhow::Error::from)?;
    let window = Window::of(&mut store, &instance)?;
    subject.stress(|| run_stress(&indexer, &window, &mut store, subject.stress, subject.label))
}

fn instantiate(host: &Host<Kv>, pre: &IndexerPre<State<Kv>>, kv: Kv) -> Result<(Store<State<Kv>>, Indexer)> {
    let mut store = host.store_with(kv);
    let indexer = pre.instantiate(&mut store).map_err(|e| host::explain(&store, "instantiation", e))?;
    Ok((store, indexer))
}

/// Documents of every kind the words rule must handle.
fn documents() -> Vec<(String, Vec<u8>)> {
    let mut docs: Vec<(String, Vec<u8>)> = [
        ("doc/ascii", "The quick brown Fox, the LAZY dog: 42 times!".as_bytes().to_vec()),
        ("doc/empty", Vec::new()),
        ("doc/space", " \t\r\n.,;".as_bytes().to_vec()),
        ("doc/unicode", "Grüße\u{a0}мир\u{3000}東京 ÉCOLE école x_y \u{fffd}z\u{2028}Ω".as_bytes().to_vec()),
        ("doc/invalid", b"ab\xffcd\xe2\x82Ef\xed\xa0\x80gh\xc3".to_vec()),
        ("doc/repeated", "b a b c a b B A".as_bytes().to_vec()),
        ("other/one", b"one".to_vec()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    for seed in 0..4 {
        docs.push((format!("doc/random-{seed}"), random_text(4096 + seed as usize * 977, seed)));
        docs.push((format!("doc/bytes-{seed}"), pseudo_random(1000 + seed as usize * 31, seed + 50)));
    }
    docs
}

/// Text of words, Unicode, punctuation and stray bytes, `len` bytes long.
fn random_text(len: usize, seed: u64) -> Vec<u8> {
    const PIECES: [&str; 12] =
        ["alpha", "Beta", "GAMMA", "δέλτα", "東京", "x9", " ", "\n", ", ", "\u{3000}", "\u{fffd}", "Ünïcödé"];
    let noise = pseudo_random(len, seed + 1000);
    let mut out = Vec::with_capacity(len + 16);
    let mut i = 0;
    while out.len() < len {
        let pick = noise[i % noise.len()] as usize;
        if pick == 255 {
            out.push(0xff);
        } else {
            out.extend_from_slice(PIECES[pick % PIECES.len()].as_bytes());
        }
        i += 1;
    }
    out
}

fn vectors(host: &Host<Kv>, pre: &IndexerPre<State<Kv>>, label: &str) -> Result<()> {
    let start = Instant::now();
    let docs = documents();
    let kv = Kv { docs: docs.iter().cloned().collect(), read_only: vec!["ro".to_string()], ..Kv::default() };
    let (mut store, indexer) = instantiate(host, pre, kv)?;
    for (key, value) in &docs {
        let got = indexer.call_digest(&mut store, key).map_err(|e| host::explain(&store, "digest", e))?;
        ensure!(got == Some(reference::digest(value)), "digest({key:?}) returned {got:?}");
        let target = format!("index/{key}");
        let got = indexer.call_index_words(&mut store, key, &target).map_err(|e| host::explain(&store, "index", e))?;
        let (text, count) = reference::index(value);
        ensure!(got == Ok(count), "index-words({key:?}) returned {got:?}, expected ok({count})");
        let stored = store.data().data().docs.get(&target).cloned();
        ensure!(
            stored.as_deref() == Some(text.as_bytes()),
            "index-words({key:?}) stored {:?}, expected {text:?}",
            stored.map(|s| String::from_utf8_lossy(&s).into_owned())
        );
    }
    let got = indexer.call_total_bytes(&mut store).map_err(|e| host::explain(&store, "total-bytes", e))?;
    let want: u64 = store.data().data().docs.values().map(|v| v.len() as u64).sum();
    ensure!(got == want, "total-bytes returned {got}, expected {want}");
    let got = indexer.call_digest(&mut store, "absent").map_err(|e| host::explain(&store, "digest", e))?;
    ensure!(got.is_none(), "digest of an absent key returned {got:?}");
    let got = indexer.call_index_words(&mut store, "absent", "t").map_err(|e| host::explain(&store, "index", e))?;
    ensure!(got == Err("no document under \"absent\"".to_string()), "index-words of an absent key returned {got:?}");
    let got = indexer.call_index_words(&mut store, "doc/ascii", "ro").map_err(|e| host::explain(&store, "index", e))?;
    ensure!(got == Err("the store refused \"ro\": read-only".to_string()), "index-words into `ro` returned {got:?}");

    for prefix in ["doc/", "doc/random", "other/", "", "nothing"] {
        let logged = store.data().data().log.len();
        let got = indexer.call_summarize(&mut store, prefix).map_err(|e| host::explain(&store, "summarize", e))?;
        let want = reference::summarize(&store.data().data().docs, prefix);
        ensure!(got == want, "summarize({prefix:?}) returned {got:?}, expected {want:?}");
        let log = &store.data().data().log[logged..];
        let line = format!("summarized {} documents under {prefix:?}", want.len());
        ensure!(log == [(log::Level::Info, line.clone())], "summarize({prefix:?}) logged {log:?}, expected {line:?}");
    }
    let prefixes: Vec<String> = ["doc/", "index/doc/r", "", "zz", "doc/bytes-1"].map(String::from).to_vec();
    let got = indexer.call_list_keys(&mut store, &prefixes).map_err(|e| host::explain(&store, "list-keys", e))?;
    let want: Vec<Vec<String>> = prefixes
        .iter()
        .map(|p| store.data().data().docs.keys().filter(|k| k.starts_with(p.as_str())).cloned().collect())
        .collect();
    ensure!(got == want, "list-keys({prefixes:?}) returned {got:?}");
    status::step(
        "Vectors",
        format!(
            "{label}: {} documents × 4 exports against the reference in {}",
            docs.len(),
            status::elapsed(start.elapsed())
        ),
    );
    Ok(())
}

/// The exported `word-index` resource (constructor, methods, the static `merge` with two borrows, `absorb`
/// taking an own handle, drop) against the reference, reading through the host's `cursor` resource; every cursor
/// the plugin opened is dropped by the time the call returns; a handle used after it was dropped or moved is an
/// error naming the resource, and the instance serves on.
fn resources(host: &Host<Kv>, pre: &IndexerPre<State<Kv>>, label: &str) -> Result<()> {
    let start = Instant::now();
    let docs = documents();
    let (mut store, indexer) = instantiate(host, pre, Kv { docs: docs.iter().cloned().collect(), ..Kv::default() })?;
    let index = indexer.gowasm_indexer_search().word_index();
    let explain = |store: &Store<State<Kv>>, what: &str, err| host::explain(store, what, err);
    let a = index.call_constructor(&mut store).map_err(|e| explain(&store, "constructor", e))?;
    let b = index.call_constructor(&mut store).map_err(|e| explain(&store, "constructor", e))?;
    for (handle, prefix, batch) in [(a, "doc/", 3), (b, "other/", 0), (b, "doc/random", 1)] {
        let got =
            index.call_add_prefix(&mut store, handle, prefix, batch).map_err(|e| explain(&store, "add-prefix", e))?;
        let want = docs.iter().filter(|(k, _)| k.starts_with(prefix)).count() as u32;
        ensure!(got == want, "add-prefix({prefix:?}, {batch}) read {got} documents, expected {want}");
    }
    let kv = store.data().data();
    ensure!(
        kv.cursors_opened == 3 && kv.cursors_live == 0,
        "{} cursors opened (expected 3), {} still open (expected 0)",
        kv.cursors_opened,
        kv.cursors_live
    );
    let of = |prefixes: &[&str]| -> Vec<(String, Vec<u8>)> {
        docs.iter().filter(|(k, _)| prefixes.iter().any(|p| k.starts_with(p))).cloned().collect()
    };
    let merged = index.call_merge(&mut store, a, b).map_err(|e| explain(&store, "merge", e))?;
    let probes = ["the", "FOX", "grüße", "мир", "alpha", "x9", "one", "absent", ""];
    for (handle, holds, name) in [
        (a, of(&["doc/"]), "a"),
        (b, of(&["other/", "doc/random"]), "b"),
        (merged, of(&["doc/", "other/"]), "merge(a, b)"),
    ] {
        let want = reference::WordIndex::of(&holds);
        let size = index.call_size(&mut store, handle).map_err(|e| explain(&store, "size", e))?;
        ensure!(size == want.size(), "{name}: size {size}, expected {}", want.size());
        for word in probes {
            let got = index.call_lookup(&mut store, handle, word).map_err(|e| explain(&store, "lookup", e))?;
            ensure!(
                got == want.lookup(word),
                "{name}: lookup({word:?}) returned {got:?}, expected {:?}",
                want.lookup(word)
            );
        }
    }
    index.call_absorb(&mut store, a, b).map_err(|e| explain(&store, "absorb", e))?;
    let size = index.call_size(&mut store, a).map_err(|e| explain(&store, "size", e))?;
    let want = reference::WordIndex::of(&of(&["doc/", "other/"])).size();
    ensure!(size == want, "after absorb: size {size}, expected {want}");
    let moved = match index.call_size(&mut store, b) {
        Ok(size) => bail!("size of a word-index moved into absorb returned {size}"),
        Err(err) => format!("{:#}", explain(&store, "call to `word-index.size`", err)),
    };
    ensure!(moved.contains("after its ownership moved into another call"), "use after move: {moved}");
    for handle in [a, merged] {
        handle.resource_drop(&mut store).map_err(|e| explain(&store, "drop", e))?;
    }
    let dropped = match index.call_size(&mut store, a) {
        Ok(size) => bail!("size of a dropped word-index returned {size}"),
        Err(err) => format!("{:#}", explain(&store, "call to `word-index.size`", err)),
    };
    ensure!(dropped.contains("a resource handle used after it was dropped"), "use after drop: {dropped}");
    // The instance serves on after the refused calls.
    let c = index.call_constructor(&mut store).map_err(|e| explain(&store, "constructor", e))?;
    let got = index.call_add_prefix(&mut store, c, "other/", 5).map_err(|e| explain(&store, "add-prefix", e))?;
    ensure!(got == 1, "a new word-index after the refused calls read {got} documents");
    status::step(
        "Resources",
        format!(
            "{label}: word-index constructor, 4 methods, static merge, absorb, drop; store cursors; use after drop refused in {}",
            status::elapsed(start.elapsed())
        ),
    );
    Ok(())
}

/// A host error inside an import fails the guest's call, naming the cause, and a fresh instance serves again.
fn faults(host: &Host<Kv>, pre: &IndexerPre<State<Kv>>) -> Result<()> {
    let kv = Kv { offline_prefix: Some("down/".to_string()), ..Kv::default() };
    let (mut store, indexer) = instantiate(host, pre, kv)?;
    match indexer.call_list_keys(&mut store, &["down/x".to_string()]) {
        Ok(got) => bail!("list-keys on an offline store returned {got:?} instead of failing"),
        Err(err) => {
            let text = format!("{:#}", host::explain(&store, "call to `list-keys`", err));
            ensure!(text.contains("the store is offline for `down/x`"), "the failure does not carry its cause: {text}");
        }
    }
    let (mut store, indexer) = instantiate(host, pre, Kv::default())?;
    let got = indexer.call_list_keys(&mut store, &["up/".to_string()]).map_err(anyhow::Error::from)?;
    ensure!(got == vec![Vec::<String>::new()], "a fresh instance after the failure returned {got:?}");
    Ok(())
}

/// How much linear memory the stress's total-bytes calls may add: their results, 1.3 MiB a call (130 MiB over
/// the stress's 100 calls), must not stay.
const TOTAL_BYTES_GROWTH: usize = 64 << 20;

/// The stress, on one instance: digests of 64 KiB documents and of 1 MiB ones (the value comes in as `get`'s
/// result), each until the window answered the floor (at most `calls_64k / 5` and `calls_1m / 2`), then
/// `calls_64k / 500` list-keys of 2,000 keys in two nested lists (thousands of strings in, each placed by its own
/// `cabi_realloc`, and out again), `calls_64k / 1000` summaries of 64 documents of 16 KiB (a list of records with
/// strings and lists, in), as many word indexes, and `calls_64k / 100` total-bytes (with floor 0: ten times
/// as many of each but the last). Every result is compared.
fn run_stress(
    indexer: &Indexer,
    window: &Window,
    store: &mut Store<State<Kv>>,
    stress: Stress,
    label: &str,
) -> Result<Verdict> {
    let start = Instant::now();
    let mut stressor = Stressor::new(store, window, stress.sizing)?;
    let big: Vec<(String, Vec<u8>)> = (0..4)
        .map(|i| (format!("big/64k/{i}"), pseudo_random(64 << 10, 7000 + i)))
        .chain((0..2).map(|i| (format!("big/1m/{i}"), pseudo_random(1 << 20, 8000 + i))))
        .collect();
    let summed: Vec<(String, Vec<u8>)> =
        (0..64).map(|i| (format!("sum/{i:02}"), random_text(16 << 10, 9000 + i))).collect();
    let keys: Vec<String> =
        (0..2000).map(|i| format!("key/{}/{i:05}-{}", i % 2, "k".repeat(i % 40))).collect::<Vec<_>>();
    {
        let kv = store.data_mut().data_mut();
        kv.docs.extend(big.iter().cloned());
        kv.docs.extend(summed.iter().cloned());
        kv.docs.extend(keys.iter().map(|k| (k.clone(), Vec::new())));
    }
    let digests: BTreeMap<&str, String> = big.iter().map(|(k, v)| (k.as_str(), reference::digest(v))).collect();
    let summaries = reference::summarize(&store.data().data().docs, "sum/");
    let prefixes = ["key/0/".to_string(), "key/1/".to_string()];
    let nested: Vec<Vec<String>> =
        prefixes.iter().map(|p| keys.iter().filter(|k| k.starts_with(p.as_str())).cloned().collect()).collect();
    let before = store.data().data().bytes_in;
    let fail = |store: &Store<State<Kv>>, what: &str, call: usize, err| {
        host::explain(store, &format!("stress: {what} call #{}", call + 1), err)
    };
    // The digests are sized by the window; the other phases make their least calls (with floor 0: their most).
    let fixed = |least: usize, most: usize| Phase::fixed(least.max(1), most.max(1));
    let mut calls = Vec::new();
    // 64 KiB documents (the first four), then 1 MiB ones (the last two).
    let digest_phases = [
        (Phase::sized(100, stress.calls_64k / 5), 0, 4, "digest (64 KiB)"),
        (Phase::sized(10, stress.calls_1m / 2), 4, 2, "digest (1 MiB)"),
    ];
    for (shape, first, kinds, what) in digest_phases {
        calls.push(stressor.phase(store, what, shape, |store, call| {
            let (key, _) = &big[first + call % kinds];
            let got = indexer.call_digest(&mut *store, key).map_err(|e| fail(store, what, call, e))?;
            let want = digests[key.as_str()].as_str();
            ensure!(got.as_deref() == Some(want), "stress: digest({key}) #{} returned {got:?}", call + 1);
            Ok(())
        })?);
    }
    let shape = fixed(stress.calls_64k / 500, stress.calls_64k / 50);
    calls.push(stressor.phase(store, "list-keys", shape, |store, call| {
        let got = indexer.call_list_keys(&mut *store, &prefixes).map_err(|e| fail(store, "list-keys", call, e))?;
        ensure!(got == nested, "stress: list-keys #{} returned other keys", call + 1);
        Ok(())
    })?);
    let shape = fixed(stress.calls_64k / 1000, stress.calls_64k / 100);
    calls.push(stressor.phase(store, "summarize", shape, |store, call| {
        let got = indexer.call_summarize(&mut *store, "sum/").map_err(|e| fail(store, "summarize", call, e))?;
        ensure!(got == summaries, "stress: summarize #{} returned other summaries", call + 1);
        Ok(())
    })?);
    let index = indexer.gowasm_indexer_search().word_index();
    let want = reference::WordIndex::of(&summed);
    let words = ["alpha", "gamma", "東京", "ünïcödé", "absent"];
    let shape = fixed(stress.calls_64k / 1000, stress.calls_64k / 200);
    calls.push(stressor.phase(store, "word-index", shape, |store, call| {
        let handle = index.call_constructor(&mut *store).map_err(|e| fail(store, "word-index", call, e))?;
        let read =
            index.call_add_prefix(&mut *store, handle, "sum/", 8).map_err(|e| fail(store, "add-prefix", call, e))?;
        let size = index.call_size(&mut *store, handle).map_err(|e| fail(store, "size", call, e))?;
        ensure!(read == 64 && size == want.size(), "stress: word-index #{}: read {read}, size {size}", call + 1);
        for word in words {
            let got = index.call_lookup(&mut *store, handle, word).map_err(|e| fail(store, "lookup", call, e))?;
            ensure!(got == want.lookup(word), "stress: word-index #{}: lookup({word:?}) returned {got:?}", call + 1);
        }
        handle.resource_drop(&mut *store).map_err(|e| fail(store, "drop", call, e))?;
        Ok(())
    })?);
    ensure!(store.data().data().cursors_live == 0, "stress: {} cursors left open", store.data().data().cursors_live);
    // An export without arguments that calls an import: every result must be released when the call returns
    // (it once stayed pinned until an export with arguments ran), so memory stays put over the whole store
    // coming in again and again.
    // (Without the 1 MiB documents: TinyGo's heap fragments under several 1 MiB blocks per call and doubles past
    // the memory cap, whatever is released; the digest calls above carry the 1 MiB results.)
    store.data_mut().data_mut().docs.retain(|k, _| !k.starts_with("big/1m/"));
    let total: u64 = store.data().data().docs.values().map(|v| v.len() as u64).sum();
    let before_total = store.data().memory().current();
    let shape = fixed(stress.calls_64k / 100, stress.calls_64k / 100);
    calls.push(stressor.phase(store, "total-bytes", shape, |store, call| {
        let got = indexer.call_total_bytes(&mut *store).map_err(|e| fail(store, "total-bytes", call, e))?;
        ensure!(got == total, "stress: total-bytes #{} returned {got}, expected {total}", call + 1);
        Ok(())
    })?);
    let tally = stressor.finish();
    let grown = store.data().memory().current().saturating_sub(before_total);
    ensure!(
        grown <= TOTAL_BYTES_GROWTH,
        "stress: {} total-bytes calls ({:.0} MiB of import results in all) grew linear memory by {:.0} MiB (at most {} MiB): import results are being kept",
        calls[5],
        (calls[5] as u64 * total) as f64 / (1 << 20) as f64,
        grown as f64 / (1 << 20) as f64,
        TOTAL_BYTES_GROWTH >> 20
    );
    store.data_mut().data_mut().log.clear();
    let bytes_in = store.data().data().bytes_in - before;
    let peak = store.data().memory().peak();
    status::step(
        "Stress",
        format!(
            "{label}: {} × 64 KiB + {} × 1 MiB digest, {} list-keys (2,000 keys back), {} summarize (64 × 16 KiB back), {} word-indexes (64 × 16 KiB through cursors), {} total-bytes ({:.1} MiB back, no arguments): {:.0} MiB returned into Go by imports in {}; linear memory peak {:.1} MiB; {}",
            calls[0],
            calls[1],
            calls[2],
            calls[3],
            calls[4],
            calls[5],
            total as f64 / (1 << 20) as f64,
            bytes_in as f64 / (1024.0 * 1024.0),
            status::elapsed(start.elapsed()),
            peak as f64 / (1024.0 * 1024.0),
            tally.summary()
        ),
    );
    Ok(Verdict { stress_peak: Some(peak), window: Some(tally), stress_time: Some(start.elapsed()) })
}

/// The rules of wit/indexer.wit in Rust, written independently of the Go code.
pub mod reference {
    use std::collections::BTreeMap;

    use sha2::{Digest, Sha256};

    use super::Summary;

    pub fn digest(value: &[u8]) -> String {
        Sha256::digest(value).iter().map(|b| format!("{b:02x}")).collect()
    }

    fn is_word_char(c: char) -> bool {
        if c.is_ascii() { c.is_ascii_alphanumeric() } else { c != char::REPLACEMENT_CHARACTER && !c.is_whitespace() }
    }

    /// The words of `value` read as UTF-8 (what is not UTF-8 separates words), ASCII letters lowercased.
    pub fn words(value: &[u8]) -> Vec<String> {
        String::from_utf8_lossy(value)
            .split(|c: char| !is_word_char(c))
            .filter(|w| !w.is_empty())
            .map(str::to_ascii_lowercase)
            .collect()
    }

    /// The distinct words, sorted by byte and joined by `\n`, and how many.
    pub fn index(value: &[u8]) -> (String, u32) {
        let mut words = words(value);
        words.sort();
        words.dedup();
        (words.join("\n"), words.len() as u32)
    }

    /// The `word-index` resource's contents: word → keys.
    pub struct WordIndex(BTreeMap<String, std::collections::BTreeSet<String>>);

    impl WordIndex {
        /// The index of `docs` (a later document under the same key replaces an earlier one).
        pub fn of(docs: &[(String, Vec<u8>)]) -> Self {
            let latest: BTreeMap<&String, &Vec<u8>> = docs.iter().map(|(k, v)| (k, v)).collect();
            let mut map: BTreeMap<String, std::collections::BTreeSet<String>> = BTreeMap::new();
            for (key, value) in latest {
                for word in words(value) {
                    map.entry(word).or_default().insert(key.clone());
                }
            }
            Self(map)
        }

        pub fn size(&self) -> u32 {
            self.0.len() as u32
        }

        pub fn lookup(&self, word: &str) -> Vec<String> {
            self.0.get(&word.to_ascii_lowercase()).map(|keys| keys.iter().cloned().collect()).unwrap_or_default()
        }
    }

    pub fn summarize(docs: &BTreeMap<String, Vec<u8>>, prefix: &str) -> Vec<Summary> {
        docs.iter()
            .filter(|(k, _)| k.starts_with(prefix))
            .map(|(k, v)| Summary {
                key: k.clone(),
                bytes: v.len() as u64,
                sha256: digest(v),
                words: words(v).len() as u32,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use pipeline::model::{self, Component};
    use pipeline::stages::componentize;
    use pipeline::testing::{go126_core_module, root};

    use super::*;

    fn indexer() -> Component {
        model::select_components(&root(), &["indexer".to_string()]).unwrap().remove(0)
    }

    /// The indexer's go1.26 core module, built once per test process (tests run in parallel).
    fn core_module() -> Vec<u8> {
        static CORE: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
        CORE.get_or_init(|| go126_core_module(&indexer())).clone()
    }

    /// The embedder example (host/examples/plugin_host.rs, the binary cargo builds for the host's tests: the host
    /// crate cannot build Go, this one can) serves its three requests on the real Go plugin and prints what it
    /// promises.
    #[test]
    #[ignore = "slow tier: builds components with Go (`cargo xtask test` runs it)"]
    fn the_plugin_host_example_serves_the_go_plugin() {
        let root = root();
        let exe = std::env::current_exe().unwrap();
        // target/<profile>/deps/<this test> → target/<profile>/examples/plugin_host
        let example = exe.parent().and_then(|deps| deps.parent()).unwrap().join("examples/plugin_host");
        assert!(
            example.is_file(),
            "{} is missing: `cargo test --workspace` builds the host's examples (or `cargo build -p host --examples`)",
            example.display()
        );
        let component = indexer();
        let bytes = componentize::encode(&root, &component, &core_module()).unwrap();
        let path = std::env::temp_dir().join(format!("indexer-example-{}.wasm", std::process::id()));
        std::fs::write(&path, bytes).unwrap();
        let served = std::process::Command::new(&example).arg(&path).output().unwrap();
        std::fs::remove_file(&path).unwrap();
        assert!(served.status.success(), "{}", String::from_utf8_lossy(&served.stderr));
        assert_eq!(
            String::from_utf8(served.stdout).unwrap(),
            "summarize(\"notes/\") = notes/a (44 bytes, 8 words), notes/b (38 bytes, 7 words)\n  \
             plugin log info: summarized 2 documents under \"notes/\"\n\
             index-words(\"notes/b\", \"index/b\") = Ok(7)\n  \
             plugin log debug: indexed 7 words of \"notes/b\" into \"index/b\"\n\
             index-words(\"notes/a\", \"system/index\") = Err(\"the store refused \\\"system/index\\\": keys under system/ are read-only\")\n\
             the service now stores index/b = \"answers\\ngo\\ngrüße\\nhost\\nthe\\nund\\nwit\"\n"
        );
    }

    #[test]
    fn the_reference_splits_words_as_the_wit_says() {
        assert_eq!(
            reference::words(b"Hello, wORLD! x_y 42\xffz\xef\xbf\xbdq"),
            ["hello", "world", "x", "y", "42", "z", "q"]
        );
        assert_eq!(reference::words("Grüße\u{a0}мир ÉCOLE".as_bytes()), ["grüße", "мир", "École"]);
        assert_eq!(reference::index(b"b A a c B b"), ("a\nb\nc".to_string(), 3));
        assert_eq!(reference::index(b""), (String::new(), 0));
    }

    /// Trap 2 entered from an import: the host places `get`'s 1 MiB result in Go's memory through
    /// `cabi_realloc` while the guest is inside its import call. Unhardened, a GC started there reads the clock
    /// and the instance traps; hardened, the stress passes with every result correct. The same holds for
    /// the nested lists of strings of `keys`.
    #[test]
    #[ignore = "slow tier: builds components with Go (`cargo xtask test` runs it)"]
    fn unhardened_indexer_traps_on_import_results_and_hardened_survives() {
        let root = root();
        let component = indexer();
        let core = core_module();
        let host = kv_host(&HostConfig::default()).unwrap();
        let value = pseudo_random(1 << 20, 3);
        let want = reference::digest(&value);
        let kv = || Kv { docs: [("big".to_string(), value.clone())].into_iter().collect(), ..Kv::default() };

        let unhardened = componentize::encode_module(&root, &component, core.clone(), false).unwrap();
        let pre = IndexerPre::new(host.prepare(&host.load_bytes(&unhardened).unwrap()).unwrap()).unwrap();
        let (mut store, indexer) = instantiate(&host, &pre, kv()).unwrap();
        let trap = (1..=2_000).find_map(|call| match indexer.call_digest(&mut store, "big") {
            Ok(got) => {
                assert_eq!(got.as_deref(), Some(want.as_str()), "call #{call}");
                None
            }
            Err(e) => Some((call, format!("{e:?}"))),
        });
        let (call, message) =
            trap.expect("the unhardened indexer survived 2,000 calls: is the stress still meaningful?");
        assert!(message.contains("cannot leave component instance"), "call #{call} failed differently: {message}");
        eprintln!("unhardened indexer trapped at call #{call} (1 MiB import results)");

        // Thousands of small strings, each placed by its own `cabi_realloc` call, trap it too.
        let keys: Vec<String> = (0..2000).map(|i| format!("key/{i:05}")).collect();
        let kv = Kv { docs: keys.iter().map(|k| (k.clone(), Vec::new())).collect(), ..Kv::default() };
        let (mut store, indexer) = instantiate(&host, &pre, kv).unwrap();
        let prefixes = ["key/".to_string()];
        let trap = (1..=2_000).find_map(|n| match indexer.call_list_keys(&mut store, &prefixes) {
            Ok(got) => {
                assert_eq!(got, std::slice::from_ref(&keys), "call #{n}");
                None
            }
            Err(e) => Some((n, format!("{e:?}"))),
        });
        let (keys_call, message) = trap.expect("the unhardened indexer survived 2,000 list-keys calls");
        assert!(message.contains("cannot leave component instance"), "call #{keys_call} failed differently: {message}");
        eprintln!("unhardened indexer trapped at list-keys call #{keys_call} (2,000 strings returned by `keys`)");

        let hardened = componentize::encode(&root, &component, &core).unwrap();
        let pre = IndexerPre::new(host.prepare(&host.load_bytes(&hardened).unwrap()).unwrap()).unwrap();
        let mut store = host.store_with(Kv::default());
        let instance = pre.instance_pre().instantiate(&mut store).unwrap();
        let indexer = Indexer::new(&mut store, &instance).unwrap();
        let window = Window::of(&mut store, &instance).unwrap();
        let stress = Stress::fixed(5 * (4 * call).max(500), 2 * (4 * call).max(100));
        let verdict = run_stress(&indexer, &window, &mut store, stress, "test").unwrap();
        // The trap the unhardened component hit is what the hardened one's window answered, many times over.
        assert!(verdict.window.unwrap().total() > 0);
    }
}
