//! Opportunity record types with sales processes (the enterprise-like org
//! has `Direct_Deal`, every user's default, whose process lacks `On Hold`,
//! and `Partner_Deal`): new opportunities get the configured record type,
//! and one whose sales process lacks a stage the connector uses is refused
//! before anything is written.

use emulator::salesforce::Profile;
use serde_json::json;
use sync::Settings;

use crate::world::World;

fn record_type_id(world: &World, developer_name: &str) -> String {
    world
        .sf
        .records("RecordType")
        .into_iter()
        .find(|r| r["DeveloperName"] == json!(developer_name))
        .and_then(|r| r["Id"].as_str().map(str::to_owned))
        .unwrap()
}

#[tokio::test]
async fn new_opportunities_get_the_configured_record_type() {
    let world = World::in_profile(Profile::Enterprise).await;
    let referral = world.microsoft_shares("Litware Upgrade");
    let report = world.pass().await;
    assert_eq!(report.summary.failed, 0, "{:#?}", report.outcomes);
    let opp = world.opp_for_referral(&referral);
    assert_eq!(opp["StageName"], json!("On Hold"));
    assert_eq!(
        opp["RecordTypeId"],
        json!(record_type_id(&world, "Partner_Deal"))
    );
}

#[tokio::test]
async fn a_record_type_whose_process_lacks_a_stage_is_refused_before_any_write() {
    let mut world = World::in_profile(Profile::Enterprise).await;
    let settings = |record_type: &str| Settings {
        opportunity_record_type: Some(record_type.into()),
        ..world.engine.settings().clone()
    };
    let direct = settings("Direct_Deal");
    let unknown = settings("Reseller_Deal");
    world.microsoft_shares("Litware Upgrade");
    let opportunities = world.count("Opportunity");

    world.reconfigure(direct);
    let error = world.pass_error().await;
    assert!(
        error.contains("sync.opportunity_record_type = \"Direct_Deal\": its sales process lacks the stage(s) On Hold"),
        "{error}"
    );

    world.reconfigure(unknown);
    let error = world.pass_error().await;
    assert!(
        error.contains("\"Reseller_Deal\" is not an active Opportunity record type"),
        "{error}"
    );
    assert_eq!(
        world.count("Opportunity"),
        opportunities,
        "nothing was written"
    );
}
