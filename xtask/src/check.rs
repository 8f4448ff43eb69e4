//! `cargo xtask check`: builds and componentizes each selected (component, variant), then runs it in the real
//! wasmtime host — its typed suite and stress, then its declarative cases (`pipeline::stages::check`). `--repeat N`
//! runs every check N times for the spread of the stress's memory peak.

use std::path::Path;

use anyhow::{Result, ensure};
use pipeline::model::{Stress, Workspace};
use pipeline::run;
use pipeline::run::scheduler::{self, Options, Until};
use pipeline::stages::check::Repeat;
use xshell::Shell;

use crate::flags;

impl flags::Check {
    pub(crate) fn run(self, sh: &Shell, root: &Path) -> Result<()> {
        // One writer per checkout: a second run waits here, saying for whom (lock.rs).
        let _lock = pipeline::run::lock::acquire(root)?;
        let stress = Stress {
            sizing: match self.stress_floor {
                0 => pipeline::model::Sizing::Fixed,
                floor => pipeline::model::Sizing::Window { floor },
            },
            calls_64k: self.stress_64k,
            calls_1m: self.stress_1m,
        };
        let jobs = run::plan(root, &self.selection.into())?.jobs;
        ensure!(self.repeat >= 1, "--repeat takes a count of at least 1");
        let repeat = (self.repeat > 1 || self.entropy).then_some(Repeat { runs: self.repeat, entropy: self.entropy });
        let options = Options { until: Until::Check, stress, repeat };
        scheduler::run(sh, &Workspace::new(root), jobs, &options)?;
        Ok(())
    }
}
