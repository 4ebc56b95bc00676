//! Nothing lost, nothing duplicated: under injected throttling and server
//! errors on both sides, repeated passes converge to exactly one record per
//! deal on each side.

use emulator::control::FaultConfig;

use crate::world::World;

#[tokio::test]
async fn under_thirty_percent_faults_both_sides_converge_without_duplicates() {
    let world = World::new().await;
    let mut referrals = Vec::new();
    for i in 0..12 {
        referrals.push(world.microsoft_shares(&format!("Flaky In {i}")));
    }
    let mut opportunities = Vec::new();
    for i in 0..12 {
        opportunities.push(world.co_sell_opportunity(&format!("Flaky Out {i}")));
    }
    let faults = |errors: &[&str]| FaultConfig {
        error_rate: 0.3,
        errors: errors.iter().map(|e| e.to_string()).collect(),
        ..FaultConfig::default()
    };
    world
        .pc
        .control()
        .set_faults(faults(&["429", "500", "503"]))
        .unwrap();
    world
        .sf
        .control()
        .set_faults(faults(&["503", "UNABLE_TO_LOCK_ROW"]))
        .unwrap();

    for _ in 0..15 {
        let report = world
            .engine
            .full_pass(200, chrono::Duration::seconds(5))
            .await;
        if report.is_ok_and(|r| r.summary.failed == 0) {
            break;
        }
    }
    world
        .pc
        .control()
        .set_faults(FaultConfig::default())
        .unwrap();
    world
        .sf
        .control()
        .set_faults(FaultConfig::default())
        .unwrap();
    let settled = world.passes_until_settled(3).await;
    assert_eq!(
        settled.summary.failed,
        0,
        "{:#?}",
        settled
            .outcomes
            .iter()
            .filter(|o| o.failure.is_some())
            .collect::<Vec<_>>()
    );

    for id in &referrals {
        world.opp_for_referral(id);
    }
    for opp in &opportunities {
        world.referral_for(opp);
    }
    assert_eq!(world.count("Opportunity"), 24);
    assert_eq!(world.pc.referrals().len(), 24);
}
