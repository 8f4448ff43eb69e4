//! `cargo xtask build`: compiles the selected components' Go modules, one core module per build, and
//! post-processes them (strip, wasm-opt, snapshot) under `target/wasm/` (`pipeline::stages::gobuild`, `postprocess`, `wizer`).

use std::path::Path;

use anyhow::Result;
use pipeline::model::Workspace;
use pipeline::run;
use pipeline::run::scheduler::{self, Options, Until};
use xshell::Shell;

use crate::flags;

impl flags::Build {
    pub(crate) fn run(self, sh: &Shell, root: &Path) -> Result<()> {
        // One writer per checkout: a second run waits here, saying for whom (lock.rs).
        let _lock = pipeline::run::lock::acquire(root)?;
        let jobs = run::plan(root, &self.selection.into())?.jobs;
        scheduler::run(sh, &Workspace::new(root), jobs, &Options::until(Until::Build))?;
        Ok(())
    }
}
