//! The runtime-state probes of the `faulty` world (`random`, `since-init`, `ask-parked`…), on every variant: what a pre-initialized (`opt-wizer`) variant must
//! still do per instance, and what it freezes at build time on purpose (see `wizer` and docs/design/snapshots.md,
//! "Pre-initialized variants"). The same expectations hold for every level except where the snapshot changes them
//! by design; those lines say so.

use anyhow::{Context, Result, ensure};
use host::{Host, Sandbox};
use pipeline::model::Post;
use pipeline::status;
use wasmtime::component::Component;

/// Goroutines each `sleepers` probe starts.
const SLEEPERS: u32 = 20;

/// `tinygo`: TinyGo builds have no scheduler (`-scheduler=none`), so the goroutine probes must fail saying so.
pub(super) fn run(host: &Host, component: &Component, label: &str, post: Post, tinygo: bool) -> Result<()> {
    let snapshotted = post == Post::Wizer;
    // Two instances of the same component, side by side.
    let mut first = Sandbox::new(host, component.clone());
    let mut second = Sandbox::new(host, component.clone());

    // Monotonic time since package init is never negative: a snapshot's readings lie before any new instance's.
    for sandbox in [&mut first, &mut second] {
        let since: i64 = value(sandbox, "since-init()")?;
        ensure!(since >= 0, "time.Since(init) is {since} ns: the monotonic clock ran backwards across instantiation");
    }

    // Randomness drawn after instantiation differs per instance (the snapshot is re-seeded by gowasm_resume).
    for probe in ["random()", "crypto-random()"] {
        let a: u64 = value(&mut first, probe)?;
        let b: u64 = value(&mut second, probe)?;
        ensure!(a != b, "`{probe}` returned {a} in two different instances");
    }
    // Randomness drawn during package init: recorded once in a snapshot (by design), fresh per instance otherwise.
    let a: u64 = value(&mut first, "init-random()")?;
    let b: u64 = value(&mut second, "init-random()")?;
    if snapshotted {
        ensure!(a == b, "a snapshot should carry one package-init random value, got {a} and {b}");
    } else {
        ensure!(a != b, "package init drew {a} in two different instances");
    }

    // The host gives no environment and no arguments; a snapshot was taken with none either.
    for probe in ["environment()", "arguments()"] {
        let got = first.call(probe)?;
        ensure!(got == ["[]"], "`{probe}` returned {got:?}, want []");
    }

    // A goroutine parked since package init (in the snapshot, for opt-wizer) answers; sleeping goroutines wake
    // (timers and poll_oneoff) and a full GC runs over the runtime's own parked goroutines.
    if tinygo {
        for probe in ["ask-parked(41)", "sleepers(2, 5)"] {
            let err = match first.call(probe) {
                Ok(results) => anyhow::bail!("`{probe}` returned {results:?} without a scheduler"),
                Err(err) => err.to_string(),
            };
            ensure!(err.contains("goroutines need a scheduler"), "`{probe}` failed otherwise: {err}");
        }
        status::step(
            "Probed",
            format!("{label}: fresh randomness per instance, monotonic time forward; no goroutines (TinyGo)"),
        );
        return Ok(());
    }
    let reply: u32 = value(&mut first, "ask-parked(41)")?;
    ensure!(reply == 42, "the goroutine parked since init replied {reply}, want 42");
    let woke: u32 = value(&mut second, &format!("sleepers({SLEEPERS}, 5)"))?;
    ensure!(woke == SLEEPERS, "{woke} of {SLEEPERS} sleeping goroutines reported");
    let reply: u32 = value(&mut second, "ask-parked(1)")?;
    ensure!(reply == 2, "after sleepers and a GC the parked goroutine replied {reply}, want 2");

    status::step(
        "Probed",
        format!(
            "{label}: fresh randomness per instance, {} package-init randomness, monotonic time forward, goroutines \
             parked at init answer",
            if snapshotted { "one (snapshotted)" } else { "fresh" }
        ),
    );
    Ok(())
}

/// Calls `call` and parses its single WAVE result.
fn value<T: std::str::FromStr>(sandbox: &mut Sandbox<'_>, call: &str) -> Result<T>
where
    T::Err: std::error::Error + Send + Sync + 'static,
{
    let results = sandbox.call(call)?;
    let [result] = results.as_slice() else { anyhow::bail!("`{call}` returned {results:?}, want one value") };
    result.parse().with_context(|| format!("`{call}` returned {result}"))
}
