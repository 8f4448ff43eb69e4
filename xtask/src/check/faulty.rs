//! The `faulty` world's suite: every kind of guest fault is stopped within its bound, the error names the export
//! and the cause, and the next call is served correctly by a fresh instance (the host's fault policy).

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use host::{Host, HostConfig, Sandbox};

use crate::status;

/// Tight limits so each fault is reached quickly.
const TIMEOUT: Duration = Duration::from_secs(1);
/// TinyGo needs about a second to fill 256 MiB in `hog` (it zeroes every block and collects before each heap
/// doubling): 1 s was hit before the memory limit on a loaded machine.
const TIMEOUT_TINYGO: Duration = Duration::from_secs(5);
const MEMORY: usize = 256 << 20;

/// `tinygo`: the component was compiled by TinyGo, which reports some faults differently (documented in
/// ARCHITECTURE.md): an exhausted heap is a runtime-error panic (`panic: runtime error: out of memory`, on
/// stdout, which the host reads too), a panic prints no goroutine trace, and LLVM turns `Recurse` into a loop.
pub(super) fn run(path: &Path, label: &str, tinygo: bool) -> Result<()> {
    let timeout = if tinygo { TIMEOUT_TINYGO } else { TIMEOUT };
    let host =
        Host::new(&HostConfig { call_timeout: Some(timeout), max_memory_bytes: MEMORY, ..HostConfig::default() })?;
    let deadline = format!("call to `spin` failed: interrupted: it ran past the {timeout:?} call deadline");
    let deadline = [deadline.as_str()];
    let mut sandbox = Sandbox::new(&host, host.load(path)?);
    expect_value(&mut sandbox, "echo(7)", "7")?;

    if tinygo {
        // LLVM turns `Recurse` (return Recurse(depth-1) + 1) into a loop: under TinyGo there is no deep recursion
        // to stop, and the call must simply be right.
        expect_value(&mut sandbox, "recurse(100000000)", "100000000")?;
    }
    let mut cases: Vec<(&str, &[&str], Duration)> = vec![
        ("spin()", &deadline, timeout * 3),
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
        expect_value(&mut sandbox, &format!("echo({i})"), &i.to_string()).with_context(|| format!("after `{call}`"))?;
        status::step(
            "Contained",
            format!("{label}: `{call}` stopped in {} ({})", status::elapsed(took), first_line(&err)),
        );
    }
    ensure!(
        sandbox.instantiations() == 1 + cases.len(),
        "expected one fresh instance per fault, got {} instantiations",
        sandbox.instantiations()
    );
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
