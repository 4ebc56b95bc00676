//! Describe resources (<https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_sobject_describe.htm>): Describe Global, sObject Basic
//! Information and the full sObject Describe with real field objects, all
//! honouring `If-Modified-Since` (304 when the schema has not changed).

use chrono::{DateTime, Timelike, Utc};
use serde_json::{json, Value};

use super::errors::{ApiError, ErrorItem};
use super::http::{only, RestRequest, RestResponse, RestResult};
use super::schema::{FieldDef, FieldType, ObjectDef};
use super::state::State;

/// Records per sObject Collections call, as Describe Global reports it.
const MAX_BATCH_SIZE: u32 = 200;

/// 304 when nothing in `changed` is newer than `If-Modified-Since`.
fn not_modified(request: &RestRequest, changed: DateTime<Utc>) -> Result<bool, ApiError> {
    let Some(text) = request.header("if-modified-since") else {
        return Ok(false);
    };
    let since = super::values::parse_http_date(text).ok_or_else(|| {
        ApiError::one(
            400,
            ErrorItem::new(
                "INVALID_HEADER_VALUE",
                format!("Invalid value for header If-Modified-Since: {text}"),
            ),
        )
    })?;
    Ok(changed.with_nanosecond(0).unwrap_or(changed) <= since)
}

fn urls(object: &ObjectDef, base: &str) -> Value {
    let root = format!("{base}/sobjects/{}", object.name);
    json!({
        "sobject": root,
        "describe": format!("{root}/describe"),
        "rowTemplate": format!("{root}/{{ID}}"),
    })
}

/// The object-level properties shared by the three describe shapes.
fn summary(object: &ObjectDef, base: &str) -> serde_json::Map<String, Value> {
    let readonly_system = !object.createable && !object.updateable;
    let mut map = serde_json::Map::new();
    for (k, v) in [
        ("activateable", json!(false)),
        ("createable", json!(object.createable)),
        ("custom", json!(object.custom)),
        ("customSetting", json!(false)),
        ("deletable", json!(object.deletable)),
        ("deprecatedAndHidden", json!(false)),
        ("feedEnabled", json!(!readonly_system)),
        ("keyPrefix", json!(object.key_prefix)),
        ("label", json!(object.label)),
        ("labelPlural", json!(object.label_plural)),
        ("layoutable", json!(!readonly_system)),
        (
            "mergeable",
            json!(matches!(object.name.as_str(), "Account" | "Contact")),
        ),
        ("mruEnabled", json!(!readonly_system)),
        ("name", json!(object.name)),
        ("queryable", json!(true)),
        ("replicateable", json!(true)),
        ("retrieveable", json!(true)),
        ("searchable", json!(!readonly_system)),
        ("triggerable", json!(!readonly_system)),
        (
            "undeletable",
            json!(object.deletable && !object.hard_delete),
        ),
        ("updateable", json!(object.updateable)),
        ("urls", urls(object, base)),
    ] {
        map.insert(k.into(), v);
    }
    map
}

/// `GET /sobjects`.
pub fn global(state: &State, request: &RestRequest) -> RestResult {
    only(request, &["GET"])?;
    let changed = state
        .org
        .objects()
        .map(|o| o.schema_changed)
        .max()
        .unwrap_or_else(Utc::now);
    if not_modified(request, changed)? {
        return Ok(RestResponse::empty(304));
    }
    let base = request.base();
    let sobjects: Vec<Value> = state
        .org
        .objects()
        .filter_map(|o| state.org.object_for_caller(&o.name))
        .map(|o| Value::Object(summary(&o, &base)))
        .collect();
    Ok(RestResponse::json(
        200,
        json!({ "encoding": "UTF-8", "maxBatchSize": MAX_BATCH_SIZE, "sobjects": sobjects }),
    ))
}

/// `GET /sobjects/{object}`.
pub fn basic(state: &State, request: &RestRequest, object: &ObjectDef) -> RestResult {
    if not_modified(request, object.schema_changed)? {
        return Ok(RestResponse::empty(304));
    }
    let _ = state;
    Ok(RestResponse::json(
        200,
        json!({ "objectDescribe": Value::Object(summary(object, &request.base())), "recentItems": [] }),
    ))
}

