//! The xtask binary end to end: help text and the one-line errors a user sees when a tool is missing.

use std::process::{Command, Output};

fn xtask(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_xtask"));
    cmd.args(args).env_remove("GO").env_remove("GOFMT").env("NO_COLOR", "1");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run xtask")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn help_lists_every_task() {
    let out = xtask(&["--help"], &[]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for task in ["doctor", "bindgen", "build", "componentize", "check", "dist", "ci", "test", "setup", "new"] {
        assert!(text.contains(task), "`{task}` missing from --help:\n{text}");
    }
}

#[test]
fn missing_go_is_one_clear_line_and_a_failure() {
    let out = xtask(&["build"], &[("PATH", "/nonexistent")]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("error: `go` not found on PATH: it compiles each component's Go module to a wasip1 core module; install Go 1.24 or newer"),
        "{err}"
    );
}

#[test]
fn go_override_pointing_nowhere_is_named() {
    let out = xtask(&["build"], &[("GO", "/nonexistent/go")]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("GO=/nonexistent/go does not exist"), "{}", stderr(&out));
}

#[test]
fn doctor_reports_missing_tools_as_json_and_fails() {
    let out = xtask(&["doctor", "--json"], &[("PATH", "/nonexistent")]);
    assert!(!out.status.success());
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("doctor --json prints JSON");
    let go = report.as_array().unwrap().iter().find(|e| e["name"] == "go").expect("go is listed");
    assert_eq!(go["found"], false);
    assert!(go["hint"].as_str().unwrap().contains("install Go"));
    assert!(stderr(&out).contains("error: missing: go, gofmt"), "{}", stderr(&out));
}

#[test]
fn unknown_component_lists_the_known_ones() {
    let out = xtask(&["build", "--component", "nope"], &[]);
    assert!(!out.status.success());
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let known: Vec<String> = pipeline::model::discover(root).unwrap().into_iter().map(|c| c.name).collect();
    assert!(known.len() >= 3, "{known:?}");
    let want = format!("unknown component `nope` (known: {})", known.join(", "));
    assert!(stderr(&out).contains(&want), "{}", stderr(&out));
}

#[test]
#[ignore = "slow tier: needs Go on PATH (`cargo xtask test` runs it)"]
fn tinygo_override_pointing_nowhere_is_named() {
    let out =
        xtask(&["build", "--component", "hasher", "--variant", "tinygo-raw"], &[("TINYGO", "/nonexistent/tinygo")]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("TINYGO=/nonexistent/tinygo does not exist: `tinygo` compiles the tinygo* variants"), "{err}");
}

#[test]
fn setup_names_what_it_can_install() {
    let out = xtask(&["setup", "--help"], &[]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for what in ["go", "wasm-opt", "tinygo"] {
        assert!(text.contains(what), "`{what}` missing from setup --help:\n{text}");
    }
}

/// Two runs in one checkout serialise on `target/.xtask.lock`: while this test holds it (as a first `cargo
/// xtask` would), a second run waits, says for whom, and goes on only once the first lets go.
#[test]
fn a_second_run_in_the_same_checkout_waits_for_the_first() {
    use std::io::{BufRead, Write};
    use std::time::Duration;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let path = root.join("target/.xtask.lock");
    let mut lock = std::fs::File::options().read(true).write(true).create(true).truncate(false).open(&path).unwrap();
    // If a real run holds it, wait for it like any other run would.
    lock.lock().unwrap();
    lock.set_len(0).unwrap();
    write!(lock, "{}", std::process::id()).unwrap();

    let mut child = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["build", "--component", "nope"])
        .env("NO_COLOR", "1")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run xtask");
    let (tx, rx) = std::sync::mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr).lines() {
            let _ = tx.send(line.unwrap());
        }
    });
    let waiting = rx.recv_timeout(Duration::from_secs(30)).expect("the second run said nothing");
    let pid = std::process::id();
    assert!(
        waiting.contains(&format!("Waiting for another cargo xtask in this checkout (pid {pid}) to finish")),
        "{waiting}"
    );
    std::thread::sleep(Duration::from_millis(500));
    assert!(child.try_wait().unwrap().is_none(), "the second run did not wait for the lock");

    drop(lock);
    let status = child.wait().unwrap();
    let rest: Vec<String> = rx.iter().collect();
    assert!(!status.success());
    assert!(rest.iter().any(|l| l.contains("unknown component `nope`")), "{rest:?}");
}

/// `bench`'s process figures start each process from `xtask __peak-rss`, because a child of a large process
/// would carry that process's peak in its own (`ru_maxrss` keeps the peak of the memory it had before `exec`).
/// Here the test holds 256 MiB while it starts the launcher, whose child (`dd` with a 64 MiB buffer) must be
/// reported at its own size; a failing program's status comes back.
#[test]
fn the_rss_launcher_reports_its_childs_own_peak_not_its_parents() {
    let ballast = vec![1u8; 256 << 20];
    let out = xtask(&["__peak-rss", "dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1"], &[]);
    std::hint::black_box(&ballast);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    let report = err.lines().rev().find_map(|l| l.strip_prefix("peak-rss: ")).unwrap_or_else(|| panic!("{err}"));
    let field = |name: &str| -> u64 {
        let value = report.split_whitespace().find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='));
        value.and_then(|v| v.parse().ok()).unwrap_or_else(|| panic!("no {name} in {report}"))
    };
    let (child, launcher) = (field("child_kib"), field("launcher_kib"));
    assert!((64 << 10..128 << 10).contains(&child), "dd's 64 MiB buffer reported as {child} KiB: {report}");
    assert!(launcher < child, "{report}");

    let out = xtask(&["__peak-rss", "false"], &[]);
    assert!(!out.status.success(), "{}", stderr(&out));
}
