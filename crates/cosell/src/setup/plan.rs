//! The connector's Salesforce schema, declared once: the custom fields on
//! Opportunity, the `Microsoft_Solution__c` object with its fields, and the
//! permission set. `cosell setup salesforce` creates exactly this, and the
//! SFDX project in `salesforce/` is checked against it by a test, so the two
//! never drift.
//!
//! API names are configurable (`[sync.fields]`), so each field is declared
//! by its role; [`Plan::new`] resolves the configured names.

use crate::config::{ApiName, FieldNames};

/// The standard object the connector's fields live on.
pub const OPPORTUNITY: &str = "Opportunity";
/// API name of the connector's permission set.
pub const PERMISSION_SET_NAME: &str = "Cosell_Connector";
/// Label of the connector's permission set.
pub const PERMISSION_SET_LABEL: &str = "Cosell Connector";
/// Description of the permission set.
pub const PERMISSION_SET_DESCRIPTION: &str =
    "Lets the cosell integration user read and write the co-sell connector's fields and Microsoft solutions.";
/// Description written on every field and the object (shows in Setup).
pub const MANAGED_BY: &str = "Managed by the cosell co-sell connector.";
/// Suffix of custom API names.
pub const CUSTOM_SUFFIX: &str = "__c";

/// Values of "How can Microsoft help", in Partner Center's order
/// (help options map one to one, as in
/// <https://learn.microsoft.com/en-us/partner-center/referrals/connector-salesforce>).
pub const HELP_VALUES: &[&str] = &[
    "Workload specific value proposition",
    "Customer technical architecture",
    "Proof of concept or demo",
    "Quotes or licensing",
    "Post sales customer success",
    "General or other",
];

/// Length of the text fields holding ids.
pub const ID_TEXT_LENGTH: u32 = 100;
/// Length of the long text area `Audit__c` (the largest Salesforce allows).
pub const AUDIT_LENGTH: u32 = 131_072;
/// Length of the Services co-sell text fields (their values are not
/// published, so the field takes any one line Partner Center may accept).
pub const SERVICES_TEXT_LENGTH: u32 = 255;
/// Lines the audit text area shows on the page layout.
pub const AUDIT_VISIBLE_LINES: u32 = 10;

/// Which `[sync.fields]` key names a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// `sync_flag`
    SyncFlag,
    /// `referral_id`
    ReferralId,
    /// `referral_link`
    ReferralLink,
    /// `help`
    Help,
    /// `visibility`
    Visibility,
    /// `microsoft_crm_id`
    MicrosoftCrmId,
    /// `audit`
    Audit,
    /// `solution_opportunity_field`
    SolutionOpportunity,
    /// `solution_id_field`
    SolutionId,
    /// `partner_role`
    PartnerRole,
    /// `solution_area`
    SolutionArea,
    /// `solution_play`
    SolutionPlay,
    /// `marketplace_intent`
    MarketplaceIntent,
}

impl Role {
    /// The configured API name for this role.
    pub fn api_name(self, names: &FieldNames) -> &str {
        match self {
            Role::SyncFlag => names.sync_flag.as_str(),
            Role::ReferralId => names.referral_id.as_str(),
            Role::ReferralLink => names.referral_link.as_str(),
            Role::Help => names.help.as_str(),
            Role::Visibility => names.visibility.as_str(),
            Role::MicrosoftCrmId => names.microsoft_crm_id.as_str(),
            Role::Audit => names.audit.as_str(),
            Role::SolutionOpportunity => names.solution_opportunity_field.as_str(),
            Role::SolutionId => names.solution_id_field.as_str(),
            Role::PartnerRole => names.partner_role.as_str(),
            Role::SolutionArea => names.solution_area.as_str(),
            Role::SolutionPlay => names.solution_play.as_str(),
            Role::MarketplaceIntent => names.marketplace_intent.as_str(),
        }
    }
}

/// Which object a field belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parent {
    /// `Opportunity`.
    Opportunity,
    /// The solutions object (`[sync.fields] solution_object`).
    SolutionObject,
}

/// A field's Metadata API type with its type-specific settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// `Checkbox` with its default.
    Checkbox {
        /// Value of new records.
        default: bool,
    },
    /// `Text(length)`.
    Text {
        /// Maximum characters.
        length: u32,
        /// Indexed as an External ID (upsert key).
        external_id: bool,
        /// No two records may share a value.
        unique: bool,
    },
    /// `Url` (255 characters).
    Url,
    /// A restricted single-select picklist.
    Picklist {
        /// The values, in order; labels equal API names.
        values: PicklistValues,
    },
    /// `LongTextArea(length)`.
    LongTextArea {
        /// Maximum characters.
        length: u32,
        /// Lines shown on the layout.
        visible_lines: u32,
    },
    /// `MasterDetail` to a parent object.
    MasterDetail {
        /// The parent object.
        reference_to: &'static str,
        /// Relationship name (children are `<name>__r` on the parent).
        relationship_name: &'static str,
        /// Label of the related list on the parent.
        relationship_label: &'static str,
    },
}

