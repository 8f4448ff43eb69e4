//! Installing the pinned TinyGo (`cargo xtask setup tinygo`) from the package registries the project reaches. The pipeline
//! only reads the install (`crate::env::tinygo`: where it is, how it runs); this module is the only writer.
//!
//! No registry ships a TinyGo binary, so it is assembled (docs/design/tinygo.md):
//! 1. Debian packages, pinned: LLVM/Clang/lld 19 (TinyGo links LLVM through cgo and runs `clang-19`/`wasm-ld`),
//!    the prebuilt wasm32 compiler-rt builtins and wasi-libc.
//! 2. The TinyGo source from the Go module proxy (`go mod download -json`, checksummed by the sum database), copied
//!    to `<dir>/tinygo` (its TINYGOROOT) and built there with the pinned Go 1.25 toolchain (`-tags llvm19`).
//!    The module zip lacks TinyGo's git submodules: `src/net` is created empty (package net is unavailable), and
//! 3. TinyGo's library cache (`<dir>/cache/tinygo`, used through `XDG_CACHE_HOME`) is seeded with Debian's
//!    prebuilt wasi-libc (`libc.a` + headers) and compiler-rt builtins, which TinyGo would otherwise compile from
//!    the missing submodule sources.
//! 4. `<dir>/install.toml` records every version and checksum; it is written last and is the stamp: when it
//!    matches the pins and the packages are still installed, setup does nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::env::tinygo::{cache_home, seed_cache, tinygo_build};
use crate::env::toolchain::GoToolchain;
use crate::env::tools::{TINYGO_VERSION, tinygo_binary, tinygo_install_dir};
use crate::{status, util};
use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use xshell::{Shell, cmd};

const MODULE: &str = "github.com/tinygo-org/tinygo";
/// The build tag selecting the LLVM that Debian 12 ships.
const LLVM_TAG: &str = "llvm19";

/// Debian packages and the exact versions installed (apt-cache policy on Debian 12, bookworm-updates).
pub const APT: &[(&str, &str)] = &[
    ("llvm-19-dev", "1:19.1.7-3~deb12u1"),
    ("libclang-19-dev", "1:19.1.7-3~deb12u1"),
    ("clang-19", "1:19.1.7-3~deb12u1"),
    ("lld-19", "1:19.1.7-3~deb12u1"),
    ("libclang-rt-19-dev-wasm32", "1:19.1.7-3~deb12u1"),
    ("wasi-libc", "0.0~git20220510.9886d3d-2"),
];

/// What `install.toml` records.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
struct Record {
    tinygo: String,
    module: String,
    /// `Sum` from `go mod download -json` (the module zip's hash, verified against the sum database).
    module_sum: String,
    go_mod_sum: String,
    /// The git commit of the tag, as the proxy reports it.
    origin_commit: String,
    /// `go version` of the toolchain that built TinyGo (and that TinyGo runs with).
    built_with: String,
    build_tags: String,
    /// Debian package → installed version.
    apt: BTreeMap<String, String>,
    /// Cache entry → sha256 of the seeded file (for `include`, of its file list and contents).
    seeded: BTreeMap<String, String>,
}

/// Installs the pinned TinyGo unless `install.toml` says it is there; reports what it did.
pub fn ensure(sh: &Shell, root: &Path) -> Result<()> {
    let dir = tinygo_install_dir();
    let toolchain = GoToolchain::resolve(sh, root, &tinygo_build())?;
    let stamp = dir.join("install.toml");
    if let Ok(text) = std::fs::read_to_string(&stamp)
        && let Ok(record) = toml::from_str::<Record>(&text)
        && record.tinygo == TINYGO_VERSION
        && record.built_with == toolchain.version
        && installed_apt(sh)? == record.apt
        && tinygo_binary().is_file()
        // Restores a seeded library that was deleted from TinyGo's cache (it would try to compile it instead).
        && seed_cache(&cache_home(&dir).join("tinygo"))? == record.seeded
    {
        status::step("Ready", format!("TinyGo {TINYGO_VERSION} ({})", tinygo_binary().display()));
        return Ok(());
    }
    let start = std::time::Instant::now();
    status::step("Installing", format!("TinyGo {TINYGO_VERSION} into {}", dir.display()));
    install(sh, &dir, &toolchain)
        .with_context(|| format!("failed to install TinyGo {TINYGO_VERSION} into {}", dir.display()))?;
    status::step(
        "Installed",
        format!("TinyGo {TINYGO_VERSION} ({}) in {}", tinygo_binary().display(), status::elapsed(start.elapsed())),
    );
    Ok(())
}

