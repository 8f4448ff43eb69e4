//! Content-addressed cache identity: each step's key and the record beside its output. A step's key is its real
//! inputs (the hash of the output it builds on, the files it reads, the tool and flags it runs) plus the version of
//! that step's own code (`versions`), so an edit to one stage re-runs that stage and what its changed output
//! feeds, and an edit elsewhere — the command line, bench, another stage — re-runs nothing. Keys are recorded and
//! verified by `records`. Nothing here runs a step.

use std::path::Path;

use anyhow::Result;
use sha2::{Digest, Sha256};

use crate::env::tinygo::TinyGo;
use crate::env::toolchain::GoToolchain;
use crate::model::{self, Build, Component, Stress, Workspace};
use crate::versions::Sources;
use crate::{
    stages::{adapter, check, gobuild, postprocess},
    util,
};

/// The crates whose dependencies are the code the in-process steps and the checks run besides our own.
const LINKING: &[&str] = &["xtask/pipeline/Cargo.toml", "host/Cargo.toml"];

/// The manifests that can change how a linked crate is built: its version requirement and features (the
/// workspace's table, and xtask's, since cargo unifies features over everything it builds).
const MANIFESTS: &[(&str, &str)] = &[
    ("Cargo.toml", "workspace.dependencies"),
    ("xtask/Cargo.toml", "dependencies"),
    ("xtask/pipeline/Cargo.toml", "dependencies"),
    ("host/Cargo.toml", "dependencies"),
];

/// Everything that changes the bytes of a core module: the compiler's version, the flags and the environment
/// (which is the whole of the build stage's behaviour: it runs that command), and the Go sources of the
/// component and of the runtime copy.
pub fn build(
    src: &Sources,
    ws: &Workspace,
    component: &Component,
    build: &Build,
    toolchain: &GoToolchain,
    tinygo: Option<&TinyGo>,
) -> Result<String> {
    let mut hasher = Sha256::new();
    hasher.update(b"go build\0");
    hasher.update(src.of(&["xtask/pipeline/src/stages/gobuild/mod.rs", "xtask/pipeline/src/env/tinygo.rs"]).as_bytes());
    hasher.update(gobuild::compiler_version(build, toolchain, tinygo).as_bytes());
    if let Some(tinygo) = tinygo.filter(|_| build.tinygo.is_some()) {
        // What TinyGo links besides its own code: the seeded wasi-libc and compiler-rt, the LLVM packages.
        if let Some(record) = &tinygo.install_record {
            hasher.update(record.as_bytes());
        }
    }
    for flag in gobuild::build_flags(build) {
        hasher.update(flag.as_bytes());
        hasher.update(b"\0");
    }
    for (k, v) in gobuild::build_env(build, toolchain, tinygo, component) {
        hasher.update(format!("{k}={v}\0").as_bytes());
    }
    // The component's Go module, not the files only the pipeline reads (its config, declarative checks, the
    // corpora they name and the crate of its typed suite).
    let mut not_go: Vec<_> =
        [model::CONFIG_FILE, check::DECLARATIVE_FILE].iter().map(|f| ws.root.join(&component.dir).join(f)).collect();
    not_go.extend(component.suite.as_ref().map(|dir| ws.root.join(dir)));
    let dir = ws.root.join(&component.dir);
    not_go.extend(check::check_inputs(&dir)?.into_iter().map(|file| dir.join(file)));
    for dir in [ws.root.join(&component.dir), ws.root.join("go/witpkg")] {
        hash_files(&mut hasher, &ws.root, &dir, &not_go)?;
    }
    Ok(util::hex(&hasher.finalize()))
}

/// Stripping the core module (`core`: its SHA-256): postprocess.rs's own code.
pub fn strip(src: &Sources, core: &str) -> String {
    parts(&["strip", core, &stage(src, &["xtask/pipeline/src/stages/postprocess.rs"])])
}

/// wasm-opt on the stripped module: its output depends only on its input, wasm-opt's version and the flags.
pub fn opt(src: &Sources, stripped: &str, wasm_opt_version: &str) -> String {
    let code = src.of(&["xtask/pipeline/src/stages/postprocess.rs", "xtask/pipeline/src/util.rs"]);
    parts(&["opt", stripped, wasm_opt_version, &postprocess::WASM_OPT_FLAGS.join(" "), &code])
}

