//! How a composed job waits for its parts: each finished job publishes what each of its levels made (or why it
//! failed), and a composition of the same build takes its parts from there.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Condvar, Mutex};

use anyhow::{Result, anyhow, bail, ensure};

use super::{Failed, Failure, Product};
use crate::model::{Job, Post, Variant};

/// A file a step made (or verified fresh), and the SHA-256 its record holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Output {
    pub(super) path: PathBuf,
    pub(super) sha256: String,
}

/// What one level of a job made, or why it failed.
pub(super) type LevelMade = std::result::Result<Output, String>;

/// A job of a run, by what it builds: a component and one of its builds.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct JobId {
    pub(super) component: String,
    pub(super) build: &'static str,
}

impl JobId {
    pub(super) fn of(job: &Job) -> Self {
        JobId { component: job.component.name.clone(), build: job.build.name }
    }
}

/// What each level of one finished job made.
pub(super) type Levels = BTreeMap<Post, LevelMade>;

/// The component each finished job made per level, for the compositions that use it as a part: a composed job
/// waits here for its parts' jobs of the same build. They are always ahead of it in the queue (discovery puts a
/// part before what it is composed into, and dependency jobs first), so each is finished or running on another
/// worker when a composed job asks, and the wait always ends.
#[derive(Default)]
pub(super) struct Made {
    /// What each finished job made at each level (its component, or its composition), or why it failed.
    jobs: Mutex<BTreeMap<JobId, Levels>>,
    finished: Condvar,
    /// The jobs of this run.
    planned: Vec<JobId>,
}

impl Made {
    /// Nothing made yet, by a run of the jobs `planned`.
    pub(super) fn new(planned: Vec<JobId>) -> Self {
        Made { planned, ..Made::default() }
    }

    pub(super) fn publish(&self, job: &Job, products: &[Product], failures: &[Failure]) {
        let mut levels = BTreeMap::new();
        for &post in &job.posts {
            // What the part ships (its own composition, if it has parts), once it passed as far as the run goes.
            let made = products
                .iter()
                .find(|p| p.variant.post == post)
                .and_then(|p| Some(Output { path: p.component_path.clone()?, sha256: p.component_sha256.clone()? }));
            // A failure names the variant, or the build when its compile (or a panic) took every level down.
            let failed = || {
                let took_it = |f: &&Failure| match &f.what {
                    Failed::Build { component, build } => *component == job.component.name && *build == job.build.name,
                    Failed::Variant { component, variant } => {
                        *component == job.component.name && variant.build == job.build && variant.post == post
                    }
                    Failed::Worker => false,
                };
                let failure = failures.iter().find(took_it);
                failure.map_or_else(|| "it was not componentized".to_string(), |f| format!("{:#}", f.error))
            };
            levels.insert(post, made.ok_or_else(failed));
        }
        self.jobs.lock().unwrap().insert(JobId::of(job), levels);
        self.finished.notify_all();
    }

    /// The component `part` made for `variant`, once its job has finished.
    pub(super) fn wait(&self, part: &str, variant: &Variant) -> Result<Output> {
        let key = JobId { component: part.to_string(), build: variant.build.name };
        ensure!(self.planned.contains(&key), "no job of this run makes `{part}` {} (a bug)", variant.build.name);
        let mut jobs = self.jobs.lock().unwrap();
        loop {
            if let Some(levels) = jobs.get(&key) {
                return match levels.get(&variant.post) {
                    Some(Ok(made)) => Ok(made.clone()),
                    Some(Err(why)) => Err(anyhow!("its part `{part}` failed for {}: {why}", variant.name())),
                    None => bail!("the job of `{part}` {} does not make {}", variant.build.name, variant.name()),
                };
            }
            jobs = self.finished.wait(jobs).unwrap();
        }
    }
}
