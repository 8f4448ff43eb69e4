//! `cargo xtask componentize`: builds, then wraps each selected core module into a component (WIT metadata + the
//! WASI preview1 reactor adapter, hardened, validated: `pipeline::stages::componentize`) under `target/wasm/`.

use std::path::Path;

use anyhow::Result;
use pipeline::model::Workspace;
use pipeline::run;
use pipeline::run::scheduler::{self, Options, Until};
use xshell::Shell;

use crate::flags;

impl flags::Componentize {
    pub(crate) fn run(self, sh: &Shell, root: &Path) -> Result<()> {
        // One writer per checkout: a second run waits here, saying for whom (lock.rs).
        let _lock = pipeline::run::lock::acquire(root)?;
        let jobs = run::plan(root, &self.selection.into())?.jobs;
        scheduler::run(sh, &Workspace::new(root), jobs, &Options::until(Until::Componentize))?;
        Ok(())
    }
}
