//! `cargo xtask ci`: what CI runs — the README's test command (`cargo xtask test`), then the README's main job with
//! the reproducibility check (`cargo xtask dist --verify-reproducible`). The GitHub Actions workflow calls it with
//! `--variant` to split the matrix across jobs; then the benchmark's smoke run (`bench --quick`) over what dist
//! shipped. `.ci/run` runs the same steps on one machine, with the reproducibility check on three builds only (the
//! whole matrix's rebuild does not fit its 90 minutes on a slow day) and the registry round trip.

use std::path::Path;

use anyhow::Result;
use xshell::Shell;

use crate::flags;

impl flags::Ci {
    pub(crate) fn run(self, sh: &Shell, root: &Path) -> Result<()> {
        flags::Test {}.run(sh, root)?;
        let dist = flags::Dist {
            selection: self.selection.clone(),
            verify_reproducible: true,
            shard: self.shard,
            merge: Vec::new(),
        };
        dist.run(sh, root)?;
        // The smoke run: every metric's code path, on the default and the pre-initialized variant unless told; a
        // shard measures what it shipped (the variants it has), so its target/dist is what it uploads.
        let mut selection = self.selection;
        if selection.variants.is_empty() && self.shard.is_none() {
            selection.variants = ["go1.26-opt", "go1.26-opt-wizer"].map(String::from).to_vec();
        }
        flags::Bench { selection, shard: self.shard, quick: true, claims: false }.run(sh, root)
    }
}