fn install(sh: &Shell, dir: &Path, toolchain: &GoToolchain) -> Result<()> {
    let specs: Vec<String> = APT.iter().map(|(p, v)| format!("{p}={v}")).collect();
    if installed_apt(sh)?.len() != APT.len() {
        super::apt_install(sh, &specs, "TinyGo's LLVM 19, clang, wasm-ld, wasi-libc and compiler-rt")
            .context("step 1/4 (Debian packages) failed")?;
    }
    let apt = installed_apt(sh)?;
    if apt.len() != APT.len() {
        bail!("step 1/4 (Debian packages) failed: installed {apt:?}, want {specs:?}");
    }

    std::fs::create_dir_all(dir).with_context(|| format!("failed to create {}", dir.display()))?;
    let download = download(sh, dir, toolchain).context("step 2/4 (download from the Go module proxy) failed")?;

    let root = dir.join("tinygo");
    let tmp = dir.join(format!(".tinygo.{}.tmp", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    if let Err(err) = build(sh, &download.dir, &tmp, toolchain) {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(err.context("step 3/4 (building TinyGo with cgo and LLVM 19) failed"));
    }
    if root.exists() {
        std::fs::remove_dir_all(&root).with_context(|| format!("failed to remove the old {}", root.display()))?;
    }
    std::fs::rename(&tmp, &root).with_context(|| format!("failed to move {} to {}", tmp.display(), root.display()))?;

    let seeded =
        seed_cache(&cache_home(dir).join("tinygo")).context("step 4/4 (seeding TinyGo's library cache) failed")?;
    let record = Record {
        tinygo: TINYGO_VERSION.into(),
        module: MODULE.into(),
        module_sum: download.sum,
        go_mod_sum: download.go_mod_sum,
        origin_commit: download.commit,
        built_with: toolchain.version.clone(),
        build_tags: LLVM_TAG.into(),
        apt,
        seeded,
    };
    let text = format!(
        "# Written by `cargo xtask setup tinygo`: what this TinyGo was assembled from (see xtask/pipeline/src/env/setup/tinygo.rs).\n{}",
        toml::to_string(&record)?
    );
    util::write_atomic(&dir.join("install.toml"), text.as_bytes())
}

/// The pinned Debian packages that are installed at exactly the pinned version.
fn installed_apt(sh: &Shell) -> Result<BTreeMap<String, String>> {
    let mut found = BTreeMap::new();
    if which::which("dpkg-query").is_err() {
        return Ok(found);
    }
    for (package, want) in APT {
        let format = "-f=${Status}|${Version}";
        // A package not installed is an answer here, not an error: dpkg-query's "no packages found" stays quiet.
        let version = cmd!(sh, "dpkg-query -W {format} {package}").quiet().ignore_status().ignore_stderr().read()?;
        if let Some((status, version)) = version.split_once('|')
            && status.ends_with(" installed")
            && version == *want
        {
            found.insert(package.to_string(), version.to_string());
        }
    }
    Ok(found)
}

struct Download {
    dir: PathBuf,
    sum: String,
    go_mod_sum: String,
    commit: String,
}

/// `go mod download -json` of the pinned tag: the module's read-only directory in the Go module cache.
fn download(sh: &Shell, dir: &Path, toolchain: &GoToolchain) -> Result<Download> {
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Answer {
        dir: Option<String>,
        sum: Option<String>,
        go_mod_sum: Option<String>,
        origin: Option<Origin>,
        error: Option<String>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Origin {
        hash: Option<String>,
    }
    let _cwd = sh.push_dir(dir);
    let go = &toolchain.go;
    let spec = format!("{MODULE}@v{TINYGO_VERSION}");
    let out = cmd!(sh, "{go} mod download -json {spec}")
        .env("GOTOOLCHAIN", toolchain.selector())
        .env("GOFLAGS", "-mod=mod")
        .env("GOWORK", "off")
        .quiet()
        .ignore_status()
        .output()
        .with_context(|| format!("failed to run {}", go.display()))?;
    let answer: Answer = serde_json::from_slice(&out.stdout).with_context(|| {
        format!("`go mod download -json {spec}` gave no JSON: {}", String::from_utf8_lossy(&out.stderr).trim())
    })?;
    if let Some(error) = answer.error {
        bail!("`go mod download -json {spec}` failed: {error}");
    }
    let dir = answer.dir.context("`go mod download` reported no Dir")?;
    Ok(Download {
        dir: PathBuf::from(dir),
        sum: answer.sum.unwrap_or_default(),
        go_mod_sum: answer.go_mod_sum.unwrap_or_default(),
        commit: answer.origin.and_then(|o| o.hash).unwrap_or_default(),
    })
}

/// Copies the module to `out` (a writable TINYGOROOT), adds the empty `src/net` and builds `out/build/tinygo`.
fn build(sh: &Shell, module: &Path, out: &Path, toolchain: &GoToolchain) -> Result<()> {
    util::copy_tree(module, out)?;
    // TinyGo's `net` package is a git submodule the module zip does not carry; TinyGo needs the directory.
    std::fs::create_dir_all(out.join("src/net")).context("failed to create src/net")?;
    let _cwd = sh.push_dir(out);
    let go = &toolchain.go;
    let tags = LLVM_TAG;
    let output = cmd!(sh, "{go} build -o build/tinygo -tags {tags} -trimpath -buildvcs=false .")
        .env("GOTOOLCHAIN", toolchain.selector())
        .env("GOFLAGS", "-mod=readonly")
        .env("GOWORK", "off")
        .env("CGO_ENABLED", "1")
        .quiet()
        .ignore_status()
        .output()
        .with_context(|| format!("failed to run {}", go.display()))?;
    if !output.status.success() {
        bail!(
            "`go build -tags {tags} .` in {} failed:\n{}",
            out.display(),
            String::from_utf8_lossy(&output.stderr).trim_end()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What setup installed is what the pins say: the record names this TinyGo and every pinned Debian package
    /// at its pinned version, and the binary it records is there.
    #[test]
    #[ignore = "slow tier: builds with TinyGo (`cargo xtask test` runs it)"]
    fn the_install_record_matches_the_pins() {
        let text = std::fs::read_to_string(tinygo_install_dir().join("install.toml"))
            .expect("TinyGo is installed (`cargo xtask setup tinygo`; `cargo xtask test` runs it first)");
        let record: Record = toml::from_str(&text).unwrap();
        assert_eq!(record.tinygo, TINYGO_VERSION);
        assert_eq!(record.module, MODULE);
        let pinned: BTreeMap<String, String> = APT.iter().map(|(p, v)| (p.to_string(), v.to_string())).collect();
        assert_eq!(record.apt, pinned);
        assert!(tinygo_binary().is_file(), "{} is missing", tinygo_binary().display());
    }
}
