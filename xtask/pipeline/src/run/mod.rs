//! A run of the pipeline: the [`scheduler`] decides what runs, in parallel, over the stages; [`keys`] says what a
//! step's output depends on, [`records`] whether
//! an output on disk is still what its step wrote, [`progress`] how far the run is, and [`lock`] keeps
//! two runs in one checkout from interleaving.

pub mod keys;
pub mod lock;
pub mod progress;
pub mod records;
pub mod scheduler;

use std::path::Path;

use anyhow::Result;

use crate::model::{self, Plan, Selection};
use crate::stages::gobuild;
use crate::status;

/// The plan of `selection` ([`model::plan`]), saying for each build a component leaves out that it does and why,
/// and for each flag of the user's GOFLAGS the builds leave out, why.
pub fn plan(root: &Path, selection: &Selection) -> Result<Plan> {
    let plan = model::plan(root, selection)?;
    for (flag, why) in gobuild::dropped_goflags(&gobuild::user_goflags()) {
        status::warn(format!("GOFLAGS `{flag}` is left out of the builds: {why}"));
    }
    for left in &plan.left_out {
        status::step("Left out", format!("{} {}: {}", left.component, left.build, left.reason));
    }
    Ok(plan)
}
