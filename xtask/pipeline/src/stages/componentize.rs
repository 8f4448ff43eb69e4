//! The componentize stage: turns a core module into a component, in-process with wit-component — harden the
//! module (see `harden`), embed the world's WIT metadata, encode it with the WASI preview1 reactor adapter,
//! forward its lifted exports (see `forward`), validate the result and verify that it exports exactly the
//! world's functions. The only user of `ComponentEncoder` (the tidy test enforces it). Output:
//! `<work>/<component>/<build>/<post>/component.wasm`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use wit_component::{ComponentEncoder, DecodedWasm, StringEncoding};
use wit_parser::{InterfaceId, Resolve, WorldId, WorldItem, WorldKey};

use crate::model::{Component, Variant, Workspace, evidence, paths};
use crate::{
    stages::{adapter, forward, harden, wit},
    status, util,
};

/// Componentizes the post-processed module of (component, variant); returns the component's path.
pub fn componentize(ws: &Workspace, component: &Component, variant: &Variant) -> Result<PathBuf> {
    let start = Instant::now();
    let root = &ws.root;
    let module_path = paths::module(&ws.work, component, variant);
    let core = util::read(&module_path).context("build the component first (`cargo xtask build`)")?;
    let bytes = encode(root, component, &core)
        .with_context(|| format!("failed to componentize {} (variant {})", component.name, variant.name()))?;
    let out = paths::component(&ws.work, component, variant);
    util::write_atomic(&out, &bytes)?;
    status::step(
        "Componentized",
        format!(
            "{} {} ({} bytes) in {}",
            component.name,
            variant.name(),
            bytes.len(),
            status::elapsed(start.elapsed())
        ),
    );
    Ok(out)
}

/// Core module bytes → validated component bytes that export exactly the component's world (and, when the pass
/// guarded anything, `gowasm:harden/window`): the module is hardened, encoded, and its lifted exports forwarded
/// (see `forward`).
pub fn encode(root: &Path, component: &Component, core: &[u8]) -> Result<Vec<u8>> {
    let (hardened, report) = harden::harden(core).context("failed to harden the core module")?;
    let (bytes, resolve, world) = encode_unchecked(root, component, hardened, report.counts_window())?;
    forward_and_check(&bytes, &resolve, world, &component.world)
}

/// Encodes `module` as it is, as the field's tools do (the second half of [`encode`], without forwarding): embed
/// the world's metadata (with the window interface added to its exports when `window`), add the adapter,
/// validate, verify the exports.
pub fn encode_module(root: &Path, component: &Component, module: Vec<u8>, window: bool) -> Result<Vec<u8>> {
    let (bytes, resolve, world) = encode_unchecked(root, component, module, window)?;
    check_encoded(&bytes, &resolve, world, &component.world)?;
    Ok(bytes)
}

/// [`encode_module`] before its checks: the bytes, and the world they must export.
fn encode_unchecked(
    root: &Path,
    component: &Component,
    mut module: Vec<u8>,
    window: bool,
) -> Result<(Vec<u8>, Resolve, WorldId)> {
    let (mut resolve, world) = wit::load_world(root, component)?;
    let collector = exports_function(&module, evidence::COLLECTOR_EXPORT)?;
    let stress = exports_function(&module, evidence::COLLECT_EXPORT)?;
    if window || collector || stress {
        let package = resolve
            .push_str("gowasm-harden.wit", harden::WINDOW_WIT)
            .context("failed to add the gowasm:harden package to the world's WIT (does it define one already?)")?;
        let interfaces = [("window", window), ("collector", collector), ("stress", stress)];
        for (name, _) in interfaces.iter().filter(|(_, exported)| *exported) {
            let id = resolve.packages[package].interfaces[*name];
            export_interface(&mut resolve, world, id);
        }
    }
    wit_component::embed_component_metadata(&mut module, &resolve, world, StringEncoding::UTF8)
        .context("failed to embed the WIT metadata")?;
    // Not validated here: `check_encoded` validates what is finally shipped, once.
    let bytes = ComponentEncoder::default()
        .module(&module)
        .context("the core module does not fit the world")?
        .adapter(adapter::NAME, adapter::reactor()?)
        .context("failed to add the WASI preview1 adapter")?
        .encode()
        .with_context(|| format!("the core module does not implement world `{}`", component.world))?;
    Ok((bytes, resolve, world))
}

/// An encoded component with its lifted exports forwarded (see `forward`), then checked.
fn forward_and_check(bytes: &[u8], resolve: &Resolve, world: WorldId, name: &str) -> Result<Vec<u8>> {
    let bytes = forward::forward_exports(bytes).context("failed to forward the component's lifted exports")?;
    check_encoded(&bytes, resolve, world, name)?;
    Ok(bytes)
}

