//! Audit history: newest first, per pair and across pairs.

use chrono::Duration;
use serde_json::json;
use store::{AuditEntry, AuditLevel};
use uuid::Uuid;

use crate::common::TestDb;

fn entry(pair: Option<Uuid>, kind: &str, at: chrono::DateTime<chrono::Utc>) -> AuditEntry {
    let mut e = AuditEntry::new(
        pair,
        AuditLevel::Info,
        kind,
        format!("{kind} happened"),
        json!({"kind": kind}),
    );
    e.at = at;
    e
}

async fn audit_newest_first(db: &TestDb) {
    let store = db.store();
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    let t0 = store::utc_now() - Duration::minutes(10);
    let first = entry(Some(a), "referral_created", t0);
    let mut conflict = entry(Some(a), "conflict", t0 + Duration::minutes(2));
    conflict.level = AuditLevel::Warning;
    let other = entry(Some(b), "opportunity_created", t0 + Duration::minutes(1));
    // Same instant as `conflict`, appended later: shown before it.
    let tie = entry(Some(a), "validation_failed", t0 + Duration::minutes(2));
    let global = entry(None, "poll_failed", t0 + Duration::minutes(3));

    store
        .append_audit(&[first.clone(), conflict.clone()])
        .await
        .unwrap();
    store
        .append_audit(&[other.clone(), tie.clone(), global.clone()])
        .await
        .unwrap();
    // Re-appending an entry (a replayed job) does not duplicate it.
    store
        .append_audit(std::slice::from_ref(&first))
        .await
        .unwrap();
    store.append_audit(&[]).await.unwrap();

    assert_eq!(
        store.audit_for_pair(a, 10).await.unwrap(),
        vec![tie.clone(), conflict.clone(), first.clone()]
    );
    assert_eq!(
        store.audit_for_pair(a, 2).await.unwrap(),
        vec![tie.clone(), conflict.clone()]
    );
    assert_eq!(
        store.audit_for_pair(b, 10).await.unwrap(),
        vec![other.clone()]
    );
    assert_eq!(
        store.audit_for_pair(Uuid::now_v7(), 10).await.unwrap(),
        vec![]
    );
    assert_eq!(
        store.recent_audit(10).await.unwrap(),
        vec![global.clone(), tie.clone(), conflict, other, first]
    );
    assert_eq!(store.recent_audit(1).await.unwrap(), vec![global]);
}

both_backends!(audit_newest_first);
