//! Declarative checks: `go/<name>/checks.toml` lists calls written in WAVE with the result each must return (as
//! `host call` prints it) or a text its error must contain. `check` runs them on every variant, through the
//! host's Sandbox, so a user checks a component without writing Rust.

use std::path::Path;

use anyhow::{Context, Result, bail, ensure};
use host::{Host, Sandbox};
use serde::Deserialize;

use crate::status;

/// The file name, inside the component's directory.
pub const FILE: &str = "checks.toml";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Checks {
    #[serde(rename = "case")]
    cases: Vec<Case>,
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
    Ok(Some(checks))
}

/// The first case expected to succeed: the call `bench` makes to time a component's first result.
pub fn probe_call(component_dir: &Path) -> Result<Option<String>> {
    Ok(load(component_dir)?.and_then(|c| c.cases.into_iter().find(|c| c.expect.is_some())).map(|c| c.call))
}

/// Runs the component's declarative cases on `component_path`; returns how many ran.
pub fn run(host: &Host, component_dir: &Path, component_path: &Path, label: &str) -> Result<usize> {
    let Some(checks) = load(component_dir)? else { return Ok(0) };
    let mut sandbox = Sandbox::new(host, host.load(component_path)?);
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
