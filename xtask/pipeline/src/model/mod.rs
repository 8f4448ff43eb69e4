//! The pipeline's models, a leaf every other module may use and which uses none of them: which components exist
//! (discovered from `go/<name>/component.toml`, never listed in code), which build variants exist, what a run
//! selects and how hard it stresses, where a run reads and writes ([`Workspace`]) and where each artifact lives
//! under `target/` ([`paths`]). Stages ask this module for paths instead of joining strings themselves.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::Deserialize;

pub mod evidence;
mod leave_out;
mod matrix;
pub mod paths;
mod selection;
mod stress;

pub use leave_out::{LeftOut, go_line, names as names_build};
pub use matrix::{Build, Post, Variant, builds, select_variants, variants};
pub use selection::{Job, Plan, Selection, Shard, plan, select};
pub use stress::{Sizing, Stress};

/// Where a run reads sources and writes intermediate products.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// The project: go/, wit/, go/toolchains.toml.
    pub root: PathBuf,
    /// Intermediate products (`target/wasm`, or another directory for a reproducibility run).
    pub work: PathBuf,
    /// A `GOCACHE` of its own (a reproducibility run compiles everything again), or the user's.
    pub gocache: Option<PathBuf>,
    /// The Cargo workspace the components' typed suites are members of and are built in: the project itself,
    /// or the checkout a test's copy of some components was made from.
    pub cargo_workspace: PathBuf,
}

impl Workspace {
    pub fn new(root: &Path) -> Self {
        Self {
            root: root.to_path_buf(),
            work: paths::work_dir(root),
            gocache: None,
            cargo_workspace: root.to_path_buf(),
        }
    }
}

/// The Go release line TinyGo builds run with (its GOROOT): TinyGo 0.39 supports Go 1.22–1.25.
pub const TINYGO_GO_LINE: &str = "1.25";

/// The name of the per-component config file inside `go/<name>/`.
pub const CONFIG_FILE: &str = "component.toml";

/// `go/<name>/component.toml`: what a user writes to add a component.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ComponentConfig {
    /// The WIT world the Go module implements (default: the component's name).
    world: Option<String>,
    /// The WIT file or directory holding that world, relative to the workspace root (default: `wit/<name>.wit`).
    wit: Option<PathBuf>,
    /// What the Go module is composed with before it is checked and shipped: components of the workspace (by
    /// name: the same variant of each) or component files (a path relative to the workspace root, ending in
    /// `.wasm` or `.wat`), whose exports serve the module's imports.
    #[serde(default)]
    compose: Vec<String>,
    /// The component's typed checks: a Rust crate (a directory holding its Cargo.toml, relative to the
    /// component's directory, e.g. `suite`), built and run against every artifact by the check stage.
    suite: Option<PathBuf>,
    /// Whether this component runs the workload the article's seed table measured (SHA-256 and canonical JSON over
    /// byte lists): bench reports its figures beside the seed's and CLAIMS.md judges the claims on it.
    #[serde(default, rename = "seed-table")]
    seed_table: bool,
    /// Builds the component does not ship (a build's name, or a prefix ending in `*`), each with its reason.
    #[serde(default, rename = "leave-out")]
    leave_out: std::collections::BTreeMap<String, String>,
}

/// Something a component is composed with (`compose` in its component.toml).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// A component of the workspace, by name: its component of the same variant.
    Component(String),
    /// A component file, relative to the workspace root: the same bytes in every variant.
    File(PathBuf),
}

impl Part {
    fn parse(text: &str) -> Part {
        if text.ends_with(".wasm") || text.ends_with(".wat") || text.contains('/') {
            Part::File(PathBuf::from(text))
        } else {
            Part::Component(text.to_string())
        }
    }

    /// Its name inside the composition: the component's name, or the file's stem.
    pub fn name(&self) -> String {
        match self {
            Part::Component(name) => name.clone(),
            Part::File(path) => path.file_stem().map_or_else(String::new, |s| s.to_string_lossy().into_owned()),
        }
    }
}

