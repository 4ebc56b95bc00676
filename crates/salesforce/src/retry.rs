//! Salesforce's use of the shared retry policy ([`retry_policy`]).
//!
//! Which failures are worth retrying is [`crate::Error::retry_class`]; the
//! transport adds one rule of its own: a call that is not idempotent is not
//! resent when the server may already have applied it (see
//! `client/transport.rs`).

use std::time::Duration;

pub use retry_policy::{Backoff, Retries, RetryClass, RetryPolicy};

/// Default first backoff ceiling.
pub const DEFAULT_BASE_DELAY: Duration = Duration::from_millis(500);
/// Default cap of one backoff delay.
pub const DEFAULT_MAX_DELAY: Duration = Duration::from_secs(30);
/// Default policy: five attempts per call, backoff from 500 ms up to 30 s.
pub const DEFAULT_RETRY: RetryPolicy =
    RetryPolicy::new(5, Backoff::new(DEFAULT_BASE_DELAY, DEFAULT_MAX_DELAY));
