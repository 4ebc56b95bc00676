//! Create and get: shapes, defaults, and every create-time validation rule.

use emulator::partner_center::{Options, Rules};
use reqwest::StatusCode;
use serde_json::{json, Value};

use super::{co_sell_deal, expect_error, is_pc_timestamp, private_deal, spawn, spawn_with};

#[tokio::test]
async fn create_returns_an_accepted_outgoing_referral() {
    let pc = spawn().await;
    let mut body = private_deal();
    body["status"] = json!("New");
    body["substatus"] = json!("Pending");
    let response = pc.create(&body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let referral: Value = response.json().await.unwrap();
    let id = referral["id"].as_str().unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok());
    assert!(uuid::Uuid::parse_str(referral["engagementId"].as_str().unwrap()).is_ok());
    assert_eq!(location, pc.referral_url(id));
    assert_eq!(referral["eTag"], etag);
    assert!(etag.starts_with('"') && etag.ends_with('"'));
    assert_eq!(referral["status"], "Active");
    assert_eq!(referral["substatus"], "Accepted");
    assert_eq!(referral["direction"], "Outgoing");
    assert_eq!(referral["acceptedDateTime"], referral["createdDateTime"]);
    assert!(is_pc_timestamp(
        referral["createdDateTime"].as_str().unwrap()
    ));
    assert!(is_pc_timestamp(
        referral["updatedDateTime"].as_str().unwrap()
    ));
    assert_eq!(
        referral["inviteContext"]["invitedBy"]["organizationId"],
        referral["organizationId"]
    );
    assert_eq!(referral["mpnId"], "4863040");
    assert_eq!(referral["links"]["self"]["uri"], pc.referral_url(id));
    assert_eq!(referral["links"]["self"]["method"], "GET");
    assert!(referral["links"]["relatedReferrals"]["uri"]
        .as_str()
        .unwrap()
        .contains("engagementId"));
}

#[tokio::test]
async fn input_keys_and_enum_values_are_case_insensitive_and_output_is_camel_case() {
    let pc = spawn().await;
    let body = json!({
        "Name": "Pascal deal",
        "Type": "independent",
        "CustomerProfile": { "Name": "Contoso", "Address": { "Country": "DE" } },
        "Consent": { "ConsentToToShareInfoWithOthers": true, "consentToContact": false },
        "Details": { "DealValue": "1200.5", "Currency": "EUR" },
        "CustomerMarketplaceIntent": "No"
    });
    let referral = pc.created(&body).await;
    assert_eq!(referral["name"], "Pascal deal");
    assert_eq!(referral["type"], "Independent");
    assert_eq!(referral["customerProfile"]["address"]["country"], "DE");
    assert_eq!(referral["consent"]["consentToToShareInfoWithOthers"], true);
    assert_eq!(referral["details"]["dealValue"], json!(1200.5));
    assert!(referral.get("Name").is_none());
}

#[tokio::test]
async fn server_owned_fields_are_ignored_on_create() {
    let pc = spawn().await;
    let mut body = private_deal();
    body["id"] = json!("00000000-0000-0000-0000-000000000001");
    body["direction"] = json!("Incoming");
    body["organizationId"] = json!("someone");
    body["createdDateTime"] = json!("2001-01-01T00:00:00Z");
    let referral = pc.created(&body).await;
    assert_ne!(referral["id"], "00000000-0000-0000-0000-000000000001");
    assert_eq!(referral["direction"], "Outgoing");
    assert_ne!(referral["organizationId"], "someone");
    assert_ne!(referral["createdDateTime"], "2001-01-01T00:00:00Z");
}

#[tokio::test]
async fn required_blocks_are_enforced() {
    let pc = spawn().await;
    for block in ["type", "customerProfile", "consent", "details"] {
        let mut body = private_deal();
        body.as_object_mut().unwrap().remove(block);
        let error = expect_error(pc.create(&body).await, 400, "invalidRequest").await;
        assert_eq!(error["error"]["target"], block);
    }
}

