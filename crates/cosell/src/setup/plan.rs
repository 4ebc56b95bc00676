//! The connector's Salesforce schema, declared once: the custom fields on
//! Opportunity (Microsoft's, and AWS's when `[aws]` is enabled), the
//! `Microsoft_Solution__c` object with its fields, and the permission set. `cosell setup salesforce` creates exactly this, and the
//! SFDX project in `salesforce/` is checked against it by a test, so the two
//! never drift.
//!
//! API names are configurable (`[sync.fields]`, `[aws.fields]`), so each
//! field is declared by its key there; [`Plan::new`] resolves the configured names, and the
//! defaults (the names the SFDX project uses) are the configuration's.

use aws_partner_central::types::{
    ClosedLostReason, DeliveryModel, Industry, PrimaryNeedFromAws, SalesActivity,
};
use sync::aws::AwsFieldNames;
use sync::settings::FieldNames;

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
/// Lines the audit text area shows on the page layout.
pub const AUDIT_VISIBLE_LINES: u32 = 10;
/// Length of the Services co-sell text fields (their values are not
/// published, so the field takes any one line Partner Center may accept).
pub const SERVICES_TEXT_LENGTH: u32 = 255;

/// Length of `AWS_Opportunity_Id__c` (AWS ids are `O` and digits).
pub const AWS_OPPORTUNITY_ID_LENGTH: u32 = 32;
/// Length of `AWS_Invitation_Id__c` (`engi-…` ids).
pub const AWS_INVITATION_ID_LENGTH: u32 = 64;
/// Length of `AWS_Review_Status__c` (the longest status is 18 characters).
pub const AWS_REVIEW_STATUS_LENGTH: u32 = 40;
/// Length of `AWS_Feedback__c`: review comments and reasons can be long.
pub const AWS_FEEDBACK_LENGTH: u32 = 32_768;
/// Length of `AWS_Customer_Business_Problem__c`: `Project.CustomerBusinessProblem`
/// takes up to 2000 characters
/// (<https://docs.aws.amazon.com/partner-central/latest/APIReference/API_Project.html>).
pub const AWS_BUSINESS_PROBLEM_LENGTH: u32 = 2_000;
/// Lines the AWS long text areas and multi-select picklists show.
pub const AWS_VISIBLE_LINES: u32 = 4;

