//! What a component imports and a linker does not provide: wasmtime's linker stops at the first missing import,
//! so a plugin whose host lacks three functions would be fixed one restart at a time. [`missing`] names them all.
//!
//! It walks the component's import types and probes copies of the linker: defining a name the linker already has
//! is refused, which tells an exact definition from a missing one. An interface the linker does not hold under
//! the exact name may still be there under a semver-compatible version (`a:b/c@0.2.6` for `a:b/c@0.2.0`), which
//! wasmtime accepts: such an interface counts as missing only if linking still fails when everything else
//! missing is stubbed. The probes run only after linking failed.

use wasmtime::component::types::ComponentItem;
use wasmtime::component::{Component, Linker, LinkerInstance, ResourceType};

/// An interface the linker lacks under its exact name: where it is among the imports, its name, and the members
/// a stand-in must define (name, is a resource): functions, and the resources it introduces (not those it
/// `use`s).
type Absent = (usize, String, Vec<(String, bool)>);

/// A stand-in type for probing and stubbing resource names.
struct Probe;

/// Every function or resource `component` imports that `linker` does not define, as `iface#name` (or `name` for
/// world-level imports), in the component's order; an interface missing as a whole is listed once, as
/// `iface (all of it: f, g)`. Empty when nothing is missing (the link failed for another reason, such as a
/// definition of the wrong type).
pub(crate) fn missing<T: 'static>(linker: &Linker<T>, component: &Component) -> Vec<String> {
    let engine = component.engine();
    let mut found: Vec<(usize, String)> = Vec::new();
    let mut stubbed = linker.clone();
    stubbed.allow_shadowing(true);
    let mut absent: Vec<Absent> = Vec::new();
    // A resource is defined once, where it is introduced; a later import of the same type (`use`d by another
    // interface, an `(eq …)` bound) needs no definition of its own.
    let mut resources: Vec<ResourceType> = Vec::new();
    let mut fresh = |item: &ComponentItem| match item {
        ComponentItem::Resource(ty) if resources.contains(ty) => false,
        ComponentItem::Resource(ty) => {
            resources.push(*ty);
            true
        }
        ComponentItem::ComponentFunc(_) => true,
        _ => false,
    };
    for (at, (name, item)) in component.component_type().imports(engine).enumerate() {
        match item.ty {
            ComponentItem::ComponentInstance(instance) => {
                if !defined(linker, None, name, false) {
                    let members = instance
                        .exports(engine)
                        .filter(|(_, inner_item)| fresh(&inner_item.ty))
                        .map(|(inner, inner_item)| {
                            (inner.to_string(), matches!(inner_item.ty, ComponentItem::Resource(_)))
                        })
                        .collect();
                    absent.push((at, name.to_string(), members));
                    continue;
                }
                for (inner, inner_item) in instance.exports(engine) {
                    let resource = matches!(inner_item.ty, ComponentItem::Resource(_));
                    if fresh(&inner_item.ty) && !defined(linker, Some(name), inner, resource) {
                        found.push((at, format!("{name}#{inner}")));
                        stub(&mut stubbed, Some(name), inner, resource);
                    }
                }
            }
            ComponentItem::ComponentFunc(_) | ComponentItem::Resource(_) => {
                let resource = matches!(item.ty, ComponentItem::Resource(_));
                if fresh(&item.ty) && !defined(linker, None, name, resource) {
                    found.push((at, name.to_string()));
                    stub(&mut stubbed, None, name, resource);
                }
            }
            _ => {}
        }
    }
    for (at, name, own) in &absent {
        let mut probe = stubbed.clone();
        for (_, other, members) in absent.iter().filter(|(_, other, _)| other != name) {
            for (inner, resource) in members {
                stub(&mut probe, Some(other), inner, *resource);
            }
        }
        // Every other imported function is stubbed over the linker's own definition too (`stubbed` allows
        // shadowing): one of the wrong type fails the link whatever `name` is, and only `name` may decide here.
        for (other, item) in component.component_type().imports(engine).filter(|(other, _)| other != name) {
            match item.ty {
                ComponentItem::ComponentFunc(_) => {
                    stub(&mut probe, None, other, false);
                }
                ComponentItem::ComponentInstance(instance) => {
                    for (inner, _) in
                        instance.exports(engine).filter(|(_, item)| matches!(item.ty, ComponentItem::ComponentFunc(_)))
                    {
                        stub(&mut probe, Some(other), inner, false);
                    }
                }
                _ => {}
            }
        }
        if probe.instantiate_pre(component).is_err() {
            let members: Vec<&str> = own.iter().map(|(member, _)| member.as_str()).collect();
            found.push((*at, format!("{name} (all of it: {})", members.join(", "))));
        }
    }
    found.sort_by_key(|(at, _)| *at);
    found.into_iter().map(|(_, name)| name).collect()
}

/// The scope `within` names (the root for `None`) in `linker`.
fn scope<'a, T: 'static>(linker: &'a mut Linker<T>, within: Option<&str>) -> Option<LinkerInstance<'a, T>> {
    match within {
        None => Some(linker.root()),
        Some(instance) => linker.instance(instance).ok(),
    }
}

/// Defines `name` in `linker` (inside `within`) as a stand-in; whether the definition was accepted.
fn stub<T: 'static>(linker: &mut Linker<T>, within: Option<&str>, name: &str, resource: bool) -> bool {
    let Some(mut scope) = scope(linker, within) else { return false };
    if resource {
        scope.resource(name, ResourceType::host::<Probe>(), |_, _| Ok(())).is_ok()
    } else {
        scope.func_new(name, |_, _, _, _| Ok(())).is_ok()
    }
}

/// Whether `linker` defines exactly `name` (inside `within`): a copy refuses a new definition under a name it
/// has (even when the embedder's linker allows shadowing). An instance is probed like a function: a function is
/// refused under a name an instance holds.
fn defined<T: 'static>(linker: &Linker<T>, within: Option<&str>, name: &str, resource: bool) -> bool {
    let mut probe = linker.clone();
    probe.allow_shadowing(false);
    !stub(&mut probe, within, name, resource)
}
