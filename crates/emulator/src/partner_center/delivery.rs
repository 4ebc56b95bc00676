//! Webhook delivery (<https://learn.microsoft.com/en-us/partner-center/developer/partner-center-webhooks>): PascalCase event bodies signed
//! with RSA-SHA256, POSTed to the registered URL in a background task, up
//! to `webhook_max_attempts` attempts with exponential backoff; every
//! attempt is recorded.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::store::{format_event_time, format_utc};
use super::App;

/// Host Partner Center puts in event `ResourceUri`s (<https://learn.microsoft.com/en-us/partner-center/developer/partner-center-webhooks>).
pub(crate) const EVENT_BASE_URL: &str = "https://api.partnercenter.microsoft.com";
/// The only algorithm Partner Center announces.
const SIGNATURE_ALGORITHM: &str = "rsa-sha256";

/// One delivery attempt of one webhook event, as `GET /_emulator/deliveries` lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    /// Identifies the event; all attempts of one event share it.
    pub id: String,
    /// Event name, e.g. `referral-updated`.
    pub event: String,
    /// The event's `ResourceUri`.
    pub resource_uri: String,
    /// Where it was POSTed.
    pub url: String,
    /// 1-based attempt number.
    pub attempt: u32,
    /// HTTP status the receiver answered, if it answered.
    pub status: Option<u16>,
    /// Connection or timeout error, if it did not.
    pub error: Option<String>,
    /// When the attempt finished (UTC, 7 fractional digits).
    pub delivered_at: String,
    /// The exact body that was signed and sent.
    pub body: String,
}

impl Delivery {
    /// Whether this attempt succeeded (any 2xx, <https://learn.microsoft.com/en-us/partner-center/developer/partner-center-webhooks>).
    pub fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// An event to deliver.
#[derive(Debug, Clone)]
pub(crate) struct Event {
    pub(crate) name: String,
    pub(crate) resource_uri: String,
    pub(crate) resource_name: &'static str,
    pub(crate) changed_at: DateTime<Utc>,
    /// Set for `test-created`, whose outcome the validation-events API reports.
    pub(crate) correlation_id: Option<String>,
}

impl Event {
    /// A referral event pointing at the documented `ResourceUri` (<https://learn.microsoft.com/en-us/partner-center/developer/partner-center-webhooks>).
    pub(crate) fn referral(name: &str, id: &str, changed_at: DateTime<Utc>) -> Self {
        Self {
            name: name.to_owned(),
            resource_uri: format!("{EVENT_BASE_URL}/engagements/v1/referrals/{id}"),
            resource_name: "referral",
            changed_at,
            correlation_id: None,
        }
    }
}

/// The body Partner Center sends, key order as documented.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct EventBody<'a> {
    event_name: &'a str,
    resource_uri: &'a str,
    resource_name: &'a str,
    audit_uri: Option<&'a str>,
    resource_change_utc_date: String,
}

/// The .NET `HttpStatusCode` name the validation-events API reports.
pub(crate) fn status_name(status: u16) -> String {
    match status {
        200 => "OK".into(),
        201 => "Created".into(),
        202 => "Accepted".into(),
        204 => "NoContent".into(),
        400 => "BadRequest".into(),
        401 => "Unauthorized".into(),
        403 => "Forbidden".into(),
        404 => "NotFound".into(),
        405 => "MethodNotAllowed".into(),
        408 => "RequestTimeout".into(),
        429 => "TooManyRequests".into(),
        500 => "InternalServerError".into(),
        502 => "BadGateway".into(),
        503 => "ServiceUnavailable".into(),
        504 => "GatewayTimeout".into(),
        other => other.to_string(),
    }
}

/// Queues `event` for the registered URL, if the registration covers it.
pub(crate) fn enqueue(app: &Arc<App>, event: Event) {
    let Some(target) = app.registration_for(&event.name) else {
        return;
    };
    let body = serde_json::to_string(&EventBody {
        event_name: &event.name,
        resource_uri: &event.resource_uri,
        resource_name: event.resource_name,
        audit_uri: None,
        resource_change_utc_date: format_event_time(event.changed_at),
    })
    .expect("event bodies serialize");
    let signature = STANDARD.encode(app.pki.sign(body.as_bytes()));
    let signature_header = if target.ms_signature_header {
        "x-ms-signature"
    } else {
        "authorization"
    };
    let certificate_url = app.certificate_url();
    let app = Arc::clone(app);
    let mut shutdown = app.shutdown.subscribe();
    let id = uuid::Uuid::new_v4().to_string();
    let runtime = app.runtime.clone();
    app.deliveries_in_flight.fetch_add(1, Ordering::SeqCst);
    runtime.spawn(async move {
        // Counted out however the task ends, even if it is dropped.
        let _in_flight = InFlight(Arc::clone(&app));
        let max_attempts = app.options.webhook_max_attempts.max(1);
        for attempt in 1..=max_attempts {
            if *shutdown.borrow() {
                break;
            }
            let result = app
                .http
                .post(&target.url)
                .header("content-type", "application/json")
                .header(signature_header, format!("Signature {signature}"))
                .header("x-ms-certificate-url", &certificate_url)
                .header("x-ms-signature-algorithm", SIGNATURE_ALGORITHM)
                .body(body.clone())
                .send()
                .await;
            let (status, error) = match result {
                Ok(response) => (Some(response.status().as_u16()), None),
                Err(e) => (None, Some(e.to_string())),
            };
            let record = Delivery {
                id: id.clone(),
                event: event.name.clone(),
                resource_uri: event.resource_uri.clone(),
                url: target.url.clone(),
                attempt,
                status,
                error,
                delivered_at: format_utc(Utc::now()),
                body: body.clone(),
            };
            let done = record.succeeded();
            if let Some(correlation_id) = &event.correlation_id {
                app.record_validation_result(
                    correlation_id,
                    &record,
                    done || attempt == max_attempts,
                );
            }
            app.deliveries
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(record);
            if done || attempt == max_attempts {
                break;
            }
            let wait = backoff(
                app.options.webhook_retry_base,
                app.options.webhook_retry_max,
                attempt,
            );
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = shutdown.changed() => break,
            }
        }
    });
}

/// One event's delivery task; counts the event out when dropped.
struct InFlight(Arc<App>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.deliveries_in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Exponential backoff: base × 2^(attempt−1), capped.
fn backoff(base: Duration, max: Duration, attempt: u32) -> Duration {
    let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
    base.saturating_mul(factor).min(max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let base = Duration::from_millis(100);
        let max = Duration::from_secs(1);
        assert_eq!(backoff(base, max, 1), base);
        assert_eq!(backoff(base, max, 3), Duration::from_millis(400));
        assert_eq!(backoff(base, max, 30), max);
    }

    #[test]
    fn body_is_pascal_case_in_documented_order() {
        let at = DateTime::parse_from_rfc3339("2018-02-17T00:05:39.5485487Z")
            .unwrap()
            .with_timezone(&Utc);
        let event = Event::referral("referral-updated", "abc", at);
        let body = serde_json::to_string(&EventBody {
            event_name: &event.name,
            resource_uri: &event.resource_uri,
            resource_name: event.resource_name,
            audit_uri: None,
            resource_change_utc_date: format_event_time(event.changed_at),
        })
        .unwrap();
        assert_eq!(
            body,
            r#"{"EventName":"referral-updated","ResourceUri":"https://api.partnercenter.microsoft.com/engagements/v1/referrals/abc","ResourceName":"referral","AuditUri":null,"ResourceChangeUtcDate":"2018-02-17T00:05:39.5485487+00:00"}"#
        );
    }
}
