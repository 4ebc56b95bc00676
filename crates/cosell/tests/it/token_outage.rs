//! A throttled or failing token endpoint is an outage, not a verdict on the
//! deals: on either side, jobs wait and retry while the endpoint refuses
//! (with or without an OAuth error body), nothing is dead-lettered, and the
//! deal syncs once the endpoint answers again.

use std::time::Duration;

use emulator::control::FaultConfig;

use crate::service_support::{eventually, eventually_within, spawn_app, TestApp};

/// Refused token requests seen before the endpoint recovers; more than one
/// job attempt's own retries, so the job has been settled at least once.
const REFUSALS: u64 = 12;

/// Which side's token endpoint goes down.
#[derive(Debug, Clone, Copy)]
enum Side {
    PartnerCenter,
    Salesforce,
}

/// The faults of an endpoint that throttles and fails every token request.
fn token_outage(route: &str) -> FaultConfig {
    FaultConfig {
        error_rate: 1.0,
        errors: vec!["429".into(), "503".into(), "400".into()],
        routes: vec![route.into()],
        ..FaultConfig::default()
    }
}

/// Token requests the side's emulator has answered.
fn token_calls(app: &TestApp, side: Side) -> u64 {
    match side {
        Side::PartnerCenter => app.pc.control().calls().matching("/oauth2/v2.0/token"),
        Side::Salesforce => app.sf.control().calls().matching("/services/oauth2/token"),
    }
}

async fn a_deal_survives_a_token_outage(side: Side) {
    let app = spawn_app().await;
    match side {
        Side::PartnerCenter => {
            app.pc
                .control()
                .set_faults(token_outage("/oauth2/v2.0/token"))
                .unwrap();
            app.pc.expire_access_tokens();
        }
        Side::Salesforce => {
            app.sf
                .control()
                .set_faults(token_outage("/services/oauth2/token"))
                .unwrap();
            app.sf.set_token_lifetime(Duration::ZERO);
        }
    }
    let before = token_calls(&app, side);
    let referral = app.share_referral("Token Outage Deal");
    eventually_within(
        Duration::from_secs(60),
        "the token endpoint refusing the job's attempts",
        || async {
            let jobs = app.jobs().await;
            assert_eq!(jobs.dead, 0, "a refused token request dead-lettered a job");
            (token_calls(&app, side) >= before + REFUSALS).then_some(())
        },
    )
    .await;
    assert!(app.opportunities_for(&referral).is_empty());

    app.pc.control().set_faults(FaultConfig::default()).unwrap();
    app.sf.control().set_faults(FaultConfig::default()).unwrap();
    app.sf.set_token_lifetime(Duration::from_secs(7200));
    eventually("the deal synced after the outage", || async {
        (app.opportunities_for(&referral).len() == 1).then_some(())
    })
    .await;
    let jobs = eventually("an idle queue", || async {
        let j = app.jobs().await;
        (j.pending == 0 && j.running == 0).then_some(j)
    })
    .await;
    assert_eq!(jobs.dead, 0, "nothing was dead-lettered: {jobs:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_throttled_partner_center_token_endpoint_dead_letters_nothing() {
    a_deal_survives_a_token_outage(Side::PartnerCenter).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_throttled_salesforce_token_endpoint_dead_letters_nothing() {
    a_deal_survives_a_token_outage(Side::Salesforce).await;
}
