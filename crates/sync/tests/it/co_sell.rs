//! Co-sell with Microsoft as the Referrals API defines it: a deal that asks
//! Microsoft for help becomes an engagement (the partner's Shared referral
//! and the referral addressed to Microsoft), and Microsoft's answer, played
//! through the emulator's control API, reaches the opportunity.

use emulator::partner_center::{MicrosoftAnswer, MicrosoftSeller};
use serde_json::{json, Value};

use crate::world::World;

/// The referrals of the deal's engagement: (the partner's own, Microsoft's).
pub(crate) fn engagement(world: &World, opportunity: &str) -> (Value, Value) {
    let own = world.referral_for(opportunity);
    let members: Vec<Value> = world
        .pc
        .referrals()
        .into_iter()
        .filter(|r| r["engagementId"] == own["engagementId"])
        .collect();
    assert_eq!(members.len(), 2, "{members:#?}");
    let microsoft = members
        .into_iter()
        .find(|r| r["target"] == json!([{ "type": "BusinessProfileLocation", "id": "msft" }]))
        .expect("a referral addressed to Microsoft");
    (own, microsoft)
}

fn audit(world: &World, opportunity: &str) -> String {
    world.opp(opportunity)["Audit__c"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn a_co_sell_deal_becomes_an_engagement_and_microsofts_acceptance_reaches_the_opportunity() {
    let world = World::new().await;
    let opp = world.co_sell_opportunity("Fabrikam Rollout");
    let report = world.pass().await;
    assert_eq!(
        report.summary.partner_center.created, 1,
        "{:#?}",
        report.outcomes
    );

    let (own, microsoft) = engagement(&world, &opp);
    assert_eq!(own["type"], "Shared");
    assert_eq!(own["status"], "Active");
    assert_eq!(microsoft["type"], "Shared");
    assert_eq!(microsoft["status"], "New", "waiting for Microsoft");
    assert_eq!(
        microsoft["inviteContext"]["assistanceRequestCode"],
        "ProofOfConceptOrDemo"
    );
    assert!(microsoft["externalReferenceId"].is_null());
    assert!(audit(&world, &opp).contains("Microsoft was asked to co-sell"));
    assert!(world
        .audit_kinds()
        .await
        .contains(&"microsoft_engaged".to_owned()));
    let stage = world.opp(&opp)["StageName"].clone();

    world
        .pc
        .microsoft_answer(
            microsoft["id"].as_str().unwrap(),
            MicrosoftAnswer::Accept {
                msx_id: "7-3K9QZ1".into(),
                seller: Some(MicrosoftSeller {
                    first_name: "Mia".into(),
                    last_name: "Lind".into(),
                    email: "mia@microsoft.example".into(),
                }),
            },
        )
        .unwrap();
    world.pass().await;
    let o = world.opp(&opp);
    assert_eq!(o["Microsoft_CRM_Identifier__c"], "7-3K9QZ1");
    assert_eq!(
        o["StageName"], stage,
        "Microsoft's answer does not move the stage"
    );
    let text = audit(&world, &opp);
    assert!(
        text.contains("Microsoft accepted the co-sell request (Microsoft CRM id 7-3K9QZ1, Microsoft seller Mia Lind <mia@microsoft.example>)"),
        "{text}"
    );

    // Said once: later passes add nothing and create nothing.
    let again = world.pass().await;
    assert_eq!(audit(&world, &opp), text);
    assert_eq!(again.summary.partner_center.created, 0);
    assert_eq!(world.pc.referrals().len(), 2);
}

#[tokio::test]
async fn a_microsoft_sellers_decline_reaches_the_opportunity_and_the_deal_stays_open() {
    let world = World::new().await;
    let opp = world.co_sell_opportunity("Tailspin Analytics");
    world.pass().await;
    let (own, microsoft) = engagement(&world, &opp);
    let stage = world.opp(&opp)["StageName"].clone();

    world
        .pc
        .microsoft_answer(
            microsoft["id"].as_str().unwrap(),
            MicrosoftAnswer::Decline {
                reason: "Customer is covered by another partner".into(),
            },
        )
        .unwrap();
    // Only the Microsoft side changed: the pass follows it to the deal.
    world.pass().await;
    let o = world.opp(&opp);
    assert_eq!(o["StageName"], stage);
    assert_eq!(o["IsClosed"], false);
    let text = audit(&world, &opp);
    assert!(
        text.contains("Microsoft declined the co-sell request: Customer is covered by another partner; the deal stays open with you"),
        "{text}"
    );
    assert!(!world.opp(&opp)["Name"].as_str().unwrap().starts_with('✖'));
    assert_eq!(
        world.referral(own["id"].as_str().unwrap())["status"],
        "Active"
    );
    assert_eq!(
        world.opportunities().len(),
        1,
        "Microsoft's referral is no deal of its own"
    );
}

#[tokio::test]
async fn a_deal_without_a_help_request_opens_no_engagement() {
    let world = World::new().await;
    let account = world.account("Private Co", Some("US"));
    let opp = world.opportunity("Private deal", &account, json!({}));
    world.pass().await;
    let own = world.referral_for(&opp);
    assert_eq!(own["type"], "Independent");
    assert_eq!(world.pc.referrals().len(), 1);
}

#[tokio::test]
async fn a_crash_after_creating_the_deals_referral_still_asks_microsoft_once() {
    let world = World::new().await;
    let opp = world.co_sell_opportunity("Crash Before Asking");
    // The first attempt recorded its intent and created the deal's own
    // Shared referral, then died before asking Microsoft or recording it.
    let deal = sync::Deal {
        name: "Crash Before Asking".into(),
        customer: sync::deal::Customer {
            name: "Crash Inc".into(),
            country: Some("US".into()),
            ..Default::default()
        },
        contacts: vec![sync::deal::Contact {
            last_name: "Smith".into(),
            email: Some("sue@crash.example".into()),
            ..Default::default()
        }],
        close_date: chrono::NaiveDate::from_ymd_opt(2030, 6, 30),
        help: Some(sync::deal::HelpOption::ProofOfConceptOrDemo),
        visible_to_microsoft: true,
        solutions: ["SOL-15974-MQF".to_owned()].into(),
        ..Default::default()
    };
    world.interrupted_share(&opp, &deal).await;

    let report = world.pass().await;
    assert_eq!(report.summary.failed, 0, "{:#?}", report.outcomes);
    let (own, microsoft) = engagement(&world, &opp);
    assert_eq!(world.opp(&opp)["Referral_Identifier__c"], own["id"]);
    assert_eq!(microsoft["status"], "New");
    world.pass().await;
    assert_eq!(
        world.pc.referrals().len(),
        2,
        "asked once, one referral of the deal"
    );
}

#[tokio::test]
async fn a_deal_shared_without_help_becomes_the_engagement_when_the_seller_asks_microsoft_later() {
    let world = World::new().await;
    let opp = world.co_sell_opportunity("Help Later");
    world.edit(
        "Opportunity",
        &opp,
        json!({ "How_can_Microsoft_help__c": null }),
    );
    world.pass().await;
    let first = world.referral_for(&opp);
    assert_eq!(first["type"], "Independent");
    assert_eq!(world.pc.referrals().len(), 1);

    world.edit(
        "Opportunity",
        &opp,
        json!({ "How_can_Microsoft_help__c": "Customer technical architecture" }),
    );
    let report = world.pass().await;
    assert_eq!(report.summary.failed, 0, "{:#?}", report.outcomes);
    let (own, microsoft) = engagement(&world, &opp);
    assert_eq!(
        own["id"], first["id"],
        "the same referral, not a second one"
    );
    assert_eq!(own["type"], "Shared");
    assert_eq!(
        own["inviteContext"]["assistanceRequestCode"],
        "CustomerTechnicalArchitecture"
    );
    assert_eq!(microsoft["status"], "New", "waiting for Microsoft");
    assert_eq!(
        microsoft["inviteContext"]["assistanceRequestCode"],
        "CustomerTechnicalArchitecture"
    );
    assert_eq!(world.pc.referrals().len(), 2);
    assert!(audit(&world, &opp).contains("Microsoft was asked to co-sell"));

    // Asked once: the following passes write nothing.
    let writes = world.writes();
    world.pass().await;
    world.pass().await;
    assert_eq!(world.writes(), writes);
    assert_eq!(world.pc.referrals().len(), 2);
}
