//! Scaffolding a component (`cargo xtask new <name> [--world <file or world>]`) that builds, checks and ships with
//! no further edits — a WIT world (`wit/<name>.wit`: a greeting, or the user's file), `go/<name>/` with its
//! config, a Go implementation of every export (real values for the greeting; defaults written by `stubs` for a
//! user's world), declarative checks, and the generated bindings. Everything is prepared before the first write;
//! it refuses to overwrite anything and removes what it created when a later step fails.

mod stubs;
pub mod suite;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use wit_parser::{Resolve, WorldId};
use xshell::Shell;

use crate::env::tools;
use crate::model;
use crate::stages::{bindgen, wit};
use crate::{status, util};

/// Where the new component's world comes from.
enum Source {
    /// The built-in greeting world.
    Greeting,
    /// A user's WIT file, copied to wit/<name>.wit; the world chosen in it.
    File { text: String, world: String },
    /// A world of an existing file under wit/, used in place.
    Existing { wit: PathBuf, world: String },
}

/// Writes the new component's files under `root` and generates its bindings.
pub fn scaffold(sh: &Shell, root: &Path, name: &str, world: Option<&str>) -> Result<()> {
    let valid = name.split('-').all(|part| {
        part.starts_with(|c: char| c.is_ascii_lowercase())
            && part.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    });
    if !valid || name == "witpkg" {
        bail!(
            "`{name}` is not a usable component name: use lowercase letters and digits in dash-separated words (like `text-stats`), and not `witpkg`"
        );
    }
    let source = match world {
        None => Source::Greeting,
        Some(arg) => find_world(root, name, arg)?,
    };
    let dir = root.join("go").join(name);
    let wit_rel = match &source {
        Source::Existing { wit, .. } => wit.clone(),
        _ => Path::new("wit").join(format!("{name}.wit")),
    };
    let mut taken = vec![dir.clone()];
    if !matches!(source, Source::Existing { .. }) {
        taken.push(root.join(&wit_rel));
    }
    for path in taken {
        if path.exists() {
            bail!(
                "`{name}` already exists ({}): choose another name",
                path.strip_prefix(root).unwrap_or(&path).display()
            );
        }
    }

    // Everything is prepared before anything is written.
    let (wit_text, world_name, mut files, checks) = match source {
        Source::Greeting => greeting(name),
        Source::File { text, world } => {
            let (resolve, id) = wit::parse_world(&text, &wit_rel, &world)?;
            let (files, checks) = from_world(sh, &resolve, id, &wit_rel)?;
            (Some(text), world, files, checks)
        }
        Source::Existing { wit, world } => {
            let text = std::fs::read_to_string(root.join(&wit))
                .with_context(|| format!("failed to read {}", wit.display()))?;
            let (resolve, id) = wit::parse_world(&text, &wit, &world)?;
            let (files, checks) = from_world(sh, &resolve, id, &wit)?;
            (None, world, files, checks)
        }
    };
    files.push((
        PathBuf::from(model::CONFIG_FILE),
        format!(
            "# A component of the pipeline: this Go module implements one WIT world.\n\
             # world: the world's name; wit: the WIT file (or directory) holding it, relative to the repository root.\n\
             world = \"{world_name}\"\nwit = \"{}\"\n\
             # Builds it does not ship, each with the reason the manifest records (a build's name, or a prefix\n\
             # ending in *); builds older than go.mod's go line are left out without being named here.\n\
             # [leave-out]\n\
             # \"tinygo*\" = \"a dependency calls reflect.Value.Call, which TinyGo lacks\"\n",
            wit_rel.display()
        ),
    ));
    if let Some(checks) = checks {
        files.push((PathBuf::from(crate::stages::check::DECLARATIVE_FILE), checks));
    }
    // Each newer Go builds it with its own GODEBUG defaults, as it does the repository's components.
    let pinned = crate::env::toolchain::all_pinned(root)?;
    files.extend(crate::stages::bindgen::godebug_files(pinned.keys().map(String::as_str)));

    let wrote_wit = wit_text.is_some();
    let result = (|| {
        if let Some(text) = &wit_text {
            util::write_atomic(&root.join(&wit_rel), text.as_bytes())?;
        }
        for (rel, contents) in &files {
            util::write_atomic(&dir.join(rel), contents.as_bytes())?;
        }
        bindgen::regenerate(sh, root, &[name.to_string()], false)
    })();
    if let Err(err) = result {
        // Leave nothing half-made behind: the next attempt must not find a name clash.
        let _ = std::fs::remove_dir_all(&dir);
        if wrote_wit {
            let _ = std::fs::remove_file(root.join(&wit_rel));
        }
        return Err(err.context(format!("failed to scaffold `{name}` (nothing was kept)")));
    }
    status::step("Created", format!("component `{name}` (world `{world_name}`): {}, go/{name}/", wit_rel.display()));
    Ok(())
}

