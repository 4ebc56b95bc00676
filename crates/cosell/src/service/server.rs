//! The HTTP routes of `cosell run`. The public listener answers only webhook
//! intake and `/healthz` (everything else is 404, so the internet sees
//! nothing more); the admin listener answers `/readyz`, `/metrics` and the
//! dashboard with its JSON API mounted at `/`.

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, StatusCode};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use tower_http::trace::TraceLayer;

use super::{health, security, webhook, webhook_aws, AppState};
use crate::config::WEBHOOK_PATH;
use crate::credential_health::CredentialHealth;
use crate::sign_in::{self, SignIn};

/// prometheus-client writes the OpenMetrics text format (ending in `# EOF`),
/// which Prometheus scrapes under this content type.
const METRICS_CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The public listener's routes: the webhook and `/healthz`.
pub fn public_router(state: Arc<AppState>) -> Router {
    let limit = state.config.server.webhook_body_limit_bytes;
    let router = Router::new()
        .route(
            WEBHOOK_PATH,
            post(webhook::receive).layer(DefaultBodyLimit::max(limit)),
        )
        .route(
            webhook_aws::PATH,
            post(webhook_aws::receive).layer(DefaultBodyLimit::max(limit)),
        )
        .route("/healthz", get(health::healthz))
        .with_state(state);
    security::with_headers(router).layer(TraceLayer::new_for_http())
}

/// The admin listener's routes: `/readyz`, `/metrics` and the dashboard,
/// behind sign-in (when `[server.sign_in]` is set; the bearer token still
/// reads `/api` and `/metrics`) or else the bearer token alone (when
/// configured), and behind the `Host` check.
pub fn admin_router(state: Arc<AppState>, dashboard: Router) -> anyhow::Result<Router> {
    let server = &state.config.server;
    let hosts = Arc::new(security::AllowedHosts::new(server.admin_url.as_ref()));
    let token = server.admin_token.clone();
    let sign_in = server.sign_in.clone();
    let mut router = Router::new()
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics))
        .with_state(state)
        .merge(dashboard);
    match (sign_in, token) {
        (Some(config), token) => {
            router = sign_in::protect(router, SignIn::new(config, token)?);
        }
        (None, Some(token)) => {
            router = router.layer(middleware::from_fn_with_state(
                Arc::new(token),
                security::require_bearer,
            ));
        }
        (None, None) => {}
    }
    let router = router.layer(middleware::from_fn_with_state(hosts, security::check_host));
    Ok(security::with_headers(router).layer(TraceLayer::new_for_http()))
}

/// `GET /metrics`: refreshes the gauges read from the store, then encodes.
#[tracing::instrument(skip_all)]
async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    match state.store.job_counts().await {
        Ok(counts) => state.metrics.set_job_counts(&counts),
        Err(error) => tracing::warn!(%error, "metrics: could not count jobs"),
    }
    match state.store.credentials().await {
        Ok(stored) => {
            let health: Vec<_> = stored.iter().map(CredentialHealth::of).collect();
            state
                .metrics
                .set_credential_expiry(&health, chrono::Utc::now());
        }
        Err(error) => tracing::warn!(%error, "metrics: could not read the credentials"),
    }
    state.poll_clock.export(&state.metrics);
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, METRICS_CONTENT_TYPE)],
        state.metrics.encode(),
    )
        .into_response()
}
