//! `/healthz` (the process answers) and `/readyz` (the store answers and both
//! remote APIs are reachable with our credentials). Readiness costs remote
//! calls, so its result is cached for a few seconds: a probe every second
//! does not turn into an API call every second.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use partner_center::ReferralQuery;
use serde::Serialize;
use tokio::sync::Mutex;

use super::AppState;

/// How long a readiness result is reused.
pub const DEFAULT_READINESS_TTL: Duration = Duration::from_secs(5);
/// Longest time one readiness check may take.
const CHECK_TIMEOUT: Duration = Duration::from_secs(10);

/// One dependency's state.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Check {
    /// True when it answered.
    pub ok: bool,
    /// Why not, when it did not (no secrets: errors never carry them).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Check {
    fn from_result<E: std::fmt::Display>(
        result: Result<Result<(), E>, tokio::time::error::Elapsed>,
    ) -> Self {
        match result {
            Ok(Ok(())) => Self {
                ok: true,
                error: None,
            },
            Ok(Err(e)) => Self {
                ok: false,
                error: Some(e.to_string()),
            },
            Err(_) => Self {
                ok: false,
                error: Some(format!("no answer within {}s", CHECK_TIMEOUT.as_secs())),
            },
        }
    }
}

/// The readiness report.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Readiness {
    /// True when every check passed.
    pub ready: bool,
    /// The store.
    pub store: Check,
    /// The Partner Center Referrals API.
    pub partner_center: Check,
    /// The Salesforce REST API.
    pub salesforce: Check,
}

/// The last readiness report and when it was made.
#[derive(Debug, Default)]
pub struct ReadinessCache {
    last: Mutex<Option<(Instant, Readiness)>>,
}

/// `GET /healthz`: the process is up.
#[tracing::instrument(skip_all)]
pub async fn healthz() -> Response {
    (StatusCode::OK, Json(serde_json::json!({ "status": "ok" }))).into_response()
}

/// `GET /readyz`: 200 when the store and both APIs answer, else 503.
#[tracing::instrument(skip_all)]
pub async fn readyz(State(state): State<Arc<AppState>>) -> Response {
    let report = readiness(&state).await;
    let status = if report.ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(report)).into_response()
}

/// The cached readiness, checked again when older than the TTL. The lock is
/// held while checking so concurrent probes share one check.
async fn readiness(state: &AppState) -> Readiness {
    let mut last = state.readiness.last.lock().await;
    if let Some((at, report)) = last.as_ref() {
        if at.elapsed() < state.tuning.readiness_ttl {
            return report.clone();
        }
    }
    let report = check(state).await;
    if !report.ready {
        tracing::warn!(?report, "not ready");
    }
    *last = Some((Instant::now(), report.clone()));
    report
}

async fn check(state: &AppState) -> Readiness {
    let store =
        async { Check::from_result(tokio::time::timeout(CHECK_TIMEOUT, state.store.ping()).await) };
    let partner_center = async {
        // One small page: proves the token, the role and the API.
        let query = ReferralQuery::new().top(1);
        let call = async { state.engine.partner_center().list(&query).await.map(|_| ()) };
        Check::from_result(tokio::time::timeout(CHECK_TIMEOUT, call).await)
    };
    let salesforce = async {
        // The token (cached by the client) and the versions resource, which
        // does not count against the org's API allocation.
        let call = async {
            let sf = state.engine.salesforce();
            sf.access_token().await?;
            sf.versions().await.map(|_| ())
        };
        Check::from_result(tokio::time::timeout(CHECK_TIMEOUT, call).await)
    };
    let (store, partner_center, salesforce) = tokio::join!(store, partner_center, salesforce);
    Readiness {
        ready: store.ok && partner_center.ok && salesforce.ok,
        store,
        partner_center,
        salesforce,
    }
}
