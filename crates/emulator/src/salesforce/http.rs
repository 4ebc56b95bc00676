//! The shapes every REST resource shares: the authenticated request, the
//! answer, the API version check, the 405 refusal and the rendering of an
//! answer with Salesforce's headers. Resource modules depend on this module
//! only, never on the front door ([`super::rest`]) that dispatches to them.

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::{Map, Value};

use super::errors::{ApiError, ErrorItem};
use super::state::Shared;

/// Path prefix of the REST API.
pub const DATA_PREFIX: &str = "/services/data/";
/// Oldest retired version (retired in Summer '25, <https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/dome_versions.htm>).
const RETIRED_MIN: u32 = 21;
/// Newest retired version.
const RETIRED_MAX: u32 = 30;

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
    /// flag overrides the subrequest's own (<https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_composite_composite.htm>).
    pub force_all_or_none: bool,
    /// A record-level fault injected on this call (see [`super::faults`]):
    /// the first record it writes fails with this error.
    pub fault: Option<ErrorItem>,
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
    /// JSON body, `None` for 204/304 and text answers.
    pub body: Option<Value>,
    /// A `text/csv` body (Bulk API 2.0 results), when not JSON.
    pub csv: Option<String>,
}

impl RestResponse {
    /// A JSON answer.
    pub fn json(status: u16, body: Value) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Some(body),
            csv: None,
        }
    }

    /// A `text/csv` answer.
    pub fn csv(status: u16, text: String) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: None,
            csv: Some(text),
        }
    }

    /// An answer with no body.
    pub fn empty(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: None,
            csv: None,
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

/// Parses `vNN.N`: unknown versions are 404, retired ones 410 (<https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/dome_versions.htm>).
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
        None => match &response.csv {
            Some(text) => {
                builder = builder.header("Content-Type", "text/csv");
                Body::from(text.clone())
            }
            None => Body::empty(),
        },
    };
    builder
        .body(body)
        .unwrap_or_else(|_| Response::new(Body::empty()))
}
