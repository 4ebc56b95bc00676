//! `cosell run` and the change feed: an edit made only on a
//! record related to a synced opportunity reaches Partner Center through
//! the poller, a referral Partner Center returns malformed becomes a dead
//! letter while the reconcile poll goes on, and what an incoming deal costs
//! Partner Center. The cost figure is printed for
//! docs/PERFORMANCE.md:
//!
//! ```text
//! cargo nextest run -p cosell -E 'test(an_incoming_deal_costs)' --no-capture
//! ```

use serde_json::{json, Value};
use sync::feed::Position;

use crate::service_support::{eventually, spawn_app, spawn_app_with, AppOptions, TestApp};

/// A co-sell deal created in Salesforce and synced by the service.
async fn synced(app: &TestApp, name: &str) -> (emulator::sellers::CoSellOpportunity, String) {
    let created = emulator::sellers::co_sell_opportunity(&app.sf, name, "US").unwrap();
    let referral = eventually("the referral", || async {
        let found = app.referrals_for(&created.opportunity);
        found
            .first()
            .and_then(|r| r["id"].as_str().map(str::to_owned))
    })
    .await;
    (created, referral)
}

async fn reaches(app: &TestApp, referral: &str, what: &str, check: impl Fn(&Value) -> bool) {
    eventually(what, || async {
        check(&app.referral(referral)).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn related_record_edits_alone_reach_partner_center_while_the_service_runs() {
    let app = spawn_app().await;
    let (deal, referral) = synced(&app, "Related Run").await;
    app.settled(&["Opportunity"]).await;

    app.sf
        .update(
            "Account",
            &deal.account,
            json!({ "Name": "Moved Holdings", "BillingCity": "Toronto", "BillingCountry": "CA" }),
        )
        .unwrap();
    reaches(&app, &referral, "the account's new name and address", |r| {
        let c = &r["customerProfile"];
        c["name"] == "Moved Holdings"
            && c["address"]["city"] == "Toronto"
            && c["address"]["country"] == "CA"
    })
    .await;

    app.sf
        .update(
            "Contact",
            &deal.contact,
            json!({ "Email": "sue.moved@example.com" }),
        )
        .unwrap();
    reaches(&app, &referral, "the contact's new email", |r| {
        r["customerProfile"]["team"][0]["email"] == "sue.moved@example.com"
    })
    .await;

    let extra = app
        .sf
        .insert(
            "Microsoft_Solution__c",
            json!({ "Name": "SOL-2", "Opportunity__c": deal.opportunity, "Solution_Id__c": "SOL-2" }),
        )
        .unwrap();
    reaches(&app, &referral, "a second solution", |r| {
        r["details"]["requirements"]["solutions"]
            .as_array()
            .is_some_and(|s| s.len() == 2)
    })
    .await;
    app.sf.delete(&extra).unwrap();
    reaches(&app, &referral, "the solution removed", |r| {
        r["details"]["requirements"]["solutions"]
            .as_array()
            .is_some_and(|s| s.len() == 1)
    })
    .await;

    let note = app
        .sf
        .insert(
            "Note",
            json!({ "ParentId": deal.opportunity, "Title": sync::opportunity_map::NOTE_TITLE, "Body": "Ring Tuesday" }),
        )
        .unwrap();
    reaches(&app, &referral, "the note", |r| {
        r["details"]["notes"] == "Ring Tuesday"
    })
    .await;
    app.sf.delete(&note).unwrap();
    reaches(&app, &referral, "the note removed", |r| {
        r["details"]["notes"].as_str().is_none_or(str::is_empty)
    })
    .await;

    let second = app.sf.insert(
        "Contact",
        json!({ "FirstName": "Jo", "LastName": "Jones", "Email": "jo@example.com", "AccountId": deal.account }),
    ).unwrap();
    let role = app
        .sf
        .insert(
            "OpportunityContactRole",
            json!({ "OpportunityId": deal.opportunity, "ContactId": second }),
        )
        .unwrap();
    reaches(&app, &referral, "a second team member", |r| {
        r["customerProfile"]["team"]
            .as_array()
            .is_some_and(|t| t.len() == 2)
    })
    .await;
    app.sf.delete(&role).unwrap();
    reaches(&app, &referral, "the removed contact role", |r| {
        r["customerProfile"]["team"]
            .as_array()
            .is_some_and(|t| t.len() == 1)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incoming_deal_costs_partner_center_its_reads_and_one_link_back() {
    const DEALS: usize = 10;
    let app = spawn_app().await;
    app.pc.control().reset();
    let referrals: Vec<String> = (0..DEALS)
        .map(|n| app.share_referral(&format!("Incoming {n}")))
        .collect();
    eventually("every deal linked back", || async {
        referrals
            .iter()
            .all(|id| app.referral(id)["externalReferenceId"].is_string())
            .then_some(())
    })
    .await;
    app.settled(&["Opportunity"]).await;
    let calls = app.pc.control().calls();
    let per_deal = |prefix: &str| {
        calls
            .by_route
            .iter()
            .filter(|(route, _)| route.starts_with(prefix) && route.contains("/referrals/"))
            .map(|(_, n)| *n)
            .sum::<u64>() as f64
            / DEALS as f64
    };
    let (reads, writes) = (per_deal("GET"), per_deal("PATCH"));
    eprintln!(
        "Partner Center calls per incoming deal in `cosell run`: {reads:.2} reads, {writes:.2} writes ({:?})",
        calls.by_route
    );
    // The re-read only: the webhook of the link-back PATCH carries the
    // stamp cosell recorded after its write, and the poller's listing the
    // eTag, so cosell's own echoes cost nothing.
    assert_eq!(reads, 1.0, "reads per deal: {:?}", calls.by_route);
    assert_eq!(writes, 1.0, "one link-back per deal: {:?}", calls.by_route);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_referral_is_a_dead_letter_and_the_reconcile_poll_goes_on() {
    let app = spawn_app_with(AppOptions {
        partner_center_reconcile_seconds: 1,
        ..AppOptions::default()
    })
    .await;
    let bad = app.share_referral("Broken Team");
    app.pc
        .microsoft_update(
            &bad,
            json!([{ "op": "add", "path": "/customerProfile/team/-", "value": null }]),
        )
        .unwrap();
    let good = app.share_referral("Fine Deal");
    eventually("the good referral's opportunity", || async {
        (app.opportunities_for(&good).len() == 1).then_some(())
    })
    .await;
    let dead = eventually("the malformed referral as a dead letter", || async {
        let dead = app.store.dead_jobs(0).await.ok()?;
        dead.into_iter()
            .find(|j| j.dedup_key == format!("referral:{bad}"))
    })
    .await;
    let reason = dead.last_error.unwrap_or_default();
    assert!(reason.contains(&bad), "the dead letter says why: {reason}");
    let changed = chrono::DateTime::parse_from_rfc3339(
        app.referral(&good)["updatedDateTime"].as_str().unwrap(),
    )
    .unwrap();
    eventually("the reconcile cursor past both referrals", || async {
        let cursor = app
            .store
            .cursor(sync::engine::PARTNER_CENTER_CURSOR)
            .await
            .ok()??;
        (Position::decode(&cursor)?.at >= changed).then_some(())
    })
    .await;
}