#[tokio::test]
async fn countries_must_be_iso_3166_alpha_2() {
    let pc = spawn().await;
    for country in ["XX", "USA", "UK", "us", ""] {
        let mut body = private_deal();
        body["customerProfile"]["address"]["country"] = json!(country);
        let error = expect_error(pc.create(&body).await, 400, "invalidRequest").await;
        assert_eq!(
            error["error"]["target"], "customerProfile/address/country",
            "{country}"
        );
    }
    let mut body = private_deal();
    body["customerProfile"]["address"]
        .as_object_mut()
        .unwrap()
        .remove("country");
    expect_error(pc.create(&body).await, 400, "invalidRequest").await;
    let mut body = private_deal();
    body["customerProfile"]["address"]["country"] = json!("GB");
    pc.created(&body).await;
}

#[tokio::test]
async fn currencies_must_be_iso_4217() {
    let pc = spawn().await;
    for currency in ["ABC", "usd", "DOLLARS", "XXX"] {
        let mut body = private_deal();
        body["details"]["currency"] = json!(currency);
        let error = expect_error(pc.create(&body).await, 400, "invalidRequest").await;
        assert_eq!(error["error"]["target"], "details/currency");
    }
    let mut body = private_deal();
    body["details"]["currency"] = json!("JPY");
    pc.created(&body).await;
}

#[tokio::test]
async fn enum_and_type_errors_are_rejected() {
    let pc = spawn().await;
    let cases = [
        ("/type", json!("Private")),
        ("/qualification", json!("Hot")),
        ("/customerProfile/size", json!("huge")),
        (
            "/inviteContext",
            json!({"assistanceRequestCode": "PleaseHelp"}),
        ),
        ("/consent/consentToContact", json!("yes")),
        ("/details/dealValue", json!(-5)),
        ("/details/dealValue", json!("lots")),
        ("/details/closingDateTime", json!("next tuesday")),
        ("/team", json!({"email": "not-a-list"})),
    ];
    for (pointer, value) in cases {
        let mut body = private_deal();
        if pointer == "/inviteContext" {
            body["inviteContext"] = value;
        } else {
            *body
                .pointer_mut(pointer)
                .unwrap_or_else(|| panic!("{pointer}")) = value;
        }
        expect_error(pc.create(&body).await, 400, "invalidRequest").await;
    }
}

#[tokio::test]
async fn co_sell_needs_a_customer_contact_and_a_solution() {
    let pc = spawn().await;
    let mut no_contact = co_sell_deal();
    no_contact["customerProfile"]["team"] = json!([]);
    let error = expect_error(pc.create(&no_contact).await, 400, "invalidRequest").await;
    assert_eq!(error["error"]["target"], "customerProfile/team");

    let mut no_solution = co_sell_deal();
    no_solution["details"]["requirements"]["solutions"] = json!([]);
    let error = expect_error(pc.create(&no_solution).await, 400, "invalidRequest").await;
    assert_eq!(error["error"]["target"], "details/requirements/solutions");

    // Partner-led (shared with Microsoft sellers, no help) needs a solution too.
    let mut partner_led = private_deal();
    partner_led["consent"]["consentToShareReferralWithMicrosoftSellers"] = json!(true);
    partner_led["details"]["requirements"]["solutions"] = json!([]);
    expect_error(pc.create(&partner_led).await, 400, "invalidRequest").await;

    // Help requested alone (not yet shared) still needs the contact.
    let mut help_only = private_deal();
    help_only["inviteContext"] = json!({"assistanceRequestCode": "QuotesOrLicensing"});
    help_only["customerProfile"]
        .as_object_mut()
        .unwrap()
        .remove("team");
    expect_error(pc.create(&help_only).await, 400, "invalidRequest").await;

    let referral = pc.created(&co_sell_deal()).await;
    assert_eq!(
        referral["inviteContext"]["assistanceRequestCode"],
        "ProofOfConceptOrDemo"
    );
    // A private deal without solutions is fine.
    let mut private = private_deal();
    private["details"]["requirements"]["solutions"] = json!([]);
    pc.created(&private).await;
}

