//! The change feed: one referral Partner Center returns malformed fails on
//! its own; the rest of its page syncs and the cursor
//! moves on.

use serde_json::json;
use sync::feed::{Side, Window};

use crate::world::World;

#[tokio::test]
async fn a_referral_that_does_not_decode_fails_alone_and_the_feed_moves_on() {
    let world = World::new().await;
    let bad = world.microsoft_shares("Broken Team");
    world
        .pc
        .microsoft_update(
            &bad,
            json!([{ "op": "add", "path": "/customerProfile/team/-", "value": null }]),
        )
        .expect("Partner Center returns a referral with a null team member");
    let good = world.microsoft_shares("Fine Deal");

    let report = world.pass().await;
    assert_eq!(
        report.summary.salesforce.created, 1,
        "{:#?}",
        report.outcomes
    );
    world.opp_for_referral(&good);
    let failed: Vec<_> = report
        .outcomes
        .iter()
        .filter(|o| o.failure.is_some())
        .collect();
    assert_eq!(failed.len(), 1, "{failed:#?}");
    let failure = failed[0].failure.as_ref().unwrap();
    assert!(failure.permanent, "{failure:?}");
    assert!(failure.message.contains(&bad), "{}", failure.message);

    // The cursor passed both: the next read finds nothing new without overlap.
    let read = world
        .engine
        .read_feed(
            Side::PartnerCenter,
            Window::SinceCursor {
                overlap: chrono::Duration::zero(),
            },
        )
        .await
        .unwrap();
    assert!(read.changes.is_empty(), "{:?}", read.changes);
}
