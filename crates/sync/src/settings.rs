//! The sync settings of the original connector, plus the API names of the
//! connector's Salesforce fields: the `[sync]` section of `cosell.toml`,
//! deserialized as it is (the binary checks the values). Their defaults are
//! the values written in `config/cosell.example.toml`, and nowhere else.

use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

/// The commented example configuration, whose `[sync]` values are the defaults.
pub(crate) const EXAMPLE_CONFIG: &str = include_str!("../../../config/cosell.example.toml");

/// How the connector maps and moves deals: `[sync]`, plus the portal URL
/// from `[partner_center]` and the `[[mapping]]` entries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
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
    /// `[sync.fields]`.
    pub fields: FieldNames,
    /// Base of the links to referrals in the Partner Center portal
    /// (`partner_center.portal_url`, not a `[sync]` key).
    #[serde(skip_deserializing)]
    pub portal_url: String,
    /// Extra field mappings (`[[mapping]]`, not a `[sync]` key): the one
    /// place where mapping is customised beyond the settings above.
    #[serde(skip_deserializing)]
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

/// `[sync.fields]`: API names of the connector's Salesforce fields and
/// solutions object. Code that needs every name (checks, setup, summaries)
/// goes through [`FieldNames::entries`], so a new key is declared here, with
/// its default in the example configuration, and with its Salesforce type
/// in the binary's setup plan (a test there fails until it is).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
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

/// Every `(key, value)` of a struct of strings, in declaration order.
pub(crate) fn string_entries(names: &impl Serialize) -> Vec<(String, String)> {
    let Ok(serde_json::Value::Object(map)) = serde_json::to_value(names) else {
        unreachable!("a struct of strings serializes to an object")
    };
    map.into_iter()
        .map(|(key, value)| match value {
            serde_json::Value::String(name) => (key, name),
            other => unreachable!("{key} holds {other}, not a string"),
        })
        .collect()
}

/// The `[sync.fields]` keys that name the solutions object and its fields;
/// every other key names an Opportunity field.
pub const SOLUTION_OBJECT_KEYS: [&str; 3] = [
    "solution_object",
    "solution_opportunity_field",
    "solution_id_field",
];

impl FieldNames {
    /// Every `(key, API name)` pair, in declaration order.
    pub fn entries(&self) -> Vec<(String, String)> {
        string_entries(self)
    }

    /// The API name set for `key`, if it is a `[sync.fields]` key.
    pub fn get(&self, key: &str) -> Option<String> {
        self.entries()
            .into_iter()
            .find(|(k, _)| k == key)
            .map(|(_, name)| name)
    }

    /// The API names of the connector's own Opportunity fields.
    pub fn opportunity_fields(&self) -> Vec<String> {
        self.entries()
            .into_iter()
            .filter(|(key, _)| !SOLUTION_OBJECT_KEYS.contains(&key.as_str()))
            .map(|(_, name)| name)
            .collect()
    }
}

impl Default for FieldNames {
    /// The names written in the example configuration.
    fn default() -> Self {
        Settings::default().fields
    }
}

impl Default for Settings {
    /// The settings written in the example configuration (its demo org's).
    fn default() -> Self {
        EXAMPLE_SETTINGS.clone()
    }
}

/// [`Settings::default`], read once from [`EXAMPLE_CONFIG`].
static EXAMPLE_SETTINGS: LazyLock<Settings> = LazyLock::new(|| {
    #[derive(Deserialize)]
    struct Example {
        sync: Settings,
        partner_center: PortalUrl,
    }
    #[derive(Deserialize)]
    struct PortalUrl {
        portal_url: String,
    }
    let example: Example = toml::from_str(EXAMPLE_CONFIG)
        .unwrap_or_else(|e| panic!("config/cosell.example.toml: {e}"));
    Settings {
        portal_url: example.partner_center.portal_url,
        ..example.sync
    }
});

impl Settings {
    /// True when the org has State and Country/Territory Picklists, as the
    /// configured country field says (`BillingCountryCode`): states then go
    /// to `BillingStateCode`.
    pub fn state_codes(&self) -> bool {
        self.country_code_field
            .eq_ignore_ascii_case("BillingCountryCode")
    }

    /// The Account field holding the customer's state: `BillingStateCode`
    /// with state picklists on, else `BillingState`.
    pub fn state_field(&self) -> &'static str {
        if self.state_codes() {
            "BillingStateCode"
        } else {
            "BillingState"
        }
    }

    /// The portal link for a referral.
    pub fn referral_link(&self, referral_id: &str) -> String {
        format!("{}/{}", self.portal_url.trim_end_matches('/'), referral_id)
    }
}
