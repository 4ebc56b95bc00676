//! The AWS Partner Central stories, end to end against the Salesforce and
//! AWS emulators: sharing, validation before sending, AWS's review reaching
//! Salesforce, edits kept while AWS's review locks them, invitations as
//! on-hold opportunities, closing, no duplicate after a crash, and one
//! opportunity co-sold with both clouds.

use aws_partner_central::ClientToken;
use serde_json::{json, Value};
use store::{Cloud, CloudLink};

use super::aws_world::{remote_id, AwsWorld, CATALOG};

#[tokio::test]
async fn a_shared_opportunity_becomes_one_submitted_aws_opportunity() {
    let w = AwsWorld::new().await;
    let id = w.shared_opportunity("Contoso ERP", json!({}));
    w.settle().await;
    let aws = w.aws_opportunities();
    assert_eq!(aws.len(), 1, "one AWS opportunity");
    let remote = remote_id(&w.opp(&id));
    let got = w.aws_opportunity(&remote);
    assert_eq!(got["LifeCycle"]["ReviewStatus"], "Submitted");
    assert_eq!(got["PartnerOpportunityIdentifier"], json!(id));
    assert_eq!(got["Project"]["Title"], "Contoso ERP");
    assert_eq!(got["Customer"]["Account"]["Address"]["CountryCode"], "US");
    assert_eq!(w.opp(&id)["AWS_Review_Status__c"], "Submitted");
    // Further passes change nothing and create nothing.
    w.settle().await;
    assert_eq!(w.aws_opportunities().len(), 1);
    assert!(w.audit().await.iter().any(|(k, _)| k == "aws_shared"));
}

#[tokio::test]
async fn validation_names_each_missing_field_before_anything_is_sent() {
    let w = AwsWorld::new().await;
    let id = w.shared_opportunity(
        "Fabrikam Data",
        json!({"AWS_Industry__c": null, "AWS_Customer_Business_Problem__c": null}),
    );
    let failures = w.drain().await;
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert!(w.aws_opportunities().is_empty(), "nothing reached AWS");
    let feedback = w.opp(&id)["AWS_Feedback__c"].as_str().unwrap().to_owned();
    assert!(feedback.contains("AWS_Industry__c"), "{feedback}");
    assert!(
        feedback.contains("AWS_Customer_Business_Problem__c"),
        "{feedback}"
    );
    // The seller fills them in: it is shared on the next change.
    w.sf()
        .update(
            "Opportunity",
            &id,
            json!({"AWS_Industry__c": "Retail",
               "AWS_Customer_Business_Problem__c": "Move the web shop to AWS before the holidays"}),
        )
        .unwrap();
    w.settle().await;
    assert_eq!(w.aws_opportunities().len(), 1);
}

#[tokio::test]
async fn aws_review_and_feedback_reach_salesforce_and_the_audit() {
    let w = AwsWorld::new().await;
    let id = w.shared_opportunity("Northwind Analytics", json!({}));
    w.drain().await;
    let remote = remote_id(&w.opp(&id));
    w.review(
        &remote,
        "Action Required",
        Some("Add the customer's website"),
    );
    w.settle().await;
    let opp = w.opp(&id);
    assert_eq!(opp["AWS_Review_Status__c"], "Action Required");
    assert!(opp["AWS_Feedback__c"]
        .as_str()
        .unwrap()
        .contains("Add the customer's website"));
    assert!(w
        .audit()
        .await
        .iter()
        .any(|(k, m)| k == "aws_review" && m.contains("Action Required")));
}

#[tokio::test]
async fn an_edit_made_while_aws_reviews_is_kept_and_sent_after_approval() {
    let w = AwsWorld::new().await;
    let id = w.shared_opportunity("Tailspin Cloud", json!({}));
    w.drain().await;
    let remote = remote_id(&w.opp(&id));
    w.sf()
        .update("Opportunity", &id, json!({"CloseDate": "2027-09-30"}))
        .unwrap();
    w.settle().await;
    assert_eq!(
        w.aws_opportunity(&remote)["LifeCycle"]["TargetCloseDate"],
        "2027-06-30",
        "nothing is sent while AWS reviews"
    );
    assert!(w.audit().await.iter().any(|(k, _)| k == "aws_held"));
    w.review(&remote, "Approved", None);
    w.settle().await;
    assert_eq!(
        w.aws_opportunity(&remote)["LifeCycle"]["TargetCloseDate"],
        "2027-09-30",
        "the kept edit is sent once AWS approved"
    );
    assert_eq!(w.opp(&id)["AWS_Review_Status__c"], "Approved");
}