/// The files of the greeting component: (WIT text, world, Go files, checks.toml).
#[allow(clippy::type_complexity)]
fn greeting(name: &str) -> (Option<String>, String, Vec<(PathBuf, String)>, Option<String>) {
    let wit = format!(
        "/// The `{name}` component. Edit this world, then run `cargo xtask bindgen --component {name}`.\n\
         package local:{name}@0.1.0;\n\n\
         world {name} {{\n  /// Returns a greeting for `name`.\n  export greet: func(name: string) -> string;\n}}\n"
    );
    let go = format!(
        "// Package export_wit_world implements the exports of the `{name}` world (wit/{name}.wit).\n\
         package export_wit_world\n\n\
         // Greet returns a greeting for name.\nfunc Greet(name string) string {{\n\treturn \"Hello, \" + name + \"!\"\n}}\n"
    );
    let checks = "# Calls in WAVE and what they must return (as `cargo run -p host -- call` prints it), or `error = \"...\"`.\n\
                  [[case]]\ncall = 'greet(\"world\")'\nexpect = '\"Hello, world!\"'\n";
    (
        Some(wit),
        name.to_string(),
        vec![(Path::new("export_wit_world").join(format!("{name}.go")), go)],
        Some(checks.to_string()),
    )
}

/// Resolves `--world`: a path to a WIT file (ends in `.wit` or names an existing file), or a world name looked
/// up in wit/*.wit.
fn find_world(root: &Path, name: &str, arg: &str) -> Result<Source> {
    let path = root.join(arg);
    if arg.ends_with(".wit") || arg.contains('/') || path.is_file() {
        let text = std::fs::read_to_string(&path).with_context(|| format!("failed to read the WIT file {arg}"))?;
        let (resolve, package) = wit::parse_text(&text, Path::new(arg))?;
        let worlds: Vec<String> = resolve.packages[package].worlds.keys().cloned().collect();
        let world = match worlds.as_slice() {
            [] => bail!("{arg} defines no world: add `world {name} {{ ... }}` with the exports"),
            _ if worlds.iter().any(|w| w == name) => name.to_string(),
            [one] => one.clone(),
            _ => bail!(
                "{arg} defines several worlds ({}) and none is named `{name}`: name the component after one",
                worlds.join(", ")
            ),
        };
        return Ok(Source::File { text, world });
    }
    let mut found = Vec::new();
    let wit_dir = root.join("wit");
    let mut known = Vec::new();
    let mut broken = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(&wit_dir)
        .with_context(|| format!("failed to list {}", wit_dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "wit"))
        .collect();
    entries.sort();
    for path in entries {
        let (resolve, package) = match wit::parse_path(&path, &path) {
            Ok(parsed) => parsed,
            Err(err) => {
                broken.push(format!("{} does not parse: {:#}", path.display(), err.root_cause()));
                continue;
            }
        };
        for world in resolve.packages[package].worlds.keys() {
            if world == arg {
                found.push(path.strip_prefix(root).unwrap_or(&path).to_path_buf());
            }
            known.push(world.clone());
        }
    }
    match found.as_slice() {
        [one] => Ok(Source::Existing { wit: one.clone(), world: arg.to_string() }),
        [] => bail!(
            "`{arg}` is neither a WIT file nor a world in wit/ (worlds there: {}); give a path ending in .wit or one of those names{}",
            known.join(", "),
            broken.iter().map(|b| format!("\n{b}")).collect::<String>()
        ),
        _ => bail!(
            "world `{arg}` is defined in several files ({}): give the file instead",
            found.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
        ),
    }
}

