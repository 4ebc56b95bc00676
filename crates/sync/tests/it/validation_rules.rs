//! An org's validation rule refusing a write (`FIELD_CUSTOM_VALIDATION_EXCEPTION`)
//! is a permanent failure of that deal: the seller sees ✖ and the rule's
//! message on the opportunity, nothing is retried until the data changes,
//! and the deal syncs once it is fixed. The enterprise-like org's
//! `Close_Date_Not_Moved_Into_Past` refuses moving an open opportunity's
//! close date into the past.

use emulator::salesforce::Profile;
use serde_json::json;

use crate::world::{marked, World};

const RULE_MESSAGE: &str = "Close Date cannot be moved into the past on an open opportunity.";

fn move_close_date(world: &World, referral: &str, date: &str) {
    world
        .pc
        .microsoft_update(
            referral,
            json!([{ "op": "replace", "path": "/details/closingDateTime", "value": format!("{date}T00:00:00Z") }]),
        )
        .unwrap();
}

#[tokio::test]
async fn a_deal_refused_by_a_validation_rule_shows_the_rule_s_message_and_syncs_after_the_fix() {
    let world = World::in_profile(Profile::Enterprise).await;
    let referral = world.microsoft_shares("Northwind Renewal");
    world.pass().await;
    let opp = world.opp_for_referral(&referral);
    let id = opp["Id"].as_str().unwrap().to_owned();

    move_close_date(&world, &referral, "2024-01-31");
    let report = world.pass().await;
    assert_eq!(report.summary.failed, 1, "{:#?}", report.outcomes);
    assert_eq!(report.summary.retryable, 0, "a refusal is not retried");
    let refused = world.opp(&id);
    assert!(marked(&refused, "✖"), "{}", refused["Name"]);
    let audit = refused["Audit__c"].as_str().unwrap().to_owned();
    let first = audit.lines().next().unwrap();
    assert!(
        first.contains(&format!("validation rule: {RULE_MESSAGE} (CloseDate)")),
        "{first}"
    );
    assert_eq!(
        refused["CloseDate"],
        json!("2027-03-31"),
        "nothing was forced"
    );

    let writes = || {
        let calls = world.sf.control().calls();
        calls.matching("PATCH") + calls.matching("composite/sobjects")
    };
    let before = writes();
    let again = world.pass().await;
    assert_eq!(again.summary.failed, 1, "still refused, waiting for a fix");
    assert_eq!(
        world.opp(&id)["Audit__c"],
        json!(audit),
        "reported once, not on every pass"
    );
    assert_eq!(writes(), before, "waiting tries no write");

    move_close_date(&world, &referral, "2027-09-30");
    let fixed = world.pass().await;
    assert_eq!(fixed.summary.failed, 0, "{:#?}", fixed.outcomes);
    let synced = world.opp(&id);
    assert_eq!(synced["CloseDate"], json!("2027-09-30"));
    assert!(marked(&synced, "✔"), "{}", synced["Name"]);
}
