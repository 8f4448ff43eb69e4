//! The forwarding pass, the last step of componentize: component bytes → the same component whose lifted exports
//! (and their `post-return` functions) are taken from a small forwarding core instance instead of straight from
//! the module that defines them.
//!
//! Why: wasmtime 48 looks up a lifted function's core function on every call (`lifted_core_func` →
//! `lookup_vmdef`), and for a function the instance *defines* that lookup re-initializes its `VMFuncRef`: a search
//! for its array-to-wasm trampoline in the module registry and the module's compiled-function index (binary, over
//! every function that escapes into a table, which for Go is nearly all of them). For a function the instance
//! *imports*, the `VMFuncRef` is read straight from the import, set once at instantiation. A forwarding module,
//! `(import "main" "f" (func)) (export "f" (func 0))` for each lifted function, turns every export call into the
//! second kind. Same code runs: the import is the defining module's own function, so no extra frame, no wrapper,
//! and a trap's backtrace is unchanged.
//!
//! What it changes: it inserts one core module and one core instance per defining instance, just before the first
//! alias it redirects, and points those aliases at the forwarding instance (same kind, same name). Everything else
//! is copied byte for byte. It refuses a layout it does not expect (a core module or instance defined after the
//! first redirected alias) rather than renumber index spaces. It must not touch a component's types, imports,
//! exports or the defining module.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use anyhow::{Context, Result, bail};
use wasm_encoder::reencode::{Reencode, ReencodeComponent, RoundtripReencoder};
use wasmparser::{
    CanonicalFunction, CanonicalOption, ComponentAlias, ComponentExternalKind, ComponentTypeRef, ExternalKind,
    Instance, Parser, Payload, TypeRef,
};

/// The import module name under which a forwarding module imports what it re-exports.
const FROM: &str = "main";

/// Where a core function of the component's index space came from.
#[derive(Clone)]
enum CoreFunc {
    /// `alias core export <instance> "<name>" (func)`, the `entry`-th alias of the `section`-th section.
    Alias { section: usize, entry: usize, instance: u32, name: String },
    /// Anything else (a `canon` built-in): never redirected.
    Other,
}

/// One top-level section of the component: its id and the range of its contents.
struct Section {
    id: u8,
    range: Range<usize>,
    /// Whether it adds to the core module or core instance index spaces.
    defines_core_modules_or_instances: bool,
}

/// Component bytes → the same component with its lifted exports forwarded (see the module docs). A component with
/// nothing to forward comes back unchanged.
pub fn forward_exports(component: &[u8]) -> Result<Vec<u8>> {
    let layout = Layout::read(component).context("failed to read the component's layout")?;

    // The core functions to redirect, grouped by the instance that defines them; only instances of a module this
    // component itself contains (its type is at hand for the forwarder's imports).
    let mut groups: BTreeMap<u32, BTreeSet<String>> = BTreeMap::new();
    let mut first_section = usize::MAX;
    for &func in &layout.lifted {
        let def =
            layout.core_funcs.get(func as usize).with_context(|| format!("core function {func} is not defined"))?;
        if let CoreFunc::Alias { section, instance, name, .. } = def
            && matches!(layout.core_instances.get(*instance as usize), Some(Some(_)))
        {
            groups.entry(*instance).or_default().insert(name.clone());
            first_section = first_section.min(*section);
        }
    }
    if groups.is_empty() {
        return Ok(component.to_vec());
    }
    if let Some(late) = layout.sections[first_section..].iter().find(|s| s.defines_core_modules_or_instances) {
        bail!(
            "a core module or instance is defined after the lifted functions' aliases (section id {} at byte {}); \
             forwarding would renumber them",
            late.id,
            late.range.start
        );
    }

    // The forwarders: one module each, then one instance each, both appended to their index spaces.
    let first_module = layout.core_modules.len() as u32;
    let first_instance = layout.core_instances.len() as u32;
    let mut modules = Vec::new();
    let mut instances = wasm_encoder::InstanceSection::new();
    let mut forwarder_of = BTreeMap::new();
    for (k, (instance, names)) in groups.iter().enumerate() {
        let module_index = layout.core_instances[*instance as usize].expect("grouped instances instantiate a module");
        let defining = layout.core_modules[module_index as usize]
            .clone()
            .with_context(|| format!("core module {module_index} is not contained in the component"))?;
        let module = forwarder(&component[defining], names)
            .with_context(|| format!("failed to build the forwarder of core instance {instance}"))?;
        modules.push(module);
        instances.instantiate(first_module + k as u32, [(FROM, wasm_encoder::ModuleArg::Instance(*instance))]);
        forwarder_of.insert(*instance, first_instance + k as u32);
    }

    // The redirected aliases, by (section, entry).
    let mut redirect = BTreeMap::new();
    for &func in &layout.lifted {
        if let Some(CoreFunc::Alias { section, entry, instance, .. }) = layout.core_funcs.get(func as usize)
            && let Some(forwarder) = forwarder_of.get(instance)
        {
            redirect.insert((*section, *entry), *forwarder);
        }
    }

    let mut out = wasm_encoder::Component::new();
    for (k, section) in layout.sections.iter().enumerate() {
        if k == first_section {
            for module in &modules {
                out.section(&wasm_encoder::ModuleSection(module));
            }
            out.section(&instances);
        }
        let data = &component[section.range.clone()];
        if section.id == wasm_encoder::ComponentSectionId::Alias as u8 && redirect.keys().any(|(s, _)| *s == k) {
            out.section(&redirected_aliases(data, section.range.start, k, &redirect)?);
        } else {
            out.section(&wasm_encoder::RawSection { id: section.id, data });
        }
    }
    Ok(out.finish())
}

