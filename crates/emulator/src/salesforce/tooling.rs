//! The Tooling API subset `cosell setup salesforce` uses (<https://developer.salesforce.com/docs/atlas.en-us.api_tooling.meta/api_tooling/tooling_api_objects_customfield.htm>,
//! <https://developer.salesforce.com/docs/atlas.en-us.api_tooling.meta/api_tooling/tooling_api_objects_customobject.htm>): create `CustomField` and `CustomObject` (the field or object then
//! really exists: describe and SOQL see it), read them back, and query them
//! with `/tooling/query`.

use chrono::Utc;
use serde_json::{json, Map, Value};

use super::errors::{ApiError, ErrorItem};
use super::http::{only, RestRequest, RestResponse, RestResult};
use super::org::Org;
use super::org_rules::VALIDATION_RULES;
use super::query;
use super::schema::{FieldDef, FieldType, ObjectDef, PicklistValue};
use super::soql::QueryOutput;
use super::standard::{self, prefix};
use super::state::State;

/// Longest Text field.
const MAX_TEXT_LENGTH: u32 = 255;
/// Longest long text area.
const MAX_LONG_TEXT_LENGTH: u32 = 131_072;
/// Largest number precision.
const MAX_PRECISION: u32 = 18;

fn integrity(message: impl Into<String>) -> ApiError {
    ApiError::one(
        400,
        ErrorItem::with_fields("FIELD_INTEGRITY_EXCEPTION", message, Vec::new()),
    )
}

fn duplicate(message: String) -> ApiError {
    ApiError::one(
        400,
        ErrorItem::with_fields("DUPLICATE_DEVELOPER_NAME", message, Vec::new()),
    )
}

/// Routes `/tooling/…`.
pub fn route(state: &mut State, request: &RestRequest, rest: &[&str]) -> RestResult {
    match rest {
        ["query"] => {
            only(request, &["GET"])?;
            tooling_query(state, request)
        }
        ["sobjects"] => {
            only(request, &["GET"])?;
            let base = request.base();
            let sobjects: Vec<Value> = [("CustomField", true), ("CustomObject", true), ("ValidationRule", false)]
                .iter()
                .map(|(name, createable)| json!({ "name": name, "queryable": true, "createable": createable, "urls": { "sobject": format!("{base}/tooling/sobjects/{name}") } }))
                .collect();
            Ok(RestResponse::json(
                200,
                json!({ "encoding": "UTF-8", "maxBatchSize": 200, "sobjects": sobjects }),
            ))
        }
        [object] if object.eq_ignore_ascii_case("sobjects") => Err(ApiError::not_found()),
        ["sobjects", kind] => {
            only(request, &["POST"])?;
            let (body, _) = request.json_object(kind)?;
            let id = match kind.to_ascii_lowercase().as_str() {
                "customfield" => create_field(&mut state.org, &body)?,
                "customobject" => create_object(&mut state.org, &body)?,
                _ => return Err(ApiError::not_found()),
            };
            Ok(RestResponse::json(
                201,
                json!({ "id": id, "success": true, "errors": [], "warnings": [], "infos": [] }),
            ))
        }
        ["sobjects", kind, id] => {
            only(request, &["GET"])?;
            let catalog = tooling_org(&state.org);
            let object = catalog.object(kind).ok_or_else(ApiError::not_found)?;
            let id = super::ids::normalize(id)
                .ok_or_else(|| ApiError::malformed_id(&object.label, id))?;
            let row = catalog
                .record(&object.name, &id)
                .ok_or_else(ApiError::not_found)?;
            let mut out =
                super::sobjects::render(object, row, &format!("{}/tooling", request.base()), None);
            out["Metadata"] = metadata_of(&state.org, &object.name, &id);
            Ok(RestResponse::json(200, out))
        }
        _ => Err(ApiError::not_found()),
    }
}

/// Splits `Object.Field__c`.
fn split_full_name(body: &Map<String, Value>) -> Result<(String, String), ApiError> {
    let full = body
        .get("FullName")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            ApiError::one(
                400,
                ErrorItem::new(
                    "REQUIRED_FIELD_MISSING",
                    "Required fields are missing: [FullName]",
                ),
            )
        })?;
    let (object, field) = full
        .split_once('.')
        .ok_or_else(|| integrity(format!("Invalid full name: {full}. Use Object.Field__c")))?;
    Ok((object.to_owned(), field.to_owned()))
}

