//! The Go side of `cargo xtask test`: every component's Go code formatted (`gofmt -l`), vetted for wasip1 and
//! tested natively (`go vet`, `go test`), and the bindings' runtime vetted for both compilers.

use std::path::Path;

use anyhow::{Context, Result};
use xshell::{Shell, cmd};

use crate::env::tools;
use crate::model::Component;
use crate::status;

/// `gofmt -l`, `go vet` (for wasip1) on the user's packages and `go test` natively on them. The generated
/// `package main` (wit_exports.go) is left out of vet: its unsafe.Pointer conversions of host addresses are what
/// vet's unsafeptr check flags, by design of the canonical ABI; packages holding generated glue beside the user's
/// code are vetted without that check and without composites (the glue of an imported function returning a tuple
/// builds `witTypes.Tuple3[…]{…}` with unkeyed fields).
pub fn go_checks(sh: &Shell, root: &Path, go: &Path, component: &Component) -> Result<()> {
    let dir = root.join(&component.dir);
    let _cwd = sh.push_dir(&dir);
    status::step("Testing", format!("go/{}", component.name));
    gofmt_clean(sh, &dir)?;
    let format = "{{.ImportPath}}\t{{.Dir}}";
    let listed = cmd!(sh, "{go} list -f {format} ./...").env("GOOS", "wasip1").env("GOARCH", "wasm").read()?;
    let mut packages = Vec::new();
    let (mut plain, mut with_glue) = (Vec::new(), Vec::new());
    for line in listed.lines() {
        let (package, package_dir) = line.split_once('\t').unwrap_or((line, ""));
        if package == "wit_component" {
            continue;
        }
        packages.push(package.to_string());
        // A package the user shares with generated glue (an exported resource's wit_bindings.go converts handles
        // to pointers) is vetted without the unsafeptr and composites checks; every other check still runs on the
        // user's code.
        if Path::new(package_dir).join("wit_bindings.go").exists() {
            with_glue.push(package.to_string());
        } else {
            plain.push(package.to_string());
        }
    }
    if !plain.is_empty() {
        go_vet(sh, go, &dir, &plain)?;
    }
    if !with_glue.is_empty() {
        let flags = ["-unsafeptr=false".to_string(), "-composites=false".to_string()];
        go_vet(sh, go, &dir, &[flags.as_slice(), with_glue.as_slice()].concat())?;
    }
    if !packages.is_empty() {
        cmd!(sh, "{go} test {packages...}")
            .env("GOTOOLCHAIN", "local")
            .run()
            .with_context(|| format!("go test failed in {}", component.dir.display()))?;
    }
    Ok(())
}

/// The bindings' runtime copy (go/witpkg): formatted, and vetted as big Go builds it and as TinyGo does (its
/// TinyGo flavour, runtime_tinygo.go, uses only standard Go, so the same toolchain vets it).
pub fn witpkg(sh: &Shell, root: &Path, go: &Path) -> Result<()> {
    let witpkg = root.join("go/witpkg");
    status::step("Vetting", "go/witpkg");
    gofmt_clean(sh, &witpkg)?;
    go_vet(sh, go, &witpkg, &["./...".to_string()])?;
    status::step("Vetting", "go/witpkg (-tags tinygo)");
    go_vet(sh, go, &witpkg, &["-tags".to_string(), "tinygo".to_string(), "./...".to_string()])
}

/// `gofmt -l` on a directory: nothing it would change.
pub fn gofmt_clean(sh: &Shell, dir: &Path) -> Result<()> {
    let gofmt = tools::GOFMT.locate()?;
    let _cwd = sh.push_dir(dir);
    let unformatted = cmd!(sh, "{gofmt} -l .").read()?;
    anyhow::ensure!(unformatted.is_empty(), "gofmt would change files in {}: {unformatted}", dir.display());
    Ok(())
}

/// `go vet` for wasip1 with the machine's Go (the packages are the same on every variant).
pub fn go_vet(sh: &Shell, go: &std::path::Path, dir: &std::path::Path, packages: &[String]) -> Result<()> {
    let _cwd = sh.push_dir(dir);
    cmd!(sh, "{go} vet {packages...}")
        .env("GOOS", "wasip1")
        .env("GOARCH", "wasm")
        .env("GOTOOLCHAIN", "local")
        .env("GOFLAGS", super::gobuild::goflags(dir.join("vendor/modules.txt").is_file(), ""))
        .run()
        .with_context(|| format!("go vet failed in {}", dir.display()))
}
