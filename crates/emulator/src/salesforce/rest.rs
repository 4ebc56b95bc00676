//! The REST API front door: version check, session check, the daily API
//! counter, `_HttpMethod` override, then dispatch by path to the resource
//! modules. Composite subrequests re-enter [`dispatch`] without being counted
//! (the composite module is handed [`dispatch`], so it needs no import of this one).

use std::sync::Arc;

use axum::body::{to_bytes, Bytes};
use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{json, Map, Value};

use super::errors::{ApiError, ErrorItem};
use super::http::{
    check_version, finish, only, RestRequest, RestResponse, RestResult, DATA_PREFIX,
};
use super::org_rules::CallContext;
use super::state::{Shared, State as EmState};
use super::{
    auth, bulk, collections, composite, describe, faults, query, record_types, sobjects, tooling,
    tree,
};
use crate::control::DeferredFault;

/// Largest request body read (sObject Collections of 200 long records fit).
const MAX_BODY_BYTES: usize = 50 * 1024 * 1024;
/// Query parameter overriding the method of a POST (case-sensitive).
const METHOD_OVERRIDE: &str = "_HttpMethod";
/// Lets a save through the duplicate rules (`allowSave=true`).
const DUPLICATE_RULE_HEADER: &str = "sforce-duplicate-rule-header";

/// `GET /services/data/`: the supported versions, no session needed, not counted.
pub async fn versions(State(shared): State<Arc<Shared>>) -> Response {
    let list: Vec<Value> = (shared.options.min_api_version..=shared.options.max_api_version)
        .map(|v| {
            json!({
                "label": release_label(v),
                "url": format!("{DATA_PREFIX}v{v}.0"),
                "version": format!("{v}.0"),
            })
        })
        .collect();
    finish(RestResponse::json(200, Value::Array(list)), None)
}

/// The release name of API version `v` (62 = Winter '25; three releases a year).
pub fn release_label(v: u32) -> String {
    const BASE_VERSION: i64 = 62;
    const BASE_YEAR: i64 = 25;
    let delta = i64::from(v) - BASE_VERSION;
    let season = ["Winter", "Spring", "Summer"][delta.rem_euclid(3) as usize];
    let year = (BASE_YEAR + delta.div_euclid(3)).rem_euclid(100);
    format!("{season} '{year:02}")
}

/// Every REST route under `/services/data/…` lands here.
pub async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = to_bytes(body, MAX_BODY_BYTES).await else {
        return finish(
            ApiError::one(
                413,
                ErrorItem::new("REQUEST_ENTITY_TOO_LARGE", "request entity too large"),
            )
            .into(),
            None,
        );
    };
    let deferred = parts.extensions.get::<DeferredFault>().cloned();
    let path = parts.uri.path().to_owned();
    let raw_query = parts.uri.query().unwrap_or("").to_owned();
    let mut state = shared.lock();
    let fault = deferred.and_then(|DeferredFault(kind)| faults::deferred_error(&kind, &state.org));
    let (response, info) = serve(
        &shared,
        &mut state,
        (parts.method.as_str(), &path, &raw_query),
        parts.headers,
        body,
        fault,
    );
    drop(state);
    finish(response, info)
}

