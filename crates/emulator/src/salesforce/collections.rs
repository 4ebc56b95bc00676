//! sObject Collections (<https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_composite_sobjects_collections.htm>): create, update, upsert, delete and
//! retrieve up to 200 records in one call, with per-record results in
//! request order and `allOrNone` rollback (`ALL_OR_NONE_OPERATION_ROLLED_BACK`).

use serde_json::{json, Value};

use super::errors::{failed_result, rolled_back, ApiError, ErrorItem};
use super::http::{only, RestRequest, RestResponse, RestResult};
use super::ids;
use super::org::Org;
use super::sobjects::{field_list, render, resolve, saved, upsert, Upserted};
use super::state::State;
use super::values::{parse_record, Assign, ATTRIBUTES};

/// Records per create/update/upsert/delete call.
pub const MAX_RECORDS: usize = 200;
/// IDs per POST retrieve (GET is limited by [`MAX_RECORDS`]).
const MAX_RETRIEVE_POST: usize = 2000;

/// Routes `/composite/sobjects…`.
pub fn route(state: &mut State, request: &RestRequest, rest: &[&str]) -> RestResult {
    match rest {
        [] => match request.method.as_str() {
            "POST" => write(state, request, Op::Create),
            "PATCH" => write(state, request, Op::Update),
            "DELETE" => delete(state, request),
            _ => Err(only(request, &["POST", "PATCH", "DELETE"]).unwrap_err()),
        },
        [object] => retrieve(state, request, object),
        [object, field] => {
            only(request, &["PATCH"])?;
            write(state, request, Op::Upsert { object, field })
        }
        _ => Err(ApiError::not_found()),
    }
}

/// The 400 for more than [`MAX_RECORDS`].
fn too_many() -> ApiError {
    ApiError::one(
        400,
        ErrorItem::new(
            "EXCEEDED_ID_LIMIT",
            format!("record limit reached. cannot submit more than {MAX_RECORDS} records into this call"),
        ),
    )
}

#[derive(Clone, Copy)]
enum Op<'a> {
    Create,
    Update,
    Upsert { object: &'a str, field: &'a str },
}

/// One record's planned write.
enum Planned {
    Create {
        object: String,
        assigns: Vec<Assign>,
    },
    Update {
        object: String,
        id: String,
        assigns: Vec<Assign>,
    },
    Upsert {
        object: String,
        field: String,
        key: Value,
        assigns: Vec<Assign>,
    },
    Invalid(ErrorItem),
}

fn write(state: &mut State, request: &RestRequest, op: Op<'_>) -> RestResult {
    let (body, raw) = request.json_object("SObjectCollection")?;
    let all_or_none = request.force_all_or_none
        || body
            .get("allOrNone")
            .and_then(Value::as_bool)
            .unwrap_or(false);
    let records = match body.get("records") {
        Some(Value::Array(r)) => r.clone(),
        _ => {
            return Err(ApiError::json_parser("'records' is a required field."));
        }
    };
    if records.len() > MAX_RECORDS {
        return Err(too_many());
    }
    let upsert_target = match op {
        Op::Upsert { object, field } => {
            let def = resolve(&state.org, object)?;
            let key = def.field(field).filter(|f| f.external_id || f.name == "Id").cloned().ok_or_else(|| {
                ApiError::invalid_field(format!("Field name provided, {field} is not an External ID or indexed field for {}", def.name))
            })?;
            Some((def, key))
        }
        _ => None,
    };
    // Deserialize every record first: a bad type or unknown field refuses the whole call.
    let mut plans = Vec::with_capacity(records.len());
    for record in &records {
        let Value::Object(map) = record else {
            return Err(ApiError::json_parser(
                "Cannot deserialize instance of SObject from a non-object value",
            ));
        };
        let type_name = map
            .get(ATTRIBUTES)
            .and_then(|a| a.get("type"))
            .and_then(Value::as_str);
        if let Some((def, key)) = &upsert_target {
            if type_name.is_some_and(|t| !t.eq_ignore_ascii_case(&def.name)) {
                plans.push(Planned::Invalid(ErrorItem::with_fields(
                    "INVALID_FIELD",
                    format!(
                        "The type of the records must match the type in the URL: {}",
                        def.name
                    ),
                    Vec::new(),
                )));
                continue;
            }
            let assigns = parse_record(def, map, &raw)?;
            let key_value = assigns.iter().find_map(|a| match a {
                Assign::Value { field, value } if *field == key.name && !value.is_null() => {
                    Some(value.clone())
                }
                _ => None,
            });
            plans.push(match key_value {
                Some(k) => Planned::Upsert {
                    object: def.name.clone(),
                    field: key.name.clone(),
                    key: k,
                    assigns,
                },
                None => Planned::Invalid(ErrorItem::with_fields(
                    "MISSING_ARGUMENT",
                    format!("{} not specified", key.name),
                    Vec::new(),
                )),
            });
            continue;
        }
        let Some(type_name) = type_name else {
            return Err(ApiError::one(
                400,
                ErrorItem::new(
                    "INVALID_TYPE",
                    "Must specify a type in attributes for every record",
                ),
            ));
        };
        let def = state
            .org
            .object_for_caller(type_name)
            .map(std::borrow::Cow::into_owned)
            .ok_or_else(|| {
                ApiError::one(
                    400,
                    ErrorItem::new(
                        "INVALID_TYPE",
                        format!("sObject type '{type_name}' is not supported."),
                    ),
                )
            })?;
        let assigns = parse_record(&def, map, &raw)?;
        plans.push(match op {
            Op::Create => Planned::Create {
                object: def.name.clone(),
                assigns,
            },
            _ => plan_update(&def, assigns),
        });
    }
    refuse_repeated_keys(&mut plans);
    if let (Some(item), Some(first)) = (&request.fault, plans.first_mut()) {
        *first = Planned::Invalid(item.clone());
    }
    let snapshot = all_or_none.then(|| state.org.clone());
    let mut outcomes: Vec<Result<Value, Vec<ErrorItem>>> = Vec::with_capacity(plans.len());
    for plan in plans {
        outcomes.push(apply(&mut state.org, plan, &request.user));
    }
    let failed = outcomes.iter().any(Result::is_err);
    if let (true, Some(snapshot)) = (failed, snapshot) {
        state.org = snapshot;
        let results: Vec<Value> = outcomes
            .into_iter()
            .map(|o| match o {
                Err(errors) => failed_result(&errors),
                Ok(_) => failed_result(&[rolled_back()]),
            })
            .collect();
        return Ok(RestResponse::json(200, Value::Array(results)));
    }
    let results: Vec<Value> = outcomes
        .into_iter()
        .map(|o| o.unwrap_or_else(|errors| failed_result(&errors)))
        .collect();
    Ok(RestResponse::json(200, Value::Array(results)))
}