/// `GET /sobjects/{object}/describe`.
pub fn object(state: &State, request: &RestRequest, object: &ObjectDef) -> RestResult {
    only(request, &["GET"])?;
    if not_modified(request, object.schema_changed)? {
        return Ok(RestResponse::empty(304));
    }
    let stages: Vec<String> = state
        .org
        .rows("OpportunityStage")
        .filter(|r| r.get("IsActive") == Some(&Value::Bool(true)))
        .filter_map(|r| r.get("ApiName").and_then(Value::as_str).map(str::to_owned))
        .collect();
    let fields: Vec<Value> = object
        .fields
        .iter()
        .map(|f| {
            let live_stages = (object.name == "Opportunity" && f.name == "StageName")
                .then_some(stages.as_slice());
            field_json(f, live_stages)
        })
        .collect();
    let children: Vec<Value> = state
        .org
        .objects()
        .flat_map(|child| {
            child
                .fields
                .iter()
                .filter(|f| f.reference_to.contains(&object.name))
                .map(move |f| {
                    json!({
                        "cascadeDelete": f.cascade_delete,
                        "childSObject": child.name,
                        "deprecatedAndHidden": false,
                        "field": f.name,
                        "junctionIdListNames": [],
                        "junctionReferenceTo": [],
                        "relationshipName": f.child_relationship,
                        "restrictedDelete": false,
                    })
                })
        })
        .collect();
    let mut body = summary(object, &request.base());
    body.insert("fields".into(), Value::Array(fields));
    body.insert("childRelationships".into(), Value::Array(children));
    body.insert(
        "recordTypeInfos".into(),
        Value::Array(state.org.record_type_infos(&object.name, &request.base())),
    );
    body.insert("compactLayoutable".into(), json!(object.createable));
    body.insert("searchLayoutable".into(), json!(object.createable));
    body.insert("networkScopeFieldName".into(), Value::Null);
    body.insert(
        "supportedScopes".into(),
        json!([{ "label": "All", "name": "everything" }]),
    );
    Ok(RestResponse::json(200, Value::Object(body)))
}

/// A field as describe renders it.
pub fn field_json(f: &FieldDef, stage_values: Option<&[String]>) -> Value {
    let picklist: Vec<Value> = match stage_values {
        Some(values) => values
            .iter()
            .map(|v| json!({ "active": true, "defaultValue": false, "label": v, "validFor": null, "value": v }))
            .collect(),
        None => f
            .picklist
            .iter()
            .map(|p| json!({ "active": p.active, "defaultValue": p.default, "label": p.label, "validFor": null, "value": p.value }))
            .collect(),
    };
    let is_text = f.ftype.is_text();
    let byte_length = if is_text || matches!(f.ftype, FieldType::Id | FieldType::Reference) {
        f.length * 3
    } else {
        0
    };
    let filterable = f.is_filterable();
    let pairs: Vec<(&str, Value)> = vec![
        ("aggregatable", json!(filterable)),
        ("autoNumber", json!(false)),
        ("byteLength", json!(byte_length)),
        ("calculated", json!(f.calculated)),
        ("calculatedFormula", json!(null)),
        ("cascadeDelete", json!(f.cascade_delete)),
        ("caseSensitive", json!(f.case_sensitive)),
        ("compoundFieldName", json!(null)),
        ("controllerName", json!(null)),
        ("createable", json!(f.createable)),
        ("custom", json!(f.custom)),
        (
            "defaultValue",
            json!(f
                .default_value
                .clone()
                .filter(|_| f.ftype == FieldType::Boolean)),
        ),
        ("defaultValueFormula", json!(null)),
        ("defaultedOnCreate", json!(f.defaulted_on_create)),
        ("dependentPicklist", json!(false)),
        ("deprecatedAndHidden", json!(false)),
        ("digits", json!(f.digits)),
        ("displayLocationInDecimal", json!(false)),
        ("encrypted", json!(false)),
        ("externalId", json!(f.external_id)),
        ("extraTypeInfo", json!(f.extra_type_info)),
        ("filterable", json!(filterable)),
        ("filteredLookupInfo", json!(null)),
        (
            "groupable",
            json!(
                filterable
                    && !matches!(
                        f.ftype,
                        FieldType::Double
                            | FieldType::Currency
                            | FieldType::Percent
                            | FieldType::DateTime
                    )
            ),
        ),
        ("highScaleNumber", json!(false)),
        ("htmlFormatted", json!(false)),
        ("idLookup", json!(f.id_lookup || f.ftype == FieldType::Id)),
        ("inlineHelpText", json!(null)),
        ("label", json!(f.label)),
        ("length", json!(if is_text { f.length } else { 0 })),
        ("mask", json!(null)),
        ("maskType", json!(null)),
        ("name", json!(f.name)),
        ("nameField", json!(f.name_field)),
        ("namePointing", json!(f.reference_to.len() > 1)),
        ("nillable", json!(f.nillable)),
        (
            "permissionable",
            json!(f.nillable && !f.calculated && f.createable),
        ),
        ("picklistValues", json!(picklist)),
        ("polymorphicForeignKey", json!(f.reference_to.len() > 1)),
        ("precision", json!(f.precision)),
        ("queryByDistance", json!(false)),
        ("referenceTargetField", json!(null)),
        ("referenceTo", json!(f.reference_to)),
        ("relationshipName", json!(f.relationship_name)),
        (
            "relationshipOrder",
            json!(if f.master_detail {
                json!(0)
            } else {
                Value::Null
            }),
        ),
        ("restrictedDelete", json!(false)),
        ("restrictedPicklist", json!(f.restricted)),
        ("scale", json!(f.scale)),
        ("searchPrefilterable", json!(false)),
        ("soapType", json!(f.ftype.soap_type())),
        ("sortable", json!(filterable)),
        ("type", json!(f.ftype.wire())),
        ("unique", json!(f.unique)),
        ("updateable", json!(f.updateable)),
        ("writeRequiresMasterRead", json!(f.master_detail)),
    ];
    Value::Object(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}
