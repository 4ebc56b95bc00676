//! State and Country/Territory Picklists (on in the enterprise-like org):
//! the connector keeps the ISO codes in `BillingCountryCode` and
//! `BillingStateCode`, both ways; the text fields, which now take only
//! names, are left to Salesforce.

use emulator::salesforce::Profile;
use serde_json::json;

use crate::world::{marked, World};

#[tokio::test]
async fn countries_travel_as_codes_through_billing_country_code() {
    let world = World::in_profile(Profile::Enterprise).await;
    assert_eq!(
        world.engine.settings().country_code_field,
        "BillingCountryCode"
    );

    let referral = world.microsoft_shares("Tailspin Rollout");
    let opp = world.co_sell_opportunity("Adatum Pilot");
    let account = world.opp(&opp)["AccountId"].as_str().unwrap().to_owned();
    world.edit(
        "Account",
        &account,
        json!({ "BillingCountryCode": "CA", "BillingStateCode": "QC" }),
    );
    let report = world.pass().await;
    assert_eq!(report.summary.failed, 0, "{:#?}", report.outcomes);

    let created = world.opp_for_referral(&referral);
    assert!(marked(&created, "✔"), "{}", created["Name"]);
    let customer = world
        .sf
        .record("Account", created["AccountId"].as_str().unwrap())
        .unwrap();
    assert_eq!(customer["BillingCountryCode"], json!("US"));
    assert_eq!(
        customer["BillingCountry"],
        json!("United States of America"),
        "Salesforce fills in the name"
    );
    // Partner Center's state code goes to the code field.
    assert_eq!(customer["BillingStateCode"], json!("WA"));
    assert_eq!(customer["BillingState"], json!("Washington"));

    let shared = world.referral_for(&opp);
    let address = &shared["customerProfile"]["address"];
    assert_eq!(address["country"], json!("CA"));
    assert_eq!(address["state"], json!("QC"));

    // A second pass finds nothing to change: the names Salesforce filled
    // in are not edits.
    let again = world.pass().await;
    assert_eq!(again.summary.failed, 0, "{:#?}", again.outcomes);
    assert_eq!(again.summary.salesforce.updated, 0, "{}", again.summary);
    assert_eq!(again.summary.partner_center.updated, 0, "{}", again.summary);
}
