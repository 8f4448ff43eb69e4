//! The check stage: runs one component in the real wasmtime host — its typed suite, if its component.toml names
//! one (a crate of Rust checks beside its Go code, run as a process of its own: [`typed`]), the declarative cases
//! of its checks.toml ([`declarative`]), then the generic stress every component gets from its WIT alone
//! (`generic`, unless checks.toml turns it off with a reason). It compiles the component file once for all three,
//! writes nothing that outlives the check, and returns what the stresses measured; the scheduler records it.

mod declarative;
mod generic;
mod stand_ins;
pub mod typed;

#[cfg(test)]
mod tests;

pub use declarative::{FILE as DECLARATIVE_FILE, probe_call};
pub use generic::Outcome as Generic;

use std::cell::OnceCell;
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use host::Host;
use host::wasmtime::component::Component as Compiled;

use crate::model::{Component, Stress, Variant};
use crate::status;
use crate::suite::{self, Request, Seed, Verdict};

/// One artifact to check, and how hard.
pub struct Target<'a> {
    /// The component file.
    pub path: &'a Path,
    pub component: &'a Component,
    pub variant: &'a Variant,
    /// The stress as a plain check runs it (`Stress::FULL`) or as `check --stress-*` asks; adjusted to the
    /// variant here.
    pub stress: Stress,
    /// The artifact of the same program whose stress passed in this run (see `suite::Subject::stressed_as`).
    pub stressed_as: Option<&'a str>,
}

impl Target<'_> {
    /// `<component> <variant>`.
    pub fn label(&self) -> String {
        format!("{} {}", self.component.name, self.variant.name())
    }
}

/// Checks one artifact in `host` (the checks' host, `suite::check_config`): the typed suite (`suite`: its built
/// binary, when the component has one), the declarative cases of the component's checks.toml (under `root`), then
/// the generic stress. The error names the component, the variant and what failed.
pub fn check_component(host: &Host, root: &Path, suite: Option<&Path>, target: &Target) -> Result<Checked> {
    let start = Instant::now();
    let label = target.label();
    status::step("Checking", &label);
    let what = || format!("check failed for {label} ({})", target.path.display());
    // Compiled once, by whichever part needs it first: the typed suite loads it precompiled, the cases share it.
    let compiled: OnceCell<Compiled> = OnceCell::new();
    let component = || -> Result<Compiled> {
        if let Some(compiled) = compiled.get() {
            return Ok(compiled.clone());
        }
        let loaded = host.load(target.path)?;
        Ok(compiled.get_or_init(|| loaded).clone())
    };
    let verdict = match suite {
        Some(binary) => {
            let request = Request {
                stress: target.stress.for_variant(target.variant),
                stressed_as: target.stressed_as.map(str::to_string),
                seed: host.config().random_seed.map_or(Seed::Entropy, Seed::Fixed),
                ..Request::new(target.path, target.variant, &label)
            };
            let verdict = typed::run(binary, &request, &component()?).with_context(what)?;
            let suite = target.component.suite.as_deref().unwrap_or(binary);
            status::step("Typed", format!("{label}: the checks of {} pass", suite.display()));
            verdict
        }
        None => Verdict::default(),
    };
    let dir = root.join(&target.component.dir);
    let cases = declarative::run(host, &dir, &component, &label, suite.is_none()).with_context(what)?;
    let settings = declarative::stress_settings(&dir).with_context(what)?;
    let generic = match target.stressed_as.filter(|_| !settings.is_off()) {
        Some(other) => {
            status::step("Stress", format!("{label}: generic: not repeated: the same program as {other}"));
            None
        }
        None => {
            let stress = target.stress.for_variant(target.variant);
            let build = target.variant.build.name;
            generic::run(host, &dir, &settings, &component()?, &label, build, stress).with_context(what)?
        }
    };
    if suite.is_none() && cases == 0 && generic.is_none() && target.stressed_as.is_none() {
        status::warn(format!(
            "{}: no typed suite, no cases in {} and no generic stress: only instantiation was checked",
            target.component.name,
            declarative::FILE
        ));
    }

    status::step("Checked", format!("{label} in {}", status::elapsed(start.elapsed())));
    Ok(Checked { verdict, generic })
}

/// The files of a component's checks.toml that its check reads besides it (the generic stress's corpora),
/// relative to the component's directory: inputs of the check's key.
pub fn check_inputs(component_dir: &Path) -> Result<Vec<std::path::PathBuf>> {
    let settings = declarative::stress_settings(component_dir)?;
    Ok(settings.files().into_iter().map(Path::to_path_buf).collect())
}

/// What a passing check measured: the typed suite's verdict (the default without a suite) and the generic
/// stress's outcome (none where it is off or repeated by `stressed_as`).
pub struct Checked {
    pub verdict: Verdict,
    pub generic: Option<Generic>,
}

/// `check --repeat`: run each check several times, ignoring the stamps of earlier passes.
#[derive(Debug, Clone, Copy)]
pub struct Repeat {
    pub runs: usize,
    /// The guest's randomness from the system's entropy instead of the seeds 1..=runs.
    pub entropy: bool,
}

/// Runs one artifact's check `repeat.runs` times, each in a host of its own (seed `run`, or entropy), goes on
/// after a failure, and prints the distribution of the stress's memory peak; fails if any run failed.
pub fn check_repeatedly(root: &Path, suite: Option<&Path>, target: &Target, repeat: Repeat) -> Result<()> {
    let label = target.label();
    let mut peaks = std::collections::BTreeMap::<usize, usize>::new();
    let mut failures = Vec::new();
    for run in 1..=repeat.runs {
        let seed = (!repeat.entropy).then_some(run as u64);
        let host = Host::new(&suite::check_config(seed))?;
        let what = seed.map_or("entropy".to_string(), |s| format!("seed {s}"));
        match check_component(&host, root, suite, target) {
            Ok(checked) => {
                if let Some(peak) = checked.verdict.stress_peak {
                    *peaks.entry(peak).or_default() += 1;
                }
                status::step("Run", format!("{label} {run}/{} ({what}): passed", repeat.runs));
            }
            Err(err) => {
                status::step("Run", format!("{label} {run}/{} ({what}): FAILED: {err:#}", repeat.runs));
                failures.push(format!("run {run} ({what}): {err:#}"));
            }
        }
    }
    let spread: Vec<String> =
        peaks.iter().map(|(peak, n)| format!("{:.1} MiB × {n}", *peak as f64 / (1 << 20) as f64)).collect();
    status::step(
        "Repeated",
        format!(
            "{label}: {} runs, {} failed; stress memory peak: {}",
            repeat.runs,
            failures.len(),
            if spread.is_empty() { "-".to_string() } else { spread.join(", ") }
        ),
    );
    anyhow::ensure!(
        failures.is_empty(),
        "{label} failed {} of {} runs:\n{}",
        failures.len(),
        repeat.runs,
        failures.join("\n")
    );
    Ok(())
}
