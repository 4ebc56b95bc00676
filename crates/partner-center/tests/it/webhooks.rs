//! WebhooksClient against a scripted server.

use std::sync::Arc;

use partner_center::wire::WebhookRegistration;
use partner_center::WebhooksClient;
use serde_json::json;

use crate::support::*;

const BASE: &str = "/webhooks/v1";
const REGISTRATION: &str = "/webhooks/v1/registration";

async fn setup() -> (Mock, WebhooksClient) {
    let mock = Mock::start().await;
    mock.script(
        TOKEN_PATH,
        vec![token_reply("app-token", json!(3600), None)],
    );
    let client = WebhooksClient::new(mock.url(BASE), Arc::new(referrals_token_provider(&mock)))
        .with_retry_policy(fast_retries(2));
    (mock, client)
}

#[tokio::test]
async fn missing_registration_is_none() {
    let (mock, client) = setup().await;
    mock.script(
        REGISTRATION,
        vec![Reply::json(
            404,
            json!({"error": {"code": "itemNotFound", "message": "none"}}),
        )],
    );
    assert!(client.registration().await.unwrap().is_none());
}

#[tokio::test]
async fn register_update_and_view_use_pascal_case() {
    let (mock, client) = setup().await;
    let answer = json!({"SubscriberId": "sub-1", "WebhookUrl": "https://hooks.example/pc",
                        "WebhookEvents": ["referral-created", "referral-updated"]});
    mock.script(REGISTRATION, vec![Reply::json(200, answer)]);
    let registration = WebhookRegistration {
        webhook_url: Some("https://hooks.example/pc".into()),
        webhook_events: Some(vec!["referral-created".into(), "referral-updated".into()]),
        signature_token_to_ms_signature_header: Some(true),
        ..Default::default()
    };
    let created = client.register(&registration).await.unwrap();
    assert_eq!(created.subscriber_id.as_deref(), Some("sub-1"));
    client.update_registration(&registration).await.unwrap();
    let viewed = client.registration().await.unwrap().unwrap();
    assert_eq!(
        viewed.webhook_url.as_deref(),
        Some("https://hooks.example/pc")
    );

    let reqs = mock.requests_to(REGISTRATION);
    let methods: Vec<_> = reqs.iter().map(|r| r.method.as_str().to_owned()).collect();
    assert_eq!(methods, ["POST", "PUT", "GET"]);
    assert_eq!(
        reqs[0].json(),
        json!({"WebhookUrl": "https://hooks.example/pc",
               "WebhookEvents": ["referral-created", "referral-updated"],
               "SignatureTokenToMsSignatureHeader": true})
    );
    assert_eq!(reqs[0].header("authorization").unwrap(), "Bearer app-token");
}

#[tokio::test]
async fn events_and_validation_events() {
    let (mock, client) = setup().await;
    mock.script(
        "/webhooks/v1/registration/events",
        vec![Reply::json(
            200,
            json!(["referral-created", "test-created"]),
        )],
    );
    mock.script(
        "/webhooks/v1/registration/validationEvents",
        vec![Reply::json(200, json!({"correlationId": "corr-1"}))],
    );
    mock.script(
        "/webhooks/v1/registration/validationEvents/corr-1",
        vec![Reply::json(
            200,
            json!({"correlationId": "corr-1", "partnerId": "p", "status": "completed",
            "callbackUrl": "https://hooks.example/pc",
            "results": [{"responseCode": "OK", "responseMessage": "", "systemError": false,
                         "dateTimeUtc": "2017-12-08T21:39:48.2386997"}]}),
        )],
    );
    assert_eq!(
        client.events().await.unwrap(),
        ["referral-created", "test-created"]
    );
    let correlation_id = client.send_validation_event().await.unwrap();
    assert_eq!(correlation_id, "corr-1");
    let status = client.validation_event(&correlation_id).await.unwrap();
    assert_eq!(status.status.as_deref(), Some("completed"));
    assert_eq!(
        status.results.unwrap()[0].response_code.as_deref(),
        Some("OK")
    );

    let post = &mock.requests_to("/webhooks/v1/registration/validationEvents")[0];
    assert_eq!(post.method, "POST");
    assert_eq!(post.header("content-length").as_deref(), Some("0"));
}
