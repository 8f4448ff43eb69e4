//! `cargo xtask doctor`: reports every tool the pipeline uses (external programs and in-process crates) and
//! fails when a required one is missing. It changes nothing.

use std::path::Path;

use anyhow::{Result, bail};
use serde::Serialize;
use xshell::Shell;

use pipeline::env::tools;

use crate::flags;

#[derive(Debug, Serialize)]
struct Entry {
    name: String,
    kind: &'static str,
    found: bool,
    version: Option<String>,
    path: Option<String>,
    purpose: &'static str,
    /// Why it is missing and how to get it (only when not found).
    hint: Option<String>,
}

impl flags::Doctor {
    pub(crate) fn run(self, sh: &Shell, root: &Path) -> Result<()> {
        let mut entries = Vec::new();
        for tool in tools::ALL {
            let entry = match tool.locate() {
                Ok(path) => Entry {
                    name: tool.name.to_string(),
                    kind: "program",
                    found: true,
                    version: Some(tool.version(sh, &path).unwrap_or_else(|e| format!("unknown ({e})"))),
                    path: Some(path.display().to_string()),
                    purpose: tool.why,
                    hint: None,
                },
                Err(err) => Entry {
                    name: tool.name.to_string(),
                    kind: "program",
                    found: false,
                    version: None,
                    path: None,
                    purpose: tool.why,
                    hint: Some(err.to_string()),
                },
            };
            entries.push(entry);
        }
        // The pinned Go toolchains (go/toolchains.toml): present in the Go module cache or not. Nothing is
        // downloaded here; `cargo xtask setup` installs what is missing.
        if let Ok(go) = tools::GO.locate() {
            for (line, release) in pipeline::env::toolchain::all_pinned(root)? {
                let found = pipeline::env::toolchain::is_installed(sh, &go, &release);
                entries.push(Entry {
                    name: format!("go{release}"),
                    kind: "toolchain",
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
            let version = pipeline::versions::crate_version(name).ok();
            entries.push(Entry {
                name: name.to_string(),
                kind: "crate",
                found: version.is_some(),
                version,
                path: None,
                purpose,
                hint: None,
            });
        }

        if self.json {
            println!("{}", serde_json::to_string_pretty(&entries)?);
        } else {
            for e in &entries {
                let mark = if e.found { "ok" } else { "MISSING" };
                let version = e.version.as_deref().unwrap_or("-");
                let place = e.path.as_deref().unwrap_or(match e.kind {
                    "crate" => "(in-process)",
                    "toolchain" => "(Go module cache)",
                    _ => "-",
                });
                eprintln!("{mark:>8} {:<42} {version:<34} {place}", e.name);
                eprintln!("{:>8} {}", "", e.purpose);
                if let Some(hint) = &e.hint {
                    eprintln!("{:>8} {hint}", "");
                }
            }
        }
        let missing: Vec<_> = entries.iter().filter(|e| !e.found).map(|e| e.name.as_str()).collect();
        if !missing.is_empty() {
            bail!("missing: {}", missing.join(", "));
        }
        Ok(())
    }
}
