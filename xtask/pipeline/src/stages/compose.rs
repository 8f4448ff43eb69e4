//! The compose stage: builds one component out of several, in-process with `wasm-compose` (the wasm-tools line's
//! composer). The root is instantiated once, each part once; every import of an instance that exactly one part
//! exports under the same name is wired to that export, so the calls between them never leave the component. The
//! result exports what the root exports and imports what nothing inside satisfied (the union, merged by name:
//! WASI, or an API the host still provides). Bytes in, bytes out: it knows nothing of where they come from.

use anyhow::{Context, Result, bail};
use wasm_compose::graph::{Component, CompositionGraph, EncodeOptions, InstanceId};
use wasmparser::Validator;

/// One component going into a composition: its name (kebab-case: a workspace component's name or a file's stem) and
/// its bytes.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    pub name: &'a str,
    pub bytes: &'a [u8],
}

/// What a composition wired: `(importer, import name, exporter)` for every connection, in order.
pub type Wiring = Vec<(String, String, String)>;

/// Composes `root` with `parts`; returns the validated component and what was wired. Fails when a part satisfies
/// no import (it would be dead weight, and is almost always a wrong name), when two parts export a name something
/// imports, or when an export does not fit the import of the same name (the types differ), each naming both sides.
pub fn compose(root: Input, parts: &[Input]) -> Result<(Vec<u8>, Wiring)> {
    let mut graph = CompositionGraph::new();
    let mut validator = Validator::new();
    let mut instances: Vec<(&str, InstanceId)> = Vec::new();
    for input in std::iter::once(&root).chain(parts) {
        if instances.iter().any(|(name, _)| *name == input.name) {
            bail!("`{}` is named twice in the composition", input.name);
        }
        let component = Component::from_bytes(&mut validator, input.name, input.bytes)
            .with_context(|| format!("`{}` is not a valid component", input.name))?;
        let id = graph.add_component(component)?;
        instances.push((input.name, graph.instantiate(id)?));
    }

    let mut wiring = Wiring::new();
    for &(importer, target) in &instances {
        let imports: Vec<(usize, String)> = {
            let component = graph.get_component_of_instance(target).expect("instantiated above").1;
            component.imports().map(|(index, name, _)| (index.0, name.to_string())).collect()
        };
        for (index, name) in imports {
            // Only the parts serve imports: the root's exports are the composition's own.
            let exporters: Vec<(&str, InstanceId, usize)> = instances[1..]
                .iter()
                .filter(|(exporter, _)| *exporter != importer)
                .filter_map(|&(exporter, source)| {
                    let component = graph.get_component_of_instance(source)?.1;
                    component.export_by_name(&name).map(|(export, _, _)| (exporter, source, export.0))
                })
                .collect();
            match exporters.as_slice() {
                [] => {}
                [(exporter, source, export)] => {
                    graph.connect(*source, Some(*export), target, index).with_context(|| {
                        format!("`{exporter}` exports `{name}`, but not as `{importer}` imports it")
                    })?;
                    wiring.push((importer.to_string(), name, exporter.to_string()));
                }
                several => {
                    let names: Vec<_> = several.iter().map(|(n, _, _)| format!("`{n}`")).collect();
                    bail!("`{importer}` imports `{name}`, which {} all export: keep one of them", names.join(", "));
                }
            }
        }
    }
    for (part, _) in &instances[1..] {
        if !wiring.iter().any(|(_, _, exporter)| exporter == part) {
            let imports: Vec<String> = {
                let component = graph.get_component_of_instance(instances[0].1).expect("instantiated above").1;
                component.imports().map(|(_, name, _)| name.to_string()).collect()
            };
            bail!(
                "`{part}` satisfies none of the imports in the composition (`{}` imports: {})",
                root.name,
                if imports.is_empty() { "nothing".to_string() } else { imports.join(", ") }
            );
        }
    }
    let options = EncodeOptions { define_components: true, export: Some(instances[0].1), validate: true };
    let bytes = graph.encode(options).map_err(|err| {
        // wasm-compose re-imports the root's world-level named types without the types they use.
        let hint = format!("{err:#}").contains("type not valid to be used as import").then_some(
            " (wasm-compose cannot re-import the named types of world-level exports: move the root's exported \
             functions and their types into an exported interface)",
        );
        err.context(format!("failed to encode the composition{}", hint.unwrap_or_default()))
    })?;
    Ok((bytes, wiring))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A component from WAT text (component-model syntax).
    fn component(wat: &str) -> Vec<u8> {
        wat::parse_str(wat).unwrap()
    }

    /// Exports `a:b/num` with `get: func() -> u32` returning `value`.
    fn provider(value: u32) -> Vec<u8> {
        component(&format!(
            r#"(component
                 (core module $m (func (export "get") (result i32) i32.const {value}))
                 (core instance $i (instantiate $m))
                 (func $get (result u32) (canon lift (core func $i "get")))
                 (instance $num (export "get" (func $get)))
                 (export "a:b/num" (instance $num)))"#
        ))
    }

    /// Imports `a:b/num` (with `get` of type `ret`) and exports `run`, which returns what `get` returns plus one.
    fn consumer(ret: &str) -> Vec<u8> {
        component(&format!(
            r#"(component
                 (import "a:b/num" (instance $num (export "get" (func (result {ret})))))
                 (core func $get (canon lower (func $num "get")))
                 (core module $m
                   (import "num" "get" (func $get (result i32)))
                   (func (export "run") (result i32) call $get i32.const 1 i32.add))
                 (core instance $i (instantiate $m (with "num" (instance (export "get" (func $get))))))
                 (func $run (result u32) (canon lift (core func $i "run")))
                 (export "run" (func $run)))"#
        ))
    }

    fn run(bytes: &[u8]) -> u32 {
        let host = host::Host::new(&host::HostConfig::default()).unwrap();
        let component = host.load_bytes(bytes).unwrap();
        let mut store = host.store();
        let instance = host.instantiate(&mut store, &component).unwrap();
        let run = instance.get_typed_func::<(), (u32,)>(&mut store, "run").unwrap();
        run.call(&mut store, ()).unwrap().0
    }

    /// The root's import is served by the part inside the composition: it imports nothing, and runs.
    #[test]
    fn an_import_is_served_by_the_part_that_exports_it() {
        let (root, part) = (consumer("u32"), provider(41));
        let (bytes, wiring) =
            compose(Input { name: "consumer", bytes: &root }, &[Input { name: "provider", bytes: &part }]).unwrap();
        assert_eq!(wiring, [("consumer".into(), "a:b/num".into(), "provider".into())]);
        let host = host::Host::new(&host::HostConfig::default()).unwrap();
        let imports: Vec<String> = host
            .load_bytes(&bytes)
            .unwrap()
            .component_type()
            .imports(host.engine())
            .map(|(name, _)| name.to_string())
            .collect();
        assert!(imports.is_empty(), "the composition still imports {imports:?}");
        assert_eq!(run(&bytes), 42);
    }

    /// wasm-compose cannot re-import the named types of a root's world-level exports (the output does not
    /// validate); the error says what to do, and the same functions and types in an exported interface compose.
    /// Fixtures: testdata/compose.wit's worlds as dummy components.
    #[test]
    fn world_level_export_types_get_the_remedy_and_an_interface_composes() {
        let fixture = |world: &str| {
            wat::parse_file(format!("{}/testdata/compose-{world}.wat", env!("CARGO_MANIFEST_DIR"))).unwrap()
        };
        let (provider, root, interface) = (fixture("provider"), fixture("root"), fixture("root-interface"));
        let part = [Input { name: "provider", bytes: &provider }];
        let err = format!("{:#}", compose(Input { name: "root", bytes: &root }, &part).unwrap_err());
        assert!(err.contains("move the root's exported functions and their types into an exported interface"), "{err}");
        let (bytes, wiring) = compose(Input { name: "root", bytes: &interface }, &part).unwrap();
        assert_eq!(wiring, [("root".into(), "t:c/num".into(), "provider".into())]);
        crate::util::validate(&bytes).unwrap();
    }

    /// Each way a composition can be wrong gives one error naming both sides.
    #[test]
    fn bad_compositions_name_what_is_wrong() {
        let (root, part, other) = (consumer("u32"), provider(1), provider(2));
        let err =
            |parts: &[Input]| format!("{:#}", compose(Input { name: "consumer", bytes: &root }, parts).unwrap_err());
        let both = err(&[Input { name: "one", bytes: &part }, Input { name: "two", bytes: &other }]);
        assert!(both.contains("`consumer` imports `a:b/num`, which `one`, `two` all export"), "{both}");
        let useless = consumer("u32");
        let none = err(&[Input { name: "provider", bytes: &part }, Input { name: "spare", bytes: &useless }]);
        assert!(none.contains("`spare` satisfies none of the imports") && none.contains("a:b/num"), "{none}");
        let typed = consumer("s32");
        let mismatch = format!(
            "{:#}",
            compose(Input { name: "consumer", bytes: &typed }, &[Input { name: "provider", bytes: &part }])
                .unwrap_err()
        );
        assert!(mismatch.contains("`provider` exports `a:b/num`, but not as `consumer` imports it"), "{mismatch}");
        let junk = err(&[Input { name: "junk", bytes: b"\0asm\x01\0\0\0" }]);
        assert!(junk.contains("`junk` is not a valid component"), "{junk}");
        let twice = err(&[Input { name: "consumer", bytes: &part }]);
        assert!(twice.contains("`consumer` is named twice"), "{twice}");
    }
}
