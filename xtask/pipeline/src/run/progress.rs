//! Progress over a whole run: steps done of the steps planned, the time since the start, and the step that has
//! been running longest, as one cargo-style status line (`Progress 57/414 steps, 11m02s; longest running: check
//! hasher go1.25-opt (12.3s)`), printed at a fixed interval and at the end — the same on a terminal and in a CI
//! log. Workers mark steps with [`Progress::step`] guards; nothing here runs a step.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::model::{Job, Post};
use crate::status;

/// How often the progress line is printed while a run goes on.
pub const EVERY: Duration = Duration::from_secs(20);

/// The counters of one run.
pub struct Progress {
    start: Instant,
    total: usize,
    done: AtomicUsize,
    next: AtomicU64,
    running: Mutex<Vec<(u64, String, Instant)>>,
    finished: AtomicBool,
    /// (kind of step, component) → time spent and steps run: where the run's time went.
    spent: Mutex<BTreeMap<(String, String), (Duration, usize)>>,
}

/// One kind of step's time, steps, and time per component.
type KindSpent<'a> = (Duration, usize, Vec<(&'a str, Duration)>);

/// Stops a [`Progress::report_until_finished`] loop when dropped, however its scope ends.
pub struct StopOnDrop<'p>(pub &'p Progress);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.finish();
    }
}

/// A step being run; it counts as done when dropped (passed, fresh or failed alike).
pub struct Step<'p> {
    progress: &'p Progress,
    id: u64,
}

impl Drop for Step<'_> {
    fn drop(&mut self) {
        let mut running = self.progress.running.lock().unwrap();
        if let Some(at) = running.iter().position(|(id, _, _)| *id == self.id) {
            let (_, what, since) = running.swap_remove(at);
            drop(running);
            let mut words = what.split_whitespace();
            let (kind, component) = (words.next().unwrap_or_default(), words.next().unwrap_or_default());
            self.progress.account(kind, component, since.elapsed());
        }
        self.progress.done.fetch_add(1, Ordering::Relaxed);
    }
}

impl Progress {
    /// Counters for a run of `total` steps.
    pub fn new(total: usize) -> Self {
        Self {
            start: Instant::now(),
            total,
            done: AtomicUsize::new(0),
            next: AtomicU64::new(0),
            running: Mutex::new(Vec::new()),
            finished: AtomicBool::new(false),
            spent: Mutex::new(BTreeMap::new()),
        }
    }

    /// Adds `took` to the time spent on `kind` steps of `component` (a step's guard does it for its step; a check
    /// also accounts its stress, part of its own time, as `stress`).
    pub fn account(&self, kind: &str, component: &str, took: Duration) {
        let mut spent = self.spent.lock().unwrap();
        let entry = spent.entry((kind.to_string(), component.to_string())).or_default();
        entry.0 += took;
        entry.1 += 1;
    }

    /// Where the time went, one line per kind of step, the slowest kind first: `check 812.4s over 230 steps
    /// (hasher 301.2s, textkit 250.0s, …)`. Times are summed over the workers, so they add up to about the
    /// run's time × its workers; `stress` is part of `check`.
    pub fn breakdown(&self) -> Vec<String> {
        let spent = self.spent.lock().unwrap();
        let mut kinds: BTreeMap<&str, KindSpent> = BTreeMap::new();
        for ((kind, component), (took, steps)) in spent.iter() {
            let entry = kinds.entry(kind).or_default();
            entry.0 += *took;
            entry.1 += steps;
            entry.2.push((component, *took));
        }
        let mut kinds: Vec<_> = kinds.into_iter().collect();
        kinds.sort_by_key(|k| std::cmp::Reverse(k.1.0));
        kinds
            .into_iter()
            .map(|(kind, (took, steps, mut components))| {
                components.sort_by_key(|c| std::cmp::Reverse(c.1));
                let each: Vec<String> =
                    components.iter().map(|(c, t)| format!("{c} {:.1}s", t.as_secs_f64())).collect();
                format!("{kind} {:.1}s over {steps} steps ({})", took.as_secs_f64(), each.join(", "))
            })
            .collect()
    }

