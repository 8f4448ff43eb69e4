//! `host`: the thin binary over the host library. `host call <component.wasm> '<wave call>'` instantiates the
//! component, makes one call written in WAVE and prints the results as WAVE on stdout.

use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use host::{Host, HostConfig, dynamic};

const USAGE: &str = "usage: host call <component.wasm> '<function>(<wave args>)'\n       host exports <component.wasm>\n\n\
call      instantiate the component and call one export; results are printed as WAVE, one per line\n\
exports   list the functions the component exports";

fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()) {
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

fn run(args: Vec<String>) -> Result<()> {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["call", path, call] => {
            let host = Host::new(&HostConfig::default())?;
            let component = host.load(path)?;
            let mut store = host.store();
            let instance = host.instantiate(&mut store, &component).with_context(|| format!("in {path}"))?;
            for result in dynamic::call(&host, &component, &mut store, &instance, call)? {
                println!("{result}");
            }
            Ok(())
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
