//! The generic stress: every component's, from its WIT alone, typed suite or not. It makes up values of each
//! export's parameter types ([`values`]: text, byte lists, nested lists of records, variants, options and tuples)
//! at two sizes (64 KiB and 1 MiB unless checks.toml's `[stress]` says otherwise), calls every export it can call
//! in turn on one instance, and answers each of the component's own imports with made-up values of its result
//! type, so the bytes cross into the guest's `cabi_realloc` in both directions while its collector is made to run
//! there (`suite::Stressor`). Each size is a phase sized by the guarded window exactly as a typed stress is: a
//! phase whose most calls did not reach the floor fails as not stressed. It also fails on any trap, on linear
//! memory that keeps growing with the calls, and on a function that answers the same arguments differently where
//! the WIT gives it no state to keep (see [`presumed_pure`]).
//!
//! What it cannot call, it says: a resource's methods and functions taking a handle (only the component or a
//! typed host makes one), and an export whose first call reaches an import involving a handle (checks.toml
//! cannot answer those). `[stress]` in checks.toml tunes it:
//!
//! ```toml
//! [stress]
//! off = "its exports crash, spin and hog on purpose"  # no generic stress, and why (required to turn it off)
//! stateful = ["next-id"]                                # answers that may differ between calls
//! [[stress.skip]]                                       # an export it does not call, and why
//! call = "latest"
//! reason = "a stub that fails until it is filled in"
//! small-bytes = 65536                                   # the two sizes of what crosses per call
//! large-bytes = 1048576
//! [[stress.input]]                                      # where made-up values are not valid input:
//! call = "process-json"                                 # this export's strings and byte lists are
//! corpus = "stress/sample.json"                         # the file (beside checks.toml), repeated
//! prefix = "["                                          # to the size, joined like this
//! separator = ","
//! suffix = "]"
//! ```

mod values;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result, ensure};
use host::Host;
use host::dynamic::{ExportPath, imported_functions};
use host::wasmtime::component::types::ComponentFunc;
use host::wasmtime::component::{Component, Func, Instance, Type, Val};
use host::wasmtime::{AsContextMut, Store};
use serde::Deserialize;

use super::DECLARATIVE_FILE as FILE;
use super::stand_ins::{self, Unanswerable, is_wasi};
use crate::model::{Sizing, Stress};
use crate::status;
use crate::suite::{Phase, Stressor, Tally, Window};
use values::Rng;

/// `[stress]` in checks.toml.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Settings {
    /// Turns the generic stress off; the reason is printed on every check.
    off: Option<String>,
    /// Exports whose answers may differ between calls with the same arguments.
    #[serde(default)]
    stateful: Vec<String>,
    small_bytes: Option<usize>,
    large_bytes: Option<usize>,
    /// Other sizes for some builds.
    #[serde(default)]
    sizes: Vec<Sizes>,
    /// Exports the stress does not call, each with why.
    #[serde(default)]
    skip: Vec<Skip>,
    #[serde(default)]
    input: Vec<Input>,
}

/// `[[stress.skip]]`: an export the stress does not call (one that fails on purpose, say), and why.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Skip {
    call: String,
    reason: String,
}

/// `[[stress.sizes]]`: the sizes for the builds `builds` names (a build's name, or a prefix ending in `*`, as in
/// `[leave-out]`), and why they differ; the last entry naming a build wins.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Sizes {
    builds: String,
    small_bytes: Option<usize>,
    large_bytes: Option<usize>,
    reason: String,
}

/// The strings and byte lists an export is given, instead of made-up ones.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Input {
    call: String,
    /// A file beside checks.toml, repeated to the size.
    corpus: PathBuf,
    #[serde(default)]
    prefix: String,
    #[serde(default)]
    separator: String,
    #[serde(default)]
    suffix: String,
}

impl Settings {
    /// Whether checks.toml turns the stress off.
    pub fn is_off(&self) -> bool {
        self.off.is_some()
    }

    /// The files the stress reads (each input's corpus), relative to the component's directory: inputs of the
    /// check's key.
    pub fn files(&self) -> Vec<&Path> {
        self.input.iter().map(|i| i.corpus.as_path()).collect()
    }
}

