//! The job flows written once for both backends: a webhook event stored
//! with its job, a failed attempt retried later, the jobs a worker releases
//! at shutdown, and dead jobs an operator revives. Each backend supplies only
//! its statements ([`JobDb`], [`JobTx`]); the order of those statements,
//! what is absorbed, and when waiters are told is decided here.

use std::future::Future;

use chrono::{DateTime, Utc};

use crate::shared::{returned_schedule, Return};
use crate::{InboxEvent, InboxOutcome, Job, JobId, NewJob, Result, RetryTarget, StoreError};

/// A pending job of a key taken out of the queue: its payload (JSON text)
/// and its schedule.
pub(crate) struct Absorbed {
    pub payload: String,
    pub run_at: DateTime<Utc>,
}

/// A backend's statements for the flows, inside one write transaction.
pub(crate) trait JobTx: Send {
    /// The running jobs `worker` holds, locked for this transaction.
    fn held_by(&mut self, worker: &str) -> impl Future<Output = Result<Vec<Job>>> + Send;
    /// The running job `id` if `worker` still holds it, locked.
    fn held(&mut self, id: JobId, worker: &str)
        -> impl Future<Output = Result<Option<Job>>> + Send;
    /// The dead jobs `target` names, newest death first, locked.
    fn dead(&mut self, target: RetryTarget) -> impl Future<Output = Result<Vec<Job>>> + Send;
    /// The time a revived job becomes due (the database's clock where it has one).
    fn now(&mut self) -> impl Future<Output = Result<DateTime<Utc>>> + Send;
    /// Deletes the pending job of `key` other than `except`, if any.
    fn take_pending(
        &mut self,
        key: &str,
        except: JobId,
    ) -> impl Future<Output = Result<Option<Absorbed>>> + Send;
    /// Makes job `id` pending with this schedule; `payload` and `error`
    /// replace the stored ones when given.
    fn set_pending(
        &mut self,
        id: JobId,
        payload: Option<&str>,
        run_at: DateTime<Utc>,
        attempts: u32,
        error: Option<&str>,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Tells other instances, on commit, that work may be available (a
    /// no-op where all waiters are in this process).
    fn notify(&mut self) -> impl Future<Output = Result<()>> + Send;
    /// Stores a webhook event in the inbox; false when an event with its
    /// dedup key is already there.
    fn insert_event(&mut self, event: &InboxEvent) -> impl Future<Output = Result<bool>> + Send;
    /// Enqueues `jobs` as [`crate::Store::enqueue`] does; returns how many were created.
    fn enqueue(&mut self, jobs: &[NewJob]) -> impl Future<Output = Result<u64>> + Send;
    /// Commits the transaction.
    fn commit(self) -> impl Future<Output = Result<()>> + Send;
    /// Rolls the transaction back.
    fn rollback(self) -> impl Future<Output = Result<()>> + Send;
}

/// A backend the flows run on.
pub(crate) trait JobDb: Sync {
    /// Its write transaction.
    type Tx: JobTx;
    /// How many times a flow that lost a race with a concurrent transaction
    /// is run again (0 where writers are serialised).
    const RACE_RETRIES: u32;
    /// Starts a write transaction.
    fn begin(&self) -> impl Future<Output = Result<Self::Tx>> + Send;
}

/// SQLSTATE class "transaction rollback": serialization failure, deadlock.
const SQLSTATE_TRANSACTION_ROLLBACK: &str = "40";

/// True for failures caused by a concurrent transaction, which a re-run
/// resolves.
pub(crate) fn lost_race(err: &StoreError) -> bool {
    match err {
        StoreError::Conflict(_) => true,
        StoreError::Database(sqlx::Error::Database(db)) => db
            .code()
            .is_some_and(|c| c.starts_with(SQLSTATE_TRANSACTION_ROLLBACK)),
        _ => false,
    }
}

/// Runs `op` again while it loses races, up to `retries` times.
pub(crate) async fn rerun_lost_races<T, F, Fut>(retries: u32, mut op: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let mut attempt = 0;
    loop {
        match op().await {
            Err(err) if lost_race(&err) && attempt < retries => {
                attempt += 1;
                tracing::debug!(error = %err, attempt, "job operation lost a race; retrying");
            }
            other => return other,
        }
    }
}

/// Puts `job` (locked by the caller) back to `pending`, absorbing a pending
/// job of the same key (see [`returned_schedule`]).
async fn return_to_pending<T: JobTx>(
    tx: &mut T,
    job: &Job,
    why: Return,
    error: Option<&str>,
) -> Result<()> {
    let absorbed = tx.take_pending(&job.dedup_key, job.id).await?;
    let (run_at, attempts) = returned_schedule(
        why,
        job.run_at,
        job.attempts,
        absorbed.as_ref().map(|a| a.run_at),
    );
    let payload = absorbed.as_ref().map(|a| a.payload.as_str());
    tx.set_pending(job.id, payload, run_at, attempts, error)
        .await
}

/// A failed attempt of job `id` runs again at `at`; false if `worker` no
/// longer holds it.
pub(crate) async fn retry_at<D: JobDb>(
    db: &D,
    id: JobId,
    worker: &str,
    error: &str,
    at: DateTime<Utc>,
) -> Result<bool> {
    rerun_lost_races(D::RACE_RETRIES, || async {
        let mut tx = db.begin().await?;
        let Some(job) = tx.held(id, worker).await? else {
            return Ok(false);
        };
        return_to_pending(&mut tx, &job, Return::Retry(at), Some(error)).await?;
        tx.notify().await?;
        tx.commit().await?;
        Ok(true)
    })
    .await
}

/// Returns every job `worker` holds to `pending`, the claim not counted as
/// an attempt; returns how many.
pub(crate) async fn release<D: JobDb>(db: &D, worker: &str) -> Result<u64> {
    rerun_lost_races(D::RACE_RETRIES, || async {
        let mut tx = db.begin().await?;
        let held = tx.held_by(worker).await?;
        for job in &held {
            return_to_pending(&mut tx, job, Return::Release, None).await?;
        }
        if !held.is_empty() {
            tx.notify().await?;
        }
        tx.commit().await?;
        Ok(held.len() as u64)
    })
    .await
}

/// Makes the dead jobs `target` names pending again, attempts reset;
/// returns how many. Newest death first: an older dead job of the same key
/// revived later absorbs the newer one and so ends up with the newest
/// payload.
pub(crate) async fn retry_dead<D: JobDb>(db: &D, target: RetryTarget) -> Result<u64> {
    rerun_lost_races(D::RACE_RETRIES, || async {
        let mut tx = db.begin().await?;
        let dead = tx.dead(target).await?;
        let now = tx.now().await?;
        for job in &dead {
            return_to_pending(&mut tx, job, Return::Revive(now), None).await?;
        }
        if !dead.is_empty() {
            tx.notify().await?;
        }
        tx.commit().await?;
        Ok(dead.len() as u64)
    })
    .await
}

/// Stores a webhook event and enqueues its job in one transaction; an event
/// already stored is a duplicate and nothing is written.
pub(crate) async fn record_webhook<D: JobDb>(
    db: &D,
    event: &InboxEvent,
    job: &NewJob,
) -> Result<InboxOutcome> {
    rerun_lost_races(D::RACE_RETRIES, || async {
        let mut tx = db.begin().await?;
        if !tx.insert_event(event).await? {
            tx.rollback().await?;
            return Ok(InboxOutcome::Duplicate);
        }
        tx.enqueue(std::slice::from_ref(job)).await?;
        tx.commit().await?;
        Ok(InboxOutcome::Stored)
    })
    .await
}
