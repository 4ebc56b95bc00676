//! Cloud links: saved over the version read, looked up by each id,
//! conflicts within a cloud, coexistence with pairs, search, counts.

use chrono::{Duration, SubsecRound, Utc};
use serde_json::json;
use store::{Cloud, CloudLink, Pair, PairQuery, PairState, StoreError};

use crate::common::{assert_conflict, TestDb};

const OPP_18: &str = "0065g00000AbCdEAAZ";
const OPP_15: &str = "0065g00000AbCdE";

/// An AWS link with these ids.
fn link(
    name: &str,
    opportunity: Option<&str>,
    remote: Option<&str>,
    invitation: Option<&str>,
) -> CloudLink {
    let mut link = CloudLink::new(Cloud::Aws, name);
    link.opportunity_id = opportunity.map(str::to_owned);
    link.remote_id = remote.map(str::to_owned);
    link.invitation_id = invitation.map(str::to_owned);
    link
}

async fn a_link_reads_back_by_each_id(db: &TestDb) {
    let store = db.store();
    let mut l = link(
        "Contoso on AWS",
        Some(OPP_18),
        Some("O1234567"),
        Some("arn:inv-1"),
    );
    // Nanosecond input: the store keeps microseconds.
    let raw_now = Utc::now();
    l.created_at = raw_now;
    l.updated_at = raw_now;
    l.last_synced_at = Some(raw_now - Duration::minutes(5));
    l.client_token = Some("token-1".into());
    l.review_status = Some("Submitted".into());
    l.remote_version = Some("2026-12-01T10:00:00Z".into());
    l.snapshot = Some(json!({"zeta": 1, "alpha": [1, 2], "name": "Contoso"}));
    assert!(store.save_link_over(&l, None).await.unwrap());

    let mut expected = l.clone();
    expected.created_at = raw_now.trunc_subsecs(6);
    expected.updated_at = raw_now.trunc_subsecs(6);
    expected.last_synced_at = l.last_synced_at.map(|t| t.trunc_subsecs(6));
    let expected = Some(expected);
    assert_eq!(store.link(l.id).await.unwrap(), expected);
    assert_eq!(
        store.link_by_opportunity(Cloud::Aws, OPP_18).await.unwrap(),
        expected
    );
    assert_eq!(
        store.link_by_opportunity(Cloud::Aws, OPP_15).await.unwrap(),
        expected,
        "the 15-character id names the same opportunity"
    );
    assert_eq!(
        store.link_by_remote(Cloud::Aws, "O1234567").await.unwrap(),
        expected
    );
    assert_eq!(
        store
            .link_by_invitation(Cloud::Aws, "arn:inv-1")
            .await
            .unwrap(),
        expected
    );
    // Key order of the snapshot survives.
    let read = store.link(l.id).await.unwrap().unwrap();
    let keys: Vec<_> = read
        .snapshot
        .unwrap()
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(keys, ["zeta", "alpha", "name"]);

    // Unknown ids find nothing.
    assert_eq!(store.link(uuid::Uuid::now_v7()).await.unwrap(), None);
    assert_eq!(
        store.link_by_remote(Cloud::Aws, "O404").await.unwrap(),
        None
    );
    assert_eq!(
        store
            .link_by_invitation(Cloud::Aws, "O1234567")
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .link_by_opportunity(Cloud::Aws, "0065g00000ZzZzZ")
            .await
            .unwrap(),
        None
    );
}