/// The module `(import "main" name (func T))* (export name (func i))*` for the functions `names` of `defining`.
fn forwarder(defining: &[u8], names: &BTreeSet<String>) -> Result<wasm_encoder::Module> {
    let mut types = Vec::new();
    let mut funcs = Vec::new(); // the type index of every function, imported ones first
    let mut exports = BTreeMap::new();
    for payload in Parser::new(0).parse_all(defining) {
        match payload? {
            Payload::TypeSection(reader) => {
                for ty in reader.into_iter_err_on_gc_types() {
                    types.push(ty?);
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    if let TypeRef::Func(ty) = import?.ty {
                        funcs.push(ty);
                    }
                }
            }
            Payload::FunctionSection(reader) => {
                for ty in reader {
                    funcs.push(ty?);
                }
            }
            Payload::ExportSection(reader) => {
                for export in reader {
                    let export = export?;
                    if export.kind == ExternalKind::Func {
                        exports.insert(export.name.to_string(), export.index);
                    }
                }
            }
            _ => {}
        }
    }
    let mut type_section = wasm_encoder::TypeSection::new();
    let mut import_section = wasm_encoder::ImportSection::new();
    let mut export_section = wasm_encoder::ExportSection::new();
    let mut encoder = RoundtripReencoder;
    for (k, name) in names.iter().enumerate() {
        let func = *exports.get(name).with_context(|| format!("the module does not export a function `{name}`"))?;
        let ty = funcs
            .get(func as usize)
            .and_then(|t| types.get(*t as usize))
            .with_context(|| format!("the type of function {func} (`{name}`) is not in the module"))?;
        let params = ty.params().iter().map(|t| encoder.val_type(*t)).collect::<Result<Vec<_>, _>>()?;
        let results = ty.results().iter().map(|t| encoder.val_type(*t)).collect::<Result<Vec<_>, _>>()?;
        type_section.ty().function(params, results);
        import_section.import(FROM, name, wasm_encoder::EntityType::Function(k as u32));
        export_section.export(name, wasm_encoder::ExportKind::Func, k as u32);
    }
    let mut module = wasm_encoder::Module::new();
    module.section(&type_section).section(&import_section).section(&export_section);
    Ok(module)
}

/// The alias section `data` (the `section`-th, at byte `at`) with the aliases in `redirect` taken from their
/// forwarder instead.
fn redirected_aliases(
    data: &[u8],
    at: usize,
    section: usize,
    redirect: &BTreeMap<(usize, usize), u32>,
) -> Result<wasm_encoder::ComponentAliasSection> {
    let mut out = wasm_encoder::ComponentAliasSection::new();
    let reader = wasmparser::ComponentAliasSectionReader::new(wasmparser::BinaryReader::new(data, at))?;
    for (entry, alias) in reader.into_iter().enumerate() {
        let alias = match alias? {
            ComponentAlias::CoreInstanceExport { kind, instance_index, name } => {
                let instance = redirect.get(&(section, entry)).copied().unwrap_or(instance_index);
                wasm_encoder::Alias::CoreInstanceExport { instance, kind: RoundtripReencoder.export_kind(kind)?, name }
            }
            ComponentAlias::InstanceExport { kind, instance_index, name } => wasm_encoder::Alias::InstanceExport {
                instance: instance_index,
                kind: RoundtripReencoder.component_export_kind(kind),
                name,
            },
            ComponentAlias::Outer { kind, count, index } => {
                wasm_encoder::Alias::Outer { kind: RoundtripReencoder.component_outer_alias_kind(kind), count, index }
            }
        };
        out.alias(alias);
    }
    Ok(out)
}

