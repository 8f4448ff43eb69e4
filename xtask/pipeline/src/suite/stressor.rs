//! A stress sized by evidence instead of by a call count ([`Stressor`]), and what it saw ([`Tally`]).

use anyhow::{Result, bail};
use host::wasmtime::Store;
use serde::{Deserialize, Serialize};

use super::window::{COLLECT_EVERY, Counts, Window};
use crate::model::Sizing;

/// What a stress saw, phase by phase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub sizing: Sizing,
    pub counts: Counts,
    pub phases: Vec<PhaseTally>,
}

/// One phase of a stress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhaseTally {
    pub what: String,
    pub calls: usize,
    /// Calls the guarded window answered during the phase.
    pub answered: u64,
}

impl Tally {
    /// Calls the window answered over the whole stress.
    pub fn total(&self) -> u64 {
        self.phases.iter().map(|p| p.answered).sum()
    }

    /// `guarded window answered 312 calls (compute-hash 64 KiB: 104 in 690 calls; …); floor 100 per sized phase`.
    pub fn summary(&self) -> String {
        let phases: Vec<String> =
            self.phases.iter().map(|p| format!("{}: {} in {} calls", p.what, p.answered, p.calls)).collect();
        let sizing = match self.sizing {
            Sizing::Window { floor } => format!("floor {floor} per sized phase"),
            Sizing::Fixed => "fixed call counts, no floor".to_string(),
        };
        let counted = match self.counts {
            Counts::GuardedCalls => format!("guarded window answered {} calls", self.total()),
            Counts::Collections => format!("the collector ran {} times inside cabi_realloc", self.total()),
        };
        format!("{counted} ({}); {sizing}", phases.join("; "))
    }
}

/// How many calls one phase of a stress makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Phase {
    /// The calls it makes at least.
    pub least: usize,
    /// The calls it may make at most.
    pub most: usize,
    /// Whether the phase is sized by the window (it goes on until the window answered the floor, and fails if
    /// its most calls did not get there); an unsized phase — a shape that rarely reaches the window, kept for what
    /// else it proves — makes its least calls.
    pub sized: bool,
}

impl Phase {
    /// A phase sized by the window, between `least` and `most` calls.
    pub const fn sized(least: usize, most: usize) -> Phase {
        Phase { least, most, sized: true }
    }

    /// A phase of `least` calls, or `most` under [`Sizing::Fixed`].
    pub const fn fixed(least: usize, most: usize) -> Phase {
        Phase { least, most, sized: false }
    }
}

/// Runs the phases of a stress on one instance, sizing each by evidence instead of by a call count (see
/// [`Sizing`] and [`Phase`]): a sized phase goes on until it has the evidence (and made at least its least
/// calls), and fails — the artifact was not stressed — if its most calls did not get it. With [`Sizing::Fixed`]
/// every phase makes its most calls.
pub struct Stressor<'w> {
    window: &'w Window,
    tally: Tally,
}

impl<'w> Stressor<'w> {
    /// A stress of the instance behind `window`; it first has the collector run inside `cabi_realloc` every
    /// [`COLLECT_EVERY`] lowered bytes.
    pub fn new<T: 'static>(store: &mut Store<T>, window: &'w Window, sizing: Sizing) -> Result<Self> {
        window.collect_in_realloc(store, COLLECT_EVERY)?;
        Ok(Self { window, tally: Tally { sizing, counts: window.counts, phases: Vec::new() } })
    }

    /// Runs `call(store, n)` for n = 0, 1, … as described on [`Stressor`]; returns how many calls it made.
    pub fn phase<T: 'static>(
        &mut self,
        store: &mut Store<T>,
        what: &str,
        phase: Phase,
        mut call: impl FnMut(&mut Store<T>, usize) -> Result<()>,
    ) -> Result<usize> {
        let start = self.window.count(store)?;
        let floor = match self.tally.sizing {
            Sizing::Window { floor } if phase.sized => Some(floor),
            _ => None,
        };
        let most =
            if self.tally.sizing == Sizing::Fixed || phase.sized { phase.most } else { phase.least.min(phase.most) };
        let mut calls = 0;
        while calls < most {
            call(store, calls)?;
            calls += 1;
            if let Some(floor) = floor
                && calls >= phase.least
                && self.window.count(store)? - start >= floor
            {
                break;
            }
        }
        let answered = self.window.count(store)? - start;
        if let Some(floor) = floor
            && answered < floor
        {
            let seen = match self.tally.counts {
                Counts::GuardedCalls => format!("the guarded window answered {answered} calls"),
                Counts::Collections => format!("the collector ran {answered} times inside cabi_realloc"),
            };
            bail!(
                "not stressed: {what}: {seen} in {calls} calls, under the floor of {floor} — Go's collector did not \
                 run inside `cabi_realloc`/`cabi_post_*` often enough on this artifact to prove it survives there"
            );
        }
        self.tally.phases.push(PhaseTally { what: what.to_string(), calls, answered });
        Ok(calls)
    }

    pub fn finish(self) -> Tally {
        self.tally
    }
}
