//! Sends one logical call: auth, headers, refresh-once, retries, limits, observer.
//!
//! Retry rules (<https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/errorcodes.htm>, <https://developer.salesforce.com/docs/atlas.en-us.salesforce_app_limits_cheatsheet.meta/salesforce_app_limits_cheatsheet/salesforce_app_limits_platform_api.htm>, <https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/errorcodes.htm>):
//! - 401 with `INVALID_SESSION_ID` → one token refresh (shared by concurrent
//!   callers) and one resend; not for "This session is not valid for use
//!   with the REST API", which a refresh cannot fix (jsforce does the same).
//! - 403 `REQUEST_LIMIT_EXCEEDED` → no retry; the client pauses all calls
//!   for the configured cool-down and answers `Error::LimitExceeded`.
//! - `UNABLE_TO_LOCK_ROW` (any status), 500/502/503 → retry with backoff;
//!   the failed transaction was rolled back, so even creates are safe.
//! - Connect errors → retry (nothing was sent). Timeouts, other transport
//!   errors and 504 → retry only idempotent calls (a timed-out create may
//!   have committed).
//! - A transient failure while minting a token (token endpoint 5xx,
//!   `rate_limit_exceeded`, connect errors) → retry with the same backoff and
//!   budget; no API request was sent yet.

use std::sync::Arc;
use std::time::Instant;

use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use reqwest::Method;
use secrecy::ExposeSecret;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::{CallEvent, SalesforceClient};
use crate::auth::AccessToken;
use crate::error::{is_refreshable_session_error, parse_error_body, Error, ErrorCode};
use crate::limits::LIMIT_INFO_HEADER;
use crate::retry::{Retries, RetryClass};

/// Header tagging our calls in Salesforce logs and CDC `changeOrigin`.
const CALL_OPTIONS_HEADER: &str = "sforce-call-options";
/// Header controlling most-recently-used list updates (v60+).
const MRU_HEADER: &str = "sforce-mru";
/// Header carrying the query batch size.
const QUERY_OPTIONS_HEADER: &str = "sforce-query-options";
/// Gateway timeout: the instance may still have run the request.
const GATEWAY_TIMEOUT: u16 = 504;

/// One logical call.
pub(crate) struct Call {
    pub method: Method,
    /// Absolute path, e.g. `/services/data/v62.0/sobjects/Account/001…`.
    pub path: String,
    pub query: Vec<(&'static str, String)>,
    pub body: Option<Value>,
    pub route: &'static str,
    /// Safe to resend after a timeout (GET, PATCH update/upsert, DELETE).
    pub idempotent: bool,
    /// Send `Authorization` (false only for `GET /services/data/`).
    pub authenticated: bool,
    /// Add `Sforce-Query-Options` when configured.
    pub is_query: bool,
}

impl Call {
    pub(crate) fn new(method: Method, path: String, route: &'static str) -> Self {
        let idempotent = method != Method::POST;
        Call {
            method,
            path,
            query: Vec::new(),
            body: None,
            route,
            idempotent,
            authenticated: true,
            is_query: false,
        }
    }

    pub(crate) fn query(mut self, key: &'static str, value: impl Into<String>) -> Self {
        self.query.push((key, value.into()));
        self
    }

    pub(crate) fn json(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }
}

/// A non-error response (status below 400).
pub(crate) struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Reply {
    pub(crate) fn json<T: DeserializeOwned>(&self, route: &'static str) -> Result<T, Error> {
        serde_json::from_slice(&self.body).map_err(|e| Error::UnexpectedResponse {
            route,
            reason: e.to_string(),
        })
    }
}

/// What to do after one HTTP attempt.
enum Outcome {
    Done(Result<Reply, Error>),
    Retry(Error),
    Refresh(Error),
}

impl SalesforceClient {
    /// Runs a call to completion (see the module docs for the retry rules).
    pub(crate) async fn execute(&self, call: Call) -> Result<Reply, Error> {
        let inner = &self.inner;
        let mut retries = inner.config.retry.start();
        let mut refreshed = false;
        let mut attempt = 0u32;
        loop {
            if let Some(retry_after) = inner.limits.remaining_pause() {
                return Err(Error::LimitExceeded { retry_after });
            }
            let token = match inner.tokens.get().await {
                Ok(token) => token,
                Err(e) => {
                    self.back_off(&call, &mut retries, Error::Auth(e)).await?;
                    continue;
                }
            };
            let outcome = self.attempt(&call, &token, attempt).await;
            attempt += 1;
            match outcome {
                Outcome::Done(result) => return result,
                Outcome::Refresh(err) => {
                    if refreshed {
                        return Err(err);
                    }
                    refreshed = true;
                    tracing::info!(route = call.route, "session expired; refreshing token once");
                    self.refresh_token(&call, &token, &mut retries).await?;
                }
                Outcome::Retry(err) => self.back_off(&call, &mut retries, err).await?,
            }
        }
    }

    /// Replaces `stale`, retrying transient token-endpoint failures within the call's budget.
    async fn refresh_token(
        &self,
        call: &Call,
        stale: &Arc<AccessToken>,
        retries: &mut Retries,
    ) -> Result<(), Error> {
        loop {
            match self.inner.tokens.refresh(Some(stale)).await {
                Ok(_) => return Ok(()),
                Err(e) => self.back_off(call, retries, Error::Auth(e)).await?,
            }
        }
    }

