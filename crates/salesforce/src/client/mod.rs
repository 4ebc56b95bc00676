//! `SalesforceClient`: the REST API surface the connector uses.
//!
//! One client serves many concurrent tasks (it is cheap to clone). Every call
//! goes through [`transport`], which adds auth and the `Sforce-*` headers,
//! refreshes the token once on 401 `INVALID_SESSION_ID`, retries transient
//! failures with backoff, tracks `Sforce-Limit-Info`, and stops calling for a
//! cool-down after `REQUEST_LIMIT_EXCEEDED`.

mod collections;
mod composite;
mod describe;
mod query;
mod replication;
mod sobjects;
mod tooling;
mod transport;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderValue;

use crate::auth::{AccessToken, TokenCache, TokenProvider};
use crate::error::Error;
use crate::limits::{ApiUsage, LimitState, DEFAULT_LIMIT_COOLDOWN};
use crate::retry::{RetryPolicy, DEFAULT_RETRY};

pub use collections::COLLECTION_LIMIT;
pub use composite::MAX_SUBREQUESTS;

/// API version used unless configured otherwise.
pub const DEFAULT_API_VERSION: &str = "v62.0";

/// Client name sent in `Sforce-Call-Options` (shows up in CDC `changeOrigin`).
pub const DEFAULT_CLIENT_NAME: &str = "cosell";

/// Default timeout of one HTTP request.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

/// Settings of a [`SalesforceClient`].
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// API version, `v62.0` or `62.0`.
    pub api_version: String,
    /// Value of `client=` in `Sforce-Call-Options`.
    pub client_name: String,
    /// Retry behaviour for transient failures.
    pub retry: RetryPolicy,
    /// Pause after `REQUEST_LIMIT_EXCEEDED`.
    pub limit_cooldown: Duration,
    /// Timeout of one HTTP request.
    pub request_timeout: Duration,
    /// `Sforce-Query-Options: batchSize=` (200–2000), if set.
    pub query_batch_size: Option<u32>,
    /// When false, sends `Sforce-Mru: updateMru=false` (recommended for integration users).
    pub update_mru: bool,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            api_version: DEFAULT_API_VERSION.into(),
            client_name: DEFAULT_CLIENT_NAME.into(),
            retry: DEFAULT_RETRY,
            limit_cooldown: DEFAULT_LIMIT_COOLDOWN,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            query_batch_size: None,
            update_mru: false,
        }
    }
}

/// What the call observer learns about each HTTP attempt.
#[derive(Debug, Clone)]
pub struct CallEvent<'a> {
    /// HTTP method.
    pub method: &'a str,
    /// Route template, e.g. `/sobjects/{object}/{id}` (no ids, bounded cardinality).
    pub route: &'static str,
    /// HTTP status, `None` when no response arrived.
    pub status: Option<u16>,
    /// Time from send to full body.
    pub duration: Duration,
    /// 0 for the first attempt, then 1, 2, … for retries and the post-refresh resend.
    pub attempt: u32,
}

/// Hook for metrics: called once per HTTP attempt.
pub trait CallObserver: Send + Sync {
    /// Records one attempt.
    fn on_call(&self, event: &CallEvent<'_>);
}

impl<F> CallObserver for F
where
    F: Fn(&CallEvent<'_>) + Send + Sync,
{
    fn on_call(&self, event: &CallEvent<'_>) {
        self(event)
    }
}

pub(crate) struct Inner {
    http: reqwest::Client,
    tokens: TokenCache,
    limits: LimitState,
    config: ClientConfig,
    /// `vXX.X`.
    version: String,
    call_options: HeaderValue,
    observer: Option<Arc<dyn CallObserver>>,
}

/// The Salesforce REST client.
#[derive(Clone)]
pub struct SalesforceClient {
    inner: Arc<Inner>,
}

impl fmt::Debug for SalesforceClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SalesforceClient")
            .field("api_version", &self.inner.version)
            .field("client_name", &self.inner.config.client_name)
            .finish_non_exhaustive()
    }
}

/// Builds a [`SalesforceClient`].
pub struct ClientBuilder {
    provider: Arc<dyn TokenProvider>,
    config: ClientConfig,
    http: Option<reqwest::Client>,
    observer: Option<Arc<dyn CallObserver>>,
}

impl ClientBuilder {
    /// Replaces the configuration.
    pub fn config(mut self, config: ClientConfig) -> Self {
        self.config = config;
        self
    }

