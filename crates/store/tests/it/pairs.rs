//! Pairs: save/replace, lookups by either id, conflicts, search, counts.

use chrono::{Duration, SubsecRound, Utc};
use serde_json::json;
use store::{LastSyncTimes, Pair, PairQuery, PairState, StoreError};

use crate::common::{assert_conflict, TestDb};

const OPP_18: &str = "0065g00000AbCdEAAZ";
const OPP_15: &str = "0065g00000AbCdE";

fn pair(name: &str, referral: Option<&str>, opportunity: Option<&str>) -> Pair {
    let mut pair = Pair::new(name);
    pair.referral_id = referral.map(str::to_owned);
    pair.opportunity_id = opportunity.map(str::to_owned);
    pair
}

async fn pair_crud_round_trips(db: &TestDb) {
    let store = db.store();
    let mut p = pair("Contoso rollout", Some("ref-1"), Some(OPP_18));
    // Nanosecond input: the store keeps microseconds.
    let raw_now = Utc::now();
    p.created_at = raw_now;
    p.updated_at = raw_now;
    p.last_pc_to_sf_at = Some(raw_now - Duration::minutes(5));
    p.snapshot = Some(json!({"zeta": 1, "alpha": {"nested": [1, 2, 3]}, "name": "Contoso"}));
    p.referral_version = Some("etag-1".into());
    p.opportunity_version = Some("2024-05-01T00:00:00.000+0000".into());
    store.save_pair(&p).await.unwrap();

    let read = store.pair(p.id).await.unwrap().expect("saved pair");
    let mut expected = p.clone();
    expected.created_at = raw_now.trunc_subsecs(6);
    expected.updated_at = raw_now.trunc_subsecs(6);
    expected.last_pc_to_sf_at = p.last_pc_to_sf_at.map(|t| t.trunc_subsecs(6));
    assert_eq!(read, expected);
    // Key order of the snapshot survives.
    let keys: Vec<_> = read
        .snapshot
        .as_ref()
        .unwrap()
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(keys, ["zeta", "alpha", "name"]);

    // Replace by id.
    let mut updated = read.clone();
    updated.name = "Contoso rollout v2".into();
    updated.state = PairState::Failed;
    updated.last_error = Some("Close date is in the past: set a future date".into());
    updated.snapshot = None;
    updated.updated_at = store::utc_now();
    store.save_pair(&updated).await.unwrap();
    assert_eq!(store.pair(p.id).await.unwrap(), Some(updated.clone()));
    assert_eq!(
        store.pair_by_referral("ref-1").await.unwrap(),
        Some(updated.clone())
    );
    assert_eq!(store.pair_by_referral("ref-404").await.unwrap(), None);
    assert_eq!(store.pair(uuid::Uuid::now_v7()).await.unwrap(), None);

    // Ids can be attached later and moved.
    let mut later = pair("No ids yet", None, None);
    store.save_pair(&later).await.unwrap();
    later.referral_id = Some("ref-2".into());
    store.save_pair(&later).await.unwrap();
    assert_eq!(
        store.pair_by_referral("ref-2").await.unwrap().map(|p| p.id),
        Some(later.id)
    );
}

async fn duplicate_ids_conflict(db: &TestDb) {
    let store = db.store();
    let first = pair("First", Some("ref-1"), Some(OPP_18));
    store.save_pair(&first).await.unwrap();

    let err = store
        .save_pair(&pair("Second", Some("ref-1"), None))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Conflict(m) if m.contains("ref-1")),
        "{err:?}"
    );
    assert_conflict(store.save_pair(&pair("Third", None, Some(OPP_18))).await);
    // The 15-character form names the same record.
    assert_conflict(store.save_pair(&pair("Fourth", None, Some(OPP_15))).await);
    // Nothing was written by the failed saves.
    assert_eq!(
        store.find_pairs(&PairQuery::default()).await.unwrap().len(),
        1
    );
    // Pairs without ids never conflict.
    store
        .save_pair(&pair("No ids A", None, None))
        .await
        .unwrap();
    store
        .save_pair(&pair("No ids B", None, None))
        .await
        .unwrap();
}

async fn opportunity_lookup_accepts_15_and_18(db: &TestDb) {
    let store = db.store();
    let p = pair("Lookup", None, Some(OPP_18));
    store.save_pair(&p).await.unwrap();
    assert_eq!(
        store
            .pair_by_opportunity(OPP_18)
            .await
            .unwrap()
            .map(|p| p.id),
        Some(p.id)
    );
    assert_eq!(
        store
            .pair_by_opportunity(OPP_15)
            .await
            .unwrap()
            .map(|p| p.id),
        Some(p.id)
    );
    // 15-character ids are case-sensitive: a different case is another record.
    assert_eq!(
        store
            .pair_by_opportunity(&OPP_15.to_lowercase())
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store.pair_by_opportunity("0065g00000ZZZZZ").await.unwrap(),
        None
    );

    // A pair saved with the 15-character id is found by the 18-character one.
    let short = pair("Short", None, Some("0065g00000XyZaB"));
    store.save_pair(&short).await.unwrap();
    assert_eq!(
        store
            .pair_by_opportunity("0065g00000XyZaBAAQ")
            .await
            .unwrap()
            .map(|p| p.id),
        Some(short.id)
    );
}