    /// The steps of `jobs` when each goes as far as componentizing (`componentize`) and checking (`check`): a
    /// build per job; each post-processing level a job needs, once (`opt` needs `strip`, `opt-wizer` needs `opt`);
    /// and per variant its component, its composition (for a composed component) and its check (not for a
    /// dependency job).
    pub fn planned(jobs: &[Job], componentize: bool, check: bool) -> usize {
        jobs.iter()
            .map(|job| {
                let mut levels = std::collections::BTreeSet::new();
                for post in &job.posts {
                    let needs: &[Post] = match post {
                        Post::Raw => &[],
                        Post::Strip => &[Post::Strip],
                        Post::Opt => &[Post::Strip, Post::Opt],
                        Post::Wizer => &[Post::Strip, Post::Opt, Post::Wizer],
                    };
                    levels.extend(needs.iter().copied());
                }
                let compose = componentize && !job.component.parts.is_empty();
                let check = check && !job.dependency;
                let per_variant = usize::from(componentize) + usize::from(compose) + usize::from(check);
                1 + levels.len() + job.posts.len() * per_variant
            })
            .sum()
    }

    /// Marks `what` as running until the guard is dropped.
    pub fn step(&self, what: impl Into<String>) -> Step<'_> {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        self.running.lock().unwrap().push((id, what.into(), Instant::now()));
        Step { progress: self, id }
    }

    /// Counts `n` planned steps that will not run (those after a failed build) as done.
    pub fn skip(&self, n: usize) {
        self.done.fetch_add(n, Ordering::Relaxed);
    }

    /// `57/414 steps, 11m02s; longest running: check hasher go1.25-opt (12.3s)`.
    pub fn line(&self) -> String {
        let done = self.done.load(Ordering::Relaxed).min(self.total);
        let mut line = format!("{done}/{} steps, {}", self.total, clock(self.start.elapsed()));
        let running = self.running.lock().unwrap();
        if let Some((_, what, since)) = running.iter().min_by_key(|(_, _, since)| *since) {
            line.push_str(&format!("; longest running: {what} ({})", status::elapsed(since.elapsed())));
        }
        line
    }

    /// Prints the progress line every `every` until [`Progress::finish`] is called (run it on a thread of its own).
    pub fn report_until_finished(&self, every: Duration) {
        let mut last = Instant::now();
        while !self.finished.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(200));
            if last.elapsed() >= every && !self.finished.load(Ordering::Relaxed) {
                status::step("Progress", self.line());
                last = Instant::now();
            }
        }
    }

    /// Ends the reporting.
    pub fn finish(&self) {
        self.finished.store(true, Ordering::Relaxed);
    }
}

/// `11m02s`, or `42s` under a minute.
fn clock(d: Duration) -> String {
    let secs = d.as_secs();
    if secs >= 60 { format!("{}m{:02}s", secs / 60, secs % 60) } else { format!("{secs}s") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model;
    use crate::testing::root;

    #[test]
    fn steps_are_planned_per_level_and_counted_when_their_guard_drops() {
        let component = model::discover(&root()).unwrap().remove(0);
        let build = model::builds().remove(0);
        let job = |posts: Vec<Post>| Job::new(component.clone(), build.clone(), posts);
        // build + strip + opt + wizer + 4 × (component + check)
        assert_eq!(Progress::planned(&[job(Post::ALL.to_vec())], true, true), 12);
        // `opt` alone still needs `strip`: build + 2 levels + component + check.
        assert_eq!(Progress::planned(&[job(vec![Post::Opt])], true, true), 5);
        assert_eq!(Progress::planned(&[job(vec![Post::Raw])], false, false), 1);

        let progress = Progress::new(3);
        let first = progress.step("build a");
        std::thread::sleep(Duration::from_millis(5));
        let second = progress.step("check b");
        assert!(progress.line().starts_with("0/3 steps, 0s; longest running: build a ("), "{}", progress.line());
        drop(first);
        assert!(progress.line().contains("1/3 steps") && progress.line().contains("check b"), "{}", progress.line());
        drop(second);
        progress.skip(5);
        assert_eq!(progress.line(), "3/3 steps, 0s");
        assert_eq!(clock(Duration::from_secs(662)), "11m02s");
    }

    #[test]
    fn time_is_broken_down_by_kind_of_step_and_component_slowest_first() {
        let progress = Progress::new(4);
        progress.account("build", "a", Duration::from_millis(300));
        progress.account("check", "a", Duration::from_millis(1_000));
        progress.account("check", "b", Duration::from_millis(2_500));
        drop(progress.step("build b extra words"));
        assert_eq!(progress.breakdown()[0], "check 3.5s over 2 steps (b 2.5s, a 1.0s)");
        assert!(
            progress.breakdown()[1].starts_with("build 0.3s over 2 steps (a 0.3s, b 0.0s)"),
            "{:?}",
            progress.breakdown()
        );
    }
}
