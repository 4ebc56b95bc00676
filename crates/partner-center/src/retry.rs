//! Partner Center's use of the shared retry policy ([`retry_policy`]).
//!
//! Retried: 429, 5xx, timeouts and connection errors, including a connection
//! dropped mid-response ([`crate::Error::retry_class`]). Never retried: any other
//! 4xx. A throttled answer's `Retry-After` is a floor under the backoff, as
//! Partner Center's throttling guidance asks
//! (<https://learn.microsoft.com/en-us/partner-center/developer/referrals-api-response-codes>,
//! <https://learn.microsoft.com/en-us/partner-center/developer/api-throttling-guidance>).

use std::time::{Duration, SystemTime};

pub use retry_policy::{Backoff, Retries, RetryClass, RetryPolicy};

/// Default first backoff ceiling.
pub const DEFAULT_BASE_DELAY: Duration = Duration::from_millis(250);
/// Default cap of one backoff delay.
pub const DEFAULT_MAX_DELAY: Duration = Duration::from_secs(30);
/// Default policy: four attempts per call, backoff from 250 ms up to 30 s.
pub const DEFAULT_RETRY: RetryPolicy =
    RetryPolicy::new(4, Backoff::new(DEFAULT_BASE_DELAY, DEFAULT_MAX_DELAY));

/// True for statuses worth retrying: 429 and every 5xx.
pub fn is_retryable_status(status: u16) -> bool {
    status == 429 || (500..=599).contains(&status)
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
}
