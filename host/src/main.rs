//! `host`: the thin binary over the host library. `host call <component.wasm> '<wave call>'` instantiates the
//! component, makes one call written in WAVE and prints the results as WAVE on stdout; `--repeat`, `--cache`
//! and `--stats` turn it into a small load test that reports what the process cost.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use host::{Host, HostConfig, dynamic};

const USAGE: &str = "usage: host call [--repeat N] [--cache DIR] [--stats] [--digest SHA256] [--plain-http] [--ca-file PEM] <component> '<function>(<wave args>)'\n       \
host exports [--cache DIR] [--digest SHA256] [--plain-http] [--ca-file PEM] <component>\n\n\
<component> is a file, or a component in an OCI registry: oci://registry/repository@sha256:<manifest digest>, or\n\
oci://registry/repository:<tag> with --digest (the component's sha256, as target/dist/manifest.json gives it).\n\
It is verified before it is loaded and kept in the cache (default: ~/.cache/gowasm/host).\n\n\
call      instantiate the component and call one export; results are printed as WAVE, one per line\n\
          --repeat N       make the call N times on the same instance (results of the last one are printed)\n\
          --cache DIR      load through the precompiled cache in DIR (compiled once, then deserialized)\n\
          --stats          print `stats: calls=… first_result_ms=… total_ms=… peak_rss_kib=… anon_kib=…` on stderr at the\n\
                           end: the peak resident set, and the anonymous (private) part of it at the end, in KiB\n\
          --digest SHA256  the sha256 an oci:// component must have (required with a tag)\n\
          --plain-http     talk plain HTTP to the registry (loopback registries only)\n\
          --ca-file PEM    trust the certificates in PEM besides the system's roots (a registry behind a private CA)\n\
exports   list the functions the component exports\n\n\
Registry credentials: GOWASM_REGISTRY_USERNAME and GOWASM_REGISTRY_PASSWORD, else the Docker config file.";

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
    fetch: host::oci::FetchOptions,
}

fn run(args: Vec<String>, started: Instant) -> Result<()> {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["call", rest @ ..] => {
            let (options, positional) = parse_options(rest)?;
            let [path, call] = positional.as_slice() else { bail!("{USAGE}") };
            call_command(path, call, &options, started)
        }
        ["exports", rest @ ..] => {
            let (options, positional) = parse_options(rest)?;
            let [path] = positional.as_slice() else { bail!("{USAGE}") };
            let host = Host::new(&HostConfig::default())?;
            let component = load(&host, path, &options)?;
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

/// The options (anywhere among the arguments) and the positional arguments of `call` and `exports`.
fn parse_options<'a>(args: &[&'a str]) -> Result<(CallOptions, Vec<&'a str>)> {
    let mut options = CallOptions { repeat: 1, ..CallOptions::default() };
    let mut positional = Vec::new();
    let mut rest = args.iter();
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
            "--digest" => {
                options.fetch.component_sha256 = Some(rest.next().context("--digest needs a sha256")?.to_string())
            }
            "--plain-http" => options.fetch.plain_http = true,
            "--ca-file" => options.fetch.ca_file = Some(rest.next().context("--ca-file needs a PEM file")?.into()),
            flag if flag.starts_with("--") => bail!("unknown option {flag}\n\n{USAGE}"),
            other => positional.push(other),
        }
    }
    Ok((options, positional))
}

fn call_command(path: &str, call: &str, options: &CallOptions, started: Instant) -> Result<()> {
    let host = Host::new(&HostConfig::default())?;
    let component = load(&host, path, options)?;
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
            "stats: calls={} first_result_ms={:.3} total_ms={:.3} peak_rss_kib={} anon_kib={}",
            options.repeat,
            first_result.as_secs_f64() * 1e3,
            started.elapsed().as_secs_f64() * 1e3,
            status_kib("VmHWM").map_or("unknown".to_string(), |k| k.to_string()),
            status_kib("RssAnon").map_or("unknown".to_string(), |k| k.to_string())
        );
    }
    // The process ends here: the kernel takes back the instance's mappings and the epoch ticker thread at exit,
    // so tearing them down first (unmapping the store's reservations, waking and joining the ticker) would only
    // delay the exit the caller waits for.
    std::mem::forget((prepared, instance, store, component, host));
    Ok(())
}

/// Loads `path`: a file (through the cache if one was given), or an `oci://` reference, fetched and verified into
/// the cache (the given one, or the user's).
fn load(host: &Host, path: &str, options: &CallOptions) -> Result<host::wasmtime::component::Component> {
    if path.starts_with(host::oci::SCHEME) {
        let cache = match &options.cache {
            Some(dir) => dir.clone(),
            None => user_cache().context("no --cache DIR and no HOME or XDG_CACHE_HOME to keep the component in")?,
        };
        return Ok(host.load_oci(path, &options.fetch, &cache)?.0);
    }
    if options.fetch.component_sha256.is_some() || options.fetch.plain_http || options.fetch.ca_file.is_some() {
        bail!("--digest, --plain-http and --ca-file are for oci:// references, not a file ({path})");
    }
    match &options.cache {
        Some(dir) => Ok(host.load_cached(path, dir)?.0),
        None => host.load(path),
    }
}

/// `${XDG_CACHE_HOME:-~/.cache}/gowasm/host`.
fn user_cache() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("gowasm/host"))
}

/// A figure of /proc/self/status in KiB (Linux): `VmHWM`, the peak resident set size as the kernel recorded it;
/// `RssAnon`, the resident anonymous memory (the process's own: heap, the instance's written pages, relocated
/// data), where the rest of the resident set is file pages the page cache shares (the binary's and the
/// precompiled component's code).
fn status_kib(field: &str) -> Option<u64> {
    std::fs::read_to_string("/proc/self/status")
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}
