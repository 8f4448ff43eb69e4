//! `cargo xtask build`: compiles each component's Go module for `GOOS=wasip1 GOARCH=wasm` as a c-shared reactor,
//! one core module per variant, into `target/wasm/<component>/<variant>/core.wasm`. It runs `go` and nothing
//! else; it never touches target/dist.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use xshell::{Shell, cmd};

use crate::project::{self, Component, Variant, paths};
use crate::{flags, status, tools};

impl flags::Build {
    pub(crate) fn run(self, sh: &Shell) -> Result<()> {
        let root = project::root();
        for (component, variant) in project::select(&root, &self.selection)? {
            let toolchain = GoToolchain::for_variant(sh, &variant)?;
            build(sh, &root, &component, &variant, &toolchain)?;
        }
        Ok(())
    }
}

/// A Go toolchain found for a variant, with the exact version it reports.
#[derive(Debug, Clone)]
pub(crate) struct GoToolchain {
    pub(crate) go: PathBuf,
    /// `go version` output, e.g. `go version go1.26.8 linux/amd64`.
    pub(crate) version: String,
}

impl GoToolchain {
    /// The toolchain a variant builds with; fails when the Go found is not of the variant's release line.
    pub(crate) fn for_variant(sh: &Shell, variant: &Variant) -> Result<Self> {
        let go = tools::GO.locate()?;
        let version =
            tools::GO.version(sh, &go).with_context(|| format!("failed to run `{} version`", go.display()))?;
        let release = tools::go_release(&version).unwrap_or_default();
        let wanted = format!("{}.", variant.go_minor);
        if !(release.starts_with(&wanted) || release == variant.go_minor) {
            bail!(
                "variant {} needs Go {}.x but {} is `{version}`; set GO to a Go {} toolchain",
                variant.name,
                variant.go_minor,
                go.display(),
                variant.go_minor
            );
        }
        Ok(Self { go, version })
    }
}

/// The `go build` flags every core module is built with (recorded in the manifest).
pub(crate) fn go_build_flags() -> Vec<String> {
    [
        "-buildmode=c-shared", // a reactor: `_initialize` and exports, no `_start`
        "-trimpath",           // no machine paths in the binary (reproducible)
        "-buildvcs=false",     // no VCS stamp (reproducible, works outside git)
        // The runtime's cabi_realloc falls back to runtime.sbrk before the Go runtime is initialised (the WASI
        // adapter allocates its state during `_initialize`); linking that symbol needs the check relaxed.
        "-ldflags=-checklinkname=0",
    ]
    .map(String::from)
    .to_vec()
}

/// The environment every build runs with; anything the user's shell sets for Go is overridden.
pub(crate) fn go_build_env(variant: &Variant) -> Vec<(&'static str, String)> {
    vec![
        ("GOOS", "wasip1".into()),
        ("GOARCH", "wasm".into()),
        ("CGO_ENABLED", "0".into()),
        ("GOTOOLCHAIN", "local".into()),
        ("GOFLAGS", "-mod=readonly".into()),
        ("GOWORK", "off".into()),
        ("GOEXPERIMENT", variant.goexperiment.unwrap_or_default().into()),
    ]
}

/// Builds one core module; returns its path. On a compile error the message has the compiler's output, the
/// variant and the command.
pub(crate) fn build(
    sh: &Shell,
    root: &Path,
    component: &Component,
    variant: &Variant,
    toolchain: &GoToolchain,
) -> Result<PathBuf> {
    let start = Instant::now();
    status::step("Building", format!("{} {} ({})", component.name, variant.name, toolchain.version));
    let out = paths::core_module(root, component, variant);
    let dir = out.parent().expect("core module has a parent");
    std::fs::create_dir_all(dir).with_context(|| format!("failed to create {}", dir.display()))?;
    let tmp = dir.join(format!(".core.wasm.{}.tmp", std::process::id()));

    let _cwd = sh.push_dir(root.join(&component.dir));
    let env = go_build_env(variant);
    let _env: Vec<_> = env.iter().map(|(k, v)| sh.push_env(k, v)).collect();
    let go = &toolchain.go;
    let flags = go_build_flags();
    let command = cmd!(sh, "{go} build {flags...} -o {tmp} .").quiet().ignore_status();
    let shown = format!(
        "{} {command}",
        env.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" ")
    );
    let output = command.output().with_context(|| format!("failed to run {}", go.display()))?;
    if !output.status.success() {
        let _ = std::fs::remove_file(&tmp);
        bail!(
            "go build failed for {} (variant {})\ncommand: (in {}) {shown}\n{}",
            component.name,
            variant.name,
            component.dir.display(),
            String::from_utf8_lossy(&output.stderr).trim_end()
        );
    }
    // go wrote the temporary file in full; renaming it is atomic.
    std::fs::rename(&tmp, &out).with_context(|| format!("failed to move {} to {}", tmp.display(), out.display()))?;
    let size = std::fs::metadata(&out).map(|m| m.len()).unwrap_or_default();
    let shown_out = out.strip_prefix(root).unwrap_or(&out).display();
    status::step("Built", format!("{shown_out} ({size} bytes) in {}", status::elapsed(start.elapsed())));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A copy of go/hasher and go/witpkg in a temporary root, with one Go file broken.
    #[test]
    fn go_compile_error_names_the_variant_the_command_and_the_compiler_output() {
        let sh = Shell::new().unwrap();
        let (root, component, variant) = crate::check::tests::hasher_go126();
        let tmp = std::env::temp_dir().join(format!("xtask-goerr-{}", std::process::id()));
        for dir in ["go/hasher", "go/witpkg"] {
            copy_dir(&root.join(dir), &tmp.join(dir));
        }
        std::fs::write(
            tmp.join("go/hasher/export_wit_world/broken.go"),
            "package export_wit_world\n\nfunc Broken() int { return \"x\" }\n",
        )
        .unwrap();
        let toolchain = GoToolchain::for_variant(&sh, &variant).unwrap();
        let err = format!("{:#}", build(&sh, &tmp, &component, &variant, &toolchain).unwrap_err());
        let leftovers: Vec<_> = std::fs::read_dir(tmp.join("target/wasm/hasher/go1.26")).unwrap().collect();
        std::fs::remove_dir_all(&tmp).unwrap();
        assert!(err.contains("go build failed for hasher (variant go1.26)"), "{err}");
        assert!(err.contains("GOOS=wasip1") && err.contains("-buildmode=c-shared"), "no command in: {err}");
        assert!(err.contains("broken.go:3"), "no compiler output in: {err}");
        assert!(leftovers.is_empty(), "a failed build left files behind");
    }

    fn copy_dir(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_dir() {
                copy_dir(&entry.path(), &to.join(entry.file_name()));
            } else {
                std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
            }
        }
    }

    #[test]
    fn a_toolchain_of_another_release_line_is_refused() {
        let sh = Shell::new().unwrap();
        let variant = Variant { name: "go1.99", go_minor: "1.99", goexperiment: None };
        let err = GoToolchain::for_variant(&sh, &variant).unwrap_err().to_string();
        assert!(err.contains("variant go1.99 needs Go 1.99.x"), "{err}");
    }
}
