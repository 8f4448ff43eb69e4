//! Hardening of a core module against "Trap 2": the Go garbage collector running inside `cabi_realloc`.
//!
//! While the host lowers arguments it calls the guest's `cabi_realloc`, and the component model forbids the guest
//! to call any import until that call returns (the same holds for `cabi_post_*`). Go's allocator may start or
//! finish a GC cycle on any allocation, and the GC reads the clocks (`nanotime`/`walltime` →
//! `wasi_snapshot_preview1.clock_time_get` → the adapter → `wasi:clocks/*.now`): the instance traps with
//! "cannot leave component instance" after a few dozen large calls.
//!
//! The Go runtime's GC and scheduler paths reach three WASI imports: `clock_time_get` (every GC phase reads the
//! clocks), `poll_oneoff` (a non-blocking `netpoll(0)` when the world restarts after a GC phase, once the scheduler
//! has run) and `sched_yield`. This pass rewrites the core module, in-process, so that none of them leaves the
//! instance while the host is inside `cabi_realloc` or `cabi_post_*`:
//! - every call to one of those imports goes through a shim with the same signature. Outside the guarded window
//!   the shim calls the import (and, for the clocks, caches the realtime and monotonic readings). Inside it, it
//!   answers locally: the clocks return the cached reading (time stands still for the microseconds of an
//!   allocation; only GC pacing statistics see it), `poll_oneoff` reports no events (the answer to a zero-timeout
//!   poll when nothing is ready; I/O readiness is picked up by the next poll outside the window), `sched_yield`
//!   succeeds;
//! - each exported `cabi_*realloc*` and `cabi_post_*` is replaced by a wrapper that opens the window (a global flag,
//!   saved and restored so nesting is safe), calls the original, and closes it;
//! - every answer a shim gives inside the window adds one to a counter (a new `i64` global), and a new export,
//!   [`WINDOW_EXPORT`], returns it: componentize exports it as `gowasm:harden/window.guarded-calls`
//!   ([`WINDOW_WIT`]), so a host — the check's stress first — can see how often Go's runtime reached the host
//!   from inside the window on that instance, each time a trap the pass prevented.
//!
//! The Go heap, the pinning of arguments and the automatic GC are untouched: memory is reclaimed as usual (the
//! runtime in go/witpkg lets a pending mark phase finish inside exports; see docs/design/gc-traps.md).
//! Function, type and global indices of the original module are preserved (new items are appended), so names,
//! DWARF and tables stay valid. The pass must not change anything else; a module importing none of those
//! functions is returned unchanged.

use std::convert::Infallible;

use anyhow::{Context, Result, bail};
use wasm_encoder::reencode::{self, Reencode};
use wasm_encoder::{
    BlockType, CodeSection, ConstExpr, CustomSection, ExportKind, ExportSection, Function, FunctionSection,
    GlobalSection, GlobalType, Instruction, MemArg, Module, ValType,
};
use wasmparser::{ExternalKind, Parser, Payload, TypeRef};

use crate::model::evidence::WINDOW_EXPORT;

const WASI_MODULE: &str = "wasi_snapshot_preview1";
/// The imports answered locally inside the window, in the order their shims are appended.
const GUARDED_IMPORTS: [&str; 3] = ["clock_time_get", "poll_oneoff", "sched_yield"];
/// The interface every hardened component exports beside its world.
pub const WINDOW_WIT: &str = "package gowasm:harden@0.1.0;

/// What the hardening pass did on this instance.
interface window {
    /// How many calls of Go's runtime to a WASI import (the clocks, poll_oneoff, sched_yield) were answered inside
    /// the instance because they came while the host was in `cabi_realloc` or `cabi_post_*`, where the component
    /// model forbids leaving it: each one a trap without the pass. Counts from the instance's start.
    guarded-calls: func() -> u64;
}

/// What TinyGo's collector did on this instance (TinyGo builds export it: their collector never calls out, so
/// `window` counts nothing there).
interface collector {
    /// How many times the collector ran inside `cabi_realloc`, while the host was lowering arguments: each time
    /// an argument lowered before it was in the heap, kept only by the pins. Counts from the instance's start.
    collections-in-realloc: func() -> u64;
}

