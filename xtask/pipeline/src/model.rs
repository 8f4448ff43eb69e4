//! The pipeline's models, a leaf every other module may use and which uses none of them: which components exist
//! (discovered from `go/<name>/component.toml`, never listed in code), which build variants exist, what a run
//! selects and how hard it stresses, where a run reads and writes ([`Workspace`]) and where each artifact lives
//! under `target/` ([`paths`]). Stages ask this module for paths instead of joining strings themselves.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::Deserialize;

/// Which components and variants a run works on; empty lists mean all (the experimental builds left out).
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Component names (directories under go/).
    pub components: Vec<String>,
    /// Variant names (`go1.25-greentea-opt`) or build names (`go1.26`: all its post-processing levels).
    pub variants: Vec<String>,
    /// Only this shard of the selected jobs.
    pub shard: Option<Shard>,
}

/// Shard `index` of `count` (1-based): the selected jobs (component × build, in matrix order) dealt round-robin,
/// so every job is in exactly one shard and the slow builds spread over all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    /// `I/N` with 1 ≤ I ≤ N.
    pub fn parse(text: &str) -> std::result::Result<Shard, String> {
        let parsed = text.split_once('/').and_then(|(i, n)| Some((i.trim().parse().ok()?, n.trim().parse().ok()?)));
        match parsed {
            Some((index, count)) if index >= 1 && index <= count => Ok(Shard { index, count }),
            _ => Err(format!("`{text}` is not a shard: write I/N with 1 ≤ I ≤ N, e.g. 2/5")),
        }
    }

    /// The jobs of this shard, in their order.
    pub fn pick(self, jobs: Vec<Job>) -> Vec<Job> {
        jobs.into_iter().enumerate().filter(|(k, _)| k % self.count == self.index - 1).map(|(_, j)| j).collect()
    }
}

/// How hard a check's stress pushes one instance. A stress is sized by evidence, not by a call count (`sizing`);
/// the call counts are the most its phases may make trying to get the evidence (a suite's phases take their
/// shares of them), and a phase that did not get it within them fails: the artifact was not stressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stress {
    pub sizing: Sizing,
    /// The most calls with 64 KiB inputs.
    pub calls_64k: usize,
    /// The most calls with 1 MiB inputs.
    pub calls_1m: usize,
}

/// What ends a sized phase of a stress (`suites::Stressor`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sizing {
    /// Once the hardened component's guarded window (`gowasm:harden/window`) has answered `floor` calls of Go's
    /// runtime during the phase: each one a time Go's collector reached the host from inside
    /// `cabi_realloc`/`cabi_post_*`, a trap without the hardening pass; on a TinyGo build, once its collector
    /// ran `floor` times inside `cabi_realloc` (`gowasm:harden/collector`).
    Window { floor: u64 },
    /// Every phase makes its most calls: tests, `check --stress-floor 0`.
    Fixed,
}

impl Sizing {
    /// The window floor (0 when the stress is not sized by the window).
    pub fn floor(self) -> u64 {
        match self {
            Sizing::Window { floor } => floor,
            Sizing::Fixed => 0,
        }
    }
}

impl Stress {
    /// What `dist` and a plain `check` run: each sized phase until the window answered 100 calls, within at most
    /// 10,000 calls with 64 KiB and 200 with 1 MiB on one instance.
    pub const FULL: Stress = Stress { sizing: Sizing::Window { floor: 100 }, calls_64k: 10_000, calls_1m: 200 };

    /// A fixed number of calls per phase (tests).
    pub const fn fixed(calls_64k: usize, calls_1m: usize) -> Stress {
        Stress { sizing: Sizing::Fixed, calls_64k, calls_1m }
    }