async fn find_pairs_searches_and_orders(db: &TestDb) {
    let store = db.store();
    let base = store::utc_now();
    let mut a = pair("Contoso Müller Rollout", Some("ref-a"), Some(OPP_18));
    a.updated_at = base - Duration::minutes(3);
    let mut b = pair("Fabrikam 100% cloud", Some("ref-b"), None);
    b.updated_at = base - Duration::minutes(2);
    b.state = PairState::OnHold;
    let mut c = pair("contoso expansion", Some("ref-c"), None);
    c.updated_at = base - Duration::minutes(1);
    c.state = PairState::Closed;
    for p in [&a, &b, &c] {
        store.save_pair(p).await.unwrap();
    }
    let ids = |pairs: Vec<Pair>| pairs.into_iter().map(|p| p.name).collect::<Vec<_>>();
    let query = |text: Option<&str>, state: Option<PairState>| PairQuery {
        text: text.map(str::to_owned),
        state,
        ..PairQuery::default()
    };

    // Most recently updated first; limit 0 means no limit.
    assert_eq!(
        ids(store.find_pairs(&query(None, None)).await.unwrap()),
        [
            "contoso expansion",
            "Fabrikam 100% cloud",
            "Contoso Müller Rollout"
        ]
    );
    // Case-insensitive substring, Unicode included.
    assert_eq!(
        ids(store
            .find_pairs(&query(Some("CONTOSO"), None))
            .await
            .unwrap()),
        ["contoso expansion", "Contoso Müller Rollout"]
    );
    assert_eq!(
        ids(store
            .find_pairs(&query(Some("MÜLLER"), None))
            .await
            .unwrap()),
        ["Contoso Müller Rollout"]
    );
    // Wildcards are literal text.
    assert_eq!(
        ids(store.find_pairs(&query(Some("0%"), None)).await.unwrap()),
        ["Fabrikam 100% cloud"]
    );
    assert!(store
        .find_pairs(&query(Some("_"), None))
        .await
        .unwrap()
        .is_empty());
    // Exact ids.
    assert_eq!(
        ids(store.find_pairs(&query(Some("ref-b"), None)).await.unwrap()),
        ["Fabrikam 100% cloud"]
    );
    assert!(store
        .find_pairs(&query(Some("ref-"), None))
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        ids(store.find_pairs(&query(Some(OPP_15), None)).await.unwrap()),
        ["Contoso Müller Rollout"]
    );
    assert_eq!(
        ids(store.find_pairs(&query(Some(OPP_18), None)).await.unwrap()),
        ["Contoso Müller Rollout"]
    );
    // State filter, alone and with text.
    assert_eq!(
        ids(store
            .find_pairs(&query(None, Some(PairState::OnHold)))
            .await
            .unwrap()),
        ["Fabrikam 100% cloud"]
    );
    assert!(store
        .find_pairs(&query(Some("contoso"), Some(PairState::OnHold)))
        .await
        .unwrap()
        .is_empty());
    // Paging.
    let page = PairQuery {
        limit: 1,
        offset: 1,
        ..PairQuery::default()
    };
    assert_eq!(
        ids(store.find_pairs(&page).await.unwrap()),
        ["Fabrikam 100% cloud"]
    );
}

async fn pair_counts_cover_every_state(db: &TestDb) {
    let store = db.store();
    let counts = store.pair_counts().await.unwrap();
    assert_eq!(counts.len(), PairState::ALL.len());
    assert!(counts.values().all(|n| *n == 0));
    for (i, state) in [PairState::Synced, PairState::Synced, PairState::Failed]
        .into_iter()
        .enumerate()
    {
        let mut p = pair(&format!("p{i}"), None, None);
        p.state = state;
        store.save_pair(&p).await.unwrap();
    }
    let counts = store.pair_counts().await.unwrap();
    assert_eq!(counts[&PairState::Synced], 2);
    assert_eq!(counts[&PairState::Failed], 1);
    assert_eq!(counts[&PairState::OnHold], 0);
    assert_eq!(counts[&PairState::Closed], 0);
}

async fn last_sync_times_are_the_newest_per_direction(db: &TestDb) {
    let store = db.store();
    assert_eq!(
        store.last_sync_times().await.unwrap(),
        LastSyncTimes::default()
    );
    let t = |s: i64| store::utc_now() - Duration::seconds(s);
    for (i, (pc_to_sf, sf_to_pc)) in [
        (Some(t(30)), None),
        (Some(t(10)), Some(t(50))),
        (None, Some(t(20))),
    ]
    .into_iter()
    .enumerate()
    {
        let mut p = pair(&format!("s{i}"), None, None);
        p.last_pc_to_sf_at = pc_to_sf;
        p.last_sf_to_pc_at = sf_to_pc;
        store.save_pair(&p).await.unwrap();
    }
    let last = store.last_sync_times().await.unwrap();
    let secs = |d: Option<chrono::DateTime<Utc>>| (store::utc_now() - d.unwrap()).num_seconds();
    assert!((10..12).contains(&secs(last.pc_to_sf)), "{last:?}");
    assert!((20..22).contains(&secs(last.sf_to_pc)), "{last:?}");
}

