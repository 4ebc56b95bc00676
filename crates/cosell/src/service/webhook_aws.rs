//! `POST /webhooks/aws`: Partner Central Selling events routed by an
//! EventBridge rule to an API destination
//! (<https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-api-destinations.html>).
//!
//! The API-destination connection's key header is checked before anything
//! is stored (401 otherwise, which EventBridge retries, so a key being
//! rotated is not lost). An event of the configured catalog is stored in the
//! inbox (keyed by the event's `id`, the same on every delivery, so a
//! redelivery is recognised) with its sync job in one transaction; then 200.
//! A body that is not such an event gets 400, which EventBridge does not
//! retry; an unavailable store gets 503, which it does. Events are "best
//! effort": the reconcile poll is the safety net.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use secrecy::ExposeSecret;
use serde_json::json;
use store::{InboxEvent, InboxOutcome};

use super::AppState;

/// Where EventBridge's API destination delivers, under `server.public_url`.
pub const PATH: &str = "/webhooks/aws";

/// A JSON error answer; the message never echoes the request.
fn reject(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

/// Receives one EventBridge delivery.
#[tracing::instrument(name = "webhook_aws", skip_all, fields(body_len = body.len(), event, target))]
pub async fn receive(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (Some(config), Some(side)) = (state.config.aws.as_ref(), state.engine.aws()) else {
        return reject(StatusCode::NOT_FOUND, "not found");
    };
    let presented = headers
        .get(config.webhook_header.as_str())
        .and_then(|v| v.to_str().ok());
    if !aws_partner_central::api_key_matches(config.webhook_key.expose_secret(), presented) {
        state.metrics.webhook_verified("aws_bad_key");
        if let Some(skipped) = state.rejection_log.take() {
            tracing::warn!(
                similar_not_logged = skipped,
                "AWS event rejected: wrong or missing API key"
            );
        }
        return reject(StatusCode::UNAUTHORIZED, "API key verification failed");
    }
    state.metrics.webhook_verified("aws_ok");
    let event = match sync::aws::events::parse(&body, &side.settings().catalog) {
        Ok(event) => event,
        Err(why) => {
            tracing::warn!(%why, "AWS event refused");
            return reject(
                StatusCode::BAD_REQUEST,
                "not a Partner Central event for this catalog",
            );
        }
    };
    let span = tracing::Span::current();
    span.record("event", event.detail_type.as_str());
    span.record("target", event.target.job_key().as_str());
    let resource = match &event.target {
        sync::Target::AwsOpportunity(id) | sync::Target::AwsInvitation(id) => id.clone(),
        other => other.job_key(),
    };
    let inbox = InboxEvent {
        dedup_key: format!("aws:{}", event.id),
        event_name: event.detail_type.clone(),
        resource_id: resource,
        body: serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
        received_at: store::utc_now(),
    };
    let job = sync::aws::feed::job_for(&event.target);
    match state.store.record_webhook(&inbox, &job).await {
        Ok(InboxOutcome::Stored) => {
            tracing::info!("AWS event stored, sync job enqueued");
            (StatusCode::OK, Json(json!({ "status": "accepted" }))).into_response()
        }
        Ok(InboxOutcome::Duplicate) => {
            (StatusCode::OK, Json(json!({ "status": "duplicate" }))).into_response()
        }
        Err(error) => {
            tracing::error!(%error, "could not store the AWS event; EventBridge will retry");
            reject(
                StatusCode::SERVICE_UNAVAILABLE,
                "temporarily unable to accept events; try again",
            )
        }
    }
}
