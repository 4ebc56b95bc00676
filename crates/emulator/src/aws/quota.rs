//! Per-account request quotas: read and write operations each have a
//! per-second budget
//! (<https://docs.aws.amazon.com/partner-central/latest/developer-guide/quotas.html>);
//! a call over it is answered with `ThrottlingException`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use super::Quotas;

/// Which budget an operation draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Class {
    /// `Get*`, `List*`.
    Read,
    /// Everything that changes state.
    Write,
}

/// A token bucket holding at most [`Quotas::burst_seconds`] of calls.
#[derive(Debug)]
struct Bucket {
    tokens: f64,
    refilled: Instant,
}

/// The buckets of every account.
#[derive(Debug)]
pub(crate) struct Limiter {
    quotas: Quotas,
    buckets: Mutex<HashMap<(String, Class), Bucket>>,
}

impl Limiter {
    /// A limiter for `quotas`.
    pub(crate) fn new(quotas: Quotas) -> Self {
        Self {
            quotas,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one call from `account`'s budget for `class`; false when it is spent.
    pub(crate) fn admit(&self, account: &str, class: Class) -> bool {
        let rate = match class {
            Class::Read => self.quotas.reads_per_second,
            Class::Write => self.quotas.writes_per_second,
        };
        if rate == 0 {
            return true;
        }
        let rate = f64::from(rate);
        let depth = rate * f64::from(self.quotas.burst_seconds.max(1));
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let bucket = buckets
            .entry((account.to_owned(), class))
            .or_insert(Bucket {
                tokens: depth,
                refilled: now,
            });
        let elapsed = now.duration_since(bucket.refilled).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * rate).min(depth);
        bucket.refilled = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budgets_are_per_account_and_per_class() {
        let limiter = Limiter::new(Quotas {
            reads_per_second: 2,
            writes_per_second: 1,
            burst_seconds: 1,
        });
        assert!(limiter.admit("a", Class::Write));
        assert!(!limiter.admit("a", Class::Write));
        assert!(limiter.admit("b", Class::Write));
        assert!(limiter.admit("a", Class::Read));
        assert!(limiter.admit("a", Class::Read));
        assert!(!limiter.admit("a", Class::Read));
        let bursty = Limiter::new(Quotas {
            burst_seconds: 3,
            ..Quotas::default()
        });
        assert_eq!(
            (0..5).filter(|_| bursty.admit("a", Class::Write)).count(),
            3
        );
        let open = Limiter::new(Quotas::UNLIMITED);
        assert!((0..100).all(|_| open.admit("a", Class::Write)));
    }
}
