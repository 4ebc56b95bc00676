//! `cosell run` with AWS Partner Central as a second cloud, end to end: an
//! opportunity a seller shares with AWS reaches AWS through the Salesforce
//! poll; AWS's review comes back through an EventBridge event on
//! `POST /webhooks/aws` (the reconcile poll is an hour away, so only the
//! event can bring it); events without the API-destination key, or for
//! another catalog, are refused before anything is stored; a redelivery is
//! recognised.

use serde_json::{json, Value};

use crate::service_support::{eventually, spawn_app_with, AppOptions, TestApp};

async fn aws_app() -> TestApp {
    spawn_app_with(AppOptions {
        aws: true,
        ..AppOptions::default()
    })
    .await
}

fn aws_id(app: &TestApp, opportunity: &str) -> Option<String> {
    app.opportunity(opportunity)["AWS_Opportunity_Id__c"]
        .as_str()
        .map(str::to_owned)
}

#[tokio::test]
async fn a_deal_shared_with_aws_is_submitted_and_aws_review_comes_back_by_event() {
    let app = aws_app().await;
    let aws = app.aws.as_ref().unwrap();
    let id =
        emulator::sellers::aws_shared_opportunity(&app.sf, "Contoso Lakehouse", json!({})).unwrap();
    let remote = eventually("the opportunity to reach AWS", || async {
        aws_id(&app, &id)
    })
    .await;
    let got = aws.opportunity("Sandbox", &remote).unwrap();
    assert_eq!(got["LifeCycle"]["ReviewStatus"], "Submitted");
    assert_eq!(aws.opportunities().len(), 1);
    aws.review(
        "Sandbox",
        &remote,
        "Approved",
        Some("Qualified"),
        Some("Great fit for the Migration Acceleration Program"),
    )
    .unwrap();
    eventually("AWS's approval to reach Salesforce", || async {
        let opp = app.opportunity(&id);
        (opp["AWS_Review_Status__c"] == "Approved").then_some(())
    })
    .await;
    let feedback = app.opportunity(&id)["AWS_Feedback__c"].clone();
    assert!(
        feedback
            .as_str()
            .unwrap_or_default()
            .contains("Migration Acceleration Program"),
        "{feedback}"
    );
    assert!(
        aws.deliveries().iter().any(|d| d.succeeded()),
        "the event was delivered to /webhooks/aws"
    );
    assert_eq!(aws.opportunities().len(), 1, "no duplicate");
}

fn event(id: &str, catalog: &str) -> Value {
    json!({
        "version": "0", "id": id, "detail-type": "Opportunity Updated",
        "source": "aws.partnercentral-selling", "account": "111122223333",
        "time": "2026-12-03T10:00:00Z", "region": "us-east-1", "resources": [],
        "detail": {"schemaVersion": "1", "catalog": catalog, "opportunity": {"identifier": "O9999999"}}
    })
}

async fn post(app: &TestApp, key: Option<&str>, body: &Value) -> (u16, Value) {
    let mut request = app
        .http
        .post(format!("{}/webhooks/aws", app.url()))
        .json(body);
    if let Some(key) = key {
        request = request.header(cosell::emulated::AWS_WEBHOOK_HEADER, key);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn aws_events_are_checked_before_anything_is_stored_and_redeliveries_are_recognised() {
    let app = aws_app().await;
    let before = app.jobs().await;
    let key = cosell::emulated::AWS_WEBHOOK_KEY;
    for wrong in [
        None,
        Some(""),
        Some("not-the-key"),
        Some(&key[..key.len() - 1]),
    ] {
        let (status, _) = post(&app, wrong, &event("e-1", "Sandbox")).await;
        assert_eq!(status, 401, "key {wrong:?}");
    }
    let (status, _) = post(&app, Some(key), &event("e-2", "AWS")).await;
    assert_eq!(status, 400, "another catalog");
    assert_eq!(
        app.jobs().await,
        before,
        "nothing stored for refused events"
    );
    let (status, body) = post(&app, Some(key), &event("e-3", "Sandbox")).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("accepted")));
    let (status, body) = post(&app, Some(key), &event("e-3", "Sandbox")).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("duplicate")));
}

#[tokio::test]
async fn without_events_the_reconcile_poll_still_brings_aws_changes() {
    let app = spawn_app_with(AppOptions {
        aws: true,
        partner_center_reconcile_seconds: 1,
        ..AppOptions::default()
    })
    .await;
    let aws = app.aws.as_ref().unwrap();
    // EventBridge delivers nothing: only the poll can notice AWS's decision.
    aws.set_event_target(None);
    let id = emulator::sellers::aws_shared_opportunity(&app.sf, "Fourth Coffee Kiosks", json!({}))
        .unwrap();
    let remote = eventually("the opportunity to reach AWS", || async {
        aws_id(&app, &id)
    })
    .await;
    aws.review("Sandbox", &remote, "Rejected", Some("Duplicate"), None)
        .unwrap();
    eventually(
        "AWS's rejection to reach Salesforce by the poll",
        || async { (app.opportunity(&id)["AWS_Review_Status__c"] == "Rejected").then_some(()) },
    )
    .await;
    assert!(aws.deliveries().is_empty(), "no event was delivered");
}
