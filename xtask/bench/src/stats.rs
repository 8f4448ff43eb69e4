//! Samples and their summary: every timed figure in a report is the median of several samples, with the smallest
//! and largest beside it, so a reader sees the spread and not one lucky or unlucky run.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// Median, min and max of `n` samples, in the unit the field's name carries (`_us`, `_ms`, `_mbps`).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub(crate) struct Stat {
    pub(crate) median: f64,
    pub(crate) min: f64,
    pub(crate) max: f64,
    pub(crate) n: usize,
}

impl Stat {
    /// Summarises samples; `None` for none.
    pub(crate) fn of(samples: &[f64]) -> Option<Stat> {
        if samples.is_empty() {
            return None;
        }
        let mut sorted = samples.to_vec();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let median = if n % 2 == 1 { sorted[n / 2] } else { (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0 };
        Some(Stat { median, min: sorted[0], max: sorted[n - 1], n })
    }

    /// One exact figure (a size, a single reading) as a summary of itself.
    pub(crate) fn exact(value: f64) -> Stat {
        Stat { median: value, min: value, max: value, n: 1 }
    }

    /// The same figure in another unit (`factor` > 0).
    pub(crate) fn scaled(self, factor: f64) -> Stat {
        Stat { median: self.median * factor, min: self.min * factor, max: self.max * factor, n: self.n }
    }

    /// A rate from a time: `amount / time`, so the smallest time gives the largest rate.
    pub(crate) fn rate(self, amount: f64) -> Stat {
        Stat { median: amount / self.median, min: amount / self.max, max: amount / self.min, n: self.n }
    }
}

/// Collects samples of one metric across the rounds of a run.
#[derive(Debug, Default, Clone)]
pub(crate) struct Samples(Vec<f64>);

impl Samples {
    pub(crate) fn push(&mut self, value: f64) {
        self.0.push(value);
    }

    /// Records the duration in microseconds.
    pub(crate) fn push_us(&mut self, d: Duration) {
        self.0.push(d.as_secs_f64() * 1e6);
    }

    pub(crate) fn stat(&self) -> Option<Stat> {
        Stat::of(&self.0)
    }
}

/// The value of `name=value` among the space-separated fields of a report line a child process printed
/// (`host call --stats`, the RSS launcher).
pub(crate) fn field<T: std::str::FromStr>(line: &str, name: &str) -> anyhow::Result<T>
where
    T::Err: std::error::Error + Send + Sync + 'static,
{
    use anyhow::Context;
    line.split_whitespace()
        .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
        .with_context(|| format!("no {name} in `{line}`"))?
        .parse()
        .with_context(|| format!("bad {name} in `{line}`"))
}

/// Runs `f` and returns its result and how long it took.
pub(crate) fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let out = f();
    (out, start.elapsed())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_min_max_and_rates() {
        let s = Stat::of(&[5.0, 1.0, 3.0]).unwrap();
        assert_eq!((s.median, s.min, s.max, s.n), (3.0, 1.0, 5.0, 3));
        assert_eq!(Stat::of(&[1.0, 2.0, 3.0, 10.0]).unwrap().median, 2.5);
        assert!(Stat::of(&[]).is_none());
        let r = s.rate(15.0);
        assert_eq!((r.median, r.min, r.max), (5.0, 3.0, 15.0));
    }
}
