//! JSON Patch (RFC 6902) restricted to `add` and `replace`, as the Referrals
//! API documents (<https://learn.microsoft.com/en-us/partner-center/developer/create-a-referral>), and JSON Merge Patch (RFC 7396) for the
//! Microsoft-seller control API.

use serde_json::Value;

use super::error::ApiError;
use super::model::REFERRAL;
use super::schema::{canonical_key, canonicalize, INVITED_BY, SERVER_OWNED};

/// The two operations the service supports.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Add,
    Replace,
}

/// One parsed JSON Patch operation.
#[derive(Debug, Clone)]
pub(crate) struct PatchOp {
    op: Op,
    path: Vec<String>,
    pointer: String,
    value: Value,
}

fn decode_pointer(pointer: &str) -> Result<Vec<String>, ApiError> {
    let Some(rest) = pointer.strip_prefix('/') else {
        return Err(ApiError::invalid_at(
            "path",
            format!("'{pointer}' is not a JSON pointer."),
        ));
    };
    Ok(rest
        .split('/')
        .map(|seg| seg.replace("~1", "/").replace("~0", "~"))
        .map(|seg| canonical_key(&seg).map_or(seg, str::to_owned))
        .collect())
}

/// Parses a JSON Patch document, refusing everything but `add`/`replace`.
pub(crate) fn parse(body: &Value) -> Result<Vec<PatchOp>, ApiError> {
    let Value::Array(items) = body else {
        return Err(ApiError::invalid(
            "The request body must be a JSON Patch document (an array of operations).",
        ));
    };
    if items.is_empty() {
        return Err(ApiError::invalid(
            "The JSON Patch document has no operations.",
        ));
    }
    items
        .iter()
        .map(|item| {
            let Value::Object(fields) = item else {
                return Err(ApiError::invalid(
                    "Each JSON Patch operation must be an object.",
                ));
            };
            let field = |name: &str| {
                fields
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v)
            };
            let op = match field("op").and_then(Value::as_str) {
                Some(op) if op.eq_ignore_ascii_case("add") => Op::Add,
                Some(op) if op.eq_ignore_ascii_case("replace") => Op::Replace,
                Some(op) => {
                    return Err(ApiError::invalid_at(
                        "op",
                        format!("The operation '{op}' is not supported; only add and replace are."),
                    ))
                }
                None => return Err(ApiError::invalid_at("op", "Each operation needs an 'op'.")),
            };
            let pointer = field("path")
                .and_then(Value::as_str)
                .ok_or_else(|| ApiError::invalid_at("path", "Each operation needs a 'path'."))?;
            let path = decode_pointer(pointer)?;
            if let Some(segment) = REFERRAL.unknown_segment(&path) {
                return Err(ApiError::invalid_at(
                    pointer.trim_start_matches('/'),
                    format!(
                        "The target location specified by path segment '{segment}' was not found."
                    ),
                ));
            }
            let value = field("value").cloned().ok_or_else(|| {
                ApiError::invalid_at(
                    "value",
                    format!("The operation on '{pointer}' needs a 'value'."),
                )
            })?;
            Ok(PatchOp {
                op,
                path,
                pointer: pointer.to_owned(),
                value: canonicalize(value),
            })
        })
        .collect()
}

/// Refuses operations that touch server-owned properties.
pub(crate) fn refuse_server_owned(ops: &[PatchOp]) -> Result<(), ApiError> {
    for op in ops {
        let touches = SERVER_OWNED.contains(&op.path[0].as_str())
            || (op.path.len() >= 2 && op.path[..2] == INVITED_BY)
            || (op.path.len() == 1
                && op.path[0] == INVITED_BY[0]
                && op.value.get(INVITED_BY[1]).is_some());
        if touches {
            return Err(ApiError::invalid_at(
                op.pointer.trim_start_matches('/'),
                format!(
                    "The property at '{}' is set by the server and cannot be changed.",
                    op.pointer
                ),
            ));
        }
    }
    Ok(())
}

