//! Job workers: claim a batch under a lease, keep the lease alive while the
//! engine syncs it, then settle every job (done, retry later, dead letter).
//! On shutdown a worker stops claiming, lets its batch finish within a grace
//! period, and otherwise hands its jobs back with `release_jobs`.

use std::sync::Arc;
use std::time::Duration;

use store::{FailureAction, Job, Store};
use sync::{Engine, Target};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::metrics::Metrics;
use super::settle::{self, JobAction, Policy};

/// Longest pause after the store failed, before claiming again.
const MAX_STORE_RETRY: Duration = Duration::from_secs(30);
/// First pause after the store failed.
const FIRST_STORE_RETRY: Duration = Duration::from_millis(500);
/// Leases are renewed this many times per lease period.
const RENEWALS_PER_LEASE: u32 = 3;

/// What every worker shares.
pub struct WorkerContext {
    /// Where jobs live.
    pub store: Arc<dyn Store>,
    /// Syncs a batch.
    pub engine: Arc<Engine>,
    /// Latency histogram.
    pub metrics: Arc<Metrics>,
    /// Jobs per batch.
    pub batch_size: u32,
    /// Lease per claimed job.
    pub lease: Duration,
    /// Retry and dead-letter rules.
    pub policy: Policy,
    /// Longest wait for new work before looking again (due retries).
    pub idle_wait: Duration,
    /// How long an in-flight batch may run on after shutdown began.
    pub shutdown_grace: Duration,
}

/// Runs one worker until `shutdown` is cancelled.
pub async fn run(ctx: Arc<WorkerContext>, worker_id: String, shutdown: CancellationToken) {
    let span = tracing::info_span!("worker", worker = %worker_id);
    async move {
        tracing::debug!("worker started");
        let mut store_retry = FIRST_STORE_RETRY;
        while !shutdown.is_cancelled() {
            let jobs = match ctx
                .store
                .claim_jobs(&worker_id, ctx.batch_size, ctx.lease)
                .await
            {
                Ok(jobs) => {
                    store_retry = FIRST_STORE_RETRY;
                    jobs
                }
                Err(error) => {
                    tracing::warn!(%error, "could not claim jobs; trying again");
                    pause(store_retry, &shutdown).await;
                    store_retry = (store_retry * 2).min(MAX_STORE_RETRY);
                    continue;
                }
            };
            if jobs.is_empty() {
                tokio::select! {
                    _ = ctx.store.wait_for_jobs(ctx.idle_wait) => {}
                    _ = shutdown.cancelled() => {}
                }
                continue;
            }
            run_batch(&ctx, &worker_id, jobs, &shutdown).await;
        }
        tracing::debug!("worker stopped");
    }
    .instrument(span)
    .await
}

/// Sleeps for `duration` unless shutdown begins first.
async fn pause(duration: Duration, shutdown: &CancellationToken) {
    tokio::select! {
        _ = tokio::time::sleep(duration) => {}
        _ = shutdown.cancelled() => {}
    }
}

/// Syncs one claimed batch and settles its jobs.
#[tracing::instrument(skip_all, fields(jobs = jobs.len()))]
async fn run_batch(
    ctx: &WorkerContext,
    worker_id: &str,
    jobs: Vec<Job>,
    shutdown: &CancellationToken,
) {
    let jobs = settle_echoes(ctx, worker_id, jobs).await;
    if jobs.is_empty() {
        return;
    }
    let ids: Vec<_> = jobs.iter().map(|j| j.id).collect();
    let targets: Vec<Target> = jobs.iter().filter_map(settle::job_target).collect();
    tracing::debug!(targets = ?targets, "syncing batch");
    let sync = ctx.engine.sync_targets(targets);
    tokio::pin!(sync);
    let mut renew = tokio::time::interval(ctx.lease / RENEWALS_PER_LEASE);
    renew.tick().await;
    let grace_over = async {
        shutdown.cancelled().await;
        tokio::time::sleep(ctx.shutdown_grace).await;
    };
    tokio::pin!(grace_over);
    let result = loop {
        tokio::select! {
            result = &mut sync => break Some(result),
            _ = renew.tick() => {
                if let Err(error) = ctx.store.extend_leases(worker_id, &ids, ctx.lease).await {
                    tracing::warn!(%error, "could not extend job leases");
                }
            }
            _ = &mut grace_over => break None,
        }
    };
    let Some(result) = result else {
        // Shutting down and the batch did not finish in time: hand the
        // jobs back; the sync is idempotent, so the next run redoes it.
        match ctx.store.release_jobs(worker_id).await {
            Ok(n) => tracing::info!(released = n, "shutdown: released unfinished jobs"),
            Err(error) => {
                tracing::warn!(%error, "shutdown: could not release jobs; their leases will expire")
            }
        }
        return;
    };
    if let Err(error) = &result {
        tracing::warn!(%error, transient = error.is_transient(), "the whole batch failed");
    }
    let now = store::utc_now();
    let settlement = ctx.policy.settle(jobs, &result, now);
    for synced in &settlement.synced {
        ctx.metrics
            .observe_sync(synced.direction, settle::elapsed(synced.since, now));
    }
    for (job, action) in settlement.actions {
        apply(ctx, worker_id, &job, action).await;
    }
}

/// Completes the jobs that only report a referral change the pair's last
/// sync already saw (cosell's own write coming back, or one change reported
/// by both the webhook and the poll: nothing to read or sync) and returns
/// the others. Such a job runs after any job of its pair that was running
/// (one pair, one worker), so that job's write is recorded by then; when in
/// doubt the job syncs.
async fn settle_echoes(ctx: &WorkerContext, worker_id: &str, jobs: Vec<Job>) -> Vec<Job> {
    let mut rest = Vec::with_capacity(jobs.len());
    for job in jobs {
        let seen = match (settle::reported_change(&job), settle::job_target(&job)) {
            (Some(at), Some(Target::Referral(id))) => ctx
                .engine
                .has_seen_referral_change(&id, at)
                .await
                .unwrap_or(false),
            _ => false,
        };
        if seen {
            tracing::debug!(job = %job.id, key = %job.dedup_key, "the pair's last sync saw this change; nothing to sync");
            ctx.metrics.change_already_seen();
            apply(ctx, worker_id, &job, JobAction::Complete).await;
        } else {
            rest.push(job);
        }
    }
    rest
}

/// Records one job's settlement in the store.
async fn apply(ctx: &WorkerContext, worker_id: &str, job: &Job, action: JobAction) {
    let key = job.dedup_key.as_str();
    let held = match &action {
        JobAction::Complete => ctx.store.complete_job(job.id, worker_id).await,
        JobAction::Retry { at, error } => {
            tracing::info!(job = %job.id, key, attempts = job.attempts, retry_at = %at, %error, "job failed; will retry");
            ctx.store
                .fail_job(job.id, worker_id, error, FailureAction::RetryAt(*at))
                .await
        }
        JobAction::Dead { error } => {
            tracing::warn!(job = %job.id, key, attempts = job.attempts, %error, "job dead-lettered");
            ctx.store
                .fail_job(job.id, worker_id, error, FailureAction::Dead)
                .await
        }
    };
    match held {
        Ok(true) => {}
        Ok(false) => {
            tracing::warn!(job = %job.id, key, "lost the job's lease before settling it; another worker runs it")
        }
        Err(error) => {
            tracing::warn!(job = %job.id, key, %error, "could not record the job's result; it runs again when its lease expires")
        }
    }
}
