//! Remote API usage as the running service last saw it, saved in a store
//! cursor so `cosell status` (another process) can show it: the Salesforce
//! org's rolling 24-hour usage from `Sforce-Limit-Info`, and the calls this
//! service made to each API since it started.

use std::sync::atomic::Ordering;

use chrono::{DateTime, Utc};
use partner_center::{ReferralsClient, UndocumentedFilter};
use serde::{Deserialize, Serialize};
use store::Store;

use super::metrics::Metrics;

/// The store cursor holding the JSON [`ApiUsageReport`].
pub const API_USAGE_CURSOR: &str = "service.api_usage";

/// Calls made to one remote API.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallCount {
    /// HTTP attempts, retries included.
    pub calls: u64,
    /// Attempts that failed (no answer or status >= 400).
    pub errors: u64,
}

/// What `cosell status` shows about API usage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiUsageReport {
    /// When the service saved this.
    pub updated_at: DateTime<Utc>,
    /// When the service that saved it started (the counts run from then).
    pub since: DateTime<Utc>,
    /// The org's rolling 24-hour API usage, once a response reported it.
    pub salesforce_org: Option<salesforce::ApiUsage>,
    /// Salesforce calls by this service.
    pub salesforce: CallCount,
    /// Partner Center calls by this service.
    pub partner_center: CallCount,
    /// How each undocumented Partner Center `$filter` is applied.
    #[serde(default)]
    pub partner_center_filters: Vec<FilterMode>,
}

/// How one undocumented Partner Center `$filter` is applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilterMode {
    /// The filtered property, e.g. `updatedDateTime`.
    pub property: String,
    /// `unknown`, `server`, `client-refused` or `client-ignored`.
    pub mode: String,
    /// The same for a person.
    pub meaning: String,
}

impl FilterMode {
    /// What `client` learnt about each undocumented filter.
    pub fn of(client: &ReferralsClient) -> Vec<Self> {
        UndocumentedFilter::ALL
            .into_iter()
            .map(|filter| {
                let support = client.filter_support(filter);
                Self {
                    property: filter.property().to_owned(),
                    mode: support.as_str().to_owned(),
                    meaning: support.describe().to_owned(),
                }
            })
            .collect()
    }
}

impl ApiUsageReport {
    /// The current figures of a running service.
    pub fn collect(
        metrics: &Metrics,
        org: Option<salesforce::ApiUsage>,
        since: DateTime<Utc>,
        partner_center_filters: Vec<FilterMode>,
    ) -> Self {
        let t = &metrics.totals;
        Self {
            updated_at: Utc::now(),
            since,
            salesforce_org: org,
            salesforce: CallCount {
                calls: t.salesforce_calls.load(Ordering::Relaxed),
                errors: t.salesforce_errors.load(Ordering::Relaxed),
            },
            partner_center: CallCount {
                calls: t.partner_center_calls.load(Ordering::Relaxed),
                errors: t.partner_center_errors.load(Ordering::Relaxed),
            },
            partner_center_filters,
        }
    }

    /// Saves it for `cosell status`.
    pub async fn save(&self, store: &dyn Store) -> store::Result<()> {
        let text = serde_json::to_string(self).unwrap_or_default();
        store.set_cursor(API_USAGE_CURSOR, &text).await
    }

    /// The last saved report, if any (an unreadable one counts as none).
    pub async fn load(store: &dyn Store) -> store::Result<Option<Self>> {
        Ok(store
            .cursor(API_USAGE_CURSOR)
            .await?
            .and_then(|text| serde_json::from_str(&text).ok()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn round_trips_through_the_store() {
        let store = store::open("sqlite::memory:").await.unwrap();
        assert_eq!(ApiUsageReport::load(store.as_ref()).await.unwrap(), None);
        let metrics = Metrics::new();
        metrics.api_call(
            super::super::metrics::REMOTE_SALESFORCE,
            "GET /x".into(),
            Some(200),
        );
        metrics.api_call(
            super::super::metrics::REMOTE_PARTNER_CENTER,
            "GET /y".into(),
            Some(429),
        );
        let report = ApiUsageReport::collect(
            &metrics,
            Some(salesforce::ApiUsage {
                used: 18,
                max: 5000,
            }),
            Utc::now(),
            vec![FilterMode {
                property: "updatedDateTime".into(),
                mode: "client-ignored".into(),
                meaning: "filtered by cosell".into(),
            }],
        );
        report.save(store.as_ref()).await.unwrap();
        let back = ApiUsageReport::load(store.as_ref()).await.unwrap().unwrap();
        assert_eq!(back, report);
        assert_eq!(
            back.salesforce,
            CallCount {
                calls: 1,
                errors: 0
            }
        );
        assert_eq!(
            back.partner_center,
            CallCount {
                calls: 1,
                errors: 1
            }
        );
    }
}
