//! What both emulators share for tests, demos and benchmarks: a counter of the
//! calls each one served (per method and route) and fault injection (error
//! rates, latency, throttling, dropped connections).
//!
//! Each emulator mounts [`control_layer`] on its API routes (never on its
//! `/_emulator/*` control routes) and supplies a [`FaultRenderer`] that turns
//! an injected fault into that service's real error shape.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use rand::Rng;
use serde::{Deserialize, Serialize};

/// Turns an injected fault into the emulated service's own error response.
pub trait FaultRenderer: Send + Sync + 'static {
    /// The response for an injected error named `kind` (one of
    /// [`FaultConfig::errors`], e.g. `"503"` or `"UNABLE_TO_LOCK_ROW"`) on
    /// `route` (`"METHOD /path/{param}"`: a token endpoint answers in its own
    /// error shape).
    fn error(&self, kind: &str, route: &str) -> Response;
    /// True when the injected error `kind` on `route` belongs to one record
    /// rather than to the call: the call is then served with a
    /// [`DeferredFault`] extension, and the handler fails that record the way
    /// the service reports it (inside a 200 batch answer, for instance).
    fn defers(&self, _kind: &str, _route: &str) -> bool {
        false
    }
    /// The response when the throttle refuses a call on `route`.
    fn throttled(&self, retry_after: Duration, route: &str) -> Response;
}

/// An injected error left for the handler to apply to one record (see
/// [`FaultRenderer::defers`]); carried as a request extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeferredFault(pub String);

/// Injected faults, as posted to `POST /_emulator/faults`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FaultConfig {
    /// Fraction (0.0–1.0) of API calls answered with an injected error.
    pub error_rate: f64,
    /// Error kinds drawn uniformly for injected errors; the emulator decides
    /// what each means (an HTTP status such as `"503"`, or an error code).
    pub errors: Vec<String>,
    /// Fraction (0.0–1.0) of API calls whose connection is dropped before a
    /// complete response is sent.
    pub drop_rate: f64,
    /// Added delay before every API call is served.
    pub latency_ms: u64,
    /// A token-bucket throttle; calls over it get the service's throttling error.
    pub throttle: Option<Throttle>,
    /// Only calls whose route contains one of these substrings are faulted
    /// (empty = every API route).
    pub routes: Vec<String>,
}

/// A simple per-second throttle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Throttle {
    /// Calls allowed per second before the emulator answers "throttled".
    pub requests_per_second: u32,
    /// The `Retry-After` the throttled answer carries.
    #[serde(default = "default_retry_after")]
    pub retry_after_seconds: u64,
}

fn default_retry_after() -> u64 {
    1
}

impl FaultConfig {
    /// Rejects rates outside 0..=1 and error lists that cannot be drawn from.
    pub fn validate(&self) -> Result<(), String> {
        for (name, rate) in [
            ("error_rate", self.error_rate),
            ("drop_rate", self.drop_rate),
        ] {
            if !(0.0..=1.0).contains(&rate) {
                return Err(format!("{name} must be between 0 and 1, got {rate}"));
            }
        }
        if self.error_rate > 0.0 && self.errors.is_empty() {
            return Err("error_rate > 0 needs at least one entry in errors".into());
        }
        Ok(())
    }
}

/// Call counts and fault settings of one emulator.
pub struct Control {
    renderer: Box<dyn FaultRenderer>,
    inner: Mutex<ControlInner>,
}

#[derive(Default)]
struct ControlInner {
    calls: BTreeMap<String, u64>,
    faults: FaultConfig,
    window_start: Option<Instant>,
    window_calls: u32,
}

/// Calls served, as returned by `GET /_emulator/calls`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CallCounts {
    /// All API calls served, faulted ones included.
    pub total: u64,
    /// Per `"METHOD /route/{param}"`.
    pub by_route: BTreeMap<String, u64>,
}

impl CallCounts {
    /// Calls whose key (`"METHOD /route"`) contains `needle`.
    pub fn matching(&self, needle: &str) -> u64 {
        self.by_route
            .iter()
            .filter(|(route, _)| route.contains(needle))
            .map(|(_, n)| n)
            .sum()
    }
}

enum Decision {
    Serve,
    Error(String),
    Drop,
    Throttle(Duration),
}

impl Control {
    /// A control block whose faults render through `renderer`.
    pub fn new(renderer: impl FaultRenderer) -> Arc<Self> {
        Arc::new(Self {
            renderer: Box::new(renderer),
            inner: Mutex::new(ControlInner::default()),
        })
    }

    /// Calls served so far.
    pub fn calls(&self) -> CallCounts {
        let inner = self.lock();
        CallCounts {
            total: inner.calls.values().sum(),
            by_route: inner.calls.clone(),
        }
    }

    /// Replaces the injected faults (validated first).
    pub fn set_faults(&self, faults: FaultConfig) -> Result<(), String> {
        faults.validate()?;
        let mut inner = self.lock();
        inner.faults = faults;
        inner.window_start = None;
        inner.window_calls = 0;
        Ok(())
    }

    /// The injected faults in force.
    pub fn faults(&self) -> FaultConfig {
        self.lock().faults.clone()
    }

