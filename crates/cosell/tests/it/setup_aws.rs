//! The AWS side's Salesforce fields: `cosell setup salesforce` creates them
//! (with field access) when `[aws]` is enabled and only then, emulated demo
//! orgs have them already, and the emulator's value lists are the SDK's.

use std::collections::BTreeSet;

use aws_partner_central::types::{
    ClosedLostReason, DeliveryModel, Industry, PrimaryNeedFromAws, SalesActivity,
};
use cosell::connect::{self, Observers};
use cosell::setup::plan::AWS_FIELDS;
use cosell::setup::{self, Status};

use crate::setup_support::TestOrg;

/// Salesforce API calls that write (token requests excluded).
fn writes(org: &TestOrg) -> u64 {
    org.sf_calls("POST /services/data") + org.sf_calls("PATCH ") + org.sf_calls("DELETE ")
}

/// `field Opportunity.<name>` for every AWS field, default names.
fn aws_field_items() -> Vec<String> {
    AWS_FIELDS
        .iter()
        .map(|f| format!("field Opportunity.{}", f.default_name()))
        .collect()
}

fn set(values: &[&str]) -> BTreeSet<String> {
    values.iter().map(|v| (*v).to_owned()).collect()
}

#[test]
fn the_emulators_aws_value_lists_are_the_sdks() {
    let pairs: [(&str, &[&str], &[&str]); 5] = [
        ("industry", emulator::aws::INDUSTRIES, Industry::values()),
        (
            "delivery models",
            emulator::aws::DELIVERY_MODELS,
            DeliveryModel::values(),
        ),
        (
            "sales activities",
            emulator::aws::SALES_ACTIVITIES,
            SalesActivity::values(),
        ),
        (
            "primary needs",
            emulator::aws::PRIMARY_NEEDS,
            PrimaryNeedFromAws::values(),
        ),
        (
            "closed lost reasons",
            emulator::aws::CLOSED_LOST_REASONS,
            ClosedLostReason::values(),
        ),
    ];
    for (what, emulated, sdk) in pairs {
        assert_eq!(set(emulated), set(sdk), "{what}");
        assert_eq!(emulated.len(), sdk.len(), "{what}: a value listed twice");
    }
}

#[tokio::test]
async fn setup_creates_the_aws_fields_only_when_aws_is_enabled() {
    let org = TestOrg::bare().await;
    let sf = connect::salesforce_client(&org.config(), &Observers::default()).unwrap();
    let without = setup::salesforce(&sf, &org.config(), true).await.unwrap();
    for item in aws_field_items() {
        assert_eq!(without.status_of(&item), None, "{item}\n{without}");
    }

    org.enable_aws("");
    let config = org.aws_config();
    let first = setup::salesforce(&sf, &config, false).await.unwrap();
    for item in aws_field_items() {
        assert_eq!(
            first.status_of(&item),
            Some(Status::Created),
            "{item}\n{first}"
        );
        let grant = item.replacen("field ", "field permissions ", 1);
        assert_eq!(
            first.status_of(&grant),
            Some(Status::Created),
            "{grant}\n{first}"
        );
    }
    assert_eq!(first.missing(), 0, "{first}");

    // The integration user sees them with the types the AWS side writes.
    let describe = sf.describe("Opportunity").await.unwrap();
    let field = |name: &str| {
        describe
            .field(name)
            .unwrap_or_else(|| panic!("{name} is not visible"))
    };
    assert_eq!(field("Share_with_AWS__c").field_type, "boolean");
    let id = field("AWS_Opportunity_Id__c");
    assert!(id.external_id && id.unique, "{id:?}");
    assert_eq!(id.length, Some(32));
    assert_eq!(field("AWS_Invitation_Id__c").length, Some(64));
    assert_eq!(field("AWS_Feedback__c").length, Some(32_768));
    assert_eq!(
        field("AWS_Expected_Monthly_Spend__c").field_type,
        "currency"
    );
    let industry = field("AWS_Industry__c");
    assert_eq!(industry.field_type, "picklist");
    assert_eq!(industry.picklist_values.len(), Industry::values().len());
    let needs = field("AWS_Primary_Needs__c");
    assert_eq!(needs.field_type, "multipicklist");
    assert_eq!(
        needs.picklist_values.len(),
        PrimaryNeedFromAws::values().len()
    );

    // A second run finds everything and writes nothing.
    let before = writes(&org);
    let second = setup::salesforce(&sf, &config, false).await.unwrap();
    assert_eq!(writes(&org), before, "the second run wrote:\n{second}");
    for item in aws_field_items() {
        assert_eq!(second.status_of(&item), Some(Status::Present), "{second}");
    }
}

#[tokio::test]
async fn emulated_demo_orgs_have_the_aws_fields() {
    let org = TestOrg::ready().await;
    org.enable_aws("");
    let config = org.aws_config();
    let sf = connect::salesforce_client(&config, &Observers::default()).unwrap();
    let report = setup::salesforce(&sf, &config, true).await.unwrap();
    for item in aws_field_items() {
        assert_eq!(
            report.status_of(&item),
            Some(Status::Present),
            "{item}\n{report}"
        );
    }
}
