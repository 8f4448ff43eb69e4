//! `cargo xtask new <name> [--world <file or world>]`: scaffolds a component that ships as is
//! (`pipeline::scaffold`).

use std::path::Path;

use anyhow::Result;
use pipeline::{scaffold, status};
use xshell::Shell;

use crate::flags;

impl flags::New {
    pub(crate) fn run(self, sh: &Shell, root: &Path) -> Result<()> {
        scaffold::scaffold(sh, root, &self.name, self.world.as_deref())?;
        status::step("Next", format!("cargo xtask dist --component {}", self.name));
        Ok(())
    }
}
