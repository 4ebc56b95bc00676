//! The embedded default store: one SQLite file, WAL mode, no server.
//!
//! Several tasks of one process share it safely: single statements take the
//! write lock up front, multi-statement writes use `BEGIN IMMEDIATE`, and a
//! busy timeout absorbs contention. Other processes (e.g. `cosell status`)
//! may read and write the same file; their new jobs are seen when
//! `wait_for_jobs` times out.

mod codec;
mod credentials;
mod cursors;
mod inbox;
mod jobs;
mod leases;
mod statement;

use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

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

/// How long a statement waits for another connection's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// How long an operation waits for a free pooled connection before the
/// store reports itself unavailable.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections for a file database (WAL lets readers run beside the writer).
const FILE_POOL_SIZE: u32 = 4;

/// Migrations embedded at build time from `migrations/sqlite`.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// The SQLite-backed [`Store`].
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    signal: Arc<JobSignal>,
    renewal: Arc<Renewal>,
}

/// When pooled connections were last declared stale: a connection opened
/// before then is closed instead of handed out.
#[derive(Debug, Default)]
struct Renewal {
    at: std::sync::Mutex<Option<std::time::Instant>>,
}

impl Renewal {
    /// Declares every open connection stale.
    fn renew(&self) {
        *self.at.lock().unwrap_or_else(|e| e.into_inner()) = Some(std::time::Instant::now());
    }

    /// True when a connection of this age was opened before the last renewal.
    fn is_stale(&self, age: Duration) -> bool {
        self.at
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some_and(|at| age > at.elapsed())
    }
}

impl SqliteStore {
    /// Opens `sqlite://path.db` (creating the file and its directory if
    /// missing) or `sqlite::memory:`, and applies pending migrations.
    pub async fn open(url: &str) -> Result<Self> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::BadUrl(format!("{} ({e})", redact_url(url))))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true);
        let in_memory = is_memory_url(url);
        if !in_memory {
            create_parent_dir(options.get_filename())?;
        }
        let renewal = Arc::new(Renewal::default());
        let check = Arc::clone(&renewal);
        let pool_options = SqlitePoolOptions::new()
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .before_acquire(move |_, meta| {
                let fresh = !check.is_stale(meta.age);
                Box::pin(async move { Ok(fresh) })
            });
        let pool_options = if in_memory {
            // One connection that never closes: an in-memory database lives
            // exactly as long as its connection.
            pool_options
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
        } else {
            pool_options.max_connections(FILE_POOL_SIZE)
        };
        let pool = pool_options.connect_with(options).await?;
        MIGRATOR.run(&pool).await?;
        Ok(Self {
            pool,
            signal: Arc::new(JobSignal::default()),
            renewal,
        })
    }

    /// The job operations, with the wake-up policy.
    fn queue(&self) -> Queue<'_, SqlitePool> {
        Queue::new(&self.pool, &self.signal)
    }

    /// Closes the pool, waiting for connections to finish.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

fn is_memory_url(url: &str) -> bool {
    url.contains(":memory:") || url.contains("mode=memory")
}

