//! Behaviour 4: the opportunity stage accepts, declines and closes the
//! referral; a referral closed in Partner Center closes the opportunity.

use serde_json::json;

use crate::world::World;

async fn shared_and_synced(world: &World, name: &str) -> (String, String) {
    let id = world.microsoft_shares(name);
    world.pass().await;
    let opp = world.opp_for_referral(&id)["Id"]
        .as_str()
        .unwrap()
        .to_owned();
    (id, opp)
}

#[tokio::test]
async fn moving_from_on_hold_to_the_active_stage_accepts_the_referral() {
    let world = World::new().await;
    let (id, opp) = shared_and_synced(&world, "Accept Me").await;
    world.edit("Opportunity", &opp, json!({ "StageName": "Qualification" }));
    world.pass().await;
    let referral = world.referral(&id);
    assert_eq!(
        (referral["status"].clone(), referral["substatus"].clone()),
        (json!("Active"), json!("Accepted"))
    );
    assert!(world.audit_kinds().await.contains(&"synced".to_owned()));
}

#[tokio::test]
async fn closing_lost_before_acceptance_declines_the_referral() {
    let world = World::new().await;
    let (id, opp) = shared_and_synced(&world, "Decline Me").await;
    world.edit("Opportunity", &opp, json!({ "StageName": "Closed Lost" }));
    world.pass().await;
    let referral = world.referral(&id);
    assert_eq!(
        (referral["status"].clone(), referral["substatus"].clone()),
        (json!("Closed"), json!("Declined"))
    );
}

#[tokio::test]
async fn closing_won_or_lost_after_acceptance_closes_the_referral_won_or_lost() {
    let world = World::new().await;
    let (won, won_opp) = shared_and_synced(&world, "Win Me").await;
    let (lost, lost_opp) = shared_and_synced(&world, "Lose Me").await;
    for opp in [&won_opp, &lost_opp] {
        world.edit("Opportunity", opp, json!({ "StageName": "Qualification" }));
    }
    world.pass().await;
    world.edit(
        "Opportunity",
        &won_opp,
        json!({ "StageName": "Closed Won" }),
    );
    world.edit(
        "Opportunity",
        &lost_opp,
        json!({ "StageName": "Closed Lost" }),
    );
    world.pass().await;
    assert_eq!(world.referral(&won)["substatus"], json!("Won"));
    assert_eq!(world.referral(&lost)["substatus"], json!("Lost"));
}

#[tokio::test]
async fn a_referral_closed_in_partner_center_closes_the_opportunity_and_later_edits_are_not_pushed()
{
    let world = World::new().await;
    let (id, opp) = shared_and_synced(&world, "Closed Upstream").await;
    world.edit("Opportunity", &opp, json!({ "StageName": "Qualification" }));
    world.pass().await;
    world
        .pc
        .microsoft_update(&id, json!([{ "op": "replace", "path": "/status", "value": "Closed" }, { "op": "replace", "path": "/substatus", "value": "Lost" }]))
        .unwrap();
    world.pass().await;
    assert_eq!(world.opp(&opp)["StageName"], json!("Closed Lost"));

    world.edit("Opportunity", &opp, json!({ "Amount": 1 }));
    let report = world.pass().await;
    assert_eq!(
        report.summary.partner_center.updated, 0,
        "a closed referral is final"
    );
    assert_eq!(
        world.referral(&id)["details"]["dealValue"].as_f64(),
        Some(120000.0)
    );
    assert!(world.opp(&opp)["Audit__c"]
        .as_str()
        .unwrap()
        .contains("closed in Partner Center"));
}

#[tokio::test]
async fn a_deal_won_straight_from_on_hold_is_accepted_then_won() {
    let world = World::new().await;
    let (id, opp) = shared_and_synced(&world, "Fast Win").await;
    world.edit("Opportunity", &opp, json!({ "StageName": "Closed Won" }));
    world.pass().await;
    world.pass().await;
    let referral = world.referral(&id);
    assert_eq!(
        (referral["status"].clone(), referral["substatus"].clone()),
        (json!("Closed"), json!("Won"))
    );
}
