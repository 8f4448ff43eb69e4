//! TinyGo as the pipeline uses it: the pinned release and where it is installed, how it is found and checked,
//! the environment every TinyGo build runs with, and its per-component library caches. Installing it is
//! `cargo xtask setup tinygo`'s business (`env::setup::tinygo`); this module only reads the install.
//!
//! The directory is `$GOWASM_CACHE/tinygo-<version>` (default `${XDG_CACHE_HOME:-$HOME/.cache}/gowasm`): outside
//! the clone, so a fresh clone on the same machine (CI) reuses it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use xshell::{Shell, cmd};

use crate::env::toolchain::GoToolchain;
use crate::model::{self, Build, TINYGO_GO_LINE};
use crate::{env::tools, util};

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

/// `<dir>/cache`: TinyGo's `XDG_CACHE_HOME` (its cache is the `tinygo` directory inside).
pub fn cache_home(dir: &Path) -> PathBuf {
    dir.join("cache")
}

/// The `XDG_CACHE_HOME` of one component's TinyGo builds, per checkout: the cached runtime objects name the
/// directory they were compiled in, so a cache filled by another clone made this clone's raw modules differ from
/// its own clean rebuild (`dist --verify-reproducible` caught it on a second clone on the same machine).
fn component_cache_home(cache_home: &Path, checkout: &Path, component: &str) -> PathBuf {
    let checkout = util::sha256_hex(checkout.to_string_lossy().as_bytes());
    cache_home.join("components").join(&checkout[..16]).join(component)
}

/// A TinyGo ready to build, with the environment it needs.
#[derive(Debug, Clone)]
pub struct TinyGo {
    pub path: PathBuf,
    /// `tinygo version` (recorded in the manifest), e.g. `tinygo version 0.39.0 linux/amd64 (using go version
    /// go1.25.14 and LLVM version 19.1.7)`.
    pub version: String,
    /// GOROOT of the Go toolchain TinyGo runs with.
    goroot: PathBuf,
    /// TinyGo's `XDG_CACHE_HOME` (None for a `TINYGO` override: the user's own cache).
    cache_home: Option<PathBuf>,
    /// The checkout whose builds these are (its caches are its own: see `component_cache_home`).
    checkout: PathBuf,
    /// The pinned install's `install.toml` (every Debian package version and the hash of every seeded library it
    /// was assembled from), part of the build key; `None` for a `TINYGO` override.
    pub install_record: Option<String>,
    wasm_opt: Option<PathBuf>,
}

/// A TinyGo build of the matrix: what `GoToolchain::resolve` needs to find the Go that TinyGo runs with.
pub fn tinygo_build() -> Build {
    model::builds().into_iter().find(|b| b.tinygo.is_some()).unwrap_or(Build {
        name: "tinygo",
        go_minor: TINYGO_GO_LINE,
        goexperiment: None,
        tinygo: Some(&[]),
        experimental: true,
    })
}

