//! The examples in `host/examples/` run, on the fixture, and print what they promise, so they cannot rot. They
//! are run as the binaries cargo builds for `cargo test -p host` (next to this test's own directory); a binary
//! that is missing or older than its source fails the test with the command that builds it.

mod support;

use std::path::PathBuf;
use std::process::Command;

use support::fixture;

/// Runs `host/examples/<example>.rs`'s binary with `args`; it must succeed. Returns its stdout.
fn run(example: &str, args: &[&str]) -> String {
    let exe = std::env::current_exe().expect("the test's own path");
    // target/<profile>/deps/examples-<hash> → target/<profile>/examples/<example>
    let profile_dir = exe.parent().and_then(|deps| deps.parent()).expect("a test binary lives in <profile>/deps");
    let binary = profile_dir.join("examples").join(format!("{example}{}", std::env::consts::EXE_SUFFIX));
    let source = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples").join(format!("{example}.rs"));
    let modified = |path: &PathBuf| std::fs::metadata(path).and_then(|m| m.modified()).ok();
    let hint = "`cargo test -p host` builds the examples (`cargo test --test examples` alone does not): \
                run it, or `cargo build -p host --examples`";
    match (modified(&binary), modified(&source)) {
        (Some(built), Some(written)) if built >= written => {}
        (None, _) => panic!("{} does not exist; {hint}", binary.display()),
        _ => panic!("{} is older than {}; {hint}", binary.display(), source.display()),
    }
    let output = Command::new(&binary).args(args).output().unwrap_or_else(|err| panic!("run {example}: {err}"));
    let stdout = String::from_utf8(output.stdout).expect("UTF-8 output");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{example} {args:?} failed ({}):\n{stdout}{stderr}", output.status);
    stdout
}

fn fixture_path() -> &'static str {
    fixture().path.to_str().expect("a UTF-8 path")
}

/// The typed bindings reach every kind of export, and two instances keep separate state.
#[test]
fn typed_call_calls_every_kind_of_export() {
    assert_eq!(
        run("typed_call", &[fixture_path()]),
        "add(2, 3) = 5\n\
         greet(\"typed\") = \"hello, typed!\"\n\
         reverse([1, 2, 3]) = [3, 2, 1]\n\
         count() = 2 on the first instance, 1 on the second\n"
    );
}

/// Without a call only the exports are listed; with one, its WAVE result follows.
#[test]
fn dynamic_call_lists_the_exports_and_makes_one_wave_call() {
    let exports: String = support::EXPORTS.map(|e| format!("export {e}\n")).concat();
    assert_eq!(run("dynamic_call", &[fixture_path()]), exports);
    let called = run("dynamic_call", &[fixture_path(), r#"greet("example")"#]);
    assert_eq!(called, format!("{exports}greet(\"example\") = \"hello, example!\"\n"));
}

/// Every fault is reported on its own line and the calls after it are served, from fresh instances.
#[test]
fn sandbox_survives_every_fault_and_serves_the_next_call() {
    let calls = ["count()", "crash()", "count()", "spin()", "hog()", "recurse(1000000)", "add(1, 2)"];
    let output = run("sandbox", &[&[fixture_path()][..], &calls].concat());
    assert_eq!(
        output.lines().collect::<Vec<_>>(),
        [
            "ok     count() = 1",
            "failed crash(): call to `crash` failed: trap: unreachable instruction executed",
            "ok     count() = 1",
            "failed spin(): call to `spin` failed: interrupted: it ran past the 1s call deadline",
            "failed hog(): call to `hog` failed: trap: unreachable instruction executed; linear memory hit its \
             limit (255 MiB of 256 MiB)",
            "failed recurse(1000000): call to `recurse` failed: stack overflow: it needed more than the 1024 KiB \
             stack limit",
            "ok     add(1, 2) = 3",
            "4 failed, 5 instance(s) created",
        ]
    );
}

/// The first run compiles and the second loads the artifact; the pool refuses its fifth live instance.
#[test]
fn cache_and_pool_hits_the_cache_and_fills_the_pool() {
    let cache = support::empty_dir("example-cache");
    let cache = cache.to_str().expect("a UTF-8 path");
    for (run_number, first_load) in [(1, "Miss"), (2, "Hit")] {
        let output = run("cache_and_pool", &[fixture_path(), cache]);
        let lines: Vec<&str> = output.lines().collect();
        let [load_1, load_2, pool, rounds] = lines.as_slice() else { panic!("run {run_number}:\n{output}") };
        assert!(load_1.starts_with(&format!("load 1: {first_load} in ")), "run {run_number}:\n{output}");
        assert!(load_2.starts_with("load 2: Hit in "), "run {run_number}:\n{output}");
        let refused = "4 live instances; one more is refused: maximum concurrent limit of 4 for component instances";
        assert!(pool.starts_with(refused), "run {run_number}:\n{output}");
        assert!(rounds.starts_with("100 instantiations from the pool: "), "run {run_number}:\n{output}");
    }
}
