//! The stub writer of `cargo xtask new --world`: from a parsed WIT world, a Go implementation of every export
//! that compiles against wit-bindgen-go's bindings and returns real default values (zero numbers, empty
//! strings and lists, `none`, `ok` of a default, the first case of an enum or variant, records of defaults),
//! plus declarative check cases that call a few exports with default arguments and expect those defaults, and
//! an answer for every function the world imports (outside WASI, which the host provides): its default result,
//! so the scaffold links and its checks run before the user writes a host.
//! Go names follow wit-bindgen-go 0.60's rules (package per interface, UpperCamel types and functions, tuple
//! results as several Go results); `new`'s test builds a scaffold of the rich textkit world to hold them to it.
//! Exported resources become Go types of the user's (with the fields the glue needs), a constructor, methods and
//! statics returning defaults, and `OnDrop`; imported resources are the generated types. Output is deterministic
//! (world order); formatting is left to gofmt. Futures, streams, maps and async functions are refused with a
//! clear error.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;
use std::path::PathBuf;

use anyhow::{Result, bail};
use heck::{ToLowerCamelCase, ToSnakeCase, ToUpperCamelCase};
mod checks;
mod go_types;

use wit_parser::{Function, FunctionKind, InterfaceId, Resolve, TypeDefKind, WorldId, WorldItem, WorldKey};

/// What the stub writer produces.
pub struct Stubs {
    /// Go files, relative to go/<name>/, not yet formatted.
    pub files: Vec<(PathBuf, String)>,
    /// Declarative cases, for up to two exports whose values WAVE prints unambiguously.
    pub cases: Vec<Case>,
    /// Answers for the imports: (import name, default WAVE result or `None` for a function without one).
    pub answers: Vec<(String, Option<String>)>,
}

/// A declarative case: a WAVE call and what it must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    pub call: String,
    pub expect: Expect,
}

/// What a case's call must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect {
    /// Return this WAVE value.
    Returns(String),
    /// Fail with an error containing this text (a stub that cannot make up its result panics with it).
    Fails(String),
}

/// What the stub of a function returning a handle to the imported resource `resource` panics with: a value only
/// the host can give.
pub fn handle_stub_message(resource: &str) -> String {
    format!("return a `{resource}` your code got from the host (a stub cannot make one up)")
}

/// The import path of the generated code's runtime types, as wit-bindgen-go writes it.
const TYPES_IMPORT: &str = "witTypes \"go.bytecodealliance.org/pkg/wit/types\"";
/// The import path of the generated code's runtime (its Pinner), as wit-bindgen-go writes it.
const RUNTIME_IMPORT: &str = "witRuntime \"go.bytecodealliance.org/pkg/wit/runtime\"";

pub fn generate(resolve: &Resolve, world: WorldId, world_file: &str) -> Result<Stubs> {
    let w = &resolve.worlds[world];
    // How the world names each interface: wit-bindgen-go derives package names from these keys.
    let mut keys: BTreeMap<InterfaceId, WorldKey> = BTreeMap::new();
    for (key, item) in w.imports.iter().chain(&w.exports) {
        if let WorldItem::Interface { id, .. } = item {
            keys.insert(*id, key.clone());
        }
    }
    let exported = w
        .exports
        .values()
        .filter_map(|item| match item {
            WorldItem::Interface { id, .. } => Some(*id),
            _ => None,
        })
        .collect();
    let writer = Writer { resolve, keys, exported, current: Default::default() };
    let mut answers = Vec::new();
    for (key, item) in &w.imports {
        match item {
            WorldItem::Function(func) => answers.extend(writer.answer(None, func)?),
            WorldItem::Interface { id, .. } => {
                let iface = &resolve.interfaces[*id];
                let wasi = iface.package.is_some_and(|p| resolve.packages[p].name.namespace == "wasi");
                if !wasi {
                    let name = resolve.name_world_key(key);
                    for func in iface.functions.values() {
                        answers.extend(writer.answer(Some(&name), func)?);
                    }
                }
            }
            WorldItem::Type { .. } => {}
        }
    }
    let mut world_funcs = Vec::new();
    let mut files = Vec::new();
    let mut cases = Vec::new();
    for (key, item) in &w.exports {
        match item {
            WorldItem::Function(func) => world_funcs.push(func),
            WorldItem::Interface { id, .. } => {
                let package = format!("export_{}", writer.package_name(Some(key)));
                let funcs: Vec<_> = resolve.interfaces[*id].functions.values().collect();
                let iface = resolve.name_world_key(key);
                let file = writer.file(&package, &format!("the exported interface `{iface}`"), world_file, &funcs)?;
                files.push((PathBuf::from(&package).join(format!("{}.go", key_file_name(resolve, key))), file));
                cases.extend(funcs.iter().filter_map(|f| writer.case(Some(&iface), f)));
            }
            WorldItem::Type { .. } => {}
        }
    }
    let name = &w.name;
    if !world_funcs.is_empty() || files.is_empty() {
        let what = format!("the world-level exports of `{name}`");
        let file = writer.file("export_wit_world", &what, world_file, &world_funcs)?;
        files.insert(0, (PathBuf::from("export_wit_world").join(format!("{}.go", name.to_snake_case())), file));
        let world_cases: Vec<_> = world_funcs.iter().filter_map(|f| writer.case(None, f)).collect();
        cases.splice(0..0, world_cases);
    }
    // Two cases of default results show the form; every stub that fails on purpose keeps its case.
    let mut returning = 0;
    cases.retain(|case| match case.expect {
        Expect::Fails(_) => true,
        Expect::Returns(_) => {
            returning += 1;
            returning <= 2
        }
    });
    Ok(Stubs { files, cases, answers })
}