#[tokio::test]
async fn closing_in_salesforce_closes_the_aws_opportunity_with_its_reason() {
    let w = AwsWorld::new().await;
    let won = w.shared_opportunity("Won Deal", json!({}));
    let lost = w.shared_opportunity("Lost Deal", json!({}));
    w.drain().await;
    for id in [&won, &lost] {
        w.review(&remote_id(&w.opp(id)), "Approved", None);
    }
    w.drain().await;
    w.sf()
        .update("Opportunity", &won, json!({"StageName": "Closed Won"}))
        .unwrap();
    w.sf()
        .update(
            "Opportunity",
            &lost,
            json!({"StageName": "Closed Lost", "AWS_Closed_Lost_Reason__c": "Price"}),
        )
        .unwrap();
    w.settle().await;
    let won_aws = w.aws_opportunity(&remote_id(&w.opp(&won)));
    assert_eq!(won_aws["LifeCycle"]["Stage"], "Launched");
    let lost_aws = w.aws_opportunity(&remote_id(&w.opp(&lost)));
    assert_eq!(lost_aws["LifeCycle"]["Stage"], "Closed Lost");
    assert_eq!(lost_aws["LifeCycle"]["ClosedLostReason"], "Price");
}

#[tokio::test]
async fn a_crash_between_create_and_record_makes_no_second_aws_opportunity() {
    let w = AwsWorld::new().await;
    let id = w.shared_opportunity("Crash Test", json!({}));
    // The first attempt stored its token and created, then died before
    // recording the AWS id.
    let token = ClientToken::new();
    let mut link = CloudLink::new(Cloud::Aws, "Crash Test");
    link.opportunity_id = Some(id.clone());
    link.client_token = Some(token.as_str().to_owned());
    assert!(w.store.save_link_over(&link, None).await.unwrap());
    let record = w.side.read_opportunity(&id).await.unwrap().unwrap();
    let fields =
        sync::aws::deal::AwsDeal::from_opportunity(&record, w.side.settings(), &w.settings)
            .new_fields(w.side.settings(), &id);
    let first = w
        .side
        .client()
        .create(&token, fields, Vec::new())
        .await
        .unwrap();
    w.settle().await;
    assert_eq!(w.aws_opportunities().len(), 1, "no duplicate");
    assert_eq!(remote_id(&w.opp(&id)), first.id);
    assert_eq!(
        w.link(&id).await.remote_id.as_deref(),
        Some(first.id.as_str())
    );
}

fn invitation(title: &str) -> Value {
    json!({
        "Catalog": CATALOG, "EngagementTitle": "Co-sell with us",
        "OpportunityInvitation": {
            "Customer": {"CompanyName": "Adventure Works", "Industry": "Retail",
                          "WebsiteUrl": "https://adventure-works.example", "CountryCode": "US"},
            "Project": {"Title": title, "BusinessProblem": "Modernise the order system on AWS",
                         "TargetCompletionDate": "2027-03-31"}
        }
    })
}

#[tokio::test]
async fn an_aws_invitation_waits_on_hold_and_is_accepted_by_moving_the_stage() {
    let w = AwsWorld::new().await;
    w.aws.invite(invitation("Adventure Works orders")).unwrap();
    w.settle().await;
    let opps: Vec<Value> = w
        .sf()
        .records("Opportunity")
        .into_iter()
        .filter(|o| o["Name"] == "Adventure Works orders")
        .collect();
    assert_eq!(opps.len(), 1, "one on-hold opportunity");
    let id = opps[0]["Id"].as_str().unwrap().to_owned();
    assert_eq!(opps[0]["StageName"], json!(w.settings.on_hold_stage));
    w.settle().await; // nothing more while on hold
    w.sf()
        .update(
            "Opportunity",
            &id,
            json!({"StageName": w.settings.active_stage}),
        )
        .unwrap();
    w.settle().await;
    let remote = remote_id(&w.opp(&id));
    assert_eq!(
        w.aws_opportunity(&remote)["Project"]["Title"],
        "Adventure Works orders"
    );
    assert_eq!(w.aws_opportunities().len(), 1);
}

