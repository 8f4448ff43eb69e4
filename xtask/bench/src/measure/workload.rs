//! The seed workload's figures (the component that declares `seed-table`): 1000 calls on 5 bytes, SHA-256 and JSON
//! throughput, the lean and async calls, linear memory over many calls, scaling over cores, and the native Rust
//! baselines beside them.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use host::State;
use host::wasmtime::component::InstancePre;
use pipeline::status;
use pipeline::suite::{json_document, pseudo_random};
use pipeline::util::sha256_hex;
use sha2::Digest;

use super::{FIVE_BYTES, HasherSamples, Hosts, Plan, Subject, failure_line};
use crate::seed::{Seed, same_document};
use crate::stats::{Samples, timed};
use crate::{Concurrency, HasherFigures, Native};

impl Subject {
    pub(super) fn sample_hasher(
        &mut self,
        hosts: &Hosts,
        plan: &Plan,
        runtime: &tokio::runtime::Runtime,
    ) -> Result<()> {
        let large_calls = !self.peer;
        let samples = self.hasher.as_mut().expect("hasher subject");
        let host = &hosts.default;
        let mut store = host.store();
        let hasher = Seed::instantiate(&self.pre, &mut store)?;
        let want = sha256_hex(FIVE_BYTES);
        for _ in 0..100 {
            hasher.expect_digest(&mut store, FIVE_BYTES, &want)?;
        }
        let start = Instant::now();
        for _ in 0..1000 {
            hasher.expect_digest(&mut store, FIVE_BYTES, &want)?;
        }
        samples.calls_1000_ms.push(start.elapsed().as_secs_f64() * 1e3);

        if large_calls {
            let data = pseudo_random(64 * 1024, 64);
            let want_64k = sha256_hex(&data);
            let start = Instant::now();
            for _ in 0..10 {
                hasher.expect_digest(&mut store, &data, &want_64k)?;
            }
            samples.sha_64k_us.push_us(start.elapsed() / 10);
            let data = pseudo_random(1024 * 1024, 1024);
            let want_1m = sha256_hex(&data);
            let (result, took) = timed(|| hasher.expect_digest(&mut store, &data, &want_1m));
            result?;
            samples.sha_1m_us.push_us(took);
            let json = bench_json();
            let want_json: serde_json::Value = serde_json::from_slice(&json).context("the benchmark document")?;
            let (got, took) = timed(|| hasher.process_json(&mut store, &json));
            if !got?.is_ok_and(|got| same_document(&got, &want_json)) {
                bail!("process-json returned a different document");
            }
            samples.json_64k_us.push_us(took);
        }

        // The same 5-byte call without a deadline (the lean engine) and through the async API.
        let lean = &hosts.lean;
        let mut store = lean.store();
        let instance = lean.instantiate(&mut store, &self.lean)?;
        let hasher = Seed::of(&mut store, &instance)?;
        for _ in 0..100 {
            hasher.expect_digest(&mut store, FIVE_BYTES, &want)?;
        }
        let start = Instant::now();
        for _ in 0..plan.batch {
            hasher.expect_digest(&mut store, FIVE_BYTES, &want)?;
        }
        samples.call_lean_us.push(start.elapsed().as_secs_f64() * 1e6 / plan.batch as f64);

        let asynchronous = &hosts.asynchronous;
        let batch = plan.batch / 10;
        let took = runtime.block_on(async {
            let mut store = asynchronous.host().store();
            let instance = asynchronous.instantiate(&mut store, &self.asynchronous).await?;
            let hasher = Seed::of(&mut store, &instance)?;
            for _ in 0..100 {
                hasher.compute_hash_async(&mut store, FIVE_BYTES).await?;
            }
            let start = Instant::now();
            for _ in 0..batch {
                let got = hasher.compute_hash_async(&mut store, FIVE_BYTES).await?;
                if got != want {
                    bail!("async compute-hash returned {got}");
                }
            }
            Ok::<Duration, anyhow::Error>(start.elapsed())
        })?;
        samples.call_async_us.push(took.as_secs_f64() * 1e6 / batch as f64);
        Ok(())
    }
}

/// The hasher figures; linear memory after many calls on one instance (the peer's series stops at its first
/// failure, recorded in `faults`, and says how many calls it made).
pub(super) fn hasher_figures(
    h: &HasherSamples,
    hosts: &Hosts,
    pre: &InstancePre<State>,
    plan: &Plan,
    mut faults: Option<&mut Vec<String>>,
) -> Result<HasherFigures> {
    let need = |samples: &Samples| samples.stat().context("missing hasher samples");
    let rate = |samples: &Samples, bytes: f64| samples.stat().map(|s| s.rate(bytes / (1 << 20) as f64 * 1e6));
    // Linear memory: at start, after 1000 calls and after many, on one instance.
    let host = &hosts.default;
    let mut store = host.store();
    let hasher = Seed::instantiate(pre, &mut store)?;
    let memory_start = store.data().memory().current();
    let want = sha256_hex(FIVE_BYTES);
    let mut made = 0;
    let mut memory_after_1000 = memory_start;
    while made < plan.many_calls {
        match (hasher.expect_digest(&mut store, FIVE_BYTES, &want), faults.as_mut()) {
            (Ok(()), _) => made += 1,
            (Err(e), Some(faults)) => {
                faults.push(format!("after {made} calls on one instance: {}", failure_line(&format!("{e:#}"))));
                break;
            }
            (Err(e), None) => return Err(e),
        }
        if made == 1000 {
            memory_after_1000 = store.data().memory().current();
        }
    }
    let memory_after_many = store.data().memory().current();
    Ok(HasherFigures {
        calls_1000_ms: need(&h.calls_1000_ms)?,
        call_us: need(&h.calls_1000_ms)?,
        call_lean_us: need(&h.call_lean_us)?,
        call_async_us: need(&h.call_async_us)?,
        sha_64k_mibps: rate(&h.sha_64k_us, 65536.0),
        sha_1m_mibps: rate(&h.sha_1m_us, (1 << 20) as f64),
        json_64k_mibps: rate(&h.json_64k_us, bench_json().len() as f64),
        memory_start_bytes: memory_start,
        memory_after_1000_bytes: memory_after_1000,
        memory_after_many_bytes: memory_after_many,
        many_calls: made,
    })
}

