//! Behaviour 7: every setting changes behaviour as documented.

use serde_json::json;

use crate::world::World;

fn lead() -> serde_json::Value {
    json!({ "type": "Independent", "qualification": "MarketingQualified",
            "consent": { "consentToContact": true, "consentToShareReferralWithMicrosoftSellers": false },
            "inviteContext": {} })
}

#[tokio::test]
async fn co_sell_only_skips_leads_and_off_brings_them_in() {
    let world = World::new().await;
    world.microsoft_shares_with("Just A Lead", lead());
    world.microsoft_shares("Real Co-sell");
    world.pass().await;
    assert_eq!(
        world.count("Opportunity"),
        1,
        "only the co-sell referral is synced"
    );

    let mut world = world;
    world.reconfigure(sync::Settings {
        co_sell_only: false,
        ..world.engine.settings().clone()
    });
    // Re-read everything, as after a settings change with `cosell backfill`.
    world
        .store
        .set_cursor(sync::engine::PARTNER_CENTER_CURSOR, "2000-01-01T00:00:00Z")
        .await
        .unwrap();
    world.pass().await;
    assert_eq!(
        world.count("Opportunity"),
        2,
        "with co_sell_only = false leads are synced too"
    );
}

async fn custom_field(world: &World, object: &str, name: &str, kind: &str) {
    let mut metadata = json!({ "label": name, "type": kind });
    if kind == "Text" {
        metadata["length"] = json!(10);
    } else {
        metadata["precision"] = json!(18);
        metadata["scale"] = json!(2);
    }
    world.add_custom_field(object, name, metadata).await;
}

#[tokio::test]
async fn country_deal_value_and_currency_fields_are_configurable() {
    let settings = sync::Settings {
        country_code_field: "Country_ISO__c".into(),
        deal_value_field: "Deal_Value__c".into(),
        currency_field: "Deal_Currency__c".into(),
        ..sync::Settings::default()
    };
    let world = World::with_settings(settings).await;
    custom_field(&world, "Account", "Country_ISO__c", "Text").await;
    custom_field(&world, "Opportunity", "Deal_Value__c", "Currency").await;
    custom_field(&world, "Opportunity", "Deal_Currency__c", "Text").await;

    let account = world.sf.insert("Account", json!({ "Name": "Custom Fields Inc", "BillingCountry": "Germany", "Country_ISO__c": "DE" })).unwrap();
    let opp = world.opportunity(
        "Custom",
        &account,
        json!({ "Amount": 1, "Deal_Value__c": 4321, "Deal_Currency__c": "GBP" }),
    );
    world.pass().await;
    let referral = world.referral_for(&opp);
    assert_eq!(
        referral["customerProfile"]["address"]["country"],
        json!("DE")
    );
    assert_eq!(referral["details"]["dealValue"].as_f64(), Some(4321.0));
    assert_eq!(referral["details"]["currency"], json!("GBP"));

    let id = world.microsoft_shares("Inbound Custom");
    world.pass().await;
    let inbound = world.opp_for_referral(&id);
    assert_eq!(inbound["Deal_Value__c"], json!(120000.0));
    assert_eq!(inbound["Deal_Currency__c"], json!("USD"));
    let inbound_account = world
        .sf
        .record("Account", inbound["AccountId"].as_str().unwrap())
        .unwrap();
    assert_eq!(inbound_account["Country_ISO__c"], json!("US"));
}

#[tokio::test]
async fn show_checkmark_off_leaves_names_alone() {
    let world = World::with_settings(sync::Settings {
        show_checkmark: false,
        ..sync::Settings::default()
    })
    .await;
    let opp = world.co_sell_opportunity("Plain Name");
    let id = world.microsoft_shares("Plain Inbound");
    world.pass().await;
    assert_eq!(world.opp(&opp)["Name"], json!("Plain Name"));
    assert_eq!(world.opp_for_referral(&id)["Name"], json!("Plain Inbound"));
}

#[tokio::test]
async fn extra_field_mappings_flow_as_configured() {
    use sync::settings::{FieldMapping, MappingDirection};
    let settings = sync::Settings {
        mappings: vec![
            FieldMapping {
                referral_path: "/details/customerAction".into(),
                salesforce_field: "NextStep".into(),
                direction: MappingDirection::Both,
            },
            FieldMapping {
                referral_path: "/trackingInfo/microsoftUSFedOpportunityId".into(),
                salesforce_field: "Description".into(),
                direction: MappingDirection::PartnerCenterToSalesforce,
            },
        ],
        ..sync::Settings::default()
    };
    let world = World::with_settings(settings).await;
    let id = world.microsoft_shares_with(
        "Mapped Deal",
        json!({ "trackingInfo": { "microsoftUSFedOpportunityId": "FED-7" } }),
    );
    world
        .pc
        .microsoft_update(
            &id,
            json!([{ "op": "add", "path": "/details/customerAction", "value": "Call the CIO" }]),
        )
        .unwrap();
    world.pass().await;
    let opp = world.opp_for_referral(&id);
    assert_eq!(opp["NextStep"], json!("Call the CIO"));
    assert_eq!(opp["Description"], json!("FED-7"));
    let opp_id = opp["Id"].as_str().unwrap().to_owned();

    // Accepted, then the seller edits both mapped fields: only the two-way one flows.
    world.edit(
        "Opportunity",
        &opp_id,
        json!({ "StageName": "Qualification" }),
    );
    world.pass().await;
    world.edit(
        "Opportunity",
        &opp_id,
        json!({ "NextStep": "Send the quote", "Description": "typed by hand" }),
    );
    world.pass().await;
    let referral = world.referral(&id);
    assert_eq!(
        referral["details"]["customerAction"],
        json!("Send the quote")
    );
    assert_eq!(
        referral["trackingInfo"]["microsoftUSFedOpportunityId"],
        json!("FED-7")
    );
    assert_eq!(
        world.opp(&opp_id)["Description"],
        json!("FED-7"),
        "a Partner Center-owned field is restored"
    );
}
