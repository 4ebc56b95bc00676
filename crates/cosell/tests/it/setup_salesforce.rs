//! `cosell setup salesforce` against a bare emulated org: it installs the
//! connector's schema and permissions, a second run changes nothing, and a
//! sync then works with no manual step.

use cosell::connect::{self, Observers};
use cosell::setup::{self, Status};
use emulator::salesforce::{Options as SfOptions, Profile};
use salesforce::SalesforceId;

use crate::setup_support::TestOrg;

/// Salesforce API calls that write (token requests excluded).
fn writes(org: &TestOrg) -> u64 {
    org.sf_calls("POST /services/data") + org.sf_calls("PATCH ") + org.sf_calls("DELETE ")
}

const FIELDS: &[&str] = &[
    "field Opportunity.Sync_with_Partner_Center__c",
    "field Opportunity.Referral_Identifier__c",
    "field Opportunity.Referral_Link__c",
    "field Opportunity.How_can_Microsoft_help__c",
    "field Opportunity.Microsoft_Referral_Visibility__c",
    "field Opportunity.Microsoft_CRM_Identifier__c",
    "field Opportunity.Audit__c",
    "field Opportunity.Partner_Role__c",
    "field Opportunity.Solution_Area__c",
    "field Opportunity.Solution_Play__c",
    "field Opportunity.Marketplace_Purchase_Intent__c",
    "object Microsoft_Solution__c",
    "field Microsoft_Solution__c.Opportunity__c",
    "field Microsoft_Solution__c.Solution_Id__c",
    "permission set Cosell_Connector",
    "field permissions Opportunity.Audit__c",
    "field permissions Microsoft_Solution__c.Solution_Id__c",
];

#[tokio::test]
async fn setup_installs_once_then_sync_needs_no_manual_step() {
    let org = TestOrg::bare().await;
    let config = org.config();
    let sf = connect::salesforce_client(&config, &Observers::default()).unwrap();

    // A dry run reports the whole plan and writes nothing.
    let plan = setup::salesforce(&sf, &config, true).await.unwrap();
    for item in FIELDS {
        assert_eq!(
            plan.status_of(item),
            Some(Status::WouldCreate),
            "{item}\n{plan}"
        );
    }
    assert_eq!(writes(&org), 0, "a dry run wrote:\n{plan}");
    assert_eq!(plan.missing(), 0, "{plan}");

    // The real run creates everything.
    let first = setup::salesforce(&sf, &config, false).await.unwrap();
    for item in FIELDS {
        assert_eq!(
            first.status_of(item),
            Some(Status::Created),
            "{item}\n{first}"
        );
    }
    let assignment = first
        .lines
        .iter()
        .find(|l| l.item.starts_with("permission set assignment to user 005"))
        .unwrap_or_else(|| panic!("no assignment line:\n{first}"));
    assert_eq!(assignment.status, Status::Created);
    // Field permissions on every field but the master-detail one.
    assert_eq!(
        first
            .lines
            .iter()
            .filter(|l| l.item.starts_with("field permissions "))
            .count(),
        12,
        "{first}"
    );
    assert_eq!(first.missing(), 0, "{first}");
    // Object permissions are granted where the org's API offers
    // ObjectPermissions, and otherwise named as a manual step.
    let object_permissions = "object permissions Microsoft_Solution__c";
    let offers_object_permissions = sf
        .describe_global()
        .await
        .unwrap()
        .sobjects
        .iter()
        .any(|o| o.name == "ObjectPermissions");
    let warnings: Vec<&str> = first
        .with_status(Status::Warning)
        .map(|l| l.item.as_str())
        .collect();
    if offers_object_permissions {
        assert_eq!(
            first.status_of(object_permissions),
            Some(Status::Created),
            "{first}"
        );
        assert!(warnings.is_empty(), "{first}");
    } else {
        assert_eq!(warnings, [object_permissions], "{first}");
    }

    let describe = sf.describe("Opportunity").await.unwrap();
    let referral = describe
        .field("Referral_Identifier__c")
        .expect("the field exists");
    assert!(referral.external_id && referral.unique, "{referral:?}");
    assert_eq!(referral.length, Some(100));
    let help = describe.field("How_can_Microsoft_help__c").unwrap();
    assert_eq!(help.picklist_values.len(), 6);
    assert!(sf.describe("Microsoft_Solution__c").await.is_ok());

    // A second run finds everything and writes nothing.
    let before = writes(&org);
    let second = setup::salesforce(&sf, &config, false).await.unwrap();
    assert_eq!(writes(&org), before, "the second run wrote:\n{second}");
    assert_eq!(second.writes(), 0, "{second}");
    for line in &second.lines {
        if line.item == object_permissions && !offers_object_permissions {
            assert_eq!(line.status, Status::Warning, "{second}");
        } else {
            assert!(
                matches!(line.status, Status::Present | Status::Ok),
                "second run: {line}\n{second}"
            );
        }
    }
    for created in first.with_status(Status::Created) {
        assert_eq!(
            second.status_of(&created.item),
            Some(Status::Present),
            "{second}"
        );
    }

    // A full sync works right away, both ways.
    let referral_id = org.share_referral(1);
    let opportunity_id = org.co_sell_opportunity(1);
    let engine = connect::engine(&config, &Observers::default())
        .await
        .unwrap();
    let pass = engine
        .full_pass(config.worker.batch_size, chrono::Duration::seconds(5))
        .await
        .expect("the sync pass runs");
    assert_eq!(pass.summary.failed, 0, "{:#?}", pass.outcomes);
    assert_eq!(pass.summary.salesforce.created, 1, "{}", pass.summary);
    assert_eq!(pass.summary.partner_center.created, 1, "{}", pass.summary);
    let paired = org.paired_opportunities();
    assert!(
        paired
            .iter()
            .any(|o| o["Referral_Identifier__c"] == referral_id.as_str()),
        "no opportunity for {referral_id}"
    );
    assert!(
        paired.iter().any(|o| o["Id"]
            .as_str()
            .is_some_and(|id| SalesforceId::same(id, &opportunity_id))),
        "{opportunity_id} got no referral id"
    );
}

