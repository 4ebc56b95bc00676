//! Singleton leases for pollers: one holder at a time, taken over on expiry.

use std::time::Duration;

use crate::common::TestDb;

const SHORT_TTL: Duration = Duration::from_millis(300);
const PAST_SHORT_TTL: Duration = Duration::from_millis(600);
const LONG_TTL: Duration = Duration::from_secs(60);

async fn lease_taken_over_after_expiry(db: &TestDb) {
    let store = db.store();
    let other_instance = db.another().await;
    assert!(store
        .try_acquire_lease("poller.sf", "a", SHORT_TTL)
        .await
        .unwrap());
    assert!(!other_instance
        .try_acquire_lease("poller.sf", "b", LONG_TTL)
        .await
        .unwrap());
    // Renewal by the holder; other names are independent.
    assert!(store
        .try_acquire_lease("poller.sf", "a", SHORT_TTL)
        .await
        .unwrap());
    assert!(other_instance
        .try_acquire_lease("poller.pc", "b", LONG_TTL)
        .await
        .unwrap());

    tokio::time::sleep(PAST_SHORT_TTL).await;
    assert!(other_instance
        .try_acquire_lease("poller.sf", "b", LONG_TTL)
        .await
        .unwrap());
    assert!(!store
        .try_acquire_lease("poller.sf", "a", SHORT_TTL)
        .await
        .unwrap());

    // Only the holder can release.
    store.release_lease("poller.sf", "a").await.unwrap();
    assert!(!store
        .try_acquire_lease("poller.sf", "a", SHORT_TTL)
        .await
        .unwrap());
    other_instance
        .release_lease("poller.sf", "b")
        .await
        .unwrap();
    assert!(store
        .try_acquire_lease("poller.sf", "a", SHORT_TTL)
        .await
        .unwrap());
}

async fn concurrent_acquire_has_one_winner(db: &TestDb) {
    let mut tasks = Vec::new();
    for i in 0..6 {
        let store = if i % 2 == 0 {
            db.store()
        } else {
            db.another().await
        };
        tasks.push(tokio::spawn(async move {
            store
                .try_acquire_lease("poller.race", &format!("h{i}"), LONG_TTL)
                .await
                .unwrap()
        }));
    }
    let mut winners = 0;
    for task in tasks {
        if task.await.unwrap() {
            winners += 1;
        }
    }
    assert_eq!(winners, 1);
}

both_backends!(
    lease_taken_over_after_expiry,
    concurrent_acquire_has_one_winner
);