/// The configuration section that names a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// `[sync.fields]`: the Microsoft side and the solutions object.
    Sync,
    /// `[aws.fields]`: the AWS side.
    Aws,
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
    /// A restricted multi-select picklist (`MultiselectPicklist`).
    MultiPicklist {
        /// The values, in order; labels equal API names.
        values: PicklistValues,
        /// Lines the selection box shows.
        visible_lines: u32,
    },
    /// `Currency(precision, scale)`.
    Currency {
        /// Total digits.
        precision: u32,
        /// Digits after the decimal point.
        scale: u32,
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
            FieldType::MultiPicklist { .. } => "MultiselectPicklist",
            FieldType::Currency { .. } => "Currency",
            FieldType::LongTextArea { .. } => "LongTextArea",
            FieldType::MasterDetail { .. } => "MasterDetail",
        }
    }

    /// The describe `type` a usable field of this kind has.
    pub fn describe_type(&self) -> &'static str {
        match self {
            FieldType::Checkbox { .. } => "boolean",
            FieldType::Text { .. } => "string",
            FieldType::Url => "url",
            FieldType::Picklist { .. } => "picklist",
            FieldType::MultiPicklist { .. } => "multipicklist",
            FieldType::Currency { .. } => "currency",
            FieldType::LongTextArea { .. } => "textarea",
            FieldType::MasterDetail { .. } => "reference",
        }
    }

    /// The values of a single- or multi-select picklist.
    pub fn picklist_values(&self) -> Option<PicklistValues> {
        match self {
            FieldType::Picklist { values } | FieldType::MultiPicklist { values, .. } => {
                Some(*values)
            }
            _ => None,
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
    /// The section naming it.
    pub section: Section,
    /// The key naming it in that section.
    pub key: &'static str,
    /// The object it belongs to.
    pub parent: Parent,
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
        section: Section::Sync,
        key: "sync_flag",
        parent: Parent::Opportunity,
        label: "Sync with Partner Center",
        help: "Share this opportunity with Microsoft as a co-sell referral and keep the two in sync.",
        field_type: FieldType::Checkbox { default: false },
    },
    FieldSpec {
        section: Section::Sync,
        key: "referral_id",
        parent: Parent::Opportunity,
        label: "Referral ID",
        help: "The Partner Center referral id. Set by the connector.",
        field_type: FieldType::Text {
            length: ID_TEXT_LENGTH,
            external_id: true,
            unique: true,
        },
    },
    FieldSpec {
        section: Section::Sync,
        key: "referral_link",
        parent: Parent::Opportunity,
        label: "Referral Link",
        help: "Link to the referral in Partner Center. Set by the connector.",
        field_type: FieldType::Url,
    },
    FieldSpec {
        section: Section::Sync,
        key: "help",
        parent: Parent::Opportunity,
        label: "How can Microsoft help",
        help: "Choosing an option makes the referral co-sell (it then needs a customer contact).",
        field_type: FieldType::Picklist {
            values: PicklistValues::Fixed(HELP_VALUES),
        },
    },
    FieldSpec {
        section: Section::Sync,
        key: "visibility",
        parent: Parent::Opportunity,
        label: "Microsoft Referral Visibility",
        help: "Makes the referral visible to Microsoft sellers. Once visible it cannot be hidden again.",
        field_type: FieldType::Checkbox { default: false },
    },
    FieldSpec {
        section: Section::Sync,
        key: "microsoft_crm_id",
        parent: Parent::Opportunity,
        label: "Microsoft CRM ID",
        help: "Microsoft's own CRM id for the deal, filled when Microsoft accepts it.",
        field_type: FieldType::Text {
            length: ID_TEXT_LENGTH,
            external_id: false,
            unique: false,
        },
    },
    FieldSpec {
        section: Section::Sync,
        key: "audit",
        parent: Parent::Opportunity,
        label: "Audit",
        help: "What the connector did with this opportunity, and any error.",
        field_type: FieldType::LongTextArea {
            length: AUDIT_LENGTH,
            visible_lines: AUDIT_VISIBLE_LINES,
        },
    },
    FieldSpec {
        section: Section::Sync,
        key: "partner_role",
        parent: Parent::Opportunity,
        label: "Partner Role",
        help: "Services co-sell deals: your role on the deal. Fill it with the solution area and solution play, or leave all three empty.",
        field_type: FieldType::Text {
            length: SERVICES_TEXT_LENGTH,
            external_id: false,
            unique: false,
        },
    },
    FieldSpec {
        section: Section::Sync,
        key: "solution_area",
        parent: Parent::Opportunity,
        label: "Solution Area",
        help: "Services co-sell deals: the Microsoft solution area (this fiscal year's taxonomy) of the customer's need.",
        field_type: FieldType::Text {
            length: SERVICES_TEXT_LENGTH,
            external_id: false,
            unique: false,
        },
    },
    FieldSpec {
        section: Section::Sync,
        key: "solution_play",
        parent: Parent::Opportunity,
        label: "Solution Play",
        help: "Services co-sell deals: the Microsoft solution play (this fiscal year's taxonomy) of the customer's need.",
        field_type: FieldType::Text {
            length: SERVICES_TEXT_LENGTH,
            external_id: false,
            unique: false,
        },
    },
    FieldSpec {
        section: Section::Sync,
        key: "marketplace_intent",
        parent: Parent::Opportunity,
        label: "Marketplace Purchase Intent",
        help: "Whether the customer intends to buy through Microsoft marketplace. Partner Center requires it when the referral is created.",
        field_type: FieldType::Picklist {
            values: PicklistValues::MarketplaceIntent,
        },
    },
    FieldSpec {
        section: Section::Sync,
        key: "solution_opportunity_field",
        parent: Parent::SolutionObject,
        label: "Opportunity",
        help: "The opportunity this solution is offered on.",
        field_type: FieldType::MasterDetail {
            reference_to: OPPORTUNITY,
            relationship_name: "Microsoft_Solutions",
            relationship_label: "Microsoft Solutions",
        },
    },
    FieldSpec {
        section: Section::Sync,
        key: "solution_id_field",
        parent: Parent::SolutionObject,
        label: "Solution Id",
        help: "The Partner Center solution id, e.g. SOL-15974-MQF.",
        field_type: FieldType::Text {
            length: ID_TEXT_LENGTH,
            external_id: false,
            unique: false,
        },
    },
];

