//! Behaviour 5: on-hold edits stay in Salesforce; after acceptance, edits
//! flow to Partner Center and Microsoft sellers' edits flow back.

use serde_json::json;

use crate::world::World;

#[tokio::test]
async fn edits_made_on_hold_are_not_pushed_until_the_referral_is_accepted() {
    let world = World::new().await;
    let id = world.microsoft_shares("Held");
    world.pass().await;
    let opp = world.opp_for_referral(&id)["Id"]
        .as_str()
        .unwrap()
        .to_owned();

    world.edit("Opportunity", &opp, json!({ "Amount": 99000 }));
    let report = world.pass().await;
    assert_eq!(report.summary.partner_center.updated, 0);
    assert_eq!(
        world.referral(&id)["details"]["dealValue"].as_f64(),
        Some(120000.0)
    );
    assert_eq!(
        world.opp(&opp)["Amount"],
        json!(99000.0),
        "the seller's edit stays"
    );

    world.edit("Opportunity", &opp, json!({ "StageName": "Qualification" }));
    world.pass().await;
    let referral = world.referral(&id);
    assert_eq!(referral["status"], json!("Active"));
    assert_eq!(
        referral["details"]["dealValue"],
        json!(99000.0),
        "held edits flow once accepted"
    );
}

#[tokio::test]
async fn after_acceptance_deal_changes_flow_both_ways() {
    let world = World::multi_currency().await;
    let opp = world.co_sell_opportunity("Both Ways");
    world.pass().await;
    let id = world.referral_for(&opp)["id"].as_str().unwrap().to_owned();

    world.edit(
        "Opportunity",
        &opp,
        json!({ "Amount": 75000, "CloseDate": "2027-09-30", "CurrencyIsoCode": "EUR",
        "How_can_Microsoft_help__c": "Post sales customer success" }),
    );
    world.solution(&opp, "SOL-2");
    world.pass().await;
    let referral = world.referral(&id);
    assert_eq!(referral["details"]["dealValue"], json!(75000.0));
    assert_eq!(referral["details"]["currency"], json!("EUR"));
    assert!(referral["details"]["closingDateTime"]
        .as_str()
        .unwrap()
        .starts_with("2027-09-30"));
    assert_eq!(
        referral["inviteContext"]["assistanceRequestCode"],
        json!("PostSalesCustomerSuccess")
    );
    assert_eq!(
        referral["details"]["requirements"]["solutions"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    world
        .pc
        .microsoft_update(&id, json!([{ "op": "replace", "path": "/details/notes", "value": "Microsoft: budget approved" },
            { "op": "add", "path": "/trackingInfo", "value": { "microsoftMsxId": "7-MSX42" } }]))
        .unwrap();
    world.pass().await;
    let o = world.opp(&opp);
    assert_eq!(o["Microsoft_CRM_Identifier__c"], json!("7-MSX42"));
    let notes: Vec<_> = world
        .sf
        .records("Note")
        .into_iter()
        .filter(|n| n["ParentId"] == json!(opp))
        .collect();
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0]["Body"], json!("Microsoft: budget approved"));
}
