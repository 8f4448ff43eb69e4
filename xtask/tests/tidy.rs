//! Tidy: the architecture's invariants, checked mechanically over the source tree (rust-analyzer's
//! `xtask/src/tidy.rs` is the model). Each test reads the checkout's files; none builds anything. Test code (a
//! file's part from its first `#[cfg(test)]`, `testing.rs`, `tests/`, `examples/`) may use any fixture it likes;
//! the rules are about the code that ships.

#[path = "tidy/graph.rs"]
mod graph;

use std::collections::BTreeMap;
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

/// The crates of the workspace other than the components' suites: the tool and the host.
const CRATES: &[(&str, &str)] =
    &[("xtask", "xtask/src"), ("pipeline", "xtask/pipeline/src"), ("bench", "xtask/bench/src"), ("host", "host/src")];

/// No module uses another that uses it back, at any level of any crate (a parent and its children aside): the
/// layers read one way. The crates' own graph is cargo's to hold.
#[test]
fn modules_form_no_cycle() {
    let root = root();
    let files = rust_files(&root);
    let mut suites: Vec<(String, String)> = model::discover(&root)
        .unwrap()
        .into_iter()
        .filter_map(|c| c.suite)
        .map(|s| (s.to_string_lossy().into_owned(), format!("{}/src", s.to_string_lossy())))
        .collect();
    suites.extend(CRATES.iter().map(|(n, d)| (n.to_string(), d.to_string())));
    let mut found = Vec::new();
    for (krate, src) in &suites {
        let modules: BTreeMap<PathBuf, String> = files
            .iter()
            .filter_map(|(path, text)| {
                let relative = Path::new(path).strip_prefix(src).ok()?;
                let stem = relative.file_stem()?.to_string_lossy();
                // Test modules use what they test; they are not part of the layering.
                let test_module = stem == "tests" || stem == "testing";
                let shipped: Vec<&str> = shipped(path, text).into_iter().map(|(_, l)| l).collect();
                (!test_module).then(|| (relative.to_path_buf(), shipped.join("\n")))
            })
            .collect();
        for cycle in graph::cycles(&modules) {
            found.push(format!("{krate}: {}", cycle.join(" <-> ")));
        }
    }
    assert!(found.is_empty(), "modules that use each other:\n{}", found.join("\n"));
}

/// The tool builds whatever state a component is in: no crate of the tool (nor the host) depends on a component's
/// suite or generates bindings of a component's WIT, and the command line links no wasm crate of its own.
#[test]
fn the_tool_depends_on_no_component() {
    let root = root();
    for (krate, src) in CRATES {
        let manifest = root.join(src).parent().unwrap().join("Cargo.toml");
        let manifest: toml::Table = toml::from_str(&std::fs::read_to_string(&manifest).unwrap()).unwrap();
        for section in ["dependencies", "dev-dependencies"] {
            let deps = manifest.get(section).and_then(|d| d.as_table()).cloned().unwrap_or_default();
            for (name, spec) in &deps {
                let path = spec.get("path").and_then(|p| p.as_str()).unwrap_or_default();
                assert!(
                    !name.ends_with("-suite") && !path.contains("/suite"),
                    "{krate} depends on the component suite `{name}`: the tool must build whatever state a component is in"
                );
                assert!(
                    *krate != "xtask" || !(name.starts_with("wasm") || name.starts_with("wit")),
                    "the command line depends on the wasm crate `{name}`: that work belongs to the pipeline"
                );
            }
        }
    }
    for (path, text) in rust_files(&root) {
        let tool = CRATES.iter().any(|(_, src)| path.starts_with(src));
        let shipped = shipped(&path, &text);
        // An invocation, not the text of one a scaffold writes (format strings double its braces).
        let invokes = |l: &str| {
            let l = l.trim_start();
            (l.starts_with("bindgen!(") || l.starts_with("wasmtime::component::bindgen!(")) && !l.contains("({{")
        };
        assert!(
            !tool || !shipped.iter().any(|(_, l)| invokes(l)),
            "{path} generates bindings of a world: only a component's suite (and examples, tests) may"
        );
    }
}

/// A command file turns flags into a library call and prints: it declares no type of its own and stays short.
/// `flags.rs`, the whole CLI's declaration, is the one file of types.
#[test]
fn commands_hold_no_library_code() {
    let mut heavy = Vec::new();
    for (path, text) in rust_files(&root()).into_iter().filter(|(p, _)| p.starts_with("xtask/src/")) {
        if path == "xtask/src/flags.rs" {
            continue;
        }
        let lines = text.lines().count();
        let types = shipped(&path, &text)
            .into_iter()
            .filter(|(_, l)| {
                ["struct ", "enum ", "trait "].iter().any(|k| l.trim_start().split(' ').any(|w| format!("{w} ") == *k))
            })
            .count();
        if lines > 150 || types > 0 {
            heavy.push(format!("{path}: {lines} lines, {types} type declarations"));
        }
    }
    assert!(
        heavy.is_empty(),
        "command files holding library code (move it into a library crate):\n{}",
        heavy.join("\n")
    );
}