/// A component: one Go module under go/ implementing one WIT world.
#[derive(Debug, Clone)]
pub struct Component {
    pub name: String,
    /// The Go module's directory, relative to the workspace root (`go/<name>`).
    pub dir: PathBuf,
    /// The WIT file or directory, relative to the workspace root.
    pub wit: PathBuf,
    pub world: String,
    /// What it is composed with (none: its own component is what ships).
    pub parts: Vec<Part>,
    /// The crate of its typed checks, relative to the workspace root (`go/<name>/suite`), if it has one.
    pub suite: Option<PathBuf>,
    /// Whether it runs the seed table's workload (`seed-table` in its component.toml).
    pub seed_table: bool,
    /// The builds it does not ship, in matrix order, with their reasons: its `[leave-out]`, the builds older than
    /// its go.mod's go line, and what the parts it is composed with leave out.
    pub left_out: Vec<LeftOut>,
    /// Whether it vendors its modules (`vendor/modules.txt`): the build then uses `-mod=vendor`.
    pub vendored: bool,
}

impl Component {
    fn load(root: &Path, name: &str) -> Result<Self> {
        let dir = Path::new("go").join(name);
        let config_path = root.join(&dir).join(CONFIG_FILE);
        let text = std::fs::read_to_string(&config_path)
            .with_context(|| format!("failed to read {}", config_path.display()))?;
        let config: ComponentConfig =
            toml::from_str(&text).with_context(|| format!("invalid component config {}", config_path.display()))?;
        let named = config.wit.is_some();
        let wit = config.wit.unwrap_or_else(|| Path::new("wit").join(format!("{name}.wit")));
        if !root.join(&wit).exists() {
            if named {
                bail!("{} names the WIT path {}, which does not exist", config_path.display(), wit.display());
            }
            bail!(
                "{} has no `wit` field and the default {} does not exist: add `wit = \"<file or directory>\"`",
                config_path.display(),
                wit.display()
            );
        }
        let parts: Vec<Part> = config.compose.iter().map(|p| Part::parse(p)).collect();
        for part in &parts {
            match part {
                Part::Component(other) if other == name => {
                    bail!("{} composes `{name}` with itself", config_path.display())
                }
                Part::File(path) if !root.join(path).is_file() => {
                    bail!("{} composes with {}, which does not exist", config_path.display(), path.display())
                }
                _ => {}
            }
        }
        let suite = config.suite.map(|suite| dir.join(suite));
        if let Some(suite) = &suite
            && !root.join(suite).join("Cargo.toml").is_file()
        {
            bail!(
                "{} names the suite {}, which holds no Cargo.toml: a suite is a Rust crate (README, \"Typed checks\")",
                config_path.display(),
                suite.display()
            );
        }
        let world = config.world.unwrap_or_else(|| name.to_string());
        let go_mod = std::fs::read_to_string(root.join(&dir).join("go.mod")).unwrap_or_default();
        let left_out = leave_out::join(
            leave_out::from_config(&config_path, name, &config.leave_out)?,
            leave_out::from_go_line(name, &go_mod),
        );
        let vendored = root.join(&dir).join("vendor/modules.txt").is_file();
        Ok(Self {
            name: name.to_string(),
            dir,
            wit,
            world,
            parts,
            suite,
            seed_table: config.seed_table,
            left_out,
            vendored,
        })
    }

    /// Why it does not ship `build`, if it does not.
    pub fn leaves_out(&self, build: &Build) -> Option<&str> {
        leave_out::reason(&self.left_out, build)
    }

    /// The workspace components it is composed with, by name.
    pub fn component_parts(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Component(name) => Some(name.as_str()),
            Part::File(_) => None,
        })
    }
}

