//! The service under failure: killed in the middle of a batch, a job leased
//! to a worker that died, 30 % injected errors on both APIs, and a poison
//! record that is dead-lettered, shown by `status` and re-run by `retry`.

use std::time::Duration;

use emulator::control::FaultConfig;
use serde_json::json;
use store::{JobState, NewJob};

use crate::service_support::{
    eventually, eventually_within, spawn_app, spawn_app_with, AppOptions,
};

/// Waits until every job has settled and returns the dead count.
async fn settled(app: &crate::service_support::TestApp, patience: Duration) -> u64 {
    eventually_within(patience, "an idle queue", || async {
        let j = app.jobs().await;
        (j.pending == 0 && j.running == 0).then_some(j.dead)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_interrupted_by_a_crash_runs_again_without_duplicates() {
    let mut app = spawn_app_with(AppOptions {
        lease_seconds: 2,
        ..AppOptions::default()
    })
    .await;
    // Every Salesforce call is slow, so the kill lands inside the batch.
    app.sf
        .control()
        .set_faults(FaultConfig {
            latency_ms: 250,
            ..FaultConfig::default()
        })
        .unwrap();
    let referral = app.share_referral("Crash Deal");
    eventually("the job running", || async {
        (app.jobs().await.running > 0).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(900)).await;
    app.kill().await;
    let jobs = app.jobs().await;
    assert_eq!(jobs.done, 0, "killed before the job finished: {jobs:?}");

    app.sf.control().set_faults(FaultConfig::default()).unwrap();
    app.start().await;
    eventually("the opportunity after the restart", || async {
        (app.opportunities_for(&referral).len() == 1).then_some(())
    })
    .await;
    assert_eq!(settled(&app, Duration::from_secs(30)).await, 0);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        app.opportunities_for(&referral).len(),
        1,
        "no duplicate opportunity"
    );
    assert_eq!(app.pc.own_referrals().len(), 1, "no duplicate referral");
    assert!(app
        .store
        .pair_by_referral(&referral)
        .await
        .unwrap()
        .is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lease_held_by_a_dead_worker_is_taken_over() {
    let mut app = spawn_app().await;
    app.stop().await;
    let referral = app.share_referral("Orphan Deal");
    let key = format!("referral:{referral}");
    app.store
        .enqueue(&[NewJob::now(key.clone(), json!({ "target": key }))])
        .await
        .unwrap();
    // A worker of a process that died claimed it; its lease runs out in 1 s.
    let orphan = app
        .store
        .claim_jobs("dead-worker", 10, Duration::from_secs(1))
        .await
        .unwrap();
    let orphan = orphan
        .into_iter()
        .find(|j| j.dedup_key == key)
        .expect("claimed");
    app.start().await;
    let job = eventually("the orphaned job done", || async {
        let job = app.store.job(orphan.id).await.unwrap().unwrap();
        (job.state == JobState::Done).then_some(job)
    })
    .await;
    assert_eq!(job.attempts, 2, "the dead worker's attempt counts");
    assert_eq!(app.opportunities_for(&referral).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_deal_converges_under_30_percent_injected_errors() {
    const SHARED: usize = 6;
    const MARKED: usize = 3;
    let app = spawn_app_with(AppOptions {
        max_attempts: 30,
        ..AppOptions::default()
    })
    .await;
    app.faults(
        FaultConfig {
            error_rate: 0.3,
            errors: vec!["429".into(), "500".into(), "503".into()],
            ..FaultConfig::default()
        },
        FaultConfig {
            error_rate: 0.3,
            errors: vec!["503".into(), "UNABLE_TO_LOCK_ROW".into()],
            ..FaultConfig::default()
        },
    );
    let referrals: Vec<String> = (0..SHARED)
        .map(|n| app.share_referral(&format!("Flaky Shared {n}")))
        .collect();
    let opportunities: Vec<String> = (0..MARKED)
        .map(|n| app.co_sell_opportunity(&format!("Flaky Marked {n}"), "US"))
        .collect();
    eventually_within(Duration::from_secs(120), "every deal paired", || async {
        let shared_ok = referrals
            .iter()
            .all(|r| app.opportunities_for(r).len() == 1);
        let marked_ok = opportunities
            .iter()
            .all(|o| app.referrals_for(o).len() == 1);
        (shared_ok && marked_ok).then_some(())
    })
    .await;
    assert_eq!(
        settled(&app, Duration::from_secs(120)).await,
        0,
        "nothing a retry could fix was dead-lettered"
    );
    let faulted = app.pc.control().calls().total + app.sf.control().calls().total;
    assert!(faulted > 0);
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("cosell_api_errors_total"),
        "errors were seen and counted"
    );
    for r in &referrals {
        assert_eq!(app.opportunities_for(r).len(), 1, "{r}");
    }
    for o in &opportunities {
        assert_eq!(app.referrals_for(o).len(), 1, "{o}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poison_record_is_dead_lettered_shown_and_retried_after_the_fix() {
    let app = spawn_app().await;
    let opportunity = app.co_sell_opportunity("Poison Deal", "USA");
    let dead = eventually("the dead letter", || async {
        app.store
            .dead_jobs(10)
            .await
            .unwrap()
            .into_iter()
            .find(|j| {
                j.dedup_key.starts_with("opportunity:")
                    && j.last_error.as_deref().is_some_and(|e| e.contains("USA"))
            })
    })
    .await;
    assert!(
        app.referrals_for(&opportunity).is_empty(),
        "nothing reached Partner Center"
    );

    let report = cosell::commands::status::gather(app.store.as_ref())
        .await
        .unwrap();
    let text = cosell::commands::status::render(&report);
    assert!(text.contains(&dead.id.to_string()), "{text}");
    assert!(text.contains("USA"), "{text}");
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_cosell"))
        .args(["status", "--json", "-c"])
        .arg(&app.config_path)
        .env_clear()
        .envs(crate::service_support::TestApp::env())
        .output()
        .await
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        json["dead_letters"].as_array().unwrap().iter().any(
            |d| d["id"] == dead.id.to_string() && d["reason"].as_str().unwrap().contains("USA")
        ),
        "{json}"
    );

    // The seller fixes the country; the operator re-runs the dead letter.
    let account = app.opportunity(&opportunity)["AccountId"]
        .as_str()
        .unwrap()
        .to_owned();
    app.sf
        .update("Account", &account, json!({ "BillingCountry": "US" }))
        .unwrap();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_cosell"))
        .args(["retry"])
        .arg(dead.id.to_string())
        .arg("-c")
        .arg(&app.config_path)
        .env_clear()
        .envs(crate::service_support::TestApp::env())
        .output()
        .await
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    eventually("the retried job done", || async {
        let job = app.store.job(dead.id).await.unwrap().unwrap();
        (job.state == JobState::Done).then_some(())
    })
    .await;
    eventually("the referral", || async {
        (app.referrals_for(&opportunity).len() == 1).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_graceful_stop_hands_unfinished_jobs_back() {
    let mut options = AppOptions::default();
    options.tuning.shutdown_grace = Duration::from_millis(100);
    let mut app = spawn_app_with(options).await;
    app.sf
        .control()
        .set_faults(FaultConfig {
            latency_ms: 1000,
            ..FaultConfig::default()
        })
        .unwrap();
    let referral = app.share_referral("Slow Deal");
    eventually("the job running", || async {
        (app.jobs().await.running > 0).then_some(())
    })
    .await;
    app.stop().await;
    let jobs = app.jobs().await;
    assert_eq!(
        (jobs.running, jobs.pending, jobs.done),
        (0, 1, 0),
        "released, not lost: {jobs:?}"
    );

    app.sf.control().set_faults(FaultConfig::default()).unwrap();
    app.start().await;
    eventually("the opportunity after the restart", || async {
        (app.opportunities_for(&referral).len() == 1).then_some(())
    })
    .await;
}
