//! The scheduler on real builds of the hasher, the textkit and the reporter: what is skipped, rebuilt, shared
//! between levels and composed.

use std::path::Path;

use super::*;
use crate::model::{self, Post, paths};
use crate::testing::hasher_workspace;
use crate::util;

/// The failure report a failed run ends with: how many of how many failed, then each failure with its causes,
/// as a person reads it.
#[test]
fn a_failed_run_reports_every_failure_with_its_causes() {
    let failure = |what, artifacts, error: anyhow::Error| Failure { what, artifacts, error };
    let variant = model::select_variants(&["go1.26-opt".to_string()]).unwrap().remove(0);
    let outcome = Outcome {
        products: Vec::new(),
        failures: vec![
            failure(
                Failed::Build { component: "hasher".into(), build: "tinygo-o2" },
                3,
                anyhow::anyhow!("exit status 1\nmain.go:3: undefined: x").context("go build failed for tinygo-o2"),
            ),
            failure(
                Failed::Variant { component: "textkit".into(), variant },
                1,
                anyhow::anyhow!("trap").context("stress: call #3").context("check failed for textkit go1.26-opt"),
            ),
        ],
        selected: 8,
    };
    expect_test::expect![[r#"
        4 of 8 artifacts failed (4 passed):
          1. hasher tinygo-o2
               - go build failed for tinygo-o2
               - exit status 1
                 main.go:3: undefined: x
          2. textkit go1.26-opt
               - check failed for textkit go1.26-opt
               - stress: call #3
               - trap"#]]
    .assert_eq(&outcome.report());
}

fn modified(path: &Path) -> std::time::SystemTime {
    std::fs::metadata(path).unwrap().modified().unwrap()
}

/// A second run with nothing changed does no work; touching one Go file rebuilds that build only.
#[test]
#[ignore = "slow tier: builds components with Go (`cargo xtask test` runs it)"]
fn unchanged_inputs_are_skipped_and_a_changed_source_rebuilds() {
    let tmp = hasher_workspace("incremental");
    let sh = Shell::new().unwrap();
    let ws = crate::testing::workspace_of(&tmp);
    let component = model::discover(&tmp).unwrap().remove(0);
    let build = model::builds().into_iter().find(|b| b.name == "go1.26").unwrap();
    let jobs = vec![Job::new(component, build, vec![Post::Raw, Post::Strip])];
    let options = Options::until(Until::Componentize);

    let first = run(&sh, &ws, jobs.clone(), &options).unwrap();
    let outputs: Vec<PathBuf> =
        first.iter().flat_map(|p| [p.module.clone(), p.component_path.clone().unwrap()]).collect();
    let stamps: Vec<_> = outputs.iter().map(|p| modified(p)).collect();

    let second = run(&sh, &ws, jobs.clone(), &options).unwrap();
    assert_eq!(second.len(), 2);
    assert_eq!(outputs.iter().map(|p| modified(p)).collect::<Vec<_>>(), stamps, "an unchanged tree was rebuilt");

    let source = tmp.join("go/hasher/canonjson/canonjson.go");
    let text = std::fs::read_to_string(&source).unwrap();
    std::fs::write(&source, format!("{text}\n// changed\n")).unwrap();
    run(&sh, &ws, jobs, &options).unwrap();
    let core = paths::core_module(&ws.work, &first[0].component, &first[0].variant.build);
    assert_ne!(modified(&core), stamps[0], "a changed Go file did not rebuild the core module");
    std::fs::remove_dir_all(&tmp).unwrap();
}

/// A composed component runs after its part and ships the composition: selecting only the reporter brings a
/// dependency job for textkit (not shipped), the reporter's job waits for it, and the composition passes the
/// reporter's suite. Composed with a component *file* instead (textkit's component copied into the project)
/// the bytes are the same; a file part that serves none of the imports fails the variant, naming it.
#[test]
#[ignore = "slow tier: builds components with Go (`cargo xtask test` runs it)"]
fn a_composition_runs_after_its_parts_and_a_file_part_composes_the_same() {
    let root = crate::testing::root();
    let tmp = std::env::temp_dir().join(format!("xtask-composition-{}", std::process::id()));
    for dir in ["go/reporter", "go/textkit", "go/witpkg", "wit"] {
        util::copy_dir(&root.join(dir), &tmp.join(dir));
    }
    std::fs::copy(root.join("go/toolchains.toml"), tmp.join("go/toolchains.toml")).unwrap();
    let sh = Shell::new().unwrap();
    let ws = crate::testing::workspace_of(&tmp);
    let selection = |tmp: &Path| {
        let selection =
            model::Selection { components: vec!["reporter".into()], variants: vec!["go1.26-raw".into()], shard: None };
        model::select(tmp, &selection).unwrap()
    };
    let jobs = selection(&tmp);
    assert_eq!(
        jobs.iter().map(|j| (j.component.name.as_str(), j.dependency)).collect::<Vec<_>>(),
        [("textkit", true), ("reporter", false)]
    );
    let options = Options { stress: Stress::fixed(300, 150), ..Options::until(Until::Check) };
    let products = run(&sh, &ws, jobs, &options).unwrap();
    assert_eq!(products.len(), 1, "the dependency is not a product");
    let composed = &products[0];
    let names: Vec<&str> = composed.composed_of.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["reporter", "textkit"]);
    assert_eq!(
        composed.component_path.as_deref(),
        Some(paths::composed(&ws.work, &composed.component, &composed.variant).as_path())
    );
    let bytes = util::read(composed.component_path.as_ref().unwrap()).unwrap();

    // The same part as a file: the same composition, and no dependency job.
    let textkit = model::select_components(&tmp, &["textkit".into()]).unwrap().remove(0);
    std::fs::create_dir_all(tmp.join("parts")).unwrap();
    std::fs::copy(paths::component(&ws.work, &textkit, &composed.variant), tmp.join("parts/textkit.wasm")).unwrap();
    let config = tmp.join("go/reporter").join(model::CONFIG_FILE);
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, text.replace("compose = [\"textkit\"]", "compose = [\"parts/textkit.wasm\"]")).unwrap();
    let jobs = selection(&tmp);
    assert_eq!(jobs.len(), 1, "a file part needs no job");
    let again = run(&sh, &ws, jobs, &Options::until(Until::Componentize)).unwrap();
    assert_eq!(util::read(again[0].component_path.as_ref().unwrap()).unwrap(), bytes);

    // A part that serves nothing: the reporter's own component, which only imports.
    std::fs::copy(paths::component(&ws.work, &composed.component, &composed.variant), tmp.join("parts/spare.wasm"))
        .unwrap();
    std::fs::write(
        &config,
        text.replace("compose = [\"textkit\"]", "compose = [\"parts/textkit.wasm\", \"parts/spare.wasm\"]"),
    )
    .unwrap();
    let err = run(&sh, &ws, selection(&tmp), &Options::until(Until::Componentize)).unwrap_err().to_string();
    std::fs::remove_dir_all(&tmp).unwrap();
    assert!(err.contains("1 of 1 artifacts failed") && err.contains("`spare` satisfies none of the imports"), "{err}");
}

