//! When a failed job runs again: exponential backoff with jitter, capped, so
//! a throttled or unavailable remote is not hammered and retries of many jobs
//! spread out instead of arriving together.

use std::time::Duration;

use rand::Rng;

/// Exponential backoff: `base × 2^(attempt−1)`, capped at `max`, then "equal
/// jitter" (half fixed, half random) so retries keep a floor but spread out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Delay after the first failed attempt, before jitter.
    pub base: Duration,
    /// Longest delay, before jitter.
    pub max: Duration,
}

/// Default delay after a first failure.
pub const DEFAULT_RETRY_BASE: Duration = Duration::from_secs(2);
/// Default longest delay between attempts.
pub const DEFAULT_RETRY_MAX: Duration = Duration::from_secs(10 * 60);
/// Largest exponent used, far beyond any cap, so the shift never overflows.
const MAX_EXPONENT: u32 = 30;

impl Default for Backoff {
    fn default() -> Self {
        Self {
            base: DEFAULT_RETRY_BASE,
            max: DEFAULT_RETRY_MAX,
        }
    }
}

impl Backoff {
    /// The capped delay after `attempt` failed attempts (1-based), without jitter.
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let exponent = attempt.saturating_sub(1).min(MAX_EXPONENT);
        self.base.saturating_mul(1u32 << exponent).min(self.max)
    }

    /// The delay after `attempt` failed attempts: between half the ceiling and the ceiling.
    pub fn delay(&self, attempt: u32) -> Duration {
        let ceiling = self.ceiling(attempt);
        let half = ceiling / 2;
        let spread = ceiling.saturating_sub(half);
        let jitter = rand::rng().random_range(0.0..=1.0);
        half + spread.mul_f64(jitter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_the_cap() {
        let b = Backoff {
            base: Duration::from_secs(1),
            max: Duration::from_secs(60),
        };
        assert_eq!(b.ceiling(1), Duration::from_secs(1));
        assert_eq!(b.ceiling(2), Duration::from_secs(2));
        assert_eq!(b.ceiling(4), Duration::from_secs(8));
        assert_eq!(b.ceiling(7), Duration::from_secs(60));
        assert_eq!(b.ceiling(u32::MAX), Duration::from_secs(60));
        assert_eq!(b.ceiling(0), Duration::from_secs(1));
    }

    #[test]
    fn jitter_stays_between_half_and_the_ceiling() {
        let b = Backoff::default();
        for attempt in 1..20 {
            let ceiling = b.ceiling(attempt);
            for _ in 0..50 {
                let d = b.delay(attempt);
                assert!(d >= ceiling / 2 && d <= ceiling, "{d:?} vs {ceiling:?}");
            }
        }
    }

    #[test]
    fn jitter_spreads_retries() {
        let b = Backoff::default();
        let delays: std::collections::BTreeSet<Duration> = (0..20).map(|_| b.delay(5)).collect();
        assert!(delays.len() > 1, "every retry got the same delay");
    }
}