#[tokio::test]
async fn setup_reports_missing_prerequisites_without_changing_them() {
    let org = TestOrg::start(SfOptions {
        bare: true,
        multi_currency: false,
        ..SfOptions::default()
    })
    .await;
    let text = std::fs::read_to_string(&org.config_path).unwrap().replace(
        "on_hold_stage = \"On Hold\"",
        "on_hold_stage = \"Waiting for Microsoft\"",
    );
    std::fs::write(&org.config_path, text).unwrap();
    let config = org.config();
    let sf = connect::salesforce_client(&config, &Observers::default()).unwrap();

    let report = setup::salesforce(&sf, &config, true).await.unwrap();
    let missing: Vec<String> = report
        .with_status(Status::Missing)
        .map(|l| l.item.clone())
        .collect();
    assert_eq!(
        missing,
        [
            "stage \"Waiting for Microsoft\" (sync.on_hold_stage)",
            "multi-currency (Opportunity.CurrencyIsoCode)"
        ],
        "{report}"
    );
    assert_eq!(
        report.status_of("stage \"Qualification\" (sync.active_stage)"),
        Some(Status::Ok)
    );
    assert_eq!(writes(&org), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_prints_one_line_per_item() {
    let org = TestOrg::bare().await;
    let run = |dry_run: bool| {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_cosell"));
        command
            .args(["setup", "salesforce", "-c"])
            .arg(&org.config_path)
            .env_clear()
            .envs(TestOrg::env());
        if dry_run {
            command.arg("--dry-run");
        }
        command.output()
    };
    let out = run(true).await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("would create  field Opportunity.Referral_Identifier__c"),
        "{stdout}"
    );
    assert!(stdout.contains("dry run: nothing was changed"), "{stdout}");
    assert_eq!(writes(&org), 0);

    let out = run(false).await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("created       object Microsoft_Solution__c"),
        "{stdout}"
    );

    let out = run(false).await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("present       field Opportunity.Audit__c"),
        "{stdout}"
    );
    assert!(!stdout.contains("created"), "{stdout}");
}

