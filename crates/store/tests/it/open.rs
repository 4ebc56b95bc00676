//! `store::open`: URL handling, file creation, and no secrets in errors.

use store::StoreError;

use crate::common::TestDb;

#[tokio::test]
async fn unknown_scheme_is_bad_url_without_secrets() {
    let err = store::open("mysql://app:hunter2@db.example/cosell")
        .await
        .err()
        .expect("must fail");
    assert!(matches!(err, StoreError::BadUrl(_)), "{err:?}");
    assert!(!format!("{err} {err:?}").contains("hunter2"));
}

#[tokio::test]
async fn unreachable_postgres_is_unavailable_without_secrets() {
    // Port 1 on loopback refuses connections.
    let err = store::open("postgres://app:hunter2@127.0.0.1:1/cosell")
        .await
        .err()
        .expect("must fail");
    assert!(err.is_unavailable(), "{err:?}");
    assert!(!format!("{err} {err:?}").contains("hunter2"));
}

#[tokio::test]
async fn malformed_postgres_url_hides_password() {
    let err = store::open("postgres://app:hunter2@db.example:notaport/cosell")
        .await
        .err()
        .expect("must fail");
    assert!(matches!(err, StoreError::BadUrl(_)), "{err:?}");
    assert!(!format!("{err} {err:?}").contains("hunter2"));
}

#[tokio::test]
async fn sqlite_file_and_directories_are_created() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("nested/deeper/cosell.db");
    let store = store::open(&format!("sqlite://{}", file.display()))
        .await
        .unwrap();
    store.ping().await.unwrap();
    store.set_cursor("c", "1").await.unwrap();
    assert!(file.exists());
    drop(store);
    // Reopening keeps the data and does not re-run migrations.
    let reopened = store::open(&format!("sqlite://{}", file.display()))
        .await
        .unwrap();
    assert_eq!(reopened.cursor("c").await.unwrap().as_deref(), Some("1"));
}

#[tokio::test]
async fn sqlite_memory_works() {
    let store = store::open("sqlite::memory:").await.unwrap();
    store.set_cursor("c", "1").await.unwrap();
    assert_eq!(store.cursor("c").await.unwrap().as_deref(), Some("1"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_instances_starting_together_migrate_once() {
    let (url, _guard) = TestDb::postgres_database().await;
    let (a, b, c) = tokio::join!(store::open(&url), store::open(&url), store::open(&url));
    let (a, b, c) = (a.unwrap(), b.unwrap(), c.unwrap());
    a.set_cursor("c", "1").await.unwrap();
    assert_eq!(b.cursor("c").await.unwrap().as_deref(), Some("1"));
    c.ping().await.unwrap();
}

#[tokio::test]
async fn closed_sqlite_store_is_unavailable() {
    use store::Store;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("c.db").display());
    let store = store::sqlite::SqliteStore::open(&url).await.unwrap();
    store.close().await;
    let err = store.ping().await.unwrap_err();
    assert!(err.is_unavailable(), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_postgres_store_is_unavailable() {
    use store::Store;
    let (url, _guard) = TestDb::postgres_database().await;
    let store = store::postgres::PostgresStore::connect(&url).await.unwrap();
    store.close().await;
    let err = store
        .enqueue(&[store::NewJob::now("k", serde_json::json!(1))])
        .await
        .unwrap_err();
    assert!(err.is_unavailable(), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_store_debug_hides_password() {
    let (url, _guard) = TestDb::postgres_database().await;
    let mut with_password = url::Url::parse(&url).unwrap();
    // The test server trusts local connections, so any password is accepted.
    with_password.set_password(Some("hunter2")).unwrap();
    let store = store::postgres::PostgresStore::connect(with_password.as_str())
        .await
        .unwrap();
    assert!(!format!("{store:?}").contains("hunter2"));
}
