//! The Partner Center Webhooks API under `/webhooks/v1/registration`
//! (<https://learn.microsoft.com/en-us/partner-center/developer/partner-center-webhooks>): view, register, update, list events, request and track
//! test events. Bodies are PascalCase; the token audience is
//! `https://api.partnercenter.microsoft.com`; one registration per tenant.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use super::auth::{authorize, PARTNER_CENTER_AUDIENCE};
use super::delivery::{self, Event, EVENT_BASE_URL};
use super::error::{ApiError, ErrorCode};
use super::http::{json_body, method_not_allowed};
use super::{App, Registration, Validation};

/// Events a registration may name (<https://learn.microsoft.com/en-us/partner-center/developer/partner-center-webhook-events>; the referral ones are delivered).
const EVENTS: &[&str] = &[
    "test-created",
    "referral-created",
    "referral-updated",
    "related-referral-created",
    "related-referral-updated",
    "subscription-updated",
    "usagerecords-thresholdExceeded",
    "invoice-ready",
    "azure-fraud-event-detected",
    "dap-admin-relationship-approved",
    "dap-admin-relationship-terminated",
    "granular-admin-relationship-approved",
    "granular-admin-relationship-created",
    "granular-admin-relationship-terminated",
];
/// The window of the test-event throttle (<https://learn.microsoft.com/en-us/partner-center/developer/partner-center-webhooks>: 2 per minute).
const VALIDATION_WINDOW: Duration = Duration::from_secs(60);

/// The routes.
pub(crate) fn routes() -> Router<Arc<App>> {
    Router::new()
        .route(
            "/webhooks/v1/registration",
            get(view)
                .post(register)
                .put(update)
                .fallback(|m: Method| async move { method_not_allowed(&m, "GET, POST, PUT") }),
        )
        .route("/webhooks/v1/registration/events", get(events))
        .route(
            "/webhooks/v1/registration/validationEvents",
            post(request_test),
        )
        .route(
            "/webhooks/v1/registration/validationEvents/{correlation_id}",
            get(test_status),
        )
}

fn check(app: &App, headers: &HeaderMap) -> Result<(), ApiError> {
    authorize(app, headers, PARTNER_CENTER_AUDIENCE, false)
}

fn no_registration() -> ApiError {
    ApiError::not_found("No webhook registration exists for this partner tenant.")
}

/// Reads `{WebhookUrl, WebhookEvents, SignatureTokenToMsSignatureHeader}`, keys case-insensitive.
fn read_registration(body: &Value) -> Result<(String, Vec<String>, bool), ApiError> {
    let Value::Object(fields) = body else {
        return Err(ApiError::invalid(
            "The request body must be a registration object.",
        ));
    };
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    };
    let url = field("WebhookUrl")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::invalid_at("WebhookUrl", "WebhookUrl is required."))?;
    let parsed = url::Url::parse(url).map_err(|_| {
        ApiError::invalid_at("WebhookUrl", format!("'{url}' is not an absolute URL."))
    })?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
        return Err(ApiError::invalid_at(
            "WebhookUrl",
            "WebhookUrl must be an http or https URL.",
        ));
    }
    let events = field("WebhookEvents")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            ApiError::invalid_at(
                "WebhookEvents",
                "WebhookEvents must be a list of event names.",
            )
        })?;
    if events.is_empty() {
        return Err(ApiError::invalid_at(
            "WebhookEvents",
            "Register at least one event.",
        ));
    }
    let events = events
        .iter()
        .map(|e| {
            let name = e.as_str().unwrap_or_default();
            EVENTS
                .iter()
                .find(|known| known.eq_ignore_ascii_case(name))
                .map(|known| (*known).to_owned())
                .ok_or_else(|| {
                    ApiError::invalid_at(
                        "WebhookEvents",
                        format!("'{e}' is not a supported webhook event."),
                    )
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let ms_header = match field("SignatureTokenToMsSignatureHeader") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            return Err(ApiError::invalid_at(
                "SignatureTokenToMsSignatureHeader",
                "must be a boolean.",
            ))
        }
    };
    Ok((url.to_owned(), events, ms_header))
}

fn registered(registration: &Registration) -> Value {
    json!({
        "SubscriberId": registration.subscriber_id,
        "WebhookUrl": registration.url,
        "WebhookEvents": registration.events,
    })
}

async fn view(State(app): State<Arc<App>>, headers: HeaderMap) -> Result<Response, ApiError> {
    check(&app, &headers)?;
    let registration = app
        .data()
        .registration
        .clone()
        .ok_or_else(no_registration)?;
    Ok(
        Json(json!({ "WebhookUrl": registration.url, "WebhookEvents": registration.events }))
            .into_response(),
    )
}

async fn register(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    check(&app, &headers)?;
    let (url, events, ms_signature_header) = read_registration(&json_body(&headers, &body)?)?;
    let mut data = app.data();
    if data.registration.is_some() && app.options.rules.register_conflict {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            ErrorCode::InvalidRequest,
            "A webhook registration already exists for this tenant; update it with PUT.",
        ));
    }
    let registration = Registration {
        subscriber_id: uuid::Uuid::new_v4().to_string(),
        url,
        events,
        ms_signature_header,
    };
    let body = registered(&registration);
    data.registration = Some(registration);
    Ok(Json(body).into_response())
}