/// What the checks' stress asks of the runtime (both toolchains' builds export it).
interface stress {
    /// From now on, run a whole collection inside `cabi_realloc`, before it allocates, whenever `every` bytes
    /// were lowered since its last one there (0: never, the default; on their own the collectors come there
    /// seldom, or by luck). The checks' stress sets it, so that the moment it exists for comes on every few
    /// calls.
    collect-in-realloc: func(every: u64);
}
";
const CLOCK_REALTIME: i32 = 0;
const CLOCK_MONOTONIC: i32 = 1;

/// What the pass did, for status lines and tests.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// The guarded WASI imports the module has, with their function indices.
    pub guarded_imports: Vec<(&'static str, u32)>,
    /// Exports now running inside the guarded window.
    pub guarded_exports: Vec<String>,
}

impl Report {
    /// Whether the module now exports [`WINDOW_EXPORT`] (it does whenever it had a guarded import).
    pub fn counts_window(&self) -> bool {
        !self.guarded_imports.is_empty()
    }
}

/// Exports during which the component model forbids calls to imports.
pub fn is_guarded_export(name: &str) -> bool {
    (name.starts_with("cabi_") && name.contains("realloc")) || name.starts_with("cabi_post_")
}

struct Shape {
    func_types: Vec<u32>,
    imported_funcs: u32,
    globals: u32,
    has_global_section: bool,
    guarded_imports: Vec<(&'static str, u32)>,
    guarded: Vec<(String, u32)>,
    exports: Vec<String>,
}

fn read_shape(module: &[u8]) -> Result<Shape> {
    let mut shape = Shape {
        func_types: Vec::new(),
        imported_funcs: 0,
        globals: 0,
        has_global_section: false,
        guarded_imports: Vec::new(),
        guarded: Vec::new(),
        exports: Vec::new(),
    };
    for payload in Parser::new(0).parse_all(module) {
        match payload? {
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    let import = import?;
                    match import.ty {
                        TypeRef::Func(ty) | TypeRef::FuncExact(ty) => {
                            if import.module == WASI_MODULE
                                && let Some(name) = GUARDED_IMPORTS.iter().find(|n| **n == import.name)
                            {
                                shape.guarded_imports.push((name, shape.imported_funcs));
                            }
                            shape.func_types.push(ty);
                            shape.imported_funcs += 1;
                        }
                        TypeRef::Global(_) => shape.globals += 1,
                        _ => {}
                    }
                }
            }
            Payload::FunctionSection(reader) => {
                for ty in reader {
                    shape.func_types.push(ty?);
                }
            }
            Payload::GlobalSection(reader) => {
                shape.has_global_section = true;
                shape.globals += reader.count();
            }
            Payload::ExportSection(reader) => {
                for export in reader {
                    let export = export?;
                    shape.exports.push(export.name.to_string());
                    if matches!(export.kind, ExternalKind::Func | ExternalKind::FuncExact)
                        && is_guarded_export(export.name)
                    {
                        shape.guarded.push((export.name.to_string(), export.index));
                    }
                }
            }
            _ => {}
        }
    }
    Ok(shape)
}

/// Re-encodes everything unchanged except references to guarded imports, which point at their shims.
struct Redirect {
    /// (import index, shim index)
    map: Vec<(u32, u32)>,
}

impl Reencode for Redirect {
    type Error = Infallible;

    fn function_index(&mut self, func: u32) -> Result<u32, reencode::Error<Infallible>> {
        Ok(self.map.iter().find(|(from, _)| *from == func).map_or(func, |(_, to)| *to))
    }

    // Custom sections (names, DWARF, producers) are copied byte for byte: no index in them changes.
    fn parse_custom_section(
        &mut self,
        module: &mut Module,
        section: wasmparser::CustomSectionReader<'_>,
    ) -> Result<(), reencode::Error<Infallible>> {
        module.section(&CustomSection { name: section.name().into(), data: section.data().into() });
        Ok(())
    }
}

