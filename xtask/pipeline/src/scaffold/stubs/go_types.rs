//! The Go side of a WIT type as wit-bindgen-go 0.60 names it: its Go type, where it is declared, and a default
//! value of it (what every stub returns).

use std::collections::BTreeSet;

use anyhow::{Result, bail};
use heck::ToUpperCamelCase;
use wit_parser::{Handle, Type, TypeDefKind, TypeOwner, WorldKey};

use super::{TYPES_IMPORT, Writer, kind_name};

impl Writer<'_> {
    /// The element types of an anonymous tuple (which wit-bindgen-go returns as several Go results).
    pub(super) fn anonymous_tuple(&self, ty: Type) -> Option<Vec<Type>> {
        match ty {
            Type::Id(id) => match &self.resolve.types[id].kind {
                TypeDefKind::Tuple(tuple) => Some(tuple.types.clone()),
                _ => None,
            },
            _ => None,
        }
    }

    /// The Go package (and its import) holding a named type.
    pub(super) fn type_package(&self, owner: TypeOwner, imports: &mut BTreeSet<String>) -> String {
        let key = match owner {
            TypeOwner::Interface(id) => Some(self.keys.get(&id).cloned().unwrap_or(WorldKey::Interface(id))),
            _ => None,
        };
        let package = self.package_name(key.as_ref());
        imports.insert(format!("\"wit_component/{package}\""));
        package
    }

    /// The Go type wit-bindgen-go uses for `ty`.
    pub(super) fn go_type(&self, ty: Type, imports: &mut BTreeSet<String>) -> Result<String> {
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
    pub(super) fn defining(&self, mut r: wit_parser::TypeId) -> wit_parser::TypeId {
        while let TypeDefKind::Type(Type::Id(inner)) = self.resolve.types[r].kind {
            r = inner;
        }
        r
    }

    /// The Go name of a resource type.
    pub(super) fn resource_name(&self, r: wit_parser::TypeId) -> String {
        self.resolve.types[self.defining(r)].name.as_deref().unwrap_or_default().to_upper_camel_case()
    }

    /// Whether the resource is defined by an interface the world exports (the user's Go type).
    pub(super) fn owned_by_export(&self, r: wit_parser::TypeId) -> bool {
        matches!(self.resolve.types[self.defining(r)].owner, TypeOwner::Interface(id) if self.exported.contains(&id))
    }

    /// The Go type of a resource, qualified unless it is of the file being written: an exported resource is the
    /// user's type in `export_<pkg>`, an imported one the generated type in `<pkg>`.
    pub(super) fn resource_type(&self, r: wit_parser::TypeId, imports: &mut BTreeSet<String>) -> Result<String> {
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

    pub(super) fn go_type_or_unit(&self, ty: Option<Type>, imports: &mut BTreeSet<String>) -> Result<String> {
        match ty {
            Some(ty) => self.go_type(ty, imports),
            None => {
                imports.insert(TYPES_IMPORT.into());
                Ok("witTypes.Unit".into())
            }
        }
    }

    /// A Go expression of type `go_type(ty)` holding the default value.
    pub(super) fn go_default(&self, ty: Type, imports: &mut BTreeSet<String>) -> Result<String> {
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
}
