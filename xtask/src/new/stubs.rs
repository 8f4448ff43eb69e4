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
use wit_parser::{
    Function, FunctionKind, Handle, InterfaceId, Resolve, Type, TypeDefKind, TypeOwner, WorldId, WorldItem, WorldKey,
};

/// What the stub writer produces.
pub(crate) struct Stubs {
    /// Go files, relative to go/<name>/, not yet formatted.
    pub(crate) files: Vec<(PathBuf, String)>,
    /// Declarative cases: (WAVE call, expected WAVE result), for up to two exports whose values WAVE prints
    /// unambiguously.
    pub(crate) cases: Vec<(String, String)>,
    /// Answers for the imports: (import name, default WAVE result or `None` for a function without one).
    pub(crate) answers: Vec<(String, Option<String>)>,
}

/// The import path of the generated code's runtime types, as wit-bindgen-go writes it.
const TYPES_IMPORT: &str = "witTypes \"go.bytecodealliance.org/pkg/wit/types\"";
/// The import path of the generated code's runtime (its Pinner), as wit-bindgen-go writes it.
const RUNTIME_IMPORT: &str = "witRuntime \"go.bytecodealliance.org/pkg/wit/runtime\"";

pub(crate) fn generate(resolve: &Resolve, world: WorldId, world_file: &str) -> Result<Stubs> {
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
    cases.truncate(2);
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
            if let Some(ty) = func.result {
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
            if !values.is_empty() {
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

    /// The element types of an anonymous tuple (which wit-bindgen-go returns as several Go results).
    fn anonymous_tuple(&self, ty: Type) -> Option<Vec<Type>> {
        match ty {
            Type::Id(id) => match &self.resolve.types[id].kind {
                TypeDefKind::Tuple(tuple) => Some(tuple.types.clone()),
                _ => None,
            },
            _ => None,
        }
    }

    /// The Go package (and its import) holding a named type.
    fn type_package(&self, owner: TypeOwner, imports: &mut BTreeSet<String>) -> String {
        let key = match owner {
            TypeOwner::Interface(id) => Some(self.keys.get(&id).cloned().unwrap_or(WorldKey::Interface(id))),
            _ => None,
        };
        let package = self.package_name(key.as_ref());
        imports.insert(format!("\"wit_component/{package}\""));
        package
    }

    /// The Go type wit-bindgen-go uses for `ty`.
    fn go_type(&self, ty: Type, imports: &mut BTreeSet<String>) -> Result<String> {
        Ok(match ty {
            Type::Bool => "bool".into(),
            Type::U8 => "uint8".into(),
            Type::S8 => "int8".into(),
            Type::U16 => "uint16".into(),
            Type::S16 => "int16".into(),
            Type::U32 => "uint32".into(),
            Type::S32 => "int32".into(),
            Type::U64 => "uint64".into(),
            Type::S64 => "int64".into(),
            Type::F32 => "float32".into(),
            Type::F64 => "float64".into(),
            Type::Char => "rune".into(),
            Type::String => "string".into(),
            Type::ErrorContext => bail!("`error-context` is not supported by `new --world`"),
            Type::Id(id) => {
                let def = &self.resolve.types[id];
                match &def.kind {
                    TypeDefKind::Record(_) | TypeDefKind::Flags(_) | TypeDefKind::Variant(_) | TypeDefKind::Enum(_) => {
                        let package = self.type_package(def.owner, imports);
                        format!("{package}.{}", def.name.as_deref().unwrap_or_default().to_upper_camel_case())
                    }
                    TypeDefKind::Type(inner) => self.go_type(*inner, imports)?,
                    TypeDefKind::Option(inner) => {
                        imports.insert(TYPES_IMPORT.into());
                        format!("witTypes.Option[{}]", self.go_type(*inner, imports)?)
                    }
                    TypeDefKind::List(inner) => format!("[]{}", self.go_type(*inner, imports)?),
                    TypeDefKind::Result(result) => {
                        imports.insert(TYPES_IMPORT.into());
                        let ok = self.go_type_or_unit(result.ok, imports)?;
                        let err = self.go_type_or_unit(result.err, imports)?;
                        format!("witTypes.Result[{ok}, {err}]")
                    }
                    TypeDefKind::Tuple(tuple) => {
                        imports.insert(TYPES_IMPORT.into());
                        let types: Result<Vec<_>> = tuple.types.iter().map(|t| self.go_type(*t, imports)).collect();
                        format!("witTypes.Tuple{}[{}]", tuple.types.len(), types?.join(", "))
                    }
                    TypeDefKind::Handle(Handle::Own(r) | Handle::Borrow(r)) => {
                        format!("*{}", self.resource_type(*r, imports)?)
                    }
                    other => {
                        // A handle is named after its resource.
                        let named = match other {
                            TypeDefKind::Handle(Handle::Own(r) | Handle::Borrow(r)) => &self.resolve.types[*r],
                            _ => def,
                        };
                        bail!(
                            "`new --world` cannot write a stub for a {} type{}: only plain data types are supported",
                            kind_name(other),
                            named.name.as_ref().map(|n| format!(" (`{n}`)")).unwrap_or_default()
                        )
                    }
                }
            }
        })
    }

    /// The resource a (possibly `use`d, so aliased) resource type names.
    fn defining(&self, mut r: wit_parser::TypeId) -> wit_parser::TypeId {
        while let TypeDefKind::Type(Type::Id(inner)) = self.resolve.types[r].kind {
            r = inner;
        }
        r
    }

    /// The Go name of a resource type.
    fn resource_name(&self, r: wit_parser::TypeId) -> String {
        self.resolve.types[self.defining(r)].name.as_deref().unwrap_or_default().to_upper_camel_case()
    }

    /// Whether the resource is defined by an interface the world exports (the user's Go type).
    fn owned_by_export(&self, r: wit_parser::TypeId) -> bool {
        matches!(self.resolve.types[self.defining(r)].owner, TypeOwner::Interface(id) if self.exported.contains(&id))
    }

    /// The Go type of a resource, qualified unless it is of the file being written: an exported resource is the
    /// user's type in `export_<pkg>`, an imported one the generated type in `<pkg>`.
    fn resource_type(&self, r: wit_parser::TypeId, imports: &mut BTreeSet<String>) -> Result<String> {
        let def = &self.resolve.types[self.defining(r)];
        let TypeOwner::Interface(id) = def.owner else {
            bail!(
                "`new --world` supports resources defined in interfaces only (`{}`)",
                def.name.as_deref().unwrap_or_default()
            )
        };
        let key = self.keys.get(&id).cloned().unwrap_or(WorldKey::Interface(id));
        let mut package = self.package_name(Some(&key));
        if self.exported.contains(&id) {
            package = format!("export_{package}");
        }
        let name = self.resource_name(r);
        if *self.current.borrow() == package {
            return Ok(name);
        }
        imports.insert(format!("\"wit_component/{package}\""));
        Ok(format!("{package}.{name}"))
    }

    fn go_type_or_unit(&self, ty: Option<Type>, imports: &mut BTreeSet<String>) -> Result<String> {
        match ty {
            Some(ty) => self.go_type(ty, imports),
            None => {
                imports.insert(TYPES_IMPORT.into());
                Ok("witTypes.Unit".into())
            }
        }
    }

    /// A Go expression of type `go_type(ty)` holding the default value.
    fn go_default(&self, ty: Type, imports: &mut BTreeSet<String>) -> Result<String> {
        Ok(match ty {
            Type::Bool => "false".into(),
            Type::String => "\"\"".into(),
            Type::Id(id) => {
                let def = &self.resolve.types[id];
                let named = |imports: &mut BTreeSet<String>| {
                    let package = self.type_package(def.owner, imports);
                    format!("{package}.{}", def.name.as_deref().unwrap_or_default().to_upper_camel_case())
                };
                match &def.kind {
                    TypeDefKind::Record(record) => {
                        let name = named(imports);
                        let mut fields = Vec::new();
                        for field in &record.fields {
                            let value = self.go_default(field.ty, imports)?;
                            fields.push(format!("{}: {value}", field.name.to_upper_camel_case()));
                        }
                        format!("{name}{{{}}}", fields.join(", "))
                    }
                    TypeDefKind::Enum(e) => format!("{}{}", named(imports), e.cases[0].name.to_upper_camel_case()),
                    TypeDefKind::Flags(_) => "0".into(),
                    TypeDefKind::Variant(v) => {
                        let name = named(imports);
                        let (package, ty_name) = name.split_once('.').expect("named types are qualified");
                        let case = &v.cases[0];
                        let payload = match case.ty {
                            Some(ty) => self.go_default(ty, imports)?,
                            None => String::new(),
                        };
                        format!("{package}.Make{ty_name}{}({payload})", case.name.to_upper_camel_case())
                    }
                    TypeDefKind::Type(inner) => self.go_default(*inner, imports)?,
                    TypeDefKind::Handle(Handle::Own(r)) if self.owned_by_export(*r) => {
                        format!("&{}{{}}", self.resource_type(*r, imports)?)
                    }
                    TypeDefKind::Handle(Handle::Own(r) | Handle::Borrow(r)) => bail!(
                        "`new --world` cannot make up a handle to the imported resource `{}`: return one your code \
                         got from the host",
                        self.resolve.types[*r].name.as_deref().unwrap_or_default()
                    ),
                    TypeDefKind::Option(inner) => {
                        imports.insert(TYPES_IMPORT.into());
                        format!("witTypes.None[{}]()", self.go_type(*inner, imports)?)
                    }
                    TypeDefKind::List(_) => "nil".into(),
                    TypeDefKind::Result(result) => {
                        imports.insert(TYPES_IMPORT.into());
                        let ok = self.go_type_or_unit(result.ok, imports)?;
                        let err = self.go_type_or_unit(result.err, imports)?;
                        let value = match result.ok {
                            Some(ty) => self.go_default(ty, imports)?,
                            None => "witTypes.Unit{}".into(),
                        };
                        format!("witTypes.Ok[{ok}, {err}]({value})")
                    }
                    TypeDefKind::Tuple(tuple) => {
                        let go_type = self.go_type(ty, imports)?;
                        let mut fields = Vec::new();
                        for (i, t) in tuple.types.iter().enumerate() {
                            fields.push(format!("F{i}: {}", self.go_default(*t, imports)?));
                        }
                        format!("{go_type}{{{}}}", fields.join(", "))
                    }
                    _ => {
                        self.go_type(ty, imports)?; // names the unsupported kind
                        unreachable!("go_type accepts only the kinds handled here")
                    }
                }
            }
            // Numbers and char: an untyped constant fits every one of them.
            _ => "0".into(),
        })
    }

    /// A declarative case calling `func` with default arguments and expecting its default result, when WAVE
    /// prints every value involved one way only (no floats, chars or unit results).
    fn case(&self, iface: Option<&str>, func: &Function) -> Option<(String, String)> {
        let args: Option<Vec<_>> = func.params.iter().map(|p| self.wave_default(p.ty)).collect();
        let result = match func.result {
            Some(ty) => self.wave_default(ty)?,
            None => return None,
        };
        let name = match iface {
            Some(iface) => format!("{iface}#{}", func.name),
            None => func.name.clone(),
        };
        Some((format!("{name}({})", args?.join(", ")), result))
    }

    /// The answer the host gives to calls of the imported `func`: its default result, in WAVE. `None` for a
    /// function that involves a resource (a method, or a handle among its types): WAVE has no handles, and the
    /// checks' host makes such imports fail by name when called.
    fn answer(&self, iface: Option<&str>, func: &Function) -> Result<Option<(String, Option<String>)>> {
        let name = match iface {
            Some(iface) => format!("{iface}#{}", func.name),
            None => func.name.clone(),
        };
        let types = func.params.iter().map(|p| p.ty).chain(func.result);
        if !matches!(func.kind, FunctionKind::Freestanding) || types.into_iter().any(|t| self.involves_handle(t)) {
            return Ok(None);
        }
        let result = match func.result {
            None => None,
            Some(ty) => Some(self.wave_value(ty, true).ok_or_else(|| {
                anyhow::anyhow!("cannot write a default answer for the import `{name}`: its result type has no default")
            })?),
        };
        Ok(Some((name, result)))
    }

    /// Whether a value of `ty` holds a resource handle anywhere.
    fn involves_handle(&self, ty: Type) -> bool {
        let Type::Id(id) = ty else { return false };
        match &self.resolve.types[id].kind {
            TypeDefKind::Handle(_) | TypeDefKind::Resource => true,
            TypeDefKind::Record(r) => r.fields.iter().any(|f| self.involves_handle(f.ty)),
            TypeDefKind::Variant(v) => v.cases.iter().filter_map(|c| c.ty).any(|t| self.involves_handle(t)),
            TypeDefKind::Tuple(t) => t.types.iter().any(|t| self.involves_handle(*t)),
            TypeDefKind::Option(t) | TypeDefKind::List(t) | TypeDefKind::Type(t) => self.involves_handle(*t),
            TypeDefKind::Result(r) => r.ok.into_iter().chain(r.err).any(|t| self.involves_handle(t)),
            _ => false,
        }
    }

    /// The default value in WAVE, as the host prints it; `None` where printing has more than one form.
    fn wave_default(&self, ty: Type) -> Option<String> {
        self.wave_value(ty, false)
    }

    /// The default value in WAVE. `parse_only`: any text WAVE reads as that value will do (answers are parsed,
    /// never compared as text), so floats, chars and results without an `ok` type have one too.
    fn wave_value(&self, ty: Type, parse_only: bool) -> Option<String> {
        let value = |ty| self.wave_value(ty, parse_only);
        Some(match ty {
            Type::Bool => "false".into(),
            Type::String => "\"\"".into(),
            Type::U8 | Type::U16 | Type::U32 | Type::U64 | Type::S8 | Type::S16 | Type::S32 | Type::S64 => "0".into(),
            Type::F32 | Type::F64 if parse_only => "0.0".into(),
            Type::Char if parse_only => "'a'".into(),
            Type::F32 | Type::F64 | Type::Char | Type::ErrorContext => return None,
            Type::Id(id) => match &self.resolve.types[id].kind {
                TypeDefKind::Record(record) => {
                    let mut fields = Vec::new();
                    for field in &record.fields {
                        let value = value(field.ty)?;
                        // WAVE leaves record fields that are `none` out.
                        if value != "none" {
                            fields.push(format!("{}: {value}", field.name));
                        }
                    }
                    format!("{{{}}}", fields.join(", "))
                }
                TypeDefKind::Enum(e) => e.cases[0].name.clone(),
                TypeDefKind::Flags(_) => "{}".into(),
                TypeDefKind::Variant(v) => match v.cases[0].ty {
                    Some(ty) => format!("{}({})", v.cases[0].name, value(ty)?),
                    None => v.cases[0].name.clone(),
                },
                TypeDefKind::Type(inner) => value(*inner)?,
                TypeDefKind::Option(_) => "none".into(),
                TypeDefKind::List(_) => "[]".into(),
                TypeDefKind::Result(result) => match result.ok {
                    Some(ok) => format!("ok({})", value(ok)?),
                    None if parse_only => "ok".into(),
                    None => return None,
                },
                TypeDefKind::Tuple(tuple) => {
                    let values: Option<Vec<_>> = tuple.types.iter().map(|t| value(*t)).collect();
                    format!("({})", values?.join(", "))
                }
                _ => return None,
            },
        })
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
