//! One retry policy for the Partner Center and Salesforce clients and the
//! job queue.
//!
//! A client turns each of its errors into a [`RetryClass`] with one method
//! (`retry_class()`); the loops that retry only execute what the class and
//! the schedule say, as a classifier and an executor are kept apart in
//! smithy-rs' standard retry strategy. The schedule is [`Backoff`], built
//! with `backon`: exponential, doubling from `base` up to `max`, with "equal
//! jitter" (a delay is drawn between half its ceiling and the ceiling, so
//! retries keep a floor but spread out; see
//! <https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/>).
//! A server's `Retry-After` is a floor under the backoff
//! (<https://www.rfc-editor.org/rfc/rfc9110#section-10.2.3>).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBackoff, ExponentialBuilder};

/// Default cap of a server-requested `Retry-After` wait.
pub const DEFAULT_MAX_RETRY_AFTER: Duration = Duration::from_secs(120);
/// Most doublings a schedule is walked through; far beyond any cap.
const MAX_DOUBLINGS: u32 = 64;

/// What an error means for trying the same call again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetryClass {
    /// A passing failure (outage, timeout, lock): retry after a backoff.
    Transient,
    /// The service asked us to slow down; retry no sooner than `retry_after`
    /// when it said how long.
    Throttled {
        /// The wait the service asked for, if it named one.
        retry_after: Option<Duration>,
    },
    /// Retrying the same call cannot succeed; someone has to change something.
    Permanent,
}

impl RetryClass {
    /// True when a later attempt may succeed.
    pub fn is_retryable(&self) -> bool {
        !matches!(self, RetryClass::Permanent)
    }

    /// The wait the service asked for, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            RetryClass::Throttled { retry_after } => *retry_after,
            RetryClass::Transient | RetryClass::Permanent => None,
        }
    }
}

/// The one backoff schedule: the ceiling doubles from `base` per retry up to
/// `max`, and each delay is drawn between half the ceiling and the ceiling.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    /// Ceiling of the first delay.
    pub base: Duration,
    /// Cap of any delay's ceiling.
    pub max: Duration,
}

impl Backoff {
    /// A schedule from `base` doubling up to `max` (at least `base`).
    pub const fn new(base: Duration, max: Duration) -> Self {
        let max = if max.as_nanos() < base.as_nanos() {
            base
        } else {
            max
        };
        Self { base, max }
    }

    /// The `backon` schedule: backon's jitter adds up to the whole delay, so
    /// starting from half the ceiling draws each delay from `[ceiling/2, ceiling)`.
    fn builder(&self) -> ExponentialBuilder {
        ExponentialBuilder::new()
            .with_factor(2.0)
            .with_min_delay(self.base / 2)
            .with_max_delay(self.max / 2)
            .with_jitter()
            .without_max_times()
    }

    /// The endless sequence of delays for retries 0, 1, 2, …
    fn delays(&self) -> impl Iterator<Item = Duration> {
        self.builder().build().map(whole_millis)
    }

    /// The delay before a queued job runs again after `failures` failed
    /// attempts (1 = after the first; 0 counts as 1).
    pub fn after_failures(&self, failures: u32) -> Duration {
        let retry = failures.saturating_sub(1).min(MAX_DOUBLINGS);
        self.delays().nth(retry as usize).unwrap_or(self.max)
    }
}

/// `backon` computes in `f32` seconds; whole milliseconds keep the bounds exact.
fn whole_millis(d: Duration) -> Duration {
    let nanos = d.as_nanos() + 500_000;
    Duration::from_millis(u64::try_from(nanos / 1_000_000).unwrap_or(u64::MAX))
}

/// How one call is retried: how many attempts, how long between them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per call, the first one included (1 = never retry).
    pub max_attempts: u32,
    /// Delays between attempts.
    pub backoff: Backoff,
    /// Cap of a `Retry-After` wait; longer requests are clamped to it.
    pub max_retry_after: Duration,
}

impl RetryPolicy {
    /// A policy of `max_attempts` attempts (at least 1) over `backoff`.
    pub const fn new(max_attempts: u32, backoff: Backoff) -> Self {
        Self {
            max_attempts: if max_attempts == 0 { 1 } else { max_attempts },
            backoff,
            max_retry_after: DEFAULT_MAX_RETRY_AFTER,
        }
    }

    /// The same policy without retries.
    #[must_use]
    pub fn none(self) -> Self {
        self.with_max_attempts(1)
    }

    /// Sets the number of attempts (at least 1).
    #[must_use]
    pub fn with_max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = n.max(1);
        self
    }

    /// Sets the first and the largest backoff ceiling.
    #[must_use]
    pub fn with_delays(mut self, base: Duration, max: Duration) -> Self {
        self.backoff = Backoff::new(base, max);
        self
    }

    /// Retries after the first attempt.
    pub fn max_retries(&self) -> u32 {
        self.max_attempts.saturating_sub(1)
    }

    /// A fresh retry budget for one call.
    pub fn start(&self) -> Retries {
        Retries {
            delays: self.backoff.builder().build(),
            left: self.max_retries(),
            max_retry_after: self.max_retry_after,
        }
    }
}