/// Orders `components` so that every component comes after the components it is composed with (otherwise by
/// name); fails on a part that is not a component, or on a cycle.
fn order_by_parts(components: Vec<Component>) -> Result<Vec<Component>> {
    for component in &components {
        for part in component.component_parts() {
            if !components.iter().any(|c| c.name == part) {
                let known: Vec<_> = components.iter().map(|c| c.name.as_str()).collect();
                bail!(
                    "go/{}/{CONFIG_FILE} composes with `{part}`, which is not a component (known: {}; a file is \
                     named by its path, ending in .wasm or .wat)",
                    component.name,
                    known.join(", ")
                );
            }
        }
    }
    let mut ordered: Vec<Component> = Vec::new();
    let mut left = components;
    while !left.is_empty() {
        let ready = |c: &Component| c.component_parts().all(|p| ordered.iter().any(|o| o.name == p));
        let Some(next) = left.iter().position(ready) else {
            let names: Vec<_> = left.iter().map(|c| c.name.as_str()).collect();
            bail!("the compositions of {} form a cycle: each is composed with another of them", names.join(", "));
        };
        let mut component = left.remove(next);
        // A composition cannot ship a build one of its parts does not make.
        let inherited: Vec<LeftOut> = component
            .component_parts()
            .flat_map(|part| ordered.iter().find(|o| o.name == part).expect("parts come first").left_out.iter())
            .map(|l| LeftOut {
                component: component.name.clone(),
                build: l.build.clone(),
                reason: format!("its part `{}` leaves it out: {}", l.component, l.reason),
            })
            .collect();
        component.left_out = leave_out::join(std::mem::take(&mut component.left_out), inherited);
        ordered.push(component);
    }
    Ok(ordered)
}

/// Every component under `go/` (directories holding a `component.toml`), sorted by name, except that a component
/// comes after those it is composed with.
pub fn discover(root: &Path) -> Result<Vec<Component>> {
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
    order_by_parts(names.iter().map(|name| Component::load(root, name)).collect::<Result<_>>()?)
}

