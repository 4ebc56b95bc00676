//! Retry policy: which failures to retry and how long to wait.
//!
//! Exponential backoff with full jitter (delay drawn uniformly from
//! `0..=min(max_delay, base_delay * 2^attempt)`), overridden by `Retry-After`
//! on 429/503 as Partner Center's throttling guidance asks (<https://learn.microsoft.com/en-us/partner-center/developer/referrals-api-response-codes>, <https://learn.microsoft.com/en-us/partner-center/developer/api-throttling-guidance>).
//! Retried: 429, 5xx, timeouts and connection errors, including a connection
//! dropped mid-response. Never retried: any other 4xx.

use std::time::{Duration, SystemTime};

use rand::Rng;

use crate::error::Error;

/// Default number of attempts per call, the first one included.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 4;
/// Default first backoff ceiling.
pub const DEFAULT_BASE_DELAY: Duration = Duration::from_millis(250);
/// Default cap of one backoff delay.
pub const DEFAULT_MAX_DELAY: Duration = Duration::from_secs(30);
/// Default cap of a server-requested `Retry-After` wait.
pub const DEFAULT_MAX_RETRY_AFTER: Duration = Duration::from_secs(120);

/// How a client retries failed calls.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per call, the first one included (1 = no retry).
    pub max_attempts: u32,
    /// Ceiling of the first backoff delay; doubles per attempt.
    pub base_delay: Duration,
    /// Cap of any backoff delay.
    pub max_delay: Duration,
    /// Cap of a `Retry-After` wait; longer requests are clamped to it.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            base_delay: DEFAULT_BASE_DELAY,
            max_delay: DEFAULT_MAX_DELAY,
            max_retry_after: DEFAULT_MAX_RETRY_AFTER,
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// Sets the number of attempts (at least 1).
    pub fn with_max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = n.max(1);
        self
    }

    /// Sets the base and maximum backoff delays.
    pub fn with_delays(mut self, base: Duration, max: Duration) -> Self {
        self.base_delay = base;
        self.max_delay = max.max(base);
        self
    }

    /// The full-jitter backoff before retry number `retry` (0 = first retry).
    pub fn backoff(&self, retry: u32) -> Duration {
        let ceiling = self.backoff_ceiling(retry);
        let millis = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(rand::rng().random_range(0..=millis))
    }

    /// Upper bound of [`RetryPolicy::backoff`] for retry number `retry`.
    pub fn backoff_ceiling(&self, retry: u32) -> Duration {
        let factor = 2u32.saturating_pow(retry.min(31));
        self.base_delay
            .checked_mul(factor)
            .unwrap_or(self.max_delay)
            .min(self.max_delay)
    }

    /// The wait before retry number `retry` after `err`: `Retry-After` if the
    /// server sent one (clamped), else full-jitter backoff.
    pub fn delay_for(&self, err: &Error, retry: u32) -> Duration {
        match err {
            Error::Api {
                retry_after: Some(wait),
                ..
            } => (*wait).min(self.max_retry_after),
            _ => self.backoff(retry),
        }
    }
}

/// True for statuses worth retrying: 429 and every 5xx.
pub fn is_retryable_status(status: u16) -> bool {
    status == 429 || (500..=599).contains(&status)
}

/// True when `err` should be retried: exactly the transient errors ([`Error::is_transient`]).
pub fn should_retry(err: &Error) -> bool {
    err.is_transient()
}

/// Parses a `Retry-After` value: delta-seconds or an HTTP date (RFC 9110 §10.2.3).
/// A date in the past gives zero; garbage gives `None`.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    // IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") is a valid RFC 2822 date.
    let when = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let when = SystemTime::from(when.with_timezone(&chrono::Utc));
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Reads `Retry-After` from response headers.
pub(crate) fn retry_after_header(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    parse_retry_after(value, SystemTime::now())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{ErrorCode, TransportKind};

    fn api(status: u16) -> Error {
        Error::Api {
            status,
            code: ErrorCode::from_status(status),
            message: String::new(),
            target: None,
            inner_error: None,
            request_id: None,
            retry_after: None,
        }
    }

    #[test]
    fn classification() {
        for s in [429, 500, 502, 503, 504] {
            assert!(should_retry(&api(s)), "{s}");
        }
        for s in [400, 401, 403, 404, 409, 412, 422] {
            assert!(!should_retry(&api(s)), "{s}");
        }
        for kind in [
            TransportKind::Connect,
            TransportKind::Timeout,
            TransportKind::Io,
        ] {
            assert!(should_retry(&Error::Transport {
                kind,
                message: String::new()
            }));
        }
        assert!(!should_retry(&Error::Transport {
            kind: TransportKind::Other,
            message: String::new()
        }));
        assert!(!should_retry(&Error::Decode {
            message: String::new(),
            request_id: None
        }));
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777); // 1994-11-06T08:49:37Z
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:50:07 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-5", now), None);
    }

    #[test]
    fn backoff_is_bounded_full_jitter() {
        let p =
            RetryPolicy::default().with_delays(Duration::from_millis(100), Duration::from_secs(1));
        assert_eq!(p.backoff_ceiling(0), Duration::from_millis(100));
        assert_eq!(p.backoff_ceiling(2), Duration::from_millis(400));
        assert_eq!(p.backoff_ceiling(10), Duration::from_secs(1));
        assert_eq!(p.backoff_ceiling(u32::MAX), Duration::from_secs(1));
        for retry in 0..8 {
            assert!(p.backoff(retry) <= p.backoff_ceiling(retry));
        }
    }

    #[test]
    fn retry_after_overrides_backoff_and_is_clamped() {
        let p = RetryPolicy {
            max_retry_after: Duration::from_secs(5),
            ..RetryPolicy::default()
        };
        let mut err = api(429);
        if let Error::Api { retry_after, .. } = &mut err {
            *retry_after = Some(Duration::from_secs(60));
        }
        assert_eq!(p.delay_for(&err, 0), Duration::from_secs(5));
    }
}