/// README is a newcomer's first ten minutes and ARCHITECTURE.md a map: both stay short (deep dives go to
/// docs/design/).
#[test]
fn readme_and_architecture_stay_short() {
    let root = root();
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap().lines().count();
    assert!(readme <= 220, "README.md has {readme} lines: keep it near 200, move depth to docs/design/");
    let architecture = std::fs::metadata(root.join("ARCHITECTURE.md")).unwrap().len();
    assert!(architecture <= 25 * 1024, "ARCHITECTURE.md is {architecture} bytes: keep the map under 25 KB");
}

/// The prose of the checkout — README, ARCHITECTURE.md, docs/design, CI's scripts, and every comment of the Rust
/// and Go code — says what the code does, not when or where something was measured: no date (`YYYY-MM-DD`) and
/// no machine name. Figures with their machine live in the generated reports (docs/bench/, docs/CLAIMS.md).
#[test]
fn docs_and_comments_carry_no_dates_or_machine_names() {
    let root = root();
    let mut texts: Vec<(String, Vec<String>)> = Vec::new();
    let mut prose = vec![root.join("README.md"), root.join("ARCHITECTURE.md")];
    for dir in ["docs/design", ".ci", ".github/workflows"] {
        prose.extend(util::files_under(&root.join(dir)).unwrap());
    }
    for path in prose {
        let text = std::fs::read_to_string(&path).unwrap();
        let rel = path.strip_prefix(&root).unwrap().to_string_lossy().into_owned();
        texts.push((rel, text.lines().map(str::to_string).collect()));
    }
    let mut code: Vec<PathBuf> = util::files_under(&root.join("go")).unwrap();
    code.retain(|p| p.extension().is_some_and(|e| e == "go"));
    for path in code {
        let text = std::fs::read_to_string(&path).unwrap();
        let rel = path.strip_prefix(&root).unwrap().to_string_lossy().into_owned();
        texts.push((rel, comments(&text, "//")));
    }
    for (path, text) in rust_files(&root) {
        texts.push((path, comments(&text, "//")));
    }
    let mut found = Vec::new();
    for (path, lines) in &texts {
        for line in lines {
            if let Some(what) = dated_or_placed(line) {
                found.push(format!("{path}: {what}: {}", line.trim()));
            }
        }
    }
    assert!(found.is_empty(), "dates or machine names outside the generated reports:\n{}", found.join("\n"));
}

/// The comment lines of a source file (and the comment part of lines with code before it).
fn comments(text: &str, marker: &str) -> Vec<String> {
    text.lines().filter_map(|l| l.find(marker).map(|at| l[at..].to_string())).collect()
}

/// Why `line` dates or places itself: a date written `YYYY-MM-DD`, or a machine's name.
fn dated_or_placed(line: &str) -> Option<&'static str> {
    let bytes = line.as_bytes();
    let digit = |i: usize| bytes.get(i).is_some_and(u8::is_ascii_digit);
    let dated = (0..bytes.len()).any(|i| {
        bytes[i..].starts_with(b"20")
            && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric())
            && digit(i + 2)
            && digit(i + 3)
            && bytes.get(i + 4) == Some(&b'-')
            && digit(i + 5)
            && digit(i + 6)
            && bytes.get(i + 7) == Some(&b'-')
            && digit(i + 8)
            && digit(i + 9)
    });
    if dated {
        return Some("a date");
    }
    let lower = line.to_lowercase();
    ["epyc", "xeon", "ryzen", "this machine"].iter().any(|m| lower.contains(m)).then_some("a machine")
}

/// Docs link only inside the repository, and every relative link resolves to a file or directory of it.
#[test]
fn no_link_points_outside_the_repository() {
    let root = root();
    let mut docs = vec![root.join("README.md"), root.join("ARCHITECTURE.md")];
    docs.extend(util::files_under(&root.join("docs/design")).unwrap());
    let mut wrong = Vec::new();
    for doc in docs {
        let text = std::fs::read_to_string(&doc).unwrap();
        let rel = doc.strip_prefix(&root).unwrap().display().to_string();
        for (n, line) in text.lines().enumerate() {
            if line.contains("http://") || line.contains("https://") {
                wrong.push(format!("{rel}:{}: a link outside the repository", n + 1));
            }
            for target in line.split("](").skip(1).filter_map(|rest| rest.split(')').next()) {
                let file = target.split('#').next().unwrap_or_default();
                if !file.is_empty() && !doc.parent().unwrap().join(file).exists() {
                    wrong.push(format!("{rel}:{}: `{target}` does not exist", n + 1));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
