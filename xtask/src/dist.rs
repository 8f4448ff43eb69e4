//! `cargo xtask dist`: build, check and ship every selected artifact into target/dist (`pipeline::dist`), print
//! the size table, and with `--verify-reproducible` build it all again and compare; `--merge` joins CI's shards.

use std::path::Path;
use std::time::Instant;

use anyhow::Result;
use pipeline::{dist, model, run, status};
use xshell::Shell;

use crate::flags;

impl flags::Dist {
    pub(crate) fn run(self, sh: &Shell, root: &Path) -> Result<()> {
        let start = Instant::now();
        let _lock = run::lock::acquire(root)?;
        if !self.merge.is_empty() {
            let count = dist::merge_shards(root, &self.merge)?;
            let took = status::elapsed(start.elapsed());
            let shards = self.merge.len();
            status::step(
                "Finished",
                format!("merge of {count} artifacts from {shards} shards in {took} (target/dist)"),
            );
            return Ok(());
        }
        let selection = model::Selection { shard: self.shard, ..self.selection.into() };
        let shipped = dist::ship(sh, root, &selection)?;
        eprint!("{}", dist::sizes::table(&shipped.products, &shipped.manifest.left_out)?);
        let (count, took) = (shipped.manifest.artifacts.len(), status::elapsed(start.elapsed()));
        status::step("Finished", format!("dist of {count} artifacts in {took} (target/dist)"));
        if self.verify_reproducible {
            dist::reproducible::verify(sh, root, shipped.jobs, &shipped.manifest)?;
        }
        Ok(())
    }
}