async fn update(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    check(&app, &headers)?;
    let (url, events, ms_signature_header) = read_registration(&json_body(&headers, &body)?)?;
    let mut data = app.data();
    let current = data.registration.as_mut().ok_or_else(no_registration)?;
    current.url = url;
    current.events = events;
    current.ms_signature_header = ms_signature_header;
    Ok(Json(registered(current)).into_response())
}

async fn events(State(app): State<Arc<App>>, headers: HeaderMap) -> Result<Response, ApiError> {
    check(&app, &headers)?;
    Ok(Json(EVENTS).into_response())
}

async fn request_test(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    check(&app, &headers)?;
    let correlation_id = uuid::Uuid::new_v4().to_string();
    {
        let mut data = app.data();
        let registration = data.registration.clone().ok_or_else(no_registration)?;
        if !registration.events.iter().any(|e| e == "test-created") {
            return Err(ApiError::invalid_at(
                "WebhookEvents",
                "Register for the test-created event before requesting a test event.",
            ));
        }
        let now = Instant::now();
        while data
            .validation_requests
            .front()
            .is_some_and(|t| now.duration_since(*t) >= VALIDATION_WINDOW)
        {
            data.validation_requests.pop_front();
        }
        if data.validation_requests.len() >= app.options.rules.validation_events_per_minute {
            let oldest = data.validation_requests.front().copied().unwrap_or(now);
            let wait = VALIDATION_WINDOW.saturating_sub(now.duration_since(oldest));
            return Err(ApiError::throttled(wait.max(Duration::from_secs(1))));
        }
        data.validation_requests.push_back(now);
        data.validations.insert(
            correlation_id.clone(),
            Validation {
                callback_url: registration.url,
                status: "pending",
                results: Vec::new(),
            },
        );
    }
    let changed_at = app.data().store.clock.now();
    delivery::enqueue(
        &app,
        Event {
            name: "test-created".into(),
            resource_uri: format!(
                "{EVENT_BASE_URL}/webhooks/v1/registration/validationEvents/{correlation_id}"
            ),
            resource_name: "test",
            changed_at,
            correlation_id: Some(correlation_id.clone()),
        },
    );
    Ok(Json(json!({ "correlationId": correlation_id })).into_response())
}

async fn test_status(
    State(app): State<Arc<App>>,
    Path(correlation_id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    check(&app, &headers)?;
    let data = app.data();
    let validation = data.validations.get(&correlation_id).ok_or_else(|| {
        ApiError::not_found(format!(
            "No test event with correlation id {correlation_id}."
        ))
    })?;
    Ok(Json(json!({
        "correlationId": correlation_id,
        "partnerId": app.options.partner_org_id,
        "status": validation.status,
        "callbackUrl": validation.callback_url,
        "results": validation.results,
    }))
    .into_response())
}
