//! Benchmark, not a timed test (ignored by default): how long a Partner
//! Center change takes to reach Salesforce through a signed webhook and the
//! running service. Run it with
//!
//! ```text
//! cargo test -p cosell --test it service_bench -- --ignored --nocapture
//! ```
//!
//! and record the figures in docs/PERFORMANCE.md.

use std::time::{Duration, Instant};

use crate::service_support::spawn_app;

/// Events measured one after another (latency of a lone change).
const SEQUENTIAL_EVENTS: usize = 200;
/// How often the benchmark looks for the synced opportunity (the resolution).
const POLL: Duration = Duration::from_millis(2);
/// Events shared at once (latency under a burst).
const BURST_EVENTS: usize = 200;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn report(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{name}: n={} median={:.1} ms p99={:.1} ms min={:.1} ms max={:.1} ms",
        samples.len(),
        ms(percentile(&samples, 50.0)),
        ms(percentile(&samples, 99.0)),
        ms(samples[0]),
        ms(samples[samples.len() - 1]),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run explicitly, see the module docs"]
async fn webhook_to_salesforce_latency() {
    let app = spawn_app().await;

    let mut sequential = Vec::with_capacity(SEQUENTIAL_EVENTS);
    for n in 0..SEQUENTIAL_EVENTS {
        let start = Instant::now();
        let referral = app.share_referral(&format!("Bench {n}"));
        while app.opportunities_for(&referral).is_empty() {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "event {n} never synced"
            );
            tokio::time::sleep(POLL).await;
        }
        sequential.push(start.elapsed());
    }
    report("sequential webhook→Salesforce", sequential);

    let start = Instant::now();
    let referrals: Vec<(String, Instant)> = (0..BURST_EVENTS)
        .map(|n| (app.share_referral(&format!("Burst {n}")), Instant::now()))
        .collect();
    let mut pending: Vec<(String, Instant)> = referrals;
    let mut burst = Vec::with_capacity(BURST_EVENTS);
    while !pending.is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(300),
            "burst did not finish"
        );
        let opportunities = app.sf.records("Opportunity");
        let now = Instant::now();
        pending.retain(|(id, shared_at)| {
            let done = opportunities
                .iter()
                .any(|o| o["Referral_Identifier__c"] == serde_json::json!(id));
            if done {
                burst.push(now - *shared_at);
            }
            !done
        });
        tokio::time::sleep(POLL).await;
    }
    let total = start.elapsed();
    report("burst webhook→Salesforce", burst);
    println!(
        "burst of {BURST_EVENTS}: all synced in {:.2} s ({:.0} deals/s)",
        total.as_secs_f64(),
        BURST_EVENTS as f64 / total.as_secs_f64()
    );
    let sf_calls = app.sf.control().calls().total;
    println!("Salesforce API calls served in total: {sf_calls}");
}
