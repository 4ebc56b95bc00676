//! A throwaway database per test, for either backend.

use std::sync::Arc;

use rand::Rng;
use sqlx::Connection;
use store::{Store, StoreError};

/// Server used when `COSELL_TEST_PG_URL` is not set.
const DEFAULT_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";
/// Prefix of every database the suite creates (and drops).
const DB_PREFIX: &str = "cosell_test_";

/// Which backend a test database uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A fresh, empty database that lives as long as the test.
pub struct TestDb {
    pub backend: Backend,
    /// URL of the test database (what `store::open` takes).
    pub url: String,
    store: Option<Arc<dyn Store>>,
    _dir: Option<tempfile::TempDir>,
    /// Server URL and database name to drop at the end (PostgreSQL).
    drop_on_exit: Option<(String, String)>,
}

impl TestDb {
    /// A new SQLite file in a temporary directory.
    pub async fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("cosell.db").display());
        let store = store::open(&url).await.expect("open sqlite store");
        Self {
            backend: Backend::Sqlite,
            url,
            store: Some(store),
            _dir: Some(dir),
            drop_on_exit: None,
        }
    }

    /// A new database on the test PostgreSQL server.
    pub async fn postgres() -> Self {
        let (url, mut db) = Self::postgres_database().await;
        db.store = Some(store::open(&url).await.expect("open postgres store"));
        db
    }

    /// A new, empty (unmigrated) PostgreSQL database: its URL, and a guard
    /// without a store that drops the database.
    pub async fn postgres_database() -> (String, Self) {
        let server =
            std::env::var("COSELL_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_PG_URL.to_owned());
        let name = format!("{DB_PREFIX}{:016x}", rand::rng().random::<u64>());
        let mut admin = sqlx::PgConnection::connect(&server)
            .await
            .expect("connect to the test PostgreSQL server (set COSELL_TEST_PG_URL)");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .expect("create test database");
        admin.close().await.ok();
        let mut url = url::Url::parse(&server).expect("server url");
        url.set_path(&name);
        let url = url.to_string();
        let guard = Self {
            backend: Backend::Postgres,
            url: url.clone(),
            store: None,
            _dir: None,
            drop_on_exit: Some((server, name)),
        };
        (url, guard)
    }

    /// The store every test starts with.
    pub fn store(&self) -> Arc<dyn Store> {
        Arc::clone(
            self.store
                .as_ref()
                .expect("this test database has no store"),
        )
    }

    /// Another, independent store instance (own pool) on the same database,
    /// as a second process would have.
    pub async fn another(&self) -> Arc<dyn Store> {
        store::open(&self.url).await.expect("open second store")
    }

    /// A store that sees this one's job signals: a second instance on
    /// PostgreSQL (LISTEN/NOTIFY crosses pools), the same one on SQLite
    /// (its signal is in-process).
    pub async fn peer(&self) -> Arc<dyn Store> {
        match self.backend {
            Backend::Postgres => self.another().await,
            Backend::Sqlite => self.store(),
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((server, name)) = self.drop_on_exit.take() else {
            return;
        };
        // Best effort, on a thread of its own: Drop cannot await, and the
        // test's runtime may be shutting down.
        let dropper = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let mut admin = sqlx::PgConnection::connect(&server).await?;
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut admin)
                    .await?;
                admin.close().await
            })?;
            Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
        });
        if let Ok(Err(err)) = dropper.join() {
            eprintln!("could not drop test database: {err}");
        }
    }
}

/// Asserts `result` is a conflict.
#[track_caller]
pub fn assert_conflict<T: std::fmt::Debug>(result: Result<T, StoreError>) {
    match result {
        Err(StoreError::Conflict(_)) => {}
        other => panic!("expected a conflict, got {other:?}"),
    }
}
