//! A test world for the AWS side: the Microsoft world (both Microsoft-side
//! emulators, the store) plus the AWS emulator and an AWS side over the
//! same Salesforce org and store, with a drain that polls both AWS feeds and
//! runs every job the way the service's pollers and workers do.

use std::sync::Arc;
use std::time::Duration;

use aws_partner_central::{Catalog, Config, PartnerCentral};
use emulator::aws::{AwsEmulator, Options as AwsOptions, Quotas};
use serde_json::{json, Value};
use store::{Cloud, CloudLink, Store};
use sync::aws::{AwsFieldNames, AwsSettings, AwsSync};
use sync::{Engine, Settings, Target};

use super::world::{listener, referrals_client, salesforce_client, World};

pub const CATALOG: &str = "Sandbox";

pub struct AwsWorld {
    /// The Microsoft side's world: Partner Center, Salesforce, the store.
    pub base: World,
    pub aws: AwsEmulator,
    pub side: Arc<AwsSync>,
    pub store: Arc<dyn Store>,
    pub settings: Settings,
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
    pub async fn new() -> Self {
        let base = World::new().await;
        let aws = AwsEmulator::start(
            listener().await,
            AwsOptions {
                quotas: Quotas::UNLIMITED,
                ..AwsOptions::default()
            },
        )
        .await
        .unwrap();
        let settings = base.engine.settings().clone();
        let store = Arc::clone(&base.store);
        let side = Arc::new(AwsSync::new(
            Arc::new(client(&aws)),
            salesforce_client(&base.sf),
            Arc::clone(&store),
            settings.clone(),
            aws_settings(),
        ));
        Self {
            base,
            aws,
            side,
            store,
            settings,
        }
    }

    /// An engine for both clouds over the same emulators and store, as
    /// `cosell sync` builds it with `[aws]` enabled.
    pub fn engine_with_both(&self) -> Engine {
        Engine::new(
            referrals_client(&self.base.pc),
            salesforce_client(&self.base.sf),
            Arc::clone(&self.store),
            self.settings.clone(),
        )
        .with_clock(Arc::new(self.base.sf.clock()))
        .with_aws(Arc::clone(&self.side))
    }

    pub fn sf(&self) -> &emulator::salesforce::SalesforceEmulator {
        &self.base.sf
    }

    /// Polls both feeds and runs every job until none is left, as the
    /// service's pollers and workers would; returns the failures seen.
    pub async fn drain(&self) -> Vec<String> {
        let overlap = chrono::Duration::seconds(5);
        self.side.poll_salesforce(overlap).await.unwrap();
        self.side.poll_aws(overlap).await.unwrap();
        self.run_jobs().await
    }

    /// [`Self::drain`], asserting nothing failed.
    pub async fn settle(&self) {
        let failures = self.drain().await;
        assert!(failures.is_empty(), "failures: {failures:#?}");
    }

    pub async fn run_jobs(&self) -> Vec<String> {
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
    pub fn shared_opportunity(&self, name: &str, extra: Value) -> String {
        emulator::sellers::aws_shared_opportunity(&self.base.sf, name, extra).unwrap()
    }

    /// A complete Microsoft co-sell opportunity also shared with AWS.
    pub fn co_sold_with_both(&self, name: &str) -> String {
        let id = self.base.co_sell_opportunity(name);
        let account = self.opp(&id)["AccountId"].as_str().unwrap().to_owned();
        self.sf()
            .update(
                "Account",
                &account,
                json!({"Website": "https://both.example", "BillingPostalCode": "98052"}),
            )
            .unwrap();
        self.sf()
            .update("Opportunity", &id, emulator::sellers::aws_share_fields())
            .unwrap();
        id
    }

    /// A Microsoft pass then the AWS side until idle: both clouds' syncs.
    pub async fn settle_both(&self) {
        self.base.pass().await;
        self.settle().await;
    }

    pub fn opp(&self, id: &str) -> Value {
        self.base.sf.record("Opportunity", id).unwrap()
    }

    pub fn aws_opportunities(&self) -> Vec<Value> {
        self.aws.opportunities()
    }

    pub fn aws_opportunity(&self, id: &str) -> Value {
        self.aws.opportunity(CATALOG, id).unwrap()
    }

    pub async fn link(&self, opportunity: &str) -> CloudLink {
        self.store
            .link_by_opportunity(Cloud::Aws, opportunity)
            .await
            .unwrap()
            .unwrap()
    }

    pub async fn audit(&self) -> Vec<(String, String)> {
        self.store
            .recent_audit(1000)
            .await
            .unwrap()
            .into_iter()
            .map(|e| (e.kind, e.message))
            .collect()
    }

    pub fn review(&self, id: &str, status: &str, comments: Option<&str>) {
        self.aws
            .review(CATALOG, id, status, Some("Review"), comments)
            .unwrap();
    }
}

/// The settings of the example configuration, in the Sandbox with one solution.
pub fn aws_settings() -> AwsSettings {
    AwsSettings {
        catalog: CATALOG.into(),
        solution_ids: vec!["S-0000001".into()],
        involvement: "Co-Sell".into(),
        visibility: "Full".into(),
        opportunity_type: "Net New Business".into(),
        stages: [("Qualification".to_owned(), "Qualified".to_owned())].into(),
        fields: AwsFieldNames::default(),
    }
}

pub fn remote_id(opp: &Value) -> String {
    opp["AWS_Opportunity_Id__c"]
        .as_str()
        .expect("the AWS id is on the opportunity")
        .to_owned()
}
