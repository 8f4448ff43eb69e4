//! Tidy: the architecture's invariants, checked mechanically over the source tree (rust-analyzer's
//! `xtask/src/tidy.rs` is the model). Each test reads the checkout's files; none builds anything. Test code (a
//! file's part from its first `#[cfg(test)]`, `testing.rs`, `tests/`, `examples/`) may use any fixture it likes;
//! the rules are about the code that ships.

use std::path::{Path, PathBuf};

use pipeline::{model, util};
use xshell::Shell;

/// Every Rust file of the workspace's crates (the components' typed suites included), with its path from the
/// workspace root.
fn rust_files(root: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let suites = model::discover(root).unwrap().into_iter().filter_map(|c| c.suite);
    let suites: Vec<String> = suites.map(|s| s.to_string_lossy().into_owned()).collect();
    let fixed = [
        "xtask/src",
        "xtask/tests",
        "xtask/pipeline/src",
        "xtask/bench/src",
        "host/src",
        "host/tests",
        "host/examples",
    ];
    for dir in fixed.iter().map(|d| d.to_string()).chain(suites) {
        let dir = root.join(dir);
        if !dir.is_dir() {
            continue;
        }
        for file in util::files_under(&dir).unwrap() {
            if file.extension().is_some_and(|e| e == "rs") {
                let rel = file.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
                out.push((rel, std::fs::read_to_string(&file).unwrap()));
            }
        }
    }
    out
}

/// The part of a file that ships, without comment lines: everything before its `#[cfg(test)] mod tests`, and
/// without any other `#[cfg(test)]` item line (`mod tidy;`); nothing for test-only files.
fn shipped<'t>(path: &str, text: &'t str) -> Vec<(usize, &'t str)> {
    let test_only = ["/tests/", "/tests.rs", "/examples/", "/testing.rs", "xtask/tests/tidy.rs"];
    if test_only.iter().any(|t| path.contains(t)) {
        return Vec::new();
    }
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].trim_start();
        if line.starts_with("#[cfg(") && line.contains("test") {
            let next = lines.get(i + 1).map(|l| l.trim_start()).unwrap_or_default();
            if next.contains("mod tests") {
                break;
            }
            i += 2;
            continue;
        }
        if !line.starts_with("//") {
            out.push((i + 1, lines[i]));
        }
        i += 1;
    }
    out
}

/// Shipped files allowed to name a component outside its suite, each with the reason; the rule's test fails
/// when an entry is no longer needed, so the list only shrinks.
const NAMING_EXCEPTIONS: &[(&str, &str)] = &[(
    "go/reporter/suite/src/main.rs",
    "the reporter is composed with textkit: its world is in textkit's WIT, its reference is textkit's, composed",
)];

/// The checkout (the parent of xtask/).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

/// No shipped code names a component — a string literal `"<name>"`, a path `go/<name>` or `wit/<name>.wit` —
/// outside that component's own typed suite (`go/<name>/suite/`). Generic code asks the component's own files
/// (its component.toml, checks.toml, WIT).
#[test]
fn no_component_is_named_outside_its_suite() {
    let root = root();
    let names: Vec<String> = model::discover(&root).unwrap().into_iter().map(|c| c.name).collect();
    assert!(names.len() >= 3, "the tree's components were not discovered: {names:?}");
    let mut found = Vec::new();
    for (path, text) in rust_files(&root) {
        for name in &names {
            if path.starts_with(&format!("go/{name}/")) {
                continue;
            }
            // A literal, a path, or a module path into a component's code (`hasher::`).
            let needles = [
                format!("\"{name}\""),
                format!("go/{name}"),
                format!("wit/{name}.wit"),
                format!("::{name}::"),
                format!("::{name};"),
            ];
            for (line_no, line) in shipped(&path, &text) {
                if needles.iter().any(|n| line.contains(n.as_str())) {
                    found.push((path.clone(), format!("{path}:{line_no}: {}", line.trim())));
                }
            }
        }
    }
    let unexplained: Vec<&str> = found
        .iter()
        .filter(|(path, _)| !NAMING_EXCEPTIONS.iter().any(|(p, _)| p == path))
        .map(|(_, line)| line.as_str())
        .collect();
    assert!(
        unexplained.is_empty(),
        "components named outside their suites (ask the component's own files):\n{}",
        unexplained.join("\n")
    );
    for (path, why) in NAMING_EXCEPTIONS {
        assert!(found.iter().any(|(p, _)| p == path), "{path} no longer names a component: drop its exception ({why})");
    }
}

/// Only the componentize stage encodes components, so every component is hardened, validated and export-checked.
#[test]
fn component_encoder_is_used_only_by_componentize() {
    let users: Vec<String> = rust_files(&root())
        .into_iter()
        .filter(|(path, text)| {
            path != "xtask/pipeline/src/stages/componentize.rs"
                && shipped(path, text).iter().any(|(_, l)| l.contains("ComponentEncoder"))
        })
        .map(|(path, _)| path)
        .collect();
    assert!(users.is_empty(), "ComponentEncoder outside xtask/pipeline/src/stages/componentize.rs: {users:?}");
}

