//! `cargo xtask bench`: measures every selected artifact in the real host and writes the reports (the `bench`
//! crate).

use std::path::Path;

use anyhow::Result;
use xshell::Shell;

use crate::flags;

impl flags::Bench {
    pub(crate) fn run(self, sh: &Shell, root: &Path) -> Result<()> {
        let command = self.command_line();
        let selection = pipeline::model::Selection { shard: self.shard, ..self.selection.into() };
        bench::run(sh, root, &bench::Options { selection, quick: self.quick, claims: self.claims, command })
    }

    /// How this run was asked for, as a user would type it again.
    fn command_line(&self) -> String {
        let mut line = String::from("cargo xtask bench");
        for c in &self.selection.components {
            line.push_str(&format!(" --component {c}"));
        }
        for v in &self.selection.variants {
            line.push_str(&format!(" --variant {v}"));
        }
        if let Some(shard) = self.shard {
            line.push_str(&format!(" --shard {}/{}", shard.index, shard.count));
        }
        if self.quick {
            line.push_str(" --quick");
        }
        if self.claims {
            line.push_str(" --claims");
        }
        line
    }
}
