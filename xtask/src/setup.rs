//! `cargo xtask setup`: installs what the pipeline needs and the machine may lack — every pinned Go toolchain
//! (through the Go module proxy, cached in the Go module cache) and wasm-opt (Debian's binaryen, pinned, with
//! apt-get). Idempotent: what is present is only reported. `dist`, `check` and `test` call it first.

use anyhow::{Context, Result, bail};
use xshell::{Shell, cmd};

use crate::toolchain::GoToolchain;
use crate::{flags, project, status, tools};

/// The Debian package (and exact version) that provides wasm-opt; see ARCHITECTURE.md for why this one.
pub(crate) const BINARYEN_APT: &str = "binaryen=108-1";

impl flags::Setup {
    pub(crate) fn run(self, sh: &Shell) -> Result<()> {
        ensure(sh)
    }
}

/// Installs whatever is missing; fails with the reason and the way out when it cannot.
pub(crate) fn ensure(sh: &Shell) -> Result<()> {
    let root = project::root();
    let mut lines = std::collections::BTreeSet::new();
    for build in project::builds() {
        if lines.insert(build.go_minor) {
            let toolchain = GoToolchain::resolve(sh, &root, &build)?;
            status::step("Ready", &toolchain.version);
        }
    }
    match tools::WASM_OPT.locate() {
        Ok(path) => status::step("Ready", format!("{} ({})", tools::WASM_OPT.version(sh, &path)?, path.display())),
        Err(missing) => {
            install_binaryen(sh).with_context(|| missing.to_string())?;
            let path = tools::WASM_OPT.locate()?;
            status::step("Installed", format!("{} ({})", tools::WASM_OPT.version(sh, &path)?, path.display()));
        }
    }
    Ok(())
}

fn install_binaryen(sh: &Shell) -> Result<()> {
    if which::which("apt-get").is_err() {
        bail!("no apt-get on this machine: install binaryen (wasm-opt) 108 another way and set WASM_OPT");
    }
    let uid = cmd!(sh, "id -u").quiet().read().unwrap_or_default();
    if uid.trim() != "0" {
        bail!("installing wasm-opt needs root: run `sudo apt-get install -y {BINARYEN_APT}`");
    }
    status::step("Installing", format!("{BINARYEN_APT} (Debian's binaryen, provides wasm-opt)"));
    let quiet = ["-qq"];
    cmd!(sh, "apt-get update {quiet...}")
        .env("DEBIAN_FRONTEND", "noninteractive")
        .run()
        .context("apt-get update failed")?;
    cmd!(sh, "apt-get install -y {quiet...} --no-install-recommends {BINARYEN_APT}")
        .env("DEBIAN_FRONTEND", "noninteractive")
        .run()
        .with_context(|| format!("apt-get install {BINARYEN_APT} failed"))
}