/// Rewrites `module` as described in the module docs. Returns the new bytes and what was done.
pub fn harden(module: &[u8]) -> Result<(Vec<u8>, Report)> {
    let mut shape = read_shape(module).context("failed to read the core module")?;
    if shape.guarded_imports.is_empty() {
        return Ok((module.to_vec(), Report::default()));
    }
    if !shape.has_global_section {
        bail!("unsupported module shape: no global section");
    }
    shape.guarded_imports.sort_by_key(|(name, _)| GUARDED_IMPORTS.iter().position(|n| n == name));
    let first_shim = shape.func_types.len() as u32;
    let first_wrapper = first_shim + shape.guarded_imports.len() as u32;
    let frozen = shape.globals;
    let (wall, mono, count) = (frozen + 1, frozen + 2, frozen + 3);
    let counter = first_wrapper + shape.guarded.len() as u32;
    if shape.exports.iter().any(|name| name == WINDOW_EXPORT) {
        bail!("the module already exports `{WINDOW_EXPORT}`: was it hardened twice?");
    }

    let mut re = Redirect {
        map: shape
            .guarded_imports
            .iter()
            .enumerate()
            .map(|(i, (_, import))| (*import, first_shim + i as u32))
            .collect(),
    };
    let mut out = Module::new();
    let mut code: Option<(CodeSection, u32)> = None;
    let mut type_params: Vec<usize> = Vec::new();

    for payload in Parser::new(0).parse_all(module) {
        let payload = payload?;
        match payload {
            Payload::Version { .. } | Payload::End(_) => {}
            Payload::TypeSection(reader) => {
                for group in reader.clone() {
                    for sub in group?.into_types() {
                        let params = match &sub.composite_type.inner {
                            wasmparser::CompositeInnerType::Func(f) => f.params().len(),
                            _ => 0,
                        };
                        type_params.push(params);
                    }
                }
                let mut section = wasm_encoder::TypeSection::new();
                re.parse_type_section(&mut section, reader)?;
                // The counter's type, `() -> i64`, appended.
                section.ty().function([], [ValType::I64]);
                out.section(&section);
            }
            Payload::ImportSection(reader) => {
                let mut section = wasm_encoder::ImportSection::new();
                re.parse_import_section(&mut section, reader)?;
                out.section(&section);
            }
            Payload::FunctionSection(reader) => {
                let mut section = FunctionSection::new();
                re.parse_function_section(&mut section, reader)?;
                for (_, import) in &shape.guarded_imports {
                    section.function(shape.func_types[*import as usize]);
                }
                for (_, index) in &shape.guarded {
                    section.function(shape.func_types[*index as usize]);
                }
                section.function(type_params.len() as u32);
                out.section(&section);
            }
            Payload::GlobalSection(reader) => {
                let mut section = GlobalSection::new();
                re.parse_global_section(&mut section, reader)?;
                let mutable = |val_type| GlobalType { val_type, mutable: true, shared: false };
                section.global(mutable(ValType::I32), &ConstExpr::i32_const(0));
                section.global(mutable(ValType::I64), &ConstExpr::i64_const(0));
                section.global(mutable(ValType::I64), &ConstExpr::i64_const(0));
                section.global(mutable(ValType::I64), &ConstExpr::i64_const(0));
                out.section(&section);
            }
            Payload::ExportSection(reader) => {
                let mut section = ExportSection::new();
                for export in reader {
                    let export = export?;
                    match shape.guarded.iter().position(|(name, _)| name == export.name) {
                        Some(i) => {
                            section.export(export.name, ExportKind::Func, first_wrapper + i as u32);
                        }
                        None => {
                            re.parse_export(&mut section, export)?;
                        }
                    }
                }
                section.export(WINDOW_EXPORT, ExportKind::Func, counter);
                out.section(&section);
            }
            Payload::CodeSectionStart { count, .. } => code = Some((CodeSection::new(), count)),
            Payload::CodeSectionEntry(body) => {
                let (section, remaining) = code.as_mut().context("code entry outside the code section")?;
                re.parse_function_body(section, body)?;
                *remaining -= 1;
                if *remaining == 0 {
                    let (mut section, _) = code.take().expect("checked above");
                    for (name, import) in &shape.guarded_imports {
                        let shim = match *name {
                            "clock_time_get" => clock_shim(*import, frozen, wall, mono, count),
                            "poll_oneoff" => poll_shim(*import, frozen, count),
                            _ => yield_shim(*import, frozen, count),
                        };
                        section.function(&shim);
                    }
                    for (_, index) in &shape.guarded {
                        let params = type_params[shape.func_types[*index as usize] as usize] as u32;
                        section.function(&guarded_wrapper(*index, params, frozen));
                    }
                    let mut read = Function::new([]);
                    read.instruction(&Instruction::GlobalGet(count)).instruction(&Instruction::End);
                    section.function(&read);
                    out.section(&section);
                }
            }
            Payload::CustomSection(reader) => re.parse_custom_section(&mut out, reader)?,
            Payload::TableSection(reader) => {
                let mut section = wasm_encoder::TableSection::new();
                re.parse_table_section(&mut section, reader)?;
                out.section(&section);
            }
            Payload::MemorySection(reader) => {
                let mut section = wasm_encoder::MemorySection::new();
                re.parse_memory_section(&mut section, reader)?;
                out.section(&section);
            }
            Payload::TagSection(reader) => {
                let mut section = wasm_encoder::TagSection::new();
                re.parse_tag_section(&mut section, reader)?;
                out.section(&section);
            }
            Payload::StartSection { func, .. } => {
                out.section(&wasm_encoder::StartSection { function_index: re.function_index(func)? });
            }
            Payload::ElementSection(reader) => {
                let mut section = wasm_encoder::ElementSection::new();
                re.parse_element_section(&mut section, reader)?;
                out.section(&section);
            }
            Payload::DataCountSection { count, .. } => {
                out.section(&wasm_encoder::DataCountSection { count });
            }
            Payload::DataSection(reader) => {
                let mut section = wasm_encoder::DataSection::new();
                re.parse_data_section(&mut section, reader)?;
                out.section(&section);
            }
            other => bail!("unsupported section in a core module: {:?}", other.as_section().map(|(id, _)| id)),
        }
    }
    let bytes = out.finish();
    crate::util::validate(&bytes).context("the hardened module does not validate")?;
    let report = Report {
        guarded_imports: shape.guarded_imports,
        guarded_exports: shape.guarded.into_iter().map(|(n, _)| n).collect(),
    };
    Ok((bytes, report))
}