/// Where a picklist's values come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PicklistValues {
    /// A fixed list, none the default.
    Fixed(&'static [&'static str]),
    /// The customer marketplace purchase intents of the shipped co-sell
    /// taxonomy ([`partner_center::Taxonomy`]), its default preselected.
    MarketplaceIntent,
}

impl PicklistValues {
    /// The values, in order.
    pub fn labels(self) -> Vec<&'static str> {
        match self {
            Self::Fixed(values) => values.to_vec(),
            Self::MarketplaceIntent => partner_center::Taxonomy::current()
                .marketplace_intent
                .labels(),
        }
    }

    /// The value new records get, if any.
    pub fn default_value(self) -> Option<&'static str> {
        match self {
            Self::Fixed(_) => None,
            Self::MarketplaceIntent => Some(
                partner_center::Taxonomy::current()
                    .marketplace_intent
                    .default_label(),
            ),
        }
    }
}

impl FieldType {
    /// The Metadata API type name (`<type>` in SFDX, `type` in Tooling).
    pub fn metadata_name(&self) -> &'static str {
        match self {
            FieldType::Checkbox { .. } => "Checkbox",
            FieldType::Text { .. } => "Text",
            FieldType::Url => "Url",
            FieldType::Picklist { .. } => "Picklist",
            FieldType::LongTextArea { .. } => "LongTextArea",
            FieldType::MasterDetail { .. } => "MasterDetail",
        }
    }

    /// Whether field-level security can be granted on it: master-detail
    /// fields are always required, and Salesforce does not allow field
    /// permissions on required fields (they are readable and editable by
    /// whoever can edit the object).
    pub fn takes_field_permissions(&self) -> bool {
        !matches!(self, FieldType::MasterDetail { .. })
    }
}

/// One of the connector's custom fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSpec {
    /// The `[sync.fields]` key naming it.
    pub role: Role,
    /// The object it belongs to.
    pub parent: Parent,
    /// Its default API name (the one the SFDX project uses).
    pub default_name: &'static str,
    /// Its label.
    pub label: &'static str,
    /// Help text shown next to it.
    pub help: &'static str,
    /// Its type.
    pub field_type: FieldType,
}

