//! The request pipeline shared by both clients.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use reqwest::header::{
    HeaderMap, HeaderName, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE,
};
use reqwest::Method;
use secrecy::ExposeSecret;
use url::Url;

use crate::auth::TokenSource;
use crate::error::{Error, TransportKind};
use crate::observer::{Api, CallObserver, CallRecord};
use crate::retry::{retry_after_header, RetryPolicy, DEFAULT_RETRY};

/// Per-call id header, "reset for every call" (<https://learn.microsoft.com/en-us/partner-center/developer/referrals-api-introduction>).
pub(crate) const CLIENT_REQUEST_ID: HeaderName = HeaderName::from_static("client-request-id");
/// Optional caller tracking id (<https://learn.microsoft.com/en-us/partner-center/developer/referrals-api-introduction>).
pub(crate) const MS_CORRELATION_ID: HeaderName = HeaderName::from_static("ms-correlationid");
/// Response headers carrying the service's request id (Referrals, Webhooks).
const REQUEST_ID_HEADERS: [&str; 3] = ["request-id", "ms-requestid", "x-ms-request-id"];
/// The only media type either API speaks.
const JSON: HeaderValue = HeaderValue::from_static("application/json");

/// Whether repeating a request could apply it twice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Idempotency {
    /// Safe to repeat after any transient failure.
    Idempotent,
    /// Repeat only when the server cannot have acted: 429/503 (refused) or a
    /// failed connect (nothing sent).
    NonIdempotent,
}

/// One logical call.
pub(crate) struct Call {
    pub method: Method,
    pub url: Url,
    pub route: &'static str,
    pub body: Option<Vec<u8>>,
    pub headers: HeaderMap,
    pub idempotency: Idempotency,
}

/// A successful response.
pub(crate) struct Success {
    pub status: u16,
    pub body: Vec<u8>,
    pub request_id: Option<String>,
}

impl Success {
    /// Decodes the JSON body.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, Error> {
        serde_json::from_slice(&self.body).map_err(|e| Error::Decode {
            message: e.to_string(),
            request_id: self.request_id.clone(),
        })
    }

    /// True when there is no body to decode.
    pub fn is_empty(&self) -> bool {
        self.body.iter().all(u8::is_ascii_whitespace)
    }
}

/// Shared pipeline state; cheap to clone.
#[derive(Clone)]
pub(crate) struct Core {
    pub api: Api,
    pub base_url: Url,
    pub http: reqwest::Client,
    pub tokens: Arc<dyn TokenSource>,
    pub retry: RetryPolicy,
    pub observer: Option<CallObserver>,
    pub correlation_id: Option<HeaderValue>,
    /// Until when every call of this client (one tenant) holds back: the
    /// latest `Retry-After` a throttled answer asked for. Partner Center
    /// throttles per partner tenant, so one 429 pauses the tenant's other
    /// calls too, not only the refused one (<https://learn.microsoft.com/en-us/partner-center/developer/api-throttling-guidance>).
    pub paused_until: Arc<Mutex<Option<Instant>>>,
}

impl Core {
    pub fn new(api: Api, base_url: Url, tokens: Arc<dyn TokenSource>) -> Self {
        Self {
            api,
            base_url,
            http: super::default_http_client(),
            tokens,
            retry: DEFAULT_RETRY,
            observer: None,
            correlation_id: None,
            paused_until: Arc::default(),
        }
    }

    /// Waits out the tenant's pause, if any.
    async fn wait_for_tenant(&self) {
        let until = *self.paused_until.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(until) = until.filter(|u| *u > Instant::now()) {
            tokio::time::sleep_until(tokio::time::Instant::from_std(until)).await;
        }
    }

    /// Pauses the tenant's calls for a throttled answer's `Retry-After`.
    fn pause_tenant(&self, err: &Error) {
        let Error::Api {
            status: 429,
            retry_after: Some(wait),
            ..
        } = err
        else {
            return;
        };
        let until = Instant::now() + (*wait).min(self.retry.max_retry_after);
        let mut paused = self.paused_until.lock().unwrap_or_else(|p| p.into_inner());
        if paused.is_none_or(|p| p < until) {
            *paused = Some(until);
        }
    }

    /// `base_url` + `path` (path starts with `/`), with an optional encoded query.
    pub fn url(&self, path: &str, query: &str) -> Result<Url, Error> {
        let base = self.base_url.as_str().trim_end_matches('/');
        let mut text = format!("{base}{path}");
        if !query.is_empty() {
            text.push('?');
            text.push_str(query);
        }
        Url::parse(&text).map_err(|e| Error::InvalidInput(format!("bad URL: {e}")))
    }