    /// Forgets counted calls and injected faults.
    pub fn reset(&self) {
        *self.lock() = ControlInner::default();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ControlInner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Counts the call and decides whether to fault it.
    fn admit(&self, route: String) -> (Decision, Duration) {
        let mut inner = self.lock();
        let applies = inner.faults.routes.is_empty()
            || inner
                .faults
                .routes
                .iter()
                .any(|r| route.contains(r.as_str()));
        *inner.calls.entry(route).or_default() += 1;
        if !applies {
            return (Decision::Serve, Duration::ZERO);
        }
        let latency = Duration::from_millis(inner.faults.latency_ms);
        if let Some(throttle) = inner.faults.throttle.clone() {
            let now = Instant::now();
            let fresh = inner
                .window_start
                .is_none_or(|start| now.duration_since(start) >= Duration::from_secs(1));
            if fresh {
                inner.window_start = Some(now);
                inner.window_calls = 0;
            }
            inner.window_calls += 1;
            if inner.window_calls > throttle.requests_per_second {
                let retry = Duration::from_secs(throttle.retry_after_seconds);
                return (Decision::Throttle(retry), latency);
            }
        }
        let mut rng = rand::rng();
        if inner.faults.drop_rate > 0.0 && rng.random_bool(inner.faults.drop_rate) {
            return (Decision::Drop, latency);
        }
        if inner.faults.error_rate > 0.0 && rng.random_bool(inner.faults.error_rate) {
            let errors = &inner.faults.errors;
            let kind = errors[rng.random_range(0..errors.len())].clone();
            return (Decision::Error(kind), latency);
        }
        (Decision::Serve, latency)
    }
}

/// Axum middleware: counts the call under its matched route and applies the
/// injected faults. Mount with `axum::middleware::from_fn_with_state`.
pub async fn control_layer(
    State(control): State<Arc<Control>>,
    request: Request,
    next: Next,
) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| request.uri().path().to_owned());
    let key = format!("{} {}", request.method(), route);
    let (decision, latency) = control.admit(key.clone());
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    match decision {
        Decision::Serve => next.run(request).await,
        Decision::Error(kind) if control.renderer.defers(&kind, &key) => {
            let mut request = request;
            request.extensions_mut().insert(DeferredFault(kind));
            next.run(request).await
        }
        Decision::Error(kind) => control.renderer.error(&kind, &key),
        Decision::Throttle(retry_after) => control.renderer.throttled(retry_after, &key),
        Decision::Drop => dropped_connection(),
    }
}

/// A response whose body fails mid-stream, so the server aborts the
/// connection and the client sees a broken response, as with a dropped link.
fn dropped_connection() -> Response {
    let failing = futures::stream::once(async {
        Err::<bytes::Bytes, std::io::Error>(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "connection dropped by fault injection",
        ))
    });
    Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .header("content-length", "1024")
        .body(Body::from_stream(failing))
        .expect("static response parts are valid")
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::response::IntoResponse;

    struct Plain;
    impl FaultRenderer for Plain {
        fn error(&self, kind: &str, _route: &str) -> Response {
            (axum::http::StatusCode::SERVICE_UNAVAILABLE, kind.to_owned()).into_response()
        }
        fn throttled(&self, _: Duration, _route: &str) -> Response {
            axum::http::StatusCode::TOO_MANY_REQUESTS.into_response()
        }
    }

    #[test]
    fn rates_outside_unit_interval_are_refused() {
        let control = Control::new(Plain);
        let bad = FaultConfig {
            error_rate: 1.5,
            errors: vec!["503".into()],
            ..Default::default()
        };
        assert!(control.set_faults(bad).is_err());
        let no_errors = FaultConfig {
            error_rate: 0.5,
            ..Default::default()
        };
        assert!(control.set_faults(no_errors).is_err());
    }

    #[test]
    fn throttle_refuses_calls_over_the_per_second_budget() {
        let control = Control::new(Plain);
        let throttle = Throttle {
            requests_per_second: 2,
            retry_after_seconds: 7,
        };
        control
            .set_faults(FaultConfig {
                throttle: Some(throttle),
                ..Default::default()
            })
            .unwrap();
        let outcomes: Vec<bool> = (0..3)
            .map(|_| matches!(control.admit("GET /x".into()).0, Decision::Throttle(_)))
            .collect();
        assert_eq!(outcomes, [false, false, true]);
        assert_eq!(control.calls().total, 3);
    }

    #[test]
    fn every_call_faults_at_rate_one_and_only_on_matching_routes() {
        let control = Control::new(Plain);
        let faults = FaultConfig {
            error_rate: 1.0,
            errors: vec!["503".into()],
            routes: vec!["/referrals".into()],
            ..Default::default()
        };
        control.set_faults(faults).unwrap();
        assert!(
            matches!(control.admit("GET /referrals".into()).0, Decision::Error(k) if k == "503")
        );
        assert!(matches!(
            control.admit("GET /other".into()).0,
            Decision::Serve
        ));
        assert_eq!(control.calls().matching("referrals"), 1);
    }
}
