//! The project's shape: where the workspace root is, which components exist (discovered from
//! `go/<name>/component.toml`, never listed in code), which build variants exist, and where each artifact lives
//! under `target/`. Tasks ask this module for paths instead of joining strings themselves.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use crate::flags::Selection;

/// The workspace root (the parent of xtask/).
pub(crate) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

/// The name of the per-component config file inside `go/<name>/`.
pub(crate) const CONFIG_FILE: &str = "component.toml";

/// `go/<name>/component.toml`: what a user writes to add a component.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ComponentConfig {
    /// The WIT world the Go module implements (default: the component's name).
    world: Option<String>,
    /// The WIT file or directory holding that world, relative to the workspace root (default: `wit/<name>.wit`).
    wit: Option<PathBuf>,
}

/// A component: one Go module under go/ implementing one WIT world.
#[derive(Debug, Clone)]
pub(crate) struct Component {
    pub(crate) name: String,
    /// The Go module's directory, relative to the workspace root (`go/<name>`).
    pub(crate) dir: PathBuf,
    /// The WIT file or directory, relative to the workspace root.
    pub(crate) wit: PathBuf,
    pub(crate) world: String,
}

impl Component {
    fn load(root: &Path, name: &str) -> Result<Self> {
        let dir = Path::new("go").join(name);
        let config_path = root.join(&dir).join(CONFIG_FILE);
        let text = std::fs::read_to_string(&config_path)
            .with_context(|| format!("failed to read {}", config_path.display()))?;
        let config: ComponentConfig =
            toml::from_str(&text).with_context(|| format!("invalid component config {}", config_path.display()))?;
        let wit = config.wit.unwrap_or_else(|| Path::new("wit").join(format!("{name}.wit")));
        if !root.join(&wit).exists() {
            bail!("{} names the WIT path {}, which does not exist", config_path.display(), wit.display());
        }
        Ok(Self { name: name.to_string(), dir, wit, world: config.world.unwrap_or_else(|| name.to_string()) })
    }
}

/// Every component under `go/` (directories holding a `component.toml`), sorted by name.
pub(crate) fn discover(root: &Path) -> Result<Vec<Component>> {
    let go_dir = root.join("go");
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&go_dir).with_context(|| format!("failed to list {}", go_dir.display()))? {
        let entry = entry?;
        if entry.path().join(CONFIG_FILE).is_file() {
            let name =
                entry.file_name().into_string().map_err(|n| anyhow::anyhow!("non-UTF-8 directory name {n:?}"))?;
            names.push(name);
        }
    }
    names.sort();
    names.iter().map(|name| Component::load(root, name)).collect()
}

/// The components a task should work on: all, or those named with `--component`, in discovery order.
pub(crate) fn select_components(root: &Path, wanted: &[String]) -> Result<Vec<Component>> {
    let all = discover(root)?;
    if all.is_empty() {
        bail!("no components found: add go/<name>/{CONFIG_FILE}");
    }
    for name in wanted {
        if !all.iter().any(|c| &c.name == name) {
            let known: Vec<_> = all.iter().map(|c| c.name.as_str()).collect();
            bail!("unknown component `{name}` (known: {})", known.join(", "));
        }
    }
    Ok(all.into_iter().filter(|c| wanted.is_empty() || wanted.contains(&c.name)).collect())
}

/// One way of building a component: a compiler, its version and the settings that change the output.
#[derive(Debug, Clone)]
pub(crate) struct Variant {
    /// Stable name used in paths, the manifest and reports.
    pub(crate) name: &'static str,
    /// The Go release line this variant needs (`go version` must report a go<minor>.x toolchain).
    pub(crate) go_minor: &'static str,
    /// `GOEXPERIMENT` for the build, if any.
    pub(crate) goexperiment: Option<&'static str>,
}

/// The variant matrix.
pub(crate) fn variants() -> Vec<Variant> {
    vec![Variant { name: "go1.26", go_minor: "1.26", goexperiment: None }]
}

/// The variants a task should work on: all, or those named with `--variant`.
pub(crate) fn select_variants(wanted: &[String]) -> Result<Vec<Variant>> {
    let all = variants();
    for name in wanted {
        if !all.iter().any(|v| v.name == name) {
            let known: Vec<_> = all.iter().map(|v| v.name).collect();
            bail!("unknown variant `{name}` (known: {})", known.join(", "));
        }
    }
    Ok(all.into_iter().filter(|v| wanted.is_empty() || wanted.iter().any(|w| w == v.name)).collect())
}

/// Every (component, variant) pair a selection names.
pub(crate) fn select(root: &Path, selection: &Selection) -> Result<Vec<(Component, Variant)>> {
    let components = select_components(root, &selection.components)?;
    let variants = select_variants(&selection.variants)?;
    Ok(components.iter().flat_map(|c| variants.iter().map(move |v| (c.clone(), v.clone()))).collect())
}

/// Where everything produced lives.
pub(crate) mod paths {
    use std::path::{Path, PathBuf};

    use super::{Component, Variant};

    /// `target/wasm/<component>/<variant>/`: intermediate build products.
    pub(crate) fn work_dir(root: &Path, component: &Component, variant: &Variant) -> PathBuf {
        root.join("target/wasm").join(&component.name).join(variant.name)
    }

    /// The core module `go build` produced.
    pub(crate) fn core_module(root: &Path, component: &Component, variant: &Variant) -> PathBuf {
        work_dir(root, component, variant).join("core.wasm")
    }

    /// The component made from it.
    pub(crate) fn component(root: &Path, component: &Component, variant: &Variant) -> PathBuf {
        work_dir(root, component, variant).join("component.wasm")
    }

    /// `target/dist/`.
    pub(crate) fn dist_dir(root: &Path) -> PathBuf {
        root.join("target/dist")
    }

    /// The shipped artifact, relative to `target/dist`.
    pub(crate) fn dist_relative(component: &Component, variant: &Variant) -> String {
        format!("{}/{}.wasm", component.name, variant.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hasher_is_discovered_from_its_config() {
        let components = discover(&root()).unwrap();
        let hasher = components.iter().find(|c| c.name == "hasher").expect("go/hasher is a component");
        assert_eq!(hasher.world, "hasher");
        assert_eq!(hasher.wit, Path::new("wit/hasher.wit"));
    }

    #[test]
    fn unknown_component_is_named_in_the_error() {
        let err = select_components(&root(), &["nope".to_string()]).unwrap_err().to_string();
        assert!(err.contains("unknown component `nope`") && err.contains("hasher"), "{err}");
    }

    #[test]
    fn unknown_config_keys_are_rejected() {
        let err = toml::from_str::<ComponentConfig>("wrold = \"x\"").unwrap_err().to_string();
        assert!(err.contains("unknown field `wrold`"), "{err}");
    }
}