async fn a_link_is_saved_only_over_the_version_it_was_read_at(db: &TestDb) {
    let store = db.store();
    let mut first = link("Contoso", Some(OPP_15), None, None);
    first.client_token = Some("token-1".into());
    assert!(store.save_link_over(&first, None).await.unwrap());
    let mut again = first.clone();
    again.name = "Contoso again".into();
    assert!(
        !store.save_link_over(&again, None).await.unwrap(),
        "a new link is saved once"
    );
    let read = store.link(first.id).await.unwrap().unwrap();
    assert_eq!(read.name, "Contoso");

    // Two writers read the same version; the first to save wins.
    first.remote_id = Some("O1".into());
    first.updated_at = read.updated_at + Duration::seconds(1);
    assert!(store
        .save_link_over(&first, Some(read.updated_at))
        .await
        .unwrap());
    let mut stale = read.clone();
    stale.name = "Contoso B".into();
    stale.remote_id = Some("O2".into());
    stale.updated_at = read.updated_at + Duration::seconds(2);
    assert!(!store
        .save_link_over(&stale, Some(read.updated_at))
        .await
        .unwrap());
    let stored = store.link(first.id).await.unwrap().unwrap();
    assert_eq!(stored, first);
    assert_eq!(store.link_by_remote(Cloud::Aws, "O2").await.unwrap(), None);
    // The winner's version is the one to save over next.
    stale.updated_at = stored.updated_at + Duration::seconds(1);
    assert!(store
        .save_link_over(&stale, Some(stored.updated_at))
        .await
        .unwrap());
    assert_eq!(
        store.link(first.id).await.unwrap().unwrap().name,
        "Contoso B"
    );
}

async fn an_id_of_another_link_of_the_cloud_is_a_conflict(db: &TestDb) {
    let store = db.store();
    let first = link("First", Some(OPP_18), Some("O1"), Some("inv-1"));
    assert!(store.save_link_over(&first, None).await.unwrap());

    let err = store
        .save_link_over(&link("Second", None, Some("O1"), None), None)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Conflict(m) if m.contains("O1")),
        "{err:?}"
    );
    let taken = [
        link("Third", Some(OPP_18), None, None),
        // The 15-character form names the same record.
        link("Fourth", Some(OPP_15), None, None),
        link("Fifth", None, None, Some("inv-1")),
    ];
    for other in &taken {
        assert_conflict(store.save_link_over(other, None).await);
    }
    // Taking an id by updating another link conflicts too.
    let mut moved = link("Sixth", None, None, None);
    assert!(store.save_link_over(&moved, None).await.unwrap());
    let read_at = moved.updated_at;
    moved.invitation_id = Some("inv-1".into());
    moved.updated_at = read_at + Duration::seconds(1);
    assert_conflict(store.save_link_over(&moved, Some(read_at)).await);
    // Nothing was written by the failed saves.
    let all = store
        .find_links(Cloud::Aws, &PairQuery::default())
        .await
        .unwrap();
    assert_eq!(
        all.iter().map(|l| l.name.as_str()).collect::<Vec<_>>(),
        ["Sixth", "First"]
    );
    assert_eq!(
        store.link(moved.id).await.unwrap().unwrap().invitation_id,
        None
    );
    // Links without ids never conflict.
    for name in ["No ids A", "No ids B"] {
        assert!(store
            .save_link_over(&link(name, None, None, None), None)
            .await
            .unwrap());
    }
}

async fn a_pair_and_a_link_share_an_opportunity(db: &TestDb) {
    let store = db.store();
    let mut pair = Pair::new("Co-sold with both clouds");
    pair.opportunity_id = Some(OPP_18.into());
    store.save_pair(&pair).await.unwrap();
    let l = link("Co-sold with both clouds", Some(OPP_18), Some("O1"), None);
    assert!(store.save_link_over(&l, None).await.unwrap());

    assert_eq!(
        store
            .pair_by_opportunity(OPP_18)
            .await
            .unwrap()
            .map(|p| p.id),
        Some(pair.id)
    );
    assert_eq!(
        store
            .link_by_opportunity(Cloud::Aws, OPP_18)
            .await
            .unwrap()
            .map(|l| l.id),
        Some(l.id)
    );
    // Each kind keeps to its own listings.
    assert_eq!(
        store.find_pairs(&PairQuery::default()).await.unwrap().len(),
        1
    );
    assert_eq!(store.pair(l.id).await.unwrap(), None);
    assert_eq!(store.link(pair.id).await.unwrap(), None);
}