/// Applies the operations to `doc` (all or nothing: the caller passes a copy).
///
/// `replace` of a missing member of an existing object sets it, as the
/// service's typed model has every documented property (ASP.NET Core
/// JsonPatch on a typed object); a missing parent is an error.
pub(crate) fn apply(doc: &mut Value, ops: &[PatchOp]) -> Result<(), ApiError> {
    for op in ops {
        let missing = || {
            ApiError::invalid_at(
                op.pointer.trim_start_matches('/'),
                format!("The target location '{}' was not found.", op.pointer),
            )
        };
        let (last, parents) = op.path.split_last().ok_or_else(missing)?;
        let mut parent = &mut *doc;
        for seg in parents {
            parent = match parent {
                Value::Object(map) => map.get_mut(seg.as_str()),
                Value::Array(items) => seg.parse::<usize>().ok().and_then(|i| items.get_mut(i)),
                _ => None,
            }
            .ok_or_else(missing)?;
        }
        match parent {
            Value::Object(map) => {
                if parents.is_empty() && last.is_empty() {
                    return Err(missing());
                }
                map.insert(last.clone(), op.value.clone());
            }
            Value::Array(items) => {
                if last == "-" && op.op == Op::Add {
                    items.push(op.value.clone());
                    continue;
                }
                let index = last.parse::<usize>().map_err(|_| missing())?;
                match op.op {
                    Op::Add if index <= items.len() => items.insert(index, op.value.clone()),
                    Op::Replace if index < items.len() => items[index] = op.value.clone(),
                    _ => return Err(missing()),
                }
            }
            Value::Null => {
                // A null nested object in a typed model cannot take members.
                return Err(missing());
            }
            _ => return Err(missing()),
        }
    }
    Ok(())
}

/// RFC 7396 merge: objects merge recursively, `null` removes a member.
pub(crate) fn merge(target: &mut Value, patch: &Value) {
    let Value::Object(changes) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Default::default());
    }
    let map = target.as_object_mut().expect("just made an object");
    for (key, change) in changes {
        if change.is_null() {
            map.remove(key);
        } else {
            merge(map.entry(key.clone()).or_insert(Value::Null), change);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ops(body: Value) -> Result<Vec<PatchOp>, ApiError> {
        parse(&body)
    }

    #[test]
    fn add_and_replace_apply_in_order() {
        let mut doc = json!({"details": {"notes": "a"}, "team": [{"email": "x@y"}]});
        let patch = ops(json!([
            {"op": "replace", "path": "/Details/Notes", "value": "b"},
            {"op": "add", "path": "/team/-", "value": {"Email": "z@y"}},
            {"op": "add", "path": "/team/0", "value": {"email": "first@y"}},
            {"op": "replace", "path": "/details/dealValue", "value": 5}
        ]))
        .unwrap();
        apply(&mut doc, &patch).unwrap();
        assert_eq!(
            doc,
            json!({"details": {"notes": "b", "dealValue": 5}, "team": [{"email": "first@y"}, {"email": "x@y"}, {"email": "z@y"}]})
        );
    }

    #[test]
    fn unsupported_operations_and_bad_paths_are_refused() {
        for op in ["remove", "move", "copy", "test", "frobnicate"] {
            assert!(
                ops(json!([{"op": op, "path": "/name", "value": 1, "from": "/x"}])).is_err(),
                "{op}"
            );
        }
        assert!(ops(json!({"op": "add"})).is_err());
        assert!(ops(json!([{"op": "add", "path": "name", "value": 1}])).is_err());
        let mut doc = json!({"team": []});
        let missing_parent =
            ops(json!([{"op": "add", "path": "/details/notes", "value": "x"}])).unwrap();
        assert!(apply(&mut doc, &missing_parent).is_err());
        let out_of_range = ops(json!([{"op": "replace", "path": "/team/0", "value": {}}])).unwrap();
        assert!(apply(&mut doc, &out_of_range).is_err());
        let server = ops(json!([{"op": "replace", "path": "/id", "value": "x"}])).unwrap();
        assert!(refuse_server_owned(&server).is_err());
        let invited = ops(json!([{"op": "replace", "path": "/inviteContext/invitedBy/organizationId", "value": "x"}])).unwrap();
        assert!(refuse_server_owned(&invited).is_err());
    }

    #[test]
    fn merge_patch_follows_rfc_7396() {
        let mut doc = json!({"a": 1, "b": {"c": 2, "d": 3}});
        merge(&mut doc, &json!({"a": null, "b": {"c": 4}, "e": [1]}));
        assert_eq!(doc, json!({"b": {"c": 4, "d": 3}, "e": [1]}));
    }
}
