//! Prometheus metrics of one service instance, in their own [`Registry`] so
//! parallel instances (tests) never share counters: jobs by state, sync
//! latency per direction, remote API calls and errors per endpoint, webhook
//! verifications by result, and poll lag per poller.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use partner_center::UndocumentedFilter;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use store::JobCounts;

use crate::connect::Observers;
use crate::credential_health::CredentialHealth;

/// Smallest sync-latency bucket, in seconds.
const LATENCY_BUCKET_START: f64 = 0.005;
/// Factor between latency buckets.
const LATENCY_BUCKET_FACTOR: f64 = 2.0;
/// Number of latency buckets (5 ms … about 5.8 hours).
const LATENCY_BUCKET_COUNT: u16 = 22;
/// First HTTP status that counts as an API error.
const FIRST_ERROR_STATUS: u16 = 400;

/// Which way a sync wrote.
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq)]
pub enum Direction {
    /// Partner Center change written to Salesforce.
    PcToSf,
    /// Salesforce change written to Partner Center.
    SfToPc,
}

impl Direction {
    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::PcToSf => "pc_to_sf",
            Direction::SfToPc => "sf_to_pc",
        }
    }
}

/// Labels of the sync latency histogram.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DirectionLabels {
    /// `pc_to_sf` or `sf_to_pc`.
    pub direction: &'static str,
}

/// Labels of the API call counters.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ApiLabels {
    /// `partner_center` or `salesforce`.
    pub remote: &'static str,
    /// `METHOD /route/{template}` (no ids, bounded cardinality).
    pub endpoint: String,
}

/// Labels of a single string label.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ResultLabels {
    /// The outcome, e.g. `ok`, `bad_signature`.
    pub result: &'static str,
}

/// Labels of a refusal.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabels {
    /// Why, e.g. `per_ip_limit`.
    pub reason: &'static str,
}

/// Labels of the job gauge.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StateLabels {
    /// Job state.
    pub state: &'static str,
}

/// Labels of the credential expiry gauge.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CredentialLabels {
    /// The credential's name in the store, e.g. `partner_center.refresh_token`.
    pub credential: String,
}

/// Labels of the poll lag gauge.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PollerLabels {
    /// `salesforce` or `partner_center`.
    pub poller: &'static str,
}

/// Labels of the Partner Center filter-mode gauge.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct FilterLabels {
    /// The filtered property, e.g. `updatedDateTime`.
    pub property: &'static str,
    /// `unknown`, `server`, `client-refused` or `client-ignored`.
    pub mode: &'static str,
}

/// Raw API call totals, kept beside the counters so `cosell status` can show them.
#[derive(Debug, Default)]
pub struct CallTotals {
    /// Partner Center HTTP attempts.
    pub partner_center_calls: AtomicU64,
    /// Partner Center attempts that failed.
    pub partner_center_errors: AtomicU64,
    /// Salesforce HTTP attempts.
    pub salesforce_calls: AtomicU64,
    /// Salesforce attempts that failed.
    pub salesforce_errors: AtomicU64,
}

fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(
        LATENCY_BUCKET_START,
        LATENCY_BUCKET_FACTOR,
        LATENCY_BUCKET_COUNT,
    ))
}