/// A strip variant is its raw variant's program (the same module without custom sections): checked after the
/// raw one passed, it runs the vectors and cases but takes raw's stress and count, and its stamp says so; checked
/// without raw in the run, it is stressed itself (the stamp's key differs, so the earlier pass is not trusted).
#[test]
#[ignore = "slow tier: builds components with Go (`cargo xtask test` runs it)"]
fn a_strip_variant_takes_the_stress_of_its_raw_variant_when_that_passed() {
    let tmp = hasher_workspace("strip-stress");
    let sh = Shell::new().unwrap();
    let ws = crate::testing::workspace_of(&tmp);
    let component = model::discover(&tmp).unwrap().remove(0);
    let build = model::builds().into_iter().find(|b| b.name == "go1.26").unwrap();
    let options = Options { stress: Stress::fixed(20, 2), ..Options::until(Until::Check) };
    let stamp = paths::component(&ws.work, &component, &Variant { build: build.clone(), post: Post::Strip })
        .with_extension("wasm.checked");
    let key = || String::from_utf8(std::fs::read(&stamp).unwrap()).unwrap().lines().next().unwrap().to_string();

    let both = vec![Job::new(component.clone(), build.clone(), vec![Post::Raw, Post::Strip])];
    let products = run(&sh, &ws, both, &options).unwrap();
    assert_eq!(products.len(), 2);
    assert!(products[0].window.is_some(), "raw's stress counted its window");
    assert_eq!(products[1].window, products[0].window, "strip records raw's count");
    assert!(key().ends_with(" stress-of-raw"), "{}", key());

    let alone = vec![Job::new(component, build, vec![Post::Strip])];
    let products = run(&sh, &ws, alone, &options).unwrap();
    assert!(products[0].window.is_some(), "strip was stressed itself");
    assert!(!key().ends_with(" stress-of-raw"), "{}", key());
    let _ = std::fs::remove_dir_all(&tmp);
}