async fn find_links_searches_and_orders(db: &TestDb) {
    let store = db.store();
    let base = store::utc_now();
    let mut a = link("Contoso Müller Rollout", Some(OPP_18), Some("O100"), None);
    a.updated_at = base - Duration::minutes(3);
    let mut b = link("Fabrikam 100% cloud", None, None, Some("inv-b"));
    b.updated_at = base - Duration::minutes(2);
    b.state = PairState::OnHold;
    let mut c = link("contoso expansion", None, Some("O300"), None);
    c.updated_at = base - Duration::minutes(1);
    c.state = PairState::Closed;
    for l in [&a, &b, &c] {
        assert!(store.save_link_over(l, None).await.unwrap());
    }
    let find = |text: Option<&str>, state: Option<PairState>| {
        let store = store.clone();
        let query = PairQuery {
            text: text.map(str::to_owned),
            state,
            ..PairQuery::default()
        };
        async move {
            store
                .find_links(Cloud::Aws, &query)
                .await
                .unwrap()
                .into_iter()
                .map(|l| l.name)
                .collect::<Vec<_>>()
        }
    };

    // Most recently updated first.
    assert_eq!(
        find(None, None).await,
        [
            "contoso expansion",
            "Fabrikam 100% cloud",
            "Contoso Müller Rollout"
        ]
    );
    // Case-insensitive substring, Unicode included; wildcards are text.
    assert_eq!(
        find(Some("CONTOSO"), None).await,
        ["contoso expansion", "Contoso Müller Rollout"]
    );
    assert_eq!(find(Some("MÜLLER"), None).await, ["Contoso Müller Rollout"]);
    assert_eq!(find(Some("0%"), None).await, ["Fabrikam 100% cloud"]);
    assert!(find(Some("_"), None).await.is_empty());
    // Exact ids of each kind.
    assert_eq!(find(Some("O300"), None).await, ["contoso expansion"]);
    assert!(find(Some("O30"), None).await.is_empty());
    assert_eq!(find(Some("inv-b"), None).await, ["Fabrikam 100% cloud"]);
    assert_eq!(find(Some(OPP_15), None).await, ["Contoso Müller Rollout"]);
    assert_eq!(find(Some(OPP_18), None).await, ["Contoso Müller Rollout"]);
    // State filter, alone and with text.
    assert_eq!(
        find(None, Some(PairState::OnHold)).await,
        ["Fabrikam 100% cloud"]
    );
    assert!(find(Some("contoso"), Some(PairState::OnHold))
        .await
        .is_empty());
    // Paging.
    let page = PairQuery {
        limit: 1,
        offset: 1,
        ..PairQuery::default()
    };
    let paged = store.find_links(Cloud::Aws, &page).await.unwrap();
    assert_eq!(
        paged.iter().map(|l| l.name.as_str()).collect::<Vec<_>>(),
        ["Fabrikam 100% cloud"]
    );
}

async fn link_counts_cover_every_state(db: &TestDb) {
    let store = db.store();
    let counts = store.link_counts(Cloud::Aws).await.unwrap();
    assert_eq!(counts.len(), PairState::ALL.len());
    assert!(counts.values().all(|n| *n == 0));
    for (i, state) in [PairState::Synced, PairState::Synced, PairState::Failed]
        .into_iter()
        .enumerate()
    {
        let mut l = link(&format!("l{i}"), None, None, None);
        l.state = state;
        assert!(store.save_link_over(&l, None).await.unwrap());
    }
    // Pairs are not links.
    let mut pair = Pair::new("a pair");
    pair.state = PairState::Closed;
    store.save_pair(&pair).await.unwrap();

    let counts = store.link_counts(Cloud::Aws).await.unwrap();
    assert_eq!(counts[&PairState::Synced], 2);
    assert_eq!(counts[&PairState::Failed], 1);
    assert_eq!(counts[&PairState::OnHold], 0);
    assert_eq!(counts[&PairState::Closed], 0);
}

both_backends!(
    a_link_reads_back_by_each_id,
    a_link_is_saved_only_over_the_version_it_was_read_at,
    an_id_of_another_link_of_the_cloud_is_a_conflict,
    a_pair_and_a_link_share_an_opportunity,
    find_links_searches_and_orders,
    link_counts_cover_every_state,
);
