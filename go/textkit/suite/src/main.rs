//! The textkit component's suite binary: `cargo xtask check --component textkit` builds and runs it against every
//! artifact (the checks themselves are this crate's library).

fn main() -> std::process::ExitCode {
    pipeline::suite::main(textkit_suite::check)
}
