//! `cosell demo` as a newcomer meets it: live syncs with both clouds on the
//! dashboard within 30 seconds of start, and the dashboard usable in a real browser.

use std::time::{Duration, Instant};

use cosell::demo::Demo;
use emulator::partner_center::DEMO_ADMIN;
use serde_json::Value;

use crate::dashboard_browser::{browser_or_skip, sign_in, walk_through};
use crate::sign_in_support::Visitor;

/// The promise: live syncs within this long after start.
const FIRST_SYNCS_WITHIN: Duration = Duration::from_secs(30);

async fn overview(admin: &mut Visitor, base: &str) -> Value {
    admin
        .get(&format!("{base}/api/overview"))
        .await
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_demo_shows_live_syncs_within_thirty_seconds_and_its_dead_letter_can_be_retried_in_a_browser(
) {
    let started = Instant::now();
    let mut demo = Demo::start("127.0.0.1:0".parse().unwrap(), 7)
        .await
        .expect("the demo starts");
    let base = demo.service.admin_url();
    // The demo's dashboard is behind sign-in, as the demo admin.
    let mut admin = Visitor::new();
    let signed_in = admin.sign_in(&base, DEMO_ADMIN).await;
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
    let ready = loop {
        let o = overview(&mut admin, &base).await;
        let both_ways = o["last_sync"]["partner_center_to_salesforce"].is_string()
            && o["last_sync"]["salesforce_to_partner_center"].is_string();
        // Both clouds: the deals shared with AWS are linked too.
        if both_ways
            && o["pairs"]["total"].as_u64() >= Some(20)
            && o["aws_links"]["total"].as_u64() >= Some(3)
            && o["dead_letters"].as_u64() >= Some(1)
        {
            break o;
        }
        assert!(
            started.elapsed() < FIRST_SYNCS_WITHIN,
            "no live syncs within 30 s: {o:#}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    eprintln!(
        "demo ready after {:?}: {}",
        started.elapsed(),
        ready["pairs"]
    );

    // The simulated sellers keep changing deals.
    let actions: Vec<String> = (0..6).filter_map(|_| demo.tick()).collect();
    assert!(!actions.is_empty(), "the sellers act");

    let Some(mut browser) = browser_or_skip().await else {
        return;
    };
    sign_in(&mut browser, &base, DEMO_ADMIN)
        .await
        .expect("sign in to the demo dashboard");
    let walk = walk_through(&mut browser, &base)
        .await
        .expect("walk through the demo dashboard");
    assert!(walk.opened_pair.is_some(), "{walk:?}");
    assert!(
        walk.retried.is_some(),
        "the invalid deal's dead letter was retried: {walk:?}"
    );
    demo.service.stop().await.unwrap();
}
