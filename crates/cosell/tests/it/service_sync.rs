//! `cosell run` end to end: a Microsoft seller's referral and edits reach
//! Salesforce through signed webhooks, a partner seller's opportunity edit
//! reaches Partner Center through the poller, and health, readiness and
//! metrics report it.

use serde_json::json;

use emulator::salesforce::Profile;

use crate::service_support::{eventually, spawn_app, spawn_app_with, AppOptions};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_flow_both_ways_while_the_service_runs() {
    changes_flow_both_ways(Profile::Demo).await;
}

/// The same story on an org like a customer's: duplicate and validation
/// rules, field-level security, record types, country picklists.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_flow_both_ways_on_an_enterprise_org() {
    changes_flow_both_ways(Profile::Enterprise).await;
}

async fn changes_flow_both_ways(profile: Profile) {
    let app = spawn_app_with(AppOptions {
        profile,
        ..AppOptions::default()
    })
    .await;

    // Microsoft shares a referral: the webhook creates the opportunity.
    let referral = app.share_referral("Webhook Deal");
    let opportunity = eventually("the opportunity for the shared referral", || async {
        let found = app.opportunities_for(&referral);
        (found.len() == 1).then(|| found[0]["Id"].as_str().unwrap().to_owned())
    })
    .await;
    assert_eq!(app.opportunities_for(&referral).len(), 1);
    let deliveries = app.pc.deliveries();
    assert!(
        deliveries
            .iter()
            .any(|d| d.event == "referral-created" && d.status == Some(200)),
        "the referral-created event was delivered and accepted: {deliveries:?}"
    );

    // Microsoft edits the deal value: the webhook carries it to Salesforce.
    app.pc
        .microsoft_update(&referral, json!({ "details": { "dealValue": 250000 } }))
        .expect("microsoft updates the referral");
    eventually("the new deal value in Salesforce", || async {
        (app.opportunity(&opportunity)["Amount"].as_f64() == Some(250000.0)).then_some(())
    })
    .await;

    // The partner seller accepts (leaves on-hold for the active stage) and
    // changes the amount: the poller carries it to Partner Center.
    app.sf
        .update(
            "Opportunity",
            &opportunity,
            json!({ "StageName": "Qualification", "Amount": 310000 }),
        )
        .expect("the seller edits the opportunity");
    eventually("the referral accepted with the new value", || async {
        let r = app.referral(&referral);
        (r["status"] == "Active" && r["details"]["dealValue"].as_f64() == Some(310000.0))
            .then_some(())
    })
    .await;

    // Every job finished, nothing dead, exactly one opportunity.
    eventually("an idle queue", || async {
        let jobs = app.jobs().await;
        (jobs.pending == 0 && jobs.running == 0).then_some(jobs)
    })
    .await;
    assert_eq!(app.jobs().await.dead, 0);
    assert_eq!(app.opportunities_for(&referral).len(), 1);

    // Health, readiness and metrics.
    let health = app
        .http
        .get(format!("{}/healthz", app.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), 200);
    let ready: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(ready["ready"], true, "{ready}");
    let metrics = app.get("/metrics").await;
    assert_eq!(metrics.status(), 200);
    let text = metrics.text().await.unwrap();
    for needle in [
        "cosell_webhook_verifications_total{result=\"ok\"}",
        "cosell_sync_latency_seconds_count{direction=\"pc_to_sf\"}",
        "cosell_sync_latency_seconds_count{direction=\"sf_to_pc\"}",
        "cosell_jobs{state=\"done\"}",
        "cosell_poll_lag_seconds{poller=\"salesforce\"}",
        "cosell_api_calls_total{remote=\"salesforce\"",
        "cosell_api_calls_total{remote=\"partner_center\"",
    ] {
        assert!(text.contains(needle), "missing {needle} in\n{text}");
    }

    // The dashboard is mounted at `/` of the admin listener.
    let overview = app.get("/api/overview").await;
    assert_eq!(overview.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_shows_pairs_last_sync_and_api_usage_after_a_graceful_stop() {
    let mut app = spawn_app().await;
    let referral = app.share_referral("Status Deal");
    eventually("the opportunity", || async {
        (app.opportunities_for(&referral).len() == 1).then_some(())
    })
    .await;
    app.stop().await;
    let report = cosell::commands::status::gather(app.store.as_ref())
        .await
        .unwrap();
    assert_eq!(report.pairs.on_hold + report.pairs.synced, 1, "{report:?}");
    assert!(
        report.last_sync.partner_center_to_salesforce.is_some(),
        "{report:?}"
    );
    let usage = report
        .api_usage
        .clone()
        .expect("the service saved its API usage");
    assert!(
        usage.salesforce.calls > 0 && usage.partner_center.calls > 0,
        "{usage:?}"
    );
    assert!(usage.salesforce_org.is_some(), "{usage:?}");
    assert_eq!(
        report.jobs.running, 0,
        "a graceful stop leaves nothing running"
    );
    let properties: Vec<&str> = usage
        .partner_center_filters
        .iter()
        .map(|f| f.property.as_str())
        .collect();
    assert_eq!(properties, ["updatedDateTime", "externalReferenceId"]);
    let text = cosell::commands::status::render(&report);
    assert!(text.contains("Dead letters: none"), "{text}");
    assert!(text.contains("Partner Center updatedDateTime: "), "{text}");
}