    /// The stress for `variant`. The stress makes a collection come inside `cabi_realloc` about every MiB lowered
    /// on both toolchains (`suites::COLLECT_EVERY`). On a TinyGo build the count is of those collections
    /// (`suites::Counts::Collections`): each a whole collection with the earlier arguments in the heap, where big
    /// Go's guarded window answers several clock reads per collection, so its floor is a quarter of big Go's. (Before the stress could ask
    /// for them, TinyGo's phases made their most calls: its allocator collected 4 times in the hasher's 888 MiB.)
    pub fn for_variant(self, variant: &Variant) -> Stress {
        match self.sizing {
            Sizing::Window { floor } if variant.build.tinygo.is_some() => {
                Stress { sizing: Sizing::Window { floor: floor.div_ceil(4) }, ..self }
            }
            _ => self,
        }
    }
}

/// Where a run reads sources and writes intermediate products.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// The project: go/, wit/, go/toolchains.toml.
    pub root: PathBuf,
    /// Intermediate products (`target/wasm`, or another directory for a reproducibility run).
    pub work: PathBuf,
    /// A `GOCACHE` of its own (a reproducibility run compiles everything again), or the user's.
    pub gocache: Option<PathBuf>,
}

impl Workspace {
    pub fn new(root: &Path) -> Self {
        Self { root: root.to_path_buf(), work: paths::work_dir(root), gocache: None }
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
        let world = config.world.unwrap_or_else(|| name.to_string());
        Ok(Self { name: name.to_string(), dir, wit, world, parts })
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
        ordered.push(left.remove(next));
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

/// One way of compiling a component: a Go release line and the experiments that change the output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Build {
    /// Stable name used in paths, the manifest and reports (`go1.25-greentea`).
    pub name: &'static str,
    /// The Go release line; the pinned patch release comes from go/toolchains.toml.
    pub go_minor: &'static str,
    /// `GOEXPERIMENT` for the build, if any.
    pub goexperiment: Option<&'static str>,
    /// Compiled by TinyGo (instead of the go command) with these flags; `go_minor` is then the Go line TinyGo
    /// runs with (its GOROOT).
    pub tinygo: Option<&'static [&'static str]>,
    /// Selectable with `--variant` but left out of the default selection (`dist`, CI) until it passes the check
    /// of every component (the TinyGo builds: see ARCHITECTURE.md, "TinyGo").
    pub experimental: bool,
}

/// What is done to the core module after `go build`, before it is componentized.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Post {
    /// The module exactly as Go wrote it.
    Raw,
    /// Custom sections (names, DWARF, producers, build id) removed in-process.
    Strip,
    /// Stripped, then `wasm-opt -Oz`.
    Opt,
    /// The `opt` module pre-initialized: `_initialize` run once at build time and snapshotted (`wizer`).
    Wizer,
}

impl Post {
    pub const ALL: [Post; 4] = [Post::Raw, Post::Strip, Post::Opt, Post::Wizer];

    pub fn name(self) -> &'static str {
        match self {
            Post::Raw => "raw",
            Post::Strip => "strip",
            Post::Opt => "opt",
            Post::Wizer => "opt-wizer",
        }
    }

    /// Whether TinyGo builds get this level: the snapshot relies on the big-Go runtime's internals
    /// (`go/witpkg/wit/runtime/snapshot.go`), so TinyGo has no `opt-wizer`.
    pub fn applies_to_tinygo(self) -> bool {
        self != Post::Wizer
    }

    /// Whether the module is stripped of custom sections and optimized by wasm-opt.
    pub fn is_optimized(self) -> bool {
        matches!(self, Post::Opt | Post::Wizer)
    }
}

/// A shipped variant: a build plus a post-processing level, named `<build>-<post>` (`go1.25-greentea-opt`,
/// `go1.26-opt-wizer`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variant {
    pub build: Build,
    pub post: Post,
}

impl Variant {
    pub fn name(&self) -> String {
        format!("{}-{}", self.build.name, self.post.name())
    }
}