#[tokio::test]
async fn closing_an_invited_opportunity_rejects_the_invitation() {
    let w = AwsWorld::new().await;
    w.aws.invite(invitation("Not for us")).unwrap();
    w.drain().await;
    let id = w
        .sf()
        .records("Opportunity")
        .into_iter()
        .find(|o| o["Name"] == "Not for us")
        .and_then(|o| o["Id"].as_str().map(str::to_owned))
        .unwrap();
    w.sf()
        .update(
            "Opportunity",
            &id,
            json!({"StageName": "Closed Lost", "AWS_Closed_Lost_Reason__c": "No Opportunity"}),
        )
        .unwrap();
    w.settle().await;
    assert!(w.aws_opportunities().is_empty(), "no AWS opportunity");
    assert_eq!(w.opp(&id)["AWS_Review_Status__c"], "Invitation rejected");
    assert!(w
        .audit()
        .await
        .iter()
        .any(|(k, _)| k == "aws_invitation_rejected"));
}

#[tokio::test]
async fn one_opportunity_co_sold_with_both_clouds_stays_right_with_both() {
    let w = AwsWorld::new().await;
    let id = w.co_sold_with_both("Both Clouds Deal");
    w.settle_both().await;
    let referral = w.base.referral_for(&id);
    let remote = remote_id(&w.opp(&id));
    assert_eq!(w.aws_opportunities().len(), 1);
    assert_eq!(w.opp(&id)["Referral_Identifier__c"], referral["id"]);
    w.review(&remote, "Approved", None);
    w.settle().await;
    // One edit in Salesforce reaches both clouds.
    w.sf()
        .update("Opportunity", &id, json!({"CloseDate": "2027-11-30"}))
        .unwrap();
    w.settle_both().await;
    assert!(w.base.referral_for(&id)["details"]["closingDateTime"]
        .as_str()
        .unwrap()
        .starts_with("2027-11-30"));
    assert_eq!(
        w.aws_opportunity(&remote)["LifeCycle"]["TargetCloseDate"],
        "2027-11-30"
    );
    // Each cloud's write leaves the other's link alone, and nothing more is written.
    w.base.pass().await;
    let before = w.aws_opportunity(&remote);
    w.settle().await;
    assert_eq!(w.aws_opportunity(&remote), before);
    assert_eq!(w.opp(&id)["AWS_Opportunity_Id__c"], json!(remote));
    assert_eq!(w.opp(&id)["Referral_Identifier__c"], referral["id"]);
}

#[tokio::test]
async fn sharing_a_deal_costs_four_aws_calls_and_an_idle_pass_none() {
    let w = AwsWorld::new().await;
    w.shared_opportunity("Cost Deal", json!({}));
    let before = w.aws.control().calls().total;
    w.side
        .poll_salesforce(chrono::Duration::seconds(5))
        .await
        .unwrap();
    assert!(w.run_jobs().await.is_empty());
    // CreateOpportunity, GetOpportunity, AssociateOpportunity, SubmitOpportunity.
    assert_eq!(w.aws.control().calls().total - before, 4);
    // The echo of cosell's own Salesforce write costs AWS nothing.
    let idle = w.aws.control().calls().total;
    w.side
        .poll_salesforce(chrono::Duration::seconds(5))
        .await
        .unwrap();
    assert!(w.run_jobs().await.is_empty());
    assert_eq!(w.aws.control().calls().total, idle);
}

#[tokio::test]
async fn one_full_pass_syncs_both_clouds_and_the_next_writes_nothing() {
    let w = AwsWorld::new().await;
    let id = w.co_sold_with_both("One Pass Deal");
    let engine = w.engine_with_both();
    let overlap = chrono::Duration::seconds(5);
    let first = engine.full_pass(200, overlap).await.unwrap();
    assert_eq!(first.summary.partner_center.created, 1, "{}", first.summary);
    assert_eq!(first.summary.aws.created, 1, "{}", first.summary);
    assert_eq!(first.summary.failed, 0, "{}", first.summary);
    assert_eq!(w.aws_opportunities().len(), 1);
    assert!(w.opp(&id)["AWS_Opportunity_Id__c"].is_string());
    let quiet = engine.full_pass(200, overlap).await.unwrap();
    assert_eq!(
        (quiet.summary.aws.created, quiet.summary.aws.updated),
        (0, 0),
        "{}",
        quiet.summary
    );
    assert_eq!(w.aws_opportunities().len(), 1);
}

