//! The sync core's stories: every edit is kept, nothing flip-flops, nothing is
//! made up, a failure is reported once. One test per symptom, each run
//! against both emulators as a seller would meet it.

use emulator::control::FaultConfig;
use serde_json::{json, Value};

use crate::world::{marked, World};

fn id_of(value: &serde_json::Value) -> String {
    value["Id"].as_str().unwrap().to_owned()
}

/// Symptom 1: a Microsoft seller's rename lands on the opportunity, and the
/// old name never goes back.
#[tokio::test]
async fn a_microsoft_rename_reaches_the_opportunity_and_stays() {
    let world = World::new().await;
    let opp = world.co_sell_opportunity("Old Name");
    world.pass().await;
    let id = world.referral_for(&opp)["id"].as_str().unwrap().to_owned();
    world.microsoft_sets(&id, "/name", json!("New Name"));
    world.pass().await;
    assert_eq!(world.opp(&opp)["Name"], json!("✔ New Name"));
    world.pass().await;
    assert_eq!(
        world.referral(&id)["name"],
        json!("New Name"),
        "no flip-flop"
    );
}

/// Symptom 2: edits made while the deal failed validation reach Partner
/// Center once it is fixed; Partner Center's old values never overwrite them.
#[tokio::test]
async fn edits_made_while_invalid_flow_once_the_deal_is_fixed() {
    let world = World::new().await;
    let opp = world.co_sell_opportunity("Fix Me");
    world.pass().await;
    let id = world.referral_for(&opp)["id"].as_str().unwrap().to_owned();
    let account = world.opp(&opp)["AccountId"].as_str().unwrap().to_owned();
    world.edit("Account", &account, json!({ "BillingCountry": "USA" }));
    world.edit(
        "Opportunity",
        &opp,
        json!({ "Amount": 77000, "How_can_Microsoft_help__c": "Quotes or licensing" }),
    );
    world.pass().await;
    assert!(marked(&world.opp(&opp), "✖"));
    world.edit("Account", &account, json!({ "BillingCountry": "US" }));
    world.pass().await;
    let referral = world.referral(&id);
    assert_eq!(referral["details"]["dealValue"], json!(77000.0));
    assert_eq!(
        referral["inviteContext"]["assistanceRequestCode"],
        json!("QuotesOrLicensing")
    );
    let o = world.opp(&opp);
    assert_eq!(o["Amount"], json!(77000.0), "the seller's edit stays");
    assert!(marked(&o, "✔"), "{} / {}", o["Name"], o["Audit__c"]);
}

/// Symptom 4: nothing is pushed while a Microsoft-shared referral waits on
/// hold, and a second pass with nothing changed writes nothing.
#[tokio::test]
async fn on_hold_nothing_is_pushed_and_the_second_pass_writes_nothing() {
    let world = World::new().await;
    let id = world.microsoft_shares_with(
        "Held Team",
        json!({ "team": [{ "firstName": "Mia", "lastName": "Partner", "email": "mia@partner.example" }] }),
    );
    world.pass().await;
    let after_first = world.writes();
    world.pass().await;
    assert_eq!(
        world.writes(),
        after_first,
        "the second pass writes nothing"
    );
    assert_eq!(
        world.referral(&id)["team"][0]["email"],
        json!("mia@partner.example"),
        "Microsoft's partner team is untouched"
    );
}

/// Symptom 5: a seller's Account rename made after Microsoft's rename wins.
#[tokio::test]
async fn a_later_account_edit_wins_over_an_earlier_microsoft_edit() {
    let world = World::new().await;
    let opp = world.co_sell_opportunity("Latest Wins");
    world.pass().await;
    let id = world.referral_for(&opp)["id"].as_str().unwrap().to_owned();
    world.microsoft_sets(&id, "/customerProfile/name", json!("Microsoft's name"));
    // The seller edits two seconds later (a tie at Salesforce's whole
    // second would go to Salesforce anyway: this is later, not a tie).
    world.sf.advance_clock(std::time::Duration::from_secs(2));
    let account = world.opp(&opp)["AccountId"].as_str().unwrap().to_owned();
    world.edit("Account", &account, json!({ "Name": "Seller's name" }));
    world.pass().await;
    assert_eq!(
        world.referral(&id)["customerProfile"]["name"],
        json!("Seller's name")
    );
    assert_eq!(
        world.sf.record("Account", &account).unwrap()["Name"],
        json!("Seller's name")
    );
}

