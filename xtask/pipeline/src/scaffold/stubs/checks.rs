//! The declarative checks a scaffold ships with: cases that call a few exports with default arguments and expect
//! their defaults, and an answer for every imported function, all in WAVE.

use anyhow::Result;
use wit_parser::{Function, FunctionKind, Handle, Type, TypeDefKind};

use super::{Case, Expect, Writer, handle_stub_message};

impl Writer<'_> {
    /// A declarative case calling `func` with default arguments and expecting its default result, when WAVE
    /// prints every value involved one way only (no floats, chars or unit results); or, for a function returning a
    /// handle to an imported resource, expecting its stub's error.
    pub(super) fn case(&self, iface: Option<&str>, func: &Function) -> Option<Case> {
        let args: Option<Vec<_>> = func.params.iter().map(|p| self.wave_default(p.ty)).collect();
        let result = func.result?;
        let expect = match self.imported_handle(result) {
            Some(resource) => Expect::Fails(handle_stub_message(&resource)),
            None => Expect::Returns(self.wave_default(result)?),
        };
        let name = match iface {
            Some(iface) => format!("{iface}#{}", func.name),
            None => func.name.clone(),
        };
        Some(Case { call: format!("{name}({})", args?.join(", ")), expect })
    }

    /// The name of an imported resource whose handle a value of `ty` holds, if any: such a value comes only from
    /// the host.
    pub(super) fn imported_handle(&self, ty: Type) -> Option<String> {
        let Type::Id(id) = ty else { return None };
        let inner = |t: &Type| self.imported_handle(*t);
        match &self.resolve.types[id].kind {
            TypeDefKind::Handle(Handle::Own(r) | Handle::Borrow(r)) if !self.owned_by_export(*r) => {
                Some(self.resolve.types[*r].name.clone().unwrap_or_default())
            }
            TypeDefKind::Record(r) => r.fields.iter().find_map(|f| inner(&f.ty)),
            TypeDefKind::Variant(v) => v.cases.iter().filter_map(|c| c.ty.as_ref()).find_map(inner),
            TypeDefKind::Tuple(t) => t.types.iter().find_map(inner),
            TypeDefKind::Option(t) | TypeDefKind::List(t) | TypeDefKind::Type(t) => inner(t),
            TypeDefKind::Result(r) => r.ok.iter().chain(&r.err).find_map(inner),
            _ => None,
        }
    }

    /// The answer the host gives to calls of the imported `func`: its default result, in WAVE. `None` for a
    /// function that involves a resource (a method, or a handle among its types): WAVE has no handles, and the
    /// checks' host makes such imports fail by name when called.
    pub(super) fn answer(&self, iface: Option<&str>, func: &Function) -> Result<Option<(String, Option<String>)>> {
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
    pub(super) fn involves_handle(&self, ty: Type) -> bool {
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
    pub(super) fn wave_default(&self, ty: Type) -> Option<String> {
        self.wave_value(ty, false)
    }

    /// The default value in WAVE. `parse_only`: any text WAVE reads as that value will do (answers are parsed,
    /// never compared as text), so floats, chars and results without an `ok` type have one too.
    pub(super) fn wave_value(&self, ty: Type, parse_only: bool) -> Option<String> {
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
