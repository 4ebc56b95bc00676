//! `/healthz` (the process answers) and `/readyz` (the store accepts a write,
//! no stored credential is known broken, and both remote APIs are reachable
//! with our credentials). The remote
//! checks cost API calls, so their result is cached for a few seconds: a
//! probe every second does not turn into an API call every second.

use std::collections::BTreeMap;
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
use crate::credential_health::CredentialHealth;

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

/// The readiness report: `ready` and one named entry per check, e.g.
/// `{"ready": false, "store": {"ok": false, "error": "..."}, ...}`. New
/// checks are new names; every one must pass.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Readiness {
    /// True when every check passed.
    pub ready: bool,
    /// Each check by name.
    #[serde(flatten)]
    pub checks: BTreeMap<&'static str, Check>,
}

impl Readiness {
    /// A report over `checks`.
    pub fn of(checks: BTreeMap<&'static str, Check>) -> Self {
        Self {
            ready: checks.values().all(|c| c.ok),
            checks,
        }
    }
}

/// The last result of the remote checks and when they were made.
#[derive(Debug, Default)]
pub struct ReadinessCache {
    last: Mutex<Option<(Instant, BTreeMap<&'static str, Check>)>>,
}

/// `GET /healthz`: the process is up.
#[tracing::instrument(skip_all)]
pub async fn healthz() -> Response {
    (StatusCode::OK, Json(serde_json::json!({ "status": "ok" }))).into_response()
}

/// `GET /readyz`: 200 when the store takes a write and both APIs answer, else 503.
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

/// The store is probed on every call (one small write, the same kind that
/// webhook intake needs, so `/readyz` fails exactly while intake does); the
/// remote checks cost API calls and are reused for the TTL.
async fn readiness(state: &AppState) -> Readiness {
    let (store, credentials, mut checks) = tokio::join!(
        store_check(state),
        credentials_check(state),
        remote_checks(state)
    );
    checks.insert("store", store);
    checks.insert("credentials", credentials);
    let report = Readiness::of(checks);
    if !report.ready {
        tracing::warn!(?report, "not ready");
    }
    report
}

/// One write probe, which also lets a store that came back be used again.
pub async fn store_check(state: &AppState) -> Check {
    Check::from_result(tokio::time::timeout(CHECK_TIMEOUT, state.store.probe_write()).await)
}

/// Not ready while a stored credential is known broken (refused with a
/// code, expired, or without the MFA claim): the reason names the fix.
async fn credentials_check(state: &AppState) -> Check {
    let stored = match state.store.credentials().await {
        Ok(stored) => stored,
        Err(e) => {
            return Check {
                ok: false,
                error: Some(format!("could not read the stored credentials: {e}")),
            }
        }
    };
    let now = chrono::Utc::now();
    let broken: Vec<String> = stored
        .iter()
        .map(CredentialHealth::of)
        .filter_map(|health| {
            let reason = health.broken(now)?;
            Some(format!("{}: {reason}", health.credential))
        })
        .collect();
    Check {
        ok: broken.is_empty(),
        error: (!broken.is_empty()).then(|| broken.join("; ")),
    }
}

/// The cached remote checks, made again when older than the TTL. The lock
/// is held while checking so concurrent probes share one check.
async fn remote_checks(state: &AppState) -> BTreeMap<&'static str, Check> {
    let mut last = state.readiness.last.lock().await;
    if let Some((at, checks)) = last.as_ref() {
        if at.elapsed() < state.tuning.readiness_ttl {
            return checks.clone();
        }
    }
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
    let (partner_center, salesforce) = tokio::join!(partner_center, salesforce);
    let checks = BTreeMap::from([
        ("partner_center", partner_center),
        ("salesforce", salesforce),
    ]);
    *last = Some((Instant::now(), checks.clone()));
    checks
}

/// Probes the store every `interval` until shutdown, so a store that comes
/// back (writable again, re-created) is used again even when nobody asks
/// `/readyz`.
pub async fn watch_store(
    state: Arc<AppState>,
    interval: Duration,
    shutdown: tokio_util::sync::CancellationToken,
) {
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut was_ok = true;
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            () = shutdown.cancelled() => break,
        }
        let check = store_check(&state).await;
        match (was_ok, check.ok) {
            (true, false) => tracing::error!(
                error = check.error.as_deref(),
                "the store does not accept writes"
            ),
            (false, true) => tracing::info!("the store accepts writes again"),
            _ => {}
        }
        was_ok = check.ok;
    }
}