/// A developer name: letters, digits and single underscores, starting with a letter.
fn valid_developer_name(name: &str) -> bool {
    name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.contains("__")
        && !name.ends_with('_')
}

fn create_field(org: &mut Org, body: &Map<String, Value>) -> Result<String, ApiError> {
    let (object_name, field_name) = split_full_name(body)?;
    let object = org
        .object(&object_name)
        .cloned()
        .ok_or_else(|| integrity(format!("Cannot find entity: {object_name}")))?;
    let developer = field_name
        .strip_suffix("__c")
        .filter(|d| valid_developer_name(d))
        .ok_or_else(|| {
            integrity(format!(
                "Invalid custom field name: {field_name}. Custom field names end in __c"
            ))
        })?;
    if object.field(&field_name).is_some() {
        return Err(duplicate(format!(
            "There is already a field named {developer} on {}.",
            object.name
        )));
    }
    let meta = body
        .get("Metadata")
        .and_then(Value::as_object)
        .ok_or_else(|| integrity("Metadata is required"))?;
    let mut field = field_from_metadata(org, &field_name, meta)?;
    let now = Utc::now();
    field.custom = true;
    field.durable_id = Some(org.mint(prefix::CUSTOM_FIELD));
    field.created = Some(now);
    let id = field.durable_id.clone().unwrap_or_default();
    let stamp = org.tick();
    org.add_field(&object.name, field, stamp);
    Ok(id)
}

fn text_of<'a>(meta: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    meta.get(key).and_then(Value::as_str)
}