async fn a_pair_is_saved_only_over_the_version_it_was_read_at(db: &TestDb) {
    let store = db.store();
    let mut first = pair("Contoso", Some("ref-1"), Some(OPP_15));
    assert!(store.save_pair_over(&first, None).await.unwrap());
    assert!(
        !store.save_pair_over(&first, None).await.unwrap(),
        "a new pair is saved once"
    );
    let read = store.pair(first.id).await.unwrap().unwrap();
    // Two writers read the same version; the first to save wins.
    first.name = "Contoso A".into();
    first.updated_at = read.updated_at + Duration::seconds(1);
    assert!(store
        .save_pair_over(&first, Some(read.updated_at))
        .await
        .unwrap());
    let mut stale = read.clone();
    stale.name = "Contoso B".into();
    stale.updated_at = read.updated_at + Duration::seconds(2);
    assert!(!store
        .save_pair_over(&stale, Some(read.updated_at))
        .await
        .unwrap());
    assert_eq!(
        store.pair(first.id).await.unwrap().unwrap().name,
        "Contoso A"
    );
}

async fn a_pair_is_found_by_a_string_in_its_snapshot(db: &TestDb) {
    let store = db.store();
    let mut team = pair("Team deal", Some("ref-t"), Some(OPP_18));
    team.snapshot = Some(
        json!({ "name": "Team deal", "team_rows": ["00q000000000001AAA", "00q000000000002AAA"] }),
    );
    store.save_pair(&team).await.unwrap();
    let mut other = pair("Other deal", Some("ref-o"), None);
    // A longer id holding the first as a prefix, and the id as a name part.
    other.snapshot = Some(
        json!({ "name": "00q000000000001AAA and more", "team_rows": ["00q000000000001AAAX"] }),
    );
    store.save_pair(&other).await.unwrap();
    store
        .save_pair(&pair("No snapshot", None, None))
        .await
        .unwrap();

    let found = store
        .pairs_with_snapshot_string("00q000000000002AAA")
        .await
        .unwrap();
    assert_eq!(
        found.iter().map(|p| p.id).collect::<Vec<_>>(),
        vec![team.id]
    );
    let found = store
        .pairs_with_snapshot_string("00q000000000001AAA")
        .await
        .unwrap();
    assert_eq!(
        found.iter().map(|p| p.id).collect::<Vec<_>>(),
        vec![team.id],
        "only a whole JSON string matches"
    );
    assert!(store
        .pairs_with_snapshot_string("00q000000000009AAA")
        .await
        .unwrap()
        .is_empty());
    // Quotes and percent signs are data, not syntax.
    assert!(store
        .pairs_with_snapshot_string("%\"")
        .await
        .unwrap()
        .is_empty());
}

/// A pair and the history of what was done to it are recorded together or
/// not at all.
async fn a_pair_and_its_history_are_saved_together_or_not_at_all(db: &TestDb) {
    let store = db.store();
    let mut pair = Pair::new("Contoso");
    pair.opportunity_id = Some("0065g00000AbCdEAAA".into());
    let created = store::AuditEntry::new(
        Some(pair.id),
        store::AuditLevel::Info,
        "opportunity_created",
        "Created",
        json!({}),
    );
    assert!(store
        .save_pair_over_with_audit(&pair, None, &[created])
        .await
        .unwrap());
    let stale = pair.updated_at - Duration::seconds(1);
    let mut edited = pair.clone();
    edited.name = "Contoso 2".into();
    edited.updated_at = pair.updated_at + Duration::seconds(1);
    let refused = store::AuditEntry::new(
        Some(pair.id),
        store::AuditLevel::Info,
        "updated",
        "Updated",
        json!({}),
    );
    assert!(!store
        .save_pair_over_with_audit(&edited, Some(stale), &[refused])
        .await
        .unwrap());
    let history = store.audit_for_pair(pair.id, 10).await.unwrap();
    assert_eq!(
        history.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>(),
        ["opportunity_created"],
        "the refused save wrote no history"
    );
    assert_eq!(store.pair(pair.id).await.unwrap().unwrap().name, "Contoso");
}

both_backends!(
    a_pair_and_its_history_are_saved_together_or_not_at_all,
    a_pair_is_saved_only_over_the_version_it_was_read_at,
    a_pair_is_found_by_a_string_in_its_snapshot,
    last_sync_times_are_the_newest_per_direction,
    pair_crud_round_trips,
    duplicate_ids_conflict,
    opportunity_lookup_accepts_15_and_18,
    find_pairs_searches_and_orders,
    pair_counts_cover_every_state,
);