/// The snapshot of the optimized module (`opt`: its SHA-256): wizer.rs's own code and wasmtime-wizer's version.
pub fn wizer(src: &Sources, opt: &str) -> String {
    parts(&["wizer", opt, &stage(src, &["xtask/pipeline/src/stages/wizer.rs"])])
}

/// Componentizing a module (`module`: its SHA-256): the component's WIT (every file of a WIT directory), its world,
/// the adapter, and the code of harden, componentize, the forwarding pass, the adapter and the WIT reader. An edit
/// to harden re-runs this step and the check after it, nothing before.
pub fn componentize(src: &Sources, ws: &Workspace, component: &Component, module: &str) -> Result<String> {
    let mut wit = Sha256::new();
    let path = ws.root.join(&component.wit);
    if path.is_dir() {
        hash_files(&mut wit, &ws.root, &path, &[])?;
    } else {
        wit.update(util::read(&path)?);
    }
    let code = stage(
        src,
        &[
            "xtask/pipeline/src/stages/componentize.rs",
            "xtask/pipeline/src/stages/forward.rs",
            "xtask/pipeline/src/stages/harden.rs",
            "xtask/pipeline/src/stages/adapter.rs",
            "xtask/pipeline/src/stages/wit.rs",
            "adapters/wasi_snapshot_preview1.lock.toml",
        ],
    );
    Ok(parts(&["componentize", module, &util::hex(&wit.finalize()), &component.world, &adapter::describe()?, &code]))
}

/// Composing a component (`root`: the SHA-256 of its own component) with its parts (`parts`: each one's name in
/// the composition and SHA-256): compose.rs's own code and wasm-compose's version.
pub fn compose(src: &Sources, root: &str, parts: &[(String, String)]) -> String {
    let mut all = vec!["compose", root];
    for (name, digest) in parts {
        all.extend([name.as_str(), digest.as_str()]);
    }
    let code = stage(src, &["xtask/pipeline/src/stages/compose.rs"]);
    all.push(&code);
    self::parts(&all)
}

/// Checking a component (`component_hash`: its SHA-256) under `stress`: the runner, its declarative cases and
/// the suite API, the host library, the component's own checks.toml, and its typed suite if it has one (every
/// file of the suite's crate, and Cargo.lock, which pins what the crate links). A changed suite re-runs its
/// checks; an edit elsewhere does not.
pub fn check(
    src: &Sources,
    ws: &Workspace,
    component: &Component,
    component_hash: &str,
    stress: Stress,
) -> Result<String> {
    let dir = ws.root.join(&component.dir);
    let checks = dir.join(check::DECLARATIVE_FILE);
    let mut checks = if checks.is_file() { util::sha256_hex(&util::read(&checks)?) } else { "none".to_string() };
    // The files checks.toml names (the generic stress's corpora) are inputs as much as checks.toml itself.
    for file in check::check_inputs(&dir)? {
        checks.push_str(&format!(" {}={}", file.display(), util::sha256_hex(&util::read(&dir.join(&file))?)));
    }
    let code = [
        "xtask/pipeline/src/stages/check.rs",
        "xtask/pipeline/src/stages/check",
        "xtask/pipeline/src/suite",
        "host/src",
    ];
    let stress = format!("{:?} {}x64k {}x1m", stress.sizing, stress.calls_64k, stress.calls_1m);
    let host = src.manifest("host/Cargo.toml");
    let mut suite = Sha256::new();
    match &component.suite {
        Some(dir) => {
            hash_files(&mut suite, &ws.root, &ws.root.join(dir), &[])?;
            suite.update(util::read(&ws.cargo_workspace.join("Cargo.lock"))?);
        }
        None => suite.update(b"none"),
    }
    let suite = util::hex(&suite.finalize());
    Ok(parts(&["check", component_hash, &stress, &checks, &stage(src, &code), &host, &suite]))
}

/// A stage's version: its own files, the locked versions of the linked crates and this crate's manifest (their
/// features), without its dev-dependencies.
fn stage(src: &Sources, files: &[&str]) -> String {
    let code: Vec<&str> = files.iter().copied().chain(["xtask/pipeline/src/util.rs"]).collect();
    parts(&[&src.of(&code), &linked(src)])
}

