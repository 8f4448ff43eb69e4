//! The build stage: compiles a component's Go module for `GOOS=wasip1 GOARCH=wasm` as a c-shared reactor, for one
//! build variant (`<work>/<component>/<build>/core.wasm`). It runs `go` (or, for TinyGo builds,
//! `tinygo -target=wasip1`) and nothing else; its flags and environment are the whole of what it does, so they
//! are its cache key (`keys::build`) and are recorded in the manifest, with the Go modules it links ([`modules`]).

pub mod modules;

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use xshell::{Shell, cmd};

use crate::env::tinygo::TinyGo;
use crate::env::toolchain::GoToolchain;
use crate::model::{Build, Component, Workspace, paths};
use crate::status;

/// The `go build` flags every core module is built with (recorded in the manifest).
pub fn go_build_flags() -> Vec<String> {
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

/// The flags a build compiles with (recorded in the manifest): `go build`'s, or TinyGo's for TinyGo builds.
pub fn build_flags(build: &Build) -> Vec<String> {
    match build.tinygo {
        None => go_build_flags(),
        Some(options) => [
            "-target=wasip1",
            "-buildmode=c-shared",
            // TinyGo keeps Go's stack in linear memory (a "shadow stack", 64 KiB by default, at the bottom of
            // memory: overflowing it is an out-of-bounds trap). 1 MiB lets process-json decode the 1000 levels of
            // nesting canonjson accepts, like the gc toolchain.
            "-ldflags=-extldflags '-z stack-size=1048576'",
        ]
        .iter()
        .chain(options)
        .map(|f| f.to_string())
        .collect(),
    }
}

/// The environment a build runs with (recorded in the manifest; PATH, which only locates the tools, is left out).
pub fn build_env(
    build: &Build,
    toolchain: &GoToolchain,
    tinygo: Option<&TinyGo>,
    component: &Component,
) -> Vec<(&'static str, String)> {
    run_env(build, toolchain, tinygo, component).into_iter().filter(|(k, _)| *k != "PATH").collect()
}

/// [`build_env`] with PATH (TinyGo finds its Go there), and the component's GOFLAGS ([`goflags`]).
pub(crate) fn run_env(
    build: &Build,
    toolchain: &GoToolchain,
    tinygo: Option<&TinyGo>,
    component: &Component,
) -> Vec<(&'static str, String)> {
    let mut env = match (build.tinygo, tinygo) {
        (Some(_), Some(tinygo)) => tinygo.env(Some(&component.name)),
        _ => go_build_env(build, toolchain),
    };
    let flags = goflags(component.vendored, &user_goflags());
    for (key, value) in &mut env {
        if *key == "GOFLAGS" {
            *value = flags.clone();
        }
    }
    env
}

/// The GOFLAGS a build runs with: `-mod=vendor` for a component that vendors its modules (`vendor/modules.txt`),
/// else `-mod=readonly` (go.mod and go.sum are what is built, never updated), then the flags of the user's GOFLAGS
/// (`user`) that keep a build reproducible: `-tags`, `-modcacherw`, `-p`. Their others are left out
/// ([`dropped_goflags`] says which): `-mod` is the pipeline's to choose, and the rest either repeats a flag every
/// build has or could change the bytes in ways the pipeline does not vouch for.
pub fn goflags(vendored: bool, user: &str) -> String {
    let mut flags = vec![if vendored { "-mod=vendor" } else { "-mod=readonly" }.to_string()];
    flags.extend(user.split_whitespace().filter(|f| kept_goflag(f)).map(String::from));
    flags.join(" ")
}

fn kept_goflag(flag: &str) -> bool {
    let name = flag.trim_start_matches('-').split('=').next().unwrap_or_default();
    matches!(name, "tags" | "modcacherw" | "p") && flag.contains('=') == (name != "modcacherw")
}

/// The flags of the user's GOFLAGS a build leaves out, each with the reason; what a run says once. A flag every
/// build has already (`-trimpath`, `-buildvcs=false`) is not among them.
pub fn dropped_goflags(user: &str) -> Vec<(String, &'static str)> {
    let ours = go_build_flags();
    user.split_whitespace()
        .filter(|f| !kept_goflag(f) && !ours.iter().any(|o| o == f))
        .map(|f| {
            let why = if f.starts_with("-mod=") || f.starts_with("--mod=") {
                "the build uses -mod=readonly (-mod=vendor with a vendor directory), so that go.mod and go.sum are \
                 what is built"
            } else {
                "not known to keep the build reproducible (kept: -tags=…, -modcacherw, -p=…)"
            };
            (f.to_string(), why)
        })
        .collect()
}

/// The user's GOFLAGS: the environment's, or else the one `go env -w` wrote (the go command's own precedence).
pub fn user_goflags() -> String {
    std::env::var("GOFLAGS").ok().or_else(|| go_env_value(&go_env_file(), "GOFLAGS")).unwrap_or_default()
}

/// The file `go env -w` writes: `$GOENV`, else `go/env` in the user's configuration directory.
pub(crate) fn go_env_file() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("GOENV") {
        return Some(PathBuf::from(path));
    }
    let config = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".config")))?;
    Some(config.join("go/env"))
}

