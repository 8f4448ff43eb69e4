//! How hard a check's stress pushes one instance, and what ends a sized phase of it: the evidence the hardened
//! component counts (see `suite::Stressor`).

use serde::{Deserialize, Serialize};

use super::Variant;

/// How hard a check's stress pushes one instance. A stress is sized by evidence, not by a call count (`sizing`);
/// the call counts are the most its phases may make trying to get the evidence (a suite's phases take their
/// shares of them), and a phase that did not get it within them fails: the artifact was not stressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stress {
    pub sizing: Sizing,
    /// The most calls with 64 KiB inputs.
    pub calls_64k: usize,
    /// The most calls with 1 MiB inputs.
    pub calls_1m: usize,
}

/// What ends a sized phase of a stress (`suite::Stressor`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Sizing {
    /// Once the hardened component's guarded window (`gowasm:harden/window`) has answered `floor` calls of Go's
    /// runtime during the phase: each one a time Go's collector reached the host from inside
    /// `cabi_realloc`/`cabi_post_*`, a trap without the hardening pass; on a TinyGo build, once its collector
    /// ran `floor` times inside `cabi_realloc` (`gowasm:harden/collector`).
    Window { floor: u64 },
    /// Every phase makes its most calls: tests, `check --stress-floor 0`.
    Fixed,
}

impl Sizing {
    /// The window floor (0 when the stress is not sized by the window).
    pub fn floor(self) -> u64 {
        match self {
            Sizing::Window { floor } => floor,
            Sizing::Fixed => 0,
        }
    }
}

impl Stress {
    /// What `dist` and a plain `check` run: each sized phase until the window answered 100 calls, within at most
    /// 10,000 calls with 64 KiB and 200 with 1 MiB on one instance.
    pub const FULL: Stress = Stress { sizing: Sizing::Window { floor: 100 }, calls_64k: 10_000, calls_1m: 200 };

    /// A fixed number of calls per phase (tests).
    pub const fn fixed(calls_64k: usize, calls_1m: usize) -> Stress {
        Stress { sizing: Sizing::Fixed, calls_64k, calls_1m }
    }

    /// The stress for `variant`. The stress makes a collection come inside `cabi_realloc` about every MiB lowered
    /// on both toolchains (`suite::COLLECT_EVERY`). On a TinyGo build the count is of those collections
    /// (`suite::Counts::Collections`): each a whole collection with the earlier arguments in the heap, where big
    /// Go's guarded window answers several clock reads per collection, so its floor is a quarter of big Go's. (Before the stress could ask
    /// for them, TinyGo's phases made their most calls: its allocator collected 4 times in the hasher's 888 MiB.)
    pub fn for_variant(self, variant: &Variant) -> Stress {
        match self.sizing {
            Sizing::Window { floor } if variant.build.tinygo.is_some() => {
                Stress { sizing: Sizing::Window { floor: floor.div_ceil(4) }, ..self }
            }
            _ => self,
        }
    }
}
