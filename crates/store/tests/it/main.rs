//! Integration tests of the store. Every behaviour test runs against both
//! backends: SQLite on a temporary file and PostgreSQL on a fresh database
//! per test (server from `COSELL_TEST_PG_URL`, default
//! `postgres://postgres@127.0.0.1:5432/postgres`).

/// Instantiates each listed `async fn name(db: &TestDb)` once per backend,
/// as `<module>::sqlite::name` and `<module>::postgres::name`.
macro_rules! both_backends {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = crate::common::TestDb::sqlite().await;
                    super::$name(&db).await;
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = crate::common::TestDb::postgres().await;
                    super::$name(&db).await;
                }
            )+
        }
    };
}

mod audit;
mod common;
mod credentials;
mod cursors;
mod inbox;
mod jobs;
mod leases;
mod links;
mod open;
mod pairs;
mod wait;