/// Every custom field the connector needs, Opportunity's first. The one
/// list both `setup` and the SFDX drift test read.
pub const CONNECTOR_FIELDS: &[FieldSpec] = &[
    FieldSpec {
        role: Role::SyncFlag,
        parent: Parent::Opportunity,
        default_name: "Sync_with_Partner_Center__c",
        label: "Sync with Partner Center",
        help: "Share this opportunity with Microsoft as a co-sell referral and keep the two in sync.",
        field_type: FieldType::Checkbox { default: false },
    },
    FieldSpec {
        role: Role::ReferralId,
        parent: Parent::Opportunity,
        default_name: "Referral_Identifier__c",
        label: "Referral ID",
        help: "The Partner Center referral id. Set by the connector.",
        field_type: FieldType::Text {
            length: ID_TEXT_LENGTH,
            external_id: true,
            unique: true,
        },
    },
    FieldSpec {
        role: Role::ReferralLink,
        parent: Parent::Opportunity,
        default_name: "Referral_Link__c",
        label: "Referral Link",
        help: "Link to the referral in Partner Center. Set by the connector.",
        field_type: FieldType::Url,
    },
    FieldSpec {
        role: Role::Help,
        parent: Parent::Opportunity,
        default_name: "How_can_Microsoft_help__c",
        label: "How can Microsoft help",
        help: "Choosing an option makes the referral co-sell (it then needs a customer contact).",
        field_type: FieldType::Picklist {
            values: PicklistValues::Fixed(HELP_VALUES),
        },
    },
    FieldSpec {
        role: Role::Visibility,
        parent: Parent::Opportunity,
        default_name: "Microsoft_Referral_Visibility__c",
        label: "Microsoft Referral Visibility",
        help: "Makes the referral visible to Microsoft sellers. Once visible it cannot be hidden again.",
        field_type: FieldType::Checkbox { default: false },
    },
    FieldSpec {
        role: Role::MicrosoftCrmId,
        parent: Parent::Opportunity,
        default_name: "Microsoft_CRM_Identifier__c",
        label: "Microsoft CRM ID",
        help: "Microsoft's own CRM id for the deal, filled when Microsoft accepts it.",
        field_type: FieldType::Text {
            length: ID_TEXT_LENGTH,
            external_id: false,
            unique: false,
        },
    },
    FieldSpec {
        role: Role::Audit,
        parent: Parent::Opportunity,
        default_name: "Audit__c",
        label: "Audit",
        help: "What the connector did with this opportunity, and any error.",
        field_type: FieldType::LongTextArea {
            length: AUDIT_LENGTH,
            visible_lines: AUDIT_VISIBLE_LINES,
        },
    },
    FieldSpec {
        role: Role::PartnerRole,
        parent: Parent::Opportunity,
        default_name: "Partner_Role__c",
        label: "Partner Role",
        help: "Services co-sell deals: your role on the deal. Fill it with the solution area and solution play, or leave all three empty.",
        field_type: FieldType::Text {
            length: SERVICES_TEXT_LENGTH,
            external_id: false,
            unique: false,
        },
    },
    FieldSpec {
        role: Role::SolutionArea,
        parent: Parent::Opportunity,
        default_name: "Solution_Area__c",
        label: "Solution Area",
        help: "Services co-sell deals: the Microsoft solution area (this fiscal year's taxonomy) of the customer's need.",
        field_type: FieldType::Text {
            length: SERVICES_TEXT_LENGTH,
            external_id: false,
            unique: false,
        },
    },
    FieldSpec {
        role: Role::SolutionPlay,
        parent: Parent::Opportunity,
        default_name: "Solution_Play__c",
        label: "Solution Play",
        help: "Services co-sell deals: the Microsoft solution play (this fiscal year's taxonomy) of the customer's need.",
        field_type: FieldType::Text {
            length: SERVICES_TEXT_LENGTH,
            external_id: false,
            unique: false,
        },
    },
    FieldSpec {
        role: Role::MarketplaceIntent,
        parent: Parent::Opportunity,
        default_name: "Marketplace_Purchase_Intent__c",
        label: "Marketplace Purchase Intent",
        help: "Whether the customer intends to buy through Microsoft marketplace. Partner Center requires it when the referral is created.",
        field_type: FieldType::Picklist {
            values: PicklistValues::MarketplaceIntent,
        },
    },
    FieldSpec {
        role: Role::SolutionOpportunity,
        parent: Parent::SolutionObject,
        default_name: "Opportunity__c",
        label: "Opportunity",
        help: "The opportunity this solution is offered on.",
        field_type: FieldType::MasterDetail {
            reference_to: OPPORTUNITY,
            relationship_name: "Microsoft_Solutions",
            relationship_label: "Microsoft Solutions",
        },
    },
    FieldSpec {
        role: Role::SolutionId,
        parent: Parent::SolutionObject,
        default_name: "Solution_Id__c",
        label: "Solution Id",
        help: "The Partner Center solution id, e.g. SOL-15974-MQF.",
        field_type: FieldType::Text {
            length: ID_TEXT_LENGTH,
            external_id: false,
            unique: false,
        },
    },
];

/// The connector's custom object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObjectSpec {
    /// Its default API name.
    pub default_name: &'static str,
    /// Its label.
    pub label: &'static str,
    /// Its plural label.
    pub plural_label: &'static str,
    /// Label of its Name field (a Text name field).
    pub name_field_label: &'static str,
}

/// The solutions object.
pub const SOLUTION_OBJECT: ObjectSpec = ObjectSpec {
    default_name: "Microsoft_Solution__c",
    label: "Microsoft Solution",
    plural_label: "Microsoft Solutions",
    name_field_label: "Microsoft Solution Name",
};

/// Object permissions the permission set grants on the solutions object:
/// the connector reads, creates, edits and deletes solution rows.
pub const SOLUTION_OBJECT_PERMISSIONS: &[&str] = &[
    "PermissionsRead",
    "PermissionsCreate",
    "PermissionsEdit",
    "PermissionsDelete",
];

/// A field with its configured name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedField {
    /// What it is.
    pub spec: FieldSpec,
    /// Its object's API name.
    pub object: String,
    /// Its API name as configured.
    pub api_name: String,
}

impl PlannedField {
    /// `Object.Field`, the Tooling `FullName` and the FieldPermissions `Field`.
    pub fn full_name(&self) -> String {
        format!("{}.{}", self.object, self.api_name)
    }
}

/// The schema to install, with the configured API names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The solutions object's API name.
    pub solution_object: String,
    /// Every field, in creation order (Opportunity's first).
    pub fields: Vec<PlannedField>,
}

impl Plan {
    /// The plan for the configured names.
    pub fn new(names: &FieldNames) -> Plan {
        let solution_object = names.solution_object.as_str().to_owned();
        let fields = CONNECTOR_FIELDS
            .iter()
            .map(|spec| PlannedField {
                spec: *spec,
                object: match spec.parent {
                    Parent::Opportunity => OPPORTUNITY.to_owned(),
                    Parent::SolutionObject => solution_object.clone(),
                },
                api_name: spec.role.api_name(names).to_owned(),
            })
            .collect();
        Plan {
            solution_object,
            fields,
        }
    }