/// What the forwarding pass needs to know of a component's top level.
struct Layout {
    sections: Vec<Section>,
    /// The core module index space: the contents' range of each module the component contains, `None` for one it
    /// imports or aliases.
    core_modules: Vec<Option<Range<usize>>>,
    /// The core instance index space: the module each instance instantiates, `None` for one made from exports.
    core_instances: Vec<Option<u32>>,
    core_funcs: Vec<CoreFunc>,
    /// The core functions lifted or used as a lift's `post-return`.
    lifted: BTreeSet<u32>,
}

impl Layout {
    fn read(component: &[u8]) -> Result<Layout> {
        let mut layout = Layout {
            sections: Vec::new(),
            core_modules: Vec::new(),
            core_instances: Vec::new(),
            core_funcs: Vec::new(),
            lifted: BTreeSet::new(),
        };
        let mut depth = 0usize;
        for payload in Parser::new(0).parse_all(component) {
            let payload = payload?;
            match &payload {
                Payload::Version { encoding, .. } => {
                    if depth == 0 && *encoding != wasmparser::Encoding::Component {
                        bail!("not a component");
                    }
                    depth += 1;
                    continue;
                }
                Payload::End(_) => {
                    depth -= 1;
                    continue;
                }
                _ if depth > 1 => continue,
                _ => {}
            }
            let Some((id, range)) = payload.as_section() else { continue };
            let section = layout.sections.len();
            let mut defines = false;
            match payload {
                Payload::ModuleSection { unchecked_range, .. } => {
                    layout.core_modules.push(Some(unchecked_range));
                    defines = true;
                }
                Payload::InstanceSection(reader) => {
                    for instance in reader {
                        layout.core_instances.push(match instance? {
                            Instance::Instantiate { module_index, .. } => Some(module_index),
                            Instance::FromExports(_) => None,
                        });
                    }
                    defines = true;
                }
                Payload::ComponentAliasSection(reader) => {
                    for (entry, alias) in reader.into_iter().enumerate() {
                        match alias? {
                            ComponentAlias::CoreInstanceExport { kind: ExternalKind::Func, instance_index, name } => {
                                layout.core_funcs.push(CoreFunc::Alias {
                                    section,
                                    entry,
                                    instance: instance_index,
                                    name: name.to_string(),
                                })
                            }
                            ComponentAlias::Outer { kind: wasmparser::ComponentOuterAliasKind::CoreModule, .. } => {
                                layout.core_modules.push(None);
                                defines = true;
                            }
                            _ => {}
                        }
                    }
                }
                Payload::ComponentCanonicalSection(reader) => {
                    for function in reader {
                        match function? {
                            CanonicalFunction::Lift { core_func_index, options, .. } => {
                                layout.lifted.insert(core_func_index);
                                for option in options.iter() {
                                    if let CanonicalOption::PostReturn(func) = option {
                                        layout.lifted.insert(*func);
                                    }
                                }
                            }
                            // Every other built-in defines a core function.
                            _ => layout.core_funcs.push(CoreFunc::Other),
                        }
                    }
                }
                Payload::ComponentImportSection(reader) => {
                    for import in reader {
                        if matches!(import?.ty, ComponentTypeRef::Module(_)) {
                            layout.core_modules.push(None);
                            defines = true;
                        }
                    }
                }
                Payload::ComponentExportSection(reader) => {
                    for export in reader {
                        if export?.kind == ComponentExternalKind::Module {
                            layout.core_modules.push(None);
                            defines = true;
                        }
                    }
                }
                _ => {}
            }
            layout.sections.push(Section { id, range, defines_core_modules_or_instances: defines });
        }
        Ok(layout)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A component whose lifted `echo` (with a post-return) is defined by a module that has other functions in its
    /// table, as Go's are.
    const ECHO: &str = r#"(component
      (core module $m
        (memory (export "memory") 1)
        (table 2 funcref)
        (elem (i32.const 0) func $other $echo)
        (func $other (param i32) (result i32) local.get 0)
        (func $echo (export "echo") (param i32) (result i32) local.get 0 i32.const 1 i32.add)
        (func (export "cabi_post_echo") (param i32)))
      (core instance $i (instantiate $m))
      (func (export "echo") (param "x" u32) (result u32)
        (canon lift (core func $i "echo") (post-return (func $i "cabi_post_echo")))))"#;