/// A file name for an interface's stubs: its own name.
fn key_file_name(resolve: &Resolve, key: &WorldKey) -> String {
    match key {
        WorldKey::Name(name) => name.to_snake_case(),
        WorldKey::Interface(id) => resolve.interfaces[*id].name.clone().unwrap_or_default().to_snake_case(),
    }
}

struct Writer<'a> {
    resolve: &'a Resolve,
    keys: BTreeMap<InterfaceId, WorldKey>,
    /// The interfaces the world exports: their resources are Go types the user writes (in `export_<pkg>`).
    exported: BTreeSet<InterfaceId>,
    /// The Go package of the file being written (a handle to one of its own resources is unqualified).
    current: std::cell::RefCell<String>,
}

impl Writer<'_> {
    /// wit-bindgen-go's Go package name for an interface (by its world key) or the world (`None`).
    fn package_name(&self, key: Option<&WorldKey>) -> String {
        match key {
            None => "wit_world".into(),
            Some(WorldKey::Name(name)) => name.to_snake_case(),
            Some(WorldKey::Interface(id)) => {
                let resolve = self.resolve;
                let iface = &resolve.interfaces[*id];
                let package = &resolve.packages[iface.package.expect("world interfaces belong to packages")];
                let several_versions = resolve.packages.iter().any(|(_, p)| {
                    p.name.namespace == package.name.namespace
                        && p.name.name == package.name.name
                        && p.name.version != package.name.version
                });
                let version = match (&package.name.version, several_versions) {
                    (Some(v), true) => format!("{}_", v.to_string().replace(['.', '-', '+'], "_")),
                    _ => String::new(),
                };
                format!(
                    "{}_{}_{version}{}",
                    package.name.namespace.to_snake_case(),
                    package.name.name.to_snake_case(),
                    iface.name.as_deref().unwrap_or_default().to_snake_case()
                )
            }
        }
    }

    /// One Go file implementing `funcs` in package `package`.
    fn file(&self, package: &str, what: &str, world_file: &str, funcs: &[&Function]) -> Result<String> {
        *self.current.borrow_mut() = package.to_string();
        let mut imports = BTreeSet::new();
        let mut body = String::new();
        // The resources the functions belong to, in order: each is a Go type of this package.
        let mut resources = Vec::new();
        for func in funcs {
            if let FunctionKind::Method(r) | FunctionKind::Static(r) | FunctionKind::Constructor(r) = func.kind
                && !resources.contains(&r)
            {
                resources.push(r);
            }
        }
        for r in &resources {
            let ty = self.resource_name(*r);
            let wit_name = self.resolve.types[*r].name.clone().unwrap_or_default();
            imports.insert(RUNTIME_IMPORT.into());
            writeln!(
                body,
                "\n// {ty} implements the resource `{wit_name}`. TODO: add its state. handle and pinner belong to the\n\
                 // generated glue.\ntype {ty} struct {{\n\thandle int32\n\tpinner witRuntime.Pinner\n}}\n\n\
                 // OnDrop runs when the host drops its last handle to the {ty}.\nfunc (self *{ty}) OnDrop() {{}}"
            )?;
        }
        for func in funcs {
            let (receiver, name, skip) = match func.kind {
                FunctionKind::Freestanding => (String::new(), func.item_name().to_upper_camel_case(), 0),
                FunctionKind::Method(r) => {
                    (format!("(self *{}) ", self.resource_name(r)), func.item_name().to_upper_camel_case(), 1)
                }
                FunctionKind::Static(r) => {
                    (String::new(), format!("{}{}", self.resource_name(r), func.item_name().to_upper_camel_case()), 0)
                }
                FunctionKind::Constructor(r) => (String::new(), format!("Make{}", self.resource_name(r)), 0),
                _ => bail!(
                    "`{}` is an async function: `new --world` writes stubs for synchronous functions only",
                    func.name
                ),
            };
            let mut params = Vec::new();
            for param in &func.params[skip..] {
                params.push(format!("{} {}", go_param_name(&param.name), self.go_type(param.ty, &mut imports)?));
            }
            let mut results = Vec::new();
            let mut values = Vec::new();
            // A handle to an imported resource comes only from the host: such a stub panics, saying so.
            let host_only = func.result.and_then(|ty| self.imported_handle(ty));
            if let Some(ty) = func.result
                && host_only.is_some()
            {
                match self.anonymous_tuple(ty) {
                    Some(types) => {
                        for ty in types {
                            results.push(self.go_type(ty, &mut imports)?);
                        }
                    }
                    None => results.push(self.go_type(ty, &mut imports)?),
                }
            } else if let Some(ty) = func.result {
                match self.anonymous_tuple(ty) {
                    Some(types) => {
                        for ty in types {
                            results.push(self.go_type(ty, &mut imports)?);
                            values.push(self.go_default(ty, &mut imports)?);
                        }
                    }
                    None => {
                        results.push(self.go_type(ty, &mut imports)?);
                        values.push(self.go_default(ty, &mut imports)?);
                    }
                }
            }
            let results = match results.len() {
                0 | 1 => results.join(""),
                _ => format!("({})", results.join(", ")),
            };
            writeln!(body, "\n// {name} implements `{}`. TODO: replace the default result with real code.", func.name)?;
            writeln!(body, "func {receiver}{name}({}) {results} {{", params.join(", "))?;
            if let Some(resource) = &host_only {
                writeln!(body, "\tpanic({:?})", format!("{}: {}", func.name, handle_stub_message(resource)))?;
            } else if !values.is_empty() {
                writeln!(body, "\treturn {}", values.join(", "))?;
            }
            writeln!(body, "}}")?;
        }
        let mut out = format!(
            "// Package {package} implements {what} ({world_file}).\n\
             // Written by `cargo xtask new --world`: every function returns a default value until you fill it in.\n\
             package {package}\n"
        );
        if !imports.is_empty() {
            out.push_str("\nimport (\n");
            for import in &imports {
                writeln!(out, "\t{import}")?;
            }
            out.push_str(")\n");
        }
        out.push_str(&body);
        Ok(out)
    }
}

/// A Go parameter name for a WIT parameter (lowerCamel, Go keywords suffixed with `_`).
fn go_param_name(name: &str) -> String {
    const KEYWORDS: &[&str] = &[
        "break",
        "case",
        "chan",
        "const",
        "continue",
        "default",
        "defer",
        "else",
        "fallthrough",
        "for",
        "func",
        "go",
        "goto",
        "if",
        "import",
        "interface",
        "map",
        "package",
        "range",
        "return",
        "select",
        "struct",
        "switch",
        "type",
        "var",
    ];
    let name = name.to_lower_camel_case();
    if KEYWORDS.contains(&name.as_str()) { format!("{name}_") } else { name }
}

fn kind_name(kind: &TypeDefKind) -> &'static str {
    match kind {
        TypeDefKind::Resource | TypeDefKind::Handle(_) => "resource",
        TypeDefKind::Future(_) => "future",
        TypeDefKind::Stream(_) => "stream",
        TypeDefKind::Map(..) => "map",
        TypeDefKind::FixedLengthList(..) => "fixed-length list",
        _ => "this kind of",
    }
}