/// Every step's output is verified against its record, so nothing damaged after it was built is trusted:
/// the outputs of every step kind (core module, stripped, optimized, snapshot, component, check stamp) are
/// damaged three ways (truncated, one byte changed, deleted), and each next run re-makes them, bytes
/// identical to before, with the same manifest. A temporary file a killed wasm-opt left behind is removed.
#[test]
#[ignore = "slow tier: builds components with Go (`cargo xtask test` runs it)"]
fn damaged_outputs_of_every_step_are_rebuilt_not_trusted() {
    let tmp = hasher_workspace("damage");
    let sh = Shell::new().unwrap();
    let ws = crate::testing::workspace_of(&tmp);
    let component = model::discover(&tmp).unwrap().remove(0);
    let build = model::builds().into_iter().find(|b| b.name == "go1.26").unwrap();
    let posts = vec![Post::Raw, Post::Strip, Post::Opt, Post::Wizer];
    let jobs = vec![Job::new(component.clone(), build.clone(), posts)];
    let options = Options { stress: Stress::fixed(20, 2), ..Options::until(Until::Check) };
    // What dist would ship: each variant's component and its SHA-256.
    let manifest = |products: &[Product]| -> Vec<(String, String)> {
        let digest = |p: &Product| util::sha256_hex(&util::read(p.component_path.as_ref().unwrap()).unwrap());
        products.iter().map(|p| (p.variant.name(), digest(p))).collect()
    };

    let first = run(&sh, &ws, jobs.clone(), &options).unwrap();
    let shipped = manifest(&first);
    let variant = |post| Variant { build: build.clone(), post };
    let outputs = [
        paths::core_module(&ws.work, &component, &build),
        paths::module(&ws.work, &component, &variant(Post::Strip)),
        paths::module(&ws.work, &component, &variant(Post::Opt)),
        paths::module(&ws.work, &component, &variant(Post::Wizer)),
        paths::component(&ws.work, &component, &variant(Post::Strip)),
        paths::component(&ws.work, &component, &variant(Post::Opt)).with_extension("wasm.checked"),
    ];
    let originals: Vec<Vec<u8>> = outputs.iter().map(|p| std::fs::read(p).unwrap()).collect();
    let orphan = outputs[2].with_file_name(".module.wasm.999999.tmp");

    type Damage = fn(&Path);
    let damages: [(&str, Damage); 3] = [
        ("truncated", |p| std::fs::write(p, &std::fs::read(p).unwrap()[..64]).unwrap()),
        ("one byte changed", |p| {
            let mut bytes = std::fs::read(p).unwrap();
            let middle = bytes.len() / 2;
            bytes[middle] ^= 0x01;
            std::fs::write(p, bytes).unwrap()
        }),
        ("deleted", |p| std::fs::remove_file(p).unwrap()),
    ];
    for (how, damage) in damages {
        for output in &outputs {
            damage(output);
        }
        std::fs::write(&orphan, b"half of what wasm-opt was writing").unwrap();
        let again = run(&sh, &ws, jobs.clone(), &options).unwrap();
        for (output, original) in outputs.iter().zip(&originals) {
            let mut now = std::fs::read(output).unwrap_or_default();
            let mut original = original.clone();
            // A check stamp is its key, then what the re-check measured: the window count of a fixed stress
            // depends on when Go's collector ran (it reads the clock), so only the key must be the same.
            if output.extension().is_some_and(|e| e == "checked") {
                for stamp in [&mut now, &mut original] {
                    stamp.truncate(stamp.iter().position(|b| *b == b'\n').unwrap_or(stamp.len()));
                }
            }
            assert!(
                now == original,
                "{} ({how}) was not re-made: {} bytes, want {}",
                output.display(),
                now.len(),
                original.len()
            );
        }
        assert!(!orphan.exists(), "the orphaned temporary file was not removed");
        assert_eq!(manifest(&again), shipped, "the artifacts differ after repairing outputs that were {how}");
    }
    std::fs::remove_dir_all(&tmp).unwrap();
}
