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
    assert_eq!(world.pc.own_referrals().len(), 24);
}

#[tokio::test]
async fn a_referral_partner_center_refuses_to_give_fails_alone_and_the_batch_goes_on() {
    use sync::Target;
    let world = World::new().await;
    let hidden = world.microsoft_shares("Hidden");
    let opportunity = world.co_sell_opportunity("Visible Batchmate");
    world
        .pc
        .control()
        .set_faults(FaultConfig {
            error_rate: 1.0,
            errors: vec!["403".into()],
            routes: vec!["GET /v1.0/engagements/referrals/{id}".into()],
            ..FaultConfig::default()
        })
        .unwrap();

    let outcomes = world
        .engine
        .sync_targets(vec![
            Target::Referral(hidden.clone()),
            Target::Opportunity(opportunity.clone()),
        ])
        .await
        .expect("the batch runs");

    let failed = outcomes
        .iter()
        .find(|o| o.targets.contains(&Target::Referral(hidden.clone())))
        .unwrap();
    let failure = failed.failure.as_ref().expect("the hidden referral fails");
    assert!(
        failure.permanent && failure.message.contains("refused to read referral"),
        "{failure:?}"
    );
    let shared = outcomes
        .iter()
        .find(|o| {
            o.targets
                .contains(&Target::Opportunity(opportunity.clone()))
        })
        .unwrap();
    assert!(shared.failure.is_none(), "{shared:?}");
    world.referral_for(&opportunity);
}
