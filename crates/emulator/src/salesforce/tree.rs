//! sObject Tree (`POST /composite/tree/{object}`), what `sf data import tree`
//! sends: up to 200 records in trees of parents and their children, created
//! all or none, each answered by its `referenceId`
//! (<https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_composite_sobject_tree.htm>,
//! request and response bodies:
//! <https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/requests_composite_sobject_tree.htm>,
//! <https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/responses_composite_sobject_tree.htm>).

use serde_json::{json, Map, Value};

use super::errors::{ApiError, ErrorItem};
use super::http::{only, RestRequest, RestResponse, RestResult};
use super::org::Org;
use super::schema::ObjectDef;
use super::sobjects::resolve;
use super::state::State;
use super::values::{parse_record, Assign, ATTRIBUTES};

/// Records per request, across every tree.
const MAX_RECORDS: usize = 200;
/// Levels of a tree: a root and its descendants.
const MAX_DEPTH: usize = 5;

/// One record to create, its children already flattened behind it.
struct Node {
    reference_id: String,
    object: String,
    assigns: Vec<Assign>,
    /// Index of the parent node and the child's lookup field to it.
    parent: Option<(usize, String)>,
}

/// `POST /composite/tree/{object}`.
pub fn create(state: &mut State, request: &RestRequest, object: &str) -> RestResult {
    only(request, &["POST"])?;
    let root = resolve(&state.org, object)?;
    let (body, raw) = request.json_object("SObjectTreeRequest")?;
    let Some(Value::Array(records)) = body.get("records") else {
        return Err(ApiError::json_parser("'records' is a required field."));
    };
    let mut nodes = Vec::new();
    for record in records {
        flatten(&state.org, &root, record, None, 1, &raw, &mut nodes)?;
    }
    if nodes.len() > MAX_RECORDS {
        return Err(invalid_input(format!(
            "Request exceeds the maximum of {MAX_RECORDS} records"
        )));
    }
    if let Some(repeated) = repeated_reference(&nodes) {
        return Err(invalid_input(format!(
            "Duplicate ReferenceId provided in the request: {repeated}"
        )));
    }
    let before = state.org.clone();
    let mut ids: Vec<String> = Vec::with_capacity(nodes.len());
    let mut failures = Vec::new();
    for node in &nodes {
        let mut assigns = node.assigns.clone();
        if let Some((parent, field)) = &node.parent {
            assigns.push(Assign::Value {
                field: field.clone(),
                value: Value::String(ids[*parent].clone()),
            });
        }
        match state.org.create(&node.object, &assigns, &request.user) {
            Ok(id) => ids.push(id),
            Err(errors) => {
                ids.push(String::new());
                failures.push(json!({
                    "referenceId": node.reference_id,
                    "errors": errors.iter().map(ErrorItem::record_json).collect::<Vec<_>>(),
                }));
            }
        }
    }
    if !failures.is_empty() {
        state.org = before;
        return Ok(RestResponse::json(
            400,
            json!({ "hasErrors": true, "results": failures }),
        ));
    }
    let results: Vec<Value> = nodes
        .iter()
        .zip(&ids)
        .map(|(node, id)| json!({ "referenceId": node.reference_id, "id": id }))
        .collect();
    Ok(RestResponse::json(
        201,
        json!({ "hasErrors": false, "results": results }),
    ))
}

/// Appends `record` and, after it, its children (depth first).
fn flatten(
    org: &Org,
    object: &ObjectDef,
    record: &Value,
    parent: Option<(usize, String)>,
    depth: usize,
    raw: &str,
    nodes: &mut Vec<Node>,
) -> Result<(), ApiError> {
    if depth > MAX_DEPTH {
        return Err(invalid_input(format!(
            "Request exceeds the maximum depth of {MAX_DEPTH} levels"
        )));
    }
    let Value::Object(map) = record else {
        return Err(ApiError::json_parser(
            "Cannot deserialize instance of SObject from a non-object value",
        ));
    };
    let attributes = map.get(ATTRIBUTES);
    let reference_id = attributes
        .and_then(|a| a.get("referenceId"))
        .and_then(Value::as_str)
        .filter(|r| !r.is_empty())
        .ok_or_else(|| invalid_input("Include a reference ID for each record in the request."))?;
    let type_name = attributes
        .and_then(|a| a.get("type"))
        .and_then(Value::as_str)
        .ok_or_else(|| invalid_input("Include a type for each record in the request."))?;
    if !type_name.eq_ignore_ascii_case(&object.name) {
        return Err(invalid_input(format!(
            "The type of the record {reference_id} must be {}",
            object.name
        )));
    }
    let mut fields = Map::new();
    let mut children = Vec::new();
    for (key, value) in map {
        match child_relationship(org, object, key) {
            Some(child) if value.is_object() => children.push((child, value)),
            _ => {
                fields.insert(key.clone(), value.clone());
            }
        }
    }
    let assigns = parse_record(object, &fields, raw)?;
    let index = nodes.len();
    nodes.push(Node {
        reference_id: reference_id.to_owned(),
        object: object.name.clone(),
        assigns,
        parent,
    });
    for ((child, lookup), value) in children {
        let Some(Value::Array(records)) = value.get("records") else {
            return Err(ApiError::json_parser("'records' is a required field."));
        };
        for record in records {
            let link = Some((index, lookup.clone()));
            flatten(org, &child, record, link, depth + 1, raw, nodes)?;
        }
    }
    Ok(())
}

/// The child object and its lookup field behind `object`'s child
/// relationship `name` (`Contacts` on Account: Contact.AccountId).
fn child_relationship(org: &Org, object: &ObjectDef, name: &str) -> Option<(ObjectDef, String)> {
    org.objects().find_map(|child| {
        child
            .fields
            .iter()
            .find(|f| {
                f.reference_to.contains(&object.name)
                    && f.child_relationship
                        .as_deref()
                        .is_some_and(|r| r.eq_ignore_ascii_case(name))
            })
            .map(|f| (child.clone(), f.name.clone()))
    })
}

/// The first `referenceId` used twice, if any.
fn repeated_reference(nodes: &[Node]) -> Option<&str> {
    let mut seen = std::collections::HashSet::new();
    nodes
        .iter()
        .map(|n| n.reference_id.as_str())
        .find(|r| !seen.insert(r.to_ascii_lowercase()))
}

/// A request-level `INVALID_INPUT`.
fn invalid_input(message: impl Into<String>) -> ApiError {
    ApiError::one(400, ErrorItem::new("INVALID_INPUT", message))
}
