//! Benchmark of full sync passes against the in-process emulators: time,
//! throughput, API calls per synced deal on each side, and peak memory.
//!
//! Run: `cargo bench -p sync --bench sync_pass` (optionally `-- 2000` for the
//! number of incoming referrals). Figures go to docs/PERFORMANCE.md.

#[path = "../tests/it/world.rs"]
#[allow(dead_code)]
mod world;

use std::time::Instant;

use serde_json::json;
use world::World;

/// Default number of referrals Microsoft shares in the incoming scenario.
const DEFAULT_INCOMING: usize = 1000;

struct Measure {
    name: String,
    deals: usize,
    seconds: f64,
    salesforce_calls: u64,
    partner_center_calls: u64,
}

impl Measure {
    fn print(&self) {
        let per = |calls: u64| {
            if self.deals == 0 {
                0.0
            } else {
                calls as f64 / self.deals as f64
            }
        };
        println!(
            "| {} | {} | {:.2} s | {:.0} deals/s | {} ({:.3}/deal) | {} ({:.3}/deal) |",
            self.name,
            self.deals,
            self.seconds,
            self.deals as f64 / self.seconds.max(1e-9),
            self.salesforce_calls,
            per(self.salesforce_calls),
            self.partner_center_calls,
            per(self.partner_center_calls),
        );
    }
}

/// Runs one pass, counting the calls each emulator served meanwhile.
async fn measured_pass(world: &World, name: &str, deals: usize) -> Measure {
    world.sf.control().reset();
    world.pc.control().reset();
    let started = Instant::now();
    let report = world.pass().await;
    let seconds = started.elapsed().as_secs_f64();
    assert_eq!(report.summary.failed, 0, "{name}: {:?}", report.summary);
    Measure {
        name: name.into(),
        deals,
        seconds,
        salesforce_calls: world.sf.control().calls().total,
        partner_center_calls: world.pc.control().calls().total,
    }
}

/// Peak resident memory of this process (Linux), in MiB.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

#[tokio::main]
async fn main() {
    let incoming: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(DEFAULT_INCOMING);
    let outgoing = incoming / 4;
    let world = World::new().await;

    for i in 0..incoming {
        world.microsoft_shares(&format!("Bench In {i:05}"));
    }
    let mut measures =
        vec![measured_pass(&world, "incoming referrals → new opportunities", incoming).await];

    let mut opportunities = Vec::with_capacity(outgoing);
    for i in 0..outgoing {
        opportunities.push(world.co_sell_opportunity(&format!("Bench Out {i:05}")));
    }
    measures.push(measured_pass(&world, "opportunities → new referrals", outgoing).await);

    measures.push(measured_pass(&world, "idle pass (nothing changed)", 0).await);

    for id in &opportunities {
        world.edit("Opportunity", id, json!({ "Amount": 77_000 }));
    }
    measures.push(measured_pass(&world, "edited opportunities → referral updates", outgoing).await);

    println!("| scenario | deals | time | throughput | Salesforce calls | Partner Center calls |");
    println!("|---|---|---|---|---|---|");
    for m in &measures {
        m.print();
    }
    if let Some(mib) = peak_rss_mib() {
        println!("peak memory (VmHWM, both emulators and the engine in one process): {mib:.0} MiB");
    }
}
