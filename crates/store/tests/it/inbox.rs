//! Webhook inbox: stored with its job atomically; duplicates write nothing.

use std::time::Duration;

use serde_json::json;
use store::{InboxEvent, InboxOutcome, JobCounts, NewJob};

use crate::common::TestDb;

fn event(key: &str) -> InboxEvent {
    InboxEvent {
        dedup_key: key.into(),
        event_name: "referral-updated".into(),
        resource_id: "ref-1".into(),
        body: json!({"EventName": "referral-updated", "ResourceUri": "https://example/ref-1"}),
        received_at: store::utc_now(),
    }
}

async fn duplicate_webhook_enqueues_once(db: &TestDb) {
    let store = db.store();
    let first = store
        .record_webhook(
            &event("sha-1"),
            &NewJob::now("referral:ref-1", json!({"v": 1})),
        )
        .await
        .unwrap();
    assert_eq!(first, InboxOutcome::Stored);
    assert_eq!(
        store.job_counts().await.unwrap(),
        JobCounts {
            pending: 1,
            ..JobCounts::default()
        }
    );

    // Claim it so a second enqueue of the key would create a new job.
    let claimed = store
        .claim_jobs("w1", 10, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].payload, json!({"v": 1}));

    let again = store
        .record_webhook(
            &event("sha-1"),
            &NewJob::now("referral:ref-1", json!({"v": 2})),
        )
        .await
        .unwrap();
    assert_eq!(again, InboxOutcome::Duplicate);
    assert_eq!(
        store.job_counts().await.unwrap(),
        JobCounts {
            running: 1,
            ..JobCounts::default()
        }
    );

    // A different delivery is new, and its job waits for the running one.
    let other = store
        .record_webhook(
            &event("sha-2"),
            &NewJob::now("referral:ref-1", json!({"v": 3})),
        )
        .await
        .unwrap();
    assert_eq!(other, InboxOutcome::Stored);
    assert_eq!(
        store.job_counts().await.unwrap(),
        JobCounts {
            pending: 1,
            running: 1,
            ..JobCounts::default()
        }
    );
}

async fn concurrent_duplicates_store_one(db: &TestDb) {
    let store = db.store();
    let mut tasks = Vec::new();
    for i in 0..8 {
        let store = if i % 2 == 0 {
            db.store()
        } else {
            db.another().await
        };
        tasks.push(tokio::spawn(async move {
            store
                .record_webhook(&event("sha-same"), &NewJob::now(format!("k{i}"), json!(i)))
                .await
                .unwrap()
        }));
    }
    let mut stored = 0;
    for task in tasks {
        if task.await.unwrap() == InboxOutcome::Stored {
            stored += 1;
        }
    }
    assert_eq!(stored, 1);
    assert_eq!(store.job_counts().await.unwrap().pending, 1);
}

both_backends!(
    duplicate_webhook_enqueues_once,
    concurrent_duplicates_store_one
);
