//! Declarative checks: `go/<name>/checks.toml` lists calls written in WAVE with the result each must return (as
//! `host call` prints it) or a text its error must contain, and, for a world with imports, how the host answers
//! each import call (`[[answer]]`: the import, optionally its exact arguments, and the WAVE result it returns or
//! the error it fails with). `check` runs them on every variant, through the host's Sandbox, so a user checks a
//! component without writing Rust.

use std::path::Path;

use anyhow::{Context, Result, anyhow, bail, ensure};
use host::dynamic::{ExportPath, imported_functions};
use host::wasmtime::component::types::ComponentFunc;
use host::wasmtime::component::wasm_wave::{self, untyped::UntypedFuncCall};
use host::wasmtime::component::{Component, Val};
use host::{Host, Sandbox};
use serde::Deserialize;

use super::stand_ins::{is_wasi, stub_resource_imports};
use crate::status;

/// The file name, inside the component's directory.
pub const FILE: &str = "checks.toml";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Checks {
    #[serde(rename = "case", default)]
    cases: Vec<Case>,
    /// How the host answers the component's imports.
    #[serde(rename = "answer", default)]
    answers: Vec<Answer>,
    /// The generic stress's settings.
    #[serde(default)]
    stress: super::generic::Settings,
}

/// How the host answers calls of one import: `call` is the import's name (`write`, `log#write` or
/// `gowasm:indexer/log@0.1.0#write`), alone to answer every call, or with its arguments in WAVE
/// (`store#get("a")`) to answer only that call; the first answer that matches a call gives its result.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Answer {
    call: String,
    /// The result in WAVE (omitted for a function without one).
    returns: Option<String>,
    /// Fail the import call with this message instead (the guest's call then traps: a host error).
    error: Option<String>,
}

/// One call and what it must give.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    /// The call in WAVE: `compute-hash([1, 2, 3])`.
    call: String,
    /// The results, as WAVE text exactly as `host call` prints them (several results joined by newlines).
    expect: Option<String>,
    /// Text the error must contain: the call must fail.
    error: Option<String>,
}

/// Reads a component's cases; `None` when it has no checks.toml.
fn load(component_dir: &Path) -> Result<Option<Checks>> {
    let path = component_dir.join(FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        // An unreadable checks.toml must fail the check, not pass it with no cases.
        Err(err) => return Err(err).with_context(|| format!("failed to read {}", path.display())),
    };
    let checks: Checks = toml::from_str(&text).with_context(|| format!("invalid {}", path.display()))?;
    for (i, case) in checks.cases.iter().enumerate() {
        if case.expect.is_some() == case.error.is_some() {
            bail!("{}: case #{} (`{}`) needs exactly one of `expect` and `error`", path.display(), i + 1, case.call);
        }
    }
    for (i, answer) in checks.answers.iter().enumerate() {
        if answer.returns.is_some() && answer.error.is_some() {
            bail!("{}: answer #{} (`{}`) has both `returns` and `error`", path.display(), i + 1, answer.call);
        }
    }
    Ok(Some(checks))
}

/// The generic stress's settings (`[stress]`; the defaults without checks.toml).
pub fn stress_settings(component_dir: &Path) -> Result<super::generic::Settings> {
    Ok(load(component_dir)?.map(|c| c.stress).unwrap_or_default())
}

/// The first case expected to succeed: the call `bench` makes to time a component's first result.
pub fn probe_call(component_dir: &Path) -> Result<Option<String>> {
    Ok(load(component_dir)?.and_then(|c| c.cases.into_iter().find(|c| c.expect.is_some())).map(|c| c.call))
}

