//! A component's own matrix: the builds it leaves out and why — those its `component.toml` names under
//! `[leave-out]` (a dependency TinyGo cannot compile, say), those older than its go.mod's go line (the go command
//! refuses them), and those a part it is composed with leaves out.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};

use super::{Build, TINYGO_GO_LINE, builds};

/// A build a component leaves out, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeftOut {
    pub component: String,
    /// The build's name (`tinygo-o2`): every variant of it is left out.
    pub build: String,
    pub reason: String,
}

/// Whether `pattern` (a `[leave-out]` key: a build's name, or a prefix ending in `*`) names `build`.
pub fn names(pattern: &str, build: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => build.starts_with(prefix),
        None => pattern == build,
    }
}

/// The builds `[leave-out]` of `config_path` leaves out, in matrix order, each with its reason; a key that names
/// no build or a reason left empty is refused.
pub(super) fn from_config(
    config_path: &Path,
    component: &str,
    table: &BTreeMap<String, String>,
) -> Result<Vec<LeftOut>> {
    let all = builds();
    for (pattern, reason) in table {
        if !all.iter().any(|b| names(pattern, b.name)) {
            let known: Vec<_> = all.iter().map(|b| b.name).collect();
            bail!(
                "{}: [leave-out] names `{pattern}`, which is no build (builds: {}; `tinygo*` names every build \
                 starting with `tinygo`)",
                config_path.display(),
                known.join(", ")
            );
        }
        if reason.trim().is_empty() {
            bail!(
                "{}: [leave-out] gives `{pattern}` no reason: say why the component cannot ship it (the manifest \
                 records it)",
                config_path.display()
            );
        }
    }
    Ok(all
        .iter()
        .filter_map(|build| {
            // The most specific key wins: an exact name over a prefix, a longer prefix over a shorter one.
            let (_, reason) = table
                .iter()
                .filter(|(pattern, _)| names(pattern, build.name))
                .max_by_key(|(pattern, _)| (!pattern.ends_with('*'), pattern.len()))?;
            Some(LeftOut { component: component.to_string(), build: build.name.to_string(), reason: reason.clone() })
        })
        .collect())
}

/// `(major, minor)` of a Go version (`1.25`, `1.25.3`, `1.26rc1`).
fn line_of(version: &str) -> Option<(u32, u32)> {
    let mut parts = version.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor: String = parts.next()?.chars().take_while(char::is_ascii_digit).collect();
    Some((major, minor.parse().ok()?))
}

/// The `go` directive of the go.mod `text`, if it has one.
pub fn go_line(text: &str) -> Option<&str> {
    text.lines().find_map(|line| line.trim().strip_prefix("go ").map(str::trim)).filter(|v| line_of(v).is_some())
}

/// The builds whose Go is older than the go line of the go.mod `text` (the go command refuses to build such a
/// module, and TinyGo builds with the standard library of [`TINYGO_GO_LINE`]).
pub(super) fn from_go_line(component: &str, text: &str) -> Vec<LeftOut> {
    let Some(wanted) = go_line(text) else { return Vec::new() };
    let need = line_of(wanted).expect("go_line parses");
    builds()
        .into_iter()
        .filter(|b| line_of(b.go_minor).is_some_and(|have| have < need))
        .map(|b| {
            let reason = if b.tinygo.is_some() {
                format!("go.mod says go {wanted}; TinyGo builds with Go {TINYGO_GO_LINE}'s standard library")
            } else {
                format!("go.mod says go {wanted}, newer than Go {} (the go command refuses to build it)", b.go_minor)
            };
            LeftOut { component: component.to_string(), build: b.name.to_string(), reason }
        })
        .collect()
}

/// `own` joined with `more`, a build already left out keeping its first reason; in matrix order.
pub(super) fn join(mut own: Vec<LeftOut>, more: impl IntoIterator<Item = LeftOut>) -> Vec<LeftOut> {
    for left in more {
        if !own.iter().any(|o| o.build == left.build) {
            own.push(left);
        }
    }
    let order: Vec<&str> = builds().iter().map(|b| b.name).collect();
    own.sort_by_key(|l| order.iter().position(|b| *b == l.build));
    own
}

/// Why `left_out` leaves out `build`, if it does.
pub fn reason<'a>(left_out: &'a [LeftOut], build: &Build) -> Option<&'a str> {
    left_out.iter().find(|l| l.build == build.name).map(|l| l.reason.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_name_builds_exactly_or_by_prefix_and_the_most_specific_wins() {
        let table: BTreeMap<String, String> = [
            ("tinygo*".to_string(), "reflect.Value.Call".to_string()),
            ("tinygo-o2".to_string(), "its own reason".to_string()),
            ("go1.25-jsonv2".to_string(), "v2 differs".to_string()),
        ]
        .into();
        let left = from_config(Path::new("go/x/component.toml"), "x", &table).unwrap();
        let got: Vec<(&str, &str)> = left.iter().map(|l| (l.build.as_str(), l.reason.as_str())).collect();
        assert_eq!(
            got,
            [
                ("go1.25-jsonv2", "v2 differs"),
                ("tinygo", "reflect.Value.Call"),
                ("tinygo-o2", "its own reason"),
                ("tinygo-conservative", "reflect.Value.Call"),
                ("tinygo-asyncify", "reflect.Value.Call"),
                ("tinygo-leaking", "reflect.Value.Call"),
            ]
        );
    }

    #[test]
    fn a_key_naming_no_build_or_a_missing_reason_is_refused() {
        let one = |k: &str, v: &str| -> BTreeMap<String, String> { [(k.to_string(), v.to_string())].into() };
        let path = Path::new("go/x/component.toml");
        let unknown = from_config(path, "x", &one("go1.23", "old")).unwrap_err().to_string();
        assert!(unknown.contains("[leave-out] names `go1.23`, which is no build") && unknown.contains("go1.26"));
        let empty = from_config(path, "x", &one("tinygo*", "  ")).unwrap_err().to_string();
        assert!(empty.contains("gives `tinygo*` no reason"), "{empty}");
    }

    #[test]
    fn builds_older_than_the_go_line_are_left_out() {
        assert_eq!(go_line("module m\n\ngo 1.25.0\n\nrequire x v1\n"), Some("1.25.0"));
        assert_eq!(go_line("module m\n"), None);
        assert!(from_go_line("x", "module m\ngo 1.24\n").is_empty(), "every build has Go 1.24 or newer");
        let left = from_go_line("x", "module m\ngo 1.26\n");
        let names: Vec<&str> = left.iter().map(|l| l.build.as_str()).collect();
        assert_eq!(
            names,
            [
                "go1.24",
                "go1.25",
                "go1.25-greentea",
                "go1.25-jsonv2",
                "tinygo",
                "tinygo-o2",
                "tinygo-conservative",
                "tinygo-asyncify",
                "tinygo-leaking"
            ]
        );
        assert_eq!(left[0].reason, "go.mod says go 1.26, newer than Go 1.24 (the go command refuses to build it)");
        assert_eq!(left[4].reason, "go.mod says go 1.26; TinyGo builds with Go 1.25's standard library");
        assert_eq!(from_go_line("x", "go 1.25rc1\n").len(), 1);
    }
}