fn serve(
    shared: &Shared,
    state: &mut EmState,
    (method, path, raw_query): (&str, &str, &str),
    headers: HeaderMap,
    body: Bytes,
    fault: Option<ErrorItem>,
) -> (RestResponse, Option<String>) {
    let rest = path.strip_prefix(DATA_PREFIX).unwrap_or("");
    let mut segments: Vec<String> = rest
        .split('/')
        .map(|s| urlencoding::decode(s).map_or_else(|_| s.to_owned(), |d| d.into_owned()))
        .collect();
    while segments.last().is_some_and(String::is_empty) && segments.len() > 1 {
        segments.pop();
    }
    let version_segment = segments.first().cloned().unwrap_or_default();
    let version = match check_version(shared, &version_segment) {
        Ok(v) => v,
        Err(e) => return (e.into(), None),
    };
    let authorization = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let Some(user) = auth::session_user(state, authorization.as_deref()) else {
        return (ApiError::invalid_session().into(), Some(state.limit_info()));
    };
    if state.api_used >= state.daily_limit {
        return (ApiError::daily_limit().into(), Some(state.limit_info()));
    }
    state.api_used += 1;
    let query: Vec<(String, String)> = url::form_urlencoded::parse(raw_query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let mut method = method.to_ascii_uppercase();
    // HEAD is answered as GET; the server drops the body.
    if method == "HEAD" {
        method = "GET".into();
    }
    if method == "POST" {
        if let Some((_, m)) = query.iter().find(|(k, _)| k == METHOD_OVERRIDE) {
            method = m.to_ascii_uppercase();
        }
    }
    let request = RestRequest {
        method,
        version,
        segments: segments.split_off(1),
        query,
        headers,
        body,
        user,
        force_all_or_none: false,
        fault,
    };
    // The caller and the duplicate rule header hold for this call only
    // (Composite subrequests included).
    state.org.call = CallContext::of_call(
        &request.user,
        request.header(DUPLICATE_RULE_HEADER),
        request.base(),
    );
    let response = match check_content_type(&request) {
        Ok(()) => dispatch(shared, state, &request),
        Err(e) => e.into(),
    };
    state.org.call = CallContext::default();
    (response, Some(state.limit_info()))
}

/// The REST API is JSON only here: an XML or form body is refused with 415.
/// A Bulk API 2.0 upload (`PUT …/batches`) is CSV.
fn check_content_type(request: &RestRequest) -> Result<(), ApiError> {
    if request.body.is_empty() {
        return Ok(());
    }
    let csv_upload =
        request.method == "PUT" && request.segments.last().is_some_and(|s| s == "batches");
    let wanted = if csv_upload { "csv" } else { "json" };
    match request.header("content-type") {
        Some(ct) if !ct.to_ascii_lowercase().contains(wanted) => Err(ApiError::one(
            415,
            ErrorItem::new(
                "UNSUPPORTED_MEDIA_TYPE",
                format!("Content type '{ct}' not supported"),
            ),
        )),
        _ => Ok(()),
    }
}

/// Routes an authenticated call to its resource.
pub fn dispatch(shared: &Shared, state: &mut EmState, request: &RestRequest) -> RestResponse {
    let segs: Vec<&str> = request.segments.iter().map(String::as_str).collect();
    // A record-level fault fails a single-record write as a whole; batches
    // (Collections, Composite) report it on the record or subrequest it hit.
    if let Some(item) = &request.fault {
        if !matches!(segs.as_slice(), ["composite", ..]) {
            return ApiError::one(400, item.clone()).into();
        }
    }
    let result = match segs.as_slice() {
        [] | [""] => resources(request),
        ["limits"] => limits(state, request),
        ["sobjects"] => describe::global(state, request),
        ["sobjects", rest @ ..] => sobjects::route(state, request, rest),
        ["query" | "queryAll", rest @ ..] => query::route(state, request, rest),
        ["composite"] => composite::run(shared, state, request, dispatch),
        ["composite", "sobjects", rest @ ..] => collections::route(state, request, rest),
        ["composite", "tree", object] => tree::create(state, request, object),
        ["tooling", rest @ ..] => tooling::route(state, request, rest),
        ["jobs", rest @ ..] => bulk::route(state, request, rest),
        ["ui-api", "object-info", rest @ ..] => record_types::picklist_values(state, request, rest),
        _ => Err(ApiError::not_found()),
    };
    result.unwrap_or_else(RestResponse::from)
}

fn resources(request: &RestRequest) -> RestResult {
    only(request, &["GET"])?;
    let base = request.base();
    Ok(RestResponse::json(
        200,
        json!({
            "tooling": format!("{base}/tooling"),
            "composite": format!("{base}/composite"),
            "query": format!("{base}/query"),
            "queryAll": format!("{base}/queryAll"),
            "sobjects": format!("{base}/sobjects"),
            "limits": format!("{base}/limits"),
        }),
    ))
}

/// Maximum of the limits other than the daily API allocation, as a Developer Edition reports them.
const STATIC_LIMITS: &[(&str, u64)] = &[
    ("DailyAsyncApexExecutions", 250_000),
    ("DailyBulkApiBatches", 15_000),
    ("DailyBulkV2QueryJobs", 10_000),
    ("DailyDeliveredPlatformEvents", 10_000),
    ("DailyStreamingApiEvents", 10_000),
    ("DataStorageMB", 5),
    ("FileStorageMB", 20),
    ("SingleEmail", 15),
];

fn limits(state: &EmState, request: &RestRequest) -> RestResult {
    only(request, &["GET"])?;
    let mut body = Map::new();
    body.insert(
        "DailyApiRequests".into(),
        json!({ "Max": state.daily_limit, "Remaining": state.daily_limit.saturating_sub(state.api_used) }),
    );
    for (name, max) in STATIC_LIMITS {
        body.insert((*name).into(), json!({ "Max": max, "Remaining": max }));
    }
    Ok(RestResponse::json(200, Value::Object(body)))
}

#[cfg(test)]
mod tests {
    use super::release_label;

    #[test]
    fn release_labels_follow_the_three_releases_a_year() {
        assert_eq!(release_label(62), "Winter '25");
        assert_eq!(release_label(64), "Summer '25");
        assert_eq!(release_label(31), "Summer '14");
        assert_eq!(release_label(60), "Spring '24");
    }
}
