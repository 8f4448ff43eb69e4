//! `cargo xtask publish <registry/repository>`: pushes artifacts of target/dist to an OCI registry with provenance
//! (`pipeline::publish`).

use std::path::Path;

use anyhow::Result;
use pipeline::publish::{self, Options};
use xshell::Shell;

use crate::flags;

impl flags::Publish {
    pub(crate) fn run(self, _sh: &Shell, root: &Path) -> Result<()> {
        let options = Options {
            repository: self.repository,
            selection: self.selection.into(),
            release: self.release,
            plain_http: self.plain_http,
            ca_file: self.ca_file,
            dist: self.dist,
        };
        publish::publish(root, &options).map(drop)
    }
}
