//! Cursors: a small durable key-value store.

use crate::common::TestDb;

async fn cursor_round_trip(db: &TestDb) {
    let store = db.store();
    assert_eq!(store.cursor("sf.opportunities").await.unwrap(), None);
    store
        .set_cursor("sf.opportunities", "2024-05-01T00:00:00Z")
        .await
        .unwrap();
    store.set_cursor("pc.referrals", "a").await.unwrap();
    store
        .set_cursor("sf.opportunities", "2024-06-01T00:00:00Z")
        .await
        .unwrap();
    assert_eq!(
        store.cursor("sf.opportunities").await.unwrap().as_deref(),
        Some("2024-06-01T00:00:00Z")
    );
    assert_eq!(
        store.cursor("pc.referrals").await.unwrap().as_deref(),
        Some("a")
    );
}

async fn a_cursor_moves_with_its_jobs_and_never_over_a_newer_value(db: &TestDb) {
    let store = db.store();
    let job = |key: &str| store::NewJob::now(key, serde_json::json!({ "target": key }));
    // First move: from nothing.
    assert!(store
        .enqueue_and_move_cursor(&[job("opportunity:A")], "feed", None, "1")
        .await
        .unwrap());
    assert_eq!(store.cursor("feed").await.unwrap().as_deref(), Some("1"));
    assert_eq!(store.job_counts().await.unwrap().pending, 1);
    // A reader that read "1" moves it on.
    assert!(store
        .enqueue_and_move_cursor(&[], "feed", Some("1"), "3")
        .await
        .unwrap());
    // A slower reader that also read "1" keeps its jobs but cannot move the
    // cursor back to "2".
    assert!(!store
        .enqueue_and_move_cursor(&[job("opportunity:B")], "feed", Some("1"), "2")
        .await
        .unwrap());
    assert!(!store
        .enqueue_and_move_cursor(&[], "feed", None, "0")
        .await
        .unwrap());
    assert_eq!(store.cursor("feed").await.unwrap().as_deref(), Some("3"));
    assert_eq!(store.job_counts().await.unwrap().pending, 2);
}

async fn ping_answers(db: &TestDb) {
    db.store().ping().await.unwrap();
}

both_backends!(
    cursor_round_trip,
    a_cursor_moves_with_its_jobs_and_never_over_a_newer_value,
    ping_answers
);
