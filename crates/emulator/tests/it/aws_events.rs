//! Events as an API destination delivers them: the EventBridge envelope
//! with source `aws.partnercentral-selling`, the API-key header, retries on
//! 429/5xx.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use emulator::aws::{EventTarget, Options, Quotas};
use serde_json::Value;

use super::spawn_with;

type Received = Arc<Mutex<Vec<(Option<String>, Value)>>>;

/// A receiver that answers 503 to the first `failures` events, then 200.
async fn receiver(failures: usize) -> (String, Received) {
    let received: Received = Arc::default();
    let log = Arc::clone(&received);
    let app = Router::new().route(
        "/webhooks/aws",
        post(move |headers: HeaderMap, body: String| {
            let log = Arc::clone(&log);
            async move {
                let mut log = log.lock().unwrap();
                let key = headers
                    .get("x-api-key")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                log.push((key, serde_json::from_str(&body).unwrap()));
                if log.len() <= failures {
                    StatusCode::SERVICE_UNAVAILABLE
                } else {
                    StatusCode::OK
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/webhooks/aws", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, received)
}

async fn until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn changes_arrive_as_eventbridge_events_with_the_api_key() {
    let (url, received) = receiver(1).await;
    let aws = spawn_with(Options {
        quotas: Quotas::UNLIMITED,
        event_target: Some(EventTarget {
            url,
            header_name: "x-api-key".into(),
            header_value: "k-123".into(),
        }),
        event_retry_base: Duration::from_millis(10),
        ..Options::default()
    })
    .await;
    let id = aws.create("Sandbox").await;
    until("the create event, retried once", || {
        received.lock().unwrap().len() == 2
    })
    .await;
    let (key, event) = received.lock().unwrap()[1].clone();
    assert_eq!(key.as_deref(), Some("k-123"));
    assert_eq!(event["source"], "aws.partnercentral-selling");
    assert_eq!(event["detail-type"], "Opportunity Created");
    assert_eq!(event["account"], "111122223333");
    assert_eq!(event["detail"]["catalog"], "Sandbox");
    assert_eq!(event["detail"]["opportunity"]["identifier"], id.as_str());
    let deliveries = aws.emu.deliveries();
    assert_eq!(
        deliveries.iter().map(|d| d.status).collect::<Vec<_>>(),
        vec![Some(503), Some(200)]
    );
    assert_eq!(deliveries[0].id, deliveries[1].id);
    aws.emu.invite(super::invitations::invitation()).unwrap();
    until("the invitation event", || {
        received.lock().unwrap().len() == 3
    })
    .await;
    let (_, event) = received.lock().unwrap()[2].clone();
    assert_eq!(event["detail-type"], "Engagement Invitation Created");
    assert!(event["detail"]["engagementInvitation"]["id"]
        .as_str()
        .unwrap()
        .starts_with("engi-"));
}
