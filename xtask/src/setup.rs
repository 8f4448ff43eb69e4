//! `cargo xtask setup [go|wasm-opt|tinygo]`: installs what the pipeline needs and the machine may lack — every
//! pinned Go toolchain (through the Go module proxy, cached in the Go module cache), wasm-opt (Debian's binaryen,
//! pinned, with apt-get) and TinyGo (see `setup/tinygo.rs`). Idempotent: what is present is only reported. `dist`,
//! `check` and `test` call it first.

use std::path::Path;

use anyhow::{Context, Result, bail};
use xshell::{Shell, cmd};

use pipeline::toolchain::GoToolchain;
use pipeline::{model, status, tools};

use crate::flags::{self, SetupWhat};

mod tinygo;

/// The Debian package (and exact version) that provides wasm-opt; see ARCHITECTURE.md for why this one.
pub(crate) const BINARYEN_APT: &str = "binaryen=108-1";

impl flags::Setup {
    pub(crate) fn run(self, sh: &Shell, root: &Path) -> Result<()> {
        match self.what {
            None => ensure(sh, root),
            Some(what) => ensure_one(sh, root, what),
        }
    }
}

/// Installs whatever the matrix needs and is missing; fails with the reason and the way out when it cannot.
pub(crate) fn ensure(sh: &Shell, root: &Path) -> Result<()> {
    ensure_one(sh, root, SetupWhat::Go)?;
    ensure_one(sh, root, SetupWhat::WasmOpt)?;
    // TinyGo only when a build of the default selection needs it (`setup tinygo` installs it regardless).
    if model::builds().iter().any(|b| b.tinygo.is_some() && !b.experimental) {
        ensure_one(sh, root, SetupWhat::Tinygo)?;
    }
    Ok(())
}

fn ensure_one(sh: &Shell, root: &Path, what: SetupWhat) -> Result<()> {
    match what {
        SetupWhat::Go => {
            let mut lines = std::collections::BTreeSet::new();
            for build in model::builds() {
                if lines.insert(build.go_minor) {
                    let toolchain = GoToolchain::resolve(sh, root, &build)?;
                    status::step("Ready", &toolchain.version);
                }
            }
        }
        SetupWhat::WasmOpt => match tools::WASM_OPT.locate() {
            Ok(path) => status::step("Ready", format!("{} ({})", tools::WASM_OPT.version(sh, &path)?, path.display())),
            Err(missing) => {
                apt_install(sh, &[BINARYEN_APT.to_string()], "wasm-opt").with_context(|| missing.to_string())?;
                let path = tools::WASM_OPT.locate()?;
                status::step("Installed", format!("{} ({})", tools::WASM_OPT.version(sh, &path)?, path.display()));
            }
        },
        SetupWhat::Tinygo => tinygo::ensure(sh, root)?,
    }
    Ok(())
}

/// Installs Debian packages (`name=version` specs) with apt-get; `why` names what they provide.
pub(crate) fn apt_install(sh: &Shell, specs: &[String], why: &str) -> Result<()> {
    let list = specs.join(" ");
    if which::which("apt-get").is_err() {
        bail!("no apt-get on this machine: install {list} ({why}) another way");
    }
    let uid = cmd!(sh, "id -u").quiet().read().unwrap_or_default();
    if uid.trim() != "0" {
        bail!("installing {why} needs root: run `sudo apt-get install -y --no-install-recommends {list}`");
    }
    status::step("Installing", format!("{list} ({why}, apt-get)"));
    let start = std::time::Instant::now();
    let quiet = ["-qq"];
    let update = cmd!(sh, "apt-get update {quiet...}").env("DEBIAN_FRONTEND", "noninteractive");
    summarised(update, "apt-get update")?;
    let install = cmd!(sh, "apt-get install -y {quiet...} --no-install-recommends {specs...}")
        .env("DEBIAN_FRONTEND", "noninteractive");
    let unpacked = summarised(install, &format!("apt-get install {list}"))?;
    status::step("Installed", format!("{list} ({unpacked} packages set up) in {}", status::elapsed(start.elapsed())));
    Ok(())
}

/// Runs an apt command with its output captured instead of streamed (dpkg's progress is hundreds of lines): on
/// success, how many packages it set up; on failure, the error carries the output's last lines.
fn summarised(command: xshell::Cmd<'_>, what: &str) -> Result<usize> {
    let output = command.quiet().ignore_status().output().with_context(|| format!("failed to run {what}"))?;
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    if !output.status.success() {
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines[lines.len().saturating_sub(20)..].join("\n");
        bail!("{what} failed ({}):\n{tail}", output.status);
    }
    Ok(text.lines().filter(|l| l.starts_with("Setting up ")).count())
}
