//! The connector's own schema, as `cosell setup salesforce` installs it: the
//! custom fields on Opportunity and the `Microsoft_Solution__c` object. The
//! demo org has them; a `bare` org starts without them.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::schema::{FieldDef, FieldType as T, ObjectDef};
use super::standard::{self, Currency};
use crate::aws;
use crate::partner_center::fy26;

/// Values of `How_can_Microsoft_help__c`.
pub const HELP_VALUES: &[&str] = &[
    "Workload specific value proposition",
    "Customer technical architecture",
    "Proof of concept or demo",
    "Quotes or licensing",
    "Post sales customer success",
    "General or other",
];

/// Length of the long text area `Audit__c`.
pub const AUDIT_LENGTH: u32 = 131_072;

/// API name of the solutions object.
pub const SOLUTION_OBJECT: &str = "Microsoft_Solution__c";

/// Length of the long text area `AWS_Feedback__c`.
pub const AWS_FEEDBACK_LENGTH: u32 = 32_768;

/// Length of the long text area `AWS_Customer_Business_Problem__c`.
pub const AWS_BUSINESS_PROBLEM_LENGTH: u32 = 2_000;

/// The connector's custom fields on Opportunity: Microsoft's, then AWS's
/// (the `[aws.fields]` defaults, with AWS's picklist values).
pub fn opportunity_fields() -> Vec<FieldDef> {
    let mut fields = microsoft_fields();
    fields.extend(aws_fields());
    fields
}

/// A plain long text area.
fn long_text(name: &str, label: &str, length: u32) -> FieldDef {
    let mut field = FieldDef::new(name, label, T::TextArea).len(length);
    field.extra_type_info = Some("plaintextarea");
    field
}

/// The Microsoft side's fields.
fn microsoft_fields() -> Vec<FieldDef> {
    let audit = long_text("Audit__c", "Audit", AUDIT_LENGTH);
    vec![
        FieldDef::new(
            "Sync_with_Partner_Center__c",
            "Sync with Partner Center",
            T::Boolean,
        )
        .required()
        .defaulted(Some(json!(false))),
        FieldDef::new("Referral_Identifier__c", "Referral Identifier", T::String)
            .len(100)
            .external_id()
            .unique(),
        FieldDef::new("Referral_Link__c", "Referral Link", T::Url).len(255),
        FieldDef::new(
            "How_can_Microsoft_help__c",
            "How can Microsoft help",
            T::Picklist,
        )
        .values(HELP_VALUES)
        .restricted(),
        FieldDef::new(
            "Microsoft_Referral_Visibility__c",
            "Microsoft Referral Visibility",
            T::Boolean,
        )
        .required()
        .defaulted(Some(json!(false))),
        FieldDef::new(
            "Microsoft_CRM_Identifier__c",
            "Microsoft CRM Identifier",
            T::String,
        )
        .len(255),
        audit,
        FieldDef::new("Partner_Role__c", "Partner Role", T::String).len(255),
        FieldDef::new("Solution_Area__c", "Solution Area", T::String).len(255),
        FieldDef::new("Solution_Play__c", "Solution Play", T::String).len(255),
        marketplace_intent(),
    ]
}

/// The AWS side's fields, as `cosell setup salesforce` creates them with
/// `[aws]` enabled.
fn aws_fields() -> Vec<FieldDef> {
    let restricted = |ftype: T| {
        move |name: &str, label: &str, values: &[&str]| {
            FieldDef::new(name, label, ftype)
                .values(values)
                .restricted()
        }
    };
    let (picklist, multi) = (restricted(T::Picklist), restricted(T::MultiPicklist));
    vec![
        FieldDef::new("Share_with_AWS__c", "Share with AWS", T::Boolean)
            .required()
            .defaulted(Some(json!(false))),
        FieldDef::new("AWS_Opportunity_Id__c", "AWS Opportunity ID", T::String)
            .len(32)
            .external_id()
            .unique(),
        FieldDef::new("AWS_Invitation_Id__c", "AWS Invitation ID", T::String)
            .len(64)
            .external_id()
            .unique(),
        FieldDef::new("AWS_Review_Status__c", "AWS Review Status", T::String).len(40),
        long_text("AWS_Feedback__c", "AWS Feedback", AWS_FEEDBACK_LENGTH),
        long_text(
            "AWS_Customer_Business_Problem__c",
            "AWS Customer Business Problem",
            AWS_BUSINESS_PROBLEM_LENGTH,
        ),
        picklist("AWS_Industry__c", "AWS Industry", aws::INDUSTRIES),
        multi(
            "AWS_Delivery_Models__c",
            "AWS Delivery Models",
            aws::DELIVERY_MODELS,
        ),
        multi(
            "AWS_Sales_Activities__c",
            "AWS Sales Activities",
            aws::SALES_ACTIVITIES,
        ),
        multi(
            "AWS_Primary_Needs__c",
            "AWS Primary Needs",
            aws::PRIMARY_NEEDS,
        ),
        FieldDef::new(
            "AWS_Expected_Monthly_Spend__c",
            "AWS Expected Monthly Spend",
            T::Currency,
        )
        .number(18, 2),
        picklist(
            "AWS_Closed_Lost_Reason__c",
            "AWS Closed Lost Reason",
            aws::CLOSED_LOST_REASONS,
        ),
    ]
}

/// `Marketplace_Purchase_Intent__c`: the published values, new
/// opportunities starting at the taxonomy's default.
fn marketplace_intent() -> FieldDef {
    let (labels, default) = fy26::marketplace_intent_labels();
    let mut field = FieldDef::new(
        "Marketplace_Purchase_Intent__c",
        "Marketplace Purchase Intent",
        T::Picklist,
    )
    .values(&labels)
    .restricted()
    .defaulted(Some(json!(default)));
    for value in &mut field.picklist {
        value.default = value.value == default;
    }
    field
}

/// The `Microsoft_Solution__c` object: a detail of Opportunity.
pub fn solution_object(
    now: DateTime<Utc>,
    key_prefix: &str,
    currency: Option<&Currency>,
) -> ObjectDef {
    let mut fields = standard::system_fields();
    fields.push(
        FieldDef::new("Name", "Microsoft Solution Name", T::String)
            .len(80)
            .required()
            .defaulted(None)
            .name_field(),
    );
    if let Some(c) = currency {
        fields.push(standard::currency_field(
            "Microsoft Solution",
            &c.codes,
            &c.corporate,
        ));
    }
    fields.extend(standard::audit_fields());
    let mut opportunity = FieldDef::new("Opportunity__c", "Opportunity", T::Reference)
        .required()
        .create_only()
        .reference(
            &["Opportunity"],
            "Opportunity__r",
            Some("Microsoft_Solutions__r"),
        );
    opportunity.cascade_delete = true;
    opportunity.master_detail = true;
    fields.push(opportunity);
    fields.push(FieldDef::new("Solution_Id__c", "Solution Id", T::String).len(255));
    ObjectDef {
        name: SOLUTION_OBJECT.to_owned(),
        label: "Microsoft Solution".to_owned(),
        label_plural: "Microsoft Solutions".to_owned(),
        key_prefix: key_prefix.to_owned(),
        custom: true,
        createable: true,
        updateable: true,
        deletable: true,
        fields,
        durable_id: None,
        schema_changed: now,
        hard_delete: false,
    }
}