/// The default sizes of what crosses per call, as the typed stresses use them.
const SMALL: usize = 64 * 1024;
const LARGE: usize = 1024 * 1024;

/// What the stress made of an artifact: its window tally, the linear-memory peak, how long it took.
pub struct Outcome {
    pub tally: Tally,
    pub peak: usize,
    pub time: std::time::Duration,
}

/// One export the stress calls.
struct Target {
    path: ExportPath,
    params: Vec<Type>,
    /// Compared between calls with the same arguments.
    pure: bool,
    /// The corpus its strings and byte lists take, if checks.toml gives one.
    input: Option<Grown>,
}

/// A corpus and how it is repeated.
struct Grown {
    corpus: String,
    prefix: String,
    separator: String,
    suffix: String,
}

impl Grown {
    /// The corpus repeated to about `budget` bytes (at least once).
    fn to(&self, budget: usize) -> String {
        let mut out = format!("{}{}", self.prefix, self.corpus);
        while out.len() + self.separator.len() + self.corpus.len() + self.suffix.len() <= budget {
            out.push_str(&self.separator);
            out.push_str(&self.corpus);
        }
        out.push_str(&self.suffix);
        out
    }
}

/// Runs the generic stress on `component` (compiled for `host`, the checks' host), as `stress` (already adjusted
/// to the variant) says; `None` when checks.toml turns it off or nothing can be called, which it says.
pub fn run(
    host: &Host,
    dir: &Path,
    settings: &Settings,
    component: &Component,
    label: &str,
    build: &str,
    stress: Stress,
) -> Result<Option<Outcome>> {
    let start = std::time::Instant::now();
    if let Some(reason) = &settings.off {
        ensure!(!reason.trim().is_empty(), "{FILE}: `[stress] off` needs a reason");
        status::step("Stress", format!("{label}: the generic stress is off: {reason}"));
        return Ok(None);
    }
    let mut sizes = [settings.small_bytes.unwrap_or(SMALL), settings.large_bytes.unwrap_or(LARGE)];
    let mut resized = None;
    for entry in &settings.sizes {
        ensure!(!entry.reason.trim().is_empty(), "{FILE}: `[[stress.sizes]]` for `{}` needs a reason", entry.builds);
        if crate::model::names_build(&entry.builds, build) {
            sizes = [entry.small_bytes.unwrap_or(sizes[0]), entry.large_bytes.unwrap_or(sizes[1])];
            resized = Some(entry.reason.trim());
        }
    }
    // Imports are answered in a host of their own, as declarative answers are.
    let answers = Arc::new(Mutex::new(Answers::default()));
    let imports = imported_functions(host, component);
    let own: Vec<_> = imports.iter().filter(|(p, _)| !p.interface.as_deref().is_some_and(is_wasi)).collect();
    let mut answering;
    // A component whose Go code calls no function of an imported interface still imports its resource types.
    let engine = host.engine().clone();
    let foreign = component.component_type().imports(&engine).any(|(name, _)| !is_wasi(name));
    let (host, component) = if !foreign {
        (host, component.clone())
    } else {
        answering = Host::new(host.config())?;
        let component = answering.adopt(component)?;
        // Those involving a handle get stand-ins first (which fail naming the import, see `declarative`), the
        // others made-up answers.
        let answerable: Vec<_> = own.iter().copied().filter(|(p, ty)| !involves_handle(p, ty)).collect();
        let paths: Vec<ExportPath> = answerable.iter().map(|(p, _)| p.clone()).collect();
        stand_ins::stub_resource_imports(&mut answering, &component, &paths)?;
        answer_imports(&mut answering, &answerable, &answers)?;
        (&answering, component)
    };

    let (mut store, mut instance) = instantiate(host, &component)?;
    let (mut targets, left_out) = plan(&mut store, &instance, &component, host, settings, dir)?;

    // A first call of each export with small values finds those that reach an import no one can answer; their
    // instance is then replaced.
    let mut unanswerable = Vec::new();
    let mut i = 0;
    while i < targets.len() {
        let target = &targets[i];
        let args = arguments(target, 1024, 0);
        match call(&mut store, &instance, target, &args, &answers) {
            Ok(_) => i += 1,
            Err(err) if err.downcast_ref::<Unanswerable>().is_some() => {
                let why = err.downcast_ref::<Unanswerable>().expect("just matched").0.clone();
                unanswerable.push(format!("{} ({why})", target.path));
                targets.remove(i);
                (store, instance) = instantiate(host, &component)?;
            }
            Err(err) => return Err(failed(&store, target, 1024, err)),
        }
    }
    let skipped: Vec<String> = left_out.into_iter().chain(unanswerable).collect();
    if targets.is_empty() {
        status::step(
            "Stress",
            format!("{label}: no export can be called with made-up values; not called: {}", skipped.join("; ")),
        );
        return Ok(None);
    }

    // The stress itself, on an instance of its own.
    let (mut store, instance) = instantiate(host, &component)?;
    let window = Window::of(&mut store, &instance)?;
    // Only an export's arguments are sure to cross: whether an export calls an import is its own affair.
    let crosses = targets.iter().any(|t| t.params.iter().any(values::carries_data));
    let sizing = if crosses { stress.sizing } else { Sizing::Fixed };
    let mut stressor = Stressor::new(&mut store, &window, sizing)?;
    let funcs: Vec<Func> =
        targets.iter().map(|t| host::dynamic::get_func(&mut store, &instance, &t.path)).collect::<Result<_>>()?;
    let mut peak = 0;
    // A phase may lower as many bytes as the typed stresses' phase of its default size: sizes set smaller get
    // more calls to reach the floor.
    let phases = [
        (sizes[0], stress.calls_64k * SMALL / sizes[0].max(1), 2),
        (sizes[1], stress.calls_1m * LARGE / sizes[1].max(1), 1),
    ];
    for (size, most, pairs) in phases {
        let n = targets.len();
        // Rounds go in pairs, the second repeating the first's arguments (the answers of a pure export are
        // compared), the next pair with other arguments; each export is called in at least two pairs with the
        // small size, in one with the large.
        let least = 2 * pairs * n;
        let phase = if crosses { Phase::sized(least, most.max(least)) } else { Phase::fixed(least, least) };
        let what = format!("{} {}", n_exports(n), bytes(size));
        let mut first: HashMap<usize, u64> = HashMap::new();
        // Linear memory after each call.
        let mut memory = Vec::new();
        {
            let mut answers = answers.lock().expect("not poisoned");
            answers.size = size;
            answers.answered = 0;
        }
        let calls = stressor.phase(&mut store, &what, phase, |store, call_index| {
            let (which, round) = (call_index % n, call_index / n);
            let target = &targets[which];
            let args = arguments(target, size, 1 + (round / 2) as u64);
            let results =
                call_func(store, &funcs[which], &args, &answers).map_err(|err| failed(store, target, size, err))?;
            if target.pure {
                let digest = values::digest(&results);
                if round % 2 == 0 {
                    first.insert(which, digest);
                }
                let was = first[&which];
                ensure!(
                    was == digest,
                    "`{}` answered the same {} arguments differently on two calls, and its WIT gives it no state \
                     to keep (no resource, no handle); if it keeps state in Go, list it under `[stress] stateful` \
                     in {FILE}",
                    target.path,
                    bytes(size)
                );
            }
            drop_handles(store, results)?;
            memory.push(store.data().memory().current());
            Ok(())
        })?;
        let answered = answers.lock().expect("not poisoned").answered;
        peak = peak.max(store.data().memory().peak());
        // From the middle of the phase to its end; what crossed in that half: its calls' arguments, and the import
        // answers of the whole phase in the same proportion.
        let half = calls / 2;
        if let (Some(&middle), Some(&end)) = (half.checked_sub(1).and_then(|i| memory.get(i)), memory.last()) {
            let after = calls - half;
            check_growth(middle, end, after * size + answered * after / calls.max(1), &what)?;
        }
    }
    let tally = stressor.finish();
    let compared = targets.iter().filter(|t| t.pure).count();
    let mut said = format!(
        "{label}: generic: {}; {} exports called, {compared} of them compared between calls",
        summary(&tally, crosses),
        targets.len()
    );
    if let Some(reason) = resized {
        said.push_str(&format!("; sizes set for {build} by {FILE}: {reason}"));
    }
    if !skipped.is_empty() {
        said.push_str(&format!("; not called: {}", skipped.join("; ")));
    }
    status::step("Stress", said);
    Ok(Some(Outcome { tally, peak, time: start.elapsed() }))
}

