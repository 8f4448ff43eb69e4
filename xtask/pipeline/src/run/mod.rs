//! A run of the pipeline: the [`scheduler`] decides what runs, in parallel, over the stages; [`keys`] says what a
//! step's output depends on, [`records`] whether
//! an output on disk is still what its step wrote, [`progress`] how far the run is, and [`lock`] keeps
//! two runs in one checkout from interleaving.

pub mod keys;
pub mod lock;
pub mod progress;
pub mod records;
pub mod scheduler;
