//! `cosell doctor`: on a misconfigured enterprise-like org it names each
//! planted problem with its fix and exits non-zero; on an org prepared by
//! `cosell setup salesforce` and `cosell webhooks register` it finds no
//! blocker and exits 0. It never writes and never prints a secret.

use std::process::Output;

use cosell::commands::doctor::{Diagnosis, Status};
use cosell::commands::webhooks;
use cosell::connect::{self, Observers};
use cosell::setup::{self, plan::Plan};
use emulator::salesforce::{Options as SfOptions, Profile};
use serde_json::Value;

use crate::setup_support::TestOrg;

/// The public URL the tests' server is reached at.
const PUBLIC_URL: &str = "https://cosell.example.com";

/// A bare enterprise-like org whose configuration fits it (country codes,
/// the partner record type: `emulated::connection_sections` writes them)
/// and names a public URL.
async fn enterprise_org() -> TestOrg {
    let org = TestOrg::start(SfOptions {
        bare: true,
        ..SfOptions::for_profile(Profile::Enterprise)
    })
    .await;
    org.edit_config(|text| format!("{text}\n[server]\npublic_url = \"{PUBLIC_URL}\"\n"));
    org
}

/// `cosell doctor -c FILE [--json]` with `env`.
async fn doctor(
    org: &TestOrg,
    env: &std::collections::BTreeMap<String, String>,
    json: bool,
) -> Output {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_cosell"));
    command
        .args(["doctor", "-c"])
        .arg(&org.config_path)
        .env_clear()
        .envs(env);
    if json {
        command.arg("--json");
    }
    command.output().await.expect("cosell doctor runs")
}

/// The findings `--json` printed.
fn findings(out: &Output) -> Vec<Value> {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// The finding of `check`.
fn finding<'a>(all: &'a [Value], check: &str) -> &'a Value {
    all.iter()
        .find(|f| f["check"] == check)
        .unwrap_or_else(|| panic!("no {check:?} in {all:#?}"))
}

/// Salesforce API calls that write.
fn writes(org: &TestOrg) -> u64 {
    org.sf_calls("POST /services/data") + org.sf_calls("PATCH ") + org.sf_calls("DELETE ")
}