    /// The names of the lifted (and post-return) functions that are not taken from a forwarder: an instance of a
    /// module without code that imports each function it exports.
    fn not_forwarded(component: &[u8]) -> Vec<String> {
        let layout = Layout::read(component).unwrap();
        let mut missed = Vec::new();
        for &func in &layout.lifted {
            let CoreFunc::Alias { instance, name, .. } = &layout.core_funcs[func as usize] else {
                missed.push(format!("core function {func}"));
                continue;
            };
            let module = layout.core_instances[*instance as usize].unwrap();
            let bytes = &component[layout.core_modules[module as usize].clone().unwrap()];
            let mut imported = false;
            let mut code = false;
            for payload in Parser::new(0).parse_all(bytes) {
                match payload.unwrap() {
                    Payload::ImportSection(reader) => {
                        imported |= reader.into_imports().any(|i| i.is_ok_and(|i| i.module == FROM && i.name == *name))
                    }
                    Payload::CodeSectionStart { .. } => code = true,
                    _ => {}
                }
            }
            if !imported || code {
                missed.push(name.clone());
            }
        }
        missed
    }

    fn call_echo(component: &[u8], x: u32) -> u32 {
        let engine = wasmtime::Engine::default();
        let component = wasmtime::component::Component::new(&engine, component).unwrap();
        let mut store = wasmtime::Store::new(&engine, ());
        let linker = wasmtime::component::Linker::<()>::new(&engine);
        let instance = linker.instantiate(&mut store, &component).unwrap();
        let echo = instance.get_typed_func::<(u32,), (u32,)>(&mut store, "echo").unwrap();
        let (first,) = echo.call(&mut store, (x,)).unwrap();
        let (second,) = echo.call(&mut store, (first,)).unwrap();
        assert_eq!(second, first + 1, "a second call through the forwarder answered differently");
        first
    }

    #[test]
    fn lifted_functions_and_their_post_returns_are_taken_from_a_forwarder_and_answer_the_same() {
        let before = wat::parse_str(ECHO).unwrap();
        assert_eq!(not_forwarded(&before).len(), 2, "the control: both are taken from the defining module");
        let after = forward_exports(&before).unwrap();
        crate::util::validate(&after).unwrap();
        assert_eq!(not_forwarded(&after), Vec::<String>::new());
        assert_eq!(call_echo(&after, 41), call_echo(&before, 41));
        assert_eq!(call_echo(&after, 41), 42);
    }

    #[test]
    fn a_component_without_lifted_functions_comes_back_unchanged() {
        let bytes = wat::parse_str(r#"(component (import "f" (func)))"#).unwrap();
        assert_eq!(forward_exports(&bytes).unwrap(), bytes);
    }

    #[test]
    fn a_core_instance_defined_after_the_lifted_alias_is_refused_not_renumbered() {
        let late = ECHO.replace(
            r#"(func (export "echo")"#,
            r#"(core func $e (alias core export $i "echo")) (core instance $j (instantiate $m)) (func (export "echo")"#,
        )
        .replace(r#"(canon lift (core func $i "echo")"#, "(canon lift (core func $e)");
        let bytes = wat::parse_str(&late).unwrap();
        let err = format!("{:#}", forward_exports(&bytes).unwrap_err());
        assert!(err.contains("defined after the lifted functions' aliases"), "{err}");
    }

    /// Decision: every export of a real Go component is forwarded. wit-component's layout (modules and instances
    /// first, the aliases the lifts use after them) is what the pass expects; a wit-component that changed it
    /// would fail here, not in a user's dist.
    #[test]
    #[ignore = "slow tier: builds components with Go (`cargo xtask test` runs it)"]
    fn every_export_of_a_go_component_is_forwarded() {
        let (root, component, _) = crate::testing::hasher_go126();
        let bytes =
            crate::stages::componentize::encode(&root, &component, &crate::testing::hasher_core_module()).unwrap();
        let layout = Layout::read(&bytes).unwrap();
        assert!(layout.lifted.len() >= 4, "hasher lifts its world's functions ({} found)", layout.lifted.len());
        assert_eq!(not_forwarded(&bytes), Vec::<String>::new());
    }
}
