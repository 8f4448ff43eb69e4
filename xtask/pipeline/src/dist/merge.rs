//! Joining the dists of CI's shards (`dist --merge`): every artifact verified against its shard's manifest, the
//! shards checked to be one selection, each once and complete, and conflicts refused.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::manifest::{Artifact, Manifest, ShardRecord, Source};
use super::staging::{replace, stage_with};
use crate::model::{self, paths};
use crate::util;

/// Joins the dists of shards (`dirs`, each a `dist --shard I/N` target/dist) into `out`. Every shard must be
/// there, once, of one selection; every artifact is read back and must have the size and sha256 its shard's
/// manifest says, the path a dist gives it and its component's world; the same variant from two shards must be the
/// same entry; a shard that recorded failures (a dist-partial) is refused; and together they must hold every
/// artifact of the selection. The merged manifest lists the artifacts in matrix order, as one full dist of that
/// selection would, so it equals that dist byte for byte. Returns how many artifacts it wrote.
pub fn merge(root: &Path, dirs: &[PathBuf], out: &Path) -> Result<usize> {
    let discovered = model::discover(root)?;
    let components: Vec<String> = discovered.iter().map(|c| c.name.clone()).collect();
    let variants: Vec<String> = model::variants().iter().map(model::Variant::name).collect();
    let mut merged: BTreeMap<(usize, usize), (Artifact, PathBuf, Vec<u8>)> = BTreeMap::new();
    let mut shards: Vec<(ShardRecord, PathBuf)> = Vec::new();
    let mut source: Option<Option<Source>> = None;
    let mut left_out: Vec<Vec<model::LeftOut>> = Vec::new();
    for dir in dirs {
        let path = dir.join("manifest.json");
        let text = std::fs::read_to_string(&path).with_context(|| format!("failed to read {}", path.display()))?;
        let manifest: Manifest =
            serde_json::from_str(&text).with_context(|| format!("{} is not a dist manifest", path.display()))?;
        anyhow::ensure!(
            manifest.failures.is_empty(),
            "{} records {} failures: it is a partial dist, not a shard that passed",
            path.display(),
            manifest.failures.len()
        );
        let shard = manifest.shard.clone().with_context(|| {
            format!("{} is not a shard's manifest (made by `cargo xtask dist --shard I/N`)", path.display())
        })?;
        shards.push((shard, dir.clone()));
        left_out.push(manifest.left_out);
        match &source {
            None => source = Some(manifest.source.clone()),
            Some(earlier) => anyhow::ensure!(
                *earlier == manifest.source,
                "{} was built from {:?}, the first shard from {:?}: shards of one dist come from one checkout",
                path.display(),
                manifest.source,
                earlier
            ),
        }
        for artifact in manifest.artifacts {
            let file = dir.join(&artifact.path);
            let bytes = util::read(&file)?;
            anyhow::ensure!(
                bytes.len() as u64 == artifact.bytes && util::sha256_hex(&bytes) == artifact.sha256,
                "{} does not match {} (want {} bytes, sha256 {})",
                file.display(),
                path.display(),
                artifact.bytes,
                artifact.sha256
            );
            let position = |list: &[String], name: &str, what: &str| {
                list.iter()
                    .position(|n| n == name)
                    .with_context(|| format!("{}: unknown {what} `{name}`", path.display()))
            };
            let key = (
                position(&components, &artifact.component, "component")?,
                position(&variants, &artifact.variant, "variant")?,
            );
            let expected = paths::dist_relative_named(&artifact.component, &artifact.variant);
            anyhow::ensure!(
                artifact.path == expected && artifact.world == discovered[key.0].world,
                "{}: the entry for {} {} says path `{}` and world `{}`, a dist writes `{expected}` and `{}`",
                path.display(),
                artifact.component,
                artifact.variant,
                artifact.path,
                artifact.world,
                discovered[key.0].world
            );
            let entry_text = serde_json::to_string(&artifact)?;
            if let Some((earlier, earlier_dir, _)) = merged.get(&key) {
                anyhow::ensure!(
                    serde_json::to_string(earlier)? == entry_text,
                    "{} {} differs between {} and {} (sha256 {} vs {}): refusing to choose",
                    artifact.component,
                    artifact.variant,
                    earlier_dir.display(),
                    dir.display(),
                    earlier.sha256,
                    artifact.sha256
                );
                continue;
            }
            merged.insert(key, (artifact, dir.clone(), bytes));
        }
    }
    let plan = complete(root, &shards, &merged, &components, &variants)?;
    for (said, (_, dir)) in left_out.iter().zip(&shards) {
        anyhow::ensure!(
            *said == plan.left_out,
            "{} records other builds left out than this checkout's components do: shards of one dist come from one \
             checkout",
            dir.display()
        );
    }
    let count = merged.len();
    let (artifacts, mut contents): (Vec<Artifact>, Vec<Vec<u8>>) = merged.into_values().map(|(a, _, b)| (a, b)).unzip();
    let manifest =
        Manifest { artifacts, shard: None, left_out: plan.left_out, failures: Vec::new(), source: source.flatten() };
    // The bytes that were verified are the ones written.
    let staging = stage_with(out, &manifest, |i, dest| util::write_atomic(dest, &std::mem::take(&mut contents[i])))?;
    replace(&staging, out)?;
    Ok(count)
}

/// Whether the shards are shards 1..=N of one selection, each once, and together hold all of its artifacts; the
/// plan of that selection.
fn complete(
    root: &Path,
    shards: &[(ShardRecord, PathBuf)],
    merged: &BTreeMap<(usize, usize), (Artifact, PathBuf, Vec<u8>)>,
    components: &[String],
    variants: &[String],
) -> Result<model::Plan> {
    let (first, first_dir) = &shards[0];
    for (shard, dir) in shards {
        anyhow::ensure!(
            shard.count == first.count && shard.components == first.components && shard.variants == first.variants,
            "{} is shard {}/{} of --component {:?} --variant {:?}, but {} is shard {}/{} of {:?} {:?}: not one selection",
            dir.display(),
            shard.index,
            shard.count,
            shard.components,
            shard.variants,
            first_dir.display(),
            first.index,
            first.count,
            first.components,
            first.variants
        );
    }
    let mut indices: Vec<usize> = shards.iter().map(|(s, _)| s.index).collect();
    indices.sort();
    anyhow::ensure!(
        indices == (1..=first.count).collect::<Vec<_>>(),
        "the shards given are {indices:?} of {}: every shard 1..={} is needed, each once",
        first.count,
        first.count
    );
    let selection =
        model::Selection { components: first.components.clone(), variants: first.variants.clone(), shard: None };
    let mut missing = Vec::new();
    let plan = model::plan(root, &selection)?;
    for job in &plan.jobs {
        for post in &job.posts {
            let variant = model::Variant { build: job.build.clone(), post: *post }.name();
            let key = (
                components.iter().position(|c| *c == job.component.name).expect("a discovered component"),
                variants.iter().position(|v| *v == variant).expect("a variant of the matrix"),
            );
            if !merged.contains_key(&key) {
                missing.push(format!("{} {variant}", job.component.name));
            }
        }
    }
    anyhow::ensure!(
        missing.is_empty(),
        "the shards lack {} artifacts of their selection: {}",
        missing.len(),
        missing.join(", ")
    );
    Ok(plan)
}
