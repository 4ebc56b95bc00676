//! Test helpers: spawn a server, build a client pointed at it.

use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use salesforce::auth::{AccessToken, StaticTokenProvider, TokenProvider};
use salesforce::retry::{Backoff, RetryPolicy};
use salesforce::{ClientConfig, SalesforceClient};
use secrecy::SecretString;
use serde_json::Value;
use url::Url;

/// Token the static provider hands out.
pub const TOKEN: &str = "00Dxx0000001gPL!test-token";

/// Serves `router` on an ephemeral port; returns its base URL.
pub async fn spawn(router: Router) -> Url {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    Url::parse(&format!("http://{addr}")).unwrap()
}

/// Config with fast retries so tests do not sleep long.
pub fn fast_config() -> ClientConfig {
    ClientConfig {
        retry: RetryPolicy::new(
            4,
            Backoff::new(Duration::from_millis(5), Duration::from_millis(20)),
        ),
        ..ClientConfig::default()
    }
}

/// A client using a fixed token against `base`.
pub fn static_client(base: &Url) -> SalesforceClient {
    client_with(
        Arc::new(StaticTokenProvider::new(AccessToken::new(
            SecretString::from(TOKEN.to_owned()),
            base.clone(),
        ))),
        fast_config(),
    )
}

/// A client using `provider` and `config`.
pub fn client_with(provider: Arc<dyn TokenProvider>, config: ClientConfig) -> SalesforceClient {
    SalesforceClient::builder(provider)
        .config(config)
        .build()
        .unwrap()
}

/// A JSON response with the usual Salesforce headers.
pub fn sf_json(status: StatusCode, body: Value) -> Response {
    (
        status,
        [("Sforce-Limit-Info", "api-usage=18/5000")],
        axum::Json(body),
    )
        .into_response()
}

/// Whether the request carries our bearer token.
pub fn authorized(headers: &HeaderMap, token: &str) -> bool {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == format!("Bearer {token}"))
}

/// The documented 401 body.
pub fn session_expired() -> Response {
    sf_json(
        StatusCode::UNAUTHORIZED,
        serde_json::json!([{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]),
    )
}