/// `clock_time_get(id, precision, out) -> errno` with the freeze described in the module docs.
fn clock_shim(import: u32, frozen: u32, wall: u32, mono: u32, count: u32) -> Function {
    use Instruction as I;
    let (id, precision, out, errno) = (0, 1, 2, 3);
    let store = MemArg { offset: 0, align: 3, memory_index: 0 };
    let mut f = Function::new([(1, ValType::I32)]);
    // Inside the window: answer realtime and monotonic from the cache, without leaving the instance.
    f.instruction(&I::GlobalGet(frozen)).instruction(&I::If(BlockType::Empty));
    for (clock, cache) in [(CLOCK_REALTIME, wall), (CLOCK_MONOTONIC, mono)] {
        f.instruction(&I::LocalGet(id))
            .instruction(&I::I32Const(clock))
            .instruction(&I::I32Eq)
            .instruction(&I::If(BlockType::Empty));
        count_one(&mut f, count);
        f.instruction(&I::LocalGet(out))
            .instruction(&I::GlobalGet(cache))
            .instruction(&I::I64Store(store))
            .instruction(&I::I32Const(0))
            .instruction(&I::Return)
            .instruction(&I::End);
    }
    f.instruction(&I::End);
    // Outside: call the real import and remember what it said.
    f.instruction(&I::LocalGet(id))
        .instruction(&I::LocalGet(precision))
        .instruction(&I::LocalGet(out))
        .instruction(&I::Call(import))
        .instruction(&I::LocalTee(errno))
        .instruction(&I::I32Eqz)
        .instruction(&I::If(BlockType::Empty));
    for (clock, cache) in [(CLOCK_REALTIME, wall), (CLOCK_MONOTONIC, mono)] {
        f.instruction(&I::LocalGet(id))
            .instruction(&I::I32Const(clock))
            .instruction(&I::I32Eq)
            .instruction(&I::If(BlockType::Empty))
            .instruction(&I::LocalGet(out))
            .instruction(&I::I64Load(store))
            .instruction(&I::GlobalSet(cache))
            .instruction(&I::End);
    }
    f.instruction(&I::End).instruction(&I::LocalGet(errno)).instruction(&I::End);
    f
}

