//! Behaviour 2: invalid opportunities never reach Partner Center; the seller
//! sees ✖ and an Audit line naming each field and the fix.

use serde_json::json;

use crate::world::{marked, World};

async fn audit_after_pass(world: &World, opp: &str) -> String {
    world.pass().await;
    assert!(
        world.pc.referrals().is_empty(),
        "nothing reached Partner Center"
    );
    let o = world.opp(opp);
    assert!(marked(&o, "✖"), "the name shows the cross: {}", o["Name"]);
    o["Audit__c"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn a_missing_country_is_reported_and_fixing_it_syncs_on_the_next_pass() {
    let world = World::new().await;
    let country = world.engine.settings().country_code_field.clone();
    let opp = world.co_sell_opportunity("No Country");
    let account = world.opp(&opp)["AccountId"].as_str().unwrap().to_owned();
    world.edit("Account", &account, json!({ &country: null }));

    let audit = audit_after_pass(&world, &opp).await;
    assert!(audit.contains(&format!("Account.{country}")), "{audit}");
    assert!(audit.contains("two-letter ISO 3166"), "{audit}");
    let outcome = world.pass().await;
    assert_eq!(
        outcome.summary.failed, 1,
        "still invalid, reported again without a new audit line"
    );
    assert_eq!(
        world.opp(&opp)["Audit__c"]
            .as_str()
            .unwrap()
            .lines()
            .count(),
        1
    );

    world.edit("Account", &account, json!({ &country: "US" }));
    world.pass().await;
    world.referral_for(&opp);
    assert!(marked(&world.opp(&opp), "✔"));
}

#[tokio::test]
async fn a_bad_country_code_is_reported() {
    // An org with State and Country/Territory Picklists refuses such a
    // value itself; one without them holds whatever a seller types.
    let world = World::in_profile(emulator::salesforce::Profile::Demo).await;
    let opp = world.co_sell_opportunity("Bad Country");
    let account = world.opp(&opp)["AccountId"].as_str().unwrap().to_owned();
    world.edit("Account", &account, json!({ "BillingCountry": "USA" }));
    let audit = audit_after_pass(&world, &opp).await;
    assert!(
        audit.contains("\"USA\" is not a two-letter ISO 3166 country code"),
        "{audit}"
    );
}

#[tokio::test]
async fn co_sell_without_a_contact_is_reported() {
    let world = World::new().await;
    let account = world.account("Lonely", Some("US"));
    let opp = world.opportunity(
        "Lonely deal",
        &account,
        json!({ "How_can_Microsoft_help__c": "General or other" }),
    );
    world.solution(&opp, "SOL-1");
    let audit = audit_after_pass(&world, &opp).await;
    assert!(
        audit.contains("co-sell needs a customer contact"),
        "{audit}"
    );
}

#[tokio::test]
async fn sharing_with_microsoft_without_a_solution_is_reported() {
    let world = World::new().await;
    let account = world.account("No Solution", Some("US"));
    let opp = world.opportunity(
        "No solution deal",
        &account,
        json!({ "Microsoft_Referral_Visibility__c": true }),
    );
    let audit = audit_after_pass(&world, &opp).await;
    assert!(audit.contains("at least one solution"), "{audit}");
}

#[tokio::test]
async fn a_bad_currency_is_reported() {
    let settings = sync::Settings {
        currency_field: "Deal_Currency__c".into(),
        ..sync::Settings::default()
    };
    let world = World::with_settings(settings).await;
    world
        .add_custom_field(
            "Opportunity",
            "Deal_Currency__c",
            json!({ "label": "Deal Currency", "type": "Text", "length": 10 }),
        )
        .await;
    let account = world.account("Euro Land", Some("FR"));
    let opp = world.opportunity("Euro deal", &account, json!({ "Deal_Currency__c": "EURO" }));
    let audit = audit_after_pass(&world, &opp).await;
    assert!(audit.contains("Opportunity.Deal_Currency__c"), "{audit}");
    assert!(audit.contains("ISO 4217"), "{audit}");
}
