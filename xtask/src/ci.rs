//! `cargo xtask ci`: exactly what CI runs — the README's test command (`cargo xtask test`), then the README's main
//! job (`cargo xtask dist`). `.ci/run` and the GitHub Actions workflow call this.

use anyhow::Result;
use xshell::Shell;

use crate::flags;

impl flags::Ci {
    pub(crate) fn run(self, sh: &Shell) -> Result<()> {
        flags::Test {}.run(sh)?;
        flags::Dist { selection: flags::Selection::default() }.run(sh)
    }
}
