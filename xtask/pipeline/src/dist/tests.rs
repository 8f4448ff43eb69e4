//! The dist module on real builds of the hasher: failures kept apart, shards merged, target/dist trusted only when
//! every artifact verifies.

use std::collections::BTreeMap;
use std::path::PathBuf;

use xshell::Shell;

use super::manifest::{Artifact, GuardedWindow, Manifest, ShardRecord};
use super::merge::merge;
use super::staging::{already_published, failed_run};
use crate::model::{self, Job, Post, Stress};
use crate::run::scheduler::{self, Until};
use crate::util;

/// A run where one component passes and another fails its check ships nothing into target/dist: the error
/// counts and names the failure with its cause, the passing artifact is kept in target/dist-partial/ with a
/// manifest listing the failure, and the hint says how to re-run.
#[test]
#[ignore = "slow tier: builds components with Go (`cargo xtask test` runs it)"]
fn a_failed_variant_is_reported_and_the_passing_ones_are_kept() {
    let root = crate::testing::root();
    let tmp = crate::testing::hasher_workspace("failed-dist");
    // A second component of the same world whose declarative case expects a wrong digest.
    crate::util::copy_dir(&root.join("go/hasher"), &tmp.join("go/broken"));
    // Without the hasher's typed suite: its declarative case is what fails.
    std::fs::write(tmp.join("go/broken/component.toml"), "world = \"hasher\"\nwit = \"wit/hasher.wit\"\n").unwrap();
    std::fs::write(
        tmp.join("go/broken/checks.toml"),
        "[[case]]\ncall = \"compute-hash([])\"\nexpect = '\"not the digest\"'\n",
    )
    .unwrap();
    let sh = Shell::new().unwrap();
    let build = model::builds().into_iter().find(|b| b.name == "go1.26").unwrap();
    let jobs: Vec<Job> = model::discover(&tmp)
        .unwrap()
        .into_iter()
        .map(|component| Job::new(component, build.clone(), vec![Post::Raw]))
        .collect();
    let options = scheduler::Options { stress: Stress::fixed(20, 2), ..scheduler::Options::until(Until::Check) };
    let outcome = scheduler::run_all(&sh, &crate::testing::workspace_of(&tmp), jobs, &options).unwrap();
    assert_eq!(outcome.products.len(), 1);
    assert_eq!(outcome.failures.len(), 1);

    let err = failed_run(&tmp, &outcome).to_string();
    eprintln!("{err}");
    assert!(err.starts_with("1 of 2 artifacts failed (1 passed):\n  1. broken go1.26-raw\n"), "{err}");
    assert!(err.contains("checks.toml case #1 `compute-hash([])`: returned"), "{err}");
    assert!(err.contains("target/dist was left as it was; the 1 that passed are in"), "{err}");
    assert!(err.contains("only the failed ones run (broken go1.26-raw)"), "{err}");
    assert!(!tmp.join("target/dist").exists(), "a failed run wrote target/dist");
    let partial: Manifest =
        serde_json::from_slice(&std::fs::read(tmp.join("target/dist-partial/manifest.json")).unwrap()).unwrap();
    assert_eq!(partial.artifacts.len(), 1);
    assert_eq!(partial.artifacts[0].component, "hasher");
    assert!(tmp.join("target/dist-partial").join(&partial.artifacts[0].path).is_file());
    assert_eq!(partial.failures.len(), 1);
    assert_eq!(partial.failures[0].what, "broken go1.26-raw");
    assert!(partial.failures[0].error.iter().any(|e| e.contains("not the digest")), "{:?}", partial.failures);
    std::fs::remove_dir_all(&tmp).unwrap();
}

