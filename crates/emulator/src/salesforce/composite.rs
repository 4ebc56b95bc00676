//! `POST /composite` (<https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_composite_composite.htm>): up to 25 subrequests (at most 5 of
//! them queries or sObject Collections) run in order in one API call, with
//! `@{ref.field}` / `@{ref.list[0].Id}` references into earlier answers,
//! `allOrNone` rollback (`PROCESSING_HALTED` for the siblings) and dependents
//! of a failed subrequest left unrun.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{json, Map, Value};

use super::collections::has_failure;
use super::errors::{ApiError, ErrorItem, HALTED_MESSAGE};
use super::http::{check_version, only, RestRequest, RestResponse, RestResult, DATA_PREFIX};
use super::state::{Shared, State};

/// The REST dispatcher a subrequest re-enters (the front door's, passed in).
pub type Dispatch = fn(&Shared, &mut State, &RestRequest) -> RestResponse;

/// Subrequests per call.
pub const MAX_SUBREQUESTS: usize = 25;
/// Query or Collections subrequests per call.
pub const MAX_QUERY_OR_COLLECTIONS: usize = 5;
/// Methods a subrequest may use.
const METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE"];
/// Headers a subrequest may not set.
const FORBIDDEN_HEADERS: &[&str] = &["accept", "authorization", "content-type"];

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::one(400, ErrorItem::new("INVALID_INPUT", message))
}

/// One validated subrequest.
struct Sub {
    method: String,
    url: String,
    reference_id: String,
    body: Option<Value>,
    headers: Map<String, Value>,
}

/// Runs a composite request.
pub fn run(
    shared: &Shared,
    state: &mut State,
    request: &RestRequest,
    dispatch: Dispatch,
) -> RestResult {
    only(request, &["POST"])?;
    let (body, _) = request.json_object("CompositeRequest")?;
    let all_or_none = body
        .get("allOrNone")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let subs = validate(&body)?;
    let snapshot = all_or_none.then(|| state.org.clone());
    let mut answers: HashMap<String, Value> = HashMap::new();
    let mut failed_refs: Vec<String> = Vec::new();
    let mut results: Vec<Value> = Vec::with_capacity(subs.len());
    let mut failed_at: Option<usize> = None;
    // An injected record-level fault hits the first write.
    let mut fault = request.fault.clone();
    for (index, sub) in subs.iter().enumerate() {
        if failed_at.is_some() && all_or_none {
            results.push(halted(&sub.reference_id));
            continue;
        }
        let response = match resolve_sub(sub, &answers, &failed_refs) {
            Ok((url, body)) => {
                let fault = if sub.method == "GET" {
                    None
                } else {
                    fault.take()
                };
                execute(shared, state, (request, dispatch), (sub, fault), &url, body)
            }
            Err(message) => RestResponse::json(
                400,
                json!([{ "errorCode": "PROCESSING_HALTED", "message": message }]),
            ),
        };
        let failed = !response.is_success()
            || (all_or_none
                && response.body.as_ref().is_some_and(has_failure)
                && is_collections(&sub.url));
        if failed {
            failed_refs.push(sub.reference_id.clone());
            failed_at.get_or_insert(index);
        } else if let Some(b) = &response.body {
            answers.insert(sub.reference_id.clone(), b.clone());
        }
        let headers: Map<String, Value> = response
            .headers
            .iter()
            .filter(|(k, _)| {
                k.eq_ignore_ascii_case("Location") || k.eq_ignore_ascii_case("Last-Modified")
            })
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect();
        results.push(json!({
            "body": response.body,
            "httpHeaders": headers,
            "httpStatusCode": response.status,
            "referenceId": sub.reference_id,
        }));
    }
    if let (Some(failed), Some(snapshot)) = (failed_at, snapshot) {
        state.org = snapshot;
        for (index, result) in results.iter_mut().enumerate() {
            if index != failed {
                let reference_id = result["referenceId"].as_str().unwrap_or("").to_owned();
                *result = halted(&reference_id);
            }
        }
    }
    Ok(RestResponse::json(
        200,
        json!({ "compositeResponse": results }),
    ))
}

fn halted(reference_id: &str) -> Value {
    json!({
        "body": [{ "errorCode": "PROCESSING_HALTED", "message": HALTED_MESSAGE }],
        "httpHeaders": {},
        "httpStatusCode": 400,
        "referenceId": reference_id,
    })
}

