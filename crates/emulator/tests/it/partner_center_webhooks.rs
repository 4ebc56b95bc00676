//! Webhooks API and signed delivery: registration rules, event bodies,
//! signatures verifiable against the certificate and CA, retries, test events.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_lc_rs::signature::{UnparsedPublicKey, RSA_PKCS1_2048_8192_SHA256};
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode as AxumStatus};
use base64::Engine as _;
use emulator::partner_center::{Delivery, Options};
use reqwest::StatusCode;
use serde_json::{json, Value};

use super::{
    co_sell_deal, expect_error, private_deal, spawn, spawn_with, Pc, PARTNER_CENTER_SCOPE,
};

/// A webhook receiver that records requests and answers with scripted statuses.
#[derive(Clone, Default)]
struct Receiver {
    seen: Arc<Mutex<Vec<(HeaderMap, Bytes)>>>,
    script: Arc<Mutex<VecDeque<u16>>>,
}

impl Receiver {
    async fn start(script: &[u16]) -> (Self, String) {
        let receiver = Self {
            seen: Arc::default(),
            script: Arc::new(Mutex::new(script.iter().copied().collect())),
        };
        let state = receiver.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: Bytes| {
                let state = state.clone();
                async move {
                    state.seen.lock().unwrap().push((headers, body));
                    let status = state.script.lock().unwrap().pop_front().unwrap_or(200);
                    AxumStatus::from_u16(status).unwrap()
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (receiver, url)
    }

    fn requests(&self) -> Vec<(HeaderMap, Bytes)> {
        self.seen.lock().unwrap().clone()
    }
}

async fn webhooks_token(pc: &Pc) -> String {
    pc.client_credentials(PARTNER_CENTER_SCOPE).await
}

async fn registration_call(
    pc: &Pc,
    method: reqwest::Method,
    body: Option<Value>,
) -> reqwest::Response {
    let token = webhooks_token(pc).await;
    let mut request = pc
        .http
        .request(method, format!("{}/registration", pc.emu.webhooks_url()))
        .bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.unwrap()
}

async fn register(pc: &Pc, url: &str, events: &[&str], ms_header: bool) -> Value {
    let body = json!({ "WebhookUrl": url, "WebhookEvents": events, "SignatureTokenToMsSignatureHeader": ms_header });
    let response = registration_call(pc, reqwest::Method::POST, Some(body)).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

/// Waits until `count` deliveries were recorded (bounded).
async fn deliveries(pc: &Pc, count: usize) -> Vec<Delivery> {
    for _ in 0..200 {
        let all = pc.emu.deliveries();
        if all.len() >= count {
            return all;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("expected {count} deliveries, got {:?}", pc.emu.deliveries());
}

const REFERRAL_EVENTS: &[&str] = &[
    "referral-created",
    "referral-updated",
    "related-referral-created",
    "related-referral-updated",
];

#[tokio::test]
async fn registration_lifecycle() {
    let pc = spawn().await;
    let none = registration_call(&pc, reqwest::Method::GET, None).await;
    expect_error(none, 404, "itemNotFound").await;
    let put_none = registration_call(
        &pc,
        reqwest::Method::PUT,
        Some(json!({ "WebhookUrl": "https://a.example/x", "WebhookEvents": ["referral-created"] })),
    )
    .await;
    expect_error(put_none, 404, "itemNotFound").await;
    let created = register(&pc, "https://hooks.example/pc", REFERRAL_EVENTS, false).await;
    assert!(uuid::Uuid::parse_str(created["SubscriberId"].as_str().unwrap()).is_ok());
    assert_eq!(created["WebhookUrl"], "https://hooks.example/pc");
    assert_eq!(created["WebhookEvents"], json!(REFERRAL_EVENTS));
    let again = registration_call(
        &pc,
        reqwest::Method::POST,
        Some(json!({ "WebhookUrl": "https://b.example/x", "WebhookEvents": ["referral-created"] })),
    )
    .await;
    expect_error(again, 409, "invalidRequest").await;
    let updated = registration_call(
        &pc,
        reqwest::Method::PUT,
        Some(json!({ "webhookUrl": "https://b.example/x", "webhookEvents": ["referral-updated"] })),
    )
    .await;
    assert_eq!(updated.status(), StatusCode::OK);
    let updated: Value = updated.json().await.unwrap();
    assert_eq!(updated["SubscriberId"], created["SubscriberId"]);
    let view: Value = registration_call(&pc, reqwest::Method::GET, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        view,
        json!({ "WebhookUrl": "https://b.example/x", "WebhookEvents": ["referral-updated"] })
    );
}

#[tokio::test]
async fn registration_bodies_are_validated() {
    let pc = spawn().await;
    for body in [
        json!({ "WebhookEvents": ["referral-created"] }),
        json!({ "WebhookUrl": "not a url", "WebhookEvents": ["referral-created"] }),
        json!({ "WebhookUrl": "ftp://x.example/", "WebhookEvents": ["referral-created"] }),
        json!({ "WebhookUrl": "https://x.example/", "WebhookEvents": [] }),
        json!({ "WebhookUrl": "https://x.example/", "WebhookEvents": ["referral-deleted"] }),
        json!({ "WebhookUrl": "https://x.example/", "WebhookEvents": ["referral-created"], "SignatureTokenToMsSignatureHeader": "yes" }),
    ] {
        expect_error(
            registration_call(&pc, reqwest::Method::POST, Some(body)).await,
            400,
            "invalidRequest",
        )
        .await;
    }
    let delete = registration_call(&pc, reqwest::Method::DELETE, None).await;
    expect_error(delete, 405, "invalidRequest").await;
}

#[tokio::test]
async fn events_list_names_the_referral_events() {
    let pc = spawn().await;
    let token = webhooks_token(&pc).await;
    let events: Vec<String> = pc
        .http
        .get(format!("{}/registration/events", pc.emu.webhooks_url()))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for event in REFERRAL_EVENTS.iter().chain(&["test-created"]) {
        assert!(events.iter().any(|e| e == event), "{event}");
    }
}

/// Splits one DER element: (tag, content, whole element, rest).
fn der(input: &[u8]) -> (u8, &[u8], &[u8], &[u8]) {
    let tag = input[0];
    let (len, header) = match input[1] {
        n if n < 0x80 => (n as usize, 2),
        0x81 => (input[2] as usize, 3),
        0x82 => (((input[2] as usize) << 8) | input[3] as usize, 4),
        other => panic!("unsupported DER length {other:#x}"),
    };
    (
        tag,
        &input[header..header + len],
        &input[..header + len],
        &input[header + len..],
    )
}

/// (tbs bytes, signature, issuer DER, subject public key (PKCS#1)) of an X.509 certificate.
fn cert_parts(cert: &[u8]) -> (Vec<u8>, Vec<u8>, Vec<u8>, Vec<u8>) {
    let (_, certificate, _, _) = der(cert);
    let (_, tbs, tbs_whole, rest) = der(certificate);
    let (_, _alg, _, rest) = der(rest);
    let (_, signature, _, _) = der(rest);
    let mut fields = tbs;
    if fields[0] == 0xA0 {
        fields = der(fields).3;
    }
    let (_, _serial, _, fields) = der(fields);
    let (_, _sig_alg, _, fields) = der(fields);
    let (_, _, issuer, fields) = der(fields);
    let (_, _validity, _, fields) = der(fields);
    let (_, _subject, _, fields) = der(fields);
    let (_, spki, _, _) = der(fields);
    let (_, _key_alg, _, spki_rest) = der(spki);
    let (_, key_bits, _, _) = der(spki_rest);
    (
        tbs_whole.to_vec(),
        signature[1..].to_vec(),
        issuer.to_vec(),
        key_bits[1..].to_vec(),
    )
}

fn verify(key: &[u8], message: &[u8], signature: &[u8]) -> bool {
    UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, key)
        .verify(message, signature)
        .is_ok()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn referral_events_are_delivered_signed_like_partner_center() {
    let pc = spawn().await;
    let (receiver, url) = Receiver::start(&[]).await;
    register(&pc, &url, REFERRAL_EVENTS, false).await;
    let referral = pc.created(&private_deal()).await;
    let id = referral["id"].as_str().unwrap();
    let log = deliveries(&pc, 1).await;
    assert_eq!(log[0].event, "referral-created");
    assert_eq!(log[0].status, Some(200));
    assert_eq!(log[0].attempt, 1);

    let (headers, body) = receiver.requests().remove(0);
    let event: Value = serde_json::from_slice(&body).unwrap();
    let keys: Vec<&str> = event
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "EventName",
            "ResourceUri",
            "ResourceName",
            "AuditUri",
            "ResourceChangeUtcDate"
        ]
    );
    assert_eq!(event["EventName"], "referral-created");
    assert_eq!(
        event["ResourceUri"],
        format!("https://api.partnercenter.microsoft.com/engagements/v1/referrals/{id}")
    );
    assert_eq!(event["ResourceName"], "referral");
    assert!(event["AuditUri"].is_null());
    let changed = event["ResourceChangeUtcDate"].as_str().unwrap();
    assert!(
        changed.ends_with("+00:00") && changed.len() == 33,
        "{changed}"
    );
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(headers["x-ms-signature-algorithm"], "rsa-sha256");
    let authorization = headers["authorization"].to_str().unwrap();
    let signature = base64::engine::general_purpose::STANDARD
        .decode(
            authorization
                .strip_prefix("Signature ")
                .expect("Signature scheme"),
        )
        .unwrap();

    // Fetch the certificate the event points to, and check it chains to the CA.
    let cert_url = headers["x-ms-certificate-url"].to_str().unwrap();
    let leaf = pc
        .http
        .get(cert_url)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let ca_der = pem::parse(pc.emu.ca_pem()).unwrap().into_contents();
    let (leaf_tbs, leaf_sig, leaf_issuer, leaf_key) = cert_parts(&leaf);
    let (ca_tbs, ca_sig, _, ca_key) = cert_parts(&ca_der);
    assert!(verify(&ca_key, &ca_tbs, &ca_sig), "CA is self-signed");
    assert!(
        verify(&ca_key, &leaf_tbs, &leaf_sig),
        "leaf is issued by the CA"
    );
    assert!(
        contains(&leaf_issuer, b"Microsoft Corporation"),
        "issuer carries O=Microsoft Corporation"
    );
    assert!(
        verify(&leaf_key, &body, &signature),
        "event signature verifies over the exact body"
    );
    let mut tampered = body.to_vec();
    tampered[5] ^= 1;
    assert!(!verify(&leaf_key, &tampered, &signature));
    // The CA is also served by the control API.
    let ca_text = pc
        .http
        .get(format!("{}/_emulator/ca", pc.emu.url()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(ca_text, pc.emu.ca_pem());
}

#[tokio::test]
async fn ms_signature_header_is_used_when_registered() {
    let pc = spawn().await;
    let (receiver, url) = Receiver::start(&[]).await;
    register(&pc, &url, &["referral-created"], true).await;
    pc.created(&private_deal()).await;
    deliveries(&pc, 1).await;
    let (headers, _) = receiver.requests().remove(0);
    assert!(headers.get("authorization").is_none());
    assert!(headers["x-ms-signature"]
        .to_str()
        .unwrap()
        .starts_with("Signature "));
}

#[tokio::test]
async fn only_registered_events_are_delivered_for_partner_and_microsoft_writes() {
    let pc = spawn().await;
    let (_receiver, url) = Receiver::start(&[]).await;
    register(&pc, &url, &["referral-updated"], false).await;
    let shared = pc.emu.share_referral(json!({})).unwrap();
    let id = shared["id"].as_str().unwrap();
    pc.emu
        .microsoft_update(id, json!({ "details": { "notes": "from the seller" } }))
        .unwrap();
    let ops = json!([{ "op": "replace", "path": "/status", "value": "Active" }, { "op": "replace", "path": "/substatus", "value": "Accepted" }]);
    assert_eq!(
        pc.patch(id, &ops, &[]).await.status(),
        StatusCode::NO_CONTENT
    );
    let log = deliveries(&pc, 2).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let log_after = pc.emu.deliveries();
    assert_eq!(log_after.len(), 2, "{log_after:?}");
    assert!(log
        .iter()
        .all(|d| d.event == "referral-updated" && d.resource_uri.ends_with(id)));
}

#[tokio::test]
async fn related_referral_events_fire_for_engagement_counterparts() {
    let pc = spawn().await;
    let (_receiver, url) = Receiver::start(&[]).await;
    register(&pc, &url, REFERRAL_EVENTS, false).await;
    let first = pc.created(&co_sell_deal()).await;
    let mut connected = co_sell_deal();
    connected["engagementId"] = first["engagementId"].clone();
    connected["target"] = json!([{ "type": "BusinessProfileLocation", "id": "msft" }]);
    let second = pc.created(&connected).await;
    let log = deliveries(&pc, 3).await;
    let mut events: Vec<&str> = log.iter().map(|d| d.event.as_str()).collect();
    events.sort();
    assert_eq!(
        events,
        [
            "referral-created",
            "referral-created",
            "related-referral-created"
        ]
    );
    let related = log
        .iter()
        .find(|d| d.event == "related-referral-created")
        .unwrap();
    assert!(related
        .resource_uri
        .ends_with(second["id"].as_str().unwrap()));
    let ops = json!([{ "op": "replace", "path": "/details/notes", "value": "x" }]);
    pc.patch(first["id"].as_str().unwrap(), &ops, &[]).await;
    let log = deliveries(&pc, 5).await;
    assert!(log.iter().any(|d| d.event == "related-referral-updated"));
}

#[tokio::test]
async fn failed_deliveries_are_retried_up_to_the_cap() {
    let options = Options {
        webhook_max_attempts: 3,
        webhook_retry_base: Duration::from_millis(10),
        ..Options::default()
    };
    let pc = spawn_with(options).await;
    let (receiver, url) = Receiver::start(&[500, 500, 500, 500]).await;
    register(&pc, &url, &["referral-created"], false).await;
    pc.created(&private_deal()).await;
    let log = deliveries(&pc, 3).await;
    tokio::time::sleep(Duration::from_millis(150)).await;
    let log_after = pc.emu.deliveries();
    assert_eq!(log_after.len(), 3, "stops at the cap");
    assert_eq!(log.iter().map(|d| d.attempt).collect::<Vec<_>>(), [1, 2, 3]);
    assert!(log
        .iter()
        .all(|d| d.status == Some(500) && d.id == log[0].id));
    assert_eq!(receiver.requests().len(), 3);
    // Every attempt carries the same signed body.
    let bodies: Vec<Bytes> = receiver.requests().into_iter().map(|(_, b)| b).collect();
    assert!(bodies.windows(2).all(|w| w[0] == w[1]));
}

#[tokio::test]
async fn retries_stop_at_the_first_success_and_connection_errors_are_recorded() {
    let options = Options {
        webhook_max_attempts: 5,
        webhook_retry_base: Duration::from_millis(10),
        ..Options::default()
    };
    let pc = spawn_with(options).await;
    let (_receiver, url) = Receiver::start(&[503, 429]).await;
    register(&pc, &url, &["referral-created"], false).await;
    pc.created(&private_deal()).await;
    let log = deliveries(&pc, 3).await;
    assert_eq!(
        log.iter().map(|d| d.status).collect::<Vec<_>>(),
        [Some(503), Some(429), Some(200)]
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(pc.emu.deliveries().len(), 3);

    let options = Options {
        webhook_max_attempts: 2,
        webhook_retry_base: Duration::from_millis(10),
        ..Options::default()
    };
    let pc = spawn_with(options).await;
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dead_url = format!("http://{}/hook", closed.local_addr().unwrap());
    drop(closed);
    register(&pc, &dead_url, &["referral-created"], false).await;
    pc.created(&private_deal()).await;
    let log = deliveries(&pc, 2).await;
    assert!(log.iter().all(|d| d.status.is_none() && d.error.is_some()));
}

#[tokio::test]
async fn test_events_are_delivered_tracked_and_throttled() {
    let pc = spawn().await;
    let (receiver, url) = Receiver::start(&[]).await;
    let token = webhooks_token(&pc).await;
    let validation_url = format!("{}/registration/validationEvents", pc.emu.webhooks_url());
    let early = pc
        .http
        .post(&validation_url)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    expect_error(early, 404, "itemNotFound").await;
    register(&pc, &url, &["referral-created"], false).await;
    let unregistered = pc
        .http
        .post(&validation_url)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    expect_error(unregistered, 400, "invalidRequest").await;
    let put = json!({ "WebhookUrl": url, "WebhookEvents": ["test-created", "referral-created"] });
    assert_eq!(
        registration_call(&pc, reqwest::Method::PUT, Some(put))
            .await
            .status(),
        StatusCode::OK
    );

    let response = pc
        .http
        .post(&validation_url)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let correlation: Value = response.json().await.unwrap();
    let correlation_id = correlation["correlationId"].as_str().unwrap();
    deliveries(&pc, 1).await;
    let (_, body) = receiver.requests().remove(0);
    let event: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(event["EventName"], "test-created");
    assert_eq!(event["ResourceName"], "test");
    assert!(event["ResourceUri"].as_str().unwrap().ends_with(&format!(
        "/webhooks/v1/registration/validationEvents/{correlation_id}"
    )));
    let status: Value = pc
        .http
        .get(format!("{validation_url}/{correlation_id}"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(status["status"], "completed");
    assert_eq!(status["callbackUrl"], url);
    assert_eq!(status["results"][0]["responseCode"], "OK");
    let unknown = pc
        .http
        .get(format!("{validation_url}/{}", uuid::Uuid::new_v4()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    expect_error(unknown, 404, "itemNotFound").await;

    // Two test events per minute (https://learn.microsoft.com/en-us/partner-center/developer/partner-center-webhooks).
    assert_eq!(
        pc.http
            .post(&validation_url)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let third = pc
        .http
        .post(&validation_url)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert!(third.headers().contains_key("retry-after"));
    assert_eq!(third.status().as_u16(), 429);
}

#[tokio::test]
async fn delivery_does_not_block_the_api_response() {
    let options = Options {
        webhook_max_attempts: 1,
        ..Options::default()
    };
    let pc = spawn_with(options).await;
    // A receiver that accepts the connection but never answers.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", silent.local_addr().unwrap());
    register(&pc, &url, &["referral-created"], false).await;
    let started = std::time::Instant::now();
    pc.created(&private_deal()).await;
    assert!(started.elapsed() < Duration::from_secs(2));
    drop(silent);
}

#[tokio::test]
async fn microsofts_answer_tells_the_partner_through_related_referral_updated() {
    let pc = spawn().await;
    let (_receiver, url) = Receiver::start(&[]).await;
    register(&pc, &url, REFERRAL_EVENTS, false).await;
    let own = pc.created(&co_sell_deal()).await;
    let mut connected = co_sell_deal();
    connected["engagementId"] = own["engagementId"].clone();
    connected["target"] = json!([{ "type": "BusinessProfileLocation", "id": "msft" }]);
    let microsoft = pc.created(&connected).await;
    deliveries(&pc, 3).await;
    let id = microsoft["id"].as_str().unwrap();
    pc.emu
        .microsoft_answer(
            id,
            emulator::partner_center::MicrosoftAnswer::Decline {
                reason: "No capacity".into(),
            },
        )
        .unwrap();
    let log = deliveries(&pc, 5).await;
    let answered: Vec<&str> = log[3..]
        .iter()
        .filter(|d| d.resource_uri.ends_with(id))
        .map(|d| d.event.as_str())
        .collect();
    assert!(
        answered.contains(&"related-referral-updated"),
        "{answered:?}"
    );
}