/// Runs the component's declarative cases on the component `compiled` gives (compiled for `host`); returns how
/// many ran. With `instantiate` and no case, it only instantiates the component (in the host its answers make,
/// if any).
pub fn run(
    host: &Host,
    component_dir: &Path,
    compiled: &dyn Fn() -> Result<Component>,
    label: &str,
    instantiate: bool,
) -> Result<usize> {
    let checks = load(component_dir)?.unwrap_or_default();
    // With answers, the cases run in a host of their own whose linker gives them; its engine is the same
    // configuration's, so the compiled component moves to it serialized instead of being compiled again.
    let mut answering;
    let (host, component) = if checks.answers.is_empty() {
        (host, compiled()?)
    } else {
        answering = Host::new(host.config())?;
        let component = answering.adopt(&compiled()?)?;
        define_answers(&mut answering, &component, &checks.answers)?;
        (&answering, component)
    };
    let mut sandbox = Sandbox::new(host, component);
    if checks.cases.is_empty() {
        if instantiate {
            sandbox.instance()?;
        }
        return Ok(0);
    }
    for (i, case) in checks.cases.iter().enumerate() {
        let what = || format!("{FILE} case #{} `{}`", i + 1, case.call);
        let result = sandbox.call(&case.call);
        match (&case.expect, &case.error) {
            (Some(want), _) => {
                let got = result.with_context(what)?.join("\n");
                ensure!(got == want.trim(), "{}: returned `{got}`, expected `{}`", what(), want.trim());
            }
            (None, Some(want)) => match result {
                Ok(results) => bail!("{}: returned `{}` instead of failing with `{want}`", what(), results.join(", ")),
                Err(err) => {
                    let text = format!("{err:#}");
                    ensure!(text.contains(want.as_str()), "{}: failed without `{want}` in its error: {err}", what());
                }
            },
            (None, None) => unreachable!("load() checked that every case has an expectation"),
        }
    }
    status::step("Cases", format!("{label}: {} declarative cases from {FILE} pass", checks.cases.len()));
    Ok(checks.cases.len())
}

/// One answer, parsed against its import's signature.
struct Parsed {
    /// The arguments it answers (`None`: any).
    args: Option<Vec<Val>>,
    outcome: std::result::Result<Vec<Val>, String>,
}

/// Defines in `host`'s linker every import of `component` that an answer names, answering from the answers; an
/// answer that does not match its import's signature is an error. Imports no answer names are left to the
/// linker (WASI), and linking names those it lacks.
fn define_answers(host: &mut Host, component: &Component, answers: &[Answer]) -> Result<()> {
    let imports = imported_functions(host, component);
    let mut by_import: Vec<(ExportPath, ComponentFunc, Vec<Parsed>)> = Vec::new();
    for (i, answer) in answers.iter().enumerate() {
        let what = || format!("{FILE} answer #{} `{}`", i + 1, answer.call);
        // An answer for an import this build lacks is not used: Go's linker drops imports the code never calls
        // (a scaffold's stubs call none). A misspelt name leaves the real import unanswered, and linking names it.
        let Some((path, ty, parsed)) = parse_answer(&imports, answer).with_context(what)? else { continue };
        match by_import.iter_mut().find(|(p, _, _)| *p == path) {
            Some((_, _, list)) => list.push(parsed),
            None => by_import.push((path, ty, vec![parsed])),
        }
    }
    let answered: Vec<ExportPath> = by_import.iter().map(|(p, _, _)| p.clone()).collect();
    stub_resource_imports(host, component, &answered)?;
    for (path, _ty, parsed) in by_import {
        let name = path.to_string();
        let answer = move |_: host::wasmtime::StoreContextMut<'_, host::State>,
                           _: ComponentFunc,
                           params: &[Val],
                           results: &mut [Val]| {
            let found = parsed.iter().find(|p| p.args.as_deref().is_none_or(|args| args == params));
            let Some(found) = found else {
                let args: Vec<String> = params.iter().map(|v| wasm_wave::to_string(v).unwrap_or_default()).collect();
                let message = format!("{FILE} has no answer for the import call `{name}({})`", args.join(", "));
                return Err(host::wasmtime::Error::msg(message));
            };
            match &found.outcome {
                Ok(values) => {
                    results.clone_from_slice(values);
                    Ok(())
                }
                Err(message) => Err(host::wasmtime::Error::msg(format!("import `{name}` failed: {message}"))),
            }
        };
        let linker = host.linker_mut();
        let defined = match &path.interface {
            None => linker.root().func_new(&path.function, answer),
            Some(iface) => linker.instance(iface).and_then(|mut i| i.func_new(&path.function, answer)),
        };
        defined.map_err(anyhow::Error::from).with_context(|| format!("failed to define the import `{path}`"))?;
    }
    Ok(())
}

