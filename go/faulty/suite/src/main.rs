//! The faulty component's typed checks: every kind of guest fault is stopped within its bound, the error names the export
//! and the cause, and the next call is served correctly by a fresh instance (the host's fault policy).

mod runtime_state;

use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use host::{Host, HostConfig, Sandbox};
use pipeline::status;
use pipeline::suite::{Subject, Verdict};
use wasmtime::component::Component;

fn main() -> ExitCode {
    pipeline::suite::main(check)
}

/// Faults are provoked in hosts of their own, with tight limits; the probes ask whether instances draw different
/// randomness, so they need the system's entropy, not the checks' seed.
fn check(subject: &Subject) -> Result<Verdict> {
    let tinygo = subject.variant.build.tinygo.is_some();
    // Compiled once for the checks' host; the hosts below with the same engine configuration adopt it.
    let compiled = subject.component();
    run(compiled, subject, tinygo)?;
    let entropy = Host::new(&HostConfig::default())?;
    runtime_state::run(&entropy, &entropy.adopt(compiled)?, subject.label, subject.variant.post, tinygo)?;
    Ok(Verdict::default())
}

/// Tight limits so each fault is reached quickly: the endless loop's deadline (epochs tick every 10 ms).
const TIMEOUT: Duration = Duration::from_millis(250);
/// How long after its deadline the endless loop may still be running when the host stops it: far more than a
/// tick, for a loaded machine whose ticker thread waits for a core.
const DEADLINE_SLACK: Duration = Duration::from_secs(2);
/// The deadline of the other faults' host: far beyond their bounds below (TinyGo needs about a second to fill
/// 256 MiB in `hog`: it zeroes every block and collects before each heap doubling).
const ROOMY_TIMEOUT: Duration = Duration::from_secs(120);
const MEMORY: usize = 256 << 20;
/// Fuel per call for the fuel case: far more than any healthy call here needs (instantiation included).
const FUEL: u64 = 500_000_000;