/// No cache key is built from a default standing in for an input that could not be read: a key that silently
/// ignores its input trusts a stale output (the WIT-directory bug the per-stage keys replaced).
#[test]
fn keys_never_default_an_input() {
    let files = rust_files(&root());
    let (path, text) = files.iter().find(|(p, _)| p == "xtask/pipeline/src/run/keys.rs").expect("keys.rs exists");
    let defaulted: Vec<_> = shipped(path, text)
        .into_iter()
        .filter(|(_, l)| l.contains("unwrap_or_default") || l.contains("unwrap_or("))
        .map(|(n, l)| format!("keys.rs:{n}: {}", l.trim()))
        .collect();
    assert!(defaulted.is_empty(), "a key input read with a default:\n{}", defaulted.join("\n"));
}

/// A test is left out of plain `cargo test` only as part of the slow tier, which `cargo xtask test` runs: every
/// `#[ignore]` says `slow tier: …` and why, so no test is skipped for another reason, or for good.
#[test]
fn only_the_slow_tier_is_ignored() {
    let mut wrong = Vec::new();
    for (path, text) in rust_files(&root()) {
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.starts_with("#[ignore") && !line.starts_with("#[ignore = \"slow tier: ") {
                wrong.push(format!("{path}:{}: {line}", n + 1));
            }
        }
    }
    assert!(wrong.is_empty(), "tests ignored outside the slow tier:\n{}", wrong.join("\n"));
}

/// Every module opens with a `//!` header saying what it owns.
#[test]
fn every_module_says_what_it_owns() {
    let missing: Vec<String> = rust_files(&root())
        .into_iter()
        .filter(|(_, text)| !text.trim_start().starts_with("//!"))
        .map(|(path, _)| path)
        .collect();
    assert!(missing.is_empty(), "files without a `//!` header: {missing:?}");
}

/// Every generated file is what its generator writes now: the Go bindings of every component and the adapter lock.
#[test]
#[ignore = "slow tier: formats Go with gofmt (`cargo xtask test` runs it)"]
fn generated_files_are_fresh() {
    let root = root();
    pipeline::stages::bindgen::regenerate(&Shell::new().unwrap(), &root, &[], true)
        .expect("generated bindings are stale: run `cargo xtask bindgen`");
    let lock = std::fs::read_to_string(root.join(pipeline::stages::adapter::LOCK)).unwrap();
    assert_eq!(
        lock,
        pipeline::stages::adapter::lock_contents().unwrap(),
        "{} is stale",
        pipeline::stages::adapter::LOCK
    );
}

/// Every test an invariant of ARCHITECTURE.md names exists where it says: `module::tests::name` in a file named
/// after the module (`module::tests::*`: the module has tests), `tidy::name` here, and `` `tests/cli.rs` `name` ``
/// in xtask/tests/cli.rs, so a renamed or deleted test cannot leave an invariant unguarded.
#[test]
fn every_invariant_names_a_test_that_exists() {
    let root = root();
    let doc = std::fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap();
    let section = doc.split("## Architecture invariants").nth(1).expect("ARCHITECTURE.md has its invariants section");
    let files = rust_files(&root);
    let mut named = 0;
    let mut missing = Vec::new();
    let items: Vec<&str> = section.split('`').skip(1).step_by(2).collect();
    for (i, item) in items.iter().enumerate() {
        let is_name = |n: &&str| n.chars().all(|c| c == '_' || c.is_ascii_lowercase());
        if let Some(file) = item.strip_suffix(".rs").filter(|f| f.contains('/'))
            && let Some(test) = items.get(i + 1).filter(|n| is_name(n) && n.contains('_'))
        {
            // A test in a file named by its path: `tests/cli.rs` `name`, `go/indexer/suite/src/main.rs` `name`.
            named += 1;
            let file = format!("{file}.rs");
            let found = files.iter().any(|(p, t)| p.ends_with(&file) && t.contains(&format!("fn {test}(")));
            if !found {
                missing.push(format!("{file} {test}"));
            }
            continue;
        }
        let (module, test) = if let Some(found) = item.rsplit_once("::tests::") {
            found
        } else if let Some(test) = item.strip_prefix("tidy::") {
            ("tidy", test)
        } else {
            continue;
        };
        named += 1;
        let module_file = module.rsplit("::").next().unwrap_or(module);
        let in_module = |(p, _): &&(String, String)| {
            // The module's file, or its tests in a file of their own (`publish/tests.rs`).
            ["{m}.rs", "{m}/mod.rs", "{m}/tests.rs"]
                .iter()
                .any(|f| p.ends_with(&format!("/{}", f.replace("{m}", module_file))))
        };
        let found = files
            .iter()
            .filter(in_module)
            .any(|(_, t)| if test == "*" { t.contains("#[test]") } else { t.contains(&format!("fn {test}(")) });
        if !found {
            missing.push(item.to_string());
        }
    }
    assert!(
        named >= 10,
        "the invariants name only {named} tests: is the section's format still `module::tests::name`?"
    );
    assert!(missing.is_empty(), "ARCHITECTURE.md's invariants name tests that do not exist: {missing:?}");
}
