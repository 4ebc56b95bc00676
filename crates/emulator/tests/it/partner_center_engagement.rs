//! Co-sell engagements: the partner's Shared referral, the connected
//! referral addressed to Microsoft in the same engagement, the links and
//! events between them, and Microsoft's answer played through the control
//! API.

use emulator::partner_center::{MicrosoftAnswer, MicrosoftSeller};
use reqwest::StatusCode;
use serde_json::{json, Value};

use super::{co_sell_deal, expect_error, private_deal, spawn, Pc};

/// The connected referral for Microsoft in `engagement`.
fn for_microsoft(engagement: &Value) -> Value {
    let mut body = co_sell_deal();
    body["engagementId"] = engagement.clone();
    body["target"] = json!([{ "type": "BusinessProfileLocation", "id": "msft" }]);
    body
}

/// Opens an engagement: the partner's Shared referral and Microsoft's side.
async fn engagement(pc: &Pc) -> (Value, Value) {
    let own = pc.created(&co_sell_deal()).await;
    let microsoft = pc.created(&for_microsoft(&own["engagementId"])).await;
    (own, microsoft)
}

async fn answer(pc: &Pc, id: &str, body: Value) -> reqwest::Response {
    pc.http
        .post(format!(
            "{}/_emulator/referrals/{id}/microsoft",
            pc.emu.url()
        ))
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_connected_referral_joins_the_engagement_and_waits_for_microsoft() {
    let pc = spawn().await;
    let (own, microsoft) = engagement(&pc).await;
    assert_eq!(own["status"], "Active");
    assert_eq!(microsoft["engagementId"], own["engagementId"]);
    assert_eq!(microsoft["status"], "New");
    assert_eq!(microsoft["substatus"], "Pending");
    assert!(microsoft["acceptedDateTime"].is_null());
    // Each lists the other through links.relatedReferrals.
    for referral in [&own, &microsoft] {
        let uri = referral["links"]["relatedReferrals"]["uri"]
            .as_str()
            .unwrap();
        let page: Value = pc.get(uri).await.json().await.unwrap();
        let mut ids: Vec<&str> = page["value"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap())
            .collect();
        ids.sort();
        let mut expected = [
            own["id"].as_str().unwrap(),
            microsoft["id"].as_str().unwrap(),
        ];
        expected.sort();
        assert_eq!(ids, expected);
    }
}

#[tokio::test]
async fn a_referral_for_microsoft_needs_a_shared_engagement_of_its_own() {
    let pc = spawn().await;
    let mut lone = co_sell_deal();
    lone["target"] = json!([{ "type": "BusinessProfileLocation", "id": "msft" }]);
    let body = expect_error(pc.create(&lone).await, 400, "invalidRequest").await;
    assert_eq!(body["error"]["target"], "engagementId");

    let private = pc.created(&private_deal()).await;
    let body = expect_error(
        pc.create(&for_microsoft(&private["engagementId"])).await,
        400,
        "invalidRequest",
    )
    .await;
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("type Shared"));

    let (own, _) = engagement(&pc).await;
    let body = expect_error(
        pc.create(&for_microsoft(&own["engagementId"])).await,
        400,
        "invalidRequest",
    )
    .await;
    assert_eq!(body["error"]["target"], "target");
}

#[tokio::test]
async fn microsoft_accepts_with_its_crm_id_and_seller() {
    let pc = spawn().await;
    let (_, microsoft) = engagement(&pc).await;
    let id = microsoft["id"].as_str().unwrap();
    let accepted: Value = answer(
        &pc,
        id,
        json!({ "decision": "accept", "msxId": "7-3K9QZ1", "seller": { "firstName": "Mia", "lastName": "Lind", "email": "mia@microsoft.example" } }),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(accepted["status"], "Active");
    assert_eq!(accepted["substatus"], "Accepted");
    assert_eq!(accepted["trackingInfo"]["microsoftMsxId"], "7-3K9QZ1");
    assert_eq!(accepted["team"][0]["email"], "mia@microsoft.example");
    assert!(accepted["acceptedDateTime"].is_string());
    // Through the Referrals API too, and only once.
    let read: Value = pc.get(&pc.referral_url(id)).await.json().await.unwrap();
    assert_eq!(read["trackingInfo"]["microsoftMsxId"], "7-3K9QZ1");
    let again = answer(&pc, id, json!({ "decision": "decline" })).await;
    expect_error(again, 400, "invalidRequest").await;
}

#[tokio::test]
async fn microsoft_declines_with_a_reason_in_process() {
    let pc = spawn().await;
    let (own, microsoft) = engagement(&pc).await;
    let declined = pc
        .emu
        .microsoft_answer(
            microsoft["id"].as_str().unwrap(),
            MicrosoftAnswer::Decline {
                reason: "Customer is covered by another partner".into(),
            },
        )
        .unwrap();
    assert_eq!(declined["status"], "Closed");
    assert_eq!(declined["substatus"], "Declined");
    assert_eq!(
        declined["statusReason"],
        "Customer is covered by another partner"
    );
    // The partner's own referral goes on.
    let own = pc.emu.referral(own["id"].as_str().unwrap()).unwrap();
    assert_eq!(own["status"], "Active");
    // Only referrals addressed to Microsoft get Microsoft's answer.
    let refused = pc.emu.microsoft_answer(
        own["id"].as_str().unwrap(),
        MicrosoftAnswer::Accept {
            msx_id: "7-X".into(),
            seller: Some(MicrosoftSeller {
                email: "a@b.example".into(),
                ..MicrosoftSeller::default()
            }),
        },
    );
    assert_eq!(refused.unwrap_err().status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_partner_cannot_answer_for_microsoft() {
    let pc = spawn().await;
    let (_, microsoft) = engagement(&pc).await;
    let ops = json!([{ "op": "replace", "path": "/status", "value": "Active" }, { "op": "replace", "path": "/substatus", "value": "Accepted" }]);
    let response = pc.patch(microsoft["id"].as_str().unwrap(), &ops, &[]).await;
    let body = expect_error(response, 403, "accessDenied").await;
    assert_eq!(body["error"]["target"], "status");
}
