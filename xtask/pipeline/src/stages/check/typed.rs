//! A component's typed suite: the crate of Rust checks its component.toml names (`suite`), built with cargo as a
//! member of the workspace and run as a process against each artifact, as `cargo test` runs a test crate. The
//! check stage hands it the component already compiled for the checks' host (a precompiled file, loaded in
//! milliseconds) and reads its verdict back (`suite::Outcome`); a suite that does not build fails the checks of
//! its component with cargo's errors, and nothing else.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use host::wasmtime::component::Component as Compiled;
use serde::Deserialize;
use xshell::{Shell, cmd};

use crate::env::tools;
use crate::model::Component;
use crate::status;
use crate::suite::{Outcome, Request, Verdict};
use crate::util;

/// Builds the typed suite of `component` (which must have one) with cargo; returns the binary's path.
pub fn build(sh: &Shell, root: &Path, component: &Component) -> Result<PathBuf> {
    let dir = component.suite.as_deref().context("the component has no typed suite")?;
    let manifest = root.join(dir).join("Cargo.toml");
    let package = package_name(&manifest)?;
    let cargo = tools::CARGO.locate()?;
    let start = std::time::Instant::now();
    let _cwd = sh.push_dir(root);
    // Diagnostics are rendered on stderr as cargo prints them; stdout carries one JSON message per artifact.
    let build = cmd!(sh, "{cargo} build --quiet --manifest-path {manifest} --message-format=json-render-diagnostics");
    let messages = tools::without_cargo_run_env(build).quiet().read().with_context(|| {
        format!("the typed suite of {} ({}) does not build: cargo's errors are above", component.name, dir.display())
    })?;
    let binary = executable(&messages, &package).with_context(|| {
        format!(
            "cargo built {} without an executable: a suite is a binary whose main is `pipeline::suite::main`",
            package
        )
    })?;
    status::step(
        "Suite",
        format!("{} ({}) ready in {}", component.name, dir.display(), status::elapsed(start.elapsed())),
    );
    Ok(binary)
}

/// Runs the suite `binary` on `request`'s component, handing it `compiled` (the component compiled for the checks'
/// host); the verdict, or the suite's error with its causes.
pub fn run(binary: &Path, request: &Request, compiled: &Compiled) -> Result<Verdict> {
    // Beside the component, named as the run's temporary files are, so that a killed run's are swept by the next
    // (`records::remove_orphans`); this check removes its own when the suite is done.
    let name = request.component.file_name().and_then(|n| n.to_str()).context("a component file has a name")?;
    let precompiled = request.component.with_file_name(format!(".{name}.suite.tmp.cwasm"));
    let outcome = request.component.with_file_name(format!(".{name}.suite.tmp.json"));
    let _ = std::fs::remove_file(&outcome);
    let bytes = compiled.serialize().map_err(anyhow::Error::from).context("failed to serialize the component")?;
    util::write_atomic(&precompiled, &bytes)?;
    let request = Request { precompiled: Some(precompiled.clone()), outcome: Some(outcome.clone()), ..request.clone() };
    let args = request.to_args();
    let sh = Shell::new()?;
    let ran = cmd!(sh, "{binary} {args...}").quiet().run();
    let read = Outcome::read(&outcome);
    let _ = std::fs::remove_file(&precompiled);
    let _ = std::fs::remove_file(&outcome);
    match (read, ran) {
        (Ok(outcome), _) => outcome.into_result(),
        (Err(_), Err(err)) => {
            Err(err).context(format!("the typed suite {} stopped without a verdict", binary.display()))
        }
        (Err(err), Ok(())) => {
            Err(err.context(format!("the typed suite {} passed without a verdict", binary.display())))
        }
    }
}

/// The `[package] name` of a crate's manifest.
fn package_name(manifest: &Path) -> Result<String> {
    #[derive(Deserialize)]
    struct Manifest {
        package: Package,
    }
    #[derive(Deserialize)]
    struct Package {
        name: String,
    }
    let text = std::fs::read_to_string(manifest).with_context(|| format!("failed to read {}", manifest.display()))?;
    let parsed: Manifest =
        toml::from_str(&text).with_context(|| format!("{} has no [package] name", manifest.display()))?;
    Ok(parsed.package.name)
}

/// The executable cargo reported building for `package`, from its JSON messages.
fn executable(messages: &str, package: &str) -> Result<PathBuf> {
    #[derive(Deserialize)]
    struct Message {
        reason: String,
        #[serde(default)]
        target: Option<Target>,
        #[serde(default)]
        executable: Option<PathBuf>,
    }
    #[derive(Deserialize)]
    struct Target {
        name: String,
        kind: Vec<String>,
    }
    let mut found = Vec::new();
    for line in messages.lines().filter(|l| l.starts_with('{')) {
        let message: Message = serde_json::from_str(line).context("cargo printed a message that is not JSON")?;
        if message.reason != "compiler-artifact" {
            continue;
        }
        if let (Some(target), Some(path)) = (message.target, message.executable)
            && target.kind.iter().any(|k| k == "bin")
        {
            found.push((target.name, path));
        }
    }
    match found.as_slice() {
        [(_, path)] => Ok(path.clone()),
        [] => bail!("no binary in package `{package}`"),
        several => match several.iter().find(|(name, _)| name == package) {
            Some((_, path)) => Ok(path.clone()),
            None => bail!(
                "package `{package}` has several binaries ({}) and none named after it",
                several.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(", ")
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The binary is found among cargo's messages: the package's only one, or the one named after it.
    #[test]
    fn the_suite_binary_is_read_from_cargos_messages() {
        let artifact = |name: &str, kind: &str, exe: Option<&str>| {
            let exe = exe.map_or("null".to_string(), |e| format!("\"{e}\""));
            format!(
                r#"{{"reason":"compiler-artifact","target":{{"name":"{name}","kind":["{kind}"]}},"executable":{exe}}}"#
            )
        };
        let lib = artifact("pipeline", "lib", None);
        let one =
            format!("{lib}\n{}\n{{\"reason\":\"build-finished\"}}", artifact("demo-suite", "bin", Some("/t/demo")));
        assert_eq!(executable(&one, "demo-suite").unwrap(), Path::new("/t/demo"));
        let two = format!("{}\n{}", artifact("x", "bin", Some("/t/x")), artifact("demo-suite", "bin", Some("/t/d")));
        assert_eq!(executable(&two, "demo-suite").unwrap(), Path::new("/t/d"));
        let err = executable(&two, "other").unwrap_err().to_string();
        assert!(err.contains("several binaries (x, demo-suite)"), "{err}");
        assert!(executable(&lib, "demo-suite").unwrap_err().to_string().contains("no binary"));
    }
}
