//! The org's own setup records, read-only over the API: `Organization` (one
//! row, the org itself: the Salesforce CLI queries it on every command),
//! `RecordType` and `BusinessProcess` (an Opportunity record type points at
//! the sales process that lists its stages) and `DuplicateRule` (the org's
//! duplicate rules; created and edited only in Setup, read over the API).
//! Field lists follow the Object Reference: https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_organization.htm,
//! …/sforce_api_objects_recordtype.htm, …/sforce_api_objects_businessprocess.htm
//! and …/sforce_api_objects_duplicaterule.htm.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::schema::{FieldDef, FieldType as T, ObjectDef};
use super::standard::{assemble, object, prefix, text};

/// Makes an object read-only through the API.
fn read_only(mut obj: ObjectDef) -> ObjectDef {
    obj.createable = false;
    obj.updateable = false;
    obj.deletable = false;
    for field in &mut obj.fields {
        field.createable = false;
        field.updateable = false;
    }
    obj
}

/// Organization (`00D`).
pub fn organization(now: DateTime<Utc>) -> ObjectDef {
    let body = vec![
        text("Name", "Name", 80).required().name_field(),
        text("Division", "Division", 80),
        text("Country", "Country", 80),
        FieldDef::new("OrganizationType", "Edition", T::Picklist).values(&[
            "Developer Edition",
            "Enterprise Edition",
            "Unlimited Edition",
            "Professional Edition",
        ]),
        text("InstanceName", "Instance Name", 5),
        FieldDef::new("IsSandbox", "Is Sandbox", T::Boolean).defaulted(Some(json!(false))),
        FieldDef::new("TrialExpirationDate", "Trial Expiration Date", T::DateTime),
        text("NamespacePrefix", "Namespace Prefix", 15),
        FieldDef::new("DefaultLocaleSidKey", "Locale", T::Picklist)
            .len(40)
            .values(&["en_US"]),
        FieldDef::new("LanguageLocaleKey", "Language", T::Picklist)
            .len(40)
            .values(&["en_US"]),
        FieldDef::new("TimeZoneSidKey", "Time Zone", T::Picklist)
            .len(40)
            .values(&["America/Los_Angeles"]),
        FieldDef::new("FiscalYearStartMonth", "Fiscal Year Starts In", T::Int).digits(9),
        // "The default currency ISO code for the organization. Applies to
        // single currency organizations only" (null with multi-currency).
        FieldDef::new("DefaultCurrencyIsoCode", "Currency Locale", T::Picklist)
            .len(255)
            .values(super::seed::CURRENCIES),
    ];
    read_only(assemble(
        object(
            "Organization",
            "Organization",
            "Organizations",
            prefix::ORGANIZATION,
            now,
        ),
        body,
        false,
        None,
    ))
}

/// RecordType (`012`).
pub fn record_type(now: DateTime<Utc>) -> ObjectDef {
    let body = vec![
        text("Name", "Name", 80).required().name_field(),
        text("DeveloperName", "Record Type Name", 80).required(),
        text("NamespacePrefix", "Namespace Prefix", 15),
        text("Description", "Description", 255),
        FieldDef::new("BusinessProcessId", "Business Process ID", T::Reference).reference(
            &["BusinessProcess"],
            "BusinessProcess",
            None,
        ),
        FieldDef::new("SobjectType", "SObject Type Name", T::Picklist)
            .len(40)
            .required()
            .values(&["Account", "Contact", "Opportunity"]),
        FieldDef::new("IsActive", "Active", T::Boolean).defaulted(Some(json!(true))),
    ];
    read_only(assemble(
        object(
            "RecordType",
            "Record Type",
            "Record Types",
            prefix::RECORD_TYPE,
            now,
        ),
        body,
        false,
        None,
    ))
}

/// BusinessProcess (`019`): a sales process when `TableEnumOrId` is `Opportunity`.
pub fn business_process(now: DateTime<Utc>) -> ObjectDef {
    let body = vec![
        text("Name", "Name", 80).required().name_field(),
        text("Description", "Description", 255),
        FieldDef::new("TableEnumOrId", "Entity Enumeration Or ID", T::Picklist)
            .len(40)
            .required()
            .values(&["Opportunity", "Case", "Lead", "Solution"]),
        FieldDef::new("IsActive", "Active", T::Boolean).defaulted(Some(json!(true))),
    ];
    read_only(assemble(
        object(
            "BusinessProcess",
            "Business Process",
            "Business Processes",
            prefix::BUSINESS_PROCESS,
            now,
        ),
        body,
        false,
        None,
    ))
}

/// DuplicateRule (`0Bm`).
pub fn duplicate_rule(now: DateTime<Utc>) -> ObjectDef {
    let body = vec![
        text("MasterLabel", "Rule Name", 80).required().name_field(),
        text("DeveloperName", "Object Name", 80).required(),
        text("NamespacePrefix", "Namespace Prefix", 15),
        FieldDef::new("SobjectType", "Custom Object Definition ID", T::Picklist)
            .len(40)
            .required()
            .values(&["Account", "Contact", "Lead"]),
        FieldDef::new("IsActive", "Active", T::Boolean).defaulted(Some(json!(true))),
    ];
    read_only(assemble(
        object(
            "DuplicateRule",
            "Duplicate Rule",
            "Duplicate Rules",
            prefix::DUPLICATE_RULE,
            now,
        ),
        body,
        false,
        None,
    ))
}
