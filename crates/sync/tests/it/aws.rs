//! The AWS Partner Central stories, end to end against the Salesforce and
//! AWS emulators: sharing, validation before sending, AWS's review reaching
//! Salesforce, edits kept while AWS's review locks them, invitations as
//! on-hold opportunities, closing, and no duplicate after a crash.

use std::sync::Arc;
use std::time::Duration;

use aws_partner_central::{Catalog, ClientToken, Config, PartnerCentral};
use emulator::aws::{AwsEmulator, Options as AwsOptions, Quotas};
use emulator::salesforce::SalesforceEmulator;
use serde_json::{json, Value};
use store::{Cloud, CloudLink, Store};
use sync::aws::{AwsFieldNames, AwsSettings, AwsSync};
use sync::{Settings, Target};

use super::world::{fitted, listener, profile_under_test, salesforce_client};

const CATALOG: &str = "Sandbox";

struct AwsWorld {
    sf: SalesforceEmulator,
    aws: AwsEmulator,
    side: AwsSync,
    store: Arc<dyn Store>,
    settings: Settings,
    _dir: tempfile::TempDir,
}

fn client(aws: &AwsEmulator) -> PartnerCentral {
    let key = &aws.options().credentials[0];
    PartnerCentral::with_static_keys(
        &key.access_key_id,
        &key.secret_access_key,
        Config {
            catalog: Catalog::Sandbox,
            endpoint_url: Some(aws.url()),
            max_attempts: 1,
            reads_per_second: std::num::NonZeroU32::new(10_000).unwrap(),
            writes_per_second: std::num::NonZeroU32::new(10_000).unwrap(),
            ..Config::default()
        },
    )
}

impl AwsWorld {
    async fn new() -> Self {
        let profile = profile_under_test();
        let sf = SalesforceEmulator::start(
            listener().await,
            emulator::salesforce::Options::for_profile(profile),
        )
        .await
        .unwrap();
        let aws = AwsEmulator::start(
            listener().await,
            AwsOptions {
                quotas: Quotas::UNLIMITED,
                ..AwsOptions::default()
            },
        )
        .await
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let store = store::open(&format!("sqlite://{}/cosell.db", dir.path().display()))
            .await
            .unwrap();
        let settings = fitted(Settings::default(), profile);
        let aws_settings = aws_settings();
        let side = AwsSync::new(
            Arc::new(client(&aws)),
            salesforce_client(&sf),
            Arc::clone(&store),
            settings.clone(),
            aws_settings,
        );
        Self {
            sf,
            aws,
            side,
            store,
            settings,
            _dir: dir,
        }
    }

    /// Polls both feeds and runs every job until none is left, as the
    /// service's pollers and workers would; returns the failures seen.
    async fn drain(&self) -> Vec<String> {
        let overlap = chrono::Duration::seconds(5);
        self.side.poll_salesforce(overlap).await.unwrap();
        self.side.poll_aws(overlap).await.unwrap();
        self.run_jobs().await
    }

    /// [`Self::drain`], asserting nothing failed.
    async fn settle(&self) {
        let failures = self.drain().await;
        assert!(failures.is_empty(), "failures: {failures:#?}");
    }

    async fn run_jobs(&self) -> Vec<String> {
        let mut failures = Vec::new();
        for _ in 0..20 {
            let jobs = self
                .store
                .claim_jobs("test", 50, Duration::from_secs(60))
                .await
                .unwrap();
            if jobs.is_empty() {
                return failures;
            }
            let targets = jobs
                .iter()
                .filter_map(|j| Target::from_job_key(&j.dedup_key))
                .collect();
            let outcomes = self.side.sync_targets(targets).await;
            for (job, outcome) in jobs.iter().zip(outcomes) {
                assert_eq!(outcome.targets[0].job_key(), job.dedup_key);
                match outcome.failure {
                    None => {
                        self.store.complete_job(job.id, "test").await.unwrap();
                    }
                    Some(f) => {
                        failures.push(f.message.clone());
                        self.store
                            .fail_job(job.id, "test", &f.message, store::FailureAction::Dead)
                            .await
                            .unwrap();
                    }
                }
            }
        }
        panic!("jobs kept coming: the sync does not settle");
    }

    /// An opportunity with everything AWS requires, shared with AWS.
    fn shared_opportunity(&self, name: &str, extra: Value) -> String {
        let mut account = json!({"Name": format!("{name} Inc"), "Website": "https://example.com",
                                 "BillingPostalCode": "98052"});
        account[&self.settings.country_code_field] = json!("US");
        let account = self.sf.insert("Account", account).unwrap();
        let mut fields = json!({
            "Name": name, "StageName": "Prospecting", "CloseDate": "2027-06-30",
            "AccountId": account, "Share_with_AWS__c": true,
            "AWS_Industry__c": "Software and Internet",
            "AWS_Customer_Business_Problem__c": "Migrate the on-premises ERP to AWS within the year",
            "AWS_Delivery_Models__c": "SaaS or PaaS",
            "AWS_Sales_Activities__c": "Initialized discussions with customer",
            "AWS_Primary_Needs__c": "Co-Sell - Architectural Validation",
            "AWS_Expected_Monthly_Spend__c": 2500,
        });
        if let Some(record_type) = self.record_type() {
            fields["RecordTypeId"] = json!(record_type);
        }
        if let (Value::Object(f), Value::Object(e)) = (&mut fields, extra) {
            f.extend(e);
        }
        self.sf.insert("Opportunity", fields).unwrap()
    }

