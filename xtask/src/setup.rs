//! `cargo xtask setup [what]`: installs what the pipeline needs and the machine lacks (`pipeline::env::setup`).

use std::path::Path;

use anyhow::Result;
use pipeline::env::setup::{self, Installable};
use xshell::Shell;

use crate::flags::{self, SetupWhat};

impl flags::Setup {
    pub(crate) fn run(self, sh: &Shell, root: &Path) -> Result<()> {
        let what = match self.what {
            None => return setup::ensure_all(sh, root),
            Some(SetupWhat::Go) => Installable::Go,
            Some(SetupWhat::WasmOpt) => Installable::WasmOpt,
            Some(SetupWhat::Tinygo) => Installable::Tinygo,
            Some(SetupWhat::Registry) => Installable::Registry,
            Some(SetupWhat::Oras) => Installable::Oras,
            Some(SetupWhat::Wasmtime) => Installable::Wasmtime,
            Some(SetupWhat::SpdxTools) => Installable::SpdxTools,
        };
        setup::ensure_one(sh, root, what)
    }
}