/// Finds the import an answer names and parses its arguments and result; `None` when the component does not
/// import it.
fn parse_answer(
    imports: &[(ExportPath, ComponentFunc)],
    answer: &Answer,
) -> Result<Option<(ExportPath, ComponentFunc, Parsed)>> {
    let text = answer.call.trim();
    let (qualifier, rest) = match text.find('(').map_or(text, |open| &text[..open]).rfind('#') {
        Some(hash) => (Some(&text[..hash]), &text[hash + 1..]),
        None => (None, text),
    };
    let (name, call) = match rest.find('(') {
        Some(open) => (rest[..open].trim(), Some(rest)),
        None => (rest, None),
    };
    let short =
        |iface: &str| iface.rsplit_once('/').map_or(iface, |(_, n)| n).split('@').next().unwrap_or(iface).to_string();
    let matches: Vec<_> = imports
        .iter()
        .filter(|(p, _)| {
            p.function == name
                && match (qualifier, &p.interface) {
                    (None, _) => true,
                    (Some(q), Some(iface)) => q == iface || q == short(iface),
                    (Some(_), None) => false,
                }
        })
        .collect();
    // A bare name is the world-level import of that name if there is one, else the one non-WASI import of it
    // (WASI is the host's: `now` must not clash with the clocks').
    let preferred: Vec<_> = match qualifier {
        Some(_) => matches.clone(),
        None => {
            let world: Vec<_> = matches.iter().copied().filter(|(p, _)| p.interface.is_none()).collect();
            if world.is_empty() {
                matches.iter().copied().filter(|(p, _)| !p.interface.as_deref().is_some_and(is_wasi)).collect()
            } else {
                world
            }
        }
    };
    let (path, ty) = match preferred.as_slice() {
        [one] => (*one).clone(),
        [] if matches.is_empty() => return Ok(None),
        [] => bail!("`{name}` names only WASI imports, which the host provides: answer your world's own imports"),
        _ => {
            let all: Vec<String> = matches.iter().map(|(p, _)| p.to_string()).collect();
            bail!("`{name}` is ambiguous: name one of {}", all.join(", "))
        }
    };
    let args = match call {
        None => None,
        Some(call) => {
            let parsed = UntypedFuncCall::parse(call).map_err(|e| anyhow!("invalid WAVE call `{call}`: {e}"))?;
            let types: Vec<_> = ty.params().map(|(_, t)| t).collect();
            let values = parsed
                .to_wasm_params::<Val>(types.iter())
                .map_err(|e| anyhow!("the arguments do not match the signature of `{path}`: {e}"))?;
            Some(values)
        }
    };
    let results: Vec<_> = ty.results().collect();
    let outcome = match (&answer.error, &answer.returns, results.as_slice()) {
        (Some(message), _, _) => Err(message.clone()),
        (None, None, []) => Ok(Vec::new()),
        (None, None, [_]) => bail!("`{path}` returns a value: say which with `returns`"),
        (None, Some(_), []) => bail!("`{path}` returns nothing: drop `returns`"),
        (None, Some(text), [ty]) => {
            let value = wasm_wave::from_str::<Val>(ty, text)
                .map_err(|e| anyhow!("`returns = {text:?}` is not a value of the result type of `{path}`: {e}"))?;
            Ok(vec![value])
        }
        (None, _, _) => bail!("`{path}` has several results, which WIT no longer allows"),
    };
    Ok(Some((path, ty, Parsed { args, outcome })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_case_needs_exactly_one_expectation() {
        let dir = std::env::temp_dir().join(format!("xtask-checks-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(FILE), "[[case]]\ncall = \"f()\"\n").unwrap();
        let err = load(&dir).unwrap_err().to_string();
        std::fs::write(dir.join(FILE), "[[case]]\ncall = \"f()\"\nexpcet = \"1\"\n").unwrap();
        let typo = format!("{:#}", load(&dir).unwrap_err());
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(err.contains("case #1 (`f()`) needs exactly one of `expect` and `error`"), "{err}");
        assert!(typo.contains("unknown field `expcet`"), "{typo}");
    }
}
