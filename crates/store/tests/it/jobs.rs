//! Durable jobs: dedup, claiming, leases, failure, dead letters, counts.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Duration as ChronoDuration;
use serde_json::json;
use store::{FailureAction, JobCounts, JobState, NewJob, RetryTarget};

use crate::common::TestDb;

const LEASE: Duration = Duration::from_secs(60);
const SHORT_LEASE: Duration = Duration::from_millis(300);
const PAST_SHORT_LEASE: Duration = Duration::from_millis(600);

fn job_at(key: &str, payload: serde_json::Value, in_minutes: i64) -> NewJob {
    NewJob {
        dedup_key: key.into(),
        payload,
        run_at: Some(store::utc_now() + ChronoDuration::minutes(in_minutes)),
    }
}

async fn enqueue_merges_pending_jobs(db: &TestDb) {
    let store = db.store();
    assert_eq!(store.enqueue(&[]).await.unwrap(), 0);
    assert_eq!(
        store
            .enqueue(&[job_at("referral:1", json!({"v": 1}), 60)])
            .await
            .unwrap(),
        1
    );
    // Same key: merged, the earlier run_at wins, the newer payload replaces.
    assert_eq!(
        store
            .enqueue(&[NewJob::now("referral:1", json!({"v": 2}))])
            .await
            .unwrap(),
        0
    );
    // A later run_at does not postpone it; a job merged from several
    // events describes none of them, so the event member goes.
    assert_eq!(
        store
            .enqueue(&[job_at(
                "referral:1",
                json!({"v": 3, store::EVENT_MEMBER: {"at": "t"}}),
                120
            )])
            .await
            .unwrap(),
        0
    );
    // Duplicates inside one batch merge too.
    let batch = [
        NewJob::now("opportunity:1", json!(1)),
        NewJob::now("opportunity:1", json!({"v": 2, "event": {"at": "2"}})),
        NewJob::now("opportunity:2", json!({"v": 1, "event": {"at": "2"}})),
        NewJob::now("opportunity:2", json!({"v": 2, "event": {"at": "1"}})),
    ];
    assert_eq!(store.enqueue(&batch).await.unwrap(), 2);
    // Merged events keep the later stamp.
    assert_eq!(
        store
            .enqueue(&[NewJob::now(
                "opportunity:2",
                json!({"v": 3, "event": {"at": "1"}})
            )])
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        store.job_counts().await.unwrap(),
        JobCounts {
            pending: 3,
            ..JobCounts::default()
        }
    );

    let claimed = store.claim_jobs("w1", 10, LEASE).await.unwrap();
    assert_eq!(claimed.len(), 3, "all are due now");
    let by_key: HashMap<_, _> = claimed.iter().map(|j| (j.dedup_key.as_str(), j)).collect();
    assert_eq!(by_key["referral:1"].payload, json!({"v": 3}));
    assert_eq!(by_key["opportunity:1"].payload, json!({"v": 2}));
    assert_eq!(
        by_key["opportunity:2"].payload,
        json!({"v": 3, "event": {"at": "2"}})
    );
    for job in &claimed {
        assert_eq!(job.state, JobState::Running);
        assert_eq!(job.attempts, 1);
        assert_eq!(job.lease_owner.as_deref(), Some("w1"));
        assert!(job.lease_expires_at.unwrap() > store::utc_now());
        assert_eq!(store.job(job.id).await.unwrap().as_ref(), Some(job));
    }
}

async fn future_jobs_wait_for_run_at(db: &TestDb) {
    let store = db.store();
    store
        .enqueue(&[job_at("later", json!(1), 60)])
        .await
        .unwrap();
    assert!(store.claim_jobs("w1", 10, LEASE).await.unwrap().is_empty());
    assert!(store.claim_jobs("w1", 0, LEASE).await.unwrap().is_empty());
    store
        .enqueue(&[job_at("earlier", json!(1), -1)])
        .await
        .unwrap();
    let claimed = store.claim_jobs("w1", 10, LEASE).await.unwrap();
    assert_eq!(
        claimed
            .iter()
            .map(|j| j.dedup_key.as_str())
            .collect::<Vec<_>>(),
        ["earlier"]
    );
}

