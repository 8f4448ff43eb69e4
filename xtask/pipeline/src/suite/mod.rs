//! The API of a typed check suite: a component's own crate of Rust checks (`suite = "<dir>"` in its
//! component.toml, e.g. go/hasher/suite), which the check stage builds with cargo and runs against each artifact,
//! as `cargo test` runs a test crate. A suite is a binary whose `main` is [`main`]`(check)`: it is given a
//! [`Subject`] — the artifact compiled for the checks' host, its variant, how hard to stress it — and returns a
//! [`Verdict`] or an error saying what failed. [`Window`] and [`Stressor`] size a stress by the evidence the
//! hardened component counts; [`pseudo_random`] and [`json_document`] make deterministic inputs.
//!
//! The suite runs in a process of its own, so a suite (or the WIT its `bindgen!` reads) that does not compile
//! fails that component's check, never the build of the pipeline. What passes between the two is a [`Request`]
//! on the command line and an [`Outcome`] in a file.

mod data;
mod request;
mod stressor;
mod window;

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use host::wasmtime::component::Component;
use host::{Host, HostConfig};
use serde::{Deserialize, Serialize};

use crate::model::{Stress, Variant};
use crate::status;

pub use data::{json_document, pseudo_random};
pub use request::{Outcome, Request, Seed};
pub use stressor::{Phase, PhaseTally, Stressor, Tally};
pub use window::{COLLECT_EVERY, Counts, Window, instantiate};

/// The guest's randomness in every check (`HostConfig::random_seed`). TinyGo's collector scans the stack and
/// globals conservatively, so which dead objects it keeps — and whether its heap doubles — depends on where the
/// guest's allocations land, which its random map seeds decide; with the seed fixed, one artifact behaves the
/// same way on every run and a check's verdict is a property of the bytes, not of luck. `check --repeat N`
/// measures the spread over other seeds (docs/design/tinygo.md).
pub const CHECK_SEED: u64 = 0x60_7A_53;

/// How much compiled code the checks' host keeps for the next variant (`HostConfig::compile_cache`): a few
/// components' worth (a big-Go component is about 30,000 functions).
pub const COMPILE_CACHE_BYTES: usize = 1 << 30;

/// The host configuration every check runs in, in the pipeline and in a suite's process alike (a component
/// compiled by one is loaded by the other): the defaults, with the guest's randomness seeded by `seed`, and
/// compiling through a function-level cache, since a variant shares most of its functions with the variants
/// checked before it (the code wasmtime runs is the same as without the cache).
///
/// With `GOWASM_PERFMAP=1` in the environment the checks' guest code is named for `perf`
/// (`HostConfig::profiler`: `/tmp/perf-<pid>.map`), for `perf record -- cargo xtask check …`.
pub fn check_config(seed: Option<u64>) -> HostConfig {
    let perfmap = std::env::var_os("GOWASM_PERFMAP").is_some_and(|v| v == "1");
    HostConfig {
        random_seed: seed,
        compile_cache: Some(host::CompileCache::new(COMPILE_CACHE_BYTES)),
        profiler: if perfmap { host::Profiler::PerfMap } else { host::Profiler::None },
        ..HostConfig::default()
    }
}

/// One artifact a suite checks.
pub struct Subject<'a> {
    /// The checks' host ([`check_config`], seeded as the request says).
    pub host: &'a Host,
    /// The component file.
    pub path: &'a Path,
    /// `<component> <variant>`, for status lines and errors.
    pub label: &'a str,
    pub variant: &'a Variant,
    /// How hard the stress pushes, already adjusted to the variant (`Stress::for_variant`).
    pub stress: Stress,
    /// `Some(label)`: this artifact's program is byte for byte that of `label` (a `strip` variant: its raw
    /// module without the custom sections, which no instruction can read), whose stress passed in this run; the
    /// stress is not run again ([`Subject::stress`]), everything before it is.
    pub stressed_as: Option<&'a str>,
    compiled: Component,
}

impl Subject<'_> {
    /// The component compiled for [`Subject::host`].
    pub fn component(&self) -> &Component {
        &self.compiled
    }

    /// The suite's stress: `run()`, unless the same program's stress already passed ([`Subject::stressed_as`]);
    /// then nothing is measured (`Verdict::default()`) and the pipeline records that one's count.
    pub fn stress(&self, run: impl FnOnce() -> Result<Verdict>) -> Result<Verdict> {
        match self.stressed_as {
            Some(other) => {
                status::step(
                    "Stress",
                    format!(
                        "{}: not repeated: the same program as {other} (only custom sections removed), whose stress \
                         passed",
                        self.label
                    ),
                );
                Ok(Verdict::default())
            }
            None => run(),
        }
    }
}

/// What a passing check measured.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// The linear-memory peak of the suite's stress, for suites that have one.
    pub stress_peak: Option<usize>,
    /// What the stress saw of the guarded window, for suites that have one.
    pub window: Option<Tally>,
    /// How long the stress took.
    pub stress_time: Option<Duration>,
}

/// A suite's check of one artifact: the error says what failed.
pub type Check = fn(&Subject) -> Result<Verdict>;

/// The `main` of a suite binary: reads the [`Request`] from the command line, runs `check` on it and writes the
/// [`Outcome`] where the request says (the pipeline reads it back); a person runs the same binary by hand with
/// just the component file. Exit status 0 when the check passed, 1 when it failed, 2 for a bad command line.
pub fn main(check: Check) -> ExitCode {
    let request = match Request::from_args(std::env::args_os().skip(1)) {
        Ok(request) => request,
        Err(err) => {
            status::error(&err);
            eprintln!("\n{}", Request::USAGE);
            return ExitCode::from(2);
        }
    };
    let result = run(&request, check);
    let outcome = match &result {
        Ok(verdict) => Outcome::Passed(verdict.clone()),
        Err(err) => Outcome::Failed(err.chain().map(|cause| cause.to_string()).collect()),
    };
    if let Some(path) = &request.outcome
        && let Err(err) = outcome.write(path)
    {
        status::error(&err);
        return ExitCode::FAILURE;
    }
    match result {
        Ok(_) => ExitCode::SUCCESS,
        Err(err) => {
            // The pipeline reports the outcome's error itself, with what it was checking.
            if request.outcome.is_none() {
                status::error(&err);
            }
            ExitCode::FAILURE
        }
    }
}

/// Loads the subject as the request says and runs `check` on it.
fn run(request: &Request, check: Check) -> Result<Verdict> {
    let host = Host::new(&check_config(request.seed.fixed()))?;
    let compiled = match &request.precompiled {
        // SAFETY: the check stage wrote this file with `Component::serialize` for an engine of the same
        // configuration (`check_config`) just before starting this process, and removes it when the process ends;
        // wasmtime still refuses bytes compiled for another configuration.
        Some(path) => unsafe { Component::deserialize_file(host.engine(), path) }
            .map_err(anyhow::Error::from)
            .with_context(|| format!("failed to load the precompiled component {}", path.display()))?,
        None => host.load(&request.component)?,
    };
    let subject = Subject {
        host: &host,
        path: &request.component,
        label: &request.label,
        variant: &request.variant,
        stress: request.stress,
        stressed_as: request.stressed_as.as_deref(),
        compiled,
    };
    check(&subject)
}
