//! The REST API front door: version check, session check, the daily API
//! counter, `_HttpMethod` override, then dispatch by path to the resource
//! modules. Composite subrequests re-enter [`dispatch`] without being counted.

use std::sync::Arc;

use axum::body::{to_bytes, Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::{json, Map, Value};

use super::errors::{ApiError, ErrorItem};
use super::state::{Shared, State as EmState};
use super::{auth, collections, composite, describe, query, sobjects, tooling};

/// Largest request body read (sObject Collections of 200 long records fit).
const MAX_BODY_BYTES: usize = 50 * 1024 * 1024;
/// Path prefix of the REST API.
pub const DATA_PREFIX: &str = "/services/data/";
/// Oldest retired version (retired in Summer '25, reference §0).
const RETIRED_MIN: u32 = 21;
/// Newest retired version.
const RETIRED_MAX: u32 = 30;
/// Query parameter overriding the method of a POST (case-sensitive).
const METHOD_OVERRIDE: &str = "_HttpMethod";

/// A REST call after authentication.
#[derive(Debug, Clone)]
pub struct RestRequest {
    /// HTTP method, upper case (after any `_HttpMethod` override).
    pub method: String,
    /// API version without the `v`, e.g. `62.0`.
    pub version: String,
    /// Percent-decoded path segments after `/services/data/vXX.X/`.
    pub segments: Vec<String>,
    /// Query parameters, decoded.
    pub query: Vec<(String, String)>,
    /// Request headers.
    pub headers: HeaderMap,
    /// Request body.
    pub body: Bytes,
    /// The session's user ID.
    pub user: String,
    /// Set on Collections subrequests of an all-or-none Composite call, whose
    /// flag overrides the subrequest's own (reference §2.8).
    pub force_all_or_none: bool,
}

impl RestRequest {
    /// A query parameter.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// `/services/data/vXX.X`.
    pub fn base(&self) -> String {
        format!("{DATA_PREFIX}v{}", self.version)
    }

    /// The major version number.
    pub fn major(&self) -> u32 {
        self.version
            .split('.')
            .next()
            .and_then(|m| m.parse().ok())
            .unwrap_or(0)
    }

    /// The body as a JSON value (`JSON_PARSER_ERROR` when it is not JSON), with its text.
    pub fn json(&self) -> Result<(Value, String), ApiError> {
        let text = String::from_utf8_lossy(&self.body).into_owned();
        if text.trim().is_empty() {
            return Err(ApiError::json_parser(
                "The HTTP entity body is required, but this request has no entity body.",
            ));
        }
        serde_json::from_str(&text)
            .map(|v| (v, text.clone()))
            .map_err(|e| {
                ApiError::json_parser(format!(
                    "Unexpected character in request body at [line:{}, column:{}]",
                    e.line(),
                    e.column()
                ))
            })
    }

    /// The body as a JSON object; `what` names the expected type in errors.
    pub fn json_object(&self, what: &str) -> Result<(Map<String, Value>, String), ApiError> {
        let (value, text) = self.json()?;
        match value {
            Value::Object(map) => Ok((map, text)),
            other => Err(ApiError::json_parser(format!(
                "Cannot deserialize instance of {what} from {} value {} or request may be missing a required field at [line:1, column:1]",
                if other.is_array() { "START_ARRAY" } else { "VALUE_STRING" },
                if other.is_array() { "[".to_owned() } else { other.to_string() }
            ))),
        }
    }
}

/// What a resource answers.
#[derive(Debug, Clone, PartialEq)]
pub struct RestResponse {
    /// HTTP status.
    pub status: u16,
    /// Extra headers (`Location`, `Last-Modified`).
    pub headers: Vec<(String, String)>,
    /// JSON body, `None` for 204/304.
    pub body: Option<Value>,
}

impl RestResponse {
    /// A JSON answer.
    pub fn json(status: u16, body: Value) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Some(body),
        }
    }

    /// An answer with no body.
    pub fn empty(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: None,
        }
    }

    /// Adds a header.
    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    /// True for 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

