//! Token provider: caching, expiry, rotation, single flight, typed Entra errors.

use std::sync::Arc;
use std::time::Duration;

use partner_center::auth::{TokenConfig, REFERRALS_SCOPE, WEBHOOKS_SCOPE};
use partner_center::{AuthError, EntraTokenProvider, TokenSource};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn refresh_token_grant_is_form_encoded_and_cached() {
    let mock = Mock::start().await;
    mock.script(
        TOKEN_PATH,
        vec![token_reply("access-1", json!(3599), Some("rotated-1"))],
    );
    let provider = referrals_token_provider(&mock);

    assert_eq!(provider.token().await.unwrap().expose_secret(), "access-1");
    assert_eq!(provider.token().await.unwrap().expose_secret(), "access-1");

    let requests = mock.requests_to(TOKEN_PATH);
    assert_eq!(requests.len(), 1, "second call must come from the cache");
    let req = &requests[0];
    assert_eq!(
        req.header("content-type").unwrap(),
        "application/x-www-form-urlencoded"
    );
    let form = req.form();
    assert_eq!(form["grant_type"], "refresh_token");
    assert_eq!(form["refresh_token"], INITIAL_REFRESH_TOKEN);
    assert_eq!(form["client_id"], "app-id");
    assert_eq!(form["client_secret"], CLIENT_SECRET);
    assert_eq!(form["scope"], REFERRALS_SCOPE);
    assert_eq!(
        provider
            .current_refresh_token()
            .await
            .unwrap()
            .expose_secret(),
        "rotated-1"
    );
}

#[tokio::test]
async fn token_is_refreshed_on_expiry_with_the_rotated_refresh_token() {
    let mock = Mock::start().await;
    mock.script(
        TOKEN_PATH,
        vec![
            // expires_in as a string, as Entra has sent it.
            token_reply("access-1", json!("1"), Some("rotated-1")),
            token_reply("access-2", json!(3600), Some("rotated-2")),
        ],
    );
    let provider = referrals_token_provider(&mock);
    assert_eq!(provider.token().await.unwrap().expose_secret(), "access-1");
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(provider.token().await.unwrap().expose_secret(), "access-2");

    let requests = mock.requests_to(TOKEN_PATH);
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[1].form()["refresh_token"], "rotated-1");
}

#[tokio::test]
async fn margin_is_capped_at_half_the_lifetime_and_short_tokens_refresh() {
    let mock = Mock::start().await;
    mock.script(
        TOKEN_PATH,
        vec![
            token_reply("access-1", json!(3600), None),
            token_reply("access-2", json!(3600), None),
        ],
    );
    // A margin just under the lifetime makes the first token stale at once
    // (the provider never uses more than half the lifetime as margin).
    let provider = referrals_token_provider(&mock).with_expiry_margin(Duration::from_secs(3600));
    provider.token().await.unwrap();
    let second = provider.token().await.unwrap();
    assert_eq!(
        second.expose_secret(),
        "access-1",
        "half-lifetime cap keeps it cached"
    );

    let mock2 = Mock::start().await;
    mock2.script(
        TOKEN_PATH,
        vec![
            token_reply("a", json!(1), None),
            token_reply("b", json!(1), None),
        ],
    );
    let provider = referrals_token_provider(&mock2);
    provider.token().await.unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(provider.token().await.unwrap().expose_secret(), "b");
    // Without a rotated refresh token the original one is reused.
    assert_eq!(
        mock2.requests_to(TOKEN_PATH)[1].form()["refresh_token"],
        INITIAL_REFRESH_TOKEN
    );
}

#[tokio::test]
async fn concurrent_callers_share_one_refresh() {
    let mock = Mock::start().await;
    mock.script(
        TOKEN_PATH,
        vec![token_reply("access-1", json!(3600), None).delayed(Duration::from_millis(200))],
    );
    let provider = Arc::new(referrals_token_provider(&mock));
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let p = provider.clone();
            tokio::spawn(async move { p.token().await.unwrap().expose_secret().to_owned() })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap(), "access-1");
    }
    assert_eq!(mock.requests_to(TOKEN_PATH).len(), 1);
}

#[tokio::test]
async fn invalidate_forces_a_new_token() {
    let mock = Mock::start().await;
    mock.script(
        TOKEN_PATH,
        vec![
            token_reply("access-1", json!(3600), None),
            token_reply("access-2", json!(3600), None),
        ],
    );
    let provider = referrals_token_provider(&mock);
    let first = provider.token().await.unwrap();
    // A stale 401 for a token that is no longer current does not drop the new one.
    provider
        .invalidate_rejected(&SecretString::from("something-else"))
        .await;
    assert_eq!(provider.token().await.unwrap().expose_secret(), "access-1");
    provider.invalidate_rejected(&first).await;
    assert_eq!(provider.token().await.unwrap().expose_secret(), "access-2");
    provider.invalidate().await;
    provider.token().await.unwrap();
    assert_eq!(mock.requests_to(TOKEN_PATH).len(), 3);
}

#[tokio::test]
async fn entra_errors_are_typed_and_never_leak_secrets() {
    let mock = Mock::start().await;
    mock.script(
        TOKEN_PATH,
        vec![Reply::json(
            400,
            json!({
                "error": "invalid_grant",
                "error_description": "AADSTS70008: The provided authorization code or refresh token has expired.",
                "error_codes": [70008],
                "timestamp": "2024-01-01 00:00:00Z",
                "trace_id": "t", "correlation_id": "corr-1"
            }),
        )],
    );
    let provider = referrals_token_provider(&mock);
    let err = provider.token().await.unwrap_err();
    assert!(err.is_invalid_grant());
    assert!(!err.is_transient());
    match &err {
        AuthError::Entra {
            status,
            error,
            codes,
            correlation_id,
            ..
        } => {
            assert_eq!(*status, 400);
            assert_eq!(error, "invalid_grant");
            assert_eq!(codes, &vec![70008]);
            assert_eq!(correlation_id.as_deref(), Some("corr-1"));
        }
        other => panic!("unexpected {other:?}"),
    }
    let text = format!("{err} {err:?} {provider:?}");
    for secret in [CLIENT_SECRET, INITIAL_REFRESH_TOKEN] {
        assert!(!text.contains(secret), "{text}");
    }
}

#[tokio::test]
async fn undecodable_success_does_not_echo_the_body() {
    let mock = Mock::start().await;
    mock.script(
        TOKEN_PATH,
        vec![Reply::json(
            200,
            json!({"access_token": 42, "secret": "leaky-access-token"}),
        )],
    );
    let err = referrals_token_provider(&mock).token().await.unwrap_err();
    assert!(matches!(err, AuthError::Decode { .. }));
    assert!(!format!("{err} {err:?}").contains("leaky-access-token"));
}

#[tokio::test]
async fn client_credentials_grant_for_webhooks() {
    let mock = Mock::start().await;
    mock.script(
        TOKEN_PATH,
        vec![token_reply("app-token", json!(3599), None)],
    );
    let config = TokenConfig::webhooks("tenant", "app-id", SecretString::from(CLIENT_SECRET))
        .unwrap()
        .with_token_url(mock.url(TOKEN_PATH));
    let provider = EntraTokenProvider::new(config);
    assert_eq!(provider.token().await.unwrap().expose_secret(), "app-token");
    let form = mock.requests_to(TOKEN_PATH)[0].form();
    assert_eq!(form["grant_type"], "client_credentials");
    assert_eq!(form["scope"], WEBHOOKS_SCOPE);
    assert!(!form.contains_key("refresh_token"));
}