/// The AWS side's custom fields on Opportunity (`[aws.fields]`), created
/// when `[aws]` is enabled. Picklist values are the SDK's, so they are
/// exactly what the Selling API accepts.
pub const AWS_FIELDS: &[FieldSpec] = &[
    FieldSpec {
        section: Section::Aws,
        key: "share_flag",
        parent: Parent::Opportunity,
        label: "Share with AWS",
        help: "Share this opportunity with AWS Partner Central and submit it for AWS's review.",
        field_type: FieldType::Checkbox { default: false },
    },
    FieldSpec {
        section: Section::Aws,
        key: "opportunity_id",
        parent: Parent::Opportunity,
        label: "AWS Opportunity ID",
        help: "The AWS Partner Central opportunity id. Set by the connector.",
        field_type: FieldType::Text {
            length: AWS_OPPORTUNITY_ID_LENGTH,
            external_id: true,
            unique: true,
        },
    },
    FieldSpec {
        section: Section::Aws,
        key: "invitation_id",
        parent: Parent::Opportunity,
        label: "AWS Invitation ID",
        help: "The AWS engagement invitation this opportunity came from. Set by the connector.",
        field_type: FieldType::Text {
            length: AWS_INVITATION_ID_LENGTH,
            external_id: true,
            unique: true,
        },
    },
    FieldSpec {
        section: Section::Aws,
        key: "review_status",
        parent: Parent::Opportunity,
        label: "AWS Review Status",
        help: "AWS's review of the opportunity (Submitted, In review, Approved, Action Required, Rejected). Set by the connector.",
        field_type: FieldType::Text {
            length: AWS_REVIEW_STATUS_LENGTH,
            external_id: false,
            unique: false,
        },
    },
    FieldSpec {
        section: Section::Aws,
        key: "feedback",
        parent: Parent::Opportunity,
        label: "AWS Feedback",
        help: "AWS's review reason and comments. Set by the connector.",
        field_type: FieldType::LongTextArea {
            length: AWS_FEEDBACK_LENGTH,
            visible_lines: AWS_VISIBLE_LINES,
        },
    },
    FieldSpec {
        section: Section::Aws,
        key: "business_problem",
        parent: Parent::Opportunity,
        label: "AWS Customer Business Problem",
        help: "The customer's business problem, as AWS asks for it (at least 20 characters).",
        field_type: FieldType::LongTextArea {
            length: AWS_BUSINESS_PROBLEM_LENGTH,
            visible_lines: AWS_VISIBLE_LINES,
        },
    },
    FieldSpec {
        section: Section::Aws,
        key: "industry",
        parent: Parent::Opportunity,
        label: "AWS Industry",
        help: "The customer's industry, in AWS's list.",
        field_type: FieldType::Picklist {
            values: PicklistValues::Fixed(Industry::values()),
        },
    },
    FieldSpec {
        section: Section::Aws,
        key: "delivery_models",
        parent: Parent::Opportunity,
        label: "AWS Delivery Models",
        help: "How the solution is delivered to the customer.",
        field_type: FieldType::MultiPicklist {
            values: PicklistValues::Fixed(DeliveryModel::values()),
            visible_lines: AWS_VISIBLE_LINES,
        },
    },
    FieldSpec {
        section: Section::Aws,
        key: "sales_activities",
        parent: Parent::Opportunity,
        label: "AWS Sales Activities",
        help: "What has been done with the customer so far.",
        field_type: FieldType::MultiPicklist {
            values: PicklistValues::Fixed(SalesActivity::values()),
            visible_lines: AWS_VISIBLE_LINES,
        },
    },
    FieldSpec {
        section: Section::Aws,
        key: "primary_needs",
        parent: Parent::Opportunity,
        label: "AWS Primary Needs",
        help: "What you need from AWS on this deal; Co-Sell submissions need at least one.",
        field_type: FieldType::MultiPicklist {
            values: PicklistValues::Fixed(PrimaryNeedFromAws::values()),
            visible_lines: AWS_VISIBLE_LINES,
        },
    },
    FieldSpec {
        section: Section::Aws,
        key: "expected_monthly_spend",
        parent: Parent::Opportunity,
        label: "AWS Expected Monthly Spend",
        help: "The customer's expected monthly AWS spend, in USD.",
        field_type: FieldType::Currency {
            precision: 18,
            scale: 2,
        },
    },
    FieldSpec {
        section: Section::Aws,
        key: "closed_lost_reason",
        parent: Parent::Opportunity,
        label: "AWS Closed Lost Reason",
        help: "Why the deal was lost, in AWS's list; AWS asks for it when an opportunity is Closed Lost.",
        field_type: FieldType::Picklist {
            values: PicklistValues::Fixed(ClosedLostReason::values()),
        },
    },
];