impl From<ApiError> for RestResponse {
    fn from(e: ApiError) -> Self {
        Self::json(e.status, e.body())
    }
}

/// A result whose error is already a response.
pub type RestResult = Result<RestResponse, ApiError>;

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
    let path = parts.uri.path().to_owned();
    let raw_query = parts.uri.query().unwrap_or("").to_owned();
    let mut state = shared.lock();
    let (response, info) = serve(
        &shared,
        &mut state,
        parts.method.as_str(),
        &path,
        &raw_query,
        parts.headers,
        body,
    );
    drop(state);
    finish(response, info)
}

fn serve(
    shared: &Shared,
    state: &mut EmState,
    method: &str,
    path: &str,
    raw_query: &str,
    headers: HeaderMap,
    body: Bytes,
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
    };
    let response = match check_content_type(&request) {
        Ok(()) => dispatch(shared, state, &request),
        Err(e) => e.into(),
    };
    (response, Some(state.limit_info()))
}

/// Parses `vNN.N`: unknown versions are 404, retired ones 410 (reference §0).
pub fn check_version(shared: &Shared, segment: &str) -> Result<String, ApiError> {
    let parsed = segment
        .strip_prefix('v')
        .and_then(|v| v.split_once('.'))
        .filter(|(_, minor)| *minor == "0")
        .and_then(|(major, _)| major.parse::<u32>().ok());
    match parsed {
        Some(v) if (RETIRED_MIN..=RETIRED_MAX).contains(&v) => Err(ApiError::one(
            410,
            ErrorItem::new(
                "GONE",
                format!("Version {v}.0 of the API has been retired and is no longer available."),
            ),
        )),
        Some(v)
            if (shared.options.min_api_version..=shared.options.max_api_version).contains(&v) =>
        {
            Ok(format!("{v}.0"))
        }
        _ => Err(ApiError::not_found()),
    }
}

/// The REST API is JSON only here: an XML or form body is refused with 415.
fn check_content_type(request: &RestRequest) -> Result<(), ApiError> {
    if request.body.is_empty() {
        return Ok(());
    }
    match request.header("content-type") {
        Some(ct) if !ct.to_ascii_lowercase().contains("json") => Err(ApiError::one(
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
    let result = match segs.as_slice() {
        [] | [""] => resources(request),
        ["limits"] => limits(state, request),
        ["sobjects"] => describe::global(state, request),
        ["sobjects", rest @ ..] => sobjects::route(state, request, rest),
        ["query" | "queryAll", rest @ ..] => query::route(state, request, rest),
        ["composite"] => composite::run(shared, state, request),
        ["composite", "sobjects", rest @ ..] => collections::route(state, request, rest),
        ["tooling", rest @ ..] => tooling::route(state, request, rest),
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

/// Refuses methods outside `allowed` with 405.
pub fn only(request: &RestRequest, allowed: &[&str]) -> Result<(), ApiError> {
    if allowed.contains(&request.method.as_str()) {
        Ok(())
    } else {
        let mut list = vec!["HEAD"];
        list.extend_from_slice(allowed);
        Err(ApiError::method_not_allowed(
            &request.method,
            &list.join(","),
        ))
    }
}

/// Renders a response with Salesforce's headers.
pub fn finish(response: RestResponse, limit_info: Option<String>) -> Response {
    let status = StatusCode::from_u16(response.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut builder = Response::builder().status(status);
    if let Some(info) = limit_info {
        builder = builder.header("Sforce-Limit-Info", info);
    }
    for (name, value) in &response.headers {
        if let Ok(v) = HeaderValue::from_str(value) {
            builder = builder.header(name.as_str(), v);
        }
    }
    let body = match &response.body {
        Some(json) => {
            builder = builder.header("Content-Type", "application/json;charset=UTF-8");
            Body::from(serde_json::to_vec(json).unwrap_or_default())
        }
        None => Body::empty(),
    };
    builder
        .body(body)
        .unwrap_or_else(|_| Response::new(Body::empty()))
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