/// The stress's summary: the tally's, or for a world whose exports take no string or list, that nothing sizes
/// the stress by the window.
fn summary(tally: &Tally, crosses: bool) -> String {
    if crosses {
        return tally.summary();
    }
    let calls: usize = tally.phases.iter().map(|p| p.calls).sum();
    format!(
        "no export it can call takes a string or a list, so no argument crosses into `cabi_realloc` and nothing \
         sizes the stress by the guarded window: {calls} calls, {} {} on the way",
        tally.total(),
        tally.counts.what()
    )
}

fn n_exports(n: usize) -> String {
    if n == 1 { "1 export".to_string() } else { format!("{n} exports") }
}

fn bytes(n: usize) -> String {
    match n {
        n if n >= 1 << 20 && n % (1 << 20) == 0 => format!("{} MiB", n >> 20),
        n if n >= 1 << 10 && n % (1 << 10) == 0 => format!("{} KiB", n >> 10),
        n => format!("{n} bytes"),
    }
}

/// Linear memory that grew, from the middle of a phase to its end, by more than half of what crossed in between
/// (`crossed` bytes of arguments and import answers), more than it held at the middle (a heap that doubled once,
/// as TinyGo's does when it runs short, has not kept growing) and more than 64 MiB keeps what it is given: a
/// collector's heap settles within a few times what one call holds (the first half of a phase leaves it room to),
/// while a leak grows with every call. (A leak too slow for this is stopped by the host's memory cap, a trap.)
fn check_growth(settled: usize, now: usize, crossed: usize, what: &str) -> Result<()> {
    let grew = now.saturating_sub(settled);
    ensure!(
        grew <= (64 << 20).max(crossed / 2).max(settled),
        "{what}: linear memory kept growing: {} MiB at the middle of the phase, {} MiB at its end, {} MiB more \
         for the {} MiB of arguments and import answers that crossed in between",
        settled >> 20,
        now >> 20,
        grew >> 20,
        crossed >> 20
    );
    Ok(())
}