/// `poll_oneoff(in, out, nsubscriptions, nevents_out) -> errno`: inside the window, no events.
fn poll_shim(import: u32, frozen: u32, count: u32) -> Function {
    use Instruction as I;
    let nevents_out = 3;
    let mut f = Function::new([]);
    f.instruction(&I::GlobalGet(frozen)).instruction(&I::If(BlockType::Empty));
    count_one(&mut f, count);
    f.instruction(&I::LocalGet(nevents_out))
        .instruction(&I::I32Const(0))
        .instruction(&I::I32Store(MemArg { offset: 0, align: 2, memory_index: 0 }))
        .instruction(&I::I32Const(0))
        .instruction(&I::Return)
        .instruction(&I::End);
    for i in 0..4 {
        f.instruction(&I::LocalGet(i));
    }
    f.instruction(&I::Call(import)).instruction(&I::End);
    f
}

/// `sched_yield() -> errno`: inside the window, success without yielding to the host.
fn yield_shim(import: u32, frozen: u32, count: u32) -> Function {
    use Instruction as I;
    let mut f = Function::new([]);
    f.instruction(&I::GlobalGet(frozen)).instruction(&I::If(BlockType::Empty));
    count_one(&mut f, count);
    f.instruction(&I::I32Const(0))
        .instruction(&I::Return)
        .instruction(&I::End)
        .instruction(&I::Call(import))
        .instruction(&I::End);
    f
}

/// `count += 1`.
fn count_one(f: &mut Function, count: u32) {
    use Instruction as I;
    f.instruction(&I::GlobalGet(count)).instruction(&I::I64Const(1)).instruction(&I::I64Add);
    f.instruction(&I::GlobalSet(count));
}

