//! `wait_for_jobs`: woken by new work, by a scheduled job coming due, or by
//! the timeout.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Duration as ChronoDuration;
use serde_json::json;
use store::{NewJob, Store};

use crate::common::TestDb;

const LONG_WAIT: Duration = Duration::from_secs(20);
/// Well under [`LONG_WAIT`]: a wake-up, not a timeout.
const PROMPT: Duration = Duration::from_secs(5);

/// Waits until `store` has no wake-up left over (the PostgreSQL listener
/// signals once when it starts listening, as it may have missed work).
async fn settle(store: &Arc<dyn Store>) {
    const QUIET: Duration = Duration::from_millis(100);
    const MAX_ROUNDS: usize = 50;
    for _ in 0..MAX_ROUNDS {
        let started = Instant::now();
        store.wait_for_jobs(QUIET).await.unwrap();
        if started.elapsed() >= QUIET {
            return;
        }
    }
    panic!("the store kept waking up with nothing to do");
}

async fn wakes_on_enqueue_from_another_instance(db: &TestDb) {
    let waiter = db.store();
    let producer = db.peer().await;
    // Only the enqueue below may end the wait.
    settle(&waiter).await;
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

/// A job that came due after the worker last looked (the claim found it
/// not due yet, the wait began just after its time) ends the wait soon, not
/// at the long timeout.
async fn a_job_that_came_due_before_the_wait_ends_it_soon(db: &TestDb) {
    let store = db.store();
    let job = NewJob {
        dedup_key: "k".into(),
        payload: json!(1),
        run_at: Some(store::utc_now() - ChronoDuration::milliseconds(10)),
    };
    store.enqueue(&[job]).await.unwrap();
    // The enqueue's own wake-up is used up: only the due job may end the wait.
    settle(&store).await;
    let started = Instant::now();
    store.wait_for_jobs(LONG_WAIT).await.unwrap();
    assert!(
        started.elapsed() < PROMPT,
        "woke after {:?}",
        started.elapsed()
    );
}

async fn wakes_when_scheduled_job_comes_due(db: &TestDb) {
    let store = db.store();
    settle(&store).await;
    let started = Instant::now();
    let due = store::utc_now() + ChronoDuration::milliseconds(700);
    let job = NewJob {
        dedup_key: "k".into(),
        payload: json!(1),
        run_at: Some(due),
    };
    store.enqueue(&[job]).await.unwrap();
    // A worker's loop: wait, claim, repeat. Wake-ups before the job is due
    // (our own enqueue's) find nothing; the due time must end a wait well
    // before the long timeout.
    loop {
        store.wait_for_jobs(LONG_WAIT).await.unwrap();
        assert!(
            started.elapsed() < PROMPT,
            "woke after {:?}",
            started.elapsed()
        );
        if !store
            .claim_jobs("w", 1, Duration::from_secs(60))
            .await
            .unwrap()
            .is_empty()
        {
            break;
        }
    }
}

async fn times_out_without_work(db: &TestDb) {
    let store = db.store();
    let timeout = Duration::from_millis(300);
    settle(&store).await;
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
    a_job_that_came_due_before_the_wait_ends_it_soon,
    times_out_without_work
);
