//! `host`: the thin binary over the host library. `host call <component.wasm> '<wave call>'` instantiates the
//! component, makes one call written in WAVE and prints the results as WAVE on stdout; `--repeat`, `--cache`
//! and `--stats` turn it into a small load test that reports what the process cost.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use host::{Host, HostConfig, dynamic};

const USAGE: &str = "usage: host call [--repeat N] [--cache DIR] [--stats] <component.wasm> '<function>(<wave args>)'\n       \
host exports <component.wasm>\n\n\
call      instantiate the component and call one export; results are printed as WAVE, one per line\n\
          --repeat N   make the call N times on the same instance (results of the last one are printed)\n\
          --cache DIR  load through the precompiled cache in DIR (compiled once, then deserialized)\n\
          --stats      print `stats: calls=… first_result_ms=… total_ms=… peak_rss_kib=…` on stderr at the end\n\
exports   list the functions the component exports";

fn main() -> ExitCode {
    let started = Instant::now();
    match run(std::env::args().skip(1).collect(), started) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            for (i, cause) in err.chain().skip(1).enumerate() {
                if i == 0 {
                    eprintln!("\nCaused by:");
                }
                eprintln!("    {i}: {cause}");
            }
            ExitCode::FAILURE
        }
    }
}

/// The options of `call`.
#[derive(Debug, Default)]
struct CallOptions {
    repeat: usize,
    cache: Option<PathBuf>,
    stats: bool,
}

fn run(args: Vec<String>, started: Instant) -> Result<()> {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["call", rest @ ..] => {
            let mut options = CallOptions { repeat: 1, ..CallOptions::default() };
            let mut positional = Vec::new();
            let mut rest = rest.iter();
            while let Some(arg) = rest.next() {
                match *arg {
                    "--repeat" => {
                        let n = rest.next().context("--repeat needs a number")?;
                        options.repeat = n.parse().with_context(|| format!("--repeat {n}: not a number"))?;
                        if options.repeat == 0 {
                            bail!("--repeat must be at least 1");
                        }
                    }
                    "--cache" => options.cache = Some(rest.next().context("--cache needs a directory")?.into()),
                    "--stats" => options.stats = true,
                    flag if flag.starts_with("--") => bail!("unknown option {flag}\n\n{USAGE}"),
                    other => positional.push(other),
                }
            }
            let [path, call] = positional.as_slice() else { bail!("{USAGE}") };
            call_command(path, call, &options, started)
        }
        ["exports", path] => {
            let host = Host::new(&HostConfig::default())?;
            let component = host.load(path)?;
            for export in dynamic::exported_functions(&host, &component) {
                println!("{export}");
            }
            Ok(())
        }
        ["-h" | "--help" | "help"] => {
            println!("{USAGE}");
            Ok(())
        }
        _ => bail!("{USAGE}"),
    }
}

fn call_command(path: &str, call: &str, options: &CallOptions, started: Instant) -> Result<()> {
    let host = Host::new(&HostConfig::default())?;
    let component = match &options.cache {
        Some(dir) => host.load_cached(path, dir)?.0,
        None => host.load(path)?,
    };
    let mut store = host.store();
    let instance = host.instantiate(&mut store, &component).with_context(|| format!("in {path}"))?;
    let mut prepared = dynamic::prepare(&host, &component, &mut store, &instance, call)?;
    prepared.call(&mut store)?;
    let first_result = started.elapsed();
    for _ in 1..options.repeat {
        prepared.call(&mut store)?;
    }
    for result in prepared.results_as_wave()? {
        println!("{result}");
    }
    if options.stats {
        eprintln!(
            "stats: calls={} first_result_ms={:.3} total_ms={:.3} peak_rss_kib={}",
            options.repeat,
            first_result.as_secs_f64() * 1e3,
            started.elapsed().as_secs_f64() * 1e3,
            peak_rss_kib().map_or("unknown".to_string(), |k| k.to_string())
        );
    }
    Ok(())
}

/// The process's peak resident set size as the kernel recorded it (`VmHWM` in /proc/self/status, Linux).
fn peak_rss_kib() -> Option<u64> {
    std::fs::read_to_string("/proc/self/status")
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}
