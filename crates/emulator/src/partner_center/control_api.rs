//! The emulator's control API under `/_emulator` (no auth, not counted, not
//! faulted): Microsoft-seller actions, delivery log, trust material, call
//! counts, fault injection, reset.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use super::engagement::MicrosoftAnswer;
use super::error::ApiError;
use super::{pki, App, Data};
use crate::control::FaultConfig;

/// The routes.
pub(crate) fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/_emulator/referrals", post(share).get(all))
        .route(
            "/_emulator/referrals/{id}",
            patch(microsoft_update).get(one),
        )
        .route(
            "/_emulator/referrals/{id}/microsoft",
            post(microsoft_answer),
        )
        .route("/_emulator/clock", post(advance_clock).get(clock))
        .route("/_emulator/deliveries", get(deliveries))
        .route("/_emulator/ca", get(ca))
        .route("/_emulator/cert/{file}", get(cert))
        .route("/_emulator/calls", get(calls))
        .route("/_emulator/faults", post(set_faults).get(faults))
        .route("/_emulator/reset", post(reset))
}

fn parse(body: &Bytes) -> Result<Value, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::invalid(format!("The request body is not valid JSON: {e}.")))
}

async fn share(State(app): State<Arc<App>>, body: Bytes) -> Result<Response, ApiError> {
    let body = if body.is_empty() {
        Value::Object(Default::default())
    } else {
        parse(&body)?
    };
    let referral = app.share_incoming(body)?;
    Ok((StatusCode::CREATED, Json(referral)).into_response())
}

async fn microsoft_update(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let referral = app.microsoft_update(&id, parse(&body)?)?;
    Ok(Json(referral).into_response())
}

/// Microsoft answers the referral addressed to it:
/// `{"decision":"accept","msxId":"…","seller":{…}}` or `{"decision":"decline","reason":"…"}`.
async fn microsoft_answer(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let answer: MicrosoftAnswer = serde_json::from_slice(&body).map_err(|e| {
        ApiError::invalid(format!(
            "Expected {{\"decision\":\"accept\",\"msxId\":\"…\"}} or {{\"decision\":\"decline\",\"reason\":\"…\"}}: {e}."
        ))
    })?;
    Ok(Json(app.microsoft_answer(&id, answer)?).into_response())
}

/// `{"advanceSeconds": N}` moves the clock forward; answers `{"now": …}`.
async fn advance_clock(State(app): State<Arc<App>>, body: Bytes) -> Result<Response, ApiError> {
    let seconds = parse(&body)?["advanceSeconds"].as_u64().ok_or_else(|| {
        ApiError::invalid_at(
            "advanceSeconds",
            "Send {\"advanceSeconds\": N} with N a whole number of seconds.",
        )
    })?;
    let by = i64::try_from(seconds)
        .ok()
        .and_then(chrono::Duration::try_seconds)
        .ok_or_else(|| ApiError::invalid_at("advanceSeconds", "The clock cannot move that far."))?;
    let now = app.advance_clock(by);
    Ok(Json(json!({ "now": now })).into_response())
}

async fn clock(State(app): State<Arc<App>>) -> Json<Value> {
    Json(json!({ "now": app.now() }))
}

async fn all(State(app): State<Arc<App>>) -> Json<Vec<Value>> {
    Json(app.rendered_all())
}

async fn one(State(app): State<Arc<App>>, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    app.rendered(&id)
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("Referral {id} was not found.")))
}

async fn deliveries(State(app): State<Arc<App>>) -> Response {
    Json(
        app.deliveries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone(),
    )
    .into_response()
}

async fn ca(State(app): State<Arc<App>>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/x-pem-file")],
        app.pki.ca_pem.clone(),
    )
        .into_response()
}

async fn cert(State(app): State<Arc<App>>, Path(file): Path<String>) -> Response {
    if file == format!("{}.cer", pki::LEAF_NAME) {
        (
            [(header::CONTENT_TYPE, "application/pkix-cert")],
            app.pki.leaf_der.clone(),
        )
            .into_response()
    } else {
        ApiError::not_found(format!("No certificate named {file}.")).into_response()
    }
}

async fn calls(State(app): State<Arc<App>>) -> Response {
    Json(app.control.calls()).into_response()
}

async fn faults(State(app): State<Arc<App>>) -> Response {
    Json(app.control.faults()).into_response()
}

async fn set_faults(State(app): State<Arc<App>>, body: Bytes) -> Result<Response, ApiError> {
    let config: FaultConfig = serde_json::from_slice(&body)
        .map_err(|e| ApiError::invalid(format!("Invalid fault configuration: {e}.")))?;
    app.control
        .set_faults(config.clone())
        .map_err(ApiError::invalid)?;
    Ok(Json(config).into_response())
}

/// Forgets referrals, the webhook registration, test events, deliveries,
/// call counts and faults. Issued tokens stay valid.
async fn reset(State(app): State<Arc<App>>) -> StatusCode {
    *app.data() = Data::default();
    app.deliveries
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clear();
    app.control.reset();
    StatusCode::NO_CONTENT
}