#[tokio::test]
async fn doctor_names_each_planted_problem_with_its_fix() {
    let org = enterprise_org().await;
    let config = org.config();
    let sf = connect::salesforce_client(&config, &Observers::default()).unwrap();
    // The help picklist was deployed earlier with one value fewer.
    let plan = Plan::for_config(&config);
    let help = plan
        .fields
        .iter()
        .find(|f| f.api_name == "How_can_Microsoft_help__c")
        .unwrap();
    let mut body = setup::metadata::custom_field(help);
    body["Metadata"]["valueSet"]["valueSetDefinition"]["value"]
        .as_array_mut()
        .unwrap()
        .retain(|v| v["fullName"] != "Quotes or licensing");
    sf.tooling_create("CustomField", &body).await.unwrap();
    let report = setup::salesforce(&sf, &config, false).await.unwrap();
    assert_eq!(report.missing(), 0, "{report}");
    // An admin takes back one field's security and the solutions' Delete.
    let row = |object: &str, key: &str, value: &str| {
        org.sf
            .records(object)
            .into_iter()
            .find(|r| r[key] == value)
            .and_then(|r| r["Id"].as_str().map(str::to_owned))
            .unwrap_or_else(|| panic!("no {object} with {key} = {value}"))
    };
    org.sf
        .delete(&row(
            "FieldPermissions",
            "Field",
            "Opportunity.Referral_Link__c",
        ))
        .unwrap();
    org.sf
        .update(
            "ObjectPermissions",
            &row("ObjectPermissions", "SobjectType", "Microsoft_Solution__c"),
            serde_json::json!({ "PermissionsDelete": false }),
        )
        .unwrap();
    // The configuration names a record type whose sales process lacks
    // On Hold, and a single currency in a multi-currency org.
    org.edit_config(|text| {
        text.replace("Partner_Deal", "Direct_Deal").replace(
            "[sync]\n",
            "[sync]\ncurrency_field = \"\"\norg_currency = \"EUR\"\n",
        )
    });
    let before = writes(&org);

    let out = doctor(&org, &TestOrg::env(), true).await;
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(writes(&org), before, "doctor wrote to the org");
    let all = findings(&out);
    let expect = |check: &str, status: &str, detail: &str, fix: &str| {
        let f = finding(&all, check);
        assert_eq!(f["status"], status, "{f:#}");
        assert!(f["detail"].as_str().unwrap().contains(detail), "{f:#}");
        assert!(f["fix"].as_str().unwrap_or_default().contains(fix), "{f:#}");
    };
    expect(
        "field Opportunity.Referral_Link__c",
        "blocker",
        "no field-level security grants it Read",
        "cosell setup salesforce",
    );
    expect(
        "object permissions Microsoft_Solution__c",
        "blocker",
        "lacks Delete",
        "cosell setup salesforce",
    );
    expect(
        "record type Direct_Deal (sync.opportunity_record_type)",
        "blocker",
        "On Hold",
        "sales process",
    );
    expect(
        "picklist values Opportunity.How_can_Microsoft_help__c",
        "blocker",
        "\"Quotes or licensing\"",
        "add them in Setup",
    );
    expect(
        "currency mode (sync.org_currency)",
        "blocker",
        "the org uses multiple currencies",
        "sync.currency_field = \"CurrencyIsoCode\"",
    );
    expect(
        "Partner Center webhook registration",
        "warning",
        "nothing is registered",
        "cosell webhooks register",
    );
    expect(
        "validation rules",
        "warning",
        "Amount_Not_Negative (Opportunity), Close_Date_Not_Moved_Into_Past (Opportunity)",
        "rule's message",
    );
    let dupes = finding(&all, "duplicate rules");
    assert_eq!(dupes["status"], "ok");
    assert!(
        dupes["detail"].as_str().unwrap().contains(
            "Standard_Account_Duplicate_Rule (Account), Standard_Contact_Duplicate_Rule (Contact)"
        ),
        "{dupes:#}"
    );
    // Everything else holds.
    for check in [
        "Salesforce sign-in",
        "field Opportunity.Audit__c",
        "object permissions Opportunity",
        "Partner Center Referrals API",
    ] {
        assert_eq!(finding(&all, check)["status"], "ok", "{check}: {all:#?}");
    }

    // The table says the same, a fix under each problem.
    let out = doctor(&org, &TestOrg::env(), false).await;
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("✖ field Opportunity.Referral_Link__c"),
        "{table}"
    );
    assert!(
        table.contains("fix: run `cosell setup salesforce`"),
        "{table}"
    );
    assert!(
        table.contains("⚠ Partner Center webhook registration"),
        "{table}"
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("5 blocker(s)"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn after_setup_and_registration_doctor_finds_no_blocker() {
    let org = enterprise_org().await;
    let config = org.config();
    let sf = connect::salesforce_client(&config, &Observers::default()).unwrap();
    setup::salesforce(&sf, &config, false).await.unwrap();
    webhooks::register(&config, false).await.unwrap();

    let out = doctor(&org, &TestOrg::env(), true).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let diagnosis: Diagnosis = serde_json::from_slice(&out.stdout).unwrap();
    // The org's validation rules are the one thing to know about; every
    // other check passes.
    let not_ok: Vec<&str> = diagnosis
        .findings
        .iter()
        .filter(|f| f.status != Status::Ok)
        .map(|f| f.check.as_str())
        .collect();
    assert_eq!(not_ok, ["validation rules"], "{diagnosis}");
    for check in [
        "Salesforce API version",
        "field Microsoft_Solution__c.Solution_Id__c",
        "object permissions Account",
        "picklist values Opportunity.How_can_Microsoft_help__c",
        "State and Country/Territory Picklists",
        "daily API requests",
        "Partner Center webhook registration",
    ] {
        assert!(diagnosis.get(check).is_some(), "no {check}:\n{diagnosis}");
    }
}

#[tokio::test]
async fn bad_credentials_are_blockers_and_stay_secret() {
    let org = TestOrg::ready().await;
    let mut env = TestOrg::env();
    let wrong_password = "not-the-password-7f3a";
    let wrong_secret = "not-the-client-secret-91c2";
    env.insert("COSELL_SF_PASSWORD".into(), wrong_password.into());
    env.insert("COSELL_PC_CLIENT_SECRET".into(), wrong_secret.into());

    let out = doctor(&org, &env, true).await;
    assert_eq!(out.status.code(), Some(1));
    let all = findings(&out);
    for check in [
        "Salesforce sign-in",
        "Partner Center Referrals API",
        "Partner Center webhook registration",
    ] {
        let f = finding(&all, check);
        assert_eq!(f["status"], "blocker", "{f:#}");
        assert!(f["fix"].as_str().unwrap().contains("COSELL_"), "{f:#}");
    }
    // No Salesforce check runs without a session.
    assert!(
        all.iter().all(|f| f["check"] != "daily API requests"),
        "{all:#?}"
    );
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    for secret in [wrong_password, wrong_secret] {
        assert!(!printed.contains(secret), "{printed}");
    }
}

/// `[aws]` on against the AWS emulator: doctor checks the AWS fields, warns
/// about the real catalog, and probes the catalog with the chain's
/// credentials, naming the fix for missing credentials and for a policy that
/// denies the call.
#[tokio::test]
async fn with_aws_enabled_doctor_probes_the_catalog_and_names_each_fix() {
    use emulator::aws::{AwsEmulator, Options as AwsOptions};
    use emulator::control::FaultConfig;

    let org = TestOrg::ready().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let aws = AwsEmulator::start(listener, AwsOptions::default())
        .await
        .unwrap();
    org.enable_aws(&format!(
        "catalog = \"AWS\"\nendpoint_url = \"{}\"",
        aws.url()
    ));
    let mut without_credentials = TestOrg::aws_env();
    // No instance metadata service to ask on a test machine.
    without_credentials.insert("AWS_EC2_METADATA_DISABLED".into(), "true".into());
    let key = &aws.options().credentials[0];
    let mut env = without_credentials.clone();
    env.insert("AWS_ACCESS_KEY_ID".into(), key.access_key_id.clone());
    env.insert(
        "AWS_SECRET_ACCESS_KEY".into(),
        key.secret_access_key.clone(),
    );

    let out = doctor(&org, &env, true).await;
    let all = findings(&out);
    assert_eq!(finding(&all, "AWS Partner Central API")["status"], "ok");
    assert_eq!(finding(&all, "AWS webhook key")["status"], "ok");
    let catalog = finding(&all, "AWS catalog");
    assert_eq!(catalog["status"], "warning", "{catalog:#}");
    assert!(
        catalog["fix"]
            .as_str()
            .unwrap()
            .contains("\"Sandbox\" first"),
        "{catalog:#}"
    );
    for field in setup::plan::AWS_FIELDS {
        let check = format!("field Opportunity.{}", field.default_name());
        assert_eq!(finding(&all, &check)["status"], "ok", "{check}");
    }
    assert_eq!(
        finding(&all, "picklist values Opportunity.AWS_Primary_Needs__c")["status"],
        "ok"
    );
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(
        !printed.contains(crate::setup_support::AWS_WEBHOOK_KEY),
        "{printed}"
    );
    assert!(!printed.contains(&key.secret_access_key), "{printed}");

    let out = doctor(&org, &without_credentials, true).await;
    assert_eq!(out.status.code(), Some(1));
    let probe = finding(&findings(&out), "AWS Partner Central API").clone();
    assert_eq!(probe["status"], "blocker", "{probe:#}");
    assert!(
        probe["fix"].as_str().unwrap().contains("AWS_ACCESS_KEY_ID"),
        "{probe:#}"
    );

    aws.control()
        .set_faults(FaultConfig {
            error_rate: 1.0,
            errors: vec!["AccessDeniedException".into()],
            ..FaultConfig::default()
        })
        .unwrap();
    let out = doctor(&org, &env, true).await;
    let probe = finding(&findings(&out), "AWS Partner Central API").clone();
    assert_eq!(probe["status"], "blocker", "{probe:#}");
    assert!(
        probe["fix"].as_str().unwrap().contains("IAM policy"),
        "{probe:#}"
    );
}
