//! The sync settings of the original connector, plus the API names of the
//! connector's Salesforce fields. The binary builds them from `cosell.toml`.

use serde::{Deserialize, Serialize};

/// How the connector maps and moves deals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// Stage meaning "accepted": leaving on-hold for it accepts the referral.
    pub active_stage: String,
    /// Stage for referrals shared by Microsoft and not yet accepted.
    pub on_hold_stage: String,
    /// Stage for won deals (None: the org's first won stage).
    pub won_stage: Option<String>,
    /// Stage for lost deals (None: the org's first closed, not won stage).
    pub lost_stage: Option<String>,
    /// Developer name of the Opportunity record type new opportunities get
    /// (None: the integration user's default); its sales process must have
    /// every stage above.
    pub opportunity_record_type: Option<String>,
    /// Show ✔/✖ before the opportunity name after a sync.
    pub show_checkmark: bool,
    /// Account field holding the ISO country code.
    pub country_code_field: String,
    /// Opportunity field holding the deal value.
    pub deal_value_field: String,
    /// Opportunity field holding the deal value's currency (empty: none).
    pub currency_field: String,
    /// The corporate currency of a single-currency org (`currency_field`
    /// empty): every Salesforce amount is in it, and an amount in another
    /// currency cannot be written there.
    pub org_currency: Option<String>,
    /// Bring only co-sell and pipeline-sharing referrals into Salesforce.
    pub co_sell_only: bool,
    /// API names of the connector's Salesforce fields.
    pub fields: FieldNames,
    /// Base of the links to referrals in the Partner Center portal.
    pub portal_url: String,
    /// Extra field mappings (`[[mapping]]`): the one place where mapping is
    /// customised beyond the settings above.
    pub mappings: Vec<FieldMapping>,
}

/// One extra field mapped between a referral and its opportunity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldMapping {
    /// JSON Pointer into the referral, e.g. `/details/customerAction`.
    pub referral_path: String,
    /// Opportunity field API name, e.g. `NextStep`.
    pub salesforce_field: String,
    /// Which way the field flows.
    pub direction: MappingDirection,
}

/// Which way a mapped field flows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MappingDirection {
    /// Through the three-way merge, like the built-in fields.
    Both,
    /// Partner Center is the source; Salesforce edits are overwritten.
    PartnerCenterToSalesforce,
    /// Salesforce is the source; Partner Center edits are overwritten.
    SalesforceToPartnerCenter,
}

/// API names of the connector's Salesforce fields and solutions object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldNames {
    /// The checkbox a seller ticks to share the opportunity with Microsoft.
    pub sync_flag: String,
    /// Holds the referral's id (external id of the pair).
    pub referral_id: String,
    /// Holds the link to the referral in Partner Center.
    pub referral_link: String,
    /// The help option picklist (what the partner asks Microsoft for).
    pub help: String,
    /// The checkbox that makes the deal visible to Microsoft sellers.
    pub visibility: String,
    /// Holds Microsoft's CRM (MSX) id of the deal.
    pub microsoft_crm_id: String,
    /// The long text area where the connector writes its audit lines.
    pub audit: String,
    /// The solutions object (a row per Microsoft solution).
    pub solution_object: String,
    /// The solutions object's lookup to the opportunity.
    pub solution_opportunity_field: String,
    /// The solutions object's field holding the solution id.
    pub solution_id_field: String,
    /// Opportunity text field: a Services co-sell deal's partner role.
    pub partner_role: String,
    /// Opportunity text field: a Services co-sell deal's solution area.
    pub solution_area: String,
    /// Opportunity text field: a Services co-sell deal's solution play.
    pub solution_play: String,
    /// Opportunity picklist: the customer's marketplace purchase intent.
    pub marketplace_intent: String,
}

impl Default for FieldNames {
    fn default() -> Self {
        Self {
            sync_flag: "Sync_with_Partner_Center__c".into(),
            referral_id: "Referral_Identifier__c".into(),
            referral_link: "Referral_Link__c".into(),
            help: "How_can_Microsoft_help__c".into(),
            visibility: "Microsoft_Referral_Visibility__c".into(),
            microsoft_crm_id: "Microsoft_CRM_Identifier__c".into(),
            audit: "Audit__c".into(),
            solution_object: "Microsoft_Solution__c".into(),
            solution_opportunity_field: "Opportunity__c".into(),
            solution_id_field: "Solution_Id__c".into(),
            partner_role: "Partner_Role__c".into(),
            solution_area: "Solution_Area__c".into(),
            solution_play: "Solution_Play__c".into(),
            marketplace_intent: "Marketplace_Purchase_Intent__c".into(),
        }
    }
}

impl Default for Settings {
    /// The demo org's settings.
    fn default() -> Self {
        Self {
            active_stage: "Qualification".into(),
            on_hold_stage: "On Hold".into(),
            won_stage: None,
            lost_stage: None,
            opportunity_record_type: None,
            show_checkmark: true,
            country_code_field: "BillingCountry".into(),
            deal_value_field: "Amount".into(),
            currency_field: "CurrencyIsoCode".into(),
            org_currency: None,
            co_sell_only: true,
            fields: FieldNames::default(),
            portal_url: "https://partner.microsoft.com/dashboard/v2/referrals/cosell".into(),
            mappings: Vec::new(),
        }
    }
}

impl Settings {
    /// The portal link for a referral.
    pub fn referral_link(&self, referral_id: &str) -> String {
        format!("{}/{}", self.portal_url.trim_end_matches('/'), referral_id)
    }
}