/// The Go stubs (formatted with gofmt) and the checks.toml text for a user's world.
#[allow(clippy::type_complexity)]
fn from_world(
    sh: &Shell,
    resolve: &Resolve,
    world: WorldId,
    wit: &Path,
) -> Result<(Vec<(PathBuf, String)>, Option<String>)> {
    let stubs = stubs::generate(resolve, world, &wit.display().to_string())?;
    let gofmt = tools::GOFMT.locate()?;
    let mut files = Vec::new();
    for (rel, text) in stubs.files {
        let formatted = util::gofmt(sh, &gofmt, text.as_bytes())
            .with_context(|| format!("gofmt rejected the stub {} (a bug in the stub writer)", rel.display()))?;
        files.push((rel, String::from_utf8(formatted).context("gofmt wrote non-UTF-8")?));
    }
    let checks = (!stubs.cases.is_empty() || !stubs.answers.is_empty()).then(|| {
        let mut text = String::from(
            "# Declarative checks: each call (WAVE) must return `expect` exactly as `cargo run -p host -- call` prints\n\
             # it, or fail with an error containing `error`. Written by `cargo xtask new --world` for the stubs'\n\
             # default results: change them with the code.\n",
        );
        if !stubs.answers.is_empty() {
            text.push_str(
                "#\n# The world's imports, answered by the checks' host: each `[[answer]]` gives the result `returns` (WAVE)\n\
                 # for calls of `call` (an import alone: every call; with WAVE arguments: that call only; the first\n\
                 # match wins), or fails them with `error`. These are the defaults: answer what your checks need.\n",
            );
        }
        for (call, returns) in &stubs.answers {
            text.push_str(&format!("\n[[answer]]\ncall = {}\n", toml_string(call)));
            if let Some(returns) = returns {
                text.push_str(&format!("returns = {}\n", toml_string(returns)));
            }
        }
        for case in &stubs.cases {
            let (key, value) = match &case.expect {
                stubs::Expect::Returns(value) => ("expect", value),
                stubs::Expect::Fails(text) => ("error", text),
            };
            text.push_str(&format!("\n[[case]]\ncall = {}\n{key} = {}\n", toml_string(&case.call), toml_string(value)));
        }
        // The generic stress calls every export with made-up values: a stub that fails on purpose is left out of
        // it until it is filled in.
        for case in &stubs.cases {
            if let stubs::Expect::Fails(_) = case.expect {
                let name = case.call.split('(').next().unwrap_or(&case.call);
                text.push_str(&format!(
                    "\n[[stress.skip]]\ncall = {}\nreason = \"a stub that fails until you fill it in (drop this entry then)\"\n",
                    toml_string(name)
                ));
            }
        }
        text
    });
    Ok((files, checks))
}

/// A TOML string literal: literal quotes when possible (WAVE is full of `"`), basic otherwise.
fn toml_string(text: &str) -> String {
    if text.contains('\'') || text.contains('\n') {
        let mut out = String::from('"');
        for c in text.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
                c => out.push(c),
            }
        }
        out.push('"');
        out
    } else {
        format!("'{text}'")
    }
}

#[cfg(test)]
mod tests;
