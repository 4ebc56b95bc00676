//! The scale-out store: one PostgreSQL database shared by several
//! `cosell run` instances.
//!
//! Jobs are claimed with `FOR UPDATE SKIP LOCKED` and guarded by partial
//! unique indexes, waiters are woken with LISTEN/NOTIFY, and singleton
//! pollers hold expiring leases. Migrations run on connect; sqlx's migrator
//! takes an advisory lock, so instances starting together do not race.

mod codec;
mod credentials;
mod cursors;
mod inbox;
mod jobs;
mod leases;
mod listener;
mod statement;

use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use tokio::task::JoinHandle;

use crate::error::redact_url;
use crate::flows::Queue;
use crate::links::LinkKey;
use crate::shared::JobSignal;
use crate::statement::Guard;
use crate::{
    AuditEntry, Cloud, CloudLink, FailureAction, InboxEvent, InboxOutcome, Job, JobCounts, JobId,
    LastSyncTimes, NewJob, Pair, PairId, PairQuery, PairState, Result, RetryTarget, Store,
    StoreError,
};

/// How long an operation waits for a pooled connection before the store
/// reports itself unavailable (so a down database yields a quick 503).
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections per instance for queries (the listener has its own).
const POOL_SIZE: u32 = 10;
/// Shown in `pg_stat_activity`.
const APPLICATION_NAME: &str = "cosell";

/// Migrations embedded at build time from `migrations/postgres`.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The PostgreSQL-backed [`Store`].
#[derive(Debug, Clone)]
pub struct PostgresStore {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    pool: PgPool,
    signal: Arc<JobSignal>,
    listener: JoinHandle<()>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.listener.abort();
    }
}

impl PostgresStore {
    /// Connects to `postgres://user[:password]@host[:port]/db`, applies
    /// pending migrations and starts listening for new-job notifications.
    pub async fn connect(url: &str) -> Result<Self> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::BadUrl(format!("{} ({e})", redact_url(url))))?
            .application_name(APPLICATION_NAME);
        let pool = PgPoolOptions::new()
            .max_connections(POOL_SIZE)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options.clone())
            .await?;
        MIGRATOR.run(&pool).await?;
        let signal = Arc::new(JobSignal::default());
        let listener = tokio::spawn(listener::run(options, Arc::clone(&signal)));
        Ok(Self {
            inner: Arc::new(Inner {
                pool,
                signal,
                listener,
            }),
        })
    }

    /// Closes the pool, waiting for connections to finish.
    pub async fn close(&self) {
        self.inner.listener.abort();
        self.inner.pool.close().await;
    }

    fn pool(&self) -> &PgPool {
        &self.inner.pool
    }

    /// The job operations, with the wake-up policy (local waiters are woken
    /// at once; remote ones hear the NOTIFY on commit).
    fn queue(&self) -> Queue<'_, PgPool> {
        Queue::new(self.pool(), &self.inner.signal)
    }
}