/// Salesforce refuses every record of an upsert whose key appears twice in
/// the call: "If the key is matched multiple times, then an error is generated
/// and the object record is neither inserted or updated"
/// (https://developer.salesforce.com/docs/atlas.en-us.apexcode.meta/apexcode/langCon_apex_dml_examples_upsert.htm),
/// reported as `DUPLICATE_VALUE`, `Duplicate external id specified: <key>`.
fn refuse_repeated_keys(plans: &mut [Planned]) {
    let key_of = |plan: &Planned| match plan {
        Planned::Upsert { key, .. } => Some(
            key.as_str()
                .map_or_else(|| key.to_string(), str::to_ascii_lowercase),
        ),
        _ => None,
    };
    let keys: Vec<Option<String>> = plans.iter().map(key_of).collect();
    for (index, plan) in plans.iter_mut().enumerate() {
        let Some(key) = &keys[index] else { continue };
        if keys.iter().filter(|k| k.as_ref() == Some(key)).count() < 2 {
            continue;
        }
        if let Planned::Upsert {
            field, key: value, ..
        } = plan
        {
            let shown = value
                .as_str()
                .map_or_else(|| value.to_string(), str::to_owned);
            *plan = Planned::Invalid(ErrorItem::with_fields(
                "DUPLICATE_VALUE",
                format!("Duplicate external id specified: {shown}"),
                vec![field.clone()],
            ));
        }
    }
}

fn plan_update(def: &super::schema::ObjectDef, assigns: Vec<Assign>) -> Planned {
    let id_value = assigns.iter().find_map(|a| match a {
        Assign::Value { field, value } if field == "Id" => Some(value.clone()),
        _ => None,
    });
    let Some(raw_id) = id_value.as_ref().and_then(Value::as_str).map(str::to_owned) else {
        return Planned::Invalid(ErrorItem::with_fields(
            "MISSING_ARGUMENT",
            "Id not specified in an update call",
            Vec::new(),
        ));
    };
    match ids::normalize(&raw_id).filter(|id| ids::prefix(id) == def.key_prefix) {
        Some(id) => Planned::Update {
            object: def.name.clone(),
            id,
            assigns: assigns.into_iter().filter(|a| a.field() != "Id").collect(),
        },
        None => Planned::Invalid(ErrorItem::with_fields(
            "MALFORMED_ID",
            format!("malformed id {raw_id}"),
            Vec::new(),
        )),
    }
}

