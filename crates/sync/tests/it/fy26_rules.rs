//! FY26 co-sell rules. Field rules: a new referral states the customer's
//! marketplace purchase intent, and a Services co-sell deal names its
//! partner role, solution area and solution play; the connector holds a deal
//! breaking them (✖ and an Audit line naming the field and the fix) and
//! sends it once the seller fixes it. Rules that depend on time, played with
//! the Partner Center emulator's clock (never by sleeping): an unanswered
//! incoming referral expires after 14 days, and a registered deal is Won
//! only 72 hours after its registration.

use std::time::Duration;

use partner_center::wire::PatchOperation;
use partner_center::PatchOptions;
use serde_json::json;

use crate::co_sell::engagement;
use crate::world::{marked, World};

const HOUR: u64 = 3600;

/// The pass held the deal: nothing reached Partner Center, the name shows
/// ✖, and the Audit line is returned.
async fn held(world: &World, opp: &str) -> String {
    world.pass().await;
    assert!(
        world.pc.referrals().is_empty(),
        "nothing reached Partner Center"
    );
    let o = world.opp(opp);
    assert!(marked(&o, "✖"), "{}", o["Name"]);
    o["Audit__c"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn a_deal_without_marketplace_intent_waits_for_the_seller_to_choose_one() {
    let world = World::new().await;
    let opp = world.co_sell_opportunity("Intent Unknown");
    // New opportunities start at "Have not decided"; this seller cleared it.
    world.edit(
        "Opportunity",
        &opp,
        json!({ "Marketplace_Purchase_Intent__c": null }),
    );

    let audit = held(&world, &opp).await;
    assert!(
        audit.contains("Opportunity.Marketplace_Purchase_Intent__c: Partner Center needs the customer's marketplace purchase intent to create the referral: choose one of Yes, No, Have not decided"),
        "{audit}"
    );

    world.edit(
        "Opportunity",
        &opp,
        json!({ "Marketplace_Purchase_Intent__c": "Yes" }),
    );
    world.pass().await;
    let referral = world.referral_for(&opp);
    assert_eq!(
        referral["details"]["requirements"]["additionalRequirements"]["attributes"],
        json!([{ "type": "CustomerMarketplaceIntent", "id": "Yes" }])
    );
    assert!(marked(&world.opp(&opp), "✔"));
}

#[tokio::test]
async fn a_services_co_sell_deal_missing_its_solution_play_waits_for_it() {
    let world = World::new().await;
    let opp = world.co_sell_opportunity("Managed SecOps");
    world.edit(
        "Opportunity",
        &opp,
        json!({ "Partner_Role__c": "Services", "Solution_Area__c": "Security" }),
    );

    let audit = held(&world, &opp).await;
    assert!(
        audit.contains("Opportunity.Solution_Play__c: a Services co-sell deal needs its solution play as well as the other two"),
        "{audit}"
    );

    world.edit(
        "Opportunity",
        &opp,
        json!({ "Solution_Play__c": "Modern SecOps" }),
    );
    world.pass().await;
    let (own, microsoft) = engagement(&world, &opp);
    for referral in [&own, &microsoft] {
        assert_eq!(referral["partnerRole"], "Services");
        assert_eq!(referral["solutionArea"], "Security");
        assert_eq!(referral["solutionPlay"], "Modern SecOps");
    }
    assert!(marked(&world.opp(&opp), "✔"));
}

#[tokio::test]
async fn an_unanswered_referral_expires_after_fourteen_days_and_closes_the_opportunity() {
    let world = World::new().await;
    let id = world.microsoft_shares("Left Waiting");
    world.pass().await;
    let opp = world.opp_for_referral(&id)["Id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(world.opp(&opp)["IsClosed"], false);

    world
        .pc
        .advance_clock(Duration::from_secs(14 * 24 * HOUR + 60));
    world.pass().await;
    assert_eq!(world.referral(&id)["substatus"], "Expired");
    let o = world.opp(&opp);
    assert_eq!(o["IsClosed"], true);
    assert_eq!(o["IsWon"], false);
    assert!(
        o["Audit__c"].as_str().unwrap().contains("Expired"),
        "{}",
        o["Audit__c"]
    );
}

#[tokio::test]
async fn a_registered_deal_won_too_early_waits_and_is_sent_won_once_the_wait_is_over() {
    let mut world = World::new().await;
    let opp = world.co_sell_opportunity("Registered Win");
    world.pass().await;
    let referral = world.referral_for(&opp);
    let id = referral["id"].as_str().unwrap().to_owned();
    // The partner registers the deal in Partner Center.
    let registration = PatchOperation::add(
        "/registrations/-",
        json!({ "type": "AzureIPCoSell",
                "solutionDetails": [{ "id": "SOL-15974-MQF", "currency": "USD", "value": 12000, "isDeployedOnAzure": true,
                                      "primaryDeploymentOn": "Customer", "pricingModel": "PayAsYouGo" }],
                "contract": { "currency": "USD", "value": 12000, "term": "Finite" } }),
    );
    world
        .engine
        .partner_center()
        .patch(&id, &[registration], PatchOptions::default())
        .await
        .unwrap();
    world.pass().await;

    world.edit("Opportunity", &opp, json!({ "StageName": "Closed Won" }));
    let refused_before = world.pc.control().calls().matching("PATCH");
    world.pass().await;
    let o = world.opp(&opp);
    let audit = o["Audit__c"].as_str().unwrap();
    assert!(marked(&o, "✖"), "{}", o["Name"]);
    assert!(
        audit.contains("Opportunity.StageName: a deal with a deal registration can be marked Won only 72 hours after the registration was created")
            && audit.contains("Won is accepted from"),
        "{audit}"
    );
    assert_eq!(
        world.pc.control().calls().matching("PATCH"),
        refused_before,
        "Won was not sent to be refused"
    );
    assert_eq!(world.referral(&id)["status"], "Active");
    assert_eq!(o["StageName"], "Closed Won", "the seller's Won stays");

    // Passes during the wait change nothing.
    let writes = world.writes();
    world.pass().await;
    assert_eq!(world.writes(), writes);

    // Once the wait is over the next pass sends Won, with no edit.
    world.let_time_pass(Duration::from_secs(72 * HOUR));
    world.pass().await;
    assert_eq!(world.referral(&id)["substatus"], "Won");
    assert!(marked(&world.opp(&opp), "✔"));
}
