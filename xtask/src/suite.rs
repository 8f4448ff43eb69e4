//! `cargo xtask suite <component>`: adds typed Rust checks to a component (`pipeline::scaffold::suite`).

use std::path::Path;

use anyhow::Result;
use pipeline::{model, scaffold, status};
use xshell::Shell;

use crate::flags;

impl flags::Suite {
    pub(crate) fn run(self, _sh: &Shell, root: &Path) -> Result<()> {
        let component = model::select_components(root, std::slice::from_ref(&self.component))?.remove(0);
        for file in scaffold::suite::typed_suite(root, &component)? {
            status::step("Wrote", file.display());
        }
        let main = component.dir.join(scaffold::suite::DIR).join("src/main.rs");
        status::step(
            "Next",
            format!("your checks in {}, then cargo xtask check --component {}", main.display(), self.component),
        );
        Ok(())
    }
}
