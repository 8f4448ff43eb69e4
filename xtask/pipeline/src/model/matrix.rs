//! The build matrix: which builds exist (a Go release line with its experiments, or TinyGo with its flags), the
//! post-processing levels, the variants they make and how a `--variant` selection picks among them.

use anyhow::{Result, bail};

use super::TINYGO_GO_LINE;

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
    /// of every component (the TinyGo builds: see docs/design/tinygo.md).
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
/// v2 where the toolchain has it, and TinyGo with the options that pass the full check (docs/design/variants.md).
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
        // Experimental: they fail the check (docs/design/tinygo.md); kept to reproduce the failure.
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