#[tokio::test]
async fn aws_sellers_side_of_the_deal_reaches_salesforce() {
    let w = AwsWorld::new().await;
    let id = w.shared_opportunity("Woodgrove Payments", json!({}));
    w.settle().await;
    let remote = remote_id(&w.opp(&id));
    w.review(&remote, "Approved", Some("Good fit"));
    w.aws
        .aws_update(
            CATALOG,
            &remote,
            json!({
                "LifeCycle": {"Stage": "Business Validation", "NextSteps": "Joint call with the customer's CTO"},
                "OpportunityTeam": [{"FirstName": "Jane", "LastName": "Doe", "Email": "jane@amazon.example",
                                      "BusinessTitle": "AWSAccountOwner"}]
            }),
        )
        .unwrap();
    w.settle().await;
    let feedback = w.opp(&id)["AWS_Feedback__c"].as_str().unwrap().to_owned();
    assert!(feedback.contains("Good fit"), "{feedback}");
    assert!(feedback.contains("stage Business Validation"), "{feedback}");
    assert!(feedback.contains("Joint call"), "{feedback}");
    assert!(feedback.contains("Jane Doe"), "{feedback}");
    assert!(w.audit().await.iter().any(|(k, _)| k == "aws_side"));
}

#[tokio::test]
async fn unticking_share_with_aws_before_it_was_sent_stops_the_share() {
    let w = AwsWorld::new().await;
    let id = w.shared_opportunity("Changed Mind", json!({"AWS_Industry__c": null}));
    assert_eq!(w.drain().await.len(), 1, "refused: the industry is missing");
    w.sf()
        .update(
            "Opportunity",
            &id,
            json!({"Share_with_AWS__c": false, "AWS_Industry__c": "Retail"}),
        )
        .unwrap();
    // Whatever brings the opportunity up again (here a job for it).
    let outcomes = w
        .side
        .sync_targets(vec![sync::Target::AwsSalesforce(id.clone())])
        .await;
    assert!(outcomes[0].failure.is_none(), "{outcomes:?}");
    w.settle().await;
    assert!(
        w.aws_opportunities().is_empty(),
        "nothing shared once unticked"
    );
}

#[tokio::test]
async fn closing_an_invited_opportunity_won_accepts_the_invitation() {
    let w = AwsWorld::new().await;
    w.aws.invite(invitation("Won Straight Away")).unwrap();
    w.settle().await;
    let id = w
        .sf()
        .records("Opportunity")
        .into_iter()
        .find(|o| o["Name"] == "Won Straight Away")
        .and_then(|o| o["Id"].as_str().map(str::to_owned))
        .unwrap();
    w.sf()
        .update("Opportunity", &id, json!({"StageName": "Closed Won"}))
        .unwrap();
    w.settle().await;
    // The link-back's own change brings the won stage to AWS next.
    w.settle().await;
    assert_eq!(w.opp(&id)["AWS_Review_Status__c"], "Invitation accepted");
    assert!(
        !w.audit().await.iter().any(|(k, _)| k == "aws_review"),
        "no made-up review status"
    );
    let remote = remote_id(&w.opp(&id));
    assert_eq!(w.aws_opportunity(&remote)["LifeCycle"]["Stage"], "Launched");
}

#[tokio::test]
async fn a_refusal_by_aws_shows_on_the_link_once_and_clears_when_it_syncs() {
    let w = AwsWorld::new().await;
    let id = w.shared_opportunity("Refused Deal", json!({}));
    w.settle().await;
    let remote = remote_id(&w.opp(&id));
    // AWS refuses every call for a while (as an IAM policy missing an action would).
    w.aws
        .control()
        .set_faults(emulator::control::FaultConfig {
            error_rate: 1.0,
            errors: vec!["AccessDeniedException".into()],
            ..Default::default()
        })
        .unwrap();
    w.review(&remote, "Approved", None);
    // AWS's event about the approval arrives twice; each attempt is refused.
    for _ in 0..2 {
        let event = sync::aws::feed::job_for(&sync::Target::AwsOpportunity(remote.clone()));
        w.store.enqueue(&[event]).await.unwrap();
        let failures = w.run_jobs().await;
        assert_eq!(failures.len(), 1, "{failures:?}");
    }
    let link = w.link(&id).await;
    assert_eq!(link.state, store::PairState::Failed);
    assert!(link.last_error.as_deref().unwrap().contains("AccessDenied"));
    let audited = w
        .audit()
        .await
        .iter()
        .filter(|(k, _)| k == "aws_failed")
        .count();
    assert_eq!(audited, 1, "audited once, not per attempt");
    w.aws
        .control()
        .set_faults(emulator::control::FaultConfig::default())
        .unwrap();
    let event = sync::aws::feed::job_for(&sync::Target::AwsOpportunity(remote.clone()));
    w.store.enqueue(&[event]).await.unwrap();
    assert!(w.run_jobs().await.is_empty());
    let link = w.link(&id).await;
    assert_eq!(link.state, store::PairState::Synced);
    assert_eq!(w.opp(&id)["AWS_Review_Status__c"], "Approved");
}
