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
            for e in &entries {
                let mark = if e.found { "ok" } else { "MISSING" };
                let version = e.version.as_deref().unwrap_or("-");
                eprintln!("{mark:>8} {:<42} {version:<34} {}", e.name, e.place());
                eprintln!("{:>8} {}", "", e.purpose);
                if let Some(hint) = &e.hint {
                    eprintln!("{:>8} {hint}", "");
                }
            }
        }
        let missing: Vec<_> = entries.iter().filter(|e| !e.found).map(|e| e.name.as_str()).collect();
        if !missing.is_empty() {
            bail!("missing: {}", missing.join(", "));
        }
        Ok(())
    }
}