/// Symptom 5, the other way: Microsoft's rename made after the seller's
/// Account rename wins, reaches the Account, and the seller's value is in
/// the audit.
#[tokio::test]
async fn a_later_microsoft_edit_wins_over_an_earlier_account_edit() {
    let world = World::new().await;
    let opp = world.co_sell_opportunity("Microsoft Wins");
    world.pass().await;
    let id = world.referral_for(&opp)["id"].as_str().unwrap().to_owned();
    let account = world.opp(&opp)["AccountId"].as_str().unwrap().to_owned();
    world.edit("Account", &account, json!({ "Name": "Seller's name" }));
    world.pc.advance_clock(std::time::Duration::from_secs(2));
    world.microsoft_sets(&id, "/customerProfile/name", json!("Microsoft's name"));
    world.pass().await;
    assert_eq!(
        world.sf.record("Account", &account).unwrap()["Name"],
        json!("Microsoft's name")
    );
    assert_eq!(
        world.referral(&id)["customerProfile"]["name"],
        json!("Microsoft's name")
    );
    let audit = world.store.recent_audit(100).await.unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.kind == "conflict" && e.message.contains("Seller's name")),
        "the seller's value is in the audit"
    );
    let before = world.writes();
    world.pass().await;
    assert_eq!(world.writes(), before, "nothing flip-flops");
}

/// Symptom 6: referrals arriving together for one customer share one Account
/// and one Contact per email.
#[tokio::test]
async fn referrals_for_one_customer_in_one_pass_share_account_and_contact() {
    let world = World::new().await;
    for i in 0..3 {
        world.microsoft_shares_with(
            &format!("Same Customer {i}"),
            json!({ "customerProfile": {
                "name": "Fabrikam", "address": { "city": "Seattle", "country": "US" },
                "team": [{ "firstName": "Ann", "lastName": "Lee", "email": "ann@fabrikam.example" }] } }),
        );
    }
    world.pass().await;
    assert_eq!(world.count("Opportunity"), 3);
    assert_eq!(world.count("Account"), 1, "one Account per customer");
    assert_eq!(world.count("Contact"), 1, "one Contact per email");
}

/// Symptom 7: a permanent refusal is written once and not tried again until
/// the deal changes.
#[tokio::test]
async fn a_permanent_failure_is_audited_once_and_not_retried_until_the_data_changes() {
    let world = World::new().await;
    let opp = world.co_sell_opportunity("Refused");
    world
        .pc
        .control()
        .set_faults(FaultConfig {
            error_rate: 1.0,
            errors: vec!["400".into()],
            routes: vec!["POST /v1.0/engagements/referrals".into()],
            ..FaultConfig::default()
        })
        .unwrap();
    for _ in 0..3 {
        world.pass().await;
    }
    let creates = world
        .pc
        .control()
        .calls()
        .matching("POST /v1.0/engagements/referrals");
    assert_eq!(creates, 1, "tried once");
    let o = world.opp(&opp);
    assert!(marked(&o, "✖"));
    assert_eq!(o["Audit__c"].as_str().unwrap().lines().count(), 1);
    assert!(!o["Audit__c"].as_str().unwrap().contains("request-id"));

    world
        .pc
        .control()
        .set_faults(FaultConfig::default())
        .unwrap();
    world.edit("Opportunity", &opp, json!({ "Amount": 51000 }));
    world.pass().await;
    world.referral_for(&opp);
    assert!(marked(&world.opp(&opp), "✔"));
}

