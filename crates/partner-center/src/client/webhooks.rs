//! `WebhooksClient`: the tenant's webhook registration and validation (test) events (<https://learn.microsoft.com/en-us/partner-center/developer/partner-center-webhooks>).

use std::sync::Arc;

use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::Method;
use url::Url;

use super::core::{Call, Core, Idempotency};
use crate::auth::TokenSource;
use crate::error::Error;
use crate::observer::{Api, CallObserver};
use crate::retry::RetryPolicy;
use crate::wire::{ValidationEvent, ValidationEventRequest, WebhookRegistration};

/// The production Webhooks API base URL (<https://learn.microsoft.com/en-us/partner-center/developer/partner-center-webhooks>).
pub const DEFAULT_WEBHOOKS_BASE_URL: &str = "https://api.partnercenter.microsoft.com/webhooks/v1";

const ROUTE_REGISTRATION: &str = "/registration";
const ROUTE_EVENTS: &str = "/registration/events";
const ROUTE_VALIDATION: &str = "/registration/validationEvents";
const ROUTE_VALIDATION_ITEM: &str = "/registration/validationEvents/{correlationId}";

/// Client of the Partner Center Webhooks API (audience `api.partnercenter.microsoft.com`).
#[derive(Clone)]
pub struct WebhooksClient {
    core: Core,
}

impl std::fmt::Debug for WebhooksClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhooksClient")
            .field("base_url", &self.core.base_url.as_str())
            .finish_non_exhaustive()
    }
}

impl WebhooksClient {
    /// A client for `base_url` (e.g. [`DEFAULT_WEBHOOKS_BASE_URL`] or an emulator).
    pub fn new(base_url: Url, tokens: Arc<dyn TokenSource>) -> Self {
        Self {
            core: Core::new(Api::Webhooks, base_url, tokens),
        }
    }

    /// Uses this HTTP client; redirects should stay disabled.
    pub fn with_http_client(mut self, http: reqwest::Client) -> Self {
        self.core.http = http;
        self
    }

    /// Uses this retry policy.
    pub fn with_retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.core.retry = retry;
        self
    }

    /// Reports every HTTP attempt to `observer`.
    pub fn with_observer(mut self, observer: CallObserver) -> Self {
        self.core.observer = Some(observer);
        self
    }

    /// A copy that sends `MS-CorrelationId: id` on every call.
    pub fn with_correlation_id(&self, id: &str) -> Result<Self, Error> {
        let mut copy = self.clone();
        copy.core.correlation_id = Some(HeaderValue::from_str(id).map_err(|_| {
            Error::InvalidInput("correlation id is not a valid header value".into())
        })?);
        Ok(copy)
    }

    /// `GET /registration`; `None` when the tenant has no registration (404).
    #[tracing::instrument(skip_all)]
    pub async fn registration(&self) -> Result<Option<WebhookRegistration>, Error> {
        match self
            .call(
                Method::GET,
                ROUTE_REGISTRATION,
                ROUTE_REGISTRATION,
                None,
                Idempotency::Idempotent,
            )
            .await
        {
            Ok(success) => success.json().map(Some),
            Err(Error::Api { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `POST /registration`: registers the receiver URL and events.
    #[tracing::instrument(skip_all, fields(webhook_url = ?registration.webhook_url))]
    pub async fn register(
        &self,
        registration: &WebhookRegistration,
    ) -> Result<WebhookRegistration, Error> {
        let body = to_json(registration)?;
        // One registration per tenant: repeating the same POST yields the same state.
        self.call(
            Method::POST,
            ROUTE_REGISTRATION,
            ROUTE_REGISTRATION,
            Some(body),
            Idempotency::Idempotent,
        )
        .await?
        .json()
    }

    /// `PUT /registration`: replaces the receiver URL and events.
    #[tracing::instrument(skip_all, fields(webhook_url = ?registration.webhook_url))]
    pub async fn update_registration(
        &self,
        registration: &WebhookRegistration,
    ) -> Result<WebhookRegistration, Error> {
        let body = to_json(registration)?;
        self.call(
            Method::PUT,
            ROUTE_REGISTRATION,
            ROUTE_REGISTRATION,
            Some(body),
            Idempotency::Idempotent,
        )
        .await?
        .json()
    }

    /// `GET /registration/events`: the event names one can subscribe to.
    #[tracing::instrument(skip_all)]
    pub async fn events(&self) -> Result<Vec<String>, Error> {
        self.call(
            Method::GET,
            ROUTE_EVENTS,
            ROUTE_EVENTS,
            None,
            Idempotency::Idempotent,
        )
        .await?
        .json()
    }

    /// `POST /registration/validationEvents`: asks Partner Center to send a
    /// `test-created` event; returns its correlation id (throttled to 2/minute).
    #[tracing::instrument(skip_all)]
    pub async fn send_validation_event(&self) -> Result<String, Error> {
        let success = self
            .call(
                Method::POST,
                ROUTE_VALIDATION,
                ROUTE_VALIDATION,
                None,
                Idempotency::NonIdempotent,
            )
            .await?;
        let parsed: ValidationEventRequest = success.json()?;
        parsed.correlation_id.ok_or_else(|| Error::Decode {
            message: "validation event response has no correlationId".into(),
            request_id: success.request_id.clone(),
        })
    }

    /// `GET /registration/validationEvents/{correlationId}`: delivery status of a test event.
    #[tracing::instrument(skip(self), fields(correlation_id = %correlation_id))]
    pub async fn validation_event(&self, correlation_id: &str) -> Result<ValidationEvent, Error> {
        if correlation_id.is_empty() {
            return Err(Error::InvalidInput("empty correlation id".into()));
        }
        let path = format!("{ROUTE_VALIDATION}/{}", urlencoding::encode(correlation_id));
        self.call(
            Method::GET,
            &path,
            ROUTE_VALIDATION_ITEM,
            None,
            Idempotency::Idempotent,
        )
        .await?
        .json()
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        route: &'static str,
        body: Option<Vec<u8>>,
        idempotency: Idempotency,
    ) -> Result<super::core::Success, Error> {
        let call = Call {
            method,
            url: self.core.url(path, "")?,
            route,
            body,
            headers: HeaderMap::new(),
            idempotency,
        };
        self.core.execute(call).await
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, Error> {
    serde_json::to_vec(value)
        .map_err(|e| Error::InvalidInput(format!("cannot serialise body: {e}")))
}