/// The code the in-process steps link besides ours: every package in the normal-dependency closure of the
/// pipeline and the host, with its locked version (from Cargo.lock), and how the manifests ask for those crates
/// (requirement, features). A dev-dependency added to the lock, or a crate only the command line uses, is not
/// among them.
fn linked(src: &Sources) -> String {
    src.memoized("linked", || linked_uncached(src))
}

fn linked_uncached(src: &Sources) -> String {
    let table = |path: &str| -> toml::Table {
        let text = src.text(path).unwrap_or_else(|| panic!("{path} is embedded (build.rs)"));
        toml::from_str(text).unwrap_or_else(|e| panic!("{path} does not parse: {e}"))
    };
    let lock = table("Cargo.lock");
    let packages = lock.get("package").and_then(|p| p.as_array()).expect("Cargo.lock lists its packages");
    let mut wanted: Vec<String> = Vec::new();
    for manifest in LINKING {
        if let Some(deps) = table(manifest).get("dependencies").and_then(|d| d.as_table()) {
            wanted.extend(deps.keys().cloned());
        }
    }
    let mut closure = std::collections::BTreeSet::new();
    while let Some(spec) = wanted.pop() {
        let mut words = spec.split_whitespace();
        let Some(name) = words.next() else { continue };
        let version = words.next();
        for package in packages {
            let field =
                |k: &str| package.get(k).and_then(|v| v.as_str()).expect("a Cargo.lock package has a name and version");
            let this = field("name") == name && version.is_none_or(|v| v == field("version"));
            if this && closure.insert(format!("{name} {}", field("version"))) {
                let deps = package.get("dependencies").and_then(|d| d.as_array());
                wanted.extend(deps.into_iter().flatten().filter_map(|d| d.as_str()).map(str::to_string));
            }
        }
    }
    let names: std::collections::BTreeSet<&str> = closure.iter().filter_map(|c| c.split(' ').next()).collect();
    let mut lines: Vec<String> = closure.iter().cloned().collect();
    for (path, section) in MANIFESTS {
        let manifest = table(path);
        let deps = section.split('.').try_fold(&manifest, |t, key| t.get(key).and_then(|v| v.as_table()));
        for (name, spec) in deps.into_iter().flatten() {
            if names.contains(name.as_str()) {
                lines.push(format!("{path} {name} {spec:?}"));
            }
        }
    }
    for path in LINKING {
        if let Some(features) = table(path).get("features") {
            lines.push(format!("{path} features {features:?}"));
        }
    }
    lines.join("\n")
}

fn parts(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update(b"\0");
    }
    util::hex(&hasher.finalize())
}