/// `key`'s value in the `go env -w` file, if it sets one.
pub(crate) fn go_env_value(file: &Option<PathBuf>, key: &str) -> Option<String> {
    let text = std::fs::read_to_string(file.as_ref()?).ok()?;
    text.lines().find_map(|line| line.strip_prefix(key)?.strip_prefix('=')).map(String::from)
}

/// The compiler's own version line (recorded in the manifest and part of the build key).
pub fn compiler_version(build: &Build, toolchain: &GoToolchain, tinygo: Option<&TinyGo>) -> String {
    match (build.tinygo, tinygo) {
        (Some(_), Some(tinygo)) => tinygo.version.clone(),
        _ => toolchain.version.clone(),
    }
}

/// The environment every build runs with; anything the user's shell sets for Go is overridden.
pub fn go_build_env(build: &Build, toolchain: &GoToolchain) -> Vec<(&'static str, String)> {
    vec![
        ("GOOS", "wasip1".into()),
        ("GOARCH", "wasm".into()),
        ("CGO_ENABLED", "0".into()),
        ("GOTOOLCHAIN", toolchain.selector()),
        ("GOFLAGS", "-mod=readonly".into()),
        ("GOWORK", "off".into()),
        ("GOEXPERIMENT", build.goexperiment.unwrap_or_default().into()),
        // Both change the module's bytes and may come from the user's shell or `go env -w`: pinned to defaults.
        ("GOFIPS140", "off".into()),
        ("GOWASM", String::new()),
    ]
}