/// Every metric of one service instance.
pub struct Metrics {
    registry: Registry,
    jobs: Family<StateLabels, Gauge>,
    sync_latency: Family<DirectionLabels, Histogram, fn() -> Histogram>,
    api_calls: Family<ApiLabels, Counter>,
    api_errors: Family<ApiLabels, Counter>,
    webhook_verifications: Family<ResultLabels, Counter>,
    already_seen: Counter,
    poll_lag: Family<PollerLabels, Gauge<f64, AtomicU64>>,
    credential_expiry: Family<CredentialLabels, Gauge<f64, AtomicU64>>,
    partner_center_filters: Family<FilterLabels, Gauge>,
    connections_open: Gauge,
    connections_refused: Family<ReasonLabels, Counter>,
    /// Totals for `cosell status`.
    pub totals: CallTotals,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A fresh registry with every metric registered.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("cosell");
        let jobs = Family::<StateLabels, Gauge>::default();
        registry.register("jobs", "Durable jobs by state", jobs.clone());
        let sync_latency =
            Family::<DirectionLabels, Histogram, fn() -> Histogram>::new_with_constructor(
                latency_histogram,
            );
        registry.register(
            "sync_latency_seconds",
            "Time from a change being noticed (webhook received or change polled) to the other side written",
            sync_latency.clone(),
        );
        let api_calls = Family::<ApiLabels, Counter>::default();
        registry.register(
            "api_calls",
            "HTTP attempts to the remote APIs, per remote and endpoint",
            api_calls.clone(),
        );
        let api_errors = Family::<ApiLabels, Counter>::default();
        registry.register(
            "api_errors",
            "HTTP attempts to the remote APIs that failed (no answer or status >= 400)",
            api_errors.clone(),
        );
        let webhook_verifications = Family::<ResultLabels, Counter>::default();
        registry.register(
            "webhook_verifications",
            "Partner Center webhook deliveries by verification result",
            webhook_verifications.clone(),
        );
        let already_seen = Counter::default();
        registry.register(
            "changes_already_seen",
            "Jobs for a referral change the pair's last sync had already seen (cosell's own write coming back, or one change reported twice), settled without a read",
            already_seen.clone(),
        );
        let poll_lag = Family::<PollerLabels, Gauge<f64, AtomicU64>>::default();
        registry.register(
            "poll_lag_seconds",
            "Seconds since the last successful poll, per poller",
            poll_lag.clone(),
        );
        let credential_expiry = Family::<CredentialLabels, Gauge<f64, AtomicU64>>::default();
        registry.register(
            "credential_expiry_seconds",
            "Seconds until each stored credential is expected to expire (negative once past)",
            credential_expiry.clone(),
        );
        let partner_center_filters = Family::<FilterLabels, Gauge>::default();
        registry.register(
            "partner_center_filter_mode",
            "1 for the way each undocumented Partner Center $filter is applied (server, or client after the service refused or ignored it)",
            partner_center_filters.clone(),
        );
        let connections_open = Gauge::default();
        registry.register(
            "http_connections_open",
            "HTTP connections open on both listeners",
            connections_open.clone(),
        );
        let connections_refused = Family::<ReasonLabels, Counter>::default();
        registry.register(
            "http_connections_refused",
            "HTTP connections closed at once because a connection limit was reached",
            connections_refused.clone(),
        );
        Self {
            registry,
            connections_open,
            connections_refused,
            jobs,
            sync_latency,
            api_calls,
            api_errors,
            webhook_verifications,
            already_seen,
            poll_lag,
            credential_expiry,
            partner_center_filters,
            totals: CallTotals::default(),
        }
    }

    /// Sets the job gauges.
    pub fn set_job_counts(&self, counts: &JobCounts) {
        for (state, n) in [
            ("pending", counts.pending),
            ("running", counts.running),
            ("done", counts.done),
            ("dead", counts.dead),
        ] {
            self.jobs
                .get_or_create(&StateLabels { state })
                .set(i64::try_from(n).unwrap_or(i64::MAX));
        }
    }

    /// Sets the expiry gauge of each stored credential whose expiry is known.
    pub fn set_credential_expiry(&self, credentials: &[CredentialHealth], now: DateTime<Utc>) {
        for c in credentials {
            if let Some(left) = c.expires_in(now) {
                self.credential_expiry
                    .get_or_create(&CredentialLabels {
                        credential: c.credential.clone(),
                    })
                    .set(left.num_milliseconds() as f64 / 1000.0);
            }
        }
    }

    /// Records one synced write and how long after the change it happened.
    pub fn observe_sync(&self, direction: Direction, latency: Duration) {
        self.sync_latency
            .get_or_create(&DirectionLabels {
                direction: direction.as_str(),
            })
            .observe(latency.as_secs_f64());
    }

    /// Counts a webhook delivery by verification result.
    pub fn webhook_verified(&self, result: &'static str) {
        self.webhook_verifications
            .get_or_create(&ResultLabels { result })
            .inc();
    }

    /// Counts a job settled because its change was already seen.
    pub fn change_already_seen(&self) {
        self.already_seen.inc();
    }

    /// Counts a connection opened (`+1`) or closed (`-1`).
    pub fn connection_open(&self, delta: i64) {
        self.connections_open.inc_by(delta);
    }

    /// Counts a connection refused for `reason`.
    pub fn connection_refused(&self, reason: &'static str) {
        self.connections_refused
            .get_or_create(&ReasonLabels { reason })
            .inc();
    }

    /// Sets the poll lag of `poller`.
    pub fn set_poll_lag(&self, poller: &'static str, lag: Duration) {
        self.poll_lag
            .get_or_create(&PollerLabels { poller })
            .set(lag.as_secs_f64());
    }

    /// Shows how each undocumented Partner Center filter is applied now.
    pub fn set_filter_modes(&self, client: &partner_center::ReferralsClient) {
        self.partner_center_filters.clear();
        for filter in UndocumentedFilter::ALL {
            self.partner_center_filters
                .get_or_create(&FilterLabels {
                    property: filter.property(),
                    mode: client.filter_support(filter).as_str(),
                })
                .set(1);
        }
    }

    /// Counts one remote API attempt.
    pub fn api_call(&self, remote: &'static str, endpoint: String, status: Option<u16>) {
        let failed = status.is_none_or(|s| s >= FIRST_ERROR_STATUS);
        let labels = ApiLabels { remote, endpoint };
        self.api_calls.get_or_create(&labels).inc();
        if failed {
            self.api_errors.get_or_create(&labels).inc();
        }
        let (calls, errors) = if remote == REMOTE_PARTNER_CENTER {
            (
                &self.totals.partner_center_calls,
                &self.totals.partner_center_errors,
            )
        } else {
            (
                &self.totals.salesforce_calls,
                &self.totals.salesforce_errors,
            )
        };
        calls.fetch_add(1, Ordering::Relaxed);
        if failed {
            errors.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Client observers that feed [`Self::api_call`].
    pub fn observers(self: &Arc<Self>) -> Observers {
        let pc = Arc::clone(self);
        let sf = Arc::clone(self);
        let partner_center: partner_center::CallObserver =
            Arc::new(move |call: &partner_center::CallRecord| {
                pc.api_call(
                    REMOTE_PARTNER_CENTER,
                    format!("{} {}{}", call.method, api_prefix(call.api), call.route),
                    call.status,
                );
            });
        let salesforce: Arc<dyn salesforce::CallObserver> =
            Arc::new(move |call: &salesforce::client::CallEvent<'_>| {
                sf.api_call(
                    REMOTE_SALESFORCE,
                    format!("{} {}", call.method, call.route),
                    call.status,
                );
            });
        Observers {
            partner_center: Some(partner_center),
            salesforce: Some(salesforce),
        }
    }

    /// The Prometheus text exposition of every metric.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

/// `remote` label of Partner Center calls.
pub const REMOTE_PARTNER_CENTER: &str = "partner_center";
/// `remote` label of Salesforce calls.
pub const REMOTE_SALESFORCE: &str = "salesforce";

/// The Partner Center API a route belongs to, so routes of different APIs stay apart.
fn api_prefix(api: partner_center::observer::Api) -> &'static str {
    match api {
        partner_center::observer::Api::Referrals => "referrals:",
        partner_center::observer::Api::Webhooks => "webhooks:",
        partner_center::observer::Api::Token => "token:",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposition_has_every_family() {
        let metrics = Metrics::new();
        metrics.set_job_counts(&JobCounts {
            pending: 3,
            running: 1,
            done: 7,
            dead: 2,
        });
        metrics.observe_sync(Direction::PcToSf, Duration::from_millis(40));
        metrics.webhook_verified("ok");
        metrics.set_poll_lag("salesforce", Duration::from_secs(2));
        let now = Utc::now();
        let credential = CredentialHealth::of(&store::StoredCredential {
            name: "partner_center.refresh_token".into(),
            version: 1,
            sealed: Vec::new(),
            signed_in_at: now,
            obtained_at: now,
            expires_at: Some(now + chrono::TimeDelta::seconds(90)),
            last_refresh_at: None,
            last_error: None,
            last_error_at: None,
            mfa: Some(true),
        });
        metrics.set_credential_expiry(&[credential], now);
        metrics.api_call(REMOTE_SALESFORCE, "GET /query".into(), Some(200));
        metrics.api_call(REMOTE_SALESFORCE, "GET /query".into(), Some(503));
        metrics.api_call(
            REMOTE_PARTNER_CENTER,
            "GET referrals:/referrals".into(),
            None,
        );
        let text = metrics.encode();
        for needle in [
            "cosell_jobs{state=\"pending\"} 3",
            "cosell_jobs{state=\"dead\"} 2",
            "cosell_sync_latency_seconds_count{direction=\"pc_to_sf\"} 1",
            "cosell_webhook_verifications_total{result=\"ok\"} 1",
            "cosell_poll_lag_seconds{poller=\"salesforce\"} 2",
            "cosell_credential_expiry_seconds{credential=\"partner_center.refresh_token\"} 90",
            "cosell_api_calls_total{remote=\"salesforce\",endpoint=\"GET /query\"} 2",
            "cosell_api_errors_total{remote=\"salesforce\",endpoint=\"GET /query\"} 1",
            "cosell_api_errors_total{remote=\"partner_center\",endpoint=\"GET referrals:/referrals\"} 1",
        ] {
            assert!(text.contains(needle), "missing {needle} in\n{text}");
        }
        assert_eq!(metrics.totals.salesforce_calls.load(Ordering::Relaxed), 2);
        assert_eq!(metrics.totals.salesforce_errors.load(Ordering::Relaxed), 1);
        assert_eq!(
            metrics.totals.partner_center_errors.load(Ordering::Relaxed),
            1
        );
    }

    #[test]
    fn instances_do_not_share_counters() {
        let a = Metrics::new();
        let b = Metrics::new();
        a.webhook_verified("ok");
        assert!(!b.encode().contains("result=\"ok\"} 1"));
    }
}