/// A store and an instance of `component` in `host`.
fn instantiate(host: &Host, component: &Component) -> Result<(Store<host::State>, Instance)> {
    let mut store = host.store();
    let instance = host.instantiate(&mut store, component)?;
    Ok((store, instance))
}

/// The exports the stress calls, and each one it does not, with why.
fn plan(
    store: &mut Store<host::State>,
    instance: &Instance,
    component: &Component,
    host: &Host,
    settings: &Settings,
    dir: &Path,
) -> Result<(Vec<Target>, Vec<String>)> {
    let exports = host::dynamic::exported_functions(host, component);
    let skips = settings.skip.iter().map(|s| &s.call);
    for name in settings.stateful.iter().chain(settings.input.iter().map(|i| &i.call)).chain(skips) {
        host::dynamic::resolve_export(host, component, name).with_context(|| format!("{FILE}: `[stress]`"))?;
    }
    for skip in &settings.skip {
        ensure!(!skip.reason.trim().is_empty(), "{FILE}: `[[stress.skip]]` of `{}` needs a reason", skip.call);
    }
    let named =
        |path: &ExportPath, name: &str| host::dynamic::resolve_export(host, component, name).is_ok_and(|p| p == *path);
    let mut targets = Vec::new();
    let mut left_out = Vec::new();
    for path in exports {
        if crate::model::evidence::is_added(&path.to_string()) {
            continue;
        }
        if let Some(skip) = settings.skip.iter().find(|s| named(&path, &s.call)) {
            left_out.push(format!("{path} (skipped by {FILE}: {})", skip.reason.trim()));
            continue;
        }
        let ty: ComponentFunc = host::dynamic::get_func(store, instance, &path)?.ty(&*store);
        let params: Vec<Type> = ty.params().map(|(_, t)| t).collect();
        if let Some(why) = params.iter().find_map(values::unmakeable) {
            let why = if path.function.starts_with("[method]") {
                "a resource's method, called on a handle only the component makes".to_string()
            } else {
                format!("it takes {why}")
            };
            left_out.push(format!("{path} ({why})"));
            continue;
        }
        let input = match settings.input.iter().find(|i| named(&path, &i.call)) {
            None => None,
            Some(input) => {
                let file = dir.join(&input.corpus);
                let corpus = std::fs::read_to_string(&file)
                    .with_context(|| format!("{FILE}: failed to read the corpus {}", file.display()))?;
                Some(Grown {
                    corpus,
                    prefix: input.prefix.clone(),
                    separator: input.separator.clone(),
                    suffix: input.suffix.clone(),
                })
            }
        };
        let stateful = settings.stateful.iter().any(|name| named(&path, name));
        let pure = !stateful && presumed_pure(&path, &ty);
        targets.push(Target { path, params, pure, input });
    }
    Ok((targets, left_out))
}

