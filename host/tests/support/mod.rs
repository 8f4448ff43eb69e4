//! What every host test shares: the fixture components (`fixture`, and `caller`, which imports functions of its
//! embedder), each built once per test binary from its sources in `tests/fixture/` (WAT text → core module → WIT
//! metadata embedded → component, validated with wasmparser) and written into `CARGO_TARGET_TMPDIR`, plus the few
//! steps each test would otherwise repeat. Only the host's public API is used past this point; nothing here
//! knows how the host works inside.

// Each test binary uses a different part of this module.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use anyhow::{Context, Result};
use host::wasmtime::component::Component;
use host::{Host, HostConfig, Sandbox};

/// The fixtures' sources.
const FIXTURE_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixture");

/// The fixture world's exports, in its order.
pub const EXPORTS: [&str; 9] = ["add", "greet", "reverse", "count", "crash", "spin", "hog", "recurse", "random"];

/// The fixture component: its bytes, and the file they were written to (for APIs that load from a path).
pub struct Fixture {
    pub bytes: Vec<u8>,
    pub path: PathBuf,
}

/// The fixture, built on first use in this test binary.
pub fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| built("fixture", "fixture"))
}

/// The `caller` fixture (`tests/fixture/caller.{wat,wit}`: its exports call the embedder's `kv` interface and
/// `now`), built on first use in this test binary.
pub fn caller() -> &'static Fixture {
    static CALLER: OnceLock<Fixture> = OnceLock::new();
    CALLER.get_or_init(|| built("caller", "caller"))
}

/// `tests/fixture/<stem>.wat` componentized for `world` and written to `host-<stem>.wasm`; panics on failure.
fn built(stem: &str, world: &str) -> Fixture {
    let bytes = build_fixture(stem, world).unwrap_or_else(|err| panic!("failed to build the {stem} fixture: {err:?}"));
    let path = tmp_dir().join(format!("host-{stem}.wasm"));
    write_atomically(&path, &bytes).unwrap_or_else(|err| panic!("{err:?}"));
    Fixture { bytes, path }
}

/// `tests/fixture/<stem>.wat` componentized for the world `world` of `tests/fixture/<stem>.wit`.
fn build_fixture(stem: &str, world: &str) -> Result<Vec<u8>> {
    let dir = Path::new(FIXTURE_DIR);
    let mut module =
        wat::parse_file(dir.join(format!("{stem}.wat"))).with_context(|| format!("failed to parse {stem}.wat"))?;
    let mut resolve = wit_parser::Resolve::default();
    let package = resolve.push_file(dir.join(format!("{stem}.wit")))?;
    let world = resolve.select_world(&[package], Some(world))?;
    wit_component::embed_component_metadata(&mut module, &resolve, world, wit_component::StringEncoding::UTF8)
        .context("failed to embed the WIT metadata")?;
    let component = wit_component::ComponentEncoder::default()
        .validate(true)
        .module(&module)
        .context("the core module does not fit the world")?
        .encode()
        .context("failed to encode the component")?;
    wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all())
        .validate_all(&component)
        .with_context(|| format!("the encoded {stem} fixture does not validate"))?;
    anyhow::ensure!(wasmparser::Parser::is_component(&component), "the {stem} fixture is not a component");
    Ok(component)
}

/// Writes `bytes` to `path` through a temporary file in the same directory (test binaries may run at once).
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let name = path.file_name().context("no file name")?.to_string_lossy();
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    std::fs::write(&tmp, bytes).with_context(|| format!("failed to write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("failed to move {} into place", tmp.display()))
}

/// Cargo's scratch directory for integration tests.
pub fn tmp_dir() -> &'static Path {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
}

/// An empty directory of its own for one test, under the scratch directory (emptied if a run left it).
pub fn empty_dir(test: &str) -> PathBuf {
    let dir = tmp_dir().join(format!("host-{test}"));
    if let Err(err) = std::fs::remove_dir_all(&dir)
        && err.kind() != std::io::ErrorKind::NotFound
    {
        panic!("failed to empty {}: {err}", dir.display());
    }
    std::fs::create_dir_all(&dir).unwrap_or_else(|err| panic!("failed to create {}: {err}", dir.display()));
    dir
}

/// A host with `config` and the fixture compiled for it.
pub fn host_with(config: HostConfig) -> (Host, Component) {
    let host = Host::new(&config).expect("create the host");
    let component = host.load_bytes(&fixture().bytes).expect("load the fixture");
    (host, component)
}

/// A host with the default configuration and the fixture compiled for it.
pub fn default_host() -> (Host, Component) {
    host_with(HostConfig::default())
}

/// Makes one WAVE call in `sandbox` that must succeed and have exactly one result, and returns it.
pub fn ok<T: Send>(sandbox: &mut Sandbox<'_, T>, call: &str) -> String {
    let results = sandbox.call(call).unwrap_or_else(|err| panic!("`{call}` failed: {err:?}"));
    let [result] = results.as_slice() else { panic!("`{call}` returned {results:?}, not one result") };
    result.clone()
}

/// Makes one WAVE call in `sandbox` that must fail, and returns the error with its whole cause chain.
pub fn failure<T: Send>(sandbox: &mut Sandbox<'_, T>, call: &str) -> String {
    match sandbox.call(call) {
        Ok(results) => panic!("`{call}` succeeded with {results:?}, but it must fail"),
        Err(err) => format!("{err:#}"),
    }
}
