//! Behaviour 3: a referral shared by a Microsoft seller becomes an
//! opportunity, once, however often the event or the pass repeats.

use salesforce::SalesforceId;
use serde_json::json;

use crate::world::{marked, World};

#[tokio::test]
async fn a_shared_referral_becomes_an_on_hold_opportunity_with_everything_filled_in() {
    let world = World::new().await;
    let id = world.microsoft_shares("Contoso Migration");

    let report = world.pass().await;
    assert_eq!(
        report.summary.salesforce.created, 1,
        "{:#?}",
        report.outcomes
    );

    let opp = world.opp_for_referral(&id);
    let opp_id = opp["Id"].as_str().unwrap();
    assert_eq!(opp["StageName"], json!("On Hold"));
    assert_eq!(opp["Sync_with_Partner_Center__c"], json!(true));
    assert_eq!(opp["Amount"], json!(120000.0));
    assert_eq!(opp["CurrencyIsoCode"], json!("USD"));
    assert_eq!(opp["CloseDate"], json!("2027-03-31"));
    assert_eq!(
        opp["How_can_Microsoft_help__c"],
        json!("Customer technical architecture")
    );
    assert!(opp["Referral_Link__c"].as_str().unwrap().ends_with(&id));
    assert!(marked(&opp, "✔"));

    let account = world
        .sf
        .record("Account", opp["AccountId"].as_str().unwrap())
        .unwrap();
    assert_eq!(account["Name"], json!("Contoso Migration Customer"));
    assert_eq!(account["BillingCountry"], json!("US"));
    let roles: Vec<_> = world
        .sf
        .records("OpportunityContactRole")
        .into_iter()
        .filter(|r| r["OpportunityId"] == json!(opp_id))
        .collect();
    assert_eq!(roles.len(), 1);
    let contact = world
        .sf
        .record("Contact", roles[0]["ContactId"].as_str().unwrap())
        .unwrap();
    assert_eq!(contact["Email"], json!("ann@contosomigration.example"));
    let notes: Vec<_> = world
        .sf
        .records("Note")
        .into_iter()
        .filter(|n| n["ParentId"] == json!(opp_id))
        .collect();
    assert_eq!(notes[0]["Body"], json!("Customer wants a pilot"));
    let solutions: Vec<_> = world
        .sf
        .records("Microsoft_Solution__c")
        .into_iter()
        .filter(|s| s["Opportunity__c"] == json!(opp_id))
        .collect();
    assert_eq!(solutions[0]["Solution_Id__c"], json!("SOL-15974-MQF"));

    let referral = world.referral(&id);
    assert_eq!(
        SalesforceId::parse(referral["externalReferenceId"].as_str().unwrap()).unwrap(),
        SalesforceId::parse(opp_id).unwrap(),
        "the referral points back"
    );
    assert_eq!(
        referral["status"],
        json!("New"),
        "still waiting for the partner to accept"
    );
}

#[tokio::test]
async fn an_existing_account_with_the_same_name_and_country_is_reused() {
    let world = World::new().await;
    let existing = world.account("Adatum Customer", Some("US"));
    world.microsoft_shares("Adatum");
    world.pass().await;
    let opp = world.opportunities().into_iter().next().unwrap();
    assert_eq!(opp["AccountId"], json!(existing));
    assert_eq!(world.count("Account"), 1);
}

#[tokio::test]
async fn repeating_the_pass_never_creates_a_second_opportunity_account_or_contact() {
    let world = World::new().await;
    let id = world.microsoft_shares("Litware");
    world.pass().await;
    let counts = || {
        (
            world.count("Opportunity"),
            world.count("Account"),
            world.count("Contact"),
            world.count("OpportunityContactRole"),
        )
    };
    let before = counts();
    // Microsoft touches the referral again (another event) and we pass twice more.
    world
        .pc
        .microsoft_update(
            &id,
            json!({ "details": { "notes": "Customer wants a pilot" } }),
        )
        .unwrap();
    world.pass().await;
    world.pass().await;
    assert_eq!(counts(), before);
    world.opp_for_referral(&id);
}

#[tokio::test]
async fn a_second_engine_pass_after_a_lost_pair_record_links_instead_of_duplicating() {
    let world = World::new().await;
    let id = world.microsoft_shares("Crashy");
    world.pass().await;
    // Simulate a crash after the opportunity was written but before the pair
    // was recorded: a fresh store knows nothing, both systems have the deal.
    let store = store::open("sqlite::memory:").await.unwrap();
    let relinker = sync::Engine::new(
        world.engine.partner_center().clone(),
        world.engine.salesforce().clone(),
        store,
        sync::Settings::default(),
    );
    let report = relinker
        .full_pass(200, chrono::Duration::seconds(5))
        .await
        .unwrap();
    assert_eq!(
        report.summary.salesforce.created, 0,
        "{:#?}",
        report.outcomes
    );
    assert_eq!(world.count("Opportunity"), 1);
    world.opp_for_referral(&id);
}
