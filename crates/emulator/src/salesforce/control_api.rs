//! The emulator's own control routes (no auth, not counted, never faulted):
//! call counts, fault injection, reset, and settings (daily limit, token
//! lifetime, API usage).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use super::state::{Shared, State as EmState};
use crate::control::FaultConfig;

/// Settings posted to `/_emulator/settings` (alias `/_emulator/limits`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    daily_api_limit: Option<u64>,
    token_lifetime_seconds: Option<u64>,
    api_used: Option<u64>,
}

/// The control routes.
pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/_emulator/calls", get(calls))
        .route("/_emulator/faults", post(set_faults).get(get_faults))
        .route("/_emulator/reset", post(reset))
        .route("/_emulator/settings", post(set_settings).get(get_settings))
        .route("/_emulator/limits", post(set_settings).get(get_settings))
        .with_state(shared)
}

async fn calls(State(shared): State<Arc<Shared>>) -> Response {
    Json(shared.control.calls()).into_response()
}

async fn get_faults(State(shared): State<Arc<Shared>>) -> Response {
    Json(shared.control.faults()).into_response()
}

async fn set_faults(State(shared): State<Arc<Shared>>, body: axum::body::Bytes) -> Response {
    let faults: FaultConfig = match serde_json::from_slice(&body) {
        Ok(f) => f,
        Err(e) => {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({ "error": e.to_string() })),
            )
                .into_response()
        }
    };
    match shared.control.set_faults(faults) {
        Ok(()) => Json(shared.control.faults()).into_response(),
        Err(e) => (StatusCode::BAD_REQUEST, Json(json!({ "error": e }))).into_response(),
    }
}

/// Back to a fresh org: data, schema, usage, cursors, faults and counts.
/// Issued tokens stay valid so a test can keep its client.
async fn reset(State(shared): State<Arc<Shared>>) -> Response {
    {
        let mut state = shared.lock();
        let sessions = std::mem::take(&mut state.sessions);
        let refresh = std::mem::take(&mut state.refresh_tokens);
        let admin_before = state.org.admin_id.clone();
        *state = EmState::new(&shared.options);
        // Keep the integration user's ID stable across resets so tokens keep working.
        if state.org.admin_id == admin_before {
            state.sessions = sessions;
            state.refresh_tokens = refresh;
        }
    }
    shared.control.reset();
    StatusCode::NO_CONTENT.into_response()
}

fn settings_json(state: &EmState) -> serde_json::Value {
    json!({
        "daily_api_limit": state.daily_limit,
        "api_used": state.api_used,
        "token_lifetime_seconds": state.token_lifetime.as_secs(),
    })
}

async fn get_settings(State(shared): State<Arc<Shared>>) -> Response {
    Json(settings_json(&shared.lock())).into_response()
}

async fn set_settings(State(shared): State<Arc<Shared>>, body: axum::body::Bytes) -> Response {
    let settings: Settings = match serde_json::from_slice(&body) {
        Ok(s) => s,
        Err(e) => {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({ "error": e.to_string() })),
            )
                .into_response()
        }
    };
    let mut state = shared.lock();
    if let Some(n) = settings.daily_api_limit {
        state.daily_limit = n;
    }
    if let Some(s) = settings.token_lifetime_seconds {
        state.token_lifetime = Duration::from_secs(s);
    }
    if let Some(n) = settings.api_used {
        state.api_used = n;
    }
    Json(settings_json(&state)).into_response()
}
