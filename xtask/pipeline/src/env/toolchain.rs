//! Go toolchains: the pinned patch release of each Go line (go/toolchains.toml) and how to get it. Toolchains are
//! installed by the go command itself through the Go module proxy (`GOTOOLCHAIN=go<release>`, module
//! `golang.org/toolchain`) and cached in the Go module cache; the machine's `go` is only the launcher.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::Deserialize;
use xshell::{Shell, cmd};

use crate::model::Build;
use crate::{env::tools, status};

const FILE: &str = "go/toolchains.toml";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Pins {
    go: BTreeMap<String, String>,
}

/// Every pinned line with its release (`"1.24"` → `"1.24.13"`, …), in order.
pub fn all_pinned(root: &Path) -> Result<BTreeMap<String, String>> {
    let path = root.join(FILE);
    let text = std::fs::read_to_string(&path).with_context(|| format!("failed to read {}", path.display()))?;
    let pins: Pins = toml::from_str(&text).with_context(|| format!("invalid {}", path.display()))?;
    Ok(pins.go)
}

/// The patch release pinned for a Go line (`1.24` → `1.24.13`).
pub fn pinned(root: &Path, go_minor: &str) -> Result<String> {
    let pins = all_pinned(root)?;
    let release = pins.get(go_minor).with_context(|| format!("{FILE} pins no Go {go_minor}.x release"))?;
    if !release.starts_with(&format!("{go_minor}.")) {
        bail!("{FILE} pins Go {go_minor} to `{release}`, which is not a {go_minor}.x release");
    }
    Ok(release.clone())
}

/// A Go toolchain ready to build one line of variants.
#[derive(Debug, Clone)]
pub struct GoToolchain {
    /// The go command that launches it (the machine's).
    pub go: PathBuf,
    /// The pinned release, e.g. `1.24.13`.
    pub release: String,
    /// What `go version` says under it, e.g. `go version go1.24.13 linux/amd64` (recorded in the manifest).
    pub version: String,
}

impl GoToolchain {
    /// Finds the launcher, installs the pinned toolchain if needed, and checks it reports the pinned release.
    /// A release resolved once is remembered for the rest of the process (a run asks once per build: ten
    /// builds, four releases; each answer costs two `go` processes).
    pub fn resolve(sh: &Shell, root: &Path, build: &Build) -> Result<Self> {
        type Resolved = std::sync::Mutex<std::collections::HashMap<(std::path::PathBuf, String), String>>;
        static RESOLVED: std::sync::OnceLock<Resolved> = std::sync::OnceLock::new();
        let go = tools::GO.locate()?;
        let release = pinned(root, build.go_minor)?;
        let memo = RESOLVED.get_or_init(Default::default);
        let key = (go.clone(), release.clone());
        if let Some(version) = memo.lock().expect("the toolchain memo is never poisoned").get(&key) {
            return Ok(Self { go, release, version: version.clone() });
        }
        let resolved = Self::resolve_uncached(sh, go, release, build)?;
        memo.lock().expect("the toolchain memo is never poisoned").insert(key, resolved.version.clone());
        Ok(resolved)
    }

    fn resolve_uncached(sh: &Shell, go: std::path::PathBuf, release: String, build: &Build) -> Result<Self> {
        let selector = format!("go{release}");
        if !is_installed(sh, &go, &release) {
            status::step("Installing", format!("Go {release} for the {} variants (Go module proxy)", build.name));
        }
        let output = cmd!(sh, "{go} version")
            .env("GOTOOLCHAIN", &selector)
            .quiet()
            .ignore_status()
            .output()
            .with_context(|| format!("failed to run {}", go.display()))?;
        if !output.status.success() {
            bail!(
                "Go toolchain {selector} is missing and could not be installed: it builds the {} variants; run \
                 `cargo xtask setup` where the Go module proxy is reachable (GOTOOLCHAIN={selector} go version said: {})",
                build.name,
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        let version = String::from_utf8_lossy(&output.stdout).lines().next().unwrap_or_default().trim().to_string();
        if tools::go_release(&version) != Some(release.as_str()) {
            bail!("GOTOOLCHAIN={selector} runs `{version}`, not Go {release}");
        }
        Ok(Self { go, release, version })
    }

    /// The `GOTOOLCHAIN` value that selects this toolchain.
    pub fn selector(&self) -> String {
        format!("go{}", self.release)
    }
}

/// Whether the go command can run `release` without downloading it.
pub fn is_installed(sh: &Shell, go: &Path, release: &str) -> bool {
    let Ok(env) =
        cmd!(sh, "{go} env GOVERSION GOMODCACHE GOHOSTOS GOHOSTARCH").env("GOTOOLCHAIN", "local").quiet().read()
    else {
        return false;
    };
    let lines: Vec<&str> = env.lines().collect();
    let [goversion, modcache, os, arch] = lines.as_slice() else { return false };
    *goversion == format!("go{release}")
        || Path::new(modcache).join(format!("golang.org/toolchain@v0.0.1-go{release}.{os}-{arch}")).is_dir()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_go_line_of_the_matrix_is_pinned() {
        let root = crate::testing::root();
        for build in crate::model::builds() {
            let release = pinned(&root, build.go_minor).unwrap();
            assert!(release.starts_with(&format!("{}.", build.go_minor)));
        }
        assert!(pinned(&root, "1.19").unwrap_err().to_string().contains("pins no Go 1.19.x"));
    }
}