/// The retries left to one call, and the wait before each.
#[derive(Debug)]
pub struct Retries {
    delays: ExponentialBackoff,
    left: u32,
    max_retry_after: Duration,
}

impl Retries {
    /// The wait before retrying after a failure of class `class`, or `None`
    /// when the failure is permanent or the budget is spent. A `Retry-After`
    /// (capped at the policy's `max_retry_after`) is a floor under the backoff.
    pub fn next_delay(&mut self, class: RetryClass) -> Option<Duration> {
        if !class.is_retryable() || self.left == 0 {
            return None;
        }
        self.left -= 1;
        let backoff = whole_millis(self.delays.next()?);
        let floor = class
            .retry_after()
            .map_or(Duration::ZERO, |wait| wait.min(self.max_retry_after));
        Some(backoff.max(floor))
    }

    /// Retries not yet used.
    pub fn left(&self) -> u32 {
        self.left
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    fn backoff() -> Backoff {
        Backoff::new(100 * MS, Duration::from_secs(1))
    }

    #[test]
    fn each_retry_waits_between_half_its_ceiling_and_the_ceiling() {
        // Ceilings double from `base` and stop at `max`.
        let ceilings = [100, 200, 400, 800, 1000, 1000, 1000];
        for _ in 0..50 {
            for (delay, ceiling) in backoff().delays().zip(ceilings) {
                let ceiling = ceiling * MS;
                assert!(
                    delay >= ceiling / 2 && delay <= ceiling,
                    "{delay:?} outside [{:?}, {ceiling:?}]",
                    ceiling / 2
                );
            }
        }
    }

    #[test]
    fn queued_jobs_wait_longer_after_each_failure_up_to_the_cap() {
        let b = Backoff::new(Duration::from_secs(1), Duration::from_secs(60));
        for (failures, ceiling_s) in [(0, 1), (1, 1), (2, 2), (4, 8), (7, 60), (u32::MAX, 60)] {
            let ceiling = Duration::from_secs(ceiling_s);
            for _ in 0..20 {
                let d = b.after_failures(failures);
                assert!(
                    d >= ceiling / 2 && d <= ceiling,
                    "after {failures} failures: {d:?} outside [{:?}, {ceiling:?}]",
                    ceiling / 2
                );
            }
        }
    }

    #[test]
    fn jitter_spreads_retries() {
        let delays: std::collections::BTreeSet<Duration> =
            (0..20).map(|_| backoff().after_failures(5)).collect();
        assert!(delays.len() > 1, "every retry got the same delay");
    }

    #[test]
    fn a_call_retries_at_most_max_attempts_minus_one_times() {
        let policy = RetryPolicy::new(4, backoff());
        let mut retries = policy.start();
        let granted = std::iter::from_fn(|| retries.next_delay(RetryClass::Transient)).count();
        assert_eq!(granted, 3);
        assert_eq!(retries.left(), 0);
        assert_eq!(
            policy.none().start().next_delay(RetryClass::Transient),
            None
        );
        assert_eq!(RetryPolicy::new(0, backoff()).max_attempts, 1);
    }

    #[test]
    fn permanent_failures_are_never_retried() {
        let mut retries = RetryPolicy::new(4, backoff()).start();
        assert_eq!(retries.next_delay(RetryClass::Permanent), None);
        assert_eq!(retries.left(), 3, "a permanent failure spends no retry");
    }

    #[test]
    fn retry_after_is_a_floor_capped_by_the_policy() {
        let mut policy = RetryPolicy::new(10, backoff());
        policy.max_retry_after = Duration::from_secs(5);
        let mut retries = policy.start();
        let asked = |secs| RetryClass::Throttled {
            retry_after: Some(Duration::from_secs(secs)),
        };
        assert_eq!(retries.next_delay(asked(3)), Some(Duration::from_secs(3)));
        assert_eq!(retries.next_delay(asked(60)), Some(Duration::from_secs(5)));
        // A shorter request than the backoff does not shorten the backoff.
        let d = retries.next_delay(asked(0)).unwrap();
        assert!(d >= 200 * MS, "{d:?}");
        // Throttled without a named wait backs off like any transient failure.
        let d = retries
            .next_delay(RetryClass::Throttled { retry_after: None })
            .unwrap();
        assert!(d >= 400 * MS, "{d:?}");
    }

    #[test]
    fn classes_say_whether_to_retry() {
        assert!(RetryClass::Transient.is_retryable());
        assert!(RetryClass::Throttled { retry_after: None }.is_retryable());
        assert!(!RetryClass::Permanent.is_retryable());
        assert_eq!(
            RetryClass::Throttled {
                retry_after: Some(MS)
            }
            .retry_after(),
            Some(MS)
        );
        assert_eq!(RetryClass::Transient.retry_after(), None);
    }

    #[test]
    fn max_below_base_is_raised_to_base() {
        assert_eq!(Backoff::new(2 * MS, MS).max, 2 * MS);
    }
}
