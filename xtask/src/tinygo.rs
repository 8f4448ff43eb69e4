//! TinyGo: the pinned release, how `cargo xtask setup tinygo` installs it from the registries this machine
//! reaches, and the environment every TinyGo build runs with. It owns the install directory and nothing else.
//!
//! No registry ships a TinyGo binary, so it is assembled (ARCHITECTURE.md, "TinyGo"):
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
//!
//! The directory is `$GOWASM_CACHE/tinygo-<version>` (default `${XDG_CACHE_HOME:-$HOME/.cache}/gowasm`): outside
//! the clone, so a fresh clone on the same machine (CI) reuses it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use xshell::{Shell, cmd};

use crate::project::{self, Build};
use crate::toolchain::GoToolchain;
use crate::{setup, status, tools, util};

/// The TinyGo release (a tag the Go module proxy serves; v0.40.0 is refused with 403).
pub(crate) const VERSION: &str = "0.39.0";
/// The Go line TinyGo runs with (it accepts GOROOT 1.19–1.25) and is built with.
pub(crate) const GO_LINE: &str = "1.25";
const MODULE: &str = "github.com/tinygo-org/tinygo";
/// The build tag selecting the LLVM that Debian 12 ships.
const LLVM_TAG: &str = "llvm19";
/// Debian packages and the exact versions installed (apt-cache policy on Debian 12, bookworm-updates).
pub(crate) const APT: &[(&str, &str)] = &[
    ("llvm-19-dev", "1:19.1.7-3~deb12u1"),
    ("libclang-19-dev", "1:19.1.7-3~deb12u1"),
    ("clang-19", "1:19.1.7-3~deb12u1"),
    ("lld-19", "1:19.1.7-3~deb12u1"),
    ("libclang-rt-19-dev-wasm32", "1:19.1.7-3~deb12u1"),
    ("wasi-libc", "0.0~git20220510.9886d3d-2"),
];
/// Prebuilt libraries copied into TinyGo's cache: (cache entry, file in it, Debian source).
const SEEDED: &[(&str, &str, &str)] = &[
    ("wasi-libc-wasm32-unknown-wasi-generic", "lib.a", "/usr/lib/wasm32-wasi/libc.a"),
    ("wasi-libc-wasm32-unknown-wasi-generic", "include", "/usr/include/wasm32-wasi"),
    (
        "compiler-rt-wasm32-unknown-wasi-generic",
        "lib.a",
        "/usr/lib/llvm-19/lib/clang/19/lib/wasi/libclang_rt.builtins-wasm32.a",
    ),
];

/// The install directory of the pinned release.
pub(crate) fn install_dir() -> PathBuf {
    let base = std::env::var_os("GOWASM_CACHE").filter(|v| !v.is_empty()).map(PathBuf::from).unwrap_or_else(|| {
        let cache = std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()).map(PathBuf::from);
        cache
            .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache"))
            .join("gowasm")
    });
    base.join(format!("tinygo-{VERSION}"))
}

/// The binary of the pinned install (TINYGOROOT is two levels above it).
pub(crate) fn installed_binary() -> PathBuf {
    install_dir().join("tinygo/build/tinygo")
}

/// `<dir>/cache`: TinyGo's `XDG_CACHE_HOME` (its cache is the `tinygo` directory inside).
fn cache_home(dir: &Path) -> PathBuf {
    dir.join("cache")
}

/// The `XDG_CACHE_HOME` of one component's TinyGo builds, per checkout: the cached runtime objects name the
/// directory they were compiled in, so a cache filled by another clone made this clone's raw modules differ from
/// its own clean rebuild (`dist --verify-reproducible` caught it on a second clone on the same machine).
fn component_cache_home(cache_home: &Path, component: &str) -> PathBuf {
    let checkout = crate::util::sha256_hex(crate::project::root().to_string_lossy().as_bytes());
    cache_home.join("components").join(&checkout[..16]).join(component)
}

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

/// A TinyGo ready to build, with the environment it needs.
#[derive(Debug, Clone)]
pub(crate) struct TinyGo {
    pub(crate) path: PathBuf,
    /// `tinygo version` (recorded in the manifest), e.g. `tinygo version 0.39.0 linux/amd64 (using go version
    /// go1.25.14 and LLVM version 19.1.7)`.
    pub(crate) version: String,
    /// GOROOT of the Go toolchain TinyGo runs with.
    goroot: PathBuf,
    /// TinyGo's `XDG_CACHE_HOME` (None for a `TINYGO` override: the user's own cache).
    cache_home: Option<PathBuf>,
    wasm_opt: Option<PathBuf>,
}

/// A TinyGo build of the matrix: what `GoToolchain::resolve` needs to find the Go that TinyGo runs with.
fn tinygo_build() -> Build {
    project::builds().into_iter().find(|b| b.tinygo.is_some()).unwrap_or(Build {
        name: "tinygo",
        go_minor: GO_LINE,
        goexperiment: None,
        tinygo: Some(&[]),
        experimental: true,
    })
}

