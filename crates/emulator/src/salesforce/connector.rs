//! The connector's own schema, as `cosell setup salesforce` installs it: the
//! custom fields on Opportunity and the `Microsoft_Solution__c` object. The
//! demo org has them; a `bare` org starts without them.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::schema::{FieldDef, FieldType as T, ObjectDef};
use super::standard::{self, Currency};
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

/// The connector's custom fields on Opportunity.
pub fn opportunity_fields() -> Vec<FieldDef> {
    let mut audit = FieldDef::new("Audit__c", "Audit", T::TextArea).len(AUDIT_LENGTH);
    audit.extra_type_info = Some("plaintextarea");
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
