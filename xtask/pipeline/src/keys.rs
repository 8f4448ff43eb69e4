//! Content-addressed cache identity: each step's key and the record beside its output. A step's key is its real
//! inputs (the hash of the output it builds on, the files it reads, the tool and flags it runs) plus the version of
//! that step's own code (`versions`), so an edit to one stage re-runs that stage and what its changed output
//! feeds, and an edit elsewhere — the command line, bench, another stage — re-runs nothing. Keys are recorded and
//! verified by `records`. Nothing here runs a step.

use std::path::Path;

use anyhow::Result;
use sha2::{Digest, Sha256};

use crate::model::{Build, Component, Stress, Workspace};
use crate::tinygo::TinyGo;
use crate::toolchain::GoToolchain;
use crate::versions::Sources;
use crate::{adapter, check, gobuild, postprocess, tools, util};

/// The crates whose code the in-process steps run: their locked versions are part of every such step's version
/// (a dev-dependency added to the lock changes nothing).
const LINKED: &[&str] = &[
    "wasmparser",
    "wasm-encoder",
    "wit-parser",
    "wit-component",
    "wasmtime",
    "wasmtime-wasi",
    "wasmtime-wizer",
    "wasi-preview1-component-adapter-provider",
];

/// Everything that changes the bytes of a core module: the compiler's version, the flags and the environment
/// (which is the whole of the build stage's behaviour: it runs that command), and the Go sources of the
/// component and of the runtime copy.
pub fn build(
    ws: &Workspace,
    component: &Component,
    build: &Build,
    toolchain: &GoToolchain,
    tinygo: Option<&TinyGo>,
) -> Result<String> {
    let mut hasher = Sha256::new();
    hasher.update(b"go build\0");
    hasher.update(gobuild::compiler_version(build, toolchain, tinygo).as_bytes());
    for flag in gobuild::build_flags(build) {
        hasher.update(flag.as_bytes());
        hasher.update(b"\0");
    }
    for (k, v) in gobuild::build_env(build, toolchain, tinygo, component) {
        hasher.update(format!("{k}={v}\0").as_bytes());
    }
    for dir in [ws.root.join(&component.dir), ws.root.join("go/witpkg")] {
        hash_files(&mut hasher, &ws.root, &dir)?;
    }
    Ok(util::hex(&hasher.finalize()))
}

/// Stripping the core module (`core`: its SHA-256): postprocess.rs's own code.
pub fn strip(src: &Sources, core: &str) -> String {
    parts(&["strip", core, &stage(src, &["xtask/pipeline/src/postprocess.rs"])])
}

/// wasm-opt on the stripped module: its output depends only on its input, wasm-opt's version and the flags.
pub fn opt(stripped: &str, wasm_opt_version: &str) -> String {
    parts(&["opt", stripped, wasm_opt_version, &postprocess::WASM_OPT_FLAGS.join(" ")])
}

/// The snapshot of the optimized module (`opt`: its SHA-256): wizer.rs's own code and wasmtime-wizer's version.
pub fn wizer(src: &Sources, opt: &str) -> String {
    parts(&["wizer", opt, &stage(src, &["xtask/pipeline/src/wizer.rs"])])
}

/// Componentizing a module (`module`: its SHA-256): the component's WIT (every file of a WIT directory), its world,
/// the adapter, and the code of harden, componentize, the adapter and the WIT reader. An edit to harden re-runs
/// this step and the check after it, nothing before.
pub fn componentize(src: &Sources, ws: &Workspace, component: &Component, module: &str) -> Result<String> {
    let mut wit = Sha256::new();
    let path = ws.root.join(&component.wit);
    if path.is_dir() {
        hash_files(&mut wit, &ws.root, &path)?;
    } else {
        wit.update(util::read(&path)?);
    }
    let code = stage(
        src,
        &[
            "xtask/pipeline/src/componentize.rs",
            "xtask/pipeline/src/harden.rs",
            "xtask/pipeline/src/adapter.rs",
            "xtask/pipeline/src/wit.rs",
            "adapters/wasi_snapshot_preview1.lock.toml",
        ],
    );
    Ok(parts(&["componentize", module, &util::hex(&wit.finalize()), &component.world, &adapter::describe()?, &code]))
}

/// Checking a component (`component_hash`: its SHA-256) under `stress`: the runner and its declarative cases,
/// the code of the suite that checks it (`suite`: its source files, from the registry), the host library, and the
/// component's own checks.toml. A changed suite re-runs its checks; an edit elsewhere does not.
pub fn check(
    src: &Sources,
    ws: &Workspace,
    component: &Component,
    component_hash: &str,
    stress: Stress,
    suite: &[&str],
) -> Result<String> {
    let checks = ws.root.join(&component.dir).join(check::DECLARATIVE_FILE);
    let checks = if checks.is_file() { util::sha256_hex(&util::read(&checks)?) } else { "none".to_string() };
    let mut code =
        vec!["xtask/pipeline/src/check.rs", "xtask/pipeline/src/check", "xtask/pipeline/src/suites.rs", "host/src"];
    code.extend_from_slice(suite);
    let stress = format!("{}x64k {}x1m", stress.calls_64k, stress.calls_1m);
    let host = src.manifest("host/Cargo.toml");
    Ok(parts(&["check", component_hash, &stress, &checks, &stage(src, &code), &host]))
}

