//! Dynamic calls for any component: a call written in WAVE text (`compute-hash([1, 2, 3])`) is parsed against the
//! export's own types, made, and its results are printed back as WAVE, like `wasmtime run --invoke`.
//! Only exported functions are reachable; nothing here knows a particular world.

use anyhow::{Result, anyhow, bail};
use wasmtime::Store;
use wasmtime::component::types::{ComponentFunc, ComponentItem};
use wasmtime::component::wasm_wave::{self, untyped::UntypedFuncCall};
use wasmtime::component::{Component, Func, Instance, Type, Val};

use crate::{Host, State};

/// Where an exported (or imported) function lives: at the top level of the component, or inside an interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportPath {
    /// The interface's name (`ns:pkg/iface@1.0.0`) or `None` for a world-level function.
    pub interface: Option<String>,
    /// The function's name inside it.
    pub function: String,
}

impl std::fmt::Display for ExportPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.interface {
            Some(iface) => write!(f, "{iface}#{}", self.function),
            None => f.write_str(&self.function),
        }
    }
}

/// Every function a component exports, world-level ones first, in the component's order.
pub fn exported_functions<T: Send>(host: &Host<T>, component: &Component) -> Vec<ExportPath> {
    let ty = component.component_type();
    functions(host, ty.exports(host.engine())).into_iter().map(|(path, _)| path).collect()
}

/// Every function a component imports (world-level ones first, then those of each imported interface, in the
/// component's order): what a host must provide, besides WASI, before it can instantiate it.
pub fn imported_functions<T: Send>(host: &Host<T>, component: &Component) -> Vec<(ExportPath, ComponentFunc)> {
    let ty = component.component_type();
    functions(host, ty.imports(host.engine()))
}

/// The functions among `items` (a component's imports or exports): world-level ones first, then those inside
/// each interface.
fn functions<'a, T: Send>(
    host: &Host<T>,
    items: impl Iterator<Item = (&'a str, wasmtime::component::types::ComponentExtern<'a>)>,
) -> Vec<(ExportPath, ComponentFunc)> {
    let mut out = Vec::new();
    let mut nested = Vec::new();
    for (name, item) in items {
        match item.ty {
            ComponentItem::ComponentFunc(func) => {
                out.push((ExportPath { interface: None, function: name.to_string() }, func))
            }
            ComponentItem::ComponentInstance(instance) => {
                for (func, item) in instance.exports(host.engine()) {
                    if let ComponentItem::ComponentFunc(ty) = item.ty {
                        let path = ExportPath { interface: Some(name.to_string()), function: func.to_string() };
                        nested.push((path, ty));
                    }
                }
            }
            _ => {}
        }
    }
    out.extend(nested);
    out
}

/// Finds an export by the name a user typed: a world-level function, `iface#func`, or a function name that is
/// unique across the exported interfaces.
pub fn resolve_export<T: Send>(host: &Host<T>, component: &Component, name: &str) -> Result<ExportPath> {
    let all = exported_functions(host, component);
    if let Some((iface, func)) = name.rsplit_once('#') {
        return all
            .into_iter()
            .find(|e| e.interface.as_deref() == Some(iface) && e.function == func)
            .ok_or_else(|| anyhow!("the component exports no function `{name}`"));
    }
    let matches: Vec<_> = all.iter().filter(|e| e.function == name).collect();
    match matches.as_slice() {
        [one] => Ok((*one).clone()),
        [] => {
            let names: Vec<_> = all.iter().map(ToString::to_string).collect();
            bail!("the component exports no function `{name}` (it exports: {})", names.join(", "))
        }
        _ => {
            let names: Vec<_> = matches.iter().map(ToString::to_string).collect();
            bail!("`{name}` is ambiguous: use one of {}", names.join(", "))
        }
    }
}

/// Looks up an exported function in a live instance.
pub fn get_func<T>(store: &mut Store<State<T>>, instance: &Instance, export: &ExportPath) -> Result<Func> {
    let func_index = match &export.interface {
        None => instance.get_export_index(&mut *store, None, &export.function),
        Some(iface) => {
            let iface_index = instance
                .get_export_index(&mut *store, None, iface)
                .ok_or_else(|| anyhow!("the instance has no export `{iface}`"))?;
            instance.get_export_index(&mut *store, Some(&iface_index), &export.function)
        }
    }
    .ok_or_else(|| anyhow!("the instance has no export `{export}`"))?;
    instance.get_func(&mut *store, func_index).ok_or_else(|| anyhow!("the export `{export}` is not a function"))
}

/// Parses `call` (WAVE: `name(arg, ...)`, the name optionally qualified as `iface#name`), calls the export on
/// `instance`, and returns each result as WAVE text.
pub fn call<T: Send>(
    host: &Host<T>,
    component: &Component,
    store: &mut Store<State<T>>,
    instance: &Instance,
    call: &str,
) -> Result<Vec<String>> {
    let mut prepared = prepare(host, component, store, instance, call)?;
    prepared.call(store)?;
    prepared.results_as_wave()
}

/// A call parsed and resolved once, to be made many times (benchmarks, load tests): the WAVE text is turned into
/// values up front, so [`PreparedCall::call`] costs only the call itself.
pub struct PreparedCall {
    export: ExportPath,
    func: Func,
    params: Vec<Val>,
    results: Vec<Val>,
}

/// Parses `call` (WAVE: `name(arg, ...)`, the name optionally qualified as `iface#name`) against the signature of the export on `instance`.
pub fn prepare<T: Send>(
    host: &Host<T>,
    component: &Component,
    store: &mut Store<State<T>>,
    instance: &Instance,
    call: &str,
) -> Result<PreparedCall> {
    // WAVE names have no `#`: an interface qualifier (`ns:pkg/iface@1.0.0#func(...)`) is split off first.
    let (qualifier, rest) = match call.find('(').and_then(|open| call[..open].rfind('#')) {
        Some(hash) => (Some(&call[..hash]), &call[hash + 1..]),
        None => (None, call),
    };
    let parsed = UntypedFuncCall::parse(rest).map_err(|e| anyhow!("invalid WAVE call `{call}`: {e}"))?;
    let name = match qualifier {
        Some(iface) => format!("{iface}#{}", parsed.name()),
        None => parsed.name().to_string(),
    };
    let export = resolve_export(host, component, &name)?;
    let func = get_func(store, instance, &export)?;
    let ty = func.ty(&*store);
    let param_types: Vec<Type> = ty.params().map(|(_, t)| t).collect();
    let params: Vec<Val> = parsed
        .to_wasm_params(param_types.iter())
        .map_err(|e| anyhow!("arguments of `{export}` do not match its signature: {e}"))?;
    let results = vec![Val::Bool(false); ty.results().len()];
    Ok(PreparedCall { export, func, params, results })
}

impl PreparedCall {
    /// Makes the call on the instance it was prepared for; the results stay available until the next call.
    pub fn call<T: Send>(&mut self, store: &mut Store<State<T>>) -> Result<&[Val]> {
        let export = &self.export;
        self.func
            .call(&mut *store, &self.params, &mut self.results)
            .map_err(|err| crate::explain(store, &format!("call to `{export}`"), err))?;
        Ok(&self.results)
    }

    /// The results of the last call, each as WAVE text.
    pub fn results_as_wave(&self) -> Result<Vec<String>> {
        let export = &self.export;
        self.results
            .iter()
            .map(|v| wasm_wave::to_string(v).map_err(|e| anyhow!("cannot print the result of `{export}` as WAVE: {e}")))
            .collect()
    }

    /// The export this call goes to.
    pub fn export(&self) -> &ExportPath {
        &self.export
    }
}