fn create_parent_dir(file: &Path) -> Result<()> {
    match file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Unavailable(sqlx::Error::Io(e)))
        }
        _ => Ok(()),
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn save_pair_over(
        &self,
        pair: &Pair,
        read_at: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<bool> {
        crate::pairs::save(&self.pool, pair, Guard::ReadAt(read_at)).await
    }

    async fn save_pair(&self, pair: &Pair) -> Result<()> {
        crate::pairs::save(&self.pool, pair, Guard::Any)
            .await
            .map(|_| ())
    }

    async fn pair(&self, id: PairId) -> Result<Option<Pair>> {
        crate::pairs::by_id(&self.pool, id).await
    }

    async fn pair_by_referral(&self, referral_id: &str) -> Result<Option<Pair>> {
        crate::pairs::by_referral(&self.pool, referral_id).await
    }

    async fn pair_by_opportunity(&self, opportunity_id: &str) -> Result<Option<Pair>> {
        crate::pairs::by_opportunity(&self.pool, opportunity_id).await
    }

    async fn pairs_with_snapshot_string(&self, value: &str) -> Result<Vec<Pair>> {
        crate::pairs::with_snapshot_string(&self.pool, value).await
    }

    async fn find_pairs(&self, query: &PairQuery) -> Result<Vec<Pair>> {
        crate::pairs::find(&self.pool, query).await
    }

    async fn pair_counts(&self) -> Result<BTreeMap<PairState, u64>> {
        crate::pairs::counts(&self.pool).await
    }

    async fn last_sync_times(&self) -> Result<LastSyncTimes> {
        crate::pairs::last_sync_times(&self.pool).await
    }

    async fn save_link_over(
        &self,
        link: &CloudLink,
        read_at: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<bool> {
        crate::links::save_over(&self.pool, link, read_at).await
    }

    async fn link(&self, id: uuid::Uuid) -> Result<Option<CloudLink>> {
        crate::links::by_id(&self.pool, id).await
    }

    async fn link_by_opportunity(
        &self,
        cloud: Cloud,
        opportunity_id: &str,
    ) -> Result<Option<CloudLink>> {
        crate::links::by_key(&self.pool, cloud, LinkKey::Opportunity(opportunity_id)).await
    }

    async fn link_by_remote(&self, cloud: Cloud, remote_id: &str) -> Result<Option<CloudLink>> {
        crate::links::by_key(&self.pool, cloud, LinkKey::Remote(remote_id)).await
    }

    async fn link_by_invitation(
        &self,
        cloud: Cloud,
        invitation_id: &str,
    ) -> Result<Option<CloudLink>> {
        crate::links::by_key(&self.pool, cloud, LinkKey::Invitation(invitation_id)).await
    }

    async fn find_links(&self, cloud: Cloud, query: &PairQuery) -> Result<Vec<CloudLink>> {
        crate::links::find(&self.pool, cloud, query).await
    }

    async fn link_counts(&self, cloud: Cloud) -> Result<BTreeMap<PairState, u64>> {
        crate::links::counts(&self.pool, cloud).await
    }

    async fn cursor(&self, name: &str) -> Result<Option<String>> {
        cursors::cursor(&self.pool, name).await
    }

    async fn set_cursor(&self, name: &str, value: &str) -> Result<()> {
        cursors::set_cursor(&self.pool, name, value).await
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
        let now = crate::utc_now().to_rfc3339();
        let result = cursors::set_cursor(&self.pool, crate::PROBE_CURSOR, &now).await;
        if result.as_ref().is_err_and(StoreError::is_sqlite_readonly) {
            // SQLite opens a file it may not write read-only and stays so;
            // fresh connections see the file writable once it is again.
            self.renewal.renew();
        }
        result
    }

    async fn record_webhook(&self, event: &InboxEvent, job: &NewJob) -> Result<InboxOutcome> {
        self.queue().record_webhook(event, job).await
    }

    async fn enqueue(&self, new_jobs: &[NewJob]) -> Result<u64> {
        self.queue().enqueue(new_jobs).await
    }

    async fn claim_jobs(&self, worker: &str, limit: u32, lease: Duration) -> Result<Vec<Job>> {
        jobs::claim(&self.pool, worker, limit, lease).await
    }

    async fn extend_leases(&self, worker: &str, ids: &[JobId], lease: Duration) -> Result<()> {
        jobs::extend_leases(&self.pool, worker, ids, lease).await
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
        jobs::by_id(&self.pool, id).await
    }

    async fn job_counts(&self) -> Result<JobCounts> {
        jobs::counts(&self.pool).await
    }

    async fn dead_jobs(&self, limit: u32) -> Result<Vec<Job>> {
        jobs::dead(&self.pool, limit).await
    }

    async fn wait_for_jobs(&self, timeout: Duration) -> Result<()> {
        crate::shared::wait_scheduled(self.signal.as_ref(), timeout, jobs::next_due(&self.pool))
            .await;
        Ok(())
    }

    async fn append_audit(&self, entries: &[AuditEntry]) -> Result<()> {
        crate::audit::append(&self.pool, entries).await
    }

    async fn audit_for_pair(&self, pair_id: PairId, limit: u32) -> Result<Vec<AuditEntry>> {
        crate::audit::for_pair(&self.pool, pair_id, limit).await
    }

    async fn recent_audit(&self, limit: u32) -> Result<Vec<AuditEntry>> {
        crate::audit::recent(&self.pool, limit).await
    }

    async fn try_acquire_lease(&self, name: &str, holder: &str, ttl: Duration) -> Result<bool> {
        leases::try_acquire(&self.pool, name, holder, ttl).await
    }

    async fn release_lease(&self, name: &str, holder: &str) -> Result<()> {
        leases::release(&self.pool, name, holder).await
    }
}