/// Whether the WIT leaves an export no state to keep, so the same arguments must get the same answer: it is not a
/// resource's constructor, method or static function, and nothing it takes or returns is a handle. (Go globals
/// can keep state all the same: checks.toml's `[stress] stateful` names such exports. Imports are answered the
/// same way for the same size, so a function that asks its host still gets the same answers.)
fn presumed_pure(path: &ExportPath, ty: &ComponentFunc) -> bool {
    !path.function.starts_with('[')
        && ty.params().all(|(_, t)| values::unmakeable(&t).is_none())
        && ty.results().all(|t| values::unmakeable(&t).is_none())
}

/// The arguments of one call: made up from the parameter types with `seed` (its `seed`-th growing parameter
/// carrying the size, see [`values::arguments`]), or for an export checks.toml gives a corpus, that corpus for
/// each of its strings and byte lists.
fn arguments(target: &Target, budget: usize, seed: u64) -> Vec<Val> {
    let mut rng = Rng::new(seed ^ fxhash(&target.path.to_string()));
    let mut args = values::arguments(&target.params, budget, seed as usize, &mut rng);
    if let Some(input) = &target.input {
        let text = input.to(budget / values::growing(&target.params).max(1));
        for (arg, ty) in args.iter_mut().zip(&target.params) {
            match ty {
                Type::String => *arg = Val::String(text.clone()),
                Type::List(list) if list.ty() == Type::U8 => {
                    *arg = Val::List(text.bytes().map(Val::U8).collect());
                }
                _ => {}
            }
        }
    }
    args
}

/// A stable hash of a name (the seed of an export's values does not change with the process).
fn fxhash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3))
}

/// Calls `target` on `instance`.
fn call(
    store: &mut Store<host::State>,
    instance: &Instance,
    target: &Target,
    args: &[Val],
    answers: &Mutex<Answers>,
) -> host::wasmtime::Result<Vec<Val>> {
    let func = host::dynamic::get_func(store, instance, &target.path).map_err(host::wasmtime::Error::msg)?;
    let results = call_func(store, &func, args, answers)?;
    drop_handles(store, results.clone()).map_err(host::wasmtime::Error::msg)?;
    Ok(results)
}

/// Calls `func` with `args`, its import answers starting again at the full size.
fn call_func(
    store: &mut Store<host::State>,
    func: &Func,
    args: &[Val],
    answers: &Mutex<Answers>,
) -> host::wasmtime::Result<Vec<Val>> {
    answers.lock().expect("not poisoned").calls = 0;
    let mut results = vec![Val::Bool(false); func.ty(&*store).results().len()];
    func.call(&mut *store, args, &mut results)?;
    Ok(results)
}

/// The error of a failed call, with the guest's own report (a Go panic) and what to do about it.
fn failed(store: &Store<host::State>, target: &Target, size: usize, err: host::wasmtime::Error) -> anyhow::Error {
    let made = if target.input.is_some() { "its corpus from checks.toml" } else { "made-up arguments" };
    host::explain(store, &format!("call to `{}`", target.path), err).context(format!(
        "the generic stress called `{}` with {made} of {} and it failed; if such values are not valid input, give \
         it a corpus (`[[stress.input]]` in {FILE}), or turn the stress off with a reason (`[stress] off`)",
        target.path,
        bytes(size)
    ))
}

