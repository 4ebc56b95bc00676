//! Control API over HTTP: Microsoft-seller actions, call counts, injected
//! faults and throttling in Partner Center's error shape, reset.

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::{expect_error, private_deal, spawn, Pc};

fn control(pc: &Pc, path: &str) -> String {
    format!("{}/_emulator/{path}", pc.emu.url())
}

async fn set_faults(pc: &Pc, faults: Value) -> reqwest::Response {
    pc.http
        .post(control(pc, "faults"))
        .json(&faults)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn microsoft_seller_shares_and_updates_over_http() {
    let pc = spawn().await;
    let response = pc
        .http
        .post(control(&pc, "referrals"))
        .json(&json!({ "name": "Seller deal", "details": { "dealValue": 900, "currency": "USD" } }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let shared: Value = response.json().await.unwrap();
    assert_eq!(shared["direction"], "Incoming");
    assert_eq!(shared["status"], "New");
    assert_eq!(shared["substatus"], "Pending");
    assert_eq!(shared["type"], "Shared");
    assert_eq!(
        shared["inviteContext"]["invitedBy"]["organizationId"],
        "msft"
    );
    assert!(shared["expirationDateTime"].is_string());
    let id = shared["id"].as_str().unwrap();

    let merged: Value = pc
        .http
        .patch(control(&pc, &format!("referrals/{id}")))
        .json(&json!({ "details": { "notes": "call the CIO" }, "trackingInfo": { "microsoftMsxId": "7-ABC" } }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(merged["details"]["notes"], "call the CIO");
    assert_eq!(merged["details"]["dealValue"], 900);
    assert_ne!(merged["eTag"], shared["eTag"]);

    let expired = pc
        .http
        .patch(control(&pc, &format!("referrals/{id}")))
        .json(&json!([{ "op": "replace", "path": "/status", "value": "Closed" }, { "op": "replace", "path": "/substatus", "value": "Expired" }]))
        .send()
        .await
        .unwrap();
    assert_eq!(expired.status(), StatusCode::OK);
    // Visible through the Referrals API.
    let page: Value = pc.get(&pc.referrals()).await.json().await.unwrap();
    assert_eq!(page["value"][0]["substatus"], "Expired");
    let unknown = pc
        .http
        .patch(control(&pc, "referrals/nope"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    expect_error(unknown, 404, "itemNotFound").await;
    let invalid = pc
        .http
        .post(control(&pc, "referrals"))
        .json(&json!({ "customerProfile": { "name": "x", "address": { "country": "ZZ" } } }))
        .send()
        .await
        .unwrap();
    expect_error(invalid, 400, "invalidRequest").await;
}

#[tokio::test]
async fn calls_are_counted_per_route_and_control_calls_are_not() {
    let pc = spawn().await;
    pc.created(&private_deal()).await;
    pc.get(&pc.referrals()).await;
    pc.get(&pc.referrals()).await;
    let calls: Value = pc
        .http
        .get(control(&pc, "calls"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(calls["by_route"]["GET /v1.0/engagements/referrals"], 2);
    assert_eq!(calls["by_route"]["POST /v1.0/engagements/referrals"], 1);
    assert_eq!(calls["by_route"]["POST /{tenant}/oauth2/v2.0/token"], 1);
    assert_eq!(calls["total"], 4);
    assert_eq!(pc.emu.control().calls().matching("referrals"), 3);
}

#[tokio::test]
async fn injected_errors_use_partner_center_error_bodies() {
    let pc = spawn().await;
    let response = set_faults(
        &pc,
        json!({ "error_rate": 1.0, "errors": ["503"], "routes": ["/referrals"] }),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let faulted = pc.get(&pc.referrals()).await;
    assert!(faulted.headers().contains_key("retry-after"));
    expect_error(faulted, 503, "serviceNotAvailable").await;
    set_faults(&pc, json!({ "error_rate": 1.0, "errors": ["500"] })).await;
    expect_error(pc.get(&pc.referrals()).await, 500, "generalException").await;
    // Control routes are never faulted.
    assert_eq!(
        pc.http
            .get(control(&pc, "deliveries"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    set_faults(&pc, json!({})).await;
    assert_eq!(pc.get(&pc.referrals()).await.status(), StatusCode::OK);
    let bad = set_faults(&pc, json!({ "error_rate": 2.0, "errors": ["500"] })).await;
    expect_error(bad, 400, "invalidRequest").await;
    let unknown_field = set_faults(&pc, json!({ "chaos": true })).await;
    expect_error(unknown_field, 400, "invalidRequest").await;
}

#[tokio::test]
async fn throttling_answers_429_with_retry_after() {
    let pc = spawn().await;
    set_faults(
        &pc,
        json!({ "throttle": { "requests_per_second": 2, "retry_after_seconds": 7 } }),
    )
    .await;
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let response = pc.get(&pc.referrals()).await;
        statuses.push(response.status().as_u16());
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(response.headers()["retry-after"], "7");
            expect_error(response, 429, "serviceNotAvailable").await;
        }
    }
    assert_eq!(statuses, [200, 200, 429]);
}

#[tokio::test]
async fn reset_forgets_data_but_keeps_tokens() {
    let pc = spawn().await;
    pc.created(&private_deal()).await;
    let response = pc.http.post(control(&pc, "reset")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert!(pc.emu.referrals().is_empty());
    let page: Value = pc.get(&pc.referrals()).await.json().await.unwrap();
    assert_eq!(page["value"], json!([]));
    assert_eq!(pc.emu.control().calls().total, 1);
}

#[tokio::test]
async fn certificate_route_serves_only_the_signing_certificate() {
    let pc = spawn().await;
    let missing = pc
        .http
        .get(control(&pc, "cert/other.cer"))
        .send()
        .await
        .unwrap();
    expect_error(missing, 404, "itemNotFound").await;
    let unknown_path = pc.get(&format!("{}/v1.0/nothing", pc.emu.url())).await;
    expect_error(unknown_path, 404, "itemNotFound").await;
}

#[tokio::test]
async fn faults_on_the_token_endpoint_answer_in_entra_shape() {
    let pc = spawn().await;
    let faults = json!({ "error_rate": 1.0, "errors": ["503"], "routes": ["/oauth2/"] });
    assert!(set_faults(&pc, faults).await.status().is_success());
    let response = pc
        .http
        .post(pc.emu.token_url())
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "cosell-demo"),
            ("client_secret", "cosell-demo-secret"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()["retry-after"], "1");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "temporarily_unavailable");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .starts_with("AADSTS90033:"),
        "{body}"
    );
    assert_eq!(body["error_codes"], json!([90033]));
}