/// `tinygo`: the component was compiled by TinyGo, which reports some faults differently (documented in
/// docs/design/tinygo.md): an exhausted heap is a runtime-error panic (`panic: runtime error: out of memory`, on
/// stdout, which the host reads too), a panic prints no goroutine trace, and LLVM turns `Recurse` into a loop.
fn run(compiled: &Component, subject: &Subject, tinygo: bool) -> Result<()> {
    let label = subject.label;
    // The endless loop gets the tight deadline; every other fault must be stopped by its own limit, so it runs
    // under a deadline it never reaches even on a loaded machine.
    let tight =
        Host::new(&HostConfig { call_timeout: Some(TIMEOUT), max_memory_bytes: MEMORY, ..HostConfig::default() })?;
    let roomy = Host::new(&HostConfig {
        call_timeout: Some(ROOMY_TIMEOUT),
        max_memory_bytes: MEMORY,
        ..HostConfig::default()
    })?;
    let spin_error = format!("call to `spin` failed: interrupted: it ran past the {TIMEOUT:?} call deadline");
    let deadline = [spin_error.as_str()];
    let mut spin_sandbox = Sandbox::new(&tight, tight.adopt(compiled)?);
    let mut sandbox = Sandbox::new(&roomy, roomy.adopt(compiled)?);
    expect_value(&mut spin_sandbox, "echo(7)", "7")?;
    expect_value(&mut sandbox, "echo(7)", "7")?;

    if tinygo {
        // LLVM turns `Recurse` (return Recurse(depth-1) + 1) into a loop: under TinyGo there is no deep recursion
        // to stop, and the call must simply be right.
        expect_value(&mut sandbox, "recurse(100000000)", "100000000")?;
    }
    let mut cases: Vec<(&str, &[&str], Duration)> = vec![
        ("spin()", &deadline, TIMEOUT + DEADLINE_SLACK),
        (
            "hog(16)",
            if tinygo {
                &["call to `hog` failed: Go panic: runtime error: out of memory; linear memory hit its limit ("]
            } else {
                &["call to `hog` failed: Go fatal error: out of memory; linear memory hit its limit ("]
            },
            Duration::from_secs(20),
        ),
        (
            r#"crash("boom from Go")"#,
            if tinygo {
                &["call to `crash` failed: Go panic: boom from Go"]
            } else {
                &["call to `crash` failed: Go panic: boom from Go", "wit_component/export_wit_world.Crash"]
            },
            Duration::from_secs(5),
        ),
        (
            "recurse(100000000)",
            &["call to `recurse` failed: stack overflow: it needed more than the 1024 KiB stack limit"],
            Duration::from_secs(20),
        ),
        ("trap()", &["call to `trap` failed: trap: out-of-bounds memory access"], Duration::from_secs(5)),
    ];
    if tinygo {
        cases.retain(|(call, _, _)| !call.starts_with("recurse"));
    }
    for (i, (call, wanted, bound)) in cases.iter().enumerate() {
        let start = Instant::now();
        // The top of the error is the host's explanation (cause, limits, guest stderr); below it is wasmtime's
        // own error with the wasm backtrace.
        let sandbox = if *call == "spin()" { &mut spin_sandbox } else { &mut sandbox };
        let err = match sandbox.call(call) {
            Ok(results) => anyhow::bail!("`{call}` returned {results:?} instead of failing"),
            Err(err) => err.to_string(),
        };
        let took = start.elapsed();
        for needle in *wanted {
            ensure!(err.contains(needle), "`{call}` failed without `{needle}` in its error:\n{err}");
        }
        ensure!(took <= *bound, "`{call}` was stopped only after {took:?} (bound {bound:?})");
        // The policy: the failed instance is gone; the next call gets a fresh one and a correct answer.
        expect_value(sandbox, &format!("echo({i})"), &i.to_string()).with_context(|| format!("after `{call}`"))?;
        status::step(
            "Contained",
            format!("{label}: `{call}` stopped in {} ({})", status::elapsed(took), first_line(&err)),
        );
    }
    let instantiations = spin_sandbox.instantiations() + sandbox.instantiations();
    ensure!(
        instantiations == 2 + cases.len(),
        "expected one fresh instance per fault, got {instantiations} instantiations"
    );
    fuel(subject)
}

/// The deterministic alternative to the deadline: a fuel budget per call stops the same endless loop, with no
/// wall clock involved, and the next call is served. Its engine instruments the code for fuel, so it compiles the
/// component itself, through the checks' compilation cache (a function's key includes the fuel setting).
fn fuel(subject: &Subject) -> Result<()> {
    let label = subject.label;
    let host = Host::new(&HostConfig {
        call_timeout: None,
        fuel_per_call: Some(FUEL),
        compile_cache: subject.host.config().compile_cache.clone(),
        ..HostConfig::default()
    })?;
    let mut sandbox = Sandbox::new(&host, host.load(subject.path)?);
    expect_value(&mut sandbox, "echo(7)", "7")?;
    let start = Instant::now();
    let err = match sandbox.call("spin()") {
        Ok(results) => anyhow::bail!("`spin()` returned {results:?} instead of running out of fuel"),
        Err(err) => err.to_string(),
    };
    let took = start.elapsed();
    let wanted = format!("call to `spin` failed: out of fuel: it used more than the {FUEL} fuel units of one call");
    ensure!(err.contains(&wanted), "`spin()` failed without `{wanted}` in its error:\n{err}");
    ensure!(took <= Duration::from_secs(20), "`spin()` ran {took:?} before its fuel ran out");
    expect_value(&mut sandbox, "echo(8)", "8").context("after `spin()` ran out of fuel")?;
    status::step("Contained", format!("{label}: `spin()` out of fuel in {} ({FUEL} units)", status::elapsed(took)));
    Ok(())
}

fn expect_value(sandbox: &mut Sandbox<'_>, call: &str, want: &str) -> Result<()> {
    let got = sandbox.call(call)?;
    ensure!(got == [want], "`{call}` returned {got:?}, want {want}");
    Ok(())
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or_default()
}