impl TinyGo {
    /// Finds TinyGo (`TINYGO`, else the pinned install) and checks it runs; `toolchain` is the pinned Go 1.25.
    pub fn resolve(sh: &Shell, root: &Path, toolchain: &GoToolchain) -> Result<Self> {
        let path = tools::TINYGO.locate()?;
        let goroot = goroot(sh, toolchain)?;
        let overridden = std::env::var_os(tools::TINYGO.env).is_some_and(|v| !v.is_empty());
        let cache_home = (!overridden).then(|| cache_home(&tools::tinygo_install_dir()));
        let wasm_opt = tools::WASM_OPT.locate().ok();
        let checkout = root.to_path_buf();
        let install_record = (!overridden)
            .then(|| std::fs::read_to_string(tools::tinygo_install_dir().join("install.toml")).ok())
            .flatten();
        let mut tinygo = Self { path, version: String::new(), goroot, cache_home, checkout, install_record, wasm_opt };
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
    pub fn env(&self, component: Option<&str>) -> Vec<(&'static str, String)> {
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
                Some(name) => component_cache_home(cache, &self.checkout, name),
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
    pub fn prepare(&self, component: &str) -> Result<()> {
        if let Some(cache) = &self.cache_home {
            seed_cache(&component_cache_home(cache, &self.checkout, component).join("tinygo"))?;
        }
        Ok(())
    }

    /// Uses `cache_home` (a fresh directory for a reproducibility run) as the base of TinyGo's caches.
    pub fn with_cache(&self, cache_home: &Path) -> Self {
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

/// Copies Debian's prebuilt wasi-libc and compiler-rt into a TinyGo cache directory; returns their hashes.
pub fn seed_cache(cache: &Path) -> Result<BTreeMap<String, String>> {
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

/// `tinygo version` of the TinyGo in use, run with the pinned Go of the project at `root` (for `doctor`).
pub fn version(sh: &Shell, root: &Path) -> Result<String> {
    let toolchain = GoToolchain::resolve(sh, root, &tinygo_build())?;
    Ok(TinyGo::resolve(sh, root, &toolchain)?.version)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{self, Job, Post, Stress, Workspace};
    use crate::run::scheduler::{self, Options, Until};
    use crate::testing::root;

    /// The installed TinyGo compiles the hasher (same Go code, same WIT) into a component that passes the
    /// vectors, a reduced stress and the declarative cases, exports the collector's count, collects inside
    /// `cabi_realloc` when the stress asks it to, and the manifest inputs name TinyGo.
    #[test]
    #[ignore = "slow tier: builds with TinyGo (`cargo xtask test` runs it)"]
    fn the_pinned_tinygo_builds_a_hasher_that_passes_its_check() {
        let sh = Shell::new().unwrap();
        let root = root();
        let ws = Workspace {
            work: root.join(format!("target/xtask-tests/tinygo-{}", std::process::id())),
            ..Workspace::new(&root)
        };
        let component = model::select_components(&root, &["hasher".to_string()]).unwrap().remove(0);
        let build = model::builds().into_iter().find(|b| b.name == "tinygo").unwrap();
        let jobs = vec![Job::new(component, build, vec![Post::Strip])];
        let options = Options { stress: Stress::fixed(2000, 100), ..Options::until(Until::Check) };
        let products = scheduler::run(&sh, &ws, jobs, &options);
        // A TinyGo component exports the collector's count (gowasm:harden/collector), and the stress read it.
        let counts = products.as_ref().ok().map(|products| {
            let host = host::Host::new(&host::HostConfig::default()).unwrap();
            let path = products[0].component_path.as_ref().expect("checked products have a component");
            let component = host.load(path).unwrap();
            let mut store = host.store();
            let instance = host.instantiate(&mut store, &component).unwrap();
            let window = crate::suite::Window::of(&mut store, &instance).unwrap();
            (window.counts, window.count(&mut store).unwrap())
        });
        let _ = std::fs::remove_dir_all(&ws.work);
        let products = products.unwrap();
        assert_eq!(counts, Some((crate::suite::Counts::Collections, 0)), "a fresh instance has seen none");
        // 2,000 calls with 64 KiB and 100 with 1 MiB: the stress had the collector run inside `cabi_realloc`
        // every MiB lowered (suite::COLLECT_EVERY), about 225 times; the allocator alone collected once in 10,000
        // calls with 64 KiB and 3 times in 200 with 1 MiB.
        let window = products[0].window.expect("the stress recorded what it counted");
        assert!(window.answered >= 200, "the collector ran {} times inside cabi_realloc", window.answered);
        let tinygo = products[0].tinygo.as_ref().expect("a TinyGo build carries its TinyGo");
        assert!(
            tinygo.version.starts_with(&format!("tinygo version {} ", tools::TINYGO_VERSION)),
            "{}",
            tinygo.version
        );
        assert!(tinygo.version.contains(&format!("go{TINYGO_GO_LINE}.")), "{}", tinygo.version);
    }
}
