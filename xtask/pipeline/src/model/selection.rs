//! What a run works on: the selection (`--component`, `--variant`, `--shard`), and the jobs it names — a component
//! and one of its builds — with the jobs a composition needs of its parts.

use std::path::Path;

use anyhow::{Result, bail};

use super::{Build, Component, LeftOut, Post, builds, discover, select_components, select_variants};

/// Which components and variants a run works on; empty lists mean all (the experimental builds left out).
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Component names (directories under go/).
    pub components: Vec<String>,
    /// Variant names (`go1.25-greentea-opt`) or build names (`go1.26`: all its post-processing levels).
    pub variants: Vec<String>,
    /// Only this shard of the selected jobs.
    pub shard: Option<Shard>,
}

/// Shard `index` of `count` (1-based): the selected jobs (component × build, in matrix order) dealt round-robin,
/// so every job is in exactly one shard and the slow builds spread over all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    /// `I/N` with 1 ≤ I ≤ N.
    pub fn parse(text: &str) -> std::result::Result<Shard, String> {
        let parsed = text.split_once('/').and_then(|(i, n)| Some((i.trim().parse().ok()?, n.trim().parse().ok()?)));
        match parsed {
            Some((index, count)) if index >= 1 && index <= count => Ok(Shard { index, count }),
            _ => Err(format!("`{text}` is not a shard: write I/N with 1 ≤ I ≤ N, e.g. 2/5")),
        }
    }

    /// The jobs of this shard, in their order.
    pub fn pick(self, jobs: Vec<Job>) -> Vec<Job> {
        jobs.into_iter().enumerate().filter(|(k, _)| k % self.count == self.index - 1).map(|(_, j)| j).collect()
    }
}

/// One unit of work: a component, one of its builds, and the post-processing levels wanted of it.
#[derive(Debug, Clone)]
pub struct Job {
    pub component: Component,
    pub build: Build,
    pub posts: Vec<Post>,
    /// Run only because a selected composition needs its components: made as far as componentizing, never
    /// checked, shipped or reported as a product.
    pub dependency: bool,
}

impl Job {
    pub fn new(component: Component, build: Build, posts: Vec<Post>) -> Self {
        Job { component, build, posts, dependency: false }
    }
}

/// What a selection makes: its jobs, and the (component, build) pairs it would name but the component leaves out.
#[derive(Debug, Clone)]
pub struct Plan {
    pub jobs: Vec<Job>,
    /// Of the whole selection, before sharding: every shard of it records the same list.
    pub left_out: Vec<LeftOut>,
}

/// The jobs a selection names, in matrix order (a component after those it is composed with), preceded by the
/// [`Job::dependency`] jobs of the composed components' parts that the selection (or its shard) leaves out.
pub fn select(root: &Path, selection: &Selection) -> Result<Vec<Job>> {
    Ok(plan(root, selection)?.jobs)
}

/// [`select`]'s jobs and what the components leave out of the selection. A build a component leaves out is no
/// job; a selection that names both the component (`--component`) and the build or one of its variants
/// (`--variant`) is refused with the reason, since it asked for exactly what cannot be made.
pub fn plan(root: &Path, selection: &Selection) -> Result<Plan> {
    let components = select_components(root, &selection.components)?;
    let variants = select_variants(&selection.variants)?;
    let mut jobs = Vec::new();
    let mut left_out = Vec::new();
    for component in &components {
        for build in builds() {
            let posts: Vec<Post> = variants.iter().filter(|v| v.build == build).map(|v| v.post).collect();
            if posts.is_empty() {
                continue;
            }
            let Some(reason) = component.leaves_out(&build) else {
                jobs.push(Job::new(component.clone(), build, posts));
                continue;
            };
            let named = |wanted: &[String], name: &str| wanted.iter().any(|w| w == name);
            let variant_named = named(&selection.variants, build.name)
                || posts.iter().any(|p| named(&selection.variants, &format!("{}-{}", build.name, p.name())));
            if named(&selection.components, &component.name) && variant_named {
                bail!(
                    "`{}` leaves out {}: {reason} (go/{}/component.toml, go.mod)",
                    component.name,
                    build.name,
                    component.name
                );
            }
            let entry = component.left_out.iter().find(|l| l.build == build.name).expect("it leaves it out");
            left_out.push(entry.clone());
        }
    }
    let jobs = match selection.shard {
        Some(shard) => shard.pick(jobs),
        None => jobs,
    };
    Ok(Plan { jobs: with_dependencies(root, jobs)?, left_out })
}

/// `jobs` preceded by a dependency job for every (part, build) a composed job needs that no job makes, in
/// dependency order (a part's own parts first).
fn with_dependencies(root: &Path, jobs: Vec<Job>) -> Result<Vec<Job>> {
    if jobs.iter().all(|j| j.component.parts.is_empty()) {
        return Ok(jobs);
    }
    let all = discover(root)?;
    let mut needed: Vec<Job> = Vec::new();
    let mut wanted: Vec<(String, Build, Vec<Post>)> = Vec::new();
    for job in &jobs {
        wanted.extend(job.component.component_parts().map(|p| (p.to_string(), job.build.clone(), job.posts.clone())));
    }
    // A selection's jobs all carry the same levels of a build (one variant list), so a job of the part's build,
    // selected or added here, makes every level a composition of that build needs.
    while let Some((name, build, posts)) = wanted.pop() {
        let made = |j: &Job| j.component.name == name && j.build == build;
        if jobs.iter().chain(&needed).any(made) {
            continue;
        }
        let component = all.iter().find(|c| c.name == name).expect("parts are components (discover checks)");
        wanted.extend(component.component_parts().map(|p| (p.to_string(), build.clone(), posts.clone())));
        needed.push(Job { dependency: true, ..Job::new(component.clone(), build, posts) });
    }
    // Discovery order puts every part before what it is composed into.
    let rank = |j: &Job| all.iter().position(|c| c.name == j.component.name);
    needed.sort_by_key(|j| (rank(j), builds().iter().position(|b| *b == j.build)));
    needed.extend(jobs);
    Ok(needed)
}
