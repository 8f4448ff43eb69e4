//! The reproducibility check (`dist --verify-reproducible`): a second build of everything from scratch, compared
//! byte for byte with what the first shipped.

use std::path::Path;
use std::time::Instant;

use anyhow::Result;
use xshell::Shell;

use super::manifest::{self, Manifest};
use crate::model::{Job, Workspace};
use crate::run::scheduler::{self, Until};
use crate::status;

/// Builds everything again from scratch — a separate work directory and a fresh GOCACHE, so nothing is reused —
/// and compares every core module and component with the manifest.
pub fn verify(sh: &Shell, root: &Path, jobs: Vec<Job>, manifest: &Manifest) -> Result<()> {
    let start = Instant::now();
    status::step("Verifying", "reproducibility: a second, clean build of every artifact");
    let base = root.join("target/repro");
    let _ = std::fs::remove_dir_all(&base);
    let ws = Workspace { work: base.join("wasm"), gocache: Some(base.join("gocache")), ..Workspace::new(root) };
    let products = scheduler::run(sh, &ws, jobs, &scheduler::Options::until(Until::Componentize))?;
    let second = manifest::of(&products)?;
    let mut differences = Vec::new();
    for (a, b) in manifest.artifacts.iter().zip(&second.artifacts) {
        if a.sha256 != b.sha256 || a.core_sha256 != b.core_sha256 || a.composed_of != b.composed_of {
            differences.push(format!("{} {}", a.component, a.variant));
        }
    }
    // The Go cache is read-only by design; make it removable, then drop the whole second build.
    let _ = xshell::cmd!(sh, "chmod -R u+w {base}").quiet().run();
    let _ = std::fs::remove_dir_all(&base);
    if !differences.is_empty() {
        anyhow::bail!("not reproducible: a second clean build differs for {}", differences.join(", "));
    }
    status::step(
        "Reproducible",
        format!(
            "all {} artifacts identical across two clean builds ({})",
            second.artifacts.len(),
            status::elapsed(start.elapsed())
        ),
    );
    Ok(())
}