#[tokio::test]
async fn setup_finds_a_schema_installed_another_way() {
    // The demo org has the connector's fields and object (as after an SFDX
    // deploy); setup then only adds the permission set.
    let org = TestOrg::ready().await;
    let config = org.config();
    let sf = connect::salesforce_client(&config, &Observers::default()).unwrap();
    let report = setup::salesforce(&sf, &config, true).await.unwrap();
    for item in FIELDS.iter().filter(|i| !i.contains("permission")) {
        assert_eq!(
            report.status_of(item),
            Some(Status::Present),
            "{item}\n{report}"
        );
    }
    assert_eq!(
        report.status_of("permission set Cosell_Connector"),
        Some(Status::WouldCreate),
        "{report}"
    );
    assert_eq!(writes(&org), 0);
}

/// The connector's fields the integration user sees on Opportunity.
async fn visible_connector_fields(sf: &salesforce::SalesforceClient) -> Vec<String> {
    let Ok(describe) = sf.describe("Opportunity").await else {
        return Vec::new();
    };
    FIELDS
        .iter()
        .filter_map(|item| item.strip_prefix("field Opportunity."))
        .filter(|name| describe.field(name).is_some())
        .map(|name| (*name).to_owned())
        .collect()
}

#[tokio::test]
async fn on_an_enterprise_org_setup_s_grants_make_the_fields_usable_and_nothing_else_does() {
    let org = TestOrg::start(SfOptions {
        bare: true,
        ..SfOptions::for_profile(Profile::Enterprise)
    })
    .await;
    // A configuration written for an org without country picklists.
    let fitted = "country_code_field = \"BillingCountryCode\"";
    let unfitted = "country_code_field = \"BillingCountry\"";
    org.edit_config(|text| text.replace(fitted, unfitted));
    // A dry run cannot grant: the integration user cannot even read
    // Opportunity yet.
    let original = org.config();
    let sf = connect::salesforce_client(&original, &Observers::default()).unwrap();
    let check = setup::salesforce(&sf, &original, true).await.unwrap();
    assert_eq!(
        check.status_of("object Opportunity"),
        Some(Status::Missing),
        "{check}"
    );
    // The configuration that fits the org (country codes, the partner
    // record type), as `cosell emulator salesforce` prints it.
    org.edit_config(|text| text.replace(unfitted, fitted));
    let config = org.config();
    let engine = connect::engine(&config, &Observers::default())
        .await
        .unwrap();
    // As provisioned, the integration user's minimum-access profile lets it
    // write none of the objects the connector writes.
    let account = salesforce::Record::new().with("Name", "Contoso");
    for object in ["Account", "Contact", "Opportunity"] {
        let refused = sf.create(object, &account).await.unwrap_err();
        assert!(refused.is_not_found(), "{object}: {refused}");
    }
    let all: Vec<String> = FIELDS
        .iter()
        .filter_map(|item| item.strip_prefix("field Opportunity."))
        .map(|name| (*name).to_owned())
        .collect();

    let first = setup::salesforce(&sf, &config, false).await.unwrap();
    assert_eq!(first.missing(), 0, "{first}");
    for item in [
        "permission set Cosell_Connector",
        "object permissions Account",
        "object permissions Contact",
        "object permissions Opportunity",
        "object permissions Microsoft_Solution__c",
        "field permissions Opportunity.Referral_Identifier__c",
        "field permissions Microsoft_Solution__c.Solution_Id__c",
    ] {
        assert_eq!(
            first.status_of(item),
            Some(Status::Created),
            "{item}\n{first}"
        );
    }
    assert_eq!(visible_connector_fields(&sf).await, all);
    // The org has State and Country/Territory Picklists: setup says which
    // country field to use.
    let check = setup::salesforce(&sf, &original, true).await.unwrap();
    let country = check
        .lines
        .iter()
        .find(|l| l.item == "field Account.BillingCountry (sync.country_code_field)")
        .unwrap_or_else(|| panic!("no country line:\n{check}"));
    assert_eq!(country.status, Status::Missing, "{check}");
    // The grants are what the connector needs and no more: it creates and
    // edits Accounts, never deletes them.
    let id = sf.create("Account", &account).await.unwrap();
    sf.update("Account", &id, &account.clone().with("Name", "Contoso Ltd"))
        .await
        .unwrap();
    let refused = sf.delete("Account", &id).await.unwrap_err();
    assert_eq!(
        refused.code(),
        Some(&salesforce::ErrorCode::InsufficientAccessOrReadonly),
        "{refused}"
    );
    org.sf.delete(&id).unwrap();

    // The same fields without the grants (as Tooling leaves them): the
    // integration user sees none of them and the connector cannot sync.
    let set = sf
        .query_all_records(
            &salesforce::Soql::select(["Id"])
                .from("PermissionSet")
                .where_(salesforce::Condition::eq("Name", "Cosell_Connector")),
        )
        .await
        .unwrap();
    org.sf.delete(set[0].id().unwrap()).unwrap();
    assert!(visible_connector_fields(&sf).await.is_empty());
    assert!(sf.describe("Microsoft_Solution__c").await.is_err());
    org.share_referral(1);
    let refused = engine
        .full_pass(config.worker.batch_size, chrono::Duration::seconds(5))
        .await;
    let error = refused.err().map(|e| e.to_string()).unwrap_or_default();
    // Without the set's object permissions Opportunity itself is gone.
    assert!(error.contains("INVALID_TYPE"), "{error}");

    // Setup grants them again, and the connector syncs both ways.
    let second = setup::salesforce(&sf, &config, false).await.unwrap();
    assert_eq!(
        second.status_of("permission set Cosell_Connector"),
        Some(Status::Created),
        "{second}"
    );
    assert_eq!(visible_connector_fields(&sf).await, all);
    org.co_sell_opportunity(1);
    let pass = engine
        .full_pass(config.worker.batch_size, chrono::Duration::seconds(5))
        .await
        .expect("the sync pass runs");
    assert_eq!(pass.summary.failed, 0, "{:#?}", pass.outcomes);
    assert_eq!(pass.summary.salesforce.created, 1, "{}", pass.summary);
    assert_eq!(pass.summary.partner_center.created, 1, "{}", pass.summary);
}

