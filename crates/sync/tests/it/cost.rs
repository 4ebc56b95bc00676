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