impl TinyGo {
    /// Finds TinyGo (`TINYGO`, else the pinned install) and checks it runs; `toolchain` is the pinned Go 1.25.
    pub(crate) fn resolve(sh: &Shell, toolchain: &GoToolchain) -> Result<Self> {
        let path = tools::TINYGO.locate()?;
        let goroot = goroot(sh, toolchain)?;
        let overridden = std::env::var_os(tools::TINYGO.env).is_some_and(|v| !v.is_empty());
        let cache_home = (!overridden).then(|| cache_home(&install_dir()));
        let wasm_opt = tools::WASM_OPT.locate().ok();
        let mut tinygo = Self { path, version: String::new(), goroot, cache_home, wasm_opt };
        let out = tinygo.command(sh, &["version"]).quiet().ignore_status().output()?;
        let version = String::from_utf8_lossy(&out.stdout).lines().next().unwrap_or_default().trim().to_string();
        if !out.status.success() || !version.starts_with("tinygo version") {
            bail!(
                "{} does not run: `tinygo version` said: {}{}; run `cargo xtask setup tinygo`",
                tinygo.path.display(),
                version,
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        tinygo.version = version;
        Ok(tinygo)
    }

    /// The environment of every TinyGo run: the pinned Go first on PATH (TinyGo runs `go env`/`go list` and
    /// reads GOROOT from it), its own cache, wasm-opt for the asyncify scheduler, and nothing from the user's Go
    /// settings. `component` selects the component's own cache (see `prepare`); `None` is the install's.
    pub(crate) fn env(&self, component: Option<&str>) -> Vec<(&'static str, String)> {
        let path = std::env::var_os("PATH").unwrap_or_default();
        let mut dirs = vec![self.goroot.join("bin")];
        dirs.extend(std::env::split_paths(&path));
        let mut env = vec![
            ("PATH", std::env::join_paths(dirs).map(|p| p.to_string_lossy().into_owned()).unwrap_or_default()),
            ("GOROOT", self.goroot.display().to_string()),
            ("GOTOOLCHAIN", "local".into()),
            ("GOFLAGS", "-mod=readonly".into()),
            ("GOWORK", "off".into()),
            ("GOEXPERIMENT", String::new()),
        ];
        if let Some(cache) = &self.cache_home {
            let cache = match component {
                Some(name) => component_cache_home(cache, name),
                None => cache.clone(),
            };
            env.push(("XDG_CACHE_HOME", cache.display().to_string()));
        }
        if let Some(wasm_opt) = &self.wasm_opt {
            env.push(("WASMOPT", wasm_opt.display().to_string()));
        }
        env
    }

    /// Seeds the cache TinyGo uses for `component`'s builds. Each component has its own: TinyGo caches the
    /// objects of its runtime's assembly files, whose DWARF names the directory they were first compiled in, so
    /// a shared cache made the raw modules depend on which component was built first. Run it before builds start
    /// (builds of one component may run in parallel).
    pub(crate) fn prepare(&self, component: &str) -> Result<()> {
        if let Some(cache) = &self.cache_home {
            seed_cache(&component_cache_home(cache, component).join("tinygo"))?;
        }
        Ok(())
    }

    /// Uses `cache_home` (a fresh directory for a reproducibility run) as the base of TinyGo's caches.
    pub(crate) fn with_cache(&self, cache_home: &Path) -> Self {
        let mut copy = self.clone();
        if self.cache_home.is_some() {
            copy.cache_home = Some(cache_home.to_path_buf());
        }
        copy
    }

    fn command<'a>(&self, sh: &'a Shell, args: &[&str]) -> xshell::Cmd<'a> {
        let path = &self.path;
        let mut c = cmd!(sh, "{path} {args...}");
        for (k, v) in self.env(None) {
            c = c.env(k, v);
        }
        c
    }
}

/// GOROOT of the pinned Go toolchain.
fn goroot(sh: &Shell, toolchain: &GoToolchain) -> Result<PathBuf> {
    let go = &toolchain.go;
    let out = cmd!(sh, "{go} env GOROOT")
        .env("GOTOOLCHAIN", toolchain.selector())
        .quiet()
        .read()
        .with_context(|| format!("failed to read GOROOT of Go {}", toolchain.release))?;
    Ok(PathBuf::from(out.trim()))
}

/// Installs the pinned TinyGo unless `install.toml` says it is there; reports what it did.
pub(crate) fn ensure(sh: &Shell, root: &Path) -> Result<()> {
    let dir = install_dir();
    let toolchain = GoToolchain::resolve(sh, root, &tinygo_build())?;
    let stamp = dir.join("install.toml");
    if let Ok(text) = std::fs::read_to_string(&stamp)
        && let Ok(record) = toml::from_str::<Record>(&text)
        && record.tinygo == VERSION
        && record.built_with == toolchain.version
        && installed_apt(sh)? == record.apt
        && installed_binary().is_file()
        // Restores a seeded library that was deleted from TinyGo's cache (it would try to compile it instead).
        && seed_cache(&cache_home(&dir).join("tinygo"))? == record.seeded
    {
        status::step("Ready", format!("TinyGo {VERSION} ({})", installed_binary().display()));
        return Ok(());
    }
    let start = std::time::Instant::now();
    status::step("Installing", format!("TinyGo {VERSION} into {}", dir.display()));
    install(sh, &dir, &toolchain)
        .with_context(|| format!("failed to install TinyGo {VERSION} into {}", dir.display()))?;
    status::step(
        "Installed",
        format!("TinyGo {VERSION} ({}) in {}", installed_binary().display(), status::elapsed(start.elapsed())),
    );
    Ok(())
}

