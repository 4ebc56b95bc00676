//! Rules that depend on time, driven by the emulator's clock control (never
//! by sleeping): unanswered incoming referrals expire after 14 days, and a
//! deal registration must be 72 hours old before its referral is Won.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::{co_sell_deal, expect_error, spawn, Pc};

const HOUR: u64 = 3600;
const DAY: u64 = 24 * HOUR;

fn accept() -> Value {
    json!([{ "op": "replace", "path": "/status", "value": "Active" }, { "op": "replace", "path": "/substatus", "value": "Accepted" }])
}

fn won() -> Value {
    json!([{ "op": "replace", "path": "/status", "value": "Closed" }, { "op": "replace", "path": "/substatus", "value": "Won" }])
}

fn id(referral: &Value) -> String {
    referral["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn an_unanswered_incoming_referral_expires_after_fourteen_days() {
    let pc = spawn().await;
    let waiting = pc
        .emu
        .share_referral(json!({ "name": "Unanswered" }))
        .unwrap();
    let answered = pc
        .emu
        .share_referral(json!({ "name": "Answered" }))
        .unwrap();
    assert_eq!(
        pc.patch(&id(&answered), &accept(), &[]).await.status(),
        StatusCode::NO_CONTENT
    );

    pc.emu.advance_clock(Duration::from_secs(14 * DAY - 60));
    assert_eq!(pc.emu.referral(&id(&waiting)).unwrap()["status"], "New");
    pc.emu.advance_clock(Duration::from_secs(120));
    let expired = pc.emu.referral(&id(&waiting)).unwrap();
    assert_eq!(expired["status"], "Closed");
    assert_eq!(expired["substatus"], "Expired");
    assert!(expired["closedDateTime"].is_string());
    assert_eq!(pc.emu.referral(&id(&answered)).unwrap()["status"], "Active");
    // Too late to accept: the referral is terminal.
    let body = expect_error(
        pc.patch(&id(&waiting), &accept(), &[]).await,
        400,
        "invalidRequest",
    )
    .await;
    assert_eq!(
        body["error"]["message"],
        "The referral is closed (Expired); no actions are permitted after a referral reaches a terminal state."
    );
}

async fn registered(pc: &Pc) -> String {
    let referral = pc.created(&co_sell_deal()).await;
    let registration = json!([{ "op": "add", "path": "/registrations/-", "value": {
        "type": "AzureIPCoSell",
        "solutionDetails": [ { "id": "SOL-15974-MQF", "currency": "USD", "value": 12000, "isDeployedOnAzure": true,
                               "primaryDeploymentOn": "Customer", "pricingModel": "PayAsYouGo" } ],
        "contract": { "currency": "USD", "value": 12000, "term": "Finite" } } }]);
    assert_eq!(
        pc.patch(&id(&referral), &registration, &[]).await.status(),
        StatusCode::NO_CONTENT
    );
    id(&referral)
}

#[tokio::test]
async fn a_deal_registration_is_won_only_seventy_two_hours_after_it_was_created() {
    let pc = spawn().await;
    let referral = registered(&pc).await;
    pc.emu.advance_clock(Duration::from_secs(71 * HOUR));
    let body = expect_error(
        pc.patch(&referral, &won(), &[]).await,
        400,
        "invalidRequest",
    )
    .await;
    assert_eq!(body["error"]["target"], "substatus");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("A deal with a deal registration can be marked Won only 72 hours after the registration was created (registered "),
        "{message}"
    );
    assert_eq!(pc.emu.referral(&referral).unwrap()["status"], "Active");

    pc.emu.advance_clock(Duration::from_secs(HOUR));
    assert_eq!(
        pc.patch(&referral, &won(), &[]).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(pc.emu.referral(&referral).unwrap()["substatus"], "Won");
}

#[tokio::test]
async fn a_deal_without_a_registration_is_won_at_once() {
    let pc = spawn().await;
    let referral = pc.created(&co_sell_deal()).await;
    assert_eq!(
        pc.patch(&id(&referral), &won(), &[]).await.status(),
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn the_clock_moves_over_http() {
    let pc = spawn().await;
    let url = format!("{}/_emulator/clock", pc.emu.url());
    let before: Value = pc
        .http
        .get(&url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let after: Value = pc
        .http
        .post(&url)
        .json(&json!({ "advanceSeconds": 15 * DAY }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let parse =
        |v: &Value| chrono::DateTime::parse_from_rfc3339(v["now"].as_str().unwrap()).unwrap();
    assert!(parse(&after) - parse(&before) >= chrono::Duration::days(15));
    let refused = pc
        .http
        .post(&url)
        .json(&json!({ "advanceSeconds": -1 }))
        .send()
        .await
        .unwrap();
    let body = expect_error(refused, 400, "invalidRequest").await;
    assert_eq!(body["error"]["target"], "advanceSeconds");
}