    /// Runs a call with auth, retries and observation; non-2xx becomes [`Error::Api`].
    pub async fn execute(&self, call: Call) -> Result<Success, Error> {
        let mut retries = self.retry.start();
        let mut attempt: u32 = 0;
        let mut refreshed_after_401 = false;
        loop {
            attempt += 1;
            self.wait_for_tenant().await;
            let outcome = self.attempt(&call, attempt).await;
            let err = match outcome {
                Ok(success) => return Ok(success),
                Err(AttemptError::Unauthorized { rejected, error }) => {
                    if refreshed_after_401 {
                        return Err(error);
                    }
                    // 401: the token may have been revoked or expired early. Refresh
                    // once and retry once; this does not count as a retry attempt.
                    refreshed_after_401 = true;
                    if let Some(rejected) = rejected {
                        self.tokens.invalidate_rejected(&rejected).await;
                    } else {
                        self.tokens.invalidate().await;
                    }
                    tracing::info!(
                        route = call.route,
                        "401 from Partner Center; refreshing token once"
                    );
                    attempt -= 1;
                    continue;
                }
                Err(AttemptError::Other(error)) => error,
            };
            self.pause_tenant(&err);
            if !retry_allowed(&call, &err) {
                return Err(err);
            }
            let Some(delay) = retries.next_delay(err.retry_class()) else {
                return Err(err);
            };
            tracing::warn!(
                route = call.route,
                attempt,
                delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                error = %err,
                "transient Partner Center failure; retrying"
            );
            tokio::time::sleep(delay).await;
        }
    }

    async fn attempt(&self, call: &Call, attempt: u32) -> Result<Success, AttemptError> {
        let token = self
            .tokens
            .token()
            .await
            .map_err(|e| AttemptError::Other(Error::Auth(e)))?;
        let mut headers = call.headers.clone();
        let mut bearer = HeaderValue::from_str(&format!("Bearer {}", token.expose_secret()))
            .map_err(|_| {
                AttemptError::Other(Error::InvalidInput(
                    "access token is not a valid header value".into(),
                ))
            })?;
        bearer.set_sensitive(true);
        headers.insert(AUTHORIZATION, bearer);
        headers.insert(ACCEPT, JSON);
        let request_id = uuid::Uuid::new_v4().to_string();
        headers.insert(
            CLIENT_REQUEST_ID,
            HeaderValue::from_str(&request_id).expect("a UUID is a valid header value"),
        );
        if let Some(cid) = &self.correlation_id {
            headers.insert(MS_CORRELATION_ID, cid.clone());
        }
        let mut builder = self.http.request(call.method.clone(), call.url.clone());
        match &call.body {
            Some(body) => {
                headers.insert(CONTENT_TYPE, JSON);
                builder = builder.body(body.clone());
            }
            // An explicit empty body makes POST/PUT carry `Content-Length: 0` (411 otherwise).
            None if call.method != Method::GET => {
                headers.insert(CONTENT_LENGTH, HeaderValue::from_static("0"));
                builder = builder.body(Vec::new());
            }
            None => {}
        }
        let started = Instant::now();
        let sent = builder.headers(headers).send().await;
        let response = match sent {
            Ok(r) => r,
            Err(e) => {
                self.observe(call, None, started, attempt);
                return Err(AttemptError::Other(Error::from_reqwest(e)));
            }
        };
        let status = response.status().as_u16();
        let service_request_id = request_id_of(response.headers());
        let retry_after = retry_after_header(response.headers());
        let body = response.bytes().await;
        self.observe(call, Some(status), started, attempt);
        let body = match body {
            Ok(b) => b.to_vec(),
            Err(e) if (200..300).contains(&status) => {
                // Connection dropped mid-response: transient.
                return Err(AttemptError::Other(Error::from_reqwest(e)));
            }
            Err(_) => Vec::new(),
        };
        if (200..300).contains(&status) {
            return Ok(Success {
                status,
                body,
                request_id: service_request_id,
            });
        }
        let error = Error::from_response(status, &body, service_request_id, retry_after);
        if status == 401 {
            return Err(AttemptError::Unauthorized {
                rejected: Some(token),
                error,
            });
        }
        Err(AttemptError::Other(error))
    }

    fn observe(&self, call: &Call, status: Option<u16>, started: Instant, attempt: u32) {
        if let Some(observer) = &self.observer {
            observer(&CallRecord {
                api: self.api,
                method: method_label(&call.method),
                route: call.route,
                status,
                duration: started.elapsed(),
                attempt,
            });
        }
    }
}

enum AttemptError {
    Unauthorized {
        rejected: Option<secrecy::SecretString>,
        error: Error,
    },
    Other(Error),
}

/// Non-idempotent calls are repeated only when the server cannot have acted.
fn retry_allowed(call: &Call, err: &Error) -> bool {
    match call.idempotency {
        Idempotency::Idempotent => true,
        Idempotency::NonIdempotent => match err {
            Error::Api { status, .. } => *status == 429 || *status == 503,
            Error::Transport { kind, .. } => *kind == TransportKind::Connect,
            Error::Auth(_) => true,
            _ => false,
        },
    }
}

fn request_id_of(headers: &HeaderMap) -> Option<String> {
    REQUEST_ID_HEADERS
        .iter()
        .find_map(|name| headers.get(*name))
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        _ => "OTHER",
    }
}
