//! HTTP plumbing shared by the handlers: request/correlation id headers
//! (<https://learn.microsoft.com/en-us/partner-center/developer/referrals-api-introduction>), JSON bodies, ETag headers, and 404/405 answers in
//! Partner Center's error shape.

use axum::body::Bytes;
use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::error::{ApiError, ErrorCode};

/// Request id the service stamps on every answer.
const REQUEST_ID: &str = "request-id";
/// Client request id, echoed back.
const CLIENT_REQUEST_ID: &str = "client-request-id";
/// Correlation id, echoed back.
const CORRELATION_ID: &str = "ms-correlationid";
/// Webhooks API spelling of the request id (<https://learn.microsoft.com/en-us/partner-center/developer/partner-center-webhooks>).
const MS_REQUEST_ID: &str = "ms-requestid";

/// Adds `request-id` and echoes `client-request-id` / `MS-CorrelationId`.
pub(crate) async fn request_ids(request: Request, next: Next) -> Response {
    let echoed: Vec<(HeaderName, HeaderValue)> = [CLIENT_REQUEST_ID, CORRELATION_ID]
        .into_iter()
        .filter_map(|name| {
            let value = request.headers().get(name)?.clone();
            Some((HeaderName::from_static(name), value))
        })
        .collect();
    let mut response = next.run(request).await;
    let request_id = uuid::Uuid::new_v4().to_string();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        headers.insert(REQUEST_ID, value.clone());
        headers.insert(MS_REQUEST_ID, value);
    }
    for (name, value) in echoed {
        headers.insert(name, value);
    }
    response
}

/// Unknown paths.
pub(crate) async fn not_found() -> ApiError {
    ApiError::not_found("The requested resource was not found.")
}

/// A method the resource does not support (e.g. DELETE on a referral).
pub(crate) fn method_not_allowed(method: &Method, allow: &'static str) -> Response {
    let mut response = ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::InvalidRequest,
        format!("The requested resource does not support http method '{method}'."),
    )
    .into_response();
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
    response
}

/// Parses a JSON request body, requiring a JSON content type.
pub(crate) fn json_body(headers: &HeaderMap, body: &Bytes) -> Result<Value, ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let media = content_type.split(';').next().unwrap_or("").trim();
    if !(media == "application/json" || media.ends_with("+json")) {
        return Err(ApiError::unsupported_media_type(format!(
            "The request entity's media type '{media}' is not supported; use application/json."
        )));
    }
    serde_json::from_slice(body)
        .map_err(|e| ApiError::invalid(format!("The request body is not valid JSON: {e}.")))
}

/// A header value as text.
pub(crate) fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Sets the `ETag` header from a referral's `eTag`.
pub(crate) fn with_etag(mut response: Response, referral: &Value) -> Response {
    if let Some(value) = referral["eTag"]
        .as_str()
        .and_then(|e| HeaderValue::from_str(e).ok())
    {
        response.headers_mut().insert(header::ETAG, value);
    }
    response
}
