//! Sealed credentials: a seed never overwrites, a rotation keeps the chain
//! and its health, and on PostgreSQL rotations by several instances take
//! turns, so no stored token is ever redeemed twice.

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use store::{CredentialWrite, StoreError};

use crate::common::TestDb;

const NAME: &str = "partner_center.refresh_token";

fn write(secret: &[u8]) -> CredentialWrite {
    let now = Utc::now();
    CredentialWrite {
        sealed: secret.to_vec(),
        obtained_at: now,
        expires_at: Some(now + TimeDelta::days(90)),
        mfa: Some(true),
    }
}

async fn a_seed_never_overwrites_a_stored_credential(db: &TestDb) {
    let store = db.store();
    assert!(store.credential(NAME).await.unwrap().is_none());
    assert!(store.seed_credential(NAME, &write(b"first")).await.unwrap());
    assert!(!store
        .seed_credential(NAME, &write(b"second"))
        .await
        .unwrap());
    let stored = store.credential(NAME).await.unwrap().unwrap();
    assert_eq!(stored.sealed, b"first");
    assert_eq!(stored.version, 1);
    assert_eq!(store.credentials().await.unwrap(), vec![stored]);
}

async fn a_rotation_saves_the_successor_and_clears_the_last_error(db: &TestDb) {
    let store = db.store();
    store.seed_credential(NAME, &write(b"rt1")).await.unwrap();
    let signed_in = store.credential(NAME).await.unwrap().unwrap().signed_in_at;
    store
        .record_credential_error(NAME, "AADSTS70000: throttled")
        .await
        .unwrap();
    let failed = store.credential(NAME).await.unwrap().unwrap();
    assert_eq!(failed.last_error.as_deref(), Some("AADSTS70000: throttled"));
    assert!(failed.last_error_at.is_some());

    let hold = store.hold_credential(NAME).await.unwrap();
    assert_eq!(hold.current().unwrap().sealed, b"rt1");
    let saved = hold.commit(&write(b"rt2")).await.unwrap();
    assert_eq!(saved.sealed, b"rt2");
    assert_eq!(saved.version, 2);
    assert_eq!(
        saved.signed_in_at, signed_in,
        "the chain started at the sign-in"
    );
    assert!(saved.last_refresh_at.is_some());
    assert_eq!(saved.last_error, None);
    assert_eq!(store.credential(NAME).await.unwrap().unwrap(), saved);
}

async fn a_sign_in_during_a_rotation_wins(db: &TestDb) {
    let store = db.store();
    store.seed_credential(NAME, &write(b"old")).await.unwrap();
    let hold = store.hold_credential(NAME).await.unwrap();
    let other = db.another().await;
    let login =
        tokio::spawn(async move { other.replace_credential(NAME, &write(b"signed-in")).await });
    // PostgreSQL: the sign-in waits for the hold, which commits first.
    // SQLite: the sign-in lands first and the rotation's compare-and-set fails.
    let rotated = hold.commit(&write(b"rotated")).await;
    login.await.unwrap().unwrap();
    let stored = store.credential(NAME).await.unwrap().unwrap();
    assert_eq!(stored.sealed, b"signed-in");
    assert_eq!(stored.last_refresh_at, None, "a sign-in starts a new chain");
    if let Err(e) = rotated {
        assert!(matches!(e, StoreError::Conflict(_)), "{e}");
    }
}

async fn a_hold_on_a_missing_credential_stores_the_first_successor(db: &TestDb) {
    let store = db.store();
    let hold = store.hold_credential(NAME).await.unwrap();
    assert!(hold.current().is_none());
    let saved = hold.commit(&write(b"from-seed")).await.unwrap();
    assert_eq!(saved.version, 1);
    assert_eq!(saved.sealed, b"from-seed");
}

both_backends!(
    a_seed_never_overwrites_a_stored_credential,
    a_rotation_saves_the_successor_and_clears_the_last_error,
    a_sign_in_during_a_rotation_wins,
    a_hold_on_a_missing_credential_stores_the_first_successor,
);

/// Rotations by two instances at once take turns: each one reads a version
/// no other read, and every successor is saved.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotations_by_two_postgres_instances_take_turns() {
    const ROTATIONS: usize = 8;
    let db = TestDb::postgres().await;
    let instances = [db.store(), db.another().await];
    instances[0]
        .seed_credential(NAME, &write(b"0"))
        .await
        .unwrap();
    let tasks: Vec<_> = (0..ROTATIONS)
        .map(|i| {
            let store = std::sync::Arc::clone(&instances[i % 2]);
            tokio::spawn(async move {
                let hold = store.hold_credential(NAME).await.unwrap();
                let seen = hold.current().unwrap().clone();
                // The token request a real rotation makes while holding.
                tokio::time::sleep(Duration::from_millis(20)).await;
                let next = (seen.version).to_string();
                hold.commit(&write(next.as_bytes())).await.unwrap();
                seen.sealed
            })
        })
        .collect();
    let mut redeemed = BTreeSet::new();
    for task in tasks {
        assert!(
            redeemed.insert(task.await.unwrap()),
            "a token was redeemed twice"
        );
    }
    let last = instances[1].credential(NAME).await.unwrap().unwrap();
    assert_eq!(last.version, 1 + ROTATIONS as i64);
    assert!(
        !redeemed.contains(&last.sealed),
        "the newest successor is unredeemed and kept"
    );
}