#[async_trait]
impl Store for PostgresStore {
    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(self.pool()).await?;
        Ok(())
    }

    async fn save_pair_over(
        &self,
        pair: &Pair,
        read_at: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<bool> {
        crate::pairs::save(self.pool(), pair, Guard::ReadAt(read_at)).await
    }

    async fn save_pair(&self, pair: &Pair) -> Result<()> {
        crate::pairs::save(self.pool(), pair, Guard::Any)
            .await
            .map(|_| ())
    }

    async fn pair(&self, id: PairId) -> Result<Option<Pair>> {
        crate::pairs::by_id(self.pool(), id).await
    }

    async fn pair_by_referral(&self, referral_id: &str) -> Result<Option<Pair>> {
        crate::pairs::by_referral(self.pool(), referral_id).await
    }

    async fn pair_by_opportunity(&self, opportunity_id: &str) -> Result<Option<Pair>> {
        crate::pairs::by_opportunity(self.pool(), opportunity_id).await
    }

    async fn pairs_with_snapshot_string(&self, value: &str) -> Result<Vec<Pair>> {
        crate::pairs::with_snapshot_string(self.pool(), value).await
    }

    async fn find_pairs(&self, query: &PairQuery) -> Result<Vec<Pair>> {
        crate::pairs::find(self.pool(), query).await
    }

    async fn pair_counts(&self) -> Result<BTreeMap<PairState, u64>> {
        crate::pairs::counts(self.pool()).await
    }

    async fn last_sync_times(&self) -> Result<LastSyncTimes> {
        crate::pairs::last_sync_times(self.pool()).await
    }

    async fn save_link_over(
        &self,
        link: &CloudLink,
        read_at: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<bool> {
        crate::links::save_over(self.pool(), link, read_at).await
    }

    async fn link(&self, id: uuid::Uuid) -> Result<Option<CloudLink>> {
        crate::links::by_id(self.pool(), id).await
    }

    async fn link_by_opportunity(
        &self,
        cloud: Cloud,
        opportunity_id: &str,
    ) -> Result<Option<CloudLink>> {
        crate::links::by_key(self.pool(), cloud, LinkKey::Opportunity(opportunity_id)).await
    }

    async fn link_by_remote(&self, cloud: Cloud, remote_id: &str) -> Result<Option<CloudLink>> {
        crate::links::by_key(self.pool(), cloud, LinkKey::Remote(remote_id)).await
    }

    async fn link_by_invitation(
        &self,
        cloud: Cloud,
        invitation_id: &str,
    ) -> Result<Option<CloudLink>> {
        crate::links::by_key(self.pool(), cloud, LinkKey::Invitation(invitation_id)).await
    }

    async fn find_links(&self, cloud: Cloud, query: &PairQuery) -> Result<Vec<CloudLink>> {
        crate::links::find(self.pool(), cloud, query).await
    }

    async fn link_counts(&self, cloud: Cloud) -> Result<BTreeMap<PairState, u64>> {
        crate::links::counts(self.pool(), cloud).await
    }

    async fn cursor(&self, name: &str) -> Result<Option<String>> {
        cursors::cursor(self.pool(), name).await
    }

    async fn set_cursor(&self, name: &str, value: &str) -> Result<()> {
        cursors::set_cursor(self.pool(), name, value).await
    }

    async fn enqueue_and_move_cursor(
        &self,
        new_jobs: &[NewJob],
        name: &str,
        from: Option<&str>,
        to: &str,
    ) -> Result<bool> {
        self.queue()
            .enqueue_and_move_cursor(new_jobs, name, from, to)
            .await
    }

    async fn probe_write(&self) -> Result<()> {
        let probe = || async {
            let now = crate::utc_now().to_rfc3339();
            cursors::set_cursor(self.pool(), crate::PROBE_CURSOR, &now).await
        };
        match probe().await {
            // Re-created empty: migrate as a start would (the migrator's
            // advisory lock keeps instances doing this together apart).
            Err(error) if error.is_undefined_table() => {
                MIGRATOR.run(self.pool()).await?;
                probe().await
            }
            other => other,
        }
    }

    async fn record_webhook(&self, event: &InboxEvent, job: &NewJob) -> Result<InboxOutcome> {
        self.queue().record_webhook(event, job).await
    }

    async fn enqueue(&self, new_jobs: &[NewJob]) -> Result<u64> {
        self.queue().enqueue(new_jobs).await
    }

    async fn claim_jobs(&self, worker: &str, limit: u32, lease: Duration) -> Result<Vec<Job>> {
        jobs::claim(self.pool(), worker, limit, lease).await
    }

    async fn extend_leases(&self, worker: &str, ids: &[JobId], lease: Duration) -> Result<()> {
        jobs::extend_leases(self.pool(), worker, ids, lease).await
    }

    async fn complete_job(&self, id: JobId, worker: &str) -> Result<bool> {
        self.queue().complete(id, worker).await
    }

    async fn fail_job(
        &self,
        id: JobId,
        worker: &str,
        error: &str,
        action: FailureAction,
    ) -> Result<bool> {
        self.queue().fail(id, worker, error, action).await
    }

    async fn release_jobs(&self, worker: &str) -> Result<u64> {
        self.queue().release(worker).await
    }

    async fn retry_dead(&self, target: RetryTarget) -> Result<u64> {
        self.queue().retry_dead(target).await
    }

    async fn job(&self, id: JobId) -> Result<Option<Job>> {
        jobs::by_id(self.pool(), id).await
    }

    async fn job_counts(&self) -> Result<JobCounts> {
        jobs::counts(self.pool()).await
    }

    async fn dead_jobs(&self, limit: u32) -> Result<Vec<Job>> {
        jobs::dead(self.pool(), limit).await
    }

    async fn wait_for_jobs(&self, timeout: Duration) -> Result<()> {
        crate::shared::wait_scheduled(
            self.inner.signal.as_ref(),
            timeout,
            jobs::next_due(self.pool()),
        )
        .await;
        Ok(())
    }

    async fn append_audit(&self, entries: &[AuditEntry]) -> Result<()> {
        crate::audit::append(self.pool(), entries).await
    }

    async fn audit_for_pair(&self, pair_id: PairId, limit: u32) -> Result<Vec<AuditEntry>> {
        crate::audit::for_pair(self.pool(), pair_id, limit).await
    }

    async fn recent_audit(&self, limit: u32) -> Result<Vec<AuditEntry>> {
        crate::audit::recent(self.pool(), limit).await
    }

    async fn try_acquire_lease(&self, name: &str, holder: &str, ttl: Duration) -> Result<bool> {
        leases::try_acquire(self.pool(), name, holder, ttl).await
    }

    async fn release_lease(&self, name: &str, holder: &str) -> Result<()> {
        leases::release(self.pool(), name, holder).await
    }
}