/// A component whose code one toolchain cannot build (here a file only TinyGo compiles, calling what does not
/// exist, as a dependency using what TinyGo lacks would) fails that build alone: one error naming the component,
/// the build and the compiler's own cause, and the other toolchain's artifact is kept in target/dist-partial/.
#[test]
#[ignore = "slow tier: builds components with Go and TinyGo (`cargo xtask test` runs it)"]
fn a_build_that_fails_on_one_toolchain_only_keeps_the_others() {
    let tmp = crate::testing::hasher_workspace("one-toolchain");
    // Without the hasher's typed suite (its crate is the checkout's): its declarative cases check it.
    std::fs::write(tmp.join("go/hasher/component.toml"), "world = \"hasher\"\nwit = \"wit/hasher.wit\"\n").unwrap();
    std::fs::write(
        tmp.join("go/hasher/tinygo_only.go"),
        "//go:build tinygo\n\npackage main\n\nvar _ = callsWhatTinyGoLacks()\n",
    )
    .unwrap();
    let sh = Shell::new().unwrap();
    let component = model::discover(&tmp).unwrap().remove(0);
    let jobs: Vec<Job> = model::builds()
        .into_iter()
        .filter(|b| b.name == "go1.26" || b.name == "tinygo")
        .map(|build| Job::new(component.clone(), build, vec![Post::Raw]))
        .collect();
    assert_eq!(jobs.len(), 2);
    let options = scheduler::Options { stress: Stress::fixed(20, 2), ..scheduler::Options::until(Until::Check) };
    let outcome = scheduler::run_all(&sh, &crate::testing::workspace_of(&tmp), jobs, &options).unwrap();
    let err = failed_run(&tmp, &outcome).to_string();
    assert!(err.starts_with("1 of 2 artifacts failed (1 passed):\n  1. hasher tinygo\n"), "{err}");
    assert!(err.contains("tinygo build failed for hasher (variant tinygo)"), "{err}");
    assert!(err.contains("callsWhatTinyGoLacks"), "the compiler's own cause: {err}");
    let partial: Manifest =
        serde_json::from_slice(&std::fs::read(tmp.join("target/dist-partial/manifest.json")).unwrap()).unwrap();
    assert_eq!(partial.artifacts.len(), 1);
    assert_eq!(partial.artifacts[0].variant, "go1.26-raw");
    assert!(tmp.join("target/dist-partial").join(&partial.artifacts[0].path).is_file());
    assert_eq!(partial.failures.len(), 1);
    assert_eq!(partial.failures[0].what, "hasher tinygo");
    std::fs::remove_dir_all(&tmp).unwrap();
}

/// A component that leaves TinyGo out (`[leave-out]`) and whose go.mod needs Go 1.25 ships the rest of the
/// selection, and the run's manifest says what it left out and why; naming it with one of those builds fails
/// before anything is built.
#[test]
#[ignore = "slow tier: builds components with Go (`cargo xtask test` runs it)"]
fn a_dist_ships_without_the_builds_a_component_leaves_out_and_says_why() {
    let tmp = crate::testing::hasher_workspace("left-out");
    std::fs::rename(tmp.join("go/hasher"), tmp.join("go/lean")).unwrap();
    // Without the hasher's typed suite (its crate is the checkout's): its declarative cases check it.
    std::fs::write(
        tmp.join("go/lean/component.toml"),
        "world = \"hasher\"\nwit = \"wit/hasher.wit\"\n[leave-out]\n\"tinygo*\" = \"stands for a dependency TinyGo lacks\"\n",
    )
    .unwrap();
    let go_mod = std::fs::read_to_string(tmp.join("go/lean/go.mod")).unwrap();
    std::fs::write(tmp.join("go/lean/go.mod"), go_mod.replace("\ngo 1.24\n", "\ngo 1.25\n")).unwrap();
    let sh = Shell::new().unwrap();
    let variants = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
    let named = model::Selection {
        components: vec!["lean".into()],
        variants: variants(&["go1.26-raw", "tinygo-raw"]),
        shard: None,
    };
    let refused = format!("{:#}", super::ship(&sh, &tmp, &named).err().expect("naming a left-out build fails"));
    assert_eq!(
        refused,
        "`lean` leaves out tinygo: stands for a dependency TinyGo lacks (go/lean/component.toml, go.mod)"
    );
    assert!(!tmp.join("target/wasm").exists(), "a refused selection built something");

    let selection = model::Selection { variants: variants(&["go1.24-raw", "go1.26-raw", "tinygo-raw"]), ..named };
    let selection = model::Selection { components: Vec::new(), ..selection };
    let shipped = super::ship(&sh, &tmp, &selection).unwrap();
    let manifest: Manifest =
        serde_json::from_slice(&std::fs::read(tmp.join("target/dist/manifest.json")).unwrap()).unwrap();
    let table = super::sizes::table(&shipped.products, &manifest.left_out).unwrap();
    std::fs::remove_dir_all(&tmp).unwrap();
    let shipped_variants: Vec<&str> = manifest.artifacts.iter().map(|a| a.variant.as_str()).collect();
    assert_eq!(shipped_variants, ["go1.26-raw"]);
    let said: Vec<(&str, &str)> = manifest.left_out.iter().map(|l| (l.build.as_str(), l.reason.as_str())).collect();
    assert_eq!(
        said,
        [
            ("go1.24", "go.mod says go 1.25, newer than Go 1.24 (the go command refuses to build it)"),
            ("tinygo", "stands for a dependency TinyGo lacks"),
        ]
    );
    assert!(table.contains("lean       tinygo             left out: stands for a dependency TinyGo lacks"), "{table}");
}

