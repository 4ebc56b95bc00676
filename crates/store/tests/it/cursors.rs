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

async fn ping_answers(db: &TestDb) {
    db.store().ping().await.unwrap();
}

both_backends!(cursor_round_trip, ping_answers);