fn number_of(meta: &Map<String, Value>, key: &str) -> Option<u32> {
    match meta.get(key)? {
        Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn flag_of(meta: &Map<String, Value>, key: &str) -> bool {
    match meta.get(key) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

/// Builds a field from Tooling `Metadata` (label, type, length, externalId…).
fn field_from_metadata(
    org: &Org,
    name: &str,
    meta: &Map<String, Value>,
) -> Result<FieldDef, ApiError> {
    let label = text_of(meta, "label").ok_or_else(|| integrity("Label is required"))?;
    let kind = text_of(meta, "type").ok_or_else(|| integrity("Type is required"))?;
    let length = number_of(meta, "length");
    let mut field = match kind {
        "Text" => {
            let length = length
                .ok_or_else(|| integrity("Must specify 'length' for a CustomField of type Text"))?;
            if !(1..=MAX_TEXT_LENGTH).contains(&length) {
                return Err(integrity(format!(
                    "Length must be between 1 and {MAX_TEXT_LENGTH}"
                )));
            }
            FieldDef::new(name, label, FieldType::String).len(length)
        }
        "TextArea" => FieldDef::new(name, label, FieldType::TextArea).len(MAX_TEXT_LENGTH),
        "LongTextArea" | "Html" => {
            let length = length.ok_or_else(|| {
                integrity(format!(
                    "Must specify 'length' for a CustomField of type {kind}"
                ))
            })?;
            if !(MAX_TEXT_LENGTH + 1..=MAX_LONG_TEXT_LENGTH).contains(&length) {
                return Err(integrity(format!(
                    "Length must be between 256 and {MAX_LONG_TEXT_LENGTH}"
                )));
            }
            let mut f = FieldDef::new(name, label, FieldType::TextArea).len(length);
            f.extra_type_info = Some(if kind == "Html" {
                "richtextarea"
            } else {
                "plaintextarea"
            });
            f
        }
        "Checkbox" => {
            let default = text_of(meta, "defaultValue")
                .map_or(flag_of(meta, "defaultValue"), |d| {
                    d.eq_ignore_ascii_case("true")
                });
            FieldDef::new(name, label, FieldType::Boolean)
                .required()
                .defaulted(Some(json!(default)))
        }
        "Number" | "Currency" | "Percent" => {
            let precision = number_of(meta, "precision").unwrap_or(MAX_PRECISION);
            let scale = number_of(meta, "scale").unwrap_or(0);
            if precision == 0 || precision > MAX_PRECISION || scale > precision {
                return Err(integrity("The sum of the length and decimal places must be an integer less than or equal to 18"));
            }
            let t = match kind {
                "Number" => FieldType::Double,
                "Currency" => FieldType::Currency,
                _ => FieldType::Percent,
            };
            FieldDef::new(name, label, t).number(precision, scale)
        }
        "Date" => FieldDef::new(name, label, FieldType::Date),
        "DateTime" => FieldDef::new(name, label, FieldType::DateTime),
        "Email" => FieldDef::new(name, label, FieldType::Email).len(80),
        "Phone" => FieldDef::new(name, label, FieldType::Phone).len(40),
        "Url" => FieldDef::new(name, label, FieldType::Url).len(MAX_TEXT_LENGTH),
        "Picklist" | "MultiselectPicklist" => {
            let t = if kind == "Picklist" {
                FieldType::Picklist
            } else {
                FieldType::MultiPicklist
            };
            let mut f = FieldDef::new(name, label, t);
            let value_set = meta.get("valueSet").and_then(Value::as_object);
            let values = value_set
                .and_then(|v| v.get("valueSetDefinition"))
                .and_then(|d| d.get("value"))
                .and_then(Value::as_array)
                .ok_or_else(|| integrity("A picklist needs valueSet.valueSetDefinition.value"))?;
            f.picklist = values
                .iter()
                .filter_map(|v| {
                    let full = v.get("fullName").and_then(Value::as_str)?;
                    Some(PicklistValue {
                        value: full.to_owned(),
                        label: v
                            .get("label")
                            .and_then(Value::as_str)
                            .unwrap_or(full)
                            .to_owned(),
                        active: true,
                        default: v.get("default").and_then(Value::as_bool).unwrap_or(false),
                    })
                })
                .collect();
            f.restricted = value_set.is_some_and(|v| flag_of(v, "restricted"));
            // A picklist with a default value is `defaultedOnCreate`: a record
            // created without a value gets it, through the API too (Field
            // `defaultedOnCreate` and PicklistEntry `defaultValue`,
            // https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_calls_describesobjects_describesobjectresult.htm).
            let default = (kind == "Picklist")
                .then(|| f.picklist.iter().find(|p| p.default))
                .flatten()
                .map(|p| json!(p.value));
            if default.is_some() {
                f = f.defaulted(default);
            }
            f
        }
        "Lookup" | "MasterDetail" => {
            let target =
                text_of(meta, "referenceTo").ok_or_else(|| integrity("referenceTo is required"))?;
            let target = org
                .object(target)
                .ok_or_else(|| integrity(format!("Cannot find entity: {target}")))?;
            let relationship = text_of(meta, "relationshipName")
                .ok_or_else(|| integrity("relationshipName is required"))?;
            let developer = name.trim_end_matches("__c");
            let mut f = FieldDef::new(name, label, FieldType::Reference).reference(
                &[target.name.as_str()],
                &format!("{developer}__r"),
                Some(&format!("{relationship}__r")),
            );
            if kind == "MasterDetail" {
                f = f.required().create_only();
                f.master_detail = true;
                f.cascade_delete = true;
            }
            f
        }
        other => return Err(integrity(format!("Invalid type: {other}"))),
    };
    if flag_of(meta, "externalId") {
        field = field.external_id();
    }
    if flag_of(meta, "unique") {
        field = field.unique();
    }
    field.case_sensitive = flag_of(meta, "caseSensitive");
    if flag_of(meta, "required") && field.ftype != FieldType::Boolean {
        field.nillable = false;
    }
    Ok(field)
}

fn create_object(org: &mut Org, body: &Map<String, Value>) -> Result<String, ApiError> {
    let full = body
        .get("FullName")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            ApiError::one(
                400,
                ErrorItem::new(
                    "REQUIRED_FIELD_MISSING",
                    "Required fields are missing: [FullName]",
                ),
            )
        })?
        .to_owned();
    let developer = full
        .strip_suffix("__c")
        .filter(|d| valid_developer_name(d))
        .ok_or_else(|| {
            integrity(format!(
                "Invalid custom object name: {full}. Custom object names end in __c"
            ))
        })?;
    if org.object(&full).is_some() {
        return Err(duplicate(format!(
            "There is already an object named {developer}."
        )));
    }
    let meta = body
        .get("Metadata")
        .and_then(Value::as_object)
        .ok_or_else(|| integrity("Metadata is required"))?;
    let label = text_of(meta, "label").ok_or_else(|| integrity("Label is required"))?;
    let plural = text_of(meta, "pluralLabel").unwrap_or(label);
    let name_label = meta
        .get("nameField")
        .and_then(|n| n.get("label"))
        .and_then(Value::as_str)
        .unwrap_or("Name");
    let now = org.tick();
    let mut fields = standard::system_fields();
    fields.push(
        FieldDef::new("Name", name_label, FieldType::String)
            .len(80)
            .required()
            .defaulted(None)
            .name_field(),
    );
    fields.push(standard::owner_field());
    if let Some(c) = org.currency.clone() {
        fields.push(standard::currency_field(label, &c.codes, &c.corporate));
    }
    fields.extend(standard::audit_fields());
    let key_prefix = org.next_custom_prefix();
    let id = org.mint(prefix::CUSTOM_OBJECT);
    org.put_object(ObjectDef {
        name: full.clone(),
        label: label.to_owned(),
        label_plural: plural.to_owned(),
        key_prefix,
        custom: true,
        createable: true,
        updateable: true,
        deletable: true,
        fields,
        durable_id: Some(id.clone()),
        schema_changed: now,
        hard_delete: false,
    });
    Ok(id)
}

/// The Tooling objects as a small org the SOQL evaluator can query.
fn tooling_org(org: &Org) -> Org {
    let now = Utc::now();
    let mut tooling = Org::empty(None);
    let text = |name: &str, label: &str| {
        FieldDef::new(name, label, FieldType::String)
            .len(255)
            .read_only()
    };
    let mut field_fields =
        vec![FieldDef::new("Id", "Custom Field Definition ID", FieldType::Id).read_only()];
    field_fields.extend([
        text("DeveloperName", "Field Name"),
        text("TableEnumOrId", "Table Enum or ID"),
        text("FullName", "Full Name"),
        text("NamespacePrefix", "Namespace Prefix"),
        text("Description", "Description"),
        text("ManageableState", "Manageable State"),
    ]);
    field_fields.extend(standard::audit_fields());
    let mut object_fields =
        vec![FieldDef::new("Id", "Custom Object Definition ID", FieldType::Id).read_only()];
    object_fields.extend([
        text("DeveloperName", "Object Name"),
        text("FullName", "Full Name"),
        text("NamespacePrefix", "Namespace Prefix"),
        text("Description", "Description"),
        text("ManageableState", "Manageable State"),
        text("ExternalName", "External Name"),
    ]);
    object_fields.extend(standard::audit_fields());
    for (name, label, key_prefix, fields) in [
        (
            "CustomField",
            "Custom Field Definition",
            prefix::CUSTOM_FIELD,
            field_fields,
        ),
        (
            "CustomObject",
            "Custom Object",
            prefix::CUSTOM_OBJECT,
            object_fields,
        ),
    ] {
        tooling.put_object(ObjectDef {
            name: name.into(),
            label: label.into(),
            label_plural: format!("{label}s"),
            key_prefix: key_prefix.into(),
            custom: false,
            createable: true,
            updateable: false,
            deletable: false,
            fields,
            durable_id: None,
            schema_changed: now,
            hard_delete: false,
        });
    }
    add_validation_rules(&mut tooling, org, now);
    let admin = org.admin_id.clone();
    for object in org.objects() {
        let table = if object.custom {
            object.durable_id.clone().unwrap_or_default()
        } else {
            object.name.clone()
        };
        if object.custom {
            let mut values = Map::new();
            values.insert("Id".into(), json!(object.durable_id));
            values.insert(
                "DeveloperName".into(),
                json!(object.name.trim_end_matches("__c")),
            );
            values.insert("FullName".into(), json!(object.name));
            values.insert("ManageableState".into(), json!("unmanaged"));
            values.insert("CreatedById".into(), json!(admin));
            values.insert("LastModifiedById".into(), json!(admin));
            tooling.insert_raw("CustomObject", values, &admin);
        }
        for field in object
            .fields
            .iter()
            .filter(|f| f.custom && f.durable_id.is_some())
        {
            let mut values = Map::new();
            values.insert("Id".into(), json!(field.durable_id));
            values.insert(
                "DeveloperName".into(),
                json!(field.name.trim_end_matches("__c")),
            );
            values.insert("TableEnumOrId".into(), json!(table));
            values.insert(
                "FullName".into(),
                json!(format!("{}.{}", object.name, field.name)),
            );
            values.insert("ManageableState".into(), json!("unmanaged"));
            values.insert("CreatedById".into(), json!(admin));
            values.insert("LastModifiedById".into(), json!(admin));
            tooling.insert_raw("CustomField", values, &admin);
        }
    }
    tooling
}

/// `ValidationRule` and, in an org that enforces them, a row per rule
/// (https://developer.salesforce.com/docs/atlas.en-us.api_tooling.meta/api_tooling/tooling_api_objects_validationrule.htm):
/// `EntityDefinitionId` is the object's name for a standard object.
fn add_validation_rules(tooling: &mut Org, org: &Org, now: chrono::DateTime<Utc>) {
    let text = |name: &str, label: &str| {
        FieldDef::new(name, label, FieldType::String)
            .len(255)
            .read_only()
    };
    let mut fields = vec![FieldDef::new("Id", "Validation Rule ID", FieldType::Id).read_only()];
    fields.extend([
        text("ValidationName", "Rule Name"),
        FieldDef::new("Active", "Active", FieldType::Boolean).read_only(),
        text("Description", "Description"),
        text("EntityDefinitionId", "Entity Definition ID"),
        text("ErrorDisplayField", "Error Location"),
        text("ErrorMessage", "Error Message"),
        text("NamespacePrefix", "Namespace Prefix"),
        text("ManageableState", "Manageable State"),
    ]);
    fields.extend(standard::audit_fields());
    tooling.put_object(ObjectDef {
        name: "ValidationRule".into(),
        label: "Validation Rule".into(),
        label_plural: "Validation Rules".into(),
        key_prefix: prefix::VALIDATION_RULE.into(),
        custom: false,
        createable: false,
        updateable: false,
        deletable: false,
        fields,
        durable_id: None,
        schema_changed: now,
        hard_delete: false,
    });
    if !org.org_rules {
        return;
    }
    let admin = org.admin_id.clone();
    for rule in VALIDATION_RULES {
        let mut values = Map::new();
        values.insert("ValidationName".into(), json!(rule.name));
        values.insert("Active".into(), json!(true));
        values.insert("EntityDefinitionId".into(), json!(rule.object));
        values.insert("ErrorDisplayField".into(), json!(rule.field));
        values.insert("ErrorMessage".into(), json!(rule.message));
        values.insert("ManageableState".into(), json!("unmanaged"));
        values.insert("CreatedById".into(), json!(admin));
        values.insert("LastModifiedById".into(), json!(admin));
        tooling.insert_raw("ValidationRule", values, &admin);
    }
}

/// The `Metadata` of one custom field or object, as a read returns it.
fn metadata_of(org: &Org, kind: &str, id: &str) -> Value {
    for object in org.objects() {
        if kind == "CustomObject" && object.durable_id.as_deref() == Some(id) {
            return json!({ "label": object.label, "pluralLabel": object.label_plural, "deploymentStatus": "Deployed", "sharingModel": "ReadWrite" });
        }
        if let Some(f) = object
            .fields
            .iter()
            .find(|f| f.durable_id.as_deref() == Some(id))
        {
            return json!({
                "label": f.label,
                "type": f.ftype.wire(),
                "length": f.length,
                "externalId": f.external_id,
                "unique": f.unique,
                "required": !f.nillable && f.ftype != FieldType::Boolean,
            });
        }
    }
    Value::Null
}

fn tooling_query(state: &mut State, request: &RestRequest) -> RestResult {
    let q = request.param("q").ok_or_else(|| {
        ApiError::one(
            400,
            ErrorItem::new("MALFORMED_QUERY", "A query string has to be specified"),
        )
    })?;
    let catalog = tooling_org(&state.org);
    let records = match query::run(&catalog, q, false, &request.version)? {
        QueryOutput::Count(n) => {
            return Ok(RestResponse::json(
                200,
                json!({ "size": n, "totalSize": n, "done": true, "records": [] }),
            ))
        }
        QueryOutput::Records(r) => r,
    };
    let base = request.base();
    let records: Vec<Value> = records
        .into_iter()
        .map(|mut r| {
            if let Some(Value::String(url)) = r.get_mut("attributes").and_then(|a| a.get_mut("url"))
            {
                *url = url.replacen(
                    &format!("{base}/sobjects/"),
                    &format!("{base}/tooling/sobjects/"),
                    1,
                );
            }
            Value::Object(r)
        })
        .collect();
    Ok(RestResponse::json(
        200,
        json!({
            "size": records.len(),
            "totalSize": records.len(),
            "done": true,
            "queryLocator": null,
            "entityTypeName": records.first().and_then(|r| r["attributes"]["type"].as_str()).map(str::to_owned),
            "records": records,
        }),
    ))
}