/// A scaffolded component whose Go code calls a third-party module from the module proxy ships through `dist`
/// on a Go and a TinyGo build, and each artifact's manifest entry lists the module with its go.sum hash (and the
/// bindings' runtime, replaced by its directory), as its SBOM does (SPDX's validator accepts it); vendored (`go mod vendor`), it builds with `-mod=vendor` and lists
/// the same modules.
#[test]
#[ignore = "slow tier: fetches a module from the Go module proxy and builds with Go and TinyGo (`cargo xtask test` runs it)"]
fn a_component_using_a_third_party_module_ships_and_its_manifest_lists_the_modules() {
    let tmp = std::env::temp_dir().join(format!("xtask-modules-{}", std::process::id()));
    let root = crate::testing::root();
    crate::util::copy_dir(&root.join("go/witpkg"), &tmp.join("go/witpkg"));
    std::fs::copy(root.join("go/toolchains.toml"), tmp.join("go/toolchains.toml")).unwrap();
    std::fs::create_dir_all(tmp.join("wit")).unwrap();
    let sh = Shell::new().unwrap();
    crate::scaffold::scaffold(&sh, &tmp, "texty", None).unwrap();
    let dir = tmp.join("go/texty");
    std::fs::write(
        dir.join("export_wit_world/texty.go"),
        "// Package export_wit_world implements the exports of the `texty` world.\npackage export_wit_world\n\n\
         import (\n\t\"golang.org/x/text/cases\"\n\t\"golang.org/x/text/language\"\n)\n\n\
         // Greet greets name, lower-cased by golang.org/x/text.\nfunc Greet(name string) string {\n\
         \treturn \"Hello, \" + cases.Lower(language.Und).String(name) + \"!\"\n}\n",
    )
    .unwrap();
    {
        let _cwd = sh.push_dir(&dir);
        let go = crate::env::tools::GO.locate().unwrap();
        xshell::cmd!(sh, "{go} get golang.org/x/text@v0.21.0").env("GOFLAGS", "-mod=mod").run().unwrap();
    }
    let selection = model::Selection {
        components: vec!["texty".into()],
        variants: vec!["go1.26-raw".into(), "tinygo-raw".into()],
        shard: None,
    };
    let text = |manifest: &Manifest| -> Vec<String> {
        manifest
            .artifacts
            .iter()
            .map(|a| {
                let modules: Vec<String> = a
                    .go_modules
                    .iter()
                    .map(|m| format!("{} {} {}", m.path, m.version, m.replace.as_deref().unwrap_or(&m.sum)))
                    .collect();
                format!("{} {}: {}", a.variant, a.env["GOFLAGS"], modules.join(", "))
            })
            .collect()
    };
    let shipped = super::ship(&sh, &tmp, &selection).unwrap();
    let modules = "go.bytecodealliance.org/pkg v0.2.2 ../witpkg, \
                   golang.org/x/text v0.21.0 h1:zyQAAkrwaneQ066sspRyJaG9VNi/YJ1NfzcGB3hZ/qo=";
    assert_eq!(
        text(&shipped.manifest),
        [format!("go1.26-raw -mod=readonly: {modules}"), format!("tinygo-raw -mod=readonly: {modules}")]
    );
    // Each SBOM beside its artifact lists the module, and SPDX's own validator accepts it.
    let validator = crate::env::setup::ensure_spdx_tools(&sh).unwrap();
    for artifact in &shipped.manifest.artifacts {
        let sbom = tmp.join("target/dist").join(super::sbom::path_of(artifact));
        let text = std::fs::read_to_string(&sbom).unwrap();
        assert!(text.contains("pkg:golang/golang.org/x/text@v0.21.0"), "{text}");
        let pyspdxtools = validator.join("bin/pyspdxtools");
        let said = xshell::cmd!(sh, "python3 {pyspdxtools} --infile {sbom}")
            .env("PYTHONPATH", &validator)
            .ignore_status()
            .output()
            .unwrap();
        let out = format!("{}{}", String::from_utf8_lossy(&said.stdout), String::from_utf8_lossy(&said.stderr));
        assert!(said.status.success() && !out.contains("invalid"), "{}: {out}", sbom.display());
    }
    {
        let _cwd = sh.push_dir(&dir);
        let go = crate::env::tools::GO.locate().unwrap();
        xshell::cmd!(sh, "{go} mod vendor").run().unwrap();
    }
    let vendored = model::Selection { variants: vec!["go1.26-raw".into()], ..selection };
    let shipped = super::ship(&sh, &tmp, &vendored).unwrap();
    let _ = xshell::cmd!(sh, "chmod -R u+w {tmp}").quiet().run();
    std::fs::remove_dir_all(&tmp).unwrap();
    assert_eq!(text(&shipped.manifest), [format!("go1.26-raw -mod=vendor: {modules}")]);
}

