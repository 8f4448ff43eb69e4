//! `cargo xtask bindgen [--check]`: regenerates (or compares) each component's Go bindings from its WIT world
//! (`pipeline::stages::bindgen`, wit-bindgen-go in-process).

use std::path::Path;

use anyhow::Result;
use xshell::Shell;

use crate::flags;

impl flags::Bindgen {
    pub(crate) fn run(self, sh: &Shell, root: &Path) -> Result<()> {
        pipeline::stages::bindgen::regenerate(sh, root, &self.components, self.check)
    }
}
