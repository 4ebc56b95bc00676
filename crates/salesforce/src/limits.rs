//! API-limit bookkeeping: the `Sforce-Limit-Info` header and the
//! `REQUEST_LIMIT_EXCEEDED` cool-down.
//!
//! Salesforce sends `Sforce-Limit-Info: api-usage=18/5000` (newer orgs add
//! `; api-bursts=1/750`) on every REST response except `/services/data/`
//! (<https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/dome_versions.htm>, <https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_limits.htm>). When the org's allocation runs out it answers 403
//! `REQUEST_LIMIT_EXCEEDED`; hammering it then only burns goodwill, so the
//! client stops issuing calls until a cool-down has passed (<https://developer.salesforce.com/docs/atlas.en-us.salesforce_app_limits_cheatsheet.meta/salesforce_app_limits_cheatsheet/salesforce_app_limits_platform_api.htm>).

use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// Response header carrying the org's API usage.
pub const LIMIT_INFO_HEADER: &str = "sforce-limit-info";

/// Default pause after a `REQUEST_LIMIT_EXCEEDED` answer.
pub const DEFAULT_LIMIT_COOLDOWN: Duration = Duration::from_secs(5 * 60);

/// Key of the daily-usage entry inside `Sforce-Limit-Info`.
const API_USAGE_KEY: &str = "api-usage";

/// The org's rolling 24-hour API usage as last reported by Salesforce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiUsage {
    /// Calls used in the current window.
    pub used: u64,
    /// The org's allocation.
    pub max: u64,
}

impl ApiUsage {
    /// Parses a `Sforce-Limit-Info` value such as `api-usage=18/5000; api-bursts=1/750`.
    pub fn parse_header(value: &str) -> Option<Self> {
        value
            .split([';', ','])
            .filter_map(|part| part.split_once('='))
            .find(|(key, _)| key.trim().eq_ignore_ascii_case(API_USAGE_KEY))
            .and_then(|(_, v)| {
                let (used, max) = v.trim().split_once('/')?;
                Some(ApiUsage {
                    used: used.trim().parse().ok()?,
                    max: max.trim().parse().ok()?,
                })
            })
    }

    /// Share of the allocation used, from 0.0 (or above 1.0 when overrun).
    pub fn fraction_used(&self) -> f64 {
        if self.max == 0 {
            return 1.0;
        }
        self.used as f64 / self.max as f64
    }
}

/// Shared state: last usage seen and the end of any limit cool-down.
#[derive(Debug)]
pub(crate) struct LimitState {
    usage: Mutex<Option<ApiUsage>>,
    paused_until: Mutex<Option<Instant>>,
    cooldown: Duration,
}

impl LimitState {
    pub(crate) fn new(cooldown: Duration) -> Self {
        LimitState {
            usage: Mutex::new(None),
            paused_until: Mutex::new(None),
            cooldown,
        }
    }

    pub(crate) fn usage(&self) -> Option<ApiUsage> {
        *self.usage.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn record_header(&self, value: &str) {
        if let Some(u) = ApiUsage::parse_header(value) {
            *self.usage.lock().unwrap_or_else(|p| p.into_inner()) = Some(u);
        }
    }

    /// Starts (or extends) the cool-down; returns its length.
    pub(crate) fn trip(&self) -> Duration {
        let until = Instant::now() + self.cooldown;
        let mut guard = self.paused_until.lock().unwrap_or_else(|p| p.into_inner());
        *guard = Some(guard.map_or(until, |u| u.max(until)));
        self.cooldown
    }

    /// Time left in the cool-down, if one is running.
    pub(crate) fn remaining_pause(&self) -> Option<Duration> {
        let mut guard = self.paused_until.lock().unwrap_or_else(|p| p.into_inner());
        match *guard {
            Some(until) => {
                let now = Instant::now();
                if until > now {
                    Some(until - now)
                } else {
                    *guard = None;
                    None
                }
            }
            None => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plain_usage() {
        assert_eq!(
            ApiUsage::parse_header("api-usage=18/5000"),
            Some(ApiUsage {
                used: 18,
                max: 5000
            })
        );
    }

    #[test]
    fn parses_usage_with_bursts_in_any_order() {
        let want = Some(ApiUsage {
            used: 25,
            max: 15000,
        });
        assert_eq!(
            ApiUsage::parse_header("api-usage=25/15000; api-bursts=1/750"),
            want
        );
        assert_eq!(
            ApiUsage::parse_header("api-bursts=1/750;api-usage=25/15000"),
            want
        );
    }

    #[test]
    fn rejects_garbage() {
        assert_eq!(ApiUsage::parse_header(""), None);
        assert_eq!(ApiUsage::parse_header("api-usage=x/5000"), None);
        assert_eq!(ApiUsage::parse_header("api-usage=5"), None);
        assert_eq!(ApiUsage::parse_header("api-bursts=1/750"), None);
    }

    #[test]
    fn fraction() {
        let u = ApiUsage { used: 50, max: 200 };
        assert!((u.fraction_used() - 0.25).abs() < f64::EPSILON);
    }

    #[test]
    fn cooldown_expires() {
        let state = LimitState::new(Duration::from_millis(30));
        assert!(state.remaining_pause().is_none());
        state.trip();
        assert!(state.remaining_pause().is_some());
        std::thread::sleep(Duration::from_millis(40));
        assert!(state.remaining_pause().is_none());
    }

    #[test]
    fn tracks_last_usage() {
        let state = LimitState::new(DEFAULT_LIMIT_COOLDOWN);
        state.record_header("api-usage=1/10");
        state.record_header("nonsense");
        assert_eq!(state.usage(), Some(ApiUsage { used: 1, max: 10 }));
    }
}