/// Shards merge into what one dist of their selection ships: artifacts in matrix order whatever the order of
/// the shards, a variant in two shards kept once. A tampered artifact, two different entries for one variant,
/// a partial dist, a missing shard, shards of different selections and an entry with a foreign path are each
/// refused, and the target is left as it was.
#[test]
fn shards_merge_in_matrix_order_and_conflicts_are_refused() {
    let root = crate::testing::root();
    let tmp = std::env::temp_dir().join(format!("xtask-merge-{}", std::process::id()));
    let components = vec!["hasher".to_string(), "textkit".to_string()];
    let variants = vec!["go1.24-raw".to_string(), "go1.26-opt".to_string()];
    let record =
        |index, count| Some(ShardRecord { index, count, components: components.clone(), variants: variants.clone() });
    let shard = |name: &str, shard: Option<ShardRecord>, entries: &[(&str, &str, &[u8])]| -> PathBuf {
        let dir = tmp.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let mut artifacts = Vec::new();
        for (component, variant, bytes) in entries {
            let path = format!("{component}/{variant}.wasm");
            std::fs::create_dir_all(dir.join(component)).unwrap();
            std::fs::write(dir.join(&path), bytes).unwrap();
            artifacts.push(Artifact {
                component: component.to_string(),
                variant: variant.to_string(),
                path,
                bytes: bytes.len() as u64,
                sha256: util::sha256_hex(bytes),
                core_sha256: "core".into(),
                world: component.to_string(),
                tools: BTreeMap::new(),
                flags: Vec::new(),
                env: BTreeMap::new(),
                composed_of: Vec::new(),
                guarded_window: Some(GuardedWindow { answered: 300, floor: 100 }),
                generic_window: Some(GuardedWindow { answered: 120, floor: 100 }),
                go_modules: Vec::new(),
                module_env: BTreeMap::new(),
            });
        }
        let manifest = Manifest { artifacts, shard, left_out: Vec::new(), failures: Vec::new(), source: None };
        std::fs::write(dir.join("manifest.json"), manifest.to_json().unwrap()).unwrap();
        dir
    };
    let out = tmp.join("dist");
    let first = shard("first", record(1, 2), &[("textkit", "go1.24-raw", b"t24"), ("hasher", "go1.26-opt", b"h26")]);
    let second = shard(
        "second",
        record(2, 2),
        &[("hasher", "go1.24-raw", b"h24"), ("hasher", "go1.26-opt", b"h26"), ("textkit", "go1.26-opt", b"t26")],
    );
    assert_eq!(merge(&root, &[second.clone(), first.clone()], &out).unwrap(), 4);
    let merged: Manifest = serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    let order: Vec<String> = merged.artifacts.iter().map(|a| format!("{} {}", a.component, a.variant)).collect();
    assert_eq!(order, ["hasher go1.24-raw", "hasher go1.26-opt", "textkit go1.24-raw", "textkit go1.26-opt"]);
    assert!(merged.shard.is_none(), "the merged manifest is a whole dist's");
    assert_eq!(std::fs::read(out.join("textkit/go1.24-raw.wasm")).unwrap(), b"t24");
    let before = std::fs::read(out.join("manifest.json")).unwrap();

    let refused = |dirs: &[PathBuf]| format!("{:#}", merge(&root, dirs, &out).unwrap_err());
    let err = refused(std::slice::from_ref(&first));
    assert!(err.contains("the shards given are [1] of 2"), "{err}");
    let conflict = shard("conflict", record(2, 2), &[("hasher", "go1.26-opt", b"other bytes")]);
    let err = refused(&[first.clone(), conflict]);
    assert!(err.contains("hasher go1.26-opt differs between") && err.contains("refusing to choose"), "{err}");
    let other = ShardRecord { variants: vec!["go1.24-raw".into()], ..record(2, 2).unwrap() };
    let err = refused(&[first.clone(), shard("other", Some(other), &[("hasher", "go1.24-raw", b"h24")])]);
    assert!(err.contains("not one selection"), "{err}");
    let err = refused(&[first.clone(), shard("short", record(2, 2), &[("hasher", "go1.24-raw", b"h24")])]);
    assert!(err.contains("the shards lack 1 artifacts of their selection: textkit go1.26-opt"), "{err}");
    let err = refused(&[first.clone(), shard("plain", None, &[])]);
    assert!(err.contains("is not a shard's manifest"), "{err}");
    std::fs::write(second.join("hasher/go1.24-raw.wasm"), b"h25").unwrap();
    let err = refused(&[first.clone(), second.clone()]);
    assert!(err.contains("go1.24-raw.wasm does not match") && err.contains("manifest.json"), "{err}");
    let partial = shard("partial", record(2, 2), &[]);
    let text = std::fs::read_to_string(partial.join("manifest.json")).unwrap();
    let failed =
        text.replacen("\"artifacts\": []", "\"artifacts\": [], \"failures\": [{\"what\": \"x\", \"error\": []}]", 1);
    std::fs::write(partial.join("manifest.json"), failed).unwrap();
    let err = refused(&[first.clone(), partial]);
    assert!(err.contains("it is a partial dist"), "{err}");
    let foreign = shard("foreign", record(2, 2), &[("hasher", "go1.24-raw", b"h24")]);
    let text = std::fs::read_to_string(foreign.join("manifest.json")).unwrap();
    std::fs::write(foreign.join("manifest.json"), text.replace("\"hasher/go1.24-raw.wasm\"", "\"../escape.wasm\""))
        .unwrap();
    std::fs::write(foreign.join("../escape.wasm"), b"h24").unwrap();
    let err = refused(&[first, foreign]);
    assert!(err.contains("says path `../escape.wasm`"), "{err}");
    assert_eq!(std::fs::read(out.join("manifest.json")).unwrap(), before, "a refused merge changed the target");
    std::fs::remove_dir_all(&tmp).unwrap();
}