    /// Sleeps before the next retry after `err`, or gives `err` back when
    /// it is not worth retrying or the call's retries are spent.
    async fn back_off(&self, call: &Call, retries: &mut Retries, err: Error) -> Result<(), Error> {
        let Some(delay) = retries.next_delay(err.retry_class()) else {
            return Err(err);
        };
        tracing::warn!(
            route = call.route,
            retry = self.inner.config.retry.max_retries() - retries.left(),
            delay_ms = delay.as_millis() as u64,
            error = %err,
            "transient Salesforce failure; retrying"
        );
        tokio::time::sleep(delay).await;
        Ok(())
    }

    /// One HTTP exchange, classified.
    async fn attempt(&self, call: &Call, token: &AccessToken, attempt: u32) -> Outcome {
        let inner = &self.inner;
        let mut url = match token.instance_url.join(&call.path) {
            Ok(u) => u,
            Err(e) => {
                return Outcome::Done(Err(Error::InvalidInput(format!(
                    "cannot build URL for {}: {e}",
                    call.route
                ))))
            }
        };
        if !call.query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(call.query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        let mut req = inner
            .http
            .request(call.method.clone(), url)
            .header(ACCEPT, "application/json")
            .header(CALL_OPTIONS_HEADER, inner.call_options.clone());
        if call.authenticated {
            match HeaderValue::from_str(&format!("Bearer {}", token.access_token.expose_secret())) {
                Ok(mut v) => {
                    v.set_sensitive(true);
                    req = req.header(AUTHORIZATION, v);
                }
                Err(_) => {
                    return Outcome::Done(Err(Error::InvalidInput(
                        "access token contains characters not allowed in a header".into(),
                    )))
                }
            }
        }
        if !inner.config.update_mru {
            req = req.header(MRU_HEADER, "updateMru=false");
        }
        if call.is_query {
            if let Some(n) = inner.config.query_batch_size {
                req = req.header(QUERY_OPTIONS_HEADER, format!("batchSize={n}"));
            }
        }
        if let Some(body) = &call.body {
            req = req
                .header(CONTENT_TYPE, "application/json")
                .body(body.to_string());
        }

        let started = Instant::now();
        let sent = req.send().await;
        let (status, headers, body) = match sent {
            Ok(resp) => {
                let status = resp.status().as_u16();
                let headers = resp.headers().clone();
                match resp.bytes().await {
                    Ok(b) => (status, headers, b.to_vec()),
                    Err(e) => {
                        self.observe(call, Some(status), started, attempt);
                        return self.transport_failure(call, e);
                    }
                }
            }
            Err(e) => {
                self.observe(call, None, started, attempt);
                return self.transport_failure(call, e);
            }
        };
        self.observe(call, Some(status), started, attempt);
        record_limit_info(self, &headers);

        if status < 400 {
            return Outcome::Done(Ok(Reply { status, body }));
        }
        let errors = parse_error_body(&body);
        if status == 401 && is_refreshable_session_error(&errors) {
            return Outcome::Refresh(Error::Api { status, errors });
        }
        if errors
            .iter()
            .any(|e| e.code == ErrorCode::RequestLimitExceeded)
        {
            let retry_after = inner.limits.trip();
            tracing::error!(
                route = call.route,
                pause_s = retry_after.as_secs(),
                "Salesforce REQUEST_LIMIT_EXCEEDED; pausing all calls"
            );
            return Outcome::Done(Err(Error::LimitExceeded { retry_after }));
        }
        resend_or_fail(call, Error::Api { status, errors })
    }

    fn transport_failure(&self, call: &Call, e: reqwest::Error) -> Outcome {
        resend_or_fail(call, Error::Http(e))
    }

    fn observe(&self, call: &Call, status: Option<u16>, started: Instant, attempt: u32) {
        let duration = started.elapsed();
        tracing::debug!(
            method = %call.method,
            route = call.route,
            status,
            duration_ms = duration.as_millis() as u64,
            attempt,
            "salesforce call"
        );
        if let Some(observer) = &self.inner.observer {
            observer.on_call(&CallEvent {
                method: call.method.as_str(),
                route: call.route,
                status,
                duration,
                attempt,
            });
        }
    }
}

fn record_limit_info(client: &SalesforceClient, headers: &HeaderMap) {
    if let Some(v) = headers.get(LIMIT_INFO_HEADER).and_then(|v| v.to_str().ok()) {
        client.inner.limits.record_header(v);
    }
}

/// A transient failure is sent again, unless the call is not idempotent and
/// the server may already have applied it.
fn resend_or_fail(call: &Call, err: Error) -> Outcome {
    if err.retry_class() == RetryClass::Transient && (call.idempotent || !may_have_applied(&err)) {
        Outcome::Retry(err)
    } else {
        Outcome::Done(Err(err))
    }
}

/// Whether a failed call may have been applied anyway: a gateway timeout
/// (the instance may still have run it) or a transport failure after the
/// request left. A row lock rolled its transaction back; a failed connect
/// sent nothing.
fn may_have_applied(err: &Error) -> bool {
    match err {
        Error::Api { status, errors } => {
            *status == GATEWAY_TIMEOUT
                && !errors.iter().any(|e| e.code == ErrorCode::UnableToLockRow)
        }
        Error::Http(e) => !e.is_connect(),
        _ => false,
    }
}
