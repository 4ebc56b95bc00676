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

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use tokio::task::JoinHandle;

use crate::backend::{Backend, CursorDb};
use crate::error::redact_url;
use crate::shared::JobSignal;
use crate::{Result, StoreError};

/// How long an operation waits for a pooled connection before the store
/// reports itself unavailable (so a down database yields a quick 503).
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections per instance for queries (the listener has its own).
const POOL_SIZE: u32 = 10;
/// Shown in `pg_stat_activity`.
const APPLICATION_NAME: &str = "cosell";

/// Migrations embedded at build time from `migrations/postgres`.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The PostgreSQL-backed [`Store`](crate::Store).
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
}

impl Backend for PostgresStore {
    type Db = PgPool;

    fn db(&self) -> &Self::Db {
        &self.inner.pool
    }

    fn signal(&self) -> &JobSignal {
        &self.inner.signal
    }

    async fn probe_write(&self) -> Result<()> {
        let probe = || async {
            let now = crate::utc_now().to_rfc3339();
            self.pool().set_cursor(crate::PROBE_CURSOR, &now).await
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
}