    fn record_type(&self) -> Option<String> {
        let name = self.settings.opportunity_record_type.as_ref()?;
        self.sf
            .records("RecordType")
            .into_iter()
            .find(|r| r["DeveloperName"] == json!(name))
            .and_then(|r| r["Id"].as_str().map(str::to_owned))
    }

    fn opp(&self, id: &str) -> Value {
        self.sf.record("Opportunity", id).unwrap()
    }

    fn aws_opportunities(&self) -> Vec<Value> {
        self.aws.opportunities()
    }

    fn aws_opportunity(&self, id: &str) -> Value {
        self.aws.opportunity(CATALOG, id).unwrap()
    }

    async fn link(&self, opportunity: &str) -> CloudLink {
        self.store
            .link_by_opportunity(Cloud::Aws, opportunity)
            .await
            .unwrap()
            .unwrap()
    }

    async fn audit(&self) -> Vec<(String, String)> {
        self.store
            .recent_audit(1000)
            .await
            .unwrap()
            .into_iter()
            .map(|e| (e.kind, e.message))
            .collect()
    }

    fn review(&self, id: &str, status: &str, comments: Option<&str>) {
        self.aws
            .review(CATALOG, id, status, Some("Review"), comments)
            .unwrap();
    }
}

/// The settings of the example configuration, in the Sandbox with one solution.
fn aws_settings() -> AwsSettings {
    let fields = AwsFieldNames {
        share_flag: "Share_with_AWS__c".into(),
        opportunity_id: "AWS_Opportunity_Id__c".into(),
        invitation_id: "AWS_Invitation_Id__c".into(),
        review_status: "AWS_Review_Status__c".into(),
        feedback: "AWS_Feedback__c".into(),
        business_problem: "AWS_Customer_Business_Problem__c".into(),
        industry: "AWS_Industry__c".into(),
        delivery_models: "AWS_Delivery_Models__c".into(),
        sales_activities: "AWS_Sales_Activities__c".into(),
        primary_needs: "AWS_Primary_Needs__c".into(),
        expected_monthly_spend: "AWS_Expected_Monthly_Spend__c".into(),
        closed_lost_reason: "AWS_Closed_Lost_Reason__c".into(),
    };
    AwsSettings {
        catalog: CATALOG.into(),
        solution_ids: vec!["S-0000001".into()],
        involvement: "Co-Sell".into(),
        visibility: "Full".into(),
        opportunity_type: "Net New Business".into(),
        stages: [("Qualification".to_owned(), "Qualified".to_owned())].into(),
        fields,
    }
}

fn remote_id(opp: &Value) -> String {
    opp["AWS_Opportunity_Id__c"]
        .as_str()
        .expect("the AWS id is on the opportunity")
        .to_owned()
}

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
    assert!(feedback.contains("AWS_Customer_Business_Problem__c"), "{feedback}");
    // The seller fills them in: it is shared on the next change.
    w.sf.update(
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
    w.review(&remote, "Action Required", Some("Add the customer's website"));
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
    w.sf.update("Opportunity", &id, json!({"CloseDate": "2027-09-30"}))
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
    w.sf.update("Opportunity", &won, json!({"StageName": "Closed Won"}))
        .unwrap();
    w.sf.update(
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
    let fields = sync::aws::deal::AwsDeal::from_opportunity(&record, w.side.settings(), &w.settings)
        .new_fields(w.side.settings(), &id);
    let first = w.side.client().create(&token, fields, Vec::new()).await.unwrap();
    w.settle().await;
    assert_eq!(w.aws_opportunities().len(), 1, "no duplicate");
    assert_eq!(remote_id(&w.opp(&id)), first.id);
    assert_eq!(w.link(&id).await.remote_id.as_deref(), Some(first.id.as_str()));
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
        .sf
        .records("Opportunity")
        .into_iter()
        .filter(|o| o["Name"] == "Adventure Works orders")
        .collect();
    assert_eq!(opps.len(), 1, "one on-hold opportunity");
    let id = opps[0]["Id"].as_str().unwrap().to_owned();
    assert_eq!(opps[0]["StageName"], json!(w.settings.on_hold_stage));
    w.settle().await; // nothing more while on hold
    w.sf.update(
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
        .sf
        .records("Opportunity")
        .into_iter()
        .find(|o| o["Name"] == "Not for us")
        .and_then(|o| o["Id"].as_str().map(str::to_owned))
        .unwrap();
    w.sf.update(
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
