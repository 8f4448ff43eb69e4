//! Turning a failed guest call into an error a person can act on: which export, what stopped it (deadline, stack,
//! memory limit, trap, the guest exiting after a Go panic) and what the guest printed to stderr on the way.
//! Policy: after any such failure the instance's state is unknown, so its store must be dropped; [`Sandbox`]
//! does that and instantiates afresh for the next call.
//!
//! [`Sandbox`]: crate::Sandbox

use wasmtime::{Store, Trap};

use crate::State;

/// How many lines of guest stderr an error carries: the first ones, where Go prints `panic: …` or
/// `fatal error: …` before its goroutine dumps.
const STDERR_LINES: usize = 8;

/// Explains `err`, the failure of `what` (e.g. "call to `spin`"), with the cause and the guest's stderr.
pub fn explain<T>(store: &Store<State<T>>, what: &str, err: wasmtime::Error) -> anyhow::Error {
    let state = store.data();
    let stderr = state.stderr();
    let stdout = state.stdout();
    // A Go reactor aborts (an `unreachable` trap) after printing `panic: …` or `fatal error: …` (TinyGo prints
    // its `panic: …` line to stdout).
    let go_report = stderr.lines().chain(stdout.lines()).find_map(|l| {
        l.strip_prefix("panic: ")
            .map(|m| format!("Go panic: {m}"))
            .or_else(|| l.strip_prefix("fatal error: ").map(|m| format!("Go fatal error: {m}")))
    });
    let cause = if let Some(trap) = err.downcast_ref::<Trap>() {
        match trap {
            Trap::Interrupt => match state.limits.call_timeout {
                Some(t) => format!("interrupted: it ran past the {t:?} call deadline"),
                None => "interrupted".to_string(),
            },
            Trap::OutOfFuel => match state.limits.fuel_per_call {
                Some(fuel) => format!("out of fuel: it used more than the {fuel} fuel units of one call"),
                None => "out of fuel".to_string(),
            },
            Trap::StackOverflow => {
                format!("stack overflow: it needed more than the {} KiB stack limit", state.limits.max_wasm_stack >> 10)
            }
            Trap::MemoryOutOfBounds => "trap: out-of-bounds memory access".to_string(),
            Trap::UnreachableCodeReached => {
                go_report.unwrap_or_else(|| "trap: unreachable instruction executed".to_string())
            }
            other => format!("trap: {other}"),
        }
    } else if let Some(exit) = err.downcast_ref::<wasmtime_wasi::I32Exit>() {
        format!("the guest exited with status {}", exit.0)
    } else {
        // Not a fault of the guest's code (an instance limit, a link error, a stale handle): the error says it
        // all, once. wasmtime's word for a handle that was dropped or moved away is "unknown handle index".
        let text = format!("{err:#}");
        let hint = if text.contains("unknown handle index") {
            " (a resource handle used after it was dropped, or after its ownership moved into another call)"
        } else {
            ""
        };
        return anyhow::anyhow!("{}", with_guest_output(format!("{what} failed: {text}{hint}"), state));
    };
    anyhow::Error::from(err).context(with_guest_output(format!("{what} failed: {cause}"), state))
}

/// `message`, plus whether linear memory hit its limit and the first lines the guest printed.
fn with_guest_output<T>(mut message: String, state: &State<T>) -> String {
    let (stderr, stdout) = (state.stderr(), state.stdout());
    let memory = state.memory();
    if memory.denied() {
        message.push_str(&format!(
            "; linear memory hit its limit ({} MiB of {} MiB)",
            memory.current() >> 20,
            memory.limit() >> 20
        ));
    }
    for (name, text) in [("stderr", &stderr), ("stdout", &stdout)] {
        let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        if !lines.is_empty() {
            message.push_str(&format!("\nguest {name}:\n  "));
            message.push_str(&lines[..lines.len().min(STDERR_LINES)].join("\n  "));
            if lines.len() > STDERR_LINES {
                message.push_str(&format!("\n  … ({} more lines)", lines.len() - STDERR_LINES));
            }
        }
    }
    message
}