/// Drops the handles an export returned (a constructor's, say), so that a stress of many calls does not fill the
/// instance's resource table.
fn drop_handles(store: &mut Store<host::State>, results: Vec<Val>) -> Result<()> {
    fn walk(store: &mut Store<host::State>, value: Val) -> Result<()> {
        match value {
            Val::Resource(handle) if handle.owned() => {
                handle.resource_drop(store.as_context_mut()).map_err(anyhow::Error::from)?;
            }
            Val::List(vs) | Val::Tuple(vs) | Val::FixedLengthList(vs) => {
                for v in vs {
                    walk(store, v)?;
                }
            }
            Val::Record(fields) => {
                for (_, v) in fields {
                    walk(store, v)?;
                }
            }
            Val::Variant(_, Some(v)) | Val::Option(Some(v)) | Val::Result(Ok(Some(v)) | Err(Some(v))) => {
                walk(store, *v)?;
            }
            _ => {}
        }
        Ok(())
    }
    for value in results {
        walk(store, value)?;
    }
    Ok(())
}

/// How the component's own imports are answered now: values of the result type made up for the phase's size, the
/// n-th import call of an export call taking 1/2ⁿ of it (so what an export's import calls bring in stays within
/// twice the size, however many it makes), each the same on every call.
#[derive(Default)]
struct Answers {
    size: usize,
    calls: u32,
    made: HashMap<(usize, usize), Vec<Val>>,
    /// The bytes the answers were made for, over the stress (what crossed into the guest by import results).
    answered: usize,
}

/// Whether an import is a resource's function or takes or returns a handle (or anything else no one can make up).
fn involves_handle(path: &ExportPath, ty: &ComponentFunc) -> bool {
    path.function.starts_with('[')
        || ty.params().any(|(_, t)| values::unmakeable(&t).is_some())
        || ty.results().any(|t| values::unmakeable(&t).is_some())
}

/// Defines each of `imports` in `host`'s linker, answering with made-up values ([`Answers`]).
fn answer_imports(
    host: &mut Host,
    imports: &[&(ExportPath, ComponentFunc)],
    answers: &Arc<Mutex<Answers>>,
) -> Result<()> {
    for (index, (path, ty)) in imports.iter().enumerate() {
        let results: Vec<Type> = ty.results().collect();
        let answers = Arc::clone(answers);
        let answer =
            move |_: host::wasmtime::StoreContextMut<'_, host::State>, _: ComponentFunc, _: &[Val], out: &mut [Val]| {
                let mut answers = answers.lock().expect("not poisoned");
                let budget = (answers.size >> (answers.calls + 1).min(24)).max(16);
                answers.calls += 1;
                answers.answered += budget;
                let made = answers.made.entry((index, budget)).or_insert_with(|| {
                    values::make_all(&results, budget, &mut Rng::new(0x5EED ^ index as u64 ^ budget as u64))
                });
                out.clone_from_slice(made);
                Ok(())
            };
        let linker = host.linker_mut();
        let done = match &path.interface {
            None => linker.root().func_new(&path.function, answer),
            Some(iface) => linker.instance(iface).and_then(|mut i| i.func_new(&path.function, answer)),
        };
        done.map_err(anyhow::Error::from).with_context(|| format!("failed to define the import `{path}`"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_corpus_grows_to_the_size_and_stays_well_formed() {
        let grown = Grown { corpus: "{\"a\":1}".into(), prefix: "[".into(), separator: ",".into(), suffix: "]".into() };
        let text = grown.to(100);
        assert!(text.len() <= 100 && text.len() > 90, "{}", text.len());
        assert!(text.starts_with("[{") && text.ends_with("}]") && !text.contains(",]"), "{text}");
        assert_eq!(grown.to(3), "[{\"a\":1}]", "at least one copy");
    }

    #[test]
    fn memory_that_keeps_growing_fails_and_a_settled_heap_passes() {
        assert!(check_growth(40 << 20, 100 << 20, 20 * LARGE, "p").is_ok(), "grew by less than 64 MiB");
        assert!(check_growth(70 << 20, 140 << 20, 20 * LARGE, "p").is_ok(), "a heap that doubled once");
        let err = check_growth(40 << 20, 200 << 20, 200 * LARGE, "p").unwrap_err().to_string();
        assert!(err.contains("kept growing: 40 MiB at the middle of the phase, 200 MiB at its end"), "{err}");
        assert!(check_growth(40 << 20, 200 << 20, 400 * LARGE, "p").is_ok(), "within half of what crossed");
    }
}
