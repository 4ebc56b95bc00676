//! What an enterprise-like org enforces on top of the field-level DML checks
//! (see [`super::profile`]), in Salesforce's order of execution: validation
//! rules first, then duplicate rules
//! (https://developer.salesforce.com/docs/atlas.en-us.apexcode.meta/apexcode/apex_triggers_order_of_execution.htm).
//!
//! - Validation rules on Opportunity refuse a save with
//!   `FIELD_CUSTOM_VALIDATION_EXCEPTION`, the rule's error message and the
//!   field it is shown at
//!   (https://help.salesforce.com/s/articleView?id=sf.fields_about_field_validation.htm):
//!   `Amount_Not_Negative` (a negative `Amount`) and
//!   `Close_Date_Not_Moved_Into_Past`, the common
//!   `AND(NOT(IsClosed), ISCHANGED(CloseDate), CloseDate < TODAY())`
//!   (`ISCHANGED` is false when a record is created:
//!   https://help.salesforce.com/s/articleView?id=sf.customize_functions_i_m.htm).
//! - The Standard Account and Standard Contact duplicate rules, active in
//!   every org, block a create or edit that matches an existing record with
//!   `DUPLICATES_DETECTED` and a `duplicateResult` naming the rule and the
//!   matching records, unless the call sends `Sforce-Duplicate-Rule-Header:
//!   allowSave=true`
//!   (https://help.salesforce.com/s/articleView?id=sf.duplicate_rules_standard_rules.htm,
//!   https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/headers_duplicaterules.htm).
//!   Matching is a deterministic subset of the standard matching rules [I]:
//!   Accounts whose names are equal once case, spaces and punctuation are
//!   ignored; Contacts with the same last name and e-mail address, or the
//!   same first and last name and phone number (two terms of the standard
//!   contact matching equation,
//!   https://help.salesforce.com/s/articleView?id=sf.matching_rules_standard_contact_rule.htm).

use serde_json::{json, Map, Value};

use super::errors::ErrorItem;
use super::org::{Org, RecordErrors};
use super::schema::ObjectDef;

/// A record's fields.
type Row = Map<String, Value>;

/// One validation rule: a condition on the record before and after the
/// save that refuses it, its message and the field the message is shown at.
pub struct ValidationRule {
    /// Its API name (`ValidationName` in the Tooling API).
    pub name: &'static str,
    /// The object it is on.
    pub object: &'static str,
    /// The field the error is shown at.
    pub field: &'static str,
    /// Its error message.
    pub message: &'static str,
    /// True when the save must be refused (`before`: the record as stored,
    /// None on create).
    refuses: fn(before: Option<&Row>, row: &Row) -> bool,
}

/// The enterprise-like org's validation rules.
pub const VALIDATION_RULES: &[ValidationRule] = &[
    ValidationRule {
        name: "Amount_Not_Negative",
        object: "Opportunity",
        field: "Amount",
        message: "Amount cannot be negative.",
        refuses: |_, row| {
            row.get("Amount")
                .and_then(Value::as_f64)
                .is_some_and(|a| a < 0.0)
        },
    },
    ValidationRule {
        name: "Close_Date_Not_Moved_Into_Past",
        object: "Opportunity",
        field: "CloseDate",
        message: "Close Date cannot be moved into the past on an open opportunity.",
        refuses: |before, row| {
            let Some(before) = before else {
                return false;
            };
            let open = row.get("IsClosed") != Some(&Value::Bool(true));
            let changed = before.get("CloseDate") != row.get("CloseDate");
            let today = chrono::Utc::now().date_naive().to_string();
            let past = row
                .get("CloseDate")
                .and_then(Value::as_str)
                .is_some_and(|d| d < today.as_str());
            open && changed && past
        },
    },
];
/// Alert text of the standard duplicate rules.
pub const DUPLICATE_MESSAGE: &str = "Use one of these records?";

/// What the current API call asks of the org's rules.
#[derive(Debug, Clone)]
pub struct CallContext {
    /// `Sforce-Duplicate-Rule-Header: allowSave=true` was sent.
    pub allow_duplicate_save: bool,
    /// `/services/data/vXX.X` of the call, for record URLs in errors.
    pub base: String,
    /// The user the call acts as (None: the emulator's own in-process
    /// edits, which field-level security does not apply to).
    pub user: Option<String>,
}

impl Default for CallContext {
    fn default() -> Self {
        Self {
            allow_duplicate_save: false,
            base: format!("/services/data/v{}.0", super::DEFAULT_MAX_API_VERSION),
            user: None,
        }
    }
}

impl CallContext {
    /// The context of a REST call by `user` with `headers` on API `base`.
    pub fn of_call(user: &str, duplicate_header: Option<&str>, base: String) -> Self {
        let allow_duplicate_save = duplicate_header.is_some_and(|h| {
            h.split([';', ','])
                .filter_map(|p| p.split_once('='))
                .any(|(k, v)| {
                    k.trim().eq_ignore_ascii_case("allowSave")
                        && v.trim().eq_ignore_ascii_case("true")
                })
        });
        Self {
            allow_duplicate_save,
            base,
            user: Some(user.to_owned()),
        }
    }
}

/// One standard duplicate rule: object, rule, matching rule.
struct DuplicateRule {
    object: &'static str,
    rule: &'static str,
    label: &'static str,
    matching_rule: &'static str,
}

