//! Human output: cargo-style status lines on stderr (`   Building hasher go1.26`), green/red only on a terminal.
//! Data meant for tools goes to stdout elsewhere; nothing here writes stdout.

use std::io::IsTerminal;
use std::time::Duration;

fn colored(code: &str, text: &str) -> String {
    if std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none() {
        format!("\x1b[1;{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

/// `{verb:>12} {message}`, the verb in bold green.
pub fn step(verb: &str, message: impl std::fmt::Display) {
    eprintln!("{} {message}", colored("32", &format!("{verb:>12}")));
}

/// A warning line that does not stop the task.
pub fn warn(message: impl std::fmt::Display) {
    eprintln!("{} {message}", colored("33", "warning:"));
}

/// `error: ...` and a numbered `Caused by:` chain, like wasm-tools.
pub fn error(err: &anyhow::Error) {
    eprintln!("{} {err}", colored("31", "error:"));
    let causes: Vec<_> = err.chain().skip(1).collect();
    if !causes.is_empty() {
        eprintln!("\nCaused by:");
        for (i, cause) in causes.iter().enumerate() {
            let text = cause.to_string();
            let mut lines = text.lines();
            eprintln!("    {i}: {}", lines.next().unwrap_or_default());
            for line in lines {
                eprintln!("       {line}");
            }
        }
    }
}

/// `1.23s` or `456ms`, for status lines.
pub fn elapsed(d: Duration) -> String {
    if d.as_secs_f64() >= 1.0 { format!("{:.2}s", d.as_secs_f64()) } else { format!("{}ms", d.as_millis()) }
}
