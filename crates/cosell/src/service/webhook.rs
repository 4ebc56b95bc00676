//! `POST /webhooks/partner-center`: Partner Center's change notifications.
//!
//! The signature is verified over the raw body bytes before anything is
//! stored (<https://learn.microsoft.com/en-us/partner-center/developer/partner-center-webhooks>: process only if valid, else
//! 401; 400 for a missing certificate URL or algorithm). A verified referral
//! event is stored in the inbox (keyed by the SHA-256 of the raw body, so an
//! exact redelivery is recognised) and its sync job enqueued in the same
//! transaction; only then is 200 returned. When the store is unavailable the
//! answer is 503 so Partner Center delivers again (it tries 10 times, <https://learn.microsoft.com/en-us/partner-center/developer/partner-center-webhooks>).
//! The event is only a trigger: the worker re-reads the referral.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use partner_center::wire::WebhookEvent;
use partner_center::SignatureError;
use serde_json::json;
use store::{InboxEvent, InboxOutcome};
use sync::Target;

use super::poller::change_job;
use super::AppState;

/// Event names that mean "this referral changed" (<https://learn.microsoft.com/en-us/partner-center/developer/partner-center-webhook-events>).
pub const REFERRAL_EVENTS: [&str; 4] = [
    "referral-created",
    "referral-updated",
    "related-referral-created",
    "related-referral-updated",
];

/// Hex SHA-256 of the raw body: the inbox dedup key.
pub fn body_digest(body: &[u8]) -> String {
    hex::encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, body))
}

/// The event's name as sent.
fn event_name(event: &WebhookEvent) -> Option<String> {
    let value = serde_json::to_value(event.event_name.as_ref()?).ok()?;
    value.as_str().map(str::to_owned)
}

/// The metrics label of a rejected delivery.
fn rejection_label(error: &SignatureError) -> &'static str {
    match error {
        SignatureError::MissingSignature => "missing_signature",
        SignatureError::MissingCertificateUrl
        | SignatureError::MissingAlgorithm
        | SignatureError::BadAlgorithm(_) => "bad_headers",
        SignatureError::CertUrlNotAllowed(_) => "cert_url_not_allowed",
        SignatureError::CertFetch(_) => "cert_unavailable",
        SignatureError::CertParse(_)
        | SignatureError::CertExpired
        | SignatureError::CertNotYetValid
        | SignatureError::UntrustedChain
        | SignatureError::WrongIssuerOrganization => "untrusted_certificate",
        SignatureError::BadSignature => "bad_signature",
        SignatureError::BodyTooLarge => "too_large",
        SignatureError::MalformedBody(_) => "malformed",
        SignatureError::InvalidConfig(_) => "misconfigured",
    }
}

/// A JSON error answer; the message never echoes the request.
fn reject(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

/// Receives one Partner Center webhook delivery.
#[tracing::instrument(name = "webhook", skip_all, fields(body_len = body.len(), event, referral_id))]
pub async fn receive(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let received_at = store::utc_now();
    let Some(verifier) = state.verifier.as_ref() else {
        state.metrics.webhook_verified("no_trust_anchor");
        if let Some(skipped) = state.rejection_log.take() {
            tracing::warn!(similar_not_logged = skipped, "webhook rejected: partner_center.webhook_trust_anchors_file is not set, so no signature can be trusted");
        }
        return reject(StatusCode::UNAUTHORIZED, "signature cannot be verified");
    };
    let event = match verifier.verify(&headers, &body).await {
        Ok(event) => event,
        Err(error) => {
            let label = rejection_label(&error);
            state.metrics.webhook_verified(label);
            let status =
                StatusCode::from_u16(error.http_status()).unwrap_or(StatusCode::UNAUTHORIZED);
            // Anyone can send these: sampled, while /metrics counts each one.
            if let Some(skipped) = state.rejection_log.take() {
                tracing::warn!(%error, status = status.as_u16(), similar_not_logged = skipped, "webhook rejected");
            }
            let message = match status {
                StatusCode::BAD_REQUEST => "malformed webhook request",
                StatusCode::PAYLOAD_TOO_LARGE => "body too large",
                StatusCode::SERVICE_UNAVAILABLE => "signing certificate unavailable; try again",
                StatusCode::UNAUTHORIZED => "signature verification failed",
                _ => "webhook rejected",
            };
            return reject(status, message);
        }
    };
    state.metrics.webhook_verified("ok");
    let name = event_name(&event).unwrap_or_default();
    let span = tracing::Span::current();
    span.record("event", name.as_str());
    if !REFERRAL_EVENTS.contains(&name.as_str()) {
        // Validation (`test-created`) and events we did not subscribe to:
        // acknowledged so Partner Center does not retry, nothing to sync.
        tracing::info!("webhook acknowledged without a job");
        return (StatusCode::OK, Json(json!({ "status": "ignored" }))).into_response();
    }
    let Some(referral_id) = event.referral_id() else {
        tracing::warn!("referral event without a referral id in ResourceUri");
        return reject(StatusCode::BAD_REQUEST, "event names no referral");
    };
    span.record("referral_id", referral_id.as_str());
    let body_json = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
    let inbox = InboxEvent {
        dedup_key: body_digest(&body),
        event_name: name,
        resource_id: referral_id.clone(),
        body: body_json,
        received_at,
    };
    let changed_at = event
        .resource_change_utc_date
        .as_ref()
        .and_then(|t| t.to_utc());
    let job = change_job(&Target::Referral(referral_id), changed_at);
    match state.store.record_webhook(&inbox, &job).await {
        Ok(InboxOutcome::Stored) => {
            tracing::info!("webhook stored, sync job enqueued");
            (StatusCode::OK, Json(json!({ "status": "accepted" }))).into_response()
        }
        Ok(InboxOutcome::Duplicate) => {
            tracing::info!("duplicate webhook ignored");
            (StatusCode::OK, Json(json!({ "status": "duplicate" }))).into_response()
        }
        Err(error) => {
            tracing::error!(%error, "could not store the webhook; Partner Center will retry");
            reject(
                StatusCode::SERVICE_UNAVAILABLE,
                "temporarily unable to accept events; try again",
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_is_sha256_hex() {
        assert_eq!(
            body_digest(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn event_names_are_read_as_sent() {
        let event: WebhookEvent =
            serde_json::from_str(r#"{"EventName":"related-referral-updated"}"#).unwrap();
        assert_eq!(
            event_name(&event).as_deref(),
            Some("related-referral-updated")
        );
        let event: WebhookEvent = serde_json::from_str(r#"{"EventName":"test-created"}"#).unwrap();
        assert_eq!(event_name(&event).as_deref(), Some("test-created"));
    }

    #[test]
    fn rejections_have_stable_labels() {
        assert_eq!(
            rejection_label(&SignatureError::BadSignature),
            "bad_signature"
        );
        assert_eq!(
            rejection_label(&SignatureError::MissingSignature),
            "missing_signature"
        );
        assert_eq!(rejection_label(&SignatureError::BodyTooLarge), "too_large");
    }
}
