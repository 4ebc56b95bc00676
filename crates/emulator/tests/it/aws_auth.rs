//! The protocol and SigV4: what an unsigned, badly signed or malformed
//! request gets (CommonErrors page), and the per-account quotas.

use emulator::aws::{Options, Quotas};
use serde_json::json;

use super::{spawn, spawn_with};

#[tokio::test]
async fn a_signed_request_is_served_and_a_bad_signature_is_refused() {
    let aws = spawn().await;
    let list = json!({"Catalog": "Sandbox"});
    aws.call("ListOpportunities", list.clone()).await.ok();
    let key = aws.emu.options().credentials[0].access_key_id.clone();
    let wrong = aws
        .call_as(&key, "not-the-secret", "ListOpportunities", list.clone())
        .await;
    assert!(wrong.error(403, "InvalidSignatureException")["Message"]
        .as_str()
        .unwrap()
        .starts_with("The request signature we calculated does not match"));
    let unknown = aws
        .call_as("AKIAUNKNOWNKEY000000", "x", "ListOpportunities", list)
        .await;
    assert_eq!(
        unknown.error(403, "UnrecognizedClientException")["Message"],
        "The security token included in the request is invalid."
    );
}

#[tokio::test]
async fn an_unsigned_request_is_refused() {
    let aws = spawn().await;
    let response = aws
        .http
        .post(format!("{}/", aws.emu.url()))
        .header("x-amz-target", "AWSPartnerCentralSelling.ListOpportunities")
        .header("content-type", "application/x-amz-json-1.0")
        .body("{\"Catalog\":\"AWS\"}")
        .send()
        .await
        .unwrap();
    let answer = super::answer(response).await;
    assert_eq!(
        answer.error(403, "MissingAuthenticationTokenException")["Message"],
        "Missing Authentication Token"
    );
}

#[tokio::test]
async fn unknown_operations_and_unreadable_bodies_are_refused() {
    let aws = spawn().await;
    let c = aws.emu.options().credentials[0].clone();
    let (k, s) = (c.access_key_id.as_str(), c.secret_access_key.as_str());
    aws.raw(
        k,
        s,
        "AWSPartnerCentralSelling.DeleteOpportunity",
        "application/x-amz-json-1.0",
        b"{}",
    )
    .await
    .error(404, "UnknownOperationException");
    aws.raw(
        k,
        s,
        "AWSPartnerCentralSelling.ListOpportunities",
        "application/x-amz-json-1.0",
        b"[1]",
    )
    .await
    .error(400, "SerializationException");
    aws.raw(
        k,
        s,
        "AWSPartnerCentralSelling.ListOpportunities",
        "application/json",
        b"{}",
    )
    .await
    .error(400, "SerializationException");
}

#[tokio::test]
async fn writes_over_the_quota_are_throttled_per_account() {
    let aws = spawn_with(Options {
        quotas: Quotas {
            reads_per_second: 100,
            writes_per_second: 1,
            burst_seconds: 1,
        },
        ..Options::default()
    })
    .await;
    let id = aws.create("Sandbox").await;
    let current = aws.get("Sandbox", &id).await;
    let throttled = aws.update(&current, |_| {}).await;
    assert!(throttled.error(429, "ThrottlingException")["Message"]
        .as_str()
        .unwrap()
        .contains("write"));
    // Reads draw from their own budget.
    aws.get("Sandbox", &id).await;
}
