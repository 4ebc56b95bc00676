//! Client-side pacing within the Selling API quotas (per partner account:
//! 10 reads and 1 write per second,
//! <https://docs.aws.amazon.com/partner-central/latest/developer-guide/quotas.html>),
//! so a busy sync waits instead of collecting `ThrottlingException`s.

use std::num::NonZeroU32;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

/// Two token buckets, one per quota class.
#[derive(Debug)]
pub(crate) struct Pacer {
    reads: DefaultDirectRateLimiter,
    writes: DefaultDirectRateLimiter,
}

impl Pacer {
    /// Buckets refilled at the given per-second rates.
    pub(crate) fn new(reads_per_second: NonZeroU32, writes_per_second: NonZeroU32) -> Self {
        Self {
            reads: RateLimiter::direct(Quota::per_second(reads_per_second)),
            writes: RateLimiter::direct(Quota::per_second(writes_per_second)),
        }
    }

    /// Waits for a read slot.
    pub(crate) async fn read(&self) {
        self.reads.until_ready().await;
    }

    /// Waits for a write slot.
    pub(crate) async fn write(&self) {
        self.writes.until_ready().await;
    }
}