    /// Shares an HTTP client (its own timeout applies in addition to the configured one).
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// Installs a call observer (metrics).
    pub fn observer(mut self, observer: Arc<dyn CallObserver>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// Validates the configuration and builds the client.
    pub fn build(self) -> Result<SalesforceClient, Error> {
        let version = normalize_version(&self.config.api_version)?;
        let name = &self.config.client_name;
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        {
            return Err(Error::InvalidInput(format!(
                "client_name {name:?} must be ASCII letters, digits, '_', '-' or '.'"
            )));
        }
        let call_options = HeaderValue::from_str(&format!("client={name}"))
            .map_err(|e| Error::InvalidInput(format!("client_name: {e}")))?;
        let http = match self.http {
            Some(h) => h,
            None => reqwest::Client::builder()
                .timeout(self.config.request_timeout)
                .build()?,
        };
        Ok(SalesforceClient {
            inner: Arc::new(Inner {
                http,
                tokens: TokenCache::new(self.provider),
                limits: LimitState::new(self.config.limit_cooldown),
                version,
                call_options,
                observer: self.observer,
                config: self.config,
            }),
        })
    }
}

/// Accepts `v62.0` or `62.0`; returns `v62.0`.
fn normalize_version(v: &str) -> Result<String, Error> {
    let digits = v.strip_prefix('v').unwrap_or(v);
    let valid = matches!(digits.split_once('.'), Some((major, minor))
        if !major.is_empty() && !minor.is_empty()
            && major.chars().all(|c| c.is_ascii_digit())
            && minor.chars().all(|c| c.is_ascii_digit()));
    if valid {
        Ok(format!("v{digits}"))
    } else {
        Err(Error::InvalidInput(format!(
            "api_version {v:?} is not like v62.0"
        )))
    }
}

impl SalesforceClient {
    /// Starts building a client that gets tokens from `provider`.
    pub fn builder(provider: Arc<dyn TokenProvider>) -> ClientBuilder {
        ClientBuilder {
            provider,
            config: ClientConfig::default(),
            http: None,
            observer: None,
        }
    }

    /// A client with the default configuration.
    pub fn new(provider: Arc<dyn TokenProvider>) -> Result<Self, Error> {
        Self::builder(provider).build()
    }

    /// The API version in use, e.g. `v62.0`.
    pub fn api_version(&self) -> &str {
        &self.inner.version
    }

    /// Versioned path for a resource, e.g. `api_path("sobjects/Opportunity")` →
    /// `/services/data/v62.0/sobjects/Opportunity` (for composite subrequest URLs).
    pub fn api_path(&self, resource: &str) -> String {
        format!(
            "/services/data/{}/{}",
            self.inner.version,
            resource.trim_start_matches('/')
        )
    }

    /// The org's API usage from the last `Sforce-Limit-Info` header seen.
    pub fn api_usage(&self) -> Option<ApiUsage> {
        self.inner.limits.usage()
    }

    /// Time left in a `REQUEST_LIMIT_EXCEEDED` cool-down, if one is running.
    pub fn limit_pause_remaining(&self) -> Option<Duration> {
        self.inner.limits.remaining_pause()
    }

    /// The current token (minting one if needed), e.g. for the Pub/Sub API's metadata.
    pub async fn access_token(&self) -> Result<Arc<AccessToken>, Error> {
        Ok(self.inner.tokens.get().await?)
    }
}

/// Checks a record id: 15 or 18 ASCII letters/digits (<https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/field_types.htm>).
pub(crate) fn validate_id(id: &str) -> Result<(), Error> {
    let ok = matches!(id.len(), 15 | 18) && id.chars().all(|c| c.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidInput(format!(
            "{id:?} is not a 15- or 18-character Salesforce id"
        )))
    }
}

/// Checks an sObject name used in a URL path.
pub(crate) fn validate_object(object: &str) -> Result<(), Error> {
    Ok(crate::soql::validate_object(object)?)
}

/// Checks a field name used in a URL path or `fields=` list.
pub(crate) fn validate_field_name(field: &str) -> Result<(), Error> {
    Ok(crate::soql::validate_field(field)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_normalize() {
        assert_eq!(normalize_version("v62.0").unwrap(), "v62.0");
        assert_eq!(normalize_version("66.0").unwrap(), "v66.0");
        for bad in ["", "v62", "latest", "v62.0/../x", "v.0"] {
            assert!(normalize_version(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ids_validate() {
        assert!(validate_id("00190000001pPvH").is_ok());
        assert!(validate_id("00190000001pPvHAAU").is_ok());
        assert!(validate_id("0019000000/pPvHAAU").is_err());
        assert!(validate_id("123").is_err());
    }
}
