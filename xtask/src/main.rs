//! `cargo xtask`: the pipeline's command line. This file only parses flags, moves to the workspace root and
//! dispatches; every task lives in the module named after its subcommand, which translates its flags into a call
//! of the `pipeline` or `bench` crate and prints.

mod bench;
mod bindgen;
mod build;
mod check;
mod ci;
mod componentize;
mod dist;
mod doctor;
mod flags;
mod new;
mod publish;
mod setup;
mod suite;
mod test;

use std::process::ExitCode;

use std::path::{Path, PathBuf};

use clap::Parser;
use pipeline::status;
use xshell::Shell;

fn main() -> ExitCode {
    // `bench` measures a whole process's peak RSS by starting it from this binary, run afresh as a small launcher
    // (bench/peak_rss.rs); that command line is not the user's, so it is not among the flags.
    if let Some(code) = ::bench::peak_rss::launcher() {
        return code;
    }
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
    let root = project_root();
    sh.change_dir(&root);
    let root = root.as_path();
    match flags.command {
        flags::Command::Doctor(cmd) => cmd.run(&sh, root),
        flags::Command::Bindgen(cmd) => cmd.run(&sh, root),
        flags::Command::Build(cmd) => cmd.run(&sh, root),
        flags::Command::Componentize(cmd) => cmd.run(&sh, root),
        flags::Command::Check(cmd) => cmd.run(&sh, root),
        flags::Command::Dist(cmd) => cmd.run(&sh, root),
        flags::Command::Ci(cmd) => cmd.run(&sh, root),
        flags::Command::Setup(cmd) => cmd.run(&sh, root),
        flags::Command::New(cmd) => cmd.run(&sh, root),
        flags::Command::Suite(cmd) => cmd.run(&sh, root),
        flags::Command::Test(cmd) => cmd.run(&sh, root),
        flags::Command::Bench(cmd) => cmd.run(&sh, root),
        flags::Command::Publish(cmd) => cmd.run(&sh, root),
    }
}

/// The workspace root (the parent of xtask/): every task runs there, whatever the caller's directory.
pub(crate) fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}
