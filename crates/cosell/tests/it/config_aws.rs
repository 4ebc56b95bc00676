//! `[aws]`: off unless enabled; when enabled every value is checked against
//! what the Selling API accepts, all problems at once, and the webhook key
//! comes only from the environment and never shows.

use std::collections::HashMap;

use aws_partner_central::Catalog;
use cosell::config::{Config, ConfigError};
use secrecy::ExposeSecret;
use sync::aws::AwsFieldNames;

use crate::config_support::*;

/// The webhook key the tests set.
const WEBHOOK_KEY: &str = "aws-webhook-key-7a9c";

/// [`MINIMAL`] with `[aws]` enabled and `extra` lines in the section.
fn enabled(extra: &str) -> String {
    format!("{MINIMAL}\n[aws]\nenabled = true\nsolution_ids = [\"S-0000001\"]\n{extra}\n")
}

/// The base environment plus the webhook key.
fn aws_env() -> HashMap<String, String> {
    let mut vars = base_env();
    vars.insert("COSELL_AWS_WEBHOOK_KEY".into(), WEBHOOK_KEY.into());
    vars
}

fn load(text: &str, vars: &HashMap<String, String>) -> Result<Config, ConfigError> {
    Fixture::new().load(text, vars)
}

#[test]
fn aws_is_off_by_default_and_needs_nothing_then() {
    let c = load(MINIMAL, &base_env()).unwrap();
    assert!(c.aws.is_none());
    assert!(c.summary().contains("[aws]\n  off"), "{}", c.summary());
}

#[test]
fn enabled_aws_takes_the_example_files_defaults() {
    let c = load(&enabled(""), &aws_env()).unwrap_or_else(|e| panic!("{e}"));
    let aws = c.aws.expect("enabled");
    assert_eq!(aws.client.catalog, Catalog::Sandbox);
    assert_eq!(aws.client.region, "us-east-1");
    assert_eq!(aws.client.endpoint_url, None);
    assert_eq!(aws.client.reads_per_second.get(), 10);
    assert_eq!(aws.client.writes_per_second.get(), 1);
    assert_eq!(aws.reconcile.as_secs(), 300);
    assert_eq!(aws.webhook_header, "x-api-key");
    assert_eq!(aws.webhook_key.expose_secret(), WEBHOOK_KEY);
    let s = &aws.settings;
    assert_eq!(s.catalog, "Sandbox");
    assert_eq!(s.solution_ids, ["S-0000001"]);
    assert_eq!(s.involvement, "Co-Sell");
    assert_eq!(s.visibility, "Full");
    assert_eq!(s.opportunity_type, "Net New Business");
    assert!(s.stages.is_empty());
    assert_eq!(s.fields, AwsFieldNames::default());
    assert_eq!(s.fields.share_flag, "Share_with_AWS__c");
}

#[test]
fn enabled_aws_reads_every_key() {
    let text = enabled(
        r#"catalog = "AWS"
endpoint_url = "http://127.0.0.1:9083"
reads_per_second = 5
reconcile_seconds = 60
webhook_header = "X-Cosell-Key"
involvement = "For Visibility Only"
visibility = "Limited"
opportunity_type = "Expansion"
[aws.stages]
"Qualification" = "Qualified"
"Needs Analysis" = "Technical Validation"
[aws.fields]
share_flag = "Share_AWS__c""#,
    );
    let aws = load(&text, &aws_env())
        .unwrap_or_else(|e| panic!("{e}"))
        .aws
        .unwrap();
    assert_eq!(aws.client.catalog, Catalog::Aws);
    assert_eq!(
        aws.client.endpoint_url.as_deref(),
        Some("http://127.0.0.1:9083")
    );
    assert_eq!(aws.client.reads_per_second.get(), 5);
    assert_eq!(aws.reconcile.as_secs(), 60);
    assert_eq!(aws.webhook_header, "x-cosell-key");
    assert_eq!(aws.settings.involvement, "For Visibility Only");
    assert_eq!(aws.settings.visibility, "Limited");
    assert_eq!(aws.settings.opportunity_type, "Expansion");
    assert_eq!(
        aws.settings.stages["Needs Analysis"],
        "Technical Validation"
    );
    assert_eq!(aws.settings.fields.share_flag, "Share_AWS__c");
    assert_eq!(
        aws.settings.fields.opportunity_id,
        AwsFieldNames::default().opportunity_id
    );
}