/// Hashes every file below `dir` but those in or below `except`, each with its path from `root`, in a stable order.
fn hash_files(hasher: &mut Sha256, root: &Path, dir: &Path, except: &[std::path::PathBuf]) -> Result<()> {
    for file in util::files_under(dir)?.into_iter().filter(|f| !except.iter().any(|e| f.starts_with(e))) {
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
    use crate::testing::{hasher_workspace, root};

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
            let check = |c: &Component| check(src, &ws, c, "component", Stress::FULL).unwrap();
            vec![
                ("strip", strip(src, "core")),
                ("opt", opt(src, "stripped", "wasm-opt version 108")),
                ("wizer", wizer(src, "opt")),
                ("componentize", componentize(src, &ws, &hasher, "module").unwrap()),
                ("check hasher", check(&hasher)),
                ("check textkit", check(&textkit)),
            ]
        };
        let embedded = Sources::embedded();
        let before = keys(embedded);
        let changed_to = |path: &str, bytes: &[u8]| -> Vec<&'static str> {
            let after = keys(&embedded.with(path, bytes));
            before.iter().zip(&after).filter(|(b, a)| b.1 != a.1).map(|(b, _)| b.0).collect()
        };
        let changed = |path: &str| changed_to(path, b"// an edit\n");
        assert_eq!(changed("xtask/pipeline/src/stages/harden.rs"), ["componentize"]);
        assert_eq!(changed("xtask/pipeline/src/stages/componentize.rs"), ["componentize"]);
        assert_eq!(changed("xtask/pipeline/src/stages/forward.rs"), ["componentize"]);
        assert_eq!(changed("xtask/pipeline/src/stages/postprocess.rs"), ["strip", "opt"]);
        assert_eq!(changed("xtask/pipeline/src/stages/wizer.rs"), ["wizer"]);
        assert_eq!(changed("xtask/pipeline/src/suite/stressor.rs"), ["check hasher", "check textkit"]);
        assert_eq!(changed("xtask/pipeline/src/stages/check.rs"), ["check hasher", "check textkit"]);
        assert_eq!(changed("host/src/engine.rs"), ["check hasher", "check textkit"]);
        // The scheduler decides what runs, not what a step makes; the command line and bench make nothing.
        assert!(changed("xtask/pipeline/src/run/scheduler.rs").is_empty());
        assert!(changed("xtask/src/bench.rs").is_empty());
        assert!(changed("xtask/src/bench/measure.rs").is_empty());
        // A linked crate's locked version is part of every in-process step's key; a dev-dependency is not.
        let lock = embedded.text("Cargo.lock").unwrap();
        let version = crate::versions::locked_version(lock, "wasmtime").unwrap();
        let from = format!("name = \"wasmtime\"\nversion = \"{version}\"");
        let bumped = lock.replacen(&from, "name = \"wasmtime\"\nversion = \"999.0.0\"", 1);
        assert_ne!(bumped, lock);
        // Every step but opt (which runs wasm-opt, not a crate) and build (the Go compiler).
        let linked_keys = ["strip", "wizer", "componentize", "check hasher", "check textkit"];
        assert_eq!(changed_to("Cargo.lock", bumped.as_bytes()), linked_keys);
        let host = embedded.text("host/Cargo.toml").unwrap();
        let dev = format!("{host}\n[dev-dependencies.an-extra-test-crate]\nversion = \"1\"\n");
        assert!(changed_to("host/Cargo.toml", dev.as_bytes()).is_empty());
        let root = embedded.text("Cargo.toml").unwrap();
        let defaults = root.replacen(
            "wasmtime = { version = \"=48.0.8\", default-features = false }",
            "wasmtime = \"=48.0.8\"",
            1,
        );
        assert_ne!(defaults, root, "the workspace's wasmtime line moved: update this test");
        assert_eq!(changed_to("Cargo.toml", defaults.as_bytes()), linked_keys);
        // The stress is an input of the check.
        let check = check(embedded, &ws, &hasher, "component", Stress::fixed(1, 1)).unwrap();
        assert_ne!(check, before[4].1);
    }

    /// A component's typed suite is its crate's files: an edit there re-runs that component's checks, and neither
    /// its build nor anything of another component.
    #[test]
    fn a_suite_edit_changes_the_check_key_of_its_component_and_nothing_else() {
        let tmp = hasher_workspace("suite-key");
        let ws = crate::testing::workspace_of(&tmp);
        let hasher = model::select_components(&tmp, &["hasher".to_string()]).unwrap().remove(0);
        assert_eq!(hasher.suite.as_deref(), Some(Path::new("go/hasher/suite")));
        let src = Sources::embedded();
        let variant = model::select_variants(&["go1.26-raw".to_string()]).unwrap().remove(0);
        let keys = || -> (String, String) {
            let toolchain = GoToolchain {
                go: "go".into(),
                release: "1.26.8".into(),
                version: "go version go1.26.8 linux/amd64".into(),
            };
            let build = build(src, &ws, &hasher, &variant.build, &toolchain, None).unwrap();
            (build, check(src, &ws, &hasher, "component", Stress::FULL).unwrap())
        };
        let before = keys();
        let main = tmp.join("go/hasher/suite/src/main.rs");
        std::fs::write(&main, std::fs::read_to_string(&main).unwrap() + "\n// an edit\n").unwrap();
        let after = keys();
        std::fs::remove_dir_all(&tmp).unwrap();
        assert_eq!(before.0, after.0, "an edit to the suite rebuilt the Go module");
        assert_ne!(before.1, after.1, "an edit to the suite did not re-run its checks");
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
