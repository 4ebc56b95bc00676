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

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::backend::{Backend, CursorDb};
use crate::error::redact_url;
use crate::shared::JobSignal;
use crate::{Result, StoreError};

/// How long a statement waits for another connection's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// How long an operation waits for a free pooled connection before the
/// store reports itself unavailable.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections for a file database (WAL lets readers run beside the writer).
const FILE_POOL_SIZE: u32 = 4;

/// Migrations embedded at build time from `migrations/sqlite`.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// The SQLite-backed [`Store`](crate::Store).
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

impl Backend for SqliteStore {
    type Db = SqlitePool;

    fn db(&self) -> &Self::Db {
        &self.pool
    }

    fn signal(&self) -> &JobSignal {
        &self.signal
    }

    async fn probe_write(&self) -> Result<()> {
        let now = crate::utc_now().to_rfc3339();
        let result = self.pool.set_cursor(crate::PROBE_CURSOR, &now).await;
        if result.as_ref().is_err_and(StoreError::is_sqlite_readonly) {
            // SQLite opens a file it may not write read-only and stays so;
            // fresh connections see the file writable once it is again.
            self.renewal.renew();
        }
        result
    }
}
