//! `dist`: build → post-process → componentize → check every selected (component, variant), then ship
//! `target/dist/<component>/<variant>.wasm`, its SBOM ([`sbom`]) and `target/dist/manifest.json` ([`manifest`],
//! the contract other tools read). Everything is assembled in a staging directory and swapped into place at the end ([`staging`]), so
//! target/dist is always either the previous complete result or the new complete one, never a mix or a
//! half-written file; [`merge`] joins CI's shards, [`reproducible`] builds everything again and compares.

pub mod manifest;
pub mod merge;
pub mod reproducible;
pub mod sbom;
pub mod sizes;
pub mod staging;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use anyhow::Result;
use xshell::Shell;

pub use manifest::{Artifact, ComposedPart, FailedArtifact, GuardedWindow, Manifest, ShardRecord, Source};

use crate::model::{self, Job, Selection, Workspace, paths};
use crate::run::scheduler::{self, Product, Until};
use crate::{env, run, status};

/// What one dist shipped.
pub struct Shipped {
    /// The jobs it ran (what a reproducibility check runs again).
    pub jobs: Vec<Job>,
    pub products: Vec<Product>,
    pub manifest: Manifest,
}

/// Builds, checks and ships `selection` into target/dist (`shard`: which shard of it, recorded in the manifest).
/// A run with failures ships nothing there: the error lists every failure, and what passed is kept in
/// target/dist-partial/.
pub fn ship(sh: &Shell, root: &Path, selection: &Selection) -> Result<Shipped> {
    let model::Plan { jobs, left_out } = run::plan(root, selection)?;
    env::setup::ensure(sh, root)?;
    staging::remove_orphaned_staging(root)?;
    let ws = Workspace::new(root);
    let outcome = scheduler::run_all(sh, &ws, jobs.clone(), &scheduler::Options::until(Until::Check))?;
    if !outcome.failures.is_empty() {
        return Err(staging::failed_run(root, &outcome));
    }
    let products = outcome.products;
    let mut manifest = manifest::of(&products)?;
    manifest::with_modules(sh, root, &mut manifest, &products)?;
    manifest.left_out = left_out;
    manifest.source = Source::of(sh, root);
    manifest.shard = selection.shard.map(|s| ShardRecord {
        index: s.index,
        count: s.count,
        components: selection.components.clone(),
        variants: selection.variants.clone(),
    });
    let dist = paths::dist_dir(root);
    let verified: Vec<PathBuf> =
        products.iter().map(|p| p.component_path.clone().expect("checked products have a component")).collect();
    if staging::already_published(&dist, &manifest, &verified)? {
        status::step("Unchanged", "target/dist already holds exactly these artifacts (each one verified)");
    } else {
        let staged = staging::stage(&dist, &products, &manifest)?;
        staging::replace(&staged, &dist)?;
    }
    staging::supersede_partial(root)?;
    // Linking the artifacts into target/dist (and unlinking the old ones) advanced their change time; this run
    // verified them, so their records say so, and the next no-op run need not read them back.
    for product in &products {
        let path = product.component_path.as_deref().expect("checked products have a component");
        let digest = product.component_sha256.as_deref().expect("checked products have a component digest");
        run::records::relinked(path, digest)?;
    }
    Ok(Shipped { jobs, products, manifest })
}

/// Joins the target/dist directories of shards (`dirs`) into target/dist; returns how many artifacts it holds.
pub fn merge_shards(root: &Path, dirs: &[PathBuf]) -> Result<usize> {
    staging::remove_orphaned_staging(root)?;
    let count = merge::merge(root, dirs, &paths::dist_dir(root))?;
    staging::supersede_partial(root)?;
    Ok(count)
}