/// A stage's version: its own files, the locked versions of the linked crates and this crate's manifest (their
/// features), without its dev-dependencies.
fn stage(src: &Sources, files: &[&str]) -> String {
    let lock = src.text("Cargo.lock").expect("Cargo.lock is embedded (build.rs)");
    let locked: Vec<String> = LINKED.iter().map(|name| format!("{name} {}", linked_version(lock, name))).collect();
    parts(&[&src.of(files), &locked.join("\n"), &src.manifest("xtask/pipeline/Cargo.toml")])
}

/// The locked version of a crate this crate links: every name in [`LINKED`] is in the embedded Cargo.lock.
fn linked_version(lock: &str, name: &str) -> String {
    tools::locked_version(lock, name)
        .unwrap_or_else(|e| panic!("a linked crate is not in the embedded Cargo.lock: {e:#}"))
}

fn parts(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update(b"\0");
    }
    util::hex(&hasher.finalize())
}

/// Hashes every file below `dir`, each with its path from `root`, in a stable order.
fn hash_files(hasher: &mut Sha256, root: &Path, dir: &Path) -> Result<()> {
    for file in util::files_under(dir)? {
        let name = file.strip_prefix(root).expect("files_under lists files below the root");
        hasher.update(name.to_string_lossy().as_bytes());
        hasher.update(b"\0");
        hasher.update(util::read(&file)?);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{self, Stress};
    use crate::suites;
    use crate::testing::root;

    /// What an edit re-runs: each stage's key changes with that stage's own code and nothing else's. (The build
    /// key takes no code version: its command line and environment are its whole behaviour.) A changed key makes
    /// its step run; the steps after it re-run only if its output changed.
    #[test]
    fn an_edit_changes_the_key_of_its_stage_and_no_other() {
        let root = root();
        let ws = Workspace::new(&root);
        let component = |name: &str| model::select_components(&root, &[name.to_string()]).unwrap().remove(0);
        let (hasher, textkit) = (component("hasher"), component("textkit"));
        let keys = |src: &Sources| -> Vec<(&'static str, String)> {
            let check = |c: &Component| {
                let suite = suites::for_component(c).unwrap().sources;
                check(src, &ws, c, "component", Stress::FULL, suite).unwrap()
            };
            vec![
                ("strip", strip(src, "core")),
                ("opt", opt("stripped", "wasm-opt version 108")),
                ("wizer", wizer(src, "opt")),
                ("componentize", componentize(src, &ws, &hasher, "module").unwrap()),
                ("check hasher", check(&hasher)),
                ("check textkit", check(&textkit)),
            ]
        };
        let embedded = Sources::embedded();
        let before = keys(embedded);
        let changed = |path: &str| -> Vec<&'static str> {
            let after = keys(&embedded.with(path, b"// an edit\n"));
            before.iter().zip(&after).filter(|(b, a)| b.1 != a.1).map(|(b, _)| b.0).collect()
        };
        assert_eq!(changed("xtask/pipeline/src/harden.rs"), ["componentize"]);
        assert_eq!(changed("xtask/pipeline/src/componentize.rs"), ["componentize"]);
        assert_eq!(changed("xtask/pipeline/src/postprocess.rs"), ["strip"]);
        assert_eq!(changed("xtask/pipeline/src/wizer.rs"), ["wizer"]);
        assert_eq!(changed("xtask/pipeline/src/suites/hasher.rs"), ["check hasher"]);
        assert_eq!(changed("xtask/pipeline/src/check.rs"), ["check hasher", "check textkit"]);
        assert_eq!(changed("host/src/engine.rs"), ["check hasher", "check textkit"]);
        // The scheduler decides what runs, not what a step makes; the command line and bench make nothing.
        assert!(changed("xtask/pipeline/src/scheduler.rs").is_empty());
        assert!(changed("xtask/src/bench.rs").is_empty());
        assert!(changed("xtask/src/bench/measure.rs").is_empty());
        // The stress is an input of the check.
        let check = check(embedded, &ws, &hasher, "component", Stress { calls_64k: 1, calls_1m: 1 }, &[]).unwrap();
        assert_ne!(check, before[4].1);
    }

    /// A component whose WIT is a directory is re-componentized when any file in it changes or is added.
    #[test]
    fn every_file_of_a_wit_directory_is_a_componentize_input() {
        let tmp = std::env::temp_dir().join(format!("xtask-witdir-{}", std::process::id()));
        let write = |rel: &str, text: &str| {
            let path = tmp.join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        write("wit/greeter/world.wit", "package a:b;\nworld greeter {\n  export greet: func() -> string;\n}\n");
        write("go/greeter/component.toml", "wit = \"wit/greeter\"\n");
        let component = model::discover(&tmp).unwrap().remove(0);
        let ws = Workspace::new(&tmp);
        let key = || componentize(Sources::embedded(), &ws, &component, "module").unwrap();
        let first = key();
        assert_eq!(key(), first);
        write("wit/greeter/world.wit", "package a:b;\nworld greeter {\n  export greet: func() -> list<u8>;\n}\n");
        let edited = key();
        write("wit/greeter/deps/types.wit", "package a:types;\ninterface t {}\n");
        let added = key();
        std::fs::remove_dir_all(&tmp).unwrap();
        assert_ne!(edited, first, "an edited WIT file in the directory did not change the key");
        assert_ne!(added, edited, "a WIT file added to the directory did not change the key");
    }
}