fn install(sh: &Shell, dir: &Path, toolchain: &GoToolchain) -> Result<()> {
    let specs: Vec<String> = APT.iter().map(|(p, v)| format!("{p}={v}")).collect();
    if installed_apt(sh)?.len() != APT.len() {
        setup::apt_install(sh, &specs, "TinyGo's LLVM 19, clang, wasm-ld, wasi-libc and compiler-rt")
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
        tinygo: VERSION.into(),
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
        "# Written by `cargo xtask setup tinygo`: what this TinyGo was assembled from (see xtask/src/tinygo.rs).\n{}",
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
        let version = cmd!(sh, "dpkg-query -W {format} {package}").quiet().ignore_status().read()?;
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
    let spec = format!("{MODULE}@v{VERSION}");
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

/// Copies Debian's prebuilt wasi-libc and compiler-rt into a TinyGo cache directory; returns their hashes.
fn seed_cache(cache: &Path) -> Result<BTreeMap<String, String>> {
    let mut hashes = BTreeMap::new();
    for (entry, name, source) in SEEDED {
        let source = Path::new(source);
        let dest = cache.join(entry).join(name);
        let hash = if source.is_dir() {
            let mut all = String::new();
            for file in util::files_under(source)? {
                let rel = file.strip_prefix(source).unwrap_or(&file).display().to_string();
                all.push_str(&format!("{rel} {}\n", util::sha256_hex(&util::read(&file)?)));
            }
            if !dest.is_dir() {
                let tmp = dest.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
                let _ = std::fs::remove_dir_all(&tmp);
                util::copy_tree(source, &tmp)?;
                std::fs::rename(&tmp, &dest).with_context(|| format!("failed to move {} into place", tmp.display()))?;
            }
            util::sha256_hex(all.as_bytes())
        } else {
            let bytes = util::read(source)
                .with_context(|| format!("{} is missing: is its Debian package installed?", source.display()))?;
            if std::fs::read(&dest).ok().as_deref() != Some(bytes.as_slice()) {
                util::write_atomic(&dest, &bytes)?;
            }
            util::sha256_hex(&bytes)
        };
        hashes.insert(format!("{entry}/{name}"), hash);
    }
    Ok(hashes)
}

/// `tinygo version` of a TinyGo binary, run with the pinned Go (for `doctor`).
pub(crate) fn version(sh: &Shell, _path: &Path) -> Result<String> {
    let toolchain = GoToolchain::resolve(sh, &project::root(), &tinygo_build())?;
    Ok(TinyGo::resolve(sh, &toolchain)?.version)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Stress;
    use crate::pipeline::{self, Options, Until, Workspace};
    use crate::project::{Job, Post};

    /// The installed TinyGo compiles the hasher (same Go code, same WIT) into a component that passes the
    /// vectors, a reduced stress and the declarative cases, and the manifest inputs name TinyGo.
    #[test]
    fn the_pinned_tinygo_builds_a_hasher_that_passes_its_check() {
        let sh = Shell::new().unwrap();
        let root = project::root();
        let ws = Workspace {
            work: root.join(format!("target/xtask-tests/tinygo-{}", std::process::id())),
            ..Workspace::new(&root)
        };
        let component = project::select_components(&root, &["hasher".to_string()]).unwrap().remove(0);
        let build = project::builds().into_iter().find(|b| b.name == "tinygo").unwrap();
        let jobs = vec![Job { component, build, posts: vec![Post::Strip] }];
        let options = Options { stress: Stress { calls_64k: 2000, calls_1m: 100 }, ..Options::until(Until::Check) };
        let products = pipeline::run(&sh, &ws, jobs, &options);
        let _ = std::fs::remove_dir_all(&ws.work);
        let products = products.unwrap();
        let tinygo = products[0].tinygo.as_ref().expect("a TinyGo build carries its TinyGo");
        assert!(tinygo.version.starts_with(&format!("tinygo version {VERSION} ")), "{}", tinygo.version);
        assert!(tinygo.version.contains(&format!("go{GO_LINE}.")), "{}", tinygo.version);
    }

    #[test]
    fn the_install_directory_is_versioned_and_the_pins_are_exact() {
        assert!(install_dir().ends_with(format!("tinygo-{VERSION}")));
        assert!(installed_binary().ends_with("tinygo/build/tinygo"));
        for (package, version) in APT {
            assert!(!package.is_empty() && version.chars().next().is_some_and(|c| c.is_ascii_digit()), "{package}");
        }
        assert_eq!(tinygo_build().go_minor, GO_LINE);
    }
}