/// A no-op dist keeps target/dist only when it holds exactly the manifest, its artifacts and their SBOMs, each
/// read back: a tampered, missing or extra file there makes it publish again.
#[test]
fn target_dist_is_kept_only_when_every_artifact_verifies() {
    let dir = std::env::temp_dir().join(format!("xtask-published-{}", std::process::id()));
    let artifact = |component: &str, variant: &str, bytes: &[u8]| Artifact {
        component: component.into(),
        variant: variant.into(),
        path: format!("{component}/{variant}.wasm"),
        bytes: bytes.len() as u64,
        sha256: util::sha256_hex(bytes),
        core_sha256: "core".into(),
        world: component.into(),
        tools: BTreeMap::new(),
        flags: Vec::new(),
        env: BTreeMap::new(),
        composed_of: Vec::new(),
        guarded_window: None,
        generic_window: None,
        go_modules: Vec::new(),
        module_env: BTreeMap::new(),
    };
    let manifest = Manifest {
        artifacts: vec![artifact("a", "v1", b"one"), artifact("a", "v2", b"two")],
        shard: None,
        left_out: Vec::new(),
        failures: Vec::new(),
        source: None,
    };
    let write = |rel: &str, bytes: &[u8]| {
        std::fs::create_dir_all(dir.join(rel).parent().unwrap()).unwrap();
        std::fs::write(dir.join(rel), bytes).unwrap();
    };
    write("a/v1.wasm", b"one");
    write("a/v2.wasm", b"two");
    write("manifest.json", manifest.to_json().unwrap().as_bytes());
    assert!(!already_published(&dir, &manifest, &[]).unwrap(), "the SBOMs are missing");
    for artifact in &manifest.artifacts {
        write(&super::sbom::path_of(artifact), super::sbom::spdx(artifact, None).as_bytes());
    }
    assert!(already_published(&dir, &manifest, &[]).unwrap());
    write("a/v1.spdx.json", b"{}");
    assert!(!already_published(&dir, &manifest, &[]).unwrap(), "a changed SBOM was trusted");
    write("a/v1.spdx.json", super::sbom::spdx(&manifest.artifacts[0], None).as_bytes());
    write("a/v2.wasm", b"twO");
    assert!(!already_published(&dir, &manifest, &[]).unwrap(), "a tampered artifact was trusted");
    write("a/v2.wasm", b"two");
    write("a/stray.wasm", b"x");
    assert!(!already_published(&dir, &manifest, &[]).unwrap(), "an extra file was kept");
    std::fs::remove_file(dir.join("a/stray.wasm")).unwrap();
    std::fs::remove_file(dir.join("a/v1.wasm")).unwrap();
    assert!(!already_published(&dir, &manifest, &[]).unwrap(), "a missing artifact was not noticed");

    // Artifacts that are hard links of the files the run verified are known without reading them: here the
    // verified files differ from what the manifest says (something a run would never do), so a `true` shows
    // they were not read; a copy instead of a link is read and compared.
    let links = std::env::temp_dir().join(format!("xtask-published-links-{}", std::process::id()));
    std::fs::create_dir_all(&links).unwrap();
    let verified = [links.join("v1"), links.join("v2")];
    std::fs::write(&verified[0], b"ONE").unwrap();
    std::fs::write(&verified[1], b"TWO").unwrap();
    write("a/v1.wasm", b"one");
    for (rel, source) in [("a/v1.wasm", &verified[0]), ("a/v2.wasm", &verified[1])] {
        std::fs::remove_file(dir.join(rel)).unwrap();
        std::fs::hard_link(source, dir.join(rel)).unwrap();
    }
    assert!(already_published(&dir, &manifest, &verified).unwrap(), "linked artifacts were read again");
    std::fs::remove_file(dir.join("a/v2.wasm")).unwrap();
    std::fs::copy(&verified[1], dir.join("a/v2.wasm")).unwrap();
    assert!(!already_published(&dir, &manifest, &verified).unwrap(), "a copy was trusted as if it were a link");
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::remove_dir_all(&links).unwrap();
}
