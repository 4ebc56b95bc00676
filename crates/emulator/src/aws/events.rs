//! Events as EventBridge delivers them through an API destination: the
//! EventBridge envelope (`version`, `id`, `detail-type`, `source`
//! `aws.partnercentral-selling`, `account`, `time`, `region`, `resources`,
//! `detail`) POSTed as JSON with the connection's API-key header.
//!
//! Event types and the `detail` members (`schemaVersion`, `catalog`, and the
//! `opportunity` or `engagementInvitation` identifier):
//! <https://docs.aws.amazon.com/partner-central/latest/APIReference/selling-api-events.html>.
//! Envelope: <https://docs.aws.amazon.com/eventbridge/latest/ref/overiew-event-structure.html>.
//! Retries: EventBridge retries an API destination on 401, 407, 409, 429 and
//! 5xx and on timeouts, and drops the event on other answers
//! (<https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-api-destinations.html>);
//! "best effort", so a receiver must reconcile anyway.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio::sync::watch;

use super::{time, Options};

/// `source` of every Partner Central Selling event.
pub(crate) const SOURCE: &str = "aws.partnercentral-selling";
/// Timeout of one delivery attempt (API destinations allow 5 seconds).
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(5);

/// Where events go: an API destination with an API-key connection.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventTarget {
    /// The HTTP(S) endpoint.
    pub url: String,
    /// The connection's API-key header name, e.g. `x-api-key`.
    pub header_name: String,
    /// Its value (a secret; never logged).
    pub header_value: String,
}

impl std::fmt::Debug for EventTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventTarget")
            .field("url", &self.url)
            .field("header_name", &self.header_name)
            .field("header_value", &"<redacted>")
            .finish()
    }
}

/// One delivery attempt, as `GET /_emulator/aws/deliveries` lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    /// The event's `id`; every attempt of one event shares it.
    pub id: String,
    /// `detail-type`.
    pub detail_type: String,
    /// Where it was POSTed.
    pub url: String,
    /// 1-based attempt number.
    pub attempt: u32,
    /// HTTP status the receiver answered, if it answered.
    pub status: Option<u16>,
    /// Connection or timeout error, if it did not.
    pub error: Option<String>,
    /// The exact body sent.
    pub body: String,
}

impl Delivery {
    /// Whether the receiver took it (2xx).
    pub fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// Publishes events to the current target in background tasks.
pub(crate) struct Bus {
    target: Mutex<Option<EventTarget>>,
    deliveries: Arc<Mutex<Vec<Delivery>>>,
    http: reqwest::Client,
    region: String,
    max_attempts: u32,
    retry_base: Duration,
    shutdown: watch::Receiver<bool>,
}

impl Bus {
    /// A bus configured from `options`.
    pub(crate) fn new(options: &Options, shutdown: watch::Receiver<bool>) -> std::io::Result<Self> {
        let http = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(ATTEMPT_TIMEOUT)
            .build()
            .map_err(std::io::Error::other)?;
        Ok(Self {
            target: Mutex::new(options.event_target.clone()),
            deliveries: Arc::default(),
            http,
            region: options.region.clone(),
            max_attempts: options.event_max_attempts.max(1),
            retry_base: options.event_retry_base,
            shutdown,
        })
    }

    /// Replaces the target.
    pub(crate) fn set_target(&self, target: Option<EventTarget>) {
        *self.target.lock().unwrap_or_else(|p| p.into_inner()) = target;
    }

    /// Every attempt so far.
    pub(crate) fn deliveries(&self) -> Vec<Delivery> {
        self.deliveries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Publishes one event: `detail_type` such as `Opportunity Updated`, the
    /// owning `account`, the `resource` ARN and the `detail` object.
    pub(crate) fn publish(
        &self,
        detail_type: &str,
        account: &str,
        resource: String,
        detail: Value,
    ) {
        let Some(target) = self
            .target
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
        else {
            return;
        };
        let id = uuid::Uuid::new_v4().to_string();
        let body = json!({
            "version": "0",
            "id": id,
            "detail-type": detail_type,
            "source": SOURCE,
            "account": account,
            "time": time::now_millis().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            "region": self.region,
            "resources": [resource],
            "detail": detail,
        })
        .to_string();
        let job = Attempts {
            id,
            detail_type: detail_type.to_owned(),
            target,
            body,
            http: self.http.clone(),
            log: Arc::clone(&self.deliveries),
            max_attempts: self.max_attempts,
            retry_base: self.retry_base,
        };
        let mut shutdown = self.shutdown.clone();
        tokio::spawn(async move {
            tokio::select! {
                () = job.run() => {}
                _ = shutdown.wait_for(|stop| *stop) => {}
            }
        });
    }
}

/// `detail` of an opportunity event.
pub(crate) fn opportunity_detail(catalog: &str, id: &str) -> Value {
    json!({"schemaVersion": "1", "catalog": catalog, "opportunity": {"identifier": id}})
}

/// `detail` of an engagement invitation event.
pub(crate) fn invitation_detail(catalog: &str, id: &str, arn: &str) -> Value {
    json!({"schemaVersion": "1", "catalog": catalog, "engagementInvitation": {"id": id, "arn": arn}})
}

/// The delivery attempts of one event.
struct Attempts {
    id: String,
    detail_type: String,
    target: EventTarget,
    body: String,
    http: reqwest::Client,
    log: Arc<Mutex<Vec<Delivery>>>,
    max_attempts: u32,
    retry_base: Duration,
}

/// Statuses after which EventBridge tries again.
fn retryable(status: u16) -> bool {
    matches!(status, 401 | 407 | 409 | 429) || status >= 500
}

impl Attempts {
    async fn run(self) {
        let mut delay = self.retry_base;
        for attempt in 1..=self.max_attempts {
            let sent = self
                .http
                .post(&self.target.url)
                .header(
                    reqwest::header::CONTENT_TYPE,
                    "application/json; charset=utf-8",
                )
                .header(
                    self.target.header_name.as_str(),
                    self.target.header_value.as_str(),
                )
                .body(self.body.clone())
                .send()
                .await;
            let (status, error) = match sent {
                Ok(r) => (Some(r.status().as_u16()), None),
                Err(e) => (None, Some(e.without_url().to_string())),
            };
            self.log
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(Delivery {
                    id: self.id.clone(),
                    detail_type: self.detail_type.clone(),
                    url: self.target.url.clone(),
                    attempt,
                    status,
                    error,
                    body: self.body.clone(),
                });
            if !status.is_none_or(retryable) {
                return;
            }
            tokio::time::sleep(delay).await;
            delay = delay.saturating_mul(2);
        }
    }
}