fn is_collections(url: &str) -> bool {
    url.contains("/composite/sobjects")
}

fn is_query_or_collections(url: &str) -> bool {
    let path = url.split('?').next().unwrap_or("");
    let tail: Vec<&str> = path.trim_start_matches(DATA_PREFIX).split('/').collect();
    matches!(tail.get(1), Some(&"query" | &"queryAll")) || is_collections(path)
}

/// Checks the request shape; a bad shape refuses the whole call with 400.
fn validate(body: &Map<String, Value>) -> Result<Vec<Sub>, ApiError> {
    let list = body
        .get("compositeRequest")
        .and_then(Value::as_array)
        .ok_or_else(|| ApiError::json_parser("'compositeRequest' is a required field."))?;
    if list.is_empty() {
        return Err(invalid(
            "The compositeRequest list must contain at least one subrequest",
        ));
    }
    if list.len() > MAX_SUBREQUESTS {
        return Err(invalid(format!(
            "Composite Request size exceeded. Maximum of {MAX_SUBREQUESTS} subrequests allowed."
        )));
    }
    let mut seen = Vec::new();
    let mut subs = Vec::with_capacity(list.len());
    for item in list {
        let field = |name: &str| item.get(name).and_then(Value::as_str).map(str::to_owned);
        let required = |name: &str| {
            field(name)
                .ok_or_else(|| ApiError::json_parser(format!("'{name}' is a required field.")))
        };
        let reference_id = required("referenceId")?;
        let method = required("method")?.to_ascii_uppercase();
        let url = required("url")?;
        let valid_ref = reference_id
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
            && reference_id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid_ref {
            return Err(invalid(format!(
                "Invalid referenceId: {reference_id}. A referenceId can contain only alphanumeric characters and underscores, and must begin with an alphanumeric character."
            )));
        }
        if seen.contains(&reference_id) {
            return Err(invalid(format!(
                "Duplicate ReferenceId provided in the request: {reference_id}"
            )));
        }
        if !METHODS.contains(&method.as_str()) {
            return Err(invalid(format!("Invalid HTTP method: {method}")));
        }
        let headers = item
            .get("httpHeaders")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        if let Some(bad) = headers
            .keys()
            .find(|k| FORBIDDEN_HEADERS.contains(&k.to_ascii_lowercase().as_str()))
        {
            return Err(invalid(format!(
                "The {bad} header cannot be set in a composite subrequest"
            )));
        }
        seen.push(reference_id.clone());
        subs.push(Sub {
            method,
            url,
            reference_id,
            body: item.get("body").cloned(),
            headers,
        });
    }
    let heavy = subs
        .iter()
        .filter(|s| is_query_or_collections(&s.url))
        .count();
    if heavy > MAX_QUERY_OR_COLLECTIONS {
        return Err(invalid(format!(
            "Composite requests can contain at most {MAX_QUERY_OR_COLLECTIONS} query or sObject Collections subrequests"
        )));
    }
    Ok(subs)
}

/// Substitutes references in the url and body.
fn resolve_sub(
    sub: &Sub,
    answers: &HashMap<String, Value>,
    failed: &[String],
) -> Result<(String, Option<Value>), String> {
    let url = substitute_text(&sub.url, answers, failed, true)?;
    let body = sub
        .body
        .as_ref()
        .map(|b| substitute_value(b, answers, failed))
        .transpose()?;
    Ok((url, body))
}

fn substitute_value(
    value: &Value,
    answers: &HashMap<String, Value>,
    failed: &[String],
) -> Result<Value, String> {
    Ok(match value {
        Value::String(s) => {
            let trimmed = s.trim();
            if trimmed.starts_with("@{")
                && trimmed.ends_with('}')
                && trimmed.matches("@{").count() == 1
            {
                lookup(&trimmed[2..trimmed.len() - 1], answers, failed)?
            } else {
                Value::String(substitute_text(s, answers, failed, false)?)
            }
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| substitute_value(v, answers, failed))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| Ok((k.clone(), substitute_value(v, answers, failed)?)))
                .collect::<Result<_, String>>()?,
        ),
        other => other.clone(),
    })
}

