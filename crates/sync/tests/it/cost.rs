//! Behaviour 9: a pass reads and writes Salesforce in batches, so hundreds of
//! incoming referrals cost a small fraction of a Salesforce call each.

use crate::world::World;

#[tokio::test]
async fn five_hundred_incoming_referrals_cost_well_under_one_salesforce_call_per_deal() {
    const DEALS: usize = 500;
    let world = World::new().await;
    for i in 0..DEALS {
        world.microsoft_shares(&format!("Bulk Deal {i:03}"));
    }
    world.sf.control().reset();
    let report = world.pass().await;
    assert_eq!(
        report.summary.salesforce.created as usize, DEALS,
        "failed: {}",
        report.summary.failed
    );
    assert_eq!(world.count("Opportunity"), DEALS);

    let calls = world.sf.control().calls();
    let per_deal = calls.total as f64 / DEALS as f64;
    eprintln!(
        "Salesforce calls for {DEALS} incoming referrals: {} ({per_deal:.3} per deal): {:?}",
        calls.total, calls.by_route
    );
    assert!(per_deal < 0.1, "{per_deal} Salesforce calls per deal");

    world.sf.control().reset();
    let again = world.pass().await;
    assert_eq!(
        again.summary.salesforce.created + again.summary.salesforce.updated,
        0
    );
    let idle = world.sf.control().calls().total;
    assert!(
        idle as f64 / (DEALS as f64) < 0.1,
        "a pass over unchanged deals costs {idle} calls"
    );
}

/// The convergence figure (docs/PERFORMANCE.md): after a first pass over a mixed book
/// (sellers' co-sell deals, Microsoft's shared referrals, some accepted,
/// one invalid), the very next pass writes nothing. Printed for the closing
/// note by `scripts/convergence`.
#[tokio::test]
async fn the_pass_after_the_first_writes_nothing() {
    const EACH: usize = 20;
    const MAX_PASSES: usize = 5;
    let world = World::new().await;
    for i in 0..EACH {
        world.co_sell_opportunity(&format!("Seller Deal {i:02}"));
        world.microsoft_shares(&format!("Shared Deal {i:02}"));
    }
    let account = world.account("No Country Inc", None);
    world.opportunity("Invalid Deal", &account, serde_json::json!({}));
    world.pass().await;
    // Sellers accept half of Microsoft's deals, then the book is left alone.
    let active = sync::Settings::default().active_stage;
    for o in world
        .opportunities()
        .iter()
        .filter(|o| o["StageName"] == "On Hold")
        .take(EACH / 2)
    {
        let id = o["Id"].as_str().unwrap();
        world.edit(
            "Opportunity",
            id,
            serde_json::json!({ "StageName": active }),
        );
    }
    world.pass().await;
    let mut passes = 0;
    let mut before = world.writes();
    while passes < MAX_PASSES {
        world.pass().await;
        passes += 1;
        let after = world.writes();
        if after == before {
            break;
        }
        before = after;
    }
    eprintln!("passes to reach zero writes after a first pass: {passes}");
    assert_eq!(passes, 1, "the next pass writes nothing");
}