    /// The fields of one object.
    pub fn fields_of(&self, parent: Parent) -> impl Iterator<Item = &PlannedField> {
        self.fields.iter().filter(move |f| f.spec.parent == parent)
    }
}

/// The field names the SFDX project uses: every default from
/// [`CONNECTOR_FIELDS`] and [`SOLUTION_OBJECT`].
pub fn default_field_names() -> FieldNames {
    let name = |role: Role| {
        let spec = CONNECTOR_FIELDS
            .iter()
            .find(|f| f.role == role)
            .expect("every role is declared");
        ApiName::parse(spec.default_name, true).expect("defaults are valid API names")
    };
    FieldNames {
        sync_flag: name(Role::SyncFlag),
        referral_id: name(Role::ReferralId),
        referral_link: name(Role::ReferralLink),
        help: name(Role::Help),
        visibility: name(Role::Visibility),
        microsoft_crm_id: name(Role::MicrosoftCrmId),
        audit: name(Role::Audit),
        solution_object: ApiName::parse(SOLUTION_OBJECT.default_name, true)
            .expect("defaults are valid API names"),
        solution_opportunity_field: name(Role::SolutionOpportunity),
        solution_id_field: name(Role::SolutionId),
        partner_role: name(Role::PartnerRole),
        solution_area: name(Role::SolutionArea),
        solution_play: name(Role::SolutionPlay),
        marketplace_intent: name(Role::MarketplaceIntent),
    }
}

/// Splits a custom API name into its namespace prefix (if any) and its
/// `DeveloperName` (no prefix, no `__c`), as the Tooling API reports them:
/// `msft__Referral_Id__c` → (`Some("msft")`, `Referral_Id`).
pub fn developer_name(api_name: &str) -> (Option<&str>, &str) {
    let stem = api_name.strip_suffix(CUSTOM_SUFFIX).unwrap_or(api_name);
    match stem.split_once("__") {
        Some((namespace, name)) => (Some(namespace), name),
        None => (None, stem),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn developer_names_drop_suffix_and_namespace() {
        assert_eq!(developer_name("Audit__c"), (None, "Audit"));
        assert_eq!(
            developer_name("msft__Referral_Id__c"),
            (Some("msft"), "Referral_Id")
        );
        assert_eq!(developer_name("Opportunity"), (None, "Opportunity"));
    }

    #[test]
    fn defaults_match_the_configuration_defaults() {
        use crate::config::defaults as d;
        let names = default_field_names();
        assert_eq!(names.sync_flag.as_str(), d::FIELD_SYNC_FLAG);
        assert_eq!(names.referral_id.as_str(), d::FIELD_REFERRAL_ID);
        assert_eq!(names.referral_link.as_str(), d::FIELD_REFERRAL_LINK);
        assert_eq!(names.help.as_str(), d::FIELD_HELP);
        assert_eq!(names.visibility.as_str(), d::FIELD_VISIBILITY);
        assert_eq!(names.microsoft_crm_id.as_str(), d::FIELD_MICROSOFT_CRM_ID);
        assert_eq!(names.audit.as_str(), d::FIELD_AUDIT);
        assert_eq!(names.solution_object.as_str(), d::FIELD_SOLUTION_OBJECT);
        assert_eq!(
            names.solution_opportunity_field.as_str(),
            d::FIELD_SOLUTION_OPPORTUNITY
        );
        assert_eq!(names.solution_id_field.as_str(), d::FIELD_SOLUTION_ID);
        assert_eq!(names.partner_role.as_str(), d::FIELD_PARTNER_ROLE);
        assert_eq!(names.solution_area.as_str(), d::FIELD_SOLUTION_AREA);
        assert_eq!(names.solution_play.as_str(), d::FIELD_SOLUTION_PLAY);
        assert_eq!(
            names.marketplace_intent.as_str(),
            d::FIELD_MARKETPLACE_INTENT
        );
    }

    #[test]
    fn every_role_appears_once() {
        let mut roles: Vec<String> = CONNECTOR_FIELDS
            .iter()
            .map(|f| format!("{:?}", f.role))
            .collect();
        let count = roles.len();
        roles.sort();
        roles.dedup();
        assert_eq!(roles.len(), count);
        assert_eq!(count, 13);
    }

    #[test]
    fn only_the_master_detail_field_lacks_field_permissions() {
        let without: Vec<&str> = CONNECTOR_FIELDS
            .iter()
            .filter(|f| !f.field_type.takes_field_permissions())
            .map(|f| f.default_name)
            .collect();
        assert_eq!(without, ["Opportunity__c"]);
    }
}
