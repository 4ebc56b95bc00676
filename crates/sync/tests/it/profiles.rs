//! The core stories on every org profile the suite does not run on: the
//! suite runs on one profile (`COSELL_TEST_SF_PROFILE`, the enterprise-like
//! org by default), and this table runs what every org must do on each of
//! the others, both ways, so CI covers every profile without running the
//! whole suite three times.

use emulator::salesforce::Profile;
use serde_json::json;

use crate::world::{marked, profile_under_test, World};

#[tokio::test]
async fn the_core_stories_hold_on_every_other_profile() {
    for profile in Profile::ALL
        .into_iter()
        .filter(|p| *p != profile_under_test())
    {
        let world = World::in_profile(profile).await;
        // Microsoft shares a referral: it lands on hold, filled in.
        let shared = world.microsoft_shares("Shared With Us");
        // A seller marks an opportunity for co-sell: it is shared.
        let ours = world.co_sell_opportunity("Ours To Share");
        let report = world.pass().await;
        assert_eq!(
            report.summary.failed, 0,
            "{profile}: {:#?}",
            report.outcomes
        );
        let incoming = world.opp_for_referral(&shared);
        assert!(marked(&incoming, "✔"), "{profile}: {}", incoming["Name"]);
        assert_eq!(incoming["StageName"], json!("On Hold"), "{profile}");
        let id = world.referral_for(&ours)["id"].as_str().unwrap().to_owned();

        // Edits flow both ways once the deal is active.
        world.edit("Opportunity", &ours, json!({ "Amount": 64000 }));
        world.microsoft_sets(&id, "/details/notes", json!("Microsoft: budget approved"));
        let report = world.pass().await;
        assert_eq!(
            report.summary.failed, 0,
            "{profile}: {:#?}",
            report.outcomes
        );
        assert_eq!(
            world.referral(&id)["details"]["dealValue"],
            json!(64000.0),
            "{profile}"
        );
        let notes = world
            .sf
            .records("Note")
            .into_iter()
            .filter(|n| n["ParentId"] == json!(ours))
            .count();
        assert_eq!(notes, 1, "{profile}: Microsoft's note reaches Salesforce");

        // Nothing is left to do: the two sides agree.
        let settled = world.pass().await;
        assert_eq!(
            (
                settled.summary.salesforce.updated,
                settled.summary.partner_center.updated
            ),
            (0, 0),
            "{profile}: {}",
            settled.summary
        );
    }
}
