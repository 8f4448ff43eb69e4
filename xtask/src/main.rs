//! `cargo xtask`: the pipeline's orchestrator. This file only parses flags, moves to the workspace root and
//! dispatches; every task lives in the module named after its subcommand.

mod adapter;
mod bench;
mod bindgen;
mod build;
mod check;
mod ci;
mod componentize;
mod dist;
mod doctor;
mod flags;
mod harden;
mod lock;
mod new;
mod pipeline;
mod postprocess;
mod project;
mod setup;
mod status;
mod test;
mod tinygo;
mod toolchain;
mod tools;
mod util;
mod wizer;

use std::process::ExitCode;

use clap::Parser;
use xshell::Shell;

fn main() -> ExitCode {
    let flags = flags::Xtask::parse();
    match run(flags) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            status::error(&err);
            ExitCode::FAILURE
        }
    }
}

fn run(flags: flags::Xtask) -> anyhow::Result<()> {
    let sh = Shell::new()?;
    sh.change_dir(project::root());
    match flags.command {
        flags::Command::Doctor(cmd) => cmd.run(&sh),
        flags::Command::Bindgen(cmd) => cmd.run(&sh),
        flags::Command::Build(cmd) => cmd.run(&sh),
        flags::Command::Componentize(cmd) => cmd.run(&sh),
        flags::Command::Check(cmd) => cmd.run(&sh),
        flags::Command::Dist(cmd) => cmd.run(&sh),
        flags::Command::Ci(cmd) => cmd.run(&sh),
        flags::Command::Setup(cmd) => cmd.run(&sh),
        flags::Command::New(cmd) => cmd.run(&sh),
        flags::Command::Test(cmd) => cmd.run(&sh),
        flags::Command::Bench(cmd) => cmd.run(&sh),
    }
}
