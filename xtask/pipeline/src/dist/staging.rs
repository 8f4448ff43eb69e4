//! Shipping into a dist directory without ever showing a half-written one: everything is assembled in a staging
//! directory beside it and swapped in whole; what an interrupted run left is removed by the next; a run that
//! failed keeps what passed in target/dist-partial/.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::manifest::{FailedArtifact, Manifest};
use super::sbom;
use crate::model::paths;
use crate::run::scheduler::{self, Product};
use crate::{status, util};

/// Whether `dist` already holds exactly `manifest`: the same manifest text and every artifact with its recorded
/// size and sha256 (read back, so a damaged file there is replaced, not trusted), and nothing else. An artifact
/// that is the very file (a hard link: same device and inode) of the product this run verified, `verified[i]`, is
/// known without reading it again.
pub fn already_published(dist: &Path, manifest: &Manifest, verified: &[PathBuf]) -> Result<bool> {
    let json = manifest.to_json()?;
    if std::fs::read(dist.join("manifest.json")).ok().as_deref() != Some(json.as_bytes()) {
        return Ok(false);
    }
    let mut expected: Vec<PathBuf> = manifest.artifacts.iter().map(|a| dist.join(&a.path)).collect();
    expected.extend(manifest.artifacts.iter().map(|a| dist.join(sbom::path_of(a))));
    expected.push(dist.join("manifest.json"));
    let mut present = util::files_under(dist)?;
    present.sort();
    expected.sort();
    if present != expected {
        return Ok(false);
    }
    for (i, artifact) in manifest.artifacts.iter().enumerate() {
        let sbom = std::fs::read(dist.join(sbom::path_of(artifact))).unwrap_or_default();
        if sbom != sbom::spdx(artifact, manifest.source.as_ref()).as_bytes() {
            return Ok(false);
        }
        let path = dist.join(&artifact.path);
        if verified.get(i).is_some_and(|v| same_file(v, &path)) {
            continue;
        }
        let bytes = util::read(&path)?;
        if bytes.len() as u64 != artifact.bytes || util::sha256_hex(&bytes) != artifact.sha256 {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Whether `a` and `b` are one file (hard links of one inode).
fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// Removes the staging and moved-aside directories (`target/.dist-staging-<pid>`, `target/dist.old-<pid>`) of a
/// dist that was killed before it could clean up. Called under the checkout's lock, so none of them is live.
pub fn remove_orphaned_staging(root: &Path) -> Result<()> {
    let target = root.join("target");
    let Ok(entries) = std::fs::read_dir(&target) else { return Ok(()) };
    for entry in entries {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let leftover = [".dist-staging-", "dist.old-", "dist-partial.old-"].iter().any(|p| name.starts_with(p));
        if path.is_dir() && leftover {
            status::step("Cleaned", format!("{} (left by an interrupted dist)", path.display()));
            std::fs::remove_dir_all(&path).with_context(|| format!("failed to remove {}", path.display()))?;
        }
    }
    Ok(())
}

/// Writes the products and their manifest into a fresh staging directory beside `out`; returns its path.
/// Nothing is left behind if writing fails.
pub fn stage(out: &Path, products: &[Product], manifest: &Manifest) -> Result<PathBuf> {
    stage_with(out, manifest, |i, dest| {
        let src = products[i].component_path.as_deref().expect("checked products have a component");
        // A hard link to the file this run just verified against its record, not a copy: every write under
        // target/wasm replaces a file by renaming a new one into place, so the link keeps these bytes, and the
        // next no-op dist knows them verified without hashing them again (`already_published`). A copy where
        // linking fails (another file system).
        if std::fs::hard_link(src, dest).is_ok() {
            return Ok(());
        }
        util::write_atomic(dest, &util::read(src)?)
    })
}

/// Writes `bytes(i)` as the manifest's `artifacts[i]`, and the manifest, into a fresh staging directory beside
/// `out` (`.dist-staging-<pid>`, renamed onto `out` by [`replace`]); nothing is left behind if writing fails.
pub fn stage_with(
    out: &Path,
    manifest: &Manifest,
    mut place: impl FnMut(usize, &Path) -> Result<()>,
) -> Result<PathBuf> {
    let staging = out.with_file_name(format!(".dist-staging-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    let staged = (|| -> Result<()> {
        for (i, artifact) in manifest.artifacts.iter().enumerate() {
            let dest = staging.join(&artifact.path);
            let dir = dest.parent().expect("an artifact's path has a directory");
            std::fs::create_dir_all(dir).with_context(|| format!("failed to create {}", dir.display()))?;
            place(i, &dest)?;
            let sbom = sbom::spdx(artifact, manifest.source.as_ref());
            util::write_atomic(&staging.join(sbom::path_of(artifact)), sbom.as_bytes())?;
        }
        util::write_atomic(&staging.join("manifest.json"), manifest.to_json()?.as_bytes())
    })();
    if let Err(err) = staged {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(err.context(format!("failed to assemble the new {}; it was left as it was", out.display())));
    }
    Ok(staging)
}

/// Removes what an earlier failed run kept in target/dist-partial: a complete target/dist supersedes it.
pub fn supersede_partial(root: &Path) -> Result<()> {
    let partial = paths::dist_partial_dir(root);
    if partial.exists() {
        std::fs::remove_dir_all(&partial).with_context(|| format!("failed to remove {}", partial.display()))?;
    }
    Ok(())
}

/// A run with failures ships nothing into target/dist. What passed goes to target/dist-partial/ (its manifest
/// lists the failures), and the error says what failed, why, where the rest is and how to re-run.
pub fn failed_run(root: &Path, outcome: &scheduler::Outcome) -> anyhow::Error {
    let partial = paths::dist_partial_dir(root);
    let kept = (|| -> Result<usize> {
        let mut manifest = super::manifest::of(&outcome.products)?;
        manifest.failures = outcome
            .failures
            .iter()
            .map(|f| FailedArtifact {
                what: f.what.to_string(),
                error: f.error.chain().map(|c| c.to_string()).collect(),
            })
            .collect();
        let staging = stage(&partial, &outcome.products, &manifest)?;
        replace(&staging, &partial)?;
        Ok(manifest.artifacts.len())
    })();
    let kept = match kept {
        Ok(n) => format!("the {n} that passed are in {} (its manifest.json lists the failures)", partial.display()),
        Err(err) => format!("the ones that passed could not be kept: {err:#}"),
    };
    let retry: Vec<String> = outcome.failures.iter().map(|f| f.what.to_string()).collect();
    anyhow::anyhow!(
        "{}\ntarget/dist was left as it was; {kept}.\nTo re-run, fix the cause and run `cargo xtask dist` again: every step that passed is fresh and \
         skipped, so only the failed ones run ({}). `cargo xtask check --component <name> --variant <variant>` \
         retries one of them alone.",
        outcome.report(),
        retry.join(", ")
    )
}

/// Replaces `dist` with `staging`: the old directory is moved aside first and removed only after the rename (and
/// moved back if the rename fails).
pub fn replace(staging: &Path, dist: &Path) -> Result<()> {
    let old = dist.with_extension(format!("old-{}", std::process::id()));
    if dist.exists() {
        std::fs::rename(dist, &old).with_context(|| format!("failed to move {} aside", dist.display()))?;
    }
    if let Err(err) = std::fs::rename(staging, dist) {
        if old.exists() {
            let _ = std::fs::rename(&old, dist);
        }
        let _ = std::fs::remove_dir_all(staging);
        return Err(err).with_context(|| format!("failed to move {} to {}", staging.display(), dist.display()));
    }
    if old.exists() {
        std::fs::remove_dir_all(&old).with_context(|| format!("failed to remove {}", old.display()))?;
    }
    Ok(())
}