/// The build matrix: every supported Go release line, Green Tea GC on and off where the toolchain has both, JSON
/// v2 where the toolchain has it, and TinyGo with the options that pass the full check (ARCHITECTURE.md).
pub fn builds() -> Vec<Build> {
    let b = |name, go_minor, goexperiment| Build { name, go_minor, goexperiment, tinygo: None, experimental: false };
    let t = |name, flags, experimental| Build {
        name,
        go_minor: TINYGO_GO_LINE,
        goexperiment: None,
        tinygo: Some(flags),
        experimental,
    };
    vec![
        b("go1.24", "1.24", None),
        b("go1.25", "1.25", None),
        b("go1.25-greentea", "1.25", Some("greenteagc")),
        b("go1.25-jsonv2", "1.25", Some("jsonv2")),
        b("go1.26", "1.26", None),
        b("go1.26-nogreentea", "1.26", Some("nogreenteagc")),
        b("go1.26-jsonv2", "1.26", Some("jsonv2")),
        // Go 1.27: Green Tea and encoding/json's v2 implementation are the defaults; both opt-outs still exist.
        b("go1.27", "1.27", None),
        b("go1.27-nogreentea", "1.27", Some("nogreenteagc")),
        b("go1.27-nojsonv2", "1.27", Some("nojsonv2")),
        t("tinygo", &["-opt=z", "-gc=precise", "-scheduler=none"], false),
        t("tinygo-o2", &["-opt=2", "-gc=precise", "-scheduler=none"], false),
        // Experimental: they fail the check (ARCHITECTURE.md, "TinyGo"); kept to reproduce the failure.
        t("tinygo-conservative", &["-opt=z", "-gc=conservative", "-scheduler=none"], true),
        t("tinygo-asyncify", &["-opt=z", "-gc=precise", "-scheduler=asyncify", "-stack-size=1MB"], true),
        t("tinygo-leaking", &["-opt=z", "-gc=leaking", "-scheduler=none"], true),
    ]
}

/// Every variant of the matrix.
pub fn variants() -> Vec<Variant> {
    builds()
        .into_iter()
        .flat_map(|build| {
            Post::ALL
                .into_iter()
                .filter(move |post| build.tinygo.is_none() || post.applies_to_tinygo())
                .map(move |post| Variant { build: build.clone(), post })
        })
        .collect()
}

/// The variants a task should work on: all but the experimental ones, or those named with `--variant` (a full
/// name such as `go1.26-opt`, or a build name such as `go1.26` for all its post-processing levels).
pub fn select_variants(wanted: &[String]) -> Result<Vec<Variant>> {
    let all = variants();
    let matches = |v: &Variant, w: &str| v.name() == w || v.build.name == w;
    for name in wanted {
        if !all.iter().any(|v| matches(v, name)) {
            let known: Vec<_> = builds().iter().map(|b| b.name).collect();
            bail!(
                "unknown variant `{name}` (builds: {}; each with -raw, -strip, -opt or -opt-wizer)",
                known.join(", ")
            );
        }
    }
    Ok(all
        .into_iter()
        .filter(|v| if wanted.is_empty() { !v.build.experimental } else { wanted.iter().any(|w| matches(v, w)) })
        .collect())
}

/// One unit of work: a component, one of its builds, and the post-processing levels wanted of it.
#[derive(Debug, Clone)]
pub struct Job {
    pub component: Component,
    pub build: Build,
    pub posts: Vec<Post>,
    /// Run only because a selected composition needs its components: made as far as componentizing, never
    /// checked, shipped or reported as a product.
    pub dependency: bool,
}

impl Job {
    pub fn new(component: Component, build: Build, posts: Vec<Post>) -> Self {
        Job { component, build, posts, dependency: false }
    }
}

/// The jobs a selection names, in matrix order (a component after those it is composed with), preceded by the
/// [`Job::dependency`] jobs of the composed components' parts that the selection (or its shard) leaves out.
pub fn select(root: &Path, selection: &Selection) -> Result<Vec<Job>> {
    let components = select_components(root, &selection.components)?;
    let variants = select_variants(&selection.variants)?;
    let mut jobs = Vec::new();
    for component in &components {
        for build in builds() {
            let posts: Vec<Post> = variants.iter().filter(|v| v.build == build).map(|v| v.post).collect();
            if !posts.is_empty() {
                jobs.push(Job::new(component.clone(), build, posts));
            }
        }
    }
    let jobs = match selection.shard {
        Some(shard) => shard.pick(jobs),
        None => jobs,
    };
    with_dependencies(root, jobs)
}

