//! What the AWS side of the sync needs to know: the catalog, how an
//! opportunity is submitted, and the Salesforce fields it reads and writes
//! (the `[aws]` section of the configuration).

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use crate::settings::EXAMPLE_CONFIG;

/// The sync's AWS settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AwsSettings {
    /// `AWS` (real deals) or `Sandbox` (AWS's isolated testing catalog).
    pub catalog: String,
    /// Partner solution ids (`S-…`) associated with every opportunity before
    /// it is submitted (AWS requires at least one).
    pub solution_ids: Vec<String>,
    /// `SubmitOpportunity`'s `InvolvementType`: `Co-Sell` or `For Visibility Only`.
    pub involvement: String,
    /// `SubmitOpportunity`'s `Visibility`: `Full` or `Limited`.
    pub visibility: String,
    /// `OpportunityType` of new opportunities: `Net New Business`,
    /// `Flat Renewal` or `Expansion`.
    pub opportunity_type: String,
    /// Salesforce open stage (API name) to AWS `LifeCycle.Stage`. An open
    /// stage not listed leaves AWS's stage as it is; won and lost stages
    /// always map to `Launched` and `Closed Lost`.
    pub stages: BTreeMap<String, String>,
    /// The Salesforce fields of the AWS side.
    pub fields: AwsFieldNames,
}

/// API names of the Opportunity fields the AWS side reads and writes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AwsFieldNames {
    /// Checkbox: the seller shares the opportunity with AWS.
    pub share_flag: String,
    /// Text: the AWS opportunity id (`O…`), written by cosell.
    pub opportunity_id: String,
    /// Text: the AWS engagement invitation an AWS-originated deal came from.
    pub invitation_id: String,
    /// Text: AWS's review status, written by cosell.
    pub review_status: String,
    /// Long text: AWS's review reason and feedback, written by cosell.
    pub feedback: String,
    /// Long text: `Project.CustomerBusinessProblem`.
    pub business_problem: String,
    /// Picklist: `Customer.Account.Industry` (AWS's industry values).
    pub industry: String,
    /// Multi-select picklist: `Project.DeliveryModels`.
    pub delivery_models: String,
    /// Multi-select picklist: `Project.SalesActivities`.
    pub sales_activities: String,
    /// Multi-select picklist: `PrimaryNeedsFromAws` (required for `Co-Sell`).
    pub primary_needs: String,
    /// Currency: `Project.ExpectedCustomerSpend` (monthly, in USD).
    pub expected_monthly_spend: String,
    /// Picklist: `LifeCycle.ClosedLostReason` (AWS's reasons).
    pub closed_lost_reason: String,
}

impl AwsFieldNames {
    /// Every `(key, API name)` pair, in declaration order.
    pub fn entries(&self) -> Vec<(String, String)> {
        crate::settings::string_entries(self)
    }
}

impl Default for AwsFieldNames {
    /// The names written in the example configuration's `[aws.fields]`.
    fn default() -> Self {
        EXAMPLE_FIELD_NAMES.clone()
    }
}

/// [`AwsFieldNames::default`], read once from [`EXAMPLE_CONFIG`].
static EXAMPLE_FIELD_NAMES: LazyLock<AwsFieldNames> = LazyLock::new(|| {
    #[derive(Deserialize)]
    struct Example {
        aws: Section,
    }
    #[derive(Deserialize)]
    struct Section {
        fields: AwsFieldNames,
    }
    let example: Example = toml::from_str(EXAMPLE_CONFIG)
        .unwrap_or_else(|e| panic!("config/cosell.example.toml: {e}"));
    example.aws.fields
});

impl AwsFieldNames {
    /// The API name configured for `key` (a `[aws.fields]` key), if it is one.
    pub fn get(&self, key: &str) -> Option<String> {
        self.entries()
            .into_iter()
            .find(|(k, _)| k == key)
            .map(|(_, name)| name)
    }
}