async fn running_key_holds_back_its_pending_job(db: &TestDb) {
    let store = db.store();
    store.enqueue(&[NewJob::now("k", json!(1))]).await.unwrap();
    let first = store.claim_jobs("w1", 10, LEASE).await.unwrap();
    assert_eq!(first.len(), 1);
    // A new pending job may exist beside the running one...
    assert_eq!(
        store.enqueue(&[NewJob::now("k", json!(2))]).await.unwrap(),
        1
    );
    // ...but is not claimed while the running one holds the key.
    assert!(store.claim_jobs("w2", 10, LEASE).await.unwrap().is_empty());
    assert!(store.complete_job(first[0].id, "w1").await.unwrap());
    let second = store.claim_jobs("w2", 10, LEASE).await.unwrap();
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].payload, json!(2));
    assert_ne!(second[0].id, first[0].id);
    assert_eq!(
        store.job(first[0].id).await.unwrap().unwrap().state,
        JobState::Done
    );
}

async fn jobs_of_one_pair_never_run_at_once_whatever_keyed_them(db: &TestDb) {
    let store = db.store();
    let mut pair = store::Pair::new("Contoso");
    pair.referral_id = Some("ref-1".into());
    pair.opportunity_id = Some("0065g00000AbCdEAAA".into());
    store.save_pair(&pair).await.unwrap();
    store
        .enqueue(&[NewJob::now("referral:ref-1", json!(1))])
        .await
        .unwrap();
    let first = store.claim_jobs("w1", 10, LEASE).await.unwrap();
    assert_eq!(first.len(), 1);
    // The same pair reached through its opportunity (15-character id) and
    // an unrelated key: only the unrelated one runs meanwhile.
    store
        .enqueue(&[
            NewJob::now("opportunity:0065g00000AbCdE", json!(2)),
            NewJob::now("opportunity:0065g00000ZzZzZ", json!(3)),
        ])
        .await
        .unwrap();
    let meanwhile = store.claim_jobs("w2", 10, LEASE).await.unwrap();
    assert_eq!(meanwhile.len(), 1);
    assert_eq!(meanwhile[0].payload, json!(3));
    assert!(store.complete_job(first[0].id, "w1").await.unwrap());
    let after = store.claim_jobs("w2", 10, LEASE).await.unwrap();
    assert_eq!(after.len(), 1);
    assert_eq!(after[0].payload, json!(2));
}

async fn jobs_of_one_aws_link_never_run_at_once_whatever_keyed_them(db: &TestDb) {
    let store = db.store();
    let mut link = store::CloudLink::new(store::Cloud::Aws, "Contoso");
    link.opportunity_id = Some("0065g00000AbCdEAAA".into());
    link.remote_id = Some("O1234567".into());
    link.invitation_id = Some("engi-0000000000001".into());
    assert!(store.save_link_over(&link, None).await.unwrap());
    store
        .enqueue(&[NewJob::now("aws-opportunity:O1234567", json!(1))])
        .await
        .unwrap();
    let first = store.claim_jobs("w1", 10, LEASE).await.unwrap();
    assert_eq!(first.len(), 1);
    // The same link through its Salesforce opportunity (15 characters) and
    // its invitation, and another link's key: only the other one runs.
    store
        .enqueue(&[
            NewJob::now("aws-salesforce:0065g00000AbCdE", json!(2)),
            NewJob::now("aws-invitation:engi-0000000000001", json!(3)),
            NewJob::now("aws-salesforce:0065g00000ZzZzZ", json!(4)),
        ])
        .await
        .unwrap();
    let meanwhile = store.claim_jobs("w2", 10, LEASE).await.unwrap();
    assert_eq!(meanwhile.len(), 1);
    assert_eq!(meanwhile[0].payload, json!(4));
    assert!(store.complete_job(first[0].id, "w1").await.unwrap());
    let after = store.claim_jobs("w2", 1, LEASE).await.unwrap();
    assert_eq!(after.len(), 1, "one job of the link at a time");
}

