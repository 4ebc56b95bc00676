//! Behaviour 8: the same field changed on both sides between passes is
//! settled by the documented policy (latest change wins), the loser's value
//! is in the audit, and a second pass changes nothing.

use serde_json::json;

use crate::world::World;

#[tokio::test]
async fn the_latest_change_wins_the_loser_is_audited_and_nothing_flip_flops() {
    let world = World::new().await;
    let opp = world.co_sell_opportunity("Tug Of War");
    world.pass().await;
    let id = world.referral_for(&opp)["id"].as_str().unwrap().to_owned();

    world.microsoft_sets(&id, "/details/dealValue", json!(11111));
    // Salesforce's stamp is to the second, so an edit within the same second
    // ties, and Salesforce takes the tie: either way it wins here.
    world.edit("Opportunity", &opp, json!({ "Amount": 22222 }));
    world.pass().await;

    assert_eq!(
        world.referral(&id)["details"]["dealValue"],
        json!(22222.0),
        "Salesforce changed last and wins"
    );
    assert_eq!(world.opp(&opp)["Amount"], json!(22222.0));
    let audit = world.store.recent_audit(100).await.unwrap();
    let conflict = audit
        .iter()
        .find(|e| e.kind == "conflict")
        .expect("a conflict entry");
    assert!(
        conflict.message.contains("11111"),
        "the loser's value is kept: {}",
        conflict.message
    );

    let again = world.pass().await;
    assert_eq!(
        again.summary.partner_center.updated + again.summary.salesforce.updated,
        0,
        "{:#?}",
        again.outcomes
    );
    let writes =
        world.sf.control().calls().matching("PATCH") + world.pc.control().calls().matching("PATCH");
    let third = world.pass().await;
    assert_eq!(
        third.summary.partner_center.updated + third.summary.salesforce.updated,
        0
    );
    assert_eq!(
        world.sf.control().calls().matching("PATCH") + world.pc.control().calls().matching("PATCH"),
        writes,
        "no echo writes"
    );
}

/// The other direction: Microsoft's change made after the seller's wins,
/// reaches the opportunity, and the seller's value is in the audit.
#[tokio::test]
async fn a_later_partner_center_change_wins_and_the_sellers_value_is_audited() {
    let world = World::new().await;
    let opp = world.co_sell_opportunity("Microsoft Last");
    world.pass().await;
    let id = world.referral_for(&opp)["id"].as_str().unwrap().to_owned();

    world.edit("Opportunity", &opp, json!({ "Amount": 22222 }));
    world.pc.advance_clock(std::time::Duration::from_secs(2));
    world.microsoft_sets(&id, "/details/dealValue", json!(11111));
    world.pass().await;

    assert_eq!(world.opp(&opp)["Amount"].as_f64(), Some(11111.0));
    assert_eq!(
        world.referral(&id)["details"]["dealValue"].as_f64(),
        Some(11111.0)
    );
    let audit = world.store.recent_audit(100).await.unwrap();
    let conflict = audit
        .iter()
        .find(|e| e.kind == "conflict")
        .expect("a conflict entry");
    assert!(
        conflict.message.contains("22222"),
        "the loser's value is kept: {}",
        conflict.message
    );
    let again = world.pass().await;
    assert_eq!(
        again.summary.partner_center.updated + again.summary.salesforce.updated,
        0
    );
}