/// Validates an encoded component and verifies that it exports exactly `world`.
fn check_encoded(bytes: &[u8], resolve: &Resolve, world: WorldId, name: &str) -> Result<()> {
    util::validate(bytes).context("the encoded component does not validate")?;
    verify_exports(bytes, resolve, world, name)
}

/// A core module that imports nothing → a validated component of `world` in the WIT text `wit`, exporting
/// exactly that world: no hardening, no adapter (there is no WASI to adapt), its lifted export forwarded as the
/// shipped components' are (see `forward`). The bench's floor is one: the cheapest component a call can cross
/// into.
pub fn encode_bare(mut module: Vec<u8>, wit: &str, world: &str) -> Result<Vec<u8>> {
    let (resolve, world_id) = wit::parse_world(wit, Path::new("<bare>.wit"), world)?;
    wit_component::embed_component_metadata(&mut module, &resolve, world_id, StringEncoding::UTF8)
        .context("failed to embed the WIT metadata")?;
    let bytes = ComponentEncoder::default()
        .module(&module)
        .context("the core module does not fit the world")?
        .encode()
        .with_context(|| format!("the core module does not implement world `{world}`"))?;
    forward_and_check(&bytes, &resolve, world_id, world)
}

/// Adds `export <interface>` to `world` (the `gowasm:harden` interfaces, see `harden`).
fn export_interface(resolve: &mut Resolve, world: WorldId, id: InterfaceId) {
    let item = WorldItem::Interface {
        id,
        stability: Default::default(),
        external_id: None,
        docs: Default::default(),
        span: Default::default(),
    };
    resolve.worlds[world].exports.insert(WorldKey::Interface(id), item);
}

/// Whether the core module exports a function named `name`.
fn exports_function(module: &[u8], name: &str) -> Result<bool> {
    for payload in wasmparser::Parser::new(0).parse_all(module) {
        if let wasmparser::Payload::ExportSection(reader) = payload.context("failed to parse the core module")? {
            for export in reader {
                let export = export.context("failed to parse the core module's exports")?;
                if export.name == name
                    && matches!(export.kind, wasmparser::ExternalKind::Func | wasmparser::ExternalKind::FuncExact)
                {
                    return Ok(true);
                }
            }
        }
    }
    Ok(false)
}

/// Every function a world exports, as `name` or `interface#name`.
fn world_exports(resolve: &Resolve, world: WorldId) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (key, item) in &resolve.worlds[world].exports {
        match item {
            WorldItem::Function(f) => {
                out.insert(f.name.clone());
            }
            WorldItem::Interface { id, .. } => {
                let iface = match key {
                    WorldKey::Name(name) => name.clone(),
                    WorldKey::Interface(id) => resolve.id_of(*id).unwrap_or_default(),
                };
                for name in resolve.interfaces[*id].functions.keys() {
                    out.insert(format!("{iface}#{name}"));
                }
            }
            WorldItem::Type { .. } => {}
        }
    }
    out
}

/// Fails unless the component's exported functions are exactly those of the world.
fn verify_exports(component: &[u8], resolve: &Resolve, world: WorldId, world_name: &str) -> Result<()> {
    let DecodedWasm::Component(found_resolve, found_world) =
        wit_component::decode(component).context("failed to decode the encoded component")?
    else {
        bail!("the encoder produced a WIT package instead of a component");
    };
    let wanted = world_exports(resolve, world);
    let found = world_exports(&found_resolve, found_world);
    let missing: Vec<_> = wanted.difference(&found).cloned().collect();
    let extra: Vec<_> = found.difference(&wanted).cloned().collect();
    if !missing.is_empty() || !extra.is_empty() {
        bail!(
            "the component's exports differ from world `{world_name}`: missing [{}], unexpected [{}]",
            missing.join(", "),
            extra.join(", ")
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use wasm_encoder::reencode::{Error, Reencode, utils};

    use super::*;

    /// Re-encodes a module without one export.
    struct DropExport(&'static str);

    impl Reencode for DropExport {
        type Error = Infallible;

        fn parse_export(
            &mut self,
            exports: &mut wasm_encoder::ExportSection,
            export: wasmparser::Export<'_>,
        ) -> Result<(), Error<Infallible>> {
            if export.name == self.0 { Ok(()) } else { utils::parse_export(self, exports, export) }
        }
    }

    #[test]
    #[ignore = "slow tier: builds components with Go (`cargo xtask test` runs it)"]
    fn a_module_missing_a_world_export_is_rejected_by_name() {
        let (root, component, _) = crate::testing::hasher_go126();
        let core = crate::testing::hasher_core_module();
        let mut module = wasm_encoder::Module::new();
        DropExport("process-json").parse_core_module(&mut module, wasmparser::Parser::new(0), &core).unwrap();
        let err = format!("{:#}", encode(&root, &component, &module.finish()).unwrap_err());
        assert!(err.contains("does not implement world `hasher`") && err.contains("process-json"), "{err}");
    }
}
