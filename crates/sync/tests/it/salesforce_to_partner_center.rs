//! Behaviour 1: an opportunity marked for sync becomes a referral.

use serde_json::json;

use crate::world::{marked, World};

#[tokio::test]
async fn a_co_sell_opportunity_becomes_a_co_sell_referral_and_gets_its_id_link_and_checkmark() {
    let world = World::new().await;
    let opp = world.co_sell_opportunity("Fabrikam Rollout");

    let report = world.pass().await;
    assert_eq!(
        report.summary.partner_center.created, 1,
        "{:#?}",
        report.outcomes
    );

    let referral = world.referral_for(&opp);
    assert_eq!(referral["name"], json!("Fabrikam Rollout"));
    assert_eq!(
        referral["inviteContext"]["assistanceRequestCode"],
        json!("ProofOfConceptOrDemo")
    );
    assert_eq!(
        referral["consent"]["consentToShareReferralWithMicrosoftSellers"],
        json!(true)
    );
    assert_eq!(
        referral["customerProfile"]["address"]["country"],
        json!("US")
    );
    assert_eq!(
        referral["customerProfile"]["team"][0]["lastName"],
        json!("Smith")
    );
    assert_eq!(
        referral["details"]["requirements"]["solutions"][0]["id"],
        json!("SOL-15974-MQF")
    );
    assert_eq!(
        referral["status"],
        json!("Active"),
        "outgoing referrals come back accepted"
    );

    let o = world.opp(&opp);
    let id = referral["id"].as_str().unwrap();
    assert_eq!(o["Referral_Identifier__c"], json!(id));
    assert!(o["Referral_Link__c"].as_str().unwrap().ends_with(id));
    assert!(marked(&o, "✔"), "name shows the checkmark: {}", o["Name"]);
    assert!(o["Audit__c"]
        .as_str()
        .unwrap()
        .contains("Shared with Partner Center"));
}

#[tokio::test]
async fn without_a_help_option_the_referral_is_not_co_sell_and_choosing_one_later_converts_it() {
    let world = World::multi_currency().await;
    let account = world.account("Northwind", Some("DE"));
    let opp = world.opportunity(
        "Northwind ERP",
        &account,
        json!({ "CurrencyIsoCode": "EUR" }),
    );

    world.pass().await;
    let referral = world.referral_for(&opp);
    assert_ne!(
        referral["inviteContext"]["assistanceRequestCode"],
        json!("QuotesOrLicensing")
    );
    assert_eq!(
        referral["consent"]["consentToShareReferralWithMicrosoftSellers"],
        json!(false)
    );

    world.contact_role(&opp, &account, "Weber", "kai@northwind.example");
    world.solution(&opp, "SOL-1");
    world.edit(
        "Opportunity",
        &opp,
        json!({ "How_can_Microsoft_help__c": "Quotes or licensing" }),
    );
    world.pass().await;

    let referral = world.referral_for(&opp);
    assert_eq!(
        referral["inviteContext"]["assistanceRequestCode"],
        json!("QuotesOrLicensing")
    );
    assert_eq!(
        referral["consent"]["consentToShareReferralWithMicrosoftSellers"],
        json!(true)
    );
    assert_eq!(
        referral["customerProfile"]["team"][0]["email"],
        json!("kai@northwind.example")
    );
}

#[tokio::test]
async fn an_opportunity_without_sync_checked_stays_in_salesforce() {
    let world = World::new().await;
    let account = world.account("Private Co", Some("US"));
    world.opportunity(
        "Private deal",
        &account,
        json!({ "Sync_with_Partner_Center__c": false }),
    );
    world.pass().await;
    assert!(world.pc.referrals().is_empty());
}

#[tokio::test]
async fn repeating_the_pass_never_creates_a_second_referral() {
    let world = World::new().await;
    let opp = world.co_sell_opportunity("Tailspin");
    world.pass().await;
    let second = world.pass().await;
    let third = world.pass().await;
    assert_eq!(
        second.summary.partner_center.created + third.summary.partner_center.created,
        0
    );
    world.referral_for(&opp);
    assert_eq!(world.pc.own_referrals().len(), 1);
}

#[tokio::test]
async fn a_crash_between_creating_the_referral_and_recording_it_never_duplicates() {
    let world = World::new().await;
    let opp = world.co_sell_opportunity("Crash Out");
    // The first attempt recorded its intent and created the referral, then
    // the process died before recording the referral id anywhere.
    let deal = sync::Deal {
        name: "Crash Out".into(),
        customer: sync::deal::Customer {
            name: "Crash Out Inc".into(),
            country: Some("US".into()),
            ..Default::default()
        },
        ..Default::default()
    };
    world.interrupted_share(&opp, &deal).await;

    let report = world.pass().await;
    assert_eq!(
        report.summary.partner_center.created, 1,
        "the existing referral is adopted: {:#?}",
        report.outcomes
    );
    let referral = world.referral_for(&opp);
    assert_eq!(world.pc.own_referrals().len(), 1, "no second referral");
    assert_eq!(world.opp(&opp)["Referral_Identifier__c"], referral["id"]);
}

#[tokio::test]
async fn a_new_co_sell_opportunity_costs_two_partner_center_calls_to_share() {
    let world = World::new().await;
    world.co_sell_opportunity("Cheap Share");
    world.pc.control().reset();
    world.pass().await;
    let calls = world.pc.control().calls();
    // Its own referral, then the one addressed to Microsoft: nothing else.
    assert_eq!(
        calls.matching("POST /v1.0/engagements/referrals"),
        2,
        "{:?}",
        calls.by_route
    );
    assert_eq!(
        calls.matching("GET /v1.0/engagements/referrals/{id}"),
        0,
        "{:?}",
        calls.by_route
    );
}