#[tokio::test]
async fn bodies_must_be_json_objects_with_a_json_content_type() {
    let pc = spawn().await;
    let bad_json = pc
        .http
        .post(pc.referrals())
        .bearer_auth(&pc.token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    expect_error(bad_json, 400, "invalidRequest").await;
    let wrong_type = pc
        .http
        .post(pc.referrals())
        .bearer_auth(&pc.token)
        .header("content-type", "text/plain")
        .body(private_deal().to_string())
        .send()
        .await
        .unwrap();
    expect_error(wrong_type, 415, "invalidRequest").await;
    expect_error(pc.create(&json!([1, 2])).await, 400, "invalidRequest").await;
}

#[tokio::test]
async fn create_can_join_an_existing_engagement_only() {
    let pc = spawn().await;
    let first = pc.created(&co_sell_deal()).await;
    let mut connected = co_sell_deal();
    connected["engagementId"] = first["engagementId"].clone();
    connected["target"] = json!([{ "type": "BusinessProfileLocation", "id": "msft" }]);
    let second = pc.created(&connected).await;
    assert_eq!(second["engagementId"], first["engagementId"]);
    let mut unknown = co_sell_deal();
    unknown["engagementId"] = json!(uuid::Uuid::new_v4().to_string());
    let error = expect_error(pc.create(&unknown).await, 400, "invalidRequest").await;
    assert_eq!(error["error"]["target"], "engagementId");
}

#[tokio::test]
async fn get_returns_the_entity_with_its_etag_and_unknown_ids_are_404() {
    let pc = spawn().await;
    let created = pc.created(&private_deal()).await;
    let id = created["id"].as_str().unwrap();
    let response = pc.get(&pc.referral_url(id)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["etag"].to_str().unwrap(),
        created["eTag"].as_str().unwrap()
    );
    let body: Value = response.json().await.unwrap();
    assert!(body["@odata.context"]
        .as_str()
        .unwrap()
        .ends_with("$metadata#Referrals/$entity"));
    assert_eq!(body["id"], created["id"]);
    let missing = pc
        .get(&pc.referral_url(&uuid::Uuid::new_v4().to_string()))
        .await;
    expect_error(missing, 404, "itemNotFound").await;
}

#[tokio::test]
async fn delete_is_not_supported() {
    let pc = spawn().await;
    let created = pc.created(&private_deal()).await;
    let response = pc
        .http
        .delete(pc.referral_url(created["id"].as_str().unwrap()))
        .bearer_auth(&pc.token)
        .send()
        .await
        .unwrap();
    assert!(response.headers()["allow"]
        .to_str()
        .unwrap()
        .contains("PATCH"));
    expect_error(response, 405, "invalidRequest").await;
}

#[tokio::test]
async fn create_status_is_configurable() {
    let options = Options {
        rules: Rules {
            create_status: 200,
            ..Rules::default()
        },
        ..Options::default()
    };
    let pc = spawn_with(options).await;
    assert_eq!(pc.create(&private_deal()).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn responses_carry_request_ids_and_echo_client_request_id() {
    let pc = spawn().await;
    let response = pc
        .http
        .get(pc.referrals())
        .bearer_auth(&pc.token)
        .header("client-request-id", "7b1f3c56-0d0e-4a57-9f3c-111111111111")
        .header("MS-CorrelationId", "corr-1")
        .send()
        .await
        .unwrap();
    assert!(uuid::Uuid::parse_str(response.headers()["request-id"].to_str().unwrap()).is_ok());
    assert_eq!(
        response.headers()["client-request-id"],
        "7b1f3c56-0d0e-4a57-9f3c-111111111111"
    );
    assert_eq!(response.headers()["ms-correlationid"], "corr-1");
}

/// The service reads bodies into its typed contracts, so members they lack
/// (a custom field, a misspelled consent key) are dropped, not stored.
#[tokio::test]
async fn members_the_typed_model_lacks_are_dropped_on_write() {
    let pc = spawn().await;
    let mut body = private_deal();
    body["customField"] = json!({"kept": true});
    body["consent"]["consentToShareInfoWithOthers"] = json!(true);
    body["details"]["dealValu"] = json!(5);
    body["customerProfile"]["team"][0]["nickname"] = json!("Sue");
    let created = pc.created(&body).await;
    let id = created["id"].as_str().unwrap();
    for stored in [created.clone(), pc.emu.referral(id).unwrap()] {
        assert!(stored.get("customField").is_none(), "{stored}");
        assert!(stored["consent"]
            .get("consentToShareInfoWithOthers")
            .is_none());
        assert!(stored["details"].get("dealValu").is_none());
        assert!(stored["customerProfile"]["team"][0]
            .get("nickname")
            .is_none());
        assert_eq!(stored["consent"]["consentToContact"], json!(true));
    }
}
