//! Scaffolding a component's typed suite (`cargo xtask suite <component>`): a crate in `go/<name>/suite/` with typed
//! bindings of the component's world and a check that instantiates it, named in its `component.toml` so that the
//! check stage builds and runs it against every artifact. The user fills in `src/main.rs`: calls of the exports
//! and what they must return. Everything is prepared before the first write, nothing is overwritten, and what was
//! written is removed when a later step fails.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use heck::{ToSnakeCase, ToUpperCamelCase};
use wit_parser::{Resolve, WorldId, WorldItem, WorldKey};

use crate::model::{self, Component};
use crate::stages::wit;
use crate::util;

/// The suite's directory inside the component's, as `suite = "suite"` names it.
pub const DIR: &str = "suite";

/// Writes the typed suite of `component` (which must have none) and names it in its component.toml; returns the
/// files written, relative to `root`.
pub fn typed_suite(root: &Path, component: &Component) -> Result<Vec<PathBuf>> {
    if let Some(suite) = &component.suite {
        bail!("{} already has a typed suite ({})", component.name, suite.display());
    }
    let dir = component.dir.join(DIR);
    if root.join(&dir).exists() {
        bail!(
            "{} exists: remove it, or name it in {}",
            dir.display(),
            component.dir.join(model::CONFIG_FILE).display()
        );
    }
    let (resolve, world) = wit::load_world(root, component)?;
    let host_imports = imports_beyond_wasi(&resolve, world);
    if !host_imports.is_empty() {
        bail!(
            "world `{}` imports {} from its host: a typed suite implements them as a host does (bindgen!'s host traits \
             and `Host::with_data`, README \"A plugin that calls its host\"), which a scaffold cannot write for you; \
             check the component with answers in {} instead, or write its suite by hand",
            component.world,
            host_imports.join(", "),
            crate::stages::check::DECLARATIVE_FILE
        );
    }
    let config = root.join(&component.dir).join(model::CONFIG_FILE);
    let config_text =
        std::fs::read_to_string(&config).with_context(|| format!("failed to read {}", config.display()))?;
    let files =
        [(dir.join("Cargo.toml"), manifest(component)), (dir.join("src/main.rs"), main_rs(component, &resolve, world))];
    let written = (|| -> Result<()> {
        for (path, text) in &files {
            let path = root.join(path);
            std::fs::create_dir_all(path.parent().expect("a file in a directory"))?;
            util::write_atomic(&path, text.as_bytes())?;
        }
        let line = format!(
            "# Typed checks: the crate in {}, built and run against every artifact.\nsuite = \"{DIR}\"\n",
            dir.display()
        );
        let separator = if config_text.ends_with('\n') { "" } else { "\n" };
        util::write_atomic(&config, format!("{config_text}{separator}{line}").as_bytes())
    })();
    if let Err(err) = written {
        let _ = std::fs::remove_dir_all(root.join(&dir));
        return Err(err.context(format!("failed to write the typed suite of {}", component.name)));
    }
    Ok(files.into_iter().map(|(path, _)| path).chain([component.dir.join(model::CONFIG_FILE)]).collect())
}

/// The functions `world` imports from outside WASI (which every host provides), as `interface#function`.
fn imports_beyond_wasi(resolve: &Resolve, world: WorldId) -> Vec<String> {
    let mut found = Vec::new();
    for (key, item) in &resolve.worlds[world].imports {
        let name = resolve.name_world_key(key);
        match item {
            WorldItem::Function(func) => found.push(func.name.clone()),
            WorldItem::Interface { .. } if !name.starts_with("wasi:") => found.push(name),
            _ => {}
        }
    }
    found
}

fn manifest(component: &Component) -> String {
    format!(
        r#"[package]
name = "{name}-suite"
version = "0.1.0"
edition.workspace = true
rust-version.workspace = true
license.workspace = true
publish.workspace = true
description = "The {name} component's typed checks, run against every artifact by `cargo xtask check`"

[dependencies]
pipeline.workspace = true
host.workspace = true
wasmtime = {{ workspace = true, features = ["component-model"] }}
anyhow.workspace = true
"#,
        name = component.name
    )
}

fn main_rs(component: &Component, resolve: &Resolve, world: WorldId) -> String {
    let name = &component.name;
    let bindings = component.world.to_upper_camel_case();
    let var = name.to_snake_case();
    let wit = Path::new("../../..").join(&component.wit);
    let mut calls = Vec::new();
    for (key, item) in &resolve.worlds[world].exports {
        match (key, item) {
            (_, WorldItem::Function(func)) => {
                calls.push(format!("{var}.call_{}(&mut store, …)", func.name.to_snake_case()))
            }
            (WorldKey::Interface(id), WorldItem::Interface { .. }) => {
                let iface = &resolve.interfaces[*id];
                let package = iface.package.map(|p| &resolve.packages[p].name);
                let accessor = match (package, &iface.name) {
                    (Some(p), Some(i)) => format!("{}_{}_{}", p.namespace, p.name, i).to_snake_case(),
                    _ => continue,
                };
                for func in iface.functions.keys() {
                    calls.push(format!("{var}.{accessor}().call_{}(&mut store, …)", func.to_snake_case()));
                }
            }
            (WorldKey::Name(iface), WorldItem::Interface { id, .. }) => {
                for func in resolve.interfaces[*id].functions.keys() {
                    calls.push(format!(
                        "{var}.{}().call_{}(&mut store, …)",
                        iface.to_snake_case(),
                        func.to_snake_case()
                    ));
                }
            }
            _ => {}
        }
    }
    let calls: String = calls.iter().map(|c| format!("    //     {c}\n")).collect();
    format!(
        r#"//! The typed checks of the `{name}` component: `cargo xtask check --component {name}` builds this crate and runs
//! it against every artifact (`pipeline::suite`). Call the exports through the typed bindings and compare each
//! result with what it must be; an error fails that artifact's check, naming it.

use std::process::ExitCode;

use anyhow::Result;
use pipeline::suite::{{Subject, Verdict}};

// Typed bindings of the world, generated from its WIT when this crate compiles: `{bindings}`, one method per export.
wasmtime::component::bindgen!({{ world: "{world}", path: "{wit}" }});

fn main() -> ExitCode {{
    pipeline::suite::main(check)
}}

/// Checks one artifact: a fresh instance, then each export against what it must return.
fn check(subject: &Subject) -> Result<Verdict> {{
    let (mut store, {var}, _window) =
        pipeline::suite::instantiate(subject.host, subject.component(), |store, instance| {bindings}::new(store, instance))?;
    // The exports, as the bindings name them:
{calls}    // For example: `anyhow::ensure!({var}.call_greet(&mut store, "Go")? == "Hello, Go!", "greet is wrong");`
    let _ = (&mut store, &{var});
    Ok(Verdict::default())
}}
"#,
        world = component.world,
        wit = wit.display(),
    )
}