async fn concurrent_claimers_never_share_a_job(db: &TestDb) {
    const JOBS: usize = 200;
    const CLAIMERS: usize = 4;
    const BATCH: u32 = 7;
    let store = db.store();
    let jobs: Vec<_> = (0..JOBS)
        .map(|i| NewJob::now(format!("job:{i}"), json!(i)))
        .collect();
    assert_eq!(store.enqueue(&jobs).await.unwrap(), JOBS as u64);

    let done: Arc<Mutex<HashMap<uuid::Uuid, usize>>> = Arc::default();
    let mut tasks = Vec::new();
    for c in 0..CLAIMERS {
        // Half the claimers are separate instances (own pools), as other processes.
        let store = if c % 2 == 0 {
            db.store()
        } else {
            db.another().await
        };
        let done = Arc::clone(&done);
        tasks.push(tokio::spawn(async move {
            let worker = format!("worker-{c}");
            loop {
                let claimed = store.claim_jobs(&worker, BATCH, LEASE).await.unwrap();
                if claimed.is_empty() {
                    break;
                }
                for job in claimed {
                    assert_eq!(job.attempts, 1, "a job was claimed twice");
                    *done.lock().unwrap().entry(job.id).or_default() += 1;
                    assert!(store.complete_job(job.id, &worker).await.unwrap());
                }
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    {
        let done = done.lock().unwrap();
        assert_eq!(done.len(), JOBS);
        assert!(done.values().all(|n| *n == 1));
    }
    assert_eq!(
        store.job_counts().await.unwrap(),
        JobCounts {
            done: JOBS as u64,
            ..JobCounts::default()
        }
    );
}

async fn expired_lease_moves_job_to_another_worker(db: &TestDb) {
    let store = db.store();
    store.enqueue(&[NewJob::now("k", json!(1))]).await.unwrap();
    let mine = store.claim_jobs("w1", 10, SHORT_LEASE).await.unwrap();
    assert_eq!(mine.len(), 1);
    assert!(store.claim_jobs("w2", 10, LEASE).await.unwrap().is_empty());
    // A pending job of the same key stays behind the expired running one.
    store.enqueue(&[NewJob::now("k", json!(2))]).await.unwrap();

    tokio::time::sleep(PAST_SHORT_LEASE).await;
    let taken = store.claim_jobs("w2", 10, LEASE).await.unwrap();
    assert_eq!(
        taken.len(),
        1,
        "only the expired job, not its pending sibling"
    );
    assert_eq!(taken[0].id, mine[0].id);
    assert_eq!(taken[0].attempts, 2);
    assert_eq!(taken[0].lease_owner.as_deref(), Some("w2"));

    // The dead worker's late answers are refused.
    assert!(!store.complete_job(mine[0].id, "w1").await.unwrap());
    assert!(!store
        .fail_job(mine[0].id, "w1", "boom", FailureAction::Dead)
        .await
        .unwrap());
    let now = store::utc_now();
    assert!(!store
        .fail_job(mine[0].id, "w1", "boom", FailureAction::RetryAt(now))
        .await
        .unwrap());
    store
        .extend_leases("w1", &[mine[0].id], LEASE)
        .await
        .unwrap();
    assert_eq!(
        store
            .job(mine[0].id)
            .await
            .unwrap()
            .unwrap()
            .lease_owner
            .as_deref(),
        Some("w2")
    );
    assert!(store.complete_job(mine[0].id, "w2").await.unwrap());
    assert!(
        !store.complete_job(mine[0].id, "w2").await.unwrap(),
        "done only once"
    );
}

async fn extended_lease_is_not_taken_over(db: &TestDb) {
    let store = db.store();
    store
        .enqueue(&[NewJob::now("a", json!(1)), NewJob::now("b", json!(1))])
        .await
        .unwrap();
    let mine = store.claim_jobs("w1", 10, SHORT_LEASE).await.unwrap();
    assert_eq!(mine.len(), 2);
    store
        .extend_leases("w1", &[mine[0].id], LEASE)
        .await
        .unwrap();
    store.extend_leases("w1", &[], LEASE).await.unwrap();
    tokio::time::sleep(PAST_SHORT_LEASE).await;
    let taken = store.claim_jobs("w2", 10, LEASE).await.unwrap();
    assert_eq!(taken.iter().map(|j| j.id).collect::<Vec<_>>(), [mine[1].id]);
}

async fn release_returns_held_jobs(db: &TestDb) {
    let store = db.store();
    store
        .enqueue(&[
            NewJob::now("a", json!(1)),
            NewJob::now("b", json!(1)),
            NewJob::now("c", json!(1)),
        ])
        .await
        .unwrap();
    let held = store.claim_jobs("w1", 2, LEASE).await.unwrap();
    assert_eq!(held.len(), 2);
    let others = store.claim_jobs("w2", 10, LEASE).await.unwrap();
    assert_eq!(others.len(), 1);
    // A newer job for a held key waits beside it; release merges them.
    store
        .enqueue(&[NewJob::now(held[0].dedup_key.clone(), json!("newer"))])
        .await
        .unwrap();

    assert_eq!(store.release_jobs("w1").await.unwrap(), 2);
    assert_eq!(store.release_jobs("w1").await.unwrap(), 0);
    assert_eq!(
        store.job_counts().await.unwrap(),
        JobCounts {
            pending: 2,
            running: 1,
            ..JobCounts::default()
        }
    );
    let released = store.job(held[0].id).await.unwrap().unwrap();
    assert_eq!(released.state, JobState::Pending);
    assert_eq!(released.attempts, 0, "a released claim is not an attempt");
    assert_eq!(released.lease_owner, None);
    assert_eq!(released.payload, json!("newer"));

    let again = store.claim_jobs("w3", 10, LEASE).await.unwrap();
    assert_eq!(again.len(), 2);
    assert!(!store.complete_job(held[0].id, "w1").await.unwrap());
}

async fn failures_retry_then_dead_letter(db: &TestDb) {
    let store = db.store();
    store.enqueue(&[NewJob::now("k", json!(1))]).await.unwrap();
    let job = store.claim_jobs("w1", 1, LEASE).await.unwrap().remove(0);

    // Retry later: pending, not claimable until due.
    let later = store::utc_now() + ChronoDuration::hours(1);
    assert!(store
        .fail_job(
            job.id,
            "w1",
            "503 from Partner Center",
            FailureAction::RetryAt(later)
        )
        .await
        .unwrap());
    let retrying = store.job(job.id).await.unwrap().unwrap();
    assert_eq!(retrying.state, JobState::Pending);
    assert_eq!(retrying.run_at, later);
    assert_eq!(retrying.attempts, 1);
    assert_eq!(
        retrying.last_error.as_deref(),
        Some("503 from Partner Center")
    );
    assert_eq!(retrying.lease_owner, None);
    assert!(store.claim_jobs("w1", 1, LEASE).await.unwrap().is_empty());
    // A new event for the key pulls the retry forward (earlier run_at wins).
    store.enqueue(&[NewJob::now("k", json!(2))]).await.unwrap();
    let job = store.claim_jobs("w1", 1, LEASE).await.unwrap().remove(0);
    assert_eq!((job.attempts, job.payload.clone()), (2, json!(2)));

    assert!(store
        .fail_job(
            job.id,
            "w1",
            "validation failed: country",
            FailureAction::Dead
        )
        .await
        .unwrap());
    let dead = store.job(job.id).await.unwrap().unwrap();
    assert_eq!(dead.state, JobState::Dead);
    assert_eq!(
        dead.last_error.as_deref(),
        Some("validation failed: country")
    );
    assert_eq!(store.dead_jobs(10).await.unwrap(), vec![dead.clone()]);
    assert_eq!(
        store.job_counts().await.unwrap(),
        JobCounts {
            dead: 1,
            ..JobCounts::default()
        }
    );
    assert!(!store.complete_job(job.id, "w1").await.unwrap());

    // Revive: pending again, attempts reset.
    assert_eq!(
        store
            .retry_dead(RetryTarget::One(uuid::Uuid::now_v7()))
            .await
            .unwrap(),
        0
    );
    assert_eq!(store.retry_dead(RetryTarget::One(job.id)).await.unwrap(), 1);
    assert_eq!(store.retry_dead(RetryTarget::One(job.id)).await.unwrap(), 0);
    let revived = store.claim_jobs("w2", 1, LEASE).await.unwrap();
    assert_eq!(revived.len(), 1);
    assert_eq!((revived[0].id, revived[0].attempts), (job.id, 1));
}

async fn retry_merges_with_newer_pending_job(db: &TestDb) {
    let store = db.store();
    store
        .enqueue(&[NewJob::now("k", json!("old"))])
        .await
        .unwrap();
    let job = store.claim_jobs("w1", 1, LEASE).await.unwrap().remove(0);
    store
        .enqueue(&[NewJob::now("k", json!("new"))])
        .await
        .unwrap();
    let retry_at = store::utc_now() + ChronoDuration::minutes(5);
    assert!(store
        .fail_job(job.id, "w1", "timeout", FailureAction::RetryAt(retry_at))
        .await
        .unwrap());
    assert_eq!(
        store.job_counts().await.unwrap(),
        JobCounts {
            pending: 1,
            ..JobCounts::default()
        }
    );
    let merged = store.job(job.id).await.unwrap().unwrap();
    assert_eq!(merged.payload, json!("new"));
    assert_eq!(merged.run_at, retry_at, "the backoff is kept");
    assert_eq!(merged.attempts, 1);
}

async fn retry_all_dead(db: &TestDb) {
    let store = db.store();
    store
        .enqueue(&[
            NewJob::now("a", json!(1)),
            NewJob::now("b", json!(1)),
            NewJob::now("c", json!(1)),
        ])
        .await
        .unwrap();
    let claimed = store.claim_jobs("w1", 10, LEASE).await.unwrap();
    for job in &claimed[..2] {
        assert!(store
            .fail_job(job.id, "w1", "permanent", FailureAction::Dead)
            .await
            .unwrap());
    }
    assert!(store.complete_job(claimed[2].id, "w1").await.unwrap());
    assert_eq!(store.dead_jobs(1).await.unwrap().len(), 1);
    assert_eq!(store.dead_jobs(10).await.unwrap().len(), 2);
    assert_eq!(store.retry_dead(RetryTarget::AllDead).await.unwrap(), 2);
    assert_eq!(
        store.job_counts().await.unwrap(),
        JobCounts {
            pending: 2,
            done: 1,
            ..JobCounts::default()
        }
    );
    assert!(store.dead_jobs(10).await.unwrap().is_empty());
    let again = store.claim_jobs("w2", 10, LEASE).await.unwrap();
    assert!(again.iter().all(|j| j.attempts == 1));
    assert_eq!(again.len(), 2);
}

/// One dead letter per key: a newer dead letter replaces the older one, and
/// a later success of the key clears it.
async fn later_outcomes_supersede_dead_letters(db: &TestDb) {
    let store = db.store();
    for reason in ["bad country", "still a bad country"] {
        store
            .enqueue(&[NewJob::now("opportunity:1", json!(1))])
            .await
            .unwrap();
        let job = store.claim_jobs("w1", 1, LEASE).await.unwrap().remove(0);
        assert!(store
            .fail_job(job.id, "w1", reason, FailureAction::Dead)
            .await
            .unwrap());
    }
    let dead = store.dead_jobs(10).await.unwrap();
    assert_eq!(dead.len(), 1, "one dead letter per key");
    assert_eq!(dead[0].last_error.as_deref(), Some("still a bad country"));

    store
        .enqueue(&[NewJob::now("opportunity:1", json!(2))])
        .await
        .unwrap();
    let job = store.claim_jobs("w1", 1, LEASE).await.unwrap().remove(0);
    assert!(store.complete_job(job.id, "w1").await.unwrap());
    assert!(
        store.dead_jobs(10).await.unwrap().is_empty(),
        "fixed data clears the dead letter"
    );
}

both_backends!(
    later_outcomes_supersede_dead_letters,
    enqueue_merges_pending_jobs,
    future_jobs_wait_for_run_at,
    running_key_holds_back_its_pending_job,
    jobs_of_one_pair_never_run_at_once_whatever_keyed_them,
    jobs_of_one_aws_link_never_run_at_once_whatever_keyed_them,
    concurrent_claimers_never_share_a_job,
    expired_lease_moves_job_to_another_worker,
    extended_lease_is_not_taken_over,
    release_returns_held_jobs,
    failures_retry_then_dead_letter,
    retry_merges_with_newer_pending_job,
    retry_all_dead,
);
