//! The peak resident set of a whole process, for the process figures (ours against the wasmtime CLI).
//!
//! The kernel keeps each process's peak RSS (`ru_maxrss`, which `wait4` returns), but it also folds into it the
//! memory the process had before `exec`: a child spawned by `bench` itself — hundreds of MiB resident, and std
//! spawns with `vfork`, sharing them — would report `bench`'s own size. So the process is started by a small
//! launcher, this binary run afresh with `LAUNCHER_ARG` (a few MiB before its spawn): it starts the program, reaps
//! it with `wait4` and prints the figure, with its own peak beside it so that a figure the launcher could have
//! set is refused rather than reported.

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, ExitCode, ExitStatus};

use anyhow::{Context, Result, bail};

/// The first argument that makes `xtask` the launcher (`launcher`), not the command line.
pub(crate) const LAUNCHER_ARG: &str = "__peak-rss";

/// The launcher's last line on stderr: `peak-rss: child_kib=N launcher_kib=M`.
const REPORT: &str = "peak-rss:";

/// The launcher, when `xtask` was started as `xtask __peak-rss <program> <args…>`: runs the program with this
/// process's stdin, stdout and stderr, reports its peak RSS on stderr and exits with its status. `None` for
/// any other command line.
pub fn launcher() -> Option<ExitCode> {
    let mut args = std::env::args_os().skip(1);
    if args.next()? != LAUNCHER_ARG {
        return None;
    }
    let Some(program) = args.next() else {
        eprintln!("usage: xtask {LAUNCHER_ARG} <program> <args…>");
        return Some(ExitCode::FAILURE);
    };
    let own_kib = vm_hwm_kib().unwrap_or(0);
    let child = match Command::new(&program).args(args).spawn() {
        Ok(child) => child,
        Err(e) => {
            eprintln!("{REPORT} failed to start {}: {e}", program.to_string_lossy());
            return Some(ExitCode::FAILURE);
        }
    };
    match wait_with_peak_rss(child) {
        Ok((status, child_kib)) => {
            eprintln!("{REPORT} child_kib={child_kib} launcher_kib={own_kib}");
            Some(match status.code() {
                Some(0) => ExitCode::SUCCESS,
                Some(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
                None => ExitCode::FAILURE,
            })
        }
        Err(e) => {
            eprintln!("{REPORT} waiting for {}: {e}", program.to_string_lossy());
            Some(ExitCode::FAILURE)
        }
    }
}

/// Runs `program args…` through the launcher: what it printed on stdout and its peak RSS in KiB. Fails if the
/// program fails, or if its figure is not above the launcher's own peak (it could then be the launcher's).
pub(crate) fn run(program: &Path, args: &[&OsStr]) -> Result<(String, u64)> {
    let me = std::env::current_exe().context("the path of this xtask binary (the RSS launcher)")?;
    let output = Command::new(&me)
        .arg(LAUNCHER_ARG)
        .arg(program)
        .args(args)
        .output()
        .with_context(|| format!("failed to run {}", me.display()))?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    let what =
        || format!("{} {}", program.display(), args.iter().map(|a| a.to_string_lossy()).collect::<Vec<_>>().join(" "));
    if !output.status.success() {
        bail!("`{}` failed ({}): {}", what(), output.status, stderr.trim());
    }
    let report = stderr
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix(REPORT))
        .with_context(|| format!("no `{REPORT}` line from the launcher of `{}`: {}", what(), stderr.trim()))?;
    let field = |name: &str| super::stats::field::<u64>(report, name);
    let (child_kib, launcher_kib) = (field("child_kib")?, field("launcher_kib")?);
    if child_kib <= launcher_kib {
        bail!(
            "`{}`: its peak RSS ({child_kib} KiB) is not above the launcher's own ({launcher_kib} KiB), so it may be \
             the launcher's: no figure",
            what()
        );
    }
    Ok((String::from_utf8_lossy(&output.stdout).into_owned(), child_kib))
}

/// This process's peak resident set in KiB (`VmHWM` in /proc/self/status).
fn vm_hwm_kib() -> Option<u64> {
    std::fs::read_to_string("/proc/self/status")
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Reaps `child` with `wait4`: its exit status and its peak resident set size in KiB (`ru_maxrss`), which the
/// kernel keeps for each child until it is reaped — `Child::wait` gives the status alone.
fn wait_with_peak_rss(child: std::process::Child) -> std::io::Result<(ExitStatus, u64)> {
    use std::os::unix::process::ExitStatusExt;
    let pid = libc::pid_t::try_from(child.id()).map_err(std::io::Error::other)?;
    let mut status: libc::c_int = 0;
    // SAFETY: `rusage` is plain integers, for which all zeros is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `pid` is a child of this process not yet reaped (`child` is consumed here and std never waited
        // for it); both pointers are to locals that outlive the call.
        if unsafe { libc::wait4(pid, &mut status, 0, &mut usage) } == pid {
            break;
        }
        let error = std::io::Error::last_os_error();
        if error.kind() != std::io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
    Ok((ExitStatus::from_raw(status), u64::try_from(usage.ru_maxrss).unwrap_or(0)))
}