#[tokio::test]
async fn setup_checks_the_record_type_s_sales_process() {
    let org = TestOrg::start(SfOptions::for_profile(Profile::Enterprise)).await;
    let report_for = |record_type: &str| {
        let text = std::fs::read_to_string(&org.config_path).unwrap();
        let text = text
            .lines()
            .filter(|l| !l.starts_with("opportunity_record_type"))
            .collect::<Vec<_>>()
            .join("\n")
            .replace(
                "[sync]\n",
                &format!("[sync]\nopportunity_record_type = \"{record_type}\"\n"),
            );
        std::fs::write(&org.config_path, text).unwrap();
        let config = org.config();
        async move {
            let sf = connect::salesforce_client(&config, &Observers::default()).unwrap();
            setup::salesforce(&sf, &config, true).await.unwrap()
        }
    };
    let direct = report_for("Direct_Deal").await;
    let line = direct
        .lines
        .iter()
        .find(|l| l.item == "record type Direct_Deal (sync.opportunity_record_type)")
        .unwrap_or_else(|| panic!("no record type line:\n{direct}"));
    assert_eq!(line.status, Status::Missing, "{direct}");
    assert!(
        line.detail
            .as_deref()
            .unwrap_or_default()
            .contains("lacks the stage(s) On Hold"),
        "{direct}"
    );
    let partner = report_for("Partner_Deal").await;
    assert_eq!(
        partner.status_of("record type Partner_Deal (sync.opportunity_record_type)"),
        Some(Status::Ok),
        "{partner}"
    );
    let unknown = report_for("Reseller_Deal").await;
    assert_eq!(
        unknown.status_of("record type Reseller_Deal (sync.opportunity_record_type)"),
        Some(Status::Missing),
        "{unknown}"
    );
}
