//! The facts of the machine and checkout a run is taken on: CPU, cores, memory, OS, load, commit.

use xshell::{Shell, cmd};

use crate::figures::Machine;

pub(crate) fn machine() -> Machine {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name").and_then(|r| r.split_once(':')).map(|(_, m)| m.trim().to_string()))
        .unwrap_or_else(|| "unknown".into());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let memory_kib: f64 = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|r| r.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0);
    let os = std::fs::read_to_string("/etc/os-release")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("PRETTY_NAME=").map(|v| v.trim_matches('"').to_string()))
        .unwrap_or_else(|| std::env::consts::OS.to_string());
    Machine {
        cpu,
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        memory_gib: (memory_kib / (1 << 20) as f64 * 10.0).round() / 10.0,
        os,
        load_average: [load_average(); 2],
    }
}

/// The 1-minute load average (Linux), or -1 where it cannot be read.
pub(crate) fn load_average() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next()?.parse().ok())
        .unwrap_or(-1.0)
}

pub(crate) fn git_commit(sh: &Shell) -> String {
    let commit = cmd!(sh, "git rev-parse --short=12 HEAD").quiet().ignore_stderr().read().unwrap_or_default();
    let dirty = !cmd!(sh, "git status --porcelain --untracked-files=no").quiet().read().unwrap_or_default().is_empty();
    match (commit.is_empty(), dirty) {
        (true, _) => "unknown".into(),
        (false, true) => format!("{commit} (with uncommitted changes)"),
        (false, false) => commit,
    }
}