fn apply(org: &mut Org, plan: Planned, user: &str) -> Result<Value, Vec<ErrorItem>> {
    match plan {
        Planned::Create { object, assigns } => {
            org.create(&object, &assigns, user).map(|id| saved(&id))
        }
        Planned::Update {
            object,
            id,
            assigns,
        } => org
            .update(&object, &id, &assigns, user)
            .map(|()| saved(&id)),
        Planned::Upsert {
            object,
            field,
            key,
            assigns,
        } => {
            let def = org
                .object_for_caller(&object)
                .map(std::borrow::Cow::into_owned)
                .ok_or_else(Vec::new)?;
            match upsert(org, &def, &field, &key, assigns, user, false)? {
                Upserted::Created(id) => {
                    Ok(json!({ "id": id, "success": true, "errors": [], "created": true }))
                }
                Upserted::Updated(id) => {
                    Ok(json!({ "id": id, "success": true, "errors": [], "created": false }))
                }
                Upserted::Multiple(ids) => Err(vec![ErrorItem::with_fields(
                    "DUPLICATE_EXTERNAL_ID",
                    format!(
                        "{field}: more than one record found for external id field: {}",
                        ids.join(", ")
                    ),
                    vec![field.clone()],
                )]),
            }
        }
        Planned::Invalid(error) => Err(vec![error]),
    }
}

fn delete(state: &mut State, request: &RestRequest) -> RestResult {
    let all_or_none = request.force_all_or_none || request.param("allOrNone") == Some("true");
    let raw_ids: Vec<String> = request
        .param("ids")
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    if raw_ids.is_empty() {
        return Err(ApiError::one(
            400,
            ErrorItem::new("MISSING_ARGUMENT", "The ids parameter is required"),
        ));
    }
    if raw_ids.len() > MAX_RECORDS {
        return Err(too_many());
    }
    let snapshot = all_or_none.then(|| state.org.clone());
    let mut outcomes = Vec::with_capacity(raw_ids.len());
    for (index, raw) in raw_ids.iter().enumerate() {
        if let (0, Some(item)) = (index, &request.fault) {
            outcomes.push(Err(vec![item.clone()]));
            continue;
        }
        let outcome = match ids::normalize(raw).filter(|id| state.org.object_for_id(id).is_some()) {
            None => Err(vec![ErrorItem::with_fields(
                "MALFORMED_ID",
                format!("malformed id {raw}"),
                Vec::new(),
            )]),
            Some(id) => state
                .org
                .delete(&id)
                .map(|()| saved(&id))
                .map_err(|e| vec![e]),
        };
        outcomes.push(outcome);
    }
    let failed = outcomes.iter().any(Result::is_err);
    let rollback = failed && snapshot.is_some();
    if let (true, Some(snapshot)) = (rollback, snapshot) {
        state.org = snapshot;
    }
    let results: Vec<Value> = outcomes
        .into_iter()
        .map(|o| match o {
            Ok(_) if rollback => failed_result(&[rolled_back()]),
            Ok(v) => v,
            Err(errors) => failed_result(&errors),
        })
        .collect();
    Ok(RestResponse::json(200, Value::Array(results)))
}

fn retrieve(state: &mut State, request: &RestRequest, object: &str) -> RestResult {
    only(request, &["GET", "POST"])?;
    let def = resolve(&state.org, object)?;
    let (raw_ids, fields): (Vec<String>, String) = if request.method == "POST" {
        let (body, _) = request.json_object("SObjectCollectionRetrieve")?;
        let list = |key: &str| -> Vec<String> {
            body.get(key)
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default()
        };
        let ids = list("ids");
        if ids.len() > MAX_RETRIEVE_POST {
            return Err(too_many());
        }
        (ids, list("fields").join(","))
    } else {
        let ids: Vec<String> = request
            .param("ids")
            .unwrap_or("")
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        if ids.len() > MAX_RECORDS {
            return Err(too_many());
        }
        (ids, request.param("fields").unwrap_or("").to_owned())
    };
    if raw_ids.is_empty() || fields.is_empty() {
        return Err(ApiError::one(
            400,
            ErrorItem::new(
                "MISSING_ARGUMENT",
                "The ids and fields parameters are required",
            ),
        ));
    }
    let fields = field_list(&def, Some(&fields))?;
    let base = request.base();
    let mut out = Vec::with_capacity(raw_ids.len());
    for raw in &raw_ids {
        let id = ids::normalize(raw)
            .filter(|id| ids::prefix(id) == def.key_prefix)
            .ok_or_else(|| ApiError::malformed_id(&def.label, raw))?;
        let row = state
            .org
            .record(&def.name, &id)
            .filter(|r| r.get("IsDeleted") != Some(&Value::Bool(true)));
        out.push(row.map_or(Value::Null, |r| render(&def, r, &base, fields.as_deref())));
    }
    Ok(RestResponse::json(200, Value::Array(out)))
}

/// True when a Collections answer has a failed record (composite uses it).
pub fn has_failure(body: &Value) -> bool {
    body.as_array().is_some_and(|results| {
        results
            .iter()
            .any(|r| r.get("success") == Some(&Value::Bool(false)))
    })
}