/// Same signature as `target`: set the window flag (saving the old value), call `target`, restore the flag.
fn guarded_wrapper(target: u32, params: u32, frozen: u32) -> Function {
    use Instruction as I;
    let saved = params;
    let mut f = Function::new([(1, ValType::I32)]);
    f.instruction(&I::GlobalGet(frozen)).instruction(&I::LocalSet(saved));
    f.instruction(&I::I32Const(1)).instruction(&I::GlobalSet(frozen));
    for i in 0..params {
        f.instruction(&I::LocalGet(i));
    }
    f.instruction(&I::Call(target));
    f.instruction(&I::LocalGet(saved)).instruction(&I::GlobalSet(frozen));
    f.instruction(&I::End);
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use host::wasmtime::{Engine, Instance, Linker, Module as CoreModule, Store};
    use wasm_encoder::{EntityType, ImportSection, MemorySection, MemoryType, TypeSection};

    /// A module shaped like Go's: imports the clock, exports `now` (reads the monotonic clock) and
    /// `cabi_realloc` (reads it too, as Go's GC would while allocating), plus one global of its own.
    fn clock_module() -> Vec<u8> {
        use Instruction as I;
        let mut m = Module::new();
        let mut types = TypeSection::new();
        types.ty().function([ValType::I32, ValType::I64, ValType::I32], [ValType::I32]); // 0: clock_time_get
        types.ty().function([], [ValType::I64]); // 1: now
        types.ty().function([ValType::I32; 4], [ValType::I32]); // 2: cabi_realloc
        m.section(&types);
        let mut imports = ImportSection::new();
        imports.import(WASI_MODULE, "clock_time_get", EntityType::Function(0));
        m.section(&imports);
        let mut funcs = FunctionSection::new();
        funcs.function(1).function(2);
        m.section(&funcs);
        let mut memories = MemorySection::new();
        memories.memory(MemoryType { minimum: 1, maximum: None, memory64: false, shared: false, page_size_log2: None });
        m.section(&memories);
        let mut globals = GlobalSection::new();
        globals.global(GlobalType { val_type: ValType::I32, mutable: true, shared: false }, &ConstExpr::i32_const(0));
        m.section(&globals);
        let mut exports = ExportSection::new();
        exports.export("memory", ExportKind::Memory, 0).export("now", ExportKind::Func, 1).export(
            "cabi_realloc",
            ExportKind::Func,
            2,
        );
        m.section(&exports);
        let load = MemArg { offset: 0, align: 3, memory_index: 0 };
        let mut code = CodeSection::new();
        let mut now = Function::new([]);
        now.instruction(&I::I32Const(1)).instruction(&I::I64Const(0)).instruction(&I::I32Const(8));
        now.instruction(&I::Call(0)).instruction(&I::Drop);
        now.instruction(&I::I32Const(8)).instruction(&I::I64Load(load)).instruction(&I::End);
        code.function(&now);
        let mut realloc = Function::new([]);
        realloc.instruction(&I::I32Const(1)).instruction(&I::I64Const(0)).instruction(&I::I32Const(8));
        realloc.instruction(&I::Call(0)).instruction(&I::Drop);
        realloc
            .instruction(&I::I32Const(8))
            .instruction(&I::I64Load(load))
            .instruction(&I::I32WrapI64)
            .instruction(&I::End);
        code.function(&realloc);
        m.section(&code);
        m.finish()
    }

    /// Instantiates a module whose clock import counts its calls and returns 1000 × the count.
    fn instantiate(bytes: &[u8]) -> (Store<u64>, Instance) {
        let engine = Engine::default();
        let module = CoreModule::new(&engine, bytes).unwrap();
        let mut linker = Linker::new(&engine);
        linker
            .func_wrap(
                WASI_MODULE,
                "clock_time_get",
                |mut caller: host::wasmtime::Caller<'_, u64>, _id: i32, _p: i64, out: i32| {
                    *caller.data_mut() += 1;
                    let value = (*caller.data() * 1000).to_le_bytes();
                    let memory = caller.get_export("memory").unwrap().into_memory().unwrap();
                    memory.write(&mut caller, out as usize, &value).unwrap();
                    0
                },
            )
            .unwrap();
        let mut store = Store::new(&engine, 0u64);
        let instance = linker.instantiate(&mut store, &module).unwrap();
        (store, instance)
    }

    #[test]
    fn realloc_reads_the_cached_clock_without_calling_the_import() {
        let (bytes, report) = harden(&clock_module()).unwrap();
        assert_eq!(report.guarded_imports, vec![("clock_time_get", 0)]);
        assert_eq!(report.guarded_exports, vec!["cabi_realloc".to_string()]);
        let (mut store, instance) = instantiate(&bytes);
        let now = instance.get_typed_func::<(), i64>(&mut store, "now").unwrap();
        let realloc = instance.get_typed_func::<(i32, i32, i32, i32), i32>(&mut store, "cabi_realloc").unwrap();

        assert_eq!(now.call(&mut store, ()).unwrap(), 1000);
        assert_eq!(*store.data(), 1);
        // Inside the window the import is not called and the last reading is returned.
        assert_eq!(realloc.call(&mut store, (0, 0, 1, 16)).unwrap(), 1000);
        assert_eq!(realloc.call(&mut store, (0, 0, 1, 16)).unwrap(), 1000);
        assert_eq!(*store.data(), 1);
        // Outside it again, time moves on.
        assert_eq!(now.call(&mut store, ()).unwrap(), 2000);
        assert_eq!(*store.data(), 2);
        // The two answers given inside the window were counted; the two calls outside it were not.
        let counted = instance.get_typed_func::<(), i64>(&mut store, WINDOW_EXPORT).unwrap();
        assert_eq!(counted.call(&mut store, ()).unwrap(), 2);
        assert!(report.counts_window());
        let err = harden(&bytes).unwrap_err();
        assert!(format!("{err:#}").contains("hardened twice"), "{err:#}");
    }

    #[test]
    fn unhardened_realloc_calls_the_import() {
        let (mut store, instance) = instantiate(&clock_module());
        let realloc = instance.get_typed_func::<(i32, i32, i32, i32), i32>(&mut store, "cabi_realloc").unwrap();
        realloc.call(&mut store, (0, 0, 1, 16)).unwrap();
        assert_eq!(*store.data(), 1);
    }

    #[test]
    fn module_without_guarded_imports_is_unchanged() {
        let mut m = Module::new();
        let mut types = TypeSection::new();
        types.ty().function([], []);
        m.section(&types);
        let bytes = m.finish();
        let (out, report) = harden(&bytes).unwrap();
        assert_eq!(out, bytes);
        assert_eq!(report, Report::default());
        assert!(!report.counts_window());
    }

    #[test]
    fn guarded_export_names() {
        assert!(is_guarded_export("cabi_realloc"));
        assert!(is_guarded_export("cabi_realloc_adapter"));
        assert!(is_guarded_export("cabi_post_compute-hash"));
        assert!(!is_guarded_export("compute-hash"));
        assert!(!is_guarded_export("_initialize"));
    }
}
