//! PATCH and PUT: JSON Patch rules, ETags and If-Match, server-owned
//! fields, the status state machine, one-way visibility.

use emulator::partner_center::{Options, Rules};
use reqwest::StatusCode;
use serde_json::{json, Value};

use super::{co_sell_deal, expect_error, is_pc_timestamp, private_deal, spawn, spawn_with, Pc};

const REPRESENTATION: (&str, &str) = ("Prefer", "return=representation");

async fn patched(pc: &Pc, id: &str, ops: Value) -> Value {
    let response = pc.patch(id, &ops, &[REPRESENTATION]).await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "{:?}",
        response.text().await
    );
    response.json().await.unwrap()
}

/// An incoming referral shared by a Microsoft seller (New/Pending).
fn incoming(pc: &Pc) -> Value {
    pc.emu
        .share_referral(json!({ "name": "From Microsoft" }))
        .unwrap()
}

fn id(referral: &Value) -> String {
    referral["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn patch_without_prefer_is_204_and_with_prefer_is_200() {
    let pc = spawn().await;
    let created = pc.created(&private_deal()).await;
    let ops = json!([
        { "op": "replace", "path": "/details/dealValue", "value": "10000" },
        { "op": "replace", "path": "/details/notes", "value": "text" },
        { "op": "add", "path": "/team/-", "value": { "email": "jane@partner.example", "firstName": "Jane", "lastName": "Doe", "phoneNumber": "0000000001" } }
    ]);
    let response = pc.patch(&id(&created), &ops, &[]).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    assert_ne!(etag, created["eTag"].as_str().unwrap());
    assert!(response.bytes().await.unwrap().is_empty());
    let stored = pc.emu.referral(&id(&created)).unwrap();
    assert_eq!(stored["details"]["dealValue"], json!(10000));
    assert_eq!(stored["details"]["notes"], "text");
    assert_eq!(stored["team"].as_array().unwrap().len(), 2);
    assert_eq!(stored["eTag"], etag);

    let body = patched(
        &pc,
        &id(&created),
        json!([{ "op": "replace", "path": "/name", "value": "Renamed" }]),
    )
    .await;
    assert_eq!(body["name"], "Renamed");
    assert_ne!(body["eTag"], stored["eTag"]);
    assert!(is_pc_timestamp(body["updatedDateTime"].as_str().unwrap()));
    assert!(
        body["updatedDateTime"].as_str().unwrap() > stored["updatedDateTime"].as_str().unwrap()
    );
    assert_eq!(body["createdDateTime"], created["createdDateTime"]);
}

#[tokio::test]
async fn patch_accepts_only_add_and_replace() {
    let pc = spawn().await;
    let created = pc.created(&private_deal()).await;
    for op in ["remove", "move", "copy", "test"] {
        let ops = json!([{ "op": op, "path": "/name", "from": "/name", "value": "x" }]);
        expect_error(
            pc.patch(&id(&created), &ops, &[]).await,
            400,
            "invalidRequest",
        )
        .await;
    }
    let not_array = json!({ "op": "replace", "path": "/name", "value": "x" });
    expect_error(
        pc.patch(&id(&created), &not_array, &[]).await,
        400,
        "invalidRequest",
    )
    .await;
    let missing_parent = json!([{ "op": "add", "path": "/nosuch/child", "value": 1 }]);
    expect_error(
        pc.patch(&id(&created), &missing_parent, &[]).await,
        400,
        "invalidRequest",
    )
    .await;
    let bad_index = json!([{ "op": "replace", "path": "/team/7", "value": {} }]);
    expect_error(
        pc.patch(&id(&created), &bad_index, &[]).await,
        400,
        "invalidRequest",
    )
    .await;
    let invalid_value = json!([{ "op": "replace", "path": "/details/currency", "value": "QQQ" }]);
    expect_error(
        pc.patch(&id(&created), &invalid_value, &[]).await,
        400,
        "invalidRequest",
    )
    .await;
    // Nothing was applied by the failed patches.
    assert_eq!(
        pc.emu.referral(&id(&created)).unwrap()["eTag"],
        created["eTag"]
    );
    let unknown = pc
        .patch(
            &uuid::Uuid::new_v4().to_string(),
            &json!([{ "op": "replace", "path": "/name", "value": "x" }]),
            &[],
        )
        .await;
    expect_error(unknown, 404, "itemNotFound").await;
}

#[tokio::test]
async fn server_owned_fields_cannot_be_patched() {
    let pc = spawn().await;
    let created = pc.created(&private_deal()).await;
    for path in [
        "/id",
        "/engagementId",
        "/eTag",
        "/createdDateTime",
        "/updatedDateTime",
        "/acceptedDateTime",
        "/closedDateTime",
        "/links",
        "/organizationId",
        "/organizationName",
        "/direction",
        "/mpnId",
    ] {
        let ops = json!([{ "op": "replace", "path": path, "value": "x" }]);
        expect_error(
            pc.patch(&id(&created), &ops, &[]).await,
            400,
            "invalidRequest",
        )
        .await;
    }
}

#[tokio::test]
async fn patch_honours_if_match_when_present() {
    let pc = spawn().await;
    let created = pc.created(&private_deal()).await;
    let ops = json!([{ "op": "replace", "path": "/name", "value": "v2" }]);
    let etag = created["eTag"].as_str().unwrap();
    let ok = pc.patch(&id(&created), &ops, &[("If-Match", etag)]).await;
    assert_eq!(ok.status(), StatusCode::NO_CONTENT);
    let stale = pc.patch(&id(&created), &ops, &[("If-Match", etag)]).await;
    expect_error(stale, 412, "preconditionFailed").await;
    let star = pc.patch(&id(&created), &ops, &[("If-Match", "*")]).await;
    assert_eq!(star.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn put_requires_a_current_if_match_and_no_links() {
    let pc = spawn().await;
    let created = pc.created(&private_deal()).await;
    let mut body: Value = pc
        .get(&pc.referral_url(&id(&created)))
        .await
        .json()
        .await
        .unwrap();
    let etag = created["eTag"].as_str().unwrap().to_owned();
    let error = expect_error(
        pc.put(&id(&created), &body, Some(&etag)).await,
        400,
        "invalidRequest",
    )
    .await;
    assert_eq!(error["error"]["target"], "links");
    body.as_object_mut().unwrap().remove("links");
    expect_error(
        pc.put(&id(&created), &body, None).await,
        428,
        "preconditionFailed",
    )
    .await;
    body["externalReferenceId"] = json!("006xx000001");
    expect_error(
        pc.put(&id(&created), &body, Some("\"stale\"")).await,
        412,
        "preconditionFailed",
    )
    .await;
    let response = pc.put(&id(&created), &body, Some(&etag)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let new_etag = response.headers()["etag"].to_str().unwrap().to_owned();
    let updated: Value = response.json().await.unwrap();
    assert_eq!(updated["externalReferenceId"], "006xx000001");
    assert_eq!(updated["eTag"], new_etag);
    assert_ne!(new_etag, etag);
    // The old ETag is stale now.
    expect_error(
        pc.put(&id(&created), &body, Some(&etag)).await,
        412,
        "preconditionFailed",
    )
    .await;
}

#[tokio::test]
async fn put_cannot_change_server_owned_fields() {
    let pc = spawn().await;
    let created = pc.created(&private_deal()).await;
    for (key, value) in [
        ("direction", "Incoming"),
        ("engagementId", "9b0c1d2e-0000-4000-8000-000000000000"),
        ("id", "9b0c1d2e-0000-4000-8000-000000000001"),
    ] {
        let mut body = created.clone();
        body.as_object_mut().unwrap().remove("links");
        body[key] = json!(value);
        let etag = created["eTag"].as_str().unwrap();
        expect_error(
            pc.put(&id(&created), &body, Some(etag)).await,
            400,
            "invalidRequest",
        )
        .await;
    }
    let mut missing_block = created.clone();
    missing_block.as_object_mut().unwrap().remove("links");
    missing_block.as_object_mut().unwrap().remove("details");
    let etag = created["eTag"].as_str().unwrap();
    expect_error(
        pc.put(&id(&created), &missing_block, Some(etag)).await,
        400,
        "invalidRequest",
    )
    .await;
}

#[tokio::test]
async fn missing_if_match_status_is_configurable() {
    let options = Options {
        rules: Rules {
            missing_if_match_status: 400,
            ..Rules::default()
        },
        ..Options::default()
    };
    let pc = spawn_with(options).await;
    let mut created = pc.created(&private_deal()).await;
    created.as_object_mut().unwrap().remove("links");
    expect_error(
        pc.put(&id(&created), &created, None).await,
        400,
        "invalidRequest",
    )
    .await;
}

#[tokio::test]
async fn incoming_referral_is_accepted_then_won() {
    let pc = spawn().await;
    let referral = incoming(&pc);
    assert_eq!(referral["status"], "New");
    assert_eq!(referral["substatus"], "Pending");
    assert_eq!(referral["direction"], "Incoming");
    assert_eq!(
        referral["inviteContext"]["invitedBy"]["organizationId"],
        "msft"
    );
    assert!(referral["acceptedDateTime"].is_null());
    let accepted = patched(
        &pc,
        &id(&referral),
        json!([
            { "op": "replace", "path": "/status", "value": "Active" },
            { "op": "replace", "path": "/substatus", "value": "Accepted" }
        ]),
    )
    .await;
    assert_eq!(accepted["status"], "Active");
    assert_eq!(accepted["acceptedDateTime"], accepted["updatedDateTime"]);
    let won = patched(
        &pc,
        &id(&referral),
        json!([
            { "op": "replace", "path": "/status", "value": "Closed" },
            { "op": "replace", "path": "/substatus", "value": "Won" },
            { "op": "replace", "path": "/statusReason", "value": "Signed" }
        ]),
    )
    .await;
    assert_eq!(won["substatus"], "Won");
    assert_eq!(won["closedDateTime"], won["updatedDateTime"]);
}

#[tokio::test]
async fn incoming_referral_can_be_declined_and_outgoing_lost() {
    let pc = spawn().await;
    let referral = incoming(&pc);
    let declined = patched(
        &pc,
        &id(&referral),
        json!([
            { "op": "replace", "path": "/status", "value": "Closed" },
            { "op": "replace", "path": "/substatus", "value": "Declined" }
        ]),
    )
    .await;
    assert_eq!(declined["substatus"], "Declined");
    let outgoing = pc.created(&private_deal()).await;
    let lost = patched(
        &pc,
        &id(&outgoing),
        json!([
            { "op": "replace", "path": "/status", "value": "Closed" },
            { "op": "replace", "path": "/substatus", "value": "Lost" }
        ]),
    )
    .await;
    assert_eq!(lost["status"], "Closed");
}

#[tokio::test]
async fn illegal_transitions_are_refused() {
    let pc = spawn().await;
    let outgoing = pc.created(&private_deal()).await;
    let back_to_new = json!([
        { "op": "replace", "path": "/status", "value": "New" },
        { "op": "replace", "path": "/substatus", "value": "Pending" }
    ]);
    expect_error(
        pc.patch(&id(&outgoing), &back_to_new, &[]).await,
        400,
        "invalidRequest",
    )
    .await;
    let mismatched = json!([{ "op": "replace", "path": "/substatus", "value": "Won" }]);
    expect_error(
        pc.patch(&id(&outgoing), &mismatched, &[]).await,
        400,
        "invalidRequest",
    )
    .await;
    let unknown = json!([{ "op": "replace", "path": "/status", "value": "Open" }]);
    expect_error(
        pc.patch(&id(&outgoing), &unknown, &[]).await,
        400,
        "invalidRequest",
    )
    .await;
    let new = incoming(&pc);
    let active_half = json!([{ "op": "replace", "path": "/status", "value": "Active" }]);
    expect_error(
        pc.patch(&id(&new), &active_half, &[]).await,
        400,
        "invalidRequest",
    )
    .await;
}

fn close_as(substatus: &str) -> Value {
    json!([
        { "op": "replace", "path": "/status", "value": "Closed" },
        { "op": "replace", "path": "/substatus", "value": substatus }
    ])
}

/// The documented state table (referral-resources, "Status & Substatus
/// transition states") lets New move to Closed with any closed substatus.
#[tokio::test]
async fn a_new_referral_closes_with_any_closed_substatus() {
    let pc = spawn().await;
    for substatus in ["Won", "Lost", "Declined", "Expired"] {
        let closed = patched(&pc, &id(&incoming(&pc)), close_as(substatus)).await;
        assert_eq!(closed["status"], "Closed");
        assert_eq!(closed["substatus"], substatus);
    }
}

#[tokio::test]
async fn the_stricter_close_rule_is_still_available_as_a_knob() {
    let mut options = Options::default();
    options.rules.strict_close_substatus = true;
    let pc = spawn_with(options).await;
    expect_error(
        pc.patch(&id(&incoming(&pc)), &close_as("Won"), &[]).await,
        400,
        "invalidRequest",
    )
    .await;
}

#[tokio::test]
async fn closed_referrals_are_immutable() {
    let pc = spawn().await;
    let outgoing = pc.created(&private_deal()).await;
    let won = patched(
        &pc,
        &id(&outgoing),
        json!([
            { "op": "replace", "path": "/status", "value": "Closed" },
            { "op": "replace", "path": "/substatus", "value": "Won" }
        ]),
    )
    .await;
    let rename = json!([{ "op": "replace", "path": "/name", "value": "after close" }]);
    expect_error(
        pc.patch(&id(&won), &rename, &[]).await,
        400,
        "invalidRequest",
    )
    .await;
    let mut body = won.clone();
    body.as_object_mut().unwrap().remove("links");
    let etag = won["eTag"].as_str().unwrap();
    expect_error(
        pc.put(&id(&won), &body, Some(etag)).await,
        400,
        "invalidRequest",
    )
    .await;
    assert!(pc
        .emu
        .microsoft_update(&id(&won), json!({ "name": "x" }))
        .is_err());
}

#[tokio::test]
async fn illegal_transition_status_is_configurable() {
    let options = Options {
        rules: Rules {
            illegal_transition_status: 409,
            ..Rules::default()
        },
        ..Options::default()
    };
    let pc = spawn_with(options).await;
    let outgoing = pc.created(&private_deal()).await;
    let back = json!([
        { "op": "replace", "path": "/status", "value": "New" },
        { "op": "replace", "path": "/substatus", "value": "Pending" }
    ]);
    let response = pc.patch(&id(&outgoing), &back, &[]).await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
}

#[tokio::test]
async fn visibility_to_microsoft_sellers_is_one_way() {
    let pc = spawn().await;
    let shared = pc.created(&co_sell_deal()).await;
    let hide = json!([{ "op": "replace", "path": "/consent/consentToShareReferralWithMicrosoftSellers", "value": false }]);
    let error = expect_error(
        pc.patch(&id(&shared), &hide, &[]).await,
        400,
        "invalidRequest",
    )
    .await;
    assert_eq!(
        error["error"]["target"],
        "consent/consentToShareReferralWithMicrosoftSellers"
    );
    // Converting a private deal to co-sell later is allowed.
    let private = pc.created(&private_deal()).await;
    let convert = json!([
        { "op": "replace", "path": "/consent/consentToShareReferralWithMicrosoftSellers", "value": true },
        { "op": "add", "path": "/inviteContext", "value": { "assistanceRequestCode": "GeneralOrOther" } }
    ]);
    let converted = patched(&pc, &id(&private), convert).await;
    assert_eq!(
        converted["consent"]["consentToShareReferralWithMicrosoftSellers"],
        true
    );
    assert_eq!(
        converted["inviteContext"]["invitedBy"]["organizationId"],
        private["organizationId"]
    );
}

#[tokio::test]
async fn co_sell_rules_apply_to_updates() {
    let pc = spawn().await;
    let shared = pc.created(&co_sell_deal()).await;
    let drop_solutions =
        json!([{ "op": "replace", "path": "/details/requirements/solutions", "value": [] }]);
    expect_error(
        pc.patch(&id(&shared), &drop_solutions, &[]).await,
        400,
        "invalidRequest",
    )
    .await;
    let drop_contacts = json!([{ "op": "replace", "path": "/customerProfile/team", "value": [] }]);
    expect_error(
        pc.patch(&id(&shared), &drop_contacts, &[]).await,
        400,
        "invalidRequest",
    )
    .await;
}

#[tokio::test]
async fn deal_registration_is_added_with_a_patch() {
    let pc = spawn().await;
    let shared = pc.created(&co_sell_deal()).await;
    let registration = json!([{ "op": "add", "path": "/registrations/-", "value": {
        "type": "AzureIPCoSell",
        "solutionDetails": [ { "id": "SOL-15974-MQF", "currency": "USD", "value": 12000, "isDeployedOnAzure": true,
                               "primaryDeploymentOn": "Customer", "pricingModel": "PayAsYouGo" } ],
        "contract": { "currency": "USD", "value": 12000, "term": "Finite" } } }]);
    let body = patched(&pc, &id(&shared), registration).await;
    assert_eq!(body["registrations"][0]["status"], "ReviewPending");
    assert_eq!(body["registrationStatus"], "ReviewPending");
    let bad_term =
        json!([{ "op": "replace", "path": "/registrations/0/contract/term", "value": "Forever" }]);
    expect_error(
        pc.patch(&id(&shared), &bad_term, &[]).await,
        400,
        "invalidRequest",
    )
    .await;
}

/// JSON Patch on the typed model: a path naming no member is refused with
/// 400 and nothing changes.
#[tokio::test]
async fn patch_to_an_unknown_path_is_refused() {
    let pc = spawn().await;
    let created = pc.created(&private_deal()).await;
    for path in [
        "/details/dealValu",
        "/consent/consentToShareInfo",
        "/colour",
    ] {
        let ops = json!([{ "op": "replace", "path": path, "value": "10000" }]);
        let body = expect_error(
            pc.patch(&id(&created), &ops, &[]).await,
            400,
            "invalidRequest",
        )
        .await;
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("was not found"),
            "{body}"
        );
    }
    assert_eq!(
        pc.emu.referral(&id(&created)).unwrap()["eTag"],
        created["eTag"]
    );
}
