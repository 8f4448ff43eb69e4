//! `cargo xtask doctor`: prints every tool the pipeline uses (`pipeline::env::doctor`) as a table, or as JSON on
//! stdout, and fails when one is missing. It changes nothing.

use std::path::Path;

use anyhow::{Result, bail};
use pipeline::env::doctor;
use xshell::Shell;

use crate::flags;

impl flags::Doctor {
    pub(crate) fn run(self, sh: &Shell, root: &Path) -> Result<()> {
        let entries = doctor::report(sh, root)?;
        if self.json {
            println!("{}", serde_json::to_string_pretty(&entries)?);
        } else {
            eprint!("{}", doctor::render(&entries));
        }
        let missing: Vec<_> = entries.iter().filter(|e| !e.found).map(|e| e.name.as_str()).collect();
        if !missing.is_empty() {
            bail!("missing: {}", missing.join(", "));
        }
        Ok(())
    }
}
