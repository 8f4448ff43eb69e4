//! `cargo xtask test`: both tiers of tests, after the set-up the slow one needs — formatting and lints clean, the
//! tidy checks (xtask/tests/tidy.rs), generated bindings fresh, every component's Go code vetted and tested, then
//! every Rust test of the workspace. Plain `cargo test --workspace` is the fast tier (pure Rust on fixtures); the
//! slow tier is the tests marked `#[ignore = "slow tier: …"]` (they build Go, run TinyGo or start a registry),
//! which this command includes, so there a missing tool fails a test instead of skipping it.

use std::path::Path;

use anyhow::{Context, Result};
use xshell::{Shell, cmd};

use pipeline::env::{setup, tools};
use pipeline::stages::govet;
use pipeline::{model, status};

use crate::flags;

impl flags::Test {
    pub(crate) fn run(self, sh: &Shell, root: &Path) -> Result<()> {
        // Set-up: install what is missing (toolchains, wasm-opt, TinyGo, the registry and oras the publish tests
        // use), or fail at once with the reason.
        setup::ensure_all(sh, root)?;
        let go = tools::GO.locate()?;
        tools::GOFMT.locate()?;
        let cargo = |command: xshell::Cmd<'_>, failed: &'static str| -> Result<()> {
            tools::without_cargo_run_env(command).run().context(failed)
        };

        status::step("Running", "cargo fmt --check");
        cargo(cmd!(sh, "cargo fmt --all -- --check"), "Rust code is not formatted (run `cargo fmt --all`)")?;
        status::step("Running", "cargo clippy");
        cargo(cmd!(sh, "cargo clippy --workspace --all-targets --quiet -- -D warnings"), "clippy found problems")?;
        // The architecture's invariants first: seconds, and they say what is wrong in words.
        status::step("Running", "tidy (the architecture's invariants)");
        cargo(cmd!(sh, "cargo test --quiet -p xtask --test tidy -- --include-ignored"), "a tidy check failed")?;
        status::step("Running", "bindgen --check");
        flags::Bindgen { check: true, components: Vec::new() }.run(sh, root)?;
        for component in model::discover(root)? {
            govet::go_checks(sh, root, &go, &component)?;
        }
        govet::witpkg(sh, root, &go)?;

        status::step("Running", "cargo test --workspace, both tiers");
        cargo(cmd!(sh, "cargo test --workspace -- --include-ignored"), "cargo test failed")
    }
}