/// The native baselines: SHA-256 with and without hardware acceleration, and serde_json on the JSON input.
pub(crate) fn native(plan: &Plan) -> Result<Native> {
    let rounds = plan.rounds.max(3) * 4;
    let mut out = [Samples::default(), Samples::default(), Samples::default(), Samples::default()];
    let inputs = [pseudo_random(64 * 1024, 64), pseudo_random(1024 * 1024, 1024)];
    for _ in 0..rounds {
        for (i, data) in inputs.iter().enumerate() {
            let hw = sha256_hex(data);
            let ((), took) = timed(|| {
                std::hint::black_box(sha2::Sha256::digest(std::hint::black_box(data)));
            });
            out[i].push_us(took);
            let (soft, took_soft) = timed(|| hmac_sha256::Hash::hash(std::hint::black_box(data)));
            if pipeline::util::hex(&soft) != hw {
                bail!("software and hardware SHA-256 disagree");
            }
            out[2 + i].push_us(took_soft);
        }
    }
    let json = bench_json();
    let mut serde = Samples::default();
    for _ in 0..rounds {
        let (encoded, took) = timed(|| -> Result<Vec<u8>> {
            let value: serde_json::Value = serde_json::from_slice(&json)?;
            Ok(serde_json::to_vec(&value)?)
        });
        std::hint::black_box(encoded?);
        serde.push_us(took);
    }
    let mib = |s: &Samples, bytes: f64| s.stat().map(|s| s.rate(bytes / (1 << 20) as f64 * 1e6)).context("no samples");
    Ok(Native {
        sha_hw_64k_mibps: mib(&out[0], 65536.0)?,
        sha_hw_1m_mibps: mib(&out[1], (1 << 20) as f64)?,
        sha_soft_64k_mibps: mib(&out[2], 65536.0)?,
        sha_soft_1m_mibps: mib(&out[3], (1 << 20) as f64)?,
        serde_json_64k_mibps: mib(&serde, json.len() as f64)?,
        sha_hw_available: sha_extensions(),
    })
}

/// Calls per second on 1 thread and on every core, each thread with its own store and instance (one
/// `InstancePre` on the pooling engine), 5-byte `compute-hash` calls.
pub(crate) fn scaling(hosts: &Hosts, subject: &Subject, plan: &Plan) -> Result<Concurrency> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let pre = &subject.pool_pre;
    let want = sha256_hex(FIVE_BYTES);
    let run = |threads: usize| -> Result<f64> {
        let barrier = std::sync::Barrier::new(threads + 1);
        let took = std::thread::scope(|scope| -> Result<Duration> {
            let handles: Vec<_> = (0..threads)
                .map(|_| {
                    scope.spawn(|| -> Result<()> {
                        let mut store = hosts.pool.store();
                        let hasher = Seed::instantiate(pre, &mut store)?;
                        hasher.expect_digest(&mut store, FIVE_BYTES, &want)?;
                        barrier.wait();
                        for _ in 0..plan.scaling_calls {
                            hasher.expect_digest(&mut store, FIVE_BYTES, &want)?;
                        }
                        Ok(())
                    })
                })
                .collect();
            barrier.wait();
            let start = Instant::now();
            for handle in handles {
                handle.join().map_err(|_| anyhow!("a benchmark thread panicked"))??;
            }
            Ok(start.elapsed())
        })?;
        Ok((threads * plan.scaling_calls) as f64 / took.as_secs_f64())
    };
    let one = run(1)?;
    let all = run(cores)?;
    status::step("Scaling", format!("{}: {one:.0} calls/s on 1 thread, {all:.0} on {cores}", subject.label));
    Ok(Concurrency {
        variant: subject.label.clone(),
        cores,
        calls_per_thread: plan.scaling_calls,
        one_thread_calls_per_s: one,
        all_cores_calls_per_s: all,
        ratio: all / one,
    })
}

/// The process-json input: a 64 KiB document of nested objects, arrays, numbers and strings.
fn bench_json() -> Vec<u8> {
    json_document(64 * 1024, 7)
}

/// Whether the CPU has the SHA extensions the hardware baseline uses (x86 `sha_ni`).
fn sha_extensions() -> bool {
    std::fs::read_to_string("/proc/cpuinfo").is_ok_and(|c| c.split_whitespace().any(|w| w == "sha_ni"))
}
