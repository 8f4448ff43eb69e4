//! The floor: the cheapest component a call can cross into — a core module of one function returning its
//! argument, built here with wasm-encoder, encoded as a component of a one-export world (no Go, no WASI, no
//! adapter), its export forwarded as every shipped component's is (pipeline's `forward`: the cheapest way this
//! wasmtime calls a lifted function). Its `echo` through the same host, engines and typed bindings as every
//! artifact's is what this wasmtime charges for a component call and nothing else: the empty call of a Go
//! component is set beside it.

use anyhow::Result;
use wasm_encoder::{CodeSection, ExportKind, ExportSection, Function, FunctionSection, Module, TypeSection, ValType};

/// The floor's world: the export the bench's empty call names.
pub(crate) const WIT: &str = "package gowasm:floor;\n\nworld floor {\n  export echo: func(x: u32) -> u32;\n}\n";
pub(crate) const WORLD: &str = "floor";

/// The floor component's bytes.
pub(crate) fn component() -> Result<Vec<u8>> {
    pipeline::stages::componentize::encode_bare(core_module(), WIT, WORLD)
}

/// `(func (export "echo") (param i32) (result i32) local.get 0)`.
fn core_module() -> Vec<u8> {
    let mut types = TypeSection::new();
    types.ty().function([ValType::I32], [ValType::I32]);
    let mut functions = FunctionSection::new();
    functions.function(0);
    let mut exports = ExportSection::new();
    exports.export("echo", ExportKind::Func, 0);
    let mut code = CodeSection::new();
    let mut echo = Function::new([]);
    echo.instructions().local_get(0).end();
    code.function(&echo);
    let mut module = Module::new();
    module.section(&types).section(&functions).section(&exports).section(&code);
    module.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_floor_is_a_component_whose_echo_returns_its_argument() {
        let host = host::Host::new(&host::HostConfig::default()).unwrap();
        let component = host.load_bytes(&component().unwrap()).unwrap();
        let mut store = host.store();
        let instance = host.instantiate(&mut store, &component).unwrap();
        let echo: host::wasmtime::component::TypedFunc<(u32,), (u32,)> =
            instance.get_typed_func(&mut store, "echo").unwrap();
        for x in [0, 1, 7, u32::MAX] {
            assert_eq!(echo.call(&mut store, (x,)).unwrap(), (x,));
        }
    }
}