/// `jobs` preceded by a dependency job for every (part, build) a composed job needs that no job makes, in
/// dependency order (a part's own parts first).
fn with_dependencies(root: &Path, jobs: Vec<Job>) -> Result<Vec<Job>> {
    if jobs.iter().all(|j| j.component.parts.is_empty()) {
        return Ok(jobs);
    }
    let all = discover(root)?;
    let mut needed: Vec<Job> = Vec::new();
    let mut wanted: Vec<(String, Build, Vec<Post>)> = Vec::new();
    for job in &jobs {
        wanted.extend(job.component.component_parts().map(|p| (p.to_string(), job.build.clone(), job.posts.clone())));
    }
    // A selection's jobs all carry the same levels of a build (one variant list), so a job of the part's build,
    // selected or added here, makes every level a composition of that build needs.
    while let Some((name, build, posts)) = wanted.pop() {
        let made = |j: &Job| j.component.name == name && j.build == build;
        if jobs.iter().chain(&needed).any(made) {
            continue;
        }
        let component = all.iter().find(|c| c.name == name).expect("parts are components (discover checks)");
        wanted.extend(component.component_parts().map(|p| (p.to_string(), build.clone(), posts.clone())));
        needed.push(Job { dependency: true, ..Job::new(component.clone(), build, posts) });
    }
    // Discovery order puts every part before what it is composed into.
    let rank = |j: &Job| all.iter().position(|c| c.name == j.component.name);
    needed.sort_by_key(|j| (rank(j), builds().iter().position(|b| *b == j.build)));
    needed.extend(jobs);
    Ok(needed)
}

/// Where everything produced lives.
pub mod paths {
    use std::path::{Path, PathBuf};

    use super::{Build, Component, Post, Variant};

    /// `target/wasm`: where intermediate products go (a verification run uses another directory).
    pub fn work_dir(root: &Path) -> PathBuf {
        root.join("target/wasm")
    }

    /// `<work>/<component>/<build>/`: the products of one build.
    pub fn build_dir(work: &Path, component: &Component, build: &Build) -> PathBuf {
        work.join(&component.name).join(build.name)
    }

    /// The core module `go build` produced.
    pub fn core_module(work: &Path, component: &Component, build: &Build) -> PathBuf {
        build_dir(work, component, build).join("core.wasm")
    }

    /// The post-processed core module (the raw level is the core module itself).
    pub fn module(work: &Path, component: &Component, variant: &Variant) -> PathBuf {
        match variant.post {
            Post::Raw => core_module(work, component, &variant.build),
            post => build_dir(work, component, &variant.build).join(post.name()).join("module.wasm"),
        }
    }

    /// The component made from it.
    pub fn component(work: &Path, component: &Component, variant: &Variant) -> PathBuf {
        build_dir(work, component, &variant.build).join(variant.post.name()).join("component.wasm")
    }

    /// The composition of that component with the component's parts, which is what is checked and shipped.
    pub fn composed(work: &Path, component: &Component, variant: &Variant) -> PathBuf {
        build_dir(work, component, &variant.build).join(variant.post.name()).join("composed.wasm")
    }

    /// `target/dist/`.
    pub fn dist_dir(root: &Path) -> PathBuf {
        root.join("target/dist")
    }

    /// Where a failed `dist` keeps the artifacts that passed (with a manifest listing the failures).
    pub fn dist_partial_dir(root: &Path) -> PathBuf {
        root.join("target/dist-partial")
    }

    /// The shipped artifact, relative to `target/dist`.
    pub fn dist_relative(component: &Component, variant: &Variant) -> String {
        dist_relative_named(&component.name, &variant.name())
    }

    /// [`dist_relative`] from the names (`hasher`, `go1.26-opt`), as a manifest records them.
    pub fn dist_relative_named(component: &str, variant: &str) -> String {
        format!("{component}/{variant}.wasm")
    }
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
        let world = format!("{:#}", crate::wit::load_world(&tmp, &component).unwrap_err());
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
