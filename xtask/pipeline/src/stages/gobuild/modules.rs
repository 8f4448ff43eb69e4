//! What went into a core module from Go's module graph: the modules its packages come from, as the build's own
//! compiler resolves them (`go list -deps -json`, or `tinygo list` for TinyGo builds, under the build's
//! environment), and the user's settings for fetching modules, recorded with credentials redacted.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use xshell::{Shell, cmd};

use crate::env::tinygo::TinyGo;
use crate::env::toolchain::GoToolchain;
use crate::model::{Build, Component};

/// A module linked into a core module (its main module aside).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct GoModule {
    pub path: String,
    pub version: String,
    /// The `h1:` hash go.sum holds for it (none for a module replaced by a directory).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub sum: String,
    /// What go.mod replaces it with: a directory, or `path version`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replace: Option<String>,
}

/// `go list -json`'s view of a package: only its module matters here.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Package {
    module: Option<ListedModule>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListedModule {
    path: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    sum: String,
    #[serde(default)]
    main: bool,
    replace: Option<Box<ListedModule>>,
}

/// The modules of the packages `component`'s build links, sorted; the go tool's own message on failure.
pub fn linked(
    sh: &Shell,
    root: &Path,
    component: &Component,
    build: &Build,
    toolchain: &GoToolchain,
    tinygo: Option<&TinyGo>,
) -> Result<Vec<GoModule>> {
    let _cwd = sh.push_dir(root.join(&component.dir));
    let env = super::run_env(build, toolchain, tinygo, component);
    let _env: Vec<_> = env.iter().map(|(k, v)| sh.push_env(k, v)).collect();
    let command = match (build.tinygo, tinygo) {
        (Some(_), Some(tinygo)) => {
            let program = &tinygo.path;
            cmd!(sh, "{program} list -target=wasip1 -deps -json .")
        }
        _ => {
            let program = &toolchain.go;
            cmd!(sh, "{program} list -deps -json .")
        }
    };
    let output = command.quiet().ignore_status().output()?;
    anyhow::ensure!(
        output.status.success(),
        "failed to list the modules of {} {}: {}",
        component.name,
        build.name,
        String::from_utf8_lossy(&output.stderr).trim_end()
    );
    let mut modules =
        parse(&output.stdout).with_context(|| format!("the module list of {} {}", component.name, build.name))?;
    // A vendored build lists no hashes (vendor/modules.txt holds none): they are go.sum's.
    let go_sum = std::fs::read_to_string(root.join(&component.dir).join("go.sum")).unwrap_or_default();
    for module in modules.iter_mut().filter(|m| m.sum.is_empty() && m.replace.is_none()) {
        module.sum = sum_of(&go_sum, &module.path, &module.version).unwrap_or_default();
    }
    Ok(modules)
}

/// The `h1:` hash go.sum holds for the module `path` at `version` (not the one of its go.mod).
fn sum_of(go_sum: &str, path: &str, version: &str) -> Option<String> {
    go_sum.lines().find_map(|line| {
        let mut fields = line.split_whitespace();
        (fields.next()? == path && fields.next()? == version).then(|| fields.next().map(String::from))?
    })
}

/// The distinct non-main modules of a `go list -deps -json` stream, sorted.
fn parse(stream: &[u8]) -> Result<Vec<GoModule>> {
    let mut modules = Vec::new();
    for package in serde_json::Deserializer::from_slice(stream).into_iter::<Package>() {
        let Some(module) = package.context("not go list -json output")?.module else { continue };
        if module.main {
            continue;
        }
        let replace =
            module.replace.map(|r| if r.version.is_empty() { r.path } else { format!("{} {}", r.path, r.version) });
        modules.push(GoModule { path: module.path, version: module.version, sum: module.sum, replace });
    }
    modules.sort();
    modules.dedup();
    Ok(modules)
}

