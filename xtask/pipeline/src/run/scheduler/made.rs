//! How a composed job waits for its parts: each finished job publishes what each of its levels made (or why it
//! failed), and a composition of the same build takes its parts from there.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Condvar, Mutex};

use anyhow::{Result, anyhow, bail, ensure};

use super::{Failure, Product};
use crate::model::{Job, Post, Variant};

/// What one level of a job made (a path and its SHA-256), or why it failed.
pub(super) type LevelMade = std::result::Result<(PathBuf, String), String>;

/// What each level of one finished job made.
pub(super) type Levels = BTreeMap<Post, LevelMade>;

/// The component each finished job made per level, for the compositions that use it as a part: a composed job
/// waits here for its parts' jobs of the same build. They are always ahead of it in the queue (discovery puts a
/// part before what it is composed into, and dependency jobs first), so each is finished or running on another
/// worker when a composed job asks, and the wait always ends.
#[derive(Default)]
pub(super) struct Made {
    /// (component, build) → level → (component path, SHA-256), or why it failed.
    jobs: Mutex<BTreeMap<(String, &'static str), Levels>>,
    finished: Condvar,
    /// The (component, build) pairs some job of this run makes.
    planned: Vec<(String, &'static str)>,
}

impl Made {
    /// Nothing made yet, by a run whose jobs make the (component, build) pairs `planned`.
    pub(super) fn new(planned: Vec<(String, &'static str)>) -> Self {
        Made { planned, ..Made::default() }
    }

    pub(super) fn publish(&self, job: &Job, products: &[Product], failures: &[Failure]) {
        let mut levels = BTreeMap::new();
        for &post in &job.posts {
            // What the part ships (its own composition, if it has parts), once it passed as far as the run goes.
            let made = products
                .iter()
                .find(|p| p.variant.post == post)
                .and_then(|p| Some((p.component_path.clone()?, p.component_sha256.clone()?)));
            // A failure names the variant, or the build when its compile (or a panic) took every level down.
            let build = format!("{} {}", job.component.name, job.build.name);
            let variant = format!("{build}-{}", post.name());
            let failed = || {
                let failure = failures.iter().find(|f| f.what == variant || f.what == build);
                failure.map_or_else(|| "it was not componentized".to_string(), |f| format!("{:#}", f.error))
            };
            levels.insert(post, made.ok_or_else(failed));
        }
        self.jobs.lock().unwrap().insert((job.component.name.clone(), job.build.name), levels);
        self.finished.notify_all();
    }

    /// The component `part` made for `variant`, once its job has finished.
    pub(super) fn wait(&self, part: &str, variant: &Variant) -> Result<(PathBuf, String)> {
        let key = (part.to_string(), variant.build.name);
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
