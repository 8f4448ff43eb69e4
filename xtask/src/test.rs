//! `cargo xtask test`: every test of the workspace after the set-up it needs — tools present, formatting and
//! lints clean, the tidy checks (xtask/tests/tidy.rs), generated bindings fresh, then `cargo test --workspace`
//! (Rust unit, integration and end-to-end tests; the end-to-end ones build real components with Go) and each
//! component's Go tests and `go vet`.

use std::path::Path;

use anyhow::{Context, Result};
use xshell::{Shell, cmd};

use pipeline::env::tools;
use pipeline::stages::govet;
use pipeline::{model, status};

use crate::flags;

impl flags::Test {
    pub(crate) fn run(self, sh: &Shell, root: &Path) -> Result<()> {
        // Set-up: install what is missing (toolchains, wasm-opt, TinyGo, the registry and oras the publish tests
        // use), or fail at once with the reason.
        pipeline::env::setup::ensure_all(sh, root)?;
        let go = tools::GO.locate()?;
        tools::GOFMT.locate()?;

        status::step("Running", "cargo fmt --check");
        tools::without_cargo_run_env(cmd!(sh, "cargo fmt --all -- --check"))
            .run()
            .context("Rust code is not formatted (run `cargo fmt --all`)")?;
        status::step("Running", "cargo clippy");
        tools::without_cargo_run_env(cmd!(sh, "cargo clippy --workspace --all-targets --quiet -- -D warnings"))
            .run()
            .context("clippy found problems")?;
        // The architecture's invariants first: seconds, and they say what is wrong in words (tidy.rs).
        status::step("Running", "tidy (the architecture's invariants)");
        tools::without_cargo_run_env(cmd!(sh, "cargo test --quiet -p xtask --test tidy"))
            .run()
            .context("a tidy check failed")?;
        status::step("Running", "bindgen --check");
        flags::Bindgen { check: true, components: Vec::new() }.run(sh, root)?;
        for component in model::discover(root)? {
            govet::go_checks(sh, root, &go, &component)?;
        }
        govet::witpkg(sh, root, &go)?;

        status::step("Running", "cargo test --workspace");
        tools::without_cargo_run_env(cmd!(sh, "cargo test --workspace")).run().context("cargo test failed")?;
        Ok(())
    }
}
