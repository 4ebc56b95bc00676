//! A test org for `setup` and `backfill`: both emulators, a config file
//! pointing at them, and helpers that seed deals.

use std::path::PathBuf;

use cosell::config::Config;
use emulator::partner_center::{Options as PcOptions, PartnerCenterEmulator};
use emulator::salesforce::{Options as SfOptions, SalesforceEmulator};
use serde_json::{json, Value};
use tempfile::TempDir;

/// The EventBridge key the AWS tests set.
pub const AWS_WEBHOOK_KEY: &str = "aws-webhook-key-for-tests";

/// Both emulators and a configuration for them.
pub struct TestOrg {
    pub pc: PartnerCenterEmulator,
    pub sf: SalesforceEmulator,
    /// Holds the config file and the store; removed on drop.
    _dir: TempDir,
    pub config_path: PathBuf,
}

impl TestOrg {
    /// A Salesforce org without the connector's schema (before setup).
    pub async fn bare() -> TestOrg {
        Self::start(SfOptions {
            bare: true,
            ..SfOptions::default()
        })
        .await
    }

    /// The demo org, with the connector's schema installed.
    pub async fn ready() -> TestOrg {
        Self::start(SfOptions::default()).await
    }

    pub async fn start(sf_options: SfOptions) -> TestOrg {
        let pc = PartnerCenterEmulator::start(listener().await, PcOptions::default())
            .await
            .expect("partner center emulator");
        let sf = SalesforceEmulator::start(listener().await, sf_options)
            .await
            .expect("salesforce emulator");
        let dir = tempfile::tempdir().expect("tempdir");
        let config_path = dir.path().join("cosell.toml");
        let ca = cosell::emulated::write_ca(&pc, dir.path()).expect("write CA");
        let text = format!(
            r#"{connections}
[store]
url = "sqlite://cosell.db"

[worker]
batch_size = 50
"#,
            connections = cosell::emulated::connection_sections(&pc, &sf, &ca),
        );
        std::fs::write(&config_path, text).expect("write config");
        TestOrg {
            pc,
            sf,
            _dir: dir,
            config_path,
        }
    }

    /// Rewrites the configuration file.
    pub fn edit_config(&self, edit: impl FnOnce(String) -> String) {
        let text = std::fs::read_to_string(&self.config_path).expect("read config");
        std::fs::write(&self.config_path, edit(text)).expect("write config");
    }

    /// The secrets the configuration needs.
    pub fn env() -> std::collections::BTreeMap<String, String> {
        cosell::emulated::secrets_env()
    }

    /// Turns `[aws]` on (one solution), with `extra` lines in the section.
    pub fn enable_aws(&self, extra: &str) {
        self.edit_config(|text| {
            format!("{text}\n[aws]\nenabled = true\nsolution_ids = [\"S-0000001\"]\n{extra}\n")
        });
    }

    /// [`Self::env`] plus the key `[aws]` needs.
    pub fn aws_env() -> std::collections::BTreeMap<String, String> {
        let mut env = Self::env();
        env.insert(
            cosell::config::secrets::AWS_WEBHOOK_KEY.to_owned(),
            AWS_WEBHOOK_KEY.to_owned(),
        );
        env
    }

    /// The loaded configuration, `[aws]` enabled.
    pub fn aws_config(&self) -> Config {
        Config::load_with_env(&self.config_path, &Self::aws_env())
            .expect("the test config with [aws] loads")
    }

    /// The loaded configuration.
    pub fn config(&self) -> Config {
        Config::load_with_env(&self.config_path, &Self::env()).expect("the test config loads")
    }

    /// Salesforce API calls so far whose route contains `needle`.
    pub fn sf_calls(&self, needle: &str) -> u64 {
        self.sf.control().calls().matching(needle)
    }

    /// A Microsoft seller shares a co-sell referral.
    pub fn share_referral(&self, n: usize) -> String {
        let mut body = emulator::sellers::co_sell_referral(&format!("Shared deal {n}"));
        body["details"]["dealValue"] = json!(1000 + n);
        let referral = self
            .pc
            .share_referral(body)
            .expect("the emulator accepts the shared referral");
        referral["id"].as_str().expect("referral id").to_owned()
    }

    /// A seller's co-sell opportunity marked for sync: account with a
    /// country, a contact role and a solution.
    pub fn co_sell_opportunity(&self, n: usize) -> String {
        emulator::sellers::co_sell_opportunity(&self.sf, &format!("Partner deal {n}"), "US")
            .expect("the seller's co-sell opportunity")
            .opportunity
    }

    /// Opportunities carrying a referral id.
    pub fn paired_opportunities(&self) -> Vec<Value> {
        self.sf
            .records("Opportunity")
            .into_iter()
            .filter(|o| o["Referral_Identifier__c"].is_string())
            .collect()
    }
}

async fn listener() -> tokio::net::TcpListener {
    tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind")
}