/// The components a task should work on: all, or those named with `--component`, in discovery order.
pub fn select_components(root: &Path, wanted: &[String]) -> Result<Vec<Component>> {
    let all = discover(root)?;
    if all.is_empty() {
        bail!("no components found: add go/<name>/{CONFIG_FILE}");
    }
    for name in wanted {
        if !all.iter().any(|c| &c.name == name) {
            if root.join("go").join(name).is_dir() {
                bail!(
                    "go/{name} has no {CONFIG_FILE}: add one with `world = \"<world>\"` and `wit = \"wit/<file>.wit\"` (or start over with `cargo xtask new`)"
                );
            }
            let known: Vec<_> = all.iter().map(|c| c.name.as_str()).collect();
            bail!("unknown component `{name}` (known: {})", known.join(", "));
        }
    }
    Ok(all.into_iter().filter(|c| wanted.is_empty() || wanted.contains(&c.name)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::root;

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
    fn variant_names_are_stable_and_selectable() {
        let names: Vec<_> = select_variants(&[]).unwrap().iter().map(Variant::name).collect();
        assert_eq!(names.len(), 46, "the default selection leaves the experimental builds out");
        assert_eq!(variants().len(), 55, "10 Go builds × 4 levels + 5 TinyGo builds × 3 (no snapshot)");
        assert!(!names.contains(&"tinygo-leaking-raw".to_string()));
        assert!(!names.contains(&"tinygo-opt-wizer".to_string()));
        let tinygo = select_variants(&["tinygo".to_string()]).unwrap();
        assert_eq!(tinygo.iter().map(Variant::name).collect::<Vec<_>>(), ["tinygo-raw", "tinygo-strip", "tinygo-opt"]);
        assert!(names.contains(&"go1.25-greentea-opt".to_string()));
        assert!(names.contains(&"go1.24-opt-wizer".to_string()));
        assert!(names.contains(&"go1.24-raw".to_string()));
        let by_build = select_variants(&["go1.26".to_string()]).unwrap();
        assert_eq!(
            by_build.iter().map(Variant::name).collect::<Vec<_>>(),
            ["go1.26-raw", "go1.26-strip", "go1.26-opt", "go1.26-opt-wizer"]
        );
        let one = select_variants(&["go1.25-jsonv2-strip".to_string()]).unwrap();
        assert_eq!(one.len(), 1);
        let err = select_variants(&["go1.23".to_string()]).unwrap_err().to_string();
        assert!(err.contains("unknown variant `go1.23`") && err.contains("go1.26-nogreentea"), "{err}");
    }

    /// Shards partition the selection (dependency jobs aside): every job in exactly one, in matrix order, sizes
    /// differing by one at most.
    #[test]
    fn shards_partition_the_jobs() {
        let all = select(&root(), &Selection::default()).unwrap();
        let name = |j: &Job| format!("{} {}", j.component.name, j.build.name);
        let mut seen = Vec::new();
        for index in 1..=5 {
            let shard = Selection { shard: Some(Shard { index, count: 5 }), ..Selection::default() };
            let jobs: Vec<Job> = select(&root(), &shard).unwrap().into_iter().filter(|j| !j.dependency).collect();
            assert!(jobs.len().abs_diff(all.len() / 5) <= 1, "shard {index} has {} of {} jobs", jobs.len(), all.len());
            seen.extend(jobs.iter().map(name));
        }
        seen.sort();
        let mut want: Vec<String> = all.iter().map(name).collect();
        want.sort();
        assert_eq!(seen, want);
        assert_eq!(Shard::parse("2/5"), Ok(Shard { index: 2, count: 5 }));
        for bad in ["0/3", "4/3", "1", "a/b", "1/0"] {
            assert!(Shard::parse(bad).unwrap_err().contains("is not a shard"), "{bad}");
        }
    }

    /// A workspace of config files only (nothing is built): `(name, component.toml)` under go/, one WIT file.
    fn config_workspace(tag: &str, components: &[(&str, &str)]) -> PathBuf {
        let tmp = std::env::temp_dir().join(format!("xtask-compose-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(tmp.join("wit")).unwrap();
        std::fs::write(tmp.join("wit/w.wit"), "package a:b;\nworld w {\n  export f: func() -> u8;\n}\n").unwrap();
        for (name, config) in components {
            std::fs::create_dir_all(tmp.join("go").join(name)).unwrap();
            std::fs::write(tmp.join("go").join(name).join(CONFIG_FILE), config).unwrap();
        }
        tmp
    }

    /// Parts come before what they are composed into, whatever their names; a part that is no component, the
    /// component itself, a missing file or a cycle is refused naming the file and the part.
    #[test]
    fn compositions_order_discovery_and_bad_parts_are_named() {
        let wit = "world = \"w\"\nwit = \"wit/w.wit\"\n";
        let with = |parts: &str| format!("{wit}compose = [{parts}]\n");
        let tmp = config_workspace(
            "order",
            &[("a-root", &with("\"m-middle\", \"parts/x.wasm\"")), ("m-middle", &with("\"z-leaf\"")), ("z-leaf", wit)],
        );
        std::fs::create_dir_all(tmp.join("parts")).unwrap();
        std::fs::write(tmp.join("parts/x.wasm"), b"").unwrap();
        let names: Vec<String> = discover(&tmp).unwrap().into_iter().map(|c| c.name).collect();
        assert_eq!(names, ["z-leaf", "m-middle", "a-root"]);
        let root = discover(&tmp).unwrap().pop().unwrap();
        assert_eq!(root.parts, [Part::Component("m-middle".into()), Part::File("parts/x.wasm".into())]);
        assert_eq!(root.parts[1].name(), "x");
        std::fs::remove_dir_all(&tmp).unwrap();

        let error = |tag: &str, components: &[(&str, &str)]| {
            let tmp = config_workspace(tag, components);
            let err = format!("{:#}", discover(&tmp).unwrap_err());
            std::fs::remove_dir_all(&tmp).unwrap();
            err
        };
        let unknown = error("unknown", &[("a", &with("\"nope\""))]);
        assert!(unknown.contains("go/a/component.toml composes with `nope`, which is not a component"), "{unknown}");
        let itself = error("itself", &[("a", &with("\"a\""))]);
        assert!(itself.contains("composes `a` with itself"), "{itself}");
        let file = error("file", &[("a", &with("\"parts/gone.wasm\""))]);
        assert!(file.contains("composes with parts/gone.wasm, which does not exist"), "{file}");
        let cycle = error("cycle", &[("a", &with("\"b\"")), ("b", &with("\"a\"")), ("c", wit)]);
        assert!(cycle.contains("the compositions of a, b form a cycle"), "{cycle}");
    }

    /// A selection (or a shard) that leaves out a composed component's parts gets dependency jobs for them, first,
    /// with the levels the composition needs; a selection that has them gets none.
    #[test]
    fn a_composition_brings_the_jobs_of_its_parts() {
        let wit = "world = \"w\"\nwit = \"wit/w.wit\"\n";
        let composed = format!("{wit}compose = [\"part\"]\n");
        let tmp = config_workspace("deps", &[("composed", &composed), ("part", wit), ("other", wit)]);
        let describe = |jobs: &[Job]| -> Vec<String> {
            jobs.iter()
                .map(|j| {
                    let posts: Vec<_> = j.posts.iter().map(|p| p.name()).collect();
                    format!(
                        "{}{} {} {}",
                        if j.dependency { "dep " } else { "" },
                        j.component.name,
                        j.build.name,
                        posts.join(",")
                    )
                })
                .collect()
        };
        let select_named = |components: &[&str], variants: &[&str], shard| {
            let selection = Selection {
                components: components.iter().map(|c| c.to_string()).collect(),
                variants: variants.iter().map(|v| v.to_string()).collect(),
                shard,
            };
            describe(&select(&tmp, &selection).unwrap())
        };
        assert_eq!(
            select_named(&["composed"], &["go1.26-opt", "tinygo-raw"], None),
            ["dep part go1.26 opt", "dep part tinygo raw", "composed go1.26 opt", "composed tinygo raw"]
        );
        assert_eq!(
            select_named(&["composed", "part"], &["go1.26-opt"], None),
            ["part go1.26 opt", "composed go1.26 opt"]
        );
        assert_eq!(select_named(&["other"], &["go1.26-opt"], None), ["other go1.26 opt"]);
        // Two builds dealt over three shards: wherever a composed job lands, its part's job of that build is in
        // the same shard, as a dependency when the dealing put the part elsewhere.
        let mut dependencies = 0;
        for index in 1..=3 {
            let jobs =
                select_named(&["composed", "part"], &["go1.26-opt", "go1.27-opt"], Some(Shard { index, count: 3 }));
            for job in jobs.iter().filter(|j| j.starts_with("composed")) {
                let build = job.split(' ').nth(1).unwrap();
                let part = jobs.iter().position(|j| j.contains(&format!("part {build} ")));
                let here = jobs.iter().position(|j| j == job);
                assert!(part < here && part.is_some(), "shard {index}: {jobs:?}");
            }
            dependencies += jobs.iter().filter(|j| j.starts_with("dep ")).count();
        }
        assert_eq!(dependencies, 2);
        std::fs::remove_dir_all(&tmp).unwrap();
    }

    /// A component's `[leave-out]` and its go.mod's go line take builds out of every selection, and a composition
    /// of it loses them too; each is listed with its reason, and naming the component and such a build is refused.
    #[test]
    fn builds_a_component_leaves_out_are_no_jobs_and_say_why() {
        let wit = "world = \"w\"\nwit = \"wit/w.wit\"\n";
        let leaves = format!("{wit}[leave-out]\n\"tinygo*\" = \"uses reflect.Value.Call\"\n");
        let composed = format!("{wit}compose = [\"lean\"]\n");
        let tmp = config_workspace("leave", &[("lean", &leaves), ("newer", wit), ("both", &composed)]);
        std::fs::write(tmp.join("go/newer/go.mod"), "module m\n\ngo 1.26.0\n").unwrap();
        let plan_of = |components: &[&str], variants: &[&str]| {
            let selection = Selection {
                components: components.iter().map(|c| c.to_string()).collect(),
                variants: variants.iter().map(|v| v.to_string()).collect(),
                shard: None,
            };
            plan(&tmp, &selection)
        };
        let all = plan_of(&[], &[]).unwrap();
        let jobs = |name: &str| -> Vec<&str> {
            all.jobs.iter().filter(|j| j.component.name == name).map(|j| j.build.name).collect()
        };
        assert!(!jobs("lean").iter().any(|b| b.starts_with("tinygo")), "{:?}", jobs("lean"));
        assert_eq!(jobs("lean").len(), 10);
        assert_eq!(jobs("both"), jobs("lean"));
        assert_eq!(
            jobs("newer"),
            ["go1.26", "go1.26-nogreentea", "go1.26-jsonv2", "go1.27", "go1.27-nogreentea", "go1.27-nojsonv2"]
        );
        let said: Vec<String> =
            all.left_out.iter().map(|l| format!("{} {}: {}", l.component, l.build, l.reason)).collect();
        assert!(said.contains(&"lean tinygo-o2: uses reflect.Value.Call".to_string()), "{said:?}");
        assert!(said.contains(&"both tinygo: its part `lean` leaves it out: uses reflect.Value.Call".to_string()));
        assert!(said.contains(&"newer go1.25-greentea: go.mod says go 1.26.0, newer than Go 1.25 (the go command refuses to build it)".to_string()));
        assert_eq!(
            all.left_out.iter().filter(|l| l.build.starts_with("tinygo")).count(),
            3 * 2,
            "each component, the two TinyGo builds of the default selection (the experimental ones are not selected)"
        );
        // Named together: refused. A build named for every component: left out where it must be, made elsewhere.
        let err = plan_of(&["lean"], &["tinygo-opt"]).unwrap_err().to_string();
        assert_eq!(err, "`lean` leaves out tinygo: uses reflect.Value.Call (go/lean/component.toml, go.mod)");
        assert!(plan_of(&["newer"], &["go1.24"]).unwrap_err().to_string().contains("go.mod says go 1.26.0"));
        let tinygo = plan_of(&[], &["tinygo-raw"]).unwrap();
        assert!(tinygo.jobs.is_empty(), "newer's go line is past TinyGo's: {:?}", tinygo.jobs);
        assert_eq!(tinygo.left_out.len(), 3);
        std::fs::remove_dir_all(&tmp).unwrap();
    }

    #[test]
    fn unknown_config_keys_are_rejected() {
        let err = toml::from_str::<ComponentConfig>("wrold = \"x\"").unwrap_err().to_string();
        assert!(err.contains("unknown field `wrold`"), "{err}");
    }

    /// Broken configurations each name the file and what is wrong: no config, a missing field's default path
    /// absent, a WIT path that does not exist, a world the WIT file does not define.
    #[test]
    fn broken_component_configs_are_named() {
        let tmp = std::env::temp_dir().join(format!("xtask-config-{}", std::process::id()));
        let write = |rel: &str, text: &str| {
            let path = tmp.join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        write("wit/good.wit", "package a:b;\nworld good {\n  export f: func() -> u8;\n}\n");
        write("go/good/component.toml", "world = \"elsewhere\"\nwit = \"wit/good.wit\"\n");
        std::fs::create_dir_all(tmp.join("go/bare")).unwrap();
        let bare = select_components(&tmp, &["bare".to_string()]).unwrap_err().to_string();
        let component = select_components(&tmp, &["good".to_string()]).unwrap().remove(0);
        let world = format!("{:#}", crate::stages::wit::load_world(&tmp, &component).unwrap_err());
        write("go/nofield/component.toml", "world = \"good\"\n");
        let no_field = format!("{:#}", discover(&tmp).unwrap_err());
        write("go/nofield/component.toml", "wit = \"wit/gone.wit\"\n");
        let gone = format!("{:#}", discover(&tmp).unwrap_err());
        std::fs::remove_dir_all(&tmp).unwrap();
        assert!(bare.contains("go/bare has no component.toml"), "{bare}");
        assert!(world.contains("no world `elsewhere` in wit/good.wit"), "{world}");
        assert!(no_field.contains("has no `wit` field and the default wit/nofield.wit does not exist"), "{no_field}");
        assert!(gone.contains("names the WIT path wit/gone.wit, which does not exist"), "{gone}");
    }
}