/// The settings for fetching and verifying modules that the user set (environment, else `go env -w`), which reach
/// the go tool of every build: recorded, never keyed (go.sum pins what is fetched), with any credentials in a URL
/// replaced by `***` and GOAUTH (which may hold tokens) recorded as set only.
pub fn module_env() -> BTreeMap<String, String> {
    let file = super::go_env_file();
    let mut recorded = BTreeMap::new();
    for key in ["GOPROXY", "GOPRIVATE", "GONOPROXY", "GONOSUMDB", "GONOSUMCHECK", "GOSUMDB", "GOINSECURE", "GOAUTH"] {
        let value = std::env::var(key).ok().or_else(|| super::go_env_value(&file, key)).unwrap_or_default();
        if value.is_empty() {
            continue;
        }
        let value = if key == "GOAUTH" { "(set; not recorded)".to_string() } else { redact(&value) };
        recorded.insert(key.to_string(), value);
    }
    recorded
}

/// `text` with the user-info part of every URL in it (`https://user:token@host`) replaced by `***`.
fn redact(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (before, after) = rest.split_at(at + 3);
        out.push_str(before);
        let end = after.find([',', '|', ' ']).unwrap_or(after.len());
        let authority_end = after[..end].find('/').unwrap_or(end);
        match after[..authority_end].rfind('@') {
            Some(user_end) => {
                out.push_str("***");
                out.push_str(&after[user_end..end]);
            }
            None => out.push_str(&after[..end]),
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_in_proxy_urls_are_redacted() {
        assert_eq!(redact("https://proxy.golang.org,direct"), "https://proxy.golang.org,direct");
        assert_eq!(
            redact("https://me:s3cret@goproxy.corp/x|https://tok@other.example,off"),
            "https://***@goproxy.corp/x|https://***@other.example,off"
        );
        assert_eq!(redact("corp.example/*"), "corp.example/*");
    }

    /// Go's own list output: the main module left out, a module replaced by a directory, one by another version,
    /// each module once.
    #[test]
    fn the_listed_modules_are_distinct_sorted_and_without_the_main_one() {
        let stream = br#"{"ImportPath":"unsafe"}
{"ImportPath":"golang.org/x/text/cases","Module":{"Path":"golang.org/x/text","Version":"v0.21.0","Sum":"h1:zy="}}
{"ImportPath":"golang.org/x/text/language","Module":{"Path":"golang.org/x/text","Version":"v0.21.0","Sum":"h1:zy="}}
{"ImportPath":"go.bytecodealliance.org/pkg/wit/cm","Module":{"Path":"go.bytecodealliance.org/pkg","Version":"v0.2.2","Replace":{"Path":"../witpkg"}}}
{"ImportPath":"a.example/b","Module":{"Path":"a.example/b","Version":"v1.0.0","Replace":{"Path":"a.example/fork","Version":"v1.0.1","Sum":"h1:f="}}}
{"ImportPath":"wit_component","Module":{"Path":"wit_component","Main":true}}
"#;
        let modules = parse(stream).unwrap();
        let shown: Vec<String> = modules
            .iter()
            .map(|m| format!("{} {} {} {}", m.path, m.version, m.sum, m.replace.as_deref().unwrap_or("-")))
            .collect();
        assert_eq!(
            shown,
            [
                "a.example/b v1.0.0  a.example/fork v1.0.1",
                "go.bytecodealliance.org/pkg v0.2.2  ../witpkg",
                "golang.org/x/text v0.21.0 h1:zy= -"
            ]
        );
        assert!(parse(b"not json").is_err());
        let go_sum = "golang.org/x/text v0.21.0 h1:zy=\ngolang.org/x/text v0.21.0/go.mod h1:gm=\n";
        assert_eq!(sum_of(go_sum, "golang.org/x/text", "v0.21.0").as_deref(), Some("h1:zy="));
        assert_eq!(sum_of(go_sum, "golang.org/x/text", "v0.20.0"), None);
    }
}