/// Symptom 9: a co-sell deal from Partner Center ticks the visibility box,
/// and clearing the help option afterwards refuses nothing.
#[tokio::test]
async fn co_sell_ticks_visibility_and_clearing_help_is_no_revocation() {
    let world = World::new().await;
    let id = world.microsoft_shares("Visible");
    world.pass().await;
    let opp = id_of(&world.opp_for_referral(&id));
    world.edit("Opportunity", &opp, json!({ "StageName": "Qualification" }));
    world.pass().await;
    assert_eq!(
        world.opp(&opp)["Microsoft_Referral_Visibility__c"],
        json!(true)
    );
    world.edit(
        "Opportunity",
        &opp,
        json!({ "How_can_Microsoft_help__c": null }),
    );
    world.pass().await;
    let o = world.opp(&opp);
    assert!(marked(&o, "✔"), "{}", o["Audit__c"]);
    assert!(!world
        .audit_kinds()
        .await
        .contains(&"change_refused".to_owned()));
}

/// Symptom 10: a 120-character name gets room for its mark.
#[tokio::test]
async fn a_name_at_the_limit_gets_room_for_its_mark() {
    let world = World::new().await;
    let name = format!("Long {}", "n".repeat(115));
    let id = world.microsoft_shares_with(
        &name,
        json!({ "customerProfile": { "name": "Long Customer", "address": { "country": "US" },
            "team": [{ "firstName": "Ann", "lastName": "Lee", "email": "ann@long.example" }] } }),
    );
    world.pass().await;
    let o = world.opp_for_referral(&id);
    assert_eq!(o["Name"].as_str().unwrap().chars().count(), 120);
    let before = world.writes();
    world.pass().await;
    assert_eq!(world.writes(), before, "the cut name is no rename");
    assert_eq!(world.referral(&id)["name"], json!(name));
}

/// Symptom 11: a close date cosell made up never reaches Partner Center.
#[tokio::test]
async fn a_made_up_close_date_never_flows_back() {
    let world = World::new().await;
    let id = world.microsoft_shares_with(
        "No Date",
        json!({ "details": { "dealValue": 5000, "currency": "USD", "notes": "n",
            "requirements": { "solutions": [{ "id": "SOL-1" }] } } }),
    );
    world.pass().await;
    let opp = id_of(&world.opp_for_referral(&id));
    assert!(world.opp(&opp)["CloseDate"].is_string());
    world.edit("Opportunity", &opp, json!({ "StageName": "Qualification" }));
    world.pass().await;
    let referral = world.referral(&id);
    assert_eq!(referral["status"], json!("Active"));
    assert!(
        referral["details"]["closingDateTime"].is_null(),
        "{}",
        referral["details"]
    );
}

/// Symptom 13: `plan` predicts the next sync: an invalid deal already
/// reported shows as unchanged, and the sync then writes nothing.
#[tokio::test]
async fn plan_shows_nothing_for_an_invalid_deal_already_reported() {
    let world = World::new().await;
    let opp = world.co_sell_opportunity("Still Invalid");
    let account = world.opp(&opp)["AccountId"].as_str().unwrap().to_owned();
    world.edit("Account", &account, json!({ "BillingCountry": "USA" }));
    world.pass().await;
    let plans = world
        .engine
        .plan_pass(200, chrono::Duration::seconds(5))
        .await
        .unwrap();
    assert!(
        plans.iter().all(|(_, p)| p.is_noop()),
        "{:?}",
        plans.iter().map(|(_, p)| p.describe()).collect::<Vec<_>>()
    );
    let before = world.writes();
    let report = world.pass().await;
    assert_eq!(world.writes(), before);
    assert_eq!(report.summary.retryable, 0);
}

/// Symptom 14: with marks off, a seller's own leading ✔ stays on both sides.
#[tokio::test]
async fn with_marks_off_a_sellers_own_check_stays() {
    let world = World::with_settings(sync::Settings {
        show_checkmark: false,
        ..sync::Settings::default()
    })
    .await;
    let opp = world.co_sell_opportunity("✔ Approved deal");
    world.pass().await;
    assert_eq!(world.referral_for(&opp)["name"], json!("✔ Approved deal"));
    assert_eq!(world.opp(&opp)["Name"], json!("✔ Approved deal"));
}

