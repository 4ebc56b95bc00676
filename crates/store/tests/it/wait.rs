//! `wait_for_jobs`: woken by new work, by a scheduled job coming due, or by
//! the timeout.

use std::time::{Duration, Instant};

use chrono::Duration as ChronoDuration;
use serde_json::json;
use store::NewJob;

use crate::common::TestDb;

const LONG_WAIT: Duration = Duration::from_secs(20);
/// Well under [`LONG_WAIT`]: a wake-up, not a timeout.
const PROMPT: Duration = Duration::from_secs(5);

async fn wakes_on_enqueue_from_another_instance(db: &TestDb) {
    let waiter = db.store();
    let producer = db.peer().await;
    // Let the listener (PostgreSQL) start, then consume its start-up wake-up
    // so only the enqueue below can end the wait.
    tokio::time::sleep(Duration::from_millis(300)).await;
    waiter
        .wait_for_jobs(Duration::from_millis(50))
        .await
        .unwrap();
    let started = Instant::now();
    let wait = tokio::spawn(async move { waiter.wait_for_jobs(LONG_WAIT).await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    producer
        .enqueue(&[NewJob::now("k", json!(1))])
        .await
        .unwrap();
    wait.await.unwrap().unwrap();
    assert!(
        started.elapsed() < PROMPT,
        "woke after {:?}",
        started.elapsed()
    );
}

async fn wakes_when_scheduled_job_comes_due(db: &TestDb) {
    let store = db.store();
    let due = store::utc_now() + ChronoDuration::milliseconds(700);
    store
        .enqueue(&[NewJob {
            dedup_key: "k".into(),
            payload: json!(1),
            run_at: Some(due),
        }])
        .await
        .unwrap();
    // Consume the wake-up of our own enqueue.
    store
        .wait_for_jobs(Duration::from_millis(10))
        .await
        .unwrap();
    let started = Instant::now();
    store.wait_for_jobs(LONG_WAIT).await.unwrap();
    assert!(
        started.elapsed() < PROMPT,
        "woke after {:?}",
        started.elapsed()
    );
    assert_eq!(
        store
            .claim_jobs("w", 1, Duration::from_secs(60))
            .await
            .unwrap()
            .len(),
        1
    );
}

async fn times_out_without_work(db: &TestDb) {
    let store = db.store();
    let timeout = Duration::from_millis(300);
    // Drain any startup wake-up.
    store
        .wait_for_jobs(Duration::from_millis(50))
        .await
        .unwrap();
    let started = Instant::now();
    store.wait_for_jobs(timeout).await.unwrap();
    assert!(
        started.elapsed() >= timeout - Duration::from_millis(20),
        "returned after {:?}",
        started.elapsed()
    );
}

both_backends!(
    wakes_on_enqueue_from_another_instance,
    wakes_when_scheduled_job_comes_due,
    times_out_without_work
);