const DUPLICATE_RULES: &[DuplicateRule] = &[
    DuplicateRule {
        object: "Account",
        rule: "Standard_Account_Duplicate_Rule",
        label: "Standard Account Duplicate Rule",
        matching_rule: "Standard_Account_Match_Rule_v1_0",
    },
    DuplicateRule {
        object: "Contact",
        rule: "Standard_Contact_Duplicate_Rule",
        label: "Standard Contact Duplicate Rule",
        matching_rule: "Standard_Contact_Match_Rule_v1_1",
    },
];

/// Lists the standard duplicate rules as `DuplicateRule` rows, active.
pub fn seed_duplicate_rules(org: &mut Org) {
    let admin = org.admin_id.clone();
    for rule in DUPLICATE_RULES {
        let mut values = Map::new();
        values.insert("MasterLabel".into(), json!(rule.label));
        values.insert("DeveloperName".into(), json!(rule.rule));
        values.insert("SobjectType".into(), json!(rule.object));
        values.insert("IsActive".into(), json!(true));
        org.insert_raw("DuplicateRule", values, &admin);
    }
}

impl Org {
    /// Runs the org's rules on the row as it would be saved (`before`: the
    /// stored record on an edit, which never matches itself).
    pub(super) fn enforce_org_rules(
        &self,
        def: &ObjectDef,
        before: Option<&Map<String, Value>>,
        row: &Map<String, Value>,
    ) -> Result<(), RecordErrors> {
        if !self.org_rules {
            return Ok(());
        }
        let own_id = before.and_then(|b| b.get("Id")).and_then(Value::as_str);
        let refused: Vec<ErrorItem> = VALIDATION_RULES
            .iter()
            .filter(|rule| rule.object == def.name && (rule.refuses)(before, row))
            .map(|rule| {
                ErrorItem::with_fields(
                    "FIELD_CUSTOM_VALIDATION_EXCEPTION",
                    rule.message,
                    vec![rule.field.into()],
                )
            })
            .collect();
        if !refused.is_empty() {
            return Err(refused);
        }
        if self.call.allow_duplicate_save {
            return Ok(());
        }
        let Some(rule) = DUPLICATE_RULES.iter().find(|r| r.object == def.name) else {
            return Ok(());
        };
        let matches: Vec<String> = self
            .rows(&def.name)
            .filter(|r| r.get("IsDeleted") != Some(&Value::Bool(true)))
            .filter(|r| r.get("Id").and_then(Value::as_str) != own_id)
            .filter(|r| same_entity(&def.name, r, row))
            .filter_map(|r| r.get("Id").and_then(Value::as_str).map(str::to_owned))
            .collect();
        if matches.is_empty() {
            return Ok(());
        }
        Err(vec![duplicates_detected(rule, &matches, &self.call.base)])
    }
}

/// True when the standard matching rule pairs `existing` with `candidate`.
fn same_entity(
    object: &str,
    existing: &Map<String, Value>,
    candidate: &Map<String, Value>,
) -> bool {
    let text = |row: &Map<String, Value>, field: &str| {
        row.get(field)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_lowercase)
    };
    match object {
        "Account" => {
            let key = |row| text(row, "Name").map(|n| company_key(&n));
            key(existing).is_some() && key(existing) == key(candidate)
        }
        "Contact" => {
            let same = |field: &str| {
                let value = text(existing, field);
                value.is_some() && value == text(candidate, field)
            };
            let digits = |row| {
                text(row, "Phone")
                    .map(|p| p.chars().filter(char::is_ascii_digit).collect::<String>())
                    .filter(|p| !p.is_empty())
            };
            let same_phone = digits(existing).is_some() && digits(existing) == digits(candidate);
            (same("LastName") && same("Email"))
                || (same("FirstName") && same("LastName") && same_phone)
        }
        _ => false,
    }
}

/// A company name with case, spaces and punctuation ignored.
fn company_key(name: &str) -> String {
    name.chars().filter(|c| c.is_alphanumeric()).collect()
}

/// `DUPLICATES_DETECTED` with its `duplicateResult`, as a real org sends it.
fn duplicates_detected(rule: &DuplicateRule, ids: &[String], base: &str) -> ErrorItem {
    let records: Vec<Value> = ids
        .iter()
        .map(|id| {
            json!({
                "additionalInformation": [],
                "fieldDiffs": [],
                "matchConfidence": 100.0,
                "record": {
                    "attributes": { "type": rule.object, "url": format!("{base}/sobjects/{}/{id}", rule.object) },
                    "Id": id,
                },
            })
        })
        .collect();
    let mut item = ErrorItem::with_fields("DUPLICATES_DETECTED", DUPLICATE_MESSAGE, Vec::new());
    item.duplicate_result = Some(Box::new(json!({
        "allowSave": true,
        "duplicateRule": rule.rule,
        "duplicateRuleEntityType": rule.object,
        "errorMessage": DUPLICATE_MESSAGE,
        "matchResults": [{
            "entityType": rule.object,
            "errors": [],
            "matchEngine": "FuzzyMatchEngine",
            "matchRecords": records,
            "rule": rule.matching_rule,
            "size": ids.len(),
            "success": true,
        }],
    })));
    item
}
