//! Stand-ins for the imports no checks.toml can answer: WAVE has no values for handles, so an import that takes or
//! returns one (or is a resource's method) fails when called, naming itself ([`Unanswerable`]); the declarative
//! cases and the generic stress both link them.

use anyhow::Result;
use host::Host;
use host::dynamic::ExportPath;
use host::wasmtime::component::Component;

use super::DECLARATIVE_FILE as FILE;

/// WAVE has no values for handles, so imports that involve a resource cannot be answered: with answers, each
/// imported resource the host lacks gets a stand-in type and each unanswered function that takes or returns a
/// handle (or is a resource's method) fails when called, naming it and saying that it needs a typed host. Plain
/// functions without an answer are left to linking, which names them.
pub(super) fn stub_resource_imports(host: &mut Host, component: &Component, answered: &[ExportPath]) -> Result<()> {
    use host::wasmtime::component::ResourceType;
    use host::wasmtime::component::types::ComponentItem;
    struct StandIn;
    let engine = host.engine().clone();
    // Resource types in the order imports introduce them; a later import of the same type is a `use` of it.
    let mut introduced: Vec<ResourceType> = Vec::new();
    for (name, item) in component.component_type().imports(&engine) {
        let ComponentItem::ComponentInstance(instance) = item.ty else { continue };
        let members: Vec<_> = instance.exports(&engine).collect();
        if !members.iter().any(|(_, m)| matches!(m.ty, ComponentItem::Resource(_))) {
            continue;
        }
        if is_wasi(name) {
            for (_, member) in &members {
                if let ComponentItem::Resource(ty) = member.ty
                    && !introduced.contains(&ty)
                {
                    introduced.push(ty);
                }
            }
        }
        // WASI is the host's (under this or a semver-compatible version), and so is any interface the linker
        // holds; only interfaces it lacks get stand-ins.
        if is_wasi(name) || host.linker_mut().clone().root().func_new(name, |_, _, _, _| Ok(())).is_err() {
            continue;
        }
        let mut linker = host.linker_mut().clone();
        let mut scope = match linker.instance(name) {
            Ok(scope) => scope,
            Err(_) => continue,
        };
        for (member, item) in &members {
            match &item.ty {
                // A resource this interface `use`s from another is defined there, not here.
                ComponentItem::Resource(ty) if !introduced.contains(ty) => {
                    introduced.push(*ty);
                    let _ = scope.resource(member, ResourceType::host::<StandIn>(), |_, _| Ok(()));
                }
                ComponentItem::ComponentFunc(func) => {
                    let path = ExportPath { interface: Some(name.to_string()), function: member.to_string() };
                    let involves_handle = member.starts_with('[')
                        || func.params().any(|(_, t)| holds_handle(&t))
                        || func.results().any(|t| holds_handle(&t));
                    if involves_handle && !answered.contains(&path) {
                        let message = format!(
                            "the import `{path}` involves a resource handle, which {FILE} cannot answer: check \
                             this call from a typed suite (a bindgen! host)"
                        );
                        let _ = scope.func_new(member, move |_, _, _, _| {
                            Err(host::wasmtime::Error::new(Unanswerable(message.clone())))
                        });
                    }
                }
                _ => {}
            }
        }
        *host.linker_mut() = linker;
    }
    Ok(())
}

/// The error of an import that involves a handle, which no declarative answer can give.
#[derive(Debug)]
pub(super) struct Unanswerable(pub String);

impl std::fmt::Display for Unanswerable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Unanswerable {}

/// Whether an interface name is WASI's.
pub fn is_wasi(interface: &str) -> bool {
    interface.starts_with("wasi:")
}

/// Whether a value of `ty` holds a resource handle anywhere (a `list<own<r>>`, a `result<r, e>`…).
fn holds_handle(ty: &host::wasmtime::component::Type) -> bool {
    use host::wasmtime::component::Type;
    match ty {
        Type::Own(_) | Type::Borrow(_) => true,
        Type::List(list) => holds_handle(&list.ty()),
        Type::Option(option) => holds_handle(&option.ty()),
        Type::Result(result) => result.ok().iter().chain(result.err().iter()).any(holds_handle),
        Type::Record(record) => record.fields().any(|f| holds_handle(&f.ty)),
        Type::Tuple(tuple) => tuple.types().any(|t| holds_handle(&t)),
        Type::Variant(variant) => variant.cases().any(|c| c.ty.as_ref().is_some_and(holds_handle)),
        _ => false,
    }
}