/// Symptom 12: a value Salesforce cannot hold (a 41-character city, a
/// malformed e-mail) is left out and audited; the rest of the deal syncs and
/// the next pass neither retries nor wipes it in Partner Center.
#[tokio::test]
async fn a_value_salesforce_cannot_hold_is_left_out_and_the_rest_syncs() {
    let world = World::new().await;
    let city = "C".repeat(41);
    let id = world.microsoft_shares_with(
        "Degrade",
        json!({ "customerProfile": { "name": "Degrade Customer",
            "address": { "city": city, "country": "US" },
            "team": [{ "firstName": "Ann", "lastName": "Lee", "email": "ann(at)degrade" }] } }),
    );
    world.pass().await;
    let o = world.opp_for_referral(&id);
    let account = world
        .sf
        .record("Account", o["AccountId"].as_str().unwrap())
        .unwrap();
    assert_eq!(account["BillingCity"], Value::Null);
    assert_eq!(
        world.count("Contact"),
        1,
        "the contact is there, without e-mail"
    );
    let audit = o["Audit__c"].as_str().unwrap();
    assert!(audit.contains("Account.BillingCity"), "{audit}");
    assert!(audit.contains("Contact.Email"), "{audit}");
    assert!(marked(&o, "✔"));
    let before = world.writes();
    world.pass().await;
    assert_eq!(world.writes(), before, "nothing retried");
    let referral = world.referral(&id);
    assert_eq!(referral["customerProfile"]["address"]["city"], json!(city));
    assert_eq!(
        referral["customerProfile"]["team"][0]["email"],
        json!("ann(at)degrade")
    );
}

/// Symptom 8: in a single-currency org (`currency_field = ""`) a seller's
/// amount reaches Partner Center in the org's currency, and a referral in
/// another currency is not written as the same number: its amount is left
/// out and audited, stays in Partner Center, and the seller's converted
/// amount flows back.
#[tokio::test]
async fn a_single_currency_org_syncs_amounts_both_ways_and_refuses_a_foreign_one() {
    let settings = sync::Settings {
        currency_field: String::new(),
        org_currency: Some("USD".into()),
        ..sync::Settings::default()
    };
    let sf_options =
        emulator::salesforce::Options::for_profile(emulator::salesforce::Profile::SingleCurrency);
    let world = World::with(settings, sf_options).await;
    let opp = world.co_sell_opportunity("Single currency deal");
    world.pass().await;
    let referral = world.referral_for(&opp);
    assert_eq!(referral["details"]["dealValue"].as_f64(), Some(50000.0));
    assert_eq!(referral["details"]["currency"], json!("USD"));
    assert!(marked(&world.opp(&opp), "✔"), "{}", world.opp(&opp));

    let id = world.microsoft_shares_with(
        "Euro deal",
        json!({ "details": { "dealValue": 900, "currency": "EUR" } }),
    );
    world.pass().await;
    let o = world.opp_for_referral(&id);
    assert_eq!(o["Amount"], Value::Null, "900 EUR is not 900 USD");
    let audit = o["Audit__c"].as_str().unwrap();
    assert!(audit.contains("EUR") && audit.contains("USD"), "{audit}");
    let before = world.writes();
    world.pass().await;
    assert_eq!(world.writes(), before, "the next pass writes nothing");
    assert_eq!(
        world.referral(&id)["details"]["dealValue"].as_f64(),
        Some(900.0)
    );
    assert_eq!(world.referral(&id)["details"]["currency"], json!("EUR"));

    // The seller accepts the deal with the amount converted.
    let active = sync::Settings::default().active_stage;
    world.edit(
        "Opportunity",
        &id_of(&o),
        json!({ "StageName": active, "Amount": 980 }),
    );
    world.pass().await;
    let referral = world.referral(&id);
    assert_eq!(referral["details"]["dealValue"].as_f64(), Some(980.0));
    assert_eq!(referral["details"]["currency"], json!("USD"));
}