#[test]
fn the_webhook_key_is_required_when_enabled_and_named() {
    let message = expect_issue(load(&enabled(""), &base_env()), "COSELL_AWS_WEBHOOK_KEY");
    assert!(message.contains("COSELL_AWS_WEBHOOK_KEY_FILE"), "{message}");

    let fx = Fixture::new();
    let file = fx.write("aws-key", &format!("{WEBHOOK_KEY}\n"));
    let mut vars = base_env();
    vars.insert(
        "COSELL_AWS_WEBHOOK_KEY_FILE".into(),
        file.display().to_string(),
    );
    let c = fx
        .load(&enabled(""), &vars)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.aws.unwrap().webhook_key.expose_secret(), WEBHOOK_KEY);
}

#[test]
fn every_bad_aws_value_is_reported_at_once_with_its_fix() {
    let text = format!(
        r#"{MINIMAL}
[aws]
enabled = true
catalog = "Sandbx"
endpoint_url = "http://partnercentral.example.com"
reads_per_second = 0
writes_per_second = 0
reconcile_seconds = 0
webhook_header = "x api key"
solution_ids = ["S-0000001", "SOL-12"]
involvement = "CoSell"
visibility = "Public"
opportunity_type = "New Business"
[aws.stages]
"Qualification" = "Qualifed"
"Closed Won" = "Launched"
[aws.fields]
industry = "AWS Industry"
"#
    );
    let err = load(&text, &aws_env()).unwrap_err();
    let message = err.to_string();
    for key in [
        "aws.catalog",
        "aws.endpoint_url",
        "aws.reads_per_second",
        "aws.writes_per_second",
        "aws.reconcile_seconds",
        "aws.webhook_header",
        "aws.solution_ids.1",
        "aws.involvement",
        "aws.visibility",
        "aws.opportunity_type",
        "aws.stages.\"Qualification\"",
        "aws.stages.\"Closed Won\"",
        "aws.fields.industry",
    ] {
        assert!(err.keys().contains(&key), "{key} not in {message}");
    }
    assert!(message.contains("did you mean \"Sandbox\""), "{message}");
    assert!(message.contains("did you mean \"Co-Sell\""), "{message}");
    assert!(message.contains("did you mean \"Qualified\""), "{message}");
    assert!(message.contains("\"S-\" and digits"), "{message}");
    assert!(
        message.contains("set by the won and lost stages"),
        "{message}"
    );
}

#[test]
fn solution_ids_are_needed_when_enabled() {
    let text = format!("{MINIMAL}\n[aws]\nenabled = true\n");
    let message = expect_issue(load(&text, &aws_env()), "aws.solution_ids");
    assert!(message.contains("at least one"), "{message}");
}

#[test]
fn aws_credentials_in_the_file_are_refused_for_the_chain() {
    let text = enabled("secret_access_key = \"wJalrXUtnFEMI\"");
    let message = expect_issue(load(&text, &aws_env()), "aws.secret_access_key");
    assert!(message.contains("standard AWS chain"), "{message}");
    assert!(!message.contains("wJalrXUtnFEMI"), "{message}");
}

#[test]
fn the_summary_shows_aws_but_never_the_webhook_key() {
    let c = load(&enabled(""), &aws_env()).unwrap();
    let summary = c.summary();
    assert!(
        summary.contains("catalog          Sandbox in us-east-1"),
        "{summary}"
    );
    assert!(summary.contains("x-api-key"), "{summary}");
    assert!(summary.contains("COSELL_AWS_WEBHOOK_KEY"), "{summary}");
    assert!(!summary.contains(WEBHOOK_KEY), "{summary}");
    assert!(!format!("{c:?}").contains(WEBHOOK_KEY));
    assert!(!format!("{c:#?}").contains(WEBHOOK_KEY));
}