impl FieldSpec {
    /// Its default API name (the one the SFDX project uses).
    pub fn default_name(&self) -> String {
        let name = match self.section {
            Section::Sync => FieldNames::default().get(self.key),
            Section::Aws => AwsFieldNames::default().get(self.key),
        };
        name.unwrap_or_else(|| panic!("{} is not a {:?} field key", self.key, self.section))
    }
}

/// The connector's custom object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObjectSpec {
    /// The `[sync.fields]` key naming it.
    pub key: &'static str,
    /// Its label.
    pub label: &'static str,
    /// Its plural label.
    pub plural_label: &'static str,
    /// Label of its Name field (a Text name field).
    pub name_field_label: &'static str,
}

/// The solutions object.
pub const SOLUTION_OBJECT: ObjectSpec = ObjectSpec {
    key: "solution_object",
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

/// Object permissions the permission set grants on the standard objects
/// the connector writes: it reads, creates and edits Accounts, Contacts and
/// Opportunities and deletes none of them (contact roles, team members and
/// notes follow their opportunity's access). An integration user on a
/// minimum-access profile has none of these until a permission set grants
/// them (https://help.salesforce.com/s/articleView?id=platform.integration_user.htm).
pub const STANDARD_OBJECT_PERMISSIONS: &[(&str, &[&str])] = &[
    ("Account", READ_CREATE_EDIT),
    ("Contact", READ_CREATE_EDIT),
    (OPPORTUNITY, READ_CREATE_EDIT),
];
/// Read, create and edit.
const READ_CREATE_EDIT: &[&str] = &["PermissionsRead", "PermissionsCreate", "PermissionsEdit"];

impl ObjectSpec {
    /// Its default API name (the one the SFDX project uses).
    pub fn default_name(&self) -> String {
        FieldNames::default()
            .get(self.key)
            .unwrap_or_else(|| panic!("{} is not a [sync.fields] key", self.key))
    }
}

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
    /// The plan for the configured names; the AWS side's fields are in it
    /// when `aws` names them (`[aws]` is enabled).
    pub fn new(names: &FieldNames, aws: Option<&AwsFieldNames>) -> Plan {
        let solution_object = names.solution_object.as_str().to_owned();
        let aws_fields = if aws.is_some() { AWS_FIELDS } else { &[] };
        let fields = CONNECTOR_FIELDS
            .iter()
            .chain(aws_fields)
            .map(|spec| PlannedField {
                spec: *spec,
                object: match spec.parent {
                    Parent::Opportunity => OPPORTUNITY.to_owned(),
                    Parent::SolutionObject => solution_object.clone(),
                },
                api_name: match (spec.section, aws) {
                    (Section::Sync, _) => names.get(spec.key),
                    (Section::Aws, Some(aws)) => aws.get(spec.key),
                    (Section::Aws, None) => None,
                }
                .unwrap_or_else(|| panic!("{} is not a {:?} field key", spec.key, spec.section)),
            })
            .collect();
        Plan {
            solution_object,
            fields,
        }
    }

    /// The plan for a loaded configuration: `[sync.fields]`, and
    /// `[aws.fields]` when `[aws]` is enabled.
    pub fn for_config(config: &crate::config::Config) -> Plan {
        Plan::new(
            &config.sync.fields,
            config.aws.as_ref().map(|aws| &aws.settings.fields),
        )
    }

    /// The fields of one object.
    pub fn fields_of(&self, parent: Parent) -> impl Iterator<Item = &PlannedField> {
        self.fields.iter().filter(move |f| f.spec.parent == parent)
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
    fn setup_declares_every_sync_fields_key_and_only_those() {
        let mut declared: Vec<&str> = CONNECTOR_FIELDS.iter().map(|f| f.key).collect();
        assert!(CONNECTOR_FIELDS.iter().all(|f| f.section == Section::Sync));
        declared.push(SOLUTION_OBJECT.key);
        declared.sort_unstable();
        let names = FieldNames::default();
        let mut configured: Vec<String> = names.entries().into_iter().map(|(k, _)| k).collect();
        configured.sort_unstable();
        assert_eq!(declared, configured);
        assert_eq!(SOLUTION_OBJECT.default_name(), names.solution_object);
    }

    #[test]
    fn setup_declares_every_aws_fields_key_and_only_those() {
        let mut declared: Vec<&str> = AWS_FIELDS.iter().map(|f| f.key).collect();
        declared.sort_unstable();
        let mut configured: Vec<String> = AwsFieldNames::default()
            .entries()
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        configured.sort_unstable();
        assert_eq!(declared, configured);
        assert!(AWS_FIELDS
            .iter()
            .all(|f| f.section == Section::Aws && f.parent == Parent::Opportunity));
    }

    #[test]
    fn the_aws_fields_are_planned_only_when_aws_names_them() {
        let names = FieldNames::default();
        let without = Plan::new(&names, None);
        assert_eq!(without.fields.len(), CONNECTOR_FIELDS.len());
        let aws = AwsFieldNames::default();
        let with = Plan::new(&names, Some(&aws));
        assert_eq!(with.fields.len(), CONNECTOR_FIELDS.len() + AWS_FIELDS.len());
        assert!(with
            .fields
            .iter()
            .any(|f| f.full_name() == "Opportunity.Share_with_AWS__c"));
    }

    #[test]
    fn every_key_appears_once() {
        let mut roles: Vec<String> = CONNECTOR_FIELDS.iter().map(|f| f.key.to_owned()).collect();
        let count = roles.len();
        roles.sort();
        roles.dedup();
        assert_eq!(roles.len(), count);
        assert_eq!(count, 13);
    }

    #[test]
    fn only_the_master_detail_field_lacks_field_permissions() {
        let without: Vec<String> = CONNECTOR_FIELDS
            .iter()
            .filter(|f| !f.field_type.takes_field_permissions())
            .map(|f| f.default_name())
            .collect();
        assert_eq!(without, ["Opportunity__c"]);
    }
}
