//! The end-to-end stories that lean on Partner Center's list filters, run
//! against each OData mode of the emulator: filters honoured, undocumented
//! filters refused (400), and undocumented filters silently ignored. The
//! connector must create, poll and recover from a crash the same way in all.

use emulator::partner_center::ODataMode;
use serde_json::json;

use crate::world::World;

/// One `#[tokio::test]` per OData mode for each story.
macro_rules! in_every_odata_mode {
    ($($story:ident),+ $(,)?) => {
        $(mod $story {
            use super::*;

            #[tokio::test]
            async fn permissive() {
                super::$story(ODataMode::Permissive).await
            }

            #[tokio::test]
            async fn documented_only() {
                super::$story(ODataMode::Documented).await
            }

            #[tokio::test]
            async fn ignoring_unknown_filters() {
                super::$story(ODataMode::IgnoreUnknown).await
            }
        })+
    };
}

in_every_odata_mode!(
    an_opportunity_becomes_one_referral_however_often_the_pass_runs,
    a_crash_between_creating_and_recording_never_duplicates,
    a_change_made_in_partner_center_after_a_pass_reaches_salesforce,
    once_learnt_an_idle_poll_costs_one_list_call,
);

async fn an_opportunity_becomes_one_referral_however_often_the_pass_runs(mode: ODataMode) {
    let world = World::in_odata_mode(mode).await;
    let opp = world.co_sell_opportunity("Mode Rollout");
    let first = world.pass().await;
    assert_eq!(
        first.summary.partner_center.created, 1,
        "{:#?}",
        first.outcomes
    );
    world.pass().await;
    world.pass().await;
    let referral = world.referral_for(&opp);
    assert_eq!(world.pc.own_referrals().len(), 1);
    assert_eq!(world.opp(&opp)["Referral_Identifier__c"], referral["id"]);
}

async fn a_crash_between_creating_and_recording_never_duplicates(mode: ODataMode) {
    let world = World::in_odata_mode(mode).await;
    // Other deals already in the tenant: a lookup whose filter is ignored
    // would see them first.
    world.co_sell_opportunity("Earlier One");
    world.co_sell_opportunity("Earlier Two");
    world.microsoft_shares("Shared Before");
    world.pass().await;
    let before = world.pc.own_referrals().len();

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
        close_date: chrono::NaiveDate::from_ymd_opt(2030, 6, 30),
        ..Default::default()
    };
    let created = world.interrupted_share(&opp, &deal).await;

    let report = world.pass().await;
    assert_eq!(report.summary.failed, 0, "{:#?}", report.outcomes);
    assert_eq!(
        world.pc.own_referrals().len(),
        before + 1,
        "no second referral"
    );
    assert_eq!(
        world.opp(&opp)["Referral_Identifier__c"],
        json!(created.id.unwrap()),
        "the referral created before the crash is adopted"
    );
}

async fn a_change_made_in_partner_center_after_a_pass_reaches_salesforce(mode: ODataMode) {
    let world = World::in_odata_mode(mode).await;
    world.microsoft_shares("Quiet Deal");
    let id = world.microsoft_shares("Busy Deal");
    world.pass().await;
    world
        .pc
        .microsoft_update(&id, json!({ "details": { "dealValue": 250000 } }))
        .unwrap();

    let report = world.pass().await;
    assert_eq!(
        report.summary.salesforce.updated, 1,
        "{:#?}",
        report.outcomes
    );
    assert_eq!(world.opp_for_referral(&id)["Amount"], json!(250000.0));
}

async fn once_learnt_an_idle_poll_costs_one_list_call(mode: ODataMode) {
    let world = World::in_odata_mode(mode).await;
    world.microsoft_shares("Idle One");
    world.microsoft_shares("Idle Two");
    world.pass().await;
    world.pass().await;
    world.pc.control().reset();

    world.pass().await;

    let lists = world
        .pc
        .control()
        .calls()
        .by_route
        .get("GET /v1.0/engagements/referrals")
        .copied()
        .unwrap_or(0);
    assert_eq!(lists, 1, "{mode}: list calls of an idle pass");
}