/// Builds one core module; returns its path. On a compile error the message has the compiler's output, the
/// variant and the command.
pub fn build(
    sh: &Shell,
    ws: &Workspace,
    component: &Component,
    build: &Build,
    toolchain: &GoToolchain,
    tinygo: Option<&TinyGo>,
) -> Result<PathBuf> {
    let start = Instant::now();
    let root = &ws.root;
    let version = compiler_version(build, toolchain, tinygo);
    status::step("Building", format!("{} {} ({version})", component.name, build.name));
    let out = paths::core_module(&ws.work, component, build);
    let dir = out.parent().expect("core module has a parent");
    std::fs::create_dir_all(dir).with_context(|| format!("failed to create {}", dir.display()))?;
    // TinyGo chooses the output format by the file extension.
    let tmp = dir.join(format!(".core.{}.tmp.wasm", std::process::id()));

    let _cwd = sh.push_dir(root.join(&component.dir));
    let program = match (build.tinygo, tinygo) {
        (None, _) => toolchain.go.clone(),
        (Some(_), Some(tinygo)) => tinygo.path.clone(),
        (Some(_), None) => bail!("the {} variants need TinyGo: run `cargo xtask setup tinygo`", build.name),
    };
    let mut env = run_env(build, toolchain, tinygo, component);
    if let (Some(gocache), None) = (&ws.gocache, build.tinygo) {
        env.push(("GOCACHE", gocache.display().to_string()));
    }
    let _env: Vec<_> = env.iter().map(|(k, v)| sh.push_env(k, v)).collect();
    let flags = build_flags(build);
    let command = cmd!(sh, "{program} build {flags...} -o {tmp} .").quiet().ignore_status();
    let shown = format!(
        "{} {command}",
        env.iter()
            .filter(|(k, v)| !v.is_empty() && *k != "PATH")
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let output = command.output().with_context(|| format!("failed to run {}", program.display()))?;
    if !output.status.success() {
        let _ = std::fs::remove_file(&tmp);
        let what = if build.tinygo.is_some() { "tinygo build" } else { "go build" };
        let stderr =
            [String::from_utf8_lossy(&output.stderr).trim_end(), String::from_utf8_lossy(&output.stdout).trim_end()]
                .join("\n");
        let mismatch = world_mismatch(&root.join(&component.dir), &stderr)
            .map(|exports| {
                format!(
                    "\nthe Go code does not match world `{}` at export {exports}: the generated glue (wit_exports.go) calls the function of that name in the export_* package with the WIT's types",
                    component.world
                )
            })
            .unwrap_or_default();
        bail!(
            "{what} failed for {} (variant {}){mismatch}\ncommand: (in {}) {shown}\n{}",
            component.name,
            build.name,
            component.dir.display(),
            stderr.trim()
        );
    }
    // go wrote the temporary file in full; renaming it is atomic.
    std::fs::rename(&tmp, &out).with_context(|| format!("failed to move {} to {}", tmp.display(), out.display()))?;
    let size = std::fs::metadata(&out).map(|m| m.len()).unwrap_or_default();
    let shown_out = out.strip_prefix(root).unwrap_or(&out).display();
    status::step("Built", format!("{shown_out} ({size} bytes) in {}", status::elapsed(start.elapsed())));
    Ok(out)
}

/// When compile errors point into the generated glue, the exports whose glue failed (`measure`,
/// `ns:pkg/iface#func`), found from the `//go:wasmexport` line above each error; `None` otherwise.
fn world_mismatch(component_dir: &Path, stderr: &str) -> Option<String> {
    let glue = std::fs::read_to_string(component_dir.join("wit_exports.go")).ok()?;
    let glue: Vec<&str> = glue.lines().collect();
    let mut exports = Vec::new();
    for line in stderr.lines() {
        let Some(rest) = line.strip_prefix("./wit_exports.go:") else { continue };
        let Some(number) = rest.split(':').next().and_then(|n| n.parse::<usize>().ok()) else { continue };
        let export = glue[..number.min(glue.len())]
            .iter()
            .rev()
            .find_map(|l| l.strip_prefix("//go:wasmexport "))
            .map(|name| format!("`{name}`"));
        if let Some(export) = export
            && !exports.contains(&export)
        {
            exports.push(export);
        }
    }
    (!exports.is_empty()).then(|| exports.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pipeline chooses `-mod`; of the user's GOFLAGS only what keeps a build reproducible is kept, and each
    /// flag left out is named with its reason.
    #[test]
    fn the_users_goflags_are_merged_where_they_keep_the_build_reproducible() {
        assert_eq!(goflags(false, ""), "-mod=readonly");
        assert_eq!(goflags(true, ""), "-mod=vendor");
        let user = "-mod=mod -tags=netgo,osusergo -buildvcs=false -modcacherw -p=2 -race -tags";
        assert_eq!(goflags(false, user), "-mod=readonly -tags=netgo,osusergo -modcacherw -p=2");
        let dropped: Vec<(String, &str)> = dropped_goflags(user);
        let names: Vec<&str> = dropped.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(names, ["-mod=mod", "-race", "-tags"], "-buildvcs=false: every build has it already");
        assert!(dropped[0].1.contains("go.mod and go.sum are what is built"), "{}", dropped[0].1);
        assert!(dropped[1].1.starts_with("not known to keep the build reproducible"));
    }

    #[test]
    fn the_go_env_file_is_read_as_go_env_w_writes_it() {
        let file = std::env::temp_dir().join(format!("xtask-goenv-{}", std::process::id()));
        std::fs::write(&file, "GOFLAGS=-tags=a -p=1\nGOPROXY=https://u:p@proxy.example\nGOPROXYX=no\n").unwrap();
        let found = Some(file.clone());
        assert_eq!(go_env_value(&found, "GOFLAGS").as_deref(), Some("-tags=a -p=1"));
        assert_eq!(go_env_value(&found, "GOPROXY").as_deref(), Some("https://u:p@proxy.example"));
        assert_eq!(go_env_value(&found, "GOSUMDB"), None);
        std::fs::remove_file(file).unwrap();
        assert_eq!(go_env_value(&None, "GOFLAGS"), None);
    }

    /// A copy of go/hasher and go/witpkg in a temporary root, with one Go file broken.
    #[test]
    #[ignore = "slow tier: builds components with Go (`cargo xtask test` runs it)"]
    fn go_compile_error_names_the_variant_the_command_and_the_compiler_output() {
        let sh = Shell::new().unwrap();
        let (root, component, variant) = crate::testing::hasher_go126();
        let tmp = std::env::temp_dir().join(format!("xtask-goerr-{}", std::process::id()));
        let ws = Workspace::new(&tmp);
        for dir in ["go/hasher", "go/witpkg"] {
            crate::util::copy_dir(&root.join(dir), &tmp.join(dir));
        }
        std::fs::write(
            tmp.join("go/hasher/export_wit_world/broken.go"),
            "package export_wit_world\n\nfunc Broken() int { return \"x\" }\n",
        )
        .unwrap();
        std::fs::copy(root.join("go/toolchains.toml"), tmp.join("go/toolchains.toml")).unwrap();
        let toolchain = GoToolchain::resolve(&sh, &tmp, &variant.build).unwrap();
        let err = format!("{:#}", build(&sh, &ws, &component, &variant.build, &toolchain, None).unwrap_err());
        let leftovers: Vec<_> = std::fs::read_dir(tmp.join("target/wasm/hasher/go1.26")).unwrap().collect();
        std::fs::remove_dir_all(&tmp).unwrap();
        assert!(err.contains("go build failed for hasher (variant go1.26)"), "{err}");
        assert!(err.contains("GOOS=wasip1") && err.contains("-buildmode=c-shared"), "no command in: {err}");
        assert!(err.contains("broken.go:3"), "no compiler output in: {err}");
        assert!(leftovers.is_empty(), "a failed build left files behind");
    }

    /// A go.mod whose modules cannot be had — a `replace` to a missing directory, a go.sum that does not match
    /// what the module proxy serves, a module the proxy does not have — fails the build with one error naming the
    /// component and the build, and the go tool's own message of the cause.
    #[test]
    #[ignore = "slow tier: builds with Go and asks the Go module proxy (`cargo xtask test` runs it)"]
    fn module_problems_name_the_component_the_build_and_the_go_tools_cause() {
        let sh = Shell::new().unwrap();
        let (root, component, variant) = crate::testing::hasher_go126();
        let tmp = std::env::temp_dir().join(format!("xtask-gomod-{}", std::process::id()));
        for dir in ["go/hasher", "go/witpkg"] {
            crate::util::copy_dir(&root.join(dir), &tmp.join(dir));
        }
        std::fs::copy(root.join("go/toolchains.toml"), tmp.join("go/toolchains.toml")).unwrap();
        let toolchain = GoToolchain::resolve(&sh, &tmp, &variant.build).unwrap();
        let go_mod = std::fs::read_to_string(tmp.join("go/hasher/go.mod")).unwrap();
        let dir = tmp.join("go/hasher");
        let error_with = |go_mod: &str, go_sum: &str, uses: Option<(&str, &str)>| -> String {
            std::fs::write(dir.join("go.mod"), go_mod).unwrap();
            std::fs::write(dir.join("go.sum"), go_sum).unwrap();
            let _ = std::fs::remove_file(dir.join("export_wit_world/uses.go"));
            if let Some((import, call)) = uses {
                let text = format!("package export_wit_world\n\nimport \"{import}\"\n\nvar _ = {call}\n");
                std::fs::write(dir.join("export_wit_world/uses.go"), text).unwrap();
            }
            let ws = Workspace::new(&tmp);
            format!("{:#}", build(&sh, &ws, &component, &variant.build, &toolchain, None).unwrap_err())
        };
        let missing = error_with(&go_mod.replace("=> ../witpkg", "=> ../nowhere"), "", None);
        let text_mod = "golang.org/x/text v0.21.0/go.mod h1:4IBbMaMmOPCJ8SecivzSH54+73PCFmPWxNTLm+vZkEQ=\n";
        let mismatch = error_with(
            &format!("{go_mod}\nrequire golang.org/x/text v0.21.0\n"),
            &format!("golang.org/x/text v0.21.0 h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n{text_mod}"),
            Some(("golang.org/x/text/cases", "cases.Fold")),
        );
        let absent = error_with(
            &format!("{go_mod}\nrequire gowasm.invalid/nope v1.0.0\n"),
            "gowasm.invalid/nope v1.0.0 h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\
             gowasm.invalid/nope v1.0.0/go.mod h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
            Some(("gowasm.invalid/nope", "nope.X")),
        );
        let _ = xshell::cmd!(sh, "chmod -R u+w {tmp}").quiet().run();
        std::fs::remove_dir_all(&tmp).unwrap();
        for err in [&missing, &mismatch, &absent] {
            eprintln!("{err}\n");
            assert!(err.contains("go build failed for hasher (variant go1.26)"), "{err}");
        }
        assert!(missing.contains("../nowhere"), "{missing}");
        assert!(mismatch.contains("checksum mismatch"), "{mismatch}");
        assert!(absent.contains("gowasm.invalid/nope"), "{absent}");
    }
}
