//! The job flows written once for both backends: jobs enqueued (alone or
//! with a cursor move), a webhook event stored with its job, a failed
//! attempt retried later, the jobs a worker releases at shutdown, dead jobs
//! an operator revives, and the wake-up policy over all of them ([`Queue`]).
//! Each backend supplies only its statements ([`JobDb`], [`JobTx`]); the
//! order of those statements, what is absorbed, and when waiters are told is
//! decided here.

use std::future::Future;

use chrono::{DateTime, Utc};

use crate::shared::{merge_batch, returned_schedule, JobSignal, Return};
use crate::statement::Statement;
use crate::{
    FailureAction, InboxEvent, InboxOutcome, Job, JobId, NewJob, Result, RetryTarget, StoreError,
};

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
    /// Inserts `jobs` (already merged per key), merging each into a pending
    /// job of its key; returns how many were created.
    fn enqueue(&mut self, jobs: &[NewJob]) -> impl Future<Output = Result<u64>> + Send;
    /// Moves cursor `name` from `from` (None: never set) to `to`; false when
    /// it no longer holds `from`.
    fn move_cursor(
        &mut self,
        name: &str,
        from: Option<&str>,
        to: &str,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Runs a statement of a shared flow ([`crate::statement`]); how many
    /// rows it changed.
    fn execute(&mut self, statement: Statement) -> impl Future<Output = Result<u64>> + Send;
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
    /// Whether a batch must touch its keys in one global order, so that
    /// concurrent batches wait for each other instead of deadlocking.
    const ORDERED_KEYS: bool;
    /// Starts a write transaction.
    fn begin(&self) -> impl Future<Output = Result<Self::Tx>> + Send;
    /// Marks a job done; whether `worker` held it, and whether a pending job
    /// of its key is now unblocked.
    fn complete(
        &self,
        id: JobId,
        worker: &str,
    ) -> impl Future<Output = Result<(bool, bool)>> + Send;
    /// Marks a job dead with `error`; false if `worker` no longer holds it.
    fn bury(
        &self,
        id: JobId,
        worker: &str,
        error: &str,
    ) -> impl Future<Output = Result<bool>> + Send;
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
async fn retry_at<D: JobDb>(
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
async fn release<D: JobDb>(db: &D, worker: &str) -> Result<u64> {
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
async fn retry_dead<D: JobDb>(db: &D, target: RetryTarget) -> Result<u64> {
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
async fn record_webhook<D: JobDb>(
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

/// `jobs` merged per key, in the order the backend must touch them.
fn batch<D: JobDb>(jobs: &[NewJob]) -> Vec<NewJob> {
    let mut merged = merge_batch(jobs);
    if D::ORDERED_KEYS {
        merged.sort_by(|a, b| a.dedup_key.cmp(&b.dedup_key));
    }
    merged
}

/// Enqueues `jobs`; returns how many new jobs were created.
async fn enqueue<D: JobDb>(db: &D, jobs: &[NewJob]) -> Result<u64> {
    if jobs.is_empty() {
        return Ok(0);
    }
    let merged = batch::<D>(jobs);
    rerun_lost_races(D::RACE_RETRIES, || async {
        let mut tx = db.begin().await?;
        let created = tx.enqueue(&merged).await?;
        tx.commit().await?;
        Ok(created)
    })
    .await
}

/// Enqueues `jobs` and moves a cursor in one transaction; returns whether
/// the cursor moved.
async fn enqueue_and_move_cursor<D: JobDb>(
    db: &D,
    jobs: &[NewJob],
    name: &str,
    from: Option<&str>,
    to: &str,
) -> Result<bool> {
    let merged = batch::<D>(jobs);
    rerun_lost_races(D::RACE_RETRIES, || async {
        let mut tx = db.begin().await?;
        tx.enqueue(&merged).await?;
        let moved = tx.move_cursor(name, from, to).await?;
        tx.commit().await?;
        Ok(moved)
    })
    .await
}

/// The job operations of a store with the one wake-up policy: after every
/// change that may have made a job claimable, this process's waiters
/// (`wait_for_jobs`) are woken. (PostgreSQL also tells other instances, from
/// inside the transaction.)
pub(crate) struct Queue<'a, D> {
    db: &'a D,
    signal: &'a JobSignal,
}

impl<'a, D: JobDb> Queue<'a, D> {
    /// The queue of `db`, waking the waiters of `signal`.
    pub(crate) fn new(db: &'a D, signal: &'a JobSignal) -> Self {
        Self { db, signal }
    }

    fn wake_if(&self, may_have_work: bool) {
        if may_have_work {
            self.signal.signal();
        }
    }

    /// See [`crate::Store::enqueue`].
    pub(crate) async fn enqueue(&self, jobs: &[NewJob]) -> Result<u64> {
        let created = enqueue(self.db, jobs).await?;
        self.wake_if(!jobs.is_empty());
        Ok(created)
    }

    /// See [`crate::Store::enqueue_and_move_cursor`].
    pub(crate) async fn enqueue_and_move_cursor(
        &self,
        jobs: &[NewJob],
        name: &str,
        from: Option<&str>,
        to: &str,
    ) -> Result<bool> {
        let moved = enqueue_and_move_cursor(self.db, jobs, name, from, to).await?;
        self.wake_if(!jobs.is_empty());
        Ok(moved)
    }

    /// See [`crate::Store::record_webhook`].
    pub(crate) async fn record_webhook(
        &self,
        event: &InboxEvent,
        job: &NewJob,
    ) -> Result<InboxOutcome> {
        let outcome = record_webhook(self.db, event, job).await?;
        self.wake_if(outcome == InboxOutcome::Stored);
        Ok(outcome)
    }

    /// See [`crate::Store::complete_job`]: a job of the same key may be unblocked.
    pub(crate) async fn complete(&self, id: JobId, worker: &str) -> Result<bool> {
        let (completed, unblocked) = self.db.complete(id, worker).await?;
        self.wake_if(unblocked);
        Ok(completed)
    }

    /// See [`crate::Store::fail_job`]: a retry is scheduled, or a job of the
    /// same key is unblocked.
    pub(crate) async fn fail(
        &self,
        id: JobId,
        worker: &str,
        error: &str,
        action: FailureAction,
    ) -> Result<bool> {
        let failed = match action {
            FailureAction::Dead => self.db.bury(id, worker, error).await?,
            FailureAction::RetryAt(at) => retry_at(self.db, id, worker, error, at).await?,
        };
        self.wake_if(failed);
        Ok(failed)
    }

    /// See [`crate::Store::release_jobs`].
    pub(crate) async fn release(&self, worker: &str) -> Result<u64> {
        let released = release(self.db, worker).await?;
        self.wake_if(released > 0);
        Ok(released)
    }

    /// See [`crate::Store::retry_dead`].
    pub(crate) async fn retry_dead(&self, target: RetryTarget) -> Result<u64> {
        let revived = retry_dead(self.db, target).await?;
        self.wake_if(revived > 0);
        Ok(revived)
    }
}