fn substitute_text(
    text: &str,
    answers: &HashMap<String, Value>,
    failed: &[String],
    encode: bool,
) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("@{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| format!("Invalid reference specified: {}", &rest[start..]))?;
        let value = lookup(&after[..end], answers, failed)?;
        let shown = value
            .as_str()
            .map_or_else(|| value.to_string(), str::to_owned);
        if encode {
            out.push_str(&urlencoding::encode(&shown));
        } else {
            out.push_str(&shown);
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Follows `ref.path[0].field` into an earlier answer (case-sensitive).
fn lookup(
    expr: &str,
    answers: &HashMap<String, Value>,
    failed: &[String],
) -> Result<Value, String> {
    let reference = expr.split(['.', '[']).next().unwrap_or("");
    let missing = || {
        format!(
            "Invalid reference specified. No value for {expr} found in {reference}. Provided referenceId ('{reference}') must be a valid subrequest referenceId in the same composite request and its subrequest must have succeeded."
        )
    };
    if failed.iter().any(|f| f == reference) {
        return Err(missing());
    }
    let mut current = answers.get(reference).ok_or_else(missing)?;
    let path = &expr[reference.len()..];
    for step in path.split('.').filter(|s| !s.is_empty()) {
        let (name, indexes) = match step.find('[') {
            Some(i) => (&step[..i], &step[i..]),
            None => (step, ""),
        };
        if !name.is_empty() {
            current = current.get(name).ok_or_else(missing)?;
        }
        for index in indexes.split('[').filter(|s| !s.is_empty()) {
            let n: usize = index.trim_end_matches(']').parse().map_err(|_| missing())?;
            current = current.get(n).ok_or_else(missing)?;
        }
    }
    if current.is_null() {
        return Err(missing());
    }
    Ok(current.clone())
}

fn execute(
    shared: &Shared,
    state: &mut State,
    (parent, dispatch): (&RestRequest, Dispatch),
    (sub, fault): (&Sub, Option<ErrorItem>),
    url: &str,
    body: Option<Value>,
) -> RestResponse {
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let Some(rest) = path.strip_prefix(DATA_PREFIX) else {
        return ApiError::not_found().into();
    };
    let mut segments: Vec<String> = rest
        .split('/')
        .map(|s| urlencoding::decode(s).map_or_else(|_| s.to_owned(), |d| d.into_owned()))
        .collect();
    while segments.last().is_some_and(String::is_empty) && segments.len() > 1 {
        segments.pop();
    }
    let version = match check_version(shared, &segments[0]) {
        Ok(v) => v,
        Err(e) => return e.into(),
    };
    let mut headers = HeaderMap::new();
    for (k, v) in &sub.headers {
        if let (Ok(name), Some(Ok(value))) = (
            HeaderName::try_from(k.as_str()),
            v.as_str().map(HeaderValue::from_str),
        ) {
            headers.insert(name, value);
        }
    }
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    let request = RestRequest {
        method: sub.method.clone(),
        version,
        segments: segments.split_off(1),
        query: url::form_urlencoded::parse(query.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect(),
        headers,
        body: body
            .map(|b| Bytes::from(serde_json::to_vec(&b).unwrap_or_default()))
            .unwrap_or_default(),
        user: parent.user.clone(),
        force_all_or_none: parent_all_or_none(parent),
        fault,
    };
    dispatch(shared, state, &request)
}

fn parent_all_or_none(parent: &RestRequest) -> bool {
    serde_json::from_slice::<Value>(&parent.body)
        .ok()
        .and_then(|b| b.get("allOrNone").and_then(Value::as_bool))
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_follow_fields_and_list_indexes() {
        let mut answers = HashMap::new();
        answers.insert(
            "q".to_owned(),
            json!({"records": [{"Id": "001A"}, {"Id": "001B"}]}),
        );
        answers.insert("acct".to_owned(), json!({"id": "001X", "success": true}));
        assert_eq!(
            lookup("q.records[1].Id", &answers, &[]).unwrap(),
            json!("001B")
        );
        assert_eq!(lookup("acct.id", &answers, &[]).unwrap(), json!("001X"));
        assert!(
            lookup("acct.Id", &answers, &[]).is_err(),
            "references are case-sensitive"
        );
        let body = json!({"AccountId": "@{acct.id}", "Name": "Deal for @{acct.id}"});
        assert_eq!(
            substitute_value(&body, &answers, &[]).unwrap(),
            json!({"AccountId": "001X", "Name": "Deal for 001X"})
        );
    }
}
