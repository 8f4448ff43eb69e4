//! Reading WIT: one place parses a WIT file, directory or text into a `Resolve` and selects a world, and renders
//! parser errors against the resolve's source map (file:line:col and a snippet). bindgen, componentize and `new`
//! all read WIT through here. It never writes.

use std::path::Path;

use anyhow::{Context, Result, anyhow};
use wit_parser::{PackageId, Resolve, WorldId};

use crate::model::Component;

/// Parses a WIT file or directory (`path`, named `shown` in errors) into a fresh resolve.
pub fn parse_path(path: &Path, shown: &Path) -> Result<(Resolve, PackageId)> {
    let mut resolve = Resolve::default();
    let (package, _) = resolve
        .push_path(path)
        .map_err(|err| anyhow!(resolve.render_error(&err)))
        .with_context(|| format!("failed to parse WIT {}", shown.display()))?;
    Ok((resolve, package))
}

/// Parses WIT `text` as if read from `path` into a fresh resolve.
pub fn parse_text(text: &str, path: &Path) -> Result<(Resolve, PackageId)> {
    let mut resolve = Resolve::default();
    let package = resolve
        .push_str(path, text)
        .map_err(|err| anyhow!(resolve.render_error(&err)))
        .with_context(|| format!("failed to parse WIT {}", path.display()))?;
    Ok((resolve, package))
}

/// Selects `world` from `package`; the error names the world and where it was looked for.
pub fn select_world(resolve: &Resolve, package: PackageId, world: &str, shown: &Path) -> Result<WorldId> {
    resolve.select_world(&[package], Some(world)).with_context(|| format!("no world `{world}` in {}", shown.display()))
}

/// Parses a component's WIT (under the project `root`) and returns the resolve and its world.
pub fn load_world(root: &Path, component: &Component) -> Result<(Resolve, WorldId)> {
    let (resolve, package) = parse_path(&root.join(&component.wit), &component.wit)?;
    let world = select_world(&resolve, package, &component.world, &component.wit)?;
    Ok((resolve, world))
}

/// Parses WIT `text` (as if read from `path`) and selects `world`.
pub fn parse_world(text: &str, path: &Path, world: &str) -> Result<(Resolve, WorldId)> {
    let (resolve, package) = parse_text(text, path)?;
    let id = select_world(&resolve, package, world, path)?;
    Ok((resolve, id))
}
