//! What `cargo xtask doctor` reports: every tool the pipeline uses — the external programs of [`super::tools`],
//! the pinned Go toolchains and the in-process crates — found or not, with its version, where it is and what it is
//! for. It looks and installs nothing.

use std::path::Path;

use anyhow::Result;
use serde::Serialize;
use xshell::Shell;

use super::{toolchain, tools};
use crate::versions;

/// One tool, as the report lists it.
#[derive(Debug, Serialize)]
pub struct Entry {
    pub name: String,
    pub kind: Kind,
    pub found: bool,
    pub version: Option<String>,
    pub path: Option<String>,
    pub purpose: &'static str,
    /// Why it is missing and how to get it (only when not found).
    pub hint: Option<String>,
}

/// What kind of tool an [`Entry`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// An external program (found with `which` or its environment variable).
    Program,
    /// A pinned Go toolchain in the Go module cache.
    Toolchain,
    /// A crate the pipeline runs in-process.
    Crate,
}

impl Entry {
    /// Where it is, or how it is reached when it has no path of its own.
    pub fn place(&self) -> &str {
        self.path.as_deref().unwrap_or(match self.kind {
            Kind::Crate => "(in-process)",
            Kind::Toolchain => "(Go module cache)",
            Kind::Program => "-",
        })
    }
}

/// Every tool of the checkout at `root`, in the order `doctor` prints them.
pub fn report(sh: &Shell, root: &Path) -> Result<Vec<Entry>> {
    let mut entries = Vec::new();
    for tool in tools::ALL {
        let (found, version, path, hint) = match tool.locate() {
            Ok(path) => {
                // TinyGo says its version only with the pinned Go's GOROOT (`tinygo version`, not `--version`).
                let version = if tool.name == tools::TINYGO.name {
                    super::tinygo::version(sh, root)
                } else {
                    tool.version(sh, &path)
                };
                let version = version.unwrap_or_else(|e| format!("unknown ({e:#})"));
                (true, Some(version), Some(path.display().to_string()), None)
            }
            Err(err) => (false, None, None, Some(err.to_string())),
        };
        entries.push(Entry {
            name: tool.name.to_string(),
            kind: Kind::Program,
            found,
            version,
            path,
            purpose: tool.why,
            hint,
        });
    }
    // The pinned Go toolchains (go/toolchains.toml): present in the Go module cache or not. Nothing is
    // downloaded here; `cargo xtask setup` installs what is missing.
    if let Ok(go) = tools::GO.locate() {
        for (line, release) in toolchain::all_pinned(root)? {
            let found = toolchain::is_installed(sh, &go, &release);
            entries.push(Entry {
                name: format!("go{release}"),
                kind: Kind::Toolchain,
                found,
                version: found.then(|| format!("go{release}")),
                path: None,
                purpose: "a pinned Go toolchain (go/toolchains.toml) for the matrix's builds of its line",
                hint: (!found).then(|| {
                    format!("Go {release} (the go{line} builds) is not installed: run `cargo xtask setup go`")
                }),
            });
        }
    }
    for (name, purpose) in tools::IN_PROCESS {
        let version = versions::crate_version(name).ok();
        entries.push(Entry {
            name: name.to_string(),
            kind: Kind::Crate,
            found: version.is_some(),
            version,
            path: None,
            purpose,
            hint: None,
        });
    }
    Ok(entries)
}

/// The report as `doctor` prints it: per tool a line with its mark, name, version and place, then what it is for,
/// then (when missing) how to get it.
pub fn render(entries: &[Entry]) -> String {
    let mut out = String::new();
    for e in entries {
        let mark = if e.found { "ok" } else { "MISSING" };
        let version = e.version.as_deref().unwrap_or("-");
        out.push_str(&format!("{mark:>8} {:<42} {version:<34} {}\n", e.name, e.place()));
        out.push_str(&format!("{:>8} {}\n", "", e.purpose));
        if let Some(hint) = &e.hint {
            out.push_str(&format!("{:>8} {hint}\n", ""));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One entry of each kind, found and missing: the table a person reads.
    #[test]
    fn the_report_reads_as_the_snapshot_says() {
        let entry = |name: &str, kind, found: bool, path: Option<&str>, hint: Option<&str>| Entry {
            name: name.to_string(),
            kind,
            found,
            version: found.then(|| format!("{name} 1.0")),
            path: path.map(str::to_string),
            purpose: "does what it is for",
            hint: hint.map(str::to_string),
        };
        let entries = [
            entry("go", Kind::Program, true, Some("/usr/local/go/bin/go"), None),
            entry(
                "wasm-opt",
                Kind::Program,
                false,
                None,
                Some("`wasm-opt` not found on PATH: run `cargo xtask setup`"),
            ),
            entry("go1.26.8", Kind::Toolchain, true, None, None),
            entry("wit-component", Kind::Crate, true, None, None),
        ];
        expect_test::expect_file!["snapshots/doctor.txt"].assert_eq(&render(&entries));
    }
}
